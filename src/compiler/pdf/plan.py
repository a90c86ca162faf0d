"""Plan: which parts a book's PDF is laid out in (pure: from the book alone, no layout).

The front matter (cover to epigraph), then the body: one group per chapter,
a chapter shorter than :data:`LEAST_WORDS` sharing its group with the
chapters after it; the last group also holds the back matter; the contents
come later (:mod:`compiler.pdf.parts`). Every chapter starts on a right-hand
page, so a chapter is the smallest part the book can be cut into without
changing its pages: a one-word edit (``serve``) lays out only its chapter
again, and the parts keep both cores busy. A book of very many chapters
gets at most :data:`MOST_GROUPS` groups (each then holds at least its share
of the words). The plan depends on the book alone, never on the machine, so
every machine lays out the same parts and writes the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass

from compiler.model import Book
from compiler.render import Slice

#: A chapter shorter than this shares its group with the chapters after it (a part costs a little
#: of its own: its document, its fonts written again).
LEAST_WORDS = 1000
#: Groups at most (the workers' board of page counts holds 255; beyond a few dozen, more parts
#: only add their own costs).
MOST_GROUPS = 64


@dataclass(frozen=True)
class Plan:
    """The parts of one book: front matter and groups of chapters (the contents come later)."""

    front: Slice
    groups: list[Slice]


def words(book: Book, numbers: tuple[int, ...]) -> int:
    """The words of the posts of these chapters."""
    return sum(post.words for chapter in book.chapters if chapter.number in numbers for post in chapter.posts)


def plan(book: Book) -> Plan:
    """Front matter, then one group per chapter, a short chapter joined to the ones after it until
    the group holds :data:`LEAST_WORDS` (or, in a book of more than :data:`MOST_GROUPS` such
    chapters, its share of the words); a short last group joins the one before it. The last group
    holds the back matter."""
    counts = [(chapter.number, sum(post.words for post in chapter.posts)) for chapter in book.chapters]
    least = max(LEAST_WORDS, sum(w for _, w in counts) / MOST_GROUPS)
    chapters: list[list[int]] = []
    held = 0
    for number, count in counts:
        if not chapters or held >= least:
            chapters.append([])
            held = 0
        chapters[-1].append(number)
        held += count
    if len(chapters) > 1 and held < least:  # a short last group: with the one before it
        chapters[-2].extend(chapters.pop())
    groups = [Slice(front=False, toc=False, prelims=False, chapters=tuple(numbers), back=g == len(chapters) - 1)
              for g, numbers in enumerate(chapters)]
    return Plan(Slice(toc=False, prelims=False, chapters=(), back=False), groups)
