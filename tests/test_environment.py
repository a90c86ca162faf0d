"""The environment: read-only, full or blocked output folders, a cache that cannot be written,
refused fetches, the memory limit, and the last line of defence in ``cli.main``.

Every failure is one line naming the path and what to do, with exit code 4 for an output that
cannot be written; the previous outputs stay as they were; a cache that cannot be written only
costs time (one warning). Builds run in this process (``compiler.cli.main``) where they can.
"""

from __future__ import annotations

import contextlib
import errno
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from conftest import built_copy, copy_project, run_compiler
from compiler import cache, cli, files, limits

PDF = "slavery-is-not-dead.pdf"
OUTPUTS = (PDF, "slavery-is-not-dead.epub", "report.json")


def _main(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str]]:
    code = cli.main(list(args))
    err = capsys.readouterr().err
    return code, [line for line in err.splitlines() if line.strip()]


def _problems(lines: list[str]) -> list[str]:
    """The lines that report a problem (not the dedup summary or what was written)."""
    return [line for line in lines if not line.startswith(("dedup:", "  ", "wrote ", "up to date"))]


def _digests(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, built: dict[str, Path]) -> Path:
    """The default book, built (its layout cache warm)."""
    return built_copy(built, tmp_path_factory.mktemp("environment") / "project")


@pytest.fixture
def inside(project: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(project)
    return project


@contextlib.contextmanager
def tmpfs(path: Path, size: str) -> Iterator[Path]:
    """A small tmpfs mounted at ``path`` (skips the test where mounting is not permitted)."""
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"mounting a tmpfs is not permitted here: {mounted.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


# -- writes, in this process, for every errno ---------------------------------------------------
def _raise(code: int) -> Any:
    def fail(*args: Any, **kwargs: Any) -> Any:
        raise OSError(code, os.strerror(code))
    return fail


@pytest.mark.parametrize(("module", "function", "code", "says"), [
    (tempfile, "mkstemp", errno.EROFS, "read-only"),
    (os, "fsync", errno.ENOSPC, "no space left"),
    (os, "replace", errno.EACCES, "permission denied"),
    (tempfile, "mkstemp", errno.EDQUOT, "quota"),
    (os, "chmod", errno.EPERM, "not permitted"),
    (os, "fsync", errno.EIO, "input/output error"),
])
def test_a_failed_write_is_one_line_and_keeps_the_previous_files(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, module: Any, function: str, code: int, says: str) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / PDF).write_bytes(b"the previous book")
    monkeypatch.setattr(module, function, _raise(code))
    with pytest.raises(files.WriteError) as failed:
        files.write_all(out, {PDF: b"new", "report.json": b"{}"})
    monkeypatch.undo()
    assert failed.value.exit_code == 4
    [diagnostic] = failed.value.diagnostics
    line = diagnostic.format()
    assert "\n" not in line and says in line and line.startswith(str(out)) and " E411 " in line, line
    assert _digests(out) == {PDF: b"the previous book"}  # nothing replaced, no temporary left
    assert not list(out.glob(".*"))


@pytest.mark.parametrize("blocked", [".cache", ".cache/layout"])
def test_a_file_where_a_folder_belongs_is_named(tmp_path: Path, blocked: str) -> None:
    out = tmp_path / "out"
    (out / blocked).parent.mkdir(parents=True, exist_ok=True)
    (out / blocked).write_text("not a folder")
    with pytest.raises(files.WriteError) as failed:
        files.write_all(out / ".cache" / "layout", {"x.pdf": b"x"})
    line = failed.value.diagnostics[0].format()
    assert line.startswith(f"{out / blocked}: E410 ") and "a file is in the way" in line, line


def test_a_folder_where_an_output_belongs_is_named(tmp_path: Path) -> None:
    (tmp_path / PDF).mkdir()
    (tmp_path / "report.json").write_text("{}")
    with pytest.raises(files.WriteError) as failed:
        files.write_all(tmp_path, {"report.json": b"new", PDF: b"%PDF"})
    line = failed.value.diagnostics[0].format()
    assert line.startswith(f"{tmp_path / PDF}: E411 ") and "a folder is in the way" in line, line
    assert (tmp_path / "report.json").read_text() == "{}"  # no output replaced while another cannot be
    assert not list(tmp_path.glob(".*.tmp"))


def test_an_unwritable_cache_is_reported_once_and_costs_only_time(tmp_path: Path) -> None:
    (tmp_path / ".cache").write_text("not a folder")
    cache.reset()
    cache.store_layout(tmp_path, "part-a", b"%PDF-a", {"pages": 1})
    cache.store_json(tmp_path, "pages", {"A4 (1,)": 2})
    assert cache.memo(tmp_path, "cover", "k", lambda: b"png") == b"png"
    assert cache.load_layout(tmp_path, "part-a") is None
    [warning] = cache.warnings()
    assert warning.warning and warning.code == "W420" and warning.file == str(tmp_path / ".cache")
    cache.reset()


# -- builds ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("blocked", [".cache", ".cache/layout"])
def test_a_cache_that_is_a_file_builds_without_it(inside: Path, capsys: pytest.CaptureFixture[str],
                                                  blocked: str) -> None:
    out = inside / f"out-{blocked.replace('/', '-')}"
    (out / blocked).parent.mkdir(parents=True, exist_ok=True)
    (out / blocked).write_text("not a folder")
    code, lines = _main(capsys, "book.yaml", "--out", out.name)
    assert code == 0, lines
    [warning] = _problems(lines)
    assert warning.startswith(f"{out.name}/{blocked}: warning W420 cannot write the build cache"), warning
    assert all((out / name).is_file() for name in OUTPUTS)


def test_a_read_only_output_folder_fails_before_rendering(inside: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with tmpfs(inside / "ro", "8m") as ro:
        shutil.copytree(inside / "out", ro, dirs_exist_ok=True)
        before = _digests(ro)
        subprocess.run(["mount", "-o", "remount,ro", str(ro)], check=True)
        code, lines = _main(capsys, "book.yaml", "--out", "ro", "--strict")
        assert code == 4, lines
        assert _problems(lines) == ["ro: E410 cannot write in the output folder: the file system is read-only "
                                    "(make it writable, or choose another folder with --out)"]
        assert _digests(ro) == before


def test_a_full_disk_keeps_the_previous_outputs(inside: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with tmpfs(inside / "full", "200k") as full:
        (full / PDF).write_bytes(b"the previous book")
        code, lines = _main(capsys, "book.yaml", "--out", "full")
        assert code == 4, lines
        [error] = _problems(lines)
        assert error.startswith("full/") and " E411 " in error and "no space left" in error, error
        assert (full / PDF).read_bytes() == b"the previous book"
        assert not list(full.glob(".*.tmp"))


def test_an_output_folder_that_is_a_file(inside: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (inside / "blocked").write_text("not a folder")
    code, lines = _main(capsys, "book.yaml", "--out", "blocked")
    assert code == 4
    assert _problems(lines) == [
        "blocked: E410 cannot create the folder: a file is in the way (remove or rename that file)"]


# -- refused fetches --------------------------------------------------------------------------------
REFUSED = [  # (file, how it is changed, the line the error names, extra options)
    ("styles/print.css", lambda text: '@import url("http://example.com/x.css");\n' + text, 1, ()),
    ("styles/book.css",
     lambda text: text + '\n@font-face { font-family: X; src: url("https://example.com/x.woff2"); }\n',
     None, ("--one-document",)),
    ("styles/templates/book.html", lambda text: text.replace(
        "<title>", '<link rel="stylesheet" href="http://example.com/a.css"/>\n<title>', 1), None, ()),
    ("styles/print.css", lambda text: text + '\n.cover { background: url("../../../../etc/hostname"); }\n', None, ()),
]


@pytest.mark.parametrize(("name", "edit", "line", "options"), REFUSED)
def test_a_refused_fetch_is_e106_at_its_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str], name: str, edit: Any,
                                             line: int | None, options: tuple[str, ...]) -> None:
    project = copy_project(tmp_path / "book")
    path = project / name
    path.write_text(edit(path.read_text()))
    if line is None:
        line = next(n for n, text in enumerate(path.read_text().splitlines(), 1) if "example.com" in text
                    or "hostname" in text)
    monkeypatch.chdir(project)
    code, lines = _main(capsys, "book.yaml", "--no-cache", *options)
    assert code == 2, lines
    [error] = _problems(lines)
    assert error.startswith(f"{name}:{line}: E106 refused to fetch "), error


def test_a_refused_fetch_in_this_process_is_a_picklable_error(tmp_path: Path) -> None:
    from compiler.pdf import Refused
    from compiler.pdf.parts import PartJob, lay_out_part

    project = copy_project(tmp_path / "book")
    sheet = project / "styles" / "print.css"
    sheet.write_text('@import url("http://example.com/x.css");\n' + sheet.read_text())
    job = PartJob("<html><body><p>x</p></body></html>", project, project / "styles", "A4", b"0" * 32)
    with pytest.raises(Refused) as refused:
        lay_out_part(job)
    again = pickle.loads(pickle.dumps(refused.value))
    assert (again.file, again.line) == ("styles/print.css", 1) and "http://example.com/x.css" in again.message


# -- the last line of defence -------------------------------------------------------------------------
class _Odd(BaseException):
    """A BaseException that is neither KeyboardInterrupt nor SystemExit (as WeasyPrint's fatal
    fetch error is)."""


@pytest.mark.parametrize(("raised", "code"), [(_Odd("odd"), 1), (GeneratorExit(), 1), (KeyboardInterrupt(), 130)])
def test_main_never_prints_a_traceback(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                       raised: BaseException, code: int) -> None:
    def fail(args: Any) -> int:
        raise raised

    monkeypatch.setattr(cli, "cmd_check", fail)
    got, lines = _main(capsys, "check", "book.yaml")
    assert got == code and len(lines) == 1 and "Traceback" not in lines[0], lines


def test_main_lets_system_exit_through(monkeypatch: pytest.MonkeyPatch) -> None:
    def leave(args: Any) -> int:
        raise SystemExit(3)

    monkeypatch.setattr(cli, "cmd_check", leave)
    with pytest.raises(SystemExit):
        cli.main(["check", "book.yaml"])


# -- the memory limit ----------------------------------------------------------------------------------
def test_an_unraisable_memory_error_under_the_limit_prints_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Under --memory-limit, a finaliser that runs out of memory must not print half a line
    ("Exception ignored in: ") before the build's own E403 line."""
    seen: list[Any] = []
    monkeypatch.setattr(sys, "unraisablehook", seen.append)
    out_of_memory = SimpleNamespace(exc_type=MemoryError, exc_value=MemoryError(), exc_traceback=None,
                                    err_msg=None, object=None)
    other = SimpleNamespace(exc_type=ValueError, exc_value=ValueError("x"), exc_traceback=None, err_msg=None,
                            object=None)
    with limits.limited(0, 1 << 20):  # a limit (of a terabyte) applies: the quiet hook is in place
        sys.unraisablehook(out_of_memory)
        sys.unraisablehook(other)
    assert seen == [other]
    assert sys.unraisablehook == seen.append  # the previous hook is back


def test_an_exhausted_memory_limit_is_one_line(project: Path) -> None:
    """The build's own E403 line, alone: no "Exception ignored in: " before it, no traceback."""
    result = run_compiler("book.yaml", "--no-cache", "--memory-limit", "150", "--out", "out-memory", cwd=project)
    assert result.returncode == 4
    assert result.stderr.splitlines() == [
        "build: E403 rendering needed more than 150 MB of memory and was stopped (check the input for enormous "
        "posts, or raise --memory-limit)"], result.stderr
