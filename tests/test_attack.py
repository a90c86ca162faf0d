"""Regressions from the outside attack on the hardening (issue #11): each case failed before.

Templates are sandboxed and their mistakes are input errors; editorial Markdown may not link out
of the book or nest without end; command-line mistakes are one line; a cache fact file never
records a redacted name; cache entries forged with matching hashes cannot make a wrong book.
"""

from __future__ import annotations

import hashlib
import os
import json
import shutil
from pathlib import Path

import pytest

from compiler import cli
from compiler.errors import Exit
from conftest import built_copy, copy_project

PDF = "slavery-is-not-dead.pdf"


def _main(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str]]:
    code = cli.main(list(args))
    return code, [line for line in capsys.readouterr().err.splitlines() if line.strip()]


@pytest.fixture()
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the shipped project, the working folder for in-process commands."""
    copy_project(tmp_path)
    monkeypatch.chdir(tmp_path)
    return tmp_path


# -- templates ------------------------------------------------------------------------------------
@pytest.mark.parametrize("code, message", [
    ('{{ cycler.__init__.__globals__.os.popen("id").read() }}', "unsafe template code refused"),
    ("{{ ''.__class__.__mro__[1].__subclasses__() }}", "unsafe template code refused"),
    ('{% include "../../../../../etc/passwd" %}', "template not found"),
    ("{% if %}", "template error"),
    ("{{ no_such_thing.x }}", "template error"),
    # round 2: paths, modules, runaway templates
    ('{{ book.output.style_dir.joinpath("/etc/hostname").read_text() }}', "unsafe template code refused"),
    ('{{ book.root.joinpath("x").write_text("y") }}', "unsafe template code refused"),
    ('{{ ids.Path("/etc/hostname").read_text() }}', "template error"),
    ("{{ ids.re.compile('x') }}", "unsafe template code refused"),
    ("{% for i in range(10**9) %}x{% endfor %}", "template error: OverflowError"),
    ("{% macro r(n) %}{{ r(n+1) }}{% endmacro %}{{ r(0) }}", "template error: RecursionError"),
])
def test_a_template_can_format_the_book_and_nothing_else(project: Path, capsys: pytest.CaptureFixture[str],
                                                         code: str, message: str) -> None:
    template = project / "styles" / "templates" / "parts" / "halftitle.html"
    template.write_text(template.read_text().replace("</section>", code + "</section>"))
    status, lines = _main(capsys, "book.yaml", "--format", "epub")
    assert status == Exit.INPUT, lines
    assert len(lines) == 1 and lines[0].startswith("templates/parts/halftitle.html:3: E107 " + message), lines
    assert not (project / "x").exists()
    assert [p for p in (project / "out").rglob("*") if p.is_file()] == []


# -- editorial Markdown ---------------------------------------------------------------------------
@pytest.mark.parametrize("markdown, code", [
    ("See [there](#no-such-anchor).", "E257"),
    ("[c](../../../etc/passwd)", "E257"),
    ("![d](/etc/passwd)", "E257"),
    ("[t](tel:+15550100)", "E257"),
    ("[f](file:///etc/passwd)", "E257"),
    ("[j](javascript:alert(1))", "E257"),
    ("<javascript:alert(1)>", "E257"),
    ("[w](http:evil)", "E257"),
    ("*" * 1000 + "x" + "*" * 1000, "E258"),
    ("> " * 60 + "deep", "E258"),
    ("- " * 60 + "deep", "E258"),
])
def test_editorial_markdown_stays_in_the_book(project: Path, capsys: pytest.CaptureFixture[str],
                                              markdown: str, code: str) -> None:
    intro = project / "chapters" / "shelters.md"
    lines_before = intro.read_text().count("\n")
    intro.write_text(intro.read_text() + "\n" + markdown + "\n")
    for command in (["check", "book.yaml"], ["book.yaml", "--format", "epub"]):
        status, lines = _main(capsys, *command)
        assert status == Exit.INPUT, lines
        assert lines == [lines[0]] and f" {code} " in lines[0], lines
        assert lines[0].startswith(f"chapters/shelters.md:{lines_before + 2}: ") or code == "E258", lines


def test_links_inside_the_book_and_on_the_web_are_kept(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    intro = project / "chapters" / "shelters.md"
    intro.write_text(intro.read_text() + "\nSee [a post](#the-future-of-freed-slaves-in-kazakhstan), "
                     "[the foreword](#foreword) and [IOM](https://www.iom.int/).\n")
    status, lines = _main(capsys, "check", "book.yaml")
    assert status == Exit.OK, lines


# -- the command line -----------------------------------------------------------------------------
@pytest.mark.parametrize("args", [["--jobs", "-3"], ["--format", "docx"], ["--page-size", "A5"],
                                  ["--timeout", "-5"], ["--timeout", "nan"], ["--memory-limit", "x"],
                                  ["--no-such-option"], ["--memory-limit", "99999999999999999999"],
                                  ["--timeout", "1e308"], ["--jobs", "99999"]])
def test_command_line_mistakes_are_one_line(project: Path, capsys: pytest.CaptureFixture[str],
                                            args: list[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        cli.main(["book.yaml", *args])
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert stopped.value.code == Exit.INPUT
    assert len(lines) == 1 and " E001 " in lines[0], lines


# -- the cache's own facts ------------------------------------------------------------------------
def test_a_source_named_after_a_redacted_person_is_not_recorded(project: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    source = next((project / "sources").glob("002_*.txt"))
    source.rename(source.with_name("Natasha-Ivanova.txt"))
    status, lines = _main(capsys, "book.yaml", "--format", "epub")
    assert status == Exit.OK, lines
    out = project / "out"
    assert not (out / ".cache" / "build.json").exists()  # it would name the file
    for path in out.rglob("*"):
        if path.is_file():
            assert b"natasha" not in path.read_bytes().lower(), path


# -- forged cache entries -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def cached(tmp_path_factory: pytest.TempPathFactory, built: dict[str, Path]) -> tuple[Path, bytes]:
    """A built project (cache warm) and its clean PDF."""
    project = built_copy(built, tmp_path_factory.mktemp("forged") / "project")
    return project, built["pdf"].read_bytes()


def _forge(entry: Path, data: bytes) -> None:
    """Replace a cache entry's data and fix its sidecar's size and hash, as a forger would."""
    entry.write_bytes(data)
    sidecar = entry.with_suffix(".json")
    facts = json.loads(sidecar.read_text())
    facts.update(bytes=len(data), sha256=hashlib.sha256(data).hexdigest())
    sidecar.write_text(json.dumps(facts))


@pytest.mark.parametrize("target", ["merged", "part"])
def test_a_forged_cache_entry_never_makes_a_wrong_book(cached: tuple[Path, bytes], tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str], target: str) -> None:
    built, clean = cached
    project = tmp_path / "p"
    shutil.copytree(built, project)
    monkeypatch.chdir(project)
    layout = project / "out" / ".cache" / "layout"
    parts = sorted(layout.glob("part-*.pdf"), key=lambda p: p.stat().st_size)
    victim = next(layout.glob("merged-*.pdf")) if target == "merged" else parts[-1]
    _forge(victim, parts[0].read_bytes())  # the smallest part (the opening) in its place
    (project / "out" / PDF).unlink()
    status, lines = _main(capsys, "book.yaml", "--format", "pdf")
    assert status == Exit.OK, lines
    assert (project / "out" / PDF).read_bytes() == clean


def test_a_template_that_writes_broken_xhtml_is_e107(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    template = project / "styles" / "templates" / "parts" / "copyright.html"
    template.write_text(template.read_text().replace("</section>", "<p>N&shy;atasha</p></section>"))
    status, lines = _main(capsys, "book.yaml", "--format", "epub")
    assert status == Exit.INPUT and len(lines) == 1 and " E107 " in lines[0], lines


@pytest.mark.parametrize("where, code", [
    ("epub.css", 'body::after { content: "\\4E atasha"; }'),
    ("epub.css", 'body::after { content: "N" "ata" "sha"; }'),
    ("templates/parts/copyright.html", "<p><ruby>N<rt>x</rt>atasha</ruby></p>"),
])
def test_a_name_spelled_by_styles_is_refused(project: Path, capsys: pytest.CaptureFixture[str],
                                             where: str, code: str) -> None:
    path = project / "styles" / where
    text = path.read_text()
    path.write_text(text.replace("</section>", code + "</section>") if where.endswith(".html") else text + code)
    status, lines = _main(capsys, "book.yaml", "--format", "epub")
    assert status == Exit.LEAK, lines
    for found in (project / "out").rglob("*"):
        if found.is_file():
            assert b"atasha" not in found.read_bytes(), found


def test_an_output_folder_named_after_the_person_is_refused(project: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    manifest = project / "book.yaml"
    manifest.write_text(manifest.read_text().replace("  dir: out\n", "  dir: out-natasha\n"))
    assert "out-natasha" in manifest.read_text()
    status, lines = _main(capsys, "book.yaml", "--format", "epub")
    assert status == Exit.INPUT and " E216 " in lines[-1], lines
    assert not (project / "out-natasha").exists()


@pytest.mark.parametrize("manifest", ["/dev/zero", "fifo.yaml"])
def test_a_manifest_that_never_ends_is_refused(project: Path, capsys: pytest.CaptureFixture[str],
                                               manifest: str) -> None:
    if manifest == "fifo.yaml":
        os.mkfifo(project / manifest)
    status, lines = _main(capsys, manifest)
    assert status == Exit.INPUT and len(lines) == 1 and " E200 " in lines[0], lines
