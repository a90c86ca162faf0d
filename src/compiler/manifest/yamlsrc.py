"""Read YAML safely, remembering where every key and item was written.

PyYAML's safe loader composes the node tree; we construct plain Python values
from it ourselves so that duplicate keys are errors (the safe loader would
silently keep the last one) and every value has a line and column for the
messages of later checks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

Path_ = tuple[str | int, ...]


@dataclass
class Located:
    """YAML data with the 1-based (line, column) of each path in it."""

    data: Any
    marks: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    duplicates: list[tuple[Path_, int, int, int]] = field(default_factory=list)

    def where(self, path: Path_) -> tuple[int, int]:
        """Position of ``path``, or of its nearest ancestor that was written."""
        path = tuple(path)
        while path:
            if path in self.marks:
                return self.marks[path]
            path = path[:-1]
        return self.marks.get((), (1, 1))


class YAMLSyntaxError(Exception):
    """A YAML syntax error with its position."""

    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(message)
        self.message, self.line, self.column = message, line, column


def _pos(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _build(loader: yaml.SafeLoader, node: yaml.Node, path: Path_, out: Located) -> Any:
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, (str, int, float, bool)) or key is None:
                key = str(key)
            child = (*path, key)
            if key in result:
                first = out.marks.get(child, (0, 0))[0]
                out.duplicates.append((child, *_pos(key_node), first))
                continue
            out.marks[child] = _pos(key_node)
            result[key] = _build(loader, value_node, child, out)
        return result
    if isinstance(node, yaml.SequenceNode):
        items = []
        for index, item in enumerate(node.value):
            out.marks[(*path, index)] = _pos(item)
            items.append(_build(loader, item, (*path, index), out))
        return items
    try:
        return loader.construct_object(node, deep=True)
    except (ValueError, OverflowError):
        return node.value  # e.g. "2026-13-45": let the schema say what is wrong with it


def load(text: str) -> Located:
    """Parse one YAML document; raise :class:`YAMLSyntaxError` on bad syntax."""
    loader = yaml.SafeLoader(text)
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
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        message = " ".join(filter(None, [exc.context, exc.problem])) or "invalid YAML"
        if exc.context_mark and exc.problem_mark and exc.problem_mark.line != exc.context_mark.line:
            message += f" (noticed on line {exc.problem_mark.line + 1})"
        raise YAMLSyntaxError(message, line, column) from None
    except yaml.YAMLError as exc:
        raise YAMLSyntaxError(str(exc).splitlines()[0], 1, 1) from None
    finally:
        loader.dispose()
