"""Redaction: replace protected names everywhere in the book model.

Applied to the model before anything is templated, so that titles, text,
metadata, ids and anchors all carry the replacement. Every text of the model
is reached through the one generic walk, :func:`compiler.model.nodes.map_text`,
over all text roles (prose, alt text, code, URLs): a field added to a node,
a post, a section, a chapter or the metadata cannot escape it. Matching is done in
:mod:`compiler.fold`, the normalisation the leak scan uses too: any case,
diacritics and other combining marks, invisible characters, compatibility
forms and look-alike letters from other scripts (``Natasha's``, ``NATÁSHA``,
``N\u0430t\u0430sh\u0430``, ``Nata-sha``, ``N a t a s h a``), and names
joined to other words at a change of case or a digit (``NatashaIvanova``,
``natasha2012``). The replacement goes into the original text, at the
original characters the match folded from. A match inside a word
(``xnatashay``) is left for the leak scan, which refuses the build.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from compiler.dedup import make_slug
from compiler.fold import Finder
from compiler.model import Book, Chapter, Post, Redaction, Section
from compiler.model.nodes import map_text


def _redact_one(text: str, redaction: Redaction) -> str:
    pieces: list[str] = []
    done = 0
    for o in Finder(text).find(redaction.term):
        if o.bounded and o.start >= done:
            pieces += [text[done:o.start], redaction.replacement, text[o.plural:o.end]]
            done = o.end
    return "".join(pieces) + text[done:] if pieces else text


def redact_text(text: str, redactions: tuple[Redaction, ...]) -> str:
    """Replace every redacted term in ``text`` that stands as a word (see the module docstring)."""
    for r in redactions if text else ():
        text = _redact_one(text, r)
    return text


def redact_id(ident: str, redactions: tuple[Redaction, ...]) -> str:
    """An id (slug) with redacted terms replaced, still a valid slug. A slug has lost the case that
    shows where a word ends, so here a word holding a term anywhere is replaced whole."""
    spaced = ident.replace("-", " ")
    fixed = redact_text(spaced, redactions)
    for r in redactions:
        finder = Finder(fixed)
        words = {(fixed.rfind(" ", 0, o.start) + 1, (fixed + " ").find(" ", o.end)) for o in finder.find(r.term)}
        for start, end in sorted(words, reverse=True):
            fixed = fixed[:start] + r.replacement + fixed[end:]
    return ident if fixed == spaced else make_slug(fixed)


_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def redact_field(text: str, redactions: tuple[Redaction, ...]) -> str:
    """A field of plain data (the report) that may be an id: a slug is redacted as an id, any other
    text as text."""
    return redact_id(text, redactions) if _SLUG.fullmatch(text) else redact_text(text, redactions)


def redact_value(value: Any, fix: Callable[[str], str]) -> Any:
    """Apply ``fix`` to every string inside plain data (dicts, lists, tuples)."""
    if isinstance(value, str):
        return fix(value)
    if isinstance(value, dict):
        return {redact_value(k, fix): redact_value(v, fix) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(redact_value(v, fix) for v in value)
    return value


def redact(book: Book) -> Book:
    """Apply the book's redactions to every text, id and field of the model. Ids stay unique: an id
    that redaction turns into one already used (``natashaivanova-story`` and ``natashapetrova-story``
    both become ``n-story``) takes a number (``n-story-2``)."""
    rs = book.redactions
    if not rs:
        return book
    used = {c.id for c in book.chapters} | {p.id for c in book.chapters for p in c.posts} | \
        {s.id for s in (*book.front, *book.back)}

    def fix(text: str) -> str:
        return redact_text(text, rs)

    def unique(ident: str) -> str:
        new = redact_id(ident, rs)
        if new == ident:
            return ident
        candidate, n = new, 2
        while candidate in used:
            candidate, n = f"{new}-{n}", n + 1
        used.add(candidate)
        return candidate

    def post(p: Post) -> Post:
        return replace(map_text(p, fix), id=unique(p.id))

    def chapter(c: Chapter) -> Chapter:
        return replace(map_text(replace(c, posts=()), fix), id=unique(c.id), posts=tuple(post(p) for p in c.posts))

    def section(s: Section) -> Section:
        return replace(map_text(s, fix), id=unique(s.id))

    return replace(
        book, meta=map_text(book.meta, fix), chapters=tuple(chapter(c) for c in book.chapters),
        front=tuple(section(s) for s in book.front), back=tuple(section(s) for s in book.back),
        output=replace(book.output, basename=redact_id(book.output.basename, rs)))
