"""Manifest: the shipped book.yaml passes; every broken manifest in tests/manifests/ fails right.

Each case folder holds a book.yaml whose offending lines carry a comment
``# expect CODE [hint text]``; the test requires exactly those diagnostics,
on those lines, with exit code 2, no traceback, no control character in any
message, and nothing written or deleted, from ``check`` and from ``build``
alike (in this process, with the layout pool replaced: a manifest fails
before any layout). Optional files in a case folder:

* ``expected.txt``: ``LINE CODE`` per line (``0`` for the file as a whole), where
  the manifest cannot carry comments (empty, UTF-16, a folder);
* ``args.txt``: extra command-line arguments;
* ``symlinks.txt``: ``name -> target`` links to make in the project;
* ``isolate.txt``: a memory or recursion bomb, run in a subprocess under a
  memory cap and a timeout, so that a regression fails instead of hanging.
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
        book_model.chapters[0].title = "x"
    with pytest.raises(dataclasses.FrozenInstanceError):
        book_model.posts[0].content.blocks[0].children = ()  # type: ignore[misc,union-attr]


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


# -- attacks that need more than a book.yaml ------------------------------------------------------

def _check(project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    monkeypatch.chdir(project)
    code = main(["check", "book.yaml"])
    return code, capsys.readouterr().err


def _minimal(tmp_path: Path) -> Path:
    case = next(c for c in CASES if c.name.startswith("46-"))  # a date out of range: fixed below
    project = _project(tmp_path, case)
    (project / "book.yaml").write_text((project / "book.yaml").read_text().replace("9999-12-31  # expect E245",
                                                                                    "2026-01-01"))
    return project


def test_the_minimal_manifest_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    code, err = _check(_minimal(tmp_path), capsys, monkeypatch)
    assert code == 0, err


def test_a_manifest_over_a_megabyte_is_refused_unread(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    project = _minimal(tmp_path)
    with (project / "book.yaml").open("a") as handle:  # 3,000 nested mappings, as in the issue
        handle.write("nested:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 3000)))
    code, err = _check(project, capsys, monkeypatch)
    assert code == 2 and re.fullmatch(r"book\.yaml: E249 the manifest is [\d,]+ bytes, over the limit of "
                                      r"262,144 \(.*\)\n", err), err


@pytest.mark.parametrize("epoch, ok", [("315532800", True), ("4354819199", True), ("315532799", False),
                                       ("253402214400", False), ("-1", False)])
def test_source_date_epoch_must_lie_in_the_zip_range(epoch: str, ok: bool, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", epoch)
    code, err = _check(_minimal(tmp_path), capsys, monkeypatch)
    if ok:
        assert code == 0, err
    else:
        assert code == 2 and err.startswith(f"environment: E245 SOURCE_DATE_EPOCH={epoch} is outside"), err
        assert len(err.splitlines()) == 1


def test_a_glob_over_a_huge_tree_stops_early(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from compiler.manifest import globs

    project = _minimal(tmp_path)
    for n in range(60):
        (project / "sources" / f"d{n}").mkdir()
        for m in range(10):
            (project / "sources" / f"d{n}" / f"f{m}.dat").write_text("x")
    monkeypatch.setattr(globs, "MAX_ENTRIES", 300)  # the real limit (20,000 entries) works the same way
    (project / "book.yaml").write_text((project / "book.yaml").read_text().replace("sources/*.txt", "'**/*'"))
    code, err = _check(project, capsys, monkeypatch)
    assert code == 2 and re.fullmatch(r"book\.yaml:6:5: E250 source glob '\*\*/\*' looks at more than 300 files "
                                      r"and folders \(.*\)\n", err), err


def test_too_many_source_pages_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from compiler.manifest import checks

    project = _minimal(tmp_path)
    monkeypatch.setattr(checks, "MAX_PAGES", 3)
    code, err = _check(project, capsys, monkeypatch)
    assert code == 2 and re.fullmatch(r"book\.yaml:6:5: E251 the sources add up to 5 pages .*\n", err), err


@pytest.mark.parametrize("pattern", ["sources/*.txt", "sources/**/*.txt", "**/*.txt", "sources/00[0-2]*",
                                     "sources/**", "*/*.txt", "sources/000_a17773e423f6ec34.txt", "./sources/*"])
def test_bounded_glob_matches_like_glob(pattern: str) -> None:
    import glob

    from compiler.manifest.globs import bounded_glob

    expected = sorted(p for p in glob.glob(pattern, root_dir=ROOT / "sources" / "..", recursive=True)
                      if (ROOT / p).is_file() and Path(p).parts[0] not in ("out", ".venv", ".git"))
    assert [p.relative_to(ROOT).as_posix() for p in bounded_glob(ROOT, pattern)
            if not p.relative_to(ROOT).as_posix().startswith("out/")] == [Path(p).as_posix() for p in expected]


def test_stale_temporaries_are_only_the_compilers_own(tmp_path: Path) -> None:
    from compiler import files

    seen: list[str] = []
    files.write_all(tmp_path, {"book.pdf": b"pdf", "report.json": b"{}"},
                    on_step=lambda step: seen.extend(p.name for p in tmp_path.iterdir()) if step == "(replace)" else None)
    temporaries = [name for name in seen if name not in ("book.pdf", "report.json")]
    assert len(temporaries) == 2 and all(n.startswith(".compiler-tmp-") and n.endswith(".tmp") for n in temporaries)
    (tmp_path / ".my-notes.tmp").write_text("mine")
    (tmp_path / ".book.pdf.x1y2.tmp").write_text("an older compiler's, or anyone's")
    (tmp_path / ".compiler-tmp-book.pdf-abcd1234.tmp").write_text("left by a killed build")
    files.remove_stale_temporaries(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".book.pdf.x1y2.tmp", ".my-notes.tmp", "book.pdf",
                                                          "report.json"]


def test_messages_never_echo_controls_and_cut_long_values() -> None:
    from compiler.ingest.text import is_blank, shown

    assert shown("a\x07\x1b[31m\u202eb\x85") == "a\\x07\\x1b[31m\\u202eb\\x85"
    assert shown("x" * 500) == "x" * 59 + "…"
    assert shown(None) == "None"
    assert is_blank("\u00a0\u3000\u200b\ufeff\t") and not is_blank("\u00a0a")


@pytest.mark.parametrize("command", ["check", "build"])
def test_control_characters_in_markdown_are_input_errors(command: str, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Build crashed on them (no XHTML can hold U+0007) after check had passed."""
    import compiler.pdf.pool

    project = _minimal(tmp_path)
    (project / "book.yaml").write_text((project / "book.yaml").read_text().replace(
        "    rule:", "    intro: chapters/intro.md\n    rule:"))
    (project / "chapters" / "intro.md").write_text("An introduction.\n\nWith a \x1b[31mred\x07 word.\n")
    monkeypatch.chdir(project)
    monkeypatch.setattr(compiler.pdf.pool, "workers", lambda *a, **k: contextlib.nullcontext(
        compiler.pdf.pool.InProcess()))
    assert main([command, "book.yaml"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("chapters/intro.md:3:8: E256 control character U+001B ESCAPE") and err.count("\n") == 1, err
    assert not CONTROL.search(err)
