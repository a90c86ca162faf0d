"""Saved HTML pages of a WordPress blog (a post, or an archive page of several) as a source.

A browser's "Save page" writes the page as its theme printed it, with or
without a ``NAME_files/`` folder of its images. The page is recognised by
its content (an HTML document, not XML); its posts are found by the markup
WordPress themes share (Twenty Ten to Twenty Twenty-Four, and most others):

- a post is an ``article.post`` / ``article.type-post`` / ``.hentry`` (outermost),
  or, on a page without one, the ``.entry-content`` with the page's
  ``.entry-title``; ``article.type-page`` is a page (front or back matter by slug);
- its title ``.entry-title`` (``h1`` on a single post, ``h2`` in archives), its
  date ``time[datetime]`` (``time.entry-date`` first), its categories
  ``.cat-links a`` / ``a[rel="category tag"]``, tags ``.tags-links a`` / ``a[rel=tag]``,
  author ``.byline .author``, ``.author.vcard``;
- its body ``.entry-content`` (``.entry-summary`` in an excerpt archive: then the
  copy is an excerpt, and a full copy of the same post wins in dedup).

Navigation, sidebars and widgets, share and like buttons, related posts,
"Continue reading" links, comment lists and forms are left out: only what
is inside the body is read, without those, and then through the same HTML
allow-list as an export (:func:`compiler.ingest.html.html_to_content`).
Relative images are looked for next to the page (``NAME_files/photo.jpg``),
never outside its folder; a missing one warns (W164) and prints its alt text.

Codes: ``E170`` an HTML page holding no post (no article, no entry content),
``E171`` a page in an encoding that does not decode (its line).
"""

from __future__ import annotations

import codecs
from collections.abc import Callable
import datetime as dt
import re
from dataclasses import replace
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from compiler import files
from compiler.errors import CompilerError, Diagnostic
from compiler.ingest import ReadOptions, Reader, Source
from compiler.ingest.dom import cap_depth
from compiler.ingest.html import html_to_content
from compiler.ingest.static.body import map_images
from compiler.ingest.static.frontmatter import post_date
from compiler.ingest.text import shown
from compiler.model import DateSpan, PostCopy, Seen
from compiler.model.entries import Comment, Entry
from compiler.model.nodes import MAX_DEPTH, Image

_ARTICLES = "article.post, article.type-post, article.type-page, article.hentry, div.hentry, div.type-post"
#: Inside a post's body, what a theme or plugin adds that is not the post.
_NOISE = ("script, style, noscript, form, nav, aside, iframe[src*='facebook.com/plugins'], .sharedaddy, "
          ".sd-sharing-enabled, .sd-block, .jp-relatedposts, #jp-post-flair, .sharing, .share-buttons, "
          ".social-share, .addtoany_share_save_container, .a2a_kit, .wpcnt, .wordads-ad-wrapper, .more-link, "
          ".post-navigation, .navigation, .comments-area, #comments, .comment-respond, .widget, .widget-area, "
          ".entry-footer, .entry-meta, .post-edit-link, .screen-reader-text, .sharing-buttons, "
          ".likes-widget-placeholder, .wpl-likebox, .page-links")
_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([A-Za-z0-9_:.-]+)", re.I)
_COUNT = re.compile(r"(\d[\d,.]*)\s+(?:comments?|replies|responses?|thoughts?)", re.I)
_TEXT_DATES = ("%B %d, %Y", "%d %B %Y", "%b %d, %Y", "%Y-%m-%d", "%d/%m/%Y", "%B %d %Y")


def _sniff(head: bytes) -> bool:
    """An HTML document: a doctype or ``<html`` first (after a BOM, spaces, an XML declaration or the
    ``<!-- saved from url=… -->`` comment browsers write), never a feed."""
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip().lower()
    if not text.startswith((b"<!doctype html", b"<html", b"<!--", b"<?xml")):
        return False
    return b"<html" in text and b"<rss" not in text and b"<feed" not in text


def _error(code: str, message: str, name: str, line: int, hint: str) -> CompilerError:
    return CompilerError(Diagnostic(code, message, name, line, hint=hint))


def _decode(data: bytes, name: str) -> str:
    """The page's text: UTF-8 (or its BOM's or ``<meta charset>``'s encoding); E171 when it does not decode."""
    encoding = "utf-8"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    elif (found := _CHARSET.search(data[:4096])) is not None:
        try:
            encoding = codecs.lookup(found[1].decode("ascii")).name
        except (LookupError, UnicodeDecodeError):
            encoding = "utf-8"
    try:
        text = data.decode(encoding.replace("utf-8", "utf-8-sig") if encoding == "utf-8" else encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise _error("E171", f"byte 0x{data[exc.start]:02x} does not decode as {encoding} (the page's encoding)",
                     name, line, "save the page again from the browser, or re-save it as UTF-8") from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _text(node: LexborNode | None) -> str:
    return " ".join((node.text(deep=True) or "").split()) if node is not None else ""


def _outermost(nodes: list[LexborNode]) -> list[LexborNode]:
    """Each matched element once (a selector list matches one element per selector), none inside another."""
    kept: list[LexborNode] = []
    ids: set[int] = set()
    for node in nodes:
        at: LexborNode | None = node
        while at is not None and at.mem_id not in ids:
            at = at.parent
        if at is None:
            kept.append(node)
            ids.add(node.mem_id)
    return kept


def _date(article: LexborNode, name: str) -> dt.datetime | None:
    time = article.css_first("time.entry-date[datetime]") or article.css_first("time[datetime]")
    if time is not None:
        try:
            return post_date(time.attributes.get("datetime") or "", name, 0)
        except CompilerError:
            pass
    shown_date = _text(article.css_first(".entry-date") or article.css_first(".posted-on"))
    for pattern in _TEXT_DATES:
        try:
            return dt.datetime.strptime(shown_date, pattern)
        except ValueError:
            continue
    return None


def _names(article: LexborNode, selectors: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(t for t in (_text(a) for a in article.css(selectors)) if t))


def _when(comment: Comment) -> tuple[dt.datetime, int]:
    return comment.date or dt.datetime.min, comment.id


def _children(node: LexborNode) -> list[LexborNode]:
    out, child = [], node.child
    while child is not None:
        if child.tag not in ("-text", "-comment", None):
            out.append(child)
        child = child.next
    return out


def _comment_id(node: LexborNode, fallback: int) -> int:
    found = re.search(r"(\d+)$", node.attributes.get("id") or "")
    return int(found[1]) if found else fallback


def _replies(comment: Comment) -> int:
    count, stack = 0, list(comment.replies)
    while stack:
        count += 1
        stack.extend(stack.pop().replies)
    return count


def _comment_count(article: LexborNode) -> int:
    listed = len(article.css("li.comment, li.pingback")) if article.css_first(".comment-list, .commentlist") else 0
    found = _COUNT.search(_text(article.css_first(".comments-link")))
    return max(listed, int(re.sub(r"\D", "", found[1])) if found else 0)


class _Page:
    """One saved page being read."""

    def comments(self, listing: LexborNode, where: str) -> tuple[Comment, ...]:
        """A theme's comment list (``ol.comment-list`` / ``ol.commentlist``, replies in ``ol.children``), as
        threaded comments in date order: comments only (pingbacks and trackbacks left out), each its
        author (``.fn``), date (``time[datetime]``) and text (``.comment-content``) through the allow-list."""
        made: dict[int, Comment] = {}

        def read(item: LexborNode, depth: int) -> Comment | None:
            classes = item.attributes.get("class") or ""
            if item.tag != "li" or "comment" not in classes.split():
                return None
            body = item.css_first(".comment-content") or item.css_first(".comment-body")
            if body is None:
                return None
            for noise in body.css(".reply, .comment-meta, .comment-metadata, form"):
                noise.decompose()
            replies: list[Comment] = []
            for child in _children(item):
                if child.tag in ("ol", "ul") and "children" in (child.attributes.get("class") or ""):
                    for sub in _children(child):
                        if depth < MAX_DEPTH and (reply := read(sub, depth + 1)) is not None:
                            replies.append(reply)
            time = item.css_first("time[datetime]")
            try:
                date = post_date(time.attributes.get("datetime") or "", self.name, 0) if time is not None else None
            except CompilerError:
                date = None
            author = item.css_first(".fn")
            link = author.css_first("a[href]") if author is not None else None
            number = _comment_id(item, len(made) + 1)
            comment = Comment(number, _text(author) or "Anonymous", date.replace(tzinfo=None) if date else None,
                              html_to_content(cap_depth(body.inner_html or "")[0], f"{where} comment {number}",
                                              self.warn),
                              tuple(sorted(replies, key=_when)),
                              (link.attributes.get("href") or "") if link is not None else "")
            made[number] = comment
            return comment

        top = [c for item in _children(listing) if (c := read(item, 0)) is not None]
        return tuple(sorted(top, key=_when))

    def __init__(self, path: Path, name: str) -> None:
        self.path, self.name = path, name
        self.warnings: list[str] = []

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)

    def image(self, title: str) -> Callable[[Image], Image]:
        folder = self.path.parent.resolve()

        def local(image: Image) -> Image:
            parts = urlsplit(image.src)
            if parts.scheme or parts.netloc or not parts.path:
                return image
            target = PurePosixPath(unquote(parts.path))
            if not target.is_absolute() and ".." not in target.parts and "\\" not in parts.path:
                found = (folder / target).resolve()
                if found.is_file() and files.inside(folder, found):
                    return image
            alt = f"; its alt text {image.alt[:60]!r} is printed in its place" if image.alt else ""
            self.warn(f"{self.name}: W164 post {title[:60]!r}: image {shown(image.src, 80)} is not beside the "
                      f"saved page{alt}")
            return image
        return local

    def article(self, node: LexborNode, position: int, title_node: LexborNode | None = None,
                body: LexborNode | None = None, listing: LexborNode | None = None) -> tuple[str, PostCopy | Entry] | None:
        title = _text(node.css_first(".entry-title") or title_node)
        body = body or node.css_first(".entry-content") or node.css_first(".entry-summary")
        if body is None:
            return None
        excerpt = ("entry-summary" in (body.attributes.get("class") or "") and node.css_first(".entry-content") is None) \
            or body.css_first(".more-link") is not None  # an archive's teaser: the full copy wins
        for noise in body.css(_NOISE):
            noise.decompose()
        where = f"{self.name}: post {title[:60]!r}"
        html, _ = cap_depth(body.inner_html or "")
        content = map_images(html_to_content(html, where, lambda m: self.warn(f"{self.name}: W120 {m.removeprefix(self.name + ': ')}")), self.image(title))
        date = _date(node, self.name)
        day = date.date() if date else None
        authors = _names(node, ".byline .author a, .byline .fn, .author.vcard a, .byline a[rel='author'], .entry-author-name")
        categories = _names(node, ".cat-links a, a[rel='category tag']")
        tags = tuple(t for t in _names(node, ".tags-links a, a[rel='tag']") if t not in categories)
        classes = node.attributes.get("class") or ""
        if "type-page" in classes:
            link = node.css_first(".entry-title a")
            slug = PurePosixPath(urlsplit((link.attributes.get("href") or "") if link else "").path).name
            return "page", Entry(0, "page", slug or re.sub(r"\W+", "-", title.lower()).strip("-"), title,
                                 date=date.replace(tzinfo=None) if date else None, content=content)
        listing = listing or node.css_first(".comment-list, .commentlist")
        thread = self.comments(listing, where) if listing is not None else ()
        count = len(thread) + sum(_replies(c) for c in thread)
        return "post", PostCopy(
            title=title or "Untitled", content=content, tags=tags, date=DateSpan(day, day) if day else None,
            comments=max(count, _comment_count(node)), thread=thread,
            seen=Seen(self.name, 0, position, "saved WordPress page"),
            categories=categories, markup=True, authors=authors,
            category_paths=tuple((c,) for c in categories), excerpt=excerpt)


def _read_path(path: Path, name: str, options: ReadOptions) -> Source:
    text = _decode(files.read_bytes(path), name)
    text, _ = cap_depth(text)
    tree = LexborHTMLParser(text)
    page = _Page(path, name)
    found: list[tuple[str, PostCopy | Entry]] = []
    articles = _outermost(tree.css(_ARTICLES))
    # a single post's comments follow its article, outside it (in #comments)
    listing = tree.css_first(".comment-list, .commentlist") if len(articles) == 1 else None
    for node in articles:
        if (read := page.article(node, len(found) + 1, listing=listing)) is not None:
            found.append(read)
    if not articles:
        body = tree.css_first(".entry-content")
        if body is not None and tree.body is not None:
            if (read := page.article(tree.body, 1, tree.css_first("h1.entry-title, h1"), body)) is not None:
                found.append(read)
    if not found:
        raise _error("E170", "the HTML page holds no post: no article.post, .hentry or .entry-content", name, 0,
                     "save a post or an archive page of a WordPress blog (its theme's markup), or give an export")
    site = tree.css_first("meta[property='og:site_name']")
    root = tree.css_first("html")
    language = (root.attributes.get("lang") or "") if root is not None else ""
    author = next((a for _, c in found if isinstance(c, PostCopy) for a in c.authors), "")
    meta = {"title": (site.attributes.get("content") or "") if site else _text(tree.css_first(".site-title")),
            "language": language, "author": author,
            "media_root": str(path.parent.resolve())}  # the folder the posts' local image paths are relative to
    return Source(name, "saved-html", tuple(c for kind, c in found if isinstance(c, PostCopy)),
                  tuple(c for kind, c in found if isinstance(c, Entry)), (), tuple(page.warnings), meta)


def _read_bytes(data: bytes, name: str, options: ReadOptions) -> Source:
    raise CompilerError(Diagnostic("E128", "a saved page is read from its file", name,
                                   hint="name the saved .html file as a source"))


#: Saved HTML pages of a WordPress blog (a post, or an archive page of several).
READER = Reader("saved-html", "saved HTML pages of a WordPress blog", _sniff, _read_bytes, read_path=_read_path)

__all__ = ["READER"]
