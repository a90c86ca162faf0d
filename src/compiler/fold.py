"""Fold: the one normalisation that redaction and the leak scan both match in.

Each character folds on its own, so that every folded character points back
to the character of the original text it came from (redaction replaces in
the original). A character folds by, repeated until nothing changes:

* NFKD (fullwidth, mathematical, circled and ligature forms become letters);
* dropping every combining mark (general category M, every combining class)
  and every Default_Ignorable_Code_Point (U+00AD, U+200B, U+FE0F, U+061C...);
* small capitals (``ʜ``, ``ᴀ``) to their letter, every dash to ``-``;
* the Unicode TR39 confusable skeleton (ICU), so Cyrillic or Greek look-alikes
  become the Latin letters they mimic; then case folding.

A term matches folded text letter by letter, each letter in either case
(``I`` folds to ``l`` but ``i`` to ``i``); between letters a dash may stand
(``Nata-sha``, a line broken after a hyphen), or in the letter-spaced form up
to three spaces. :func:`occurrences` finds every match and says whether it
is *bounded*: whole, or joined to the next letters at a change of case, digit
or ``_`` (``NatashaIvanova``, ``natasha2012``), which redaction may replace.
An unbounded match (``xnatashay``) is still a leak.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import icu

_SPOOF = icu.SpoofChecker()
_IGNORABLE = icu.UProperty.DEFAULT_IGNORABLE_CODE_POINT
_SMALL_CAPITAL = re.compile(r"LATIN LETTER SMALL CAPITAL ([A-Z])$")
_DASHES = "\u2212\u2e3a\u2e3b\u301c\u3030"  # dashes outside category Pd (which all fold to "-" too)
#: Between two letters of a term: a dash, and the line break or space after it (hyphenation).
_JOIN = r"(?:-\s*)?"
#: Between two letters of a letter-spaced term: a few spaces, perhaps a hyphen at a line end.
_SPACED = r"\s{0,3}(?:-\s{0,3})?"
#: Between two letters of a scattered term (the scan only): up to three of anything but a letter
#: or digit (``N.a.t.a.s.h.a``, ``Nat*a*sha`` as typed).
_SCATTERED = r"[\W_]{0,3}"


def _drop(char: str) -> bool:
    return unicodedata.category(char).startswith("M") or bool(icu.Char.hasBinaryProperty(char, _IGNORABLE))


def _step(text: str) -> str:
    out = []
    for char in unicodedata.normalize("NFKD", text):
        if _drop(char):
            continue
        if unicodedata.category(char) == "Pd" or char in _DASHES:
            out.append("-")
            continue
        small = _SMALL_CAPITAL.match(unicodedata.name(char, ""))
        out.append(small[1].lower() if small else char)
    skeleton = _SPOOF.getSkeleton(0, "".join(out)) if out else ""
    return "".join(c for c in unicodedata.normalize("NFKD", skeleton.casefold()) if not _drop(c))


def fold_char(char: str) -> str:
    """What one character folds to: "", one or several characters."""
    folded = char
    for _ in range(4):
        again = "".join(_step(c) for c in folded)
        if again == folded:
            break
        folded = again
    return folded


class _Table(dict[int, str]):
    """``str.translate`` table, filled on first use of each character."""

    def __missing__(self, code: int) -> str:
        value = self[code] = fold_char(chr(code))
        return value


_TABLE = _Table()


def fold(text: str) -> str:
    """``text`` folded (see the module docstring)."""
    return text.translate(_TABLE)


def fold_mapped(text: str) -> tuple[str, list[int]]:
    """``text`` folded, and for each folded character the index of the original one it came from."""
    pieces = [_TABLE[ord(c)] for c in text]
    origins = [i for i, piece in enumerate(pieces) for _ in piece]
    return "".join(pieces), origins


def _letter(char: str) -> str:
    """A term's letter as a pattern in folded text: what it folds to in either case."""
    forms = sorted({f for f in (fold(char), fold(char.lower()), fold(char.upper())) if f},
                   key=lambda f: (-len(f), f))
    return re.escape(forms[0]) if len(forms) == 1 else "(?:" + "|".join(re.escape(f) for f in forms) + ")"


@lru_cache(maxsize=256)
def patterns(term: str) -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """The term's patterns in folded text: joined (letters, dashes between them, a run of spaces,
    ``_`` or dashes between its words), letter-spaced and scattered; all take a trailing plural "s"."""
    words = [[_letter(c) for c in word if fold(c)] for word in term.split()]
    letters = [letter for word in words for letter in word]
    joined = r"[\s_-]+".join(_JOIN.join(word) for word in words if word)

    def compiled(pattern: str) -> re.Pattern[str]:
        return re.compile(pattern + "(?P<s>s?)")

    return compiled(joined), compiled(_SPACED.join(letters)), compiled(_SCATTERED.join(letters))


def _kind(char: str) -> str:
    """A character's class for word boundaries: U upper, l lower, o other letter, d digit, or
    "" for anything that ends a word (space, punctuation, ``_``)."""
    category = unicodedata.category(char)
    if category in ("Lu", "Lt"):
        return "U"
    if category in ("Ll", "Lm"):
        return "l"
    return {"L": "o", "N": "d"}.get(category[0], "")


@dataclass(frozen=True)
class Occurrence:
    """A match of a term in the original text: ``text[start:end]``, of which ``text[plural:end]`` is a
    trailing plural "s" (``plural == end`` without one)."""

    start: int
    end: int
    plural: int
    bounded: bool


class Finder:
    """Matches of terms in one text, folded once."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.folded = fold(text)
        self._origins: list[int] | None = None

    def origins(self) -> list[int]:
        if self._origins is None:
            folded, self._origins = fold_mapped(self.text)
            assert folded == self.folded
        return self._origins

    def _side(self, inside: int, outside: int) -> bool:
        """Whether the match letter at folded index ``inside`` ends a word against the folded index
        ``outside`` (which may lie past either end)."""
        if outside < 0 or outside >= len(self.folded):
            return True
        origins = self.origins()
        if origins[inside] == origins[outside]:
            return False  # one original character split by the match
        neighbour = _kind(self.text[origins[outside]])
        return not neighbour or neighbour != _kind(self.text[origins[inside]])

    def _occurrence(self, start: int, end: int, s_start: int) -> Occurrence:
        origins = self.origins()
        bounded = self._side(start, start - 1) and self._side(end - 1, end)
        if not bounded and s_start < end:  # "Natashas" glued: try the match without its "s"
            bounded = self._side(start, start - 1) and self._side(s_start - 1, s_start)
            end = s_start
        first, last = origins[start], origins[end - 1] + 1
        while last < len(self.text) and unicodedata.category(self.text[last]).startswith("M"):
            last += 1
        plural = origins[s_start] if s_start < end else last
        return Occurrence(first, last, plural, bounded)

    def find(self, term: str, scan: bool = False) -> list[Occurrence]:
        """Every match of ``term``: joined ones, and bounded letter-spaced ones (with ``scan``, bounded
        scattered ones instead, a wider net: what redaction leaves of them stops the build)."""
        joined, spaced, scattered = patterns(term)
        found = [self._occurrence(m.start(), m.end(), m.start("s")) for m in joined.finditer(self.folded)]
        taken = {(o.start, o.end) for o in found}
        for m in (scattered if scan else spaced).finditer(self.folded):
            o = self._occurrence(m.start(), m.end(), m.start("s"))
            if o.bounded and (o.start, o.end) not in taken:
                found.append(o)
        return sorted(found, key=lambda o: (o.start, -o.end))


def occurrences(text: str, term: str, scan: bool = False) -> list[Occurrence]:
    """Every match of ``term`` in ``text`` (see :meth:`Finder.find`)."""
    return Finder(text).find(term, scan)
