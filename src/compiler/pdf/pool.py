"""Pool: the worker processes that lay out the PDF (its parts, or the book as one document).

Workers are started with ``spawn`` (WeasyPrint's pages cannot be pickled, so
workers return PDF bytes) as early as the command line knows it will build,
so that they import WeasyPrint while the main process reads the input. Each
worker applies the memory limit itself. Layout always runs in a worker, even
with one job: Pango and GLib abort the process when an allocation is refused,
and only a process of its own lets the build report that (E407) instead of
dying with it.
"""

from __future__ import annotations

import ctypes
import os
import resource
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from compiler.errors import CompilerError, Diagnostic, Exit

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
#: What lays out a part: WeasyPrint (whose URL fetcher builds its headers with ``email.policy``
#: on first use), the parts' task; and the leak scan, which workers also run.
WORKER_MODULES = ("compiler.pdf.layout", "compiler.pdf.lab", "email.policy", "compiler.pdf.parts", "compiler.leaks")


def _die_with_parent(parent: int) -> None:
    """Ask Linux to kill this worker when the build process dies (even by SIGKILL)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: the pool's own shutdown still stops workers
        return
    if os.getppid() != parent:  # the parent died before we asked
        os._exit(1)


def worker_init(memory_mb: int, parent: int) -> None:
    """Start a worker: tie its life to the build's, import what it runs before the first part
    arrives (see :func:`compiler.limits.load_before_limit`), then apply the memory limit to what
    follows (the rendering), as the main process does; short of memory, a finaliser's failure
    prints nothing (see :func:`compiler.limits.quiet_hook`)."""
    _die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole process group: the parent stops us
    from compiler.limits import load_before_limit, quiet_hook

    load_before_limit(WORKER_MODULES)

    if memory_mb:
        limit = memory_mb * 1024 * 1024
        sys.unraisablehook = quiet_hook(sys.unraisablehook)  # no half line on the shared stderr
        resource.setrlimit(resource.RLIMIT_AS, (limit, resource.getrlimit(resource.RLIMIT_AS)[1]))


class InProcess:
    """A pool that runs each task here, at once: for profiling and for tests that watch the
    layout from this process. Builds never use it (see the module's docstring)."""

    def submit(self, function: Callable[..., Any], *args: Any) -> Any:
        from concurrent.futures import Future

        future: Future[Any] = Future()
        try:
            future.set_result(function(*args))
        except Exception as exc:  # noqa: BLE001 - handed to whoever asks for the result
            future.set_exception(exc)
        return future


class _Guarded:
    """The worker pool as the build sees it: each task runs under :func:`compiler.limits.guarded`,
    so that a worker's failure at its memory limit reaches the build as MemoryError (E403)."""

    def __init__(self, executor: Any) -> None:
        self.executor = executor
        #: The chapters of the body groups this pool laid out in its last build that laid out any (a
        #: pool ``serve`` keeps: an editor mostly edits one chapter; see compiler.pdf.parts)
        self.recent: set[tuple[int, ...] | None] = set()

    def submit(self, function: Callable[..., Any], *args: Any) -> Any:
        from compiler.limits import guarded

        return self.executor.submit(guarded, function, *args)


def job_count(jobs: int) -> int:
    """Worker processes for ``--jobs`` (0: one per core this process may use)."""
    return jobs or len(os.sched_getaffinity(0))


@contextmanager
def workers(jobs: int, memory_mb: int, start: int | None = None) -> Iterator[Any]:
    """A pool of ``job_count(jobs)`` workers, ``start`` of them started
    at once (default: all), the others when work waits; stopped on the way out, whether the build
    succeeded or not. A worker that dies (say, killed for memory) fails the build with E407
    instead of leaving it waiting."""
    count = job_count(jobs)
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    pool = ProcessPoolExecutor(count, mp_context=multiprocessing.get_context("spawn"),
                               initializer=worker_init, initargs=(memory_mb, os.getpid()))
    for _ in range(count if start is None else min(start, count)):  # one is started per task waiting
        pool.submit(os.getpid)
    try:
        yield _Guarded(pool)
    except BrokenProcessPool:
        raise CompilerError(Diagnostic("E407", "a worker process laying out the PDF stopped unexpectedly",
                                       "build", hint="raise --memory-limit, or try --jobs 1"), Exit.OUTPUT) from None
    finally:
        processes = list(getattr(pool, "_processes", {}).values())  # no public way to stop them at once
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.terminate()
        for process in processes:
            process.join(5)
            if process.is_alive():  # SIGTERM not taken within 5 s: no worker may outlive the build
                process.kill()
                process.join()
