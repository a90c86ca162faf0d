"""Progress: a long build's stages, parts and pages on a terminal, drawn with rich.

Driven by the build's own trace events (:func:`compiler.trace.listen`): the stage under way,
the PDF's parts laid out (or taken from the cache) out of the total, the pages laid out so far,
and the time left once parts have been laid out. Nothing is shown when standard error is not a
terminal (CI, a pipe: the build prints what it printed before) or with ``--quiet``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

from compiler.trace import Event, listen

#: What each stage is doing, for a person.
STAGES = {"validate": "reading the manifest and sources", "assemble": "assembling the book",
          "prepare-media": "preparing the images",
          "render-html": "rendering HTML", "render-pdf": "laying out the PDF", "plan-pdf": "laying out the PDF",
          "render-pdf-part": "laying out the PDF", "merge-pdf": "joining the PDF's parts",
          "render-epub": "making the EPUB", "render-print": "laying out a print edition",
          "verify": "checking the outputs", "write": "writing the outputs"}


class Bar:
    """The progress display: one rich task, its description the stage, its steps the parts."""

    def __init__(self, stream: TextIO) -> None:
        from rich.console import Console
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn,
                                   TimeElapsedColumn, TimeRemainingColumn)

        self.progress = Progress(SpinnerColumn(), TextColumn("{task.description:<34}"), BarColumn(),
                                 MofNCompleteColumn(), TextColumn("parts, {task.fields[pages]} pages"),
                                 TimeElapsedColumn(), TextColumn("left"), TimeRemainingColumn(),
                                 console=Console(file=stream), transient=True)
        self.task = self.progress.add_task(STAGES["validate"], total=None, pages=0)
        self.pages = 0

    def __call__(self, event: Event) -> None:
        update: dict[str, Any] = {"description": STAGES.get(event.stage, event.stage)}
        if event.stage == "plan-pdf":
            update["total"] = event.total
        elif event.stage == "render-pdf-part":
            if event.again:
                self.progress.update(self.task, total=(self.progress.tasks[0].total or 0) + 1)
            if event.cached or event.done:
                update["advance"] = 1
            if event.done:
                self.pages += event.pages
                update["pages"] = self.pages
        elif event.stage == "render-print" and event.part:
            update["description"] = f"{STAGES['render-print']}: {event.part}"[:34]
        self.progress.update(self.task, **update)


@contextmanager
def shown(quiet: bool, stream: TextIO | None = None) -> Iterator[None]:
    """Show the build's progress on ``stream`` (standard error) while the block runs, if it is a
    terminal and the build is not ``quiet``."""
    stream = stream or sys.stderr
    if quiet or not stream.isatty():
        yield
        return
    bar = Bar(stream)
    with bar.progress, listen(bar):
        yield
