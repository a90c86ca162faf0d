"""Links on paper: a print edition numbers each web link and lists the chapter's notes with a QR code
that decodes to the URL (zbar) and the page the link is on; the screen PDF and the EPUB keep live links."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pikepdf
import pytest

from conftest import run_compiler

LINKS = {"its own pages": "https://www.iom.int/",
         "a second address": "https://example.org/reports/2011/kazakhstan?lang=en&part=2"}
PRINT = "slavery-is-not-dead-kdp-6x9in.pdf"


@pytest.fixture(scope="module")
def linked(built: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped book (from the session's warm build) with two web links in a chapter intro and a
    KDP print edition, built in both editions."""
    project = tmp_path_factory.mktemp("links") / "book"
    shutil.copytree(built["project"], project)
    intro = project / "chapters" / "shelters.md"
    intro.write_text(intro.read_text() + "\nThe International Organization for Migration keeps [its own pages]"
                     f"({LINKS['its own pages']}) on counter-trafficking, and [a second address]"
                     f"({LINKS['a second address']}) shows how a long one is set.\n")
    manifest = project / "book.yaml"
    manifest.write_text(manifest.read_text().replace("output:\n", "output:\n  print: {service: kdp}\n", 1))
    result = run_compiler("book.yaml", cwd=project)
    assert result.returncode == 0, result.stderr
    return project / "out"


def _pages(pdf: Path) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return text.split("\f")


def test_each_link_has_a_note_whose_qr_code_decodes_to_its_url(linked: Path, tmp_path: Path) -> None:
    pages = _pages(linked / PRINT)
    link_page = next(i for i, p in enumerate(pages) if "its own pages1" in p)
    assert "a second address2" in pages[link_page]
    notes_page = next(i for i, p in enumerate(pages) if re.search(r"^\s*Notes\s*$", p, re.M) and "iom.int" in p)
    assert notes_page > link_page
    subprocess.run(["pdftoppm", "-r", "300", "-png", "-f", str(notes_page + 1), "-l", str(notes_page + 1),
                    str(linked / PRINT), str(tmp_path / "notes")], check=True)
    decoded = subprocess.run(["zbarimg", "--raw", "-q", *map(str, sorted(tmp_path.glob("notes*.png")))],
                             capture_output=True, text=True).stdout.split()
    assert sorted(decoded) == sorted(LINKS.values())
    # the back-reference is the folio of the page the link is on
    folio = int(re.findall(r"^\s*(\d+)\s*$", pages[notes_page], re.M)[-1])
    expected = folio - (notes_page - link_page)
    assert re.findall(r"page (\d+)", pages[notes_page]) == [str(expected)] * 2


def test_the_print_interior_has_no_link_annotations_but_the_screen_pdf_keeps_them(linked: Path) -> None:
    with pikepdf.open(linked / PRINT) as pdf:
        assert all("/Annots" not in page.obj for page in pdf.pages)
    with pikepdf.open(linked / "slavery-is-not-dead.pdf") as pdf:
        uris = {str(a.A.URI) for page in pdf.pages for a in page.obj.get("/Annots", [])
                if "/A" in a and "/URI" in a.A}
    assert set(LINKS.values()) <= uris
    assert not any("Notes" in p and "iom.int" in p for p in _pages(linked / "slavery-is-not-dead.pdf"))


def test_the_epub_keeps_live_links_without_note_numbers(linked: Path) -> None:
    with zipfile.ZipFile(linked / "slavery-is-not-dead.epub") as epub:
        doc = epub.read("EPUB/text/shelters.xhtml").decode()
    assert f'<a href="{LINKS["its own pages"]}">its own pages</a>' in doc
    assert "linkref" not in doc and "link-notes" not in doc
