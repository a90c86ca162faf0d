"""All file access of the compiler, in one place.

Reading inputs (with encoding detection), resolving paths that must stay
inside the project, and writing outputs atomically. The one URL fetcher the
renderer uses is :mod:`compiler.urls`, which reads project files through here.
"""

from __future__ import annotations

import glob as _glob
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from compiler.errors import CompilerError, Diagnostic, display_path

#: Largest input file read; a bigger one is refused before it is read.
MAX_INPUT_BYTES = 20 * 1024 * 1024

#: Encodings tried for archive pages, in order. UTF-8 (with or without BOM)
#: first; Windows-1252 is what WordPress exports made on Windows use.
ENCODINGS = ("utf-8-sig", "cp1252")


def read_bytes(path: Path, limit: int = MAX_INPUT_BYTES) -> bytes:
    """Read a whole input file, refusing one larger than ``limit``."""
    try:
        size = path.stat().st_size
        if size > limit:
            raise CompilerError(Diagnostic(
                "E101", f"file is {size:,} bytes, over the {limit:,}-byte limit",
                display_path(path), hint="split the page or remove it from sources"))
        return path.read_bytes()
    except OSError as exc:
        raise CompilerError(Diagnostic(
            "E102", f"cannot read file: {exc.strerror}", display_path(path),
            hint="check the path and its permissions")) from exc


def decode(data: bytes, name: str) -> str:
    """Decode text as UTF-8 (BOM allowed) or Windows-1252, with LF line ends."""
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise CompilerError(Diagnostic(
            "E103", "file contains NUL bytes: it is binary or UTF-16, not a text page",
            name, line, hint="save the page as UTF-8 text"))
    try:
        text = data.decode(ENCODINGS[0])
    except UnicodeDecodeError as exc:
        try:
            text = data.decode(ENCODINGS[1])
        except UnicodeDecodeError:
            line = data[: exc.start].count(b"\n") + 1
            raise CompilerError(Diagnostic(
                "E104", f"byte 0x{data[exc.start]:02x} decodes in no supported encoding"
                " (UTF-8, Windows-1252)", name, line, hint="re-save the page as UTF-8")) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def read_text(path: Path) -> str:
    """Read and decode one text input (an archive page or a Markdown file)."""
    return decode(read_bytes(path), display_path(path))


def inside(root: Path, path: Path) -> bool:
    """Whether ``path`` (after following symlinks) lies under ``root``."""
    try:
        path.resolve().relative_to(root.resolve())
        return True
    except ValueError:
        return False


def glob(root: Path, pattern: str) -> list[Path]:
    """Files matching a glob relative to ``root``, sorted by name."""
    matches = _glob.glob(pattern, root_dir=root, recursive=True)
    return sorted((root / m for m in matches if (root / m).is_file()), key=lambda p: p.as_posix())


def read_project_file(root: Path, path: Path) -> bytes:
    """Read a file that must lie under the project root."""
    if not inside(root, path):
        raise CompilerError(Diagnostic("E105", "file lies outside the project", str(path)))
    return read_bytes(path)


def write_all(out: Path, files: dict[str, bytes], on_step: Callable[[str], None] | None = None) -> dict[str, Path]:
    """Write every file to a temporary beside its target, then move each into place.

    Nothing replaces a previous output until every new one is completely on
    disk (written, flushed and fsynced); a kill at any point leaves each
    output either the old or the new complete file, and the next build
    removes the temporaries (:func:`remove_stale_temporaries`).
    """
    out.mkdir(parents=True, exist_ok=True)
    temps: dict[Path, Path] = {}
    try:
        for name, data in files.items():
            if on_step:
                on_step(name)
            fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=out)
            temps[out / name] = Path(tmp)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp, 0o644)
        if on_step:
            on_step("(replace)")
        for target, tmp in temps.items():
            os.replace(tmp, target)
    finally:
        for tmp in temps.values():
            tmp.unlink(missing_ok=True)
    return {target.name: target for target in temps}


def remove_stale_temporaries(directory: Path) -> None:
    """Delete temporary files an interrupted build left in ``directory``."""
    if directory.is_dir():
        for stale in directory.glob(".*.tmp"):
            stale.unlink(missing_ok=True)
