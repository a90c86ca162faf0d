"""Static-site Markdown folders (Hugo, Jekyll, Pelican) as sources (their broken cases: tests/broken/markdown-*,
run by test_broken.py)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from compiler import files
from compiler.errors import CompilerError
from compiler.ingest import ReadOptions, read_source, reader_for
from compiler.ingest.static import MAX_POST_BYTES
from compiler.ingest.static.tags import strip_tags
from compiler.manifest import load_manifest
from compiler.model.nodes import CodeBlock, Embed, Emphasis, Figure, FootnoteRef, Paragraph, Table, plain_text, to_data

from conftest import ROOT, run_compiler

FIXTURES = ROOT / "tests" / "fixtures" / "static"


def _by_title(source):  # type: ignore[no-untyped-def]
    return {c.title: c for c in source.copies}


@pytest.fixture(scope="module")
def hugo():  # type: ignore[no-untyped-def]
    return read_source(FIXTURES / "hugo", ROOT)


@pytest.fixture(scope="module")
def jekyll():  # type: ignore[no-untyped-def]
    return read_source(FIXTURES / "jekyll", ROOT)


def test_a_hugo_site_gives_its_posts_with_their_front_matter(hugo) -> None:  # type: ignore[no-untyped-def]
    posts = _by_title(hugo)
    assert sorted(posts) == ["A walk on the pier", "Counting the harbour boats"]  # no _index.md, no bundle resource
    boats = posts["Counting the harbour boats"]  # TOML front matter
    assert boats.tags == ("harbour", "counting") and boats.categories == ("Fieldwork",)
    assert boats.authors == ("Ada Example", "Ben Example")
    assert boats.date is not None and boats.date.start.isoformat() == "2023-05-14"
    assert boats.seen.file == "tests/fixtures/static/hugo/content/posts/toml-post.md"
    pier = posts["A walk on the pier"]  # YAML: an author as text, tags as text, categories as a list
    assert pier.authors == ("Ben Example",) and pier.tags == ("harbour",) and pier.categories == ("Fieldwork", "Walks")
    assert hugo.meta["title"] == "Field Notes" and hugo.meta["author"] == "Ada Example"
    assert hugo.meta["language"] == "en-GB"
    assert [p.slug for p in hugo.pages] == ["about"]  # a page for front or back matter, not a post


def test_drafts_are_left_out_and_counted_unless_asked_for(hugo) -> None:  # type: ignore[no-untyped-def]
    assert [(i.title, i.reason) for i in hugo.left_out] == [("Half-written thoughts", "draft")]
    with_drafts = read_source(FIXTURES / "hugo", ROOT, ReadOptions(include_status=frozenset({"draft"})))
    assert "Half-written thoughts" in _by_title(with_drafts) and not with_drafts.left_out
    assert _by_title(with_drafts)["Half-written thoughts"].status == "draft"


def test_markdown_tables_footnotes_and_raw_html_through_the_allow_list(hugo) -> None:  # type: ignore[no-untyped-def]
    content = _by_title(hugo)["Counting the harbour boats"].content
    kinds = [type(b).__name__ for b in content.blocks]
    assert "Table" in kinds and "CodeBlock" in kinds
    table = next(b for b in content.blocks if isinstance(b, Table))
    assert len(table.head) == 1 and len(table.body) == 2
    assert isinstance(content.blocks[0], Paragraph) and any(isinstance(n, FootnoteRef) for n in content.blocks[0].children)
    assert plain_text(content.footnotes[0]) == "Once at dawn and once at dusk."
    raw = next(b for b in content.blocks if isinstance(b, Paragraph) and "Raw HTML" in plain_text(b))
    assert any(isinstance(n, Emphasis) for n in raw.children)  # <em> kept by the allow-list
    text = plain_text(content)
    assert "alert" not in text and "never" not in text  # the <script> and what it held are gone
    assert "The red line stays as text." in text  # <span style> unwrapped, its text kept
    code = next(b for b in content.blocks if isinstance(b, CodeBlock))
    assert code.language == "go" and code.code.strip() == 'fmt.Println("boats")'  # {{< highlight go >}}


def test_shortcodes_are_removed_with_a_warning_naming_the_post_and_line(hugo) -> None:  # type: ignore[no-untyped-def]
    assert "tests/fixtures/static/hugo/content/posts/toml-post.md:14: W160 template tag " \
        "{{< newsletter-signup list=\"harbour\" >}} removed: the book has no site generator to run it" in hugo.warnings
    assert sum(" W160 " in w for w in hugo.warnings) == 1  # youtube, figure and highlight are Hugo's own: read
    content = _by_title(hugo)["Counting the harbour boats"].content
    text = plain_text(content)
    assert "newsletter" not in text and "{{ not a tag }}" in text  # inline code keeps its braces
    embed = next(b for b in content.blocks if isinstance(b, Embed))
    assert embed.url == "https://www.youtube.com/watch?v=dQw4w9WgXcQ" and embed.provider == "youtube"
    figure = next(b for b in content.blocks if isinstance(b, Figure) and "lighthouse" in plain_text(b))
    assert [(i.src, i.alt) for i in figure.images] == [("static/images/diagram.png", "The harbour from above")]


def test_images_resolve_in_the_site_and_a_missing_one_warns_with_its_alt_text(hugo) -> None:  # type: ignore[no-untyped-def]
    images = {i.alt: i.src for c in hugo.copies for b in c.content.blocks if isinstance(b, Figure) for i in b.images}
    assert images["A diagram of the harbour"] == "static/images/diagram.png"  # /images/… in static/
    assert images["The pier at noon"] == "content/posts/bundle-post/photo.png"  # in the page bundle
    assert images["The lost chart"] == "lost-chart.png"
    assert any(" W161 " in w and "'Counting the harbour boats'" in w and "lost-chart.png" in w
               and "'The lost chart' is printed" in w for w in hugo.warnings)
    assert sum(" W161 " in w for w in hugo.warnings) == 1


def test_an_image_path_leaving_the_site_is_never_taken(tmp_path: Path) -> None:
    site = tmp_path / "site"
    shutil.copytree(FIXTURES / "hugo", site)
    (tmp_path / "secret.png").write_bytes((FIXTURES / "hugo" / "static" / "images" / "diagram.png").read_bytes())
    (site / "content" / "posts" / "escape.md").write_text(
        "---\ntitle: Escape\ndate: 2024-01-01\n---\n\n![out](../../../secret.png)\n\n![abs](/../../secret.png)\n\n"
        "[link](javascript:alert(1)) and <a href=\"javascript:alert(2)\">a raw one</a>\n")
    source = read_source(site)
    escape = _by_title(source)["Escape"]
    assert [i.src for b in escape.content.blocks if isinstance(b, Figure) for i in b.images] == \
        ["../../../secret.png", "/../../secret.png"]
    assert sum("'Escape'" in w and " W161 " in w for w in source.warnings) == 2
    assert "'href': 'javascript" not in str(to_data(escape.content))  # the link stays text, never a link


def test_jekyll_liquid_tags_removed_raw_kept_drafts_counted(jekyll) -> None:  # type: ignore[no-untyped-def]
    (day,) = jekyll.copies
    assert day.title == "The first day" and day.date is not None and day.date.start.isoformat() == "2021-03-04"
    assert day.tags == ("diary", "spring") and day.categories == ("Journal",)  # Jekyll splits tags on spaces
    text = plain_text(day.content)
    assert "It rained all morning. The afternoon was dry." in text
    assert "Templates write {{ page.title }} like this." in text  # {% raw %}
    assert "private note" not in text  # {% comment %}
    assert any(isinstance(b, CodeBlock) and b.language == "ruby" for b in day.content.blocks)
    assert [i.src for b in day.content.blocks if isinstance(b, Figure) for i in b.images] == ["assets/map.png"]
    warned = [w for w in jekyll.warnings if " W160 " in w]
    assert [w.split(": W160 ")[0] for w in warned] == [f"tests/fixtures/static/jekyll/_posts/2021-03-04-first-day.md:{n}"
                                                       for n in (8, 18, 20)]
    assert [(i.title, i.reason) for i in jekyll.left_out] == [("Unfinished", "draft")]  # _drafts/
    assert {k: v for k, v in jekyll.meta.items() if k != "media_root"} == {
        "title": "Liquid Diary", "author": "Cleo Example", "language": "fr", "link": ""}
    assert jekyll.meta["media_root"] == str((FIXTURES / "jekyll").resolve())


def test_a_post_file_is_recognised_by_its_front_matter(tmp_path: Path) -> None:
    post = FIXTURES / "hugo" / "content" / "posts" / "toml-post.md"
    assert reader_for(post.read_bytes()[:4096]).name == "static"
    assert reader_for(b"---\ntitle: x\n---\n").name == "static"
    assert reader_for(b"Posts tagged IOM\n\n").name == "archive"
    pelican = tmp_path / "p.md"
    pelican.write_text("Title: A Pelican post\nDate: 2010-12-03 10:20\nTags: thats, awesome\nAuthor: Alexis\n\n"
                       "The body *here*.\n")
    (copy,) = read_source(pelican).copies
    assert copy.title == "A Pelican post" and copy.tags == ("thats", "awesome") and copy.authors == ("Alexis",)
    assert copy.date is not None and copy.date.start.isoformat() == "2010-12-03"


def test_an_eleventy_site_and_its_metadata(tmp_path: Path) -> None:
    (tmp_path / ".eleventy.js").write_text("module.exports = function () {};\n")
    (tmp_path / "_data").mkdir()
    (tmp_path / "_data" / "metadata.json").write_text(
        '{"title": "Eleventy Notes", "language": "de", "author": {"name": "Gerd Example"}}')
    (tmp_path / "posts").mkdir()
    (tmp_path / "posts" / "first.md").write_text("---\ntitle: Erster Beitrag\ndate: 2020-02-02\n"
                                                 "tags: [posts, Hafen]\n---\n\nDer Hafen.\n")
    (tmp_path / "README.md").write_text("# Repository\n")
    source = read_source(tmp_path)
    assert [c.title for c in source.copies] == ["Erster Beitrag"] and source.copies[0].tags == ("posts", "Hafen")
    assert (source.meta["title"], source.meta["author"], source.meta["language"]) == \
        ("Eleventy Notes", "Gerd Example", "de")


def test_strip_tags_keeps_code_fences_and_hugo_escaped_shortcodes() -> None:
    warned: list[str] = []
    body = "```jsx\n<div style={{height: 1}}/>\n```\nShow {{</* gist x */>}} like so.\n{{% notice %}}Kept{{% /notice %}}"
    out = strip_tags(body, "p.md", 5, warned.append)
    assert "style={{height: 1}}" in out and "Show {{< gist x >}} like so." in out and "Kept" in out
    assert [w.split(": W160")[0] for w in warned] == ["p.md:9", "p.md:9"]


def test_a_folder_and_a_glob_of_posts_in_the_manifest(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "hugo", tmp_path / "site")
    shutil.copytree(ROOT / "styles", tmp_path / "styles")
    for sources in ('["site"]', '["site/content/posts/*.md", "site/content/posts/*/index.md"]'):
        (tmp_path / "book.yaml").write_text(
            f"book: {{title: Notes, authors: [A], date: 2024-01-01}}\nsources: {sources}\n"
            "chapters:\n  - {id: all, title: All, posts: [counting-the-harbour-boats, a-walk-on-the-pier]}\n")
        validated = load_manifest(tmp_path / "book.yaml")
        assert sorted(p.id for p in validated.posts) == ["a-walk-on-the-pier", "counting-the-harbour-boats"]
        assert set(validated.formats) == {"static"}
    codes = {d.code for d in validated.warnings}
    assert {"W160", "W161"} <= codes  # the readers' own codes, not W120


def test_init_takes_a_site_folder_and_fills_title_author_language(tmp_path: Path) -> None:
    from compiler.init import init

    manifest = init([FIXTURES / "hugo"], tmp_path / "book")
    text = manifest.read_text()
    assert 'title: "Field Notes"' in text and 'authors: ["Ada Example"]' in text and 'language: "en-GB"' in text
    assert "fixtures/static/hugo" in text  # the folder, as an external source
    validated = load_manifest(manifest)
    assert len(validated.posts) == 2


def test_a_post_of_50_mb_is_refused_by_its_size_before_it_is_read(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    post = tmp_path / "huge.md"
    post.write_bytes(b"---\ntitle: Huge\n---\n\n")
    os.truncate(post, 50 * 1024 * 1024)  # sparse: 50 MB on paper
    read: list[Path] = []
    real = files.read_bytes
    monkeypatch.setattr(files, "read_bytes", lambda path, *a: read.append(path) or real(path, *a))
    with pytest.raises(CompilerError) as caught:
        read_source(post, tmp_path)
    assert caught.value.diagnostics[0].format() == (
        f"huge.md: E164 the post is 52,428,800 bytes, over the limit of {MAX_POST_BYTES:,} (a blog post is a few "
        "kilobytes of text: remove the file or split it)")
    assert read == []  # only the first 4 KiB were looked at, to recognise the format
    result = run_compiler("posts", "huge.md", cwd=tmp_path)
    assert result.returncode == 2 and result.stderr.splitlines() == [caught.value.diagnostics[0].format()]


def test_a_link_leading_out_of_the_folder_is_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.md").write_text("---\ntitle: Secret\ndate: 2024-01-01\n---\n\nNot for the book.\n")
    site = tmp_path / "site"
    shutil.copytree(FIXTURES / "hugo", site)
    (site / "content" / "posts" / "linked").symlink_to(outside)
    (site / "content" / "posts" / "linked.md").symlink_to(outside / "secret.md")
    (site / "content" / "posts" / "loop").symlink_to(site / "content")
    assert "Secret" not in _by_title(read_source(site))
