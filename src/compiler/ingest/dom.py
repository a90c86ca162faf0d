"""The HTML allow-list and small iterative helpers over Lexbor (selectolax) nodes.

:data:`DROP`, :data:`BLOCKS`, :data:`INLINES` and :data:`UNWRAP` say which
elements :mod:`compiler.ingest.html` reads and how; every other element is
read for its content only. The text helpers walk subtrees with an explicit
stack, so no depth of nesting can raise RecursionError.
"""

from __future__ import annotations

import re

from selectolax.lexbor import LexborHTMLParser, LexborNode

#: Elements left out with everything inside them.
DROP = frozenset({
    "script", "style", "template", "object", "embed", "applet", "param", "form", "input", "button", "select",
    "textarea", "option", "optgroup", "datalist", "output", "noscript", "svg", "math", "canvas", "head", "title",
    "meta", "link", "base", "map", "area", "frame", "frameset", "noframes", "source", "track", "dialog",
    "portal", "slot", "picture-source", "-comment", "!doctype",
})
#: Elements that make blocks.
BLOCKS = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "dl", "dt", "dd", "blockquote", "pre",
                    "table", "figure", "hr", "iframe", "video", "audio", "details", "summary", "li",
                    "figcaption", "caption"})
#: Elements that make inline nodes.
INLINES = frozenset({"em", "i", "cite", "dfn", "var", "strong", "b", "code", "kbd", "samp", "tt", "a", "sup",
                     "sub", "br", "q", "img", "span"})
#: Containers read for their content only (their own markup carries nothing the model keeps).
UNWRAP = frozenset({"div", "section", "article", "main", "header", "footer", "aside", "nav", "center",
                    "address", "hgroup", "fieldset", "legend", "body", "html", "abbr", "acronym", "del", "ins",
                    "s", "strike", "u", "mark", "small", "big", "font", "time", "bdi", "bdo", "label", "data",
                    "wbr", "ruby", "rb", "rp", "rt", "picture", "thead", "tbody", "tfoot", "tr", "td", "th",
                    "colgroup", "col", "menu", "search"})
#: Elements that end a line of text: read as blocks wherever they stand.
BLOCK_LEVEL = BLOCKS | {"div", "section", "article", "main", "header", "footer", "aside", "nav", "center",
                        "address", "hgroup", "fieldset", "legend", "menu", "search", "tr", "td", "th", "thead",
                        "tbody", "tfoot", "body", "html"}
_NUMBER = re.compile(r"^\s*(\d{1,6})")
_SPACE = re.compile(r"\s+")


#: A ``style`` attribute that would fetch something (its URL is never fetched; the reader warns).
STYLE_FETCH = re.compile(r"""style\s*=\s*["'][^"']*(?:url\(|@import|expression\()""", re.I)
_FETCH_TAIL = re.compile(r"""=\s*["'][^"']*(?:url\(|@import|expression\()""", re.I)


def style_fetches(html: str) -> bool:
    """Whether ``html`` has a ``style`` attribute that fetches: ``STYLE_FETCH.search(html)``, found
    from the "=" (a case-blind pattern that starts with a letter is tried at every character: a
    tenth of the time of a post's conversion, bench_ingest). Its "style" is the five characters
    just before the spaces before the "="."""
    pos = 0
    while (m := _FETCH_TAIL.search(html, pos)) is not None:
        start = m.start()
        while start > 0 and html[start - 1].isspace():
            start -= 1
        if start >= 5 and STYLE_FETCH.match(html, start - 5):
            return True
        pos = m.start() + 1
    return False


def classes(node: LexborNode) -> str:
    """The node's ``class`` attribute, or ''."""
    return node.attributes.get("class") or ""


def number(value: str | None, default: int | None = None, low: int = 0, high: int = 100_000) -> int | None:
    """The leading whole number of an attribute ("300", "300px"), clamped; ``default`` if none ("100%" is 100)."""
    m = _NUMBER.match(value or "")
    return min(max(int(m[1]), low), high) if m else default


def children(node: LexborNode) -> list[LexborNode]:
    """The node's children (elements, text and comments), in order."""
    out = []
    child = node.child
    while child is not None:
        out.append(child)
        child = child.next
    return out


def flat_text(node: LexborNode) -> str:
    """All the text under ``node`` (the parser walks it without recursion)."""
    return node.text(deep=True) or ""


def pre_text(node: LexborNode) -> str:
    """The text of a ``<pre>`` exactly, each ``<br>`` a newline, without recursion."""
    out: list[str] = []
    stack = [node]
    while stack:
        item = stack.pop()
        if item.tag == "-text":
            out.append(item.text_content or "")
        elif item.tag == "br":
            out.append("\n")
        elif item.tag not in DROP:
            stack.extend(reversed(children(item)))
    return "".join(out)


def flat_lines(node: LexborNode) -> list[str]:
    """The text under ``node``, one line per block-level element, without recursion."""
    lines: list[str] = []
    current: list[str] = []
    stack: list[LexborNode | None] = [node]
    while stack:
        item = stack.pop()
        if item is None or item.tag in BLOCK_LEVEL or item.tag == "br":  # a block starts or ends
            lines.append("".join(current))
            current = []
            if item is None or item.tag == "br":
                continue
        if item.tag == "-text":
            current.append(item.text_content or "")
            continue
        if item.tag in DROP:
            continue
        if item.tag in BLOCK_LEVEL:
            stack.append(None)
        stack.extend(reversed(children(item)))
    lines.append("".join(current))
    return [line for line in (_SPACE.sub(" ", x).strip() for x in lines) if line]


#: Deepest element nesting handed to the parser (Blink caps its DOM at 512 too): beyond it the
#: tree builder's scope checks make parsing quadratic, minutes for a megabyte of "<ul><li>".
MAX_PARSE_DEPTH = 512
_TAG_TOKEN = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)[^<>]*>?")
#: Elements with no content, or whose end tag is implied by the next sibling: they do not nest.
_FLAT = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
                   "track", "wbr", "p", "li", "dt", "dd", "tr", "td", "th", "option", "optgroup", "thead", "tbody",
                   "tfoot", "colgroup", "rb", "rt", "rp", "rtc"})


def cap_depth(html: str, limit: int = MAX_PARSE_DEPTH) -> tuple[str, bool]:
    """``html`` with the tags nested deeper than ``limit`` removed (their text stays; a block's tag
    leaves a line break), and whether any was. One linear pass over the tags."""
    depth = 0
    capped = False
    out: list[str] = []
    pos = 0
    for m in _TAG_TOKEN.finditer(html):
        name = m[2].lower()
        if name in _FLAT:
            if depth > limit:
                out.append(html[pos:m.start()])
                out.append("\n" if name in BLOCK_LEVEL else "")
                pos = m.end()
            continue
        closing = bool(m[1]) or m[0].endswith("/>")
        if not m[1]:
            depth += 1
        over = depth > limit
        if closing and depth > 0:
            depth -= 1
        if over:
            capped = True
            out.append(html[pos:m.start()])
            out.append("\n" if name in BLOCK_LEVEL else "")
            pos = m.end()
    if not capped:
        return html, False
    out.append(html[pos:])
    return "".join(out), True


def parse_html(html: str) -> LexborNode:
    """The body of ``html`` parsed as an HTML5 fragment."""
    body = LexborHTMLParser(f"<!DOCTYPE html><html><body>{html}</body></html>").body
    assert body is not None
    return body
