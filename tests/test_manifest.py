"""Manifest: the shipped book.yaml passes; every broken manifest in tests/manifests/ fails right.

Each case folder holds a book.yaml whose offending lines carry a comment
``# expect CODE [hint text]``; the test requires exactly those diagnostics,
on those lines, with exit code 2, no traceback and nothing written to out/.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from compiler.cli import main

from conftest import ROOT, run_compiler

CASES = sorted(p for p in (Path(__file__).parent / "manifests").iterdir() if p.is_dir())
EXPECT = re.compile(r"#\s*expect\s+((?:E\d{3}\s*)+)(.*)$")


def _project(tmp: Path, case: Path) -> Path:
    project = tmp / "project"
    shutil.copytree(ROOT / "sources", project / "sources")
    (project / "chapters").mkdir()
    (project / "chapters" / "intro.md").write_text("An introduction.\n")
    (project / "styles" / "templates").mkdir(parents=True)
    if (case / "book.yaml").is_dir():
        shutil.copytree(case / "book.yaml", project / "book.yaml")
    else:
        shutil.copy(case / "book.yaml", project / "book.yaml")
    links = case / "symlinks.txt"
    if links.exists():
        for line in links.read_text().splitlines():
            name, target = (part.strip() for part in line.split("->"))
            os.symlink(target, project / name)
    return project


def _expected(case: Path) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """(line, code) of every expected diagnostic (line 0: the file as a whole), and hint texts."""
    if (case / "expected.txt").exists():
        pairs = [line.split() for line in (case / "expected.txt").read_text().splitlines()]
        return sorted((int(where.split(":")[0]), code) for where, code in pairs), []
    expected, hints = [], []
    for number, line in enumerate((case / "book.yaml").read_text().splitlines(), 1):
        if m := EXPECT.search(line):
            for code in m[1].split():
                expected.append((number, code))
            if m[2].strip():
                hints.append((number, m[2].strip()))
    return sorted(expected), hints


#: What no message may echo to a terminal: C0 and C1 controls (but the line feed), bidi controls.
CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
DIAGNOSTIC = re.compile(r"book\.yaml(?::(\d+)(?::(\d+))?)?: (E\d{3}) ")
#: Run in a subprocess: build with its layout pool replaced (the manifest fails before any layout).
_ISOLATED = """import contextlib, sys
import compiler.pdf.pool as pool
pool.workers = lambda *a, **k: contextlib.nullcontext(pool.InProcess())
from compiler.cli import main
sys.exit(main(sys.argv[1:]))
"""
ISOLATED_MEMORY = 1536 * 1024 * 1024


def _tree(project: Path) -> dict[str, float]:
    """Every path under the project and its modification time (to see that nothing was written)."""
    return {str(p.relative_to(project)): p.lstat().st_mtime for p in project.rglob("*")
            if "loop" not in p.relative_to(project).parts[1:]}


def _cap_memory() -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (ISOLATED_MEMORY, ISOLATED_MEMORY))


def _run(case: Path, project: Path, command: str, args: list[str], capsys: pytest.CaptureFixture[str],
         monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    if (case / "isolate.txt").exists():  # a bomb: a regression must fail, never hang or swap
        result = subprocess.run([sys.executable, "-c", _ISOLATED, command, "book.yaml", *args], cwd=project,
                                capture_output=True, text=True, timeout=60, preexec_fn=_cap_memory)
        return result.returncode, result.stderr
    import compiler.pdf.pool

    monkeypatch.setattr(compiler.pdf.pool, "workers", lambda *a, **k: contextlib.nullcontext(
        compiler.pdf.pool.InProcess()))
    code = main([command, "book.yaml", *args])
    return code, capsys.readouterr().err


@pytest.mark.parametrize("command", ["check", "build"])
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_broken_manifest(case: Path, command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Exit 2, exactly the expected one-line diagnostics, no traceback, no control character, and
    nothing written, by ``check`` and by ``build`` alike."""
    project = _project(tmp_path, case)
    monkeypatch.chdir(project)
    args = (case / "args.txt").read_text().split() if (case / "args.txt").exists() else []
    before = _tree(project)
    code, err = _run(case, project, command, args, capsys, monkeypatch)
    assert code == 2, err
    assert "Traceback" not in err and "internal error" not in err, err
    assert not CONTROL.search(err), repr(err)
    reported = []
    for line in err.splitlines():
        m = DIAGNOSTIC.match(line)
        assert m, f"not a one-line diagnostic: {line!r}"
        assert len(line) < 400, line
        reported.append((int(m[1] or 0), m[3]))
    expected, hints = _expected(case)
    assert sorted(reported) == expected, err
    for number, hint in hints:
        assert any(line.startswith(f"book.yaml:{number}:") and hint in line for line in err.splitlines()), (hint, err)
    assert _tree(project) == before, "a failed run wrote or deleted files"


def test_there_are_at_least_25_broken_manifests() -> None:
    assert len(CASES) >= 25


def test_three_independent_errors_reported_at_once(tmp_path: Path) -> None:
    case = next(c for c in CASES if "three-independent" in c.name)
    project = _project(tmp_path, case)
    (project / "out").mkdir()
    (project / "out" / "keep.pdf").write_bytes(b"previous")
    result = run_compiler("book.yaml", cwd=project)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 3
    assert sorted(p.name for p in (project / "out").iterdir()) == ["keep.pdf"]
    assert (project / "out" / "keep.pdf").read_bytes() == b"previous"


def test_shipped_manifest_checks(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    assert main(["check", "book.yaml", "--strict"]) == 0
    out = capsys.readouterr()
    assert "5 chapters, 13 posts" in out.out
    assert out.err == ""
    for name in ("Shelters", "Legal Cases", "The TIP Report", "Fundraising", "Reflections"):
        assert name in out.out


def test_model_is_frozen_and_every_post_placed_once(book_model) -> None:  # type: ignore[no-untyped-def]
    import dataclasses

    ids = [p.id for p in book_model.posts]
    assert len(ids) == 13 == len(set(ids))
    assert [c.title for c in book_model.chapters] == ["Shelters", "Legal Cases", "The TIP Report", "Fundraising",
                                                      "Reflections"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        book_model.chapters[0].title = "x"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        book_model.posts[0].blocks[0].text = "x"  # type: ignore[misc]


def test_corrections_are_applied(book_model) -> None:  # type: ignore[no-untyped-def]
    text = "\n".join(t for p in book_model.posts for t in p.paragraphs)
    for wrong, right in (("Ukranian", "Ukrainian"), ("Uzbekhistan", "Uzbekistan"), ("Amaty ", "Almaty"),
                         ("Barot", "Borat"), ("desparate", "desperate")):
        assert wrong not in text and right in text


def test_series_parts_in_number_order(book_model) -> None:  # type: ignore[no-untyped-def]
    shelters = [p.id for p in book_model.chapters[0].posts]
    assert shelters.index("shelters-for-victims-of-human-trafficking-in-kazakhstan") < \
        shelters.index("shelters-for-victims-of-human-trafficking-in-kazakhstan-part-ii")


def test_identifier_is_stable_uuid5_when_absent(tmp_path: Path) -> None:
    import uuid

    from compiler.manifest import load_manifest
    from compiler.model.assemble import assemble

    case = next(c for c in CASES if "three-independent" in c.name)
    project = _project(tmp_path, case)
    (project / "book.yaml").write_text((project / "book.yaml").read_text()
                                       .replace("  colour: blue  # expect E203\n", "")
                                       .replace("    intro: chapters/missing.md  # expect E212\n", "")
                                       .replace("      - not-a-post  # expect E220", "      - human-trafficking-part-iv"))
    book = assemble(load_manifest(project / "book.yaml"))
    assert book.meta.identifier == f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'Test Book')}"
