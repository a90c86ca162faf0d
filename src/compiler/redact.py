"""Redaction: replace protected names everywhere in the book model.

Applied to the model before anything is templated, so that titles, text,
metadata, ids and anchors all carry the replacement. Matching is
case-insensitive, respects word boundaries, and catches possessives and
diacritic variants ("Natasha’s", "Natásha").
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace
from functools import lru_cache

from compiler.model import Book, Redaction


def _strip_marks(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


@lru_cache(maxsize=256)
def pattern(term: str) -> re.Pattern[str]:
    """A regex matching ``term`` with any diacritics, in any case, as whole words."""
    parts = []
    for char in _strip_marks(term):
        if char.isspace():
            parts.append(r"\s+")
        else:
            parts.append(re.escape(char) + "[\u0300-\u036f]*")
    return re.compile(r"(?<!\w)" + "".join(parts) + r"(?!\w)", re.I)


def redact_text(text: str, redactions: tuple[Redaction, ...]) -> str:
    """Replace every redacted term in ``text`` (NFD-matched, then NFC again)."""
    if not redactions:
        return text
    decomposed = unicodedata.normalize("NFD", text)
    for r in redactions:
        decomposed = pattern(r.term).sub(r.replacement.replace("\\", "\\\\"), decomposed)
    return unicodedata.normalize("NFC", decomposed) if decomposed != unicodedata.normalize("NFD", text) else text


def redact(book: Book) -> Book:
    """Apply the book's redactions to every text in the model."""
    from compiler.model.assemble import map_post

    rs = book.redactions
    if not rs:
        return book

    def fix(text: str) -> str:
        return redact_text(text, rs)

    chapters = tuple(
        replace(c, title=fix(c.title), subtitle=fix(c.subtitle), intro_html=fix(c.intro_html),
                posts=tuple(replace(map_post(p, fix), id=fix(p.id)) for p in c.posts))
        for c in book.chapters)
    sections = [tuple(replace(s, title=fix(s.title), html=fix(s.html)) for s in part)
                for part in (book.front, book.back)]
    meta = replace(book.meta, title=fix(book.meta.title), subtitle=fix(book.meta.subtitle),
                   description=fix(book.meta.description), subjects=tuple(fix(s) for s in book.meta.subjects))
    return replace(book, meta=meta, chapters=chapters, front=sections[0], back=sections[1])
