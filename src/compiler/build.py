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
import time
from importlib import metadata
from dataclasses import dataclass, replace
from pathlib import Path

from compiler import cache, urls
from compiler.errors import CompilerError, Diagnostic, Exit
from compiler.limits import DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT_S, limited
from compiler.manifest import Validated, load_manifest
from compiler.model import Book, PageBreak
from compiler.model.assemble import assemble
from compiler.redact import redact, redact_text, redact_value
from compiler.render import PRINT_STYLESHEETS, Renderer
from compiler.report import dedup_report, dedup_summary, to_json
from compiler.verify import epubcheck, scan_outputs

COVER_HEIGHT_PX = 2400


@dataclass(frozen=True)
class BuildOptions:
    strict: bool = False
    formats: tuple[str, ...] = ()
    page_size: str | None = None
    out: Path | None = None
    use_cache: bool = True
    quiet: bool = False
    timeout_s: float = DEFAULT_TIMEOUT_S
    memory_mb: int = DEFAULT_MEMORY_MB
    epubcheck: bool = False
    stamp_key: str = ""  # the inputs' hash taken when the build started (see compiler.cache)


_START = time.perf_counter()


def trace(stage: str) -> None:
    """With COMPILER_TRACE=1, say which stage starts (the kill test uses it); with
    COMPILER_TRACE=time, also when (seconds since the process started)."""
    mode = os.environ.get("COMPILER_TRACE")
    if mode == "1":
        print(f"stage: {stage}", file=sys.stderr, flush=True)
    elif mode == "time":
        print(f"{time.perf_counter() - _START:7.3f} s  {stage}", file=sys.stderr, flush=True)


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


def _layout(book: Book, html: str, want_breaks: bool,
            use_cache: bool) -> tuple[bytes, list[str], list[PageBreak], list[str], str]:
    """The PDF and its layout facts: from the layout cache when the print inputs are unchanged."""
    style = book.output.style_dir
    sheets = [style / name for name in (*PRINT_STYLESHEETS, f"page-{book.output.page_size}.css")]
    key = cache.layout_key(html, sheets, (style / "fonts").glob("*.*tf"), want_breaks)
    hit = cache.load_layout(book.output.directory, key) if use_cache else None
    if hit is not None:
        trace("render-pdf (cached)")
        data, facts = hit
        breaks = [PageBreak(*b) for b in facts["breaks"]]
        return data, facts["labels"], breaks, facts["warnings"], key
    trace("render-pdf")
    from compiler import pdf  # imports WeasyPrint: only when a layout is needed

    data, laid_out = pdf.render_pdf(book, html, urls.ProjectFetcher(book.root), page_starts=want_breaks)
    cache.store_layout(book.output.directory, key, data, {
        "labels": laid_out.labels, "warnings": laid_out.warnings,
        "breaks": [[b.label, b.target, b.words] for b in laid_out.breaks]})
    return data, laid_out.labels, laid_out.breaks, laid_out.warnings, key


def render_book(book: Book, use_cache: bool = True) -> Built:
    """Render every output of the book in memory."""
    renderer = Renderer(book, metadata.version("weasyprint"))
    trace("render-html")
    html = renderer.print_html()
    want_epub = "epub" in book.output.formats
    pdf_bytes, labels, breaks, warnings, _key = _layout(book, html, want_epub, use_cache)
    trace("render-pdf done")
    files: dict[str, bytes] = {}
    name = book.output.basename
    if "pdf" in book.output.formats:
        files[f"{name}.pdf"] = pdf_bytes
    if want_epub:
        from compiler.epub import build_epub

        trace("render-epub")
        from compiler.epub.cover import cover_png

        cover = cache.memo(book.output.directory, "cover",
                           hashlib.sha256(pdf_bytes).hexdigest() + f"-{COVER_HEIGHT_PX}",
                           lambda: cover_png(pdf_bytes, COVER_HEIGHT_PX), use_cache)
        files[f"{name}.epub"] = build_epub(book, renderer, breaks, cover)
    return Built(book, files, len(labels), warnings)


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
    trace("assemble")
    book = _override(assemble(validated, redact), options)
    if not urls.inside(book.root, book.output.directory):
        raise CompilerError(Diagnostic("E215", "output folder lies outside the project",
                                       str(book.output.directory)), Exit.INPUT)
    with limited(options.timeout_s, options.memory_mb):
        built = render_book(book, options.use_cache)
    built.files["report.json"] = report(book, built, validated)
    trace("verify")
    scan_outputs(book, built.files)
    if options.epubcheck:
        for name, data in built.files.items():
            if name.endswith(".epub"):
                epubcheck(name, data)
    trace("write")
    out = book.output.directory
    urls.remove_stale_temporaries(out)
    written = urls.write_all(out, built.files, on_step=lambda name: trace(f"write {name}"))
    if options.stamp_key:
        cache.record(options.stamp_key, built.files, out)
    if not options.quiet:
        summary = dedup_summary(validated.copies, validated.posts, validated.merges)
        print(redact_text(summary, book.redactions), file=sys.stderr)
        for warning in built.warnings:
            print(f"warning: WeasyPrint: {warning}", file=sys.stderr)
        for name, path in written.items():
            extra = f" ({built.pages} pages)" if name.endswith(".pdf") else ""
            print(f"wrote {urls.display_path(path)}{extra}", file=sys.stderr)
    return written
