"""What a blog export holds around the post bodies: entries, comments, terms and media.

The readers of exports and feeds (:mod:`compiler.ingest.wxr` now) produce
these frozen records; their bodies are :class:`~compiler.model.nodes.Content`.
Every str field follows the text roles of :mod:`compiler.model.nodes`, so
:func:`~compiler.model.nodes.map_text` redacts an author's name, a comment, a
category or a slug as surely as a paragraph; ``status``, ``kind``, ``format``
and MIME types are exempt. Dates are the blog's wall-clock time
(``wp:post_date``); ``utc_offset`` is minutes east of UTC when the export
gives the GMT time too.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from compiler.model.nodes import Content, Image, exempt, textfield


@dataclass(frozen=True, slots=True)
class Author:
    login: str
    name: str


@dataclass(frozen=True, slots=True)
class Category:
    """A category and the names of its ancestors, root first (``path`` ends with ``name``)."""

    slug: str = textfield("url")
    name: str = ""
    path: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Attachment:
    """A media file of the export, as galleries, ``[audio]`` and featured images need it."""

    id: int
    parent: int
    url: str = textfield("url")
    mime: str = exempt(default="")
    alt: str = textfield("alt", default="")
    caption: str = ""
    width: int | None = None
    height: int | None = None
    order: int = 0


@dataclass(frozen=True, slots=True)
class Comment:
    """An approved comment and its approved replies, each level in date order."""

    id: int
    author: str
    date: dt.datetime | None
    content: Content
    replies: tuple[Comment, ...] = ()
    author_url: str = textfield("url", default="")


@dataclass(frozen=True, slots=True)
class Entry:
    """A published post or page of the export."""

    id: int
    kind: str = exempt()  # "post" or "page"
    slug: str = textfield("url")
    title: str = ""
    link: str = textfield("url", default="")
    author: str = ""
    date: dt.datetime | None = None
    utc_offset: int | None = None
    categories: tuple[Category, ...] = ()
    tags: tuple[str, ...] = ()
    format: str = exempt(default="standard")
    sticky: bool = False
    status: str = exempt(default="publish")
    content: Content = Content()
    excerpt: str = ""
    comments: tuple[Comment, ...] = ()
    featured: Image | None = None
    parent: int = 0
    order: int = 0

    @property
    def comment_count(self) -> int:
        """Comments kept, replies included."""
        count, stack = 0, list(self.comments)
        while stack:
            comment = stack.pop()
            count += 1
            stack.extend(comment.replies)
        return count


@dataclass(frozen=True, slots=True)
class LeftOut:
    """An item of the export that is not in the book, and why (its status, or ``password``)."""

    id: int
    kind: str = exempt()
    title: str = ""
    reason: str = exempt(default="")
