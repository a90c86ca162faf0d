"""Replace ``<opener … closer>`` spans of raw post text in linear time.

A lazy regular expression such as ``<pre.*?</pre>`` scans to the end of the
text for every opener that is never closed, so a post made of 100,000
unclosed ``<pre`` (or ``<!--``) takes minutes. Here each closer is searched
for with ``str.find``, and once a closer is missing after one opener it is
known to be missing after every later one: the whole pass stays linear.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _fold(text: str) -> str:
    """``text`` lower-cased with every position kept: ``str.lower`` when that keeps the length (it
    does for all but a few letters, such as "İ", which becomes two), else only A-Z lower-cased."""
    lowered = text.lower()
    return lowered if len(lowered) == len(text) else text.translate(_ASCII_LOWER)


def replace_spans(text: str, opener: re.Pattern[str], closer: Callable[[re.Match[str]], str],
                  fn: Callable[[str], str], ignore_case: bool = True) -> str:
    """``text`` with each span from an ``opener`` match to the first ``closer(match)`` after it
    (both included) replaced by ``fn(span)``; an opener never closed stays as it is."""
    haystack = None if ignore_case else text  # folded at the first opener: most texts have none
    out: list[str] = []
    pos = 0
    missing: set[str] = set()
    while (m := opener.search(text, pos)) is not None:
        if haystack is None:
            haystack = _fold(text)
        close = closer(m)
        key = _fold(close) if ignore_case else close
        end = -1 if key in missing else haystack.find(key, m.end())
        if end < 0:
            missing.add(key)
            out.append(text[pos:m.end()])
            pos = m.end()
            continue
        end += len(close)
        out.append(text[pos:m.start()])
        out.append(fn(text[m.start():end]))
        pos = end
    out.append(text[pos:])
    return "".join(out)


def fixed(close: str) -> Callable[[re.Match[str]], str]:
    """A closer that does not depend on the opener (``-->``, ``</pre>``)."""
    return lambda m: close
