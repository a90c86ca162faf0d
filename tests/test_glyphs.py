"""Glyph coverage (compiler/glyphs.py): the book's fonts draw Kazakh, Greek and (in the PDF) Japanese."""

from __future__ import annotations

import json
import shutil
import unicodedata
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont  # type: ignore[import-untyped]

from compiler import glyphs
from compiler.glyphs import FontRef, Glyphs, coverage, describe, font_faces, font_plan, glyph_warning, missing

ROOT = Path(__file__).resolve().parent.parent
STYLE = ROOT / "styles"
FONTS = STYLE / "fonts"

KAZAKH = ("АӘБВГҒДЕЁЖЗИЙКҚЛМНҢОӨПРСТУҰҮФХҺЦЧШЩЪЫІЬЭЮЯ"
          "аәбвгғдеёжзийкқлмнңоөпрстуұүфхһцчшщъыіьэюя")
KAZAKH_TEXT = "Қазақстан Республикасы — әділет, ғылым, өнер, ұлт, үміт, Һ, і. «Жоқ» деп айтты."
GREEK = "Η ελληνική γλώσσα· ΑΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠΡΣΤΥΦΧΨΩ αβγδεζηθικλμνξοπρσςτυφχψω άέήίόύώϊϋΐΰ"
POLYTONIC = "Ἐν ἀρχῇ ἦν ὁ λόγος, καὶ ὁ λόγος ἦν πρὸς τὸν θεόν."
JAPANESE = "人身売買は、今も日本とカザフスタンで続いている。「ひらがな」・カタカナ・漢字、１２３。"
PRIVATE = "\ue7c7\U000f0001"  # invented private-use characters: no font of the book has them
INVISIBLE = "\u00ad\u200b\u200c\u200d\u2060\ufe0f\u200e\u202e\u2066\u2069\ufeff\t\n\r \u00a0\u202f\u3000\x07"


@pytest.fixture(scope="module")
def plan() -> glyphs.FontPlan:
    return font_plan()


def stack(plan: glyphs.FontPlan, role: str, style: str = "normal", pdf: bool = True) -> Glyphs:
    return plan.stack(role).glyphs(STYLE, style, pdf=pdf)


def needs_cjk() -> None:
    if glyphs.system_font("Noto Serif CJK JP") is None:
        pytest.skip("fonts-noto-cjk is not installed (tools/setup-system installs it)")


@pytest.mark.parametrize("role, style", [("serif", "normal"), ("serif", "italic"), ("italic", "italic"),
                                         ("sans", "normal"), ("mono", "normal")])
def test_kazakh_and_greek_are_covered_by_shipped_fonts(plan: glyphs.FontPlan, role: str, style: str) -> None:
    shipped = stack(plan, role, style, pdf=False)  # no system font: the EPUB's fonts alone
    assert all(f.source == "shipped" for f in shipped.fonts)
    assert shipped.missing(KAZAKH + KAZAKH_TEXT + GREEK + POLYTONIC) == set()


def test_eb_garamond_12_alone_lacks_kazakh_letters() -> None:
    """Why the fallback ships: without it, Қ Ғ Ң Һ (and more in the italic) would be tofu."""
    regular = Glyphs.of([FONTS / "EBGaramond12-Regular.otf"])
    assert regular.missing(KAZAKH) == set("ҚқҒғҢңҺһ")
    italic = Glyphs.of([FONTS / "EBGaramond12-Italic.otf"])
    assert set("ҚқҒғҢңҺһәүұ") <= italic.missing(KAZAKH)
    assert regular.missing(GREEK + POLYTONIC) == set()  # Greek needs no fallback


def test_fallback_holds_only_what_eb_garamond_12_lacks() -> None:
    for style in ("Regular", "Italic"):
        old = coverage(FONTS / f"EBGaramond12-{style}.otf")
        new = coverage(FONTS / f"EBGaramondFallback-{style}.ttf")
        assert new and not (old & new)
        with TTFont(FONTS / f"EBGaramondFallback-{style}.ttf") as font:
            assert font["name"].getDebugName(1) == "EB Garamond Fallback"
            assert "fvar" not in font  # a static instance


def test_japanese_is_covered_in_the_pdf_by_noto_cjk(plan: glyphs.FontPlan) -> None:
    needs_cjk()
    for role in ("serif", "italic", "sans", "mono"):
        pdf = stack(plan, role, "italic" if role == "italic" else "normal")
        assert any(f.source == "system" and "CJK" in f.family for f in pdf.fonts)
        assert pdf.missing(JAPANESE + KAZAKH_TEXT + GREEK) == set(), role
        assert pdf.missing("한국어 中文简体 繁體中文") == set(), role


def test_japanese_is_missing_from_the_shipped_fonts(plan: glyphs.FontPlan) -> None:
    """The EPUB leaves CJK to the reading system: the shipped fonts alone do not have it."""
    assert set("人身売買ひらがなカタカナ") <= stack(plan, "serif", pdf=False).missing(JAPANESE)


def test_private_use_and_emoji_are_reported_missing(plan: glyphs.FontPlan) -> None:
    for role in ("serif", "sans", "mono"):
        assert stack(plan, role).missing(f"Text {PRIVATE} and 😀.") == set(PRIVATE) | {"😀"}


def test_invisible_characters_are_never_missing() -> None:
    subset_only = Glyphs.of([FONTS / "EBGaramondFallback-Regular.ttf"])  # has no space, no Latin at all
    assert subset_only.missing(INVISIBLE) == set()
    assert subset_only.missing("a") == {"a"}


def test_a_decomposable_character_counts_as_drawn() -> None:
    """HarfBuzz draws a precomposed letter the font lacks from its base letter and combining mark."""
    garamond = Glyphs.of([FONTS / "EBGaramond12-Regular.otf"])
    points = coverage(FONTS / "EBGaramond12-Regular.otf")
    composable = [c for c in map(chr, range(0xC0, 0x10000)) if ord(c) not in points
                  and len(unicodedata.normalize("NFD", c)) > 1
                  and all(ord(p) in points for p in unicodedata.normalize("NFD", c))]
    assert composable, "EB Garamond 12 lacks no precomposed letter it could compose"
    assert garamond.missing("".join(composable)) == set()  # ↚ is ← and U+0338, which it has
    assert Glyphs.of([FONTS / "Lato-Regular.ttf"]).missing("\u212b") == set()  # ANGSTROM SIGN: NFC is Å
    assert garamond.missing("e\u0301") == set()  # a sequence: NFC


def test_warning_names_the_post_and_the_code_points(plan: glyphs.FontPlan) -> None:
    chars = stack(plan, "serif").missing("Hello \ue7c7 world")
    warning = glyph_warning("human-trafficking-part-iv", "Human Trafficking, Part IV", chars,
                            fonts="the serif fonts", file="sources/001.txt")
    assert warning is not None and warning.warning and warning.code == "W140"
    line = warning.format()
    assert "human-trafficking-part-iv" in line and "U+E7C7 (private use)" in line and "\n" not in line
    assert glyph_warning("x", "X", set()) is None
    many = glyph_warning("x", "X", {chr(0xE000 + n) for n in range(20)})
    assert many is not None and "and 8 more" in many.message


def test_describe_orders_by_code_point() -> None:
    assert describe({"\U0001f600", "Қ"}) == "U+049A CYRILLIC CAPITAL LETTER KA WITH DESCENDER, U+1F600 GRINNING FACE"


def test_the_shipped_books_text_has_no_tofu(plan: glyphs.FontPlan) -> None:
    """Every archive page and editorial file of the default book, against the text face."""
    text = "".join(p.read_text(encoding="utf-8") for p in [*sorted((ROOT / "sources").glob("*.txt")),
                                                          *sorted((ROOT / "chapters").glob("*.md"))])
    assert len(text) > 10_000
    assert stack(plan, "serif", pdf=False).missing(text) == set()
    assert stack(plan, "sans", pdf=False).missing(text) == set()


def test_coverage_cache_on_disk_by_hash(tmp_path: Path) -> None:
    copy = tmp_path / "copy.ttf"
    shutil.copyfile(FONTS / "EBGaramondFallback-Regular.ttf", copy)
    cache = tmp_path / "cache"
    glyphs._COVERAGE.clear()
    first = coverage(copy, cache)
    files = list(cache.glob("cmap-*.json"))
    assert len(files) == 1 and glyphs.file_sha256(copy) in files[0].name
    glyphs._COVERAGE.clear()
    files[0].write_text(json.dumps({"ranges": [[0x41, 0x42]]}))  # the disk entry is what is read back
    assert coverage(copy, cache) == {0x41, 0x42}
    glyphs._COVERAGE.clear()
    files[0].write_text("{broken")  # a corrupt entry: read the font again
    assert coverage(copy, cache) == first
    assert coverage(FONTS / "EBGaramondFallback-Regular.ttf") == first  # same hash, same entry
    (tmp_path / "ro").write_text("a file where the cache folder would be")
    assert coverage(copy, tmp_path / "ro" / "cache") == first  # an unwritable cache costs nothing


def test_a_broken_font_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.ttf"
    bad.write_bytes(b"not a font at all")
    with pytest.raises(ValueError, match="bad.ttf"):
        coverage(bad)


def test_font_faces_of_the_stylesheet() -> None:
    """book.css as the build hands it to WeasyPrint: the plan's faces first, stacks written out."""
    from compiler.fonts import apply_plan

    css = apply_plan((STYLE / "book.css").read_text(encoding="utf-8"), pdf=True, first=True)
    faces = font_faces(css, STYLE)
    assert [(f.family, f.style, f.path.name) for f in faces][:3] == [
        ("EB Garamond", "normal", "EBGaramond12-Regular.otf"), ("EB Garamond", "italic", "EBGaramond12-Italic.otf"),
        ("EB Garamond Fallback", "normal", "EBGaramondFallback-Regular.ttf")]
    assert {f.path.name for f in faces} == {p.name for p in FONTS.glob("*.*tf")}  # every shipped face is declared
    assert "var(--font-serif)" not in css and 'font-family: "EB Garamond", "EB Garamond Fallback", "Noto Serif CJK JP"' in css
    epub = apply_plan((STYLE / "book.css").read_text(encoding="utf-8"), pdf=False, first=True,
                      files={"EBGaramond12-Regular.otf"})
    assert "CJK JP" not in epub and [f.path.name for f in font_faces(epub, STYLE)] == ["EBGaramond12-Regular.otf"]
    assert missing(KAZAKH, [f.path for f in faces]) == set()


def test_system_font_is_none_for_a_family_not_installed() -> None:
    if shutil.which("fc-match") is None:
        pytest.skip("fontconfig's fc-match is not installed")
    assert glyphs.system_font("No Such Family Anywhere") is None
    assert glyphs.system_fonts("No Such Family Anywhere") == []


def test_plan_files_exist_with_licences(plan: glyphs.FontPlan) -> None:
    licences = " ".join(p.read_text(encoding="utf-8") for p in FONTS.glob("LICENSE-*.txt"))
    for s in plan.stacks:
        assert s.css().endswith(s.generic) and s.css(pdf=False).count("CJK") == 0
        for family in s.families:
            for _style, name in family.files:
                assert (FONTS / name).is_file(), name
                if not name.startswith(("EBGaramond12", "Lato")):  # the original two have their own files
                    assert name in licences and "SIL Open Font License" in licences
            if family.system:
                assert family.package == "fonts-noto-cjk"
    assert "Noto Serif CJK JP" in plan.report()
    assert glyphs.cjk_family("Serif", "zh-Hant") == "Noto Serif CJK TC"
    assert glyphs.cjk_family("Sans", "ko-KR") == "Noto Sans CJK KR"
    assert isinstance(plan.stack("mono").glyphs(STYLE).fonts[0], FontRef)


def test_weasyprint_draws_the_plan_without_tofu(plan: glyphs.FontPlan, tmp_path: Path) -> None:
    """The plan as CSS, laid out by WeasyPrint: each text is set in the font meant for it, and reads back."""
    needs_cjk()
    if shutil.which("pdffonts") is None:
        pytest.skip("pdffonts (poppler-utils) is not installed")
    import subprocess

    import pypdfium2
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration

    css = plan.font_face_css() + (
        f"body {{ font-family: {plan.stack('serif').css()} }} code {{ font-family: {plan.stack('mono').css()} }}"
        f" h1 {{ font-family: {plan.stack('sans').css()}; font-weight: normal }}"
        f" i {{ font-family: {plan.stack('italic').css()}; font-style: italic }}")
    html = (f"<html><body><h1>{KAZAKH_TEXT}</h1><p>{KAZAKH_TEXT} {GREEK}</p><p><i>{KAZAKH_TEXT} ґ</i></p>"
            f"<p lang='ja'>{JAPANESE}</p><p><code>Қазақ λόγος 日本 ─┼─</code></p></body></html>")
    pdf = tmp_path / "plan.pdf"
    fonts = FontConfiguration()
    weasyprint.HTML(string=html, base_url=str(STYLE) + "/").write_pdf(
        pdf, font_config=fonts, stylesheets=[weasyprint.CSS(string=css, base_url=str(STYLE) + "/", font_config=fonts)])
    listing = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    used = {line.split()[0].split("+")[-1] for line in listing.splitlines()[2:]}
    assert {"EB-Garamond", "EB-Garamond-Fallback", "EB-Garamond-Fallback-Italic", "Lato", "Noto-Sans-Mono",
            "Noto-Serif-CJK-JP"} <= used, used
    assert not {u for u in used if "DejaVu" in u or "Oblique" in u}, used  # nothing outside the plan, no fake italic
    doc = pypdfium2.PdfDocument(str(pdf))
    text = "".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))
    doc.close()
    flat = "".join(text.split())
    for sample in (KAZAKH_TEXT, JAPANESE, "Қазақλόγος日本"):
        assert "".join(sample.split()) in flat, sample


def test_language_stacks_put_the_cjk_family_first_in_print_only() -> None:
    from compiler.fonts import apply_plan

    assert apply_plan("a { font-family: var(--font-serif-ja) }", pdf=True) == (
        'a { font-family: "Noto Serif CJK JP", "EB Garamond", "EB Garamond Fallback", serif }')
    assert apply_plan("a { font-family: var(--font-sans-zh-hant) }", pdf=True).startswith(
        'a { font-family: "Noto Sans CJK TC", "Lato"')
    assert apply_plan("a { font-family: var(--font-serif-ja) }", pdf=False) == (
        'a { font-family: "EB Garamond", "EB Garamond Fallback", serif }')
    assert apply_plan("a { font-family: var(--font-other) }", pdf=True) == "a { font-family: var(--font-other) }"
