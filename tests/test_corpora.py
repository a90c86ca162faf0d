"""Real blogs: each WordPress export in the shared corpora, from ``init`` to a checked PDF and EPUB.

One build per corpus (a session fixture: ``init`` into a temporary folder, then
``python -m compiler book.yaml --epubcheck``, whose exit code is 4 on any
EPUBCheck error or warning); every test reads that build. DAISY Ace starts on
the EPUB as soon as it is built (acetools.py), in the background, and its test
waits for it. The exports are
read where they are, never copied into the project; the tests skip, saying
so, when the corpora are absent.
"""

from __future__ import annotations

import re
import subprocess
import time
import zipfile
from pathlib import Path

import acetools
import pytest
from lxml import etree

from compiler.ingest.wxr import read_wxr
from compiler.model.nodes import paragraphs
from compiler.render import typo

from conftest import CORPORA, WXR_EXPORTS, run_compiler, squash
from pdftools import body_text, labels

EXPORTS = WXR_EXPORTS
#: Share of each post's sentences that must be found in each edition.
FOUND = 0.97
_SENTENCE = re.compile(r"(?<=[.!?…。！？])[”’\"')」』]*\s*(?=\S)")

pytestmark = pytest.mark.corpus


def _export(name: str) -> Path:
    path = CORPORA / EXPORTS[name]
    if not path.is_file():
        pytest.skip(f"corpus {EXPORTS[name]} is not in {CORPORA}")
    return path


@pytest.fixture(scope="session", params=sorted(EXPORTS))
def corpus(request: pytest.FixtureRequest,  # type: ignore[no-untyped-def]
           tmp_path_factory: pytest.TempPathFactory):
    name = request.param
    export = _export(name)
    folder = tmp_path_factory.mktemp(name)
    made = run_compiler("init", str(export), "--dir", str(folder), cwd=folder)
    assert made.returncode == 0, made.stderr
    start = time.perf_counter()
    built = run_compiler("book.yaml", "--epubcheck", cwd=folder, timeout=600)
    seconds = time.perf_counter() - start
    pdf = next((folder / "out").glob("*.pdf"), None)
    epub = next((folder / "out").glob("*.epub"), None)
    ace = acetools.start(epub, folder / "ace") if epub is not None and not acetools.missing() else None
    yield {"name": name, "export": export, "folder": folder, "result": built, "seconds": seconds,
           "pdf": pdf, "epub": epub, "ace": ace}
    if ace is not None:
        ace.stop()


def _letters(text: str) -> str:
    return re.sub(r"[\s\u00a0\u2010\u00ad-]+", "", text)


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(squash(typo(text))) if len(_letters(s)) >= 2]


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
    export = read_wxr(corpus["export"])
    reading, drawn = _pdf_texts(corpus["pdf"])
    epub_text = _letters(_epub_text(corpus["epub"]))
    assert export.posts, "the export holds published posts"
    worst: list[tuple[float, float, int, str]] = []
    for entry in export.posts:
        title = entry.title.strip() or "Untitled"
        assert _letters(squash(typo(title))) in epub_text, title
        found = [s for p in paragraphs(entry.content) for s in _sentences(p)]
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
    export = read_wxr(corpus["export"])
    if not export.left_out:
        pytest.skip("this export leaves nothing out")
    assert "left out" in corpus["result"].stderr


def test_ace_finds_no_violation(corpus) -> None:  # type: ignore[no-untyped-def]
    assert corpus["result"].returncode == 0, corpus["result"].stderr[-3000:]
    acetools.skip_unless_available()
    found = corpus["ace"].violations()
    assert not found, f"{corpus['name']}: {len(found)} Ace violations:\n" + "\n".join(found)
    print(f"{corpus['name']}: Ace 0 violations")
