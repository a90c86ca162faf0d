"""Plan: which parts a book's PDF is laid out in (pure: from the book alone, no layout).

The front matter (cover to epigraph), then groups of whole chapters balanced
by words, the last with the back matter; the contents come later
(:mod:`compiler.pdf.parts`). The plan depends on the book alone, never on the
machine, so every machine lays out the same parts and writes the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass

from compiler.model import Book
from compiler.render import Slice

WORDS_PER_GROUP = 30000


@dataclass(frozen=True)
class Plan:
    """The parts of one book: front matter and groups of chapters (the contents come later)."""

    front: Slice
    groups: list[Slice]



def words(book: Book, numbers: tuple[int, ...]) -> int:
    """The words of the posts of these chapters."""
    return sum(post.words for chapter in book.chapters if chapter.number in numbers for post in chapter.posts)


def plan(book: Book) -> Plan:
    """Front matter, then groups of whole chapters balanced by words (the last with the back matter).

    The number of groups depends on the book alone (two, or one per
    ``WORDS_PER_GROUP`` words), never on the machine, so every machine lays
    out the same parts and writes the same bytes.
    """
    numbers = [chapter.number for chapter in book.chapters]
    count = max(1, min(len(numbers), max(2, round(words(book, tuple(numbers)) / WORDS_PER_GROUP))))
    total = max(1, words(book, tuple(numbers)))
    groups: list[Slice] = []
    start = 0
    for g in range(count):
        end = start + 1
        target = total * (g + 1) / count
        while end < len(numbers) - (count - g - 1) and words(book, tuple(numbers[:end + 1])) <= target:
            end += 1
        if g == count - 1:
            end = len(numbers)
        groups.append(Slice(front=False, toc=False, prelims=False, chapters=tuple(numbers[start:end]),
                            back=g == count - 1))
        start = end
    return Plan(Slice(toc=False, prelims=False, chapters=(), back=False), groups)
