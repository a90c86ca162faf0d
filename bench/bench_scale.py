"""Benchmark: synthetic blogs of 13, 130 and 520 unique posts (copies across pages for dedup).

Reports wall time, PDF pages, time per page and peak memory of a full cold
build (PDF + EPUB). Prints a table, writes bench/results/scale.json.
Targets (issue #7): time per page at 520 posts within 1.2x of 13 posts; peak
memory at 520 posts <= 1 GiB.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from common import PYTHON, ROOT, measure, save, table  # noqa: E402
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


def main(runs: int = 3) -> dict[str, object]:
    rows, data = [], []
    work = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    for posts in SIZES:
        project, copies = make_project(work / f"blog{posts}", posts)
        out = project / "out"
        r = measure([PYTHON, "-m", "compiler", "book.yaml", "--quiet", "--no-cache"], project, runs,
                    before=lambda out=out: shutil.rmtree(out, ignore_errors=True))
        pages = json.loads((out / "report.json").read_text())["pdf_pages"]
        per_page = round(r["median_s"] / pages, 4)
        data.append({"posts": posts, "copies": copies, "pages": pages, "s_per_page": per_page, **r})
        rows.append([posts, copies, pages, r["median_s"], r["min_s"], r["max_s"], per_page, r["peak_rss_mib"]])
    print(table(rows, ["posts", "copies", "pages", "median s", "min", "max", "s/page", "peak MiB"]))
    ratio = round(data[-1]["s_per_page"] / data[0]["s_per_page"], 3)
    print(f"time per page, {SIZES[-1]} vs {SIZES[0]} posts: {ratio}x")
    result = {"benchmark": "scale", "rows": data, "per_page_ratio": ratio,
              "targets": {"per_page_ratio": 1.2, "peak_rss_mib": 1024}}
    save("scale", result)
    shutil.rmtree(work, ignore_errors=True)
    return result


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
