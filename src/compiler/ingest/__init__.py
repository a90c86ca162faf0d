"""Ingest: the reader registry, the first pipeline stage.

Each source format has one module and one :class:`Reader` in it: archive
pages (:mod:`compiler.ingest.pages`), WordPress exports
(:mod:`compiler.ingest.wxr`), feeds (:mod:`compiler.ingest.feeds`),
static-site Markdown (:mod:`compiler.ingest.static`) and saved WordPress
pages (:mod:`compiler.ingest.saved_html`). A file's format is recognised by its
content, not its name: the first bytes are sniffed, each reader in
registry order is asked, and archive pages (plain text) come last and take
any other file. A folder is a source when a reader with a ``folder`` test
takes it (a static site); readers with ``read_path`` read from the path
themselves (they bound their own reads and find files beside it: a site's
images, a saved page's ``_files`` folder). Every reader turns a file into a :class:`Source`: post copies
(the unit :mod:`compiler.dedup` merges, whatever format they came from),
the pages an export holds (for front and back matter, by slug), what was
left out, and warnings. The manifest's ``sources`` and the ``posts`` command
accept any registered format, mixed in one book.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from compiler import files
from compiler.errors import CompilerError, Diagnostic, display_path
from compiler.model import PostCopy
from compiler.model.entries import Entry, LeftOut

#: Bytes a reader's sniffer is shown.
SNIFF_BYTES = 4096


@dataclass(frozen=True, slots=True)
class ReadOptions:
    """What the manifest asks of readers: statuses beyond ``publish`` (WXR ``draft``, ``private``,
    ``future``, ``pending``) and the ids of password-protected posts to include."""

    include_status: frozenset[str] = frozenset()
    include_password: frozenset[int] = frozenset()


@dataclass(frozen=True, slots=True)
class Source:
    """What one source file gave the book."""

    name: str  # as shown in messages: the path relative to the project
    format: str  # the reader's name
    copies: tuple[PostCopy, ...]
    pages: tuple[Entry, ...] = ()  # an export's pages, for front and back matter
    left_out: tuple[LeftOut, ...] = ()
    warnings: tuple[str, ...] = ()
    meta: dict[str, str] = field(default_factory=dict)  # title, language, link… of a blog export
    notes: tuple[str, ...] = ()  # lines for the build summary (a feed: how many posts, back to when)


@dataclass(frozen=True, slots=True)
class Reader:
    """One source format: a sniffer of the first bytes and a reader of the whole file."""

    name: str
    description: str
    sniff: Callable[[bytes], bool]
    read: Callable[[bytes, str, ReadOptions], Source]
    #: A reader that reads from the path itself (it bounds its own reads, finds files beside it):
    #: ``folder`` recognises a folder source, ``read_path`` reads a folder or a recognised file.
    folder: Callable[[Path], bool] | None = None
    read_path: Callable[[Path, str, ReadOptions], Source] | None = None
    #: The largest file this reader takes (E101 above): exports and feeds of a whole blog run to
    #: tens of MB and are stream-parsed; a page of text over 20 MiB is no page.
    max_bytes: int = files.MAX_INPUT_BYTES


def _registry() -> tuple[Reader, ...]:
    from compiler.ingest import feeds, pages, saved_html, static, wxr

    # the first that recognises a file reads it; archive pages last
    return (wxr.READER, feeds.READER, static.READER, saved_html.READER, pages.READER)


def readers() -> tuple[Reader, ...]:
    """Every registered reader, in the order they are asked."""
    return _registry()


def reader_for(data: bytes) -> Reader:
    """The reader of a file whose content starts with ``data``."""
    head = data[:SNIFF_BYTES]
    for reader in readers():
        if reader.sniff(head):
            return reader
    raise CompilerError(Diagnostic("E128", "no reader recognises this file", "source",
                                   hint="give archive pages (text), WordPress exports (WXR) or feeds (RSS, Atom)"))


def read_source(path: Path, root: Path | None = None, options: ReadOptions = ReadOptions()) -> Source:
    """Read one source file (or a folder a reader recognises) in whatever registered format it is."""
    name = display_path(path, root)
    if path.is_dir():
        for reader in readers():
            if reader.folder is not None and reader.read_path is not None and reader.folder(path):
                return reader.read_path(path, name, options)
        raise CompilerError(Diagnostic("E128", "no reader recognises this folder", name,
                                       hint="give a static site's folder (Markdown posts) or name the files"))
    reader = reader_for(files.read_head(path, SNIFF_BYTES))
    if reader.read_path is not None:
        return reader.read_path(path, name, options)
    data = files.read_bytes(path, reader.max_bytes)
    return reader.read(data, name, options)


def read_sources(paths: Iterable[Path], root: Path | None = None,
                 options: ReadOptions = ReadOptions()) -> list[Source]:
    """Read every source, in order; report the problems of all of them at once. Files read from their
    bytes are read side by side when they are large (:mod:`compiler.ingest.parallel`); folders and
    readers that read from the path itself are read here."""
    from compiler.ingest.parallel import read_all

    slots: list[Source | tuple[bytes, str] | None] = []
    problems: list[Diagnostic] = []
    for path in paths:
        try:
            reader = None if path.is_dir() else reader_for(files.read_head(path, SNIFF_BYTES))
            if reader is None or reader.read_path is not None:
                slots.append(read_source(path, root, options))
            else:
                slots.append((files.read_bytes(path, reader.max_bytes), display_path(path, root)))
        except CompilerError as exc:
            problems.extend(exc.diagnostics)
            slots.append(None)
    items = [slot for slot in slots if isinstance(slot, tuple)]
    results = iter(read_all(items, options))
    found: list[Source] = []
    for slot in slots:
        if isinstance(slot, tuple):
            source, trouble = next(results)
            problems.extend(trouble)
            if isinstance(source, Source):
                found.append(source)
        elif slot is not None:
            found.append(slot)
    if problems:
        raise CompilerError(problems)
    return found


def all_copies(sources: Iterable[Source]) -> list[PostCopy]:
    return [c for s in sources for c in s.copies]


def read_pages(paths: Iterable[Path], root: Path | None = None) -> list[PostCopy]:
    """Every post copy of the sources (any registered format)."""
    return all_copies(read_sources(paths, root))


from compiler.ingest.pages import parse_page  # noqa: E402  (re-exported; pages.py needs the classes above)

__all__ = ["ReadOptions", "Reader", "Source", "all_copies", "parse_page", "read_pages", "read_source",
           "read_sources", "reader_for", "readers"]
