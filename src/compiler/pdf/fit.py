"""Total fit: a paragraph with a loose line broken into lines as a whole, then set so by WeasyPrint.

WeasyPrint breaks lines greedily, one at a time: a line takes every word that
fits, and when the next word is a name that may not break, the line is left
with its spaces stretched to two or three times their width. A total-fit line
breaker (Knuth and Plass, as in TeX) weighs every way of breaking the whole
paragraph and takes the one whose lines are least stretched; it will carry a
short word down from an earlier line so that the long one fits.

For each paragraph of the paragraph lab (:mod:`compiler.pdf.lab`) with a
loose line, :func:`refit`:

1. takes its words as WeasyPrint measures and may break them
   (:mod:`compiler.pdf.words`);
2. finds the breaks (:func:`plan`) that set it with the fewest loose lines and
   the least stretch once a line tracking (:mod:`compiler.pdf.track`) took what
   it may, keeping the rules of :mod:`compiler.pdf.breaks` (at most two hyphens
   in a row, none into the last line, no runt). A line may also be set a
   little tight: its word spaces give up at most :data:`SHRINK` of their width
   (TeX lets them give up a third);
3. makes the greedy breaker take those breaks (:func:`_encode`): where it
   would put more on a line, the words that open the next line are tied with
   no-break spaces until they do not fit; a chosen hyphenation point becomes
   the one soft hyphen of a word otherwise kept whole (``nh``); a tight line's
   words are set in a ``<span class="ws nh">`` of a narrower word spacing;
4. lays the paragraphs out again in the lab, and keeps the new breaks only
   where WeasyPrint set exactly the planned lines.

WeasyPrint sets an inline box wrongly in two cases, which the marks avoid:
a box that opens a line after its first word did not fit at the end of the
line before ends the new line after that word (so no span opens a line, and
words are tied with no-break spaces rather than kept in a span; a no-break
space right before an element opens breaks the line early too, so it opens
the element's text instead: :func:`_tie`), and a lone space between two
elements is set as a space no line end collapses. Where WeasyPrint still sets
a paragraph otherwise than planned, it is planned once more without the line
it missed (:data:`RETRIES`).

The plan depends only on the HTML and the fonts: the bytes stay reproducible.
"""
from __future__ import annotations

import re
import copy
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from compiler.pdf import breaks, words
from compiler.pdf.track import MOST, _key, _segments, _tracking, check, lone_space_after
from compiler.pdf.words import Token

if TYPE_CHECKING:
    from compiler.pdf.lab import Lab

MARGIN = 0.4  # px: a planned line is this much narrower than the measure at least
LOOSE = breaks.LOOSE
SHRINK = 0.33  # of a word space, that a line's spaces may give up for it to fit (as in TeX: a third)
SAFE = 1.8  # a planned line's word space over this many natural ones costs as if loose
HYPHEN_COST = 40.0
RUNT = breaks.RUNT
RETRIES = 1  # scratch layouts more for the paragraphs WeasyPrint did not set as planned, at most
_SPACES = re.compile(r"[ \t\n\r\f]")
@dataclass(frozen=True)
class Line:
    first: int  # token
    first_cut: int  # offset in it where the line starts (0: the whole token)
    last: int  # token
    last_cut: int  # offset in it where the line ends hyphenated (0: after the whole token)
    width: float
    spaces: int
    letters: int  # characters a tracking would space (the spaces among the words included)
    shrink: float = 0.0  # px the word spaces must give up for the line to fit


def _set(token: Token, opening: bool) -> Token:
    """The token as a line sets it: the paragraph's first line in its own style, if it has one."""
    return token.head if opening and token.head is not None else token


def _line(items: list[Token], first: int, first_cut: int, last: int, last_cut: int, opening: bool = False) -> Line:
    total, spaces = 0.0, 0
    letters = items[last].end - items[first].start - first_cut
    for k in range(first, last + 1):
        token = _set(items[k], opening)
        if k > first and not token.glued:
            total += token.space
            spaces += 1
        spaces += token.spaces
        if k == first and first_cut:
            total += next((t for c, _h, t in token.points if c == first_cut), float("inf"))
        elif k == last and last_cut:
            total += next((h for c, h, _t in token.points if c == last_cut), float("inf"))
        else:
            total += token.width
        if k == first == last and first_cut and last_cut:  # a tail and a head of one token: not planned
            total = float("inf")
    if last_cut:
        letters -= len(items[last].text) - last_cut
    return Line(first, first_cut, last, last_cut, total, spaces, letters)


def plan(items: list[Token], measures: tuple[float, float], natural: float, size: float,
         forbidden: frozenset[tuple[int, int, int, int]] = frozenset()) -> list[Line] | None:
    """The total-fit breaks of a paragraph's tokens (first line's measure, the others'), the word
    space measured against ``natural`` (px) once a tracking of the line (at most
    :data:`compiler.pdf.track.MOST` em of ``size``) took what slack it may; None if none keeps the
    rules. No line is ``forbidden`` (its first token and cut, its last token and cut)."""
    if not items:
        return None
    spaced = [t.space for t in items if t.space]
    space = sum(spaced) / len(spaced) if spaced else 0.0
    if not space or not natural:
        return None
    # a first line in a style of its own (::first-line) gives every box on it that style's spacing:
    # a span can neither narrow its word spaces nor track it
    own_first = items[0].head is not None
    opening_space = _space(items, True)
    first_measure, measure = measures
    last_index = len(items) - 1
    tracking = MOST * size
    # best[(token, cut, run)] = (cost, previous state, line)
    best: dict[tuple[int, int, int], tuple[float, Any, Line | None]] = {(0, 0, 0): (0.0, None, None)}
    final: tuple[float, Any, Line | None] | None = None
    order = sorted({(t, c) for t, token in enumerate(items) for c in [0, *[p[0] for p in token.points]]})
    for start, cut in order:
        for run in range(3):
            state = best.get((start, cut, run))
            if state is None:
                continue
            opening = (start, cut) == (0, 0)
            width_limit = (first_measure if opening else measure) - MARGIN
            fixed = opening and own_first
            line_space = opening_space if opening else space
            for last in range(start, len(items)):
                whole = _line(items, start, cut, last, 0, opening)
                options: list[Line] = []
                # what its word spaces, but the first (see _after_first), may give up
                give = SHRINK * space * (whole.spaces - 2) if not cut and whole.spaces > 2 and not fixed else 0.0
                if whole.width <= width_limit:
                    options.append(whole)
                elif whole.width - give <= width_limit:
                    options.append(dataclasses.replace(whole, shrink=whole.width - width_limit))
                elif not (last == start and cut) and whole.width > width_limit + 2 * MARGIN:
                    # (a word the greedy breaker might yet fit whole is not planned hyphenated)
                    options += [h for c, _h, _t in _set(items[last], opening).points
                                if (h := _line(items, start, cut, last, c, opening)).width <= width_limit]
                for line in options:
                    if (line.first, line.first_cut, line.last, line.last_cut) in forbidden:
                        continue
                    hyphen = bool(line.last_cut)
                    if line.last == last_index and not hyphen:  # the last line
                        alone = items[line.first].text.split() if line.first == last_index else ["", ""]
                        if cut or (len(alone) == 1 and len(alone[0]) < RUNT):
                            continue
                        total = state[0]
                        if final is None or total < final[0]:
                            final = (total, (start, cut, run), line)
                        continue
                    nxt_run = run + 1 if hyphen else 0
                    if nxt_run > 2:
                        continue
                    slack = width_limit + MARGIN - line.width
                    if line.shrink:
                        cost = 100.0 * (line.shrink / (SHRINK * space * (line.spaces - 2))) ** 2
                    elif line.spaces:
                        # the slack a tracking of the line's letters may take (compiler/pdf/track.py)
                        taken = (min(slack - 1.0, tracking * max(line.letters - line.spaces, 0))
                                 if slack > 1.0 and not fixed else 0.0)
                        gap = line_space + (slack - taken) / line.spaces
                        cost = 100.0 * (gap / line_space - 1.0) ** 2
                        if gap > SAFE * natural:
                            cost += 10_000.0 * (1.0 + gap / natural - SAFE)
                    elif slack > 2.0:  # one word, and the measure not full: never
                        continue
                    else:
                        cost = 0.0
                    cost += HYPHEN_COST if hyphen else 0.0
                    key = (line.last, line.last_cut, nxt_run) if hyphen else (line.last + 1, 0, nxt_run)
                    total = state[0] + cost
                    if key[0] > last_index:
                        continue
                    if key not in best or total < best[key][0]:
                        best[key] = (total, (start, cut, run), line)
                if whole.width - give > width_limit:  # a longer line fits no better
                    break
    if final is None:
        return None
    lines: list[Line] = []
    entry: Any = final
    while entry is not None and entry[2] is not None:
        lines.append(entry[2])
        entry = best.get(entry[1])
    return lines[::-1]


def _space(items: list[Token], opening: bool = False) -> float:
    """The tokens' mean word space (px), as the first line sets them or the others."""
    spaced = [s for t in items if (s := _set(t, opening).space)]
    return sum(spaced) / len(spaced) if spaced else 0.0


def loose_lines(lines: list[Line], items: list[Token], measures: tuple[float, float], natural: float,
                size: float) -> tuple[int, int]:
    """The planned lines that would be loose once tracked (see :func:`plan`), and before."""
    tracked = untracked = 0
    for index, line in enumerate(lines[:-1]):
        slack = (measures[0] if index == 0 else measures[1]) - line.width
        space = _space(items, index == 0)
        if not line.spaces:
            tracked += slack > 2.0
            untracked += slack > 2.0
            continue
        fixed = index == 0 and items[0].head is not None
        taken = (min(slack - 1.0, MOST * size * max(line.letters - line.spaces, 0))
                 if slack > 1.0 and not fixed else 0.0)
        tracked += space + (slack - taken) / line.spaces > LOOSE * natural
        untracked += space + slack / line.spaces > LOOSE * natural
    return tracked, untracked


def _encode(block: Any, items: list[Token], lines: list[Line], measures: tuple[float, float]) -> bool:
    """Mark the block so that the greedy breaker sets ``lines``; False if it cannot be marked so.

    After each line, the words that would still fit on it are kept together with the words after
    them, until they do not fit (``<span class="nh nb">``: no break, no hyphen inside); a word that
    opens a line is kept from being hyphenated (``nh``; ``nb`` if it holds a hyphen or a slash,
    after which the breaker may break); a planned hyphenation point becomes the one soft hyphen of
    a word kept whole otherwise (``nh``)."""
    from compiler.pdf.track import wrap_chars

    marks: list[tuple[int, int, str, int | None]] = []  # (start, end, class or "tie", soft hyphen at)
    for line in lines:
        if line.shrink:  # its word spaces narrowed, from its second word (see _after_first)
            start, first = _after_first(items, line)
            last = line.last
            if lone_space_after(block, items[last].end):
                last -= 1
            while last > first and items[last].glued:
                last -= 1
            spaces = sum(not items[k].glued for k in range(first + 1, last + 1)) + items[first].spaces
            if spaces < 1:
                return False
            end = items[last].end
            ease = (line.shrink + MARGIN) / spaces
            spacing = float(items[line.first].word_spacing) - ease
            marks.append((start, end, f"ws:{spacing:.4f}", None))
    for index, line in enumerate(lines[:-1]):
        if line.last_cut:
            token = items[line.last]
            marks.append((token.start, token.end, "nh", token.start + line.last_cut))
            continue
        measure = measures[0] if index == 0 else measures[1]
        room = measure - line.width + (line.shrink + MARGIN if line.shrink else 0.0)
        following = lines[index + 1]
        first = line.last + 1
        head = _set(items[first], index == 0)
        width, last = head.space + head.width, first
        while width <= room + MARGIN:  # would fit after this line: bind it to the word after it
            last += 1
            if last > following.last or (last == following.last and following.last_cut):
                return False
            head = _set(items[last], index == 0)
            width += head.space + head.width
        if last > first:  # tied with no-break spaces, in one piece of text (see _after_first)
            if any(items[k].glued or items[k].breakable for k in range(first, last + 1)):
                return False
            marks += [(items[k].end, items[k + 1].start, "tie", None) for k in range(first, last)]
        elif items[first].breakable:
            marks.append((items[first].start, items[first].end, "nb", None))
    for start, end, kind, soft in sorted(marks, reverse=True):  # from the end: earlier offsets stay
        if kind == "tie":
            if not _tie(block, start, end):
                return False
        elif kind.startswith("ws:"):
            wrap_chars(block, start, end, {"class": "ws nh", "style": f"word-spacing: {kind[3:]}px"})
        else:
            wrap_chars(block, start, end, {"class": kind}, soft)
    return True


def _same_text(block: Any, lines: list[breaks.LineInfo]) -> bool:
    """Whether the block's own text is the text of its lines (letters and digits)."""
    source = "".join(getattr(node, attr) or "" for node, attr in _segments(block))
    return _key(source) == _key("".join(line.text[:-1] if line.hyphen == "soft" else line.text for line in lines))


def _after_first(items: list[Token], line: Line) -> tuple[int, int]:
    """Where a span over a line's words starts (and its token): at its second word. WeasyPrint sets a box that opens
    a line wrongly when its first word did not fit at the end of the line before (it ends the new
    line after that word), so no span the lab makes opens a line."""
    k = line.first + 1
    while k < line.last and items[k].glued:
        k += 1
    return items[k].start, k


def _tie(block: Any, start: int, end: int) -> bool:
    """Replace the space ``start`` to ``end`` of the block's text with one no-break space; False
    if it cannot be placed where WeasyPrint keeps it.

    WeasyPrint breaks a line wrongly at a no-break space that is the last character before an
    element opens (it sets the line after the first word before it), but keeps the words together
    when the space opens the element's text, or follows an element that closes: so a space that
    ends a text right before an element opens is moved to the start of that element's text."""
    places = _segments(block)
    at, put, ends_at = 0, False, -1
    for index, (node, attr) in enumerate(places):
        value = getattr(node, attr) or ""
        base = at
        at += len(value)
        lo, hi = max(start, base) - base, min(end, at) - base
        if lo >= hi:
            continue
        setattr(node, attr, value[:lo] + ("" if put else "\u00a0") + value[hi:])
        if not put and hi == len(value):
            ends_at = index
        put = True
    if ends_at < 0 or ends_at + 1 >= len(places):
        return True
    node, attr = places[ends_at]
    value = getattr(node, attr) or ""
    if not value.endswith("\u00a0"):  # (the space went on in the next place: it ends that one's)
        return True
    after, kind = places[ends_at + 1]
    if kind == "tail":  # an element closes after it: kept
        return True
    opened = getattr(after, "text", None) or ""
    if not opened or _SPACES.match(opened):
        return False
    setattr(node, attr, value[:-1])
    after.text = "\u00a0" + opened
    return True


def _planned_text(block: Any, items: list[Token], lines: list[Line]) -> list[str]:
    joined = "".join(getattr(node, attr) or "" for node, attr in _segments(block))
    out = []
    for line in lines:
        start = items[line.first].start + line.first_cut
        end = items[line.last].start + line.last_cut if line.last_cut else items[line.last].end
        out.append(_key(joined[start:end]))
    return out


def refit(lab: Lab, lines: list[breaks.LineInfo], natural: Callable[[breaks.LineInfo], float]) -> set[int]:
    """Break each of the lab's paragraphs with a loose line by total fit where that sets it with
    fewer loose lines; the ids of the clones so marked (each checked in one more scratch layout to
    be set exactly as planned)."""
    from compiler.pdf.lab import loose

    document = getattr(lab, "document", None)
    if document is None:
        return set()
    by_block: dict[int, list[breaks.LineInfo]] = {}
    for line in lines:
        by_block.setdefault(id(line.block), []).append(line)
    candidates = {i: c for i, c in lab.clones.items()
                  if any(loose(line, natural(line)) for line in by_block.get(id(c), []))}
    if not candidates:
        return set()
    if any(id(c) not in lab.shown for c in candidates.values()):  # the styles of their text, as marked
        lines = lab.lines(only=list(candidates.values()))
        document = lab.document
        by_block = {}
        for line in lines:
            by_block.setdefault(id(line.block), []).append(line)
    styles = words.text_styles(document, candidates)
    jobs: dict[int, _Job] = {}
    for ident, clone in candidates.items():
        own = by_block.get(id(clone), [])
        found = styles.get(ident)
        if not own or found is None or len(found[1]) != len(own) or not _same_text(clone, own):
            continue
        element_styles, edges = found
        items = words.tokens(clone, element_styles)
        if not items:
            continue
        now = (sum(loose(line, natural(line)) and not _tracking(line, len(line.text), natural(line))
                   for line in own), sum(loose(line, natural(line)) for line in own))
        jobs[id(clone)] = _Job(clone, element_styles, items, (edges[0][1], max(m for _x, m in edges)),
                               natural(own[0]), own[0].size, now, list(clone.iter()))
    kept: set[int] = set()
    for _attempt in range(1 + RETRIES):  # a plan WeasyPrint did not set: planned again without that line
        saved: dict[int, tuple[Any, list[Any], list[str]]] = {}
        plans: dict[int, list[Line]] = {}
        for key, job in jobs.items():
            planned = plan(job.items, job.measures, job.natural, job.size, frozenset(job.forbidden))
            if planned is None or loose_lines(planned, job.items, job.measures, job.natural, job.size) >= job.now:
                continue
            clone = job.block
            before = (clone.text, [copy.deepcopy(child) for child in clone], _planned_text(clone, job.items, planned))
            if _encode(clone, job.items, planned, job.measures):
                saved[key], plans[key] = before, planned
            else:
                clone.text, clone[:] = before[0], before[1]
        misses: dict[int, int] = {}
        kept |= check(lab, saved, lambda line: _key(line.text[:-1] if line.hyphen == "soft" else line.text), misses)
        jobs = {key: jobs[key] for key in misses}
        for key, index in misses.items():
            miss = plans[key][min(index, len(plans[key]) - 1)]
            job = jobs[key]
            job.forbidden.add((miss.first, miss.first_cut, miss.last, miss.last_cut))
            # the clone's elements were put back as copies: their styles, by the copies' ids
            elements = list(job.block.iter())
            job.styles = {**{k: v for k, v in job.styles.items() if k < 0},
                          **{id(new): job.styles[id(old)] for old, new in zip(job.elements, elements)
                             if id(old) in job.styles}}
            job.elements = elements
        if not jobs:
            break
    return kept


@dataclass
class _Job:
    """A paragraph to refit: its clone, the styles and tokens of its text, its measures (the first
    line's, the others'), its natural word space and size (px), its loose lines now (tracked,
    untracked), its elements and the lines its plans may not hold."""

    block: Any
    styles: dict[int, Any]
    items: list[Token]
    measures: tuple[float, float]
    natural: float
    size: float
    now: tuple[int, int]
    elements: list[Any]  # the clone's elements (the keys of ``styles``), in order
    forbidden: set[tuple[int, int, int, int]] = dataclasses.field(default_factory=set)
