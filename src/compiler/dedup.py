"""Dedup: fold the copies of a post found on several archive pages into one post.

Copies are blocked by normalised title (case, quotes, dashes and spaces
folded), so two parts of a series never meet. Within a block, copies are
compared by the letters of their text (:func:`letters`: quotes, dashes,
spaces and punctuation removed, trailing "(to be continued)" dropped): equal
letters make a copy (``exact`` when the raw text is identical too, ``near``
otherwise), a prefix ending in "…" / "Continue reading" is an ``excerpt``,
and letters whose RapidFuzz ratio is at least :data:`NEAR` make a ``near``
copy. Everything else stays a separate post. The result does not
depend on the order of the pages, and deduplicating unique posts again
changes nothing.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz
from slugify import slugify

from compiler import ids
from compiler.limits import no_cycle_collection
from compiler.model import DateSpan, Merge, Post, PostCopy, Seen
from compiler.model.nodes import plain_text

#: Minimum RapidFuzz ratio (0-100) between normalised texts for a near copy.
NEAR = 92.0
#: ``Seen.header`` of a WordPress export's copy (:mod:`compiler.ingest.wxr`): preferred among full copies.
EXPORT = "WordPress export"

_FOLD_MAP = {
    "‘": "'", "’": "'", "‚": "'", "‛": "'", "′": "'", "`": "'",
    "“": '"', "”": '"', "„": '"', "‟": '"', "″": '"', "«": '"', "»": '"',
    "–": "-", "—": "-", "‒": "-", "―": "-", "−": "-", "‐": "-",
    "…": "...", "\u00a0": " ", "\u2009": " ", "\u202f": " ",
    "\u200b": "", "\u200c": "", "\u200d": "", "\ufeff": "", "\u00ad": "",
}
_FOLD_ITEMS = tuple(_FOLD_MAP.items())
_CONTROL_SPACES = ("\n", "\t", "\r", "\f", "\v")
_EXCERPT_END = re.compile(
    r"(?:\.\.\.|…|\[(?:\.\.\.|…)\]|continue reading\s*(?:-+>|→)?|read more\s*(?:»|→)?)\s*$", re.I)
_MARKER_WORDS = (b"tobecontinued", b"continuereading", b"readmore")
_ASCII_DROP = bytes(c for c in range(128) if not chr(c).isalnum())
_TYPOGRAPHIC = "“”‘’–—…"


def fold(text: str, case: bool = True) -> str:
    """Fold the differences that do not change a text: quotes, dashes, spaces (and case)."""
    if not text.isascii():
        for char, replacement in _FOLD_ITEMS:
            if char in text:
                text = text.replace(char, replacement)
        if not unicodedata.is_normalized("NFKC", text):
            text = unicodedata.normalize("NFKC", text)
    # str.replace beats a regex here by 4x on long non-ASCII texts (measured in bench_dedup).
    for char in _CONTROL_SPACES:
        if char in text:
            text = text.replace(char, " ")
    while "  " in text:
        text = text.replace("  ", " ")
    text = text.strip()
    return text.casefold() if case else text


_DROP_UTF8 = re.compile(b"|".join(re.escape(char.encode()) for char in _FOLD_MAP))


def _letters_and_curly(text: str) -> tuple[bytes, int]:
    """The text's letters and digits (UTF-8 bytes), and how many typographic characters it had.

    Mostly-ASCII texts (English posts) take the fast path: every non-ASCII
    character is dropped (curly quotes, dashes, no-break spaces; an accent
    too, which only makes near copies meet). Any other text keeps all its
    letters, dropping only the typographic characters dedup folds. Bytes
    operations keep this at about 20 us for a 5 KB post (bench_dedup).
    """
    ascii_letters = text.encode("ascii", "ignore").translate(None, _ASCII_DROP)
    curly = 0 if text.isascii() else sum(text.count(char) for char in _TYPOGRAPHIC[:3])
    if len(ascii_letters) * 2 >= len(text):
        return ascii_letters, curly
    return _DROP_UTF8.sub(b"", text.encode("utf-8")).translate(None, _ASCII_DROP), curly


def letters(text: str) -> str:
    """The letters and digits of a text, in order: quotes, dashes, spaces and punctuation vanish.

    Non-ASCII letters (accents, Cyrillic, ...) are all kept.
    """
    return _letters_and_curly(text)[0].decode("utf-8")


def _strip_markers(key: bytes) -> bytes:
    """Drop trailing "(to be continued)" / "Continue reading" / "Read more" from a letters key."""
    changed = True
    while changed:
        changed = False
        tail = key[-20:].lower()
        for word in _MARKER_WORDS:
            if tail.endswith(word):
                key, changed = key[: -len(word)], True
                break
    return key


def make_slug(title: str) -> str:
    """A URL-safe id from a title (apostrophes dropped, not turned into dashes)."""
    return slugify(title, replacements=[["’", ""], ["'", ""]]) or "post"


@dataclass(frozen=True)
class _Item:
    """A copy with what dedup needs of its text, computed once."""

    copy: PostCopy
    text: str
    key: bytes
    excerpt: bytes | None
    order: tuple[bool, int, int, int, int, int, str, str, str, int, int]


@dataclass
class _Cluster:
    items: list[_Item]
    reasons: dict[Seen, tuple[str, float]]

    @property
    def best(self) -> _Item:
        return self.items[0]


def _prepare(copies: Iterable[PostCopy]) -> list[_Item]:
    """Analyse every distinct text once (copies share most of their texts)."""
    memo: dict[str, tuple[bytes, bytes | None, int, int]] = {}
    items = []
    for copy in copies:
        text = plain_text(copy.content)
        known = memo.get(text)
        if known is None:
            all_letters, curly = _letters_and_curly(text)
            key = _strip_markers(all_letters)
            stripped = text.rstrip()
            excerpt = key if _EXCERPT_END.search(stripped, max(0, len(stripped) - 60)) else None
            known = memo[text] = (key, excerpt, len(all_letters), curly)
        key, excerpt, n_letters, curly = known
        if copy.excerpt:  # the source says so (a feed's description): an excerpt however it ends
            excerpt = key
        curly += sum(copy.title.count(ch) for ch in _TYPOGRAPHIC)
        # The richest first: a full text before an excerpt (a feed's summary), a copy whose source keeps
        # the author's markup before plain text, an export's (its comments, local dates, statuses) before
        # a feed's; then the most complete, then the most typographic (curly quotes, dashes), then the one
        # that keeps its trailing markers; ties broken by content, then by place: never by input order.
        order = (copy.excerpt, -copy.markup, copy.seen.header != EXPORT, -len(key), -curly, -n_letters, text,
                 copy.title, copy.seen.file, copy.seen.line, copy.seen.position)
        items.append(_Item(copy, text, key, excerpt, order))
    return items


def _match(cluster: _Cluster, item: _Item) -> tuple[str, float] | None:
    best = cluster.best
    if item.copy.markup and best.copy.markup and item.copy.seen.file == best.copy.seen.file:
        return None  # two entries of one export are two posts, however alike
    if item.key == best.key:
        same = item.text == best.text and item.copy.title == best.copy.title
        return ("exact", 1.0) if same else ("near", 1.0)
    if item.excerpt and len(item.excerpt) >= 30 and len(item.excerpt) < len(best.key):
        if best.key.startswith(item.excerpt) or fuzz.ratio(
                item.excerpt.decode("utf-8", "replace"),
                best.key[: len(item.excerpt)].decode("utf-8", "replace"), score_cutoff=NEAR):
            return ("excerpt", round(len(item.excerpt) / max(len(best.key), 1), 4))
    score = fuzz.ratio(item.key.decode("utf-8", "replace"), best.key.decode("utf-8", "replace"),
                       score_cutoff=NEAR)
    if score:
        return ("near", round(score / 100, 4))
    return None


def _cluster_block(items: list[_Item]) -> list[_Cluster]:
    clusters: list[_Cluster] = []
    by_key: dict[bytes, _Cluster] = {}
    for item in sorted(items, key=lambda i: i.order):
        found = by_key.get(item.key)
        reason = _match(found, item) if found else None
        if found is None:
            for cluster in clusters:
                if reason := _match(cluster, item):
                    found = cluster
                    break
        if found is None or reason is None:
            cluster = _Cluster([item], {})
            clusters.append(cluster)
            by_key.setdefault(item.key, cluster)
            continue
        found.items.append(item)
        found.reasons[item.copy.seen] = reason
        by_key.setdefault(item.key, found)
    return clusters


def kept_for(copy: PostCopy) -> str:
    """Why a copy's text is the post's, in the report's words."""
    what = ("an excerpt" if copy.excerpt else "the full text") + (" with its markup" if copy.markup else " as plain text")
    where = {EXPORT: "a WordPress export", "RSS feed": "a feed", "Atom feed": "a feed",
             "saved WordPress page": "a saved page"}.get(copy.seen.header, "an archive page")
    if copy.seen.header.endswith(" post"):  # a static site's ("hugo post", "jekyll post", "Markdown post")
        where = "a static site's Markdown"
    return f"{what}, from {where}"


def _merge_dates(best: DateSpan | None, dates: Iterable[DateSpan | None]) -> DateSpan | None:
    if best is not None and best.precise:  # the kept copy's day (an export's is the blog's own, not UTC's)
        return best
    known = [d for d in dates if d is not None]
    if not known:
        return None
    return min(known, key=lambda d: (d.width, d.start))


def _tags(copies: Sequence[PostCopy]) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for copy in copies:
        for tag in copy.tags:
            seen.setdefault(tag.casefold(), tag)
    return tuple(sorted(seen.values(), key=lambda t: (t.casefold(), t)))


def dedup(copies: Iterable[PostCopy]) -> tuple[list[Post], list[Merge]]:
    """Fold copies into unique posts; return the posts and what was merged.

    Near copies (equal after folding quotes, dashes, spaces and case) report a
    similarity of 1.0: their texts are the same once normalised.
    """
    with no_cycle_collection():
        return _dedup(copies)


def _dedup(copies: Iterable[PostCopy]) -> tuple[list[Post], list[Merge]]:
    blocks: dict[str, list[_Item]] = defaultdict(list)
    for item in _prepare(copies):
        blocks[fold(item.copy.title)].append(item)
    clusters = [c for key in sorted(blocks) for c in _cluster_block(blocks[key])]
    for cluster in clusters:
        cluster.items.sort(key=lambda i: (i.copy.seen.file, i.copy.seen.line, i.copy.seen.position))
    # Order posts by where they were first seen, so ids and order are stable.
    clusters.sort(key=lambda c: (c.items[0].copy.seen.file, c.items[0].copy.seen.line, c.items[0].key))
    posts: list[Post] = []
    merges: list[Merge] = []
    used: set[str] = set()
    for cluster in clusters:
        best = min(cluster.items, key=lambda i: i.order).copy
        copies_ = [i.copy for i in cluster.items]
        base = make_slug(best.title)
        slug = base = f"{base}-post" if ids.reserved(base) else base  # "Cover" is no fixed page's id
        n = 2
        while slug in used:
            slug, n = f"{base}-{n}", n + 1
        used.add(slug)
        posts.append(Post(
            id=slug, title=best.title, content=best.content, tags=_tags(copies_),
            date=_merge_dates(best.date, (c.date for c in copies_)), comments=max(c.comments for c in copies_),
            provenance=tuple(c.seen for c in copies_), thread=best.thread,
            categories=tuple(dict.fromkeys(k for c in copies_ for k in c.categories)),
            authors=tuple(dict.fromkeys(a for c in copies_ for a in c.authors)),
            category_paths=tuple(dict.fromkeys(k for c in copies_ for k in c.category_paths)),
            status=best.status, post_format=best.post_format, sticky=any(c.sticky for c in copies_)))
        for seen, (reason, similarity) in sorted(cluster.reasons.items(), key=lambda kv: (kv[0].file, kv[0].line)):
            merges.append(Merge(slug, seen, reason, similarity, best.seen, kept_for(best)))  # type: ignore[arg-type]
    return posts, merges
