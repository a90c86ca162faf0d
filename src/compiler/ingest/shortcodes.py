"""WordPress shortcodes and editor comments in post text, before it is parsed as HTML.

``[caption]``, ``[gallery]``, ``[embed]``, ``[audio]``, ``[video]`` and
``[wpvideo]`` become the block editor's markup for a figure or an embed, which
the HTML reader understands; galleries and bare ``[audio]`` take their files
from the export's attachments. Any other ``[name attr=…]``, ``[name /]`` or
``[name]…[/name]`` is removed with a warning naming the post and the
shortcode; a bracket with no ``name=value`` attribute, no ``/]`` and no closing
tag ("[sic]", "[1]", "[simple boat]") is ordinary text and stays, as in WordPress. ``[[name]]`` is the escaped, literal
``[name]``. Block comments (``<!-- wp:… -->``), ``<!--more-->`` and
``<!--nextpage-->`` are removed; dynamic blocks, which have no content in an
export, are reported.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from html import escape, unescape

from compiler.ingest.embeds import embed_html, provider
from compiler.ingest.spans import fixed, replace_spans
from compiler.model.entries import Attachment

_OPEN = re.compile(r"\[(?P<esc>\[?)(?P<name>[A-Za-z_][\w-]*)(?P<attrs>(?:\s[^\[\]]*?)?)(?P<self>/?)\](?P<esc2>\]?)")
_LOOKS_LIKE_ATTRS = re.compile(r"""[\w-]+\s*=|^\s*["']""")
_CLOSE = re.compile(r"\[/([A-Za-z_][\w-]*)\]")
_ATTR = re.compile(
    r"""([\w-]+)\s*=\s*"([^"]*)"(?:\s|$)|([\w-]+)\s*=\s*'([^']*)'(?:\s|$)|([\w-]+)\s*=\s*([^\s'"]+)(?:\s|$)"""
    r"""|"([^"]*)"(?:\s|$)|'([^']*)'(?:\s|$)|(\S+)(?:\s|$)""")
_CAPTION_SPLIT = re.compile(r"((?:<a [^>]+>\s*)?<img [^>]+>(?:\s*</a>)?)(.*)", re.S | re.I)
_BLOCK_COMMENT = re.compile(r"<!--\s+/?wp:")
_BLOCK_NAME = re.compile(r"<!--\s+(?P<close>/)?wp:(?P<name>[a-z][\w/-]*)")
_MORE = re.compile(r"<!--(?:more|nextpage|noteaser)(?=\s|-->)")
_MEDIA_KEYS = {"audio": ("src", "mp3", "ogg", "m4a", "wav", "flac"),
               "video": ("src", "mp4", "m4v", "webm", "ogv", "wmv", "flv", "mov")}
#: Block types that render from the database, so an export holds nothing to print.
_CONTENT_BLOCKS = {"more", "nextpage", "footnotes", "shortcode", "html", "spacer", "separator"}
MAX_NESTING = 8


def parse_attrs(text: str) -> dict[str, str]:
    """Shortcode attributes as WordPress reads them: names lower-cased, positional ones as ``0``, ``1``…"""
    attrs: dict[str, str] = {}
    position = 0
    for m in _ATTR.finditer(text.replace("\u00a0", " ").replace("\u200b", " ")):
        if m[1]:
            attrs[m[1].lower()] = m[2]
        elif m[3]:
            attrs[m[3].lower()] = m[4]
        elif m[5]:
            attrs[m[5].lower()] = m[6]
        else:
            value = m[7] if m[7] is not None else m[8] if m[8] is not None else m[9]
            attrs[str(position)] = value or ""
            position += 1
    return attrs


def strip_editor_comments(text: str, warn: Callable[[str], None]) -> str:
    """Remove block comments and more/nextpage markers; report dynamic blocks left empty."""
    dropped: dict[str, int] = {}

    def fix(span: str) -> str:
        m = _BLOCK_NAME.match(span)
        name = m["name"].removeprefix("core/") if m else ""
        self_closing = span[:-3].rstrip().endswith("/")
        if name and self_closing and name not in _CONTENT_BLOCKS and not name.startswith("core-embed"):
            dropped[name] = dropped.get(name, 0) + 1
        return ""

    text = replace_spans(text, _MORE, fixed("-->"), lambda span: "", ignore_case=False)
    text = replace_spans(text, _BLOCK_COMMENT, fixed("-->"), fix, ignore_case=False)
    if dropped:
        names = ", ".join(f"{name} ×{count}" if count > 1 else name for name, count in sorted(dropped.items()))
        warn(f"dynamic blocks have no content in the export and are left out: {names}")
    return text


class Expander:
    """Expands the shortcodes of one post."""

    def __init__(self, post_id: int, attachments: Mapping[int, Attachment], warn: Callable[[str], None]):
        self.post_id = post_id
        self.attachments = attachments
        self.warn = warn

    def expand(self, text: str, depth: int = 0) -> str:
        if "[" not in text:
            return text
        out: list[str] = []
        pos = 0
        closings = {name.lower() for name in _CLOSE.findall(text)}
        while (m := _OPEN.search(text, pos)) is not None:
            out.append(text[pos:m.start()])
            name = m["name"].lower()
            closing = f"[/{m['name']}]"
            end = -1 if m["self"] or name not in closings else text.find(closing, m.end())
            if m["esc"] and m["esc2"]:
                out.append(m[0][1:-1] if end < 0 else text[m.start() + 1:end + len(closing)])
                pos = m.end() if end < 0 else end + len(closing) + 1
                continue
            if end < 0 and not m["self"] and name not in _HANDLERS and not _LOOKS_LIKE_ATTRS.search(m["attrs"]):
                out.append(m[0])  # "[sic]", "[simple boat]": text, not a shortcode
                pos = m.end()
                continue
            content = text[m.end():end] if end >= 0 else ""
            attrs = parse_attrs(m["attrs"])
            if depth < MAX_NESTING and name in ("caption", "wp_caption", "embed"):
                content = self.expand(content, depth + 1)
            out.append(self._handle(name, attrs, content))
            pos = end + len(closing) if end >= 0 else m.end()
        out.append(text[pos:])
        return "".join(out)

    def _handle(self, name: str, attrs: dict[str, str], content: str) -> str:
        handler = _HANDLERS.get(name)
        if handler is None:
            self.warn(f"unknown shortcode [{name}] removed")
            return ""
        return handler(self, attrs, content)

    def caption(self, attrs: dict[str, str], content: str) -> str:
        caption = attrs.get("caption", "")
        if not caption and (m := _CAPTION_SPLIT.match(content.strip())):
            content, caption = m[1], m[2].strip()
        return f'<figure class="wp-caption">{content}<figcaption>{caption}</figcaption></figure>'

    def gallery(self, attrs: dict[str, str], content: str) -> str:
        items = self._gallery_items(attrs)
        if not items:
            self.warn("[gallery] has no images in the export; left out")
            return ""
        images = "".join(
            f'<figure><img src="{escape(a.url)}" alt="{escape(a.alt)}"'
            + (f' width="{a.width}"' if a.width else "") + (f' height="{a.height}"' if a.height else "") + "/>"
            + (f"<figcaption>{escape(a.caption)}</figcaption>" if a.caption else "") + "</figure>"
            for a in items)
        return f'<figure class="wp-block-gallery">{images}</figure>'

    def _gallery_items(self, attrs: dict[str, str]) -> list[Attachment]:
        listed = attrs.get("ids") or attrs.get("include")
        if listed:
            ids = [int(x) for x in re.findall(r"\d+", listed)]
            found = [self.attachments[i] for i in ids if i in self.attachments]
        else:
            parent = int(attrs["id"]) if attrs.get("id", "").isdigit() else self.post_id
            if parent == 0:  # a post without an id: "its" attachments would be every unattached file
                return []
            excluded = {int(x) for x in re.findall(r"\d+", attrs.get("exclude", ""))}
            found = sorted((a for a in self.attachments.values()
                            if a.parent == parent and a.id not in excluded), key=lambda a: (a.order, a.id))
        return [a for a in found if a.mime.startswith("image/")]

    def media(self, kind: str, attrs: dict[str, str]) -> str:
        url = next((attrs[k] for k in (*_MEDIA_KEYS[kind], "0") if attrs.get(k)), "")
        if not url and self.post_id:
            url = next((a.url for a in sorted(self.attachments.values(), key=lambda a: (a.order, a.id))
                        if a.parent == self.post_id and a.mime.startswith(kind + "/")), "")
        if not url:
            self.warn(f"[{kind}] without a file; left out")
            return ""
        return f'<figure class="wp-block-{kind}"><{kind} src="{escape(unescape(url))}"></{kind}></figure>'

    def embed(self, attrs: dict[str, str], content: str) -> str:
        url = unescape(content.strip() or attrs.get("src", "") or attrs.get("0", "")).strip()
        if not url:
            self.warn("[embed] without a URL; left out")
            return ""
        return embed_html(url, provider(url) or "")  # an unknown provider's URL is still printed

    def wpvideo(self, attrs: dict[str, str], content: str) -> str:
        guid = attrs.get("0", "")
        if not re.fullmatch(r"[A-Za-z0-9]+", guid):
            self.warn("[wpvideo] without a video id; left out")
            return ""
        return embed_html(f"https://videopress.com/v/{guid}", "videopress")


_HANDLERS: dict[str, Callable[[Expander, dict[str, str], str], str]] = {
    "caption": Expander.caption,
    "wp_caption": Expander.caption,
    "gallery": Expander.gallery,
    "embed": Expander.embed,
    "audio": lambda self, attrs, content: self.media("audio", attrs),
    "video": lambda self, attrs, content: self.media("video", attrs),
    "wpvideo": Expander.wpvideo,
}


def known_shortcodes() -> Sequence[str]:
    """The shortcodes that are interpreted rather than removed."""
    return tuple(sorted(_HANDLERS))
