"""A static site's post body (Markdown, raw HTML in it) as the rich model.

CommonMark with tables, strikethrough, typographic quotes and footnotes
(markdown-it-py and mdit-py-plugins, as :mod:`compiler.model.markdown`).
Unlike an editor's chapter intro, a blog post may hold raw HTML (a
``<figure>``, an ``<img>``, coloured ``<span>``s, a ``<script>`` demo), so the
Markdown is rendered to HTML and the whole of it goes through the same
HTML5 parser and allow-list as a WordPress export's body
(:func:`compiler.ingest.html.html_to_content`): raw HTML is data, scripts,
styles and forms never reach the book, and an ``<iframe>`` of an unknown
host is dropped with a warning. Footnotes are rendered apart and given to
the allow-list as the block editor's footnotes are (``<sup data-fn>``).

Markdown nested deeper than markdown-it reads is refused (E169) rather
than silently losing its text.
"""

from __future__ import annotations


from collections.abc import Callable
from dataclasses import fields, is_dataclass, replace
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.footnote import footnote_plugin

from compiler.errors import CompilerError, Diagnostic
from compiler.ingest.html import html_to_content
from compiler.model.nodes import MAX_DEPTH, Content, Image

_MD = (MarkdownIt("commonmark", {"html": True, "typographer": True, "maxNesting": MAX_DEPTH})
       .enable(["replacements", "smartquotes", "table", "strikethrough"])
       .use(footnote_plugin))


def _note_id(token: Token) -> str:
    return str(int((token.meta or {}).get("id", 0)) + 1)


def _footnote_ref(renderer: Any, tokens: list[Token], idx: int, options: Any, env: Any) -> str:
    return f'<sup data-fn="{_note_id(tokens[idx])}"></sup>'


def _nothing(renderer: Any, tokens: list[Token], idx: int, options: Any, env: Any) -> str:
    return ""


_MD.add_render_rule("footnote_ref", _footnote_ref)
_MD.add_render_rule("footnote_anchor", _nothing)


def markdown_html(text: str, name: str, line: int) -> tuple[str, list[tuple[str, str]]]:
    """The body's HTML and its footnotes as (id, HTML) pairs; E169 when nested too deep."""
    env: dict[str, Any] = {}
    tokens = _MD.parse(text, env)
    if max((t.level for t in tokens), default=0) >= MAX_DEPTH - 1:
        deep = next((t.map[0] for t in tokens if t.level >= MAX_DEPTH - 1 and t.map), 0)
        raise CompilerError(Diagnostic("E169", f"Markdown nested deeper than {MAX_DEPTH - 2} levels", name,
                                       line + deep, hint="flatten the lists or quotes there: the parser would "
                                       "drop their text"))
    main: list[Token] = []
    notes: list[tuple[str, list[Token]]] = []
    inside = False
    for token in tokens:
        if token.type == "footnote_block_open":
            inside = True
        elif token.type == "footnote_block_close":
            inside = False
        elif token.type == "footnote_open":
            notes.append((_note_id(token), []))
        elif token.type == "footnote_close":
            pass
        elif inside and notes:
            notes[-1][1].append(token)
        elif not inside:
            main.append(token)
    body = _MD.renderer.render(main, _MD.options, env)
    return body, [(i, _MD.renderer.render(t, _MD.options, env)) for i, t in notes]


def markdown_content(text: str, name: str, where: str, line: int, warn: Callable[[str], None]) -> Content:
    """A post body in Markdown as a :class:`Content` (errors name the file ``name``, warnings ``where``)."""
    body, notes = markdown_html(text, name, line)
    return html_to_content(body, where, warn, notes)


def html_content(text: str, name: str, warn: Callable[[str], None]) -> Content:
    """A post body written in HTML (``.html`` posts of Jekyll and Eleventy)."""
    return html_to_content(text, name, warn)


def map_images(node: Any, fn: Callable[[Image], Image]) -> Any:
    """A copy of ``node`` (a Content, or any node) with ``fn`` applied to every :class:`Image`."""
    if isinstance(node, Image):
        return fn(node)
    if isinstance(node, tuple):
        items = tuple(map_images(v, fn) for v in node)
        return node if all(a is b for a, b in zip(items, node)) else items
    if is_dataclass(node) and not isinstance(node, type):
        changes = {}
        for f in fields(node):
            value = getattr(node, f.name)
            new = map_images(value, fn)
            if new is not value:
                changes[f.name] = new
        return replace(node, **changes) if changes else node
    return node


def images(node: Any) -> list[Image]:
    """Every :class:`Image` in ``node``, in order."""
    found: list[Image] = []

    def keep(image: Image) -> Image:
        found.append(image)
        return image

    map_images(node, keep)
    return found


