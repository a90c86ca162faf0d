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

Two more rules close what the skeleton leaves as a non-ASCII letter: a letter
whose Unicode name says it is a Latin letter X (``LATIN SMALL LETTER A WITH
STROKE``, ``NEGATIVE SQUARED LATIN CAPITAL LETTER N``, ``... TURNED/REVERSED/
INSULAR X``, ``REGIONAL INDICATOR SYMBOL LETTER X``) folds as X; a character
that folds to letters and punctuation (``⒩`` is ``(n)``, ``Ɓ`` is ``'b``)
keeps the letters only.

Text is read twice, as it looks and as it sounds. The *look* fold is the one
above (Cyrillic ``Н`` looks like ``H``); the *sound* fold transliterates each
Cyrillic and Greek letter (``Наташа`` is ``natasha``, BGN/PCGN for Russian),
and ``š ž č`` (also with a separate combining caron) read ``sh zh ch``
(``Nataša``). A Cyrillic or Greek letter with no Latin look-alike reads as it
sounds in the look fold too, so a word mixing both readings still matches.
A term matches where it matches in either fold (:class:`Finder`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import icu

_SPOOF = icu.SpoofChecker()
_IGNORABLE = icu.UProperty.DEFAULT_IGNORABLE_CODE_POINT
_SMALL_CAPITAL = re.compile(r"LATIN LETTER SMALL CAPITAL ([A-Z])$")
_CARON = "\u030c"
#: A Latin letter by its name (the letter, one or two: ``LATIN SMALL LETTER TURNED OE``).
_NAMED = re.compile(r"(?:[A-Z -]+ )?(?:LATIN (?:CAPITAL |SMALL |SUBSCRIPT SMALL |EPIGRAPHIC )?LETTER|"
                    r"MODIFIER LETTER (?=CAPITAL|SMALL)|REGIONAL INDICATOR SYMBOL LETTER) (?:(?!WITH )[A-Z-]{3,} )*"
                    r"(?P<letter>[A-Z]{1,2}|ALPHA|DELTA|UPSILON|OMEGA|CHI|ENG|ETH|ESH|EZH)(?: .*)?$")
#: Latin letters named by a word, as they look and (``ʃ``, ``ʒ``) as they sound.
_WORDS = {"ALPHA": "a", "DELTA": "d", "UPSILON": "u", "OMEGA": "w", "CHI": "x", "ENG": "n", "ETH": "d", "ESH": "s",
          "EZH": "z"}
_SOUNDS = {"ESH": "sh", "EZH": "zh"}
_LETTERS = re.compile(r"[a-z]")
_WORD = re.compile(r"[a-z0-9]*")
_RUSSIAN = icu.Transliterator.createInstance("Russian-Latin/BGN; Latin-ASCII")
_ANY = icu.Transliterator.createInstance("Any-Latin; Latin-ASCII")
#: Russian letters that BGN/PCGN spells by their context ("ye" at the start of a word).
_OVERRIDE = {"\u0435": "e", "\u0451": "e"}
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


def _iterate(text: str) -> str:
    folded = text
    for _ in range(4):
        again = "".join(_step(c) for c in folded)
        if again == folded:
            break
        folded = again
    return folded


def _named(char: str, sound: bool = False) -> str | None:
    """The Latin letter(s) a character's name says it is (``LATIN SMALL LETTER A WITH STROKE``: "a",
    ``NEGATIVE SQUARED LATIN CAPITAL LETTER N``: "N"), or None."""
    name = unicodedata.name(char, "")
    found = _NAMED.match(name)
    if not found:
        return None
    letter = found["letter"]
    if sound and letter in _SOUNDS:
        return _SOUNDS[letter]
    letter = _WORDS.get(letter, letter)
    return letter.lower() if "SMALL" in name.split() and "CAPITAL" not in name.split() else letter


def _latin_char(char: str) -> str:
    """What one character folds to as it looks, its script aside: "", one or several characters."""
    folded = _iterate(char)
    if not folded.isascii():
        named = _named(char)
        if named is None:  # the name of what it folded to, one character at a time
            named = "".join(_named(c) or c for c in folded)
        folded = _iterate(named) if named.isascii() else named
    if folded.isascii() and _LETTERS.search(folded) and not _WORD.fullmatch(folded) and not char.isascii():
        folded = re.sub(r"[^a-z0-9]+", "", folded)  # "(n)": the letter without its brackets
    return folded


def _script(char: str) -> str:
    return str(icu.Script.getScript(ord(char)).getShortName())


def sound_char(char: str) -> str:
    """What one character folds to as it sounds: Cyrillic and Greek letters transliterated, ``š ž č``
    (and a combining caron) as ``sh zh ch``; anything else as in :func:`fold_char`."""
    if char == _CARON:
        return "h"
    decomposed = unicodedata.normalize("NFD", char)
    if decomposed[:1] in "sczSCZ" and _CARON in decomposed[1:]:
        return _latin_char(decomposed[0]) + "h"
    script = _script(char)
    if script not in ("Cyrl", "Grek"):
        named = _named(char, sound=True)
        return named if named is not None and named in _SOUNDS.values() else _sounded(_latin_char(char))
    latin = _OVERRIDE.get(char.lower())
    for transliterator in ((_RUSSIAN,) if script == "Cyrl" else ()) + (_ANY,):
        if latin is None or not latin.isascii():
            latin = transliterator.transliterate(char)
    if latin and latin.isascii():
        return "".join(_latin_char(c) for c in latin)
    folded = _latin_char(char)
    return folded if folded == char else _sounded(folded)  # (Ѱ looks like ψ, which sounds ps)


class _Table(dict[int, str]):
    """``str.translate`` table, filled on first use of each character."""

    def __init__(self, one: Callable[[str], str]) -> None:
        super().__init__()
        self.one = one

    def __missing__(self, code: int) -> str:
        value = self[code] = self.one(chr(code))
        return value


def _sounded(folded: str) -> str:
    """``folded`` with each Cyrillic or Greek letter that has no Latin look-alike read as it sounds."""
    if folded.isascii():
        return folded
    sounds = [sound_char(c) if _script(c) in ("Cyrl", "Grek") else c for c in folded]
    return "".join(s if s.isascii() else c for c, s in zip(folded, sounds))


def fold_char(char: str) -> str:
    """What one character folds to as it looks: "", one or several characters."""
    if _script(char) in ("Cyrl", "Grek"):
        folded = _latin_char(char)
        sound = sound_char(char)
        return sound if not folded.isascii() and sound.isascii() else _sounded(folded)
    return _sounded(_latin_char(char))


_LOOK = _Table(fold_char)
_SOUND = _Table(sound_char)


def fold(text: str, sound: bool = False) -> str:
    """``text`` folded as it looks (or as it sounds; see the module docstring)."""
    return text.translate(_SOUND if sound else _LOOK)


def folds(text: str) -> list[str]:
    """The distinct folds of ``text``: as it looks, then as it sounds if that differs."""
    look, sound = fold(text), fold(text, True)
    return [look] if sound == look else [look, sound]


def fold_mapped(text: str, sound: bool = False) -> tuple[str, list[int]]:
    """``text`` folded, and for each folded character the index of the original one it came from."""
    table = _SOUND if sound else _LOOK
    pieces = [table[ord(c)] for c in text]
    origins = [i for i, piece in enumerate(pieces) for _ in piece]
    return "".join(pieces), origins


def _letter(char: str, sound: bool) -> str:
    """A term's letter as a pattern in folded text: what it folds to in either case."""
    forms = sorted({f for f in (fold(char, sound), fold(char.lower(), sound), fold(char.upper(), sound)) if f},
                   key=lambda f: (-len(f), f))
    return re.escape(forms[0]) if len(forms) == 1 else "(?:" + "|".join(re.escape(f) for f in forms) + ")"


@lru_cache(maxsize=256)
def patterns(term: str, sound: bool = False) -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """The term's patterns in folded text: joined (letters, dashes between them, a run of spaces,
    ``_`` or dashes between its words), letter-spaced and scattered; all take a trailing plural "s"."""
    words = [[_letter(c, sound) for c in word if fold(c, sound)] for word in term.split()]
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


class _Reading:
    """One fold of a text, with the index map back to the original."""

    def __init__(self, text: str, folded: str, sound: bool) -> None:
        self.text, self.folded, self.sound = text, folded, sound
        self._origins: list[int] | None = None

    def origins(self) -> list[int]:
        if self._origins is None:
            folded, self._origins = fold_mapped(self.text, self.sound)
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

    def occurrence(self, start: int, end: int, s_start: int) -> Occurrence:
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


class Finder:
    """Matches of terms in one text, folded once as it looks and once as it sounds."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.folded = fold(text)
        sound = fold(text, True)
        self.readings = [_Reading(text, self.folded, False)]
        if sound != self.folded:
            self.readings.append(_Reading(text, sound, True))

    def find(self, term: str, scan: bool = False) -> list[Occurrence]:
        """Every match of ``term`` in either fold of the text (the term folded either way too): joined
        ones, and bounded letter-spaced ones (with ``scan``, bounded scattered ones instead, a wider
        net: what redaction leaves of them stops the build)."""
        found: dict[tuple[int, int], Occurrence] = {}
        term_folds = [False] if fold(term, True) == fold(term) else [False, True]
        for reading in self.readings:
            for sound in term_folds:
                joined, spaced, scattered = patterns(term, sound)
                matches = [(m, True) for m in joined.finditer(reading.folded)]
                matches += [(m, False) for m in (scattered if scan else spaced).finditer(reading.folded)]
                for m, whole in matches:
                    o = reading.occurrence(m.start(), m.end(), m.start("s"))
                    old = found.get((o.start, o.end))
                    if (whole or o.bounded) and (old is None or (o.bounded and not old.bounded)):
                        found[o.start, o.end] = o
        return sorted(found.values(), key=lambda o: (o.start, -o.end))


def occurrences(text: str, term: str, scan: bool = False) -> list[Occurrence]:
    """Every match of ``term`` in ``text`` (see :meth:`Finder.find`)."""
    return Finder(text).find(term, scan)
