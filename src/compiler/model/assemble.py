"""Assemble the frozen :class:`Book` from a validated manifest.

This is the model stage: editor's corrections and redactions are applied
here, to the model, before anything is templated; editorial Markdown becomes
nodes through :mod:`compiler.model.markdown` (no HTML is held in the model); dates come from the manifest or
``SOURCE_DATE_EPOCH``, never from the clock.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
import uuid
from urllib.parse import urlsplit
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from markdown_it import MarkdownIt

from compiler import files, ids
from compiler.errors import CompilerError, Diagnostic
from compiler.ingest.text import shown
from compiler.manifest import Validated
from compiler.manifest.schema import ChapterSpec, MatterSpec, isbn_digits
from compiler.model.kinds import SECTION_KINDS
from compiler.model.entries import Entry
from compiler.model.charts import Declared, check_sources, parse_chart
from compiler.model.markdown import MarkdownTooDeep, parse_markdown
from compiler.model.nodes import CodeBlock, Content, map_text, plain_text
from compiler.model.types import (
    Book, Chapter, Cover, Metadata, Output, Post, PrintEdition, Redaction, Section,
)

# The checker of editorial Markdown (parse_markdown makes the nodes). Nesting past markdown-it's limit
# is dropped silently: parse deeper than any book may go, and refuse (E258) what goes past MAX_NESTING,
# so that no word is ever lost.
class _Markdown(MarkdownIt):
    def validateLink(self, url: str) -> bool:  # noqa: N802 - markdown-it's name
        """Every link is a link token, judged by :func:`_link` (E257): none turns into text unsaid."""
        return True


_MD = _Markdown("commonmark", {"xhtmlOut": True, "html": False, "typographer": True,
                               "maxNesting": 100}).enable(
    ["replacements", "smartquotes"]).disable("image")



#: The deepest nesting of blocks and inline markup in editorial Markdown (the layout engine recurses
#: once for each level, and a book never needs more).
MAX_NESTING = 24

#: Where a link in editorial Markdown may point: the web, mail, or an element of the book itself.
_LINK_SCHEMES = ("http", "https", "mailto")


@dataclass(frozen=True, slots=True)
class _Link:
    file: str
    line: int
    href: str


def check_markdown(text: str, name: str = "", links: list[_Link] | None = None,
                   charts: list[Declared] | None = None) -> None:
    """Check editorial Markdown before it becomes nodes. A link that would leave the book (a
    relative or absolute path, another scheme) is an error at its line (E257); in-book links
    (``#id``) are collected in ``links``, to be checked once every id is known. Nesting deeper than
    the parser can follow is E258, never a crash."""
    too_deep = CompilerError(Diagnostic("E258", f"Markdown nested more than {MAX_NESTING} deep", name,
                                        hint="unnest the emphasis, quotes or lists"))
    try:
        tokens = _MD.parse(text)
    except RecursionError:
        raise too_deep from None
    for token in tokens:
        line = token.map[0] + 1 if token.map else 0
        depth = token.level
        if token.type == "fence" and token.info.strip() == "chart":
            if token.level or charts is None:
                raise CompilerError(Diagnostic("E190", "a chart must stand on its own, in a chapter intro or "
                                               "a front or back matter file", name, line,
                                               hint="move the chart block out of the quote or list"))
            charts.append(parse_chart(token.content, name, line))
        if depth > MAX_NESTING:
            raise CompilerError(replace(too_deep.diagnostics[0], line=line))
        for child in token.children or ():
            depth += child.nesting
            if depth > MAX_NESTING:
                raise CompilerError(replace(too_deep.diagnostics[0], line=line))
            if child.type == "link_open":
                _link(_Link(name, line, str(child.attrGet("href") or "")), links)


def _link(link: _Link, links: list[_Link] | None) -> None:
    if link.href.startswith("#"):
        if links is not None:
            links.append(link)
        return
    parts = urlsplit(link.href)
    scheme = parts.scheme.lower()
    if scheme not in _LINK_SCHEMES or (scheme != "mailto" and not parts.netloc):
        raise CompilerError(Diagnostic("E257", f"link to '{shown(link.href)}' leaves the book", link.file,
                                       link.line, hint="link to http(s)://host/…, mailto: or #an-id-in-the-book"))


def _check_links(book: Book, links: list[_Link]) -> None:
    """Every ``#id`` an editorial link names is an element of the book (E257 otherwise)."""
    known = {i for s in (*book.front, *book.back) for i in ids.section_element_ids(s.id)}
    known |= {i for c in book.chapters for i in ids.chapter_ids(c.id, bool(c.intro.blocks))}
    known |= {i for p in book.posts for i in ids.post_ids(p)}
    problems = [Diagnostic("E257", f"link to '{shown(link.href)}': the book has no such id", link.file, link.line,
                           hint="link to a post id, chapter-<chapter id> or a section id")
                for link in links if link.href[1:] not in known]
    if problems:
        raise CompilerError(problems)


_H1 = re.compile(r"^\s*#\s+(.+?)\s*#*\s*$", re.M)


def markdown(text: str, name: str, links: list[_Link] | None = None,
             charts: list[Declared] | None = None) -> Content:
    """Editorial Markdown as nodes, checked (:func:`check_markdown`); raw HTML in it stays text.
    ``name``: the file, for the error. Chart blocks become :class:`Chart` nodes (and are collected
    in ``charts``, to be checked against their posts once the book is known)."""
    mine: list[Declared] = []
    check_markdown(text, name, links, mine if charts is not None else None)
    try:
        content = parse_markdown(text)
    except MarkdownTooDeep as exc:
        raise CompilerError(Diagnostic("E258", f"Markdown nested too deep: {exc}", name,
                                       hint="flatten the quotes or lists")) from None
    if not mine:
        return content
    assert charts is not None
    charts.extend(mine)
    drawn = iter(d.chart for d in mine)
    return replace(content, blocks=tuple(
        next(drawn) if isinstance(b, CodeBlock) and b.language == "chart" else b for b in content.blocks))


def _split_title(text: str, name: str) -> tuple[str | None, str]:
    match = _H1.search(text)
    if match and not text[: match.start()].strip():
        return plain_text(markdown(match[1], name)), "\n" * text[: match.end()].count("\n") + text[match.end():]
    return None, text


def correct_post(post: Post, fn: Callable[[str], str]) -> Post:
    """Apply a correction ``fn`` to a post's title and to every text of its body (all roles: a
    misspelt name is as wrong in an alt text or a caption), through the one generic walk."""
    return replace(post, title=fn(post.title), content=map_text(post.content, fn))


def build_date(book_date: dt.date | None) -> tuple[dt.date, dt.datetime]:
    """The book's date and its modification time: ``SOURCE_DATE_EPOCH`` wins, then the manifest."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        try:
            modified = dt.datetime.fromtimestamp(int(epoch), tz=dt.timezone.utc)
        except (ValueError, OverflowError, OSError):
            raise CompilerError(Diagnostic("E231", f"SOURCE_DATE_EPOCH={epoch!r} is not a Unix time",
                                           "environment", hint="set it to whole seconds, e.g. 1700000000")) from None
        return book_date or modified.date(), modified
    if book_date is None:
        raise CompilerError(Diagnostic("E230", "the book has no date", "book.yaml",
                                       hint="set book.date in the manifest or SOURCE_DATE_EPOCH"))
    return book_date, dt.datetime.combine(book_date, dt.time(), tzinfo=dt.timezone.utc)


def _section(root: Path, spec: MatterSpec, part: str, used: set[str], pages: dict[str, Entry],
             links: list[_Link], charts: list[Declared]) -> Section:
    """A front or back matter section: editorial Markdown, or a page of an export (by slug)."""
    kind = spec.kind_in(part)
    if spec.page is not None:
        page = pages[spec.page]
        return Section(ids.section_id(kind, used), kind, spec.title or page.title or SECTION_KINDS[kind].title,
                       page.content)
    assert spec.file is not None  # the schema asks for a file or a page
    title, body = _split_title(files.read_text(root / spec.file), spec.file)
    return Section(ids.section_id(kind, used), kind, spec.title or title or SECTION_KINDS[kind].title,
                   markdown(body, spec.file, links, charts))


def _replace(text: str, find: str, by: str) -> str:
    return text.replace(find, by)


def _corrected(posts: tuple[Post, ...], validated: Validated) -> dict[str, Post]:
    by_id = {p.id: p for p in posts}
    for fix in validated.spec.corrections:
        by_id[fix.post] = correct_post(by_id[fix.post], functools.partial(_replace, find=fix.find, by=fix.replace))
    return by_id


def assemble(validated: Validated, redact: Callable[[Book], Book] | None = None) -> Book:
    """Build the complete book model; nothing has been written yet."""
    spec, root = validated.spec, validated.root
    date, modified = build_date(spec.book.date)
    identifier = spec.book.identifier or (f"urn:isbn:{isbn_digits(spec.book.isbn)}" if spec.book.isbn else
                                          f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, spec.book.title)}")
    meta = Metadata(
        title=spec.book.title, subtitle=spec.book.subtitle, authors=tuple(spec.book.authors),
        language=spec.book.language, publisher=spec.book.publisher, date=date, modified=modified,
        identifier=identifier, rights=spec.book.rights, description=spec.book.description,
        subjects=tuple(spec.book.subjects), cover=Cover(**spec.book.cover.model_dump()),
        names_changed=bool(spec.redactions), isbn=spec.book.isbn or "", edition=spec.book.edition)
    posts = _corrected(validated.posts, validated)
    used: set[str] = set()
    pages = {p.slug: p for p in reversed(validated.pages)}  # the first export's page of a slug wins
    links: list[_Link] = []
    charts: list[Declared] = []
    front = tuple(_section(root, s, "front_matter", used, pages, links, charts) for s in spec.front_matter)
    back = tuple(_section(root, s, "back_matter", used, pages, links, charts) for s in spec.back_matter)

    def placed(post_id: str, comments: bool) -> Post:
        post = posts[post_id]
        return post if comments or not post.thread else replace(post, thread=())

    def intro(c: ChapterSpec) -> Content:
        if c.page is not None:  # a page of an export is the chapter's text
            return pages[c.page].content
        return markdown(files.read_text(root / c.intro), c.intro, links, charts) if c.intro else Content()

    # validated.chapters: each chapter's posts as the rules chose and sorted them (compiler.manifest.rules)
    chapters = tuple(
        Chapter(id=c.id, number=n, title=c.title, subtitle=c.subtitle, intro=intro(c),
                posts=tuple(placed(p, spec.comments if c.comments is None else c.comments)
                            for p in validated.chapters[c.id]))
        for n, c in enumerate(spec.chapters, 1))
    output = Output(directory=(root / spec.output.dir), basename=spec.output.basename,
                    formats=tuple(spec.output.formats), page_size=spec.output.page_size,
                    print_editions=tuple(PrintEdition(p.service, p.paper, p.trim, p.bleed) for p in (
                        spec.output.print if isinstance(spec.output.print, list) else [spec.output.print])),
                    style_dir=(root / spec.output.style), show_tags=spec.output.show_tags,
                    names=tuple(spec.hyphenation.names))
    book = Book(meta=meta, front=front, chapters=chapters, back=back, output=output, root=root,
                sources=tuple(Path(os.path.relpath(p, root)).as_posix() for p in validated.sources),
                redactions=tuple(Redaction(r.term, r.replacement) for r in spec.redactions),
                source_formats=validated.formats)
    _check_links(book, links)
    check_sources(charts, {p.id: p for p in book.posts})
    return redact(book) if redact else book
