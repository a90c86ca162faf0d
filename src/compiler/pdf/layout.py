"""Layout: lay out print HTML with WeasyPrint and write a tagged PDF (PDF/UA-1).

:func:`render_html` lays out one document (the whole book, or one part of
it in a worker, see :mod:`compiler.pdf.parts`). One :class:`FontConfiguration`
and the parsed stylesheets serve every document a process lays out with the
same style files; one URL fetcher (:class:`compiler.urls.ProjectFetcher`)
serves every resource. After layout we read where each page begins in the
text (for the EPUB's page-list) and which pages are front matter (for PDF
page labels in roman numerals). A part laid out from a guessed first folio
learns the true one once it is paginated, before its margin boxes are drawn
(:func:`render_html`'s ``shift``; see :mod:`compiler.pdf.folios`). The one-document path (``--one-document``)
then writes the PDF here, with page labels, the document title shown in the
window, and an identifier derived from the book's, so that two builds give
the same bytes.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cssselect2  # type: ignore[import-untyped]
import pydyf
import weasyprint
import weasyprint.layout
from weasyprint.text.fonts import FontConfiguration

from compiler import files, ids, urls
from compiler.fonts import apply_plan
from compiler.model import Book, PageBreak
from compiler.pdf import breaks, roman, stylesheet_paths



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


def stylesheets(root: Path, style_dir: Path, page_size: str, fetcher: urls.ProjectFetcher,
                fonts: FontConfiguration) -> list[weasyprint.CSS]:
    """The print stylesheets, read through the project fetcher, with the font plan's stacks and faces
    (:func:`compiler.fonts.apply_plan`)."""
    return [weasyprint.CSS(string=apply_plan(files.read_project_file(root, path).decode(), pdf=True, first=n == 0),
                           base_url=path.as_uri(), url_fetcher=fetcher, font_config=fonts)
            for n, path in enumerate(stylesheet_paths(style_dir, page_size))]


class collected_warnings:  # noqa: N801 - used as a context manager
    """Collect WeasyPrint's warnings instead of printing them."""

    def __enter__(self) -> list[str]:
        self.handler = _Collect()
        self.logger = logging.getLogger("weasyprint")
        self.logger.addHandler(self.handler)
        self.previous = self.logger.propagate
        self.logger.propagate = False
        return self.handler.records

    def __exit__(self, *exc: object) -> None:
        self.logger.removeHandler(self.handler)
        self.logger.propagate = self.previous


_STYLES: dict[tuple[Path, Path, str, bytes], tuple[FontConfiguration, list[weasyprint.CSS]]] = {}


def _styles(root: Path, style_dir: Path, page_size: str,
            fetcher: urls.ProjectFetcher) -> tuple[FontConfiguration, list[weasyprint.CSS]]:
    """One font configuration and the parsed stylesheets, kept for the next document this process
    lays out with the same style files (a worker lays out several parts)."""
    digest = hashlib.sha256()
    for path in [*stylesheet_paths(style_dir, page_size), *sorted((style_dir / "fonts").glob("*.*tf"))]:
        digest.update(path.name.encode() + b"\0" + files.read_project_file(root, path))
    key = (root, style_dir, page_size, digest.digest())
    if key not in _STYLES:
        _STYLES.clear()
        fonts = FontConfiguration()
        _STYLES[key] = fonts, stylesheets(root, style_dir, page_size, fetcher, fonts)
    return _STYLES[key]


class Setting:
    """One print HTML document, parsed, and how to lay it out: :meth:`render` the whole of it (the
    ``layouts`` made counted), :meth:`lab` a scratch tree of its paragraphs (:mod:`compiler.pdf.lab`)
    with the same stylesheets and fonts, :meth:`refresh` after its tree changed."""

    def __init__(self, html: str, root: Path, style_dir: Path, page_size: str, fetcher: urls.ProjectFetcher,
                 shift: Callable[[int], int] | None = None) -> None:
        self.fonts, self.sheets = _styles(root, style_dir, page_size, fetcher)
        self.parsed = weasyprint.HTML(string=html, base_url=style_dir.as_uri() + "/", url_fetcher=fetcher)
        self.shift = shift
        self.layouts = 0

    @property
    def tree(self) -> Any:
        return self.parsed.etree_element

    def refresh(self) -> None:
        """The parsed tree changed: WeasyPrint's selector wrapper must see it."""
        self.parsed.wrapper_element = cssselect2.ElementWrapper.from_html_root(self.tree, content_language=None)

    def render(self) -> Any:
        self.layouts += 1
        with _moved_folios(self.shift) if self.shift is not None else contextlib.nullcontext():
            return self.parsed.render(stylesheets=self.sheets, font_config=self.fonts, pdf_variant="pdf/ua-1")

    def lab(self, tree: Any) -> Any:
        scratch = copy.copy(self.parsed)
        scratch.etree_element = tree
        scratch.wrapper_element = cssselect2.ElementWrapper.from_html_root(tree, content_language=None)
        return scratch.render(stylesheets=self.sheets, font_config=self.fonts, pdf_variant="pdf/ua-1")


def render_html(html: str, root: Path, style_dir: Path, page_size: str, fetcher: urls.ProjectFetcher,
                shift: Callable[[int], int] | None = None) -> Any:
    """Lay out one print HTML document (a WeasyPrint ``Document``), laid out again until the
    line-break rules hold (:mod:`compiler.pdf.breaks`: no hyphen across a page turn or into a
    paragraph's last line, at most two hyphenated lines in a row, no runt), the offending
    paragraphs mended in the paragraph lab in between (:mod:`compiler.pdf.lab`). ``shift``, given the
    page count once the document is paginated, says how far to move every folio (and every other
    use of the page counter in the margin boxes) from the one the document's first page restarts it at."""
    setting = Setting(html, root, style_dir, page_size, fetcher, shift)
    document, _left = breaks.enforce(setting.render, setting.refresh, setting.tree, setting.lab)
    document.layouts = setting.layouts  # read by the part's trace
    return document


@contextlib.contextmanager
def _moved_folios(shift: Callable[[int], int]) -> Iterator[None]:
    """While one document is laid out (in this process, one at a time): WeasyPrint makes the margin
    boxes of every page after the last page is made, from each page's counters; move the page
    counter there by ``shift(pages)``, asked once. The pages' content does not depend on the page
    counter (``:left``/``:right`` go by a page's place, not its number; the body has no
    ``target-counter``), so the document is the one laid out from the moved first folio."""
    original = weasyprint.layout.make_margin_boxes
    moved: list[int] = []

    def margin_boxes(context: Any, page: Any, state: Any) -> Any:
        if not moved:
            moved.append(shift(len(context.page_maker) - 1))  # page_maker: one entry a page, and one
        if moved[0]:
            quote_depth, counters, scopes, groups = state
            counters = {**counters, "page": [value + moved[0] for value in counters.get("page", [])]}
            state = (quote_depth, counters, scopes, groups)
        return original(context, page, state)

    weasyprint.layout.make_margin_boxes = margin_boxes
    try:
        yield
    finally:
        weasyprint.layout.make_margin_boxes = original


def anchor_pages(document: Any) -> dict[str, int]:
    """The index of the page where each anchor first occurs."""
    return {a: i for i, page in reversed(list(enumerate(document.pages))) for a in page.anchors}


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
    return [PageBreak(labels[index], target, words) for index, target, words in page_start_indices(document)]


def page_start_indices(document: Any) -> list[tuple[int, str, int]]:
    """(page index, element id, words of it before) for each page that begins with text."""
    seen: dict[str, int] = {}
    breaks: list[tuple[int, str, int]] = []
    for index, page in enumerate(document.pages):
        first: tuple[str, int] | None = None
        for owner, box in _walk(page._page_box, None):
            if owner is None or not box.text.strip():
                continue
            if first is None:
                first = (owner, seen.get(owner, 0))
            seen[owner] = seen.get(owner, 0) + len(box.text.split())
        if first is not None:
            breaks.append((index, first[0], first[1]))
    return breaks


def lay_out(book: Book, html: str, fetcher: urls.ProjectFetcher, page_starts_too: bool = True) -> LaidOut:
    """Lay out the book; collect WeasyPrint's warnings instead of printing them."""
    with collected_warnings() as warnings:
        document = render_html(html, book.root, book.output.style_dir, book.output.page_size, fetcher)
    anchors = anchor_pages(document)
    first_body = anchors.get(ids.chapter(book.chapters[0].id), 0) if book.chapters else 0
    labels = [roman(i + 1) if i < first_body else str(i - first_body + 1) for i in range(len(document.pages))]
    breaks = page_starts(document, labels) if page_starts_too else []
    return LaidOut(document, labels, breaks, anchors, warnings)


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


def render_pdf(book: Book, html: str, page_starts: bool = True) -> tuple[bytes, list[str], list[PageBreak], list[str]]:
    """Lay out and write the book as one document (runs in a worker process): the PDF, its page
    labels, where each page begins (for the EPUB's page-list) and WeasyPrint's warnings."""
    laid_out = lay_out(book, html, urls.ProjectFetcher(book.root), page_starts)
    return write(book, laid_out), laid_out.labels, laid_out.breaks, laid_out.warnings
