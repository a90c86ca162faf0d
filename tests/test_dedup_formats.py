"""Dedup across formats: a book made from archive pages, a WordPress export and a feed of the same blog.

The export and the feed are written at test time from the default book's own
posts (its archive pages): the export holds all 13 posts with their markup;
the feed, like a real one, only the latest 10, half of them as summaries
(``description`` only). The built book must hold each post once, keep the
export's copy (full, with markup), and its report must say why each copy
was merged.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import zipfile
from html import escape
from pathlib import Path

import pytest

from compiler.dedup import dedup
from compiler.ingest import read_pages
from compiler.manifest import load_manifest
from compiler.model import Post

from conftest import run_compiler
from test_wxr import item, wxr

FEED_SIZE = 10


def _rfc822(day: dt.date) -> str:
    return day.strftime("%a, %d %b %Y 18:30:00 -0600")


def export_and_feed(posts: list[Post]) -> tuple[bytes, bytes]:
    """A WXR export of every post and an RSS feed of the latest ten (every other one a summary only)."""
    items, rss = [], []
    dated = sorted(posts, key=lambda p: (p.date.start if p.date else dt.date.min, p.id), reverse=True)
    for n, post in enumerate(posts, 1):
        body = "".join(f"<p>{escape(text, quote=False)}</p>\n" for text in post.paragraphs)
        day = post.date.start if post.date else dt.date(2012, 1, 1)
        items.append(item(n, escape(post.title, quote=False), body=body, date=f"{day} 18:30:00",
                          gmt=f"{day + dt.timedelta(days=1)} 00:30:00"))
    for n, post in enumerate(dated[:FEED_SIZE]):
        day = post.date.start if post.date else dt.date(2012, 1, 1)
        full = "".join(f"<p>{escape(text, quote=False)}</p>" for text in post.paragraphs)
        opening = " ".join(post.paragraphs)[:300].rsplit(" ", 1)[0] + " [&#8230;]"
        content = f"<content:encoded><![CDATA[{full}]]></content:encoded>" if n % 2 == 0 else ""
        rss.append(f"""<item><title>{escape(post.title, quote=False)}</title>
<link>https://blog.example/{post.id}/</link><guid isPermaLink="false">https://blog.example/?p={n}</guid>
<pubDate>{_rfc822(day)}</pubDate><dc:creator>An American teacher</dc:creator>
<description><![CDATA[{opening}]]></description>
{content}
</item>""")
    feed = ('<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/">\n'
            '<channel><title>Slavery Is Not Dead</title><link>https://blog.example/</link>\n'
            + "\n".join(rss) + "\n</channel></rss>\n")
    return wxr("".join(items)), feed.encode("utf-8")


@pytest.fixture(scope="module")
def mixed(built: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    project = tmp_path_factory.mktemp("mixed") / "book"
    shutil.copytree(built["project"], project)
    shutil.rmtree(project / "out")
    posts, _ = dedup(read_pages(sorted((project / "sources").glob("*.txt")), project))
    export, feed = export_and_feed(posts)
    (project / "sources" / "blog.xml").write_bytes(export)
    (project / "sources" / "feed.xml").write_bytes(feed)
    manifest = (project / "book.yaml").read_text(encoding="utf-8")
    manifest = manifest.replace("  - sources/*.txt\n", "  - sources/*.txt\n  - sources/*.xml\n")
    manifest = manifest.replace("formats: [pdf, epub]", "formats: [epub]")
    (project / "book.yaml").write_text(manifest, encoding="utf-8")
    result = run_compiler("book.yaml", cwd=project)
    return {"project": project, "result": result, "pages_posts": posts}


def test_each_post_once_and_the_export_copy_is_kept(mixed) -> None:  # type: ignore[no-untyped-def]
    validated = load_manifest(mixed["project"] / "book.yaml")
    assert validated.formats.count("wxr") == 1 and validated.formats.count("feed") == 1
    assert len(validated.posts) == 13 == len(mixed["pages_posts"])
    for post in validated.posts:
        kinds = [s.header for s in post.provenance]
        assert kinds.count("WordPress export") == 1, (post.id, kinds)
        assert kinds.count("RSS feed") <= 1 and len(kinds) >= 2
    assert sum("RSS feed" in [s.header for s in p.provenance] for p in validated.posts) == FEED_SIZE
    reasons = {m.reason for m in validated.merges}
    assert "excerpt" in reasons  # the summaries-only items merged into their full posts
    assert all(m.kept is not None and m.kept.header == "WordPress export" for m in validated.merges)
    assert all(m.kept_for == "the full text with its markup, from a WordPress export" for m in validated.merges)


def test_the_built_book_holds_each_post_once_and_the_report_says_why(mixed) -> None:  # type: ignore[no-untyped-def]
    result = mixed["result"]
    assert result.returncode == 0, result.stderr[-3000:]
    out = mixed["project"] / "out"
    with zipfile.ZipFile(next(out.glob("*.epub"))) as z:
        text = " ".join(z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".xhtml"))
    for post in mixed["pages_posts"]:
        assert len(re.findall(rf'<(?:section|article)[^>]* id="{re.escape(post.id)}"', text)) == 1, post.id
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))["dedup"]
    assert report["unique_posts"] == 13
    whys = [m["why"] for m in report["merges"]]
    assert any(w.startswith("RSS feed copy merged: the same title, and its text is the opening") for w in whys)
    assert any(w.startswith("archive page copy merged") for w in whys)
    assert all("the post keeps the full text with its markup, from a WordPress export (sources/blog.xml)" in w
               for w in whys)
    assert "sources/feed.xml: a feed of 10 posts" in result.stderr
