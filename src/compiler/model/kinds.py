"""The closed lists of the book, each defined once: output formats, page sizes and section kinds.

The manifest schema, the command line, the model, the renderer and the PDF
stage all take their choices from here, so that adding a page size or a kind
of front matter is one edit, and no two places can disagree about a value
such as the words a page holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

Format = Literal["pdf", "epub"]
FORMATS: tuple[Format, ...] = get_args(Format)

PageSize = Literal["A4", "Letter", "6x9in"]
PAGE_SIZES: tuple[PageSize, ...] = get_args(PageSize)

#: Print-on-demand services, papers and trims a print edition may name (``output.print``); the
#: services' rules (bleed, gutter, minimum pages, spine) are in :mod:`compiler.pdf.editions`.
Service = Literal["kdp", "lulu", "ingram"]
SERVICES: tuple[Service, ...] = get_args(Service)
Paper = Literal["white", "cream"]
Trim = Literal["6x9in", "5.5x8.5in", "A5"]
TRIMS: tuple[Trim, ...] = get_args(Trim)
#: Which editions a build makes (``--edition``): the screen PDF and EPUB, or the print files.
Edition = Literal["screen", "print"]
EDITIONS: tuple[Edition, ...] = get_args(Edition)

#: Words of running text a page of each size holds: a first guess of page counts (the parts'
#: first folios, ``check``'s estimate); a wrong guess costs only a second layout.
WORDS_PER_PAGE: dict[PageSize, int] = {"A4": 350, "Letter": 300, "6x9in": 210}

SectionKind = Literal["dedication", "epigraph", "foreword", "preface", "introduction",
                      "how-to-help", "about-the-authors", "acknowledgements", "sources",
                      "afterword", "appendix", "notes"]


@dataclass(frozen=True, slots=True)
class SectionSpec:
    """How a kind of front or back matter is titled and marked up."""

    title: str  # the default title
    epub_type: str  # EPUB 3 structural semantics
    role: str  # DPUB-ARIA role
    before_contents: bool = False  # set before the contents (Chicago 1.4), not listed in them


SECTION_KINDS: dict[SectionKind, SectionSpec] = {
    "dedication": SectionSpec("Dedication", "dedication", "doc-dedication", before_contents=True),
    "epigraph": SectionSpec("Epigraph", "epigraph", "doc-epigraph", before_contents=True),
    "foreword": SectionSpec("Foreword", "foreword", "doc-foreword"),
    "preface": SectionSpec("Preface", "preface", "doc-preface"),
    "introduction": SectionSpec("Introduction", "introduction", "doc-introduction"),
    "how-to-help": SectionSpec("How to Help", "appendix", "doc-appendix"),
    "about-the-authors": SectionSpec("About the Authors", "appendix", "doc-appendix"),
    "acknowledgements": SectionSpec("Acknowledgements", "acknowledgments", "doc-acknowledgments"),
    "sources": SectionSpec("Sources", "appendix", "doc-appendix"),
    "afterword": SectionSpec("Afterword", "afterword", "doc-afterword"),
    "appendix": SectionSpec("Appendix", "appendix", "doc-appendix"),
    "notes": SectionSpec("Notes", "endnotes", "doc-endnotes"),
}
assert set(SECTION_KINDS) == set(get_args(SectionKind))

#: The kind of a front or back matter entry that names an export's page (``- page: about``) and no kind.
PAGE_KIND: dict[str, SectionKind] = {"front_matter": "introduction", "back_matter": "appendix"}

#: Post statuses of a WordPress export a manifest may add to ``publish`` (``include_status``).
Status = Literal["draft", "private", "future", "pending"]

#: Every post status a chapter rule may select (``statuses``): ``publish`` and the opt-in ones.
PostStatus = Literal["publish", "draft", "private", "future", "pending"]

#: WordPress post formats a chapter rule may select (``formats``); other sources' posts are ``standard``.
PostFormat = Literal["standard", "aside", "audio", "chat", "gallery", "image", "link", "quote", "status", "video"]

#: How a chapter orders its posts (``sort``): as listed (a rule: the order the sources hold them),
#: by date (undated posts last), newest first, or by title.
SortOrder = Literal["listed", "date", "date-desc", "title"]
