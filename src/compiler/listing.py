"""The ``posts`` command's listing: every unique post of some sources, as rows or stable JSON.

One row per post after dedup, whatever reader read it: id, title, date
(a day, or ``start/end`` for an archive page's range; null when undated),
words, post format, status, category paths (each top category first),
tags, authors, comments, and where each copy came from (file, line: null where
the reader has none, such as an export; reader).
Rows are ordered by date (undated last), then id; keys are sorted, so the
same sources always print the same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from compiler.ingest import Source
from compiler.model import Post


def _date(post: Post) -> str | None:
    if post.date is None:
        return None
    if post.date.precise:
        return post.date.start.isoformat()
    return f"{post.date.start.isoformat()}/{post.date.end.isoformat()}"


def post_row(post: Post, readers: Mapping[str, str]) -> dict[str, Any]:
    """One post as ``posts --json`` shows it (``readers``: each source file's reader)."""
    return {
        "id": post.id,
        "title": post.title,
        "date": _date(post),
        "words": post.words,
        "format": post.post_format,
        "status": post.status,
        "categories": [list(path) for path in post.category_paths] or [[c] for c in post.categories],
        "tags": list(post.tags),
        "authors": list(post.authors),
        "comments": post.comments,
        "copies": len(post.provenance),
        "sources": [{"file": s.file, "line": s.line or None, "reader": readers.get(s.file, "")}
                    for s in sorted(post.provenance, key=lambda s: (s.file, s.line, s.position))],
    }


def rows(posts: Sequence[Post], sources: Sequence[Source]) -> list[dict[str, Any]]:
    """Every post's row, by date (undated last), then id."""
    readers = {s.name: s.format for s in sources}  # a copy names its own file: a folder's post, say
    readers |= {c.seen.file: s.format for s in sources for c in s.copies}
    ordered = sorted(posts, key=lambda p: (p.date is None, p.date.start.isoformat() if p.date else "", p.id))
    return [post_row(p, readers) for p in ordered]


def to_json(listing: list[dict[str, Any]]) -> str:
    """The listing as JSON text: keys sorted, UTF-8 kept, two-space indent."""
    return json.dumps(listing, ensure_ascii=False, indent=2, sort_keys=True)
