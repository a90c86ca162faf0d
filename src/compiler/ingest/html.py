"""HTML into the rich model: parsed with an HTML5 parser, read through an allow-list.

Shared by every reader of HTML (WordPress exports now; feeds and saved pages
later). The text is parsed by Lexbor (selectolax), a WHATWG HTML5 parser.
Markup is kept only for the elements in :data:`~compiler.ingest.dom.BLOCKS`
and :data:`~compiler.ingest.dom.INLINES`; any other element is read as if it
were not there (its text stays; :data:`~compiler.ingest.dom.UNWRAP` lists the
usual ones). Of the attributes, only ``href``, ``title``, ``src``, ``alt``,
``width``, ``height``, ``start``, ``colspan``, ``rowspan``, ``class`` (to
recognise editor blocks and languages), ``style`` (small caps only) and
``data-fn`` (footnote references) are read. Elements in
:data:`~compiler.ingest.dom.DROP` (scripts, styles, objects, forms…) are left
out with everything inside them; an ``<iframe>`` becomes an embed when its
host is a known provider and is dropped with a warning otherwise. Links keep
only http, https and mailto URLs.

Blocks nest at most :data:`~compiler.model.nodes.MAX_DEPTH` deep: below
that, a subtree's text becomes paragraphs, one per block (with a warning),
and the parser is never handed more than
:data:`~compiler.ingest.dom.MAX_PARSE_DEPTH` nested elements, so 10,000
nested lists neither crash nor lose their words nor take long.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from selectolax.lexbor import LexborNode

from compiler.ingest.dom import BLOCK_LEVEL, BLOCKS, DROP, MAX_PARSE_DEPTH, cap_depth, parse_html
from compiler.ingest.dom import style_fetches
from compiler.ingest.dom import children as _children
from compiler.ingest.dom import classes as _classes
from compiler.ingest.dom import flat_lines as _flat_lines
from compiler.ingest.dom import flat_text as _flat_text
from compiler.ingest.dom import number as _number
from compiler.ingest.dom import pre_text as _pre_text
from compiler.ingest.embeds import canonical, host, provider
from compiler.ingest.plainhtml import plain_blocks
from compiler.model.inline import clean_text, finish, safe_href
from compiler.model.nodes import (
    MAX_DEPTH, Block, Blockquote, BulletList, Code, CodeBlock, Content, Embed, Emphasis, Figure, Footnote,
    FootnoteRef, Heading, Image, Inline, LineBreak, Link, ListItem, OrderedList, Paragraph, SmallCaps, Strong,
    Subscript, Superscript, Table, TableCell, TableRow, Text, ThematicBreak, plain_text,
)

_EMPHASIS = frozenset({"em", "i", "cite", "dfn", "var"})
_STRONG = frozenset({"strong", "b"})
_CODE = frozenset({"code", "kbd", "samp", "tt"})
_SMILEY = re.compile(r"wp-smiley|emoji", re.I)
_SMILEY_SRC = re.compile(r"/smilies/|/images/core/emoji/", re.I)
_LANGUAGE = re.compile(r"(?:^|\s)(?:language|lang|brush)-?:?([\w+#.-]+)", re.I)
_PROVIDER_CLASS = re.compile(r"is-provider-([\w-]+)")
_SPACE = re.compile(r"\s+")
_SMALL_CAPS = re.compile(r"font-variant\s*:\s*small-caps|(?:^|\s)small-?caps(?:\s|$)", re.I)


@dataclass
class _Run:
    """Inline content being gathered into a block, and images met in it."""

    inlines: list[Inline] = field(default_factory=list)
    images: list[Image] = field(default_factory=list)
    embeds: list[Embed] = field(default_factory=list)  # players met inside a line of text


class HtmlReader:
    """Converts one document (a post body, a comment, a footnote) into blocks."""

    def __init__(self, where: str, warn: Callable[[str], None], footnote_ids: frozenset[str] = frozenset()):
        self.where = where
        self._warn = warn
        self.footnote_ids = footnote_ids
        self._warned: set[str] = set()

    def dropped(self, tag: str) -> None:
        """Say that an element that runs, fetches or asks for input was left out (once a kind)."""
        if tag in _ACTIVE:
            self.warn(f"<{tag}> dropped: a book runs no code and fetches nothing")

    def warn(self, message: str) -> None:
        if message not in self._warned:
            self._warned.add(message)
            self._warn(f"{self.where}: {message}" if self.where else message)

    # ------------------------------------------------------------ blocks

    def blocks(self, node: LexborNode, depth: int = 0) -> list[Block]:
        """The blocks of ``node``'s children; loose inline content makes paragraphs."""
        if depth > MAX_DEPTH:
            return self._flattened(node)
        return self._blocks_of(_children(node), depth)

    def _flattened(self, node: LexborNode) -> list[Block]:
        self.warn(f"content nested deeper than {MAX_DEPTH} levels flattened into paragraphs")
        return [Paragraph((Text(line),)) for line in _flat_lines(node)]

    def _blocks_of(self, nodes: Sequence[LexborNode], depth: int) -> list[Block]:
        out: list[Block] = []
        run = _Run()
        for child in nodes:
            if child.tag in BLOCK_LEVEL:
                self._flush(run, out)
                run = _Run()
                out.extend(self.block(child, depth + 1))
            else:
                run.inlines.extend(self.inline(child, run, depth + 1))
        self._flush(run, out)
        return out

    def _flush(self, run: _Run, out: list[Block]) -> None:
        inlines = finish(run.inlines)
        if inlines:
            out.append(Paragraph(inlines))
        if run.images:
            if inlines:
                out.extend(Figure((image,)) for image in run.images)
            else:
                out.append(Figure(tuple(run.images)))
        out.extend(run.embeds)

    def block(self, node: LexborNode, depth: int) -> list[Block]:
        """The blocks one block-level element makes (every route into a nested block passes here)."""
        if depth > MAX_DEPTH:
            return self._flattened(node)
        tag = node.tag or ""
        if tag == "p" and (only := node.child) is not None and only.next is None and only.tag == "-text":
            inlines = finish([Text(clean_text(only.text_content or ""))])  # a paragraph of plain text: at once
            return [Paragraph(inlines)] if inlines else []
        if tag == "p" or tag in ("dd", "summary", "caption"):
            run = _Run()
            run.inlines.extend(self.inline_children(node, run, depth))
            if tag == "summary":
                run.inlines = [Strong(tuple(run.inlines))]
            out: list[Block] = []
            self._flush(run, out)
            return out
        if tag == "dt":
            run = _Run()
            run.inlines.append(Strong(tuple(self.inline_children(node, run, depth))))
            out = []
            self._flush(run, out)
            return out
        if len(tag) == 2 and tag[0] == "h" and tag[1] in "123456":
            children = finish(self.inline_children(node, _Run(), depth))
            return [Heading(int(tag[1]), children)] if children else []
        if tag in ("ul", "ol"):
            return self.lists(node, depth)
        if tag == "blockquote":
            return [self.quote(node, depth)]
        if tag == "pre":
            return [self.pre(node)]
        if tag == "table":
            return self.table(node, (), depth)
        if tag == "figure":
            return self.figure(node, depth)
        if tag == "hr":
            return [ThematicBreak()]
        if tag in ("iframe", "video", "audio"):
            embed = self.media(node, ())
            return [embed] if embed else []
        if tag == "figcaption":
            return self.blocks(node, depth)
        if tag in DROP:
            self.dropped(tag)
            return []
        return self.blocks(node, depth)  # li outside a list, div, section…

    def lists(self, node: LexborNode, depth: int) -> list[Block]:
        items: list[ListItem] = []
        loose: list[LexborNode] = []
        for child in _children(node):
            if child.tag == "li":
                items.append(ListItem(tuple(self.blocks(child, depth + 1))))
            elif child.tag in ("ul", "ol") and items:  # a list nested without its <li>
                last = items[-1]
                items[-1] = ListItem((*last.blocks, *self.lists(child, depth + 1)))
            elif child.tag not in ("-text", "-comment") or (child.text_content or "").strip():
                loose.append(child)
        for child in loose:  # stray content inside a list becomes an item of its own
            blocks = self._blocks_of([child], depth + 1)
            if blocks:
                items.append(ListItem(tuple(blocks)))
        items = [i for i in items if i.blocks]
        if not items:
            return []
        if node.tag == "ol":
            return [OrderedList(tuple(items), _number(node.attributes.get("start"), 1, 0) or 0)]
        return [BulletList(tuple(items))]

    def quote(self, node: LexborNode, depth: int) -> Blockquote:
        attribution: list[Inline] = []
        body: list[LexborNode] = []
        for child in _children(node):
            if child.tag in ("cite", "footer") and not any(c.tag in BLOCK_LEVEL for c in _children(child)):
                attribution.extend(self.inline_children(child, _Run(), depth))
            else:
                body.append(child)
        blocks = self._blocks_of(body, depth)
        return Blockquote(tuple(blocks), finish(attribution))

    def pre(self, node: LexborNode) -> Block:
        classes = _classes(node)
        if "wp-block-verse" in classes:  # poetry: lines, not code
            run = _Run()
            inlines = self.inline_children(node, run, 0, keep_lines=True)
            return Paragraph(finish(inlines))
        code = next((c for c in _children(node) if c.tag == "code"), None)
        language = ""
        for source in (classes, _classes(code) if code is not None else ""):
            if m := _LANGUAGE.search(source):
                language = m[1].lower()
        return CodeBlock(clean_text(_pre_text(node)), language)

    def table(self, node: LexborNode, caption: tuple[Inline, ...], depth: int) -> list[Block]:
        head: list[TableRow] = []
        body: list[TableRow] = []
        for part in _children(node):
            if part.tag == "caption" and not caption:
                caption = finish(self.inline_children(part, _Run(), depth))
            rows = [part] if part.tag == "tr" else [r for r in _children(part) if r.tag == "tr"]
            for row in rows:
                cells = tuple(self.cell(c, depth) for c in _children(row) if c.tag in ("td", "th"))
                if cells:
                    (head if part.tag == "thead" else body).append(TableRow(cells))
        if not head and body and all(c.header for c in body[0].cells):
            head, body = body[:1], body[1:]
        if not head and not body:
            return []
        return [Table(tuple(head), tuple(body), caption)]

    def cell(self, node: LexborNode, depth: int) -> TableCell:
        inlines: list[Inline] = []
        for block in self.blocks(node, depth + 1):  # a cell's blocks, as lines of inline text
            if inlines:
                inlines.append(LineBreak())
            if isinstance(block, (Paragraph, Heading)):
                inlines.extend(block.children)
            else:
                inlines.append(Text(plain_text(block)))
        return TableCell(finish(inlines), node.tag == "th", _number(node.attributes.get("colspan"), 1, 1, 1000) or 1,
                         _number(node.attributes.get("rowspan"), 1, 1, 1000) or 1)

    def figure(self, node: LexborNode, depth: int) -> list[Block]:
        kids = _children(node)
        captions = [c for c in kids if c.tag == "figcaption"]
        caption = finish(self.inline_children(captions[0], _Run(), depth)) if captions else ()
        classes = _classes(node)
        if "wp-block-embed" in classes:
            wrapper = node.css_first(".wp-block-embed__wrapper")
            url = _SPACE.sub("", _flat_text(wrapper) if wrapper is not None else "")
            m = _PROVIDER_CLASS.search(classes)
            name = provider(url) or (m[1] if m else "")
            if safe_href(url):  # an unknown provider's embed still shows its URL (and, in print, its QR code)
                return [Embed(canonical(url), name, caption)]
            self.warn(f"embed without an http(s) URL ({url[:80] or 'no URL'}) left out")
            return []
        for child in kids:
            if child.tag == "table":
                return self.table(child, caption, depth)
            if child.tag == "blockquote":
                quote = self.quote(child, depth)
                return [Blockquote(quote.blocks, quote.attribution or caption)]
            if child.tag in ("video", "audio", "iframe"):
                embed = self.media(child, caption)
                return [embed] if embed else []
        run = _Run()
        for image in node.css("img"):  # every image of the figure (a gallery's too), in order
            self.image(image, run)
            item = self._gallery_item(image, node)
            if item is not None and run.images and not run.images[-1].caption:
                own = next((c for c in _children(item) if c.tag == "figcaption"), None)
                if own is not None:
                    image_caption = finish(self.inline_children(own, _Run(), depth))
                    last = run.images[-1]
                    run.images[-1] = Image(last.src, last.alt, last.width, last.height, image_caption)
        blocks = [b for child in kids if child.tag in BLOCK_LEVEL and child.tag not in ("figure", "figcaption")
                  and child.css_first("img") is None for b in self.block(child, depth + 1)]
        if run.images:
            return [Figure(tuple(run.images), caption), *blocks]
        return [*blocks, *([Paragraph(caption)] if caption else [])]

    @staticmethod
    def _gallery_item(image: LexborNode, figure: LexborNode) -> LexborNode | None:
        """The figure inside ``figure`` that holds ``image`` alone (a gallery item), if any."""
        at = image.parent
        for _ in range(MAX_DEPTH):
            if at is None or at.mem_id == figure.mem_id:
                return None
            if at.tag == "figure":
                return at
            at = at.parent
        return None

    def media(self, node: LexborNode, caption: tuple[Inline, ...]) -> Embed | None:
        src = node.attributes.get("src") or ""
        if not src:
            source = node.css_first("source")
            src = (source.attributes.get("src") or "") if source is not None else ""
        url = safe_href(src)
        if node.tag == "iframe":
            name = provider(url or "")
            if url and name:
                return Embed(canonical(url), name, caption)
            self.warn(f"iframe from {host(src) or 'an unknown source'} dropped")
            return None
        if url is None:
            self.warn(f"<{node.tag}> without an http(s) source dropped")
            return None
        return Embed(url, provider(url) or node.tag or "media", caption)

    # ------------------------------------------------------------ inlines

    def inline_children(self, node: LexborNode, run: _Run, depth: int, keep_lines: bool = False) -> list[Inline]:
        out: list[Inline] = []
        for child in _children(node):
            out.extend(self.inline(child, run, depth + 1, keep_lines))
        return out

    def inline(self, node: LexborNode, run: _Run, depth: int, keep_lines: bool = False) -> list[Inline]:
        tag = node.tag or ""
        if tag == "-text":
            value = clean_text(node.text_content or "")
            if keep_lines and "\n" in value:
                parts = value.split("\n")
                out: list[Inline] = [Text(parts[0])]
                for part in parts[1:]:
                    out.extend((LineBreak(), Text(part)))
                return out
            return [Text(value)]
        if tag in DROP or tag == "-comment":
            self.dropped(tag)
            return []
        if depth > MAX_DEPTH:
            self.warn(f"inline markup nested deeper than {MAX_DEPTH} levels kept as plain text")
            return [Text(_flat_text(node))]
        if tag == "br":
            return [LineBreak()]
        if tag == "img":
            return self.image(node, run)
        if tag in _CODE:
            return [Code(_SPACE.sub(" ", clean_text(_flat_text(node))))]
        if tag in ("iframe", "video", "audio"):  # a player inside a line: after the paragraph
            embed = self.media(node, ())
            if embed is not None:
                run.embeds.append(embed)
            return []
        children = self.inline_children(node, run, depth, keep_lines)
        if tag in _EMPHASIS:
            return [Emphasis(tuple(children))]
        if tag in _STRONG:
            return [Strong(tuple(children))]
        if tag == "a":
            raw = (node.attributes.get("href") or "").strip()
            href = safe_href(raw)
            if href is None:
                scheme = _SCHEME.match(raw)
                if scheme and scheme[1].lower() not in ("http", "https", "mailto"):
                    self.warn(f"link to a {scheme[1].lower()}: address dropped, its words kept")
                return children
            return [Link(href, tuple(children), node.attributes.get("title") or "")]
        if tag == "sup":
            fn = node.attributes.get("data-fn")
            if fn and fn in self.footnote_ids:
                return [FootnoteRef(fn)]
            return [Superscript(tuple(children))]
        if tag == "sub":
            return [Subscript(tuple(children))]
        if tag == "q":
            return [Text("“"), *children, Text("”")]
        if tag == "span" and _SMALL_CAPS.search(f"{node.attributes.get('style') or ''} {_classes(node)}"):
            return [SmallCaps(tuple(children))]
        if tag in BLOCK_LEVEL:  # a block inside a line (<a><div>…): its own line
            return [LineBreak(), *children, LineBreak()]
        return children  # span, unknown elements: their content

    def image(self, node: LexborNode, run: _Run) -> list[Inline]:
        attrs = node.attributes
        src = (attrs.get("src") or "").strip()
        alt = clean_text(attrs.get("alt") or "")
        if _SMILEY.search(_classes(node)) or _SMILEY_SRC.search(src):
            return [Text(alt)]
        scheme = src.partition(":")[0].lower() if ":" in src.split("/", 1)[0] else ""
        if not src or scheme not in ("", "http", "https"):
            self.warn(f"image with a {scheme or 'missing'} source dropped")
            return [Text(alt)] if alt else []
        width, height = _number(attrs.get("width")), _number(attrs.get("height"))
        if width is not None and height is not None and width <= 2 and height <= 2:
            self.warn(f"{width}×{height} image from {host(src) or 'the site'} dropped (a tracking pixel)")
            return []
        run.images.append(Image(src, alt, width, height))
        return []


#: Dropped elements worth a warning: they would run, fetch, or ask the reader for input.
_ACTIVE = frozenset({"script", "style", "object", "embed", "applet", "form", "input", "button", "select",
                     "textarea", "meta", "link", "base", "frame", "frameset", "canvas", "svg", "math", "portal",
                     "dialog"})
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")


def html_to_content(html: str, where: str = "", warn: Callable[[str], None] | None = None,
                    footnotes: Sequence[tuple[str, str]] = ()) -> Content:
    """HTML (already through wpautop and shortcodes, if it needs them) as a :class:`Content`.

    ``footnotes`` are (id, inline HTML) pairs, as the block editor's ``footnotes``
    post meta holds them; ``<sup data-fn="id">`` references point at them.
    """
    messages: list[str] = []
    reader = HtmlReader(where, warn or messages.append, frozenset(i for i, _ in footnotes))
    if style_fetches(html):
        reader.warn("style attributes with url(), @import or expression() ignored: nothing is fetched")
    blocks = plain_blocks(html)  # plain paragraphs (most posts): the same blocks without the parser
    if blocks is None:
        html, capped = cap_depth(html)
        if capped:
            reader.warn(f"elements nested deeper than {MAX_PARSE_DEPTH} levels read as plain text")
        blocks = reader.blocks(parse_html(html))
    notes = tuple(Footnote(i, tuple(reader.blocks(parse_html(text)))) for i, text in footnotes)
    return Content(tuple(blocks), notes)
