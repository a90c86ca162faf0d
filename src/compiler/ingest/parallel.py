"""Read many sources at once: large sets of sources are read by several processes.

Each reader is a pure function of a file's bytes, its name and the read
options, and returns a picklable :class:`~compiler.ingest.Source`, so
sources can be read side by side. :func:`read_all` keeps the order it was
given and the problems of every source; below :data:`PARALLEL_BYTES` in all
(every real blog but the biggest) or on one core, it reads them one after
the other in this process. Otherwise the largest source is read here while
worker processes (``forkserver``: never a fork of a process that may hold
threads) read the others; a worker that cannot be started or dies costs
only time: its sources are read here. ``bench/bench_ingest.py`` measures it.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from compiler.errors import CompilerError, Diagnostic

#: Sources smaller than this in all are read in this process (a worker costs about half a second).
PARALLEL_BYTES = 8 * 1024 * 1024

Result = tuple[object | None, list[Diagnostic]]  # (Source, problems)


def _read(data: bytes, name: str, options: object) -> Result:
    from compiler.ingest import ReadOptions, reader_for

    assert isinstance(options, ReadOptions)
    try:
        return reader_for(data).read(data, name, options), []
    except CompilerError as exc:  # diagnostics travel back; the exception need not pickle
        return None, list(exc.diagnostics)


def cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def read_all(items: Sequence[tuple[bytes, str]], options: object, threshold: int = PARALLEL_BYTES) -> list[Result]:
    """Read each ``(data, name)`` with its reader; results in the order given."""
    workers = min(len(items) - 1, cores() - 1)
    if workers < 1 or sum(len(data) for data, _ in items) < threshold:
        return [_read(data, name, options) for data, name in items]
    order = sorted(range(len(items)), key=lambda i: -len(items[i][0]))
    here, others = order[0], order[1:]
    results: dict[int, Result] = {}
    try:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("forkserver")) as pool:
            pending: dict[int, Future[Result]] = {i: pool.submit(_read, *items[i], options) for i in others}
            results[here] = _read(*items[here], options)
            for i, future in pending.items():
                try:
                    results[i] = future.result()
                except (BrokenProcessPool, OSError):
                    results[i] = _read(*items[i], options)
    except (BrokenProcessPool, OSError):  # no worker could be started: read the rest here
        pass
    return [results[i] if i in results else _read(*items[i], options) for i in range(len(items))]


__all__ = ["PARALLEL_BYTES", "cores", "read_all"]
