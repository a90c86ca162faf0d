"""Manifest: read and validate book.yaml, and place the posts into chapters.

:func:`load_manifest` runs every check (YAML syntax, schema, files, sources,
posts, corrections) and raises one :class:`CompilerError` listing all the
problems, each with its line and column, or returns a :class:`Validated`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from compiler import files
from compiler.dedup import dedup
from compiler.errors import CompilerError, Diagnostic, display_path
from compiler.ingest import read_pages
from compiler.ingest.text import shown
from compiler.manifest.checks import Checker
from compiler.manifest.schema import ManifestSpec, validate
from compiler.manifest.yamlsrc import YAMLSyntaxError, load
from compiler.model import Merge, Post


@dataclass(frozen=True)
class Validated:
    """A manifest that passed every check, with the posts it places."""

    spec: ManifestSpec
    file: Path
    root: Path
    sources: tuple[Path, ...]
    copies: int
    posts: tuple[Post, ...]
    merges: tuple[Merge, ...]
    chapters: dict[str, list[str]]
    warnings: tuple[Diagnostic, ...]


MAX_MANIFEST_BYTES = files.MAX_MANIFEST_BYTES


def _read(path: Path, name: str) -> str:
    if path.is_dir():
        raise CompilerError(Diagnostic("E200", "the manifest is a folder, not a file", name,
                                       hint="pass the path of a book.yaml"))
    if not path.is_file():
        raise CompilerError(Diagnostic("E200", "manifest not found", name, hint="pass the path of a book.yaml"))
    size = path.stat().st_size
    if size > MAX_MANIFEST_BYTES:
        raise CompilerError(Diagnostic("E249", f"the manifest is {size:,} bytes, over the limit of "
                                       f"{MAX_MANIFEST_BYTES:,}", name, hint="a book.yaml needs a few kilobytes"))
    try:
        return files.decode(files.read_bytes(path, MAX_MANIFEST_BYTES), name)
    except CompilerError as exc:  # the reader's hints speak of archive pages
        raise CompilerError([replace(d, message=d.message.replace("not a text page", "not a text file"),
                                     hint="save the manifest as UTF-8 text") for d in exc.diagnostics]) from None


def load_manifest(path: Path, strict: bool = False) -> Validated:
    """Validate ``path`` completely; raise with every problem found (each once: a check whose
    inputs failed, such as post ids when a source could not be read, is not run)."""
    name = display_path(path)
    text = _read(path, name)
    try:
        located = load(text)
    except YAMLSyntaxError as exc:
        message = f"YAML syntax error: {exc.message}" if exc.code == "E200" else exc.message
        raise CompilerError(Diagnostic(exc.code, message, name, exc.line, exc.column, hint=exc.hint)) from None
    root = path.resolve().parent
    spec, diagnostics = validate(located, name)
    checker = Checker(located, name, root)
    checker.values()
    checker.environment()
    checker.files()
    sources = checker.sources()
    checker.output_dir(path.resolve(), sources)
    posts: list[Post] = []
    merges: list[Merge] = []
    copies = 0
    complete = checker.sources_complete and bool(sources)
    if sources:
        try:
            found = read_pages(sources, root)
            copies = len(found)
            posts, merges = dedup(found)
        except CompilerError as exc:
            diagnostics.extend(exc.diagnostics)
            complete = False
    if complete:  # post ids are checked against every post, or not at all
        chapters = checker.placements(posts, strict)
        checker.corrections(posts)
    else:
        chapters = {}
    _unique_chapter_ids(checker)
    diagnostics.extend(checker.diagnostics)
    errors = [d for d in diagnostics if not d.warning]
    if errors or spec is None:
        errors.sort(key=lambda d: (d.file != name, d.file, d.line, d.column))
        raise CompilerError(errors)
    return Validated(spec, path, root, tuple(sources), copies, tuple(posts), tuple(merges), chapters,
                     tuple(d for d in diagnostics if d.warning))


def _unique_chapter_ids(checker: Checker) -> None:
    seen: dict[str, int] = {}
    for i, chapter in checker.items("chapters"):
        if isinstance(chapter, dict) and isinstance(chapter.get("id"), str):
            if chapter["id"] in seen:
                checker.add("E225", f"chapter id '{shown(chapter['id'])}' is used twice", ("chapters", i, "id"),
                            "give each chapter its own id")
            seen.setdefault(chapter["id"], i)
