"""The ingest fast paths give exactly what the slow ones give (bench_ingest times them).

Plain paragraphs read without the HTML parser (:mod:`compiler.ingest.plainhtml`)
against Lexbor and :class:`~compiler.ingest.html.HtmlReader`; wpautop's passes for
tags, skipped for a text without any; the style-fetch warning found from its "=".
Generated inputs (a fixed seed) and every post body of the real corpora.
"""

import random
import re
from html.entities import html5

import pytest

from conftest import CORPORA, FEED_CORPORA, WXR_EXPORTS
from compiler.ingest import wpautop as wp
from compiler.ingest.dom import STYLE_FETCH, parse_html, style_fetches
from compiler.ingest.html import HtmlReader, html_to_content
from compiler.ingest.plainhtml import plain_blocks
from compiler.ingest.wpautop import wpautop
from compiler.model.nodes import LineBreak, Paragraph, Text, to_data


def parsed(html: str) -> tuple[object, list[str]]:
    warnings: list[str] = []
    return to_data(tuple(HtmlReader("", warnings.append).blocks(parse_html(html)))), warnings


def same_as_parser(html: str) -> bool:
    """Whether the fast path took ``html``; fails if its blocks differ from the parser's."""
    fast = plain_blocks(html)
    if fast is None:
        return False
    assert (to_data(tuple(fast)), []) == parsed(html), html
    return True


def generated(seed: int, count: int) -> list[str]:
    rnd = random.Random(seed)
    names = sorted(html5)
    refs = ["&amp;", "&lt;", "&#8230;", "&#x2019;", "&#0;", "&#13;", "&#128;", "&#x9F;", "&#xD800;", "&#xFFFE;",
            "&#x1FFFF;", "&#1114112;", "&#12345678;", "&", "& ", "&amp", "&notit;", "&#;", "&AMP;", "&Tab;"]
    pieces = ["text ", "word", " ", "\n", "\t", "  x  ", "İ", "’", "\u00a0", "\u3000", "\x0c", "\r", "\x00", "\x85",
              "\ufeff", "\U0001F600", "\U0001FFFE", "<br>", "<br />", "<br/>", "<BR>", "<em>", ">", "'", "=", "x</p>y"]
    docs = []
    for _ in range(count):
        parts = []
        for _ in range(rnd.randint(0, 8)):
            inner = "".join(rnd.choice(pieces) if rnd.random() < 0.6 else
                            rnd.choice(refs) if rnd.random() < 0.5 else f"&{rnd.choice(names)}"
                            for _ in range(rnd.randint(0, 8)))
            parts.append(rnd.choice(["", "\n", " ", "\n\n", "x", "<p >"]) + "<p>" + inner + "</p>")
        docs.append("".join(parts))
    return docs


def test_plain_paragraphs_are_read_as_the_parser_reads_them():
    docs = generated(13, 4000)
    docs += [f"<p>a&{name} b</p>" for name in html5]
    docs += [f"<p>x&#{code};y</p>\n<p>&#x{code:x};</p>" for code in [*range(0x300), 0xFFFD, 0xFFFE, 0x10FFFF, 0x110000]]
    docs += [f"<p>{chr(code)}</p>" for code in [*range(0x300), 0x2028, 0xFDD0, 0xFFFE, 0xFFFF, 0x1F600, 0x10FFFF]]
    taken = sum(same_as_parser(doc) for doc in docs)
    assert taken > 2500, taken  # the fast path is taken, not just declined


def test_plain_paragraphs_give_paragraphs_and_line_breaks():
    blocks = plain_blocks("\n<p>One &amp; two<br />\nthree</p>\n\n<p> </p><p>&#8230;</p>\n")
    assert blocks == [Paragraph((Text("One & two"), LineBreak(), Text("three"))), Paragraph((Text("…"),))]
    for other in ("<p>a <em>b</em></p>", "<p class='x'>a</p>", "text<p>a</p>", "<p>a &c</p>", "<p>a\x00</p>",
                  "<p>a\r\nb</p>", "<div><p>a</p></div>"):
        assert plain_blocks(other) is None, other
        assert html_to_content(other).blocks  # the parser reads them


def test_wpautop_passes_for_tags_change_nothing_without_tags():
    rnd = random.Random(7)
    pieces = ["a", "word", " ", "\n", "\n\n", "\n \n", "\t", "\x0b", "\x0c", "\xa0", "\u2028", "\x85", "&amp;", "’",
              "İ", "ı"]
    for _ in range(3000):
        text = "".join(rnd.choice(pieces) for _ in range(rnd.randint(0, 30)))
        assert wp._tag_passes(text) == text
        paragraphs = [p for p in wp._PARAGRAPHS.split(wp._MANY_BREAKS.sub("\n\n", text)) if p]
        made = wp._EMPTY_P.sub("", "".join(f"<p>{p.strip(chr(10))}</p>\n" for p in paragraphs))
        assert wp._paragraph_passes(made) == made
        assert "<" not in wpautop(text).replace("<p>", "").replace("</p>", "").replace("<br />", "")


def test_wpautop_guards_see_what_lower_case_sees():
    for text in ("<BR><br>", "<Hr>", "</DIV>", "</Address>", "</FORM>", "<LI>", "<BlockQuote>", "<lİ>", "<lı>",
                 "</addreſs>", "plain", "<b>"):
        for needle in wp._GUARDS:
            assert wp._has(text, needle, []) == (needle in text.lower()), (text, needle)


def test_style_fetch_is_found_from_its_equals_sign():
    rnd = random.Random(5)
    pieces = ["style", "STYLE", "ſtyle", "sty", "le", " ", "\n", "\u3000", "=", '"', "'", "url(", "URL(", "@import",
              "expression(", "x", "<p ", ">"]
    found = 0
    for _ in range(20000):
        text = "".join(rnd.choice(pieces) for _ in range(rnd.randint(0, 14)))
        assert style_fetches(text) == (STYLE_FETCH.search(text) is not None), text
        found += style_fetches(text)
    assert found > 20


def _bodies() -> list[str]:
    files = [CORPORA / p for p in WXR_EXPORTS.values()] + [CORPORA / p for ps in FEED_CORPORA.values() for p in ps]
    if not all(f.exists() for f in files):
        pytest.skip(f"the corpora are not under {CORPORA} (the shared corpora are not on this machine)")
    cdata = re.compile(r"<!\[CDATA\[(.*?)\]\]>", re.S)
    return [m[1] for f in files for m in cdata.finditer(f.read_text("utf-8", "replace"))]


def test_corpus_bodies_read_alike():
    taken = 0
    for body in _bodies():
        for html in (body, wpautop(body)):
            taken += same_as_parser(html)
            assert style_fetches(html) == (STYLE_FETCH.search(html) is not None)
    assert taken > 20, taken


def test_a_source_travels_back_from_a_worker_unchanged():
    """compiler.ingest.parallel packs a worker's source compactly (each model dataclass as its
    constructor's arguments); unpacked, it equals the source read here, class for class."""
    import dataclasses

    from compiler.ingest import ReadOptions, reader_for
    from compiler.ingest.parallel import _pack, _reducer, _unpack

    path = CORPORA / WXR_EXPORTS["theme-unit-test"]
    if not path.exists():
        pytest.skip(f"corpus {path} not found (the shared corpora are not on this machine)")
    data = path.read_bytes()
    source = reader_for(data).read(data, "export.xml", ReadOptions())
    assert source.pages and source.left_out and any(c.thread for c in source.copies)
    back = _unpack(_pack(source))
    assert back == source and repr(back) == repr(source)

    @dataclasses.dataclass(frozen=True)
    class Checked:
        value: int

        def __post_init__(self) -> None:
            pass

    @dataclasses.dataclass(frozen=True)
    class Derived:
        value: int
        twice: int = dataclasses.field(init=False, default=0)

    @dataclasses.dataclass(frozen=True)
    class Own:
        value: int

        def __init__(self, text: str) -> None:
            object.__setattr__(self, "value", len(text))

    @dataclasses.dataclass(frozen=True)
    class Keyword:
        value: int
        rest: int = dataclasses.field(default=0, kw_only=True)

    assert _reducer(Checked) is _reducer(Derived) is _reducer(Own) is _reducer(Keyword) is None  # the usual way
    assert _reducer(type(source)) is not None
