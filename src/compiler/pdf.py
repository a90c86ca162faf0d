"""PDF: lay out the book's HTML with WeasyPrint and write a tagged PDF.

One :class:`FontConfiguration` serves every stylesheet and the layout; one
URL fetcher (:class:`compiler.urls.ProjectFetcher`) serves every resource.
After layout we read where each page begins in the text (for the EPUB's
page-list) and which pages are front matter (for PDF page labels in roman
numerals), then write the PDF with page labels, the document title shown in
the window, and an identifier derived from the book's, so that two builds
give the same bytes.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pydyf
import weasyprint
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import FatalURLFetchingError

from compiler import urls
from compiler.errors import CompilerError, Diagnostic
from compiler.model import Book, PageBreak
from compiler.render import PRINT_STYLESHEETS



@dataclass
class LaidOut:
    """A laid-out PDF: its pages' labels, where they begin, and WeasyPrint's warnings."""

    document: Any
    labels: list[str]
    breaks: list[PageBreak]
    anchors: dict[str, int]
    warnings: list[str] = field(default_factory=list)


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record.getMessage())


def roman(number: int) -> str:
    """Lower-case roman numerals, as CSS ``lower-roman`` prints them."""
    out = ""
    for value, letters in ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"),
                           (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")):
        count, number = divmod(number, value)
        out += letters * count
    return out


def stylesheet_paths(book: Book) -> list[Path]:
    """The print stylesheets, in cascade order."""
    style = book.output.style_dir
    return [style / name for name in (*PRINT_STYLESHEETS, f"page-{book.output.page_size}.css")]


def stylesheets(book: Book, fetcher: urls.ProjectFetcher, fonts: FontConfiguration) -> list[weasyprint.CSS]:
    """The print stylesheets, read through the project fetcher."""
    return [weasyprint.CSS(string=urls.read_project_file(book.root, path).decode(),
                           base_url=path.as_uri(), url_fetcher=fetcher, font_config=fonts)
            for path in stylesheet_paths(book)]


def _walk(box: Any, owner: str | None) -> Iterator[tuple[str | None, Any]]:
    element = getattr(box, "element", None)
    if element is not None and getattr(box, "element_tag", None) and not box.is_for_root_element:
        ident = element.get("id")
        if ident and getattr(box, "style", None) is not None:
            owner = ident
    if hasattr(box, "text") and isinstance(getattr(box, "text", None), str):
        yield owner, box
    for child in getattr(box, "children", ()) or ():
        yield from _walk(child, owner)


def page_starts(document: Any, labels: list[str]) -> list[PageBreak]:
    """For each page, the element whose text begins it and how many of its words came before."""
    seen: dict[str, int] = {}
    breaks: list[PageBreak] = []
    for index, page in enumerate(document.pages):
        first: tuple[str, int] | None = None
        for owner, box in _walk(page._page_box, None):
            if owner is None or not box.text.strip():
                continue
            if first is None:
                first = (owner, seen.get(owner, 0))
            seen[owner] = seen.get(owner, 0) + len(box.text.split())
        if first is not None:
            breaks.append(PageBreak(labels[index], first[0], first[1]))
    return breaks


def lay_out(book: Book, html: str, fetcher: urls.ProjectFetcher, page_starts_too: bool = True) -> LaidOut:
    """Lay out the book; collect WeasyPrint's warnings instead of printing them."""
    handler = _Collect()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(handler)
    previous = logger.propagate
    logger.propagate = False
    try:
        fonts = FontConfiguration()
        document = weasyprint.HTML(string=html, base_url=book.output.style_dir.as_uri() + "/",
                                   url_fetcher=fetcher).render(
            stylesheets=stylesheets(book, fetcher, fonts), font_config=fonts, pdf_variant="pdf/ua-1")
    finally:
        logger.removeHandler(handler)
        logger.propagate = previous
    anchors = {a: i for i, page in reversed(list(enumerate(document.pages))) for a in page.anchors}
    first_body = anchors.get(f"chapter-{book.chapters[0].id}", 0) if book.chapters else 0
    labels = [roman(i + 1) if i < first_body else str(i - first_body + 1) for i in range(len(document.pages))]
    breaks = page_starts(document, labels) if page_starts_too else []
    return LaidOut(document, labels, breaks, anchors, handler.records)


def _finisher(book: Book, first_body: int) -> Any:
    def finish(document: Any, pdf: pydyf.PDF) -> None:
        nums = pydyf.Array([0, pydyf.Dictionary({"S": "/r"})])
        if first_body:
            nums.extend([first_body, pydyf.Dictionary({"S": "/D", "St": 1})])
        pdf.catalog["PageLabels"] = pydyf.Dictionary({"Nums": nums})
        pdf.catalog["ViewerPreferences"] = pydyf.Dictionary({"DisplayDocTitle": "true"})
        pdf.catalog["PageMode"] = "/UseOutlines"
        pdf.info["Creator"] = pydyf.String(f"compiler (WeasyPrint {weasyprint.__version__})")
    return finish


def write(book: Book, laid_out: LaidOut) -> bytes:
    """Write the laid-out book as PDF bytes, byte-reproducibly."""
    first_body = laid_out.labels.index("1") if "1" in laid_out.labels else 0
    identifier = hashlib.sha256(book.meta.identifier.encode()).hexdigest()[:32].encode()
    return laid_out.document.write_pdf(
        finisher=_finisher(book, first_body), pdf_variant="pdf/ua-1", pdf_identifier=identifier)


def render_pdf(book: Book, html: str, fetcher: urls.ProjectFetcher,
               page_starts: bool = True) -> tuple[bytes, LaidOut]:
    """Lay out and write the PDF (and, for the EPUB, where each page begins); a resource
    the fetcher refuses is an input error."""
    try:
        laid_out = lay_out(book, html, fetcher, page_starts)
        return write(book, laid_out), laid_out
    except FatalURLFetchingError as exc:
        raise CompilerError(Diagnostic("E106", str(exc), "render",
                                       hint="use only files inside the project")) from None
