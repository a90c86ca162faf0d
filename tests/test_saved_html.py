"""Saved HTML pages of a WordPress blog (Twenty Twelve, Twenty Sixteen, Twenty Twenty-One markup) as sources."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from compiler.errors import CompilerError
from compiler.ingest import read_source, reader_for
from compiler.manifest import load_manifest
from compiler.model.nodes import BulletList, Figure, Heading, Link, OrderedList, plain_text, to_data

from conftest import ROOT

FIXTURES = ROOT / "tests" / "fixtures" / "saved"
BROKEN = ROOT / "tests" / "broken"
CASES = sorted(p.name for p in BROKEN.glob("saved-html-*")) if BROKEN.is_dir() else []
#: Words of the theme around the post: menus, sidebars, widgets, share and like buttons, related posts,
#: post navigation, comments and their form, the footer.
NOISE = ("Skip to content", "About the quay", "Recent Posts", "Archives", "Search", "Share this", "Twitter",
         "Facebook", "Like this", "Loading", "Related", "Previous post", "Next page", "Leave a", "Post Comment",
         "nineteen on Sunday", "Proudly powered", "Continue reading", "Tweet this", "Eli keeps", "Categories",
         "Posted on", "Menu")


def _read(name: str):  # type: ignore[no-untyped-def]
    return read_source(FIXTURES / name, ROOT)


def test_saved_pages_are_recognised_by_content() -> None:
    for page in FIXTURES.glob("*.html"):
        assert reader_for(page.read_bytes()[:4096]).name == "saved-html", page.name
    assert reader_for(b'<?xml version="1.0"?>\n<feed xmlns="http://www.w3.org/2005/Atom">').name != "saved-html"
    assert reader_for(b"Posts tagged IOM\n").name == "archive"


def test_a_single_post_twenty_twelve_without_the_theme_around_it() -> None:
    source = _read("twentytwelve-single.html")
    (post,) = source.copies
    assert post.title == "Counting boats" and post.date is not None and post.date.start.isoformat() == "2012-03-05"
    assert post.categories == ("Fieldwork",) and post.tags == ("boats",) and post.authors == ("Dana Example",)
    assert post.comments == 3 and not post.excerpt and post.markup
    text = plain_text(post.content)
    assert text.startswith("We counted the boats") and "Count them again tomorrow" in text
    assert not [n for n in NOISE if n in text], text
    assert source.meta["title"] == "Harbour Diary" and source.meta["language"] == "en-US"


def test_images_beside_the_page_resolve_and_a_missing_one_warns_with_its_alt_text() -> None:
    source = _read("twentytwelve-single.html")
    images = [i for b in source.copies[0].content.blocks if isinstance(b, Figure) for i in b.images]
    assert [(i.src, i.alt) for i in images] == [("./twentytwelve-single_files/harbour.png", "The harbour at dawn"),
                                                ("./twentytwelve-single_files/lighthouse.jpg", "The lighthouse")]
    assert source.warnings == (
        "tests/fixtures/saved/twentytwelve-single.html: W164 post 'Counting boats': image "
        "./twentytwelve-single_files/lighthouse.jpg is not beside the saved page; its alt text 'The lighthouse' "
        "is printed in its place",)


def test_an_archive_page_gives_each_article_and_marks_a_teaser_as_an_excerpt() -> None:
    source = _read("twentysixteen-archive.html")
    boats, tides = source.copies
    assert (boats.title, tides.title) == ("Counting boats", "Reading the tides")
    assert boats.excerpt and not tides.excerpt  # "Continue reading": the full copy wins in dedup
    assert boats.comments == 3 and tides.comments == 0
    assert tides.categories == ("Fieldwork", "Tides") and tides.authors == ("Eli Example",)
    assert tides.date is not None and tides.date.start.isoformat() == "2012-02-20"
    assert any(isinstance(b, BulletList) for b in tides.content.blocks)
    for post in (boats, tides):
        text = plain_text(post.content)
        assert not [n for n in NOISE if n in text], text


def test_twenty_twenty_one_blocks_and_byline() -> None:
    source = _read("twentytwentyone-single.html")
    (post,) = source.copies
    assert post.authors == ("Eli Example",) and post.tags == ("pier", "summer") and post.categories == ("Walks",)
    kinds = {type(b) for b in post.content.blocks}
    assert {Figure, Heading, OrderedList} <= kinds
    figure = next(b for b in post.content.blocks if isinstance(b, Figure))
    assert plain_text(figure) == "The pier at noon, from the beach."
    assert "Link" in str(to_data(post.content)) and any(
        isinstance(n, Link) for b in post.content.blocks for n in getattr(b, "children", ()))
    text = plain_text(post.content)
    assert not [n for n in NOISE if n in text], text
    assert source.meta["language"] == "en-GB" and not source.warnings  # its image is a URL: not looked for


def test_saved_pages_in_a_manifest_with_their_files_folder(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES, tmp_path / "saved")
    shutil.copytree(ROOT / "styles", tmp_path / "styles")
    (tmp_path / "book.yaml").write_text(
        "book: {title: Harbour, authors: [Dana], date: 2024-01-01}\nsources: [saved/*.html]\n"
        "chapters:\n  - {id: all, title: All, posts: [reading-the-tides, a-walk-on-the-pier]}\n")
    validated = load_manifest(tmp_path / "book.yaml")
    assert set(validated.formats) == {"saved-html"} and validated.copies == 4
    assert {"reading-the-tides", "a-walk-on-the-pier"} <= {p.id for p in validated.posts}
    assert [d.code for d in validated.warnings if d.code == "W164"] == ["W164"]


@pytest.mark.parametrize("case", CASES)
def test_broken_saved_page_gives_its_one_line(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = BROKEN / case
    monkeypatch.chdir(folder)
    (source,) = sorted(p.name for p in folder.iterdir() if p.name.startswith("source"))
    with pytest.raises(CompilerError) as caught:
        read_source(Path(source))
    assert [d.format() for d in caught.value.diagnostics] == \
        (folder / "expected.txt").read_text(encoding="utf-8").splitlines()
