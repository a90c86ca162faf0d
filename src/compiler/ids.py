"""Ids: the one owner of every document id and file name of the book.

Both editions share one id scheme (the templates write it, this module names
it and checks it): the fixed pages (``cover``, ``halftitle``, ``titlepage``,
``copyright`` and its paragraphs, ``contents``, the EPUB's ``landmarks`` and
``page-list``), front and back matter by kind (``foreword``, a second one
``foreword-2``), chapters as ``chapter-<id>``, posts by their slug; each with
its ``-title``, a chapter's ``-intro``, a post's blocks ``<post>-b-1``, a
quoted letter's blocks ``<post>-b-3-b-1`` (a figure, a table or an embed is a
block and has a block's id); a body's footnotes ``<owner>-fn-1`` and the
references to them ``<owner>-fnref-1``; a post's comments ``<post>-comments``,
each comment ``<post>-comment-<n>`` in reading order; page-break markers ``page-<label>``.
EPUB content documents are ``text/<name>.xhtml``: the fixed documents, each
section by its id and each chapter by its bare id.

:func:`check` runs with the manifest's other checks: an id or an EPUB file
name claimed twice (case-insensitively for file names: macOS and Windows file
systems fold case) is an error at the manifest line of the later claimant,
so that no EPUB member overwrites another and no link goes to the wrong place.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from compiler.model import Post
from compiler.model.kinds import PAGE_KIND
from compiler.model.nodes import Block, Blockquote, Chart, Content

CHAPTER_PREFIX = "chapter-"
TITLE = "-title"
INTRO = "-intro"
BLOCK = "-b"  # a post's blocks: <post>-b-1, a quote's: <post>-b-1-b-1
FOOTNOTE = "-fn-"  # <owner>-fn-1
NOTEREF = "-fnref-"  # <owner>-fnref-1
COMMENTS = "-comments"  # <post>-comments
COMMENT = "-comment-"  # <post>-comment-1
PAGE_PREFIX = "page-"  # EPUB page-break markers: page-1, page-xiv
COPYRIGHT_PARAGRAPHS = 6  # copyright-1 ... copyright-6 (styles/templates/parts/copyright.html)

#: The fixed content documents of the EPUB (before the sections and chapters are added).
COVER, TITLEPAGE, COPYRIGHT, CONTENTS = "cover", "titlepage", "copyright", "contents"
FIXED_DOCUMENTS = (COVER, TITLEPAGE, COPYRIGHT, CONTENTS)
#: Element ids the templates write on the fixed pages.
FIXED_IDS = (COVER, "halftitle", TITLEPAGE, COPYRIGHT,
             *(f"{COPYRIGHT}-{n}" for n in range(1, COPYRIGHT_PARAGRAPHS + 1)),
             CONTENTS, CONTENTS + TITLE, "landmarks", "landmarks" + TITLE, "page-list", "page-list" + TITLE)
#: What an element id must look like to be an XML ID (an ASCII NCName without dots).
XML_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
#: What a document name must look like to be a portable file name.
FILE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_-]*$")
_PAGE_MARKER = re.compile(rf"^{PAGE_PREFIX}(?:\d+|[ivxlcdm]+)$")


def reserved(ident: str) -> bool:
    """Whether a post may not take ``ident`` (dedup then numbers it): a fixed page's id, a kind of
    front or back matter (``foreword``, ``foreword-2``) or a page-break marker (``page-12``)."""
    from compiler.model.kinds import SECTION_KINDS

    return ident in FIXED_IDS or ident.rsplit("-", 1)[0] in SECTION_KINDS or ident in SECTION_KINDS or \
        bool(_PAGE_MARKER.match(ident))


def chapter(chapter_id: str) -> str:
    """A chapter's element id."""
    return CHAPTER_PREFIX + chapter_id


def title(owner: str) -> str:
    return owner + TITLE


def intro(owner: str) -> str:
    return owner + INTRO


def blocks(owner: str) -> str:
    """The prefix of the ids of ``owner``'s top-level blocks (``<owner>-b``)."""
    return owner + BLOCK


def footnote(owner: str, number: int) -> str:
    """The id of footnote ``number`` (1, 2…) of ``owner``'s body."""
    return f"{owner}{FOOTNOTE}{number}"


def noteref(owner: str, number: int) -> str:
    """The id of the reference to footnote ``number`` of ``owner``'s body."""
    return f"{owner}{NOTEREF}{number}"


def comments(post: str) -> str:
    """The id of a post's comments section."""
    return post + COMMENTS


def comment(post: str, number: int) -> str:
    """The id of a post's comment ``number`` (1, 2… in reading order, replies included)."""
    return f"{post}{COMMENT}{number}"


def page(label: str) -> str:
    """A page-break marker's id."""
    return PAGE_PREFIX + label


def nav_point(target: str) -> str:
    """The id of the EPUB 2 NCX entry that leads to ``target``: an XML ID even where a post's
    slug begins with a digit."""
    return "nav-" + target


def document(name: str) -> str:
    """An EPUB content document's file name (in the package's ``text/`` folder)."""
    return f"{name}.xhtml"


def member(name: str) -> str:
    """An EPUB content document's path in the package."""
    return f"text/{document(name)}"


def section_id(kind: str, used: set[str]) -> str:
    """The id of the next front or back matter section of ``kind`` (``used``: the ids given so far,
    which this adds to): the kind, then ``<kind>-2``..."""
    found, n = kind, 2
    while found in used:
        found, n = f"{kind}-{n}", n + 1
    used.add(found)
    return found


def section_ids(kinds: Iterable[str]) -> list[str]:
    """The ids of front and back matter, in manifest order."""
    used: set[str] = set()
    return [section_id(kind, used) for kind in kinds]


#: The suffix of a chart's ``<svg>`` after its figure's id.
CHART_SVG = "-svg"


def block_ids(blocks: Sequence[Block], prefix: str) -> Iterator[str]:
    """The ids of a body's blocks (``prefix`` is ``<owner>-b``), quotations' blocks included."""
    for n, block in enumerate(blocks, 1):
        block_id = f"{prefix}-{n}"
        yield block_id
        if isinstance(block, Blockquote):
            yield from block_ids(block.blocks, block_id + BLOCK)
        elif isinstance(block, Chart):
            yield from chart_ids(block_id, block)


def chart_ids(block_id: str, chart: Chart) -> list[str]:
    """The ids inside a chart's drawing (compiler/render/charts.py): its title and its description
    (the drawing reuses no shape, so it needs no other id)."""
    svg = f"{block_id}{CHART_SVG}"
    return [f"{svg}-title", f"{svg}-desc"]

def content_ids(content: Content, owner: str) -> Iterator[str]:
    """Every id the templates write inside ``owner``'s body: blocks, footnotes and references to them."""
    yield from block_ids(content.blocks, blocks(owner))
    for n in range(1, len(content.footnotes) + 1):
        yield footnote(owner, n)
        yield noteref(owner, n)


def post_ids(post: Post) -> Iterator[str]:
    yield post.id
    yield title(post.id)
    yield from content_ids(post.content, post.id)
    if post.thread:
        yield comments(post.id)
        yield title(comments(post.id))
        stack, number = list(reversed(post.thread)), 0
        while stack:  # reading order, as the template numbers them
            item = stack.pop()
            number += 1
            yield comment(post.id, number)
            yield from content_ids(item.content, comment(post.id, number))
            stack.extend(reversed(item.replies))


def chapter_ids(chapter_id: str, has_intro: bool) -> list[str]:
    return [chapter(chapter_id), title(chapter(chapter_id))] + ([intro(chapter(chapter_id))] if has_intro else [])


def section_element_ids(section_id: str) -> list[str]:
    return [section_id, title(section_id)]


# -- the check ------------------------------------------------------------------------------------
class Checks(Protocol):
    """What :func:`check` needs of the manifest checker (:class:`compiler.manifest.checks.Checker`)."""

    def items(self, *path: Any) -> Iterator[tuple[int, Any]]: ...

    def add(self, code: str, message: str, path: tuple[Any, ...], hint: str, warning: bool = False) -> None: ...


@dataclass(frozen=True)
class Owner:
    """Something in the book that owns ids and, perhaps, an EPUB document."""

    what: str  # for messages: "chapter 'x'", "post 'y'", "the foreword"
    path: tuple[Any, ...]  # where the manifest declares it (empty: the fixed pages)
    ids: tuple[str, ...]
    document: str | None
    hint: str


def owners(checker: Checks, posts: Sequence[Post], placed: dict[str, tuple[Any, ...]]) -> list[Owner]:
    """Every owner of ids, in book order: fixed pages, front matter, chapters with their posts,
    back matter."""
    out = [Owner("the book's fixed pages", (), FIXED_IDS, None, ""),
           *(Owner(f"the {name} page", (), (), name, "") for name in FIXED_DOCUMENTS)]
    matter = [(part, i, entry, entry.get("kind") or PAGE_KIND[part]) for part in ("front_matter", "back_matter")
              for i, entry in checker.items(part)
              if isinstance(entry, dict) and isinstance(entry.get("kind") or PAGE_KIND[part], str)]
    for (part, i, entry, kind), section_id in zip(matter, section_ids(kind for *_, kind in matter)):
        out.append(Owner(f"the {kind} in {part}", (part, i, "kind" if "kind" in entry else "page"),
                         tuple(section_element_ids(section_id)), section_id, "remove or merge the duplicate"))
    by_id = {p.id: p for p in posts}
    for c, entry in checker.items("chapters"):
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            continue
        out.append(Owner(f"chapter '{entry['id']}'", ("chapters", c, "id"),
                         tuple(chapter_ids(entry["id"], entry.get("intro") is not None)), entry["id"],
                         "give the chapter another id"))
    for post_id, path in placed.items():
        if post_id in by_id:
            out.append(Owner(f"post '{post_id}'", path, tuple(post_ids(by_id[post_id])), None, ""))
    return out


def _line(checker: Checks, path: tuple[Any, ...]) -> int:
    where = getattr(getattr(checker, "located", None), "where", None)
    return int(where(path)[0]) if path and where is not None else 0


def check(checker: Checks, posts: Sequence[Post], placed: dict[str, tuple[Any, ...]]) -> None:
    """Report every id and EPUB file name claimed twice (E260, E261) and every chapter id that is no
    XML id (E262), at the manifest line of the later claimant."""
    claimed = sorted(owners(checker, posts, placed), key=lambda o: (bool(o.path), _line(checker, o.path)))
    ids: dict[str, Owner] = {}
    documents: dict[str, Owner] = {}
    for owner in claimed:
        if owner.path and owner.path[0] == "chapters" and owner.path[-1] == "id":
            bad = next((i for i in owner.ids if not XML_ID.match(i)), None)
            if bad is not None or (owner.document and not FILE_NAME.match(owner.document)):
                checker.add("E262", f"{owner.what} is not usable as an XML id and file name", owner.path,
                            "use only a-z, 0-9 and '-'")
                continue
        if owner.document is not None:
            key = owner.document.casefold()
            if key in documents:
                first = documents[key]
                if first.what == owner.what:  # a chapter id used twice: E225 says so
                    continue
                checker.add("E260", f"{owner.what} would be EPUB file {member(owner.document)}, like "
                            f"{first.what}{_at(checker, first)}", owner.path, owner.hint)
                continue
            documents[key] = owner
        for element_id in owner.ids:
            holder = ids.get(element_id)
            if holder is None and _PAGE_MARKER.match(element_id):
                holder = Owner("a page-break marker of the EPUB", (), (), None, "")
            if holder is not None and holder is not owner:
                hint = owner.hint if owner.what.startswith("chapter") else \
                    f"give {holder.what} another id, or leave the post out" if holder.what.startswith("chapter") \
                    else "leave the post out of the chapters (its id comes from its title)"
                checker.add("E261", f"{owner.what} has id '{element_id}', like {holder.what}{_at(checker, holder)}",
                            owner.path, hint)
                break
        else:
            ids.update((i, owner) for i in owner.ids)


def _at(checker: Checks, owner: Owner) -> str:
    line = _line(checker, owner.path)
    return f" (line {line})" if line else ""
