"""Progress on a terminal (rich): stages, the PDF's parts out of the total and pages so far, driven
by the build's trace events; nothing of it in a pipe, and nothing at all with ``--quiet``."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
from pathlib import Path

from conftest import built_copy

POST = "sources/001_f6a00d62272453a4.txt"


def _on_terminal(project: Path, *args: str) -> str:
    """Build in a pseudo-terminal; what the terminal received, colour codes removed."""
    master, slave = pty.openpty()
    env = {**os.environ, "COLUMNS": "140", "TERM": "xterm"}
    process = subprocess.Popen([sys.executable, "-m", "compiler", "book.yaml", *args], cwd=project, env=env,
                               stdin=slave, stdout=slave, stderr=slave)
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the build closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    assert process.wait(300) == 0, b"".join(chunks).decode(errors="replace")
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", b"".join(chunks).decode("utf-8", errors="replace"))


def _edit(project: Path, word: str) -> None:
    path = project / POST
    path.write_text(path.read_text(encoding="utf-8").replace("horrible", word, 1), encoding="utf-8")


def test_progress_on_a_terminal(built, tmp_path: Path) -> None:
    project = built_copy(built, tmp_path / "book")
    _edit(project, "dreadful")
    shown = _on_terminal(project)
    assert "laying out the PDF" in shown and "making the EPUB" in shown, shown[-2000:]
    counts = [(int(a), int(b)) for a, b in re.findall(r"(\d+)/(\d+) parts, \d+ pages", shown)]
    assert counts and counts[-1][0] == counts[-1][1] == 7, counts  # the front, the contents, five chapters
    pages = [int(p) for p in re.findall(r"parts, (\d+) pages", shown)]
    assert pages[-1] > 0 and pages == sorted(pages)  # pages laid out so far, never going back
    assert "wrote out/slavery-is-not-dead.pdf" in shown
    # --quiet: silent, on a terminal too
    _edit(project, "grim")
    assert _on_terminal(project, "--quiet").strip() == ""


def test_no_progress_when_not_a_terminal(built) -> None:
    stderr = built["stderr"].read_text(encoding="utf-8")
    assert "wrote out/" in stderr and "parts," not in stderr and "\x1b[" not in stderr and "━" not in stderr
