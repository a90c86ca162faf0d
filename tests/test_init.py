"""``compiler init`` for every format: chapters from categories, else tags, else years, as rules.

Each manifest init writes must validate at once with every post placed (no
W223); one of them is built. The WordPress corpora (categories) are read in
place and skip when absent; archive pages (tags only), a synthetic export
without categories (tags), one with neither (years), and a reader that is
not registered at all (a stand-in for any format the registry may return)
are made here.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from compiler import ingest
from compiler.errors import CompilerError
from compiler.init import init, propose
from compiler.manifest import Validated, load_manifest
from compiler.model import Post, PostCopy, Seen
from compiler.model.types import DateSpan
from compiler.model.nodes import Content, Paragraph, Text

from conftest import CORPORA, ROOT, WXR_EXPORTS, run_compiler
from test_wxr import item, wxr


def _init(sources: list[Path], folder: Path) -> tuple[str, Validated]:
    manifest = init(sources, folder)
    text = manifest.read_text(encoding="utf-8")
    validated = load_manifest(manifest)
    assert not [w for w in validated.warnings if w.code == "W223"], validated.warnings  # every post placed
    placed = [p for posts in validated.chapters.values() for p in posts]
    assert sorted(placed) == sorted(p.id for p in validated.posts)
    assert "    posts:" not in text  # rules, never a list of every post id
    return text, validated


@pytest.mark.parametrize("name", sorted(WXR_EXPORTS))
def test_init_proposes_category_chapters_for_each_wordpress_corpus(name: str, tmp_path: Path) -> None:
    export = CORPORA / WXR_EXPORTS[name]
    if not export.is_file():
        pytest.skip(f"corpus {WXR_EXPORTS[name]} is not in {CORPORA}")
    text, validated = _init([export], tmp_path / "book")
    assert "One chapter per top-level category" in text
    assert "rule: {categories: [" in text
    by_id = {p.id: p for p in validated.posts}
    for chapter, posts in validated.chapters.items():
        dates = [by_id[p].date.start for p in posts if by_id[p].date]
        assert dates == sorted(dates), chapter  # sort: date


def test_archive_pages_have_tags_only_so_chapters_come_from_tags(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "sources", tmp_path / "sources")
    text, validated = _init(sorted((tmp_path / "sources").glob("*.txt")), tmp_path)
    assert "one chapter per tag, the most used first" in text
    assert list(validated.chapters)[0] == "iom"  # 9 of the 13 posts: the most used tag
    assert 'rule: {tags: ["IOM"]}' in text
    result = run_compiler("check", "book.yaml", "--strict", cwd=tmp_path)
    assert result.returncode == 0, result.stderr


def _plain_export(tmp_path: Path, tags: bool) -> Path:
    terms = '<category domain="post_tag" nicename="{0}"><![CDATA[{0}]]></category>'
    posts = [(1, "First Winter", "2011-12-01", "snow"), (2, "Spring Again", "2012-04-02", "spring"),
             (3, "More Snow", "2012-12-20", "snow"), (4, "A New Year", "2013-01-01", "snow")]
    items = "".join(item(i, title, body=f"<p>{title} is the story of post {i}.</p>",
                         date=f"{day} 10:00:00", gmt=f"{day} 10:00:00",
                         extra=terms.format(tag) if tags else "") for i, title, day, tag in posts)
    path = tmp_path / "blog.xml"
    path.write_bytes(wxr(items))
    return path


def test_an_export_without_categories_gets_tag_chapters(tmp_path: Path) -> None:
    text, validated = _init([_plain_export(tmp_path, tags=True)], tmp_path)
    assert validated.chapters == {"snow": ["first-winter", "more-snow", "a-new-year"],
                                  "spring": ["spring-again"]}


def test_an_export_without_categories_or_tags_gets_year_chapters_and_builds(tmp_path: Path) -> None:
    text, validated = _init([_plain_export(tmp_path, tags=False)], tmp_path)
    assert "one chapter per year" in text and "rule: {since: 2012-01-01, until: 2012-12-31}" in text
    assert validated.chapters == {"year-2011": ["first-winter"],
                                  "year-2012": ["spring-again", "more-snow"], "year-2013": ["a-new-year"]}
    result = run_compiler("book.yaml", "--format", "epub", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert [p.name for p in (tmp_path / "out").glob("*.epub")] == ["blog-co.epub"]


def _fake_reader() -> ingest.Reader:
    """A format the registry does not know: undated and dated posts, no tags, no categories, no meta."""
    def read(data: bytes, name: str, options: ingest.ReadOptions) -> ingest.Source:
        copies = []
        for n, line in enumerate(data.decode().splitlines(), 1):
            title, _, day = line.partition("|")
            date = dt.date.fromisoformat(day) if day else None
            copies.append(PostCopy(title, Content((Paragraph((Text(f"The text of {title}."),)),)), (),
                                   DateSpan(date, date) if date else None, 0, Seen(name, n, n, "fake")))
        return ingest.Source(name, "fake", tuple(copies))
    return ingest.Reader("fake", "a test format", lambda head: head.startswith(b"FAKE"), read)


def test_init_works_on_any_source_the_registry_returns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    registry = ingest._registry()
    monkeypatch.setattr(ingest, "_registry", lambda: (_fake_reader(), *registry))
    source = tmp_path / "posts.fake"
    source.write_text("FAKE one|2014-05-01\nTwo|2015-06-01\nThree|\nFour|2014-01-01\n")
    basis, chapters = propose(load_posts(source))
    assert basis == "years"
    assert [(c.id, c.title, [p.title for p in c.posts]) for c in chapters] == [
        ("year-2014", "2014", ["Four", "FAKE one"]), ("year-2015", "2015", ["Two"]),
        ("other-posts", "Other posts", ["Three"])]
    text, _ = _init([source], tmp_path)
    assert 'title: "My Blog"' in text and "rule: {}   # every post no chapter above took" in text


def load_posts(source: Path) -> list[Post]:
    from compiler.dedup import dedup

    return dedup(ingest.all_copies(ingest.read_sources([source])))[0]


#: Feeds among the corpora: the files given to init, and what the chapters come from.
FEEDS = {"norm2782": (("feeds-norm2782-wordpress/wordpress-atom10.xml",
                       "feeds-norm2782-wordpress/wordpress-rss2-dc-atom.xml"), "categories", 10),
         "samruby": (("feed-samruby-atom/SamRuby.xml",), "years", 20)}


@pytest.mark.parametrize("name", sorted(FEEDS))
def test_init_proposes_chapters_for_each_feed_corpus(name: str, tmp_path: Path) -> None:
    files, basis, count = FEEDS[name]
    if not any(r.name == "feed" for r in ingest.readers()):
        pytest.skip("no feed reader is registered")
    paths = [CORPORA / f for f in files]
    if not all(p.is_file() for p in paths):
        pytest.skip(f"corpus {files[0]} is not in {CORPORA}")
    text, validated = _init(paths, tmp_path / "book")
    assert len(validated.posts) == count
    assert {"categories": "One chapter per top-level category", "years": "one chapter per year"}[basis] in text


def test_the_commented_filter_example_is_a_valid_filter(tmp_path: Path) -> None:
    """Uncommented, the manifest's filter example is read as written (its names must be the blog's own:
    excluding the tag a chapter is made of leaves that chapter's rule selecting nothing, E280)."""
    text, _ = _init([_plain_export(tmp_path, tags=True)], tmp_path)
    example = next(line for line in text.splitlines() if line.startswith("# filter: "))
    dates_only = example[2:].replace("[Uncategorized]", "[]").replace("[meta]", "[]")
    (tmp_path / "book.yaml").write_text(text.replace(example, dates_only))
    validated = load_manifest(tmp_path / "book.yaml")
    assert sum(len(ps) for ps in validated.chapters.values()) == 4
    (tmp_path / "book.yaml").write_text(text.replace(example, dates_only.replace("exclude_tags: []",
                                                                                 "exclude_tags: [spring]")))
    with pytest.raises(CompilerError) as info:
        load_manifest(tmp_path / "book.yaml")
    assert [d.code for d in info.value.diagnostics] == ["E280"]
    assert "the book's filter leaves out its 1 post" in info.value.diagnostics[0].format()
