"""``python -m compiler serve``: the preview server, its safety, its rebuilds and its browser page.

One server runs for the whole module, on a warm copy of the shipped book, with one layout
worker; the tests run in file order (path safety, the browser, 50 rapid edits) and the last one
stops it with SIGINT and looks for leftover worker processes.
"""

from __future__ import annotations

import hashlib
import http.client
import io
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest

from conftest import built_copy, copy_project, run_compiler

CHROMIUM = Path("/usr/bin/chromium")
POST = "sources/001_f6a00d62272453a4.txt"
WORD = "horrible"


class Serving:
    def __init__(self, project: Path) -> None:
        self.project = project
        env = {**os.environ, "PYTHONPATH": os.environ.get("PYTHONPATH", "")}
        self.process = subprocess.Popen([sys.executable, "-m", "compiler", "serve", "book.yaml", "--port", "0",
                                         "--jobs", "1"], cwd=project, env=env, stderr=subprocess.PIPE, text=True)
        assert self.process.stderr is not None
        line = self.process.stderr.readline()
        match = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        assert match, line
        self.port = int(match.group(1))
        self.url = f"http://127.0.0.1:{self.port}/"
        self.workers: set[int] = set()
        # Drain what serve prints from here on: an unread pipe fills (64 KiB) after enough builds,
        # and serve then blocks on its next line, even the one it prints on Ctrl-C.
        self.lines: list[str] = []
        self.reader = threading.Thread(target=lambda: self.lines.extend(self.process.stderr or ()), daemon=True)
        self.reader.start()

    def get(self, path: str, host: str | None = None) -> tuple[int, bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        connection.putrequest("GET", path, skip_host=True, skip_accept_encoding=True)
        connection.putheader("Host", host or f"127.0.0.1:{self.port}")
        connection.endheaders()
        response = connection.getresponse()
        body = response.read()
        connection.close()
        return response.status, body

    def state(self) -> dict:
        status, body = self.get("/state")
        assert status == 200
        return json.loads(body)

    def wait(self, check, timeout: float = 120) -> dict:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            state = self.state()
            if check(state):
                return state
            time.sleep(0.1)
        raise AssertionError(f"timed out; last state: {json.dumps(state)[:400]}")

    def note_workers(self) -> set[int]:
        children = {c.pid for c in psutil.Process(self.process.pid).children(recursive=True)}
        self.workers |= children
        return children


class Events:
    """The server's event stream, read in a thread: every state it sends, in order."""

    def __init__(self, port: int) -> None:
        self.states: queue.Queue[dict] = queue.Queue()
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        self.connection.request("GET", "/events")
        response = self.connection.getresponse()
        threading.Thread(target=self._read, args=(response,), daemon=True).start()

    def _read(self, response: http.client.HTTPResponse) -> None:
        try:
            for line in response:
                if line.startswith(b"data: "):
                    self.states.put(json.loads(line[6:]))
        except (OSError, ValueError):
            return

    def until(self, check, timeout: float = 120) -> list[dict]:
        """The states sent until one passes ``check`` (that one last)."""
        seen: list[dict] = []
        end = time.monotonic() + timeout
        while not seen or not check(seen[-1]):
            seen.append(self.states.get(timeout=max(0.1, end - time.monotonic())))
        return seen

    def close(self) -> None:
        self.connection.close()


def _page_of(pdf: bytes, token: str) -> int:
    from pypdf import PdfReader

    found = [i for i, page in enumerate(PdfReader(io.BytesIO(pdf)).pages) if token in page.extract_text()]
    assert len(found) == 1, (token, found)
    return found[0]


def _edit(project: Path, token: str) -> None:
    path = project / POST
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"(?:horrible|Qxj\d+)", token, text, count=1)
    path.write_text(text, encoding="utf-8")


@pytest.fixture(scope="module")
def serving(built, tmp_path_factory):
    project = built_copy(built, tmp_path_factory.mktemp("serve") / "book")
    server = Serving(project)
    server.wait(lambda s: s["status"] == "ok")
    yield server
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGINT)
        server.process.wait(30)


def test_serves_the_book_and_its_pages(serving: Serving) -> None:
    state = serving.state()
    assert len(state["pages"]) > 20 and state["pages"][0]["label"] == "i"
    assert any(p["label"] == "1" for p in state["pages"])
    assert len(state["chapters"]) >= 3 and all(c["href"].startswith("/epub/") for c in state["chapters"])
    status, image = serving.get(state["pages"][0]["src"])
    assert status == 200 and image.startswith(b"\x89PNG")
    status, pdf = serving.get(state["pdf"])
    assert status == 200 and pdf.startswith(b"%PDF")
    status, chapter = serving.get(state["chapters"][1]["href"].split("#")[0])
    assert status == 200 and b"<html" in chapter
    status, page = serving.get("/")
    assert status == 200 and b"/assets/preview.js" in page


@pytest.mark.parametrize("path", [
    "/out/../book.yaml", "/out/%2e%2e/book.yaml", "/out/%2E%2E%2Fbook.yaml", "/out/..%2fbook.yaml",
    "/out//etc/passwd", "/out/%2fetc/passwd", "/assets/../serve.py", "/assets/%2e%2e/serve.py",
    "/out/.cache/build.json", "/out/link.yaml", "/out/linked/book.yaml", "/etc/passwd", "/book.yaml",
    "/sources/" + POST.split("/")[1], "/out/..\\book.yaml", "/epub/../book.yaml", "/page/../book.yaml",
    "/out/%00report.json", "http://127.0.0.1/out/../book.yaml",
])
def test_refuses_everything_outside_out(serving: Serving, path: str) -> None:
    out = serving.project / "out"
    for name, target in (("link.yaml", serving.project / "book.yaml"), ("linked", serving.project)):
        if not (out / name).is_symlink():
            (out / name).symlink_to(target)
    status, body = serving.get(path)
    assert status == 404, (path, body[:100])
    assert b"title:" not in body and b"root:" not in body


def test_serves_only_this_host(serving: Serving) -> None:
    assert serving.get("/state", host="evil.example:80")[0] == 403
    assert serving.get("/state", host=f"localhost:{serving.port}")[0] == 200
    listening = [c for c in psutil.Process(serving.process.pid).net_connections("inet") if c.status == "LISTEN"]
    assert listening and all(c.laddr.ip == "127.0.0.1" for c in listening)


def test_an_edit_shows_its_pages_before_the_build_is_over(serving: Serving) -> None:
    """The new PDF's pages are shown (state ``preview``) as soon as its parts are laid out, before
    they are joined and the EPUB is made; only the changed page is rendered, and the pages the
    finished build shows are those."""
    before = serving.state()
    events = Events(serving.port)
    try:
        events.until(lambda s: s["version"] >= before["version"])
        _edit(serving.project, "Qxj0")
        seen = events.until(lambda s: s["status"] == "ok" and s["build"] > before["build"])
    finally:
        events.close()
    final = seen[-1]
    previews = [s for s in seen if s["status"] == "preview"]
    assert len(previews) == 1, [s["status"] for s in seen]
    assert [(p["label"], p["hash"]) for p in previews[0]["pages"]] == [(p["label"], p["hash"]) for p in final["pages"]]
    assert 0 < final["shown"] < final["seconds"]
    old = {p["number"]: p["hash"] for p in before["pages"]}
    changed = [p["number"] - 1 for p in final["pages"] if old.get(p["number"]) != p["hash"]]
    assert _page_of(serving.get(final["pdf"])[1], "Qxj0") in changed
    assert len(changed) < 5, changed  # the pages of the post's chapter at most, not the book's
    status, image = serving.get(final["pages"][changed[0]]["src"])
    assert status == 200 and image.startswith(b"\x89PNG")


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium (/usr/bin/chromium) is not installed: "
                    "run tools/setup-system")
def test_browser_follows_edits_and_errors(serving: Serving) -> None:
    from playwright.sync_api import sync_playwright

    serving.note_workers()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1000, "height": 800})
            page.goto(serving.url)
            page.wait_for_function("document.body.dataset.status === 'ok' && "
                                   "[...document.images].length > 20 && [...document.images].every(i => i.complete)")
            before = serving.state()
            # 1. a word edited in a post
            _edit(serving.project, "Qxj1")
            after = serving.wait(lambda s: s["build"] > before["build"] and s["status"] == "ok")
            number = _page_of(serving.get(after["pdf"])[1], "Qxj1")
            new_hash = after["pages"][number]["hash"]
            assert new_hash != before["pages"][number]["hash"]
            # 2. the page's image changes in the browser (where the reader scrolled to stays put)
            page.evaluate(f"document.getElementById('page-{number + 1}').scrollIntoView()")
            scrolled = page.evaluate("window.scrollY")
            page.wait_for_function(f"document.querySelector('#page-{number + 1} img').dataset.loaded === "
                                   f"'{new_hash}'", timeout=60_000)
            assert page.evaluate(f"document.querySelector('#page-{number + 1} img').naturalWidth") > 100
            assert abs(page.evaluate("window.scrollY") - scrolled) < 2
            # 3. a broken manifest: the error overlay, over the last good pages
            manifest = serving.project / "book.yaml"
            good = manifest.read_text(encoding="utf-8")
            manifest.write_text(good + "\nbogus: [\n", encoding="utf-8")
            page.wait_for_selector("#error:not([hidden])", timeout=60_000)
            line = page.inner_text("#error-line")
            assert re.match(r"book\.yaml:\d+(:\d+)?: E\d{3} ", line), line
            assert "\n" not in line.strip()
            assert page.locator("#pages img").count() == len(after["pages"])
            assert page.is_visible(f"#page-{number + 1} img")
            # 4. fixed: the overlay goes, the pages stay
            manifest.write_text(good, encoding="utf-8")
            page.wait_for_selector("#error", state="hidden", timeout=60_000)
            assert page.locator("#pages img").count() == len(after["pages"])
            assert page.evaluate(f"document.querySelector('#page-{number + 1} img').dataset.hash") == new_hash
        finally:
            browser.close()


def test_a_save_that_changes_nothing_is_no_build(serving: Serving) -> None:
    before = serving.wait(lambda s: s["status"] == "ok")
    time.sleep(0.5)  # nothing is pending
    path = serving.project / POST
    path.write_bytes(path.read_bytes())  # saved again, as it was (a late event of a burst is the same)
    time.sleep(1.5)
    assert serving.state()["version"] == before["version"]


def test_a_burst_of_saves_is_one_build(serving: Serving) -> None:
    before = serving.wait(lambda s: s["status"] == "ok")
    time.sleep(0.5)  # nothing is pending
    path = serving.project / POST
    text = path.read_text(encoding="utf-8")
    texts = [re.sub(r"(?:horrible|Qxj\d+)", f"Qxj{50 + n}", text, count=1) for n in range(5)]
    for edited in texts:  # an editor's save: a few writes in a row
        path.write_text(edited, encoding="utf-8")
    state = serving.wait(lambda s: s["status"] == "ok" and s["build"] > before["build"])
    time.sleep(1.0)
    assert serving.state()["build"] == state["build"] == before["build"] + 1
    assert _page_of(serving.get(state["pdf"])[1], "Qxj54") >= 0


def test_fifty_rapid_edits_leave_no_stale_page(serving: Serving) -> None:
    from compiler.preview import page_hashes

    first = serving.note_workers()
    manifest = serving.project / "book.yaml"
    good = manifest.read_text(encoding="utf-8")
    errors = 0
    for n in range(50):
        if n == 20:  # broken in the middle, and built broken (the error is shown) before edits go on
            manifest.write_text(good + "\nbogus: [\n", encoding="utf-8")
            errors = serving.wait(lambda s: s["status"] == "error")["build"]
        if n == 30:
            manifest.write_text(good, encoding="utf-8")
        _edit(serving.project, f"Qxj{100 + n}")
        time.sleep(0.03)
        serving.note_workers()
    last = "Qxj149"
    state = serving.wait(lambda s: s["status"] == "ok" and
                         last.encode() in subprocess.run(["pdftotext", str(serving.project / "out" / s["pdf"][5:]),
                                                          "-"], capture_output=True).stdout, timeout=180)
    assert state["build"] > errors > 0
    time.sleep(1.5)  # nothing more to build
    assert serving.state()["version"] == state["version"]
    pdf = serving.get(state["pdf"])[1]
    assert [h for _, h in page_hashes(pdf)] == [p["hash"] for p in state["pages"]]
    assert [label for label, _ in page_hashes(pdf)] == [p["label"] for p in state["pages"]]
    number = _page_of(pdf, last)
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    from compiler.preview import IMAGE_WIDTH

    pdf_page = document[number]
    fresh = pdf_page.render(scale=IMAGE_WIDTH / pdf_page.get_size()[0]).to_pil()
    status, served = serving.get(state["pages"][number]["src"])
    from PIL import Image

    assert status == 200 and Image.open(io.BytesIO(served)).tobytes() == fresh.convert("RGB").tobytes()
    assert serving.note_workers() == first, "the worker pool changed: a worker was started or left behind"


def test_served_outputs_equal_a_cold_build(serving: Serving, tmp_path: Path) -> None:
    """After the edits, what serve wrote under out/ (parts from its cache, laid out by its warm
    worker, the pages shown before the EPUB was made) is byte for byte what a cold build of the
    same inputs writes."""
    state = serving.wait(lambda s: s["status"] == "ok")
    cold = copy_project(tmp_path / "cold")
    for part in ("book.yaml", "sources"):  # the edited inputs
        target = cold / part
        shutil.rmtree(target) if target.is_dir() else target.unlink()
        (shutil.copytree if (serving.project / part).is_dir() else shutil.copy2)(serving.project / part, target)
    result = run_compiler("book.yaml", cwd=cold)
    assert result.returncode == 0, result.stderr
    assert serving.state()["version"] == state["version"]  # nothing built meanwhile

    def digests(out: Path) -> dict[str, str]:
        return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in out.iterdir()
                if p.suffix in (".pdf", ".epub", ".json")}

    assert digests(serving.project / "out") == digests(cold / "out")
    assert len(digests(cold / "out")) == 3


def test_ctrl_c_stops_with_no_worker_left(serving: Serving) -> None:
    workers = serving.note_workers() | serving.workers
    assert workers, "serve keeps a warm worker"
    serving.process.send_signal(signal.SIGINT)
    assert serving.process.wait(30) == 0
    serving.reader.join(10)
    assert "Traceback" not in "".join(serving.lines) and "stopped\n" in serving.lines
    time.sleep(0.5)
    alive = [pid for pid in workers if psutil.pid_exists(pid) and psutil.Process(pid).status() != "zombie"]
    assert not alive


def test_a_port_in_use_is_one_line(tmp_path: Path) -> None:
    import socket

    from conftest import copy_project

    project = copy_project(tmp_path / "p")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "compiler", "serve", "book.yaml", "--port", str(port)],
                                cwd=project, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert re.fullmatch(rf"serve: E430 cannot serve on 127\.0\.0\.1:{port} \(.+\) \(.+\)\n", result.stderr)
    assert not (project / "out").exists()


def _split_at_blank(pdf: bytes) -> tuple[list[tuple[bytes, bool]], list[str]]:
    """The book's PDF as the parts it was joined from would be: cut at the first page that draws
    nothing (a blank page the merge added), which becomes the first piece's ``blank_after``."""
    import pikepdf

    from compiler.preview import _hashed, blank_hash

    hashed = _hashed(pdf)
    cut = next(i for i, (_, digest, box) in enumerate(hashed) if digest == blank_hash(box))

    def pages(start: int, end: int) -> bytes:
        with pikepdf.open(io.BytesIO(pdf)) as whole:
            piece = pikepdf.Pdf.new()
            for page in whole.pages[start:end]:
                piece.pages.append(page)
            buffer = io.BytesIO()
            piece.save(buffer)
            return buffer.getvalue()

    return [(pages(0, cut), True), (pages(cut + 1, len(hashed)), False)], [label for label, _, _ in hashed]


def test_the_parts_pages_are_the_joined_pdfs(built) -> None:  # type: ignore[no-untyped-def]
    """The pages shown from the parts (a blank page the merge adds included) hash as the joined
    PDF's: once the build is over, nothing is rendered again."""
    from compiler.preview import Pages, page_hashes

    pdf = built["pdf"].read_bytes()
    pieces, labels = _split_at_blank(pdf)
    pages = Pages()
    shown, new = pages.update_pieces(pieces, labels)
    assert new == [0, 1] and pages.rendered == len({h for _, h in page_hashes(pdf)})
    assert [(p.label, p.hash) for p in shown] == page_hashes(pdf)
    pages.rendered = 0
    assert pages.update(pdf) == shown and pages.rendered == 0
    import pypdfium2
    from PIL import Image

    from compiler.preview import IMAGE_WIDTH

    cut = len(page_hashes(pieces[0][0]))  # the blank page no part holds, drawn white at the size pdfium draws it
    page = pypdfium2.PdfDocument(pdf)[cut]
    drawn = page.render(scale=IMAGE_WIDTH / page.get_size()[0]).to_pil()
    shown_blank = Image.open(io.BytesIO(pages.images[shown[cut].hash]))
    assert shown_blank.size == drawn.size and shown_blank.convert("RGB").tobytes() == drawn.convert("RGB").tobytes()


def test_a_preview_the_leak_scan_refuses_is_never_shown(built) -> None:  # type: ignore[no-untyped-def]
    """Pages whose parts hold a redacted term are never shown: the last good pages stay."""
    from compiler.serve import Session

    pdf = built["pdf"].read_bytes()
    pieces, labels = _split_at_blank(pdf)
    session = Session(built["project"] / "book.yaml", quiet=True)
    session._preview(time.perf_counter())(pieces[:1], labels, lambda pdfs: lambda: True)
    session.pages.settle()  # that build is over
    good = session.state.pages
    assert session.state.status == "preview" and len(good) == len(labels[:len(good)]) > 0
    version = session.state.version
    scanned: list[list[bytes]] = []
    session._preview(time.perf_counter())(pieces, labels, lambda pdfs: lambda: bool(scanned.append(pdfs)))
    assert scanned == [[pieces[1][0]]]  # only the part with new pages is scanned
    assert session.state.version == version and session.state.pages == good
    assert [p.to_json() for p in session.pages.pages] == good
    assert set(session.pages.images) == {p["hash"] for p in good}
