"""Mark up the structure a post's plain text shows, without changing the text.

Paragraphs become blocks: short heading lines, sign-offs ("Yours Truly," and
the signature under it), notes ("(to be continued)") and extracts, the words
of someone other than the author, which the book sets in one style
(``quote`` blocks):

- a quotation: a run of paragraphs from one that opens with “ (or with a page
  reference and “: "p. 158. “Victims…") to the one that closes with ”; a
  quotation that never closes ends where the author introduces the next one
  (a short paragraph ending in ":" or "…" just before another “);
- a letter: "Dear ...," up to its sign-off and signature, or the paragraphs
  after an introduction ("The following is an e-mail…") up to a sign-off;
- an embedded document: after an introduction ("…shared the following
  info"), a heading (the document's title, kept as the extract's first block:
  its source line) and the paragraphs that follow it, up to the first one in
  which the author speaks again in the first person ("I'm still wondering…"),
  a note, a sign-off or the end of the post.

Every rule here is a guess about layout only: the paragraphs come out in the
same order with the same text (a property the tests check on generated
input).
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
#: An introduction to what follows: "The following is an e-mail…", "…shared the following info", "Here it is:".
_INTRO = re.compile(r"\bthe following\b|\bas follows\b|:$", re.I)
#: A paragraph that opens a quotation with a page reference first: "p. 158. “Victims…".
_PAGE_QUOTE = re.compile(r"^(?:pp?\.|page)\s*\d+(?:[-–]\d+)?[.:,]?\s+“", re.I)
#: The author (or anyone) speaking in the first person singular.
_FIRST_PERSON = re.compile(r"\b(?:I|I[’'`](?:m|ve|d|ll)|me|my|mine|myself)\b")
#: A short paragraph that hands over to the next quotation: "Here’s another comment that I could NOT ignore…".
_HANDOVER_END = (":", "…", "...")
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


def _opens_quote(text: str) -> bool:
    return text.startswith(_OPEN) or bool(_PAGE_QUOTE.match(text))


def _is_handover(text: str) -> bool:
    return len(_words(text)) <= 30 and text.rstrip().endswith(_HANDOVER_END)


def _quote_end(paras: list[str], start: int) -> int | None:
    """Index of the paragraph closing a quote opened at ``start``, or None."""
    for j in range(start, len(paras)):
        if j > start and _opens_quote(paras[j]):
            # another quote opens first: this one ends before the author's words that hand over to
            # it ("Here’s another comment…"), or it is no clean run at all
            return j - 2 if j - 2 >= start and _is_handover(paras[j - 1]) else None
        if _closes_quote(paras[j]):
            return j
    return None


def _introduced_letter_end(paras: list[str], start: int) -> int | None:
    """Last index of a letter that starts at ``start`` right after an introduction: through its
    sign-off, with no quotation opening on the way (that one is the letter)."""
    for j in range(start, len(paras)):
        if _opens_quote(paras[j]) or _DEAR.match(paras[j]) or _NOTE.match(paras[j]):
            return None
        if j > start and (n := _signoff_at(paras, j)):
            return j + n - 1
    return None


def _document_end(paras: list[str], start: int) -> int | None:
    """Last index of a document whose title (a heading) is at ``start``: the paragraphs after it
    until the first in the first person, a note or a sign-off; None if none follows the title."""
    end = start
    for j in range(start + 1, len(paras)):
        text = paras[j]
        if _FIRST_PERSON.search(text) or _NOTE.match(text) or _signoff_at(paras, j) or _opens_quote(text):
            break
        end = j
    return end if end > start else None


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
        start, end, titled = i, None, False
        if _opens_quote(paras[i]):
            end = _quote_end(paras, i)
        elif _DEAR.match(paras[i]):
            end = _letter_end(paras, i)
        elif _INTRO.search(paras[i]) and i + 1 < len(paras) and not _opens_quote(paras[i + 1]):
            start = i + 1
            if is_heading(paras[start]):
                end, titled = _document_end(paras, start), True
            elif not _DEAR.match(paras[start]):
                end = _introduced_letter_end(paras, start)
        if end is None:
            i += 1
            continue
        flush(start)
        inner = _plain(paras[start + 1 if titled else start:end + 1], first=True)
        title = [Block("heading", paras[start])] if titled else []
        blocks.append(Block("quote", children=(*title, *inner)))
        i = run_start = end + 1
    flush(len(paras))
    return tuple(blocks)
