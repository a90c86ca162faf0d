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

A worker's source travels back pickled once, compactly (:func:`_pack`: each
model dataclass as its class and field values, rebuilt by its constructor,
instead of the default state dictionary the dataclass module restores field
by field), and is unpickled here with the cyclic collector paused: the
10,000 copies of a big feed are 0.15 s to rebuild instead of a second.
"""

from __future__ import annotations

import dataclasses
import io
import multiprocessing
import operator
import os
import pickle
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from compiler.errors import CompilerError, Diagnostic
from compiler.limits import no_cycle_collection

#: Sources smaller than this in all are read in this process (a worker costs about half a second).
PARALLEL_BYTES = 8 * 1024 * 1024

Result = tuple[object | None, list[Diagnostic]]  # (Source, problems)
Packed = tuple[bytes | None, list[Diagnostic]]  # (the Source pickled by _pack, problems)


def _read(data: bytes, name: str, options: object) -> Result:
    from compiler.ingest import ReadOptions, reader_for

    assert isinstance(options, ReadOptions)
    try:
        return reader_for(data).read(data, name, options), []
    except CompilerError as exc:  # diagnostics travel back; the exception need not pickle
        return None, list(exc.diagnostics)


def _reducer(cls: type) -> Callable[[Any], tuple[type, tuple[Any, ...]]] | None:
    """``obj -> (cls, field values)`` for a dataclass its constructor rebuilds as it was (the
    ``__init__`` the dataclass made, taking every field in order and nothing else; no
    ``__post_init__``); None for any other class, which pickles the usual way."""
    if not dataclasses.is_dataclass(cls) or hasattr(cls, "__post_init__"):
        return None
    fields = dataclasses.fields(cls)
    code = getattr(cls.__init__, "__code__", None)
    if code is None or code.co_filename != "<string>" or code.co_argcount != len(fields) + 1 \
            or code.co_kwonlyargcount or any(not f.init for f in fields):
        return None
    if not fields:
        return lambda obj: (cls, ())
    values = operator.attrgetter(*(f.name for f in fields))
    if len(fields) == 1:
        return lambda obj: (cls, (values(obj),))
    return lambda obj: (cls, values(obj))


_REDUCERS: dict[type, Callable[[Any], tuple[type, tuple[Any, ...]]] | None] = {}


class _Pickler(pickle.Pickler):
    def reducer_override(self, obj: Any) -> Any:
        cls = type(obj)
        reduce = _REDUCERS[cls] if cls in _REDUCERS else _REDUCERS.setdefault(cls, _reducer(cls))
        return NotImplemented if reduce is None else reduce(obj)


def _pack(value: object) -> bytes:
    buffer = io.BytesIO()
    _Pickler(buffer, pickle.HIGHEST_PROTOCOL).dump(value)
    return buffer.getvalue()


def _unpack(packed: bytes) -> object:
    with no_cycle_collection():  # hundreds of thousands of acyclic objects at once
        return pickle.loads(packed)


def _read_packed(data: bytes, name: str, options: object) -> Packed:
    """In a worker: :func:`_read`, its source packed for the way back."""
    source, problems = _read(data, name, options)
    return (None if source is None else _pack(source)), problems


def _received(future: Future[Packed]) -> Result:
    packed, problems = future.result()
    return (None if packed is None else _unpack(packed)), problems


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
            pending: dict[int, Future[Packed]] = {i: pool.submit(_read_packed, *items[i], options) for i in others}
            results[here] = _read(*items[here], options)
            for i, future in pending.items():
                try:
                    results[i] = _received(future)
                except (BrokenProcessPool, OSError):
                    results[i] = _read(*items[i], options)
    except (BrokenProcessPool, OSError):  # no worker could be started: read the rest here
        pass
    return [results[i] if i in results else _read(*items[i], options) for i in range(len(items))]


__all__ = ["PARALLEL_BYTES", "cores", "read_all"]
