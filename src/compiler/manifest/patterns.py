"""Chapter rules' ``title_matches`` patterns that cannot take years to match.

Python's ``re`` has no time limit, and a pattern such as ``(a+)+$`` or
``(x|x)*y`` backtracks exponentially on a title it almost matches (a
"ReDoS"); a run of many ``.*`` is polynomial, which on 2,000 titles of 300
characters is as bad. :func:`risk` reads the parsed pattern and names the
first construct that can explode: an unbounded repeat inside another, an
alternation or back-reference inside one, or more than
:data:`MAX_UNBOUNDED` unbounded repeats in all. A title pattern needs none.
"""

from __future__ import annotations

import re
from typing import Any

from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]

#: Longest pattern, and most unbounded repeats (``*``, ``+``, ``{n,}``) in one.
MAX_LENGTH = 200
MAX_UNBOUNDED = 2
_REPEATS = {sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT}


def _walk(items: Any, under: bool, count: list[int]) -> str | None:
    for op, av in items:
        if op in _REPEATS:
            low, high, sub = av
            unbounded = high == sre.MAXREPEAT or high > 50
            if unbounded:
                if under:
                    return "a repeat inside a repeat, such as '(a+)+'"
                count[0] += 1
            if found := _walk(sub, under or unbounded, count):
                return found
        elif op == sre.BRANCH:
            if under:
                return "an alternation inside a repeat, such as '(a|a)*'"
            for branch in av[1]:
                if found := _walk(branch, under, count):
                    return found
        elif op in (sre.GROUPREF, sre.GROUPREF_EXISTS) and under:
            return "a back-reference inside a repeat"
        elif op == sre.SUBPATTERN:
            if found := _walk(av[3], under, count):
                return found
        elif op in (sre.ASSERT, sre.ASSERT_NOT):
            if found := _walk(av[1], under, count):
                return found
        elif op == sre.ATOMIC_GROUP:
            if found := _walk(av, under, count):
                return found
    return None


def risk(pattern: str) -> str | None:
    """What makes ``pattern`` slow to match (or invalid, or too long), or None when it is safe."""
    if len(pattern) > MAX_LENGTH:
        return f"it is {len(pattern)} characters long, over {MAX_LENGTH}"
    try:
        parsed = sre_parse.parse(pattern)
    except (re.error, RecursionError, OverflowError):
        return None  # not a valid pattern: the schema says so (E205)
    count = [0]
    found = _walk(parsed, False, count)
    if found is None and count[0] > MAX_UNBOUNDED:
        found = f"{count[0]} unbounded repeats ('*', '+'), over {MAX_UNBOUNDED}"
    return found


def safe(pattern: Any) -> bool:
    """Whether ``pattern`` is a pattern :func:`risk` lets through."""
    return isinstance(pattern, str) and risk(pattern) is None
