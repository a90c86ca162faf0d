"""Limits on rendering: wall time and memory, failing cleanly beyond either.

A hostile or enormous input must not hang a build or exhaust the machine.
Rendering runs under a SIGALRM timer and a soft address-space limit; going
past either raises a :class:`CompilerError` (exit code 4) with no partial
output written.
"""

from __future__ import annotations

import contextlib
import resource
import signal
from collections.abc import Iterator
from types import FrameType

from compiler.errors import CompilerError, Diagnostic, Exit

DEFAULT_TIMEOUT_S = 600
DEFAULT_MEMORY_MB = 4096


class _Timeout(BaseException):
    """Raised by the alarm; a BaseException so that no library swallows it."""


def _alarm(signum: int, frame: FrameType | None) -> None:
    raise _Timeout


@contextlib.contextmanager
def limited(timeout_s: float = DEFAULT_TIMEOUT_S, memory_mb: int = DEFAULT_MEMORY_MB) -> Iterator[None]:
    """Run the body under a time limit and a memory limit."""
    previous_handler = signal.signal(signal.SIGALRM, _alarm)
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = memory_mb * 1024 * 1024
    if memory_mb > 0 and (hard == resource.RLIM_INFINITY or limit <= hard):
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    if timeout_s > 0:
        signal.setitimer(signal.ITIMER_REAL, timeout_s)
    try:
        yield
    except _Timeout:
        raise CompilerError(Diagnostic(
            "E402", f"rendering took longer than {timeout_s:g} s and was stopped", "build",
            hint="check the input for enormous posts, or raise --timeout"), Exit.OUTPUT) from None
    except MemoryError:
        raise CompilerError(Diagnostic(
            "E403", f"rendering needed more than {memory_mb} MB of memory and was stopped", "build",
            hint="check the input for enormous posts, or raise --memory-limit"), Exit.OUTPUT) from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous_handler)
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
