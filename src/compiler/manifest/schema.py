"""The declarative, typed schema of ``book.yaml``.

Pydantic checks shapes and types and reports every error at once; this module
turns its errors into one-line diagnostics with the line and column where the
problem was written, and a "did you mean" for misspelt keys.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from compiler.errors import Diagnostic
from compiler.ingest.text import shown
from compiler.manifest.yamlsrc import Located
from compiler.model.kinds import (
    PAGE_KIND, Format, PageSize, Paper, PostFormat, PostStatus, SectionKind, Service, SortOrder, Status, Trim,
)

_BCP47 = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z]{4})?(?:-(?:[A-Za-z]{2}|\d{3}))?(?:-[A-Za-z\d]{5,8})*$")
_ID = r"^[a-z0-9][a-z0-9-]*$"
_COLOR = r"^#[0-9a-fA-F]{6}$"

NonEmpty = Annotated[str, Field(min_length=1)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CoverSpec(_Strict):
    background: Annotated[str, Field(pattern=_COLOR)] = "#1f3a4d"
    foreground: Annotated[str, Field(pattern=_COLOR)] = "#f4efe6"
    accent: Annotated[str, Field(pattern=_COLOR)] = "#c9a45c"


class BookSpec(_Strict):
    title: NonEmpty
    subtitle: str = ""
    authors: Annotated[list[NonEmpty], Field(min_length=1)]
    language: str = "en"
    publisher: str = ""
    date: dt.date | None = None
    identifier: str | None = None
    isbn: str | None = None  # printed on the copyright page; the book's identifier when none is given
    edition: str = "First edition"
    rights: str = "All rights reserved."
    description: str = ""
    subjects: list[NonEmpty] = []
    cover: CoverSpec = CoverSpec()

    @field_validator("language")
    @classmethod
    def _language(cls, value: str) -> str:
        if not _BCP47.match(value):
            raise ValueError("is not a BCP 47 language tag such as 'en' or 'en-GB'")
        return value

    @field_validator("identifier")
    @classmethod
    def _identifier(cls, value: str | None) -> str | None:
        if value is None:
            return None
        digits = value.replace("-", "").replace(" ", "")
        if value.lower().startswith(("urn:", "isbn:")) or re.fullmatch(r"97[89]\d{10}|\d{9}[\dX]", digits):
            return value
        raise ValueError("must be an ISBN or a URN such as 'urn:uuid:…'")


    @field_validator("isbn")
    @classmethod
    def _isbn(cls, value: str | None) -> str | None:
        if value is not None:
            isbn_digits(value)
        return value


def isbn_digits(value: str) -> str:
    """The digits of an ISBN-10 or ISBN-13 (hyphens and spaces dropped), its check digit verified;
    ValueError otherwise."""
    digits = re.sub(r"[\s-]", "", value.removeprefix("ISBN").removeprefix("isbn").lstrip(": "))
    if re.fullmatch(r"97[89]\d{10}", digits):
        if sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(digits)) % 10:
            raise ValueError("is not an ISBN: its check digit is wrong (check the number)")
        return digits
    if re.fullmatch(r"\d{9}[\dXx]", digits):
        total = sum((10 - i) * (10 if d in "Xx" else int(d)) for i, d in enumerate(digits))
        if total % 11:
            raise ValueError("is not an ISBN: its check digit is wrong (check the number)")
        return digits.upper()
    raise ValueError("is not an ISBN: give 13 digits starting 978 or 979 (or 10), hyphens allowed")


class MatterSpec(_Strict):
    """Editorial Markdown (``file``) or a page of a WordPress export, by slug (``page``)."""

    kind: SectionKind | None = None
    title: str | None = None
    file: NonEmpty | None = None
    page: NonEmpty | None = None

    @model_validator(mode="after")
    def _file_or_page(self) -> MatterSpec:
        if (self.file is None) == (self.page is None):
            raise ValueError("give either 'file' (a Markdown file) or 'page' (an export's page slug), not both")
        if self.file is not None and self.kind is None:
            raise ValueError("a 'file' needs a 'kind', such as 'foreword'")
        return self

    def kind_in(self, part: str) -> SectionKind:
        """The section kind: as written, or for a page the part's default (:data:`PAGE_KIND`)."""
        return self.kind or PAGE_KIND[part]


class RuleSpec(_Strict):
    """What a chapter takes (see :mod:`compiler.manifest.rules`): every condition given must hold; a
    list holds when any of its values does. An empty rule takes every post no chapter before took."""

    categories: list[NonEmpty] = []  # a category takes its subcategories' posts too
    tags: list[NonEmpty] = []
    authors: list[NonEmpty] = []
    formats: list[PostFormat] = []
    statuses: list[PostStatus] = []
    since: dt.date | None = None  # first day (inclusive)
    until: dt.date | None = None  # last day (inclusive)
    title_matches: str | None = None

    @field_validator("title_matches")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"is not a valid regular expression: {exc}") from None
        return value


class FilterSpec(_Strict):
    """The book-level filter: posts outside it are in no chapter (and not reported as unplaced)."""

    since: dt.date | None = None
    until: dt.date | None = None
    exclude_categories: list[NonEmpty] = []
    exclude_tags: list[NonEmpty] = []


class ChapterSpec(_Strict):
    id: Annotated[str, Field(pattern=_ID)]
    title: NonEmpty
    subtitle: str = ""
    intro: str | None = None
    posts: list[NonEmpty] | None = None
    rule: RuleSpec | None = None
    page: NonEmpty | None = None  # a page of a WordPress export, by slug, as the chapter's text
    include: list[NonEmpty] = []
    exclude: list[NonEmpty] = []
    sort: SortOrder = "listed"
    comments: bool | None = None  # print the posts' comments (default: the book's ``comments``)

    @model_validator(mode="after")
    def _posts_or_rule(self) -> ChapterSpec:
        if sum(x is not None for x in (self.posts, self.rule, self.page)) != 1:
            raise ValueError("give one of 'posts' (a list of post ids), 'rule' or 'page' (an export's page slug)")
        if self.page is not None and self.intro is not None:
            raise ValueError("a 'page' chapter is the page's text: it has no 'intro'")
        return self


class PrintSpec(_Strict):
    service: Service
    paper: Paper = "white"
    trim: Trim = "6x9in"
    bleed: bool = False  # print to the edge: only for interiors with images or colour at the trim


class OutputSpec(_Strict):
    print: PrintSpec | list[PrintSpec] = []  # print-on-demand editions (compiler/pdf/editions.py)
    dir: NonEmpty = "out"
    basename: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$", max_length=100)] = "book"
    formats: Annotated[list[Format], Field(min_length=1)] = ["pdf", "epub"]
    page_size: PageSize = "A4"
    style: NonEmpty = "styles"
    show_tags: bool = True  # the line under each post's title says "Filed under" its tags (false: the date only)


class CorrectionSpec(_Strict):
    post: NonEmpty
    find: NonEmpty
    replace: str


class RedactionSpec(_Strict):
    term: NonEmpty
    replacement: NonEmpty


class HyphenationSpec(_Strict):
    """Names never to hyphenate besides capitalised words; ``Ka|zakh|stan`` may break at ``|`` only."""

    names: list[Annotated[str, Field(min_length=1, max_length=100)]] = []

    @field_validator("names")
    @classmethod
    def _names(cls, value: list[str]) -> list[str]:
        for name in value:
            if re.search(r"\s\||\|\s|^\||\|$|\|\|", name):
                raise ValueError(f"'{name}': a '|' marks a break point between two letters of a word")
        return value


class ManifestSpec(_Strict):
    book: BookSpec
    sources: list[NonEmpty]  # globs inside the project ([] when every source is external)
    external_sources: list[NonEmpty] = []  # single files anywhere (read, never written): E270, E271
    include_status: list[Status] = []  # WordPress statuses besides 'publish'
    include_password: list[Annotated[int, Field(ge=1)]] = []  # password-protected posts, by export id
    comments: bool = False  # print approved comments after each post (a chapter's ``comments`` wins)
    filter: FilterSpec = FilterSpec()  # which posts the book may hold at all
    media: NonEmpty | None = None  # a copy of the blog's wp-content/uploads (relative to the manifest): E130
    front_matter: list[MatterSpec] = []
    chapters: Annotated[list[ChapterSpec], Field(min_length=1)]
    back_matter: list[MatterSpec] = []
    output: OutputSpec = OutputSpec()
    corrections: list[CorrectionSpec] = []
    redactions: list[RedactionSpec] = []
    hyphenation: HyphenationSpec = HyphenationSpec()  # names never hyphenated, or only at given points

    @model_validator(mode="after")
    def _some_source(self) -> ManifestSpec:
        if not self.sources and not self.external_sources:
            raise ValueError("give 'sources' (globs inside the project) or 'external_sources' (files)")
        return self


def _model_at(path: tuple[Any, ...]) -> type[BaseModel] | None:
    """The schema class that describes the mapping at ``path``."""
    model: Any = ManifestSpec
    for part in path:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        if field is None:
            return None
        annotation = field.annotation
        for candidate in getattr(annotation, "__args__", ()) + (annotation,):
            inner = getattr(candidate, "__args__", (candidate,))[0] if hasattr(candidate, "__args__") else candidate
            if isinstance(inner, type) and issubclass(inner, BaseModel):
                model = inner
                break
        else:
            return None
    return model


def _hint_for_extra(path: tuple[Any, ...]) -> str:
    model = _model_at(path[:-1])
    if model is None:
        return "remove it"
    known = list(model.model_fields)
    close = difflib.get_close_matches(str(path[-1]), known, n=1, cutoff=0.6)
    if close:
        return f"did you mean '{close[0]}'?"
    return "known keys: " + ", ".join(known)


def _label(path: tuple[Any, ...]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "manifest"


def validate(located: Located, file: str) -> tuple[ManifestSpec | None, list[Diagnostic]]:
    """Validate the data against the schema; return the spec or every error."""
    diagnostics = [
        Diagnostic("E201", f"duplicate key '{shown(path[-1])}' (first written on line {first})", file, line, col,
                   hint="keep one of them: YAML would silently use the last")
        for path, line, col, first in located.duplicates
    ]
    diagnostics += [Diagnostic(p.code, p.message, file, p.line, p.column, p.hint) for p in located.problems]
    if not isinstance(located.data, dict):
        diagnostics.append(Diagnostic("E202", "the manifest must be a mapping with 'book', 'sources' and "
                                      "'chapters'", file, 1, 1, hint="see the README for an example"))
        return None, diagnostics
    try:
        spec = ManifestSpec.model_validate(located.data)
    except ValidationError as exc:
        for error in exc.errors(include_url=False):
            path = tuple(p for p in error["loc"] if not (isinstance(p, str) and p[:1].isupper()
                                                          or str(p).startswith("function-")))
            if any(path[:n] in located.refused for n in range(len(path) + 1)):
                continue  # its value was refused already (a control character, say)
            line, col = located.where(path)
            kind = error["type"]
            if kind == "extra_forbidden":
                diagnostics.append(Diagnostic("E203", f"unknown key '{shown(_label(path))}'", file, line, col,
                                              hint=shown(_hint_for_extra(path), 200)))
            elif kind == "missing":
                diagnostics.append(Diagnostic("E204", f"missing key '{_label(path)}'", file, line, col,
                                              hint="add it"))
            else:
                message = shown(error["msg"].removeprefix("Value error, "), 200)
                got = error.get("input")
                value = "" if isinstance(got, (dict, list)) else \
                    f", got '{shown(got)}'" if isinstance(got, str) else f", got {shown(repr(got))}"
                diagnostics.append(Diagnostic("E205", f"'{shown(_label(path))}': {message}{value}", file, line, col,
                                              hint="fix the value's type or spelling"))
        return None, diagnostics
    return (spec if not diagnostics else None), diagnostics
