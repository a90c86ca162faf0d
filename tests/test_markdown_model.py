"""Editorial Markdown into the rich model through markdown-it tokens."""

import pytest

from compiler.model.markdown import MarkdownTooDeep, parse_markdown
from compiler.model.nodes import (
    Blockquote, BulletList, Code, CodeBlock, Emphasis, Figure, FootnoteRef, Heading, Image, LineBreak, Link, ListItem,
    OrderedList, Paragraph, Strong, Table, TableCell, TableRow, Text, ThematicBreak, plain_text,
)


def p(*children):
    return Paragraph(tuple(children))


def test_inline_formatting_links_and_breaks():
    model = parse_markdown('*Em* and **strong** and `co  de` [link](https://ex.example/ "Title")\nsoft  \nhard')
    assert model.blocks == (p(Emphasis((Text("Em"),)), Text(" and "), Strong((Text("strong"),)), Text(" and "),
                              Code("co  de"), Text(" "), Link("https://ex.example/", (Text("link"),), "Title"),
                              Text(" soft"), LineBreak(), Text("hard")),)


def test_raw_html_is_text_and_unsafe_links_are_not_links():
    model = parse_markdown('<script>alert(1)</script>\n\n[x](javascript:alert(1)) [y](/relative) <b>bold</b>')
    assert plain_text(model) == "<script>alert(1)</script>\n\n[x](javascript:alert(1)) y <b>bold</b>"
    assert not any(isinstance(n, Link) for b in model.blocks for n in b.children)


def test_headings_lists_quotes_code_and_breaks():
    source = "# One\n\n## Two\n\n- a\n  - b\n\n3. c\n4. d\n\n> quoted\n\n```python\nx = 1\n```\n\n---\n"
    assert parse_markdown(source).blocks == (
        Heading(1, (Text("One"),)), Heading(2, (Text("Two"),)),
        BulletList((ListItem((p(Text("a")), BulletList((ListItem((p(Text("b")),)),)))),)),
        OrderedList((ListItem((p(Text("c")),)), ListItem((p(Text("d")),))), start=3),
        Blockquote((p(Text("quoted")),)), CodeBlock("x = 1\n", "python"), ThematicBreak())


def test_tables_have_head_and_body_rows():
    model = parse_markdown("| A | *B* |\n|---|---|\n| 1 | 2 |\n| 3 | 4 |\n")
    head = TableRow((TableCell((Text("A"),), header=True), TableCell((Emphasis((Text("B"),)),), header=True)))
    assert model.blocks == (Table((head,), (TableRow((TableCell((Text("1"),)), TableCell((Text("2"),)))),
                                            TableRow((TableCell((Text("3"),)), TableCell((Text("4"),)))))),)


def test_footnotes_are_referenced_and_collected():
    model = parse_markdown("Text[^a] more[^2].\n\n[^a]: First *note*.\n[^2]: Second.\n")
    assert model.blocks == (p(Text("Text"), FootnoteRef("a"), Text(" more"), FootnoteRef("2"), Text(".")),)
    assert [(f.id, plain_text(f)) for f in model.footnotes] == [("a", "First note."), ("2", "Second.")]


def test_an_image_alone_is_a_figure_inside_text_it_keeps_its_alt():
    model = parse_markdown("![A map](map.png)\n\nSee ![the map](map.png) here.")
    assert model.blocks == (Figure((Image("map.png", "A map"),)), p(Text("See the map here.")))


def test_typographer_quotes_and_dashes():
    assert plain_text(parse_markdown('"Quoted" -- it\'s...')) == "“Quoted” – it’s…"


def test_deep_nesting_is_refused_rather_than_losing_text_and_moderate_nesting_is_read():
    with pytest.raises(MarkdownTooDeep, match="line 1"):
        parse_markdown("> " * 5000 + "deep\n")
    assert plain_text(parse_markdown("> " * 15 + "deep\n")) == "deep"
