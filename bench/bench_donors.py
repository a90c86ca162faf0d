"""Benchmark: 100 donor copies (``--for-list``) against one cold build of the shipped book.

Both builds make the shipped book's screen edition and a KDP print edition.
Cold: an empty out/ (no cache), no donors. Donors: the same cold build with a
list of 100 donors, so it also lays out 100 verso pages, splices them into
100 copies and leak-scans each copy. Target (issue #15): the donors' build
at most 3x the cold build. Round-robin runs; prints a table, writes
bench/results/donors.json.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from common import PYTHON, measure_rounds, project_copy, save, table  # noqa: E402

COUNT = 100


def main(runs: int = 3) -> dict[str, object]:
    work = Path(tempfile.mkdtemp(prefix="bench-donors-"))
    project = project_copy(work / "project")
    manifest = project / "book.yaml"
    manifest.write_text(manifest.read_text().replace("output:\n", "output:\n  print: {service: kdp}\n", 1))
    (project / "donors.csv").write_text("name,message\n" + "".join(
        f'Donor Number {n},"With thanks for gift {n} to the shelters."\n' for n in range(1, COUNT + 1)))
    out = project / "out"

    def clean() -> None:
        shutil.rmtree(out, ignore_errors=True)

    build = [PYTHON, "-m", "compiler", "book.yaml", "--quiet"]
    results = measure_rounds({"cold": (build, project, clean, None),
                              "cold + 100 donors": ([*build, "--for-list", "donors.csv"], project, clean, None)},
                             runs)
    ratio = round(results["cold + 100 donors"]["median_s"] / results["cold"]["median_s"], 2)
    copies = len(list(out.glob("*-for-*.pdf")))
    data: dict[str, object] = {"runs": runs, "donors": COUNT, "copies_written": copies, **results,
                               "ratio": ratio, "target_ratio": 3.0}
    print(table([[name, r["median_s"], r["min_s"], r["max_s"], r["peak_rss_mib"]] for name, r in results.items()],
                ["build", "median s", "min s", "max s", "peak MiB"]))
    print(f"ratio {ratio}x (target <= 3x); {copies} copies written")
    save("donors", data)
    shutil.rmtree(work, ignore_errors=True)
    return data


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
