"""Content design of the built book (issue #14), read from the shipped PDF and EPUB: one extract style
(the TIP report as a document with its source line and a clear end, letters with their salutation on
a line of its own and sign-offs flush right), the labelled post line, copy-editing as typesetting, and
the front and back matter (title page, copyright page, epigraph, contents, chapter subtitles, How to Help).

Positions come from ``pdftotext -bbox-layout`` (points from the page's top left)."""

from __future__ import annotations

import re
import statistics
import subprocess
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from lxml import etree

from conftest import ROOT, squash

XHTML = "{http://www.w3.org/1999/xhtml}"
TIP = "hope-in-kazakhstans-education-but-what-about-human-trafficking"


@dataclass(frozen=True)
class Line:
    page: int  # index from 0
    x0: float
    y0: float
    x1: float
    text: str


@dataclass(frozen=True)
class Page:
    width: float
    height: float
    lines: tuple[Line, ...]

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)


def read_pages(pdf: Path) -> list[Page]:
    xml = subprocess.run(["pdftotext", "-bbox-layout", str(pdf), "-"], capture_output=True, check=True).stdout
    root = etree.fromstring(xml, etree.XMLParser(recover=True, huge_tree=True))
    pages = []
    for number, page in enumerate(root.iter(f"{XHTML}page")):
        lines = tuple(Line(number, float(line.get("xMin")), float(line.get("yMin")), float(line.get("xMax")),
                           " ".join(w.text or "" for w in line.iter(f"{XHTML}word")))
                      for line in page.iter(f"{XHTML}line"))
        pages.append(Page(float(page.get("width")), float(page.get("height")), lines))
    return pages


@pytest.fixture(scope="module")
def pages(built) -> list[Page]:  # type: ignore[no-untyped-def]
    return read_pages(built["pdf"])


@pytest.fixture(scope="module")
def epub(built) -> dict[str, etree._Element]:  # type: ignore[no-untyped-def]
    with zipfile.ZipFile(built["epub"]) as z:
        return {Path(n).stem: etree.fromstring(z.read(n)) for n in z.namelist() if n.endswith(".xhtml")}


def _text(element: etree._Element) -> str:
    return squash(" ".join(element.itertext())).replace(" ,", ",").replace(" .", ".")


def _find(pages: list[Page], start: str) -> Line:
    return next(line for page in pages for line in page.lines if line.text.startswith(start))


def _page_with(pages: list[Page], text: str) -> Page:
    return next(page for page in pages if text in squash(page.text))


# ---------------------------------------------------------------- one extract style

def test_every_quotation_of_a_post_is_an_extract_in_the_epub(epub, book_model) -> None:  # type: ignore[no-untyped-def]
    """Golden: which posts hold extracts and how each begins, as the EPUB sets them (no enclosing
    quotation marks: the setting says that someone else speaks)."""
    found: dict[str, list[str]] = {}
    for doc in epub.values():
        for post in doc.iter(f"{XHTML}section"):
            if "post" not in (post.get("class") or "").split():
                continue
            for quote in post.iter(f"{XHTML}blockquote"):
                assert "extract" in quote.get("class", "").split(), post.get("id")
                found.setdefault(post.get("id"), []).append(" ".join(_text(quote).split()[:4]))
    assert found == {
        "shelters-for-victims-of-human-trafficking-in-kazakhstan": ["I mentioned before that"],
        "shelters-for-victims-of-human-trafficking-in-kazakhstan-part-ii": ["A concrete example might"],
        "human-trafficking-part-iv": ["We visited a shelter"],
        "the-future-of-freed-slaves-in-kazakhstan": ["Some of you are"],
        "kazakhstans-oil-and-human-trafficking-issues": ["As you have all"],
        "former-kazakh-police-officer-writes-about-human-trafficking": ["I have a passion",
                                                                        "You wrote earlier in"],
        TIP: ["Trafficking in Persons Report"],
        "british-teacher-combats-h-t-in-kazakhstan": ["It has long been"],
        "be-careful-and-be-warned-anti-abolitionists": ["NU hosted a concert"],
        "from-a-discouraged-abolitionist-in-kazakhstan": ["Dear Friend, I was"],
        "a-kazakhs-view-of-human-trafficking-in-kazakhstan": ["I hope that those"],
        "two-kyrgyz-women-part-ii": ["According to IOM (Intl.", "p. 158. “Victims of"],
    }
    assert set(found) == {p.id for p in book_model.posts} - {"we-want-to-do-something-part-ii"}


def test_the_tip_report_is_a_document_with_its_source_line_and_an_end(epub) -> None:  # type: ignore[no-untyped-def]
    quote = next(q for q in epub["tip-report"].iter(f"{XHTML}blockquote"))
    assert quote.get("class") == "extract document"
    first = quote.find(f"{XHTML}p")
    assert first.get("class") == "extract-source" and _text(first) == "Trafficking in Persons Report 2011: Kazakhstan"
    assert len(quote.findall(f"{XHTML}p")) == 8
    after = quote.getnext()
    assert after.tag == f"{XHTML}p" and _text(after).startswith("I’m still wondering")


def test_the_tip_report_is_indented_and_the_author_is_not(pages) -> None:  # type: ignore[no-untyped-def]
    """In the PDF, the report's lines are set in from both margins and the author's "I'm still
    wondering" starts at the margin again, on the full measure."""
    source = next(line for page in pages for line in page.lines
                  if squash(line.text).lower() == "trafficking in persons report 2011: kazakhstan")
    author = _find(pages, "I’m still wondering")
    margin = min(line.x0 for line in pages[author.page].lines if len(line.text) > 40)
    report = [line for page in pages[source.page:author.page + 1] for line in page.lines
              if (line.page, line.y0) > (source.page, source.y0) and (line.page, line.y0) < (author.page, author.y0)
              and len(line.text) > 40]
    assert len(report) > 60
    own_margin = [line.x0 for line in report if line.page == author.page]
    assert own_margin and min(own_margin) > margin + 15  # set in (indented paragraphs start further in)
    assert author.x0 == pytest.approx(margin, abs=1.0)
    width = max(line.x1 for line in pages[author.page].lines if len(line.text) > 40) - margin
    assert max(line.x1 for line in report if line.page == author.page) < margin + width - 15


def test_letters_salutation_alone_and_signoffs_flush_right(pages, epub) -> None:  # type: ignore[no-untyped-def]
    dear = _find(pages, "Dear Friend,")
    assert dear.text == "Dear Friend,"
    page = pages[dear.page]
    assert next(line for line in page.lines if line.y0 > dear.y0).text.startswith("I was gone for two days")
    span = next(s for s in epub["reflections"].iter(f"{XHTML}span") if s.get("class") == "salutation")
    assert span.text == "Dear Friend," and span.getnext().tag == f"{XHTML}br"
    for first, second in (("Yours Truly,", "Aigerim, a Discouraged Abolitionist"), ("your fellow abolitionist", None)):
        line = _find(pages, first)
        above = sorted((x for x in pages[line.page].lines if x.y0 < line.y0), key=lambda x: x.y0)[-6:]
        right = max(x.x1 for x in above)  # the letter's measure: its justified lines end there
        assert line.x1 == pytest.approx(right, abs=2.0), (first, line.x1, right)
        assert line.x0 > statistics.median(x.x0 for x in above) + 100
        if second:
            assert _find(pages, second).x1 == pytest.approx(right, abs=2.0)


# ---------------------------------------------------------------- the post line

def test_the_post_line_labels_tags_and_shows_dates(pages, epub, book_model) -> None:  # type: ignore[no-untyped-def]
    metas = [(_text(p), p.getparent()) for doc in epub.values() for p in doc.iter(f"{XHTML}p")
             if p.get("class") == "post-meta"]
    assert len(metas) == len(book_model.posts)
    for text, _section in metas:
        assert re.fullmatch(r"(?:\d{1,2} \w+ \d{4})?(?: · )?(?:Filed under [\w ,]+)?", text) and text, text
    by_id = {section.get("id"): text for text, section in metas}
    assert by_id["shelters-for-victims-of-human-trafficking-in-kazakhstan"] == "Filed under IOM, Ministry of Justice"
    assert by_id["the-future-of-freed-slaves-in-kazakhstan"] == "6 February 2012"
    title = [line for page in pages for line in page.lines  # the heading, not the contents' entry
             if line.text.startswith("Former Kazakh Police Officer") and ". ." not in line.text][-1]
    below = sorted((line for line in pages[title.page].lines if line.y0 > title.y0), key=lambda line: line.y0)
    rest = "Former Kazakh Police Officer Writes about Human Trafficking"[len(title.text):].strip()
    post_line = below[1] if rest and below[0].text == rest else below[0]  # after a title set on two lines
    assert post_line.text == "Filed under IOM"


def test_the_manifest_turns_the_tags_off(book_model) -> None:  # type: ignore[no-untyped-def]
    from compiler.render import Renderer

    quiet = replace(book_model, output=replace(book_model.output, show_tags=False))
    html = Renderer(quiet).print_html()
    assert "Filed under" not in html and 'class="tags"' not in html
    # (print HTML: names in no-hyphenation spans, a short last word tied with a no-break space)
    assert '<time datetime="2012-02-06">6 February&#160;2012</time>' in re.sub(r"</?span[^>]*>", "", html)
    assert Renderer(book_model).print_html().count("Filed under") == 12


# ---------------------------------------------------------------- copy-editing as typesetting

def test_copy_editing_in_both_editions(built, pages, epub) -> None:  # type: ignore[no-untyped-def]
    pdf_text = squash("\n".join(page.text for page in pages))
    epub_text = squash(" ".join(_text(doc) for doc in epub.values()))
    for text in (pdf_text, epub_text):
        assert "`" not in text and "′" not in text
        assert "I don’t blame world NGOs" in text and "I’m a part of this culture" in text
        assert "(“choice” not really being" in text
        assert "$70,000" in text and "$ 70,000" not in text
    assert not [line.text for page in pages for line in page.lines
                if line.text[:1] in "–—" and not line.text.startswith("— from")]  # the epigraph's attribution
    assert "times\u00a0– she" in " ".join("".join(doc.itertext()) for doc in epub.values())


# ---------------------------------------------------------------- front and back matter

def test_title_page_uses_the_whole_page(pages) -> None:  # type: ignore[no-untyped-def]
    page = next(p for p in pages if any(line.text == "Slavery Is Not Dead" for line in p.lines)
                and any("PRIVATELY" in line.text.replace(" ", "") for line in p.lines))
    title = next(line for line in page.lines if line.text == "Slavery Is Not Dead")
    imprint = [line for line in page.lines if "2026" in line.text or "PRIVATELY" in line.text.replace(" ", "")]
    assert title.y0 < page.height * 0.35
    assert min(line.y0 for line in imprint) > page.height * 0.8


def test_copyright_page_at_the_foot_with_its_lines(pages) -> None:  # type: ignore[no-untyped-def]
    page = _page_with(pages, "© 2026")
    text = squash(page.text)
    assert "© 2026 An American teacher in Kazakhstan." in text
    assert "First edition, November 2026." in text
    assert "One name in this book has been changed to protect the person it belongs to." in text
    assert "urn:" not in text and "uuid" not in text and "ISBN" not in text and "some names" not in text
    assert min(line.y0 for line in page.lines) > page.height * 0.5
    assert max(line.y0 for line in page.lines) > page.height * 0.8


def test_an_isbn_is_validated_and_printed(book_model, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from compiler.manifest.schema import isbn_digits
    from compiler.render import Renderer

    assert isbn_digits("978-0-306-40615-7") == "9780306406157"
    assert isbn_digits("0-306-40615-2") == "0306406152"
    for wrong in ("978-0-306-40615-8", "0-306-40615-3", "12345"):
        with pytest.raises(ValueError, match="is not an ISBN"):
            isbn_digits(wrong)
    with_isbn = replace(book_model, meta=replace(book_model.meta, isbn="978-0-306-40615-7"))
    html = Renderer(with_isbn).print_html()
    assert '<br/><span class="isbn">ISBN 978-0-306-40615-7</span></p>' in html
    assert 'class="isbn"' not in Renderer(book_model).print_html()


def test_a_wrong_isbn_is_an_error_at_its_line(tmp_path: Path) -> None:
    from conftest import copy_project, run_compiler

    project = copy_project(tmp_path / "book")
    manifest = project / "book.yaml"
    manifest.write_text(manifest.read_text().replace("  language: en\n", "  language: en\n  isbn: 978-0-306-40615-8\n"))
    result = run_compiler("check", "book.yaml", cwd=project)
    assert result.returncode == 2
    line = manifest.read_text().split("\n").index("  isbn: 978-0-306-40615-8") + 1
    assert f"book.yaml:{line}:" in result.stderr and "E205" in result.stderr and "check digit" in result.stderr
    manifest.write_text(manifest.read_text().replace("978-0-306-40615-8", "978-0-306-40615-7"))
    assert run_compiler("check", "book.yaml", cwd=project).returncode == 0


def test_epigraph_attribution_within_the_quotation(pages) -> None:  # type: ignore[no-untyped-def]
    attribution = _find(pages, "— from “Two Kyrgyz Women”")
    quote = [line for line in pages[attribution.page].lines if line.y0 < attribution.y0]
    assert len(quote) >= 3
    assert attribution.x1 <= max(line.x1 for line in quote) + 0.5


def test_every_chapter_has_a_subtitle(pages, book_model) -> None:  # type: ignore[no-untyped-def]
    text = squash("\n".join(page.text for page in pages))
    for chapter in book_model.chapters:
        assert chapter.subtitle, chapter.id
        assert squash(chapter.subtitle) in text


def test_contents_leaders_keep_their_distance(pages, book_model) -> None:  # type: ignore[no-untyped-def]
    """Between a title's last letter and the first leader dot there is at least an en space or so
    (4.5 pt), so no title seems to end in a full stop."""
    start = next(i for i, page in enumerate(pages) if page.lines and page.lines[0].text == "Contents")
    entries = [line for line in pages[start].lines if ". . ." in line.text]
    assert len(entries) >= len(book_model.posts) + len(book_model.chapters)
    for words in _TOC_WORDS[start]:
        first_dot = next(i for i, w in enumerate(words) if w[2] == ".")
        if first_dot == 0:  # a title that fills its line: the leaders and the number follow on the next
            continue
        gap = words[first_dot][0] - words[first_dot - 1][1]
        assert gap >= 4.5, (" ".join(w[2] for w in words[:first_dot]), gap)


#: Page index → the words (x0, x1, text) of each of its lines that hold leader dots.
_TOC_WORDS: dict[int, list[list[tuple[float, float, str]]]] = {}


@pytest.fixture(scope="module", autouse=True)
def _contents_words(built) -> None:  # type: ignore[no-untyped-def]
    xml = subprocess.run(["pdftotext", "-bbox-layout", str(built["pdf"]), "-"], capture_output=True, check=True).stdout
    root = etree.fromstring(xml, etree.XMLParser(recover=True, huge_tree=True))
    for number, page in enumerate(root.iter(f"{XHTML}page")):
        words = [(float(w.get("xMin")), float(w.get("xMax")), float(w.get("yMin")), float(w.get("yMax")), w.text or "")
                 for w in page.iter(f"{XHTML}word")]
        dots = [w for w in words if w[4] == "."]
        rows: list[list[tuple[float, float, str]]] = []
        for top, bottom in sorted({(round(w[2], 1), round(w[3], 1)) for w in dots}):
            # a row: every word whose middle lies within the leader's height (titles may be in another font)
            rows.append(sorted((w[0], w[1], w[4]) for w in words if top <= (w[2] + w[3]) / 2 <= bottom))
        _TOC_WORDS[number] = rows


def test_how_to_help_names_the_organisations_of_the_posts(pages, epub) -> None:  # type: ignore[no-untyped-def]
    names = ["International Organization for Migration (IOM)", "Ministry of Justice", "Swedish and Dutch NGO",
             "Almaty International Women’s Club (AIWC)", "US Embassy to Kazakhstan", "Free2work", "Not for Sale"]
    start = next(i for i, page in enumerate(pages) if page.lines and page.lines[0].text == "How to Help")
    help_pdf = squash(re.sub(r"\u2010\s*\n\s*", "", "\n".join(page.text for page in pages[start:start + 3])))
    help_epub = _text(epub["how-to-help"])
    sources = squash(" ".join(p.read_text() for p in (ROOT / "sources").glob("*.txt")))
    for name in names:
        assert name in help_pdf and name in help_epub, name
        found = name.replace(" and Dutch", " & Dutch").replace(" (IOM)", "").replace("(AIWC)", "")
        assert squash(found) in sources or name in sources, name  # named by the posts, not invented
    # the one web address given is the one that is certain
    assert re.findall(r"\b(?:www\.|https?://)\S+", help_epub) == ["www.iom.int."]
