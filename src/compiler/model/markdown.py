"""Editorial Markdown (``chapters/*.md``) into the rich model, through markdown-it-py tokens.

CommonMark with tables, strikethrough (kept as its text), typographic quotes
and footnotes (mdit-py-plugins). Raw HTML is not parsed: it stays text, so
an editor's ``<script>`` shows as the characters they typed. An image alone
in its paragraph becomes a figure; an image inside text keeps its alt text.
Nesting is limited to :data:`~compiler.model.nodes.MAX_DEPTH` levels (markdown-it's
``maxNesting``); deeper Markdown is refused with :class:`MarkdownTooDeep`,
because markdown-it would silently drop its text.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.footnote import footnote_plugin

from compiler.model.inline import finish, safe_href
from compiler.model.nodes import (
    MAX_DEPTH, Block, Blockquote, BulletList, Code, CodeBlock, Content, Emphasis, Figure, Footnote, FootnoteRef,
    Heading,    Image, Inline, LineBreak, Link, ListItem, OrderedList, Paragraph, Strong, Table, TableCell, TableRow, Text,
    ThematicBreak,
)

_MD = (MarkdownIt("commonmark", {"html": False, "typographer": True, "maxNesting": MAX_DEPTH})
       .enable(["replacements", "smartquotes", "table", "strikethrough"])
       .use(footnote_plugin))


class MarkdownTooDeep(ValueError):
    """Markdown nested deeper than markdown-it reads: it would drop the text, so it is refused."""


def parse_markdown(source: str) -> Content:
    """Editorial Markdown as a :class:`Content` (blocks and footnotes).

    Raises :class:`MarkdownTooDeep` rather than lose text nested deeper than
    :data:`~compiler.model.nodes.MAX_DEPTH` levels (markdown-it stops there).
    """
    tokens = _MD.parse(source)
    deepest = max((t.level for t in tokens), default=0)
    if deepest >= MAX_DEPTH - 1:
        line = next((t.map[0] + 1 for t in tokens if t.level >= MAX_DEPTH - 1 and t.map), 0)
        raise MarkdownTooDeep(f"line {line}: blocks nested deeper than {MAX_DEPTH - 2} levels")
    return tokens_to_content(tokens)


@dataclass
class _Frame:
    """An open block token and what has been built inside it."""

    token: Token
    blocks: list[Block] = field(default_factory=list)
    rows: list[TableRow] = field(default_factory=list)
    cells: list[TableCell] = field(default_factory=list)
    items: list[ListItem] = field(default_factory=list)
    inlines: tuple[Inline, ...] = ()
    images: tuple[Image, ...] = ()
    head: int = 0  # rows in the table head


def _footnote_id(token: Token) -> str:
    meta = token.meta or {}
    label = meta.get("label")
    return str(label) if label else str(int(meta.get("id", 0)) + 1)


def tokens_to_content(tokens: list[Token]) -> Content:
    """Build the model from markdown-it block tokens (a stack, no recursion over blocks)."""
    root = _Frame(Token("root", "", 0))
    stack = [root]
    footnotes: list[Footnote] = []
    for token in tokens:
        top = stack[-1]
        kind = token.type
        if kind.endswith("_open") and kind != "footnote_block_open":
            stack.append(_Frame(token))
            if kind == "thead_open":
                stack[-1].head = 1
        elif kind.endswith("_close") and kind != "footnote_block_close":
            frame = stack.pop()
            _close(frame, stack[-1], footnotes)
        elif kind == "inline":
            top.inlines, top.images = _inlines(token.children or [])
        elif kind in ("fence", "code_block"):
            language = token.info.strip().split(maxsplit=1)[0] if token.info.strip() else ""
            top.blocks.append(CodeBlock(token.content, language))
        elif kind == "hr":
            top.blocks.append(ThematicBreak())
    return Content(tuple(root.blocks), tuple(footnotes))


def _close(frame: _Frame, parent: _Frame, footnotes: list[Footnote]) -> None:
    kind = frame.token.type[: -len("_open")]
    blocks = tuple(frame.blocks)
    if kind == "paragraph":
        if frame.images and not frame.inlines:
            parent.blocks.append(Figure(frame.images))
        elif frame.inlines:
            parent.blocks.append(Paragraph(frame.inlines))
    elif kind == "heading":
        parent.blocks.append(Heading(int(frame.token.tag[1]), frame.inlines))
    elif kind == "blockquote":
        parent.blocks.append(Blockquote(blocks))
    elif kind == "list_item":
        parent.items.append(ListItem(blocks))
    elif kind == "bullet_list":
        parent.blocks.append(BulletList(tuple(frame.items)))
    elif kind == "ordered_list":
        start = frame.token.attrs.get("start", 1)
        parent.blocks.append(OrderedList(tuple(frame.items), int(start) if isinstance(start, (int, str)) else 1))
    elif kind in ("th", "td"):
        parent.cells.append(TableCell(frame.inlines, header=kind == "th"))
    elif kind == "tr":
        parent.rows.append(TableRow(tuple(frame.cells)))
    elif kind in ("thead", "tbody"):
        parent.rows.extend(frame.rows)
        if kind == "thead":
            parent.head += len(frame.rows)
    elif kind == "table":
        rows = tuple(frame.rows)
        parent.blocks.append(Table(rows[: frame.head], rows[frame.head:]))
    elif kind == "footnote":
        footnotes.append(Footnote(_footnote_id(frame.token), blocks))
    else:
        parent.blocks.extend(blocks)


def _inlines(tokens: list[Token]) -> tuple[tuple[Inline, ...], tuple[Image, ...]]:
    """Inline tokens as inline nodes, and the images found (an image alone makes a figure)."""
    stack: list[tuple[Token | None, list[Inline]]] = [(None, [])]
    images: list[Image] = []
    for token in tokens:
        out = stack[-1][1]
        kind = token.type
        if kind == "text":
            out.append(Text(token.content))
        elif kind == "code_inline":
            out.append(Code(token.content))
        elif kind == "softbreak":
            out.append(Text("\n"))
        elif kind == "hardbreak":
            out.append(LineBreak())
        elif kind == "footnote_ref":
            out.append(FootnoteRef(_footnote_id(token)))
        elif kind == "image":
            alt = "".join(c.content for c in token.children or [])
            src = str(token.attrs.get("src", ""))
            images.append(Image(src, alt))
            out.append(Text(alt))
        elif kind.endswith("_open"):
            stack.append((token, []))
        elif kind.endswith("_close") and len(stack) > 1:
            opener, children = stack.pop()
            assert opener is not None
            stack[-1][1].extend(_container(opener, children))
    inlines = finish(stack[0][1])
    only_images = images and all(isinstance(n, Text) for n in inlines) and \
        "".join(n.text for n in inlines if isinstance(n, Text)).replace(" ", "") == \
        "".join(i.alt for i in images).replace(" ", "")
    return ((), tuple(images)) if only_images else (inlines, ())


def _container(opener: Token, children: list[Inline]) -> list[Inline]:
    """The node a closed inline container makes, or its children alone (a link to a
    refused scheme, strikethrough): those keep their text and formatting, spliced in."""
    kind = opener.type[: -len("_open")]
    if kind == "em":
        return [Emphasis(tuple(children))]
    if kind == "strong":
        return [Strong(tuple(children))]
    if kind == "link":
        href = safe_href(str(opener.attrs.get("href", "")))
        if href is not None:
            return [Link(href, tuple(children), str(opener.attrs.get("title", "") or ""))]
    return children
