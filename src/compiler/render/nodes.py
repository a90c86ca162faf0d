"""What ``styles/templates/nodes.html`` needs from Python to render the rich model as XHTML.

:func:`register` adds the ``node_type`` filter (a node's class name, which
the macros dispatch on), ``typo``, the ``footnote_numbers`` global and
:class:`Outline` (the levels of a body's headings) to a Jinja2 environment; :func:`render_content` renders one body on its own (for
goldens and previews), with the same autoescaping the book uses.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2
from markupsafe import Markup

from compiler.model.entries import Comment
from compiler.model.nodes import Chart, Content, Embed, Figure, Image, Inline, inline_text

if TYPE_CHECKING:
    from compiler.model import Book, Post


def node_type(node: object) -> str:
    """The node's class name: ``Paragraph``, ``Text``…"""
    return type(node).__name__


def footnote_numbers(content: Content) -> dict[str, int]:
    """Footnote id → its number (1, 2…) in the order the footnotes are listed."""
    numbers: dict[str, int] = {}
    for footnote in content.footnotes:
        numbers.setdefault(footnote.id, len(numbers) + 1)
    return numbers


class Outline:
    """The levels of one body's headings, given in reading order: the first is ``<h{top}>`` and no
    heading is more than one level below the one before it (a source's h2 then h4 become h3, h4),
    so that the book's outline has no gaps (WCAG 1.3.1; Ace's ``heading-order``). The source's
    nesting is kept: a heading goes back to the level of the last one its source level does not
    exceed. Never deeper than h6."""

    def __init__(self, top: int) -> None:
        self.top = top
        self._open: list[tuple[int, int]] = []  # (source level, printed level) of the open headings

    def level(self, source: int) -> int:
        while self._open and self._open[-1][0] >= source:
            self._open.pop()
        printed = min(self._open[-1][1] + 1 if self._open else self.top, 6)
        self._open.append((source, printed))
        return printed


def outline(top: int) -> Outline:
    """A new :class:`Outline` for one body whose headings start at ``<h{top}>``."""
    return Outline(top)


def blank(children: tuple[Inline, ...]) -> bool:
    """True if inlines say nothing (no text, or only spaces): an empty table header is a plain cell."""
    return not inline_text(children).strip()


def resolve_media(url: str) -> Path | None:
    """The local file of an image URL, or None. Images are never fetched; until a media folder is
    given (``compiler/media.py``, to come) every image is a placeholder. The one call site is
    :func:`media_src`."""
    return None


def media_src(url: str) -> str | None:
    """What an ``<img src>`` may hold for ``url``: a local file, or None (a framed placeholder)."""
    local = resolve_media(url)
    return local.as_uri() if local is not None else None


def thread(comments: tuple[Comment, ...]) -> list[tuple[int, int, Comment]]:
    """A thread in reading order: (number from 1, depth from 0, comment), replies after their parent."""
    out: list[tuple[int, int, Comment]] = []
    stack = [(0, c) for c in reversed(comments)]
    while stack:
        depth, comment = stack.pop()
        out.append((len(out) + 1, depth, comment))
        stack.extend((depth + 1, r) for r in reversed(comment.replies))
    return out


def _images(content: Content) -> Iterator[str]:
    stack: list[object] = [*content.blocks, *content.footnotes]
    while stack:
        node = stack.pop()
        if isinstance(node, Image):
            yield node.src
        for name in getattr(node, "__dataclass_fields__", ()):
            value = getattr(node, name)
            stack.extend(v for v in (value if isinstance(value, tuple) else (value,))
                         if hasattr(v, "__dataclass_fields__"))


def unfetched(book: Book) -> list[tuple[Post, str]]:
    """(post, URL) of every image that is printed as a placeholder, in book order, each once a post."""
    found: list[tuple[Post, str]] = []
    for post in book.posts:
        urls = dict.fromkeys(_images(post.content))
        found.extend((post, url) for url in urls if media_src(url) is None)
    return found


def register(env: jinja2.Environment, fonts: Path | None = None,
             post_titles: dict[str, str] | None = None) -> None:
    """Make ``nodes.html`` usable in ``env``; ``fonts``: the style folder's fonts (charts are set in
    them); ``post_titles``: post id → title, for the source line of a chart."""
    from compiler import ids
    from compiler.render import charts, typo

    def chart_svg(chart: Chart, element_id: str) -> Markup:
        return charts.chart_svg(chart, element_id, fonts or Path("/nonexistent"))

    env.filters.update(node_type=node_type, typo=typo, blank=blank, number=charts.number)
    env.globals.update(footnote_numbers=footnote_numbers, ids=ids, media_src=media_src, thread=thread,
                       outline=outline, chart_svg=chart_svg, post_titles=post_titles or {})


def environment(style_dir: Path) -> jinja2.Environment:
    """An environment like the book's (sandboxed, autoescape, strict) over ``style_dir/templates``."""
    from compiler.render import TemplateSandbox

    env = TemplateSandbox(loader=jinja2.FileSystemLoader(style_dir / "templates"), autoescape=True,
                          undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    register(env, style_dir / "fonts")
    return env


def render_content(content: Content, owner: str, style_dir: Path) -> Markup:
    """One body as XHTML, through the ``content`` macro of ``nodes.html`` (ids ``<owner>-b-1``…)."""
    module = environment(style_dir).get_template("nodes.html").make_module()
    return Markup(str(module.content(content, owner)))  # type: ignore[attr-defined]
