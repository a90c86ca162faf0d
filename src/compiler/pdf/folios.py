"""Folios: the page counts of a build's body groups, shared with the workers that lay them out.

A group of chapters after the first is laid out while the groups before it
are still being laid out, so its first folio is a guess (see
:mod:`compiler.pdf.parts`). The guess only matters to the folios: every part
starts on a right-hand page, and WeasyPrint draws the margin boxes (running
heads and folios) after it has paginated the whole part. So each worker, once
its part is paginated, posts the part's page count here and, for a group
after the first, waits for the counts of the groups before it; the margin
boxes are then drawn with the true folios (:func:`compiler.pdf.layout.render_html`)
and the part is never laid out twice. The counts live in a small block of
shared memory that the build creates and removes, and that workers open by
name; a part laid out in the build's own process never waits (nothing else
would post the counts), and a part whose wait times out keeps its guess, which
the build then lays out again, as it would without this board.
"""

from __future__ import annotations

import os
import struct
import time
from dataclasses import dataclass
from multiprocessing import shared_memory

#: Groups a board holds (a book of more groups shares the counts of its first ones only).
SLOTS = 255
#: How long a worker waits for the groups before its own before it keeps its guess (seconds).
WAIT = 600.0
_POLL = 0.005
_FORMAT = f"<{SLOTS + 1}i"  # slot 0: the build's process id; slot 1 + k: group k's pages (0: not known)


def _buffer(memory: shared_memory.SharedMemory) -> memoryview:
    buffer = memory.buf
    assert buffer is not None  # open until closed
    return buffer


class Board:
    """The build's side: create the shared counts, post the ones it knows, remove them at the end."""

    def __init__(self) -> None:
        self.memory = shared_memory.SharedMemory(create=True, size=struct.calcsize(_FORMAT))
        struct.pack_into("<i", _buffer(self.memory), 0, os.getpid())
        self.name = self.memory.name

    def post(self, group: int, pages: int) -> None:
        """Group ``group`` has ``pages`` pages (from the part cache, or laid out)."""
        if 0 <= group < SLOTS:
            struct.pack_into("<i", _buffer(self.memory), 4 * (group + 1), pages)

    def close(self) -> None:
        self.memory.close()
        self.memory.unlink()


@dataclass(frozen=True)
class Seat:
    """A worker's side, for one group: post its count, and learn its true first folio."""

    board: str  # the shared memory's name
    group: int

    def first_folio(self, pages: int, guess: int | None) -> int | None:
        """Post this group's page count; return its true first folio (None for the first group: the
        body starts at 1 by itself), or ``guess`` when the counts before it cannot be waited for."""
        if not 0 <= self.group < SLOTS:
            return guess
        try:
            memory = shared_memory.SharedMemory(name=self.board)
        except OSError:  # the build is over (its board removed): nobody needs the count
            return guess
        try:
            struct.pack_into("<i", _buffer(memory), 4 * (self.group + 1), pages)
            if self.group == 0:
                return None
            if struct.unpack_from("<i", _buffer(memory), 0)[0] == os.getpid():
                return guess  # laid out in the build's own process: nobody else posts the counts
            deadline = time.monotonic() + WAIT
            while True:
                counts = struct.unpack_from(f"<{self.group}i", _buffer(memory), 4)
                if all(counts):
                    return 1 + sum(n + n % 2 for n in counts)  # each part ends on a left-hand page
                if time.monotonic() > deadline:
                    return guess
                time.sleep(_POLL)
        finally:
            memory.close()
