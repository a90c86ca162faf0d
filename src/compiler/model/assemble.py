"""Assemble the frozen :class:`Book` from a validated manifest.

This is the model stage: editor's corrections and redactions are applied
here, to the model, before anything is templated; editorial Markdown is
rendered with markdown-it-py; dates come from the manifest or
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
from compiler.manifest.schema import MatterSpec
from compiler.model.kinds import SECTION_KINDS
from compiler.model.types import (
    Block, Book, Chapter, Cover, Metadata, Output, Post, Redaction, Section,
)

# Raw HTML in Markdown shows as text; images are off (nothing is fetched for editorial text).
# Nesting past markdown-it's limit is dropped silently: parse deeper than any book may go, and refuse
# (E258) what goes past MAX_NESTING, so that no word is ever lost.
class _Markdown(MarkdownIt):
    def validateLink(self, url: str) -> bool:  # noqa: N802 - markdown-it's name
        """Every link is a link token, judged by :func:`_link` (E257): none turns into text unsaid."""
        return True


_MD = _Markdown("commonmark", {"xhtmlOut": True, "html": False, "typographer": True,
                               "maxNesting": 100}).enable(
    ["replacements", "smartquotes"]).disable("image")
_H1 = re.compile(r"^\s*#\s+(.+?)\s*#*\s*$", re.M)



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


def markdown(text: str, name: str = "", links: list[_Link] | None = None) -> str:
    """Render editorial Markdown to XHTML; raw HTML in it is shown as text. A link that would
    leave the book (a relative or absolute path, another scheme) is an error at its line (E257);
    in-book links (``#id``) are collected in ``links``, to be checked once every id is known.
    Nesting deeper than the parser can follow is E258, never a crash."""
    too_deep = CompilerError(Diagnostic("E258", f"Markdown nested more than {MAX_NESTING} deep", name,
                                        hint="unnest the emphasis, quotes or lists"))
    try:
        tokens = _MD.parse(text)
    except RecursionError:
        raise too_deep from None
    for token in tokens:
        line = token.map[0] + 1 if token.map else 0
        depth = token.level
        if depth > MAX_NESTING:
            raise CompilerError(replace(too_deep.diagnostics[0], line=line))
        for child in token.children or ():
            depth += child.nesting
            if depth > MAX_NESTING:
                raise CompilerError(replace(too_deep.diagnostics[0], line=line))
            if child.type == "link_open":
                _link(_Link(name, line, str(child.attrGet("href") or "")), links)
    return _MD.renderer.render(tokens, _MD.options, {})


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
    known |= {i for c in book.chapters for i in ids.chapter_ids(c.id, bool(c.intro_html))}
    known |= {i for p in book.posts for i in ids.post_ids(p)}
    problems = [Diagnostic("E257", f"link to '{shown(link.href)}': the book has no such id", link.file, link.line,
                           hint="link to a post id, chapter-<chapter id> or a section id")
                for link in links if link.href[1:] not in known]
    if problems:
        raise CompilerError(problems)


def _split_title(text: str) -> tuple[str | None, str]:
    match = _H1.search(text)
    if match and not text[: match.start()].strip():
        return _MD.renderInline(match[1]), "\n" * text[: match.end()].count("\n") + text[match.end():]
    return None, text


def map_blocks(blocks: tuple[Block, ...], fn: Callable[[str], str]) -> tuple[Block, ...]:
    """Apply ``fn`` to every text of every block, keeping the structure."""
    return tuple(
        replace(b, text=fn(b.text), lines=tuple(fn(x) for x in b.lines), children=map_blocks(b.children, fn))
        for b in blocks
    )


def map_post(post: Post, fn: Callable[[str], str]) -> Post:
    """Apply ``fn`` to a post's title and text."""
    return replace(post, title=fn(post.title), blocks=map_blocks(post.blocks, fn))


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


def _section(root: Path, spec: MatterSpec, used: set[str], links: list[_Link]) -> Section:
    title, body = _split_title(files.read_text(root / spec.file))
    return Section(ids.section_id(spec.kind, used), spec.kind, spec.title or title or SECTION_KINDS[spec.kind].title,
                   markdown(body, spec.file, links))


def _replace(text: str, find: str, by: str) -> str:
    return text.replace(find, by)


def _corrected(posts: tuple[Post, ...], validated: Validated) -> dict[str, Post]:
    by_id = {p.id: p for p in posts}
    for fix in validated.spec.corrections:
        by_id[fix.post] = map_post(by_id[fix.post], functools.partial(_replace, find=fix.find, by=fix.replace))
    return by_id


def assemble(validated: Validated, redact: Callable[[Book], Book] | None = None) -> Book:
    """Build the complete book model; nothing has been written yet."""
    spec, root = validated.spec, validated.root
    date, modified = build_date(spec.book.date)
    identifier = spec.book.identifier or f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, spec.book.title)}"
    meta = Metadata(
        title=spec.book.title, subtitle=spec.book.subtitle, authors=tuple(spec.book.authors),
        language=spec.book.language, publisher=spec.book.publisher, date=date, modified=modified,
        identifier=identifier, rights=spec.book.rights, description=spec.book.description,
        subjects=tuple(spec.book.subjects), cover=Cover(**spec.book.cover.model_dump()),
        names_changed=bool(spec.redactions))
    posts = _corrected(validated.posts, validated)
    used: set[str] = set()
    links: list[_Link] = []
    front = tuple(_section(root, s, used, links) for s in spec.front_matter)
    back = tuple(_section(root, s, used, links) for s in spec.back_matter)
    chapters = tuple(
        Chapter(id=c.id, number=n, title=c.title, subtitle=c.subtitle,
                intro_html=markdown(files.read_text(root / c.intro), c.intro, links) if c.intro else "",
                posts=tuple(posts[p] for p in validated.chapters[c.id]))
        for n, c in enumerate(spec.chapters, 1))
    output = Output(directory=(root / spec.output.dir), basename=spec.output.basename,
                    formats=tuple(spec.output.formats), page_size=spec.output.page_size,
                    style_dir=(root / spec.output.style))
    book = Book(meta=meta, front=front, chapters=chapters, back=back, output=output, root=root,
                sources=tuple(p.relative_to(root).as_posix() for p in validated.sources),
                redactions=tuple(Redaction(r.term, r.replacement) for r in spec.redactions))
    _check_links(book, links)
    return redact(book) if redact else book
