"""Redaction: replace protected names everywhere in the book model.

Applied to the model before anything is templated, so that titles, text,
metadata, ids and anchors all carry the replacement. Matching is
case-insensitive, respects word boundaries, and catches possessives and
diacritic variants ("Natasha’s", "Natásha", "NATASHA").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import fields, replace
from functools import lru_cache
from typing import Any

from compiler.dedup import make_slug
from compiler.model import Book, Chapter, Post, Redaction


_MARKS = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]+")


def strip_marks(text: str) -> str:
    """Text without combining marks (diacritics), in NFC."""
    if text.isascii():
        return text
    return unicodedata.normalize("NFC", _MARKS.sub("", unicodedata.normalize("NFD", text)))


@lru_cache(maxsize=256)
def pattern(term: str) -> re.Pattern[str]:
    """A regex for ``term`` in NFD text: any diacritics, any case, whole words only
    (a bare plural or possessive "s" is caught too, and kept)."""
    parts = [r"[\s_-]+" if char.isspace() else re.escape(char) + "[\u0300-\u036f]*" for char in strip_marks(term)]
    return re.compile(r"(?<!\w)" + "".join(parts) + r"(?P<s>s?)(?!\w)", re.I)


def redact_text(text: str, redactions: tuple[Redaction, ...]) -> str:
    """Replace every redacted term in ``text``."""
    if not redactions or not text:
        return text
    decomposed = unicodedata.normalize("NFD", text)
    changed = decomposed
    for r in redactions:
        changed = pattern(r.term).sub(lambda m, rep=r.replacement: rep + m["s"], changed)
    return text if changed == decomposed else unicodedata.normalize("NFC", changed)


def redact_id(ident: str, redactions: tuple[Redaction, ...]) -> str:
    """An id (slug) with redacted terms replaced, still a valid slug."""
    spaced = ident.replace("-", " ")
    fixed = redact_text(spaced, redactions)
    return ident if fixed == spaced else make_slug(fixed)


def redact_value(value: Any, fix: Callable[[str], str]) -> Any:
    """Apply ``fix`` to every string inside plain data (dicts, lists, tuples)."""
    if isinstance(value, str):
        return fix(value)
    if isinstance(value, dict):
        return {redact_value(k, fix): redact_value(v, fix) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(redact_value(v, fix) for v in value)
    return value


def _strings(obj: Any, fix: Callable[[str], str]) -> Any:
    """A copy of a frozen dataclass with ``fix`` applied to its str and tuple-of-str fields."""
    changes = {}
    for f in fields(obj):
        value = getattr(obj, f.name)
        if isinstance(value, str) or (isinstance(value, tuple) and all(isinstance(v, str) for v in value)):
            changes[f.name] = redact_value(value, fix)
    return replace(obj, **changes)


def redact(book: Book) -> Book:
    """Apply the book's redactions to every text, id and field of the model."""
    from compiler.model.assemble import map_post

    rs = book.redactions
    if not rs:
        return book

    def fix(text: str) -> str:
        return redact_text(text, rs)

    def post(p: Post) -> Post:
        return replace(map_post(_strings(p, fix), fix), id=redact_id(p.id, rs))

    def chapter(c: Chapter) -> Chapter:
        return replace(_strings(c, fix), id=redact_id(c.id, rs), posts=tuple(post(p) for p in c.posts))

    return replace(
        book, meta=_strings(book.meta, fix), chapters=tuple(chapter(c) for c in book.chapters),
        front=tuple(replace(_strings(s, fix), id=redact_id(s.id, rs)) for s in book.front),
        back=tuple(replace(_strings(s, fix), id=redact_id(s.id, rs)) for s in book.back),
        output=replace(book.output, basename=redact_id(book.output.basename, rs)))
