"""Make the print editions a book's manifest names: each interior and its wrap cover, in memory.

For each edition (:class:`~compiler.model.PrintEdition`) the book is rendered
from the same templates as the screen edition, without the cover page and
with the service's page rules (:func:`compiler.pdf.editions.interior_css`),
laid out as one document in a worker, and checked: when the real page count
needs another gutter than the estimate gave, it is laid out again with the
right one. The interior is then finished (no annotations or outline, padded
pages) and the cover is drawn for the final page count. Results are cached by
their HTML, stylesheets and fonts, like the screen edition's layout. IngramSpark's
interior and cover are then made PDF/X-1a:2001 (:mod:`compiler.pdf.pdfx`).
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup

from compiler import cache
from compiler.model import Book, PrintEdition
from compiler.model.kinds import WORDS_PER_PAGE
from compiler.pdf import editions, pdfx, stylesheet_paths
from compiler.render import Renderer
from compiler.render.linknotes import LinkNotes
from compiler.trace import trace


@dataclass
class Printed:
    """The print files of a book and what to report of them."""

    files: dict[str, bytes] = field(default_factory=dict)
    facts: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def file_names(book: Book, edition: PrintEdition) -> tuple[str, str]:
    """The interior's and the cover's file names."""
    stem = f"{book.output.basename}-{edition.name}"
    return f"{stem}.pdf", f"{stem}-cover.pdf"


#: Part of every cache key here: raise it when the layout code changes what the same HTML gives.
LAYOUT_VERSION = 1


def _key(book: Book, html: str, what: str) -> str:
    digest = hashlib.sha256(f"{LAYOUT_VERSION}\0{what}\0{html}".encode())
    style = book.output.style_dir
    for path in [*stylesheet_paths(style, book.output.page_size), *sorted((style / "fonts").glob("*.*tf"))]:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _pages(data: bytes) -> int:
    import pikepdf

    with pikepdf.open(io.BytesIO(data)) as pdf:
        return len(pdf.pages)


def _interior(book: Book, renderer: Renderer, edition: PrintEdition, pages: int, pool: Any,
              use_cache: bool) -> tuple[bytes, int, list[str]]:
    """The interior laid out for an expected page count: (PDF, pages, warnings)."""
    css = editions.interior_css(edition, pages)
    html = renderer.render("book.html", href=lambda target: f"#{target}", print_edition=edition, edition="print",
                           edition_css=Markup(css), link_notes=LinkNotes())
    key = _key(book, html, f"interior {edition}")
    warnings: list[str] = []

    def lay_out() -> bytes:
        data, _count, found = pool.submit(editions.lay_out_interior, book, html, edition).result()
        warnings.extend(found)
        return bytes(data)

    data = cache.memo(book.output.directory, "print", key, lay_out, use_cache)
    return data, _pages(data), warnings


def render_editions(book: Book, pool: Any, use_cache: bool, pictures: Any = None) -> Printed:
    """Every print edition of ``book``: interior and cover files, facts for the report."""
    printed = Printed()
    if not book.output.print_editions:
        return printed
    renderer = Renderer(book, pictures=pictures)  # pictures: the book's prepared images (compiler.bookmedia)
    words = sum(p.words for p in book.posts)
    for edition in book.output.print_editions:
        trace("render-print", part=edition.name)
        size = "6x9in" if edition.trim != "6x9in" else edition.trim
        guess = editions.padded(edition, words // WORDS_PER_PAGE[size] + 12)  # + front and back matter
        data, pages, warnings = _interior(book, renderer, edition, guess, pool, use_cache)
        tries = 1
        while editions.gutter(editions.padded(edition, pages)) != editions.gutter(guess) and tries < 3:
            guess = editions.padded(edition, pages)  # the real count needs another gutter: again
            data, pages, warnings = _interior(book, renderer, edition, guess, pool, use_cache)
            tries += 1
        interior = editions.finish_interior(data, edition)
        final = editions.padded(edition, pages)
        cover_html = renderer.render("wrap-cover.html", **editions.cover_context(book, edition, final))
        cover = cache.memo(book.output.directory, "print", _key(book, cover_html, f"cover {edition}"),
                           lambda: bytes(pool.submit(editions.lay_out_cover, book, cover_html, edition).result()),
                           use_cache)
        inside, cover_name = file_names(book, edition)
        if edition.service == "ingram":  # IngramSpark takes PDF/X-1a:2001 only, interior and cover
            interior = pdfx.to_pdfx(interior, inside, book.meta.title, book.meta.modified)
            cover = pdfx.to_pdfx(cover, cover_name, f"{book.meta.title}: cover", book.meta.modified)
        printed.files[inside] = interior
        printed.files[cover_name] = cover
        width, height, spine = editions.cover_size(edition, final)
        printed.facts.append({"edition": edition.name, "service": edition.service, "paper": edition.paper,
                              "trim": edition.trim, "bleed": edition.bleed, "laid_out_pages": pages,
                              "pages": final, "gutter_in": editions.gutter(final), "layouts": tries,
                              "spine_in": round(spine, 4), "cover_in": [round(width, 4), round(height, 4)],
                              "interior": inside, "cover": cover_name})
        printed.warnings.extend(warnings)
    return printed
