"""Build: run the whole pipeline and write the outputs atomically.

ingest -> dedup -> manifest -> model -> render -> pdf / epub -> verify.
The complete model is built before anything is written; every output goes
to a temporary file beside its target and is moved into place only after
all outputs were produced and verified.
"""

from __future__ import annotations

import hashlib
import os
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import weasyprint

from compiler import pdf, urls
from compiler.epub import build_epub
from compiler.errors import CompilerError, Diagnostic, Exit
from compiler.limits import DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT_S, limited
from compiler.manifest import Validated, load_manifest
from compiler.model import Book
from compiler.model.assemble import assemble
from compiler.redact import redact, redact_text, redact_value
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
    timeout_s: float = DEFAULT_TIMEOUT_S
    memory_mb: int = DEFAULT_MEMORY_MB


def trace(stage: str) -> None:
    """With COMPILER_TRACE=1, say which stage starts (the kill test uses it)."""
    if os.environ.get("COMPILER_TRACE") == "1":
        print(f"stage: {stage}", file=sys.stderr, flush=True)


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
    trace("render-pdf")
    pdf_bytes, laid_out = pdf.render_pdf(book, renderer.print_html(), fetcher)
    files: dict[str, bytes] = {}
    name = book.output.basename
    if "pdf" in book.output.formats:
        files[f"{name}.pdf"] = pdf_bytes
    if "epub" in book.output.formats:
        trace("render-epub")
        cover = pdf.page_image(pdf_bytes, 0, COVER_HEIGHT_PX)
        files[f"{name}.epub"] = build_epub(book, renderer, laid_out.breaks, cover)
    return Built(book, files, len(laid_out.labels), laid_out.warnings)


def report(book: Book, built: Built, validated: Validated) -> bytes:
    """The build report, from the redacted model: no redacted term can reach it."""
    data = {
        "book": {"title": book.meta.title, "identifier": book.meta.identifier,
                 "chapters": [{"id": c.id, "title": c.title, "posts": [p.id for p in c.posts]}
                              for c in book.chapters]},
        "dedup": dedup_report(validated.copies, validated.posts, validated.merges),
        "outputs": {n: {"bytes": len(d), "sha256": hashlib.sha256(d).hexdigest()} for n, d in built.files.items()},
        "pdf_pages": built.pages,
        "warnings": built.warnings,
    }
    return to_json(redact_value(data, lambda text: redact_text(text, book.redactions)))


def build(manifest: Path, options: BuildOptions) -> dict[str, Path]:
    """Validate, render, verify and write the book; return the written paths."""
    trace("validate")
    validated = load_manifest(manifest, strict=options.strict)
    for warning in validated.warnings:
        print(warning.format(), file=sys.stderr)
    book = _override(assemble(validated, redact), options)
    if not urls.inside(book.root, book.output.directory):
        raise CompilerError(Diagnostic("E215", "output folder lies outside the project",
                                       str(book.output.directory)), Exit.INPUT)
    with limited(options.timeout_s, options.memory_mb):
        built = render_book(book)
    built.files["report.json"] = report(book, built, validated)
    trace("verify")
    scan_outputs(book, built.files)
    out = book.output.directory
    urls.remove_stale_temporaries(out)
    written = urls.write_all(out, built.files, on_step=lambda name: trace(f"write {name}"))
    if not options.quiet:
        summary = dedup_summary(validated.copies, validated.posts, validated.merges)
        print(redact_text(summary, book.redactions), file=sys.stderr)
        for warning in built.warnings:
            print(f"warning: WeasyPrint: {warning}", file=sys.stderr)
        for name, path in written.items():
            extra = f" ({built.pages} pages)" if name.endswith(".pdf") else ""
            print(f"wrote {urls.display_path(path)}{extra}", file=sys.stderr)
    return written
