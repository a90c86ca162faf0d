"""Nothing leaks, nothing is lost: redaction, leak scan, hostile input, limits, atomic writes."""

from __future__ import annotations

import hashlib
import io
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pikepdf
import pytest
import weasyprint

from compiler.leaks import scan_files
from compiler.model import Redaction

from compiler.trace import Event, events
from conftest import ROOT, copy_project, run_compiler, squash

CANARY = "Zyxandra Qelbrook"
CANARY_REDACTION = (Redaction(CANARY, "Z. Q."),)

HOSTILE = {  # name: (title, paragraph) -- each must show as text and nothing else
    "html-tags": ("Raw <b>HTML</b> tags", "Some <b>bold</b> and <i>italic</i> text."),
    "script": ("Script", "Before <script>alert('pwned')</script> after."),
    "img-file": ("Image", 'Look: <img src="file:///etc/passwd" alt="passwd"> here.'),
    "link-attachment": ("Attachment", 'A <link rel="attachment" href="file:///etc/passwd"> link.'),
    "css-url": ("CSS", '<style>body { background: url(file:///etc/passwd) }</style> and '
                       '<p style="background:url(http://example.com/x.png)">styled</p>'),
    "css-import": ("Import", '@import url("http://example.com/x.css"); is just text.'),
    "javascript-link": ("Link", 'Please <a href="javascript:alert(1)">click here</a> now.'),
    "svg-onload": ("SVG", '<svg onload="alert(1)"><image href="file:///etc/passwd"/></svg> is text.'),
    "iframe": ("Frame", '<iframe src="http://example.com/"></iframe> is text.'),
    "meta-refresh": ("Meta", '<meta http-equiv="refresh" content="0;url=http://example.com/"> text.'),
    "data-uri": ("Data", '<img src="data:image/png;base64,iVBORw0KGgo="> is text.'),
    "jinja": ("Template {{ 7*7 }}", "Not evaluated: {{ 7*7 }} {% raw %} {# comment #}."),
    "entities": ("Entities &amp; more", "Literal &amp; &lt;script&gt; &#x41; stay as typed."),
    "zero-width": ("Zero width", "Zero\u200bwidth\u200c joiners\u200d and\ufeff marks vanish."),
    "bidi": ("Bidi", "An \u202eevil\u202c override and \u2066isolates\u2069 are dropped."),
    "long-line": ("Long line", "W" * 10_000),
    "long-words": ("Long text", " ".join(["word"] * 2_000) + "."),
}


def _page(tag: str, posts: list[tuple[str, str]]) -> str:
    body = "".join(f"{title}\n\n{text}\n\nLeave a comment »\n\n" for title, text in posts)
    return f"Posts tagged {tag}\n\n{body}"


def _manifest(redactions: str = "") -> str:
    return f"""book:
  title: Hostile
  authors: [Tester]
  date: 2026-01-01
sources: [sources/*.txt]
chapters:
  - id: all
    title: All
    intro: chapters/intro.md
    rule: {{title_matches: "."}}
output:
  formats: [pdf, epub]
{redactions}"""


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """A book of every hostile post plus a canary name, built (and laid out) in this process with
    a fetcher spy."""
    project = tmp_path_factory.mktemp("hostile")
    (project / "sources").mkdir()
    (project / "chapters").mkdir()
    shutil.copytree(ROOT / "styles", project / "styles")
    (project / "chapters" / "intro.md").write_text(
        "Markdown <script>alert(1)</script> and <iframe src=x></iframe> stay text.\n")
    (project / "sources" / "hostile.txt").write_text(_page("Hostile", list(HOSTILE.values())))
    canary_posts = [
        (f"The Story of {CANARY}", f"{CANARY} spoke. {CANARY.upper()}’s friends and Zýxandra Qélbrook’s "
                                   f"family agreed; {CANARY.replace(' ', '-')} too."),
    ]
    (project / "sources" / "canary.txt").write_text(_page(CANARY, canary_posts))
    (project / "book.yaml").write_text(_manifest(
        f"redactions:\n  - term: {CANARY}\n    replacement: Z. Q.\n"))
    fetched: list[str] = []
    from compiler import build as build_module, urls
    from compiler.pdf.pool import InProcess

    original = urls.ProjectFetcher.__init__

    def spy_init(self, root, on_fetch=None):  # type: ignore[no-untyped-def]
        original(self, root, on_fetch=fetched.append)

    urls.ProjectFetcher.__init__ = spy_init  # type: ignore[method-assign]
    try:
        build_module.build(project / "book.yaml", build_module.BuildOptions(quiet=True), InProcess())
    finally:
        urls.ProjectFetcher.__init__ = original  # type: ignore[method-assign]
    out = project / "out"
    return {"project": project, "pdf": out / "book.pdf", "epub": out / "book.epub",
            "report": out / "report.json", "fetched": fetched}


def _epub_texts(epub: Path) -> dict[str, str]:
    with zipfile.ZipFile(epub) as z:
        return {n: z.read(n).decode("utf-8", "replace") for n in z.namelist()}


def _pdf_text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def test_fetcher_spy_reads_nothing_outside_the_project(hostile) -> None:  # type: ignore[no-untyped-def]
    project = Path(hostile["project"]).resolve().as_uri()  # type: ignore[arg-type]
    assert hostile["fetched"], "the spy saw no fetch at all (fonts should be fetched)"
    for url in hostile["fetched"]:  # type: ignore[attr-defined]
        assert url.startswith((project + "/", "data:")), url


def test_fetcher_refuses_outside_files_and_network(tmp_path: Path) -> None:
    from weasyprint.urls import FatalURLFetchingError

    from compiler.urls import ProjectFetcher

    fetcher = ProjectFetcher(tmp_path)
    (tmp_path / "ok.css").write_text("p {}")
    assert fetcher.fetch((tmp_path / "ok.css").as_uri()).read() == b"p {}"
    for url in ("file:///etc/passwd", "http://example.com/", "https://example.com/x.css", "ftp://x/y",
                (tmp_path / ".." / "escape.css").as_uri()):
        with pytest.raises(FatalURLFetchingError):
            fetcher.fetch(url)


def test_hostile_markup_shows_as_text_in_the_epub(hostile) -> None:  # type: ignore[no-untyped-def]
    from lxml import etree

    texts = _epub_texts(Path(hostile["epub"]))  # type: ignore[arg-type]
    chapter = texts["EPUB/text/all.xhtml"]
    root = etree.fromstring(chapter.encode()).find("{http://www.w3.org/1999/xhtml}body")
    tags = {el.tag.split("}")[-1] for el in root.iter() if isinstance(el.tag, str)}
    assert not tags & {"script", "img", "iframe", "style", "svg", "image", "meta", "object", "embed"}, tags
    assert "link" not in tags
    for el in root.iter():
        if isinstance(el.tag, str):
            assert not any(name.startswith("on") for name in el.attrib), el.attrib
            assert "javascript:" not in el.get("href", "")
    visible = "".join(root.itertext())
    for name, (title, text) in HOSTILE.items():
        if name in ("zero-width", "bidi", "long-line", "long-words"):
            continue
        assert text in visible, name
        assert squash(title) in squash(visible), name  # (a title's last two words are tied)
    assert "Markdown <script>alert(1)</script> and <iframe src=x></iframe> stay text." in visible


def test_invisible_controls_are_dropped_and_words_kept(hostile) -> None:  # type: ignore[no-untyped-def]
    epub = "".join(text for name, text in _epub_texts(Path(hostile["epub"])).items()  # type: ignore[arg-type]
                   if name.endswith((".xhtml", ".opf", ".ncx")))
    pdf = _pdf_text(Path(hostile["pdf"]))  # type: ignore[arg-type]
    for text in (epub, pdf):
        assert not re.search("[\u200b-\u200d\u202a-\u202e\u2066-\u2069]", text)
    assert "Zerowidth joiners and marks vanish." in epub
    assert "An evil override and isolates are dropped." in epub


def test_hostile_markup_shows_as_text_in_the_pdf(hostile) -> None:  # type: ignore[no-untyped-def]
    text = re.sub(r"\s+", " ", _pdf_text(Path(hostile["pdf"])))  # type: ignore[arg-type]
    assert "<script>alert('pwned')</script>" in text
    assert 'href="javascript:alert(1)"' in text
    assert "{{ 7*7 }}" in text and "&amp;" in text
    assert text.count("W") >= 10_000
    with pikepdf.open(hostile["pdf"]) as pdf:
        assert "/EmbeddedFiles" not in pdf.Root.get("/Names", {})
        assert "/OpenAction" not in pdf.Root and "/AA" not in pdf.Root
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Dictionary):
                assert obj.get("/S") != "/JavaScript"
                action = obj.get("/A")
                if isinstance(action, pikepdf.Dictionary):
                    assert "/URI" not in action, action


def test_hostile_build_logs_no_warnings(hostile) -> None:  # type: ignore[no-untyped-def]
    import json

    report = json.loads(Path(hostile["report"]).read_text())  # type: ignore[arg-type]
    assert report["warnings"] == []


def test_canary_is_found_nowhere(hostile) -> None:  # type: ignore[no-untyped-def]
    outputs = [Path(hostile[k]) for k in ("pdf", "epub", "report")]  # type: ignore[arg-type]
    files = {p.name: p.read_bytes() for p in outputs}
    assert scan_files(files, CANARY_REDACTION) == []
    # Independently of the scanner: no trace of either name in any byte or text we can get out.
    needles = ("zyxandra", "qelbrook", "zýxandra", "qélbrook")
    pdf_text = _pdf_text(outputs[0]).casefold()
    assert not any(n in pdf_text for n in needles)
    with pikepdf.open(outputs[0]) as pdf:
        for obj in pdf.objects:
            raw = obj.read_bytes() if isinstance(obj, pikepdf.Stream) else str(obj).encode()
            assert not any(n.encode() in raw.lower() for n in needles[:2])
    for name, text in _epub_texts(outputs[1]).items():
        assert not any(n in name.casefold() or n in text.casefold() for n in needles), name
    assert not any(n in outputs[2].read_text().casefold() for n in needles)
    assert "Z. Q." in pdf_text.upper() or "z. q." in pdf_text


def test_shipped_book_redaction_passes_the_scan(built) -> None:  # type: ignore[no-untyped-def]
    files = {p.name: p.read_bytes() for p in built["out"].iterdir() if p.is_file()}
    assert scan_files(files, (Redaction("Natasha", "N."),)) == []
    assert "One name in this book has been changed" in _pdf_text(built["pdf"])


def _pdf(html: str) -> bytes:
    return weasyprint.HTML(string=html).write_pdf()


@pytest.mark.parametrize("place, html, where", [
    ("page text", f"<p>{CANARY}</p>", "text of page 1"),
    ("outline", f"<h1 style=\"bookmark-label: '{CANARY}'\">Chapter</h1>", "outline"),
    ("metadata", f"<title>{CANARY}</title><p>Nothing here.</p>", "document info"),
    ("named destination", "<p id='zyxandra-qelbrook'>x</p><a href='#zyxandra-qelbrook'>y</a>",
     "named destinations"),
])
def test_scan_catches_planted_pdf_leak(place: str, html: str, where: str) -> None:
    leaks = scan_files({"book.pdf": _pdf(html)}, CANARY_REDACTION)
    assert any(leak.where == where for leak in leaks), (place, leaks)


def test_scan_catches_planted_epub_member_name() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("mimetype", "application/epub+zip")
        z.writestr("EPUB/text/zyxandra-qelbrook.xhtml", "<html/>")
    leaks = scan_files({"book.epub": buffer.getvalue()}, CANARY_REDACTION)
    assert [leak.where for leak in leaks] == ["member name EPUB/text/zyxandra-qelbrook.xhtml"]


def test_scan_catches_escaped_and_decomposed_text() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("EPUB/a.xhtml", "<p>Zy&#x78;andra Qe\u0301lbrook</p>")
    assert scan_files({"book.epub": buffer.getvalue()}, CANARY_REDACTION)
    assert scan_files({"report.json": "ZYXANDRA\n  QELBROOK".encode()}, CANARY_REDACTION)
    assert scan_files({"report.json": "Z Y X A N D R A  Q E L B R O O K".encode()}, CANARY_REDACTION)
    assert not scan_files({"report.json": b"Zyxandrak Qelbrooks"}, CANARY_REDACTION)


def test_leak_aborts_build_with_exit_3_and_keeps_previous_outputs(tmp_path: Path) -> None:
    project = copy_project(tmp_path)
    first = run_compiler("book.yaml", "--format", "epub", cwd=project)
    assert first.returncode == 0, first.stderr
    before = {p.name: p.read_bytes() for p in (project / "out").iterdir() if p.is_file()}
    # A redaction the model cannot apply to the cover image: the font's own name is in the EPUB.
    manifest = project / "book.yaml"
    manifest.write_text(manifest.read_text() + "  - term: Garamond\n    replacement: G.\n")
    result = run_compiler("book.yaml", "--format", "epub", cwd=project)
    assert result.returncode == 3, result.stderr
    assert "E301" in result.stderr and "Garamond" not in result.stderr
    assert {p.name: p.read_bytes() for p in (project / "out").iterdir() if p.is_file()} == before


@pytest.mark.parametrize("content, code", [
    (b"Posts tagged X\n\nTitle\x00\n\nText.\n\nLeave a comment\n", "E103"),
    (b"Posts tagged X\n\nTitle\n\nBad \x81 byte.\n\nLeave a comment\n", "E104"),
])
def test_broken_bytes_fail_cleanly(tmp_path: Path, content: bytes, code: str) -> None:
    (tmp_path / "page.txt").write_bytes(content)
    result = run_compiler("posts", "page.txt", cwd=tmp_path)
    assert result.returncode == 2 and code in result.stderr and "Traceback" not in result.stderr


def test_50_mb_page_is_refused_before_reading(tmp_path: Path) -> None:
    page = tmp_path / "huge.txt"
    with page.open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)
    result = run_compiler("posts", "huge.txt", cwd=tmp_path)
    assert result.returncode == 2 and "E101" in result.stderr and "huge.txt" in result.stderr


def test_time_and_memory_limits_fail_cleanly(tmp_path: Path) -> None:
    project = copy_project(tmp_path)
    slow = run_compiler("book.yaml", "--timeout", "0.3", cwd=project)
    assert slow.returncode == 4 and "E402" in slow.stderr and "Traceback" not in slow.stderr
    big = run_compiler("book.yaml", "--memory-limit", "100", cwd=project)
    assert big.returncode == 4 and "E403" in big.stderr and "Traceback" not in big.stderr
    assert not (project / "out").exists() or not list((project / "out").iterdir())


CRASHING_LAYOUT = """
import os, sys
import compiler.pdf.layout

def abort(*args, **kwargs):
    os.abort()  # what GLib does when Pango's allocation is refused

compiler.pdf.layout.render_html = abort  # in the workers too: spawn runs this file as __mp_main__

if __name__ == "__main__":
    from compiler.cli import main
    raise SystemExit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("mode", [[], ["--jobs", "1"], ["--one-document"]])
def test_a_layout_that_kills_its_process_fails_the_build_cleanly(tmp_path: Path, mode: list[str]) -> None:
    """C libraries abort the process on a refused allocation. Layout runs in a worker process in
    every mode, so the build survives that and says so in one line (E407, exit 4), writing nothing."""
    project = copy_project(tmp_path / "p")
    (tmp_path / "crash.py").write_text(CRASHING_LAYOUT, encoding="utf-8")
    result = subprocess.run([sys.executable, str(tmp_path / "crash.py"), "book.yaml", "--quiet", *mode],
                            cwd=project, capture_output=True, text=True, timeout=300)
    assert result.returncode == 4, result.stderr
    assert result.stderr.strip().splitlines() == [result.stderr.strip()] and "E407" in result.stderr
    assert not (project / "out").exists() or not [p for p in (project / "out").iterdir() if p.is_file()]


LIMIT_PROBE = """
import math, sys
from pathlib import Path
from compiler.errors import CompilerError
from compiler.limits import guarded, limited

def fail():
    raise ValueError("field 'target' is required for AnnAssign")

status = Path("/proc/self/status").read_text().splitlines()
peak = next(int(line.split()[1]) for line in status if line.startswith("VmPeak:")) * 1024
near = math.ceil(peak / 0.95 / 2**20)  # a limit this process has come near to, with room to go on
for memory_mb in (near, 0):
    try:
        with limited(0, memory_mb):
            guarded(fail)
    except CompilerError as exc:
        print(memory_mb, exc.diagnostics[0].code)
    except Exception as exc:
        print(memory_mb, type(exc).__name__)
"""


def test_an_error_at_the_memory_limit_is_reported_as_the_limit() -> None:
    """Out of address space, C code (Python's own compiler among it) raises anything but
    MemoryError; under a limit the process has reached, that is E403. Without a limit, the
    same error stays what it is (an internal error)."""
    result = subprocess.run([sys.executable, "-c", LIMIT_PROBE], capture_output=True, text=True, timeout=60)
    assert [line.split()[1] for line in result.stdout.splitlines()] == ["E403", "ValueError"], \
        result.stdout + result.stderr


IMPORT_SPY = """
import contextlib, sys
import compiler.build as build_module
from compiler.cli import main

inner = build_module.limited

@contextlib.contextmanager
def spy(*args, **kwargs):
    before = set(sys.modules)
    with inner(*args, **kwargs):
        yield
    print("imported under the limit:", sorted(set(sys.modules) - before), file=sys.stderr)

if __name__ == "__main__":
    build_module.limited = spy
    raise SystemExit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("mode", [[], ["--jobs", "1"], ["--one-document"]])
def test_nothing_is_imported_under_the_memory_limit(tmp_path: Path, mode: list[str]) -> None:
    """Importing a module compiles it when no bytecode is cached (a clean clone), and Python's
    compiler reports a refused allocation as anything but MemoryError: every import happens
    before the limit applies, so a tight limit is reported as E403, never as an internal error."""
    project = copy_project(tmp_path / "p")
    (tmp_path / "spy.py").write_text(IMPORT_SPY, encoding="utf-8")
    result = subprocess.run([sys.executable, str(tmp_path / "spy.py"), "book.yaml", "--no-cache", *mode],
                            cwd=project, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "imported under the limit: []" in result.stderr, result.stderr


WORKER_SPY = """
import os, pickle, sys
from compiler.pdf.pool import worker_init

worker_init(0, os.getppid())
before = set(sys.modules)
jobs = pickle.loads(open(sys.argv[1], "rb").read())
from compiler.pdf.parts import lay_out_part
from compiler.leaks import scan_files
from compiler.model import Redaction
for job in jobs:
    scan_files({"part.pdf": lay_out_part(job).pdf}, (Redaction("canary", "[redacted]"),))
print(sorted(set(sys.modules) - before))
"""


def test_a_worker_imports_nothing_after_it_starts(tmp_path: Path) -> None:
    """What a worker runs (every part of the real book, and the leak scan) was imported before
    its memory limit applied."""
    import pickle

    from compiler.manifest import load_manifest
    from compiler.model.assemble import assemble
    from compiler.pdf.parts import PartJob, plan
    from compiler.redact import redact
    from compiler.render import Renderer

    book = assemble(load_manifest(ROOT / "book.yaml"), redact)
    renderer = Renderer(book, "test")
    laid = plan(book)
    jobs = [PartJob(renderer.print_html(part), book.root, book.output.style_dir, "A4", b"0" * 32)
            for part in (laid.front, *laid.groups)]
    (tmp_path / "jobs.pickle").write_bytes(pickle.dumps(jobs))
    (tmp_path / "spy.py").write_text(WORKER_SPY, encoding="utf-8")
    result = subprocess.run([sys.executable, str(tmp_path / "spy.py"), str(tmp_path / "jobs.pickle")],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]", result.stdout


def _digests(out: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in out.iterdir() if p.is_file()}


def test_killed_builds_leave_previous_outputs_intact(tmp_path: Path) -> None:
    project = copy_project(tmp_path)
    assert run_compiler("book.yaml", cwd=project).returncode == 0
    old = _digests(project / "out")
    manifest = project / "book.yaml"
    manifest.write_text(manifest.read_text().replace("Slavery Is Not Dead", "Slavery Is Not Dead Yet"))
    outcomes = []
    for stage in (Event("render-pdf-part", part="front"), Event("merge-pdf"), Event("render-epub"),
                  Event("write", part="slavery-is-not-dead.epub"), Event("write", part="(replace)")):
        process = subprocess.Popen([sys.executable, "-m", "compiler", "book.yaml"], cwd=project,
                                   env={**os.environ, "COMPILER_TRACE": "json"}, stderr=subprocess.PIPE, text=True)
        assert process.stderr is not None
        for line in process.stderr:
            if stage in events(line):
                process.send_signal(signal.SIGKILL)
                break
        process.wait(timeout=120)
        outcomes.append(process.returncode)
        assert _orphans(project) == [], stage  # the layout workers go with the build
        current = _digests(project / "out")
        leftovers = [p.name for p in (project / "out").iterdir() if p.name.endswith(".tmp")]
        for name, digest in current.items():
            if name.endswith(".tmp"):
                continue
            assert digest == old[name] or name in _new_names(), (stage, name)
        if process.returncode == -signal.SIGKILL and stage.part != "(replace)":
            assert {k: v for k, v in current.items() if not k.endswith(".tmp")} == old, stage
        if stage.stage == "write" and process.returncode == -signal.SIGKILL:
            assert leftovers, "a build killed while writing leaves its temporary files"
    assert outcomes.count(-signal.SIGKILL) >= 3, outcomes
    final = run_compiler("book.yaml", cwd=project)
    assert final.returncode == 0, final.stderr
    assert not [p for p in (project / "out").iterdir() if p.name.endswith(".tmp")]
    assert _digests(project / "out") != old


def _orphans(project: Path, wait_s: float = 10) -> list[int]:
    """Processes still running in the project folder (such as layout workers), after a short wait."""
    deadline = time.monotonic() + wait_s
    while True:
        found = []
        for proc in Path("/proc").iterdir():
            try:
                if proc.name.isdigit() and Path(os.readlink(proc / "cwd")) == project and \
                        (proc / "stat").read_text().split()[2] != "Z":
                    found.append(int(proc.name))
            except OSError:
                continue
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def _new_names() -> set[str]:
    return {"slavery-is-not-dead.pdf", "slavery-is-not-dead.epub", "report.json"}


def test_epubcheck_failure_stops_the_build_with_exit_4(tmp_path: Path) -> None:
    project = copy_project(tmp_path)
    (project / "out").mkdir()
    for name in ("slavery-is-not-dead.epub", "report.json"):  # what an earlier build left
        (project / "out" / name).write_bytes(f"an earlier {name}".encode())
    before = {p.name: p.read_bytes() for p in (project / "out").iterdir() if p.is_file()}
    template = project / "styles" / "templates" / "parts" / "titlepage.html"
    template.write_text(template.read_text().replace("</section>", '<p id="twice">a</p><p id="twice">b</p>\n</section>'))
    result = run_compiler("book.yaml", "--format", "epub", "--epubcheck", cwd=project)
    assert result.returncode == 4, result.stderr
    assert "E406 EPUBCheck error" in result.stderr and "Traceback" not in result.stderr
    assert {p.name: p.read_bytes() for p in (project / "out").iterdir() if p.is_file()} == before
