"""EPUB units, in this process: page-break markers (epub/pagelist.insert) and the reproducible
zip (epub/package.rezip)."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
from lxml import etree

from compiler.epub import pagelist
from compiler.epub.package import check, rezip
from compiler.errors import CompilerError

XHTML = "http://www.w3.org/1999/xhtml"


def _element(xml: str) -> etree._Element:
    return pagelist.parse(f'<div xmlns="{XHTML}" id="x">{xml}</div>').getroot()


def _text(element: etree._Element) -> str:
    """The element's content with the marker shown as |label|."""
    for marker in element.iter(f"{{{XHTML}}}span"):
        if marker.get("role") == "doc-pagebreak":
            marker.text = f"|{marker.get('aria-label')}|"
    return "".join(element.itertext())


@pytest.mark.parametrize(("xml", "words", "expected"), [
    ("one two three", 0, "|7|one two three"),
    ("one two three", 1, "one |7|two three"),
    ("one two three", 2, "one two |7|three"),
    ("one two three", 3, "one two three|7|"),  # the page begins after the last word
    ("one two three", 9, "one two three|7|"),
    ("  one  two", 1, "  one  |7|two"),  # whitespace stays where it was
    ("one <em>two three</em> four", 2, "one two |7|three four"),  # inside a child
    ("one <em>two</em> three four", 2, "one two |7|three four"),  # in a child's tail
    ("<em>one</em><em>two</em>", 1, "one|7|two"),
    ("one<br/>two", 1, "one|7|two"),
    ("", 0, "|7|"),
])
def test_insert_puts_the_marker_before_that_word(xml: str, words: int, expected: str) -> None:
    element = _element(xml)
    before = "".join(element.itertext())
    pagelist.insert(element, words, "7")
    markers = [m for m in element.iter(f"{{{XHTML}}}span") if m.get("role") == "doc-pagebreak"]
    assert len(markers) == 1 and markers[0].get("id") == "page-7"
    assert markers[0].get("{http://www.idpf.org/2007/ops}type") == "pagebreak"
    assert "".join(element.itertext()) == before  # no text lost, moved or doubled
    assert _text(element) == expected


Moment = tuple[int, int, int, int, int, int]


def _zip(entries: list[tuple[str, bytes]], when: Moment = (2020, 5, 17, 10, 11, 12)) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, data in entries:
            z.writestr(zipfile.ZipInfo(name, date_time=when), data, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


ENTRIES = [("EPUB/text/b.xhtml", b"<html/>"), ("mimetype", b"application/epub+zip"),
           ("EPUB/content.opf", b'<?xml version="1.0"?>\n<package version="3.0">\n</package>'),
           ("META-INF/container.xml", b"<container/>"), ("EPUB/text/a.xhtml", b"<html/>")]
MOMENT = dt.datetime(2026, 11, 23, 12, 0, 1, tzinfo=dt.timezone.utc)


def test_rezip_is_ordered_stored_first_and_timeless() -> None:
    data = rezip(_zip(ENTRIES), MOMENT, "en")
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        infos = z.infolist()
        assert [i.filename for i in infos] == ["mimetype", "META-INF/container.xml", "EPUB/content.opf",
                                               "EPUB/text/a.xhtml", "EPUB/text/b.xhtml"]
        assert infos[0].compress_type == zipfile.ZIP_STORED
        assert all(i.compress_type == zipfile.ZIP_DEFLATED for i in infos[1:])
        assert {i.date_time for i in infos} == {(2026, 11, 23, 12, 0, 0)}  # two-second resolution
        assert b'<package xml:lang="en" version="3.0">' in z.read("EPUB/content.opf")
    later = rezip(_zip(list(reversed(ENTRIES)), (2024, 1, 1, 0, 0, 0)), MOMENT, "en")
    assert later == data  # neither entry order nor time of writing changes a byte


def test_rezip_keeps_a_language_already_given_and_clamps_to_1980() -> None:
    entries = [(n, d.replace(b"<package ", b'<package xml:lang="kk" ')) for n, d in ENTRIES]
    data = rezip(_zip(entries), dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc), "en")
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert b'xml:lang="kk"' in z.read("EPUB/content.opf") and b'xml:lang="en"' not in z.read("EPUB/content.opf")
        assert z.infolist()[0].date_time == (1980, 1, 1, 0, 0, 0)


@pytest.mark.parametrize(("entries", "problem"), [
    ([e for e in ENTRIES if e[0] != "META-INF/container.xml"], "container.xml is missing"),
    ([("mimetype", b"text/plain")] + [e for e in ENTRIES if e[0] != "mimetype"], "wrong content"),
])
def test_rezip_refuses_a_broken_package(entries: list[tuple[str, bytes]], problem: str) -> None:
    with pytest.raises(CompilerError) as refused:
        rezip(_zip(entries), MOMENT, "en")
    assert refused.value.exit_code == 4 and problem in str(refused.value)


def test_check_refuses_what_is_not_a_zip() -> None:
    with pytest.raises(CompilerError, match="E401 not a zip file"):
        check(b"PK but not really")
