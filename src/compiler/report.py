"""The build report: what dedup merged and why, and what the build produced.

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


def dedup_report(copies: int, posts: Sequence[Post], merges: Sequence[Merge]) -> dict[str, Any]:
    """The dedup part of the report."""
    return {
        "copies": copies,
        "unique_posts": len(posts),
        "merges": [
            {"post": m.post, "copy": _seen(m.copy), "reason": m.reason, "similarity": m.similarity}
            for m in merges
        ],
        "posts": [post_summary(p) for p in posts],
    }


def dedup_summary(copies: int, posts: Sequence[Post], merges: Sequence[Merge]) -> str:
    """A few lines for stderr."""
    lines = [f"dedup: {copies} copies -> {len(posts)} unique posts, {len(merges)} merged"]
    for m in merges:
        lines.append(f"  {m.copy.file}:{m.copy.line} -> {m.post} ({m.reason}, {m.similarity:.2f})")
    return "\n".join(lines)


def to_json(data: dict[str, Any]) -> bytes:
    """Stable JSON bytes (sorted keys, UTF-8, trailing newline)."""
    return (json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode()
