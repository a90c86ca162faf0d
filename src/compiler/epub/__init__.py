"""EPUB: the same book model and part templates, packaged as EPUB 3 with ebooklib.

One XHTML document per part (cover, title page, copyright, each front and
back matter section, the contents, each chapter). The contents document is
also the navigation document, with landmarks and a page-list whose numbers
are the PDF's. Metadata includes EPUB Accessibility 1.1 properties.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ebooklib import epub as eb

from compiler import files, ids
from compiler.epub import pagelist
from compiler.epub.package import rezip
from compiler.fonts import apply_plan, needed_files
from compiler.model import Book, PageBreak
from compiler.render import FONTS, Renderer

EPUB_STYLESHEETS = ("book.css", "epub.css")
_FONT_URL = re.compile(rb"""url\(\s*["']?fonts/([^"')\s]+)["']?\s*\)""")
FONT_TYPES = {".otf": "font/otf", ".ttf": "font/ttf", ".woff": "font/woff", ".woff2": "font/woff2"}
ACCESSIBILITY_SUMMARY = (
    "This publication meets WCAG 2.1 Level AA. Text is fully reflowable and marked up with "
    "headings in order; the contents, landmarks and a page-list matching the print (PDF) edition "
    "allow navigation; the cover image has a text alternative; there are no other images.")
#: The summary's last clause for a book with images (from the media folder).
WITH_IMAGES = "the cover image has a text alternative; the other images carry the blog's own " \
    "alternative text and their captions."


@dataclass(frozen=True)
class Document:
    """One XHTML content document of the EPUB."""

    name: str
    title: str
    part: str
    body_type: str
    context: dict[str, Any]


class _Item(eb.EpubItem):
    def __init__(self, uid: str, file_name: str, media_type: str, content: bytes,
                 properties: Sequence[str] = ()) -> None:
        super().__init__(uid=uid, file_name=file_name, media_type=media_type, content=content)
        self.properties = list(properties)


def documents(book: Book) -> list[Document]:
    """The content documents, in reading (spine) order."""
    docs = [Document(ids.document(ids.COVER), "Cover", "cover", "cover", {}),
            Document(ids.document(ids.TITLEPAGE), "Title Page", "titlepage", "frontmatter", {}),
            Document(ids.document(ids.COPYRIGHT), "Copyright", "copyright", "frontmatter", {})]
    docs += [Document(ids.document(s.id), s.title, "section", "frontmatter", {"section": s})
             for s in book.front_before_toc]
    docs.append(Document(ids.document(ids.CONTENTS), "Contents", "toc", "frontmatter", {}))
    docs += [Document(ids.document(s.id), s.title, "section", "frontmatter", {"section": s})
             for s in book.front_after_toc]
    docs += [Document(ids.document(c.id), c.title, "chapter", "bodymatter", {"chapter": c}) for c in book.chapters]
    docs += [Document(ids.document(s.id), s.title, "section", "backmatter", {"section": s}) for s in book.back]
    names = [d.name.casefold() for d in docs]
    if len(set(names)) != len(names):  # the manifest check (compiler.ids.check) reports it at its line
        raise ValueError(f"two EPUB documents share a file name: {sorted(n for n in names if names.count(n) > 1)}")
    return docs


def _render_all(renderer: Renderer, docs: list[Document], where: dict[str, str],
                pages: list[tuple[str, str]], only: str | None = None) -> dict[str, Any]:
    contents = ids.document(ids.CONTENTS)

    def href(target: str) -> str:
        return f"{where.get(target, contents)}#{target}"

    first_chapter = next((d.name for d in docs if d.part == "chapter"), contents)
    return {d.name: pagelist.parse(renderer.epub_document(
        d.part, href, d.title, d.body_type, pages=pages, landmarks_start=first_chapter, **d.context), d.name)
        for d in docs if only in (None, d.name)}


def _metadata(book: Book, epub: eb.EpubBook, images: bool = False) -> None:
    meta = book.meta
    epub.set_identifier(meta.identifier)
    epub.set_title(meta.title)
    epub.set_language(meta.language)
    for n, author in enumerate(meta.authors):
        epub.add_author(author, uid=f"creator{n}")
    for name, value in (("publisher", meta.publisher), ("rights", meta.rights),
                        ("description", meta.description), ("date", meta.date.isoformat())):
        if value:
            epub.add_metadata("DC", name, value)
    for subject in meta.subjects:
        epub.add_metadata("DC", "subject", subject)
    epub.add_metadata("DC", "source", f"{meta.identifier}#pdf")
    properties = [
        ("schema:accessMode", "textual"), ("schema:accessMode", "visual"),
        ("schema:accessModeSufficient", "textual"),
        *(("schema:accessibilityFeature", f) for f in (
            "tableOfContents", "readingOrder", "structuralNavigation", "pageNavigation",
            "alternativeText", "displayTransformability")),
        ("schema:accessibilityHazard", "none"),
        ("schema:accessibilitySummary", ACCESSIBILITY_SUMMARY if not images else ACCESSIBILITY_SUMMARY.replace(
            "the cover image has a text alternative; there are no other images.", WITH_IMAGES)),
        ("dcterms:conformsTo", "EPUB Accessibility 1.1 - WCAG 2.1 Level AA"),
        ("pageBreakSource", f"{meta.identifier}#pdf"),
    ]
    for prop, value in properties:
        epub.add_metadata(None, "meta", value, {"property": prop})


@dataclass(frozen=True)
class Prepared:
    """The content documents, rendered and parsed before the PDF's page breaks are known."""

    docs: list[Document]
    where: dict[str, str]  # which document holds each id
    trees: dict[str, Any]


def prepare(book: Book, renderer: Renderer) -> Prepared:
    """Render the content documents (the build does this while the PDF is being laid out)."""
    docs = documents(book)
    where = pagelist.ids_by_document(_render_all(renderer, docs, {}, []))
    return Prepared(docs, where, _render_all(renderer, docs, where, []))


def build_epub(book: Book, renderer: Renderer, breaks: Sequence[PageBreak], cover_png: bytes,
               prepared: Prepared | None = None) -> bytes:
    """Build the EPUB bytes: documents, page markers, navigation, metadata, package.
    ``prepared`` (used once: the markers go into its trees) saves rendering the documents here."""
    prepared = prepared or prepare(book, renderer)
    docs, where, trees = prepared.docs, prepared.where, dict(prepared.trees)
    pages = [(b.label, f"{where[b.target]}#{ids.page(b.label)}") for b in breaks if b.target in where]
    nav = next(d.name for d in docs if d.part == "toc")  # the only document that lists the pages
    trees[nav] = _render_all(renderer, docs, where, pages, only=nav)[nav]
    placed = pagelist.place(trees, breaks)
    assert [p for p, _ in placed] == [p for p, _ in pages]

    epub = eb.EpubBook()
    serialized = {d.name: pagelist.serialize(trees[d.name]).encode() for d in docs}
    images = _images(renderer, serialized.values())
    _metadata(book, epub, bool(images))
    epub.set_cover("images/cover.png", cover_png, create_page=False)
    style = book.output.style_dir
    packed = needed_files(book)  # the shipped faces the book's text needs, and only their @font-face rules
    sheets = {name: apply_plan(files.read_project_file(book.root, style / name).decode(), pdf=False,
                               first=n == 0, files=packed).encode()
              for n, name in enumerate(EPUB_STYLESHEETS)}
    for name, data in sheets.items():
        epub.add_item(_Item(name.split(".")[0] + "-css", name, "text/css", data))
    for n, font in enumerate(used_fonts(style, sheets.values())):
        epub.add_item(_Item(f"font{n}", f"fonts/{font.name}", FONT_TYPES[font.suffix],
                            files.read_project_file(book.root, font)))
    for name, href, media_type, data in images:
        epub.add_item(_Item(name, href, media_type, data))
    spine: list[Any] = []
    for n, doc in enumerate(docs):
        data = serialized[doc.name]
        properties = (["nav"] if doc.part == "toc" else []) + (["svg"] if b"<svg" in data else [])
        item = _Item(f"doc{n:02d}", f"text/{doc.name}", "application/xhtml+xml", data, properties)
        epub.add_item(item)
        spine.append(item)
    epub.spine = spine
    epub.toc = _ncx_toc(book, where)
    epub.add_item(eb.EpubNcx())
    first_chapter = next(d.name for d in docs if d.part == "chapter")
    epub.guide = [{"type": "cover", "href": ids.member(ids.COVER), "title": "Cover"},
                  {"type": "toc", "href": ids.member(ids.CONTENTS), "title": "Contents"},
                  {"type": "text", "href": f"text/{first_chapter}", "title": "Begin reading"}]
    out = io.BytesIO()
    eb.write_epub(out, epub, {"raise_exceptions": True, "mtime": book.meta.modified, "epub3_landmark": False,
                              "epub3_pages": False, "play_order": {"enabled": True, "start_from": 1}})
    return rezip(out.getvalue(), book.meta.modified, book.meta.language)


def _images(renderer: Renderer, documents: Iterable[bytes]) -> list[tuple[str, str, str, bytes]]:
    """The prepared images (:mod:`compiler.bookmedia`) the documents show: (id, href, media type, bytes)."""
    if renderer.pictures is None:
        return []
    text = b"".join(documents)
    return [item for item in renderer.pictures.epub_items() if f'"../{item[1]}"'.encode() in text]


def used_fonts(style: Path, stylesheets: Iterable[bytes]) -> list[Path]:
    """The font files of the style folder that the EPUB's stylesheets load (``url("fonts/…")``):
    a font in the folder that no rule names (a fallback for the PDF only) is not shipped."""
    named = {m.decode() for sheet in stylesheets for m in _FONT_URL.findall(sheet)}
    return [font for font in sorted((style / "fonts").glob("*.*tf")) if font.name in named]


def _ncx_toc(book: Book, where: dict[str, str]) -> list[Any]:
    def link(target: str, title: str) -> eb.Link:
        return eb.Link(f"text/{where[target]}#{target}", title, ids.nav_point(target))

    toc: list[Any] = [link(s.id, s.title) for s in book.front if s.id in where]
    for chapter in book.chapters:
        toc.append((eb.Section(f"{chapter.number}. {chapter.title}", ids.member(chapter.id)),
                    [link(p.id, p.title) for p in chapter.posts]))
    toc += [link(s.id, s.title) for s in book.back if s.id in where]
    return toc


__all__ = ["FONTS", "Prepared", "build_epub", "documents", "prepare"]
