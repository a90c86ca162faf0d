"""Read RSS 2.0 and Atom 1.0 feeds into post copies.

Recognised by content: an ``<rss>`` root (a WordPress export, which is RSS
too, is claimed first by :mod:`compiler.ingest.wxr`) or an Atom ``<feed>``
in the ``http://www.w3.org/2005/Atom`` namespace, after any XML
declaration, comments or blank lines. :mod:`compiler.ingest.feeds_xml`
decodes and parses the file safely (DTDs and entities refused unexpanded);
:mod:`compiler.ingest.feeds_items` copies each item's fields.

A post's body is ``content:encoded`` (RSS) or Atom ``content`` (``html``,
``xhtml`` or ``text``); without one, the ``description`` / ``summary`` is
used, with a warning (W150), and the copy is marked as an excerpt so that
dedup prefers a full copy from another source. HTML goes through the same
allow-list as WordPress exports (:mod:`compiler.ingest.html`); links and
image URLs are made absolute against ``xml:base``, else the feed's own
address (Atom ``link rel="self"``, the RSS channel's ``link``). Dates keep
their zones (RFC 822 and RFC 3339, :mod:`compiler.ingest.dates`; the day is
the one the feed's own offset gives); categories, authors (``dc:creator``,
Atom ``author``) and comment counts (``slash:comments``, ``thr:total``,
``thr:count``) are taken. A feed holds only a blog's latest posts: the
source's notes say how many it held and the date where it stops.
"""

from __future__ import annotations

import datetime as dt
import html as htmllib
import re
from urllib.parse import urljoin, urlsplit
from xml.etree.ElementTree import Element

from compiler import files
from compiler.errors import CompilerError, Diagnostic
from compiler.ingest import ReadOptions, Reader, Source
from compiler.ingest.dates import DateProblem, any_date
from compiler.ingest.dom import parse_html
from compiler.ingest.feeds_items import CONTENT, Body, RawItem, atom_entry, feed_authors, rss_item
from compiler.ingest.feeds_xml import ATOM, XML_BASE, XML_LANG, Builder, line, parse
from compiler.ingest.html import html_to_content
from compiler.ingest.wpautop import wpautop
from compiler.ingest.wpcontent import plain
from compiler.limits import no_cycle_collection
from compiler.model import DateSpan, PostCopy, Seen
from compiler.model.nodes import Content

UNTITLED = "Untitled"
_A = f"{{{ATOM}}}"
_ATOM03 = "http://purl.org/atom/ns#"
_RSS1 = "http://purl.org/rss/1.0/"
_PROLOG = re.compile(rb"(?:\s+|<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^\[>]*(?:\[.*?\])?\s*>)*<([A-Za-z_][\w.:-]*)", re.S)
_DOCTYPE_ROOT = re.compile(rb"<!DOCTYPE\s+(?:rss|feed|[\w.-]+:feed)\b")
_RELATIVE = re.compile(r"""\b(?:href|src)\s*=\s*["']?(?![a-zA-Z][a-zA-Z0-9+.-]*:)""")
_BLOCK_TAG = re.compile(r"<(?:p|div|ul|ol|table|blockquote|pre|h[1-6]|figure)[\s>]", re.I)


def _error(code: str, message: str, name: str, line_: int = 0, hint: str = "") -> CompilerError:
    return CompilerError(Diagnostic(code, message, name, line_, hint=hint))


# -- recognising a feed ----------------------------------------------------------------------------
def _sniff(head: bytes) -> bool:
    """An ``<rss>`` root, or a ``<feed>`` root with an Atom (or old Atom 0.3, refused later) namespace."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        head = head.decode("utf-16", "ignore").encode("utf-8")
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not start.startswith(b"<"):
        return False
    if _DOCTYPE_ROOT.match(start.split(b"?>", 1)[-1].lstrip()) or _DOCTYPE_ROOT.search(start[:300]):
        return True
    m = _PROLOG.match(start)
    if m is None:
        return False
    root = m[1].rpartition(b":")[2]
    if root == b"rss":
        return True
    if root == b"feed":
        return ATOM.encode() in head or _ATOM03.encode() in head
    return root == b"RDF" and _RSS1.encode() in head


# -- the whole feed ---------------------------------------------------------------------------------
class _Feed:
    """A feed as parsed: its kind, the raw items, and the root (for the channel's own fields)."""

    def __init__(self, data: bytes, name: str):
        self.name = name
        self.items: list[RawItem] = []
        self.kind = ""
        builder = Builder(frozenset({"item", f"{_A}entry"}), self._entry)
        self.root, self.skipped = parse(data, name, builder)
        self.kind = self._kind(self.root)

    def _entry(self, element: Element, base: str) -> None:
        self.items.append(rss_item(element, base) if element.tag == "item" else atom_entry(element, base))

    def _kind(self, root: Element) -> str:
        tag = root.tag
        if tag == "rss":
            if (root.get("version") or "2.0").strip() not in ("2.0", "2.0.1", "0.91", "0.92", "0.93", "0.94"):
                raise _error("E157", f"RSS version {root.get('version', '')[:20]!r} is not read", self.name,
                             line(root, self.skipped), "give an RSS 2.0 or Atom 1.0 feed")
            return "rss"
        if tag == f"{_A}feed":
            return "atom"
        what = {f"{{{_ATOM03}}}feed": "an Atom 0.3 feed", "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}RDF":
                "an RSS 1.0 (RDF) feed"}.get(tag, f"<{tag.rpartition('}')[2][:40]}>")
        raise _error("E157", f"{what} is not read: only RSS 2.0 and Atom 1.0", self.name, line(root, self.skipped),
                     "save the blog's RSS 2.0 feed (/feed/) or Atom feed (/feed/atom/) instead")

    def channel(self) -> Element:
        if self.kind == "rss":
            found = self.root.find("channel")
            if found is None:
                raise _error("E153", "the RSS feed has no <channel>", self.name, line(self.root, self.skipped),
                             "an RSS 2.0 feed is <rss><channel>…<item>…</item></channel></rss>")
            return found
        return self.root

    def base(self) -> str:
        """The address relative URLs are read against: xml:base, else the feed's own or its blog's link."""
        own = (self.root.get(XML_BASE) or "").strip()
        if _absolute(own):
            return own
        channel = self.channel()
        links = [(c.get("rel") or "alternate", (c.get("href") or "").strip())
                 for c in channel if c.tag == f"{_A}link"]
        for rel in ("self", "alternate"):
            for kind, href in links:
                if kind == rel and _absolute(href):
                    return href
        link = next(((c.text or "").strip() for c in channel if c.tag == "link"), "")
        return link if _absolute(link) else ""

    def meta(self) -> dict[str, str]:
        channel = self.channel()
        fields = {c.tag: (c.text or "").strip() for c in channel if len(c) == 0 and c.tag not in ("item",)}
        title = next((c for c in channel if c.tag in ("title", f"{_A}title")), None)
        language = fields.get("language") or (self.root.get(XML_LANG) or "").strip()
        authors = (feed_authors(channel) if self.kind == "atom" else []) or \
            [a for i in self.items for a in i.authors][:1]  # else the first post's author
        base = self.base()
        link = fields.get("link") or next((urljoin(base, (c.get("href") or "").strip()) for c in channel
                                           if c.tag == f"{_A}link" and (c.get("rel") or "alternate") == "alternate"),
                                          base)
        return {"title": plain("".join(title.itertext())) if title is not None else "", "language": language,
                "link": link, "author": authors[0] if authors else ""}


def _absolute(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


# -- one item into a post copy ----------------------------------------------------------------------
def _resolve(body: str, base: str) -> str:
    """Relative ``href`` and ``src`` made absolute against ``base`` (parsed, never by text substitution)."""
    if not base or ("href" not in body and "src" not in body) or not _RELATIVE.search(body):
        return body
    root = parse_html(body)
    for node in root.css("[href], [src]"):
        for key in ("href", "src"):
            value = node.attributes.get(key)
            if value is not None:
                node.attrs[key] = urljoin(base, value.strip())
    return root.inner_html or ""


def _html(body: Body, base: str) -> str:
    at = urljoin(base, body.base) if body.base else base
    if body.kind == "text":
        return wpautop(htmllib.escape(body.text, quote=False))
    text = body.text
    if "\n\n" in text and not _BLOCK_TAG.search(text):  # paragraphs written as blank lines, no <p>
        text = wpautop(text)
    return _resolve(text, at)


class _Converter:
    def __init__(self, feed: _Feed):
        self.feed = feed
        self.name = feed.name
        self.base = feed.base()
        self.warnings: list[str] = []
        self.fallbacks = 0
        self.authors = feed_authors(feed.root) if feed.kind == "atom" else []

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)

    def line(self, at: int) -> int:
        return at + self.feed.skipped if at else 0

    def title(self, item: RawItem) -> str:
        if item.title_kind == "text":
            return " ".join(item.title.split())
        return plain(item.title)

    def date(self, item: RawItem) -> dt.datetime | None:
        if not item.date.strip():
            return None
        try:
            return any_date(item.date)
        except DateProblem as exc:
            raise exc.error(self.name, self.line(item.date_line or item.line)) from None

    def body(self, item: RawItem, title: str, where: str) -> tuple[Content, bool]:
        content, summary = item.content, item.summary
        if content is not None and (content.src or content.type):
            if summary is None or not summary.text.strip():
                what = f"out-of-line content (src={content.src[:60]!r}), which is never fetched" if content.src \
                    else f"content of type {content.type[:40]!r}"
                raise _error("E156", f"entry {title[:40]!r} has {what} and no summary", self.name,
                             self.line(content.line), "give the entry type=\"html\", \"xhtml\" or \"text\" content")
            content = None
        if content is None and summary is not None and summary.text.strip():
            self.fallbacks += 1
            kind = "description" if self.feed.kind == "rss" else "summary"
            self.warn(f"{where} W150 {title[:40]!r}: no full content "
                      f"({'content:encoded' if kind == 'description' else 'content'}); its {kind} is used, "
                      "which may be an excerpt")
            return html_to_content(_html(summary, self.base), f"{where} {title[:40]!r}", self.warn), True
        if content is None:
            return Content(), False
        return html_to_content(_html(content, self.base), f"{where} {title[:40]!r}", self.warn), False

    def copy(self, item: RawItem, position: int) -> PostCopy | None:
        title = self.title(item)
        at = self.line(item.line)
        has_body = any(b is not None and (b.text.strip() or b.src or b.type) for b in (item.content, item.summary))
        if not title and not has_body:
            raise _error("E154", f"{'item' if self.feed.kind == 'rss' else 'entry'} {position} has neither a title "
                         "nor content", self.name, at, "remove the empty item, or save the feed again")
        where = f"{self.name}:{at}:" if at else f"{self.name}:"
        moment = self.date(item)
        content, excerpt = self.body(item, title or UNTITLED, where)
        if not has_body:
            self.warn(f"{where} W151 {title[:40]!r}: no content: the post is its title alone")
        day = moment.date() if moment else None
        kind = "RSS feed" if self.feed.kind == "rss" else "Atom feed"
        return PostCopy(title=title or UNTITLED, content=content, tags=(), date=DateSpan(day, day) if day else None,
                        comments=item.comments or 0, seen=Seen(self.name, at, position, kind),
                        categories=tuple(item.categories), markup=True,
                        authors=tuple(item.authors or self.authors),
                        category_paths=tuple((c,) for c in item.categories), excerpt=excerpt)


def _note(name: str, copies: list[PostCopy], fallbacks: int) -> tuple[str, ...]:
    days = sorted(c.date.start for c in copies if c.date)
    span = f", {days[-1].isoformat()} back to {days[0].isoformat()}" if days else ", undated"
    notes = [f"{name}: a feed of {len(copies)} posts{span}; a feed holds only a blog's latest posts, "
             "so older ones are not in it (add the blog's export or archive pages for them)"]
    if fallbacks:
        notes.append(f"{name}: {fallbacks} of its posts are summaries only (no full content in the feed)")
    return tuple(notes)


def read_feed(data: bytes, name: str) -> Source:
    """Read one RSS 2.0 or Atom 1.0 feed; raise :class:`CompilerError` naming the file and line."""
    feed = _Feed(data, name)
    converter = _Converter(feed)
    if not feed.items:
        channel = feed.channel()
        raise _error("E153", f"the feed holds no {'items' if feed.kind == 'rss' else 'entries'}", name,
                     line(channel, feed.skipped), "save the feed again with its posts, or remove it from sources")
    copies: list[PostCopy] = []
    seen: dict[str, int] = {}
    for position, item in enumerate(feed.items, 1):
        key = item.ident or item.link
        if key and key in seen:
            converter.warn(f"{name}:{converter.line(item.line)}: W152 the same {('guid' if feed.kind == 'rss' else 'id')} "
                           f"as line {seen[key]} ({key[:60]}): the repeat is left out")
            continue
        if key:
            seen[key] = converter.line(item.line)
        copy = converter.copy(item, position)
        if copy is not None:
            copies.append(copy)
    meta = feed.meta()
    return Source(name, "feed", tuple(copies), warnings=tuple(converter.warnings), meta=meta,
                  notes=_note(name, copies, converter.fallbacks))


def _read(data: bytes, name: str, options: ReadOptions) -> Source:
    with no_cycle_collection():  # a big feed makes millions of acyclic objects (as dedup does)
        return read_feed(data, name)


#: RSS 2.0 and Atom 1.0 feeds, recognised by their root element.
READER = Reader("feed", "RSS 2.0 and Atom 1.0 feeds", _sniff, _read, max_bytes=files.MAX_EXPORT_BYTES)

__all__ = ["CONTENT", "READER", "read_feed"]
