"""Line-break rules a greedy line breaker cannot keep, enforced after layout.

WeasyPrint breaks each line as it comes. After a document (the book, or one
part of it) is laid out, :func:`offences` reads its line boxes and finds:

- a hyphenated line that is the last of its page while its paragraph goes on
  over the page turn;
- a hyphenated line followed by its paragraph's last line (no hyphen on a
  paragraph's last line, so no fragment such as "tions." ends a paragraph);
- a third hyphenated line in a row;
- a hyphenation break inside a capitalised word, or leaving fewer than 3
  letters on a side (kept out before layout; checked again here);
- a paragraph's last line of one word shorter than 8 characters (a runt);
- a hyphenated line that ends short of the measure (the hyphen saved nothing).

:func:`mark` then changes the parsed document: the broken word is set in
``<span class="nh">`` (``hyphens: manual``; a word's own hyphen: ``.nb``,
``white-space: nowrap``), only where it broke the rule when the text holds
the word as often as the lines do (the others may still break), and a
runt's last space becomes a no-break space.
:func:`enforce` does not mark and lay out the whole document again and again
to see what each mark brings (a mark may move a hyphen to the next line): the
offending paragraphs are marked and tried in the paragraph lab
(:mod:`compiler.pdf.lab`), a scratch document of those paragraphs alone,
until they keep the rules, and the document is laid out once more; a hyphen
that a page turn now splits is mended the same way before a third layout, at
most :data:`ROUNDS` layouts in all. Before the lab, a part of the 130-post
synthetic blog was laid out 4 to 6 times; with the lab mending the rules
only, 2 or 3; with the loose lines' spacing too (which moves some page
breaks, so a page-turn hyphen may need one more), 2 to 4 (2026-11-30,
``COMPILER_TRACE=time python -m compiler book.yaml --no-cache`` prints the
layouts of each part). Only the print layout changes: the model, the HTML the
cache keys on and the EPUB stay as they were, and the rules always give the
same result for the same HTML (the bytes stay reproducible).
"""

from __future__ import annotations

import gc
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

ROUNDS = 4  # full layouts at most, the first included (2 as a rule with the lab, 3 after a page-turn hyphen)
RUNT = 8
#: A loose line: a full line whose word space is over this many natural ones. The typography
#: audit's limit is 2 (compiler/typo_audit.py); the lab (compiler/pdf/lab.py, fit.py, track.py)
#: works to a little less, as the audit measures the natural space from the PDF's word boxes.
LOOSE = 1.95
SHORT = 3
HARD = "-"
_WORDS = re.compile(r"\S+")
_SPACE = re.compile(r"[ \t\n\r]")


@dataclass
class LineInfo:
    """One line box of the body: its page, its paragraph (block element), its text and how it ends."""

    page: int
    block: Any  # the block element (an ElementTree element)
    text: str
    end: Any  # the element whose text ends the line
    hyphen: str  # "soft", "hard" or ""
    justified: bool
    short: bool = False  # ends short of the measure: a paragraph's last line, or one before a <br>
    gap: float = 0.0  # a justified line's word space (its font's, and what justification adds), in px
    space: float = 0.0  # the word space of the line's font unstretched, in px
    spacing: tuple[float, float] = (0.0, 0.0)  # the block's own letter and word spacing, in px
    size: float = 0.0  # the block's font size, in px
    natural: float = 0.0  # the running text's word space at that size, in px (what a loose line's is measured by)
    own_style: bool = False  # a first line set in a style of its own (``::first-line``)


def _lines(box: Any, page: int, block: Any, out: list[LineInfo], container: Any = None) -> None:
    from weasyprint.formatting_structure import boxes

    if isinstance(box, boxes.MarginBox) or getattr(box, "is_outside_marker", False):  # (a list item's bullet)
        return
    if isinstance(box, boxes.LineBox):
        texts = [t for t in _text_boxes(box)]
        if not texts:
            return
        text = "".join(t.text for t in texts)
        last = texts[-1]
        style = last.style
        hyphen = ""
        if style["hyphens"] != "none" and last.text.endswith(style["hyphenate_character"]):
            hyphen = "soft"
        elif len(text) > 1 and text.endswith(HARD) and text[-2].isalnum():  # "-" may be a box of its own
            hyphen = "hard"
        justified = box.style["text_align_all"] == "justify"
        end = max(t.position_x + t.width for t in texts)
        right = container.content_box_x() + container.width if container is not None else end
        short = right - end > 1.0
        own = len(box.children) == 1 and isinstance(box.children[0], boxes.LineBox)  # WeasyPrint's ::first-line
        styled = box.children[0] if own else box
        space = _space(styled.style)
        stretch = max((t.justification_spacing for t in texts), default=0.0) if justified and not short else 0.0
        letters = styled.style["letter_spacing"]
        spacing = (0.0 if letters == "normal" else float(letters), float(styled.style["word_spacing"]))
        out.append(LineInfo(page, block, text, last.element, hyphen, justified, short, space + stretch, space, spacing,
                            float(box.style["font_size"]), own_style=own))
        return
    element = getattr(box, "element", None)
    if isinstance(box, boxes.BlockContainerBox):
        container = box
        if element is not None:
            block = element
    for child in getattr(box, "children", ()) or ():
        _lines(child, page, block, out, container)


_SPACES: dict[tuple[Any, ...], float] = {}


def _space(style: Any) -> float:
    """The width of a word space in ``style`` (its font, size, letter and word spacing), in px."""
    key = (tuple(style["font_family"]), style["font_size"], style["font_style"], style["font_weight"],
           style["font_stretch"], style["font_variant_caps"], style["letter_spacing"], style["word_spacing"],
           id(style.font_config))
    if key not in _SPACES:
        from weasyprint.text.line_break import create_layout, line_size

        def width(text: str) -> float:
            layout = create_layout(text, style, None, None, 0)
            found = line_size(layout.get_first_line()[0], style)[0]
            layout.deactivate()
            return float(found)
        _SPACES[key] = width("n n") - width("nn")
    return _SPACES[key]


def _text_boxes(box: Any) -> Iterator[Any]:
    from weasyprint.formatting_structure import boxes

    for child in box.children:
        if isinstance(child, boxes.TextBox):
            yield child
        elif isinstance(child, (boxes.InlineBox, boxes.LineBox)):  # a line WeasyPrint set in a line of its own
            yield from _text_boxes(child)


def lines(document: Any) -> list[LineInfo]:
    """Every line box of the document's pages (page margins left out), in order, each with its
    natural word space: the root element's (the running text's roman face), at the line's size."""
    import dataclasses

    out: list[LineInfo] = []
    for number, page in enumerate(document.pages):
        _lines(page._page_box, number, None, out)
    root = next((page._page_box.children[0] for page in document.pages if page._page_box.children), None)
    if root is None or not out:
        return out
    share = _space(root.style) / float(root.style["font_size"])
    return [dataclasses.replace(line, natural=share * line.size) for line in out]


@dataclass(frozen=True)
class Offence:
    """A rule broken at one line: ``nohyphen`` (a word to keep whole) or ``tie`` (a runt)."""

    kind: str
    block: Any
    word: str
    where: str  # for a reader: the line's text
    nth: int = -1  # which of the word's occurrences in the block breaks the rule (-1: every one)
    of: int = 0  # of how many, as laid out (marked alone only where the source holds as many)


def _letters(text: str) -> str:
    return "".join(c for c in text if c.isalnum())


def _broken_word(line: LineInfo, after: LineInfo) -> str:
    """The whole word a hyphenated line breaks, as the source writes it."""
    head = (_WORDS.findall(line.text) or [""])[-1]
    tail = (_WORDS.findall(after.text) or [""])[0]
    if line.hyphen == "soft":
        head = head[:-1]
    word = head + tail
    return re.sub(r"^[^\w]+|[^\w]+$", "", word)


def _laid(lines: list[LineInfo]) -> tuple[str, list[int]]:
    """A block's text as laid out in ``lines`` (each hyphenated word joined again, no soft hyphen),
    and where each line ends in it."""
    text, ends = "", []
    for line in lines:
        piece = line.text.replace("\u200b", "").replace("\u00ad", "")
        text += piece[:-1] if line.hyphen == "soft" else piece
        ends.append(len(text))
        text += "" if line.hyphen else " "
    return text, ends


def _pattern(word: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w-]){re.escape(word)}(?![\w])")


def _which(laid: tuple[str, list[int]], place: int, word: str) -> tuple[int, int]:
    """Which occurrence of ``word`` in the block's laid text runs over the end of its line
    ``place``, and of how many."""
    text, ends = laid
    starts = [m.start() for m in _pattern(word.replace("\u00ad", "")).finditer(text)]
    return sum(start < ends[place] for start in starts) - 1, len(starts)


def offences(found: list[LineInfo], pages: bool = True, turns: set[tuple[int, int]] | None = None) -> list[Offence]:
    """The rules the laid-out lines break (see the module's docstring). With ``pages`` false (the
    paragraph lab, whose pages are not the book's), a line is the last of its page when its block's
    id and its place in the block are in ``turns``."""
    out: list[Offence] = []
    last_of: dict[int, int] = {}
    for i, line in enumerate(found):
        last_of[id(line.block)] = i
    last_on_page = {line.page: i for i, line in enumerate(found)}
    place: dict[int, int] = {}
    turned = set()
    index: list[int] = []  # each line's place in its block
    for i, line in enumerate(found):
        place[id(line.block)] = place.get(id(line.block), -1) + 1
        index.append(place[id(line.block)])
        if pages and last_on_page[line.page] == i or not pages and (id(line.block), place[id(line.block)]) in (turns or ()):
            turned.add(i)
    by_block: dict[int, list[LineInfo]] = {}
    for line in found:
        by_block.setdefault(id(line.block), []).append(line)
    laid = {key: _laid(lines) for key, lines in by_block.items()}
    run = 0
    for i, line in enumerate(found):
        after = found[i + 1] if i + 1 < len(found) else None
        run = run + 1 if line.hyphen else 0
        if line.hyphen and after is not None and after.block is line.block:
            word = _broken_word(line, after)
            head = _letters((_WORDS.findall(line.text) or [""])[-1])
            tail = _letters(re.split(r"[^\w]", (_WORDS.findall(after.text) or [""])[0], maxsplit=1)[0])
            reasons = [
                i in turned,  # across a page turn
                last_of[id(line.block)] == i + 1 or after.short,  # into a paragraph's (or <br>'s) last line
                run > 2,  # a third in a row
                line.short,  # a hyphen on a line that ends short of the measure saves no space
                line.hyphen == "soft" and (word[:1].isupper() or len(head) < SHORT or len(tail) < SHORT),
            ]
            if any(reasons) and word:
                nth, of = _which(laid[id(line.block)], index[i], word)
                out.append(Offence("nohyphen" if line.hyphen == "soft" else "nobreak", line.block, word, line.text,
                                   nth, of))
                if run > 2 and line.hyphen == "hard" and found[i - 1].hyphen == "soft" \
                        and found[i - 1].block is line.block:  # the stack's own break is the surer one to undo
                    stacked = _broken_word(found[i - 1], line)
                    out.append(Offence("nohyphen", line.block, stacked, found[i - 1].text,
                                       *_which(laid[id(line.block)], index[i - 1], stacked)))
                run = 0
        before = found[i - 1] if i else None
        if (last_of[id(line.block)] == i or line.short) and before is not None and before.block is line.block \
                and line.justified and not before.short and not line.hyphen:
            words = _WORDS.findall(line.text)
            if len(words) == 1 and len(words[0]) < RUNT and not before.hyphen:
                previous = (_WORDS.findall(before.text) or [""])[-1]
                out.append(Offence("tie", line.block, f"{previous} {words[0]}", line.text))
    return out


def _pieces(text: str, pattern: re.Pattern[str]) -> list[str]:
    """``text`` split into non-matching and matching pieces, alternately (first and last non-matching)."""
    out, at = [], 0
    for match in pattern.finditer(text):
        out += [text[at:match.start()], match.group(0)]
        at = match.end()
    return out + [text[at:]]


def wrap(element: Any, pattern: re.Pattern[str], cls: str) -> int:
    """Set every match of ``pattern`` in ``element``'s text (not in code, nor already wrapped) in a
    ``<span class=cls>``; the number wrapped."""
    if element.tag == "span" and element.get("class") == "nh" and cls == "nb" and not len(element) \
            and pattern.fullmatch(element.text or ""):  # a name with a hyphen of its own: kept whole too
        element.set("class", "nh nb")
        return 1
    if not isinstance(element.tag, str) or element.tag in ("code", "pre") or (
            element.tag == "span" and element.get("class") in ("nh", "nb", "nh nb")):
        return 0  # (a comment, code, a span already marked)
    count = 0
    children = list(element)
    if element.text:
        pieces = _pieces(element.text, pattern)
        if len(pieces) > 1:
            element.text = pieces[0]
            for k in range(1, len(pieces), 2):
                span = element.makeelement("span", {"class": cls})
                span.text, span.tail = pieces[k], pieces[k + 1]
                element.insert(k // 2, span)
                count += 1
    for child in children:
        count += wrap(child, pattern, cls)
        if child.tail:
            pieces = _pieces(child.tail, pattern)
            if len(pieces) > 1:
                child.tail = pieces[0]
                at = list(element).index(child) + 1
                for k in range(1, len(pieces), 2):
                    span = element.makeelement("span", {"class": cls})
                    span.text, span.tail = pieces[k], pieces[k + 1]
                    element.insert(at + k // 2, span)
                    count += 1
    return count


def segments(block: Any) -> list[tuple[Any, str]]:
    """The (node, "text" or "tail") places of ``block``'s text, in reading order."""
    out: list[tuple[Any, str]] = []

    def walk(element: Any) -> None:
        if isinstance(element.tag, str):  # (a comment's text is none of the block's)
            out.append((element, "text"))
        for child in element:
            walk(child)
            out.append((child, "tail"))
    walk(block)
    return out


def _tie(element: Any) -> bool:
    """Turn the last space of ``element``'s text into a no-break space."""
    nodes = segments(element)
    seen_word = False
    for node, attr in reversed(nodes):
        text = getattr(node, attr) or ""
        for pos in range(len(text) - 1, -1, -1):
            if _SPACE.match(text[pos]):
                if seen_word:
                    setattr(node, attr, text[:pos] + "\u00a0" + text[pos + 1:])
                    return True
            else:
                seen_word = True
    return False


def _unsoften(block: Any, word: str) -> bool:
    """Take the soft hyphens out of ``word`` where the block's text holds it with one (a break the
    paragraph lab planned, compiler/pdf/fit.py); whether it did."""
    done, word = False, word.replace("\u00ad", "")
    for node in block.iter():
        for attr in ("text", "tail"):
            text = getattr(node, attr) or ""
            if "\u00ad" in text and word in text.replace("\u00ad", ""):
                setattr(node, attr, text.replace("\u00ad", ""))
                done = True
    return done


def mark(found: list[Offence]) -> int:
    """Change the parsed document so that each offence cannot happen again; the changes made."""
    changes = 0
    for offence in found:
        if offence.kind == "nohyphen" and _unsoften(offence.block, offence.word):
            changes += 1
            continue
        if offence.kind == "tie":  # the runt's word and the one before it, kept on one line
            first, last = offence.word.split(" ")
            pattern = re.compile(rf"(?<![\w-]){re.escape(first)}\s+{re.escape(last)}(?![\w])")
            changes += wrap(offence.block, pattern, "nb") > 0 or _tie(offence.block)
            continue
        word = offence.word.replace("\u00ad", "")  # a break the lab planned, in a word set back without it
        cls = "nh" if offence.kind == "nohyphen" else "nb"
        from compiler.pdf.track import wrap_nth

        done = wrap_nth(offence.block, _pattern(word), cls, offence.nth, offence.of)
        changes += done if done >= 0 else wrap(offence.block, _pattern(word), cls) > 0
    return changes


def enforce(render: Callable[[], Any], refresh: Callable[[], None], root: Any = None,
            lab: Callable[[Any], Any] | None = None) -> tuple[Any, list[Offence]]:
    """Lay out with ``render`` until no rule is broken (at most :data:`ROUNDS` layouts), calling
    ``refresh`` after each change of the parsed document; the last layout and what it still breaks.
    With ``root`` (the parsed tree) and ``lab`` (a tree in, its layout out), the offending
    paragraphs are mended in the paragraph lab (:mod:`compiler.pdf.lab`) between two full
    layouts; without, the offences of each layout are marked as they are."""
    from compiler.pdf import lab as labs

    document = render()
    left: list[Offence] = []
    scratch = 0  # the lab's layouts
    memory = labs.Memory()
    for round_ in range(ROUNDS - 1):
        found = lines(document)
        left = offences(found)
        if lab is not None and root is not None and (left or not round_):
            # the lab's scratch layouts are freed as it goes (a part is laid out with the cycle
            # collector paused): what is there now is frozen, so that each collection scans only them
            gc.freeze()
            try:
                changed, done = labs.mend(root, found, left, lab, spacing=not round_, memory=memory)
            finally:
                gc.unfreeze()
            scratch += done.layouts
        else:
            changed = mark(left) if left else 0
        if not changed:
            break
        refresh()
        found, document = [], None  # the last layout and the lab's are garbage now: free them (a part
        gc.collect()  # is laid out with the cycle collector paused) before the next layout is made
        document = render()
    else:
        left = offences(lines(document))
    document.lab_layouts = scratch
    return document, left
