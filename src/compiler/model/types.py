"""The frozen, typed document model where the pipeline's stages meet.

Readers (ingest, dedup, manifest) produce these objects; writers (render,
pdf, epub, verify) consume only these objects and never reach back into raw
input. Everything here is immutable and picklable.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from compiler.model.entries import Comment
from compiler.model.kinds import SECTION_KINDS, Format, PageSize, Paper, SectionKind, Service, Trim
from compiler.model.nodes import EXEMPT, ROLE, Content, paragraphs, plain_text

BlockKind = Literal["p", "heading", "quote", "signoff", "note"]

#: Field metadata of a str that is no text (an id, a kind, a language tag): the text walks
#: (:func:`~compiler.model.nodes.map_text`) leave it alone; redaction rewrites ids as ids.
_NOT_TEXT = {ROLE: EXEMPT}

_WORD = re.compile(r"\w+(?:[’'-]\w+)*")


def count_words(text: str) -> int:
    """Words as a reader counts them (hyphenated and apostrophe words are one)."""
    return len(_WORD.findall(text))



@dataclass(frozen=True, slots=True)
class Block:
    """A block of an archive page's post text, as :mod:`compiler.ingest.structure` guesses it.

    Internal to reading archive pages: :mod:`compiler.model.convert` turns
    these into :class:`~compiler.model.nodes.Content` at once, and nothing
    after ingest (dedup, the model, the writers) sees a ``Block``.

    ``p`` paragraph, ``heading`` a short heading line inside a post, ``note``
    an editorial aside such as "(to be continued)", ``signoff`` a closing
    salutation (``lines``), ``quote`` a quoted letter made of child blocks.
    """

    kind: BlockKind
    text: str = ""
    children: tuple[Block, ...] = ()
    lines: tuple[str, ...] = ()

    def texts(self) -> tuple[str, ...]:
        """The source paragraphs of this block, in order."""
        if self.kind == "quote":
            return tuple(t for child in self.children for t in child.texts())
        if self.kind == "signoff":
            return self.lines
        return (self.text,)


@dataclass(frozen=True, slots=True)
class DateSpan:
    """When a post was published: one day, or the range an archive page covers."""

    start: dt.date
    end: dt.date

    @property
    def precise(self) -> bool:
        return self.start == self.end

    @property
    def width(self) -> int:
        return (self.end - self.start).days


@dataclass(frozen=True, slots=True)
class Seen:
    """Provenance: one place a copy of a post was found."""

    file: str
    line: int
    position: int
    header: str


@dataclass(frozen=True, slots=True)
class PostCopy:
    """One copy of a post as read from one archive page."""

    title: str
    content: Content
    tags: tuple[str, ...]
    date: DateSpan | None
    comments: int
    seen: Seen
    thread: tuple[Comment, ...] = ()  # approved comments, threaded, when the source holds them
    categories: tuple[str, ...] = ()  # top-level categories, when the source has them
    markup: bool = False  # the source keeps the author's markup: preferred to a plain-text copy
    authors: tuple[str, ...] = ()  # display names, when the source names them
    category_paths: tuple[tuple[str, ...], ...] = ()  # each category with its ancestors, top first
    status: str = field(default="publish", metadata=_NOT_TEXT)  # WordPress post status
    post_format: str = field(default="standard", metadata=_NOT_TEXT)  # WordPress post format
    sticky: bool = False
    excerpt: bool = False  # the source holds a summary only (a feed's description): a full copy wins

    @property
    def paragraphs(self) -> tuple[str, ...]:
        return tuple(paragraphs(self.content))

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)


@dataclass(frozen=True, slots=True)
class Post:
    """A unique post after deduplication (``id`` is walked by no text walk: redaction rewrites it as an id)."""

    id: str = field(metadata=_NOT_TEXT)
    title: str
    content: Content
    tags: tuple[str, ...]
    date: DateSpan | None
    comments: int  # how many the source says it has (an archive page's footer, or the thread's size)
    provenance: tuple[Seen, ...]
    thread: tuple[Comment, ...] = ()  # the approved comments, threaded, when the source holds them
    categories: tuple[str, ...] = ()  # top-level categories of the source
    authors: tuple[str, ...] = ()  # display names, when a source names them
    category_paths: tuple[tuple[str, ...], ...] = ()  # each category with its ancestors, top first
    status: str = field(default="publish", metadata=_NOT_TEXT)  # WordPress post status
    post_format: str = field(default="standard", metadata=_NOT_TEXT)  # WordPress post format
    sticky: bool = False

    @property
    def paragraphs(self) -> tuple[str, ...]:
        """The plain text of every text block of the body, in order."""
        return tuple(paragraphs(self.content))

    @property
    def words(self) -> int:
        return count_words(plain_text(self.content))


@dataclass(frozen=True, slots=True)
class Merge:
    """One copy folded into a post, and why."""

    post: str
    copy: Seen
    reason: Literal["exact", "near", "excerpt"]
    similarity: float
    kept: Seen | None = None  # the copy whose text the post has
    kept_for: str = field(default="", metadata=_NOT_TEXT)  # why that one (dedup.kept_for: a fixed phrase)


@dataclass(frozen=True, slots=True)
class Section:
    """Front or back matter: a titled piece of editorial text (from Markdown, as nodes)."""

    id: str = field(metadata=_NOT_TEXT)
    kind: SectionKind = field(metadata=_NOT_TEXT)
    title: str
    content: Content


@dataclass(frozen=True, slots=True)
class Chapter:
    """A numbered chapter: intro and posts, in reading order."""

    id: str = field(metadata=_NOT_TEXT)
    number: int
    title: str
    subtitle: str
    intro: Content  # the editor's introduction (empty: none)
    posts: tuple[Post, ...]


@dataclass(frozen=True, slots=True)
class Cover:
    """Cover design settings."""

    background: str = "#1f3a4d"
    foreground: str = "#f4efe6"
    accent: str = "#c9a45c"


@dataclass(frozen=True, slots=True)
class Metadata:
    """Bibliographic metadata of the book."""

    title: str
    subtitle: str
    authors: tuple[str, ...]
    language: str = field(metadata=_NOT_TEXT)
    publisher: str
    date: dt.date
    modified: dt.datetime
    identifier: str
    rights: str
    description: str
    subjects: tuple[str, ...]
    cover: Cover = field(default_factory=Cover)
    names_changed: bool = False
    isbn: str = field(default="", metadata=_NOT_TEXT)  # as the manifest writes it (check digit verified)
    edition: str = "First edition"



@dataclass(frozen=True, slots=True)
class PrintEdition:
    """A print-on-demand edition: the service's interior rules, its paper (the spine) and trim."""

    service: Service = field(metadata=_NOT_TEXT)
    paper: Paper = field(default="white", metadata=_NOT_TEXT)
    trim: Trim = field(default="6x9in", metadata=_NOT_TEXT)
    bleed: bool = False  # the interior prints to the edge (images or colour reaching the trim)

    @property
    def name(self) -> str:
        return f"{self.service}-{self.trim}" + ("-bleed" if self.bleed else "")


@dataclass(frozen=True, slots=True)
class Output:
    """Where and how the book is written."""

    directory: Path
    basename: str
    formats: tuple[Format, ...]
    page_size: PageSize
    style_dir: Path
    print_editions: tuple[PrintEdition, ...] = ()  # print-on-demand interiors and wrap covers
    screen: bool = True  # the screen edition (the formats above); False: print editions only
    show_tags: bool = True  # label each post's tags under its title ("Filed under …"), or leave them out
    names: tuple[str, ...] = ()  # the manifest's hyphenation.names: never hyphenated (print only)


@dataclass(frozen=True, slots=True)
class PageBreak:
    """Where a PDF page begins in the text: before ``words`` words of element ``target``.

    The PDF stage finds these in WeasyPrint's layout; the EPUB stage puts a
    page marker there, so both editions share page numbers.
    """

    label: str
    target: str
    words: int


@dataclass(frozen=True, slots=True)
class Redaction:
    """A term that must not appear in any output, and what replaces it."""

    term: str
    replacement: str


@dataclass(frozen=True, slots=True)
class Book:
    """The whole book, complete before anything is written."""

    meta: Metadata
    front: tuple[Section, ...]
    chapters: tuple[Chapter, ...]
    back: tuple[Section, ...]
    output: Output
    root: Path
    sources: tuple[str, ...]
    redactions: tuple[Redaction, ...] = ()
    source_formats: tuple[str, ...] = ()  # each source's format: "archive" (pages), "wxr" (an export)

    @property
    def front_before_toc(self) -> tuple[Section, ...]:
        """The front matter that comes before the contents: dedication and epigraph (Chicago 1.4)."""
        return tuple(s for s in self.front if SECTION_KINDS[s.kind].before_contents)

    @property
    def front_after_toc(self) -> tuple[Section, ...]:
        """The front matter that the contents list and precede: foreword, preface, introduction…"""
        return tuple(s for s in self.front if not SECTION_KINDS[s.kind].before_contents)

    @property
    def posts(self) -> tuple[Post, ...]:
        return tuple(p for c in self.chapters for p in c.posts)
