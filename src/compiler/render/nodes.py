"""What ``styles/templates/nodes.html`` needs from Python to render the rich model as XHTML.

:func:`register` adds the ``node_type`` filter (a node's class name, which
the macros dispatch on), ``typo`` and ``extract`` (``compiler/render/typeset.py``), the
``footnote_numbers`` and ``salutation`` globals and :class:`Outline` (the levels of a body's headings)
to a Jinja2 environment; :func:`render_content` renders one body on its own (for
goldens and previews), with the same autoescaping the book uses.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
from markupsafe import Markup

from compiler.model.entries import Comment
from compiler.model.nodes import Chart, Content, Embed, Figure, Footnote, Image, Inline, inline_text, plain_text
from compiler.qr import QUIET_ZONE, QRError, qr_matrix, qr_svg

if TYPE_CHECKING:
    from compiler.model import Book, Post


def node_type(node: object) -> str:
    """The node's class name: ``Paragraph``, ``Text``…"""
    return type(node).__name__


class Notes(dict[str, int]):
    """Footnote id → its number (1, 2…), and ``bodies``: footnote id → the :class:`Footnote` itself
    (the print edition sets a note's text where it is referenced, for ``float: footnote``)."""

    bodies: dict[str, Footnote]


def footnote_numbers(content: Content) -> Notes:
    """Footnote id → its number (1, 2…) in the order the footnotes are listed."""
    numbers = Notes()
    numbers.bodies = {}
    for footnote in content.footnotes:
        numbers.setdefault(footnote.id, len(numbers) + 1)
        numbers.bodies.setdefault(footnote.id, footnote)
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


@jinja2.pass_context
def media_src(context: Any, image: Image) -> str | None:
    """What an ``<img src>`` holds for ``image``: its prepared file, or None (a framed placeholder).

    Only an image the build bound to the media folder (``image.local``, see :mod:`compiler.bookmedia`)
    has one: ``pictures`` (the renderer's prepared images) gives the print file, or the EPUB member
    when the document is rendered ``for_epub``. No URL of a post is ever fetched.
    """
    pictures = context.get("pictures")
    if not isinstance(image, Image) or not image.local or pictures is None:
        return None
    src: str | None = pictures.src(image.local, bool(context.get("for_epub")))
    return src


@jinja2.pass_context
def media_alt(context: Any, image: Image, figure: Figure | None = None) -> str:
    """An ``<img alt>``: the blog's alt text, always, when it has one. In print an image without
    one would leave the PDF's figure without the alternative PDF/UA requires: there it reads its
    caption (or its figure's), else "Image". The EPUB keeps an empty alt (a decorative image)."""
    if image.alt or context.get("for_epub"):
        return image.alt
    caption = plain_text(image.caption) or (plain_text(figure.caption) if figure is not None else "")
    return " ".join(caption.split()) or "Image"


def thread(comments: tuple[Comment, ...]) -> list[tuple[int, int, Comment]]:
    """A thread in reading order: (number from 1, depth from 0, comment), replies after their parent."""
    out: list[tuple[int, int, Comment]] = []
    stack = [(0, c) for c in reversed(comments)]
    while stack:
        depth, comment = stack.pop()
        out.append((len(out) + 1, depth, comment))
        stack.extend((depth + 1, r) for r in reversed(comment.replies))
    return out


def _images(content: Content) -> Iterator[Image]:
    stack: list[object] = [*content.blocks, *content.footnotes]
    while stack:
        node = stack.pop()
        if isinstance(node, Image):
            yield node
        for name in getattr(node, "__dataclass_fields__", ()):
            value = getattr(node, name)
            stack.extend(v for v in (value if isinstance(value, tuple) else (value,))
                         if hasattr(v, "__dataclass_fields__"))


def unfetched(book: Book) -> list[tuple[Post, str]]:
    """(post, URL) of every image that is printed as a placeholder (not found in the media folder),
    in book order, each once a post."""
    found: list[tuple[Post, str]] = []
    for post in book.posts:
        urls = dict.fromkeys(image.src for image in _images(post.content) if not image.local)
        found.extend((post, url) for url in urls)
    return found


#: What an embed is, as the page names it above its address (provider names from ingest/embeds.py).
EMBED_LABELS = {
    "youtube": "Video on YouTube", "vimeo": "Video on Vimeo", "twitter": "Post on X (Twitter)",
    "instagram": "Post on Instagram", "wordpress-tv": "Video on WordPress.tv", "videopress": "Video on VideoPress",
    "facebook": "Post on Facebook", "soundcloud": "Audio on SoundCloud", "spotify": "Audio on Spotify",
    "flickr": "Photo on Flickr", "ted": "Talk on TED", "dailymotion": "Video on Dailymotion",
    "tiktok": "Video on TikTok", "mixcloud": "Audio on Mixcloud", "speaker-deck": "Slides on Speaker Deck",
    "slideshare": "Slides on SlideShare", "reddit": "Post on Reddit", "tumblr": "Post on Tumblr",
    "imgur": "Image on Imgur", "kickstarter": "Project on Kickstarter", "issuu": "Document on Issuu",
    "scribd": "Document on Scribd", "pinterest": "Pin on Pinterest", "bluesky": "Post on Bluesky",
    "wistia": "Video on Wistia", "audio": "Audio recording", "video": "Video recording",
}


def embed_label(provider: str) -> str:
    """The kind of an embed in words (``Video on YouTube``); an unknown provider is a plain link."""
    return EMBED_LABELS.get(provider, "Embedded content")


#: A printed QR code is at least this wide, and its modules at least this wide (phones read 0.4 mm).
QR_MIN_MM = 22.0
QR_MODULE_MM = 0.5
#: Where the text beside a code begins (from the code's left edge), and the least gap after a wide code.
QR_COLUMN_MM = 29.0
QR_GAP_MM = 3.5


def qr_code(url: str) -> Markup:
    """The print edition's QR code of ``url``: inline SVG in a ``div.embed-qr`` wide enough for
    modules of :data:`QR_MODULE_MM`, or nothing when the URL cannot be one (too long:
    :func:`qr_problems` warns W141 before the book is laid out)."""
    try:
        svg = qr_svg(url)
    except QRError:
        return Markup("")
    width = max(QR_MIN_MM, (len(qr_matrix(url)) + 2 * QUIET_ZONE) * QR_MODULE_MM)
    gap = max(QR_GAP_MM, QR_COLUMN_MM - width)  # the text beside every code starts at one column
    return Markup('<div class="embed-qr" style="width: {}mm; margin-right: {}mm">{}</div>').format(
        f"{width:.1f}", f"{gap:.1f}", Markup(svg))


def embeds(content: Content) -> Iterator[Embed]:
    """Every embed of a body (its footnotes too), in no particular order."""
    stack: list[object] = [*content.blocks, *content.footnotes]
    while stack:
        node = stack.pop()
        if isinstance(node, Embed):
            yield node
        for name in getattr(node, "__dataclass_fields__", ()):
            value = getattr(node, name)
            stack.extend(v for v in (value if isinstance(value, tuple) else (value,))
                         if hasattr(v, "__dataclass_fields__"))


def qr_problems(book: Book) -> list[tuple[Post, str, str]]:
    """(post, URL, why) of every embed printed without a QR code, in book order, each once a post."""
    found: list[tuple[Post, str, str]] = []
    for post in book.posts:
        for url in dict.fromkeys(e.url for e in embeds(post.content)):
            try:
                qr_svg(url)
            except QRError as exc:
                found.append((post, url, str(exc)))
    return found


def register(env: jinja2.Environment, fonts: Path | None = None,
             post_titles: dict[str, str] | None = None) -> None:
    """Make ``nodes.html`` usable in ``env``; ``fonts``: the style folder's fonts (charts are set in
    them); ``post_titles``: post id → title, for the source line of a chart."""
    from compiler import ids
    from compiler.render import charts
    from compiler.render.typeset import extract, salutation, typo

    def chart_svg(chart: Chart, element_id: str) -> Markup:
        return charts.chart_svg(chart, element_id, fonts or Path("/nonexistent"))

    env.filters.update(node_type=node_type, typo=typo, blank=blank, number=charts.number, plain=plain_text,
                       extract=extract)
    env.globals.update(footnote_numbers=footnote_numbers, ids=ids, media_src=media_src, media_alt=media_alt,
                       thread=thread, outline=outline, chart_svg=chart_svg, post_titles=post_titles or {},
                       embed_label=embed_label, qr_code=qr_code, edition="epub",  # print_html: "print"
                       salutation=salutation)


def environment(style_dir: Path) -> jinja2.Environment:
    """An environment like the book's (sandboxed, autoescape, strict) over ``style_dir/templates``."""
    from compiler.render import COMPILED, TemplateSandbox

    env = TemplateSandbox(loader=jinja2.FileSystemLoader(style_dir / "templates"), autoescape=True,
                          undefined=jinja2.StrictUndefined, keep_trailing_newline=True, bytecode_cache=COMPILED)
    register(env, style_dir / "fonts")
    return env


def render_content(content: Content, owner: str, style_dir: Path) -> Markup:
    """One body as XHTML, through the ``content`` macro of ``nodes.html`` (ids ``<owner>-b-1``…)."""
    module = environment(style_dir).get_template("nodes.html").make_module()
    return Markup(str(module.content(content, owner)))  # type: ignore[attr-defined]
