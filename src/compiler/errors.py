"""Diagnostics: stable codes, one-line messages and an exit code per failure class.

Every problem a user can cause is a :class:`Diagnostic` that names the file
(and line, where there is one), says what is wrong and what to do. Stages
collect diagnostics and raise :class:`CompilerError` with all of them at once.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path


class Exit(enum.IntEnum):
    """Process exit codes, one per failure class (documented in the README)."""

    OK = 0
    INTERNAL = 1
    INPUT = 2
    LEAK = 3
    OUTPUT = 4


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem, with where it is and how to fix it."""

    code: str
    message: str
    file: str = ""
    line: int = 0
    column: int = 0
    hint: str = ""
    warning: bool = False

    def format(self) -> str:
        """Render as ``file:line:col: CODE message (hint)`` on one line."""
        place = self.file
        if self.line:
            place += f":{self.line}"
            if self.column:
                place += f":{self.column}"
        level = "warning " if self.warning else ""
        text = f"{level}{self.code} {self.message}"
        if self.hint:
            text += f" ({self.hint})"
        return f"{place}: {text}" if place else text


class CompilerError(Exception):
    """A failure the user can act on: carries its diagnostics and exit code."""

    def __init__(self, diagnostics: list[Diagnostic] | Diagnostic, exit_code: Exit = Exit.INPUT):
        self.diagnostics = [diagnostics] if isinstance(diagnostics, Diagnostic) else list(diagnostics)
        self.exit_code = exit_code
        super().__init__("\n".join(d.format() for d in self.diagnostics))


def display_path(path: Path | str, root: Path | None = None) -> str:
    """A short path for messages: relative to ``root`` (or the cwd) when inside it."""
    path = Path(path)
    for base in (root, Path.cwd()):
        if base is None:
            continue
        try:
            return str(path.resolve().relative_to(base.resolve()))
        except ValueError:
            continue
    return str(path)
