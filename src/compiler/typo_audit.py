"""The typography audit: what a small press would measure in a built PDF's running text.

It reads the PDF's lines with their positions (``pdftotext -bbox-layout``,
poppler-utils) and keeps the **body lines**: lines set at the body size (or
an extract's slightly smaller one; 0.89 to 1.03 of the body's line height,
the most common one or, when extracts outnumber the text, the larger), which drops running heads, folios, headings, captions, tables,
code and notes; contents lines (dot leaders) and lines of a lone number are
dropped too. A body line is **full** when it ends on a right edge that many
lines end on (a justified or flush-right line);
a line that is not full, after a full one, is a paragraph's **last line**.

It reports, over the body lines in reading order:

- ``hyphenated``: lines that end in a hyphen (a break the hyphenation made,
  ``‐`` or a soft hyphen, or a break after a word's own hyphen), and their
  share of the body lines;
- ``stack``: the most hyphenated lines in a row;
- ``short_side``: hyphenation breaks that leave fewer than 3 letters on a side;
- ``capitalised``: hyphenation breaks inside a word that begins with a capital;
- ``page_turn``: hyphenated lines that are the last body line of their page;
- ``runts``: paragraph last lines of one word under 8 characters, and
  ``fragments``: last lines that begin with the tail of a hyphenated word;
- ``median_chars``: characters (spaces included) of the median full line;
- ``loose``: full lines whose word space is over twice the natural one (the
  median word space of last lines, which are set unstretched, per line height);
- ``uneven``: spreads full of running text whose last baselines differ (no limit).

:func:`audit` returns the figures, :func:`failures` compares them with the
limits, and ``python -m compiler.typo_audit PDF`` (``make typo``) prints them.
"""

from __future__ import annotations

import re
import shutil
import statistics
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from compiler.errors import CompilerError, Diagnostic

SOFT = ("\u2010", "\u00ad")  # the hyphenate-character WeasyPrint adds, and a soft hyphen
LIMITS = {"hyphenated_pct": 8.0, "stack": 2, "short_side": 0, "capitalised": 0, "page_turn": 0,
          "runts": 3, "fragments": 0, "median_chars": (55.0, 75.0), "loose_pct": 1.0}
BODY_SIZE = (0.89, 1.03)  # a body line's height, as a share of the body's
EDGE_TOLERANCE = 0.8  # points: a line ending this close to a right edge is full
EDGE_LINES = 3  # lines that must end on an x for it to be a right edge, and at least
EDGE_SHARE = 0.015  # this share of the body lines (ragged lines of a long book meet by chance)
_NS = "{http://www.w3.org/1999/xhtml}"
_LEADERS = re.compile(r"(?:\.\s?){4,}")
_FOLIO = re.compile(r"[0-9]+|[ivxlcdm]+", re.I)


@dataclass(frozen=True)
class Line:
    """One line of a page: its words with their left and right x, and its box."""

    page: int  # 0-based
    words: tuple[str, ...]
    spans: tuple[tuple[float, float], ...]
    top: float
    bottom: float

    @property
    def x0(self) -> float:
        return self.spans[0][0]

    @property
    def x1(self) -> float:
        return self.spans[-1][1]

    @property
    def height(self) -> float:
        return self.bottom - self.top

    @property
    def text(self) -> str:
        return " ".join(self.words)

    def gaps(self) -> list[float]:
        return [b[0] - a[1] for a, b in zip(self.spans, self.spans[1:])]


@dataclass
class Figures:
    """The audit's figures, and the offending lines as ``page N: text`` for a reader."""

    pages: int = 0
    body_lines: int = 0
    hyphenated: int = 0
    stack: int = 0
    short_side: int = 0
    capitalised: int = 0
    page_turn: int = 0
    runts: int = 0
    fragments: int = 0
    median_chars: float = 0.0
    loose: int = 0
    full_lines: int = 0
    spreads: int = 0  # facing pages both full of running text
    uneven: int = 0  # of those, whose last baselines differ by more than a point
    examples: dict[str, list[str]] = field(default_factory=dict)

    @property
    def hyphenated_pct(self) -> float:
        return 100.0 * self.hyphenated / self.body_lines if self.body_lines else 0.0

    @property
    def loose_pct(self) -> float:
        return 100.0 * self.loose / self.body_lines if self.body_lines else 0.0

    def note(self, kind: str, line: Line) -> None:
        self.examples.setdefault(kind, []).append(f"p. {line.page + 1}: {line.text}")


def read_lines(pdf: Path) -> tuple[int, list[Line]]:
    """Every line of every page (``pdftotext -bbox-layout``), in reading order, and the page count."""
    tool = shutil.which("pdftotext")
    if tool is None:
        raise CompilerError(Diagnostic("E290", "pdftotext is not installed", str(pdf), 0,
                                       hint="install poppler-utils (tools/setup-system)"))
    if not pdf.is_file():
        raise CompilerError(Diagnostic("E290", "no PDF to audit", str(pdf), 0,
                                       hint="build the book first (make book), or give PDF=path"))
    done = subprocess.run([tool, "-bbox-layout", "-enc", "UTF-8", str(pdf), "-"], capture_output=True)
    if done.returncode != 0:
        message = done.stderr.decode(errors="replace").strip().splitlines()
        raise CompilerError(Diagnostic("E291", f"pdftotext cannot read it: {message[-1] if message else ''}",
                                       str(pdf), 0, hint="give the path of a PDF the compiler built"))
    root = etree.fromstring(done.stdout, etree.XMLParser(huge_tree=True, resolve_entities=False))
    lines: list[Line] = []
    pages = root.findall(f".//{_NS}page")
    for number, page in enumerate(pages):
        for line in page.iter(f"{_NS}line"):
            words = [(w.text or "", float(w.get("xMin", 0)), float(w.get("xMax", 0))) for w in line.iter(f"{_NS}word")]
            if not words:
                continue
            lines.append(Line(number, tuple(w[0] for w in words), tuple((w[1], w[2]) for w in words),
                              float(line.get("yMin", 0)), float(line.get("yMax", 0))))
    return len(pages), lines


def body_lines(lines: list[Line]) -> list[Line]:
    """The lines of running text (see the module's docstring), in reading order."""
    if not lines:
        return []
    heights = Counter(round(line.height, 1) for line in lines)
    usual = heights.most_common(1)[0][0]
    # A book whose extracts outnumber its running text: the body is the larger of the two.
    usual = max([h for h, n in heights.items() if usual <= h <= 1.12 * usual and n >= 0.2 * len(lines)] or [usual])
    low, high = BODY_SIZE[0] * usual, BODY_SIZE[1] * usual
    return [line for line in lines if low <= line.height <= high and not _LEADERS.search(line.text)
            and not _FOLIO.fullmatch(line.text)]


def right_edges(lines: list[Line]) -> list[float]:
    """The x that at least EDGE_LINES lines (and EDGE_SHARE of them) end on (left and right pages' text blocks have their
    own; a ragged line ending on one of them within a point is rare enough)."""
    counter: Counter[float] = Counter(round(line.x1 * 2) / 2 for line in lines)
    least = max(EDGE_LINES, EDGE_SHARE * len(lines))
    edges: list[float] = []
    for x in sorted(counter):
        near = sum(m for y, m in counter.items() if abs(y - x) <= EDGE_TOLERANCE)
        if near >= least and not any(abs(x - e) <= EDGE_TOLERANCE for e in edges):
            edges.append(x)
    return edges


def _letters(text: str) -> str:
    return "".join(c for c in text if c.isalnum())


def ends_hyphenated(line: Line) -> str:
    """``soft`` (a hyphenation break), ``hard`` (after a word's own hyphen) or ``""``."""
    last = line.words[-1]
    if last.endswith(SOFT):
        return "soft"
    if last.endswith("-") and len(last) > 1 and last[-2].isalnum():
        return "hard"
    return ""


def audit(pdf: Path) -> Figures:
    """The figures of one PDF."""
    pages, lines = read_lines(pdf)
    return measure(pages, lines)


def measure(pages: int, lines: list[Line]) -> Figures:
    """The figures of a PDF's lines (see :func:`read_lines`)."""
    figures = Figures(pages=pages)
    body = body_lines(lines)
    figures.body_lines = len(body)
    edges = right_edges(body)

    def full(line: Line) -> bool:
        return any(abs(line.x1 - e) <= EDGE_TOLERANCE for e in edges)

    # The natural word space, as a share of the line height: that of lines set unstretched.
    natural = [g / line.height for line in body if not full(line) for g in line.gaps() if g > 0]
    space = statistics.median(natural) if natural else 0.25
    chars: list[int] = []
    run = 0
    last_on_page = {line.page: i for i, line in enumerate(body)}
    for i, line in enumerate(body):
        before = body[i - 1] if i else None
        after = body[i + 1] if i + 1 < len(body) else None
        kind = ends_hyphenated(line)
        if full(line):
            figures.full_lines += 1
            chars.append(len(line.text.rstrip("\u00ad")))
            gaps = line.gaps()
            if gaps and statistics.median(gaps) > 2 * space * line.height:
                figures.loose += 1
                figures.note("loose", line)
        if kind:
            figures.hyphenated += 1
            run += 1
            if run > figures.stack:
                figures.stack = run
            if run > 2:
                figures.note("stack", line)
            if last_on_page[line.page] == i and after is not None:
                figures.page_turn += 1
                figures.note("page_turn", line)
        else:
            run = 0
        if kind == "soft" and after is not None:
            head = _letters(line.words[-1])
            tail = _letters(re.split(r"[^\w]", after.words[0], maxsplit=1)[0])
            if len(head) < 3 or len(tail) < 3:
                figures.short_side += 1
                figures.note("short_side", line)
            word = line.words[-1].lstrip("“‘\"'([")
            if word[:1].isupper():
                figures.capitalised += 1
                figures.note("capitalised", line)
        if before is not None and full(before) and not full(line) and \
                (before.page != line.page or line.top - before.bottom < before.height):
            if ends_hyphenated(before) == "soft":
                figures.fragments += 1
                figures.note("fragments", line)
            if len(line.words) == 1 and len(line.words[0]) < 8:
                figures.runts += 1
                figures.note("runts", line)
    figures.median_chars = float(statistics.median(chars)) if chars else 0.0
    _spreads(figures, body)
    return figures


def _spreads(figures: Figures, body: list[Line]) -> None:
    """Count the spreads (a left page, odd index, and the right page after it) whose pages are
    both full of running text (at least 80% of the fullest page's lines), and those of them whose
    last body lines do not stand on one baseline."""
    count = Counter(line.page for line in body)
    bottom: dict[int, float] = {}
    for line in body:
        bottom[line.page] = max(bottom.get(line.page, 0.0), line.bottom)
    most = max(count.values(), default=0)
    for left in range(1, figures.pages - 1, 2):
        if min(count.get(left, 0), count.get(left + 1, 0)) >= 0.8 * most:
            figures.spreads += 1
            if abs(bottom[left] - bottom[left + 1]) > 1.0:
                figures.uneven += 1


def failures(figures: Figures, but: tuple[str, ...] = ()) -> list[str]:
    """Each figure over its limit (those named in ``but`` left out), as ``name value > limit``."""
    out = []
    for name, limit in LIMITS.items():
        if name in but:
            continue
        value = getattr(figures, name)
        if isinstance(limit, tuple):
            if not limit[0] <= value <= limit[1]:
                out.append(f"{name} {value:g} outside {limit[0]:g}-{limit[1]:g}")
        elif value > limit:
            out.append(f"{name} {value:.3g} > {limit:g}")
    return out


def report(figures: Figures, name: str = "") -> str:
    """The figures as a reader reads them, one a line, with the first offending lines."""
    f = figures
    rows = [
        f"typography audit{': ' + name if name else ''} ({f.pages} pages, {f.body_lines} body lines, "
        f"{f.full_lines} full)",
        f"  hyphenated line ends     {f.hyphenated:5d}  {f.hyphenated_pct:5.1f}%   (limit 8%)",
        f"  longest stack            {f.stack:5d}           (limit 2)",
        f"  breaks < 3 letters a side{f.short_side:5d}           (limit 0)",
        f"  breaks in capitalised    {f.capitalised:5d}           (limit 0)",
        f"  breaks across a page turn{f.page_turn:5d}           (limit 0)",
        f"  runts                    {f.runts:5d}           (limit 3)",
        f"  hyphen into a last line  {f.fragments:5d}           (limit 0)",
        f"  median characters a line {f.median_chars:7.1f}         (55-75)",
        f"  loose lines              {f.loose:5d}  {f.loose_pct:5.1f}%   (limit 1%)",
        f"  spreads not level        {f.uneven:5d}  of {f.spreads} full spreads",
    ]
    for kind, found in f.examples.items():
        rows.append(f"  {kind}: " + "; ".join(found[:4]) + (" ..." if len(found) > 4 else ""))
    bad = failures(f)
    rows.append("  limits: " + ("all met" if not bad else "NOT MET: " + ", ".join(bad)))
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    """``python -m compiler.typo_audit PDF... [--strict]``: print the figures (exit 1 with
    ``--strict`` when a limit is not met; 2 when a PDF cannot be read)."""
    args = list(sys.argv[1:] if argv is None else argv)
    strict = "--strict" in args
    paths = [a for a in args if a != "--strict"] or ["out/slavery-is-not-dead.pdf"]
    status = 0
    for path in paths:
        try:
            figures = audit(Path(path))
        except CompilerError as exc:
            print(str(exc), file=sys.stderr)
            return 2
        print(report(figures, path))
        if strict and failures(figures):
            status = 1
    return status


if __name__ == "__main__":
    raise SystemExit(main())
