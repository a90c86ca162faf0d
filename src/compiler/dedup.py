"""Dedup: fold the copies of a post found on several archive pages into one post.

Copies are blocked by normalised title (case, quotes, dashes and spaces
folded), so two parts of a series never meet. Within a block, copies are
compared by their normalised text: equal text is a copy (``exact`` when the
raw text is identical too), a prefix ending in "…" / "Continue reading" is an
``excerpt``, and text whose RapidFuzz ratio is at least :data:`NEAR` is a
``near`` copy. Everything else stays a separate post. The result does not
depend on the order of the pages, and deduplicating unique posts again
changes nothing.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz
from slugify import slugify

from compiler.model import DateSpan, Merge, Post, PostCopy, Seen

#: Minimum RapidFuzz ratio (0-100) between normalised texts for a near copy.
NEAR = 92.0

_FOLD = str.maketrans({
    "‘": "'", "’": "'", "‚": "'", "‛": "'", "′": "'", "`": "'",
    "“": '"', "”": '"', "„": '"', "‟": '"', "″": '"', "«": '"', "»": '"',
    "–": "-", "—": "-", "‒": "-", "―": "-", "−": "-", "‐": "-",
    "…": "...", "\u00a0": " ", "\u2009": " ", "\u202f": " ",
    "\u200b": None, "\u200c": None, "\u200d": None, "\ufeff": None, "\u00ad": None,
})
_SPACE = re.compile(r"\s+")
_TRAILER = re.compile(
    r"(?:\s*(?:\(to be continued\)|continue reading\s*(?:-+>|→)?|read more\s*(?:»|→)?|\[\.\.\.\]|\[…\]))+\s*$",
    re.I)
_EXCERPT_END = re.compile(r"(?:\.\.\.|\[\.\.\.\]|continue reading\s*(?:-+>|→)?|read more\s*(?:»|→)?)\s*$", re.I)


def fold(text: str) -> str:
    """Fold the differences that do not change a text: quotes, dashes, spaces, case."""
    text = unicodedata.normalize("NFKC", text.translate(_FOLD))
    return _SPACE.sub(" ", text).strip().casefold()


def body_key(text: str) -> str:
    """Folded text without trailing "(to be continued)" / "Continue reading" markers."""
    return _TRAILER.sub("", fold(text)).strip()


def excerpt_prefix(text: str) -> str | None:
    """If the text is a truncated excerpt, the part before the marker; else None."""
    folded = fold(text)
    if not _EXCERPT_END.search(folded):
        return None
    while _EXCERPT_END.search(folded):
        folded = _EXCERPT_END.sub("", folded).strip()
    return folded


def make_slug(title: str) -> str:
    """A URL-safe id from a title (apostrophes dropped, not turned into dashes)."""
    return slugify(title, replacements=[["’", ""], ["'", ""]]) or "post"


@dataclass
class _Cluster:
    copies: list[PostCopy]
    key: str
    reasons: dict[Seen, tuple[str, float]]

    @property
    def best(self) -> PostCopy:
        return self.copies[0]


_TYPOGRAPHIC = frozenset("“”‘’–—…")


def _order(copy: PostCopy) -> tuple[int, int, int, str, str, str, int, int]:
    """Most complete first, then the most typographic (curly quotes, dashes), then the one that
    keeps its trailing markers; ties broken by content, then by place: never by input order."""
    text = copy.title + "\n" + copy.text
    curly = sum(ch in _TYPOGRAPHIC for ch in text)
    return (-len(body_key(copy.text)), -curly, -len(fold(copy.text)), text, copy.title, copy.seen.file, copy.seen.line,
            copy.seen.position)


def _match(cluster: _Cluster, copy: PostCopy, key: str) -> tuple[str, float] | None:
    best = cluster.best
    if key == cluster.key:
        same = copy.text == best.text and copy.title == best.title
        return ("exact", 1.0) if same else ("near", round(fuzz.ratio(copy.text, best.text) / 100, 4))
    prefix = excerpt_prefix(copy.text)
    if prefix and len(prefix) >= 40 and cluster.key.startswith(prefix):
        return ("excerpt", round(len(prefix) / max(len(cluster.key), 1), 4))
    score = fuzz.ratio(key, cluster.key, score_cutoff=NEAR)
    if score:
        return ("near", round(score / 100, 4))
    return None


def _cluster_block(copies: list[PostCopy]) -> list[_Cluster]:
    clusters: list[_Cluster] = []
    by_key: dict[str, _Cluster] = {}
    for copy in sorted(copies, key=_order):
        key = body_key(copy.text)
        found = by_key.get(key)
        reason = _match(found, copy, key) if found else None
        if found is None:
            for cluster in clusters:
                if reason := _match(cluster, copy, key):
                    found = cluster
                    break
        if found is None or reason is None:
            cluster = _Cluster([copy], key, {})
            clusters.append(cluster)
            by_key.setdefault(key, cluster)
            continue
        found.copies.append(copy)
        found.reasons[copy.seen] = reason
        by_key.setdefault(key, found)
    return clusters


def _merge_dates(dates: Iterable[DateSpan | None]) -> DateSpan | None:
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
    """Fold copies into unique posts; return the posts and what was merged."""
    blocks: dict[str, list[PostCopy]] = defaultdict(list)
    for copy in copies:
        blocks[fold(copy.title)].append(copy)
    clusters = [c for key in sorted(blocks) for c in _cluster_block(blocks[key])]
    for cluster in clusters:
        cluster.copies.sort(key=lambda c: (c.seen.file, c.seen.line, c.seen.position))
    # Order posts by where they were first seen, so ids and order are stable.
    clusters.sort(key=lambda c: (c.copies[0].seen.file, c.copies[0].seen.line, c.key))
    posts: list[Post] = []
    merges: list[Merge] = []
    used: set[str] = set()
    for cluster in clusters:
        best = min(cluster.copies, key=_order)
        slug = base = make_slug(best.title)
        n = 2
        while slug in used:
            slug, n = f"{base}-{n}", n + 1
        used.add(slug)
        posts.append(Post(
            id=slug, title=best.title, blocks=best.blocks, tags=_tags(cluster.copies),
            date=_merge_dates(c.date for c in cluster.copies),
            comments=max(c.comments for c in cluster.copies),
            provenance=tuple(c.seen for c in cluster.copies)))
        for seen, (reason, similarity) in sorted(cluster.reasons.items(), key=lambda kv: (kv[0].file, kv[0].line)):
            merges.append(Merge(slug, seen, reason, similarity))  # type: ignore[arg-type]
    return posts, merges


def fingerprint(post: Post) -> str:
    """A content hash of a post, for caches and reports."""
    return hashlib.sha256("\n\n".join((post.title, *post.paragraphs)).encode()).hexdigest()[:16]
