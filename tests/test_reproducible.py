"""Reproducibility: separate processes, other folders, other clocks and time zones, same bytes."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from conftest import copy_project, run_compiler


def _digests(out: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(out.iterdir()) if p.is_file()}


@pytest.mark.skipif(shutil.which("faketime") is None, reason="faketime is installed by tools/setup-system")
def test_two_builds_are_byte_identical(built, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    other = copy_project(tmp_path / "elsewhere" / "deeper")
    result = run_compiler("elsewhere/deeper/book.yaml", cwd=tmp_path,
                          env={"TZ": "Asia/Almaty", "FAKETIME": "@2031-05-05 12:34:56",
                               "LD_PRELOAD": _libfaketime()})
    assert result.returncode == 0, result.stderr
    first, second = _digests(built["out"]), _digests(other / "out")
    assert set(first) == {"slavery-is-not-dead.pdf", "slavery-is-not-dead.epub", "report.json"}
    assert first == second


def _libfaketime() -> str:
    for candidate in Path("/usr/lib").rglob("libfaketime.so.1"):
        return str(candidate)
    pytest.skip("libfaketime not found")
    return ""


def test_source_date_epoch_sets_dates_when_manifest_has_none(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "p")
    manifest = project / "book.yaml"
    manifest.write_text(manifest.read_text().replace("  date: 2026-11-23\n", ""))
    missing = run_compiler("book.yaml", "--format", "epub", cwd=project, env={"SOURCE_DATE_EPOCH": ""})
    assert missing.returncode == 2 and "E230" in missing.stderr and "Traceback" not in missing.stderr
    result = run_compiler("book.yaml", "--format", "epub", cwd=project, env={"SOURCE_DATE_EPOCH": "1700000000"})
    assert result.returncode == 0, result.stderr
    import zipfile

    with zipfile.ZipFile(project / "out" / "slavery-is-not-dead.epub") as epub:
        opf = epub.read("EPUB/content.opf").decode()
        assert "2023-11-14T22:13:20Z" in opf
        assert epub.infolist()[0].date_time == (2023, 11, 14, 22, 13, 20)
