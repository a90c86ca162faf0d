"""Print-on-demand editions of the shipped book: each service's interior rules, read back with pikepdf
and poppler, the wrap cover's size against the spine formula, and reproducible bytes."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
from pathlib import Path

import pikepdf
import pytest

from compiler.model import PrintEdition
from compiler.pdf import editions
from conftest import ROOT, copy_project, run_compiler
from pdfcheck import colour_problems, text_fill_colours

PT = 72.0
EDITIONS = [
    PrintEdition("kdp", "white", "6x9in", False),
    PrintEdition("kdp", "cream", "6x9in", True),
    PrintEdition("lulu", "white", "A5", True),
    PrintEdition("ingram", "cream", "5.5x8.5in", True),
]
INGRAM = EDITIONS[3]


@pytest.mark.parametrize("pages, inches", [(24, 0.375), (150, 0.375), (151, 0.5), (300, 0.5), (301, 0.625),
                                           (500, 0.625), (501, 0.75), (700, 0.75), (701, 0.875), (828, 0.875)])
def test_the_gutter_follows_kdps_table(pages: int, inches: float) -> None:
    assert editions.gutter(pages) == inches


def test_pages_are_padded_to_even_and_the_services_minimum() -> None:
    kdp, lulu = PrintEdition("kdp"), PrintEdition("lulu")
    assert [editions.padded(kdp, n) for n in (1, 23, 24, 45, 46)] == [24, 24, 24, 46, 46]
    assert [editions.padded(lulu, n) for n in (24, 31, 33)] == [32, 32, 34]


@pytest.mark.parametrize("edition, pages, spine", [
    (PrintEdition("kdp", "white"), 200, 200 * 0.002252), (PrintEdition("kdp", "cream"), 200, 0.5),
    (PrintEdition("lulu", "white"), 444, 1.06), (PrintEdition("ingram", "cream"), 100, 0.25)])
def test_the_cover_is_two_trims_a_spine_and_bleed(edition: PrintEdition, pages: int, spine: float) -> None:
    width, height, got = editions.cover_size(edition, pages)
    trim_w, trim_h = editions.TRIM_SIZE[edition.trim]
    assert got == pytest.approx(spine)
    assert width == pytest.approx(2 * trim_w + spine + 2 * 0.125) and height == pytest.approx(trim_h + 0.25)


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """The shipped book with four print editions, print files only."""
    project = copy_project(tmp_path_factory.mktemp("print"))
    manifest = project / "book.yaml"
    lines = "".join(f"    - {{service: {e.service}, paper: {e.paper}, trim: {e.trim}, bleed: {str(e.bleed).lower()}}}\n"
                    for e in EDITIONS)
    manifest.write_text(manifest.read_text().replace("output:\n", "output:\n  print:\n" + lines, 1))
    result = run_compiler("book.yaml", "--edition", "print", cwd=project)
    assert result.returncode == 0, result.stderr
    report = json.loads((project / "out" / "report.json").read_text())
    return {"project": project, "out": project / "out", "facts": {f["edition"]: f for f in report["print_editions"]},
            "stderr": result.stderr}


def _box(page: pikepdf.Page, name: str) -> tuple[float, float]:
    box = [float(v) for v in page.obj.get(name, page.obj["/MediaBox"])]
    return round((box[2] - box[0]) / PT, 3), round((box[3] - box[1]) / PT, 3)


def _fonts_embedded(pdf: pikepdf.Pdf) -> list[str]:
    """Names of fonts that are not embedded (should be none)."""
    missing = []
    for page in pdf.pages:
        for font in (page.obj.get("/Resources", {}).get("/Font", {}) or {}).values():
            for f in [font, *font.get("/DescendantFonts", [])]:
                descriptor = f.get("/FontDescriptor")
                if descriptor is not None and not any(k in descriptor for k in ("/FontFile", "/FontFile2",
                                                                                 "/FontFile3")):
                    missing.append(str(f.get("/BaseFont")))
    return missing


@pytest.mark.parametrize("edition", EDITIONS, ids=lambda e: e.name)
def test_each_interior_follows_its_services_rules(printed: dict, edition: PrintEdition) -> None:  # type: ignore[type-arg]
    facts = printed["facts"][edition.name]
    path = printed["out"] / facts["interior"]
    trim = editions.TRIM_SIZE[edition.trim]
    rules = editions.RULES[edition.service]
    with pikepdf.open(path) as pdf:
        pages = len(pdf.pages)
        assert pages % 2 == 0 and pages >= rules.min_pages and pages == facts["pages"]
        assert "/Outlines" not in pdf.Root and "/PageMode" not in pdf.Root
        for n, page in enumerate(pdf.pages):
            assert "/Annots" not in page.obj, f"page {n + 1} has annotations"
            assert _box(page, "/TrimBox") == pytest.approx(trim, abs=0.002)
            media = _box(page, "/MediaBox")
            extra = 0.125 if edition.bleed else 0.0
            sides = 2 if edition.service != "kdp" else 1  # KDP bleeds the outside edge, not the spine side
            assert media == pytest.approx((trim[0] + sides * extra, trim[1] + 2 * extra), abs=0.002)
            assert _box(page, "/BleedBox") == pytest.approx(media, abs=0.002)
        assert _fonts_embedded(pdf) == []
    assert facts["gutter_in"] == editions.gutter(pages)
    _check_margins(path, edition, pages)


def _check_margins(path: Path, edition: PrintEdition, pages: int) -> None:
    """Text stays clear of the gutter (inside) and of the service's minimum margins on every page."""
    html = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True).stdout
    inside = editions.gutter(pages)
    floor = editions.RULES[edition.service].min_margin
    width, height = editions.TRIM_SIZE[edition.trim]
    checked = 0
    for number, page in enumerate(re.findall(r"<page .*?</page>", html, re.S), 1):
        words = [tuple(float(v) for v in w) for w in re.findall(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)"', page)]
        if not words:
            continue
        # pdftotext measures from the MediaBox: subtract the bleed on the left of this page
        left_bleed = 0.125 if edition.bleed and (edition.service != "kdp" or number % 2 == 0) else 0.0
        x0 = min(w[0] for w in words) / PT - left_bleed
        x1 = max(w[2] for w in words) / PT - left_bleed
        gutter_side = x0 if number % 2 else width - x1  # recto: the spine is on the left
        assert gutter_side >= inside, f"page {number}: text {gutter_side:.3f} in from the spine"
        assert min(x0, width - x1) >= floor
        checked += 1
    assert checked > pages // 2


def test_each_cover_matches_the_formula(printed: dict) -> None:  # type: ignore[type-arg]
    for edition in EDITIONS:
        facts = printed["facts"][edition.name]
        width, height, spine = editions.cover_size(edition, facts["pages"])
        with pikepdf.open(printed["out"] / facts["cover"]) as pdf:
            assert len(pdf.pages) == 1
            page = pdf.pages[0]
            assert _box(page, "/MediaBox") == pytest.approx((width, height), abs=0.002)
            assert _box(page, "/TrimBox") == pytest.approx((width - 0.25, height - 0.25), abs=0.002)
            assert _fonts_embedded(pdf) == []
        assert facts["spine_in"] == pytest.approx(spine, abs=1e-4)


def test_the_spine_carries_the_title_from_79_pages(printed: dict, tmp_path: Path) -> None:  # type: ignore[type-arg]
    """A cover drawn for 300 pages: the title's words lie on the spine, turned; for 60 pages: no spine text."""
    from compiler.manifest import load_manifest
    from compiler.model.assemble import assemble
    from compiler.pdf.editions import cover_context, lay_out_cover
    from compiler.redact import redact
    from compiler.render import Renderer

    book = assemble(load_manifest(printed["project"] / "book.yaml"), redact)
    edition = PrintEdition("kdp", "white", "6x9in")
    renderer = Renderer(book)
    for pages, expect in ((300, True), (60, False)):
        pdf = tmp_path / f"cover-{pages}.pdf"
        pdf.write_bytes(lay_out_cover(book, renderer.render("wrap-cover.html", **cover_context(book, edition, pages)),
                                      edition))
        html = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True,
                              check=True).stdout
        spine_left = (0.125 + 6.0) * PT
        spine_right = spine_left + editions.spine_width("kdp", "white", pages) * PT
        on_spine = [w for w in re.findall(r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">'
                                          r'(\w+)</word>', html)
                    if float(w[0]) >= spine_left - 0.5 and float(w[1]) <= spine_right + 0.5]
        assert (("Slavery" in {w[2] for w in on_spine}) is expect), on_spine


def test_print_editions_are_byte_reproducible(printed: dict, tmp_path: Path) -> None:  # type: ignore[type-arg]
    again = tmp_path / "again"
    shutil.copytree(printed["project"], again, ignore=shutil.ignore_patterns("out"))
    result = run_compiler("book.yaml", "--edition", "print", cwd=again)
    assert result.returncode == 0, result.stderr
    for facts in printed["facts"].values():
        for name in (facts["interior"], facts["cover"]):
            assert (again / "out" / name).read_bytes() == (printed["out"] / name).read_bytes(), name


def test_a_print_only_build_writes_no_screen_edition_and_names_no_redacted_term(printed: dict) -> None:  # type: ignore[type-arg]
    out = printed["out"]
    assert not (out / "slavery-is-not-dead.pdf").exists() and not (out / "slavery-is-not-dead.epub").exists()
    for facts in printed["facts"].values():
        text = subprocess.run(["pdftotext", str(out / facts["interior"]), "-"], capture_output=True, text=True,
                              check=True).stdout
        assert "Natasha" not in text and "N." in text
        assert "How to Help" in text and "Slavery Is Not Dead" in text
    assert "wrote out/slavery-is-not-dead-kdp-6x9in.pdf (" in printed["stderr"]


def test_an_unknown_service_is_an_error_at_its_line(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "book")
    manifest = project / "book.yaml"
    text = manifest.read_text().replace("output:\n", "output:\n  print: {service: blurb}\n", 1)
    manifest.write_text(text)
    line = text[: text.index("service: blurb")].count("\n") + 1
    result = run_compiler("book.yaml", "--edition", "print", cwd=project)
    assert result.returncode == 2
    assert result.stderr.startswith(f"book.yaml:{line}:") and "E20" in result.stderr
    assert "Traceback" not in result.stderr


# ------------------------------------------------------------------ IngramSpark: PDF/X-1a:2001


def _ingram_files(printed: dict) -> list[Path]:  # type: ignore[type-arg]
    facts = printed["facts"][INGRAM.name]
    return [printed["out"] / facts["interior"], printed["out"] / facts["cover"]]


def test_the_ingram_interior_and_cover_are_pdfx_1a(printed: dict) -> None:  # type: ignore[type-arg]
    """PDF/X-1a:2001 identification, the output intent, PDF 1.3 structure, boxes, fonts, and no RGB or
    transparency in any content stream (nested forms, patterns, Type 3 glyphs) or resource."""
    for path in _ingram_files(printed):
        raw = path.read_bytes()
        assert raw.startswith(b"%PDF-1.3\n") and b"/ObjStm" not in raw and b"/XRef" not in raw, path.name
        described = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
        assert re.search(r"^PDF subtype: +PDF/X-1:2001$", described, re.M) and "ISO 15930-1" in described  # poppler
        with pikepdf.open(path) as pdf:
            assert pdf.check_pdf_syntax() == []  # qpdf finds nothing wrong
            info = pdf.docinfo
            assert str(info.GTS_PDFXVersion) == "PDF/X-1:2001" and str(info.GTS_PDFXConformance) == "PDF/X-1a:2001"
            assert info.Trapped == pikepdf.Name("/False") and str(info.Title).startswith("Slavery Is Not Dead")
            assert str(info.CreationDate) == str(info.ModDate) == "D:20261123000000+00'00'"  # book.date, not the clock
            (intent,) = pdf.Root.OutputIntents
            assert intent.S == pikepdf.Name.GTS_PDFX and str(intent.OutputConditionIdentifier) == "CGATS TR 001"
            assert str(intent.RegistryName) == "http://www.color.org" and str(intent.Info)
            assert not pdf.is_encrypted and len(pdf.trailer.ID) == 2 and "/Metadata" not in pdf.Root
            for page in pdf.pages:
                assert "/TrimBox" in page.obj and "/BleedBox" in page.obj and "/Annots" not in page.obj
            assert _fonts_embedded(pdf) == []
            assert not [o for o in pdf.objects if isinstance(o, pikepdf.Dictionary) and "/FontFile3" in o
                        and o.FontFile3.get("/Subtype") == "/OpenType"]  # a PDF 1.6 font form
            problems, walked = colour_problems(pdf)
            assert problems == [], (path.name, problems[:5])
            assert walked > len(pdf.pages) or path.name.endswith("-cover.pdf")  # the interior's forms were walked
            images = [o for o in pdf.objects if isinstance(o, pikepdf.Stream) and o.get("/Subtype") == "/Image"]
            assert all(str(i.get("/ColorSpace")) in ("/DeviceCMYK", "/DeviceGray") and "/SMask" not in i
                       for i in images)


def test_the_other_services_files_are_unchanged_rgb(printed: dict) -> None:  # type: ignore[type-arg]
    for edition in EDITIONS[:3]:
        facts = printed["facts"][edition.name]
        for name in (facts["interior"], facts["cover"]):
            with pikepdf.open(printed["out"] / name) as pdf:
                assert pdf.pdf_version == "1.7" and "/OutputIntents" not in pdf.Root
                assert "/GTS_PDFXVersion" not in pdf.docinfo
                assert any("rg" in p for p in colour_problems(pdf)[0]), name  # sRGB, as Lulu and KDP want


def _page_with(path: Path, text: str) -> int:
    pages = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout.split("\f")
    return next(n for n, page in enumerate(pages, 1) if text in page)


def test_ingram_text_is_black_ink_alone(printed: dict, tmp_path: Path) -> None:  # type: ignore[type-arg]
    """Body text is 0 0 0 1 k (K only, no rich black) in the content, and in a CMYK rendering of the
    TIP figure's page the text's pixels carry K alone while the figure's bars keep their colour."""
    import numpy as np
    from PIL import Image

    interior = _ingram_files(printed)[0]
    number = _page_with(interior, "Law enforcement against")
    with pikepdf.open(interior) as pdf:
        colours = text_fill_colours(pdf, number)
    assert ("k", (0.0, 0.0, 0.0, 1.0)) in colours
    assert {op for op, _values in colours} <= {"k", "g"}  # no rg, no sc left before any text
    neutral = [values for op, values in colours if op == "k" and max(values[:3]) == 0]
    assert len(neutral) > len(colours) // 2  # most text is neutral: K only, C = M = Y = 0
    subprocess.run(["pdftoppm", "-r", "60", "-jpegcmyk", "-f", str(number), "-l", str(number), str(interior),
                    str(tmp_path / "page")], check=True)
    image = Image.open(next(tmp_path.glob("page-*.jpg")))
    assert image.mode == "CMYK"
    width, height = image.size
    body = np.asarray(image.crop((0, int(height * 0.72), width, int(height * 0.92))))  # the post's first lines
    inked = body[body[..., 3] > 100]
    assert len(inked) > 300 and inked[:, :3].max() <= 12  # K only (JPEG leaves a little noise)
    chart = np.asarray(image.crop((0, int(height * 0.3), width, int(height * 0.62))))
    assert chart[..., 0].max() > 100  # the 2009 bars: cyan survived


def test_an_ingram_donor_copy_is_pdfx_1a_too(printed: dict) -> None:  # type: ignore[type-arg]
    """A donor's verso (WeasyPrint's page, RGB: here a page of the KDP interior) spliced into the Ingram
    interior: the copy is made PDF/X-1a again, with the page's text in place."""
    from compiler.manifest import load_manifest
    from compiler.model.assemble import assemble
    from compiler.pdf.donors import VERSO, finish_copy
    from compiler.redact import redact

    book = assemble(load_manifest(printed["project"] / "book.yaml"), redact)
    interior, _cover = _ingram_files(printed)
    kdp = printed["out"] / printed["facts"][EDITIONS[0].name]["interior"]
    number = _page_with(kdp, "Law enforcement against")
    with pikepdf.open(kdp) as source, pikepdf.new() as single:
        single.pages.append(source.pages[number - 1])
        page = io.BytesIO()
        single.save(page)
    with pikepdf.open(io.BytesIO(page.getvalue())) as rgb:
        assert colour_problems(rgb)[0]  # the page as laid out is RGB
    copy = finish_copy(book, INGRAM, "copy.pdf", interior.read_bytes(), page.getvalue())
    with pikepdf.open(io.BytesIO(copy)) as pdf, pikepdf.open(interior) as edition:
        assert colour_problems(pdf)[0] == [] and pdf.pdf_version == "1.3"
        assert str(pdf.docinfo.GTS_PDFXConformance) == "PDF/X-1a:2001" and len(pdf.Root.OutputIntents) == 1
        assert len(pdf.pages) == len(edition.pages)
        assert len(text_fill_colours(pdf, VERSO + 1)) > 10  # the spliced page's text, now CMYK
