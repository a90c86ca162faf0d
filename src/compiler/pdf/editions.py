"""Print-on-demand editions: the interior a service accepts, and its wrap cover.

The rules are the services' published figures (sources in README.md, "Print
editions"):

* **Trim and bleed.** The interior is cut at the trim (``6x9in``,
  ``5.5x8.5in``, ``A5``). An interior with ``bleed: true`` gets 0.125 in more:
  KDP on the top, bottom and outside edge only (a 6 × 9 in page is
  6.125 × 9.25 in), Lulu and IngramSpark on every side. A text-only interior
  uses no bleed (the page is the trim). WeasyPrint writes the TrimBox and
  BleedBox from ``size`` and ``bleed``.
* **Gutter by page count** (KDP's table, also used for the others): 0.375 in
  for 24–150 pages, 0.5 for 151–300, 0.625 for 301–500, 0.75 for 501–700,
  0.875 for more. The gutter is chosen from an estimate, checked against the
  real page count after layout, and a wrong guess is laid out again.
* **Margins.** Outside, top and bottom at least 0.25 in from the trim (0.375 in
  with bleed) for KDP; 0.5 in for Lulu and IngramSpark. Ours are wider: a book
  page, not a minimum.
* **Nothing the services forbid.** No link annotations, no bookmarks
  (outline), no crop marks; every font embedded (WeasyPrint embeds subsets of
  all); the page count padded with blank pages to an even number and to the
  service's minimum (KDP 24, Lulu 32, IngramSpark 18).
* **Spine width** from the final page count: KDP white ``pages × 0.002252 in``,
  cream ``× 0.0025``; Lulu ``pages / 444 + 0.06 in``; IngramSpark publishes a
  template of its own, so KDP's factors stand in for it (said in README.md).
  Spine text only from 79 pages.

Layout runs in a worker (:func:`lay_out_interior`, :func:`lay_out_cover`);
:func:`finish_interior` then strips what the service forbids and pads the
pages, with pikepdf, deterministically.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from typing import Any

from compiler.model import Book, PrintEdition
from compiler.model.kinds import Paper, Service, Trim

BLEED_IN = 0.125
#: Trim width and height, inches.
TRIM_SIZE: dict[Trim, tuple[float, float]] = {"6x9in": (6.0, 9.0), "5.5x8.5in": (5.5, 8.5),
                                              "A5": (148 / 25.4, 210 / 25.4)}
#: KDP's gutter table: (most pages, gutter in inches).
GUTTERS: tuple[tuple[int, float], ...] = ((150, 0.375), (300, 0.5), (500, 0.625), (700, 0.75), (828, 0.875))
SPINE_TEXT_PAGES = 79
BARCODE_IN = (2.0, 1.2)


@dataclass(frozen=True)
class Rules:
    """What one service asks of an interior."""

    min_pages: int
    bleed_sides: tuple[str, ...]  # "top", "bottom", "outside", "inside"
    min_margin: float  # inches from the trim, no bleed
    min_margin_bleed: float  # inches from the trim, with bleed


RULES: dict[Service, Rules] = {
    "kdp": Rules(24, ("top", "bottom", "outside"), 0.25, 0.375),
    "lulu": Rules(32, ("top", "bottom", "outside", "inside"), 0.5, 0.5),
    "ingram": Rules(18, ("top", "bottom", "outside", "inside"), 0.5, 0.5),
}


def gutter(pages: int) -> float:
    """The inside margin the binding needs for ``pages`` pages (KDP's table)."""
    return next((g for most, g in GUTTERS if pages <= most), GUTTERS[-1][1])


def padded(edition: PrintEdition, pages: int) -> int:
    """The page count after padding: even, and at least the service's minimum."""
    pages = max(pages, RULES[edition.service].min_pages)
    return pages + pages % 2


def spine_width(service: Service, paper: Paper, pages: int) -> float:
    """The spine's width in inches for ``pages`` printed pages."""
    if service == "lulu":
        return pages / 444 + 0.06
    return pages * (0.0025 if paper == "cream" else 0.002252)


@dataclass(frozen=True)
class Geometry:
    """An interior's page: trim, bleed per side, and margins (inches)."""

    width: float
    height: float
    bleed: dict[str, float]
    top: float
    bottom: float
    inside: float
    outside: float


def geometry(edition: PrintEdition, pages: int) -> Geometry:
    """The interior's page for an expected ``pages``: a text block of a trade book, with the gutter
    the page count needs and never less than the service's margins."""
    width, height = TRIM_SIZE[edition.trim]
    rules = RULES[edition.service]
    floor = rules.min_margin_bleed if edition.bleed else rules.min_margin
    bleed = {side: BLEED_IN if edition.bleed and side in rules.bleed_sides else 0.0
             for side in ("top", "bottom", "outside", "inside")}
    scale = width / 6.0
    return Geometry(width, height, bleed, top=max(0.7 * scale, floor), bottom=max(0.85 * scale, floor),
                    inside=max(gutter(pages) + 0.3, floor), outside=max(0.6 * scale, floor))


def interior_css(edition: PrintEdition, pages: int) -> str:
    """The page rules of a print interior (set after the book's own, so that they win)."""
    g = geometry(edition, pages)
    b = g.bleed
    return (f"@page {{ size: {g.width:.4f}in {g.height:.4f}in; marks: none; "
            f"margin-top: {g.top:.4f}in; margin-bottom: {g.bottom:.4f}in; "
            f"bleed-top: {b['top']}in; bleed-bottom: {b['bottom']}in; }}\n"
            f"@page :right {{ margin-left: {g.inside:.4f}in; margin-right: {g.outside:.4f}in; "
            f"bleed-left: {b['inside']}in; bleed-right: {b['outside']}in; }}\n"
            f"@page :left {{ margin-left: {g.outside:.4f}in; margin-right: {g.inside:.4f}in; "
            f"bleed-left: {b['outside']}in; bleed-right: {b['inside']}in; }}\n"
            "html * { bookmark-level: none !important; }\n")


def _identifier(book: Book, what: str) -> bytes:
    return hashlib.sha256(f"{book.meta.identifier} {what}".encode()).hexdigest()[:32].encode()


def lay_out_interior(book: Book, html: str, edition: PrintEdition) -> tuple[bytes, int, list[str]]:
    """Lay out a print interior (in a worker): PDF bytes, page count, WeasyPrint's warnings."""
    from compiler import urls
    from compiler.pdf.layout import _styles, collected_warnings
    import weasyprint

    fetcher = urls.ProjectFetcher(book.root)
    style = book.output.style_dir
    fonts, sheets = _styles(book.root, style, book.output.page_size, fetcher)
    with collected_warnings() as warnings:
        document = weasyprint.HTML(string=html, base_url=style.as_uri() + "/", url_fetcher=fetcher).render(
            stylesheets=sheets, font_config=fonts)
        data = document.write_pdf(pdf_identifier=_identifier(book, edition.name))
    return data, len(document.pages), list(warnings)


def finish_interior(data: bytes, edition: PrintEdition) -> bytes:
    """Strip link annotations and the outline (no service wants them on paper; KDP refuses them) and
    pad with blank pages to an even count and the service's minimum; same input, same bytes."""
    import pikepdf

    with pikepdf.open(io.BytesIO(data)) as pdf:
        for page in pdf.pages:
            if "/Annots" in page.obj:
                del page.obj["/Annots"]
        for key in ("/Outlines", "/PageMode", "/OpenAction"):
            if key in pdf.Root:
                del pdf.Root[key]
        last = pdf.pages[-1]
        for _ in range(padded(edition, len(pdf.pages)) - len(pdf.pages)):
            blank = pikepdf.Dictionary(Type=pikepdf.Name.Page, Resources=pikepdf.Dictionary(),
                                       Contents=pdf.make_stream(b""))
            for box in ("/MediaBox", "/TrimBox", "/BleedBox"):
                if box in last.obj:
                    blank[box] = last.obj[box]
            pdf.pages.append(pikepdf.Page(blank))
        out = io.BytesIO()
        pdf.save(out, deterministic_id=True, compress_streams=True)
    return out.getvalue()


def cover_size(edition: PrintEdition, pages: int) -> tuple[float, float, float]:
    """The wrap cover's width and height, and its spine's width (inches, bleed included)."""
    width, height = TRIM_SIZE[edition.trim]
    spine = spine_width(edition.service, edition.paper, pages)
    return 2 * width + spine + 2 * BLEED_IN, height + 2 * BLEED_IN, spine


def lay_out_cover(book: Book, html: str, edition: PrintEdition) -> bytes:
    """Lay out the wrap cover (in a worker)."""
    from compiler import files, urls
    import weasyprint

    from weasyprint.text.fonts import FontConfiguration

    fetcher = urls.ProjectFetcher(book.root)
    style = book.output.style_dir
    fonts = FontConfiguration()
    from compiler.fonts import apply_plan

    sheet = weasyprint.CSS(string=apply_plan(files.read_project_file(book.root, style / "book.css").decode(),
                                             pdf=True, first=True),  # the plan's @font-face rules and stacks
                           base_url=(style / "book.css").as_uri(), url_fetcher=fetcher, font_config=fonts)
    return weasyprint.HTML(string=html, base_url=style.as_uri() + "/", url_fetcher=fetcher).write_pdf(
        stylesheets=[sheet], font_config=fonts, pdf_identifier=_identifier(book, edition.name + " cover"))


def cover_context(book: Book, edition: PrintEdition, pages: int) -> dict[str, Any]:
    """What ``wrap-cover.html`` needs: sizes in inches, and whether the spine carries text."""
    width, height = TRIM_SIZE[edition.trim]
    total, full_height, spine = cover_size(edition, pages)
    return {"edition": edition, "total_width": total, "total_height": full_height, "trim_width": width,
            "trim_height": height, "spine": spine, "bleed": BLEED_IN, "spine_text": pages >= SPINE_TEXT_PAGES,
            "barcode": BARCODE_IN, "blurb": book.meta.description, "pages": pages}
