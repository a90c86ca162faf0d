"""Incremental builds: no-op, EPUB-only changes, stale and corrupt caches, same bytes as clean."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pytest

from compiler.trace import Event, events
from conftest import built_copy, copy_project, run_compiler


def _digests(out: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(out.iterdir()) if p.is_file()}


def _events(result: subprocess.CompletedProcess[str]) -> list[Event]:
    return events(result.stderr)


def _laid_out(found: list[Event]) -> list[str]:
    """The parts of the PDF laid out by WeasyPrint (not taken from the cache)."""
    return [e.part for e in found if e.stage == "render-pdf-part" and not e.cached and not e.done]


def _from_cache(found: list[Event]) -> list[str]:
    return [e.part for e in found if e.stage == "render-pdf-part" and e.cached]


ALL_PARTS = {"front", "chapter 1", "chapter 2", "chapter 3", "chapter 4", "chapter 5", "contents"}  # one part a chapter


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, built: dict[str, Path]) -> Path:
    return built_copy(built, tmp_path_factory.mktemp("cache") / "project")


def test_no_op_rebuild_only_checks_hashes(project: Path) -> None:
    before = _digests(project / "out")
    again = run_compiler("book.yaml", cwd=project, env={"COMPILER_TRACE": "json"})
    assert again.returncode == 0, again.stderr
    assert "up to date" in again.stderr
    assert _events(again) == []  # nothing validated, rendered or written
    assert _digests(project / "out") == before


def test_changed_output_is_rebuilt(project: Path) -> None:
    pdf = project / "out" / "slavery-is-not-dead.pdf"
    good = pdf.read_bytes()
    pdf.write_bytes(good[:1000])  # damaged by hand: the stamp no longer matches the file
    again = run_compiler("book.yaml", cwd=project, env={"COMPILER_TRACE": "json"})
    assert again.returncode == 0 and "up to date" not in again.stderr
    assert _laid_out(_events(again)) == [] and set(_from_cache(_events(again))) == ALL_PARTS
    assert pdf.read_bytes() == good


def test_epub_only_change_does_not_lay_out_the_pdf(project: Path, built) -> None:  # type: ignore[no-untyped-def]
    css = project / "styles" / "epub.css"
    original = css.read_text()
    css.write_text(original + "\n.post-title { letter-spacing: 0.01em; }\n")
    try:
        result = run_compiler("book.yaml", cwd=project, env={"COMPILER_TRACE": "json"})
        assert result.returncode == 0, result.stderr
        found = _events(result)
        assert _laid_out(found) == [] and set(_from_cache(found)) == ALL_PARTS
        assert "render-epub" in [e.stage for e in found]
        pdf = (project / "out" / "slavery-is-not-dead.pdf").read_bytes()
        assert pdf == built["pdf"].read_bytes()
    finally:
        css.write_text(original)


def test_text_change_lays_out_only_its_part_again(project: Path, built) -> None:  # type: ignore[no-untyped-def]
    """A correction in chapter 4 lays out chapter 4 again; the front matter, the other chapters and
    (page numbers unchanged) the contents come from the cache."""
    manifest = project / "book.yaml"
    original = manifest.read_text()
    assert "    find: Barot\n    replace: Borat" in original
    manifest.write_text(original.replace("    find: Barot\n    replace: Borat",
                                         "    find: Barot\n    replace: Borat (2006)"))
    try:
        result = run_compiler("book.yaml", cwd=project, env={"COMPILER_TRACE": "json"})
        assert result.returncode == 0, result.stderr
        assert _laid_out(_events(result)) == ["chapter 4"]
        assert set(_from_cache(_events(result))) == ALL_PARTS - {"chapter 4"}
        fresh = copy_project(project.parent / "fresh-edit")
        (fresh / "book.yaml").write_text(manifest.read_text())
        clean = run_compiler("book.yaml", "--no-cache", cwd=fresh)
        assert clean.returncode == 0, clean.stderr
        assert _digests(project / "out") == _digests(fresh / "out")  # the cache never changes the bytes
        assert _digests(project / "out") != _digests(built["out"])
    finally:
        manifest.write_text(original)


def test_corrupt_cache_is_ignored_and_cached_build_equals_clean_build(project: Path, built) -> None:  # type: ignore[no-untyped-def]
    cache = project / "out" / ".cache"
    (cache / "build.json").write_text("{not json")
    for path in (cache / "layout").iterdir():
        path.write_bytes(b"garbage" if path.suffix == ".pdf" else b'{"sha256": "0"}')
    for path in (cache / "cover").iterdir():
        path.write_bytes(b"garbage")
    result = run_compiler("book.yaml", cwd=project, env={"COMPILER_TRACE": "json"})
    assert result.returncode == 0, result.stderr
    assert set(_laid_out(_events(result))) == ALL_PARTS
    assert _digests(project / "out") == _digests(built["out"])
    stamp = json.loads((cache / "build.json").read_text())
    assert set(stamp["outputs"]) == {"slavery-is-not-dead.pdf", "slavery-is-not-dead.epub", "report.json"}
    cached = run_compiler("book.yaml", "--format", "pdf", "--format", "epub", cwd=project)
    assert cached.returncode == 0
    assert _digests(project / "out") == _digests(built["out"])


def test_no_cache_rebuilds(project: Path) -> None:
    result = run_compiler("book.yaml", "--no-cache", cwd=project, env={"COMPILER_TRACE": "json"})
    assert result.returncode == 0
    assert set(_laid_out(_events(result))) == ALL_PARTS and "up to date" not in result.stderr


def test_swapped_part_entries_are_misses(project: Path, built) -> None:  # type: ignore[no-untyped-def]
    """One part's cached PDF and sidecar replaced by another part's pair: a miss, not a wrong book
    (it used to put the title page where the contents belong, and exit 0)."""
    layout = project / "out" / ".cache" / "layout"
    first = run_compiler("book.yaml", "--no-cache", cwd=project)
    assert first.returncode == 0, first.stderr
    current = sorted(layout.glob("part-*.pdf"), key=lambda p: p.stat().st_mtime)[-len(ALL_PARTS):]  # this build's
    small, large = sorted(current, key=lambda p: p.stat().st_size)[::len(current) - 1]
    for suffix in (".pdf", ".json"):
        small.with_suffix(suffix).write_bytes(large.with_suffix(suffix).read_bytes())
    (project / "out" / ".cache" / "build.json").unlink()
    result = run_compiler("book.yaml", cwd=project, env={"COMPILER_TRACE": "json"})
    assert result.returncode == 0, result.stderr
    assert len(_laid_out(_events(result))) == 1  # the part whose entry was swapped
    assert _digests(project / "out") == _digests(built["out"])


# -- cache.py in this process --------------------------------------------------------------------
from compiler import cache  # noqa: E402


def _swap(a: Path, b: Path) -> None:
    """Copy entry ``a`` (data and sidecar) over entry ``b``."""
    for suffix in (a.suffix, ".json"):
        b.with_suffix(suffix).write_bytes(a.with_suffix(suffix).read_bytes())


def test_a_swapped_layout_entry_is_a_miss(tmp_path: Path) -> None:
    cache.store_layout(tmp_path, "part-a", b"%PDF a", {"pages": 1})
    cache.store_layout(tmp_path, "part-b", b"%PDF b", {"pages": 2})
    hit = cache.load_layout(tmp_path, "part-b")
    assert hit is not None and hit[0] == b"%PDF b" and hit[1]["pages"] == 2
    folder = tmp_path / ".cache" / "layout"
    _swap(folder / "part-a.pdf", folder / "part-b.pdf")
    assert cache.load_layout(tmp_path, "part-b") is None
    assert cache.load_layout(tmp_path, "part-a") is not None


def test_a_layout_entry_whose_data_changed_is_a_miss(tmp_path: Path) -> None:
    cache.store_layout(tmp_path, "part-a", b"%PDF a", {"pages": 1})
    (tmp_path / ".cache" / "layout" / "part-a.pdf").write_bytes(b"%PDF b")
    assert cache.load_layout(tmp_path, "part-a") is None


def test_a_swapped_memo_and_fact_file_are_misses(tmp_path: Path) -> None:
    assert cache.memo(tmp_path, "cover", "one", lambda: b"first") == b"first"
    assert cache.memo(tmp_path, "cover", "two", lambda: b"second") == b"second"
    assert cache.memo(tmp_path, "cover", "one", lambda: b"recomputed") == b"first"  # a hit
    entries = {p.read_bytes(): p for p in (tmp_path / ".cache" / "cover").glob("*.bin")}
    _swap(entries[b"first"], entries[b"second"])
    assert cache.memo(tmp_path, "cover", "two", lambda: b"recomputed") == b"recomputed"
    cache.store_json(tmp_path, "pages", {"A4 (1,)": 4}, key="book one")
    assert cache.load_json(tmp_path, "pages", key="book one") == {"A4 (1,)": 4}
    assert cache.load_json(tmp_path, "pages", key="book two") is None


def _inputs(root: Path) -> cache.Inputs:
    return cache.Inputs(root, (root / "book.yaml", root / "chapters" / "a.md"), ("sources/*.txt",), (root / "styles",))


def _tree(root: Path) -> None:
    for name, text in {"book.yaml": "book: {}", "chapters/a.md": "# A", "sources/1.txt": "one",
                       "styles/book.css": "p {}"}.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


@pytest.mark.parametrize("change", [
    lambda root: (root / "chapters" / "a.md").write_text("# B"),  # a recorded input
    lambda root: (root / "sources" / "2.txt").write_text("two"),  # a new page the glob matches
    lambda root: (root / "sources" / "1.txt").unlink(),
    lambda root: (root / "styles" / "fonts").mkdir() or (root / "styles" / "fonts" / "x.otf").write_bytes(b"f"),
    lambda root: (root / "chapters" / "a.md").unlink(),
])
def test_a_changed_input_changes_the_build_key(tmp_path: Path, change) -> None:  # type: ignore[no-untyped-def]
    _tree(tmp_path)
    options = cache.options_digest({"strict": False})
    before = cache.build_key(_inputs(tmp_path), options)
    assert cache.build_key(_inputs(tmp_path), options) == before
    change(tmp_path)
    assert cache.build_key(_inputs(tmp_path), options) != before


def test_other_options_change_the_build_key(tmp_path: Path) -> None:
    _tree(tmp_path)
    keys = {cache.build_key(_inputs(tmp_path), cache.options_digest(o))
            for o in ({"strict": False}, {"strict": True}, {"strict": False, "formats": ["pdf"]})}
    assert len(keys) == 3


def test_the_stamp_rechecks_the_inputs_it_recorded(tmp_path: Path) -> None:
    _tree(tmp_path)
    out = tmp_path / "out"
    options = cache.options_digest({})
    inputs = _inputs(tmp_path)
    files = {"book.pdf": b"%PDF"}
    (out).mkdir()
    (out / "book.pdf").write_bytes(b"%PDF")
    cache.record(tmp_path / "book.yaml", inputs, cache.build_key(inputs, options), files, out)
    assert cache.up_to_date(tmp_path / "book.yaml", out, options) == [out / "book.pdf"]
    assert cache.up_to_date(tmp_path / "other.yaml", out, options) is None  # another manifest
    assert cache.up_to_date(tmp_path / "book.yaml", out, cache.options_digest({"strict": True})) is None
    (tmp_path / "chapters" / "a.md").write_text("# edited")  # a file a manifest key named
    assert cache.up_to_date(tmp_path / "book.yaml", out, options) is None


def test_the_build_records_every_file_the_manifest_named(project: Path) -> None:
    """The stamp's inputs come from the validated manifest (every file read through
    compiler.files while validating and assembling), not from a second reading of book.yaml."""
    import json

    stamp = json.loads((project / "out" / ".cache" / "build.json").read_text())
    recorded = set(stamp["inputs"]["files"])
    assert {"book.yaml", "chapters/foreword.md", "chapters/shelters.md", "chapters/sources.md"} <= recorded
    assert stamp["inputs"]["globs"] == ["sources/*.txt"] and stamp["inputs"]["folders"] == ["styles"]


@pytest.mark.parametrize("text", ["book: {date: 2026-13-45}\n", "book: {title: " + "9" * 5000 + "}\n", "[" * 5000,
                                  "output: {dir: built}\n"])
def test_the_no_op_check_never_fails_on_a_manifest(tmp_path: Path, text: str) -> None:
    """Whatever book.yaml holds, the no-op check finds an output folder or none, and leaves the
    errors to the validation that follows (which reports them at their lines)."""
    manifest = tmp_path / "book.yaml"
    manifest.write_text(text)
    found = cache.output_folder(manifest)
    assert found in (None, tmp_path / "built", tmp_path / "out")
    assert cache.up_to_date(manifest, found, cache.options_digest({})) is None
