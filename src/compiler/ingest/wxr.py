"""Read a WordPress export (WXR 1.0-1.2) into published entries of the rich model.

The file is stream-parsed by defusedxml over expat: a DTD or an entity
declaration is refused before anything is expanded (so an XML bomb fails
at once), and nothing is fetched. Both ``http://`` and ``https://``
``wordpress.org/export/1.x/`` namespaces are read.

Only published posts without a password become posts; drafts, pending,
private, future, trashed and password-protected items are left out and
listed with their reason. Pages are kept apart (by slug, for front and back
matter); attachments feed galleries, ``[audio]`` and featured images.
Categories keep their hierarchy (``wp:category_parent``), authors their
display names (``wp:author``), dates the blog's time zone
(``wp:post_date``). Comments: approved ones only (``wp:comment_approved`` is
1), never spam, pingbacks or trackbacks, threaded by ``wp:comment_parent``
and in date order.
"""

from __future__ import annotations

import contextlib
import functools
import datetime as dt
import io
import mimetypes
import re
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from compiler import files
from compiler.errors import CompilerError, Diagnostic
from compiler.ingest import ReadOptions, Reader, Source
from compiler.ingest.wpcontent import comment_content, plain, post_content
from compiler.limits import no_cycle_collection
from compiler.model import DateSpan, PostCopy, Seen
from compiler.model.entries import Attachment, Author, Category, Comment, Entry, LeftOut
from compiler.model.nodes import MAX_DEPTH, Image

_WP_NS = re.compile(r"^https?://wordpress\.org/export/1\.[0-2]/$")
_EXCERPT_NS = re.compile(r"^https?://wordpress\.org/export/1\.[0-2]/excerpt/$")
_NAMESPACES = {"http://purl.org/rss/1.0/modules/content/": "content", "http://purl.org/dc/elements/1.1/": "dc",
               "http://wellformedweb.org/CommentAPI/": "wfw"}
_DATE = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?")
_SIZE = re.compile(r's:5:"width";i:(\d+);s:6:"height";i:(\d+);')
_COMMENT_TYPES = {"", "comment"}


@dataclass(frozen=True, slots=True)
class Export:
    """Everything the book takes from one export file."""

    title: str
    link: str
    language: str
    version: str
    authors: tuple[Author, ...]
    categories: tuple[Category, ...]
    tags: tuple[str, ...]
    posts: tuple[Entry, ...]
    pages: tuple[Entry, ...]
    attachments: tuple[Attachment, ...]
    left_out: tuple[LeftOut, ...]
    comments_left_out: tuple[tuple[str, int], ...]  # (reason, count): spam, unapproved, pingback…
    other_items: tuple[tuple[str, int], ...]  # (post type, count): nav_menu_item, wp_navigation…
    warnings: tuple[str, ...]

    @property
    def pages_by_slug(self) -> dict[str, Entry]:
        return {p.slug: p for p in self.pages}

    def left_out_count(self, kind: str = "post") -> Counter[str]:
        """How many items of ``kind`` were left out, by reason."""
        return Counter(item.reason for item in self.left_out if item.kind == kind)


@functools.lru_cache(maxsize=1024)  # an export has a few dozen distinct tags, met a million times
def _name(tag: str) -> str:
    """``{namespace}local`` as ``prefix:local`` for the namespaces WXR uses."""
    if not tag.startswith("{"):
        return tag
    uri, _, local = tag[1:].partition("}")
    if _WP_NS.match(uri):
        return f"wp:{local}"
    if _EXCERPT_NS.match(uri):
        return f"excerpt:{local}"
    prefix = _NAMESPACES.get(uri)
    return f"{prefix}:{local}" if prefix else tag


def _fields(element: Element) -> dict[str, str]:
    return {_name(child.tag): (child.text or "") for child in element}


def parse_date(value: str) -> dt.datetime | None:
    """``2010-08-06 08:09:39`` as a naive datetime; None for ``0000-00-00 00:00:00`` or junk."""
    m = _DATE.match(value or "")
    if not m:
        return None
    year, month, day, hour, minute, second = (int(g or 0) for g in m.groups())
    try:
        return dt.datetime(year, month, day, hour, minute, second)
    except ValueError:
        return None


def _int(value: str | None, default: int = 0) -> int:
    value = (value or "").strip()
    return int(value) if value.isdigit() else default


@dataclass
class _Item:
    """An item as read from the file, before its body is converted."""

    fields: dict[str, str]
    terms: list[tuple[str, str, str]]  # (domain, nicename, name)
    meta: dict[str, str]
    comments: list[dict[str, str]]


@dataclass
class _Reader:
    items: list[_Item] = field(default_factory=list)
    channel: dict[str, str] = field(default_factory=dict)
    authors: dict[str, Author] = field(default_factory=dict)
    categories: list[dict[str, str]] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    has_wp: bool = False

    def feed(self, source: str | Path | IO[bytes]) -> None:
        stack: list[str] = []
        for event, element in iterparse(source, events=("start", "end"), forbid_dtd=True,
                                        forbid_entities=True, forbid_external=True):
            name = _name(element.tag)
            if event == "start":
                stack.append(name)
                self.has_wp = self.has_wp or name.startswith("wp:")
                continue
            stack.pop()
            parent = stack[-1] if stack else ""
            if name == "item":
                self._item(element)
                element.clear()
            elif parent == "channel":
                self._channel_child(name, element)

    def _channel_child(self, name: str, element: Element) -> None:
        if name == "wp:author":
            f = _fields(element)
            login = f.get("wp:author_login", "").strip()
            display = f.get("wp:author_display_name", "").strip() or " ".join(
                x for x in (f.get("wp:author_first_name", "").strip(), f.get("wp:author_last_name", "").strip()) if x)
            if login:
                self.authors[login] = Author(login, display or login)
        elif name == "wp:category":
            self.categories.append(_fields(element))
        elif name == "wp:tag":
            self.tags.append(_fields(element).get("wp:tag_name", "").strip())
        elif name != "item" and len(element) == 0:
            self.channel.setdefault(name, (element.text or "").strip())

    def _item(self, element: Element) -> None:
        fields_: dict[str, str] = {}
        terms: list[tuple[str, str, str]] = []
        meta: dict[str, str] = {}
        comments: list[dict[str, str]] = []
        for child in element:
            name = _name(child.tag)
            if name == "category":
                terms.append((child.get("domain", ""), child.get("nicename", ""), (child.text or "").strip()))
            elif name == "wp:postmeta":
                f = _fields(child)
                meta[f.get("wp:meta_key", "")] = f.get("wp:meta_value", "")
            elif name == "wp:comment":
                comments.append(_fields(child))
            else:
                fields_[name] = child.text or ""
        self.items.append(_Item(fields_, terms, meta, comments))


def _category_paths(raw: list[dict[str, str]]) -> dict[str, Category]:
    names = {c.get("wp:category_nicename", ""): c.get("wp:cat_name", "").strip() for c in raw}
    parents = {c.get("wp:category_nicename", ""): c.get("wp:category_parent", "").strip() for c in raw}
    out: dict[str, Category] = {}
    for slug, name in names.items():
        path: list[str] = []
        seen: set[str] = set()
        at = slug
        while at and at in names and at not in seen and len(path) < MAX_DEPTH:
            seen.add(at)
            path.append(plain(names[at]))
            at = parents.get(at, "")
        out[slug] = Category(slug, plain(name), tuple(reversed(path)))
    return out


def _attachment(item: _Item) -> Attachment:
    f = item.fields
    url = f.get("wp:attachment_url", "").strip() or f.get("guid", "").strip()
    size = _SIZE.search(item.meta.get("_wp_attachment_metadata", ""))
    return Attachment(
        id=_int(f.get("wp:post_id")), parent=_int(f.get("wp:post_parent")), url=url,
        mime=mimetypes.guess_type(url.split("?")[0])[0] or "", alt=item.meta.get("_wp_attachment_image_alt", ""),
        caption=plain(f.get("excerpt:encoded", "")), width=int(size[1]) if size else None,
        height=int(size[2]) if size else None, order=_int(f.get("wp:menu_order")))


class _Builder:
    """Turns the raw items into entries, collecting what is left out and every warning."""

    def __init__(self, reader: _Reader, where: str):
        self.reader = reader
        self.where = where
        self.warnings: list[str] = []
        self.categories = _category_paths(reader.categories)
        self.attachments = {a.id: a for a in (_attachment(i) for i in reader.items
                                              if i.fields.get("wp:post_type") == "attachment")}
        self.comments_left_out: Counter[str] = Counter()
        self.unknown_authors: set[str] = set()

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)

    def author(self, login: str) -> str:
        login = login.strip()
        if login in self.reader.authors:
            return self.reader.authors[login].name
        if login and login not in self.unknown_authors:
            self.unknown_authors.add(login)
            self.warn(f"{self.where}: author {login!r} is not declared in the export; the login is shown")
        return login

    def entry(self, item: _Item, kind: str, status: str = "publish") -> Entry:
        f = item.fields
        post_id = _int(f.get("wp:post_id"))
        title = plain(f.get("title", ""))
        where = f"{self.where}: {kind} {post_id} {title[:40]!r}"
        if not post_id:
            self.warn(f"{where}: no wp:post_id; kept with id 0")
        local, gmt = parse_date(f.get("wp:post_date", "")), parse_date(f.get("wp:post_date_gmt", ""))
        offset = round((local - gmt).total_seconds() / 60) if local and gmt else None
        categories, tags, post_format = [], [], "standard"
        for domain, slug, name in item.terms:
            if domain == "category":
                categories.append(self.categories.get(slug) or Category(slug, plain(name), (plain(name),)))
            elif domain == "post_tag":
                tags.append(plain(name))
            elif domain == "post_format":
                post_format = slug.removeprefix("post-format-") or post_format
        featured = self.attachments.get(_int(item.meta.get("_thumbnail_id")))
        return Entry(
            id=post_id, kind=kind, slug=f.get("wp:post_name", "").strip(), title=title,
            link=f.get("link", "").strip(), author=self.author(f.get("dc:creator", "")), date=local,
            utc_offset=offset, categories=tuple(dict.fromkeys(categories)), tags=tuple(dict.fromkeys(tags)),
            format=post_format, sticky=f.get("wp:is_sticky", "").strip() == "1",
            content=post_content(f.get("content:encoded", ""), post_id, self.attachments, self.warn,
                                 item.meta.get("footnotes", ""), where),
            excerpt=plain(f.get("excerpt:encoded", "")), comments=self.comments(item, where),
            featured=Image(featured.url, featured.alt, featured.width, featured.height) if featured else None,
            parent=_int(f.get("wp:post_parent")), order=_int(f.get("wp:menu_order")), status=status)

    def comments(self, item: _Item, where: str) -> tuple[Comment, ...]:
        kept: dict[int, dict[str, str]] = {}
        for raw in item.comments:
            kind = raw.get("wp:comment_type", "").strip()
            approved = raw.get("wp:comment_approved", "").strip()
            if kind not in _COMMENT_TYPES:
                self.comments_left_out[kind] += 1
            elif approved != "1":
                self.comments_left_out["spam" if approved == "spam" else "trash" if "trash" in approved
                                       else "unapproved"] += 1
            else:
                cid = _int(raw.get("wp:comment_id"))
                kept[cid if cid and cid not in kept else -len(kept) - 1] = raw  # ids missing or repeated
        children: dict[int, list[int]] = {}
        for cid, raw in kept.items():
            parent = _int(raw.get("wp:comment_parent"))
            children.setdefault(parent if parent in kept and parent != cid else 0, []).append(cid)
        emitted: set[int] = set()

        def order(cid: int) -> tuple[dt.datetime, int]:
            return parse_date(kept[cid].get("wp:comment_date", "")) or dt.datetime.min, cid

        def descendants(cid: int) -> list[int]:
            found, stack = [], list(children.get(cid, ()))
            while stack:
                child = stack.pop()
                if child not in emitted:
                    emitted.add(child)
                    found.append(child)
                    stack.extend(children.get(child, ()))
            return sorted(found, key=order)

        def build(cid: int, depth: int) -> Comment:
            emitted.add(cid)
            if depth >= MAX_DEPTH:  # deeper replies are kept, one level below, in date order
                replies = tuple(self.comment(r, kept[r], (), where) for r in descendants(cid))
            else:
                replies = tuple(build(r, depth + 1) for r in sorted(children.get(cid, ()), key=order)
                                if r not in emitted)
            return self.comment(cid, kept[cid], replies, where)

        top = [build(c, 0) for c in sorted(children.get(0, ()), key=order)]
        top += [build(c, 0) for c in sorted(kept, key=order) if c not in emitted]  # replies in a loop
        return tuple(sorted(top, key=lambda c: (c.date or dt.datetime.min, c.id)))

    def comment(self, cid: int, raw: dict[str, str], replies: tuple[Comment, ...], where: str) -> Comment:
        return Comment(max(cid, 0), plain(raw.get("wp:comment_author", "")) or "Anonymous",
                       parse_date(raw.get("wp:comment_date", "")),
                       comment_content(raw.get("wp:comment_content", ""), self.warn, f"{where} comment {cid}"),
                       replies, (raw.get("wp:comment_author_url", "") or "").strip())


class _Trimmed(io.RawIOBase):
    """A binary stream without the blank lines some plugins print before ``<?xml`` (expat refuses them)."""

    def __init__(self, raw: IO[bytes]):
        self.raw = raw
        self.skipped_lines = 0
        self.started = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.raw.read(len(buffer))
        while not self.started and data:
            trimmed = data.lstrip(b" \t\r\n")
            self.skipped_lines += data[: len(data) - len(trimmed)].count(b"\n")
            data = trimmed or self.raw.read(len(buffer))
            self.started = bool(trimmed)
        buffer[: len(data)] = data
        return len(data)


def read_wxr(source: str | Path | IO[bytes], name: str = "", include_status: Collection[str] = (),
             include_password: Collection[int] = ()) -> Export:
    """Read one WXR file (a path or a binary stream); raise :class:`CompilerError` if it is not one.

    Published posts without a password are kept; ``include_status`` adds other statuses (``draft``,
    ``private``, ``future``, ``pending``) and ``include_password`` password-protected items by id.
    """
    where = name or str(source if isinstance(source, (str, Path)) else "export")
    reader = _Reader()
    stream: _Trimmed | None = None
    if isinstance(source, (str, Path)):  # every file is read through compiler.files
        try:
            source = io.BytesIO(files.read_bytes(Path(source)))
        except CompilerError as exc:
            first = exc.diagnostics[0]
            if first.code != "E102":
                raise
            raise CompilerError(Diagnostic("E123", f"cannot read the export: {first.message}", where,
                                           hint="check the path and the file's permissions")) from None
    try:
        with contextlib.nullcontext(source) as raw:
            stream = _Trimmed(raw)
            reader.feed(io.BufferedReader(stream))
    except OSError as exc:
        raise CompilerError(Diagnostic("E123", f"cannot read the export: {exc.strerror or exc}", where,
                                       hint="check the path and the file's permissions")) from None
    except DefusedXmlException as exc:
        raise CompilerError(Diagnostic("E120", f"refused: the export declares a DTD or entities ({type(exc).__name__})",
                                       where, hint="a WordPress export has no DTD; this file is not one")) from None
    except ParseError as exc:
        line = exc.position[0] + (stream.skipped_lines if stream else 0) if getattr(exc, "position", None) else 0
        raise CompilerError(Diagnostic("E121", f"not well-formed XML: {exc}", where, line,
                                       hint="export the blog again from Tools → Export")) from None
    if not reader.has_wp:
        raise CompilerError(Diagnostic("E122", "not a WordPress export (no wordpress.org/export/1.x/ namespace)",
                                       where, hint="give a WXR file written by Tools → Export"))
    builder = _Builder(reader, where)
    posts: list[Entry] = []
    pages: list[Entry] = []
    left_out: list[LeftOut] = []
    other: Counter[str] = Counter()
    for item in reader.items:
        kind = item.fields.get("wp:post_type", "").strip() or "post"
        if kind == "attachment":
            continue
        if kind not in ("post", "page"):
            other[kind] += 1
            continue
        status = item.fields.get("wp:status", "").strip() or "draft"
        password = item.fields.get("wp:post_password", "").strip()
        if (status != "publish" and status not in include_status) or \
                (password and _int(item.fields.get("wp:post_id")) not in include_password):
            left_out.append(LeftOut(_int(item.fields.get("wp:post_id")), kind, plain(item.fields.get("title", "")),
                                    "password" if password and status in ("publish", *include_status) else status))
            continue
        (posts if kind == "post" else pages).append(builder.entry(item, kind, status))
    channel = reader.channel
    return Export(
        title=plain(channel.get("title", "")), link=channel.get("link", ""), language=channel.get("language", ""),
        version=channel.get("wp:wxr_version", ""), authors=tuple(reader.authors.values()),
        categories=tuple(builder.categories.values()), tags=tuple(t for t in reader.tags if t),
        posts=tuple(posts), pages=tuple(pages), attachments=tuple(builder.attachments.values()),
        left_out=tuple(left_out), comments_left_out=tuple(sorted(builder.comments_left_out.items())),
        other_items=tuple(sorted(other.items())), warnings=tuple(builder.warnings))


def read_wxr_bytes(data: bytes, name: str = "export") -> Export:
    """Read a WXR held in memory."""
    return read_wxr(io.BytesIO(data), name)


# -- the reader registry's entry (compiler.ingest) ------------------------------------------------
_WP_BYTES = re.compile(rb"https?://wordpress\.org/export/1\.[0-2]/")
UNTITLED = "Untitled"


def _sniff(head: bytes) -> bool:
    """An XML or RSS start, and the WordPress export namespace among the first bytes."""
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    return start.startswith((b"<?xml", b"<rss")) and _WP_BYTES.search(head) is not None


def _copy(entry: Entry, name: str, position: int) -> PostCopy:
    """A post of the export as the post copy dedup merges (with the archive pages' copies, if any)."""
    day = entry.date.date() if entry.date else None
    return PostCopy(title=entry.title.strip() or UNTITLED, content=entry.content, tags=entry.tags,
                    date=DateSpan(day, day) if day else None, comments=entry.comment_count,
                    seen=Seen(name, 0, position, "WordPress export"), thread=entry.comments,
                    categories=tuple(dict.fromkeys(c.path[0] if c.path else c.name for c in entry.categories)),
                    markup=True, authors=(entry.author,) if entry.author else (),
                    category_paths=tuple(dict.fromkeys(c.path or (c.name,) for c in entry.categories)),
                    status=entry.status, post_format=entry.format, sticky=entry.sticky)


def _read(data: bytes, name: str, options: ReadOptions) -> Source:
    with no_cycle_collection():  # an export of 10,000 posts makes millions of acyclic objects (as dedup does)
        export = read_wxr(io.BytesIO(data), name, options.include_status, options.include_password)
    meta = {"title": export.title, "language": export.language, "link": export.link,
            "author": next((a.name for a in export.authors if a.name), "")}
    return Source(name, "wxr", tuple(_copy(e, name, n) for n, e in enumerate(export.posts, 1)), export.pages,
                  export.left_out, export.warnings, meta)


#: WordPress exports (WXR 1.0-1.2), recognised by their namespace.
READER = Reader("wxr", "WordPress exports (WXR)", _sniff, _read, max_bytes=files.MAX_EXPORT_BYTES)

__all__ = ["Export", "READER", "read_wxr", "read_wxr_bytes", "parse_date"]
