"""The paragraph lab: line-break rules mended on a few paragraphs, not on the whole document.

How a paragraph breaks into lines inside a fixed measure does not depend on
where it stands on the page. So after a full layout, :func:`mend` copies the
paragraphs (block elements) that break a rule of :mod:`compiler.pdf.breaks`
into one small scratch document: a copy of the tree in which every other
element is emptied and hidden (``display: none``) but kept, so that each
paragraph keeps its ancestors (classes, indents, widths, inherited styles)
and its siblings for selectors such as ``h2 + p``. The scratch document is
laid out with the same stylesheets and fonts, and each paragraph is first
checked to break into the very lines it broke into in the real layout; one
that does not (a float beside it, a footnote number of another width) is
marked from the real layout's offences instead, as a full round would.

Then the marks (:func:`compiler.pdf.breaks.mark`) are made and the scratch
document laid out again, only it, until no paragraph breaks a rule, at most
:data:`ROUNDS` times. A hyphen across a page turn is looked for at the place
in the paragraph where the real layout turned the page (the same place, as
long as the lines before it stay as they were); the next full layout checks.

After the first full layout, the paragraphs with a **loose line** (a full
line whose word space is over :data:`compiler.pdf.breaks.LOOSE` natural ones;
the typography audit's limit is twice) are mended too, and so, in the later
rounds, are the paragraphs the marks set anew. Each is first broken by total
fit (:mod:`compiler.pdf.fit`), which sets most of them with no loose line.
One that total fit does not set with fewer is tried with the small letter
and word spacings of :data:`SPACINGS` (all such paragraphs in one scratch
layout a spacing) and keeps the first spacing that sets it with the fewest
loose lines, breaking no rule, with the fewest hyphens and, if it can, in as
many lines (so that the pages stay as they were); half a hundredth of an em
of tracking does not show as uneven colour, it moves a break. A line still
loose then has its letters spaced a little (:mod:`compiler.pdf.track`). On
the shipped book (2026-11-30, ``make typo``) the loose lines went from 10.2%
of body lines (greedy) to 4.4% with the spacings alone and to 0.8% with total
fit and tracking at A4 (Letter 5.1% to 0.8%, 6 x 9 in 3.6% to 0.9%); the
rest are paragraphs that no break, spacing or tracking within the limits
mends (a name that may not break after a short line, a list item's long
lead) or that WeasyPrint does not set as planned. A paragraph that a later
round marks again is set from its content before the lab (:class:`Memory`).

The marked and spaced paragraphs' content is then moved into the real tree,
and the whole document is laid out once more. The choices depend only on the
HTML, so the bytes stay reproducible.
"""

from __future__ import annotations

import copy
import dataclasses
import gc
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

from compiler.pdf import breaks, fit, track

ROUNDS = 8  # scratch layouts at most, the check included
LOOSE = breaks.LOOSE
#: (letter, word) spacings tried on a paragraph with a loose line, in em, in this order
SPACINGS = ((-0.005, 0.0), (0.005, 0.0), (-0.01, 0.0), (-0.01, -0.02))
HIDDEN = "display: none !important"


@dataclass
class Memory:
    """What the lab remembers across the rounds of one :func:`compiler.pdf.breaks.enforce`: each
    real paragraph's content before the lab first set it (by the id of the element: its text, a copy
    of its children, its style) and the marks made on it since. A later round that marks a paragraph
    anew puts that content back with all its marks and plans it again, so that the ties of the first
    plan do not hold the new lines short."""

    before: dict[int, tuple[str | None, list[Any], str | None]] = field(default_factory=dict)
    marked: dict[int, list[breaks.Offence]] = field(default_factory=dict)  # (their block left out)

    def note(self, target: Any, offence: breaks.Offence) -> None:
        """Remember that ``offence`` was marked on the real paragraph ``target``."""
        word = offence.word.replace("\u00ad", "")  # as the source writes it: the lab's own breaks go
        self.marked.setdefault(id(target), []).append(dataclasses.replace(offence, block=None, word=word))

    def keep(self, target: Any) -> None:
        """Remember ``target``'s content as it is, unless the lab set it before."""
        if id(target) not in self.before:
            self.before[id(target)] = (target.text, [copy.deepcopy(c) for c in target], target.get("style"))

    def restore(self, target: Any, clone: Any) -> bool:
        """Give ``clone`` the content ``target`` had before the lab set it, with the marks made since;
        whether the lab had set it."""
        if id(target) not in self.before:
            return False
        text, children, style = self.before[id(target)]
        clone.text = text
        clone[:] = [copy.deepcopy(c) for c in children]
        if style is None:
            clone.attrib.pop("style", None)
        else:
            clone.set("style", style)
        breaks.mark([dataclasses.replace(offence, block=clone) for offence in self.marked.get(id(target), [])])
        return True


@dataclass
class Lab:
    """One scratch document: the copies of the real paragraphs (``clones``, by the id of the real
    element), laid out with ``render`` (a tree in, a WeasyPrint document out)."""

    root: Any
    clones: dict[int, Any]
    render: Callable[[Any], Any]
    layouts: int = 0
    unlike: list[Any] = field(default_factory=list)  # real paragraphs the lab does not set alike
    latest: dict[int, list[breaks.LineInfo]] = field(default_factory=dict)  # each clone's lines, by its id
    document: Any = None  # the last scratch layout
    shown: set[int] = field(default_factory=set)  # the clones (by id) it laid out

    def lines(self, only: Collection[Any] | None = None) -> list[breaks.LineInfo]:
        """Lay out the scratch document, only the clones in ``only`` if given (the others hidden: they
        keep the lines they had); every clone's lines, in order."""
        hidden = []
        if only is not None:
            showing = {id(c) for c in only}
            hidden = [(c, c.get("style")) for c in self.clones.values() if id(c) not in showing]
            for clone, _style in hidden:
                clone.set("style", HIDDEN)
        try:
            self.document = None  # the last scratch layout's (free it before the next is made: see
            if not gc.isenabled():  # compiler.pdf.breaks.enforce, which froze what was there before)
                gc.collect()
            self.document = self.render(self.root)
            found = breaks.lines(self.document)
        finally:
            for clone, style in hidden:
                if style is None:
                    clone.attrib.pop("style", None)
                else:
                    clone.set("style", style)
        self.layouts += 1
        laid = {id(c) for c in (only if only is not None else self.clones.values())}
        self.shown = laid
        for ident in laid:
            self.latest[ident] = []
        for line in found:
            if id(line.block) in laid:
                self.latest[id(line.block)].append(line)
        return self.current()

    def current(self) -> list[breaks.LineInfo]:
        """Every clone's lines as last laid out, in order (no layout)."""
        return [line for c in self.clones.values() for line in self.latest.get(id(c), [])]


def scratch(root: Any, targets: list[Any]) -> tuple[Any, dict[int, Any]]:
    """A copy of ``root`` that keeps ``targets`` whole, their ancestors and (emptied, hidden) the
    ancestors' other children; and each target's copy, by the id of the target."""
    tree = copy.deepcopy(root)
    pairs = dict(zip((id(e) for e in root.iter()), tree.iter()))
    clones = {id(t): pairs[id(t)] for t in targets}
    parents = {id(child): parent for parent in tree.iter() for child in parent}
    kept: set[int] = set()
    for clone in clones.values():
        node = clone
        while id(node) in parents:
            node = parents[id(node)]
            kept.add(id(node))
    wanted = {id(c) for c in clones.values()}

    def prune(element: Any) -> None:
        element.text = None
        for child in element:
            child.tail = None
            if id(child) in wanted or child.tag == "head":
                continue
            if id(child) in kept:
                prune(child)
                continue
            child.text = None
            for grandchild in list(child):
                child.remove(grandchild)
            child.set("style", HIDDEN)
    prune(tree)
    return tree, clones


def _turns(found: list[breaks.LineInfo]) -> set[tuple[int, int]]:
    """(id of the block, place of the line in it) of each line that ends a page while its block goes
    on: the same place will end the page when the marks leave the lines before it as they were."""
    place: dict[int, int] = {}
    out = set()
    for i, line in enumerate(found):
        place[id(line.block)] = place.get(id(line.block), -1) + 1
        after = found[i + 1] if i + 1 < len(found) else None
        if after is not None and after.page != line.page and after.block is line.block:
            out.add((id(line.block), place[id(line.block)]))
    return out


def _by_block(found: list[breaks.LineInfo]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for line in found:
        out.setdefault(id(line.block), []).append(line.text)
    return out


def open_lab(root: Any, found: list[breaks.LineInfo], targets: list[Any],
             render: Callable[[Any], Any]) -> tuple[Lab, list[breaks.LineInfo]]:
    """A lab for ``targets`` (real block elements), and its first layout's lines; the targets
    whose lines there differ from their lines in the real layout ``found`` are in ``lab.unlike``
    (and left out of ``lab.clones``)."""
    tree, clones = scratch(root, targets)
    lab = Lab(tree, clones, render)
    first = lab.lines()
    real, there = _by_block(found), _by_block(first)
    for target in targets:
        if real.get(id(target)) != there.get(id(clones[id(target)])):
            lab.unlike.append(target)
            del lab.clones[id(target)]
    return lab, first


def loose(line: breaks.LineInfo, natural: float) -> bool:
    """A full line whose word space is over twice the natural one (the typography audit's rule)."""
    return line.gap > LOOSE * natural > 0


def _loose_blocks(found: list[breaks.LineInfo]) -> tuple[list[Any], dict[int, float], dict[int, tuple[float, float]]]:
    """The blocks with a loose line; each block's natural word space (the running text's at the
    block's size, as the typography audit measures an italic or letterspaced line's spaces against
    the roman text's: the root element's, so that a part and the whole book set a paragraph alike)
    and its own letter and word spacing (its lines')."""
    natural = {id(line.block): line.natural or line.space for line in found if line.space}
    spacing = {id(line.block): line.spacing for line in found}
    blocks = {id(line.block): line.block for line in found if loose(line, natural.get(id(line.block), 0.0))}
    return list(blocks.values()), natural, spacing


def mend(root: Any, found: list[breaks.LineInfo], left: list[breaks.Offence],
         render: Callable[[Any], Any], spacing: bool = False, memory: Memory | None = None) -> tuple[int, Lab]:
    """Mark the paragraphs of the real tree ``root`` so that the offences ``left`` (found in the
    real layout's lines ``found``) and those the marks would bring cannot happen; then mend the
    loose lines of the paragraphs in the lab (with ``spacing``, of every paragraph with a loose
    line): break them by total fit (:mod:`compiler.pdf.fit`), else give them the spacing that
    sets them with the fewest (:func:`respace`), then track the lines still loose
    (:mod:`compiler.pdf.track`). With ``memory`` (kept across the rounds), a paragraph the lab set
    in an earlier round is set again from its content before (:class:`Memory`). The changes made."""
    memory = memory if memory is not None else Memory()
    targets = list({id(o.block): o.block for o in left}.values())
    blocks, natural, own = _loose_blocks(found)
    if spacing:
        targets += [b for b in blocks if all(b is not t for t in targets)]
    if not targets:
        return 0, Lab(root, {}, render)
    lab, lines = open_lab(root, found, targets, render)
    unlike = [o for o in left if id(o.block) not in lab.clones]
    changes = breaks.mark(unlike)  # set unlike: marked as before
    for offence in unlike:
        memory.note(offence.block, offence)
    mine = {id(c) for c in lab.clones.values()}
    owner = {id(lab.clones[id(t)]): t for t in targets if id(t) in lab.clones}
    changed: set[int] = {i for i, t in owner.items() if memory.restore(t, lab.clones[id(t)])}
    turns = {(id(lab.clones[block]), index) for block, index in _turns(found) if block in lab.clones}
    pending: set[int] = set(changed)  # marked (or set back) since the lab's last layout
    todo = [dataclasses.replace(o, block=lab.clones[id(o.block)]) for o in left if id(o.block) in lab.clones]
    while todo:
        for offence in todo:
            if breaks.mark([offence]):
                pending.add(id(offence.block))
                memory.note(owner[id(offence.block)], offence)
        changed |= pending
        if not pending or lab.layouts >= ROUNDS:
            break
        lines = lab.lines(only=[c for c in lab.clones.values() if id(c) in pending])
        pending = set()
        todo = [o for o in breaks.offences(lines, pages=False, turns=turns) if id(o.block) in mine]
    if lab.clones:  # the loose lines of the paragraphs in the lab (all of them, with ``spacing``)
        base = {id(lab.clones[i]): n for i, n in natural.items() if i in lab.clones}
        spaced = {id(lab.clones[i]): n for i, n in own.items() if i in lab.clones}
        if pending:  # marked since their last layout
            lab.lines(only=[c for c in lab.clones.values() if id(c) in pending])
        refitted = fit.refit(lab, lab.current(), lambda line: base.get(id(line.block), 0.0))
        changed |= refitted
        pending = set(refitted)
        respaced: set[int] = set()
        if spacing:  # (the later rounds mend the paragraphs they mark by total fit and tracking only)
            respaced = respace(lab, lab.current(), base, spaced, turns, keep=refitted)
        tracked = track.track(lab, lab.current(), lambda line: base.get(id(line.block), 0.0))
        changed |= respaced | tracked
        pending |= respaced | tracked
        lines = lab.current()
    real, there = _by_block(found), _by_block(lines)
    for target in targets:
        clone = lab.clones.get(id(target))
        if clone is None or id(clone) not in changed:
            continue
        memory.keep(target)
        target.text = clone.text
        target[:] = list(clone)
        if clone.get("style") is not None:
            target.set("style", clone.get("style"))
        # a paragraph the marks do not set otherwise needs no new layout
        changes += id(clone) in pending or real.get(id(target)) != there.get(id(clone))
    return changes, lab


def _score(lines: list[breaks.LineInfo], natural: dict[int, float], turns: set[tuple[int, int]],
           clones: list[Any]) -> dict[int, tuple[int, int, int, int]]:
    """For each clone: (rules it breaks, its loose lines, its lines, its hyphenated lines)."""
    offended: dict[int, int] = {}
    for offence in breaks.offences(lines, pages=False, turns=turns):
        offended[id(offence.block)] = offended.get(id(offence.block), 0) + 1
    out = {id(c): (offended.get(id(c), 0), 0, 0, 0) for c in clones}
    for line in lines:
        if id(line.block) in out:
            rules, looser, count, hyphens = out[id(line.block)]
            out[id(line.block)] = (rules, looser + loose(line, natural.get(id(line.block), 0.0)), count + 1,
                                   hyphens + bool(line.hyphen))
    return out


def respace(lab: Lab, lines: list[breaks.LineInfo], natural: dict[int, float],
            spacing: dict[int, tuple[float, float]], turns: set[tuple[int, int]],
            keep: Collection[int] = ()) -> set[int]:
    """Try each of :data:`SPACINGS` on the lab's paragraphs that still have a loose line, and keep for
    each the first that sets it with the fewest loose lines, breaking no rule, with the fewest
    hyphens and, if it can, in as many lines. The ids of the clones given a spacing."""
    clones = [c for c in lab.clones.values() if id(c) in natural and id(c) not in keep]
    first = _score(lines, natural, turns, clones)
    best = {i: (s[0] > 0, s[1], s[3], 0, -1) for i, s in first.items()}
    count = {i: s[2] for i, s in first.items()}
    trying = [c for c in clones if best[id(c)][1] > 0 and not best[id(c)][0]]
    own = {id(c): (c.get("style"), spacing[id(c)]) for c in trying}
    trying_all = list(trying)
    last_tried: dict[int, int] = {}
    for index, (letters, words) in enumerate(SPACINGS):
        if not trying:
            break
        for clone in trying:
            _spaced(clone, *own[id(clone)], letters, words)
            last_tried[id(clone)] = index
        scores = _score(lab.lines(only=trying), natural, turns, trying)
        for clone in trying:
            rules, looser, lines_now, hyphens = scores[id(clone)]
            candidate = (rules > 0, looser, hyphens, lines_now != count[id(clone)], index)
            if candidate < best[id(clone)]:
                best[id(clone)] = candidate
        trying = [c for c in trying if best[id(c)][1] > 0]
    chosen = set()
    for clone in trying_all:
        _spaced(clone, *own[id(clone)], *(SPACINGS[best[id(clone)][4]] if best[id(clone)][4] >= 0 else (0.0, 0.0)))
        if best[id(clone)][4] >= 0:
            chosen.add(id(clone))
    again = [c for c in trying_all if best[id(c)][4] != last_tried.get(id(c))]
    if again:  # set otherwise than last laid out: their lines as chosen
        lab.lines(only=again)
    return chosen


def _spaced(element: Any, style: str | None, own: tuple[float, float], letters: float, words: float) -> None:
    """Set ``element``'s letter and word spacing ``letters`` and ``words`` em off its ``own`` (px)."""
    if not letters and not words:
        if style is None:
            element.attrib.pop("style", None)
        else:
            element.set("style", style)
        return
    extra = (f"letter-spacing: calc({own[0]:.4f}px + {letters:.3f}em); "
             f"word-spacing: calc({own[1]:.4f}px + {words:.3f}em)")
    element.set("style", f"{style}; {extra}" if style else extra)
