"""Front matter of a static site's post: YAML (``---``), TOML (``+++``) or Pelican's ``Key: value`` lines.

:func:`split` takes a post's text and returns its fields (with the line each
was written on) and its body (with the line the body starts on), or raises a
one-line :class:`CompilerError` at the line of the problem:

- ``E160`` YAML that does not parse (the line of the mark PyYAML gives);
- ``E161`` TOML that does not parse, a bad date included (``tomllib``'s line);
- ``E162`` front matter that is never closed (the line it opens on);
- ``E163`` front matter that is not a mapping of fields;
- ``E167`` YAML anchors, aliases and tags (an alias bomb expands without end) or
  nesting deeper than :data:`MAX_DEPTH`: refused before anything is built;
- dates through the readers' shared check (:func:`post_date`: E180–E184).

YAML is composed by PyYAML's safe loader; values are constructed one key at
a time, so that a key given twice is seen (the last one counts, as Hugo and
Jekyll read it, with a warning). Dates stay text until :func:`post_date`
reads them, so every date goes through one check.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from dataclasses import dataclass, field
from typing import Any

import yaml

from compiler.errors import CompilerError, Diagnostic
from compiler.ingest.dates import DateProblem, rfc3339
from compiler.ingest.text import shown

#: Deepest nesting of lists and mappings in front matter.
MAX_DEPTH = 16
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_STR = "tag:yaml.org,2002:str"
_PELICAN_KEY = re.compile(r"^([A-Za-z][A-Za-z0-9_-]*):\s*(.*)$")
_TOML_LINE = re.compile(r"\(at line (\d+), column (\d+)\)")


@dataclass
class FrontMatter:
    """A post's fields (lower-case names), the line each was written on, and the body after them."""

    fields: dict[str, Any]
    lines: dict[str, int]
    body: str
    body_line: int  # the file line the body starts on (1-based)
    kind: str  # "yaml", "toml", "pelican" or "" (none)
    warnings: list[str] = field(default_factory=list)


def _error(code: str, message: str, name: str, line: int, hint: str, column: int = 0) -> CompilerError:
    return CompilerError(Diagnostic(code, message, name, line, column, hint=hint))


class _Loader(yaml.SafeLoader):
    """The safe loader, refusing anchors, aliases, tags and deep nesting while it composes."""

    def __init__(self, text: str, name: str, offset: int) -> None:
        super().__init__(text)
        self.name, self.offset, self.depth = name, offset, 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        line = event.start_mark.line + 1 + self.offset
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise _error("E167", "YAML anchors and aliases are not read in front matter", self.name, line,
                         "write the value out in full")
        tag = getattr(event, "tag", None)
        if tag not in (None, "!"):
            raise _error("E167", f"YAML tag '{shown(tag, 40)}' is not read in front matter", self.name, line,
                         "remove the tag")
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise _error("E167", f"front matter nests deeper than {MAX_DEPTH} levels", self.name, line,
                             "a post's fields need two or three levels")
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def _value(loader: _Loader, node: yaml.Node) -> Any:
    """A node as plain data; timestamps stay text (for :func:`post_date`)."""
    if isinstance(node, yaml.ScalarNode):
        if node.tag == _TIMESTAMP:
            return str(node.value)
        return loader.construct_object(node, deep=True)
    if isinstance(node, yaml.SequenceNode):
        return [_value(loader, item) for item in node.value]
    if isinstance(node, yaml.MappingNode):
        return {str(_value(loader, k)): _value(loader, v) for k, v in node.value}
    return None


def _yaml(text: str, name: str, offset: int) -> tuple[dict[str, Any], dict[str, int], list[str]]:
    loader = _Loader(text, name, offset)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 + offset if mark else offset
        what = exc.problem or exc.context
        if exc.context and exc.context_mark and exc.problem_mark and exc.context_mark.line != exc.problem_mark.line:
            what = f"{exc.problem} ({exc.context} at line {exc.context_mark.line + 1 + offset})"
        raise _error("E160", f"front matter is not valid YAML: {what}", name, line,
                     "fix the indentation, quotes or colons there", mark.column + 1 if mark else 0) from None
    except yaml.YAMLError as exc:
        raise _error("E160", f"front matter is not valid YAML: {exc}", name, offset,
                     "fix the front matter") from None
    finally:
        loader.dispose()
    if node is None:
        return {}, {}, []
    if not isinstance(node, yaml.MappingNode):
        raise _error("E163", "front matter is not a list of 'key: value' fields", name,
                     node.start_mark.line + 1 + offset, "write one 'key: value' per line")
    fields: dict[str, Any] = {}
    lines: dict[str, int] = {}
    warnings: list[str] = []
    for key_node, value_node in node.value:
        key = str(key_node.value).strip().lower() if isinstance(key_node, yaml.ScalarNode) else ""
        line = key_node.start_mark.line + 1 + offset
        if not key:
            continue
        try:
            value = _value(loader, value_node)
        except (ValueError, OverflowError, yaml.YAMLError) as exc:
            raise _error("E160", f"front matter field '{shown(key, 40)}' cannot be read: {shown(str(exc), 80)}",
                         name, line, "correct the value") from None
        if key in fields:
            warnings.append(f"{name}:{line}: W162 '{shown(key, 40)}' is given twice (first at line {lines[key]}); "
                            "the last one counts, as the site generators read it")
        fields[key], lines[key] = value, line
    return fields, lines, warnings


def _toml(text: str, name: str, offset: int) -> tuple[dict[str, Any], dict[str, int]]:
    try:
        data = tomllib.loads(text)
    except RecursionError:
        raise _error("E167", "front matter nests too deep to be read", name, offset,
                     "a post's fields need two or three levels") from None
    except tomllib.TOMLDecodeError as exc:
        found = _TOML_LINE.search(str(exc))
        line = int(found[1]) + offset if found else offset + text.count("\n") + 2  # at its end: the closing +++
        message = re.sub(r"\s*\(at [^)]*\)", "", str(exc)).strip()
        raise _error("E161", f"front matter is not valid TOML: {message}", name, line,
                     "fix the value there; write dates as 2024-05-27 or 2024-05-27T11:00:00-04:00") from None
    lines: dict[str, int] = {}
    for number, raw in enumerate(text.split("\n"), offset + 1):
        key = raw.split("=", 1)[0].strip().strip("\"'").lower()
        if "=" in raw and key and key not in lines:
            lines[key] = number
    fields = {str(k).lower(): (v.isoformat() if isinstance(v, (dt.date, dt.time)) else v) for k, v in data.items()}
    return fields, {k: lines.get(k, offset) for k in fields}


def _pelican(lines: list[str]) -> tuple[dict[str, Any], dict[str, int], int] | None:
    """Pelican's Markdown metadata: ``Key: value`` lines up to a blank line (``Title`` first)."""
    fields: dict[str, Any] = {}
    where: dict[str, int] = {}
    for number, raw in enumerate(lines, 1):
        if not raw.strip():
            return (fields, where, number + 1) if "title" in fields else None
        found = _PELICAN_KEY.match(raw)
        if not found:
            return None
        key = found[1].lower()
        fields[key], where[key] = found[2].strip(), number
    return (fields, where, len(lines) + 1) if "title" in fields else None


def split(text: str, name: str) -> FrontMatter:
    """A post's text as its front matter and body (``text`` decoded, LF line ends)."""
    lines = text.split("\n")
    first = lines[0].rstrip() if lines else ""
    if first in ("---", "+++"):
        closers = ("---", "...") if first == "---" else ("+++",)
        end = next((i for i in range(1, len(lines)) if lines[i].rstrip() in closers), None)
        if end is None:
            raise _error("E162", f"front matter opened with '{first}' is never closed", name, 1,
                         f"end the fields with a line '{closers[0]}'")
        inner = "\n".join(lines[1:end])
        if first == "---":
            fields, where, warnings = _yaml(inner, name, 1)
        else:
            (fields, where), warnings = _toml(inner, name, 1), []
        return FrontMatter(fields, where, "\n".join(lines[end + 1:]), end + 2, "yaml" if first == "---" else "toml",
                           warnings)
    pelican = _pelican(lines[:64])
    if pelican is not None:
        fields, where, start = pelican
        return FrontMatter(fields, where, "\n".join(lines[start - 1:]), start, "pelican")
    return FrontMatter({}, {}, text, 1, "")


def post_date(value: Any, name: str, line: int) -> dt.datetime | None:
    """A front matter date (text, or a date TOML built) as a datetime, aware when it has a zone.

    Text goes through the readers' shared date check (:func:`compiler.ingest.dates.rfc3339`): a year
    before 1 (E180) or after 9999 (E181), a day or time that does not exist (E182), an offset beyond
    ±18 h (E183) or no date at all (E184) is one line at the field's line.
    """
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    try:
        return rfc3339(str(value))
    except DateProblem as problem:
        raise problem.error(name, line) from None
