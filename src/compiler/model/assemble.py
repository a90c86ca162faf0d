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
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from compiler import files, ids
from compiler.errors import CompilerError, Diagnostic
from compiler.manifest import Validated
from compiler.manifest.schema import MatterSpec
from compiler.model.kinds import SECTION_KINDS
from compiler.model.entries import Entry
from compiler.model.markdown import MarkdownTooDeep, parse_markdown
from compiler.model.nodes import Content, map_text, plain_text
from compiler.model.types import (
    Book, Chapter, Cover, Metadata, Output, Post, Redaction, Section,
)

_H1 = re.compile(r"^\s*#\s+(.+?)\s*#*\s*$", re.M)


def markdown(text: str, name: str) -> Content:
    """Editorial Markdown as nodes; raw HTML in it stays text. ``name``: the file, for the error."""
    try:
        return parse_markdown(text)
    except MarkdownTooDeep as exc:
        raise CompilerError(Diagnostic("E257", f"Markdown nested too deep: {exc}", name,
                                       hint="flatten the quotes or lists")) from None


def _split_title(text: str, name: str) -> tuple[str | None, str]:
    match = _H1.search(text)
    if match and not text[: match.start()].strip():
        return plain_text(markdown(match[1], name)), text[match.end():]
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


def _section(root: Path, spec: MatterSpec, part: str, used: set[str], pages: dict[str, Entry]) -> Section:
    """A front or back matter section: editorial Markdown, or a page of an export (by slug)."""
    kind = spec.kind_in(part)
    if spec.page is not None:
        page = pages[spec.page]
        return Section(ids.section_id(kind, used), kind, spec.title or page.title or SECTION_KINDS[kind].title,
                       page.content)
    assert spec.file is not None  # the schema asks for a file or a page
    title, body = _split_title(files.read_text(root / spec.file), spec.file)
    return Section(ids.section_id(kind, used), kind, spec.title or title or SECTION_KINDS[kind].title,
                   markdown(body, spec.file))


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
    identifier = spec.book.identifier or f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, spec.book.title)}"
    meta = Metadata(
        title=spec.book.title, subtitle=spec.book.subtitle, authors=tuple(spec.book.authors),
        language=spec.book.language, publisher=spec.book.publisher, date=date, modified=modified,
        identifier=identifier, rights=spec.book.rights, description=spec.book.description,
        subjects=tuple(spec.book.subjects), cover=Cover(**spec.book.cover.model_dump()),
        names_changed=bool(spec.redactions))
    posts = _corrected(validated.posts, validated)
    used: set[str] = set()
    pages = {p.slug: p for p in reversed(validated.pages)}  # the first export's page of a slug wins
    front = tuple(_section(root, s, "front_matter", used, pages) for s in spec.front_matter)
    back = tuple(_section(root, s, "back_matter", used, pages) for s in spec.back_matter)

    def placed(post_id: str, comments: bool) -> Post:
        post = posts[post_id]
        return post if comments or not post.thread else replace(post, thread=())

    chapters = tuple(
        Chapter(id=c.id, number=n, title=c.title, subtitle=c.subtitle,
                intro=markdown(files.read_text(root / c.intro), c.intro) if c.intro else Content(),
                posts=tuple(placed(p, spec.comments if c.comments is None else c.comments)
                            for p in validated.chapters[c.id]))
        for n, c in enumerate(spec.chapters, 1))
    output = Output(directory=(root / spec.output.dir), basename=spec.output.basename,
                    formats=tuple(spec.output.formats), page_size=spec.output.page_size,
                    style_dir=(root / spec.output.style))
    book = Book(meta=meta, front=front, chapters=chapters, back=back, output=output, root=root,
                sources=tuple(Path(os.path.relpath(p, root)).as_posix() for p in validated.sources),
                redactions=tuple(Redaction(r.term, r.replacement) for r in spec.redactions),
                source_formats=validated.formats)
    return redact(book) if redact else book
