"""Benchmark: from saving a one-word edit to the ``serve`` preview showing the new page image.

The shipped book, cold builds first (an empty out/, the same run), then ``python -m compiler
serve`` on the built project. For each of RUNS edits (a new word each time in one post): the
clock starts as the source is saved and stops when the server's event stream first shows the
pages of the new PDF (the ``preview`` state, sent once the PDF is joined, before the EPUB is
made; or the build's ``ok``) and the image of the page whose content changed has arrived (an
HTTP GET of its PNG); the time to the build finished (outputs written) is reported too. Two
series: a post of the shortest chapter (``Legal Cases``, 5 pages: the edit the issue names),
then one of the longest (``Shelters``, 10 pages). Prints a table, writes
bench/results/serve.json. Targets (issue #16): median <= 1.0 s, and <= 0.3x a cold build.
"""

from __future__ import annotations

import http.client
import json
import queue
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from common import PYTHON, measure, project_copy, save, stats, table  # noqa: E402

POST = "sources/001_f6a00d62272453a4.txt"  # "Kazakhstan's Oil and Human Trafficking Issues", chapter 2
WORDS = ("terrible", "dreadful", "awful", "appalling", "shocking", "grim", "cruel", "vile", "grave")
#: (series, post, the word replaced, its replacements)
SERIES = (("chapter 2 (5 pages)", POST, "horrible", WORDS),
          ("chapter 1 (10 pages)", "sources/000_a17773e423f6ec34.txt", "Hopeful",
           ("Cheerful", "Hopeless", "Upbeat", "Bright", "Buoyant", "Sanguine", "Rosy", "Glad", "Eager")))


def _events(port: int, states: queue.Queue[dict[str, Any]]) -> None:
    """Read the server's event stream, putting each state (with its arrival time) on ``states``."""
    connection = http.client.HTTPConnection("127.0.0.1", port)
    connection.request("GET", "/events")
    response = connection.getresponse()
    while True:
        line = response.readline()
        if not line:
            return
        if line.startswith(b"data: "):
            state = json.loads(line[6:])
            state["_at"] = time.perf_counter()
            states.put(state)


def _get(port: int, path: str) -> bytes:
    connection = http.client.HTTPConnection("127.0.0.1", port)
    connection.request("GET", path)
    body = connection.getresponse().read()
    connection.close()
    return body


def _finished(states: queue.Queue[dict[str, Any]], after: int) -> dict[str, Any]:
    while True:
        state = states.get(timeout=300)
        if state["build"] > after and state["status"] in ("ok", "error"):
            return state


def _shown(states: queue.Queue[dict[str, Any]], before: dict[str, Any]) -> dict[str, Any]:
    """The first state after ``before`` that shows other pages (the preview, or the build's end)."""
    old = [p["hash"] for p in before["pages"]]
    while True:
        state = states.get(timeout=300)
        if state["status"] == "error" and state["build"] > before["build"]:
            raise AssertionError(state["error"])
        if state["status"] in ("preview", "ok") and [p["hash"] for p in state["pages"]] != old:
            return state


def _series(port: int, states: queue.Queue[dict[str, Any]], state: dict[str, Any], post: Path, word: str,
            words: tuple[str, ...], runs: int) -> tuple[dict[str, Any], list[float], list[float], list[int]]:
    """``runs`` edits of one post: the times to the new page image and to the build finished."""
    text = post.read_text(encoding="utf-8")
    assert text.count(word) >= 1, (post, word)
    shown, built, pages_changed = [], [], []
    for n in range(runs):
        time.sleep(1.0)  # the watcher settled, the machine quiet
        before = state
        start = time.perf_counter()
        post.write_text(text.replace(word, f"{words[n % len(words)]}{n}", 1), encoding="utf-8")
        preview = _shown(states, before)
        old = {p["number"]: p["hash"] for p in before["pages"]}
        changed = [p for p in preview["pages"] if old.get(p["number"]) != p["hash"]]
        image = _get(port, changed[0]["src"])
        assert image.startswith(b"\x89PNG")
        shown.append(time.perf_counter() - start)
        state = preview if preview["status"] == "ok" else _finished(states, before["build"])
        assert state["status"] == "ok", state["error"]
        assert [p["hash"] for p in state["pages"]] == [p["hash"] for p in preview["pages"]], "the preview went stale"
        built.append(state["_at"] - start)
        pages_changed.append(len(changed))
    post.write_text(text, encoding="utf-8")
    state = _finished(states, state["build"])
    return state, shown, built, pages_changed


def main(runs: int = 5) -> dict[str, object]:
    work = Path(tempfile.mkdtemp(prefix="bench-serve-"))
    project = project_copy(work / "project")
    out = project / "out"
    cold = measure([PYTHON, "-m", "compiler", "book.yaml", "--quiet"], project, 3,
                   before=lambda: shutil.rmtree(out, ignore_errors=True))
    server = subprocess.Popen([PYTHON, "-m", "compiler", "serve", "book.yaml", "--port", "0", "--quiet"],
                              cwd=project, stderr=subprocess.PIPE, text=True)
    assert server.stderr is not None
    port = int(re.search(r":(\d+)/", server.stderr.readline()).group(1))  # type: ignore[union-attr]
    states: queue.Queue[dict[str, Any]] = queue.Queue()
    threading.Thread(target=_events, args=(port, states), daemon=True).start()
    state = _finished(states, 0)
    rows = [["cold full build", cold["median_s"], cold["min_s"], cold["max_s"], 1.0]]
    result: dict[str, object] = {"benchmark": "serve", "cold": cold, "series": {}}
    try:
        for name, post, word, words in SERIES:
            state, shown, built, pages_changed = _series(port, states, state, project / post, word, words, runs)
            edit = stats(shown)
            rows += [[f"{name}: edit -> new page image", edit["median_s"], edit["min_s"], edit["max_s"],
                      round(edit["median_s"] / cold["median_s"], 3)],
                     [f"{name}: edit -> build finished", stats(built)["median_s"], round(min(built), 3),
                      round(max(built), 3), round(stats(built)["median_s"] / cold["median_s"], 3)]]
            result["series"][name] = {  # type: ignore[index]
                "post": post, "edit_to_image": edit, "edit_to_build_finished": stats(built),
                "pages_rerendered": pages_changed, "ratio_to_cold": round(edit["median_s"] / cold["median_s"], 3)}
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(60)
    print(table(rows, ["measure", "median s", "min", "max", "x cold"]))
    first = result["series"][SERIES[0][0]]  # type: ignore[index]
    result.update({"edit_to_image": first["edit_to_image"], "ratio_to_cold": first["ratio_to_cold"],
                   "targets": {"edit_to_image_median_s": 1.0, "ratio_to_cold": 0.3}})
    save("serve", result)
    shutil.rmtree(work, ignore_errors=True)
    return result


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
