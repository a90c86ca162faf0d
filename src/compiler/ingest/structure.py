"""Mark up the structure a post's plain text shows, without changing the text.

Paragraphs become blocks: short heading lines, quoted letters (a run of
paragraphs from one that opens with “ to the one that closes with ”, or a
"Dear ...," letter up to its signature), sign-offs ("Yours Truly," and the
signature under it) and notes ("(to be continued)"). Every rule here is a
guess about layout only: the paragraphs come out in the same order with the
same text (a property the tests check on generated input).
"""

from __future__ import annotations

import re

from compiler.model.types import Block

_SIGNOFF = re.compile(
    r"^(?:yours(?: truly| sincerely| faithfully| ever)?|sincerely(?: yours)?|regards|best(?: wishes| regards)?"
    r"|kind regards|warm regards|with (?:love|thanks|gratitude)|love|cheers|blessings|many thanks"
    r"|thank you|your (?:fellow|friend|sister|brother)\b[^.!?]*|god bless(?: you)?)[,.!]?$",
    re.I,
)
_DEAR = re.compile(r"^Dear [A-Z][\w’' .-]{0,40},")
_NOTE = re.compile(r"^[(\[](?:to be continued|continued|more to come|end of part [ivx\d]+)[.…]*[)\]]\.?$", re.I)
_END_PUNCT = tuple(".,;:!?…”\"’')]»")
_OPEN, _CLOSE = "“", "”"


def _words(text: str) -> list[str]:
    return text.split()


def is_heading(text: str) -> bool:
    """A short title-like line: no closing punctuation, mostly capitalised words."""
    words = _words(text)
    if not 2 <= len(words) <= 12 or len(text) > 90 or text.endswith(_END_PUNCT):
        return False
    if not (text[0].isupper() or text[0].isdigit()):
        return False
    long_words = [w for w in words if len(w) > 3 and w[0].isalpha()]
    return bool(long_words) and sum(w[0].isupper() for w in long_words) / len(long_words) >= 0.75


def _is_signature(text: str) -> bool:
    words = _words(text)
    return 1 <= len(words) <= 8 and not text.endswith(tuple(".!?:;")) and len(text) <= 80


def _closes_quote(text: str) -> bool:
    return text.rstrip(" .)").endswith(_CLOSE)


def _quote_end(paras: list[str], start: int) -> int | None:
    """Index of the paragraph closing a quote opened at ``start``, or None."""
    for j in range(start, len(paras)):
        if j > start and paras[j].startswith(_OPEN):
            return None  # another quote opens first: this one is not a clean run
        if _closes_quote(paras[j]):
            return j
    return None


def _signoff_at(paras: list[str], i: int) -> int:
    """How many paragraphs form a sign-off starting at ``i`` (0 if none)."""
    if not _SIGNOFF.match(paras[i]):
        return 0
    if i + 1 < len(paras) and _is_signature(paras[i + 1]) and not _SIGNOFF.match(paras[i + 1]):
        return 2
    return 1


def _letter_end(paras: list[str], start: int) -> int | None:
    """Last index of a "Dear ...," letter: through its sign-off and signature."""
    for j in range(start + 1, len(paras)):
        if n := _signoff_at(paras, j):
            return j + n - 1
    return None


def _plain(paras: list[str], first: bool) -> list[Block]:
    blocks: list[Block] = []
    i = 0
    while i < len(paras):
        text = paras[i]
        if n := _signoff_at(paras, i):
            blocks.append(Block("signoff", lines=tuple(paras[i:i + n])))
            i += n
            continue
        if _NOTE.match(text):
            blocks.append(Block("note", text))
        elif not (first and i == 0) and i + 1 < len(paras) and is_heading(text):
            blocks.append(Block("heading", text))
        else:
            blocks.append(Block("p", text))
        i += 1
    return blocks


def structure(paras: list[str]) -> tuple[Block, ...]:
    """Turn a post's paragraphs into blocks, keeping every paragraph in order."""
    blocks: list[Block] = []
    run_start = 0
    i = 0

    def flush(upto: int) -> None:
        blocks.extend(_plain(paras[run_start:upto], first=run_start == 0))

    while i < len(paras):
        end = None
        if paras[i].startswith(_OPEN):
            end = _quote_end(paras, i)
        elif _DEAR.match(paras[i]):
            end = _letter_end(paras, i)
        if end is None:
            i += 1
            continue
        flush(i)
        inner = _plain(paras[i:end + 1], first=True)
        blocks.append(Block("quote", children=tuple(inner)))
        i = run_start = end + 1
    flush(len(paras))
    return tuple(blocks)
