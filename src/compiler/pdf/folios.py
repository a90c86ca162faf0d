"""Folios: the page counts of a build's body groups, shared with the workers that lay them out.

A group of chapters after the first is laid out while the groups before it
are still being laid out, so its first folio is a guess (see
:mod:`compiler.pdf.parts`). The guess only matters to the folios: every part
starts on a right-hand page, and WeasyPrint draws the margin boxes (running
heads and folios) after it has paginated the whole part. So each worker, once
its part is paginated, posts the part's page count here and, for a group
after the first, waits for the counts of the groups before it; the margin
boxes are then drawn with the true folios (:func:`compiler.pdf.layout.render_html`)
and the part is never laid out twice. The counts live in a small file that the build creates and removes, and that
workers open by name; a part laid out in the build's own process never waits (nothing else
would post the counts), and a part whose wait times out keeps its guess, which
the build then lays out again, as it would without this board.
"""

from __future__ import annotations

import os
import struct
import time
from dataclasses import dataclass
import tempfile

#: Groups a board holds (a book of more groups shares the counts of its first ones only).
SLOTS = 255
#: How long a worker waits for the groups before its own before it keeps its guess (seconds).
WAIT = 600.0
_POLL = 0.005
_FORMAT = f"<{SLOTS + 1}i"  # slot 0: the build's process id; slot 1 + k: group k's pages (0: not known)


class Board:
    """The build's side: create the shared counts, post the ones it knows, remove them at the end.

    The counts are a small file in the system's temporary folder, read and written a number at a
    time (``pread``/``pwrite``): no shared-memory block, whose resource tracker prints a traceback
    when a build stopped by its memory limit fails to map one."""

    def __init__(self) -> None:
        fd, self.name = tempfile.mkstemp(prefix="compiler-folios-")
        self.fd = fd
        os.write(fd, struct.pack(_FORMAT, os.getpid(), *([0] * SLOTS)))

    def post(self, group: int, pages: int) -> None:
        """Group ``group`` has ``pages`` pages (from the part cache, or laid out)."""
        if 0 <= group < SLOTS:
            os.pwrite(self.fd, struct.pack("<i", pages), 4 * (group + 1))

    def close(self) -> None:
        os.close(self.fd)
        try:
            os.unlink(self.name)
        except OSError:
            pass


def _read(fd: int, first: int, count: int) -> tuple[int, ...]:
    data = os.pread(fd, 4 * count, 4 * first)
    return struct.unpack(f"<{len(data) // 4}i", data[: 4 * (len(data) // 4)])


@dataclass(frozen=True)
class Seat:
    """A worker's side, for one group: post its count, and learn its true first folio."""

    board: str  # the counts' file
    group: int

    def first_folio(self, pages: int, guess: int | None) -> int | None:
        """Post this group's page count; return its true first folio (None for the first group: the
        body starts at 1 by itself), or ``guess`` when the counts before it cannot be waited for."""
        if not 0 <= self.group < SLOTS:
            return guess
        try:
            fd = os.open(self.board, os.O_RDWR)
        except OSError:  # the build is over (its board removed): nobody needs the count
            return guess
        try:
            os.pwrite(fd, struct.pack("<i", pages), 4 * (self.group + 1))
            if self.group == 0:
                return None
            if _read(fd, 0, 1) == (os.getpid(),):
                return guess  # laid out in the build's own process: nobody else posts the counts
            deadline = time.monotonic() + WAIT
            while True:
                counts = _read(fd, 1, self.group)
                if len(counts) == self.group and all(counts):
                    return 1 + sum(n + n % 2 for n in counts)  # each part ends on a left-hand page
                if time.monotonic() > deadline:
                    return guess
                time.sleep(_POLL)
        except OSError:
            return guess
        finally:
            os.close(fd)
