"""Page-break markers: put the PDF's page numbers into the EPUB's text.

WeasyPrint tells us, for every PDF page, which element's text begins it and
how many of that element's words came before (see :mod:`compiler.pdf`). Here
we find that element in the EPUB documents and insert an
``epub:type="pagebreak"`` marker before exactly that word, so that "see
p. 23" means the same place in both editions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from lxml import etree

from compiler import ids
from compiler.errors import CompilerError, Diagnostic
from compiler.ingest.text import shown
from compiler.model import PageBreak

XHTML = "http://www.w3.org/1999/xhtml"
EPUB = "http://www.idpf.org/2007/ops"
_WORD = re.compile(r"\S+")
#: Elements whose content model refuses a ``<span>`` as their first or last child (lists, tables,
#: a figure after its caption, the contents): a marker before their first word goes before the
#: element, one after their last word after it.
_NO_PHRASING = frozenset({"nav", "ol", "ul", "dl", "table", "thead", "tbody", "tr", "figure"})


def parse(xhtml: str, name: str = "") -> etree._ElementTree:
    """A content document the templates made, parsed; XHTML that does not parse (a template that
    writes ``&shy;`` or an unclosed tag) is an input error naming the document (E107)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=False)
    try:
        return etree.ElementTree(etree.fromstring(xhtml.encode(), parser))
    except etree.XMLSyntaxError as exc:
        raise CompilerError(Diagnostic("E107", f"the templates made XHTML that does not parse: {shown(exc.msg)}",
                                       f"EPUB document {name}", exc.lineno or 0,
                                       hint="write well-formed XHTML in the templates (&#173;, not &shy;)")) from None


def serialize(tree: etree._ElementTree) -> str:
    body = etree.tostring(tree.getroot(), encoding="unicode")
    return '<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html>\n' + body + "\n"


def _marker(label: str) -> etree._Element:
    span = etree.Element(f"{{{XHTML}}}span")
    span.set(f"{{{EPUB}}}type", "pagebreak")
    span.set("role", "doc-pagebreak")
    span.set("id", ids.page(label))
    span.set("aria-label", label)
    return span


def _slots(element: etree._Element) -> Iterable[tuple[etree._Element, str]]:
    """Text slots of ``element`` in document order: (node, 'text' | 'tail')."""
    yield element, "text"
    for child in element:
        yield from _slots(child)
        yield child, "tail"


def insert(element: etree._Element, words: int, label: str) -> None:
    """Insert a page marker before word number ``words`` (0-based) of ``element``."""
    marker = _marker(label)
    if words <= 0 and etree.QName(element).localname in _NO_PHRASING and element.getparent() is not None:
        element.addprevious(marker)
        return
    if words <= 0:
        marker.tail = element.text
        element.text = None
        element.insert(0, marker)
        return
    seen = 0
    for node, slot in _slots(element):
        if slot == "tail" and node is element:
            continue
        text = getattr(node, slot) or ""
        matches = list(_WORD.finditer(text))
        if seen + len(matches) <= words:
            seen += len(matches)
            continue
        cut = matches[words - seen].start()
        before, after = text[:cut], text[cut:]
        marker.tail = after
        if slot == "text":
            node.text = before
            node.insert(0, marker)
        else:
            node.tail = before
            node.addnext(marker)
        return
    if etree.QName(element).localname in _NO_PHRASING:  # a span may not end a list, a
        marker.tail, element.tail = element.tail, None      # table, a figure (after its caption) or a nav
        element.addnext(marker)
        return
    element.append(marker)  # the page begins after this element's last word


def place(trees: dict[str, etree._ElementTree], breaks: Sequence[PageBreak]) -> list[tuple[str, str]]:
    """Insert every marker whose element exists; return (label, href) for the page-list."""
    where: dict[str, tuple[str, etree._Element]] = {}
    for name, tree in trees.items():
        for element in tree.getroot().iter():
            ident = element.get("id") if isinstance(element.tag, str) else None
            if ident and ident not in where:
                where[ident] = (name, element)
    pages: list[tuple[str, str]] = []
    for pb in breaks:
        if pb.target not in where:
            continue
        name, element = where[pb.target]
        insert(element, pb.words, pb.label)
        pages.append((pb.label, f"{name}#{ids.page(pb.label)}"))
    return pages


def ids_by_document(trees: dict[str, etree._ElementTree]) -> dict[str, str]:
    """Which document each id lives in."""
    return {element.get("id"): name for name, tree in trees.items() for element in tree.getroot().iter()
            if isinstance(element.tag, str) and element.get("id")}
