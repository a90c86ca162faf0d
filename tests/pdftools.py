"""Helpers to read a built PDF as a reader would: page texts, labels, contents entries."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from pypdf import PdfReader

from conftest import squash

HYPHEN_BREAK = re.compile(r"\u2010\s*\n\s*")


def page_texts(pdf: Path, layout: bool = False) -> list[str]:
    """Text of each page (pdftotext, reading order; with ``layout``, line by line as printed)."""
    raw = subprocess.run(["pdftotext", *(["-layout"] if layout else []), "-enc", "UTF-8", str(pdf), "-"],
                         capture_output=True, text=True, check=True).stdout
    pages = raw.split("\f")[:-1]
    return pages


def body_text(pdf: Path, labels: list[str]) -> str:
    """All text in reading order, hyphenation undone, whitespace squashed, folios dropped."""
    out = []
    for label, text in zip(labels, page_texts(pdf)):
        lines = [line for line in text.split("\n") if line.strip() and line.strip() != label]
        if lines and not re.search(r"[a-z]", lines[0]):
            lines = lines[1:]  # the running head (upper case, letter-spaced)
        out.append("\n".join(lines))
    joined = "\n".join(out)
    joined = HYPHEN_BREAK.sub("", joined)
    return squash(joined)


def labels(pdf: Path) -> list[str]:
    return list(PdfReader(str(pdf)).page_labels)


def contents_entries(pdf: Path, titles: list[str]) -> dict[str, str]:
    """The page number printed after each title in the contents pages (read line by line as
    printed: a title that wraps has its number on its last line, after the leaders)."""
    texts = page_texts(pdf, layout=True)
    page_labels = labels(pdf)
    start = next(i for i, t in enumerate(texts) if t.lstrip().startswith("Contents"))
    toc = ""
    for i in range(start, len(texts)):
        if i > start and not re.search(r"(?:\. ?){5,}", texts[i]):
            break
        toc += "\n".join(line for line in texts[i].split("\n") if line.strip() != page_labels[i]) + "\n"
    toc = squash(toc)
    found = {}
    for title in titles:
        pattern = re.escape(squash(title)).replace(r"\ ", r"\s*") + r"\s*(?:\.\s*)*([0-9]+|[ivxlc]+)\b"
        match = re.search(pattern, toc, re.I)
        assert match, f"{title!r} not in the contents: {toc[:2000]}"
        found[title] = match[1]
    return found
