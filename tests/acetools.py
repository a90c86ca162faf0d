"""DAISY Ace from the tests: start it on a built EPUB in the background, then read its report.

``tools/ace`` runs Ace (npm ``@daisy/ace``, pinned there, installed into ``.ace/``
by ``make setup``) with Debian's Chromium. Ace checks one EPUB a run, and a
run's fixed cost is small (Node and a browser start in under a second; the time
goes into axe on each XHTML document), so each EPUB gets its own run, started
as soon as the EPUB exists: it overlaps the tests that read the same build.
"""

from __future__ import annotations

import functools
import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TOOL = ROOT / "tools" / "ace"


@functools.cache
def missing() -> str | None:
    """Why Ace cannot run here (a tool tools/setup-system installs is absent), or None. Installs
    the pinned Ace into .ace/ when only that is missing."""
    for tool in ("node", "npm", "chromium"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (tools/setup-system installs it)"
    done = subprocess.run(["bash", str(TOOL), "--install"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"tools/ace --install failed:\n{done.stderr}"
    return None


@dataclass
class Run:
    """One Ace run on one EPUB, in the background."""

    epub: Path
    report: Path
    process: subprocess.Popen[str]

    def violations(self, timeout: float = 600) -> list[str]:
        """Wait for the run; each violation as ``document: rule (impact) at selector: description``."""
        _, err = self.process.communicate(timeout=timeout)
        data = self.report / "report.json"
        assert data.is_file(), f"Ace wrote no report for {self.epub.name} (exit {self.process.returncode}):\n{err}"
        return violations(json.loads(data.read_text()))

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.communicate()


def start(epub: Path, report: Path) -> Run:
    """Start Ace on ``epub``, writing its report (JSON and HTML) into ``report``."""
    process = subprocess.Popen(["bash", str(TOOL), str(epub), str(report)], cwd=ROOT, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return Run(epub, report, process)


def violations(report: dict) -> list[str]:  # type: ignore[type-arg]
    """Every failed assertion of an Ace report, one line each."""
    found = []
    for document in report.get("assertions", []):
        where = document["earl:testSubject"]["url"]
        for check in document.get("assertions", []):
            result = check["earl:result"]
            if result["earl:outcome"] != "fail":
                continue
            test = check["earl:test"]
            pointer = result.get("earl:pointer", {}).get("css", [""])
            found.append(f"{where}: {test['dct:title']} ({test['earl:impact']}) at {' '.join(pointer)}: "
                         f"{result['dct:description']}")
    if report["earl:result"]["earl:outcome"] != "pass" and not found:
        found.append(f"outcome {report['earl:result']['earl:outcome']} without a failed assertion")
    return found


def skip_unless_available() -> None:
    reason = missing()
    if reason:
        pytest.skip(f"DAISY Ace cannot run: {reason}")
