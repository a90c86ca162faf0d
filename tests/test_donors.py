"""Donor copies (``--for-list``): one print copy per donor that differs from the edition only on the
half-title's verso, with the name escaped, deterministic, and refused when a name is a redacted one."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pikepdf
import pytest

from compiler.errors import CompilerError
from compiler.pdf.donors import read_donors
from conftest import run_compiler

INTERIOR = "slavery-is-not-dead-kdp-6x9in.pdf"
DONORS = 'name,message\nJane Doe,"Thank you for the coats, the concert and the sale."\n' \
         "Bob <b>&amp; Co</b>,\nAmélie Ñúñez,Merci\n"


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "donors.csv"
    path.write_text(text)
    return path


def test_the_list_is_read_with_its_header_and_optional_messages(tmp_path: Path) -> None:
    donors = read_donors(_write(tmp_path, DONORS))
    assert [(d.name, d.message, d.line) for d in donors] == [
        ("Jane Doe", "Thank you for the coats, the concert and the sale.", 2), ("Bob <b>&amp; Co</b>", "", 3),
        ("Amélie Ñúñez", "Merci", 4)]


@pytest.mark.parametrize("text, expected", [
    ("Jane,hello,extra\n", [("E195", 1)]),
    ("Jane\n,no name\nBob\n", [("E195", 2)]),
    ("Jane\u202e,x\n", [("E197", 1)]),
    ("name,message\n\n", [("E196", 0)]),
    ("A" * 200 + "\nB\n", [("E197", 1)]),
])
def test_a_bad_list_is_an_error_at_its_row(tmp_path: Path, text: str, expected: list[tuple[str, int]]) -> None:
    with pytest.raises(CompilerError) as caught:
        read_donors(_write(tmp_path, text))
    assert [(d.code, d.line) for d in caught.value.diagnostics] == expected
    assert all(d.file.endswith("donors.csv") for d in caught.value.diagnostics)


@pytest.fixture(scope="module")
def copies(built: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = tmp_path_factory.mktemp("donors") / "book"
    shutil.copytree(built["project"], project)
    manifest = project / "book.yaml"
    manifest.write_text(manifest.read_text().replace("output:\n", "output:\n  print: {service: kdp}\n", 1))
    (project / "donors.csv").write_text(DONORS)
    result = run_compiler("book.yaml", "--edition", "print", "--for-list", "donors.csv", cwd=project)
    assert result.returncode == 0, result.stderr
    return project


def _text(data: bytes, page: int) -> str:
    return subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), "-", "-"], input=data,
                          capture_output=True, check=True).stdout.decode()


def _contents(data: bytes) -> list[bytes]:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        return [page.obj.Contents.read_bytes() if "/Contents" in page.obj else b"" for page in pdf.pages]


def test_each_copy_is_the_edition_with_the_donor_on_the_verso(copies: Path) -> None:
    out = copies / "out"
    interior = (out / INTERIOR).read_bytes()
    names = sorted(p.name for p in out.glob("*-for-*.pdf"))
    assert names == ["slavery-is-not-dead-kdp-6x9in-for-001-jane-doe.pdf",
                     "slavery-is-not-dead-kdp-6x9in-for-002-bob-b-co-b.pdf",
                     "slavery-is-not-dead-kdp-6x9in-for-003-amelie-nunez.pdf"]
    expected = [("Jane Doe", "Thank you for the coats, the concert and the sale."), ("Bob <b>&amp; Co</b>", ""),
                ("Amélie Ñúñez", "Merci")]
    base = _contents(interior)
    assert _text(interior, 2).strip() == ""  # the edition's verso is blank
    for name, (donor, message) in zip(names, expected):
        data = (out / name).read_bytes()
        page = " ".join(_text(data, 2).split())
        assert page == " ".join(f"Printed for {donor} {message}".split())
        mine = _contents(data)
        assert len(mine) == len(base)
        assert [i for i, (a, b) in enumerate(zip(mine, base)) if a != b] == [1]  # only the verso differs
        with pikepdf.open(io.BytesIO(data)) as pdf, pikepdf.open(io.BytesIO(interior)) as edition:
            assert [list(p.obj.TrimBox) for p in pdf.pages] == [list(p.obj.TrimBox) for p in edition.pages]


def test_copies_are_deterministic(copies: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    shutil.copytree(copies, again)
    result = run_compiler("book.yaml", "--edition", "print", "--for-list", "donors.csv", "--no-cache", cwd=again)
    assert result.returncode == 0, result.stderr
    for path in (copies / "out").glob("*-for-*.pdf"):
        assert (again / "out" / path.name).read_bytes() == path.read_bytes()


def test_a_donor_named_like_the_redacted_person_stops_the_build(copies: Path, tmp_path: Path) -> None:
    project = tmp_path / "leak"
    shutil.copytree(copies, project)
    (project / "donors.csv").write_text("Jane Doe\nNatasha\n")
    before = {p.name: p.read_bytes() for p in (project / "out").glob("*.pdf")}
    result = run_compiler("book.yaml", "--edition", "print", "--for-list", "donors.csv", cwd=project)
    assert result.returncode == 3, result.stderr
    assert "E301" in result.stderr and "Natasha" not in result.stderr
    assert {p.name: p.read_bytes() for p in (project / "out").glob("*.pdf")} == before  # nothing written


def test_donor_copies_need_a_print_edition(built: dict[str, Path], tmp_path: Path) -> None:
    project = tmp_path / "screen"
    shutil.copytree(built["project"], project)
    (project / "donors.csv").write_text("Jane Doe\n")
    result = run_compiler("book.yaml", "--for-list", "donors.csv", cwd=project)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith("book.yaml: E198 donor copies are print copies")
