"""Ids (compiler.ids): one owner for every document id and EPUB file name.

A chapter, front or back matter or post that would take an id or an EPUB file
name already taken is an error at its manifest line; the templates write
exactly the ids that compiler.ids names.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from conftest import copy_project
from compiler import cli, ids
from compiler.model import Post
from compiler.model.nodes import Blockquote, Content, Paragraph, Text


class FakeChecker:
    """The two methods of the manifest checker that ids.check uses."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.found: list[tuple[str, str, tuple[Any, ...]]] = []
        self.hints: list[str] = []

    def items(self, *path: Any) -> Iterator[tuple[int, Any]]:
        value: Any = self.data
        for part in path:
            value = value.get(part) if isinstance(value, dict) else None
        return iter(enumerate(value)) if isinstance(value, list) else iter(())

    def add(self, code: str, message: str, path: tuple[Any, ...], hint: str, warning: bool = False) -> None:
        self.found.append((code, message, path))
        self.hints.append(hint)


def _post(post_id: str, blocks: int = 2) -> Post:
    quote = Blockquote((Paragraph((Text("a"),)), Paragraph((Text("b"),))))
    return Post(post_id, post_id.title(), Content((Paragraph((Text("x"),)), quote)[:blocks]), (), None, 0, ())


def _check(chapters: list[str], posts: list[str], front: tuple[str, ...] = ("epigraph", "foreword"),
           back: tuple[str, ...] = ("sources",)) -> list[tuple[str, str, tuple[Any, ...]]]:
    data = {"front_matter": [{"kind": k, "file": "x.md"} for k in front],
            "chapters": [{"id": c, "title": c, "posts": []} for c in chapters],
            "back_matter": [{"kind": k, "file": "x.md"} for k in back]}
    checker = FakeChecker(data)
    placed = {p: ("chapters", 0, "posts", i) for i, p in enumerate(posts)}
    ids.check(checker, [_post(p) for p in posts], placed)
    return checker.found


def test_the_default_scheme_has_no_collision() -> None:
    assert _check(["shelters", "legal-cases"], ["a-post", "another-post"]) == []


@pytest.mark.parametrize(("chapters", "posts", "code", "where"), [
    (["foreword"], [], "E260", ("chapters", 0, "id")),  # overwrote the foreword's EPUB member
    (["cover"], [], "E260", ("chapters", 0, "id")),
    (["titlepage"], [], "E260", ("chapters", 0, "id")),
    (["copyright"], [], "E260", ("chapters", 0, "id")),
    (["contents"], [], "E260", ("chapters", 0, "id")),
    (["sources"], [], "E260", ("chapters", 0, "id")),  # a back matter section's file
    (["Foreword"], [], "E260", ("chapters", 0, "id")),  # case-insensitive file systems
    (["shelters"], ["foreword"], "E261", ("chapters", 0, "posts", 0)),  # a post slug equal to a section id
    (["shelters"], ["chapter-shelters"], "E261", ("chapters", 0, "posts", 0)),
    (["shelters"], ["contents"], "E261", ("chapters", 0, "posts", 0)),
    (["shelters"], ["halftitle"], "E261", ("chapters", 0, "posts", 0)),
    (["shelters"], ["copyright-3"], "E261", ("chapters", 0, "posts", 0)),
    (["shelters"], ["page-12"], "E261", ("chapters", 0, "posts", 0)),  # a page-break marker
    (["shelters"], ["page-xiv"], "E261", ("chapters", 0, "posts", 0)),
    (["shelters"], ["foreword-title"], "E261", ("chapters", 0, "posts", 0)),
    (["shelters"], ["a", "a-b-2-b-1"], "E261", ("chapters", 0, "posts", 1)),  # another post's quoted block
    (["a b"], [], "E262", ("chapters", 0, "id")),  # no XML id
    (["über"], [], "E262", ("chapters", 0, "id")),
    (["x.y"], [], "E262", ("chapters", 0, "id")),
])
def test_a_second_claim_is_an_error_at_its_line(chapters: list[str], posts: list[str], code: str,
                                                where: tuple[Any, ...]) -> None:
    found = _check(chapters, posts)
    assert [(c, p) for c, _, p in found] == [(code, where)], found


def test_sections_of_one_kind_are_numbered_and_collide_with_a_chapter_of_that_name() -> None:
    assert ids.section_ids(["appendix", "notes", "appendix", "appendix"]) == [
        "appendix", "notes", "appendix-2", "appendix-3"]
    found = _check(["appendix-2"], [], back=("appendix", "appendix"))
    assert [code for code, _, _ in found] == ["E260"]


def test_a_chapter_id_may_begin_with_a_digit() -> None:
    assert _check(["1990s", "2000s"], ["a-post"]) == []  # chapter-1990s is an XML id; 1990s.xhtml a file name


@pytest.mark.parametrize(("post", "hint"), [
    ("chapter-shelters", "give chapter 'shelters' another id, or leave the post out"),
    ("contents", "leave the post out of the chapters (its id comes from its title)"),
])
def test_the_hint_says_what_can_be_renamed(post: str, hint: str) -> None:
    checker = FakeChecker({"chapters": [{"id": "shelters", "posts": []}]})
    ids.check(checker, [_post(post)], {post: ("chapters", 0, "posts", 0)})
    assert checker.hints == [hint]


def test_a_chapter_id_used_twice_is_left_to_e225() -> None:
    assert _check(["shelters", "shelters"], []) == []


def test_a_ncx_entry_id_is_an_xml_id_for_any_slug() -> None:
    assert ids.XML_ID.match(ids.nav_point("2011-report"))


def test_the_templates_write_exactly_the_ids_compiler_ids_names(book_model: Any) -> None:
    from compiler.epub import prepare
    from compiler.render import Renderer

    renderer = Renderer(book_model)
    html = etree.HTML(renderer.print_html().encode())
    printed = [e.get("id") for e in html.iter() if isinstance(e.tag, str) and e.get("id")]
    assert len(printed) == len(set(printed)), "an id twice in the print HTML"
    prepared = prepare(book_model, renderer)
    epub = {e.get("id") for tree in prepared.trees.values() for e in tree.getroot().iter()
            if isinstance(e.tag, str) and e.get("id")}
    sections = [*book_model.front, *book_model.back]
    named = {*ids.FIXED_IDS, *(i for s in sections for i in ids.section_element_ids(s.id)),
             *(i for s in sections for i in ids.content_ids(s.content, s.id)),
             *(i for c in book_model.chapters for i in ids.chapter_ids(c.id, bool(c.intro.blocks))),
             *(i for c in book_model.chapters for i in ids.content_ids(c.intro, ids.intro(ids.chapter(c.id)))),
             *(i for p in book_model.posts for i in ids.post_ids(p))}
    assert set(printed) | epub <= named
    assert named - (set(printed) | epub) <= {"page-list", "page-list-title"}  # (written with the page breaks)
    assert [d.name for d in prepared.docs] == [ids.document(n) for n in (
        ids.COVER, ids.TITLEPAGE, ids.COPYRIGHT, *(s.id for s in book_model.front_before_toc), ids.CONTENTS,
        *(s.id for s in book_model.front_after_toc), *(c.id for c in book_model.chapters),
        *(s.id for s in book_model.back))]


def test_check_reports_a_chapter_named_like_the_foreword(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    project = copy_project(tmp_path / "book")
    manifest = project / "book.yaml"
    text = manifest.read_text()
    assert "  - id: legal-cases\n" in text
    manifest.write_text(text.replace("  - id: legal-cases\n", "  - id: foreword\n"))
    line = next(n for n, row in enumerate(manifest.read_text().splitlines(), 1) if row == "  - id: foreword")
    monkeypatch.chdir(project)
    assert cli.main(["check", "book.yaml"]) == 2
    errors = [row for row in capsys.readouterr().err.splitlines() if " E2" in row]
    assert errors == [f"book.yaml:{line}:5: E260 chapter 'foreword' would be EPUB file text/foreword.xhtml, like "
                      f"the foreword in front_matter (line {_line(manifest, '  - kind: foreword')}) "
                      "(give the chapter another id)"]


def _line(path: Path, row: str) -> int:
    return next(n for n, text in enumerate(path.read_text().splitlines(), 1) if text == row)
