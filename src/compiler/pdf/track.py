"""Line tracking: a loose line's own letters spaced a little, so that its word spaces stretch less.

WeasyPrint justifies a line by stretching its word spaces only. A line that a
long word could not join (a name that may not break, a word tied to the next
to keep a runt away) is left with its spaces stretched to two or three times
their width, a hole a reader sees. Typesetters spread such a line's slack over
its letters too (InDesign's letter-spacing range, pdfTeX's font expansion).

After the paragraph lab has given each paragraph its spacing
(:mod:`compiler.pdf.lab`), :func:`track` takes each line still loose and sets
the whole words that are on it, and on it alone, in a ``<span class="tr">``
whose letter spacing takes up part of the slack: just enough that its word
space is at most :data:`TARGET` times the natural one, and never more than
:data:`MOST_FIRST` em (three hundredths of an em). The letters added are less
than the slack, so the line keeps its words and every other line is set as
before; the lab lays the paragraphs out again to check that. Where WeasyPrint
sets a tracked paragraph otherwise (it measures a spaced run a little wider
than the sum of its letters), the line it missed is tracked again at half its
spacing, and after :data:`TRIES` tries left out while the others keep theirs. A
tracked run never opens inside words tied by no-break spaces (the ties with
which total fit opens a line). A line is counted by aligning its letters with
the block's text, so that one Pango breaks inside a word with no hyphen shown
(``126(3)|(b)``) is counted too; a paragraph whose lines cannot be aligned
(a footnote call, generated text) keeps no tracking.

Only the print layout changes, and the choice depends on the HTML alone (the
bytes stay reproducible).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from compiler.pdf import breaks

if TYPE_CHECKING:
    from compiler.pdf.lab import Lab

LOOSE = breaks.LOOSE
FROM = 1.8  # a line whose word space is over this many natural ones is tracked (under LOOSE: the PDF's
# word spaces, measured between the words' glyphs, are a little wider than the lab's measure)
TARGET = 1.75  # a tracked line's word space, in natural ones, at most
MOST_FIRST = 0.03  # em of letter spacing at most
TRIES = 2  # a line WeasyPrint did not set as tracked is tracked again at half the spacing, then left out
MOST = MOST_FIRST / 2  # em of letter spacing a plan of compiler.pdf.fit counts on (what a second try may give)
MARGIN = 1.0  # px of the slack left unused, so that the line keeps its words
FIRST_LINE = "--first-line-tracking"  # a ::first-line's letter spacing adds it (styles/print.css)
_WORDS = re.compile(r"[^\s\u200b]+")  # a zero-width space is no word (nor a space)
_SPACES = (" ", "\u00a0")


_segments = breaks.segments


def spans(lines: list[breaks.LineInfo], joined: str) -> list[tuple[int, int]] | None:
    """For each of a block's lines, the (first, last) index among the words of the block's text
    ``joined`` of the whole words it holds (last < first when it holds none); None if the lines'
    letters are not the text's. A line may end inside a word with no hyphen shown (Pango breaks
    ``126(3)|(b)``): such a word is whole on neither line."""
    words = list(_WORDS.finditer(joined))
    out: list[tuple[int, int]] = []
    pos = 0
    for line in lines:
        text = _plain(line.text)
        need = len(_key(text[:-1] if line.hyphen == "soft" else text))
        if not need:
            return None
        while pos < len(joined) and joined[pos].isspace():
            pos += 1
        start = pos
        while need > 0 and pos < len(joined):
            need -= len(_key(joined[pos]))
            pos += 1
        if need:
            return None
        look = pos  # the marks after its last letter are the line's if a space follows them
        while look < len(joined) and not joined[look].isspace() and not _key(joined[look]):
            look += 1
        if look == len(joined) or joined[look].isspace():
            pos = look
        inside = [i for i, w in enumerate(words) if w.start() >= start and w.end() <= pos]
        out.append((inside[0], inside[-1]) if inside else (1, 0))
    if _key(joined[pos:]):
        return None
    return out


def _plain(text: str) -> str:
    """A line's text without what WeasyPrint adds to a lone space it widens (a zero-width space)."""
    return text.replace("\u200b", "").strip()


def _key(text: str) -> str:
    return "".join(c for c in text.casefold() if c.isalnum())


def wrap_words(block: Any, first: int, last: int, style: str) -> int:
    """Set the block's words ``first`` to ``last`` (and the spaces between them) in
    ``<span class="tr" style=...>``, one span per piece of text they cross; the characters set."""
    joined = "".join(getattr(node, attr) or "" for node, attr in _segments(block))
    words = list(_WORDS.finditer(joined))
    return wrap_chars(block, words[first].start(), words[last].end(), {"class": "tr nh", "style": style})


def lone_space_after(block: Any, end: int) -> bool:
    """Whether the text after character ``end`` of the block, up to the next element, is only
    spaces: a span ending there leaves a lone space between two elements, which WeasyPrint sets as
    " \u200b" (a space that no line end collapses: the line looks short); a span's own trailing
    space is no cure (WeasyPrint then breaks the line before the span's last words)."""
    at = 0
    for node, attr in _segments(block):
        text = getattr(node, attr) or ""
        if at <= end <= at + len(text):
            rest = text[end - at:]
            if rest.strip():
                return False
            if rest:
                return True
        at += len(text)
    return False


def wrap_chars(block: Any, start: int, end: int, attrs: dict[str, str], soft: int | None = None) -> int:
    """Set the characters ``start`` to ``end`` of the block's text in a ``<span>`` with ``attrs``, one
    span per piece of text they cross (and a soft hyphen before the character ``soft``); the
    characters set."""
    places = _segments(block)
    texts = [getattr(node, attr) or "" for node, attr in places]
    at, count = 0, 0
    for (node, attr), text in zip(places, texts):
        base = at
        at += len(text)
        lo, hi = max(start, base) - base, min(end, at) - base
        if lo >= hi:
            continue
        middle = text[lo:hi]
        if soft is not None and base + lo < soft < base + hi:
            middle = middle[:soft - base - lo] + "\u00ad" + middle[soft - base - lo:]
        span = node.makeelement("span", dict(attrs))
        span.text, span.tail = middle, text[hi:]
        setattr(node, attr, text[:lo])
        if attr == "text":
            node.insert(0, span)
        else:
            owner = parent(block, node)
            owner.insert(list(owner).index(node) + 1, span)
        count += hi - lo
    return count


def _after_ties(joined: str, words: list[re.Match[str]], start: int, end: int) -> int:
    """The first of the words ``start`` to ``end`` that a breakable space precedes: a span that opens
    inside words tied by no-break spaces (the ties of :mod:`compiler.pdf.fit` that open a line) makes
    WeasyPrint break the line before the tie anywhere, even inside a word."""
    while start <= end and joined[words[start].start() - 1] == "\u00a0":
        start += 1
    return start


def wrap_nth(block: Any, pattern: re.Pattern[str], cls: str, nth: int, of: int) -> int:
    """Set the ``nth`` match of ``pattern`` in the block's text in a ``<span class=cls>``, where the
    text holds ``of`` matches (the occurrence that broke the rule: the word's others may still
    break); 1, or -1 if it cannot tell which (every match is to be set)."""
    places = _segments(block)
    joined = "".join(getattr(node, attr) or "" for node, attr in places)
    found = list(pattern.finditer(joined))
    if nth < 0 or len(found) != of or nth >= of:
        return -1
    start, end = found[nth].span()
    at = 0
    for node, attr in places:  # the text it crosses (a word and its note call, a word in two elements)
        text = getattr(node, attr) or ""
        if at < end and start < at + len(text):
            owner = node if attr == "text" else parent(block, node)
            while owner is not block:  # not in code, nor in a span already marked (as wrap leaves them)
                if owner.tag in ("code", "pre") or (owner.tag == "span" and owner.get("class") in ("nh", "nb", "nh nb")):
                    return -1
                owner = parent(block, owner)
        at += len(text)
    wrap_chars(block, start, end, {"class": cls})
    return 1


def parent(block: Any, node: Any) -> Any:
    """The element of ``block`` (or ``block``) whose child ``node`` is."""
    for element in block.iter():
        if any(child is node for child in element):
            return element
    raise ValueError("not in the block")


def _set_property(block: Any, name: str, value: str) -> None:
    """Set a property in the block's ``style`` attribute (after what it holds)."""
    style = (block.get("style") or "").strip().rstrip(";")
    block.set("style", f"{style}; {name}: {value}" if style else f"{name}: {value}")


def _tracking(line: breaks.LineInfo, letters: int, natural: float, most: float = MOST) -> float:
    """The letter spacing (px) that brings the line's word space to :data:`TARGET` times ``natural``
    (px), or as near as ``most`` em (and the slack) allow; 0 if the line would still be loose."""
    spaces = sum(line.text.count(s) for s in _SPACES)
    if not spaces or not letters or not line.size:
        return 0.0
    stretch = line.gap - line.space
    slack = stretch * spaces
    # each tracked character, the spaces among them included, takes ``ls`` from the slack:
    # space + ls + (slack - ls * letters) / spaces <= TARGET * natural
    excess = line.space + slack / spaces - TARGET * natural
    if excess <= 0:
        return 0.0
    share = letters / spaces - 1.0
    if share <= 0:
        return 0.0
    spacing = min(excess / share, most * line.size)  # to TARGET, or as near as ``most`` takes it
    if spacing * (letters + 1) > slack - MARGIN:
        spacing = (slack - MARGIN) / (letters + 1)
    if spacing <= 0 or line.space + spacing + (slack - spacing * letters) / spaces > LOOSE * natural:
        return 0.0  # it would still be loose
    return spacing


def track(lab: Lab, lines: list[breaks.LineInfo], natural: Callable[[breaks.LineInfo], float]) -> set[int]:
    """Track the loose lines (a word space over :data:`compiler.pdf.lab.LOOSE` times ``natural(line)``)
    of the lab's clones; the ids of the clones that keep a tracking (each checked in one more
    scratch layout to keep its lines)."""
    def loose(line: breaks.LineInfo) -> bool:
        return line.gap > FROM * natural(line) > 0

    by_block: dict[int, list[breaks.LineInfo]] = {}
    for line in lines:
        by_block.setdefault(id(line.block), []).append(line)
    todo: dict[int, tuple[Any, list[breaks.LineInfo], list[tuple[int, int]]]] = {}
    for clone in lab.clones.values():
        own = by_block.get(id(clone), [])
        if not any(loose(line) for line in own):
            continue
        ranges = spans(own, "".join(getattr(node, attr) or "" for node, attr in _segments(clone)))
        if ranges is not None:
            todo[id(clone)] = (clone, own, ranges)
    level: dict[tuple[int, int], int] = {}  # (clone, line): the tries WeasyPrint missed it (TRIES: none)
    given: dict[tuple[int, int], float] = {}  # (clone, line): the spacing last given, px

    def spacing_of(key: int, index: int, line: breaks.LineInfo, letters: int) -> float:
        spacing = _tracking(line, letters, natural(line), MOST_FIRST)
        for _ in range(level.get((key, index), 0)):
            spacing = min(spacing, given.get((key, index), spacing) / 2)
        given[(key, index)] = spacing
        return spacing

    kept: set[int] = set()
    for _attempt in range(TRIES + 1):  # the last without the lines missed at every try
        saved: dict[int, tuple[Any, ...]] = {}
        tracked: dict[int, list[int]] = {}
        for key, (clone, own, ranges) in todo.items():
            before = (clone.text, [copy.deepcopy(child) for child in clone], [_plain(line.text) for line in own],
                      clone.get("style"))
            for index, (line, (first, last)) in enumerate(zip(own, ranges)):
                if level.get((key, index), 0) >= TRIES or not loose(line):
                    continue
                if line.own_style:  # every box on it takes the ::first-line style: tracked through the block
                    spacing = spacing_of(key, index, line, len(line.text))
                    if spacing:
                        _set_property(clone, FIRST_LINE, f"{spacing:.4f}px")
                        tracked.setdefault(key, []).append(index)
                    continue
                if last <= first + 1:  # (no span opens a line)
                    continue
                places = _segments(clone)
                joined = "".join(getattr(node, attr) or "" for node, attr in places)
                words = list(_WORDS.finditer(joined))
                end = last - lone_space_after(clone, words[last].end())
                start = _after_ties(joined, words, first + 1, end)
                if end <= start:
                    continue
                letters = words[end].end() - words[start].start()
                spacing = spacing_of(key, index, line, letters)
                if spacing:
                    wrap_words(clone, start, end, f"letter-spacing: {line.spacing[0] + spacing:.4f}px")
                    tracked.setdefault(key, []).append(index)
            if key in tracked:
                saved[key] = before
        misses: dict[int, int] = {}
        kept |= check(lab, saved, lambda line: _plain(line.text), misses)
        for key, miss in misses.items():  # the tracked line it missed, or the last before it, less
            index = max((i for i in tracked[key] if i <= miss), default=tracked[key][0])
            level[(key, index)] = level.get((key, index), 0) + 1
        todo = {key: todo[key] for key in misses}
        if not todo:
            break
    return kept


def check(lab: Lab, saved: dict[int, tuple[Any, ...]],
          text: Callable[[breaks.LineInfo], str], misses: dict[int, int] | None = None) -> set[int]:
    """Lay the marked clones (by id: their text and children before the marks, and the ``text`` of
    each line they must be set in) out again; keep the marks of those WeasyPrint set so, and put
    the others back as they were (in ``misses``, if given: the index of the first line not set as
    planned, by id). The ids kept."""
    if not saved:
        return set()
    previous = {ident: lab.latest.get(ident, []) for ident in saved}
    again = lab.lines(only=[c for c in lab.clones.values() if id(c) in saved])
    now: dict[int, list[str]] = {}
    for line in again:
        now.setdefault(id(line.block), []).append(text(line))
    kept = set()
    for clone in lab.clones.values():
        if id(clone) not in saved:
            continue
        before, children, expected, *style = saved[id(clone)]
        if now.get(id(clone)) == expected:
            kept.add(id(clone))
        else:  # set otherwise (the marks moved a word): back as it was
            if misses is not None:
                got = now.get(id(clone), [])
                misses[id(clone)] = next((i for i, (a, b) in enumerate(zip(expected, got)) if a != b),
                                         min(len(expected), len(got)))
            clone.text = before
            clone[:] = children
            if style and style[0] is None:
                clone.attrib.pop("style", None)
            elif style:
                clone.set("style", style[0])
            lab.latest[id(clone)] = previous[id(clone)]
    return kept
