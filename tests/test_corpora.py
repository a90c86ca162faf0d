"""Real blogs: each WordPress export and feed in the shared corpora, from ``init`` to a checked PDF and EPUB.

One build per corpus (a session fixture: ``init`` into a temporary folder, then
``python -m compiler book.yaml --epubcheck``, whose exit code is 4 on any
EPUBCheck error or warning); every test reads that build. DAISY Ace starts on
the EPUB as soon as it is built (acetools.py), in the background, and its test
waits for it. The exports are
read where they are, never copied into the project; the tests skip, saying
so, when the corpora are absent.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
import zipfile
from pathlib import Path

import acetools
import pytest
from lxml import etree

from compiler.dedup import dedup
from compiler.ingest import all_copies, read_sources
from compiler.ingest.wxr import read_wxr
from compiler.render import typo
from compiler.render.typeset import typeset_paragraphs

from conftest import CORPORA, FEED_CORPORA, WXR_EXPORTS, run_compiler, squash
from pdftools import body_text, labels

EXPORTS = WXR_EXPORTS
#: Every corpus book: the files ``init`` is given (an export, or feeds).
BOOKS: dict[str, tuple[str, ...]] = {**{name: (path,) for name, path in WXR_EXPORTS.items()}, **FEED_CORPORA}
#: Share of each post's sentences that must be found in each edition.
FOUND = 0.97
_SENTENCE = re.compile(r"(?<=[.!?…。！？])[”’\"')」』]*\s*(?=\S)")

pytestmark = pytest.mark.corpus


def _sources(name: str) -> list[Path]:
    paths = [CORPORA / p for p in BOOKS[name]]
    for path in paths:
        if not path.is_file():
            pytest.skip(f"corpus {path.relative_to(CORPORA)} is not in {CORPORA}")
    return paths


@pytest.fixture(scope="session", params=sorted(BOOKS))
def corpus(request: pytest.FixtureRequest,  # type: ignore[no-untyped-def]
           tmp_path_factory: pytest.TempPathFactory):
    name = request.param
    sources = _sources(name)
    export = sources[0]
    folder = tmp_path_factory.mktemp(name)
    made = run_compiler("init", *map(str, sources), "--dir", str(folder), cwd=folder)
    assert made.returncode == 0, made.stderr
    start = time.perf_counter()
    built = run_compiler("book.yaml", "--epubcheck", cwd=folder, timeout=600)
    seconds = time.perf_counter() - start
    pdf = next((folder / "out").glob("*.pdf"), None)
    epub = next((folder / "out").glob("*.epub"), None)
    ace = acetools.start(epub, folder / "ace") if epub is not None and not acetools.missing() else None
    yield {"name": name, "export": export, "sources": sources, "folder": folder, "result": built,
           "seconds": seconds, "pdf": pdf, "epub": epub, "ace": ace}
    if ace is not None:
        ace.stop()


def _letters(text: str) -> str:
    return re.sub(r"[\s\u00a0\u2010\u00ad-]+", "", text)


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(squash(text)) if len(_letters(s)) >= 2]  # text as set already


def _pdf_texts(pdf: Path) -> tuple[str, str]:
    """The PDF's text in reading order (running heads and folios dropped), and in the order the
    page draws it (``pdftotext -raw``: table cells and lines that mix scripts stay whole). A
    sentence is found if either holds it; both come from the same PDF."""
    raw = subprocess.run(["pdftotext", "-raw", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True,
                         check=True).stdout
    return _letters(body_text(pdf, labels(pdf))), _letters(raw)


def _epub_text(epub: Path) -> str:
    out = []
    with zipfile.ZipFile(epub) as z:
        for member in z.namelist():
            if member.endswith(".xhtml"):
                root = etree.fromstring(z.read(member))
                out.append(" ".join(root.itertext()))
    return " ".join(out)


def test_init_then_build_exits_0_with_epubcheck_clean(corpus) -> None:  # type: ignore[no-untyped-def]
    result = corpus["result"]
    assert result.returncode == 0, result.stderr[-3000:]
    assert corpus["pdf"] is not None and corpus["epub"] is not None
    print(f"{corpus['name']}: {len(labels(corpus['pdf']))} pages, {corpus['seconds']:.1f} s")


def test_every_published_post_is_in_the_book_with_its_sentences(corpus) -> None:  # type: ignore[no-untyped-def]
    assert corpus["result"].returncode == 0, corpus["result"].stderr[-3000:]
    posts, _ = dedup(all_copies(read_sources(corpus["sources"])))  # what the sources hold, read as a build does
    reading, drawn = _pdf_texts(corpus["pdf"])
    epub_text = _letters(_epub_text(corpus["epub"]))
    assert posts, "the sources hold published posts"
    worst: list[tuple[float, float, str, str]] = []
    for entry in posts:
        title = entry.title.strip() or "Untitled"
        assert _letters(squash(typo(title))) in epub_text, title
        found = [s for p in typeset_paragraphs(entry.content) for s in _sentences(p)]
        if not found:
            continue
        in_pdf = sum(_letters(s) in reading or _letters(s) in drawn for s in found) / len(found)
        in_epub = sum(_letters(s) in epub_text for s in found) / len(found)
        worst.append((in_pdf, in_epub, entry.id, title))
    failing = [w for w in worst if w[0] < FOUND or w[1] < FOUND]
    assert not failing, failing[:5]


def test_the_theme_unit_test_book_meets_the_typography_limits(corpus) -> None:  # type: ignore[no-untyped-def]
    """The typography audit (compiler/typo_audit.py) on a book no one tuned by hand."""
    from compiler import typo_audit

    if corpus["name"] != "theme-unit-test":
        pytest.skip("the audit runs on the Theme Unit Test book")
    assert corpus["pdf"] is not None, corpus["result"].stderr
    figures = typo_audit.audit(corpus["pdf"])
    print(typo_audit.report(figures, "Theme Unit Test"))
    assert figures.body_lines > 300
    from test_typo_audit import meets_the_limits

    meets_the_limits(figures)


def test_a_post_left_out_is_counted(corpus) -> None:  # type: ignore[no-untyped-def]
    if corpus["name"] not in EXPORTS:
        pytest.skip("a feed holds published posts only")
    export = read_wxr(corpus["export"])
    if not export.left_out:
        pytest.skip("this export leaves nothing out")
    assert "left out" in corpus["result"].stderr


def test_every_embed_is_printed_with_a_qr_code_that_scans_back(corpus, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Each embed of the export (YouTube, Vimeo, X, Instagram, WordPress.tv, audio and video files...):
    the pages that print its URL, rasterised (pdftoppm) and read by zbarimg, give back its URL."""
    import shutil

    from compiler.model.nodes import Embed
    from compiler.qr import qr_payload
    from compiler.render.nodes import embeds
    from printbook import decode_qr, png_pages

    if shutil.which("zbarimg") is None or shutil.which("pdftoppm") is None:
        pytest.skip("zbarimg or pdftoppm is not installed (tools/setup-system installs them)")
    assert corpus["result"].returncode == 0, corpus["result"].stderr[-3000:]
    posts, _ = dedup(all_copies(read_sources(corpus["sources"])))
    urls = {e.url for entry in posts for e in embeds(entry.content) if isinstance(e, Embed)}
    if not urls:
        pytest.skip("this export has no embeds")
    raw = subprocess.run(["pdftotext", "-enc", "UTF-8", str(corpus["pdf"]), "-"], capture_output=True, text=True,
                         check=True).stdout.split("\f")
    flat = [re.sub(r"\s+", "", page) for page in raw]
    pages = sorted({n + 1 for n, page in enumerate(flat) for url in urls if url[:40] in page})
    decoded = set(decode_qr(png_pages(corpus["pdf"], tmp_path, 150, pages)))
    assert {qr_payload(u) for u in urls} <= decoded, sorted({qr_payload(u) for u in urls} - decoded)


def test_a_feed_says_how_many_posts_it_held_and_where_it_stops(corpus) -> None:  # type: ignore[no-untyped-def]
    if corpus["name"] not in FEED_CORPORA:
        pytest.skip("not a feed")
    stderr = corpus["result"].stderr
    for source in corpus["sources"]:
        held = re.search(rf"{re.escape(source.name)}: a feed of (\d+) posts, (\S+) back to (\S+);", stderr)
        assert held, stderr[-2000:]
        expected = read_sources([source])[0].copies
        assert int(held[1]) == len(expected)
        assert held[3] == min(c.date.start for c in expected if c.date).isoformat()
    manifest = (corpus["folder"] / "book.yaml").read_text(encoding="utf-8")
    meta = read_sources(corpus["sources"][:1])[0].meta
    assert f"title: {json.dumps(meta['title'], ensure_ascii=False)}" in manifest
    assert f"authors: [{json.dumps(meta['author'], ensure_ascii=False)}]" in manifest and meta["author"]


def test_ace_finds_no_violation(corpus) -> None:  # type: ignore[no-untyped-def]
    assert corpus["result"].returncode == 0, corpus["result"].stderr[-3000:]
    acetools.skip_unless_available()
    found = corpus["ace"].violations()
    assert not found, f"{corpus['name']}: {len(found)} Ace violations:\n" + "\n".join(found)
    print(f"{corpus['name']}: Ace 0 violations")


# -- static sites (Markdown folders): the same checks, one build per site ------------------------
#: The static sites among the corpora, by a short name: the folder given to ``init``.
STATIC_SITES = {"hugo-pyodide": "hugo-pyodide-blog"}


@pytest.fixture(scope="session", params=sorted(STATIC_SITES))
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    name = request.param
    folder_in = CORPORA / STATIC_SITES[name]
    if not folder_in.is_dir():
        pytest.skip(f"corpus {STATIC_SITES[name]} is not in {CORPORA}")
    folder = tmp_path_factory.mktemp(name)
    made = run_compiler("init", str(folder_in), "--dir", str(folder), cwd=folder)
    assert made.returncode == 0, made.stderr
    built = run_compiler("book.yaml", "--epubcheck", cwd=folder, timeout=600)
    epub = next((folder / "out").glob("*.epub"), None)
    ace = acetools.start(epub, folder / "ace") if epub is not None and not acetools.missing() else None
    yield {"name": name, "source": folder_in, "folder": folder, "result": built, "manifest": made,
           "pdf": next((folder / "out").glob("*.pdf"), None), "epub": epub, "ace": ace}
    if ace is not None:
        ace.stop()


def test_static_site_init_then_build_exits_0_with_epubcheck_clean(site) -> None:  # type: ignore[no-untyped-def]
    assert site["result"].returncode == 0, site["result"].stderr[-3000:]
    manifest = (site["folder"] / "book.yaml").read_text()
    assert 'title: "Pyodide blog"' in manifest and 'authors: ["Pyodide team"]' in manifest
    assert "hugo-pyodide-blog" in manifest  # the folder, named as an external source


def test_static_site_every_post_is_in_the_book_with_its_sentences(site) -> None:  # type: ignore[no-untyped-def]
    from compiler.ingest import read_source

    assert site["result"].returncode == 0, site["result"].stderr[-3000:]
    source = read_source(site["source"])
    posts = list((site["source"] / "content" / "posts").glob("*.md")) + \
        list((site["source"] / "content" / "posts").glob("*/index.md"))
    assert len(source.copies) + len(source.left_out) == len(posts) == 22
    reading, drawn = _pdf_texts(site["pdf"])
    epub_text = _letters(_epub_text(site["epub"]))
    failing = []
    for copy in source.copies:
        assert _letters(squash(typo(copy.title))) in epub_text, copy.title
        found = [s for p in typeset_paragraphs(copy.content) for s in _sentences(p)]
        in_pdf = sum(_letters(s) in reading or _letters(s) in drawn for s in found) / max(1, len(found))
        in_epub = sum(_letters(s) in epub_text for s in found) / max(1, len(found))
        if in_pdf < FOUND or in_epub < FOUND:
            failing.append((in_pdf, in_epub, copy.title))
    assert not failing, failing[:5]


def test_static_site_missing_images_warn_and_show_their_alt_text(site) -> None:  # type: ignore[no-untyped-def]
    stderr = site["result"].stderr
    warned = [line for line in stderr.splitlines() if " W161 " in line]
    assert any("pyodide-react-pandas-matplotlib-scikit.md" in w and "'Filter Columns'" in w for w in warned), stderr
    assert any("pandastutor.md" in w and "pandastutor-wiki.png" in w for w in warned)
    assert not any("download_size_evolution.webp" in w for w in warned)  # in static/posts/0.23-release/
    assert not any("font.gif" in w for w in warned)  # in the page bundle
    epub_text = _epub_text(site["epub"])
    assert "Image not available Filter Columns" in " ".join(epub_text.split())
    assert "Image not available Plotting Script Error" in " ".join(epub_text.split())


def test_static_site_ace_finds_no_violation(site) -> None:  # type: ignore[no-untyped-def]
    assert site["result"].returncode == 0, site["result"].stderr[-3000:]
    acetools.skip_unless_available()
    found = site["ace"].violations()
    assert not found, f"{site['name']}: {len(found)} Ace violations:\n" + "\n".join(found)
