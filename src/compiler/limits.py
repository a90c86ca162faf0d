"""Limits on rendering: wall time and memory, failing cleanly beyond either.

A hostile or enormous input must not hang a build or exhaust the machine.
Rendering runs under a SIGALRM timer and a soft address-space limit; going
past either raises a :class:`CompilerError` (exit code 4) with no partial
output written.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import resource
import signal
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from types import FrameType
from typing import Any, TypeVar

from compiler.errors import CompilerError, Diagnostic, Exit

DEFAULT_TIMEOUT_S = 600
DEFAULT_MEMORY_MB = 4096
NEAR_LIMIT = 0.9  # a failure once the address space came this close to its limit is the limit's
T = TypeVar("T")


def load_before_limit(modules: Iterable[str]) -> None:
    """Import ``modules``, and the image plugins Pillow would import on its first image, before
    a memory limit applies: importing compiles a module when no bytecode is cached, and Python's
    compiler reports a refused allocation as any error but MemoryError."""
    for name in modules:
        importlib.import_module(name)
    from PIL import Image

    Image.preinit()


def exhausted() -> bool:
    """Whether this process's address space came near its soft limit (Linux: ``VmPeak``).

    C code often reports a refused allocation as some other error (Python's compiler, say, as
    ``ValueError: field 'target' is required for AnnAssign``): such an error is the limit's."""
    soft = resource.getrlimit(resource.RLIMIT_AS)[0]
    if soft == resource.RLIM_INFINITY:
        return False
    try:
        status = Path("/proc/self/status").read_text(encoding="ascii")
    except OSError:
        return False
    peak = next((int(line.split()[1]) * 1024 for line in status.splitlines() if line.startswith("VmPeak:")), 0)
    return peak >= NEAR_LIMIT * soft


def guarded(function: Callable[..., T], *args: Any) -> T:
    """Run ``function`` (in a worker, under its memory limit), reporting a failure that the
    limit caused as :class:`MemoryError`, whatever error it surfaced as."""
    try:
        return function(*args)
    except MemoryError:
        raise
    except Exception as exc:
        if not isinstance(exc, CompilerError) and exhausted():
            raise MemoryError(f"{type(exc).__name__}: {exc}") from None
        raise


class _Timeout(BaseException):
    """Raised by the alarm; a BaseException so that no library swallows it."""


def _alarm(signum: int, frame: FrameType | None) -> None:
    raise _Timeout


def quiet_hook(previous: Callable[[Any], object]) -> Callable[[Any], object]:
    """An unraisable-exception hook that says nothing of a refused allocation: under a memory limit,
    a ``__del__`` or a finaliser that runs out of memory is the limit's doing (the build reports the
    limit once, E403), and the default hook, short of memory itself, would print only half a line
    ("Exception ignored in: ") before the build's own message."""

    def hook(unraisable: Any) -> object:
        if isinstance(unraisable.exc_value, MemoryError):
            return None
        try:
            if exhausted():  # (reading /proc allocates: short of memory, it fails too)
                return None
        except BaseException:  # noqa: BLE001 - a hook that raises would print the half line after all
            return None
        return previous(unraisable)

    return hook


@contextlib.contextmanager
def limited(timeout_s: float = DEFAULT_TIMEOUT_S, memory_mb: int = DEFAULT_MEMORY_MB) -> Iterator[None]:
    """Run the body under a time limit and a memory limit."""
    previous_handler = signal.signal(signal.SIGALRM, _alarm)
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = memory_mb * 1024 * 1024
    previous_hook = sys.unraisablehook
    if memory_mb > 0 and (hard == resource.RLIM_INFINITY or limit <= hard):
        sys.unraisablehook = quiet_hook(previous_hook)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    if timeout_s > 0:
        signal.setitimer(signal.ITIMER_REAL, timeout_s)
    try:
        yield
    except Exception as exc:
        if isinstance(exc, MemoryError) or (memory_mb > 0 and not isinstance(exc, CompilerError) and exhausted()):
            raise CompilerError(Diagnostic(
                "E403", f"rendering needed more than {memory_mb} MB of memory and was stopped", "build",
                hint="check the input for enormous posts, or raise --memory-limit"), Exit.OUTPUT) from None
        raise
    except _Timeout:
        raise CompilerError(Diagnostic(
            "E402", f"rendering took longer than {timeout_s:g} s and was stopped", "build",
            hint="check the input for enormous posts, or raise --timeout"), Exit.OUTPUT) from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous_handler)
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
        sys.unraisablehook = previous_hook


@contextlib.contextmanager
def no_cycle_collection() -> Iterator[None]:
    """Pause the cyclic garbage collector for a stage that makes millions of acyclic objects (a part's
    layout, dedup): its passes over the growing heap cost 10-20% of a layout and made dedup
    superlinear. Memory is collected as usual afterwards (a part peaks about 20% higher)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
