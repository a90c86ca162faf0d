"""All file access of the compiler, in one place.

Reading inputs (with encoding detection), resolving paths that must stay
inside the project, and writing outputs atomically. The one URL fetcher the
renderer uses is :mod:`compiler.urls`, which reads project files through here.
"""

from __future__ import annotations

import contextlib
import errno
import glob as _glob
import os
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from compiler.errors import CompilerError, Diagnostic, Exit, display_path

#: Largest input file read; a bigger one is refused before it is read.
MAX_INPUT_BYTES = 20 * 1024 * 1024
#: A WordPress export or a feed of a whole blog: tens of MB, stream-parsed by its reader.
MAX_EXPORT_BYTES = 512 * 1024 * 1024

#: Largest manifest read: a book.yaml is a few kilobytes.
MAX_MANIFEST_BYTES = 256 * 1024

#: Encodings tried for archive pages, in order. UTF-8 (with or without BOM)
#: first; Windows-1252 is what WordPress exports made on Windows use.
ENCODINGS = ("utf-8-sig", "cp1252")


#: Every input read while :func:`recording` is active (the build stamp hashes them).
_RECORDERS: list[set[Path]] = []


@contextlib.contextmanager
def recording() -> Iterator[set[Path]]:
    """Collect the resolved path of every input file read in the body (through this module), so
    that whatever a manifest key names is hashed into the build stamp, whichever key named it."""
    paths: set[Path] = set()
    _RECORDERS.append(paths)
    try:
        yield paths
    finally:
        _RECORDERS.remove(paths)


def note(path: Path) -> None:
    """Record ``path`` as an input without reading it (a file looked for that may be missing: if it
    appears, the build stamp changes)."""
    for paths in _RECORDERS:
        paths.add(path.resolve())


def read_bytes(path: Path, limit: int = MAX_INPUT_BYTES) -> bytes:
    """Read a whole input file, refusing one larger than ``limit``."""
    for paths in _RECORDERS:
        paths.add(path.resolve())
    not_a_file = CompilerError(Diagnostic("E108", "not a regular file", display_path(path),
                                          hint="name a file saved on disk"))
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):  # a device (/dev/zero), a pipe: no end, or a wait
            raise not_a_file
        with open(path, "rb") as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode):  # swapped since
                raise not_a_file
            data = handle.read(limit + 1)  # the size on disk may change while it is read
        if max(info.st_size, len(data)) > limit:
            raise CompilerError(Diagnostic(
                "E101", f"file is over the {limit:,}-byte limit", display_path(path),
                hint="split the page or remove it from sources"))
        return data
    except OSError as exc:
        raise CompilerError(Diagnostic(
            "E102", f"cannot read file: {exc.strerror}", display_path(path),
            hint="check the path and its permissions")) from exc


def read_head(path: Path, size: int) -> bytes:
    """The first ``size`` bytes of an input file (to recognise its format before reading it all)."""
    for paths in _RECORDERS:
        paths.add(path.resolve())
    not_a_file = CompilerError(Diagnostic("E108", "not a regular file", display_path(path),
                                          hint="name a file saved on disk"))
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):  # a device, a pipe: opening it may wait forever
            raise not_a_file
        with open(path, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):  # swapped since
                raise not_a_file
            return handle.read(size)
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


#: What to do about a failed write, by errno: (what happened, hint).
_WRITE_PROBLEMS: dict[int, tuple[str, str]] = {
    errno.EROFS: ("the file system is read-only", "make it writable, or choose another folder with --out"),
    errno.ENOSPC: ("no space left on the device", "free some space, or choose another folder with --out"),
    errno.EDQUOT: ("disk quota exceeded", "free some space, or choose another folder with --out"),
    errno.EACCES: ("permission denied", "check the folder's permissions, or choose another folder with --out"),
    errno.EPERM: ("operation not permitted", "check the folder's permissions, or choose another folder with --out"),
    errno.EISDIR: ("a folder is in the way", "remove or rename that folder"),
    errno.EFBIG: ("the file is too large for the file system", "choose another folder with --out"),
    errno.ENAMETOOLONG: ("the path is too long", "choose a shorter folder with --out"),
    errno.EIO: ("input/output error", "check the disk, or choose another folder with --out"),
}
_NOT_A_FOLDER = (errno.ENOTDIR, errno.EEXIST)


def write_problem(exc: OSError, path: Path) -> tuple[str, str, str]:
    """What a failed write of ``path`` means: (the path to name, what happened, what to do).
    A file where a folder belongs (``out/.cache`` a file, say) is named itself."""
    if exc.errno in _NOT_A_FOLDER:
        for parent in (path, *path.parents):
            if parent.exists() and not parent.is_dir():
                return display_path(parent), "a file is in the way", "remove or rename that file"
    what, hint = _WRITE_PROBLEMS.get(exc.errno or 0, (exc.strerror or str(exc), "check the folder, or choose "
                                                     "another folder with --out"))
    return display_path(path), what, hint


class WriteError(CompilerError):
    """A file could not be written: one line naming the path (exit code 4, an output problem)."""

    def __init__(self, exc: OSError, path: Path, doing: str = "cannot write the file", code: str = "E411") -> None:
        where, what, hint = write_problem(exc, path)
        self.cause, self.path = exc, path
        super().__init__(Diagnostic(code, f"{doing}: {what}", where, hint=hint), Exit.OUTPUT)


def make_folder(folder: Path) -> None:
    """Create ``folder`` (and its parents) if missing; a failure is a :class:`WriteError`."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WriteError(exc, folder, "cannot create the folder", "E410") from None
    if not folder.is_dir():
        raise WriteError(OSError(errno.ENOTDIR, "Not a directory"), folder, "cannot create the folder", "E410")


def write_new(path: Path, data: bytes) -> bool:
    """Create ``path`` with ``data`` unless it exists (never overwrites); whether it was written."""
    make_folder(path.parent)
    try:
        with open(path, "xb") as handle:
            handle.write(data)
        return True
    except FileExistsError:
        return False
    except OSError as exc:
        raise WriteError(exc, path) from None


def copy_folder(source: Path, target: Path) -> None:
    """Copy a folder of inputs (a style) to ``target``, which must not exist yet."""
    try:
        shutil.copytree(source, target)
    except OSError as exc:
        raise WriteError(exc, target, "cannot copy the folder", "E410") from None


def check_writable(folder: Path) -> None:
    """Fail now, before any rendering, if outputs cannot be written to ``folder`` (a file in the
    way, a read-only file system, no permission): a :class:`WriteError` naming the path."""
    make_folder(folder)
    try:
        with tempfile.TemporaryFile(dir=folder):  # unnamed where the OS allows: nothing to clean up
            pass
    except OSError as exc:
        raise WriteError(exc, folder, "cannot write in the output folder", "E410") from None


def write_all(out: Path, files: dict[str, bytes], on_step: Callable[[str], None] | None = None) -> dict[str, Path]:
    """Write every file to a temporary beside its target, then move each into place.

    Nothing replaces a previous output until every new one is completely on
    disk (written, flushed and fsynced); a kill at any point leaves each
    output either the old or the new complete file, and the next build
    removes the temporaries (:func:`remove_stale_temporaries`). A failure
    (read-only folder, full disk, a file where a folder belongs...) is a
    :class:`WriteError` naming the path, and leaves the previous files as they were.
    """
    make_folder(out)
    temps: dict[Path, Path] = {}
    target = out
    try:
        for name, data in files.items():
            if on_step:
                on_step(name)
            target = out / name
            fd, name_of_temp = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{name}-", suffix=".tmp", dir=out)
            temps[out / name] = Path(name_of_temp)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(name_of_temp, 0o644)
        if on_step:
            on_step("(replace)")
        for target in temps:  # what would stop a move, before anything is moved
            if target.is_dir():
                raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(target))
        for target, temp in temps.items():
            os.replace(temp, target)
    except OSError as exc:
        raise WriteError(exc, target) from None
    finally:
        for temp in temps.values():
            with contextlib.suppress(OSError):
                temp.unlink(missing_ok=True)
    return {path.name: path for path in temps}


#: How :func:`write_all` names its temporary files; nothing else is ever deleted as stale.
TEMP_PREFIX = ".compiler-tmp-"


def remove_stale_temporaries(directory: Path) -> None:
    """Delete the temporary files an interrupted build left in ``directory``: only files named as
    :func:`write_all` names them (``.compiler-tmp-<name>-XXXXXXXX.tmp``), never a user's."""
    if directory.is_dir():
        for stale in directory.glob(f"{TEMP_PREFIX}*.tmp"):
            if stale.is_file() and not stale.is_symlink():
                stale.unlink(missing_ok=True)
