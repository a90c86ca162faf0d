"""The reader registry: formats by content, mixed sources deduplicated, manifest keys for exports, init."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from compiler.dedup import dedup
from compiler.errors import CompilerError
from compiler.ingest import ReadOptions, all_copies, read_source, read_sources
from compiler.model.nodes import Link, Paragraph

from conftest import ROOT, run_compiler
from test_wxr import comment, item, wxr

ARCHIVE = """Posts tagged Shelters

A Visit to the Shelter

We drove out to the shelter on Monday. The staff showed us round.

Leave a comment »
"""
BODY = ('<p>We drove out to the shelter on Monday. The staff showed us '
        '<a href="https://ex.example/round">round</a>.</p>')


def _export(tmp_path: Path, name: str, items: str) -> Path:
    path = tmp_path / name
    path.write_bytes(wxr(items))
    return path


def test_format_is_known_by_content_not_name(tmp_path: Path) -> None:
    export = _export(tmp_path, "export.txt", item(1, "A Visit to the Shelter", body=BODY))
    page = tmp_path / "page.xml"
    page.write_text(ARCHIVE, encoding="utf-8")
    assert read_source(export).format == "wxr"
    assert read_source(page).format == "archive"


def test_xml_that_is_no_export_nor_feed_is_refused(tmp_path: Path) -> None:
    sitemap = tmp_path / "sitemap.xml"
    sitemap.write_text('<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"/>')
    with pytest.raises(CompilerError) as info:
        read_source(sitemap)
    assert info.value.diagnostics[0].code == "E129"
    feed = tmp_path / "feed.xml"  # a feed is read now: this one holds no entry
    feed.write_text('<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>x</title></feed>')
    with pytest.raises(CompilerError) as info:
        read_source(feed)
    assert info.value.diagnostics[0].code == "E153"


def test_the_same_post_from_a_page_and_an_export_is_one_post_and_the_export_wins(tmp_path: Path) -> None:
    export = _export(tmp_path, "blog.xml", item(1, "A Visit to the Shelter", body=BODY))
    page = tmp_path / "page.txt"
    page.write_text(ARCHIVE, encoding="utf-8")
    posts, merges = dedup(all_copies(read_sources([page, export])))
    assert len(posts) == 1 and len(merges) == 1 and len(posts[0].provenance) == 2
    first = posts[0].content.blocks[0]
    assert isinstance(first, Paragraph) and any(isinstance(n, Link) for n in first.children)
    assert posts[0].tags == ("Shelters",)


def test_two_entries_of_one_export_stay_two_posts(tmp_path: Path) -> None:
    export = _export(tmp_path, "blog.xml", item(1, "Same", body="<p>Same text here.</p>") +
                     item(2, "Same", body="<p>Same text here.</p>"))
    posts, _ = dedup(all_copies(read_sources([export])))
    assert len(posts) == 2


def test_statuses_and_passwords_are_opt_in(tmp_path: Path) -> None:
    export = _export(tmp_path, "blog.xml", item(1) + item(2, "Draft", status="draft") +
                     item(3, "Secret", password="pw") + item(4, "Private", status="private"))
    assert [c.title for c in read_source(export).copies] == ["T"]
    chosen = read_source(export, options=ReadOptions(frozenset({"draft"}), frozenset({3})))
    assert [c.title for c in chosen.copies] == ["T", "Draft", "Secret"]
    assert [(i.id, i.reason) for i in chosen.left_out] == [(4, "private")]


def _project(tmp_path: Path, manifest: str, items: str) -> Path:
    _export(tmp_path, "blog.xml", items)
    shutil.copytree(ROOT / "styles", tmp_path / "styles")
    (tmp_path / "book.yaml").write_text(manifest, encoding="utf-8")
    return tmp_path


MANIFEST = """book: {title: Blog, authors: [Ann], date: 2012-03-04}
sources: [blog.xml]
comments: true
front_matter:
  - page: abuot
chapters:
  - {id: all, title: All, posts: [t], comments: false}
"""


def test_pages_by_slug_and_comments_per_chapter(tmp_path: Path) -> None:
    from compiler.manifest import load_manifest
    from compiler.model.assemble import assemble

    items = item(1, body="<p>Post.</p>", extra=comment(5)) + item(9, "About", kind="page", slug="about")
    project = _project(tmp_path, MANIFEST, items)
    with pytest.raises(CompilerError) as info:
        load_manifest(project / "book.yaml")
    assert [(d.code, d.line) for d in info.value.diagnostics] == [("E272", 5)]
    assert "did you mean 'about'" in info.value.diagnostics[0].format()
    (project / "book.yaml").write_text(MANIFEST.replace("abuot", "about"), encoding="utf-8")
    validated = load_manifest(project / "book.yaml")
    assert validated.posts[0].thread and validated.posts[0].thread[0].author == "Reader 5"
    book = assemble(validated)
    assert book.front[0].kind == "introduction" and book.front[0].title == "About"
    assert book.posts[0].thread == ()  # the chapter says no
    book = assemble(load_manifest(project / "book.yaml").__class__(
        **{**validated.__dict__, "spec": validated.spec.model_copy(update={"chapters": [
            validated.spec.chapters[0].model_copy(update={"comments": None})]})}))
    assert book.posts[0].thread  # the book's default


def test_init_never_overwrites_a_manifest(tmp_path: Path) -> None:
    export = _export(tmp_path, "blog.xml", item(1, body="<p>Post.</p>"))
    folder = tmp_path / "book"
    first = run_compiler("init", str(export), "--dir", str(folder), cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    text = (folder / "book.yaml").read_text()
    assert "external_sources:" in text and '"../blog.xml"' in text
    again = run_compiler("init", str(export), "--dir", str(folder), cwd=tmp_path)
    assert again.returncode == 2 and "E273" in again.stderr
    assert (folder / "book.yaml").read_text() == text
    checked = run_compiler("check", "book.yaml", cwd=folder)
    assert checked.returncode == 0, checked.stderr


def test_reader_warnings_are_redacted_on_the_terminal(tmp_path: Path) -> None:
    manifest = """book: {title: Blog, authors: [Ann], date: 2012-03-04}
sources: [blog.xml]
chapters:
  - {id: all, title: All, rule: {title_matches: "."}}
redactions:
  - {term: Natasha, replacement: N.}
"""
    project = _project(tmp_path, manifest, item(1, "Natasha at home", body="<p>Hello there.</p><iframe src=\"https://other.example/x\"></iframe>"))
    result = run_compiler("book.yaml", "--format", "epub", cwd=project)
    assert result.returncode == 0, result.stderr
    assert "W120" in result.stderr and "N. at home" in result.stderr
    assert "natasha" not in result.stderr.casefold()
