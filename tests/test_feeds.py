"""Feeds: RSS 2.0 and Atom 1.0 read into post copies; broken feeds as one-line errors (tests/broken/feed-*)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from compiler.dedup import dedup
from compiler.errors import CompilerError
from compiler.ingest import all_copies, read_source, read_sources, reader_for
from compiler.ingest.dates import DateProblem, rfc822, rfc3339
from compiler.model.nodes import CodeBlock, Image, Link, Paragraph, plain_text

from compiler.manifest import _warning as warning

from conftest import CORPORA, ROOT

BROKEN = ROOT / "tests" / "broken"
FEED_CASES = sorted(p.name for p in BROKEN.glob("feed-*") if p.is_dir())
NORM = CORPORA / "feeds-norm2782-wordpress"

RSS = """<?xml version="1.0" encoding="{encoding}"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
     xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:slash="http://purl.org/rss/1.0/modules/slash/">
<channel>
<title>Kettle &amp; Co</title>
<link>https://blog.example/</link>
<language>de-DE</language>
{items}
</channel>
</rss>
"""
ITEM = """<item>
<title>{title}</title>
<link>https://blog.example/{slug}/</link>
<guid>https://blog.example/?p={slug}</guid>
<pubDate>{date}</pubDate>
<dc:creator>Anna Example</dc:creator>
<category><![CDATA[Travel]]></category><category>Tea</category>
<slash:comments>3</slash:comments>
<description><![CDATA[The opening words of the post [&#8230;]]]></description>
{content}
</item>"""
ATOM = """
<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:thr="http://purl.org/syndication/thread/1.0"
      xml:lang="en-GB" xml:base="https://atom.example/blog/">
<title type="html">Notes &amp;amp; Letters</title>
<id>tag:atom.example,2012:feed</id>
<updated>2013-01-30T13:58:47-08:00</updated>
<author><name>Sam Example</name></author>
<link rel="self" href="https://atom.example/blog/index.atom"/>
{entries}
</feed>
"""


def _rss(tmp_path: Path, *items: str, encoding: str = "UTF-8", name: str = "feed.xml") -> Path:
    path = tmp_path / name
    path.write_bytes(RSS.format(encoding=encoding, items="\n".join(items)).encode(
        "utf-8" if encoding.upper() == "UTF-8" else encoding))
    return path


def _item(title: str = "A Walk to the Lake", slug: str = "walk", date: str = "Mon, 02 Mar 2009 23:30:00 -0800",
          body: str = "<p>We walked to the lake and back. The water was cold.</p>") -> str:
    content = f"<content:encoded><![CDATA[{body}]]></content:encoded>" if body else ""
    return ITEM.format(title=title, slug=slug, date=date, content=content)


def _atom(tmp_path: Path, *entries: str) -> Path:
    path = tmp_path / "atom.xml"
    path.write_text(ATOM.format(entries="\n".join(entries)), encoding="utf-8")
    return path


def _links(content: object) -> list[str]:
    found: list[str] = []
    stack = [content]
    while stack:
        node = stack.pop()
        if isinstance(node, Link):
            found.append(node.href)
        if isinstance(node, Image):
            found.append(node.src)
        if isinstance(node, tuple):
            stack.extend(node)
        elif hasattr(node, "__dataclass_fields__"):
            stack.extend(getattr(node, f) for f in node.__dataclass_fields__)
    return sorted(found)


def test_rss_item_fields_dates_in_their_zone_categories_authors_comments(tmp_path: Path) -> None:
    source = read_source(_rss(tmp_path, _item()))
    assert source.format == "feed" and len(source.copies) == 1
    copy = source.copies[0]
    assert copy.title == "A Walk to the Lake" and not copy.excerpt and copy.markup
    assert copy.date is not None and copy.date.start == dt.date(2009, 3, 2)  # 23:30 -08:00 is March 3 in UTC
    assert copy.categories == ("Travel", "Tea") and copy.category_paths == (("Travel",), ("Tea",))
    assert copy.authors == ("Anna Example",) and copy.comments == 3
    assert copy.seen.line == 8 and copy.seen.header == "RSS feed"
    assert source.meta == {"title": "Kettle & Co", "language": "de-DE", "link": "https://blog.example/",
                           "author": "Anna Example"}
    assert "a feed of 1 posts, 2009-03-02 back to 2009-03-02" in source.notes[0]


def test_description_is_the_fallback_and_is_said_to_be_an_excerpt(tmp_path: Path) -> None:
    source = read_source(_rss(tmp_path, _item(body="")))
    copy = source.copies[0]
    assert copy.excerpt and plain_text(copy.content).startswith("The opening words of the post")
    problem = warning(source, source.warnings[0])
    assert problem.code == "W150" and problem.line == 8 and "may be an excerpt" in problem.message


def test_atom_xhtml_html_and_text_content_with_xml_base(tmp_path: Path) -> None:
    entries = [
        """<entry xml:base="2013/"><title>Plex</title><id>tag:a,1</id><link href="01/30/Plex"/>
        <published>2013-01-30T13:58:47-08:00</published><link rel="replies" href="1.atom" thr:count="2"/>
        <content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>See <a href="/blog/other">this</a>
        and <a href="notes">notes</a>, <em>now</em>.</p><p xml:base="https://elsewhere.example/x/">
        <a href="y">there</a></p><pre>a &lt; b</pre></div></content></entry>""",
        """<entry><title type="html">Caf&amp;eacute;</title><id>tag:a,2</id>
        <updated>2012-12-22T10:00:00Z</updated><category term="t1" label="Coffee"/>
        <content type="html" xml:base="https://cdn.example/img/">&lt;p&gt;&lt;img src="cup.png" alt="A cup"&gt;
        &lt;a href="../about"&gt;About&lt;/a&gt;&lt;/p&gt;</content></entry>""",
        """<entry><title>Plain</title><id>tag:a,3</id><published>2012-03-28T09:00:00+02:00</published>
        <content type="text">First paragraph &lt;not a tag&gt;.

Second paragraph.</content></entry>""",
    ]
    copies = read_source(_atom(tmp_path, *entries)).copies
    plex, cafe, text = copies
    assert plex.comments == 2 and plex.authors == ("Sam Example",)
    assert _links(plex.content) == ["https://atom.example/blog/2013/notes", "https://atom.example/blog/other",
                                    "https://elsewhere.example/x/y"]
    assert any(isinstance(b, CodeBlock) and b.code == "a < b" for b in plex.content.blocks)
    assert cafe.title == "Café" and cafe.categories == ("Coffee",)
    assert _links(cafe.content) == ["https://cdn.example/about", "https://cdn.example/img/cup.png"]
    assert cafe.date is not None and cafe.date.start == dt.date(2012, 12, 22)
    assert [plain_text(b) for b in text.content.blocks if isinstance(b, Paragraph)] == [
        "First paragraph <not a tag>.", "Second paragraph."]


def test_a_newline_before_the_declaration_and_line_numbers(tmp_path: Path) -> None:
    path = _atom(tmp_path, "<entry><title>T</title><id>x</id><published>0000-01-01T00:00:00Z</published>"
                 "<content>t</content></entry>")
    with pytest.raises(CompilerError) as info:
        read_source(path)
    problem = info.value.diagnostics[0]
    assert (problem.code, problem.line) == ("E180", 10)  # line 10 of the file, counting the blank first line


def test_latin1_and_windows1252_feeds_are_read(tmp_path: Path) -> None:
    for encoding in ("ISO-8859-1", "windows-1252"):
        copy = read_source(_rss(tmp_path, _item(title="Café “Zur Post”" if encoding != "ISO-8859-1" else "Café"),
                                encoding=encoding, name=f"{encoding}.xml")).copies[0]
        assert copy.title.startswith("Café")


def test_sniffing_wxr_feed_and_pages() -> None:
    assert reader_for(b'\n<?xml version="1.0"?>\n<feed xmlns="http://www.w3.org/2005/Atom">').name == "feed"
    assert reader_for(b'<?xml version="1.0"?><!-- hi --><rss version="2.0">').name == "feed"
    assert reader_for(b'<?xml version="1.0"?><rss xmlns:wp="http://wordpress.org/export/1.2/">').name == "wxr"
    assert reader_for(b'<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY a "b">\n]>').name == "feed"
    assert reader_for(b"Posts tagged Tea\n").name == "archive"


def test_repeated_guid_is_left_out_with_a_warning(tmp_path: Path) -> None:
    source = read_source(_rss(tmp_path, _item(), _item()))
    assert len(source.copies) == 1 and warning(source, source.warnings[0]).code == "W152"


def test_dates_rfc822_and_rfc3339_keep_their_zones() -> None:
    assert rfc822("Mon, 02 Mar 2009 08:09:33 +0000").utcoffset() == dt.timedelta(0)
    assert rfc822("02 Mar 09 08:09 EST").utcoffset() == dt.timedelta(hours=-5)
    assert rfc3339("2013-01-30T13:58:47-08:00").utcoffset() == dt.timedelta(hours=-8)
    assert rfc3339("2021-11-05").tzinfo is None
    for value, code in (("Sat, 01 Jan 0000 00:00:00 +0000", "E180"), ("10000-01-01", "E181"),
                        ("-0001-01-01", "E180"), ("2009-02-29", "E182"), ("2009-03-02T08:00+19:00", "E183")):
        with pytest.raises(DateProblem) as info:
            (rfc822 if "," in value else rfc3339)(value)
        assert info.value.code == code, value


def test_at_least_20_broken_feeds() -> None:
    assert len(FEED_CASES) >= 20  # each is run from the command line by test_broken.py


@pytest.mark.parametrize("case", FEED_CASES)
def test_broken_feed_gives_its_one_line(case: str) -> None:
    folder = BROKEN / case
    expected = (folder / "expected.txt").read_text(encoding="utf-8").rstrip("\n")
    with pytest.raises(CompilerError) as info:
        read_source(folder / "source.xml", root=folder)
    assert [d.format() for d in info.value.diagnostics] == [expected]


def test_norm2782_rss_and_atom_together_give_10_posts() -> None:
    if not NORM.is_dir():
        pytest.skip(f"corpus feeds-norm2782-wordpress is not in {CORPORA}")
    read = read_sources(sorted(NORM.glob("*.xml")))
    assert [len(s.copies) for s in read] == [10, 10]
    posts, merges = dedup(all_copies(read))
    assert len(posts) == 10 and len(merges) == 10
    assert all(len(p.provenance) == 2 and {s.header for s in p.provenance} == {"RSS feed", "Atom feed"}
               for p in posts)
    assert all(m.kept is not None and m.kept.file != m.copy.file for m in merges)


def test_sources_read_side_by_side_equal_sources_read_one_by_one(tmp_path: Path) -> None:
    """compiler.ingest.parallel: worker processes give the very sources (and problems) this process gives."""
    from compiler.ingest import ReadOptions
    from compiler.ingest.parallel import read_all

    items = [(_rss(tmp_path, _item()).read_bytes(), "a.xml"), (b"<?xml version='1.0'?><rss><channel/></rss>", "b.xml"),
             (_atom(tmp_path, "<entry><title>T</title><id>x</id><content>Words.</content></entry>").read_bytes(),
              "c.xml")]
    assert read_all(items, ReadOptions(), threshold=0) == read_all(items, ReadOptions())
    results = read_all(items, ReadOptions(), threshold=0)
    assert [r[1][0].code if r[1] else None for r in results] == [None, "E153", None]


def test_finish_fast_path_is_the_general_path() -> None:
    """model.inline.finish reads a run of plain texts at once: the result is the general path's."""
    import random

    from compiler.model.inline import _trim_breaks, _trim_edge, collapse, finish
    from compiler.model.nodes import Text

    def general(children: list[Text]) -> tuple[object, ...]:
        run = collapse(children)
        for _ in range(2):
            run = _trim_breaks(_trim_edge(_trim_edge(run, True), False))
        return run

    rnd = random.Random(13)
    for _ in range(5000):
        children = [Text("".join(rnd.choice(" \t\n\r\f\v\u00a0ab") for _ in range(rnd.randrange(6))))
                    for _ in range(rnd.randrange(5))]
        assert finish(children) == general(children), children


def test_newline_br_is_the_pattern_it_replaces() -> None:
    """ingest.wpautop.newline_br walks newlines; the result is the regular expression's, whitespace of any kind."""
    import random

    from compiler.ingest.wpautop import _NEWLINE_BR, newline_br

    pieces = ["<br />", " ", "\n", "\t", "a", "\u00a0", "<br />\n", "\u2009", "x y", "\x1c", "\r", "\u3000", "br />"]
    rnd = random.Random(7)
    for _ in range(20000):
        text = "".join(rnd.choice(pieces) for _ in range(rnd.randrange(14)))
        assert newline_br(text) == _NEWLINE_BR.sub("<br />\n", text), repr(text)
