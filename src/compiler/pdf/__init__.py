"""PDF: lay the book out with WeasyPrint and write a tagged PDF.

:mod:`compiler.pdf.layout` lays out one HTML document (the whole book, or a
part of it) and writes it; :mod:`compiler.pdf.parts` lays the book out in
parts on several cores; :mod:`compiler.pdf.merge` joins the parts. This
module imports nothing heavy: WeasyPrint is loaded only where a layout is made.
"""

from __future__ import annotations

from pathlib import Path

from compiler.render import PRINT_STYLESHEETS


def stylesheet_paths(style_dir: Path, page_size: str) -> list[Path]:
    """The print stylesheets, in cascade order."""
    return [style_dir / name for name in (*PRINT_STYLESHEETS, f"page-{page_size}.css")]


def roman(number: int) -> str:
    """Lower-case roman numerals, as CSS ``lower-roman`` prints them."""
    out = ""
    for value, letters in ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"),
                           (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")):
        count, number = divmod(number, value)
        out += letters * count
    return out
