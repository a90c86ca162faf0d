"""The fields of one RSS 2.0 item or Atom 1.0 entry, as raw text, before anything is converted.

:func:`rss_item` and :func:`atom_entry` run while the feed is parsed (the
element is cleared right after), so they only copy strings and lines into a
:class:`RawItem`; :mod:`compiler.ingest.feeds` converts them once the whole
feed (and so its base URL) is known. An Atom ``content`` or ``summary`` of
type ``xhtml`` is serialised here to HTML, its own ``xml:base`` attributes
applied to the links and images inside it.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from urllib.parse import urljoin
from xml.etree.ElementTree import Element

from compiler.ingest.feeds_xml import ATOM, LINE, XML_BASE, line

CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"
DC = "http://purl.org/dc/elements/1.1/"
SLASH_COMMENTS = "{http://purl.org/rss/1.0/modules/slash/}comments"
THR = "http://purl.org/syndication/thread/1.0"
XHTML = "http://www.w3.org/1999/xhtml"
_A = f"{{{ATOM}}}"
_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
                   "wbr"})
_URL_ATTRIBUTES = frozenset({"href", "src"})
_TEXT_TYPES = {"": "text", "text": "text", "text/plain": "text", "html": "html", "text/html": "html",
               "xhtml": "xhtml", "application/xhtml+xml": "xhtml"}


@dataclass
class Body:
    """A body (content, summary, description) as found: its kind (html, text, xhtml as html) and base."""

    text: str
    kind: str  # "html" or "text"
    base: str
    line: int
    type: str = ""  # an Atom type attribute that no reader reads (E156 when nothing else is there)
    src: str = ""  # Atom out-of-line content (a URL), never fetched


@dataclass
class RawItem:
    """One item or entry, as strings: nothing converted, nothing checked yet."""

    line: int
    base: str
    title: str = ""
    title_kind: str = "html"  # RSS titles may hold entities and tags; Atom says which
    link: str = ""
    ident: str = ""
    date: str = ""
    date_line: int = 0
    content: Body | None = None
    summary: Body | None = None
    authors: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    comments: int | None = None


def _text(element: Element) -> str:
    return "".join(element.itertext())


def _child_base(element: Element, base: str) -> str:
    own = element.get(XML_BASE)
    return urljoin(base, own.strip()) if own else base


def _count(value: str | None) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() and len(value) < 10 else None


def _person(value: str) -> str:
    """An RSS ``author`` (``mail@example.com (Name)``) or ``dc:creator`` as a name; bare e-mail addresses are dropped."""
    value = " ".join(value.split())
    if "(" in value and value.endswith(")"):
        return value[value.index("(") + 1: -1].strip()
    return "" if "@" in value else value


def xhtml(element: Element, base: str) -> str:
    """An Atom ``type="xhtml"`` element's content as HTML: the wrapping ``div`` left out, URLs resolved."""
    out: list[str] = []
    kids = list(element)
    if len(kids) == 1 and kids[0].tag == f"{{{XHTML}}}div" and not (element.text or "").strip():
        inner = kids[0]
        out.append(html.escape(inner.text or "", quote=False))
        for child in inner:
            _serialise(child, _child_base(inner, base), out)
    else:
        out.append(html.escape(element.text or "", quote=False))
        for child in kids:
            _serialise(child, base, out)
    return "".join(out)


def _serialise(element: Element, base: str, out: list[str]) -> None:
    """One element and its tail as HTML (iterative: no depth of nesting raises RecursionError)."""
    stack: list[tuple[Element, str, bool]] = [(element, base, False)]
    while stack:
        node, at, closing = stack.pop()
        name = node.tag.rpartition("}")[2] if isinstance(node.tag, str) else ""
        if closing:
            if name and name not in _VOID:
                out.append(f"</{name}>")
            out.append(html.escape(node.tail or "", quote=False))
            continue
        if not name:  # a comment or processing instruction
            out.append(html.escape(node.tail or "", quote=False))
            continue
        at = _child_base(node, at)
        attributes = []
        for key, value in node.attrib.items():
            if key.startswith("{"):
                continue
            if key in _URL_ATTRIBUTES and at:
                value = urljoin(at, value.strip())
            attributes.append(f' {key}="{html.escape(value, quote=True)}"')
        out.append(f"<{name}{''.join(attributes)}>")
        stack.append((node, at, True))
        if name in _VOID:
            continue
        out.append(html.escape(node.text or "", quote=False))
        stack.extend((child, at, False) for child in reversed(list(node)))


def _atom_body(element: Element, base: str) -> Body:
    at = _child_base(element, base)
    declared = (element.get("type") or "").strip().lower()
    kind = _TEXT_TYPES.get(declared)
    where = line(element)
    if element.get("src"):
        return Body("", "html", at, where, declared, element.get("src", ""))
    if kind is None:
        if declared.startswith("text/") or declared.endswith("+xml") or declared.endswith("/xml"):
            kind = "text"  # RFC 4287 4.1.3.3: other text types are text; XML types are read for their text
            return Body(_text(element), kind, at, where)
        return Body("", "html", at, where, declared)
    if kind == "xhtml":
        return Body(xhtml(element, at), "html", at, where)
    return Body(element.text or "", kind, at, where)


def rss_item(element: Element, base: str) -> RawItem:
    """An RSS 2.0 ``<item>`` (with the content, dc, slash and atom extensions WordPress writes)."""
    item = RawItem(line(element), base)
    description: Body | None = None
    for child in element:
        tag = child.tag
        if tag == "title":
            item.title = child.text or ""
        elif tag == "link":
            item.link = (child.text or "").strip()
        elif tag == "guid":
            item.ident = (child.text or "").strip()
        elif tag == "pubDate" or (tag == f"{{{DC}}}date" and not item.date):
            item.date, item.date_line = child.text or "", line(child)
        elif tag == CONTENT:
            item.content = Body(child.text or "", "html", _child_base(child, base), line(child))
        elif tag == "description":
            description = Body(child.text or "", "html", _child_base(child, base), line(child))
        elif tag in (f"{{{DC}}}creator", "author"):
            name = _person(child.text or "")
            if name and name not in item.authors:
                item.authors.append(name)
        elif tag in ("category", f"{{{DC}}}subject"):
            name = " ".join((child.text or "").split())
            if name and name not in item.categories:
                item.categories.append(name)
        elif tag == SLASH_COMMENTS:
            item.comments = _count(child.text)
    if item.content is None or not item.content.text.strip():
        item.content, item.summary = None, description
    else:
        item.summary = description
    return item


def atom_entry(element: Element, base: str) -> RawItem:
    """An Atom 1.0 ``<entry>`` (the feed's authors, read later, stand for an entry that names none)."""
    item = RawItem(line(element), base)
    published = updated = ""
    published_line = updated_line = 0
    replies: int | None = None
    for child in element:
        tag = child.tag
        if tag == f"{_A}title":
            kind = _TEXT_TYPES.get((child.get("type") or "").strip().lower(), "text")
            item.title = _text(child) if kind == "xhtml" else (child.text or "")
            item.title_kind = "html" if kind == "html" else "text"
        elif tag == f"{_A}link" and (child.get("rel") or "alternate") == "alternate" and not item.link:
            item.link = urljoin(_child_base(child, base), (child.get("href") or "").strip())
        elif tag == f"{_A}link" and child.get("rel") == "replies":
            count = _count(child.get(f"{{{THR}}}count"))
            if count is not None:
                replies = max(replies or 0, count)
        elif tag == f"{_A}id":
            item.ident = (child.text or "").strip()
        elif tag == f"{_A}published":
            published, published_line = child.text or "", line(child)
        elif tag == f"{_A}updated":
            updated, updated_line = child.text or "", line(child)
        elif tag == f"{_A}content":
            item.content = _atom_body(child, base)
        elif tag == f"{_A}summary":
            item.summary = _atom_body(child, base)
        elif tag == f"{_A}author":
            name = next((" ".join(_text(n).split()) for n in child if n.tag == f"{_A}name"), "")
            if name and name not in item.authors:
                item.authors.append(name)
        elif tag == f"{_A}category":
            name = " ".join((child.get("label") or child.get("term") or "").split())
            if name and name not in item.categories:
                item.categories.append(name)
        elif tag == f"{{{THR}}}total":
            item.comments = _count(child.text)
    item.date, item.date_line = (published, published_line) if published.strip() else (updated, updated_line)
    if item.comments is None:
        item.comments = replies
    return item


def feed_authors(root: Element) -> list[str]:
    """The names of an Atom feed's own ``author`` elements."""
    names = []
    for child in root:
        if child.tag == f"{_A}author":
            name = next((" ".join(_text(n).split()) for n in child if n.tag == f"{_A}name"), "")
            if name:
                names.append(name)
    return names


__all__ = ["Body", "RawItem", "atom_entry", "feed_authors", "rss_item", "xhtml", "LINE"]
