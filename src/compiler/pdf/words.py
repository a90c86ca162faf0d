"""The words of a paragraph as WeasyPrint sets them, for the total-fit line breaker (:mod:`compiler.pdf.fit`).

:func:`tokens` cuts a laid-out paragraph's own text (the tree's, which the
lab may mark) into tokens: the runs between its break opportunities (a
collapsible space outside ``nowrap`` text, and inside a word wherever Pango
may break a line: after a hyphen or a dash, between ``)(``). Each token is
measured with WeasyPrint's own text layout (Pango) in the style it is set in
(:func:`width`, the styles read off the scratch layout's text boxes by
:func:`text_styles`), with the width of the space before it and its
hyphenation points as WeasyPrint would take them (pyphen, the style's
``hyphenate-limit-chars``; none in a capitalised word, a name kept whole or
a word in two styles). A paragraph whose first line is set in a style of its
own (``::first-line``) has each token measured in that style too
(:attr:`Token.head`). A paragraph that holds anything but inline text (an
image, an inline block, a ``<br>``, a name's manual soft hyphens) has no
tokens.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from compiler.pdf import breaks
from compiler.pdf.track import _segments

_SPACE = re.compile(r"[ \t\n\r\f]+")
_BREAKABLE = re.compile(r"[-\u2010\u2013\u2014/]")  # characters the greedy breaker may break after
_INLINE_TAGS = {"span", "em", "i", "strong", "b", "a", "abbr", "cite", "small", "code", "mark", "time", "dfn",
                "s", "u", "q", "bdi", "bdo", "kbd", "samp", "var", "data", "ins", "del"}


@dataclass
class Token:
    """A run of text with no break opportunity (a word, or words kept together)."""

    start: int  # in the paragraph's joined text
    end: int
    width: float
    space: float  # the width of the space before it (0 for the first)
    spaces: int  # expandable spaces inside it (no-break spaces)
    text: str
    points: list[tuple[int, float, float]]  # hyphenation: (offset in text, head width with hyphen, tail width)
    breakable: bool  # holds a character the greedy breaker may break after
    zone: float = 0.0  # px: the greedy breaker tries to hyphenate it only on a line left this short
    word_spacing: float = 0.0  # px: its style's word spacing
    glued: bool = False  # follows the token before it with no space (a break after a hyphen, say)
    head: Token | None = None  # the same, set on a first line of a style of its own (``::first-line``)


_WIDTHS: dict[tuple[Any, ...], float] = {}


def _style_key(style: Any) -> tuple[Any, ...]:
    return (tuple(style["font_family"]), style["font_size"], style["font_style"], style["font_weight"],
            style["font_stretch"], style["font_variant_caps"], style["letter_spacing"], style["word_spacing"],
            tuple(style["font_feature_settings"]) if isinstance(style["font_feature_settings"], tuple) else
            style["font_feature_settings"], style["font_variant_numeric"], id(style.font_config))


def width(text: str, style: Any) -> float:
    """The width of ``text`` set on one line in ``style`` (px), as WeasyPrint measures it."""
    key = (text, _style_key(style))
    found = _WIDTHS.get(key)
    if found is None:
        from weasyprint.text.line_break import create_layout, line_size

        layout = create_layout(text, style, None, None, 0)
        found = float(line_size(layout.get_first_line()[0], style)[0])
        layout.deactivate()
        if len(_WIDTHS) > 200_000:
            _WIDTHS.clear()
        _WIDTHS[key] = found
    return found


def text_styles(document: Any, clones: dict[int, Any]) -> dict[int, tuple[dict[int, Any], list[tuple[float, float]]]]:
    """For each clone laid out in ``document``: the style of each element that holds text (by id;
    None when one element is set in two fonts, as under ``::first-line``) and each line's (left
    edge, measure) in px."""
    from weasyprint.formatting_structure import boxes

    wanted = {ident for ident in clones}
    by_clone = {id(c): i for i, c in clones.items()}
    out: dict[int, tuple[dict[int, Any], list[tuple[float, float]]]] = {}

    def texts(box: Any, found: dict[int, Any]) -> None:
        for child in box.children:
            if getattr(child, "is_outside_marker", False):  # a list item's bullet, set in the margin
                continue
            if isinstance(child, boxes.TextBox):
                ident = id(child.element)
                seen = found.get(ident, child.style)
                found[ident] = child.style if seen is not None and _style_key(seen) == _style_key(child.style) else None
            elif isinstance(child, (boxes.InlineBox, boxes.LineBox)):  # (a ::first-line is a line box in the line)
                texts(child, found)
            else:
                found[-1] = None  # an inline block, an image: not plain text

    def walk(box: Any, container: Any) -> None:
        if getattr(box, "is_outside_marker", False):  # a list item's bullet, set in the margin
            return
        if isinstance(box, boxes.LineBox):
            element = getattr(container, "element", None)
            ident = by_clone.get(id(element)) if element is not None else None
            if ident is None or ident not in wanted:
                return
            styles, measures = out.setdefault(ident, ({}, []))
            if measures:
                texts(box, styles)
            else:  # the first line: in a style of its own under ``::first-line``, say (see _first_line)
                texts(box, firsts.setdefault(ident, {}))
            left = container.content_box_x()
            first = next((c for c in box.children if not getattr(c, "is_outside_marker", False)), None)
            start = first.position_x if first is not None else left
            measures.append((start, container.width - (start - left)))
            return
        if isinstance(box, boxes.BlockContainerBox):
            container = box
        for child in getattr(box, "children", ()) or ():
            walk(child, container)

    firsts: dict[int, dict[int, Any]] = {}
    for page in document.pages:
        walk(page._page_box, None)
    for ident, (styles, _measures) in out.items():
        _first_line(styles, firsts.get(ident, {}), clones[ident])
    return out


def _first_line(styles: dict[int, Any], first: dict[int, Any], block: Any) -> None:
    """Add the first line's styles (by element) to the other lines' ``styles``. Where the first line
    is set otherwise (``::first-line``: WeasyPrint gives every box on it the inherited properties of
    that style, em or not), its one style goes under the key -2, and an element seen on the first
    line alone takes its parent's style (the tokens' widths are checked by a layout)."""
    if -1 in first:
        styles[-1] = None
    shared = [i for i in first if i in styles and i != -1]
    own = [s for i, s in first.items() if i != -1]
    if all(first[i] is not None and styles[i] is not None and _style_key(first[i]) == _style_key(styles[i])
           for i in shared):
        for ident, style in first.items():
            seen = styles.get(ident, style)
            styles[ident] = style if seen is not None and style is not None and _style_key(seen) == _style_key(style) else None
        return
    if not own or any(s is None or _style_key(s) != _style_key(own[0]) for s in own):
        styles[-1] = None  # a first line in two styles of its own
        return
    styles[-2] = own[0]
    parents = {id(child): parent for parent in block.iter() for child in parent}
    for element in block.iter():
        if id(element) in styles:
            continue
        parent = parents.get(id(element))
        while parent is not None and id(parent) not in styles:
            parent = parents.get(id(parent))
        if parent is not None:
            styles[id(element)] = styles[id(parent)]


def styled(block: Any, styles: dict[int, Any]) -> tuple[str, list[Any]] | None:
    """The block's own text (its elements' texts and tails, joined) and the style each character
    is set in; None if it holds anything but plain inline text."""
    if styles.get(-1, "") is None:
        return None
    for element in block.iter():
        tag = element.tag.rsplit("}", 1)[-1] if isinstance(element.tag, str) else ""
        if element is not block and tag not in _INLINE_TAGS:
            return None
    places = _segments(block)
    owners: list[Any] = []
    parents = {id(child): parent for parent in block.iter() for child in parent}
    for node, attr in places:
        owner = node if attr == "text" else parents.get(id(node))
        style = styles.get(id(owner)) if owner is not None else None
        text = getattr(node, attr) or ""
        if text.strip() and style is None:
            return None
        owners.append(style)
    texts = [getattr(node, attr) or "" for node, attr in places]
    style_at: list[Any] = []
    for text, style in zip(texts, owners):
        style_at += [style] * len(text)
    return "".join(texts), style_at


def tokens(block: Any, styles: dict[int, Any]) -> list[Token] | None:
    """The block's tokens, or None if it holds anything but plain inline text."""
    found = styled(block, styles)
    if found is None:
        return None
    joined, style_at = found
    first = styles.get(-2)
    out: list[Token] = []
    at = 0
    # break opportunities: collapsible spaces outside nowrap text
    pieces = []
    for match in _SPACE.finditer(joined):
        style = style_at[match.start()]
        if style is not None and style["white_space"] in ("nowrap", "pre"):
            continue
        pieces.append((at, match.start(), style))
        at = match.end()
    pieces.append((at, len(joined), None))
    space_style: Any = None
    for start, end, after in pieces:
        if start >= end:
            space_style = after or space_style
            continue
        if "\u00ad" in joined[start:end]:  # a name's own break points (compiler/render/hyphenation.py)
            return None
        for index, (lo, hi) in enumerate(_inner_breaks(joined, start, end, style_at)):
            space = breaks._space(space_style) if out and space_style is not None and not index else 0.0
            token = _token(joined, lo, hi, style_at, space, glued=index > 0)
            if first is not None:  # as the first line would set it: all in its one style
                token.head = _token(joined, lo, hi, [first] * len(joined),
                                    breaks._space(first) if space else 0.0, glued=index > 0)
            out.append(token)
        space_style = after
    return out


def _inner_breaks(joined: str, start: int, end: int, style_at: list[Any]) -> list[tuple[int, int]]:
    """``joined[start:end]`` (a run with no space) cut where Pango may break a line inside it (after
    a hyphen or a dash, between ")(", ...), as WeasyPrint's greedy breaker would."""
    from weasyprint.text.line_break import get_log_attrs

    text = joined[start:end]
    style = style_at[start]
    if len(text) < 2 or style is None or style["white_space"] in ("nowrap", "pre"):
        return [(start, end)]
    attrs = get_log_attrs(text, style["lang"])
    cuts = [i for i in range(1, len(text)) if attrs[i].is_line_break
            and style_at[start + i] is not None and style_at[start + i]["white_space"] not in ("nowrap", "pre")]
    edges = [0, *cuts, len(text)]
    return [(start + a, start + b) for a, b in zip(edges, edges[1:])]


_DICTIONARIES: dict[tuple[str, int, int], Any] = {}


def _dictionary(lang: str, left: int, right: int) -> Any:
    """pyphen's dictionary for a language, as WeasyPrint loads it (once)."""
    import pyphen  # type: ignore[import-untyped]

    key = (lang, left, right)
    if key not in _DICTIONARIES:
        _DICTIONARIES[key] = pyphen.Pyphen(lang=lang, left=left, right=right)
    return _DICTIONARIES[key]


def _token(joined: str, start: int, end: int, style_at: list[Any], space: float, glued: bool) -> Token:
    """One token: its width (each run of it in its style), its hyphenation points."""
    import pyphen

    text = joined[start:end]
    runs: list[tuple[str, Any]] = []
    for offset, char in enumerate(text):
        style = style_at[start + offset]
        if runs and runs[-1][1] is style:
            runs[-1] = (runs[-1][0] + char, style)
        else:
            runs.append((char, style))
    total = sum(width(_SPACE.sub(" ", run), style) for run, style in runs)
    points: list[tuple[int, float, float]] = []
    only = runs[0][1] if len(runs) == 1 else None
    lang = only["lang"] and pyphen.language_fallback(only["lang"]) if only is not None else None
    if only is not None and only["hyphens"] == "auto" and lang:  # (no dictionary for Japanese, say)
        limit, left, right = only["hyphenate_limit_chars"]
        core = re.match(r"^(\W*)([^\W\d_]+)(\W*)$", text)
        if core and len(core.group(2)) >= limit and not core.group(2)[0].isupper():
            dictionary = _dictionary(lang, left, right)
            lead = len(core.group(1))
            for position in dictionary.positions(core.group(2)):
                cut = lead + position
                points.append((cut, width(text[:cut] + only["hyphenate_character"], only), width(text[cut:], only)))
    zone = only["hyphenate_limit_zone"] if only is not None else None
    return Token(start, end, total, space, text.count("\u00a0"), text, points,
                 bool(_BREAKABLE.search(text.rstrip("-\u2010\u2013\u2014/"))),
                 float(zone.value) if zone is not None and zone.unit == "px" else 0.0,
                 float(runs[0][1]["word_spacing"]), glued)
