"""The rich document model: frozen inline and block nodes, and one generic walk over their text.

A post body is a :class:`Content`: blocks (paragraph, heading, lists, quote,
code, table, figure, embed, break, and the archive pages' sign-off and note)
and footnotes. Inline nodes carry the text: plain text, emphasis, strong,
code, links, line breaks, footnote references, small caps, superscript and
subscript. No node holds pre-rendered HTML.

Every ``str`` field is text that :func:`map_text` visits (corrections,
redactions) and :func:`iter_text` yields (word counts, dedup keys, the leak
scan's expectations). Each str field has a *role* in its dataclass field
metadata: ``prose`` (the default: words a reader reads), ``alt`` (alternative
text and link titles), ``code`` and ``url``. A str field that is not text to
transform (a language tag, a provider name, a footnote id) is marked
:func:`exempt` explicitly. Fields that are not text are ints, bools or dates.
The walk is generic over dataclass fields, so a new node type or field cannot
slip past redaction; it refuses a field value it does not know.

Readers cap nesting at :data:`MAX_DEPTH` so that the (recursive) walks,
pickling and templates never meet a RecursionError.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Iterator
from dataclasses import MISSING, dataclass, field, fields, is_dataclass, replace
from typing import Any, Literal, TypeAlias, TypeVar

Role = Literal["prose", "alt", "code", "url"]
ROLES: tuple[Role, ...] = ("prose", "alt", "code", "url")
ROLE = "compiler.text-role"  # dataclass field metadata key
EXEMPT = "exempt"
#: Deepest nesting of blocks (lists in lists, quotes in quotes) the readers build.
MAX_DEPTH = 40

N = TypeVar("N")


def textfield(role: Role = "prose", default: Any = MISSING) -> Any:
    """A str field (or tuple of str) whose text plays ``role``."""
    return field(default=default, metadata={ROLE: role})


def exempt(default: Any = MISSING) -> Any:
    """A str field that is not text: never mapped, never yielded (language tags, ids)."""
    return field(default=default, metadata={ROLE: EXEMPT})


# ---------------------------------------------------------------- inline nodes

@dataclass(frozen=True, slots=True)
class Text:
    """Plain text (whitespace already collapsed, except in code)."""

    text: str


@dataclass(frozen=True, slots=True)
class Emphasis:
    children: tuple[Inline, ...]


@dataclass(frozen=True, slots=True)
class Strong:
    children: tuple[Inline, ...]


@dataclass(frozen=True, slots=True)
class Code:
    """Inline code: the text is kept exactly."""

    text: str = textfield("code")


@dataclass(frozen=True, slots=True)
class Link:
    """A link to an http, https or mailto URL (readers drop any other scheme)."""

    href: str = textfield("url")
    children: tuple[Inline, ...] = ()
    title: str = textfield("alt", default="")


@dataclass(frozen=True, slots=True)
class LineBreak:
    """A forced line break inside a paragraph."""


@dataclass(frozen=True, slots=True)
class FootnoteRef:
    """A reference to the footnote with this id in the same :class:`Content`."""

    id: str = exempt()


@dataclass(frozen=True, slots=True)
class SmallCaps:
    children: tuple[Inline, ...]


@dataclass(frozen=True, slots=True)
class Superscript:
    children: tuple[Inline, ...]


@dataclass(frozen=True, slots=True)
class Subscript:
    children: tuple[Inline, ...]


Inline: TypeAlias = (Text | Emphasis | Strong | Code | Link | LineBreak | FootnoteRef | SmallCaps
                     | Superscript | Subscript)
INLINE_TYPES: tuple[type, ...] = (Text, Emphasis, Strong, Code, Link, LineBreak, FootnoteRef, SmallCaps,
                                  Superscript, Subscript)


# ----------------------------------------------------------------- block nodes

@dataclass(frozen=True, slots=True)
class Paragraph:
    children: tuple[Inline, ...]


@dataclass(frozen=True, slots=True)
class Heading:
    """A heading inside a post; ``level`` 1-6 as in the source (templates shift it)."""

    level: int
    children: tuple[Inline, ...]


@dataclass(frozen=True, slots=True)
class ListItem:
    blocks: tuple[Block, ...]


@dataclass(frozen=True, slots=True)
class BulletList:
    items: tuple[ListItem, ...]


@dataclass(frozen=True, slots=True)
class OrderedList:
    items: tuple[ListItem, ...]
    start: int = 1


@dataclass(frozen=True, slots=True)
class Blockquote:
    """A quotation; ``attribution`` is who said it (a ``<cite>`` or a quote block's citation)."""

    blocks: tuple[Block, ...]
    attribution: tuple[Inline, ...] = ()


@dataclass(frozen=True, slots=True)
class CodeBlock:
    """Preformatted text, kept exactly; ``language`` is a tag such as ``python`` or empty."""

    code: str = textfield("code")
    language: str = exempt(default="")


@dataclass(frozen=True, slots=True)
class TableCell:
    children: tuple[Inline, ...]
    header: bool = False
    colspan: int = 1
    rowspan: int = 1


@dataclass(frozen=True, slots=True)
class TableRow:
    cells: tuple[TableCell, ...]


@dataclass(frozen=True, slots=True)
class Table:
    head: tuple[TableRow, ...]
    body: tuple[TableRow, ...]
    caption: tuple[Inline, ...] = ()


@dataclass(frozen=True, slots=True)
class Image:
    """An image; ``width`` and ``height`` in CSS pixels when the source gives them.

    ``caption`` is this image's own caption inside a gallery (the figure has its own).
    ``local`` is set by the build only (never by a reader): the neutral name (``img-<digits>``) of
    the media folder's file that ``src`` resolved to (:mod:`compiler.bookmedia`), or "".
    """

    src: str = textfield("url")
    alt: str = textfield("alt", default="")
    width: int | None = None
    height: int | None = None
    caption: tuple[Inline, ...] = ()
    local: str = exempt(default="")


@dataclass(frozen=True, slots=True)
class Figure:
    """One image, or a gallery of several, with a caption."""

    images: tuple[Image, ...]
    caption: tuple[Inline, ...] = ()


@dataclass(frozen=True, slots=True)
class Embed:
    """Embedded media: a video or post of a known ``provider`` (``youtube``), or ``audio``/``video`` files."""

    url: str = textfield("url")
    provider: str = exempt(default="")
    caption: tuple[Inline, ...] = ()


@dataclass(frozen=True, slots=True)
class Series:
    """One named row of a chart's numbers, a value per label."""

    name: str
    values: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class Chart:
    """A figure drawn from numbers a post states (``compiler/model/charts.py`` checks each of them
    against the text of the post ``source``); ``kind`` is ``bar``, ``grouped-bar`` or ``line``."""

    kind: str = exempt()
    title: str = ""
    labels: tuple[str, ...] = ()
    series: tuple[Series, ...] = ()
    caption: tuple[Inline, ...] = ()
    source: str = exempt(default="")
    unit: str = ""


@dataclass(frozen=True, slots=True)
class ThematicBreak:
    """A section break (``<hr>``)."""


@dataclass(frozen=True, slots=True)
class Signoff:
    """A closing salutation and signature of an archive-page post, one line each."""

    lines: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Note:
    """An editorial aside such as "(to be continued)"."""

    text: str


Block: TypeAlias = (Paragraph | Heading | BulletList | OrderedList | Blockquote | CodeBlock | Table | Figure
                    | Embed | Chart | ThematicBreak | Signoff | Note)
BLOCK_TYPES: tuple[type, ...] = (Paragraph, Heading, BulletList, OrderedList, Blockquote, CodeBlock, Table,
                                 Figure, Embed, Chart, ThematicBreak, Signoff, Note)


@dataclass(frozen=True, slots=True)
class Footnote:
    """A footnote's text; :class:`FootnoteRef` nodes point at its ``id``."""

    id: str = exempt()
    blocks: tuple[Block, ...] = ()


@dataclass(frozen=True, slots=True)
class Content:
    """A post (or page, or comment) body: its blocks and its footnotes."""

    blocks: tuple[Block, ...] = ()
    footnotes: tuple[Footnote, ...] = ()


NODE_TYPES: tuple[type, ...] = (*INLINE_TYPES, *BLOCK_TYPES, ListItem, TableRow, TableCell, Image, Series,
                                Footnote, Content)

# ----------------------------------------------------------------- the walk

_PLAIN = (int, float, bool, type(None), dt.date, dt.datetime, dt.time)
_PLANS: dict[type, tuple[tuple[str, str], ...]] = {}


def _plan(cls: type) -> tuple[tuple[str, str], ...]:
    """(field name, role) of every field of a node class, cached."""
    plan = _PLANS.get(cls)
    if plan is None:
        plan = tuple((f.name, f.metadata.get(ROLE, "prose")) for f in fields(cls))
        _PLANS[cls] = plan
    return plan


def _is_node(value: object) -> bool:
    return is_dataclass(value) and not isinstance(value, type)


def map_text(node: N, fn: Callable[[str], str], roles: Collection[str] = ROLES) -> N:
    """A copy of ``node`` with ``fn`` applied to every str of the given roles, at any depth.

    Works on any frozen dataclass (nodes, and the entries and comments that
    hold them); returns ``node`` itself where nothing changed.
    """
    changes: dict[str, Any] = {}
    for name, role in _plan(type(node)):
        value = getattr(node, name)
        new = _map_value(value, fn, roles, role, name, node)
        if new is not value:
            changes[name] = new
    return replace(node, **changes) if changes else node  # type: ignore[type-var]


def _map_value(value: Any, fn: Callable[[str], str], roles: Collection[str], role: str, name: str,
               owner: object) -> Any:
    if isinstance(value, str):
        if role == EXEMPT or role not in roles:
            return value
        new = fn(value)
        return value if new == value else new
    if isinstance(value, tuple):
        items = tuple(_map_value(v, fn, roles, role, name, owner) for v in value)
        return value if all(a is b for a, b in zip(items, value)) else items
    if _is_node(value):
        return map_text(value, fn, roles)
    if isinstance(value, _PLAIN):
        return value
    raise TypeError(f"{type(owner).__name__}.{name}: the text walk does not know {type(value).__name__}")


def iter_text(node: object, roles: Collection[str] = ("prose",)) -> Iterator[str]:
    """Every str of the given roles in ``node``, in document order (default: prose only)."""
    for name, role in _plan(type(node)):
        yield from _iter_value(getattr(node, name), roles, role, name, node)


def _iter_value(value: Any, roles: Collection[str], role: str, name: str, owner: object) -> Iterator[str]:
    if isinstance(value, str):
        if role != EXEMPT and role in roles:
            yield value
    elif isinstance(value, tuple):
        for v in value:
            yield from _iter_value(v, roles, role, name, owner)
    elif _is_node(value):
        yield from iter_text(value, roles)
    elif not isinstance(value, _PLAIN):
        raise TypeError(f"{type(owner).__name__}.{name}: the text walk does not know {type(value).__name__}")


# ----------------------------------------------------------------- plain text

def inline_text(children: tuple[Inline, ...]) -> str:
    """The text of inline nodes as a reader reads it (line breaks as newlines)."""
    if len(children) == 1 and type(children[0]) is Text:  # a plain paragraph (most of them): its text
        return children[0].text
    out: list[str] = []
    for child in children:
        if isinstance(child, (Text, Code)):
            out.append(child.text)
        elif isinstance(child, LineBreak):
            out.append("\n")
        elif isinstance(child, (Emphasis, Strong, SmallCaps, Superscript, Subscript, Link)):
            out.append(inline_text(child.children))
    return "".join(out)


def paragraphs(node: object) -> Iterator[str]:
    """The plain text of every text block inside ``node`` (paragraphs, headings, cells, captions…)."""
    if isinstance(node, (Paragraph, Heading, TableCell)):
        yield inline_text(node.children)
        return
    if isinstance(node, (Figure, Embed, Table)):
        if isinstance(node, Figure):
            yield from (inline_text(i.caption) for i in node.images if i.caption)
        if isinstance(node, Table):
            for row in (*node.head, *node.body):
                yield from paragraphs(row)
        if node.caption:
            yield inline_text(node.caption)
        return
    if isinstance(node, Blockquote):
        for block in node.blocks:
            yield from paragraphs(block)
        if node.attribution:
            yield inline_text(node.attribution)
        return
    if isinstance(node, CodeBlock):
        yield node.code
        return
    if isinstance(node, Signoff):
        yield from node.lines
        return
    if isinstance(node, Note):
        yield node.text
        return
    for name, _role in _plan(type(node)) if _is_node(node) else ():
        value = getattr(node, name)
        for item in value if isinstance(value, tuple) else (value,):
            if type(item) is Paragraph:  # the commonest block, without a generator of its own
                yield inline_text(item.children)
            elif _is_node(item):
                yield from paragraphs(item)


def plain_text(node: object) -> str:
    """The plain text of ``node``: its text blocks separated by blank lines."""
    return "\n\n".join(p for p in paragraphs(node) if p)


# ----------------------------------------------------------------- goldens and debugging

def to_data(node: object) -> Any:
    """A JSON-ready form of a node tree: ``{"type": ..., field: value}``, fields at their default left out."""
    if isinstance(node, tuple):
        return [to_data(v) for v in node]
    if not _is_node(node):
        return node.isoformat() if isinstance(node, (dt.date, dt.time)) else node
    data: dict[str, Any] = {"type": type(node).__name__}
    for f in fields(node):  # type: ignore[arg-type]
        value = getattr(node, f.name)
        if f.default is not MISSING and value == f.default:
            continue
        data[f.name] = to_data(value)
    return data
