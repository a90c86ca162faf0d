"""A WordPress post body, as stored in an export, into the rich model.

The steps follow WordPress's own ``the_content`` filters: block comments
and more/nextpage markers removed (dynamic blocks reported), bare provider
URLs embedded, ``wpautop`` for classic-editor text only (a body with block
comments is block-editor content and has its paragraphs already), shortcodes
expanded; then :mod:`compiler.ingest.html` reads the HTML. Block-editor
footnotes come from the ``footnotes`` post meta (JSON). Comments get
``wpautop`` and nothing else, as in WordPress.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping

from compiler.ingest.embeds import autoembed
from compiler.ingest.html import html_to_content, parse_html
from compiler.ingest.shortcodes import Expander, strip_editor_comments
from compiler.ingest.wpautop import wpautop
from compiler.model.entries import Attachment
from compiler.model.nodes import Content


def footnotes_meta(value: str, warn: Callable[[str], None]) -> list[tuple[str, str]]:
    """(id, HTML) pairs of the block editor's ``footnotes`` post meta."""
    if not value.strip():
        return []
    try:
        data = json.loads(value)
    except ValueError:
        warn("footnotes post meta is not JSON; footnotes left out")
        return []
    notes = []
    for item in data if isinstance(data, list) else []:
        if isinstance(item, dict) and isinstance(item.get("id"), str) and isinstance(item.get("content"), str):
            notes.append((item["id"], item["content"]))
    return notes


def post_content(raw: str, post_id: int, attachments: Mapping[int, Attachment], warn: Callable[[str], None],
                 footnotes: str = "", where: str = "") -> Content:
    """A post or page body (``content:encoded``) as a :class:`Content`."""
    def note(message: str) -> None:
        warn(f"{where}: {message}" if where else message)

    blocks = "<!-- wp:" in raw
    text = strip_editor_comments(raw, note)
    text = autoembed(text)
    if not blocks:
        text = wpautop(text)
    text = Expander(post_id, attachments, note).expand(text)
    return html_to_content(text, where, warn, footnotes_meta(footnotes, note))


def comment_content(raw: str, warn: Callable[[str], None], where: str = "") -> Content:
    """A comment's text: paragraphs by ``wpautop``, then the same HTML allow-list."""
    return html_to_content(wpautop(raw), where, warn)


def plain(html: str) -> str:
    """The text of a title or an excerpt: tags removed, entities decoded, spaces collapsed."""
    if "<" not in html and "&" not in html:
        return " ".join(html.split())
    return " ".join((parse_html(html).text(deep=True) or "").split())
