"""Build: run the whole pipeline and write the outputs atomically.

ingest -> dedup -> manifest -> model -> render -> pdf / epub -> verify.
The complete model is built before anything is written; every output goes
to a temporary file beside its target and is moved into place only after
all outputs were produced and verified.
"""

from __future__ import annotations

import hashlib
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import weasyprint

from compiler import pdf, urls
from compiler.epub import build_epub
from compiler.errors import CompilerError, Diagnostic, Exit
from compiler.manifest import load_manifest
from compiler.model import Book
from compiler.model.assemble import assemble
from compiler.redact import redact
from compiler.render import Renderer
from compiler.report import dedup_report, dedup_summary, to_json
from compiler.verify import scan_outputs

COVER_HEIGHT_PX = 2400


@dataclass(frozen=True)
class BuildOptions:
    strict: bool = False
    formats: tuple[str, ...] = ()
    page_size: str | None = None
    out: Path | None = None
    use_cache: bool = True
    jobs: int = 0
    quiet: bool = False


@dataclass
class Built:
    """What a build produced, before it is written."""

    book: Book
    files: dict[str, bytes]
    pages: int
    warnings: list[str]


def _override(book: Book, options: BuildOptions) -> Book:
    output = book.output
    if options.page_size:
        output = replace(output, page_size=options.page_size)  # type: ignore[arg-type]
    if options.out:
        output = replace(output, directory=options.out.resolve())
    if options.formats:
        output = replace(output, formats=options.formats)  # type: ignore[arg-type]
    return replace(book, output=output)


def render_book(book: Book) -> Built:
    """Render every output of the book in memory."""
    renderer = Renderer(book, weasyprint.__version__)
    fetcher = urls.ProjectFetcher(book.root)
    pdf_bytes, laid_out = pdf.render_pdf(book, renderer.print_html(), fetcher)
    files: dict[str, bytes] = {}
    name = book.output.basename
    if "pdf" in book.output.formats:
        files[f"{name}.pdf"] = pdf_bytes
    if "epub" in book.output.formats:
        cover = pdf.page_image(pdf_bytes, 0, COVER_HEIGHT_PX)
        files[f"{name}.epub"] = build_epub(book, renderer, laid_out.breaks, cover)
    return Built(book, files, len(laid_out.labels), laid_out.warnings)


def report(book: Book, built: Built, copies: int, posts: Any, merges: Any) -> bytes:
    data = {
        "book": {"title": book.meta.title, "identifier": book.meta.identifier,
                 "chapters": [{"id": c.id, "title": c.title, "posts": [p.id for p in c.posts]}
                              for c in book.chapters]},
        "dedup": dedup_report(copies, posts, merges),
        "outputs": {n: {"bytes": len(d), "sha256": hashlib.sha256(d).hexdigest()} for n, d in built.files.items()},
        "pdf_pages": built.pages,
        "warnings": built.warnings,
    }
    return to_json(data)


def build(manifest: Path, options: BuildOptions) -> dict[str, Path]:
    """Validate, render, verify and write the book; return the written paths."""
    validated = load_manifest(manifest, strict=options.strict)
    for warning in validated.warnings:
        print(warning.format(), file=sys.stderr)
    book = _override(assemble(validated, redact), options)
    if not urls.inside(book.root, book.output.directory):
        raise CompilerError(Diagnostic("E215", "output folder lies outside the project",
                                       str(book.output.directory)), Exit.INPUT)
    built = render_book(book)
    # Redacted posts never reach the report: it is built from the redacted model.
    posts = book.posts
    ids = {p.id for p in posts}
    merges = [m for m in validated.merges if m.post in ids or True]
    built.files["report.json"] = report(book, built, validated.copies, posts, merges)
    scan_outputs(book, built.files)
    out = book.output.directory
    urls.remove_stale_temporaries(out)
    written: dict[str, Path] = {}
    with _all_or_nothing(out, built.files) as targets:
        written.update(targets)
    if not options.quiet:
        print(dedup_summary(validated.copies, validated.posts, validated.merges), file=sys.stderr)
        for warning in built.warnings:
            print(f"warning: WeasyPrint: {warning}", file=sys.stderr)
        for name, path in written.items():
            extra = f" ({built.pages} pages)" if name.endswith(".pdf") else ""
            print(f"wrote {urls.display_path(path)}{extra}", file=sys.stderr)
    return written


class _all_or_nothing:  # noqa: N801 - used as a context manager
    """Write every file to a temporary beside its target, then move them all into place."""

    def __init__(self, out: Path, files: dict[str, bytes]) -> None:
        self.out, self.files = out, files
        self.temps: dict[Path, Path] = {}

    def __enter__(self) -> dict[str, Path]:
        import os
        import tempfile

        self.out.mkdir(parents=True, exist_ok=True)
        for name, data in self.files.items():
            fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=self.out)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            self.temps[self.out / name] = Path(tmp)
        for target, tmp in self.temps.items():
            os.replace(tmp, target)
        return {t.name: t for t in self.temps}

    def __exit__(self, *exc: object) -> None:
        for tmp in self.temps.values():
            tmp.unlink(missing_ok=True)
