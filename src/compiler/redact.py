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
original characters the match folded from. Text holding ``%XX`` is searched
percent-decoded too (``example.org/N%61tasha``), and a match there replaces
the encoded characters it came from. A match inside a word (``xnatashay``)
is left for the leak scan, which refuses the build.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from compiler.dedup import make_slug
from compiler.fold import Finder, Occurrence
from compiler.model import Book, Chapter, Post, Redaction, Section
from compiler.model.nodes import map_text


_PERCENT = re.compile(r"(?:%[0-9A-Fa-f]{2})+")


def _unquoted(text: str) -> tuple[str, list[tuple[int, int]]]:
    """``text`` with one level of percent-encoding undone, and for each character the span of
    ``text`` it was decoded from (a UTF-8 sequence: all its ``%XX``)."""
    chars: list[str] = []
    spans: list[tuple[int, int]] = []
    done = 0
    for m in _PERCENT.finditer(text):
        chars += text[done:m.start()]
        spans += [(i, i + 1) for i in range(done, m.start())]
        decoder, start = codecs.getincrementaldecoder("utf-8")("replace"), m.start()
        for k in range(m.start(), m.end() + 3, 3):
            out = decoder.decode(bytes([int(text[k + 1:k + 3], 16)])) if k < m.end() else decoder.decode(b"", True)
            chars += out
            spans += [(start, min(k + 3, m.end()))] * len(out)
            start = k + 3 if out else start
        done = m.end()
    return "".join(chars) + text[done:], spans + [(i, i + 1) for i in range(done, len(text))]


def percent_decoded(text: str) -> tuple[str, list[tuple[int, int]]]:
    """``text`` with its percent-encoding undone until nothing changes (``%2561`` is ``a``), and for
    each character the span of ``text`` it came from."""
    spans = [(i, i + 1) for i in range(len(text))]
    while _PERCENT.search(text):
        decoded, inner = _unquoted(text)
        if decoded == text:
            break
        text, spans = decoded, [(spans[a][0], spans[b - 1][1]) for a, b in inner]
    return text, spans


def _replace(text: str, found: list[Occurrence], replacement: str,
             spans: list[tuple[int, int]] | None = None) -> str:
    """``text`` with each bounded occurrence replaced (``spans``: where in ``text`` each character of
    the text the occurrences were found in came from)."""
    pieces: list[str] = []
    done = 0
    for o in found:
        start, end, plural = o.start, o.end, o.plural
        if spans is not None:
            start, end = spans[o.start][0], spans[o.end - 1][1]
            plural = spans[o.plural][0] if o.plural < o.end else end
        if o.bounded and start >= done:
            pieces += [text[done:start], replacement, text[plural:end]]
            done = end
    return "".join(pieces) + text[done:] if pieces else text


def _redact_one(text: str, redaction: Redaction) -> str:
    text = _replace(text, Finder(text).find(redaction.term), redaction.replacement)
    if _PERCENT.search(text):  # a URL typed in a post: N%61tasha, %4E%41%54%41%53%48%41
        decoded, spans = percent_decoded(text)
        if decoded != text:
            text = _replace(text, Finder(decoded).find(redaction.term), redaction.replacement, spans)
    return text


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
