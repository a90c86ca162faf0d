"""Manifest: read and validate book.yaml, and place the posts into chapters.

:func:`load_manifest` runs every check (YAML syntax, schema, files, sources,
posts, corrections) and raises one :class:`CompilerError` listing all the
problems, each with its line and column, or returns a :class:`Validated`.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

from compiler import files
from compiler.dedup import dedup
from compiler.errors import CompilerError, Diagnostic, display_path
from compiler.ingest import ReadOptions, Source, all_copies, read_sources
from compiler.ingest.text import shown
from compiler.manifest.checks import Checker
from compiler.manifest.rules import book_filter, check_ranges
from compiler.manifest.schema import ManifestSpec, validate
from compiler.manifest.yamlsrc import YAMLSyntaxError, load
from compiler.model import Merge, Post
from compiler.model.entries import Entry, LeftOut


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
    pages: tuple[Entry, ...] = ()  # the exports' pages, for front and back matter by slug
    left_out: tuple[tuple[str, LeftOut], ...] = ()  # (source, item) an export held that the book leaves out
    formats: tuple[str, ...] = ()  # each source's format (the reader's name), in source order
    notes: tuple[str, ...] = ()  # the readers' lines for the build summary (a feed's span)
    media: Path | None = None  # the media folder (``media``), resolved: it exists
    media_roots: tuple[Path, ...] = ()  # the folders local image paths are relative to (a static site's)

    def left_out_summary(self) -> list[str]:
        """One line per source that left posts or pages out, with the counts by reason, and one for
        the posts the book's filter left out."""
        by_source: dict[str, Counter[str]] = {}
        for source, item in self.left_out:
            by_source.setdefault(source, Counter())[f"{item.kind} {item.reason}"] += 1
        lines = [f"{source}: left out " + ", ".join(f"{n} {what}" for what, n in sorted(counts.items()))
                 for source, counts in by_source.items()]
        keep = book_filter(self.spec.filter.model_dump())
        if filtered := sum(not keep(p) for p in self.posts):
            lines.append(f"filter: left out {filtered} post{'s' if filtered != 1 else ''}")
        return lines


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
    check_ranges(checker)
    checker.environment()
    checker.files()
    sources = checker.sources() + external_sources(checker)
    media = media_folder(checker)
    checker.output_dir(path.resolve(), sources)
    posts: list[Post] = []
    merges: list[Merge] = []
    copies = 0
    complete = checker.sources_complete and bool(sources)
    read: list[Source] = []
    if sources:
        try:
            read = read_sources(sources, root, _options(spec))
            found = all_copies(read)
            copies = len(found)
            posts, merges = dedup(found)
        except CompilerError as exc:
            diagnostics.extend(exc.diagnostics)
            complete = False
    diagnostics.extend(_warning(s, w) for s in read for w in s.warnings)
    pages = tuple(p for s in read for p in s.pages)
    _check_pages(checker, pages)
    diagnostics.extend(empty_sources(read))
    complete = complete and not any(d.code == "E284" for d in diagnostics)
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
                     tuple(d for d in diagnostics if d.warning), pages,
                     tuple((s.name, item) for s in read for item in s.left_out), tuple(s.format for s in read),
                     tuple(n for s in read for n in s.notes), media,
                     tuple(dict.fromkeys(Path(s.meta["media_root"]) for s in read if s.meta.get("media_root"))))


_CODED = re.compile(r"^(?P<file>[^\n]*?)(?::(?P<line>\d+))?: (?P<code>W1\d\d) (?P<message>.*)$", re.S)


def _warning(source: Source, warning: str) -> Diagnostic:
    """A reader's warning: one that names its file (and line) and code keeps them, others are W120."""
    coded = _CODED.match(warning)
    if coded:
        return Diagnostic(coded["code"], coded["message"], coded["file"], int(coded["line"] or 0), warning=True)
    return Diagnostic("W120", warning.removeprefix(f"{source.name}: "), source.name, warning=True)


def _options(spec: ManifestSpec | None) -> ReadOptions:
    if spec is None:
        return ReadOptions()
    return ReadOptions(frozenset(spec.include_status), frozenset(spec.include_password))


def external_sources(checker: Checker) -> list[Path]:
    """The files ``external_sources`` names: anywhere on disk (relative to the manifest or absolute),
    one file each (no globs), only ever read."""
    found: list[Path] = []
    for i, value in checker.items("external_sources"):
        if not isinstance(value, str) or not value:
            continue
        if any(ch in value for ch in "*?["):
            checker.add("E271", f"external source '{shown(value)}' is a pattern", ("external_sources", i),
                        "name each file outside the project on its own line")
            continue
        target = (checker.root / value).resolve()
        if not (target.is_file() or target.is_dir()):
            checker.add("E270", f"external source '{shown(value)}' is not a file or folder", ("external_sources", i),
                        "fix the path (relative to the manifest's folder)")
            continue
        if target not in found:
            found.append(target)
    return found


def media_folder(checker: Checker) -> Path | None:
    """The folder ``media`` names (relative to the manifest, or absolute; anywhere on disk: it is
    only ever read): E130 at its line when it is not a folder."""
    value = checker.get("media")
    if not isinstance(value, str) or not value:
        return None
    target = (checker.root / value).resolve()
    if not target.is_dir():
        checker.add("E130", f"media folder '{shown(value)}' is missing or not a folder", ("media",),
                    "name a copy of the blog's wp-content/uploads, relative to the manifest")
        return None
    return target


def empty_source(source: Source) -> Diagnostic | None:
    """E284 for a source that holds neither a post the book may take nor a page (an export of
    nothing but drafts, say), named by the file (see :func:`empty_sources`)."""
    if source.copies or source.pages:
        return None
    held = f", only {len(source.left_out)} left out ({', '.join(sorted({i.reason for i in source.left_out}))})" \
        if source.left_out else ""
    return Diagnostic("E284", f"the source holds no post{held}", source.name,
                      hint="give a source with published posts, or add include_status to the manifest"
                      if source.left_out else "give a source with posts, or remove it")


def empty_sources(read: list[Source]) -> list[Diagnostic]:
    """E284 for each source when no source holds a post: a book (or a listing) of nothing. One empty
    source among others is no error (a section's ``_index.md`` matched by a glob, a draft)."""
    if any(s.copies for s in read):
        return []
    return [d for s in read if (d := empty_source(s)) is not None]


def _check_pages(checker: Checker, pages: tuple[Entry, ...]) -> None:
    """Every ``page:`` of the front and back matter, and of a chapter, is a page of an export (E272)."""
    slugs = {p.slug for p in pages}
    places = [(part, i, entry) for part in ("front_matter", "back_matter") for i, entry in checker.items(part)]
    places += [("chapters", i, entry) for i, entry in checker.items("chapters")]
    for part, i, entry in places:
        slug = entry.get("page") if isinstance(entry, dict) else None
        if isinstance(slug, str) and slug and slug not in slugs:
            close = difflib.get_close_matches(slug, sorted(slugs), n=1)
            hint = f"did you mean '{close[0]}'?" if close else \
                "name the slug of a page of a WordPress export in sources" if slugs else \
                "no source is a WordPress export with pages"
            checker.add("E272", f"page '{shown(slug)}' is not in the sources", (part, i, "page"), hint)


def _unique_chapter_ids(checker: Checker) -> None:
    seen: dict[str, int] = {}
    for i, chapter in checker.items("chapters"):
        if isinstance(chapter, dict) and isinstance(chapter.get("id"), str):
            if chapter["id"] in seen:
                checker.add("E225", f"chapter id '{shown(chapter['id'])}' is used twice", ("chapters", i, "id"),
                            "give each chapter its own id")
            seen.setdefault(chapter["id"], i)
