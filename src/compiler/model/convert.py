"""The archive pages' blocks (:class:`compiler.model.types.Block`) as rich-model nodes.

Archive pages are plain text, so their blocks carry no inline markup: a
paragraph becomes a :class:`Paragraph` of one :class:`Text`, a heading a
:class:`Heading` of level 1 (the first level inside a post;
``nodes.html`` sets it as ``<h3>``, as ``macros.html`` does), a quoted letter a
:class:`Blockquote`, and sign-offs and notes stay what they are. The text is
kept exactly, in order: :func:`~compiler.model.nodes.paragraphs` of the result equals
``Block.texts()`` of the source, which the tests check.
"""

from __future__ import annotations

from compiler.model.nodes import Block, Blockquote, Content, Heading, Note, Paragraph, Signoff, Text
from compiler.model.types import Block as OldBlock

#: The level of archive-page headings: the first inside a post (``<h3 class="inline-heading">`` in print).
HEADING_LEVEL = 1


def from_block(block: OldBlock) -> Block:
    """One archive-page block as a node (a quote's children converted too; quotes nest one level)."""
    if block.kind == "p":
        return Paragraph((Text(block.text),))
    if block.kind == "heading":
        return Heading(HEADING_LEVEL, (Text(block.text),))
    if block.kind == "note":
        return Note(block.text)
    if block.kind == "signoff":
        return Signoff(block.lines)
    if block.kind == "quote":
        return Blockquote(tuple(from_block(child) for child in block.children))
    raise ValueError(f"unknown archive block kind {block.kind!r}")


def from_blocks(blocks: tuple[OldBlock, ...]) -> Content:
    """A post's archive-page blocks as a :class:`Content` (no footnotes)."""
    return Content(tuple(from_block(b) for b in blocks))
