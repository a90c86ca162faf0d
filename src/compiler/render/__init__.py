"""Render: the book model to HTML, through the Jinja2 templates both outputs share.

The PDF is one HTML document (``book.html``); the EPUB is one XHTML document
per part (``epub.xhtml``), built from the very same part templates, so the two
editions cannot disagree. Jinja2 runs with autoescaping and StrictUndefined:
text from posts always shows as text.
"""

from __future__ import annotations

import datetime as dt
import re
import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any

import jinja2
from jinja2.bccache import Bucket
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from markupsafe import Markup

from compiler import __version__, ids
from compiler.errors import CompilerError, Diagnostic
from compiler.ingest.text import shown
from compiler.model import Book, DateSpan
from compiler.model.kinds import SECTION_KINDS
from compiler.render import hyphenation, nodes
from compiler.render.typeset import typo

FONTS = {"serif": "EB Garamond", "sans": "Lato"}
PRINT_STYLESHEETS = ("book.css", "print.css")  # then page-<size>.css
_NUMBERS = ("Zero One Two Three Four Five Six Seven Eight Nine Ten Eleven Twelve Thirteen Fourteen "
            "Fifteen Sixteen Seventeen Eighteen Nineteen Twenty").split()
_LAST_WORD = re.compile(r" (\S+)$")


def heading(text: str) -> str:
    """A title as :func:`typo` sets it, its last word tied to the one before by a no-break
    space, so that a heading never ends on a line of one word ("II)")."""
    return _LAST_WORD.sub("\u00a0\\1", typo(text))


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


@dataclass(frozen=True)
class Slice:
    """Which part of the book a print document holds (the whole book by default).

    ``front`` is the opening (cover to epigraph), ``prelims`` the front matter
    after the contents (foreword, preface…). ``first_page`` restarts the page
    counter on the document's first page; ``toc_pages`` gives the contents the
    page labels, as text, of the entries laid out apart from them (the others
    are counted where they stand).
    """

    front: bool = True
    toc: bool = True
    prelims: bool = True
    chapters: tuple[int, ...] | None = None  # chapter numbers; None: all of them
    back: bool = True
    first_page: int | None = None
    toc_pages: Mapping[str, str] | None = field(default=None, hash=False)

    def has_chapter(self, number: int) -> bool:
        return self.chapters is None or number in self.chapters

    def page_attr(self, target: str) -> Markup:
        if self.toc_pages is None or target not in self.toc_pages:
            return Markup("")
        return Markup(' data-page="{}"').format(self.toc_pages[target])


WHOLE = Slice()


class TemplateSandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox, and more: a template reads the book model and plain values only.
    Nothing on a path (``book.root``, ``book.output.style_dir``: ``read_text``, ``write_text``,
    ``unlink``…) and nothing a module holds but its own functions and constants can be reached."""

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if isinstance(obj, PurePath) or isinstance(value, (types.ModuleType, type)):
            return False
        if isinstance(obj, types.ModuleType) and callable(value) and \
                getattr(value, "__module__", None) != obj.__name__:
            return False  # a function the module imported (from os, pathlib, shutil…), not its own
        return bool(super().is_safe_attribute(obj, attr, value))

    def is_safe_callable(self, obj: Any) -> bool:
        owner = getattr(obj, "__self__", None)
        if isinstance(owner, PurePath) or isinstance(obj, type):
            return False
        return bool(super().is_safe_callable(obj))


def _template_place(exc: BaseException, folder: Path, template: str) -> tuple[str, int]:
    """The template (relative to ``folder``) and line where a rendering error arose: the innermost
    template frame of the traceback Jinja rewrote, else ``template`` itself."""
    place = (template, 0)
    tb = exc.__traceback__
    while tb is not None:
        name = Path(tb.tb_frame.f_code.co_filename)
        if name.is_relative_to(folder):
            place = (name.relative_to(folder).as_posix(), tb.tb_lineno)
        tb = tb.tb_next
    return place


def _template_error(exc: jinja2.TemplateError, template: str, line: int) -> CompilerError:
    what = "template not found" if isinstance(exc, jinja2.TemplateNotFound) else \
        "unsafe template code refused" if isinstance(exc, SecurityError) else "template error"
    return CompilerError(Diagnostic("E107", f"{what}: {shown(str(exc.message or exc))}",
                                    f"templates/{template}", line,
                                    hint="templates may only format the book model; fix the template"))


class _Compiled(jinja2.BytecodeCache):
    """The templates this process compiled, kept for the next build (``serve`` builds again and again,
    each with a new environment: compiling the templates anew took a third of a rebuild's HTML).
    Jinja keys each template by its name and file, and recompiles it when its source changed (a
    checksum in the bucket); every environment that uses this cache is configured alike."""

    def __init__(self) -> None:
        self.store: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        data = self.store.get(bucket.key)
        if data is not None:
            bucket.bytecode_from_string(data)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.store[bucket.key] = bucket.bytecode_to_string()


COMPILED = _Compiled()


class Renderer:
    """Renders the book's HTML from the templates in ``<style>/templates``."""

    def __init__(self, book: Book, weasyprint_version: str = "", pictures: Any = None) -> None:
        self.book = book
        self.pictures = pictures  # the prepared images (compiler.bookmedia.Pictures), or None: placeholders
        # Sandboxed: a template under styles/ may come from anyone; it can format the book but never
        # reach Python's internals (``cycler.__init__.__globals__.os``), run commands or read files.
        self.templates = (book.output.style_dir / "templates").resolve()
        self.env = TemplateSandbox(
            loader=jinja2.FileSystemLoader(self.templates),
            autoescape=True, undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
            trim_blocks=False, lstrip_blocks=False, bytecode_cache=COMPILED)
        self.env.filters.update(typo=typo, heading=heading, span=span, longdate=longdate, spell=spell)
        tools = f"typeset with WeasyPrint {weasyprint_version}" if weasyprint_version else "typeset by compiler"
        self.env.globals.update(
            book=book, fonts=FONTS, colophon_tools=tools, generator=f"compiler {__version__}",
            section_kinds=SECTION_KINDS, scope=WHOLE, ids=ids,  # ids: the one id scheme (compiler.ids)
            print_edition=None, edition_css="", link_notes=None,  # a print edition's HTML: no cover page, its page rules
            pictures=pictures, for_epub=False)
        nodes.register(self.env, book.output.style_dir / "fonts", {p.id: p.title for p in book.posts})  # post bodies and editorial text: styles/templates/nodes.html

    def render(self, template: str, **context: Any) -> str:
        """Render one template; a broken or unsafe template is an input error (E107) at its line."""
        try:
            return self.env.get_template(template).render(**context)
        except jinja2.TemplateSyntaxError as exc:
            raise _template_error(exc, exc.name or template, exc.lineno) from None
        except jinja2.TemplateError as exc:  # not found, unsafe (SecurityError), undefined
            raise _template_error(exc, *_template_place(exc, self.templates, template)) from None
        except (RecursionError, OverflowError, ValueError, TypeError) as exc:  # a template that includes
            # itself, loops over range(10**9), formats wrongly: the template's fault, not the program's
            place = _template_place(exc, self.templates, template)
            raise _template_error(jinja2.TemplateRuntimeError(f"{type(exc).__name__}: {exc}"), *place) from None

    def print_html(self, part: Slice = WHOLE) -> str:
        """The book (or one slice of it) as one HTML document, for WeasyPrint, with the
        hyphenation policy's marks (:mod:`compiler.render.hyphenation`: names kept whole, short
        last words tied)."""
        html = self.render("book.html", href=lambda target: f"#{target}", scope=part, edition="print")
        return hyphenation.mark(html, self.names)

    @property
    def names(self) -> tuple[str, ...]:
        """Words never hyphenated besides capitalised ones: the manifest's ``hyphenation.names``,
        the authors, subjects and every post's tags."""
        book = self.book
        tags = (tag for post in book.posts for tag in post.tags)
        return (*book.output.names, *book.meta.authors, *book.meta.subjects, *tags)

    def epub_document(self, part: str, href: Callable[[str], str], title: str, body_type: str,
                      **context: Any) -> str:
        """One XHTML content document of the EPUB."""
        return self.render("epub.xhtml", part=part, href=href, doc_title=title, body_type=body_type,
                           for_epub=True, edition="epub", **context)

