"""Incremental builds: no-op, EPUB-only changes, stale and corrupt caches, same bytes as clean."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from conftest import copy_project, run_compiler


def _digests(out: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(out.iterdir()) if p.is_file()}


def _stages(result) -> list[str]:  # type: ignore[no-untyped-def]
    return [line.removeprefix("stage: ") for line in result.stderr.splitlines() if line.startswith("stage: ")]


def _laid_out(stages: list[str]) -> list[str]:
    """The parts of the PDF laid out by WeasyPrint (not taken from the cache)."""
    return [s.removeprefix("render-pdf part ") for s in stages
            if s.startswith("render-pdf part") and not s.endswith("(cached)") and " done" not in s]


def _from_cache(stages: list[str]) -> list[str]:
    return [s.removeprefix("render-pdf part ").removesuffix(" (cached)") for s in stages
            if s.startswith("render-pdf part") and s.endswith("(cached)")]


ALL_PARTS = {"front", "(1, 2)", "(3, 4, 5)", "contents"}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = copy_project(tmp_path_factory.mktemp("cache"))
    first = run_compiler("book.yaml", cwd=project)
    assert first.returncode == 0, first.stderr
    return project


def test_no_op_rebuild_only_checks_hashes(project: Path) -> None:
    before = _digests(project / "out")
    again = run_compiler("book.yaml", cwd=project, env={"COMPILER_TRACE": "1"})
    assert again.returncode == 0, again.stderr
    assert "up to date" in again.stderr
    assert _stages(again) == []  # nothing validated, rendered or written
    assert _digests(project / "out") == before


def test_changed_output_is_rebuilt(project: Path) -> None:
    pdf = project / "out" / "slavery-is-not-dead.pdf"
    good = pdf.read_bytes()
    pdf.write_bytes(good[:1000])  # damaged by hand: the stamp no longer matches the file
    again = run_compiler("book.yaml", cwd=project, env={"COMPILER_TRACE": "1"})
    assert again.returncode == 0 and "up to date" not in again.stderr
    assert _laid_out(_stages(again)) == [] and set(_from_cache(_stages(again))) == ALL_PARTS
    assert pdf.read_bytes() == good


def test_epub_only_change_does_not_lay_out_the_pdf(project: Path, built) -> None:  # type: ignore[no-untyped-def]
    css = project / "styles" / "epub.css"
    original = css.read_text()
    css.write_text(original + "\n.post-title { letter-spacing: 0.01em; }\n")
    try:
        result = run_compiler("book.yaml", cwd=project, env={"COMPILER_TRACE": "1"})
        assert result.returncode == 0, result.stderr
        stages = _stages(result)
        assert _laid_out(stages) == [] and set(_from_cache(stages)) == ALL_PARTS
        assert "render-epub" in stages
        pdf = (project / "out" / "slavery-is-not-dead.pdf").read_bytes()
        assert pdf == built["pdf"].read_bytes()
    finally:
        css.write_text(original)


def test_text_change_lays_out_only_its_part_again(project: Path, built) -> None:  # type: ignore[no-untyped-def]
    """A correction in chapter 4 lays out the group of chapters 3-5 again; the front matter,
    chapters 1-2 and (page numbers unchanged) the contents come from the cache."""
    manifest = project / "book.yaml"
    original = manifest.read_text()
    assert "    find: Barot\n    replace: Borat" in original
    manifest.write_text(original.replace("    find: Barot\n    replace: Borat",
                                         "    find: Barot\n    replace: Borat (2006)"))
    try:
        result = run_compiler("book.yaml", cwd=project, env={"COMPILER_TRACE": "1"})
        assert result.returncode == 0, result.stderr
        assert _laid_out(_stages(result)) == ["(3, 4, 5)"]
        assert set(_from_cache(_stages(result))) == {"front", "(1, 2)", "contents"}
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
    result = run_compiler("book.yaml", cwd=project, env={"COMPILER_TRACE": "1"})
    assert result.returncode == 0, result.stderr
    assert set(_laid_out(_stages(result))) == ALL_PARTS
    assert _digests(project / "out") == _digests(built["out"])
    stamp = json.loads((cache / "build.json").read_text())
    assert set(stamp["outputs"]) == {"slavery-is-not-dead.pdf", "slavery-is-not-dead.epub", "report.json"}
    cached = run_compiler("book.yaml", "--format", "pdf", "--format", "epub", cwd=project)
    assert cached.returncode == 0
    assert _digests(project / "out") == _digests(built["out"])


def test_no_cache_rebuilds(project: Path) -> None:
    result = run_compiler("book.yaml", "--no-cache", cwd=project, env={"COMPILER_TRACE": "1"})
    assert result.returncode == 0
    assert set(_laid_out(_stages(result))) == ALL_PARTS and "up to date" not in result.stderr
