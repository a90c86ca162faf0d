"""PDF: structure, fonts, metadata, outline, page numbers, fidelity, page sizes."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from conftest import ROOT, copy_project, run_compiler, sentences, squash
from pdftools import body_text, contents_entries, labels, page_texts

SHIPPED_FONTS = {"EB-Garamond", "EB-Garamond-Italic", "EB-Garamond-Italic,-Italic", "EB-Garamond-Small-Caps", "Lato"}


def test_pdf_is_written_by_the_build(built) -> None:  # type: ignore[no-untyped-def]
    assert built["pdf"].name == "slavery-is-not-dead.pdf"
    assert built["pdf"].read_bytes().startswith(b"%PDF-1.7")


def test_only_shipped_fonts_all_embedded_and_subset(built) -> None:  # type: ignore[no-untyped-def]
    out = subprocess.run(["pdffonts", str(built["pdf"])], capture_output=True, text=True, check=True).stdout
    rows = [line.split() for line in out.splitlines()[2:] if line.strip()]
    assert rows
    for row in rows:
        name = row[0].split("+", 1)[1]
        assert name in SHIPPED_FONTS, name
        emb, sub = row[-5], row[-4]
        assert (emb, sub) == ("yes", "yes"), row


def test_pdfinfo_tagged_title_author_language(built) -> None:  # type: ignore[no-untyped-def]
    info = subprocess.run(["pdfinfo", str(built["pdf"])], capture_output=True, text=True, check=True).stdout
    assert re.search(r"^Tagged:\s+yes$", info, re.M)
    assert re.search(r"^Title:\s+Slavery Is Not Dead$", info, re.M)
    assert re.search(r"^Author:\s+An American teacher in Kazakhstan$", info, re.M)
    assert re.search(r"^Keywords:\s+Human trafficking", info, re.M)
    root = PdfReader(str(built["pdf"])).trailer["/Root"]
    assert root["/Lang"] == "en"
    assert bool(root["/ViewerPreferences"]["/DisplayDocTitle"]) is True
    assert "/StructTreeRoot" in root and bool(root["/MarkInfo"]["/Marked"]) is True


def test_outline_has_5_chapters_and_13_posts(built, book_model) -> None:  # type: ignore[no-untyped-def]
    reader = PdfReader(str(built["pdf"]))
    outline = reader.outline
    chapters = []
    for i, item in enumerate(outline):
        if isinstance(item, list):
            continue
        children = outline[i + 1] if i + 1 < len(outline) and isinstance(outline[i + 1], list) else []
        if children:
            chapters.append((item.title, [c.title for c in children]))
    assert [c for c, _ in chapters] == [c.title for c in book_model.chapters]
    assert [squash(t) for _, posts in chapters for t in posts] == [squash(p.title) for p in book_model.posts]


def test_no_post_title_ends_on_a_line_of_one_word(built, book_model) -> None:  # type: ignore[no-untyped-def]
    lines = [squash(line) for text in page_texts(built["pdf"]) for line in text.split("\n") if line.strip()]
    wrapped = 0
    for post in book_model.posts:
        title = squash(post.title)
        spans = [lines[i:i + n] for n in (1, 2, 3) for i in range(len(lines)) if " ".join(lines[i:i + n]) == title]
        assert spans, title
        for span in spans:
            wrapped += len(span) > 1
            assert len(span[-1].split()) >= 2, span
    assert wrapped  # the shipped book has wrapped titles: the test sees them


def test_contents_follow_the_epigraph_and_precede_the_foreword(built, book_model) -> None:  # type: ignore[no-untyped-def]
    """Chicago 1.4: dedication and epigraph, then the contents, then foreword, preface and the rest,
    which the contents list (the epigraph is not listed)."""
    texts = [squash(t) for t in page_texts(built["pdf"])]
    epigraph = next(i for i, t in enumerate(texts) if "Remember behind every number" in t)
    contents = next(i for i, t in enumerate(texts) if t.startswith("Contents"))
    foreword = next(i for i, t in enumerate(texts) if t.startswith("Foreword"))
    assert [s.kind for s in book_model.front] == ["epigraph", "foreword"]
    assert epigraph < contents < foreword
    assert labels(built["pdf"])[contents] == "ix" and labels(built["pdf"])[foreword] == "xi"
    assert "Epigraph" not in texts[contents] and texts[contents].split()[1] == "Foreword"


def test_contents_page_numbers_are_where_titles_start(built, book_model) -> None:  # type: ignore[no-untyped-def]
    pdf = built["pdf"]
    page_labels = labels(pdf)
    texts = [squash(t) for t in page_texts(pdf)]
    titles = [s.title for s in book_model.front_after_toc] + [p.title for p in book_model.posts] + \
        [s.title for s in book_model.back]
    printed = contents_entries(pdf, titles)
    assert set(printed) == set(titles)
    for title, label in printed.items():
        assert label != "0", "target-counter rendered 0"
        index = page_labels.index(label)
        assert squash(title) in texts[index], (title, label)
        assert not texts[index - 1].endswith(squash(title)), (title, label)
    # and the link behind each entry goes to that page
    reader = PdfReader(str(pdf))
    names = {name: reader.get_destination_page_number(dest) for name, dest in reader.named_destinations.items()}
    for post in book_model.posts:
        assert page_labels[names[post.id]] == printed[post.title]


def test_page_labels_roman_then_arabic(built) -> None:  # type: ignore[no-untyped-def]
    page_labels = labels(built["pdf"])
    first_arabic = next(i for i, label in enumerate(page_labels) if label.isdigit())
    assert first_arabic > 4
    assert all(re.fullmatch(r"[ivxlc]+", label) for label in page_labels[:first_arabic])
    assert page_labels[first_arabic:] == [str(n) for n in range(1, len(page_labels) - first_arabic + 1)]
    assert page_labels[:3] == ["i", "ii", "iii"]


def test_printed_folios_match_page_labels(built, book_model) -> None:  # type: ignore[no-untyped-def]
    from compiler.model.nodes import Chart

    page_labels = labels(built["pdf"])
    texts = page_texts(built["pdf"])
    charts = [b for c in book_model.chapters for b in c.intro.blocks if isinstance(b, Chart)]
    charted = {f"{v:g}" for b in charts for s in b.series for v in s.values} | \
        {s.name for b in charts for s in b.series} | {label for b in charts for label in b.labels}  # a chart's numbers
    checked = 0
    for label, text in zip(page_labels, texts):
        lines = [line.strip() for line in text.split("\n") if line.strip()]
        if re.search(r"(?:\. ?){5,}", text) or not lines:
            continue  # contents pages print other pages' numbers
        numbers = [line for line in lines if re.fullmatch(r"[0-9]+|[ivxlc]+", line) and line not in charted]
        if numbers:
            assert numbers == [label], (label, numbers)
            checked += 1
    assert checked > len(page_labels) // 2


def test_fidelity_every_sentence_in_the_pdf(built, book_model) -> None:  # type: ignore[no-untyped-def]
    from compiler.render.typeset import typeset_paragraphs

    # PDF text extraction cannot tell a line-end hyphen from a hyphenation point, nor keep
    # spaces exactly: compare with hyphens and white space removed, every other character kept.
    def letters(text: str) -> str:
        return re.sub(r"[\s\u00a0\u2010-]+", "", text)

    text = letters(body_text(built["pdf"], labels(built["pdf"])))
    for post in book_model.posts:
        for paragraph in typeset_paragraphs(post.content):  # the text as set (see test_typeset.py)
            for sentence in sentences(squash(paragraph)):
                assert letters(sentence) in text, (post.id, sentence)


def test_no_weasyprint_warnings(built) -> None:  # type: ignore[no-untyped-def]
    report = json.loads(built["report"].read_text())
    assert report["warnings"] == []
    assert "warning" not in built["stderr"].read_text().lower()


@pytest.mark.parametrize("size, width, height", [("Letter", 612, 792), ("6x9in", 432, 648)])
def test_other_page_sizes(tmp_path: Path, size: str, width: int, height: int, book_model) -> None:  # type: ignore[no-untyped-def]
    project = copy_project(tmp_path)
    result = run_compiler("book.yaml", "--page-size", size, "--format", "pdf", cwd=project)
    assert result.returncode == 0, result.stderr
    assert "warning" not in result.stderr.lower()
    pdf = project / "out" / "slavery-is-not-dead.pdf"
    reader = PdfReader(str(pdf))
    for page in reader.pages:
        assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (width, height)
    report = json.loads((project / "out" / "report.json").read_text())
    assert report["warnings"] == []
    printed = contents_entries(pdf, [p.title for p in book_model.posts])
    page_labels = labels(pdf)
    texts = [squash(t) for t in page_texts(pdf)]
    for title, label in printed.items():
        assert squash(title) in texts[page_labels.index(label)]
    # The typography audit (issue #14's limits; A4 in test_typo_audit.py) on this size's build.
    from compiler import typo_audit

    figures = typo_audit.audit(pdf)
    print(typo_audit.report(figures, size))
    from test_typo_audit import meets_the_limits

    meets_the_limits(figures)


def test_a4_page_size(built) -> None:  # type: ignore[no-untyped-def]
    reader = PdfReader(str(built["pdf"]))
    assert {(round(float(p.mediabox.width)), round(float(p.mediabox.height))) for p in reader.pages} == {(595, 842)}


def test_fonts_are_subset_with_harfbuzz() -> None:
    """WeasyPrint subsets fonts with HarfBuzz (Debian libharfbuzz-subset0, installed by the set-up)
    when it can: much faster than its fontTools fallback."""
    from weasyprint.text.ffi import harfbuzz, harfbuzz_subset

    assert harfbuzz_subset is not None and harfbuzz.hb_version_atleast(4, 1, 0)


def test_every_selector_is_indexed_by_the_cascade() -> None:
    """cssselect2 files each rule under the id, class or element name of its rightmost compound;
    a rule with none of these (such as ``*`` or ``[lang]``) is tried against every element."""
    import cssselect2
    import tinycss2

    unindexed = []
    for name in ("book.css", "print.css", "page-A4.css", "page-Letter.css", "page-6x9in.css"):
        rules = tinycss2.parse_stylesheet((ROOT / "styles" / name).read_text(), skip_comments=True,
                                          skip_whitespace=True)
        for rule in rules:
            if rule.type != "qualified-rule":
                continue
            for selector in cssselect2.compile_selector_list(rule.prelude):
                if not (selector.id or selector.class_name or selector.local_name):
                    unindexed.append(f"{name}: {tinycss2.serialize(rule.prelude).strip()}")
    assert unindexed == []
