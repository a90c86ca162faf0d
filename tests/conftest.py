"""Shared fixtures: the seed pages, and a built copy of the default book.

The book is built once per test session in a temporary copy of the project,
so tests never touch the working tree's out/.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "sources"
PROJECT_PARTS = ("book.yaml", "sources", "chapters", "styles")

#: The real blogs beside the project (../shared/corpora), read in place and never copied; tests that
#: need them skip with a message when they are absent.
CORPORA = ROOT.parent / "shared" / "corpora"
#: The WordPress exports among them, by a short name.
WXR_EXPORTS = {
    "theme-unit-test": "wp-theme-unit-test/themeunittestdata.wordpress.xml",
    "block-test": "wp-theme-unit-test/64-block-test-data.xml",
    "wptest": "wptest/wptest.xml",
    "jekyll-import": "wxr-jekyll-import-wpcom/sitetitle.wordpress.2025-01-19.000.xml",
    "theme-test-ja": "wp-theme-test-data-ja/wordpress-theme-test-data-ja.xml",
}
#: The feeds among them, by a short name: the files one book is made from (the same posts twice, for norm2782).
FEED_CORPORA = {
    "norm2782-feeds": ("feeds-norm2782-wordpress/wordpress-rss2-dc-atom.xml",
                       "feeds-norm2782-wordpress/wordpress-atom10.xml"),
    "samruby-atom": ("feed-samruby-atom/SamRuby.xml",),
}


def copy_project(target: Path) -> Path:
    """Copy what a build needs (manifest, sources, chapters, styles) into ``target``."""
    target.mkdir(parents=True, exist_ok=True)
    for part in PROJECT_PARTS:
        src = ROOT / part
        if src.is_dir():
            shutil.copytree(src, target / part, dirs_exist_ok=True)
        else:
            shutil.copy2(src, target / part)
    return target


def run_compiler(*args: str, cwd: Path, env: dict[str, str] | None = None,
                 timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run ``python -m compiler`` in a separate process."""
    full_env = {**os.environ, **(env or {})}
    if full_env.get("PYTHONPATH"):  # PYTHONPATH=src (a worktree's code) must not become the build folder's src
        full_env["PYTHONPATH"] = os.pathsep.join(str(Path(p).resolve()) if p else p
                                                 for p in full_env["PYTHONPATH"].split(os.pathsep))
    return subprocess.run([sys.executable, "-m", "compiler", *args], cwd=cwd, env=full_env,
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="session")
def seed_pages() -> list[Path]:
    return sorted(SOURCES.glob("*.txt"))


@pytest.fixture(scope="session")
def seed_copies(seed_pages: list[Path]):  # type: ignore[no-untyped-def]
    from compiler.ingest import read_pages

    return read_pages(seed_pages, ROOT)


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The default book, built by the real command line in a separate process."""
    project = copy_project(tmp_path_factory.mktemp("book"))
    result = run_compiler("book.yaml", cwd=project)
    assert result.returncode == 0, result.stderr
    out = project / "out"
    return {"project": project, "out": out, "pdf": next(out.glob("*.pdf")), "epub": next(out.glob("*.epub")),
            "report": out / "report.json", "stderr": Path(project / "stderr.txt")} | _save(project, result)


def built_copy(built: dict[str, Path], target: Path) -> Path:
    """A copy of the session's built project, with its warm cache, built again in its own folder
    (from the cache: a second or so), so that its build stamp is its own."""
    shutil.copytree(built["project"], target)
    result = run_compiler("book.yaml", cwd=target)
    assert result.returncode == 0, result.stderr
    return target


def _save(project: Path, result: subprocess.CompletedProcess[str]) -> dict[str, Path]:
    (project / "stderr.txt").write_text(result.stderr)
    return {}


@pytest.fixture(scope="session")
def book_model():  # type: ignore[no-untyped-def]
    """The assembled book model of the shipped manifest."""
    from compiler.manifest import load_manifest
    from compiler.model.assemble import assemble
    from compiler.redact import redact

    return assemble(load_manifest(ROOT / "book.yaml"), redact)


SENTENCE = re.compile(r"(?<=[.!?…])[”’\"')]*\s+(?=[“‘\"(]?[A-Z0-9])")


def sentences(text: str) -> list[str]:
    """Split text into sentences (a reader's split, good enough for fidelity checks)."""
    return [s.strip() for s in SENTENCE.split(text) if s.strip()]


def squash(text: str) -> str:
    """Fold every run of whitespace (including no-break spaces) to one space."""
    return re.sub(r"[\s\u00a0]+", " ", text).strip()
