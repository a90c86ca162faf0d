"""Donor copies: one print-ready PDF per donor, with "Printed for NAME" and a message on the verso
of the half-title.

``--for-list donors.csv`` names the donors, one a row: a name and an optional
message (a first row ``name,message`` is a header). Each copy is the book's
first print edition (``output.print``) with one page changed: the half-title's
verso, blank in the edition, is laid out anew for the donor (one small page,
all donors in one worker batch, the edition's own page rules) and put in
place with pikepdf (an IngramSpark copy is then made PDF/X-1a again, see
:mod:`compiler.pdf.pdfx`); the rest of the interior is laid out once. A copy's
bytes depend only on the book and the donor. Names and messages are text to
the templates (escaped like every other text), and every copy goes through
the leak scan like every other output.

Errors name the file and the row: E195 a row without a name or with more
than two fields, E196 a list without donors, E197 a name or message with a
control character or too long; E198 donor copies without a print edition.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from markupsafe import Markup
from slugify import slugify

from compiler import files
from compiler.errors import CompilerError, Diagnostic
from compiler.ingest.text import first_control, is_blank, shown
from compiler.model import Book, PrintEdition
from compiler.pdf import editions

MAX_NAME = 120
MAX_MESSAGE = 600
MAX_DONORS = 10_000
VERSO = 1  # the half-title's verso: the second page of a print interior


@dataclass(frozen=True)
class Donor:
    """One row of the list: who the copy is printed for, and what it says to them."""

    name: str
    message: str
    line: int


def read_donors(path: Path) -> list[Donor]:
    """The donors of a CSV file (UTF-8), every problem reported at once with its row."""
    where = files.display_path(path)
    text = files.read_text(path)
    problems: list[Diagnostic] = []
    donors: list[Donor] = []
    for number, row in enumerate(csv.reader(io.StringIO(text), strict=True), 1):
        cells = [c.strip() for c in row]
        if not any(cells) or (number == 1 and [c.casefold() for c in cells[:2]] == ["name", "message"][:len(cells)]):
            continue
        if len(cells) > 2 or not cells[0] or is_blank(cells[0]):
            problems.append(Diagnostic("E195", "a row is a name and an optional message", where, number,
                                       hint='write: Jane Doe,"Thank you for your help" (quote a comma)'))
            continue
        name, message = cells[0], cells[1] if len(cells) > 1 else ""
        for what, value, most in (("name", name, MAX_NAME), ("message", message, MAX_MESSAGE)):
            if first_control(value, bidi=True, newlines=False) is not None or len(value) > most:
                problems.append(Diagnostic("E197", f"the {what} '{shown(value, 40)}' has a control character or "
                                           f"is over {most} characters", where, number, hint=f"shorten the {what}"))
        donors.append(Donor(name, message, number))
    if len(donors) > MAX_DONORS:
        problems.append(Diagnostic("E195", f"more than {MAX_DONORS} donors", where, hint="split the list"))
    if problems:
        raise CompilerError(problems)
    if not donors:
        raise CompilerError(Diagnostic("E196", "the list names no donor", where,
                                       hint="one name a row, with an optional message after a comma"))
    return donors


def file_name(book: Book, edition: PrintEdition, number: int, donor: Donor) -> str:
    """``<basename>-<edition>-for-007-jane-doe.pdf`` (the row number keeps two Jane Does apart)."""
    slug = slugify(donor.name, max_length=40) or "donor"
    return f"{book.output.basename}-{edition.name}-for-{number:03d}-{slug}.pdf"


def page_html(renderer: Any, edition: PrintEdition, pages: int, donor: Donor) -> str:
    """The dedication page of one copy, with the edition's page rules (laid out as a left page)."""
    return str(renderer.render("donor.html", edition_css=Markup(editions.interior_css(edition, pages)),
                               donor=donor))


def lay_out_pages(book: Book, htmls: list[str]) -> list[bytes]:
    """Lay out each donor's page (in a worker; one font configuration for all): each document's
    second page, a left page like the verso it replaces."""
    from compiler import urls
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration

    fetcher = urls.ProjectFetcher(book.root)
    style = book.output.style_dir
    fonts = FontConfiguration()
    sheet = weasyprint.CSS(string=files.read_project_file(book.root, style / "book.css").decode(),
                           base_url=(style / "book.css").as_uri(), url_fetcher=fetcher, font_config=fonts)
    out = []
    for html in htmls:
        document = weasyprint.HTML(string=html, base_url=style.as_uri() + "/", url_fetcher=fetcher).render(
            stylesheets=[sheet], font_config=fonts)
        identifier = hashlib.sha256(html.encode()).hexdigest()[:32].encode()
        out.append(document.copy([document.pages[-1]]).write_pdf(pdf_identifier=identifier))
    return out


def splice(interior: bytes, page: bytes) -> bytes:
    """The interior with its verso page replaced by ``page``; deterministic bytes."""
    import pikepdf

    with pikepdf.open(io.BytesIO(interior)) as pdf, pikepdf.open(io.BytesIO(page)) as single:
        old = pdf.pages[VERSO]
        pdf.pages.insert(VERSO, single.pages[0])
        new = pdf.pages[VERSO]
        for box in ("/MediaBox", "/TrimBox", "/BleedBox"):
            if box in old.obj:
                new.obj[box] = old.obj[box]
        del pdf.pages[VERSO + 1]
        out = io.BytesIO()
        pdf.save(out, deterministic_id=True, compress_streams=True)
    return out.getvalue()


def copies(book: Book, donors: list[Donor], interiors: dict[str, bytes], facts: list[dict[str, Any]],
           renderer: Any, pool: Any, jobs: int) -> dict[str, bytes]:
    """One copy of the first print edition per donor, by file name."""
    if not book.output.print_editions or not facts:
        raise CompilerError(Diagnostic("E198", "donor copies are print copies, and the book names no print "
                                       "edition", "book.yaml", hint="add output.print, e.g. {service: kdp}"))
    edition, fact = book.output.print_editions[0], facts[0]
    interior = interiors[fact["interior"]]
    htmls = [page_html(renderer, edition, fact["pages"], d) for d in donors]
    batches = [htmls[i::max(jobs, 1)] for i in range(max(jobs, 1))]
    laid = [pool.submit(lay_out_pages, book, batch) for batch in batches if batch]
    pages: list[bytes] = [b""] * len(htmls)
    for k, pending in enumerate(laid):
        for j, data in enumerate(pending.result()):
            pages[k + j * max(jobs, 1)] = data
    names = [file_name(book, edition, n, donor) for n, donor in enumerate(donors, 1)]
    return {name: finish_copy(book, edition, name, interior, page) for name, page in zip(names, pages)}


def finish_copy(book: Book, edition: PrintEdition, name: str, interior: bytes, page: bytes) -> bytes:
    """A donor's copy: ``page`` spliced in, and for IngramSpark made PDF/X-1a again (the page is
    WeasyPrint's, in RGB)."""
    copy = splice(interior, page)
    if edition.service != "ingram":
        return copy
    from compiler.pdf import pdfx

    return pdfx.to_pdfx(copy, name, book.meta.title, book.meta.modified)
