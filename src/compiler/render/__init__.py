"""Render: the book model to HTML, through the Jinja2 templates both outputs share.

The PDF is one HTML document (``book.html``); the EPUB is one XHTML document
per part (``epub.xhtml``), built from the very same part templates, so the two
editions cannot disagree. Jinja2 runs with autoescaping and StrictUndefined:
text from posts always shows as text.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import jinja2
from compiler import __version__
from compiler.model import Book, DateSpan

FONTS = {"serif": "EB Garamond", "sans": "Lato"}
PRINT_STYLESHEETS = ("book.css", "print.css")  # then page-<size>.css
SECTION_TYPES = {"dedication": "dedication", "epigraph": "epigraph", "foreword": "foreword",
                 "preface": "preface", "introduction": "introduction", "acknowledgements": "acknowledgments",
                 "afterword": "afterword", "appendix": "appendix", "notes": "endnotes",
                 "how-to-help": "appendix", "about-the-authors": "appendix", "sources": "appendix"}
SECTION_ROLES = {"dedication": "doc-dedication", "epigraph": "doc-epigraph", "foreword": "doc-foreword",
                 "preface": "doc-preface", "introduction": "doc-introduction",
                 "acknowledgements": "doc-acknowledgments", "afterword": "doc-afterword",
                 "appendix": "doc-appendix", "how-to-help": "doc-appendix",
                 "about-the-authors": "doc-appendix", "sources": "doc-appendix", "notes": "doc-endnotes"}
_NUMBERS = ("Zero One Two Three Four Five Six Seven Eight Nine Ten Eleven Twelve Thirteen Fourteen "
            "Fifteen Sixteen Seventeen Eighteen Nineteen Twenty").split()
_SPACES = re.compile(r"[ \u00a0]+")
_INVISIBLE = re.compile(r"[\u0000-\u0008\u000b-\u001f\u007f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")


def typo(text: str) -> str:
    """Typesetting clean-up of post text: plain single spaces, no invisible controls.

    The model keeps the text exactly; only its rendering folds each run of
    spaces and no-break spaces (the blog's editor typed ".\u00a0 " between
    sentences and "in\u00a0Kazakhstan" at random) into one ordinary space, so
    justified lines space evenly, and drops zero-width and bidi control
    characters that would otherwise hide or reorder text.
    """
    return _SPACES.sub(" ", _INVISIBLE.sub("", text))


def span(date: DateSpan | None) -> str:
    """A post's date as a reader reads it: a day, a month or a year."""
    if date is None:
        return ""
    if date.precise:
        return f"{date.start.day} {date.start:%B %Y}"
    if date.start.day == 1 and date.end.month == date.start.month and date.end.year == date.start.year:
        return f"{date.start:%B %Y}"
    if date.start.timetuple().tm_yday == 1 and date.end.year == date.start.year and date.end.month == 12:
        return f"{date.start.year}"
    return f"{date.start.day} {date.start:%B %Y} – {date.end.day} {date.end:%B %Y}"


def longdate(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


def spell(number: int) -> str:
    return _NUMBERS[number] if 0 <= number < len(_NUMBERS) else str(number)


class Renderer:
    """Renders the book's HTML from the templates in ``<style>/templates``."""

    def __init__(self, book: Book, weasyprint_version: str = "") -> None:
        self.book = book
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(book.output.style_dir / "templates"),
            autoescape=True, undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
            trim_blocks=False, lstrip_blocks=False)
        self.env.filters.update(typo=typo, span=span, longdate=longdate, spell=spell)
        tools = f"typeset with WeasyPrint {weasyprint_version}" if weasyprint_version else "typeset by compiler"
        self.env.globals.update(
            book=book, fonts=FONTS, colophon_tools=tools, generator=f"compiler {__version__}",
            section_types=SECTION_TYPES, section_roles=SECTION_ROLES)

    def render(self, template: str, **context: Any) -> str:
        return self.env.get_template(template).render(**context)

    def print_html(self) -> str:
        """The whole book as one HTML document, for WeasyPrint."""
        return self.render("book.html", href=lambda target: f"#{target}")

    def epub_document(self, part: str, href: Callable[[str], str], title: str, body_type: str,
                      **context: Any) -> str:
        """One XHTML content document of the EPUB."""
        return self.render("epub.xhtml", part=part, href=href, doc_title=title, body_type=body_type,
                           **context)

