"""The print edition, proven on one small book (tests/printbook.py) built once by init + the command line:
embeds with QR codes that scan back, no tofu in Kazakh, Greek and Japanese (roman, italic, code), W140
for characters no font has, lists with hanging indents and start numbers, a table whose header repeats
and whose rows are never split, code in the shipped Noto Sans Mono."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from compiler.qr import qr_payload

from printbook import EMBEDS, GREEK, JAPANESE, KAZAKH, KAZAKH_ITALIC, LONG_URL, NOTES, TABLE_ROWS, UNCOVERED, decode_qr, make_book, \
    pdf_fonts, png_pages

XHTML = "{http://www.w3.org/1999/xhtml}"
#: The fonts of the plan as the PDF names them (WeasyPrint names the italic-only family "…-Italic,-Italic").
PLAN_FONTS = {"EB-Garamond", "EB-Garamond-Italic", "EB-Garamond-Italic,-Italic", "EB-Garamond-Fallback",
              "EB-Garamond-Fallback-Italic", "Lato", "Noto-Sans-Mono", "Noto-Serif-CJK-JP", "Noto-Sans-CJK-JP",
              "Noto-Sans-Mono-CJK-JP"}
ITALIC_FONTS = {"EB-Garamond-Italic", "EB-Garamond-Italic,-Italic", "EB-Garamond-Fallback-Italic"}


def _need(*tools: str) -> None:
    for tool in tools:
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (tools/setup-system installs it)")


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    return make_book(tmp_path_factory.mktemp("printbook"))


def _pdf(book: dict[str, object]) -> Path:
    return Path(str(book["pdf"]))


def _pages(pdf: Path, *args: str) -> list[str]:
    raw = subprocess.run(["pdftotext", *args, "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True,
                         check=True).stdout
    return raw.split("\f")[:-1]


def _epub_chapters(epub: Path) -> list[etree._Element]:
    with zipfile.ZipFile(epub) as z:
        return [etree.fromstring(z.read(n)) for n in sorted(z.namelist()) if n.endswith(".xhtml")]


# ------------------------------------------------------------------ embeds


def test_every_embed_prints_a_qr_code_that_scans_back_to_its_url(book, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _need("pdftoppm", "zbarimg")
    with_urls = [n + 1 for n, text in enumerate(_pages(_pdf(book))) if "https://" in text]
    decoded = decode_qr(png_pages(_pdf(book), tmp_path, 150, with_urls))
    assert sorted(decoded) == sorted(qr_payload(url) for url in EMBEDS)  # each once, each its own URL


def test_every_embed_shows_its_kind_url_and_caption_in_print(book) -> None:  # type: ignore[no-untyped-def]
    text = re.sub(r"\s+", "", "".join(_pages(_pdf(book))))
    for url, caption in EMBEDS.items():
        assert re.sub(r"\s+", "", url) in text.replace("-", "") or url.replace("-", "") in text.replace("-", ""), url
        if caption:
            assert caption.replace(" ", "") in text, caption
    for label in ("VIDEOONYOUTUBE", "VIDEOONVIMEO", "POSTONX(TWITTER)", "POSTONINSTAGRAM", "VIDEOONWORDPRESS.TV",
                  "AUDIORECORDING", "VIDEORECORDING", "EMBEDDEDCONTENT"):  # an unknown provider is shown too
        assert label in text.upper(), label


def test_epub_embeds_have_caption_and_live_link_and_no_qr(book) -> None:  # type: ignore[no-untyped-def]
    figures = [f for doc in _epub_chapters(Path(str(book["epub"])))
               for f in doc.iter(f"{XHTML}figure") if "embed" in (f.get("class") or "").split()]
    assert len(figures) == len(EMBEDS) + 1
    for figure, (url, caption) in zip(figures, [*EMBEDS.items(), (LONG_URL, "")]):
        links = [a.get("href") for a in figure.iter(f"{XHTML}a")]
        assert links == [url]
        captions = ["".join(c.itertext()) for c in figure.iter(f"{XHTML}figcaption")]
        assert captions == ([caption] if caption else [])
        assert not list(figure.iter("{http://www.w3.org/2000/svg}svg"))  # the QR code is for paper only


def test_an_embed_too_long_for_a_qr_code_prints_its_url_and_warns_w141(book) -> None:  # type: ignore[no-untyped-def]
    lines = [line for line in str(book["stderr"]).splitlines() if "W141" in line]
    assert len(lines) == 1 and "'embeds-of-every-kind'" in lines[0] and "too long for a QR code" in lines[0]
    text = re.sub(r"\s+", "", "".join(_pages(_pdf(book))))
    assert "p199=value0199" in text and "p0=value0000" in text  # the whole address, on paper


# ------------------------------------------------------------------ glyphs


def test_no_tofu_every_character_is_drawn_by_a_font_that_has_it(book) -> None:  # type: ignore[no-untyped-def]
    """Each embedded font's own cmap covers what is drawn with it; only the characters W140 named are not,
    and only they are drawn by a font outside the plan."""
    fonts = pdf_fonts(_pdf(book))
    uncovered = {c for f in fonts for c in f.uncovered()}
    outside = {c for f in fonts if f.name not in PLAN_FONTS for c in "".join(f.drawn.values())}
    assert uncovered | outside <= set(UNCOVERED), (uncovered, outside)
    in_plan = {c for f in fonts if f.name in PLAN_FONTS for c in "".join(f.drawn.values())}
    for sample in (KAZAKH, KAZAKH_ITALIC, GREEK, JAPANESE):
        assert {c for c in sample if not c.isspace()} <= in_plan, sample
    italic = {c for f in fonts if f.name in ITALIC_FONTS for c in "".join(f.drawn.values())}
    assert {c for c in KAZAKH_ITALIC if not c.isspace()} <= italic  # true italics, not slanted roman
    by_name = {f.name: f for f in fonts}
    assert set("әғұүҚҢҺ") & set("".join(by_name["EB-Garamond-Fallback-Italic"].drawn.values()))
    assert not {f.name for f in fonts} - PLAN_FONTS - {"DejaVu-Sans"}  # no faked bold, no stray family


def test_w140_names_the_post_and_the_characters(book) -> None:  # type: ignore[no-untyped-def]
    lines = [line for line in str(book["stderr"]).splitlines() if "W140" in line]
    assert len(lines) == 1, lines
    assert "'characters-no-font-has'" in lines[0]
    assert "U+10000 LINEAR B SYLLABLE B008 A" in lines[0] and "U+1F600 GRINNING FACE" in lines[0]


def test_epub_carries_the_faces_its_text_needs_and_plain_stacks(book) -> None:  # type: ignore[no-untyped-def]
    with zipfile.ZipFile(Path(str(book["epub"]))) as z:
        fonts = {Path(n).name for n in z.namelist() if "/fonts/" in n}
        css = b"".join(z.read(n) for n in z.namelist() if n.endswith(".css")).decode()
    # Kazakh needs the fallback (roman and italic), the code needs the mono font; CJK is the reader's
    assert fonts == {"EBGaramond12-Regular.otf", "EBGaramond12-Italic.otf", "EBGaramondFallback-Regular.ttf",
                     "EBGaramondFallback-Italic.ttf", "Lato-Regular.ttf", "NotoSansMono-Regular.ttf"}
    assert "var(--font" not in css.replace("var(--font-serif | italic | sans | mono)", "") and "CJK JP" not in css
    assert 'font-family: "EB Garamond Italic", "EB Garamond Fallback", serif' in css


# ------------------------------------------------------------------ lists, tables, code


def _words(pdf: Path) -> list[tuple[int, float, float, str]]:
    """(page, xMin, yMin, word) of every word (pdftotext -bbox)."""
    html = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    out = []
    for n, page in enumerate(html.split("<page ")[1:]):
        for m in re.finditer(r'<word xMin="([\d.]+)" yMin="([\d.]+)"[^>]*>([^<]*)</word>', page):
            out.append((n, float(m[1]), float(m[2]), m[3]))
    return out


def test_lists_hang_their_lines_and_keep_start_numbers(book) -> None:  # type: ignore[no-untyped-def]
    words = _words(_pdf(book))

    def at(word: str) -> tuple[int, float, float, str]:
        return next(w for w in words if w[3] == word)

    def second_line_x(word: str) -> float:
        page, _x, y, _w = at(word)
        below = sorted({w[2] for w in words if w[0] == page and w[2] > y + 2})[0]
        return min(w[1] for w in words if w[0] == page and abs(w[2] - below) < 1)

    first, inner, deep = at("Firstitem"), at("Inneritem"), at("Deepitem")
    assert abs(second_line_x("Firstitem") - first[1]) < 1  # the wrapped line starts under the text
    assert abs(second_line_x("Inneritem") - inner[1]) < 1
    marker = next(w for w in words if w[3] == "3." and w[0] == first[0] and abs(w[2] - first[2]) < 1)
    assert marker[1] < first[1]  # "3." (start="3") hangs left of the text
    assert [w[3] for w in words if w[0] == first[0] and w[3] in ("3.", "4.", "5.")] == ["3.", "4.", "5."]
    assert first[1] < inner[1] < deep[1]  # nested lists step in


def test_table_header_repeats_and_rows_are_never_split(book) -> None:  # type: ignore[no-untyped-def]
    words = _words(_pdf(book))
    pages_of = {n: {w[0] for w in words if w[3] in (f"{n},", f"end{n}") or w[3] == f"end{n}"}
                for n in range(1, TABLE_ROWS + 1)}
    row_pages = set()
    for n in range(1, TABLE_ROWS + 1):
        start = {w[0] for w in words if w[3] == str(n) and any(v[3] == "Row" and v[0] == w[0] and
                                                               abs(v[2] - w[2]) < 1 for v in words)}
        assert len(start) == 1 and start == pages_of[n], (n, start, pages_of[n])  # a row on one page
        row_pages |= start
    assert len(row_pages) >= 2, "the table should be longer than a page"
    heads = {w[0] for w in words if w[3] == "Headcell"}
    assert heads == row_pages  # the header row on every page the table covers


def test_code_is_set_in_the_shipped_mono_font(book) -> None:  # type: ignore[no-untyped-def]
    by_name = {f.name: f for f in pdf_fonts(_pdf(book))}
    mono = "".join(by_name["Noto-Sans-Mono"].drawn.values())
    assert set("defgreturnСәлемӘҒҚ─┼x=1") <= set(mono)
    assert set("日本") <= set("".join(by_name["Noto-Sans-Mono-CJK-JP"].drawn.values()))


# ------------------------------------------------------------------ footnotes


def test_footnotes_at_the_foot_of_the_page_of_their_call(book) -> None:  # type: ignore[no-untyped-def]
    """36 notes (long ones, in a list, a quotation, a table cell): each on the page of its call, below the
    text, in order, none lost, none overlapping (float: footnote with footnote-policy: line)."""
    words = _words(_pdf(book))
    for n in range(1, NOTES + 1):
        calls = [w for w in words if w[3] == f"Claim{n}"]
        notes = [w for w in words if w[3] == f"Note{n}"]
        assert len(calls) == 1 and len(notes) == 1, (n, calls, notes)  # none lost, no endnote list besides
        assert calls[0][0] == notes[0][0], f"note {n} is not on the page of its call"
        page = [w for w in words if w[0] == notes[0][0]]
        body = [w[2] for w in page if w[3].startswith("Claim")]
        assert notes[0][2] > max(body), n  # below every line of text of its page
    tops = [next(w[:3] for w in words if w[3] == f"Note{n}") for n in range(1, NOTES + 1)]
    for (page_a, _xa, ya), (page_b, _xb, yb) in zip(tops, tops[1:]):
        assert page_b > page_a or yb > ya + 5  # in order, one under the other


def test_epub_notes_are_noterefs_and_endnotes(book) -> None:  # type: ignore[no-untyped-def]
    docs = _epub_chapters(Path(str(book["epub"])))
    refs = [a for d in docs for a in d.iter(f"{XHTML}a") if a.get("role") == "doc-noteref"]
    sections = [s for d in docs for s in d.iter(f"{XHTML}section") if s.get("role") == "doc-endnotes"]
    assert len(refs) == NOTES and len(sections) == 1
    items = list(sections[0].iter(f"{XHTML}li"))
    assert [i.get("id") for i in items] == [a.get("href").lstrip("#") for a in refs]
    assert all("".join(i.itertext()).strip().startswith(f"Note{n} ") for n, i in enumerate(items, 1))


# ------------------------------------------------------------------ PDF/X-1a


def test_pdfx_keeps_every_qr_code_and_all_text(book, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """This book made PDF/X-1a (as IngramSpark's files are): its SVG QR codes still scan, CMYK, and its
    text (CJK fonts, stored as bare CFF for PDF 1.3) still extracts the same."""
    import datetime as dt

    import pikepdf

    from compiler.pdf import pdfx
    from pdfcheck import colour_problems

    _need("pdftoppm", "zbarimg")
    converted = tmp_path / "pdfx.pdf"
    date = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    converted.write_bytes(pdfx.convert(_pdf(book).read_bytes(), "Print book", date))
    with pikepdf.open(converted) as pdf:
        assert colour_problems(pdf)[0] == [] and pdf.pdf_version == "1.3"
    assert _pages(converted) == _pages(_pdf(book))
    with_urls = [n + 1 for n, text in enumerate(_pages(converted)) if "https://" in text]
    assert sorted(decode_qr(png_pages(converted, tmp_path / "png", 150, with_urls))) == sorted(
        qr_payload(url) for url in EMBEDS)
