"""Manifest: the shipped book.yaml passes; every broken manifest in tests/manifests/ fails right.

Each case folder holds a book.yaml whose offending lines carry a comment
``# expect CODE [hint text]``; the test requires exactly those diagnostics,
on those lines, with exit code 2, no traceback and nothing written to out/.
"""

from __future__ import annotations

import os
import re
import shutil
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
    shutil.copy(case / "book.yaml", project / "book.yaml")
    links = case / "symlinks.txt"
    if links.exists():
        for line in links.read_text().splitlines():
            name, target = (part.strip() for part in line.split("->"))
            os.symlink(target, project / name)
    return project


def _expected(case: Path) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
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


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_broken_manifest(case: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                         monkeypatch: pytest.MonkeyPatch) -> None:
    project = _project(tmp_path, case)
    monkeypatch.chdir(project)
    args = (case / "args.txt").read_text().split() if (case / "args.txt").exists() else []
    code = main(["check", "book.yaml", *args])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line and not line.startswith("book.yaml:") is False]
    reported = []
    for line in err.splitlines():
        m = re.match(r"book\.yaml:(\d+):(\d+): (E\d{3}) ", line)
        assert m, f"not a one-line diagnostic: {line!r}"
        reported.append((int(m[1]), m[3]))
    expected, hints = _expected(case)
    assert sorted(reported) == expected, err
    for number, hint in hints:
        assert any(line.startswith(f"book.yaml:{number}:") and hint in line for line in lines), (hint, err)
    assert not (project / "out").exists()


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
