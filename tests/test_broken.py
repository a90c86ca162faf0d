"""The broken sources catalogue: every folder of ``tests/broken/`` is refused in one line.

See ``tests/broken/README.md`` for a case folder's form. Each case runs its
command (``build book.yaml``, ``args.txt``, or ``posts`` over its files) in a
copy of the folder and must exit 2 with exactly the line of ``expected.txt``
on stderr, no traceback, nothing on stdout, and no file written or removed
(``out/`` included).
"""

from __future__ import annotations

import contextlib
import importlib.util
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from compiler.cli import main

BROKEN = Path(__file__).parent / "broken"
CASES = sorted(p for p in BROKEN.iterdir() if p.is_dir())
#: Files of a case folder that are not inputs.
META = {"expected.txt", "args.txt", "generate.py", "isolate.txt", "README.md", "__pycache__"}
MEMORY = 1536 * 1024 * 1024
_ISOLATED = """import contextlib, sys
import compiler.pdf.pool as pool
pool.workers = lambda *a, **k: contextlib.nullcontext(pool.InProcess())
from compiler.cli import main
sys.exit(main(sys.argv[1:]))
"""


def _command(case: Path) -> list[str]:
    if (case / "args.txt").exists():
        return shlex.split((case / "args.txt").read_text(encoding="utf-8"))
    if (case / "book.yaml").exists():
        return ["build", "book.yaml"]
    inputs = sorted(p.name for p in case.iterdir() if p.name not in META)
    return ["posts", *inputs]


def _copy(case: Path, target: Path) -> Path:
    import shutil

    shutil.copytree(case, target, ignore=shutil.ignore_patterns("expected.txt", "generate.py", "isolate.txt",
                                                                "__pycache__"), symlinks=True)
    if (case / "generate.py").exists():
        spec = importlib.util.spec_from_file_location(f"generate_{case.name.replace('-', '_')}",
                                                      case / "generate.py")
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        module.generate(target)
    return target


def _tree(folder: Path) -> dict[str, tuple[int, float]]:
    return {str(p.relative_to(folder)): (p.lstat().st_size, p.lstat().st_mtime) for p in folder.rglob("*")}


def _cap_memory() -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_broken_source(case: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                       monkeypatch: pytest.MonkeyPatch) -> None:
    project = _copy(case, tmp_path / case.name)
    args = _command(case)
    before = _tree(project)
    monkeypatch.chdir(project)
    if (case / "isolate.txt").exists():
        result = subprocess.run([sys.executable, "-c", _ISOLATED, *args], cwd=project, capture_output=True,
                                text=True, timeout=60, preexec_fn=_cap_memory)
        code, out, err = result.returncode, result.stdout, result.stderr
    else:
        import compiler.pdf.pool

        monkeypatch.setattr(compiler.pdf.pool, "workers", lambda *a, **k: contextlib.nullcontext(
            compiler.pdf.pool.InProcess()))
        code = main(args)
        captured = capsys.readouterr()
        out, err = captured.out, captured.err
    expected = (case / "expected.txt").read_text(encoding="utf-8").rstrip("\n")
    assert "Traceback" not in err and "internal error" not in err, err
    assert code == 2, err
    assert err.splitlines() == [expected], err
    assert out == ""
    assert _tree(project) == before, "a refused source wrote or removed files"
    assert not (project / "out").exists() or not any((project / "out").iterdir())


def test_every_case_has_its_expected_line() -> None:
    for case in CASES:
        lines = (case / "expected.txt").read_text(encoding="utf-8").splitlines()
        assert len(lines) == 1 and lines[0].split(": ", 1)[1][:1] in "EW", case.name


def test_the_catalogue_holds_at_least_eight_cases() -> None:
    assert len(CASES) >= 8


def test_every_code_a_case_prints_is_documented() -> None:
    """In README.md's code list: the code itself, or its family (`E11x` archive pages)."""
    import re

    readme = (BROKEN.parent.parent / "README.md").read_text(encoding="utf-8")
    for case in CASES:
        code = re.search(r"\b([EW]\d{3})\b", (case / "expected.txt").read_text(encoding="utf-8"))
        assert code and (f"`{code[1]}`" in readme or f"`{code[1][:3]}x`" in readme), (case.name, code[0] if code else "")
