"""Helpers every reader uses to build well-formed inline runs for :mod:`compiler.model.nodes`.

Adjacent texts are merged, empty containers dropped, whitespace collapsed
the way HTML collapses it and trimmed at the ends of a block, and links
checked: the model keeps only http, https and mailto links.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from compiler.model.nodes import (
    Code, Emphasis, FootnoteRef, Inline, LineBreak, Link, SmallCaps, Strong, Subscript, Superscript, Text,
)

LINK_SCHEMES = frozenset({"http", "https", "mailto"})
_SPACE = re.compile(r"[ \t\n\r\f]+")
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
Container = Emphasis | Strong | SmallCaps | Superscript | Subscript | Link


def safe_href(href: str | None) -> str | None:
    """``href`` stripped if it is an absolute http, https or mailto URL, else None."""
    if not href:
        return None
    href = _CONTROLS.sub("", href).strip()
    try:
        parts = urlsplit(href)
    except ValueError:
        return None
    if parts.scheme.lower() not in LINK_SCHEMES:
        return None
    if parts.scheme.lower() != "mailto" and not parts.netloc:
        return None
    return href


def clean_text(text: str) -> str:
    """Text without C0 control characters (tabs and newlines are kept)."""
    return _CONTROLS.sub("", text)


def _empty(node: Inline) -> bool:
    if isinstance(node, (Text, Code)):
        return not node.text
    if isinstance(node, (LineBreak, FootnoteRef)):
        return False
    return not node.children


def _blank(node: Inline) -> bool:
    """A link or emphasis holding only spaces (an image's link, once the image is a figure): its spaces are kept,
    not the element."""
    return isinstance(node, (Emphasis, Strong, SmallCaps, Superscript, Subscript, Link)) and all(
        isinstance(c, Text) and not c.text.strip() for c in node.children)


def merge(children: Iterable[Inline]) -> tuple[Inline, ...]:
    """Adjacent texts merged; empty texts and empty containers dropped, blank links replaced by their spaces."""
    out: list[Inline] = []
    pending = list(children)
    pending.reverse()
    while pending:
        child = pending.pop()
        if _blank(child):
            assert isinstance(child, (Emphasis, Strong, SmallCaps, Superscript, Subscript, Link))
            pending.extend(reversed(child.children))
            continue
        if _empty(child):
            continue
        if isinstance(child, Text) and out and isinstance(out[-1], Text):
            out[-1] = Text(out[-1].text + child.text)
        else:
            out.append(child)
    return tuple(out)


def collapse(children: Iterable[Inline]) -> tuple[Inline, ...]:
    """HTML whitespace: each run of spaces, tabs and newlines becomes one space, across element
    boundaries too ("a <em> b</em>" is "a " and "b"); code keeps its text."""
    return _collapse(merge(children), [False])


def _collapse(children: Iterable[Inline], after_space: list[bool]) -> tuple[Inline, ...]:
    out: list[Inline] = []
    for child in children:
        if isinstance(child, Text):
            text = _SPACE.sub(" ", child.text)
            if after_space[0] and text.startswith(" "):
                text = text[1:]
            if text:
                after_space[0] = text.endswith(" ")
                out.append(Text(text))
        elif isinstance(child, (Emphasis, Strong, SmallCaps, Superscript, Subscript, Link)):
            out.append(_with_children(child, _collapse(child.children, after_space)))
        else:
            after_space[0] = isinstance(child, LineBreak)
            out.append(child)
    return merge(out)


def _with_children(node: Container, children: tuple[Inline, ...]) -> Inline:
    if isinstance(node, Link):
        return Link(node.href, children, node.title)
    return type(node)(children)


def _trim_edge(children: tuple[Inline, ...], start: bool) -> tuple[Inline, ...]:
    if not children:
        return children
    index = 0 if start else len(children) - 1
    node = children[index]
    if isinstance(node, Text):
        new: Inline | None = Text(node.text.lstrip(" ") if start else node.text.rstrip(" "))
    elif isinstance(node, (Emphasis, Strong, SmallCaps, Superscript, Subscript, Link)):
        new = _with_children(node, _trim_edge(node.children, start))
    else:
        return children
    rest = children[1:] if start else children[:-1]
    if new is not None and not _empty(new) and not _blank(new):
        return (new, *rest) if start else (*rest, new)
    return _trim_edge(rest, start)


def _trim_breaks(children: tuple[Inline, ...]) -> tuple[Inline, ...]:
    """No space next to a line break, no line break at either end."""
    out: list[Inline] = []
    for i, child in enumerate(children):
        if isinstance(child, Text):
            value = child.text
            if i + 1 < len(children) and isinstance(children[i + 1], LineBreak):
                value = value.rstrip(" ")
            if out and isinstance(out[-1], LineBreak):
                value = value.lstrip(" ")
            if value:
                out.append(Text(value))
        else:
            out.append(child)
    while out and isinstance(out[0], LineBreak):
        out.pop(0)
    while out and isinstance(out[-1], LineBreak):
        out.pop()
    return tuple(out)


def finish_text(text: str) -> tuple[Inline, ...]:
    """``finish((Text(text),))``: a block of plain text, its spaces collapsed, trimmed."""
    if "  " in text or "\n" in text or "\t" in text or "\r" in text or "\f" in text:
        text = _SPACE.sub(" ", text)
    text = text.strip(" ")
    return (Text(text),) if text else ()


def finish(children: Iterable[Inline], keep_space: bool = False) -> tuple[Inline, ...]:
    """A block's inline run, ready for the model: merged, collapsed (unless ``keep_space``), trimmed."""
    if not keep_space:
        children = children if isinstance(children, (list, tuple)) else list(children)
        if all(type(child) is Text for child in children):  # plain text (most paragraphs): the same, at once
            return finish_text("".join(child.text for child in children))  # type: ignore[union-attr]
    run = merge(children) if keep_space else collapse(children)
    if keep_space:
        return run
    for _ in range(2):  # trimming an edge can expose a break, and the other way round
        run = _trim_breaks(_trim_edge(_trim_edge(run, True), False))
    return run
