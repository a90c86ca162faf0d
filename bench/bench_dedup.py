"""Benchmark: dedup of 10k, 50k and 100k synthetic post copies on one core.

Prints a table and writes bench/results/dedup.json. Target (issue #2): 100k
copies in under 10 s, growing near-linearly.
"""

from __future__ import annotations

import gc
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from synth import copies  # noqa: E402

from compiler.dedup import dedup  # noqa: E402

SIZES = (10_000, 50_000, 100_000)


def main(runs: int = 3) -> dict[str, object]:
    rows = []
    for size in SIZES:
        corpus = copies(size)
        times = []
        for _ in range(runs):
            gc.collect()
            start = time.perf_counter()
            posts, merges = dedup(corpus)
            times.append(time.perf_counter() - start)
        rows.append({"copies": len(corpus), "unique_posts": len(posts), "merges": len(merges),
                     "median_s": round(statistics.median(times), 3), "min_s": round(min(times), 3),
                     "max_s": round(max(times), 3), "us_per_copy": round(statistics.median(times) / len(corpus) * 1e6, 1)})
    print(f"{'copies':>8} {'unique':>7} {'merges':>7} {'median s':>9} {'min':>7} {'max':>7} {'us/copy':>8}")
    for r in rows:
        print(f"{r['copies']:>8} {r['unique_posts']:>7} {r['merges']:>7} {r['median_s']:>9} {r['min_s']:>7} "
              f"{r['max_s']:>7} {r['us_per_copy']:>8}")
    result = {"benchmark": "dedup", "runs": runs, "rows": rows}
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "dedup.json").write_text(json.dumps(result, indent=2) + "\n")
    return result


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
