"""Redaction and the leak scan against the corpus in tests/redaction/cases.yaml, and the fold under them.

Every case is built into a small book twice, as PDF+EPUB and EPUB-only, in
this process (one shared in-process layout pool): the ``redacted`` cases all
together in one book of each kind, each ``refused`` case on its own. After
every build the whole output folder is searched for the name, independently
of the compiler's scan: the raw bytes of every file, the text and strings and
decompressed streams of every PDF (pdftotext too), and the text, attributes
and decoded URLs of every EPUB member, folded with :func:`compiler.fold.fold`
and with everything but letters removed.
"""

from __future__ import annotations

import html
import io
import re
import shutil
import subprocess
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pikepdf
import pytest
import weasyprint
import yaml

from compiler.errors import CompilerError, Exit
from compiler.fold import fold, fold_char, fold_mapped, occurrences
from compiler.leaks import scan_files
from compiler.model import Redaction
from compiler.redact import redact_id, redact_text

from conftest import ROOT

NAME = "natasha"
R = (Redaction("Natasha", "N."),)
CASES: list[dict[str, Any]] = yaml.safe_load((Path(__file__).parent / "redaction" / "cases.yaml").read_text())
FIELDS = {"book-title": "title", "book-subtitle": "subtitle", "author": "authors", "description": "description"}
FORMATS = {"pdf+epub": "[pdf, epub]", "epub": "[epub]"}
SECOND = "Second chapter post"


# -- the corpus ----------------------------------------------------------------------------------
def test_corpus_is_well_formed() -> None:
    ids = [c["id"] for c in CASES]
    assert len(ids) == len(set(ids)) >= 40
    singular = Counter(c["where"] for c in CASES if c["expect"] == "redacted" and c["where"] not in
                       ("body", "title", "tag", "foreword", "link"))
    assert all(n == 1 for n in singular.values()), singular
    assert {c["expect"] for c in CASES} == {"redacted", "refused"}
    classes = {c["class"] for c in CASES}
    assert {"confusable", "compatibility", "case", "marks", "ignorable", "glued", "hyphen", "spacing",
            "markup", "entity", "url"} <= classes


def _words(seed: str) -> str:
    """A few words that differ from case to case (so that dedup merges no two posts)."""
    pool = ("amber birch cedar delta ember fjord grove harbor island juniper kettle lantern meadow "
            "orchard pebble quartz river saddle timber umber valley willow yarrow zephyr").split()
    n = sum(map(ord, seed))
    return " ".join(pool[(n * (i + 3) + i * i) % len(pool)] for i in range(12))


def _page(tag: str, posts: list[tuple[str, str]]) -> str:
    body = "".join(f"{title}\n\n{text}\n\nLeave a comment »\n\n" for title, text in posts)
    return f"Posts tagged {tag}\n\n{body}"


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def make_project(folder: Path, cases: list[dict[str, Any]], formats: str) -> Path:
    """A small book (foreword, two chapters) holding ``cases``."""
    (folder / "sources").mkdir(parents=True)
    (folder / "chapters").mkdir()
    shutil.copytree(ROOT / "styles", folder / "styles")
    where: dict[str, list[dict[str, Any]]] = {}
    for case in cases:
        where.setdefault(case["where"], []).append(case)
    body = [f"Case {c['id']}: {c['text']} end." for c in where.get("body", [])] or ["No case in the text."]
    posts = [("Body cases", "\n\n".join(body))]
    posts += [(c["text"], f"Post of case {c['id']}: {_words(c['id'])}.") for c in where.get("title", [])]
    (folder / "sources" / "cases.txt").write_text(_page("Cases", posts))
    for n, c in enumerate(where.get("tag", [])):
        (folder / "sources" / f"tag-{n}.txt").write_text(
            _page(c["text"], [(f"Post with a tag, case {c['id']}", f"Post of case {c['id']}: {_words(c['id'])}.")]))
    (folder / "sources" / "second.txt").write_text(_page("Second", [(SECOND, "Another text entirely, of words.")]))
    foreword = [f"Case {c['id']}: {c['text']} end." for c in where.get("foreword", [])]
    foreword += [f"Case {c['id']}: [a link]({c['text']}) end." for c in where.get("link", [])]
    (folder / "chapters" / "foreword.md").write_text("\n\n".join(foreword or ["A short foreword."]) + "\n")
    book = {"title": "Cases", "subtitle": "", "authors": "Tester", "description": ""}
    for key, field in FIELDS.items():
        for c in where.get(key, []):
            book[field] = c["text"]
    chapter = next((c["text"] for c in where.get("chapter-title", [])), "Cases")
    lines = [f"  {field}: {_quote(value)}" if field != "authors" else f"  authors: [{_quote(value)}]"
             for field, value in book.items() if value]
    (folder / "book.yaml").write_text("book:\n" + "\n".join(lines) + f"""
  date: 2026-01-01
sources: [sources/*.txt]
front_matter:
  - kind: foreword
    file: chapters/foreword.md
chapters:
  - id: cases
    title: {_quote(chapter)}
    rule: {{title_matches: "^(?!{SECOND})"}}
  - id: second
    title: Second
    posts: [second-chapter-post]
output:
  formats: {formats}
redactions:
  - term: Natasha
    replacement: N.
""")
    return folder


@pytest.fixture(scope="module")
def pool() -> Any:
    from compiler.pdf.pool import InProcess

    return InProcess()


def build(project: Path, pool: Any) -> int:
    """Build in this process; the exit code."""
    from compiler import build as build_module

    try:
        build_module.build(project / "book.yaml", build_module.BuildOptions(quiet=True), pool)
    except CompilerError as error:
        assert "atasha" not in str(error).casefold()  # a message about a leak never shows it
        return int(error.exit_code)
    return 0


# -- an independent search of everything under out/ ------------------------------------------------
def _squeeze(text: str) -> str:
    """Folded, with everything but the letters a-z removed (spacing, hyphens, punctuation...)."""
    return re.sub(r"[^a-z]+", "", fold(text))


def _pdf_texts(path: Path, data: bytes) -> list[str]:
    texts = [subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=False).stdout.decode(
        "utf-8", "replace")]
    with pikepdf.open(io.BytesIO(data)) as pdf:
        texts += [str(v) for v in pdf.docinfo.values()]
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Stream):
                try:
                    texts.append(obj.read_bytes().decode("latin-1"))
                except pikepdf.PdfError:
                    pass
            if isinstance(obj, (pikepdf.Dictionary, pikepdf.Stream)):
                items = obj.stream_dict.items() if isinstance(obj, pikepdf.Stream) else obj.items()
                texts += [str(v) for _k, v in items if isinstance(v, pikepdf.String)]
                texts += [str(v.get("/URI", "")) for _k, v in items if isinstance(v, pikepdf.Dictionary)]
            elif isinstance(obj, pikepdf.String):
                texts.append(str(obj))
    return texts


def _markup_texts(text: str) -> list[str]:
    attributes = [unquote(unquote(html.unescape(v))) for v in re.findall(r"=\s*[\"']([^\"']*)", text)]
    return [html.unescape(re.sub(r"<[^>]*>", "", text)), " ".join(attributes), unquote(unquote(text))]


def holds_name(out: Path) -> list[str]:
    """Every file (and part of it) under ``out`` where the name can be read."""
    found = []
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        data = path.read_bytes()
        texts = [path.name, data.decode("utf-8", "replace"), data.decode("latin-1"),
                 data.decode("utf-16-be", "replace"), data.decode("utf-16-le", "replace")]
        if data.startswith(b"%PDF"):
            texts += _pdf_texts(path, data)
        elif data.startswith(b"PK"):
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                for member in archive.namelist():
                    content = archive.read(member).decode("utf-8", "replace")
                    texts += [member, *_markup_texts(content)]
        else:
            texts += _markup_texts(data.decode("utf-8", "replace"))
        if any(NAME in _squeeze(t) for t in texts):
            found.append(str(path.relative_to(out)))
    return found


# -- the builds ----------------------------------------------------------------------------------
REDACTED = [c for c in CASES if c["expect"] == "redacted" and not c.get("blocked")]
REFUSED = [c for c in CASES if c["expect"] == "refused" and not c.get("blocked")]
BLOCKED = [pytest.param(c, marks=pytest.mark.xfail(strict=True, reason=c["blocked"]), id=c["id"])
           for c in CASES if c.get("blocked")]


@pytest.fixture(scope="module", params=list(FORMATS))
def redacted_book(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
                  pool: Any) -> dict[str, Any]:
    """Every ``redacted`` case in one book, built (once per kind of book)."""
    project = make_project(tmp_path_factory.mktemp("redacted"), REDACTED, FORMATS[request.param])
    code = build(project, pool)
    out = project / "out"
    epub = zipfile.ZipFile(out / "book.epub")
    texts = [t for m in epub.namelist() for t in _markup_texts(epub.read(m).decode("utf-8", "replace"))]
    return {"code": code, "out": out, "kind": request.param, "text": fold(" ".join(texts)),
            "report": fold((out / "report.json").read_text())}


def test_redacted_cases_build_with_the_name_nowhere(redacted_book: dict[str, Any]) -> None:
    assert redacted_book["code"] == 0
    out = redacted_book["out"]
    assert (out / "book.pdf").exists() == (redacted_book["kind"] == "pdf+epub")
    assert holds_name(out) == []


@pytest.mark.parametrize("case", REDACTED, ids=[c["id"] for c in REDACTED])
def test_redacted_case_is_replaced(redacted_book: dict[str, Any], case: dict[str, Any]) -> None:
    """The case reached the book, with the replacement where the name was."""
    assert redacted_book["code"] == 0
    if case["where"] in ("body", "foreword", "link"):
        marker = re.escape(fold(f"Case {case['id']}:"))
        assert re.search(marker + r".{0,60}n\.", redacted_book["text"], re.S), case["id"]
    elif case["where"] == "tag":
        assert fold(redact_text(case["text"], R)) in redacted_book["report"]
    else:
        expected = fold(redact_text(case["text"], R))
        assert "n." in expected and expected in redacted_book["text"], (case["id"], expected)


@pytest.mark.parametrize("kind", list(FORMATS))
@pytest.mark.parametrize("case", REFUSED, ids=[c["id"] for c in REFUSED])
def test_refused_case_stops_the_build_and_leaves_nothing(tmp_path: Path, pool: Any, case: dict[str, Any],
                                                         kind: str) -> None:
    project = make_project(tmp_path, [case], FORMATS[kind])
    assert build(project, pool) == Exit.LEAK
    out = project / "out"
    assert not (out / ".cache").exists()
    assert holds_name(out) == []


@pytest.mark.parametrize("case", BLOCKED)
def test_blocked_case(tmp_path: Path, pool: Any, case: dict[str, Any]) -> None:
    """A case that needs a fix outside redaction: it must fail until then (and hold after)."""
    project = make_project(tmp_path, [case], FORMATS["epub"])
    code = build(project, pool)
    assert holds_name(project / "out") == []
    assert code == (0 if case["expect"] == "redacted" else Exit.LEAK)
