"""Charts declared in editorial Markdown, and the check that every number in them is in their source.

A chapter intro or a front-matter file may hold a fenced ``chart`` block::

    ```chart
    type: grouped-bar          # bar, grouped-bar or line
    title: Law enforcement in Kazakhstan, 2009 and 2010
    caption: Cases as the 2011 TIP report counts them.
    source: hope-in-kazakhstans-education-but-what-about-human-trafficking
    unit: cases                # optional: the value axis's label
    labels: [Investigations, Prosecutions, Convictions]
    series:
      - {name: "2009", values: [49, 35, 24]}
      - {name: "2010", values: [88, 48, 32]}
    ```

:func:`parse_chart` reads the block with the manifest's safe YAML reader
(duplicate keys, anchors and tags refused) and reports every problem at once,
each at its line in the Markdown file (E190). :func:`check_sources` then holds
the book to its sources: ``source`` must be a post in the book (E191), and
every number (each value, and each label or series name that is a number)
must be written, in digits, in that post's title or text (E192). A book never
shows a statistic that its sources do not contain.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from compiler.errors import CompilerError, Diagnostic
from compiler.ingest.text import shown
from compiler.manifest.yamlsrc import Located, YAMLSyntaxError, load
from compiler.model.nodes import Chart, Series, Text, plain_text
from compiler.model.types import Post

KINDS = ("bar", "grouped-bar", "line")
_KEYS = {"type", "title", "caption", "source", "unit", "labels", "series"}
_REQUIRED = ("type", "title", "source", "labels", "series")
MAX_LABELS = 40
MAX_SERIES = 8


@dataclass(frozen=True)
class Declared:
    """A chart as written: the node, the file, and the line of each number (for E192)."""

    chart: Chart
    file: str
    line: int
    numbers: tuple[tuple[str, float, int], ...]  # (what, value, line)


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def parse_chart(text: str, file: str, fence_line: int) -> Declared:
    """The chart block's YAML (``text``, the fence's content, which starts on ``fence_line + 1``)."""
    try:
        located = load(text)
    except YAMLSyntaxError as exc:
        raise CompilerError(Diagnostic("E190", f"chart: {exc.message}", file, fence_line + exc.line,
                                       hint="write the chart as YAML: type, title, source, labels, series")) from None
    return _Reader(located, file, fence_line).read()


class _Reader:
    def __init__(self, located: Located, file: str, fence_line: int) -> None:
        self.located, self.file, self.fence = located, file, fence_line
        self.problems: list[Diagnostic] = []

    def line(self, *path: str | int) -> int:
        return self.fence + self.located.where(path)[0]

    def problem(self, message: str, *path: str | int, hint: str = "") -> None:
        self.problems.append(Diagnostic("E190", f"chart: {message}", self.file, self.line(*path),
                                        hint=hint or "see README.md, 'Charts'"))

    def text(self, data: Mapping[str, object], key: str) -> str:
        value = data.get(key, "")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return f"{value:g}"
        if not isinstance(value, str):
            self.problem(f"'{key}' must be text", key)
            return ""
        return value.strip()

    def read(self) -> Declared:
        data = self.located.data
        if not isinstance(data, dict):
            raise CompilerError(Diagnostic("E190", "chart: the block must be a YAML mapping", self.file,
                                           self.fence + 1, hint="write type:, title:, source:, labels:, series:"))
        for found in self.located.problems:
            self.problems.append(Diagnostic(found.code, f"chart: {found.message}", self.file, self.fence + found.line,
                                            found.column, found.hint))
        for path, line, _column, first in self.located.duplicates:
            self.problems.append(Diagnostic("E190", f"chart: '{path[-1]}' is given twice (first on line "
                                            f"{self.fence + first})", self.file, self.fence + line,
                                            hint="keep one"))
        for key in sorted(set(data) - _KEYS):
            self.problem(f"unknown key '{shown(str(key))}'", key, hint=f"use {', '.join(sorted(_KEYS))}")
        for key in _REQUIRED:
            if key not in data:
                self.problem(f"'{key}' is missing")
        kind = self.text(data, "type")
        if "type" in data and kind not in KINDS:
            self.problem(f"type '{shown(kind)}' is not one of {', '.join(KINDS)}", "type")
        labels = self.labels(data.get("labels", []))
        series, numbers = self.series(data.get("series", []), len(labels), kind)
        numbers = [(f"label '{label}'", value, line) for label, value, line in self.numeric_labels(labels)] + numbers
        if self.problems:
            raise CompilerError(self.problems)
        caption = self.text(data, "caption")
        chart = Chart(kind, self.text(data, "title"), tuple(labels), tuple(series),
                      (Text(caption),) if caption else (), self.text(data, "source"), self.text(data, "unit"))
        return Declared(chart, self.file, self.fence, tuple(numbers))

    def labels(self, raw: object) -> list[str]:
        if not isinstance(raw, list) or not raw or len(raw) > MAX_LABELS:
            self.problem(f"'labels' must be a list of 1 to {MAX_LABELS} names", "labels")
            return []
        out = []
        for n, value in enumerate(raw):
            if isinstance(value, bool) or not isinstance(value, (str, int, float)) or not str(value).strip():
                self.problem("a label must be text or a number", "labels", n)
            out.append(f"{value:g}" if isinstance(value, (int, float)) and not isinstance(value, bool)
                       else str(value).strip())
        return out

    def numeric_labels(self, labels: list[str]) -> Iterable[tuple[str, float, int]]:
        for n, label in enumerate(labels):
            if re.fullmatch(r"\d+(?:\.\d+)?", label):
                yield label, float(label), self.line("labels", n)

    def series(self, raw: object, width: int, kind: str) -> tuple[list[Series], list[tuple[str, float, int]]]:
        if not isinstance(raw, list) or not raw or len(raw) > MAX_SERIES:
            self.problem(f"'series' must be a list of 1 to {MAX_SERIES} series", "series")
            return [], []
        if kind == "bar" and len(raw) != 1:
            self.problem("a bar chart has one series (use grouped-bar for more)", "series")
        out: list[Series] = []
        numbers: list[tuple[str, float, int]] = []
        for n, item in enumerate(raw):
            if not isinstance(item, dict) or set(item) - {"name", "values"} or "values" not in item:
                self.problem("each series is a mapping with 'name' and 'values'", "series", n)
                continue
            name = self.text(item, "name") if "name" in item else ""
            if re.fullmatch(r"\d+(?:\.\d+)?", name):
                numbers.append((f"series name '{name}'", float(name), self.line("series", n, "name")))
            values = item["values"]
            if not isinstance(values, list) or len(values) != width:
                self.problem(f"series {n + 1} must have {width} values, one per label", "series", n, "values")
                continue
            parsed: list[float] = []
            for m, value in enumerate(values):
                number = _number(value)
                if number is None:
                    self.problem("a value must be a number", "series", n, "values", m)
                    continue
                parsed.append(number)
                numbers.append((f"{number:g}", number, self.line("series", n, "values", m)))
            out.append(Series(name, tuple(parsed)))
        return out, numbers


def _spellings(value: float) -> list[str]:
    """How a text may write ``value`` in digits: 84000, 84,000, 84 000; 3.5, 3,5."""
    if value.is_integer():
        whole = int(value)
        grouped = f"{whole:,}"
        return list(dict.fromkeys([str(whole), grouped, grouped.replace(",", " "), grouped.replace(",", "\u00a0"),
                                   grouped.replace(",", "\u202f"), grouped.replace(",", ".")]))
    plain = f"{value:g}"
    return [plain, plain.replace(".", ",")]


def stated(value: float, text: str) -> bool:
    """Whether ``text`` writes the number ``value`` as a number of its own (49 is not in 149 or 4.9)."""
    return any(re.search(rf"(?<![\w.,]){re.escape(s)}(?![\w]|[.,]\d)", text) for s in _spellings(value))


def check_sources(declared: Iterable[Declared], posts: Mapping[str, Post]) -> None:
    """Every chart's ``source`` is a post of the book (E191) that states each of its numbers (E192)."""
    problems: list[Diagnostic] = []
    for item in declared:
        post = posts.get(item.chart.source)
        if post is None:
            problems.append(Diagnostic("E191", f"chart '{shown(item.chart.title, 100)}': source "
                                       f"'{shown(item.chart.source)}' is no post in the book", item.file,
                                       item.line + 1, hint="give the id of the post the numbers come from"))
            continue
        text = post.title + "\n" + plain_text(post.content)
        for what, value, line in item.numbers:
            if not stated(value, text):
                problems.append(Diagnostic("E192", f"chart '{shown(item.chart.title, 100)}': {what} is not in "
                                           f"the text of its source '{post.id}'", item.file, line,
                                           hint="a chart may only show numbers its source post states"))
    if problems:
        raise CompilerError(problems)
