"""Trace: what a build does, stage by stage, as structured events.

Each event is a stage name and a few typed fields (which part, whether it came
from the cache, pages, seconds). ``COMPILER_TRACE`` chooses how they are
printed to standard error: ``1`` as ``stage: …`` lines for a person, ``time``
with the seconds since the process started, ``json`` as one JSON object a line
(what the tests read: they compare fields, never wording). Listeners added
with :func:`listen` receive every event in this process.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass

_START = time.perf_counter()


@dataclass(frozen=True, slots=True)
class Event:
    """One step of a build: ``stage`` (validate, assemble, render-html, render-pdf, plan-pdf,
    render-pdf-part, merge-pdf, render-epub, verify, write; in ``serve``, preview: the pages shown), and
    where it applies, what it cost."""

    stage: str
    part: str = ""  # a PDF part (front, contents, chapters 1-2) or an output file name (write)
    cached: bool = False  # taken from the cache, not computed
    done: bool = False  # the end of the stage (with pages and seconds), not its start
    again: bool = False  # laid out a second time: its first page was guessed wrong
    pages: int = 0
    seconds: float = 0.0
    total: int = 0  # plan-pdf: the parts the PDF is laid out in
    layouts: int = 0  # render-pdf-part: full layouts of the part (the line-break rules' rounds)
    lab_layouts: int = 0  # and layouts of the paragraph lab's scratch documents (compiler.pdf.lab)

    def text(self) -> str:
        """The event for a person to read."""
        words = [self.stage, *([self.part] if self.part else [])]
        if self.total:
            words.append(f"{self.total} parts")
        if self.again:
            words.append("again")
        if self.cached:
            words.append("(cached)")
        if self.done:
            words.append(f"done ({self.pages} pages in {self.seconds:.3f} s)" if self.pages else "done")
        if self.layouts:
            words.append(f"{self.layouts} layouts" + (f" + {self.lab_layouts} in the lab" if self.lab_layouts else ""))
        return " ".join(words)


_listeners: list[Callable[[Event], None]] = []


@contextmanager
def listen(callback: Callable[[Event], None]) -> Iterator[None]:
    """Send every event of this process to ``callback`` while the block runs."""
    _listeners.append(callback)
    try:
        yield
    finally:
        _listeners.remove(callback)


def trace(stage: str, **fields: object) -> None:
    """Report one event (see :class:`Event` for the fields)."""
    event = Event(stage, **fields)  # type: ignore[arg-type]
    for callback in _listeners:
        callback(event)
    mode = os.environ.get("COMPILER_TRACE")
    if mode == "1":
        print(f"stage: {event.text()}", file=sys.stderr, flush=True)
    elif mode == "time":
        print(f"{time.perf_counter() - _START:7.3f} s  {event.text()}", file=sys.stderr, flush=True)
    elif mode == "json":
        print(json.dumps({k: v for k, v in asdict(event).items() if v or k == "stage"}), file=sys.stderr,
              flush=True)


def events(stderr: str) -> list[Event]:
    """The events in a build's standard error under ``COMPILER_TRACE=json``."""
    found = []
    for line in stderr.splitlines():
        if line.startswith('{"stage"'):
            found.append(Event(**json.loads(line)))
    return found
