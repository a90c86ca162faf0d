"""Run every benchmark (``make bench``); each prints its table and writes bench/results/<name>.json."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import bench_dedup  # noqa: E402
import bench_ingest  # noqa: E402
import bench_pages  # noqa: E402
import bench_pandoc  # noqa: E402
import bench_rebuild  # noqa: E402
import bench_scale  # noqa: E402
import bench_serve  # noqa: E402
import bench_weasyprint  # noqa: E402

if __name__ == "__main__":
    for name, module in (("dedup", bench_dedup), ("ingest", bench_ingest), ("vs pandoc", bench_pandoc), ("vs bare WeasyPrint", bench_weasyprint),
                         ("rebuilds", bench_rebuild), ("scale", bench_scale), ("time per page", bench_pages),
                         ("serve", bench_serve)):
        print(f"\n== {name}")
        module.main()
