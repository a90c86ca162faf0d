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

import shutil
from pathlib import Path

import pytest

from compiler.errors import CompilerError
from compiler.manifest import load_manifest
from compiler.model.assemble import assemble

from conftest import ROOT

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
