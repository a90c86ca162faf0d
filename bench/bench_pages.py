"""Benchmark: time per page of a real WordPress blog against the shipped book (cold builds).

The Theme Unit Test export (../shared/corpora/wp-theme-unit-test, 55 published
posts) is turned into a project by ``compiler init``, once; then it and a copy
of the shipped book are built cold (no out/, no cache) in turns, round-robin,
so that a busy machine slows both alike. Time per page: the median build time
over the PDF's page count. Prints a table, writes bench/results/pages.json.
Target (issue #12): the blog's time per page at most 1.5x the shipped book's.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from common import PYTHON, ROOT, measure_rounds, project_copy, save, table  # noqa: E402

EXPORT = ROOT.parent / "shared" / "corpora" / "wp-theme-unit-test" / "themeunittestdata.wordpress.xml"
TARGET = 1.5


def _pages(out: Path) -> int:
    from pypdf import PdfReader

    return len(PdfReader(next(out.glob("*.pdf"))).pages)


def main(runs: int = 5) -> dict[str, object]:
    if not EXPORT.is_file():
        print(f"skipped: {EXPORT} is not on this machine (the shared corpora)")
        return {"benchmark": "pages", "skipped": str(EXPORT)}
    work = Path(tempfile.mkdtemp(prefix="bench-pages-"))
    shipped = project_copy(work / "shipped")
    blog = work / "theme-unit-test"
    subprocess.run([PYTHON, "-m", "compiler", "init", str(EXPORT), "--dir", str(blog)], cwd=work, check=True,
                   capture_output=True)
    build = [PYTHON, "-m", "compiler", "book.yaml", "--quiet"]

    def cold(project: Path) -> tuple[list[str], Path, object, None]:
        return build, project, lambda: shutil.rmtree(project / "out", ignore_errors=True), None

    timed = measure_rounds({"shipped book": cold(shipped), "Theme Unit Test": cold(blog)}, runs)
    pages = {"shipped book": _pages(shipped / "out"), "Theme Unit Test": _pages(blog / "out")}
    per_page = {name: timed[name]["median_s"] / pages[name] for name in timed}
    ratio = round(per_page["Theme Unit Test"] / per_page["shipped book"], 3)
    rows = [[name, pages[name], r["median_s"], r["min_s"], r["max_s"], round(per_page[name] * 1000, 1)]
            for name, r in timed.items()]
    print(table(rows, ["book (cold build)", "pages", "median s", "min", "max", "ms/page"]))
    print(f"time per page, Theme Unit Test / shipped book: {ratio}x (target <= {TARGET}x)")
    result: dict[str, object] = {
        "benchmark": "pages", "runs": runs, "builds": timed, "pages": pages,
        "ms_per_page": {name: round(v * 1000, 1) for name, v in per_page.items()},
        "ratio": ratio, "target": TARGET, "met": ratio <= TARGET}
    save("pages", result)
    shutil.rmtree(work, ignore_errors=True)
    return result


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
