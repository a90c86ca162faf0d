"""Benchmark: from saving a one-word edit to the ``serve`` preview showing the new page image.

The shipped book, cold builds first (an empty out/, the same run), then ``python -m compiler
serve`` on the built project. For each of RUNS edits (a new word each time in one post): the
clock starts as the source is saved and stops when the server's event stream reports the build
finished and the image of the page whose content changed has arrived (an HTTP GET of its PNG).
Prints a table, writes bench/results/serve.json. Targets (issue #16): median <= 1.0 s, and
<= 0.3x a cold build.
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

POST = "sources/001_f6a00d62272453a4.txt"
WORDS = ("terrible", "dreadful", "awful", "appalling", "shocking", "grim", "cruel", "vile", "grave")


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
    post = project / POST
    text = post.read_text(encoding="utf-8")
    shown, built, pages_changed = [], [], []
    try:
        for n in range(runs):
            time.sleep(1.0)  # the watcher settled, the machine quiet
            before = state
            start = time.perf_counter()
            post.write_text(text.replace("horrible", f"{WORDS[n % len(WORDS)]}{n}", 1), encoding="utf-8")
            state = _finished(states, before["build"])
            assert state["status"] == "ok", state["error"]
            built.append(state["_at"] - start)
            old = {p["number"]: p["hash"] for p in before["pages"]}
            changed = [p for p in state["pages"] if old.get(p["number"]) != p["hash"]]
            assert changed, "no page changed"
            image = _get(port, changed[0]["src"])
            assert image.startswith(b"\x89PNG")
            shown.append(time.perf_counter() - start)
            pages_changed.append(len(changed))
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(60)
    edit = stats(shown)
    rows = [["cold full build", cold["median_s"], cold["min_s"], cold["max_s"], 1.0],
            ["edit -> build finished", stats(built)["median_s"], round(min(built), 3), round(max(built), 3),
             round(stats(built)["median_s"] / cold["median_s"], 3)],
            ["edit -> new page image", edit["median_s"], edit["min_s"], edit["max_s"],
             round(edit["median_s"] / cold["median_s"], 3)]]
    print(table(rows, ["measure", "median s", "min", "max", "x cold"]))
    result: dict[str, object] = {
        "benchmark": "serve", "cold": cold, "edit_to_build_finished": stats(built), "edit_to_image": edit,
        "pages_rerendered": pages_changed, "ratio_to_cold": round(edit["median_s"] / cold["median_s"], 3),
        "targets": {"edit_to_image_median_s": 1.0, "ratio_to_cold": 0.3}}
    save("serve", result)
    shutil.rmtree(work, ignore_errors=True)
    return result


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
