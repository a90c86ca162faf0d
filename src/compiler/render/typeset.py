"""Copy-editing as typesetting: what the renderer does to the text of the model, and nothing else.

The model keeps every text exactly as its source has it; these functions
change only how it is set, in both editions:

- :func:`typo`, the filter every text of a body goes through: one plain space
  between words (the blog's editor typed ".\u00a0 " between sentences), no
  invisible controls, backtick and prime apostrophes as ’ (``don`t`` →
  ``don’t``; straight quotes are otherwise left as typed), curly quotation marks paired by context (``(“choice “not`` →
  ``(“choice” not``: a mark after a word and before a space closes), no space
  between a currency symbol and its amount (``$ 70,000`` → ``$70,000``), and a
  no-break space before a spaced en or em dash, so that no line opens with one;
- :func:`extract`, what a displayed quotation (an extract: a letter, an
  e-mail, a report) loses: the quotation marks that enclose all of it, since
  the indented, smaller setting already says that someone else speaks;
- :func:`salutation`, the "Dear Friend," that opens a letter, set on a line
  of its own;
- :func:`typeset_paragraphs`, a body's paragraphs as the reader gets them,
  which the fidelity tests compare with the built PDF and EPUB.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import fields, is_dataclass, replace
from typing import Any, TypeVar

from compiler.model.nodes import Block, Blockquote, Content, Inline, Paragraph, Text, map_text, paragraphs

N = TypeVar("N")

_SPACES = re.compile(r"[ \u00a0]+")
_INVISIBLE = re.compile(r"[\u0000-\u0008\u000b-\u001f\u007f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")
#: An apostrophe typed as a backtick, an acute accent, a prime or a straight quote inside a word
#: ("don`t", "I′m", "it's"); a backtick after a full stop ("N.`s") is one too.
_APOSTROPHE = re.compile(r"(?<=\w)['`´′](?=\w)|(?<=[\w.])`(?=\w)")
#: A currency symbol and the amount it precedes, with space between ("$ 70,000").
_CURRENCY = re.compile(r"(?<![\w$€£¥₸₽])([$€£¥₸₽])[ \u00a0]+(?=\d)")
#: A spaced en or em dash: the space before it does not break ("years – she" → "years\u00a0– she").
_DASH = re.compile(r"[ \u00a0]+([–—])(?=[ \u00a0]|$)")
#: A closing mark typed after the space instead of before it: an opening “ one to three words back, not
#: closed, and another “ after a space ("(“choice “not really" → "(“choice” not really").
_MISPLACED = re.compile(r"(“[^“”\s]+(?: [^“”\s]+){0,2}) “(?=\w)")
#: What stands before an opening quotation mark: a space, an opening bracket or a dash.
_BEFORE_OPEN = set(" \u00a0\t\n([{—–-/‘“")
#: What may follow a closing quotation mark: a space, punctuation, a closing bracket.
_AFTER_CLOSE = set(" \u00a0\t\n.,;:!?…)]}—–-’”‘“\"'`")


def _pair_quotes(text: str) -> str:
    """Each curly quotation mark facing the way its neighbours say: after a word and before a space
    or punctuation, a “ closes (”); after a space and before a letter, a ” opens (“); a ‘ after a
    word closes (’). A mark is only turned when both of its sides are in ``text`` (a mark at the edge
    of a run of text may meet an emphasis there). Straight quotes are left as typed: they may be
    code or markup a post shows as text."""
    if not any(c in text for c in "“”‘"):
        return text
    out = list(text)
    last = len(text) - 1
    for i, c in enumerate(text):
        if c not in "“”‘" or i == 0 or i == last:
            continue
        prev, nxt = out[i - 1], text[i + 1]  # prev as set already: the marks are decided left to right
        closes = prev not in _BEFORE_OPEN and nxt in _AFTER_CLOSE
        if c == "“" and closes:
            out[i] = "”"
        elif c == "”" and prev in _BEFORE_OPEN and nxt.isalnum():
            out[i] = "“"
        elif c == "‘" and closes:
            out[i] = "’"
    return "".join(out)


def typo(text: str) -> str:
    """Typesetting clean-up of a text of the model (see the module docstring); the source keeps
    what it has, only its setting changes."""
    text = _SPACES.sub(" ", _INVISIBLE.sub("", text))
    text = _APOSTROPHE.sub("’", text)
    text = _MISPLACED.sub("\\1” ", _pair_quotes(text))
    text = _CURRENCY.sub(r"\1", text)
    return _DASH.sub("\u00a0\\1", text)


# ---------------------------------------------------------------- extracts

def _first_text(blocks: tuple[Block, ...]) -> tuple[int, int] | None:
    """(block, inline) index of the first inline of the first block, when both are a paragraph's text."""
    if blocks and isinstance(blocks[0], Paragraph) and blocks[0].children and \
            isinstance(blocks[0].children[0], Text):
        return 0, 0
    return None


def _last_text(blocks: tuple[Block, ...]) -> tuple[int, int] | None:
    if blocks and isinstance(blocks[-1], Paragraph) and blocks[-1].children and \
            isinstance(blocks[-1].children[-1], Text):
        return len(blocks) - 1, len(blocks[-1].children) - 1
    return None


def _text_at(blocks: tuple[Block, ...], where: tuple[int, int]) -> str:
    block = blocks[where[0]]
    assert isinstance(block, Paragraph)
    node = block.children[where[1]]
    assert isinstance(node, Text)
    return node.text


def _with_text(blocks: tuple[Block, ...], where: tuple[int, int], text: str) -> tuple[Block, ...]:
    block = blocks[where[0]]
    assert isinstance(block, Paragraph)
    children: list[Inline] = list(block.children)
    children[where[1]] = Text(text)
    return (*blocks[:where[0]], replace(block, children=tuple(children)), *blocks[where[0] + 1:])


def _outer_marks(texts: list[str]) -> tuple[bool, bool]:
    """Whether the extract's text (``texts``: its paragraphs, set) opens with a quotation mark that
    only its end closes (or nothing does), and whether it ends with that closing mark."""
    whole = "\n".join(texts)
    if not whole.startswith("“"):
        return False, False
    depth = 0
    end = len(whole.rstrip()) - 1
    for i, c in enumerate(whole):
        if c == "“":
            depth += 1
        elif c == "”":
            depth -= 1
            if depth == 0:
                return (True, True) if i == end else (False, False)  # closed before its end: a quote
    return True, False  # never closed: an unclosed quotation opened the extract


def extract(quote: Blockquote) -> Blockquote:
    """A displayed quotation without the quotation marks that enclose the whole of it (an opening
    mark that nothing closes too); marks inside it, and quotations that end before it does, stay."""
    first, last = _first_text(quote.blocks), _last_text(quote.blocks)
    if first is None:
        return quote
    opening, closing = _outer_marks([typo(t) for t in paragraphs(Content(quote.blocks))])
    blocks = quote.blocks
    if not opening or not _text_at(blocks, first).startswith("“"):
        return quote
    if closing:
        if last is None or not _text_at(blocks, last).rstrip().endswith("”"):
            return quote
        blocks = _with_text(blocks, last, _text_at(blocks, last).rstrip()[:-1])
    blocks = _with_text(blocks, first, _text_at(blocks, first)[1:])
    return replace(quote, blocks=blocks)


_SALUTATION = re.compile(r"^(Dear [^\s,.!?:;][^,.!?:;\n]{0,40},)[ \u00a0]+(?=\S)")


def salutation(text: str) -> tuple[str, str] | None:
    """("Dear Friend,", the rest) when ``text`` opens with a letter's salutation and goes on."""
    match = _SALUTATION.match(text)
    return (match.group(1), text[match.end():]) if match else None


# ---------------------------------------------------------------- what the reader gets

def _extracted(node: N) -> N:
    """``node`` with every quotation in it (at any depth) set as :func:`extract` sets it."""
    changes: dict[str, Any] = {}
    for f in fields(node):  # type: ignore[arg-type]
        value = getattr(node, f.name)
        if isinstance(value, tuple) and any(is_dataclass(v) for v in value):
            new = tuple(_extracted(v) if is_dataclass(v) else v for v in value)
            if any(a is not b for a, b in zip(new, value)):
                changes[f.name] = new
    done = replace(node, **changes) if changes else node  # type: ignore[type-var]
    return extract(done) if isinstance(done, Blockquote) else done  # type: ignore[return-value]


def typeset_paragraphs(content: Content) -> Iterator[str]:
    """The paragraphs of a body as the book sets them: extracts without their enclosing marks,
    every text through :func:`typo`. The fidelity tests look for these in the outputs."""
    # as the templates set them: each text run through typo, code (inline or a block) exactly as written
    yield from paragraphs(map_text(_extracted(content), typo, roles=("prose",)))
