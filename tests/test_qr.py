"""QR codes (compiler/qr.py): the SVG laid out by WeasyPrint, rasterised by PDFium, read back by zbarimg."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote
from xml.etree import ElementTree as ET

import pytest
import segno

from compiler.qr import QRError, qr_matrix, qr_payload, qr_svg

SVG_NS = "{http://www.w3.org/2000/svg}"
URLS = [
    "https://example.com/",
    "https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=42s",
    "https://vimeo.com/123456789",
    "https://bücher.example/straße?q=ä",  # an IDN host, non-ASCII path and query
    "https://ru.wikipedia.org/wiki/Қазақстан",
    "https://example.com/%E2%9C%93%20done?x=%20y",  # percent-encoded already
    "http://例え.テスト/パス#節",
    "mailto:help@example.org?subject=Hotline%20number",
    "https://example.com/a?b=1&c=<x>&d=\"q\"",  # markup characters: escaped in the title
    "https://example.com/wp-content/uploads/2012/03/" + "long-file-name-" * 20 + ".jpg?" + "&".join(
        f"param{i}=value{i}" for i in range(40)),  # 700+ characters
]


def test_svg_is_inline_xml_sized_by_css() -> None:
    for url in URLS:
        svg = qr_svg(url)
        assert not svg.startswith("<?xml") and svg.startswith("<svg ")
        root = ET.fromstring(svg)  # well-formed XML: fit for XHTML
        assert root.tag == f"{SVG_NS}svg"
        assert "width" not in root.attrib and "height" not in root.attrib
        assert root.get("role") == "img" and root.get("class") == "qr"
        title = root.find(f"{SVG_NS}title")
        assert title is not None and title.text == url  # the address as the reader sees it
        assert list(root)[0] is title  # first child: the accessible name
        modules = len(qr_matrix(url))
        assert root.get("viewBox") == f"0 0 {modules + 8} {modules + 8}"  # quiet zone of 4 on each side


def test_error_level_m_exactly_not_boosted() -> None:
    for url in URLS:
        payload = qr_payload(url)
        expected = segno.make_qr(payload, error="m", boost_error=False, encoding="utf-8")
        assert expected.error == "M"
        assert qr_matrix(url) == tuple(tuple(bool(m) for m in row) for row in expected.matrix)
        boosted = segno.make_qr(payload, error="m", boost_error=True, encoding="utf-8")
        if boosted.error != "M":  # segno would have raised the level: ours must not have
            assert qr_matrix(url) != tuple(tuple(bool(m) for m in row) for row in boosted.matrix)


def test_payload_is_ascii_and_means_the_same_address() -> None:
    assert qr_payload("https://bücher.example/straße?q=ä") == "https://xn--bcher-kva.example/stra%C3%9Fe?q=%C3%A4"
    assert qr_payload("https://example.com/%E2%9C%93 ok") == "https://example.com/%E2%9C%93%20ok"  # kept, and space
    assert qr_payload(URLS[1]) == URLS[1]
    assert unquote(qr_payload("https://ru.wikipedia.org/wiki/Қазақстан")) == "https://ru.wikipedia.org/wiki/Қазақстан"
    assert qr_payload("http://例え.テスト/パス#節").startswith("http://xn--r8jz45g.xn--zckzah/%E3%83%91")
    for url in URLS:
        assert qr_payload(url).isascii()


def test_deterministic_across_processes() -> None:
    code = "import sys; from compiler.qr import qr_svg; sys.stdout.write(qr_svg(sys.argv[1]))"
    for url in URLS[3:6]:
        done = subprocess.run([sys.executable, "-c", code, url], capture_output=True, text=True, check=True,
                              encoding="utf-8")
        assert done.stdout == qr_svg(url)


def test_too_long_or_empty_is_refused() -> None:
    with pytest.raises(QRError, match="too long"):
        qr_svg("https://example.com/?" + "x" * 3000)
    with pytest.raises(QRError):
        qr_svg("   ")


@pytest.mark.skipif(shutil.which("zbarimg") is None,
                    reason="zbarimg is not installed (Debian zbar-tools; tools/setup-system installs it)")
def test_printed_codes_scan_back(tmp_path: Path) -> None:
    """All ten codes laid out by WeasyPrint on A6 pages, rendered at 200 dpi, decoded by zbarimg."""
    import pypdfium2
    import weasyprint

    pages = "".join(f'<section>{qr_svg(url)}</section>' for url in URLS)
    html = ("<html><head><style>@page { size: A6; margin: 10mm } section { break-after: page } "
            "svg.qr { width: 70mm; display: block }</style></head><body>" + pages + "</body></html>")
    pdf_bytes = weasyprint.HTML(string=html, base_url=str(tmp_path)).write_pdf()
    pdf = pypdfium2.PdfDocument(io.BytesIO(pdf_bytes))
    assert len(pdf) == len(URLS)
    for n, url in enumerate(URLS):
        png = tmp_path / f"page{n}.png"
        pdf[n].render(scale=200 / 72, grayscale=True).to_pil().save(png)
        done = subprocess.run(["zbarimg", "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", str(png)],
                              capture_output=True, timeout=60)
        assert done.returncode == 0, (url, done.stderr)
        assert done.stdout.decode("utf-8").rstrip("\n") == qr_payload(url), url
    pdf.close()
