"""Benchmark: no-op and one-edit rebuilds against a cold full build of the shipped book.

Cold: an empty out/ (no cache). No-op: the same build again. One edit: a
one-word correction added to one post (the PDF must be laid out again);
EPUB-only: a change to epub.css (the PDF layout comes from the cache).
Prints a table, writes bench/results/rebuild.json. Targets (issue #7): no-op
<= 0.05x cold, one edit <= 1.0x cold.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from common import PYTHON, measure, project_copy, save, table  # noqa: E402

EDIT = "  - post: kazakhstans-oil-and-human-trafficking-issues\n    find: horrible case\n    replace: {word} case\n"
WORDS = ("terrible", "dreadful", "awful", "appalling", "shocking", "grim", "cruel", "vile", "grave")


def main(runs: int = 5) -> dict[str, object]:
    work = Path(tempfile.mkdtemp(prefix="bench-rebuild-"))
    project = project_copy(work / "project")
    out = project / "out"
    manifest = project / "book.yaml"
    css = project / "styles" / "epub.css"
    original, original_css = manifest.read_text(), css.read_text()
    build = [PYTHON, "-m", "compiler", "book.yaml", "--quiet"]
    cold = measure(build, project, runs, before=lambda: shutil.rmtree(out, ignore_errors=True))
    noop = measure(build, project, runs)
    state = {"n": 0}

    def edit() -> None:  # a new word each run: never a layout the cache has seen
        word = WORDS[state["n"] % len(WORDS)]
        state["n"] += 1
        manifest.write_text(original.replace("corrections:\n", "corrections:\n" + EDIT.format(word=word), 1))

    one_edit = measure(build, project, runs, before=edit)
    manifest.write_text(original)

    def restyle() -> None:
        state["n"] += 1
        css.write_text(original_css + f"\n/* edit {state['n']} */\n")

    epub_only = measure(build, project, runs, before=restyle)
    rows = [[name, r["median_s"], r["min_s"], r["max_s"], round(r["median_s"] / cold["median_s"], 3)]
            for name, r in (("cold full build", cold), ("no-op rebuild", noop), ("one-word edit", one_edit),
                            ("EPUB-only change", epub_only))]
    print(table(rows, ["build", "median s", "min", "max", "x cold"]))
    result: dict[str, object] = {"benchmark": "rebuilds", "cold": cold, "noop": noop, "one_edit": one_edit, "epub_only": epub_only,
              "ratios": {r[0]: r[4] for r in rows}, "targets": {"no-op rebuild": 0.05, "one-word edit": 1.0}}
    save("rebuild", result)
    shutil.rmtree(work, ignore_errors=True)
    return result


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
