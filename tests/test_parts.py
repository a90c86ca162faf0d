"""Laying the PDF out in parts on several cores, and joining them (compiler.pdf.parts / merge).

The merged book must read exactly like the book laid out as one document:
same pages, folios, running heads, contents numbers, outline, links and
structure tree; its tagged structure must be whole; and its bytes must not
depend on the number of cores or on which worker laid out which part.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pikepdf
import pytest

from compiler.trace import Event, listen
from conftest import ROOT, built_copy, copy_project, run_compiler
from pdftools import page_texts

PDF = "slavery-is-not-dead.pdf"


@pytest.fixture(scope="module")
def one_document(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = copy_project(tmp_path_factory.mktemp("one-document"))
    result = run_compiler("book.yaml", "--one-document", "--format", "pdf", cwd=project)
    assert result.returncode == 0, result.stderr
    return project / "out" / PDF


def _facts(path: Path) -> dict[str, Any]:
    """What a reader (or assistive technology) meets in a PDF, independent of object numbering."""
    pdf = pikepdf.open(path)
    index = {page.obj.objgen: i for i, page in enumerate(pdf.pages)}
    flat = pdf.Root.Names.Dests.Names
    names = {str(flat[i]): index[flat[i + 1][0].objgen] for i in range(0, len(flat), 2)}
    outline = []
    with pdf.open_outline() as tree:
        def walk(items: Any, depth: int) -> None:
            for item in items:
                outline.append((depth, item.title, index[item.destination[0].objgen]))
                walk(item.children, depth + 1)
        walk(tree.root, 0)
    links = [[str(a.get("/Dest", "")) or str(a.A.URI) for a in page.obj.get("/Annots", [])] for page in pdf.pages]
    tags: Counter[str] = Counter()
    stack: list[Any] = list(pdf.Root.StructTreeRoot.K)
    while stack:
        element = stack.pop()
        if isinstance(element, pikepdf.Dictionary) and "/S" in element:
            tags[str(element.S)] += 1
            kids: Any = element.get("/K", [])
            stack.extend(kids if isinstance(kids, pikepdf.Array) else [kids])
    labels = list(pdf.Root.PageLabels.Nums)
    return {"pages": len(pdf.pages), "names": names, "outline": outline, "links": links, "tags": tags,
            "labels": [int(labels[i]) for i in range(0, len(labels), 2)],
            "lang": str(pdf.Root.Lang), "title": str(pdf.docinfo.Title)}


def test_parts_read_exactly_like_one_document(built, one_document: Path) -> None:  # type: ignore[no-untyped-def]
    parts = built["pdf"]
    assert page_texts(parts) == page_texts(one_document)  # every page: text, folios, heads, contents numbers
    layout = [subprocess.run(["pdftotext", "-layout", str(p), "-"], capture_output=True, text=True,
                             check=True).stdout for p in (parts, one_document)]
    assert layout[0] == layout[1]
    assert _facts(parts) == _facts(one_document)


def test_merged_structure_tree_is_whole(built, one_document: Path) -> None:  # type: ignore[no-untyped-def]
    from compiler.pdf.merge import check_structure

    for path in (built["pdf"], one_document):
        check_structure(pikepdf.open(path))
    pdf = pikepdf.open(built["pdf"])
    root = pdf.Root.StructTreeRoot
    assert len(root.K) == 1 and root.K[0].S == "/Document"
    nums = root.ParentTree.Nums
    keys = [int(nums[i]) for i in range(0, len(nums), 2)]
    assert keys == list(range(len(keys))) and int(root.ParentTreeNextKey) == len(keys)
    pages = [int(p.obj.StructParents) for p in pdf.pages if "/StructParents" in p.obj]
    annotations = [int(a.StructParent) for p in pdf.pages for a in p.obj.get("/Annots", [])]
    assert sorted(pages + annotations) == keys  # every key used once, by one page or one link


def test_check_structure_refuses_a_broken_tree(built) -> None:  # type: ignore[no-untyped-def]
    from compiler.pdf.merge import MergeError, check_structure

    pdf = pikepdf.open(built["pdf"])
    pdf.pages[20].obj.StructParents = pdf.pages[21].obj.StructParents  # as a naive append leaves them
    with pytest.raises(MergeError, match="page 21"):
        check_structure(pdf)


def test_bytes_do_not_depend_on_the_number_of_workers(built, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    project = copy_project(tmp_path / "one-job")
    result = run_compiler("book.yaml", "--jobs", "1", "--no-cache", cwd=project)
    assert result.returncode == 0, result.stderr
    for name in (PDF, "slavery-is-not-dead.epub"):
        assert (project / "out" / name).read_bytes() == (built["out"] / name).read_bytes(), name


_PART_BYTES = """
import hashlib, sys
from pathlib import Path
from compiler.manifest import load_manifest
from compiler.model.assemble import assemble
from compiler.redact import redact
from compiler.render import Renderer, Slice
from compiler.pdf.parts import PartJob, lay_out_part
book = assemble(load_manifest(Path(sys.argv[1])), redact)
renderer = Renderer(book, "test")
parts = {"front": Slice(toc=False, prelims=False, chapters=(), back=False),
         "first": Slice(front=False, toc=False, chapters=(1, 2), back=False)}
for name in sys.argv[2:]:
    job = PartJob(renderer.print_html(parts[name]), book.root, book.output.style_dir, "A4", b"0" * 32)
    print(name, hashlib.sha256(lay_out_part(job).pdf).hexdigest())
"""


def test_a_part_has_the_same_bytes_whatever_its_worker_did_before(tmp_path: Path) -> None:
    """A worker keeps its fonts and stylesheets for the next part; that must not change a part's bytes."""
    def digests(*order: str) -> dict[str, str]:
        out = subprocess.run([sys.executable, "-c", _PART_BYTES, str(ROOT / "book.yaml"), *order],
                             capture_output=True, text=True, check=True).stdout
        return dict(line.split() for line in out.splitlines())

    alone = {**digests("front"), **digests("first")}
    assert digests("first", "front") == alone == digests("front", "first")


def _cold_build_from_a_wrong_guess(project: Path, pool: Any, monkeypatch: pytest.MonkeyPatch) -> list[Event]:
    from compiler import build
    from compiler.pdf import parts

    monkeypatch.setitem(parts.WORDS_PER_PAGE, "A4", 40)  # ten times too many pages
    seen: list[Event] = []
    options = build.BuildOptions(use_cache=False, quiet=True, formats=("pdf",), jobs=2)
    with listen(seen.append):
        build.build(project / "book.yaml", options, pool)
    return seen


def test_a_wrong_first_folio_guess_costs_no_second_layout(built, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The second group's first folio is estimated on a cold build; the workers share their page
    counts (compiler.pdf.folios), so a wrong estimate costs neither a second layout of that group
    nor a wrong page number: the bytes are those of the book laid out from the true folios."""
    from compiler.pdf.pool import workers

    with workers(2, 0) as pool:
        seen = _cold_build_from_a_wrong_guess(copy_project(tmp_path / "guess"), pool, monkeypatch)
    laid_out = [e.part for e in seen if e.stage == "render-pdf-part" and not e.done and not e.cached]
    assert sorted(laid_out) == ["chapter 1", "chapter 2", "chapter 3", "chapter 4", "chapter 5", "contents",
                                "front"], seen
    assert (tmp_path / "guess" / "out" / PDF).read_bytes() == built["pdf"].read_bytes()


def test_a_wrong_guess_laid_out_in_the_build_process_is_laid_out_again(built, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Where no worker can post the page counts (the parts laid out in the build's own process, the
    heaviest first), a wrong guess is laid out again from the true first folio: never a wrong number."""
    from compiler.pdf.pool import InProcess

    seen = _cold_build_from_a_wrong_guess(copy_project(tmp_path / "guess"), InProcess(), monkeypatch)
    again = [e.part for e in seen if e.stage == "render-pdf-part" and e.again]
    assert again and set(again) <= {"chapter 2", "chapter 3", "chapter 4", "chapter 5"}, seen  # chapter 1 starts at 1
    assert (tmp_path / "guess" / "out" / PDF).read_bytes() == built["pdf"].read_bytes()


def test_a_kept_pool_looks_first_at_the_chapter_it_laid_out_last(built, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """``serve`` keeps its pool, which remembers the chapters it laid out: the next build looks at
    them first (an edited chapter reaches a worker before the HTML of the parts before it is made;
    the board tells it its first folio), and writes the bytes a build in book order writes."""
    from compiler.build import BuildOptions, build
    from compiler.pdf.pool import workers

    project = built_copy(built, tmp_path / "kept")
    original = (project / "book.yaml").read_text(encoding="utf-8")
    assert "    find: Barot\n    replace: Borat\n" in original  # a correction in chapter 4

    def edit(folder: Path, word: str) -> None:
        (folder / "book.yaml").write_text(original.replace("    find: Barot\n    replace: Borat\n",
                                                           f"    find: Barot\n    replace: Borat {word}\n"))

    seen: list[Event] = []
    with workers(2, 0) as pool:
        edit(project, "once")
        build(project / "book.yaml", BuildOptions(quiet=True), pool)
        assert pool.recent == {(4,)}
        edit(project, "twice")
        with listen(seen.append):
            build(project / "book.yaml", BuildOptions(quiet=True), pool)
    parts = [(e.part, e.cached) for e in seen if e.stage == "render-pdf-part" and not e.done]
    assert parts[0] == ("chapter 4", False), parts
    assert ("front", True) in parts and ("chapter 3", True) in parts
    fresh = copy_project(tmp_path / "fresh")
    edit(fresh, "twice")
    assert run_compiler("book.yaml", cwd=fresh).returncode == 0  # cold: no out/ yet
    assert (project / "out" / PDF).read_bytes() == (fresh / "out" / PDF).read_bytes()


def test_a_group_learns_its_first_folio_from_the_board(book_model: Any) -> None:
    """A worker's side of the board: the first group starts the body by itself; a later group waits
    for the counts before it (each part padded to an even count); the build's own process never waits."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from compiler.pdf.folios import Board, Seat

    board = Board()
    try:
        assert Seat(board.name, 1).first_folio(9, 5) == 5  # this process: keeps its guess at once
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
            second = pool.submit(Seat(board.name, 2).first_folio, 4, 7)
            assert Seat(board.name, 0).first_folio(27, None) is None
            board.post(1, 38)
            assert second.result(timeout=60) == 1 + 28 + 38
    finally:
        board.close()
    assert Seat(board.name, 3).first_folio(1, 11) == 11  # the build is over: the guess stands


# -- parts.plan: which parts a book is laid out in (pure, no layout) ------------------------------------
from dataclasses import replace as _replace  # noqa: E402
from types import SimpleNamespace  # noqa: E402

from compiler.model import Chapter  # noqa: E402
from compiler.pdf.parts import LEAST_WORDS, plan  # noqa: E402
from compiler.pdf.plan import MOST_GROUPS  # noqa: E402


def _book_of(book_model: Any, words: list[list[int]]) -> Any:
    """The default book with chapters of posts of these word counts."""
    chapters = tuple(Chapter(f"c{n}", n, f"C{n}", "", "", tuple(SimpleNamespace(words=w)  # type: ignore[misc]
                                                                for w in posts))
                     for n, posts in enumerate(words, 1))
    return _replace(book_model, chapters=chapters)


LEAST = LEAST_WORDS


@pytest.mark.parametrize(("words", "groups"), [
    ([[LEAST], [LEAST]], [(1,), (2,)]),  # one part a chapter
    ([[3000, 61], [1114], [2001], [2430], [2078]], [(1,), (2,), (3,), (4,), (5,)]),  # the shipped book
    ([[100], [100]], [(1, 2)]),  # short chapters share a part
    ([[LEAST // 2], [LEAST // 2], [LEAST], [LEAST // 3]], [(1, 2), (3, 4)]),  # a short last group joins the one before
    ([[LEAST * 40], [100], [100], [LEAST]], [(1,), (2, 3, 4)]),
    ([[LEAST * 2 // 5]] * 9, [(1, 2, 3), (4, 5, 6), (7, 8, 9)]),
    ([[LEAST * 30]] * (MOST_GROUPS * 2), [tuple(range(n, n + 2)) for n in range(1, MOST_GROUPS * 2, 2)]),  # at most 64
    ([[0], [0], [0]], [(1, 2, 3)]),  # a book of no words still has every chapter in a group
])
def test_plan_groups_whole_chapters_by_words(book_model: Any, words: list[list[int]],
                                             groups: list[tuple[int, ...]]) -> None:
    parts = plan(_book_of(book_model, words))
    assert [g.chapters for g in parts.groups] == groups
    assert [g.back for g in parts.groups] == [False] * (len(groups) - 1) + [True]  # the back matter last
    assert not any(g.front or g.toc or g.prelims for g in parts.groups)
    assert parts.front.front and not (parts.front.toc or parts.front.prelims or parts.front.back)
    assert parts.front.chapters == ()


def test_plan_depends_on_the_book_alone(book_model: Any) -> None:
    """The same book gives the same parts on every machine (the bytes depend on them)."""
    assert plan(book_model) == plan(book_model)
    assert [g.chapters for g in plan(book_model).groups] == [(1,), (2,), (3,), (4,), (5,)]
