"""Static-site Markdown (Hugo, Jekyll, Eleventy, Pelican): a folder of posts, or post files, as a source.

A source is a site's folder (its root, or ``content/posts/``, ``_posts/``…) or
one Markdown post file (a glob such as ``content/posts/*.md``). A file is
recognised by its content: front matter between ``---`` (YAML) or ``+++``
(TOML) lines, or Pelican's ``Title:`` lines; a folder by the Markdown files
it holds (:mod:`.site`).

Each post: its front matter (:mod:`.frontmatter`: ``title``, ``date``,
``draft``, ``tags``, ``categories``, ``authors``/``author`` as text or a list,
``slug``, ``summary``), its body through Markdown and the HTML allow-list
(:mod:`.body`), Hugo shortcodes and Liquid tags removed with a warning
(:mod:`.tags`), images resolved to the site's local files. Drafts
(``draft: true``, Jekyll's ``published: false`` and ``_drafts/``, Pelican's
``Status: draft``) are left out and counted unless ``include_status`` has
``draft``. Pages (:func:`.site.page_kind`) are kept apart, for front and back
matter by slug.

Codes: E160–E163 and E167 (front matter: see :mod:`.frontmatter`; dates E180–E184
through :mod:`compiler.ingest.dates`), ``E169`` Markdown nested too deep (:mod:`.body`),
``E164`` a post file over :data:`MAX_POST_BYTES` (refused by its size before
it is read), ``E165`` a post that is not UTF-8, ``E166`` a folder without a
post, ``E172`` a folder too big to be a blog; warnings ``W160`` a template
tag removed, ``W161`` an image not found (its alt text is printed),
``W162`` a front matter key given twice, ``W163`` a post without a date.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from compiler import files
from compiler.errors import CompilerError, Diagnostic
from compiler.ingest import ReadOptions, Reader, Source
from compiler.ingest.static import site as sites
from compiler.ingest.static.body import html_content, map_images, markdown_content
from compiler.ingest.static.frontmatter import FrontMatter, post_date, split
from compiler.ingest.static.tags import strip_tags
from compiler.ingest.text import first_control, shown
from compiler.model import DateSpan, PostCopy, Seen
from compiler.model.entries import Category, Entry, LeftOut
from compiler.model.nodes import Content, Image, Paragraph, Text

#: A post file larger than this is refused before it is read (a long blog post is 100 kB of text).
MAX_POST_BYTES = 1024 * 1024
#: Longest title, in characters (as archive pages): a longer one is a paragraph where a title belongs.
MAX_TITLE = 300
UNTITLED = "Untitled"
_REPO_FILES = {"readme", "license", "licence", "changelog", "contributing", "source", "code_of_conduct",
               "security", "authors", "notice"}
_OTHER_READERS = {".txt", ".xml", ".html", ".htm", ".rss", ".atom"}
_FALSE = {False, "false", "no", "0", "off"}
_TRUE = {True, "true", "yes", "1", "on"}


def _sniff(head: bytes) -> bool:
    """Front matter on the first line (``---`` or ``+++``), or Pelican's ``Title:`` line."""
    text = head.removeprefix(b"\xef\xbb\xbf")
    first, _, rest = text.partition(b"\n")
    first = first.rstrip(b" \t\r")
    if first in (b"---", b"+++"):
        return bool(rest.strip()) and not rest.lstrip().startswith((b"<", b"{"))
    return first.lower().startswith(b"title:") and b"\ndate:" in text.lower()


def _is_site(folder: Path) -> bool:
    """A site's root, a folder of Markdown posts, or a folder holding no file another reader reads
    (whose reading then says it holds no post, E166)."""
    site = sites.find_site(folder)
    if site.generator and site.root.resolve() == folder.resolve():
        return True
    try:
        if next(iter(sites.markdown_files(folder)), None) is not None:
            return True
    except sites.TooMany:
        return True
    try:
        return not any(p.suffix.lower() in _OTHER_READERS for p in folder.iterdir())
    except OSError:
        return False


def _error(code: str, message: str, name: str, line: int, hint: str) -> CompilerError:
    return CompilerError(Diagnostic(code, message, name, line, hint=hint))


def _text(path: Path, name: str) -> str:
    """A post file's text: refused by size before it is read (E164), UTF-8 only (E165)."""
    try:
        size = os.stat(path).st_size
    except OSError as exc:
        raise _error("E102", f"cannot read file: {exc.strerror}", name, 0, "check the path and its permissions")
    if size > MAX_POST_BYTES:
        raise _error("E164", f"the post is {size:,} bytes, over the limit of {MAX_POST_BYTES:,}", name, 0,
                     "a blog post is a few kilobytes of text: remove the file or split it")
    data = files.read_bytes(path, MAX_POST_BYTES)
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise _error("E165", "the post holds NUL bytes: it is binary or UTF-16, not UTF-8 text", name, line,
                     "save it as UTF-8")
    try:
        text = data.removeprefix(b"\xef\xbb\xbf").decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise _error("E165", f"byte 0x{data[exc.start]:02x} is not UTF-8 (mixed or legacy encodings are not read)",
                     name, line, "re-save the file as UTF-8, as site generators require") from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    for number, line_text in enumerate(text.split("\n"), 1):
        if (column := first_control(line_text)) is not None and line_text[column] != "\t":
            raise CompilerError(Diagnostic("E165", f"control character U+{ord(line_text[column]):04X} in the post",
                                           name, number, column + 1, "remove it: no output can show it"))
    return text


def _names(value: Any, split_spaces: bool = False) -> tuple[str, ...]:
    """Tags, categories or authors given as text or a list."""
    if value is None or value == "":
        return ()
    if isinstance(value, (list, tuple)):
        items = [str(v) for v in value if isinstance(v, (str, int, float)) and str(v).strip()]
    elif isinstance(value, dict):
        items = [str(value.get("name") or "")]
    elif isinstance(value, str):
        items = value.split() if split_spaces else value.split(",") if "," in value else [value]
    else:
        items = [str(value)]
    return tuple(dict.fromkeys(" ".join(i.split()) for i in items if i.strip()))


def _field_text(fm: FrontMatter, key: str, name: str) -> str:
    value = fm.fields.get(key)
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        raise _error("E163", f"'{key}' is a {'list' if isinstance(value, list) else 'mapping'}, not text", name,
                     fm.lines.get(key, 1), f"write the {key} as text")
    return " ".join(str(value).split())


def _is_draft(fm: FrontMatter, path: Path) -> bool:
    f = fm.fields
    draft = f.get("draft")
    draft = draft.lower() if isinstance(draft, str) else draft
    published = f.get("published")
    published = published.lower() if isinstance(published, str) else published
    status = str(f.get("status") or "").lower()
    return draft in _TRUE or published in _FALSE or status in ("draft", "hidden") or "_drafts" in path.parts


@dataclass
class _Reading:
    """One site being read: what it gave so far."""

    site: sites.Site
    base: Path  # what names are shown relative to
    prefix: str  # the source's name as given
    options: ReadOptions
    copies: list[PostCopy] = field(default_factory=list)
    pages: list[Entry] = field(default_factory=list)
    left_out: list[LeftOut] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)

    def shown_name(self, path: Path) -> str:
        try:
            rel = path.relative_to(self.base).as_posix()
        except ValueError:
            return self.prefix
        return f"{self.prefix.rstrip('/')}/{rel}" if rel != "." else self.prefix

    def read(self, path: Path, name: str, folder: bool) -> None:
        text = _text(path, name)
        fm = split(text, name)
        for warning in fm.warnings:
            self.warn(warning)
        stem = path.stem.lower()
        if folder and not fm.kind and (stem in _REPO_FILES or self.site.generator not in ("hugo", "")):
            return  # a repository's README, or a file the generator itself would not publish
        if folder and sites.is_bundle_resource(path):
            return
        kind = sites.page_kind(self.site, path, fm.fields)
        if kind == "list":
            return
        title = _field_text(fm, "title", name)
        if len(title) > MAX_TITLE:
            raise _error("E163", f"the title is {len(title):,} characters long, over the limit of {MAX_TITLE}", name,
                         fm.lines.get("title", 1), "shorten it: a title is a line")
        date_key = next((k for k in ("date", "publishdate", "pubdate", "published_at") if fm.fields.get(k)), "date")
        raw_date = fm.fields.get(date_key) or sites.file_date(path)
        date = post_date(raw_date, name, fm.lines.get(date_key, 1)) if raw_date else None
        if _is_draft(fm, path) and "draft" not in self.options.include_status:
            self.left_out.append(LeftOut(0, kind, title or path.stem, "draft"))
            return
        content = self.body(fm, path, name, title or path.stem)
        if not title:
            title = _first_heading(fm.body) or sites.slug_of(path, fm.fields).replace("-", " ").strip() or UNTITLED
        generator_jekyll = self.site.generator == "jekyll"
        tags = _names(fm.fields.get("tags") or fm.fields.get("tag"), generator_jekyll)
        categories = _names(fm.fields.get("categories") or fm.fields.get("category"), generator_jekyll)
        authors = _names(fm.fields.get("authors") or fm.fields.get("author"))
        summary = _field_text(fm, "summary", name) or _field_text(fm, "description", name)
        excerpt = False
        if not content.blocks and summary:
            content, excerpt = Content((Paragraph((Text(summary),)),)), True
        if kind == "page":
            self.pages.append(Entry(0, "page", sites.slug_of(path, fm.fields), title, "",
                                    authors[0] if authors else "", date.replace(tzinfo=None) if date else None,
                                    categories=tuple(Category(c, c, (c,)) for c in categories), tags=tags,
                                    content=content, excerpt=summary))
            return
        if date is None:
            self.warn(f"{name}: W163 post {title[:60]!r} has no date; it is placed after the dated ones")
        day = date.date() if date else None
        self.copies.append(PostCopy(
            title=title, content=content, tags=tags, date=DateSpan(day, day) if day else None, comments=0,
            seen=Seen(name, 1, len(self.copies) + 1, f"{self.site.generator or 'Markdown'} post"),
            categories=categories, markup=True, authors=authors, category_paths=tuple((c,) for c in categories),
            status="draft" if _is_draft(fm, path) else "publish", excerpt=excerpt))

    def body(self, fm: FrontMatter, path: Path, name: str, title: str) -> Content:
        where = f"{name}: post {title[:60]!r}"

        def html_warning(message: str) -> None:  # the allow-list's (a dropped iframe): W120 naming the file
            self.warn(f"{name}: W120 {message.removeprefix(name + ': ')}")

        body = strip_tags(fm.body, name, fm.body_line, self.warn)
        if path.suffix.lower() in (".html", ".htm"):
            content = html_content(body, where, html_warning)
        else:
            content = markdown_content(body, name, where, fm.body_line, html_warning)

        def local(image: Image) -> Image:
            found = sites.resolve_image(self.site, path, image.src)
            if found is not None:
                try:
                    return replace(image, src=found.relative_to(self.site.root.resolve()).as_posix())
                except ValueError:
                    return image
            if "://" not in image.src and not image.src.startswith(("//", "data:")):
                alt = f"; its alt text {image.alt[:60]!r} is printed in its place" if image.alt else \
                    "; a framed placeholder is printed in its place"
                self.warn(f"{name}: W161 post {title[:60]!r}: image {shown(image.src, 80)} is not in the site's "
                          f"folders{alt}")
            return image

        return map_images(content, local)


def _first_heading(body: str) -> str:
    for line in body.split("\n")[:40]:
        if line.startswith("# "):
            return " ".join(line[2:].split()).strip("# ")
    return ""


def _read_path(path: Path, name: str, options: ReadOptions) -> Source:
    """A site's folder, or one post file."""
    site = sites.find_site(path)
    if not path.is_dir():
        reading = _Reading(site, path, name, options)
        reading.read(path, name, folder=False)
        return _source(reading, name, site)
    folder = path
    if site.root.resolve() == path.resolve() and site.generator in ("hugo", "pelican") and (path / "content").is_dir():
        folder = path / "content"
    try:
        found = sites.markdown_files(folder)
    except sites.TooMany as exc:
        what = "files and folders" if exc.kind == "entries" else "Markdown files"
        raise _error("E172", f"the folder holds more than {exc.limit:,} {what}: not a blog's posts", name, 0,
                     "name the folder that holds the posts, such as content/posts") from None
    reading = _Reading(site, path, name, options)
    for post in found:
        reading.read(post, reading.shown_name(post), folder=True)
    if not reading.copies:
        drafts = sum(1 for item in reading.left_out if item.reason == "draft")
        if drafts:
            raise _error("E166", f"the folder holds no published post: {drafts} draft{'s' if drafts != 1 else ''} "
                         "left out", name, 0, "publish one, or add 'include_status: [draft]' to book.yaml")
        raise _error("E166", "the folder holds no post", name, 0,
                     "name a site's folder, or its content/posts or _posts folder, holding Markdown posts")
    return _source(reading, name, site)


def _source(reading: _Reading, name: str, site: sites.Site) -> Source:
    meta = sites.site_meta(site)
    meta["media_root"] = str(site.root.resolve())  # the folder the posts' local image paths are relative to
    if not meta.get("author"):
        authors = [a for c in reading.copies for a in c.authors]
        if authors:
            meta["author"] = max(set(authors), key=lambda a: (authors.count(a), a))
    return Source(name, "static", tuple(reading.copies), tuple(reading.pages), tuple(reading.left_out),
                  tuple(reading.warnings), meta)


def _read_bytes(data: bytes, name: str, options: ReadOptions) -> Source:
    raise CompilerError(Diagnostic("E128", "a static site's post is read from its file", name,
                                   hint="name the file or its folder as a source"))


#: Static-site Markdown: post files by their front matter, and folders of them.
READER = Reader("static", "static-site Markdown (Hugo, Jekyll, Eleventy, Pelican)", _sniff, _read_bytes,
                folder=_is_site, read_path=_read_path)

__all__ = ["MAX_POST_BYTES", "READER"]
