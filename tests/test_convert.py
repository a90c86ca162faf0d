"""Archive-page blocks into the rich model: same text, same order, same kinds."""

from pathlib import Path

import pytest

from compiler.ingest import read_pages
from compiler.ingest.structure import structure
from compiler.model.convert import from_blocks
from compiler.model.nodes import Blockquote, Heading, Note, Paragraph, Signoff, paragraphs
from compiler.model.types import Block

SOURCES = Path(__file__).parents[1] / "sources"


def test_every_kind_converts_and_keeps_its_text_in_order():
    blocks = (Block("p", "First."), Block("heading", "A Heading Line"), Block("note", "(to be continued)"),
              Block("quote", children=(Block("p", "“Dear Ann,"), Block("signoff", lines=("Yours,", "Bo")))),
              Block("signoff", lines=("Love,", "Cy")))
    content = from_blocks(blocks)
    assert [type(b) for b in content.blocks] == [Paragraph, Heading, Note, Blockquote, Signoff]
    assert list(paragraphs(content)) == [t for b in blocks for t in b.texts()]


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError):
        from_blocks((Block("aside", "x"),))  # type: ignore[arg-type]


def test_the_default_books_archive_pages_convert_without_losing_a_paragraph():
    pages = sorted(SOURCES.glob("*.txt"))
    if not pages:
        pytest.skip("no archive pages in sources/")
    for copy in read_pages(pages):  # a post's paragraphs, structured again and converted: the same texts
        blocks = structure(list(copy.paragraphs))
        assert list(paragraphs(from_blocks(blocks))) == [t for b in blocks for t in b.texts()] == list(copy.paragraphs)
        assert from_blocks(blocks) == copy.content
