"""Benchmark: our PDF build against bare WeasyPrint on the very HTML our build hands it.

The final HTML and the print stylesheets are written out, and ``weasyprint``
renders them alone (same PDF/UA variant). The ratio of our full PDF build to
that is our overhead. The one-core variants run under ``taskset -c 0`` (our
workers included) and are compared with bare WeasyPrint on that one core.
Prints a table, writes bench/results/weasyprint.json.
Targets (issue #7): <= 1.15x on one core, < 1.0x with parallel chapters.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from common import PYTHON, measure_rounds, project_copy, save, table  # noqa: E402


def export_html(project: Path) -> tuple[Path, list[Path]]:
    """Write the HTML our build gives WeasyPrint into the style folder (so fonts resolve)."""
    from compiler.manifest import load_manifest
    from compiler.model.assemble import assemble
    from compiler.render import PRINT_STYLESHEETS
    from compiler.redact import redact
    from compiler.render import Renderer

    book = assemble(load_manifest(project / "book.yaml"), redact)
    html = Renderer(book, __import__("weasyprint").__version__).print_html()
    target = book.output.style_dir / "bench-book.html"
    target.write_text(html, encoding="utf-8")
    sheets = [book.output.style_dir / n for n in (*PRINT_STYLESHEETS, f"page-{book.output.page_size}.css")]
    return target, sheets


def main(runs: int = 5) -> dict[str, object]:
    work = Path(tempfile.mkdtemp(prefix="bench-weasyprint-"))
    project = project_copy(work / "project")
    html, sheets = export_html(project)
    weasyprint = str(Path(PYTHON).parent / "weasyprint")
    out = project / "out"
    cmd = [weasyprint, str(html), str(work / "bare.pdf"), "--pdf-variant", "pdf/ua-1"]
    for sheet in sheets:
        cmd += ["-s", str(sheet)]
    ours_cmd = [PYTHON, "-m", "compiler", "book.yaml", "--format", "pdf", "--no-cache", "--quiet"]
    one_core = ["taskset", "-c", "0"]  # the build's workers included: one CPU for every process
    variants = {"parallel": ours_cmd, "one core, parts (--jobs 1)": one_core + ours_cmd + ["--jobs", "1"],
                "one core, one document (--one-document)": one_core + ours_cmd + ["--one-document"]}
    clean = lambda: shutil.rmtree(out, ignore_errors=True)  # noqa: E731
    timed = measure_rounds({"bare": (cmd, project, None, None), "bare, one core": (one_core + cmd, project, None, None),
                            **{name: (command, project, clean, None) for name, command in variants.items()}},
                           runs)
    bare, bare_one = timed.pop("bare"), timed.pop("bare, one core")
    ours = timed
    ratios = {name: round(r["median_s"] / (bare if name == "parallel" else bare_one)["median_s"], 3)
              for name, r in ours.items()}
    rows = [["bare weasyprint", bare["median_s"], bare["min_s"], bare["max_s"], ""],
            ["bare weasyprint, one core", bare_one["median_s"], bare_one["min_s"], bare_one["max_s"], ""]]
    rows += [[f"ours, {name}", r["median_s"], r["min_s"], r["max_s"], ratios[name]] for name, r in ours.items()]
    print(table(rows, ["render (PDF only)", "median s", "min", "max", "ours / bare (same cores)"]))
    result = {"benchmark": "vs bare weasyprint", "bare": bare, "bare_one_core": bare_one, "ours": ours, "ratios": ratios,
              "target_one_core": 1.15, "target_parallel": 1.0}
    save("weasyprint", result)
    shutil.rmtree(work, ignore_errors=True)
    return result


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
