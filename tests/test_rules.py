"""Chapter rules, sorts and the book's filter: golden placements over a small WordPress export.

Each folder of ``tests/rules/`` holds a ``book.yaml`` (its source: ``blog.xml``
beside the folders, a small export with nested categories, tags, two authors,
post formats, a draft and two pages) and ``expected.txt``: one line per
chapter, ``chapter-id: post-id post-id ...`` in the chapter's order. The
manifest is validated in this process (no rendering). Errors of rules (a rule
or a value selecting nothing, bad date ranges, unknown exclusions, posts the
filter leaves out) are broken manifests in ``tests/manifests/`` (36 to 43).
"""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

import pytest

from compiler.errors import CompilerError
from compiler.manifest import load_manifest
from compiler.model.assemble import assemble

from conftest import ROOT, run_compiler

RULES = Path(__file__).parent / "rules"
CASES = sorted(p for p in RULES.iterdir() if p.is_dir())


def _project(tmp_path: Path, manifest: str) -> Path:
    shutil.copy(RULES / "blog.xml", tmp_path / "blog.xml")
    (tmp_path / "book.yaml").write_text(manifest, encoding="utf-8")
    return tmp_path / "book.yaml"


def _placements(chapters: dict[str, list[str]]) -> str:
    return "".join(f"{chapter}: {' '.join(posts)}\n" for chapter, posts in chapters.items())


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_golden_placement(case: Path, tmp_path: Path) -> None:
    validated = load_manifest(_project(tmp_path, (case / "book.yaml").read_text(encoding="utf-8")))
    assert _placements(validated.chapters) == (case / "expected.txt").read_text(encoding="utf-8")
    assert not [w for w in validated.warnings if w.code == "W223"], validated.warnings  # every post placed


def test_every_selector_and_sort_has_a_golden_case() -> None:
    names = {c.name for c in CASES}
    for selector in ("category", "tag", "dates", "author", "format", "status", "title"):
        assert f"select-{selector}" in names
    for order in ("listed", "date", "date-desc", "title"):
        assert f"sort-{order}" in names


def test_the_goldens_differ_from_the_unsorted_order() -> None:
    """A sort that did nothing would pass its golden only if the export's order were already sorted."""
    listed = (RULES / "sort-listed" / "expected.txt").read_text().splitlines()[1].split(": ")[1]
    for order in ("sort-date", "sort-date-desc"):
        assert (RULES / order / "expected.txt").read_text().split(": ")[1].strip() != listed


def test_page_chapter_holds_the_page_text(tmp_path: Path) -> None:
    book = assemble(load_manifest(_project(tmp_path, (RULES / "page-chapter" / "book.yaml").read_text())))
    contact = book.chapters[1]
    assert (contact.title, contact.posts) == ("Write to Me", ())
    assert "the letters reach me" in " ".join(b.children[0].text for b in contact.intro.blocks)  # type: ignore[attr-defined]
    assert book.front[0].title == "About This Blog"


def test_the_build_summary_counts_the_posts_the_filter_left_out(tmp_path: Path) -> None:
    validated = load_manifest(_project(tmp_path, (RULES / "filter-dates" / "book.yaml").read_text()))
    assert validated.left_out_summary() == ["blog.xml: left out 1 post draft", "filter: left out 2 posts"]


def test_a_post_filtered_out_is_not_reported_unplaced_but_others_are(tmp_path: Path) -> None:
    manifest = """book: {title: Rules, authors: [Tester], date: 2026-01-01}
sources: [blog.xml]
filter: {exclude_tags: [Travel]}
chapters:
  - {id: law, title: Law, rule: {categories: [Law]}}
"""
    validated = load_manifest(_project(tmp_path, manifest))
    unplaced = sorted(w.message.split("'")[1] for w in validated.warnings if w.code == "W223")
    assert unplaced == ["a-note-on-shelters", "quote-of-the-week"]  # Travel posts are filtered, not unplaced
    assert validated.chapters == {"law": ["court-day"]}  # Zebra Crossing is Law but tagged Travel


@pytest.mark.parametrize(("rule", "line", "hint"), [
    ("categories:\n        - Asai", 7, "did you mean 'Asia'?"),
    ("statuses:\n        - draft", 7, "add 'draft' to include_status"),
    ("tags: [Law]\n      authors: [Al Smith]", 5, "widen the rule"),
    ("since: 2020-01-01", 6, "widen the dates"),
    ("title_matches: zzz", 6, "to see the titles"),
])
def test_a_rule_selecting_nothing_says_why_at_its_line(rule: str, line: int, hint: str, tmp_path: Path) -> None:
    manifest = f"""book: {{title: Rules, authors: [Tester], date: 2026-01-01}}
sources: [blog.xml]
chapters:
  - id: one
    rule:
      {rule}
    title: One
  - {{id: rest, title: Rest, rule: {{}}}}
"""
    with pytest.raises(CompilerError) as info:
        load_manifest(_project(tmp_path, manifest))
    assert [(d.code, d.line) for d in info.value.diagnostics] == [("E280", line)], (info.value.diagnostics, manifest)
    assert hint in info.value.diagnostics[0].format()


def test_rules_select_from_every_format_the_registry_reads(tmp_path: Path) -> None:
    """Archive pages: a tag rule and a sort by title over the shipped sources."""
    manifest = """book: {title: Rules, authors: [Tester], date: 2026-01-01}
sources: [sources/*.txt]
chapters:
  - {id: iom, title: IOM, rule: {tags: [iom]}, sort: date}
  - {id: rest, title: Rest, rule: {}, sort: title}
"""
    shutil.copytree(ROOT / "sources", tmp_path / "sources")
    (tmp_path / "book.yaml").write_text(manifest)
    validated = load_manifest(tmp_path / "book.yaml")
    by_id = {p.id: p for p in validated.posts}
    assert validated.chapters["iom"] and all("IOM" in by_id[i].tags for i in validated.chapters["iom"])
    rest = [by_id[i].title.casefold() for i in validated.chapters["rest"]]
    assert rest == sorted(rest) and len(rest) + len(validated.chapters["iom"]) == len(validated.posts) == 13


BOOK = """book: {title: Rules, authors: [Tester], date: 2026-01-01}
sources: [blog.xml]
comments: true
filter: {exclude_tags: [Photos]}
front_matter:
  - page: about
chapters:
  - {id: asia, title: Asia, rule: {categories: [Asia]}, sort: date-desc}
  - {id: law, title: Law, rule: {categories: [Law]}, comments: false}
  - {id: rest, title: Rest, rule: {}, sort: title}
  - {id: contact, title: Write to Me, page: contact}
"""


@pytest.fixture(scope="module")
def rules_book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The export as a book of rules, a filter, a page chapter and comments, built once. (EPUBCheck is
    not run here, it costs more than the build: a chapter without posts once listed an empty ``<ol>``,
    which the test below looks for; ``--epubcheck`` passes on this book.)"""
    project = tmp_path_factory.mktemp("rules-book")
    shutil.copytree(ROOT / "styles", project / "styles")
    _project(project, BOOK)
    result = run_compiler("book.yaml", cwd=project)
    assert result.returncode == 0, result.stderr
    assert "filter: left out 1 post\n" in result.stderr  # Gallery of the Steppe, tagged Photos
    return project / "out"


def _chapters(epub: Path) -> dict[str, str]:
    """Each chapter document's text, by chapter title, and the comments' markup."""
    from lxml import etree

    out = {}
    with zipfile.ZipFile(epub) as z:
        for member in z.namelist():
            if member.endswith(".xhtml"):
                root = etree.fromstring(z.read(member))
                for h1 in root.xpath("//*[@class='chapter-title']"):  # its own text: not the hidden number
                    out["".join(h1.xpath("text()"))] = etree.tostring(root, encoding="unicode").replace("\u00a0", " ")
    return out


def test_the_rules_book_builds_with_rules_filter_page_chapter_and_comments(rules_book: Path) -> None:
    chapters = _chapters(rules_book / "book.epub")
    assert set(chapters) == {"Asia", "Law", "Rest", "Write to Me"}
    asia = chapters["Asia"]
    assert asia.index('id="a-note-on-shelters"') > asia.index('id="spring-in-almaty"')  # newest first
    assert "Gallery of the Steppe" not in "".join(chapters.values())  # the filter's Photos tag
    assert "the letters reach me" in chapters["Write to Me"]
    with zipfile.ZipFile(rules_book / "book.epub") as z:  # the page chapter lists no empty <ol> (RSC-005)
        contents = z.read("EPUB/text/contents.xhtml").decode()
    assert re.search(r"Write to Me</a>\s*</li>", contents) and not re.search(r"<ol[^>]*(/>|>\s*</ol>)", contents)
    # Comments: approved only, threaded (the reply one level in), in date order; off in Law.
    assert "cheap watches" not in asia
    order = [asia.index(text) for text in ("First to comment", "Lovely photographs", "Thank you kindly")]
    assert order == sorted(order)
    reply = asia[:asia.index("Thank you kindly")].rsplit('class="comment ', 1)[1]
    assert reply.startswith("depth-1"), reply[:40]
    assert "Court Day" in chapters["Law"] and "full of journalists" not in chapters["Law"]


def _sizes(pdf: Path, starts: tuple[str, ...]) -> dict[str, float]:
    """The font size (points, after the text and graphics matrices) each text run starting with one
    of ``starts`` is drawn at."""
    from pypdf import PdfReader

    found: dict[str, float] = {}

    def visit(text: str, cm: list[float], tm: list[float], font: object, size: float) -> None:
        for start in starts:
            if text.replace("\u00a0", " ").startswith(start):
                found[start] = round(size * abs(tm[3]) * abs(cm[3]), 2)
    for page in PdfReader(str(pdf)).pages:
        page.extract_text(visitor_text=visit)
    return found


def test_comments_are_set_smaller_than_the_post(rules_book: Path) -> None:
    sizes = _sizes(rules_book / "book.pdf", ("The apple trees", "First to comment", "Thank you kindly"))
    assert len(sizes) == 3, sizes
    assert sizes["First to comment"] < sizes["The apple trees"] * 0.9, sizes
    assert sizes["Thank you kindly"] == sizes["First to comment"], sizes  # a reply as small as its parent
