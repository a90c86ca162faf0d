"""Verify: check outputs before they replace the previous ones.

The leak scan looks for every redacted term in every output (see
:mod:`compiler.leaks`); EPUBCheck runs from the test suite and from
``tools/`` because it needs Java and takes seconds.
"""

from __future__ import annotations

from compiler.model import Book


def scan_outputs(book: Book, files: dict[str, bytes]) -> None:
    """Raise (exit code 3) if any redacted term survives in any output."""
    if not book.redactions:
        return
    from compiler.leaks import scan

    scan(book, files)
