"""Text hygiene shared by the readers of user input (archive pages and the manifest).

* :func:`shown` makes any value safe to echo in a one-line message: control,
  bidi and other invisible characters become escapes, and long values are cut.
* :func:`is_blank` says whether a line holds only whitespace-like characters
  (spaces, no-break and ideographic spaces, zero-width and bidi marks): such a
  line is empty to a reader, so it is empty to the compiler too.
* :func:`first_control` finds a character no output can hold (C0 and C1
  controls; optionally bidi embeddings, overrides and isolates).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

#: Invisible characters that render as nothing: zero-width spaces and joiners, word joiner,
#: BOM, soft hyphen, the bidi marks, embeddings, overrides and isolates.
_INVISIBLE = "\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff"
_BLANK = re.compile(rf"^[\s{_INVISIBLE}]*$")
#: C0 controls, DEL and the C1 controls; the bidi embeddings, overrides and isolates.
_C0_C1 = "\x00-\x1f\x7f-\x9f"
_BIDI = "\u202a-\u202e\u2066-\u2069"


def _controls(bidi: bool, newlines: bool) -> re.Pattern[str]:
    chars = _C0_C1 + (_BIDI if bidi else "")
    return re.compile(f"(?![\t\n])[{chars}]" if newlines else f"[{chars}]")


_CONTROLS = {(bidi, newlines): _controls(bidi, newlines) for bidi in (False, True) for newlines in (False, True)}


def is_blank(text: str) -> bool:
    """Whether ``text`` shows nothing: only whitespace and invisible characters (or nothing)."""
    return bool(_BLANK.match(text))


def first_control(text: str, bidi: bool = False, newlines: bool = True) -> int | None:
    """Index of the first control character in ``text`` (bidi controls too when ``bidi``; tab
    and line feed are allowed when ``newlines``), or None."""
    m = _CONTROLS[bidi, newlines].search(text)
    return m.start() if m else None


def codepoint(char: str) -> str:
    """``U+001B ESCAPE``: a character as a reader can look it up."""
    name = unicodedata.name(char, "") or {"\x1b": "ESCAPE", "\x07": "BELL", "\x00": "NUL"}.get(char, "control")
    return f"U+{ord(char):04X} {name}"


def shown(value: Any, limit: int = 60) -> str:
    """``value`` for a message: never a control, bidi or invisible character, at most
    ``limit`` characters (cut with an ellipsis)."""
    text = value if isinstance(value, str) else repr(value)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    out = []
    for char in text:
        if char.isprintable() or char == " ":
            out.append(char)
        else:
            out.append(f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"
                       if ord(char) < 0x10000 else f"\\U{ord(char):08x}")
    return "".join(out)
