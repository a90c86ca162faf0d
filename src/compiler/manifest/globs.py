"""Bounded globs for ``sources``: a pattern may not walk the whole disk or loop forever.

:func:`bounded_glob` matches a pattern relative to the project root like
:func:`glob.glob` with ``recursive=True`` (``**`` matches any number of folders,
``*`` and ``**`` skip hidden names), but it gives up with :class:`GlobLimit`
after looking at :data:`MAX_ENTRIES` folder entries or finding more than
:data:`MAX_MATCHES` files, and it never enters a folder twice on one path
(a symbolic link to a folder above it), which it reports instead.
"""

from __future__ import annotations

import fnmatch
import os
import re
from pathlib import Path

#: Folder entries one pattern may look at.
MAX_ENTRIES = 20_000
#: Files one pattern (and all of them together) may match.
MAX_MATCHES = 2_000

_MAGIC = re.compile(r"[*?\[]")


class GlobLimit(Exception):
    """The pattern asks for too much (``kind`` is 'entries', 'matches' or 'loop')."""

    def __init__(self, kind: str, where: str = "", limit: int = 0) -> None:
        super().__init__(kind)
        self.kind, self.where, self.limit = kind, where, limit


class _Walk:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.seen = 0
        self.found: list[Path] = []

    def entries(self, folder: Path) -> list[os.DirEntry[str]]:
        try:
            with os.scandir(folder) as it:
                items = []
                for entry in it:
                    self.seen += 1
                    if self.seen > MAX_ENTRIES:
                        raise GlobLimit("entries", limit=MAX_ENTRIES)
                    items.append(entry)
                return sorted(items, key=lambda e: e.name)
        except (NotADirectoryError, FileNotFoundError, PermissionError):
            return []
        except OSError as exc:
            if exc.errno == 40:  # ELOOP
                raise GlobLimit("loop", _relative(self.root, folder)) from None
            return []

    def match(self, folder: Path, parts: list[str], ancestors: frozenset[tuple[int, int]]) -> None:
        try:
            info = folder.stat()
        except OSError:
            return
        identity = (info.st_dev, info.st_ino)
        if identity in ancestors:
            raise GlobLimit("loop", _relative(self.root, folder))
        ancestors = ancestors | {identity}
        part, rest = parts[0], parts[1:]
        if part == "**":
            if rest:
                self.match(folder, rest, ancestors - {identity})
            else:
                self.add_files(folder, "*")
            for entry in self.entries(folder):
                if not entry.name.startswith(".") and entry.is_dir():
                    self.match(Path(entry.path), parts, ancestors)
            return
        if not _MAGIC.search(part):
            target = folder / part
            if not rest:
                self.add(target)
            elif target.is_dir():
                self.match(target, rest, ancestors)
            return
        if not rest:
            self.add_files(folder, part)
            return
        for entry in self.entries(folder):
            if _fits(entry.name, part) and entry.is_dir():
                self.match(Path(entry.path), rest, ancestors)

    def add_files(self, folder: Path, part: str) -> None:
        for entry in self.entries(folder):
            if _fits(entry.name, part):
                self.add(Path(entry.path))

    def add(self, path: Path) -> None:
        if path.is_file() and path not in self.found:
            self.found.append(path)
            if len(self.found) > MAX_MATCHES:
                raise GlobLimit("matches", limit=MAX_MATCHES)


def _fits(name: str, part: str) -> bool:
    if name.startswith(".") and not part.startswith("."):
        return False
    return fnmatch.fnmatchcase(name, part)


def _relative(root: Path, path: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def bounded_glob(root: Path, pattern: str) -> list[Path]:
    """Files matching ``pattern`` (relative to ``root``), sorted by path; raise :class:`GlobLimit`."""
    parts = [p for p in pattern.replace("\\", "/").split("/") if p not in ("", ".")]
    if not parts:
        return []
    walk = _Walk(root)
    walk.match(root, parts, frozenset())
    return sorted(walk.found, key=lambda p: p.as_posix())
