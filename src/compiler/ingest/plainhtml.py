"""Plain paragraphs of HTML into the rich model without the HTML parser: the same blocks, sooner.

Most of a blog's posts are paragraphs of text and nothing else: ``<p>…</p>``
blocks (``wpautop`` writes them from classic-editor text, a feed's
``content:encoded`` holds them) with ``<br>`` line breaks and character
references. Parsing such a post with Lexbor and walking its nodes costs more
than everything else done to it (``bench/bench_ingest.py``). :func:`plain_blocks`
reads exactly this shape with a few patterns and gives the blocks
:class:`compiler.ingest.html.HtmlReader` would (``tests/test_ingest_fast.py``
compares both on every corpus and on generated text); any other HTML (any other
tag or attribute, text between blocks, a control character, a character
reference it cannot decode exactly as the HTML5 tokenizer does) gives None and
goes through the parser.
"""

from __future__ import annotations

import re
from html.entities import html5

from compiler.model.inline import finish, finish_text
from compiler.model.nodes import Block, Inline, LineBreak, Paragraph, Text

#: Only <p> blocks of text and <br> line breaks, with spaces and newlines between the blocks.
_DOCUMENT = re.compile(r"(?:[ \t\n]*<p>[^<]*(?:<br ?/?>[^<]*)*</p>)*[ \t\n]*")
_PARAGRAPH = re.compile(r"<p>([^<]*(?:<br ?/?>[^<]*)*)</p>")
_BR = re.compile(r"<br ?/?>")
#: Characters the HTML parser treats apart from text (carriage returns, NUL, controls, surrogates,
#: noncharacters): a document holding one takes the parser's way. Every character
#: :func:`~compiler.model.inline.clean_text` removes is one of them, and no reference decoded here
#: gives one, so the text needs no cleaning.
_NONCHARACTERS = "".join(chr(plane * 0x10000 + 0xFFFE) + chr(plane * 0x10000 + 0xFFFF) for plane in range(17))
_SPECIAL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef" + _NONCHARACTERS + "]")
#: The same, and any character beyond the first plane (a class of ranges is searched ten times faster).
_SPECIAL_OR_ASTRAL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe-\U0010ffff]")
_REFERENCE = re.compile(r"&(?:#([0-9]{1,7})|#[xX]([0-9a-fA-F]{1,6})|([A-Za-z][A-Za-z0-9]{0,31}));")


def _code_point(value: int) -> str | None:
    """The character a numeric reference stands for, when the HTML5 tokenizer takes it as it is."""
    if value in (0x09, 0x0A) or 0x20 <= value <= 0x7E:
        return chr(value)
    if value < 0xA0 or value > 0x10FFFF or 0xD800 <= value <= 0xDFFF or 0xFDD0 <= value <= 0xFDEF \
            or value & 0xFFFE == 0xFFFE:
        return None  # replaced, or a parse error: left to the parser
    return chr(value)


def _decode(text: str) -> str | None:
    """``text`` with its character references decoded, or None if one is not a plain, complete one."""
    if "&" not in text:
        return text
    out: list[str] = []
    pos = 0
    while (amp := text.find("&", pos)) >= 0:
        m = _REFERENCE.match(text, amp)
        if m is None:
            return None  # a bare "&", an unterminated or over-long reference
        if m[3] is not None:
            value = html5.get(m[3] + ";")  # a name the table lacks may end in one it has ("&notit;")
        else:
            value = _code_point(int(m[1]) if m[1] is not None else int(m[2], 16))
        if value is None:
            return None
        out.append(text[pos:amp])
        out.append(value)
        pos = m.end()
    out.append(text[pos:])
    return "".join(out)


def plain_blocks(html: str) -> list[Block] | None:
    """The paragraphs of ``html`` if it is made only of plain paragraphs, else None."""
    if _DOCUMENT.fullmatch(html) is None:
        return None
    found = _SPECIAL_OR_ASTRAL.search(html)
    if found is not None and (found[0] < "\U00010000" or _SPECIAL.search(html, found.start()) is not None):
        return None
    blocks: list[Block] = []
    for m in _PARAGRAPH.finditer(html):
        if "<" not in m[1]:  # no line break: one text
            text = _decode(m[1])
            if text is None:
                return None
            if run := finish_text(text):
                blocks.append(Paragraph(run))
            continue
        inlines: list[Inline] = []
        for n, piece in enumerate(_BR.split(m[1])):
            if n:
                inlines.append(LineBreak())
            if piece:  # the parser makes no empty text node
                text = _decode(piece)
                if text is None:
                    return None
                inlines.append(Text(text))  # clean_text would change nothing: see _SPECIAL
        run = finish(inlines)
        if run:
            blocks.append(Paragraph(run))
    return blocks


__all__ = ["plain_blocks"]
