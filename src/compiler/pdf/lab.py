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
document laid out again, only it, until no paragraph breaks a rule that does
not depend on the pages (a hyphen across a page turn is marked from the real
layout, and looked for again in the next one), at most :data:`ROUNDS` times;
the marked paragraphs' content is then moved into the real tree, and the
whole document is laid out once more. The choices depend only on the HTML,
so the bytes stay reproducible.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from compiler.pdf import breaks

ROUNDS = 8  # scratch layouts at most, the check included
HIDDEN = "display: none !important"


@dataclass
class Lab:
    """One scratch document: the copies of the real paragraphs (``clones``, by the id of the real
    element), laid out with ``render`` (a tree in, a WeasyPrint document out)."""

    root: Any
    clones: dict[int, Any]
    render: Callable[[Any], Any]
    layouts: int = 0
    unlike: list[Any] = field(default_factory=list)  # real paragraphs the lab does not set alike

    def lines(self) -> list[breaks.LineInfo]:
        self.layouts += 1
        return breaks.lines(self.render(self.root))


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


def mend(root: Any, found: list[breaks.LineInfo], left: list[breaks.Offence],
         render: Callable[[Any], Any]) -> tuple[int, Lab]:
    """Mark the paragraphs of the real tree ``root`` so that the offences ``left`` (found in the
    real layout's lines ``found``) and those the marks would bring cannot happen; the changes made."""
    targets = list({id(o.block): o.block for o in left}.values())
    lab, lines = open_lab(root, found, targets, render)
    changes = breaks.mark([o for o in left if id(o.block) not in lab.clones])  # set unlike: marked as before
    mine = {id(c) for c in lab.clones.values()}
    changed: set[int] = set()
    pending: set[int] = set()  # marked since the lab's last layout
    todo = [breaks.Offence(o.kind, lab.clones[id(o.block)], o.word, o.where) for o in left if id(o.block) in lab.clones]
    while todo:
        pending = {id(o.block) for o in todo if breaks.mark([o])}
        changed |= pending
        if not pending or lab.layouts >= ROUNDS:
            break
        lines = lab.lines()
        pending = set()
        todo = [o for o in breaks.offences(lines, pages=False) if id(o.block) in mine]
    real, there = _by_block(found), _by_block(lines)
    for target in targets:
        clone = lab.clones.get(id(target))
        if clone is None or id(clone) not in changed:
            continue
        target.text = clone.text
        target[:] = list(clone)
        # a paragraph the marks do not set otherwise needs no new layout
        changes += id(clone) in pending or real.get(id(target)) != there.get(id(clone))
    return changes, lab
