"""PDF/X-1a conversion (compiler.pdf.pdfx, compiler.pdf.cmyk) on crafted PDFs: the colour formula, every
kind of content stream (a form inside a form, a tiling pattern, a Type 3 glyph, an inline image),
shadings and images, the q/Q colour state, identification, and the refusals (E440, E442, E443).
The shipped book's real IngramSpark files are checked in test_print_editions.py."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pikepdf
import pytest
from PIL import Image

from compiler.errors import CompilerError
from compiler.pdf import pdfx
from compiler.pdf.cmyk import lab_to_rgb, rgb_to_cmyk
from conftest import copy_project, run_compiler
from pdfcheck import colour_problems

DATE = dt.datetime(2026, 11, 23, tzinfo=dt.timezone.utc)
Name = pikepdf.Name


@pytest.mark.parametrize("rgb, cmyk", [
    ((0, 0, 0), (0, 0, 0, 1)),  # black text: pure K, not rich black
    ((1, 1, 1), (0, 0, 0, 0)),
    ((0.5, 0.5, 0.5), (0, 0, 0, 0.5)),  # grays: K only
    ((0.168627, 0.168627, 0.168627), (0, 0, 0, 0.8314)),
    ((1, 0, 0), (0, 1, 1, 0)),
    ((0, 0, 1), (1, 1, 0, 0)),
    ((0.5, 0, 0), (0, 0.95, 0.95, 0.5)),  # 100 % M and Y over 50 % K would be 250 %: capped at 240 %
])
def test_rgb_to_cmyk_replaces_the_gray_component_and_limits_ink(rgb: tuple[float, ...],
                                                               cmyk: tuple[float, ...]) -> None:
    assert rgb_to_cmyk(*rgb) == pytest.approx(cmyk, abs=1e-4)


def test_no_colour_exceeds_240_percent_ink() -> None:
    steps = [i / 10 for i in range(11)]
    assert max(sum(rgb_to_cmyk(r, g, b)) for r in steps for g in steps for b in steps) <= 2.4 + 1e-9


def test_lab_goes_to_srgb() -> None:
    assert lab_to_rgb((100, 0, 0)) == pytest.approx((1, 1, 1), abs=0.01)
    assert lab_to_rgb((0, 0, 0)) == pytest.approx((0, 0, 0), abs=0.01)
    assert lab_to_rgb((54.29, 80.8, 69.89)) == pytest.approx((1, 0, 0), abs=0.02)  # sRGB red, D50
    assert lab_to_rgb((53.24, 80.09, 67.2), (0.95047, 1.0, 1.08883)) == pytest.approx((1, 0, 0), abs=0.02)  # D65


def _form(pdf: pikepdf.Pdf, content: bytes, **extra: object) -> pikepdf.Stream:
    return pikepdf.Stream(pdf, content, Type=Name.XObject, Subtype=Name.Form, BBox=[0, 0, 100, 100], **extra)


def _image(pdf: pikepdf.Pdf, data: bytes, space: object, **extra: object) -> pikepdf.Stream:
    return pikepdf.Stream(pdf, data, Type=Name.XObject, Subtype=Name.Image, Width=4, Height=4, BitsPerComponent=8,
                          ColorSpace=space, **extra)


def _crafted(page_content: bytes = b"", gs: dict[str, object] | None = None, font: object = None,
             trim: bool = True) -> bytes:
    """A page that uses every kind of content stream and colour resource, in RGB."""
    pdf = pikepdf.new()
    page = pdf.add_blank_page(page_size=(200, 200))
    if trim:
        page.obj.TrimBox = pikepdf.Array([0, 0, 200, 200])
    icc = pikepdf.Stream(pdf, b"\0" * 128, N=3)  # only /N is read: ICCBased RGB
    inner = _form(pdf, b"q 1 0 0 RG 0 0 10 10 re S /CS0 cs 0 0 1 sc 0 0 5 5 re f Q",
                  Resources=pikepdf.Dictionary(ColorSpace=pikepdf.Dictionary(CS0=pikepdf.Array([Name.ICCBased, icc]))))
    soft = _image(pdf, bytes([255] * 8 + [0] * 8), Name.DeviceGray)
    picture = _image(pdf, bytes([255, 0, 0] * 16), Name.DeviceRGB, SMask=soft)
    palette = _image(pdf, bytes([0, 1] * 8), pikepdf.Array([Name.Indexed, Name.DeviceRGB, 1,
                                                             pikepdf.String(bytes([255, 0, 0, 0, 0, 0]))]))
    outer = _form(pdf, b"0.2 0.2 0.2 rg 0 0 20 20 re f /Inner Do /Picture Do /Palette Do",
                  Group=pikepdf.Dictionary(Type=Name.Group, S=Name.Transparency, CS=Name.DeviceRGB),
                  Resources=pikepdf.Dictionary(XObject=pikepdf.Dictionary(Inner=inner, Picture=picture,
                                                                          Palette=palette)))
    tile = pikepdf.Stream(pdf, b"0.5 0.5 0.5 rg 0 0 5 5 re f", Type=Name.Pattern, PatternType=1, PaintType=1,
                          TilingType=1, BBox=[0, 0, 10, 10], XStep=10, YStep=10, Resources=pikepdf.Dictionary())
    glyph = pikepdf.Stream(pdf, b"10 0 d0 0 1 0 rg 0 0 10 10 re f")
    type3 = pikepdf.Dictionary(Type=Name.Font, Subtype=Name.Type3, FontBBox=[0, 0, 10, 10],
                               FontMatrix=[0.1, 0, 0, 0.1, 0, 0], CharProcs=pikepdf.Dictionary(a=glyph),
                               Encoding=pikepdf.Dictionary(Differences=[97, Name.a]), FirstChar=97, LastChar=97,
                               Widths=[10])
    shading = pikepdf.Dictionary(ShadingType=2, ColorSpace=Name.DeviceRGB, Coords=[0, 0, 100, 0],
                                 Function=pikepdf.Dictionary(FunctionType=2, Domain=[0, 1], C0=[1, 0, 0], C1=[0, 0, 1],
                                                             N=1))
    state = pikepdf.Dictionary(**(gs or {"ca": 1, "CA": 1, "SMask": Name("/None"), "BM": Name.Normal}))
    page.obj.Resources = pikepdf.Dictionary(
        XObject=pikepdf.Dictionary(Outer=outer), Pattern=pikepdf.Dictionary(Tile=tile),
        Font=pikepdf.Dictionary(F3=font if font is not None else type3), Shading=pikepdf.Dictionary(Sh0=shading),
        ExtGState=pikepdf.Dictionary(GS0=state),
        ColorSpace=pikepdf.Dictionary(CS0=pikepdf.Array([Name.ICCBased, icc])))
    page.obj.Group = pikepdf.Dictionary(Type=Name.Group, S=Name.Transparency, CS=Name.DeviceRGB)
    inline = b"BI /W 4 /H 3 /BPC 8 /CS /RGB ID " + bytes([0, 0, 255] * 12) + b" EI"
    page.obj.Contents = pdf.make_stream(
        b"/GS0 gs 0 0 0 rg BT /F3 12 Tf (a) Tj ET /Outer Do /Pattern cs /Tile scn 0 0 50 50 re f /Sh0 sh "
        b"q /CS0 cs Q 0.5 sc 0 0 1 1 re f /CS0 cs q Q 0 1 0 sc 1 1 1 1 re f q 40 0 0 30 0 0 cm " + inline + b" Q "
        + page_content)
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


@pytest.fixture(scope="module")
def converted() -> pikepdf.Pdf:
    return pikepdf.open(io.BytesIO(pdfx.convert(_crafted(), "Crafted", DATE)))


def _ops(stream: pikepdf.Object) -> list[str]:
    return [pikepdf.unparse_content_stream([i]).decode() for i in pikepdf.parse_content_stream(stream)]


def test_the_crafted_page_starts_in_rgb_everywhere() -> None:
    with pikepdf.open(io.BytesIO(_crafted())) as original:
        problems, walked = colour_problems(original)
    assert walked == 5  # page, outer form, inner form, tiling pattern, Type 3 glyph
    assert any("Inner" in p and "RG" in p for p in problems) and any("glyph" in p for p in problems)
    assert any("pattern" in p for p in problems) and any("image" in p for p in problems)


def test_every_content_stream_and_resource_becomes_cmyk(converted: pikepdf.Pdf) -> None:
    problems, walked = colour_problems(converted)
    assert problems == [] and walked == 5
    page = converted.pages[0]
    ops = _ops(page.obj.Contents)
    assert "0 0 0 1 k" in ops  # black: pure K
    assert "0.5 sc" in ops  # after Q the fill space is DeviceGray again: left alone
    assert ops[ops.index("/DeviceCMYK cs", ops.index("0.5 sc")) + 3] == "1 0 1 0 sc"  # q Q keeps the space set before
    assert "/Group" not in page.obj
    outer = page.Resources.XObject.Outer
    assert "/Group" not in outer and "0 0 0 0.8 k" in _ops(outer)
    inner = outer.Resources.XObject.Inner  # a form inside a form
    assert _ops(inner)[1:5] == ["0 1 1 0 K", "0 0 10 10 re", "S", "/DeviceCMYK cs"] and "1 1 0 0 sc" in _ops(inner)
    assert "0 0 0 0.5 k" in _ops(page.Resources.Pattern.Tile)
    assert "1 0 1 0 k" in _ops(page.Resources.Font.F3.CharProcs.a)
    shading = page.Resources.Shading.Sh0
    assert shading.ColorSpace == Name.DeviceCMYK
    assert [float(v) for v in shading.Function.C0] == [0, 1, 1, 0]
    assert [float(v) for v in shading.Function.C1] == [1, 1, 0, 0]
    assert dict(page.Resources.ExtGState.GS0.items()) == {}
    assert "/ColorSpace" not in page.Resources or "/CS0" not in page.Resources.ColorSpace


def test_images_become_cmyk_flattened_onto_white(converted: pikepdf.Pdf) -> None:
    xobjects = converted.pages[0].Resources.XObject.Outer.Resources.XObject
    picture = xobjects.Picture
    assert picture.ColorSpace == Name.DeviceCMYK and "/SMask" not in picture
    pixels = pikepdf.PdfImage(picture).as_pil_image()
    assert pixels.mode == "CMYK" and pixels.getpixel((0, 0)) == (0, 255, 255, 0)  # red where opaque
    assert pixels.getpixel((0, 3)) == (0, 0, 0, 0)  # white (no ink) where the soft mask hid it
    palette = xobjects.Palette.ColorSpace
    assert palette[1] == Name.DeviceCMYK and bytes(palette[3]) == bytes([0, 255, 255, 0, 0, 0, 0, 255])
    inline = converted.pages[0].Resources.XObject.Inline0  # the inline RGB image, drawn as an XObject
    assert inline.ColorSpace == Name.DeviceCMYK
    assert pikepdf.PdfImage(inline).as_pil_image().getpixel((0, 0)) == (255, 255, 0, 0)


def test_the_file_is_identified_as_pdfx_1a(converted: pikepdf.Pdf) -> None:
    info = converted.docinfo
    assert converted.pdf_version == "1.3"
    assert str(info.GTS_PDFXVersion) == "PDF/X-1:2001" and str(info.GTS_PDFXConformance) == "PDF/X-1a:2001"
    assert info.Trapped == Name("/False") and str(info.Title) == "Crafted"
    assert str(info.CreationDate) == str(info.ModDate) == "D:20261123000000+00'00'"
    intent = converted.Root.OutputIntents[0]
    assert intent.S == Name.GTS_PDFX and str(intent.OutputConditionIdentifier) == "CGATS TR 001"
    assert str(intent.RegistryName) == "http://www.color.org" and "/DestOutputProfile" not in intent
    assert not converted.is_encrypted and "/Metadata" not in converted.Root


def test_the_conversion_is_deterministic() -> None:
    data = _crafted()
    assert pdfx.convert(data, "Crafted", DATE) == pdfx.convert(data, "Crafted", DATE)


@pytest.mark.parametrize("gs, what", [({"ca": 0.5}, "opacity of 0.5"), ({"CA": 0.25}, "opacity of 0.25"),
                                      ({"BM": Name.Multiply}, "blend mode /Multiply")])
def test_real_transparency_is_refused_with_e440(gs: dict[str, object], what: str) -> None:
    with pytest.raises(CompilerError) as caught:
        pdfx.to_pdfx(_crafted(gs=gs), "book-ingram.pdf", "Book", DATE)
    line = caught.value.diagnostics[0].format()
    assert line.startswith("book-ingram.pdf: E440 cannot make a PDF/X-1a file: page 1, graphics state /GS0: ")
    assert what in line and "\n" not in line and caught.value.exit_code == 4


def test_a_font_that_is_not_embedded_is_refused_with_e442() -> None:
    helvetica = pikepdf.Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Helvetica)
    with pytest.raises(CompilerError) as caught:
        pdfx.to_pdfx(_crafted(font=helvetica), "book-ingram.pdf", "Book", DATE)
    assert caught.value.diagnostics[0].code == "E442" and "/Helvetica is not embedded" in str(
        caught.value.diagnostics[0].message)


def test_a_page_without_a_trimbox_is_refused_with_e443() -> None:
    with pytest.raises(CompilerError) as caught:
        pdfx.to_pdfx(_crafted(trim=False), "book-ingram.pdf", "Book", DATE)
    assert caught.value.diagnostics[0].code == "E443" and "TrimBox" in caught.value.diagnostics[0].message


def test_an_rgb_image_converts_like_rgb_values() -> None:
    from compiler.pdf.cmyk import pil_to_cmyk

    colours = [(0, 0, 0), (255, 255, 255), (128, 0, 0), (10, 200, 40), (128, 128, 128)]
    image = Image.new("RGB", (len(colours), 1))
    image.putdata(colours)
    data, space = pil_to_cmyk(image)
    assert space == Name.DeviceCMYK
    for n, rgb in enumerate(colours):
        expect = [round(v * 255) for v in rgb_to_cmyk(*(c / 255 for c in rgb))]
        assert list(data[4 * n:4 * n + 4]) == pytest.approx(expect, abs=1)


def test_a_build_with_real_transparency_stops_with_one_line_and_writes_nothing(tmp_path: Path) -> None:
    """The shipped book with a half-transparent heading and an IngramSpark edition: E440, exit 4, no file."""
    project = copy_project(tmp_path / "book")
    manifest = project / "book.yaml"
    manifest.write_text(manifest.read_text().replace("output:\n", "output:\n  print: {service: ingram}\n", 1))
    with (project / "styles" / "book.css").open("a") as css:
        css.write("\nh1 { opacity: 0.5 }\n")
    result = run_compiler("book.yaml", "--edition", "print", cwd=project)
    assert result.returncode == 4, result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith("slavery-is-not-dead-ingram-6x9in.pdf: E440 cannot make a PDF/X-1a file: page ")
    assert "an opacity of 0.5" in line and "Traceback" not in result.stderr
    assert not any((project / "out").glob("*.pdf"))  # nothing half-written
