"""Read YAML safely, remembering where every key and item was written.

PyYAML's safe loader composes the node tree; we construct plain Python values
from it ourselves so that duplicate keys are errors (the safe loader would
silently keep the last one) and every value has a line and column for the
messages of later checks.

A manifest is small, flat data written by hand, so the reader refuses what
only an attack needs, at the line where it is written, before it costs
anything: anchors, aliases, merge keys and explicit tags (an alias bomb
expands to gigabytes, a recursive alias never ends), nesting deeper than
:data:`MAX_DEPTH`, keys that are not text (``~``, ``1``, ``yes``, lists),
control and bidi characters in text, and text longer than its field needs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from compiler.ingest.text import codepoint, first_control, is_blank, shown

Path_ = tuple[str | int, ...]

#: Deepest nesting of lists and mappings (the manifest itself needs 5 levels).
MAX_DEPTH = 32
#: Longest text value, in characters; :data:`LONG_TEXT` fields may be longer.
MAX_TEXT = 1_000
LONG_TEXT = {"description": 20_000, "rights": 20_000, "find": 20_000, "replace": 20_000}
#: Most items in a list (by the list's key); :data:`MAX_ITEMS` for the others.
MAX_ITEMS = 1_000
LONG_LISTS = {"chapters": 500, "corrections": 5_000, "redactions": 5_000}
#: Fields whose text may hold line breaks and tabs (the others are one line).
MULTILINE = {"description", "rights", "find", "replace"}

_STR = "tag:yaml.org,2002:str"
_KINDS = {"tag:yaml.org,2002:null": "null", "tag:yaml.org,2002:bool": "a boolean",
          "tag:yaml.org,2002:int": "a number", "tag:yaml.org,2002:float": "a number",
          "tag:yaml.org,2002:timestamp": "a date", "tag:yaml.org,2002:merge": "a YAML merge key"}


@dataclass(frozen=True)
class Problem:
    """A problem the reader found in a value, reported with the schema's diagnostics."""

    code: str
    message: str
    line: int
    column: int
    hint: str


@dataclass
class Located:
    """YAML data with the 1-based (line, column) of each path in it."""

    data: Any
    marks: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    duplicates: list[tuple[Path_, int, int, int]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    refused: set[Path_] = field(default_factory=set)  # values reported in problems: check them no further

    def where(self, path: Path_) -> tuple[int, int]:
        """Position of ``path``, or of its nearest ancestor that was written."""
        path = tuple(path)
        while path:
            if path in self.marks:
                return self.marks[path]
            path = path[:-1]
        return self.marks.get((), (1, 1))


class YAMLSyntaxError(Exception):
    """A YAML document the reader refuses, with its position, code and what to do."""

    def __init__(self, message: str, line: int, column: int, code: str = "E200",
                 hint: str = "fix the indentation, quotes or brackets there") -> None:
        super().__init__(message)
        self.message, self.line, self.column, self.code, self.hint = message, line, column, code, hint


def _refuse(code: str, message: str, mark: Any, hint: str) -> YAMLSyntaxError:
    return YAMLSyntaxError(message, mark.line + 1, mark.column + 1, code, hint)


class _Loader(yaml.SafeLoader):
    """The safe loader, refusing anchors, aliases, tags and deep nesting while it composes."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            sigil = "*" if isinstance(event, yaml.AliasEvent) else "&"
            raise _refuse("E240", f"YAML {'alias' if sigil == '*' else 'anchor'} '{sigil}{shown(event.anchor, 40)}'"
                          " is not allowed in a manifest", event.start_mark,
                          "write the value out in full: anchors and aliases are refused")
        tag = getattr(event, "tag", None)
        if tag not in (None, "!"):
            raise _refuse("E240", f"YAML tag '{shown(tag, 40)}' is not allowed in a manifest", event.start_mark,
                          "remove the tag: a manifest holds plain text, numbers, dates, lists and mappings")
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise _refuse("E241", f"lists and mappings nest deeper than {MAX_DEPTH} levels here",
                              event.start_mark, "a manifest needs about 5 levels: close the brackets")
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def _pos(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _key(node: yaml.Node, out: Located) -> str | None:
    """A mapping key as text, or None (reported) when it is not text."""
    if isinstance(node, yaml.ScalarNode) and node.tag == _STR:
        return str(node.value)
    line, column = _pos(node)
    if isinstance(node, yaml.ScalarNode):
        kind = _KINDS.get(node.tag, "not text")
        written = shown(node.value or "~", 40)
        message = f"key '{written}' is {kind}, not a name"
        hint = "quote it if it is meant as text" if kind in ("a boolean", "a number", "a date") else \
            "write a name such as 'title'"
    else:
        kind = "a list" if isinstance(node, yaml.SequenceNode) else "a mapping"
        message, hint = f"a key is {kind}, not a name", "write a name such as 'title'"
    out.problems.append(Problem("E242", message, line, column, hint))
    return None


def _text(value: str, path: Path_, node: yaml.Node, out: Located) -> bool:
    """Check one text value (or key): no control characters, not too long."""
    name = next((p for p in reversed(path) if isinstance(p, str)), "")
    where = ".".join(str(p) for p in path) or "manifest"
    bad = first_control(value, bidi=True, newlines=name in MULTILINE)
    line, column = _pos(node)
    if bad is not None:
        breaks = value[bad] in "\t\n"
        out.problems.append(Problem("E243", f"'{shown(where, 40)}' holds the control character "
                                    f"{codepoint(value[bad])}", line, column,
                                    "only description, rights, find and replace may hold line breaks and tabs"
                                    if breaks else "remove it: no output can show it"))
        return False
    limit = LONG_TEXT.get(name, MAX_TEXT)
    if len(value) > limit:
        out.problems.append(Problem("E244", f"'{shown(where, 40)}' is {len(value):,} characters long, over the "
                                    f"limit of {limit:,}", line, column, "shorten it"))
        return False
    return True


def _build(loader: yaml.SafeLoader, node: yaml.Node, path: Path_, out: Located) -> Any:
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _key(key_node, out)
            if key is None or not _text(key, (*path, key), key_node, out):
                continue
            child = (*path, key)
            if key in result:
                first = out.marks.get(child, (0, 0))[0]
                out.duplicates.append((child, *_pos(key_node), first))
                continue
            out.marks[child] = _pos(key_node)
            result[key] = _build(loader, value_node, child, out)
        return result
    if isinstance(node, yaml.SequenceNode):
        name = next((p for p in reversed(path) if isinstance(p, str)), "")
        limit = LONG_LISTS.get(name, MAX_ITEMS)
        if len(node.value) > limit:
            where = ".".join(str(p) for p in path) or "manifest"
            out.problems.append(Problem("E255", f"'{shown(where, 40)}' has {len(node.value):,} items, over the "
                                        f"limit of {limit:,}", *_pos(node), "a book needs fewer: split it"))
            out.refused.add(path)
            return []
        items = []
        for index, item in enumerate(node.value):
            out.marks[(*path, index)] = _pos(item)
            items.append(_build(loader, item, (*path, index), out))
        return items
    try:
        value = loader.construct_object(node, deep=True)
    except (ValueError, OverflowError):
        value = node.value  # e.g. "2026-13-45": let the schema say what is wrong with it
    if isinstance(value, str):
        if not _text(value, path, node, out):
            out.refused.add(path)
        elif value and is_blank(value) and not {"find", "replace"} & set(map(str, path)):
            value = ""  # only spaces, no-break spaces, zero-width marks: nothing a reader can see
    return value


def load(text: str) -> Located:
    """Parse one YAML document; raise :class:`YAMLSyntaxError` on bad syntax."""
    try:
        loader = _Loader(text)  # (its reader refuses control characters at once)
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        raise YAMLSyntaxError(f"the control character {codepoint(chr(exc.character))} is not allowed in YAML",
                              line, column, "E243", "remove it") from None
    try:
        node = loader.get_single_node()
        out = Located(None)
        if node is not None:
            out.marks[()] = _pos(node)
            out.data = _build(loader, node, (), out)
        return out
    except yaml.MarkedYAMLError as exc:
        # Where an open bracket or quote was never closed, the construct's start is the place to fix.
        mark = exc.context_mark or exc.problem_mark
        if exc.problem and "another document" in exc.problem:
            mark = exc.problem_mark  # the second document is the place to fix
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        message = " ".join(filter(None, [exc.context, exc.problem])) or "invalid YAML"
        if exc.context_mark and exc.problem_mark and exc.problem_mark.line != exc.context_mark.line:
            message += f" (noticed on line {exc.problem_mark.line + 1})"
        raise YAMLSyntaxError(shown(message, 200), line, column) from None
    except yaml.YAMLError as exc:
        raise YAMLSyntaxError(shown(str(exc).splitlines()[0], 200), 1, 1) from None
    finally:
        loader.dispose()
