"""The build report: what dedup merged and why, and what the build produced.

Each merge names the copy folded in, the reason (``exact``, ``near``,
``excerpt``, explained in :data:`REASONS`), and the copy whose text the post
kept and why (full before excerpt, markup before plain text, an export's
before a feed's).

Written as ``report.json`` beside the outputs, with a short human summary
for stderr.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from compiler.model import Merge, Post, Seen


def _seen(seen: Seen) -> dict[str, Any]:
    return asdict(seen)


def post_summary(post: Post) -> dict[str, Any]:
    """One post as the ``posts`` listing and the report show it."""
    date = None
    if post.date:
        date = post.date.start.isoformat() if post.date.precise else \
            f"{post.date.start.isoformat()}/{post.date.end.isoformat()}"
    return {
        "id": post.id,
        "title": post.title,
        "tags": list(post.tags),
        "date": date,
        "words": post.words,
        "copies": len(post.provenance),
        "comments": post.comments,
        "provenance": [_seen(s) for s in post.provenance],
    }


#: What each dedup reason means, as the report says it.
REASONS = {
    "exact": "the same title and the same text",
    "near": "the same title, and the same text once quotes, dashes, spaces, case and punctuation are folded",
    "excerpt": "the same title, and its text is the opening of the kept copy (an excerpt or a summary)",
}


def _source(seen: Seen) -> str:
    return seen.header if seen.header in ("WordPress export", "RSS feed", "Atom feed") else "archive page"


def why(merge: Merge) -> str:
    """One sentence: why a copy was merged, and which copy's text the post kept."""
    text = f"{_source(merge.copy)} copy merged: {REASONS.get(merge.reason, merge.reason)}"
    if merge.reason == "excerpt":
        text += f" ({merge.similarity:.0%} of its length)"
    elif merge.similarity < 1:
        text += f" (similarity {merge.similarity:.2f})"
    if merge.kept is not None:
        text += f"; the post keeps {merge.kept_for or 'the copy'} ({merge.kept.file}" + \
            (f":{merge.kept.line})" if merge.kept.line else ")")
    return text


def dedup_report(copies: int, posts: Sequence[Post], merges: Sequence[Merge]) -> dict[str, Any]:
    """The dedup part of the report."""
    return {
        "copies": copies,
        "unique_posts": len(posts),
        "merges": [
            {"post": m.post, "copy": _seen(m.copy), "reason": m.reason, "similarity": m.similarity,
             "kept": _seen(m.kept) if m.kept is not None else None, "why": why(m)}
            for m in merges
        ],
        "posts": [post_summary(p) for p in posts],
    }


def dedup_summary(copies: int, posts: Sequence[Post], merges: Sequence[Merge]) -> str:
    """A few lines for stderr."""
    lines = [f"dedup: {copies} copies -> {len(posts)} unique posts, {len(merges)} merged"]
    for m in merges:
        lines.append(f"  {m.copy.file}:{m.copy.line} -> {m.post} ({m.reason}, {m.similarity:.2f})"
                     + (f": kept {m.kept_for}" if m.kept_for else ""))
    return "\n".join(lines)


def to_json(data: dict[str, Any]) -> bytes:
    """Stable JSON bytes (sorted keys, UTF-8, trailing newline)."""
    return (json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode()
