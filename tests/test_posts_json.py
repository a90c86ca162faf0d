"""``compiler posts SOURCE... --json``: every post of any source, with where it came from, stable bytes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from compiler import ingest
from compiler.cli import main

from conftest import ROOT
from test_init import _fake_reader

KEYS = {"id", "title", "date", "words", "format", "status", "categories", "tags", "authors", "comments", "copies",
        "sources"}
ARCHIVE = "sources/001_f6a00d62272453a4.txt"  # IOM posts, one of which the export below also holds


def _posts(capsys: pytest.CaptureFixture[str], *paths: str) -> tuple[str, list[dict[str, object]]]:
    assert main(["posts", *paths, "--json"]) == 0
    out = capsys.readouterr().out
    return out, json.loads(out)


def test_posts_json_lists_every_post_of_mixed_formats_stably(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copy(ROOT / "tests" / "rules" / "blog.xml", tmp_path / "blog.xml")
    shutil.copy(ROOT / ARCHIVE, tmp_path / "iom.txt")
    monkeypatch.chdir(tmp_path)
    out, listing = _posts(capsys, "blog.xml", "iom.txt")
    assert all(set(row) == KEYS for row in listing)
    assert out == json.dumps(listing, ensure_ascii=False, indent=2, sort_keys=True) + "\n"  # keys sorted
    dated = [row["date"] for row in listing if row["date"]]
    assert dated == sorted(dated) and listing[-1]["date"] is None  # by date, undated last
    spring = next(row for row in listing if row["id"] == "spring-in-almaty")
    assert spring == {"id": "spring-in-almaty", "title": "Spring in Almaty", "date": "2012-03-04", "words": 12,
                      "format": "standard", "status": "publish", "categories": [["World", "Asia", "Kazakhstan"]],
                      "tags": ["Travel"], "authors": ["Jane Doe"], "comments": 3, "copies": 1,
                      "sources": [{"file": "blog.xml", "line": None, "reader": "wxr"}]}
    gallery = next(row for row in listing if row["id"] == "gallery-of-the-steppe")
    assert gallery["format"] == "gallery" and gallery["authors"] == ["Al Smith"]
    archive = [row for row in listing if row["sources"][0]["reader"] == "archive"]  # type: ignore[index]
    assert archive and all(row["tags"] == ["IOM"] and row["sources"][0]["file"] == "iom.txt"  # type: ignore[index]
                           and isinstance(row["sources"][0]["line"], int) for row in archive)  # type: ignore[index]
    assert _posts(capsys, "iom.txt", "blog.xml")[0] == out  # the order of the arguments changes nothing


def test_posts_json_merges_one_post_read_from_two_formats(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from test_wxr import item, wxr

    page = (ROOT / ARCHIVE).read_text(encoding="utf-8")
    from compiler.ingest import read_source

    first = read_source(ROOT / ARCHIVE).copies[0]
    body = "".join(f"<p>{p}</p>" for p in first.paragraphs)
    (tmp_path / "blog.xml").write_bytes(wxr(item(7, first.title.replace("&", "&amp;"), body=body)))
    (tmp_path / "page.txt").write_text(page, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    _, listing = _posts(capsys, "blog.xml", "page.txt")
    both = [row for row in listing if row["copies"] == 2]
    assert len(both) == 1
    assert [s["reader"] for s in both[0]["sources"]] == ["wxr", "archive"]  # type: ignore[index,union-attr]


def test_posts_json_names_any_reader_the_registry_has(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    registry = ingest._registry()
    monkeypatch.setattr(ingest, "_registry", lambda: (_fake_reader(), *registry))
    (tmp_path / "a.fake").write_text("FAKE one|2014-05-01\nTwo|\n")
    monkeypatch.chdir(tmp_path)
    _, listing = _posts(capsys, "a.fake")
    assert [(r["id"], r["date"], r["format"], r["sources"]) for r in listing] == [
        ("fake-one", "2014-05-01", "standard", [{"file": "a.fake", "line": 1, "reader": "fake"}]),
        ("two", None, "standard", [{"file": "a.fake", "line": 2, "reader": "fake"}])]


def test_posts_json_names_the_reader_of_a_post_read_from_a_folder(capsys: pytest.CaptureFixture[str],
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    site = ROOT / "tests" / "fixtures" / "static" / "hugo"
    if not site.is_dir():
        pytest.skip("no static site fixture")
    monkeypatch.chdir(ROOT)
    _, listing = _posts(capsys, str(site))
    assert listing and all(s["reader"] == "static" and s["file"].endswith(".md")  # type: ignore[index,union-attr]
                           for row in listing for s in row["sources"])  # type: ignore[union-attr]
