"""Benchmark: synthetic blogs of 13, 130 and 520 unique posts (copies across pages for dedup),
ours against pandoc at every size.

Reports wall time, PDF pages, time per page and peak memory of a full cold
build (PDF + EPUB), and the same for pandoc building an EPUB and a PDF
(``--pdf-engine=weasyprint``) from the same posts as one Markdown file, run
round-robin with ours. Prints a table, writes bench/results/scale.json.
``python bench/bench_scale.py [RUNS] [SIZE...]``. Targets (issue #7): time per
page at 520 posts within 1.2x of 13 posts; peak memory at 520 posts <= 1 GiB;
(issue #16) ours <= 0.8x pandoc at 130 posts, <= 0.6x at 520.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from bench_pandoc import export_markdown  # noqa: E402
from common import PYTHON, ROOT, measure_rounds, save, table  # noqa: E402
from synth import write_blog  # noqa: E402

SIZES = (13, 130, 520)
MANIFEST = """book:
  title: A Synthetic Blog
  authors: [Benchmark]
  date: 2026-11-23
sources: [sources/*.txt]
chapters:
{chapters}
output:
  basename: synthetic
"""


def make_project(folder: Path, posts: int) -> tuple[Path, int]:
    copies = write_blog(folder / "sources", posts)
    shutil.copytree(ROOT / "styles", folder / "styles")
    chapters = "".join(f"  - id: part-{n}\n    title: Part {n}\n    rule: {{title_matches: 'No\\. [0-9]*{n}$'}}\n"
                       for n in range(10))
    (folder / "book.yaml").write_text(MANIFEST.format(chapters=chapters))
    return folder, copies


def _pages(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(next(line.split()[1] for line in info.splitlines() if line.startswith("Pages:")))


def main(runs: int = 3, sizes: tuple[int, ...] = SIZES) -> dict[str, object]:
    pandoc = shutil.which("pandoc")
    if not pandoc:
        raise SystemExit("pandoc is not installed: run tools/setup-system")
    env = {"PATH": f"{Path(PYTHON).parent}:/usr/bin:/bin"}
    rows, data = [], []
    work = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    for posts in sizes:
        project, copies = make_project(work / f"blog{posts}", posts)
        out = project / "out"
        markdown = export_markdown(work / f"blog{posts}.md", project / "book.yaml")
        epub, pdf = work / f"pandoc{posts}.epub", work / f"pandoc{posts}.pdf"
        timed = measure_rounds({
            "ours": ([PYTHON, "-m", "compiler", "book.yaml", "--quiet", "--no-cache"], project,
                     lambda out=out: shutil.rmtree(out, ignore_errors=True), None),
            "pandoc_epub": ([pandoc, str(markdown), "-o", str(epub)], work, None, env),
            "pandoc_pdf": ([pandoc, str(markdown), "-o", str(pdf), "--pdf-engine=weasyprint"], work, None, env),
        }, runs)
        r = timed["ours"]
        pages = json.loads((out / "report.json").read_text())["pdf_pages"]
        per_page = round(r["median_s"] / pages, 4)
        theirs_s = round(timed["pandoc_epub"]["median_s"] + timed["pandoc_pdf"]["median_s"], 3)
        theirs_pages = _pages(pdf)
        theirs_peak = max(timed["pandoc_epub"]["peak_rss_mib"], timed["pandoc_pdf"]["peak_rss_mib"])
        ratio = round(r["median_s"] / theirs_s, 3)
        data.append({"posts": posts, "copies": copies, "pages": pages, "s_per_page": per_page, **r,
                     "pandoc": {"median_s": theirs_s, "epub": timed["pandoc_epub"], "pdf": timed["pandoc_pdf"],
                                "pages": theirs_pages, "s_per_page": round(theirs_s / theirs_pages, 4),
                                "peak_rss_mib": theirs_peak},
                     "ratio_to_pandoc": ratio})
        rows.append([posts, copies, pages, r["median_s"], r["min_s"], r["max_s"], per_page, r["peak_rss_mib"],
                     theirs_s, theirs_pages, round(theirs_s / theirs_pages, 4), theirs_peak, ratio])
    print(table(rows, ["posts", "copies", "pages", "median s", "min", "max", "s/page", "peak MiB",
                       "pandoc s", "pandoc pages", "pandoc s/page", "pandoc MiB", "ours/pandoc"]))
    ratio = round(data[-1]["s_per_page"] / data[0]["s_per_page"], 3)
    print(f"time per page, {sizes[-1]} vs {sizes[0]} posts: {ratio}x")
    result = {"benchmark": "scale", "runs": runs, "rows": data, "per_page_ratio": ratio,
              "targets": {"per_page_ratio": 1.2, "peak_rss_mib": 1024, "ratio_to_pandoc_130": 0.8,
                          "ratio_to_pandoc_520": 0.6}}
    save("scale", result)
    shutil.rmtree(work, ignore_errors=True)
    return result


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3, tuple(int(a) for a in sys.argv[2:]) or SIZES)
