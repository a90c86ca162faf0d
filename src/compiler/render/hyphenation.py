"""Hyphenation policy at the typesetting stage: what the print HTML marks before layout.

The sources and the model keep their text; only the print edition's HTML is
marked, so that the EPUB and the fidelity of every sentence are untouched:

- a **proper name** is never hyphenated: every word that begins with a capital
  (inside a sentence or at its start; ``Kazakhstan``, ``Astana``, ``Free2work``)
  and every name of the book's metadata, tags and the manifest's
  ``hyphenation.names`` (``eBay``) is set in ``<span class="nh">`` (CSS
  ``hyphens: manual``). A manifest name written with ``|`` (``Ka|zakh|stan``)
  may break at those points only (soft hyphens inside its span);
- a paragraph whose last word is short (under 8 characters) ties it to the word
  before with a no-break space, so that its last line holds two words (no runt).

What a greedy line breaker cannot promise before layout (no hyphen on a
paragraph's last line or across a page turn, at most 2 hyphenated lines in a
row) is enforced after layout by :mod:`compiler.pdf.breaks`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from markupsafe import escape

NAME_CLASS = "nh"  # styles/print.css: .nh { hyphens: manual; }
RUNT = 8  # a last word of fewer characters is tied to the word before
SHORTEST = 6  # hyphenate-limit-chars' first value: shorter words are never hyphenated anyway

_TOKENS = re.compile(r"(<[^>]*>)")
_TAG = re.compile(r"</?([a-zA-Z][a-zA-Z0-9]*)")
_SKIP = frozenset({"head", "title", "style", "script", "code", "pre", "h1", "h2", "h3", "h4", "h5", "h6",
                   "nav", "svg", "math"})
_BLOCKS = frozenset({"p", "li", "dd", "td", "th", "figcaption", "caption"})
_ENTITY = r"&(?:#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);"
_WORD = re.compile(rf"(?<![\w&#])(?:{_ENTITY}|[^\W_][\w]*)")
_SPACE = re.compile(r"[ \t\n\r]")


#: The longest word set as a name: a longer "word" (a URL-like run, 10,000 letters of attack) is no
#: name, and set unmarked it may still break anywhere rather than run off the page.
LONGEST = 40


def name_words(names: Iterable[str]) -> dict[str, str]:
    """Each name's words that are names (a capital letter somewhere in them), mapped to how they
    are set: the word as it is, or with soft hyphens where it was written with ``|``."""
    out: dict[str, str] = {}
    for name in names:
        for word in name.split():
            plain = word.replace("|", "")
            core = re.sub(r"^[^\w]+|[^\w]+$", "", plain)
            if not core or not any(c.isupper() for c in core):
                continue
            if "|" in word:
                out[core] = re.sub(r"^[^\w|]+|[^\w|]+$", "", word).replace("|", "\u00ad")
            else:
                out.setdefault(core, core)
    return out


def _mark_names(text: str, names: dict[str, str]) -> str:
    def wrap(match: re.Match[str]) -> str:
        word = match.group(0)
        if word.startswith("&"):
            return word
        if word in names:
            set_as = str(escape(names[word])).replace("\u00ad", "&#173;")
            return f'<span class="{NAME_CLASS}">{set_as}</span>'
        if word[0].isupper() and SHORTEST <= len(word) <= LONGEST:
            return f'<span class="{NAME_CLASS}">{word}</span>'
        return word
    return _WORD.sub(wrap, text)


def _tie_last(tokens: list[str], texts: list[int]) -> None:
    """Tie a paragraph's short last word to the word before it (tokens at ``texts`` are its text)."""
    tail = ""
    for index in reversed(texts):
        token = tokens[index]
        for pos in range(len(token) - 1, -1, -1):
            if _SPACE.match(token[pos]):
                if not tail.strip():
                    continue  # trailing space of the paragraph
                word = re.sub(_ENTITY, "x", re.sub(r"<[^>]*>", "", tail))
                if len(word) >= RUNT:
                    return
                before = "".join(re.sub(r"<[^>]*>", "", tokens[i]) for i in texts if i < index) + token[:pos]
                if before.strip():
                    tokens[index] = token[:pos] + "&#160;" + token[pos + 1:]
                return
            tail = token[pos] + tail
    return


def mark(html: str, names: Iterable[str] = ()) -> str:
    """The print HTML with names kept whole and short last words tied (see the module's docstring)."""
    table = name_words(names)
    tokens = _TOKENS.split(html)
    skip = 0
    block: list[int] | None = None  # the text tokens of the paragraph being read
    in_body = False
    text: list[int] = []  # the text tokens to mark names in (after the ties: they read plain text)
    for i, token in enumerate(tokens):
        if token.startswith("<"):
            match = _TAG.match(token)
            if not match:
                continue
            tag = match.group(1).lower()
            closing = token.startswith("</")
            if tag == "br" and block is not None:  # a line that a <br> ends is a last line too
                _tie_last(tokens, block)
                block = []
            if tag == "body":
                in_body = not closing
            if tag in _SKIP and not token.endswith("/>"):
                skip += -1 if closing else 1
                skip = max(skip, 0)
            if tag in _BLOCKS:
                if closing and block is not None:
                    if tag in ("p", "li", "dd"):
                        _tie_last(tokens, block)
                    block = None
                elif not closing:
                    block = []
            continue
        if not in_body or skip or not token:
            continue
        if block is not None:
            block.append(i)
        text.append(i)
    for i in text:
        tokens[i] = _mark_names(tokens[i], table)
    return "".join(tokens)
