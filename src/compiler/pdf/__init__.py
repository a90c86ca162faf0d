"""PDF: lay the book out with WeasyPrint and write a tagged PDF.

:mod:`compiler.pdf.layout` lays out one HTML document (the whole book, or a
part of it) and writes it; :mod:`compiler.pdf.parts` lays the book out in
parts on several cores; :mod:`compiler.pdf.merge` joins the parts. This
module imports nothing heavy: WeasyPrint is loaded only where a layout is made.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

from compiler.errors import display_path
from compiler.render import PRINT_STYLESHEETS

_URL = re.compile(r'fetch(?:ing)? (?:"([^"]+)"|(\S+?)(?::\s|:?$))')
_STYLE_FILES = (".css", ".html", ".xhtml", ".htm", ".svg")


class Refused(Exception):
    """A resource the project's URL fetcher refused, as an ordinary, picklable error that names
    where the URL is written (WeasyPrint's ``FatalURLFetchingError`` is a ``BaseException``, which
    ``except Exception`` lets through)."""

    def __init__(self, message: str, file: str = "render", line: int = 0) -> None:
        super().__init__(message, file, line)
        self.message, self.file, self.line = message, file, line


def refused(exc: BaseException, root: Path, style_dir: Path) -> Refused:
    """The :class:`Refused` error for a refused fetch: the file (stylesheet, template) and line
    that name its URL, or the last part of its path."""
    message = str(exc)
    match = _URL.search(message)
    url = (match[1] or match[2]) if match else ""
    name = unquote(urlsplit(url).path).rsplit("/", 1)[-1]
    try:
        candidates = sorted(p for p in style_dir.rglob("*") if p.suffix in _STYLE_FILES and p.is_file())
        for needle in [n for n in (url, name) if n]:
            for path in candidates:
                text = path.read_text(encoding="utf-8", errors="replace")
                if needle in text:
                    return Refused(message, display_path(path, root), text[: text.index(needle)].count("\n") + 1)
    except OSError:
        pass
    return Refused(message)


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
