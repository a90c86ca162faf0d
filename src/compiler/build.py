"""Build: run the whole pipeline and write the outputs atomically.

ingest -> dedup -> manifest -> model -> render -> pdf / epub -> verify.
The complete model is built before anything is written; every output goes
to a temporary file beside its target and is moved into place only after
all outputs were produced and verified.
"""

from __future__ import annotations

import hashlib
import sys
from importlib import metadata
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

from compiler import cache, files
from compiler.errors import CompilerError, Diagnostic, Exit
from compiler.trace import trace
from compiler.limits import DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT_S, limited, load_before_limit
from compiler.manifest import Validated, load_manifest
from compiler.model import Book, PageBreak, Redaction
from compiler.model.assemble import assemble
from compiler.redact import redact, redact_field, redact_text, redact_value
from compiler.pdf import stylesheet_paths
from compiler.pdf.donors import Donor, read_donors
from compiler.render import Renderer
from compiler.render.nodes import unfetched
from compiler.report import dedup_report, dedup_summary, to_json
from compiler.verify import epubcheck, scan_outputs, unscanned

T = TypeVar("T")

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
    jobs: int = 0  # worker processes laying out the PDF's parts; 0: one per core
    one_document: bool = False  # lay the book out as one document (no parts); gives other PDF bytes
    donors: Path | None = None  # --for-list: a CSV of donors, one print copy each (compiler/pdf/donors.py)
    edition: str = ""  # "screen" or "print": only that edition; "": every edition the manifest names
    stamp_key: str = ""  # the options' digest for the build stamp (compiler.cache.options_digest); "": no stamp
    media: Path | None = None  # --media: the media folder (else the manifest's ``media``)
    preview: Any = None  # serve's preview (a compiler.preview.Preview): the PDF's pages, before the EPUB is made


@dataclass
class Built:
    """What a build produced, before it is written."""

    book: Book
    files: dict[str, bytes]
    pages: int
    warnings: list[str]
    scanning: dict[str, Any] = field(default_factory=dict)  # leak scans under way in a worker, by output
    editions: list[dict[str, Any]] = field(default_factory=list)  # the print editions' facts
    notes: list[Diagnostic] = field(default_factory=list)  # warnings found in the outputs (W130)


def _override(book: Book, options: BuildOptions) -> Book:
    output = book.output
    if options.page_size:
        output = replace(output, page_size=options.page_size)  # type: ignore[arg-type]
    if options.out:
        output = replace(output, directory=options.out.resolve())
    if options.formats:
        output = replace(output, formats=options.formats)  # type: ignore[arg-type]
    if options.edition == "screen":
        output = replace(output, print_editions=())
    elif options.edition == "print":
        output = replace(output, screen=False)
    return replace(book, output=output)


def _layout(book: Book, html: str, want_breaks: bool, use_cache: bool,
            pool: Any) -> tuple[bytes, list[str], list[PageBreak], list[str], str]:
    """The PDF laid out as one document, and its layout facts: from the layout cache when the
    print inputs are unchanged, otherwise from a worker."""
    style = book.output.style_dir
    sheets = stylesheet_paths(style, book.output.page_size)
    key = cache.layout_key(html, sheets, (style / "fonts").glob("*.*tf"), want_breaks)
    hit = cache.load_layout(book.output.directory, key) if use_cache else None
    if hit is not None:
        trace("render-pdf", cached=True)
        data, facts = hit
        breaks = [PageBreak(*b) for b in facts["breaks"]]
        return data, facts["labels"], breaks, facts["warnings"], key
    trace("render-pdf")
    from compiler.pdf.parts import lay_out_whole

    data, labels, breaks, warnings = _fetching(lambda: pool.submit(lay_out_whole, book, html, want_breaks).result())
    cache.store_layout(book.output.directory, key, data, {
        "labels": labels, "warnings": warnings, "breaks": [[b.label, b.target, b.words] for b in breaks]})
    return data, labels, breaks, warnings, key


def _fetching(lay_out: Callable[[], T]) -> T:
    """Run a layout; a resource the project fetcher refused (in a worker) is an input error."""
    from compiler.pdf import Refused

    try:
        return lay_out()
    except Refused as exc:
        raise CompilerError(Diagnostic("E106", exc.message, exc.file, exc.line,
                                       hint="use only files inside the project")) from None


def in_parts(book: Book, options: BuildOptions) -> bool:
    """Whether the PDF is laid out in parts: for every book of two chapters or more, on any machine
    (the parts are chosen from the book alone, so the bytes never depend on the number of cores)."""
    return not options.one_document and len(book.chapters) >= 2


def _layout_parts(book: Book, renderer: Renderer, pool: Any, jobs: int, use_cache: bool,
                  on_front: Callable[[bytes], object],
                  on_pieces: Callable[[list[tuple[bytes, bool]], list[str]], object],
                  ) -> tuple[bytes, list[str], list[PageBreak], list[str], bool]:
    from compiler.pdf.parts import PartRenderer

    from compiler.pdf.merge import MergeError

    def lay_out(cached: bool) -> Any:
        return _fetching(lambda: PartRenderer(book, renderer, pool, jobs, cached,
                                              metadata.version("weasyprint")).lay_out_book(on_front, on_pieces))

    try:
        laid = lay_out(use_cache)
    except MergeError:
        if not use_cache:
            raise
        trace("merge-pdf", again=True)  # parts from the cache that do not fit together: lay all out anew
        laid = lay_out(False)
    return laid.pdf, laid.labels, laid.breaks, laid.warnings, laid.laid_out > 0


def _cover(book: Book, pdf: bytes, use_cache: bool) -> bytes:
    """The EPUB's cover: the PDF's first page as a PNG (cached by the PDF holding it)."""
    from compiler.epub.cover import cover_png

    return cache.memo(book.output.directory, "cover", hashlib.sha256(pdf).hexdigest() + f"-{COVER_HEIGHT_PX}",
                      lambda: cover_png(pdf, COVER_HEIGHT_PX), use_cache)


def prepare_media(book: Book, media: dict[str, Any], use_cache: bool, pool: Any) -> Any:
    """The media folder's files the book's images were bound to (:func:`compiler.bookmedia.bind`),
    prepared for print and EPUB (:class:`compiler.bookmedia.Pictures`); None without any."""
    if not media:
        return None
    from compiler import bookmedia

    trace("prepare-media")
    return bookmedia.Pictures(bookmedia.prepare(media, book.output.directory, book.redactions, use_cache, pool),
                              book.root)


def render_book(book: Book, use_cache: bool, pool: Any, jobs: int, parts: bool, pictures: Any = None,
                preview: Any = None) -> Built:
    """Render every output of the book in memory; ``pool`` (see :mod:`compiler.pdf.pool`) lays
    out the PDF, in ``parts`` or as one document; ``pictures``: the prepared images (None: every
    image is a placeholder); ``preview`` (see :class:`BuildOptions`) sees the PDF before the EPUB is made."""
    renderer = Renderer(book, metadata.version("weasyprint"), pictures)
    trace("render-html")
    want_epub = "epub" in book.output.formats
    covers: list[bytes] = []
    prepared: list[Any] = []

    def on_front(pdf: bytes) -> None:  # while the other parts are laid out
        if want_epub:
            from compiler.epub import prepare

            covers[:] = [_cover(book, pdf, use_cache)]  # (again, if the parts are laid out anew)
            prepared[:] = [prepare(book, renderer)]

    from compiler.preview import pieces_hook

    on_pieces = pieces_hook(book, pool, preview)
    if parts:
        pdf_bytes, labels, breaks, warnings, workers_busy = _layout_parts(book, renderer, pool, jobs, use_cache,
                                                                          on_front, on_pieces)
    else:
        pdf_bytes, labels, breaks, warnings, _key = _layout(book, renderer.print_html(), want_epub, use_cache, pool)
        workers_busy = False
        on_pieces([(pdf_bytes, False)], labels)
        on_front(pdf_bytes)
    trace("render-pdf", done=True)
    files: dict[str, bytes] = {}
    scanning: dict[str, Any] = {}
    name = book.output.basename
    if "pdf" in book.output.formats:
        files[f"{name}.pdf"] = pdf_bytes
        if workers_busy and book.redactions:  # a (ready) worker scans the PDF while we make the EPUB
            from compiler.leaks import scan_files

            scanning[f"{name}.pdf"] = pool.submit(scan_files, {f"{name}.pdf": pdf_bytes}, book.redactions)
    if want_epub:
        from compiler.epub import build_epub

        trace("render-epub")
        files[f"{name}.epub"] = build_epub(book, renderer, breaks, covers[0], prepared[0])
    notes = []
    if pictures is not None and "pdf" in book.output.formats:
        from compiler.bookmedia import dpi_warnings

        notes = dpi_warnings(pdf_bytes, pictures.pictures, book)
    return Built(book, files, len(labels), warnings, scanning, notes=notes)


def _donor_copies(book: Book, donors: list[Donor], built: Built | None, pool: Any, jobs: int) -> Built:
    """One print copy per donor, each scanned for leaks in a worker while the others are made."""
    from compiler.pdf.donors import copies

    if built is None:
        built = Built(book, {}, 0, [], {})
    trace("render-donors")
    made = copies(book, donors, built.files, built.editions, Renderer(book), pool, jobs)
    built.files.update(made)
    if book.redactions:
        from compiler.leaks import scan_files

        for name, data in made.items():
            built.scanning[name] = pool.submit(scan_files, {name: data}, book.redactions)
    return built


def render_print(book: Book, built: Built | None, use_cache: bool, pool: Any, pictures: Any = None) -> Built:
    """The print editions (interiors and wrap covers), added to the screen edition's outputs."""
    from compiler.pdf.printed import render_editions

    printed = render_editions(book, pool, use_cache, pictures)
    if built is None:
        return Built(book, printed.files, 0, printed.warnings, {}, printed.facts)
    built.files.update(printed.files)
    built.warnings.extend(printed.warnings)
    built.editions = printed.facts
    return built


def report(book: Book, built: Built, validated: Validated) -> bytes:
    """The build report, from the redacted model: no redacted term can reach it."""
    data = {
        "book": {"title": book.meta.title, "identifier": book.meta.identifier,
                 "chapters": [{"id": c.id, "title": c.title, "posts": [p.id for p in c.posts]}
                              for c in book.chapters]},
        "dedup": dedup_report(validated.copies, validated.posts, validated.merges),
        "outputs": {n: {"bytes": len(d), "sha256": hashlib.sha256(d).hexdigest()} for n, d in built.files.items()},
        "pdf_pages": built.pages,
        "print_editions": built.editions,
        "warnings": built.warnings,
    }
    return to_json(redact_value(data, lambda text: redact_field(text, book.redactions)))


def _load_libraries(book: Book, options: BuildOptions) -> None:
    """Import everything this process needs before the memory limit applies. The limit is for
    rendering (as in the worker processes); and importing a module compiles it when no bytecode
    is cached, where a refused allocation surfaces as any error but MemoryError."""
    names = ["compiler.leaks", "compiler.pdf.pool", "compiler.pdf.parts", "encodings.cp437",
             "encodings.unicode_escape"]
    if in_parts(book, options):
        names.append("compiler.pdf.merge")
    if "epub" in book.output.formats:
        names += ["compiler.epub", "compiler.epub.cover", "pypdfium2"]
    if book.output.print_editions or options.donors:
        names += ["compiler.pdf.printed", "compiler.pdf.editions", "compiler.pdf.donors", "compiler.render.linknotes",
                  "pikepdf", "slugify"]
        if any(e.service == "ingram" for e in book.output.print_editions):
            names += ["compiler.pdf.pdfx", "numpy", "fontTools.ttLib"]  # PDF/X-1a: colour, images, fonts
    if options.preview is not None:  # serve: the pages are read and drawn during the build
        names += ["pikepdf", "pypdfium2", "PIL.Image", "PIL.PngImagePlugin"]
    load_before_limit([*names, "compiler.preview", "compiler.render.charts"])
    from compiler.render.charts import predraw

    predraw(book)  # matplotlib (imported only for a book with charts) and the drawing: before the limit


def _holds_term(book: Book) -> Callable[[bytes], bool] | None:
    """For a book with redactions: whether a cache fact file (JSON) holds a redacted term."""
    if not book.redactions:
        return None
    from compiler.leaks import scan_files

    return lambda data: bool(scan_files({"cache.json": data}, book.redactions))


def _media(folder: Path | None, roots: tuple[Path, ...] = ()) -> tuple[Callable[[Book], Book], dict[str, Any]]:
    """The step binding the book's images to the media folder, and the local images of static sites
    to their files (none of either: every image is a placeholder)."""
    if folder is None and not roots:
        return (lambda book: book), {}
    from compiler.bookmedia import binding

    return binding(folder, roots)


def _check_out_name(book: Book) -> None:
    """An output folder named after a redacted person (``out-natasha``) would carry the name on
    every path under it: refused (E216) before anything is written."""
    if not book.redactions:
        return
    from compiler.leaks import find

    relative = book.output.directory.resolve().relative_to(book.root.resolve()).as_posix()
    if find(relative, book.redactions):
        raise CompilerError(Diagnostic("E216", "the output folder's name holds a redacted term", "book.yaml",
                                       hint="name the output folder otherwise, e.g. out"), Exit.INPUT)


def _check_out_option(book: Book, read: set[Path]) -> None:
    """``--out`` as the manifest's ``output.dir`` is checked (E248): never the project folder, the
    style folder or a folder that holds an input."""
    out = book.output.directory
    style = book.output.style_dir
    if any(files.inside(out, p) for p in (book.root, style, *read)) or files.inside(style, out):
        raise CompilerError(Diagnostic("E248", "the --out folder is the project folder, lies in the style folder "
                                       "or holds an input", files.display_path(out),
                                       hint="write the book to a folder of its own, e.g. --out out"), Exit.INPUT)


def _print_checks(book: Book, manifest: Path) -> None:
    """W140 for characters no font of the book draws, W141 for an embed printed without a QR code
    (the book is redacted already: a post is named by its redacted title)."""
    from compiler.fonts import glyph_warnings
    from compiler.render.nodes import qr_problems

    where = files.display_path(manifest)
    for warning in glyph_warnings(book, where, book.output.directory / ".cache" / "cmap"):
        print(warning.format(), file=sys.stderr)
    for post, url, why in qr_problems(book):
        print(Diagnostic("W141", f"post '{post.id}': embed {url[:80]}… is printed without a QR code: {why}",
                         where, hint="the address is printed in full; shorten it with a correction to get "
                         "a QR code", warning=True).format(), file=sys.stderr)


def build(manifest: Path, options: BuildOptions, pool: Any = None) -> dict[str, Path]:
    """Validate, render, verify and write the book; return the written paths. ``pool`` lays out
    the PDF (see :mod:`compiler.pdf.pool`); without one, a pool is started here."""
    trace("validate")
    with files.recording() as read:  # every input the manifest names, whichever key names it
        validated = load_manifest(manifest, strict=options.strict)
        names = tuple(Redaction(r.term, r.replacement) for r in validated.spec.redactions)
        for problem in validated.warnings:  # a reader's warning names posts: redacted like the book
            print(redact_text(problem.format(), names), file=sys.stderr)
        trace("assemble")
        bind_media, media = _media(options.media or validated.media, validated.media_roots)  # before redaction
        book = _override(assemble(validated, lambda b: redact(bind_media(b))), options)
        donors = read_donors(options.donors) if options.donors else None
        if not options.quiet:
            where = "the media folder" if options.media or validated.media or validated.media_roots \
                else "a media folder (none given)"
            for post, url in unfetched(book):  # images are never fetched: a local copy, or a placeholder
                if validated.media_roots and "://" not in url and not url.startswith("//"):
                    continue  # a static site's image: its reader warned already (W161, W164)
                print(Diagnostic("W125", f"post '{post.id}': image {url} is not printed (not in {where}, or an "
                                 "SVG drawing); a framed placeholder shows its alt text", files.display_path(manifest),
                                 warning=True).format(), file=sys.stderr)
            _print_checks(book, manifest)
    inputs = cache.Inputs(validated.root, tuple(read), tuple(validated.spec.sources),
                          (book.output.style_dir, *(p for p in validated.sources  # a static site's folder: a new post counts
                                                   if p.is_dir() and not files.inside(p, book.output.directory))))
    stamp = cache.build_key(inputs, options.stamp_key) if options.stamp_key else ""  # as the build starts
    if not files.inside(book.root, book.output.directory):
        raise CompilerError(Diagnostic("E215", "output folder lies outside the project",
                                       str(book.output.directory)), Exit.INPUT)
    if options.out:
        _check_out_option(book, read)
    _check_out_name(book)
    files.check_writable(book.output.directory)  # before rendering: E410 now, not after minutes
    _load_libraries(book, options)
    guard = _holds_term(book)
    with unscanned(book.output.directory, bool(book.redactions)), cache.guarded(guard):
        with limited(options.timeout_s, options.memory_mb):
            from compiler.pdf.pool import job_count, workers

            parts = in_parts(book, options)
            jobs = job_count(options.jobs) if parts else 1
            def render(using: Any) -> Built:
                pictures = prepare_media(book, media, options.use_cache, using)
                screen = render_book(book, options.use_cache, using, jobs, parts, pictures, options.preview) \
                    if book.output.screen else None
                result = render_print(book, screen, options.use_cache, using, pictures) \
                    if book.output.print_editions else screen
                if donors is not None:
                    result = _donor_copies(book, donors, result, using, jobs)
                assert result is not None
                return result

            if pool is not None:
                built = render(pool)
            else:
                with workers(jobs, options.memory_mb) as own:
                    built = render(own)
        built.files["report.json"] = report(book, built, validated)
        trace("verify")
        scan_outputs(book, built.files, {name: pending.result() for name, pending in built.scanning.items()})
    if options.epubcheck:
        for name, data in built.files.items():
            if name.endswith(".epub"):
                epubcheck(name, data)
    trace("write")
    out = book.output.directory
    files.remove_stale_temporaries(out)
    written = files.write_all(out, built.files, on_step=lambda name: trace("write", part=name))
    if stamp:
        with cache.guarded(guard):  # the stamp names input files: one named after a person is not recorded
            cache.record(manifest, inputs, stamp, built.files, out)
    if not options.quiet:
        summary = dedup_summary(validated.copies, validated.posts, validated.merges)
        print(redact_text(summary, book.redactions), file=sys.stderr)
        for line in (*validated.left_out_summary(), *validated.notes):
            print(redact_text(line, book.redactions), file=sys.stderr)
        for warning in built.warnings:
            print(f"warning: WeasyPrint: {warning}", file=sys.stderr)
        for note in built.notes:
            print(replace(note, file=files.display_path(manifest)).format(), file=sys.stderr)
        pages = {f"{book.output.basename}.pdf": built.pages} | {e["interior"]: e["pages"] for e in built.editions}
        for name, path in written.items():
            extra = f" ({pages[name]} pages)" if name in pages else ""
            print(f"wrote {files.display_path(path)}{extra}", file=sys.stderr)
    return written
