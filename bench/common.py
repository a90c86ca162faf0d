"""Shared helpers for the benchmarks: time whole processes, report medians, write JSON."""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
PYTHON = sys.executable


def _tree_rss_kib(pid: int) -> int:
    """Resident memory of a process and all its descendants (KiB), from /proc."""
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0)
            for task in Path(f"/proc/{current}/task").iterdir():
                stack += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue
    return total


class _Sampler(threading.Thread):
    """Samples the memory of a process tree every 50 ms: the peak of all its processes together
    (a build's layout workers run beside it)."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.done = pid, 0, threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.05):
            self.peak = max(self.peak, _tree_rss_kib(self.pid))


def run(cmd: Sequence[str], cwd: Path, env: dict[str, str] | None = None) -> tuple[float, int]:
    """Run one process; return its wall time (s) and the peak resident memory (KiB) of it and
    its child processes together."""
    start = time.perf_counter()
    process = subprocess.Popen(list(cmd), cwd=cwd, env={**os.environ, **(env or {})},
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    sampler = _Sampler(process.pid)
    sampler.start()
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    sampler.done.set()
    sampler.join()
    stderr = process.stderr.read().decode() if process.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{stderr}")
    return elapsed, max(usage.ru_maxrss, sampler.peak)


def stats(times: Sequence[float]) -> dict[str, float]:
    return {"median_s": round(statistics.median(times), 3), "min_s": round(min(times), 3),
            "max_s": round(max(times), 3), "runs": len(times)}


def measure(cmd: Sequence[str], cwd: Path, runs: int, before: object = None,
            env: dict[str, str] | None = None) -> dict[str, float]:
    """Time ``runs`` runs of a command (calling ``before()`` ahead of each); medians and spread."""
    times, peaks = [], []
    for _ in range(runs):
        if callable(before):
            before()
        elapsed, peak = run(cmd, cwd, env)
        times.append(elapsed)
        peaks.append(peak)
    return {**stats(times), "peak_rss_mib": round(max(peaks) / 1024, 1)}


def measure_rounds(commands: dict[str, tuple[Sequence[str], Path, object, dict[str, str] | None]],
                   runs: int) -> dict[str, dict[str, float]]:
    """Time several commands round-robin (a, b, c, a, b, c, ...), so that a noisy machine's
    drift hits each of them alike. ``commands``: name -> (command, folder, before, env)."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    peaks: dict[str, list[int]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, (cmd, cwd, before, env) in commands.items():
            if callable(before):
                before()
            elapsed, peak = run(cmd, cwd, env)
            times[name].append(elapsed)
            peaks[name].append(peak)
    return {name: {**stats(times[name]), "peak_rss_mib": round(max(peaks[name]) / 1024, 1)} for name in commands}


def project_copy(target: Path) -> Path:
    """A fresh copy of the project's inputs (manifest, sources, chapters, styles)."""
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for part in ("book.yaml", "sources", "chapters", "styles"):
        src = ROOT / part
        (shutil.copytree if src.is_dir() else shutil.copy2)(src, target / part)
    return target


def save(name: str, data: dict[str, object]) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(data, indent=2) + "\n")
    return path


def table(rows: Sequence[Sequence[object]], header: Sequence[str]) -> str:
    widths = [max(len(str(x)) for x in column) for column in zip(header, *rows)]
    lines = ["  ".join(str(h).rjust(w) for h, w in zip(header, widths))]
    lines += ["  ".join(str(v).rjust(w) for v, w in zip(row, widths)) for row in rows]
    return "\n".join(lines)
