"""Synthetic blogs made from the seed posts, for benchmarks.

``copies(n_unique, per_post)`` makes post copies the way archive pages carry
them: exact copies, and near copies with changed whitespace, quote style,
title case, a trailing "(to be continued)", or a truncated excerpt.
``pages(n_unique)`` writes archive pages with each post on two or three pages.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from compiler.ingest import read_pages
from compiler.model import PostCopy, Seen
from compiler.model.nodes import Content, Note, Paragraph, Text, paragraphs

ROOT = Path(__file__).resolve().parent.parent
_STRAIGHT = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'", "–": "-", "…": "..."})


def seed_copies() -> list[PostCopy]:
    return read_pages(sorted((ROOT / "sources").glob("*.txt")), ROOT)


def _unique(seeds: list[PostCopy], n: int, rnd: random.Random) -> list[PostCopy]:
    """``n`` distinct posts: seed posts with a numbered title and shuffled, renumbered paragraphs."""
    posts = []
    for k in range(n):
        seed = seeds[k % len(seeds)]
        texts = list(paragraphs(seed.content))
        rnd.shuffle(texts)
        content = _plain(f"{p} (entry {k}.{i})" for i, p in enumerate(texts))
        posts.append(replace(seed, title=f"{seed.title} No. {k}", content=content, tags=(f"tag{k % 40}",)))
    return posts


def _plain(texts: Iterable[str]) -> Content:
    return Content(tuple(Paragraph((Text(t),)) for t in texts))


def _perturb(post: PostCopy, kind: int, rnd: random.Random) -> PostCopy:
    if kind == 1:
        return replace(post, content=_plain(t.replace(" ", "  ") for t in post.paragraphs))
    if kind == 2:
        return replace(post, title=post.title.translate(_STRAIGHT),
                       content=_plain(t.translate(_STRAIGHT) for t in post.paragraphs))
    if kind == 3:
        return replace(post, title=post.title.upper())
    if kind == 4:
        return replace(post, content=Content((*post.content.blocks, Note("(to be continued)"))))
    if kind == 5:  # a WordPress excerpt: the opening words, cut at a word, then "[…]"
        opening = " ".join(post.paragraphs)[:400].rsplit(" ", 1)[0]
        return replace(post, content=_plain([opening + " […]"]))
    return post


def copies(total: int, per_post: int = 5, seed: int = 1) -> list[PostCopy]:
    """About ``total`` copies of ``total // per_post`` unique posts, shuffled."""
    rnd = random.Random(seed)
    uniques = _unique(seed_copies(), max(1, total // per_post), rnd)
    out = []
    for u, post in enumerate(uniques):
        for c in range(per_post):
            copy = _perturb(post, rnd.randrange(6) if c else 0, rnd)
            out.append(replace(copy, seen=Seen(f"page{(u + c * 7) % 997:03d}.txt", u * 10 + c, c, "Posts tagged X")))
    rnd.shuffle(out)
    return out


def write_blog(folder: Path, n_unique: int, seed: int = 1) -> int:
    """Archive pages holding ``n_unique`` posts, each on two or three pages; returns the copies written."""
    rnd = random.Random(seed)
    uniques = _unique(seed_copies(), n_unique, rnd)
    folder.mkdir(parents=True, exist_ok=True)
    pages: dict[int, list[PostCopy]] = {}
    count = 0
    for u, post in enumerate(uniques):
        for c in range(2 + (u % 2)):
            pages.setdefault((u // 8 + c * 3) % max(2, n_unique // 4), []).append(post)
            count += 1
    for n, posts in sorted(pages.items()):
        body = "".join(f"{p.title}\n\n" + "\n\n".join(p.paragraphs) + "\n\nComments (1) »\n\n"
                       for p in posts)
        (folder / f"page{n:04d}.txt").write_text(f"Posts tagged Tag{n}\n\n{body}", encoding="utf-8")
    return count
