"""Command line: ``python -m compiler [build|check|posts|init] ...``.

Every failure the user can fix is printed as one line per problem, naming
the file (and line), with a distinct exit code per failure class; a
traceback is shown only for internal errors under ``--debug``.
"""

from __future__ import annotations

import argparse
import threading
import json
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn
from pathlib import Path

from compiler import __version__
from compiler.errors import CompilerError, Diagnostic, Exit
from compiler.ingest.text import shown
from compiler.model.kinds import EDITIONS, FORMATS, PAGE_SIZES, WORDS_PER_PAGE

COMMANDS = ("build", "check", "posts", "init", "serve")


def _number(kind: type[int] | type[float], what: str, most: int) -> Callable[[str], int | float]:
    """An argument type: a number of ``kind`` from 0 to ``most`` (``what`` names it in the error)."""
    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except (ValueError, OverflowError):
            value = -1
        if not 0 <= value <= most:
            raise argparse.ArgumentTypeError(f"expected {what} from 0 to {most:,}, got {shown(text)!r}")
        return value
    return parse


_count = _number(int, "a number of processes", 1024)


class _Parser(argparse.ArgumentParser):
    """Command-line mistakes as one line, like every other input error (exit 2), not the usage text."""

    def error(self, message: str) -> NoReturn:
        print(f"{self.prog}: E001 {shown(message, 200)} (see python -m compiler --help)", file=sys.stderr)
        raise SystemExit(int(Exit.INPUT))


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m compiler", description="Turn a blog's archive pages into a book.")
    parser.add_argument("--version", action="version", version=f"compiler {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    build = sub.add_parser("build", help="build the book (the default command)")
    build.add_argument("manifest", type=Path, help="the book's manifest, e.g. book.yaml")
    build.add_argument("--strict", action="store_true", help="treat warnings (such as unplaced posts) as errors")
    build.add_argument("--edition", choices=EDITIONS,
                       help="build only the screen edition (PDF, EPUB) or only the print editions "
                            "(output.print); default: every edition the manifest names")
    build.add_argument("--for-list", type=Path, metavar="CSV",
                       help="also write one print copy per donor (name, optional message), "
                            "'Printed for NAME' on the half-title's verso")
    build.add_argument("--format", action="append", choices=FORMATS, dest="formats",
                       help="build only this format (repeatable; default: the manifest's formats)")
    build.add_argument("--page-size", choices=PAGE_SIZES, help="override output.page_size")
    build.add_argument("--out", type=Path, help="override output.dir")
    build.add_argument("--media", type=Path, metavar="DIR",
                       help="a local copy of the blog's wp-content/uploads (overrides the manifest's media)")
    build.add_argument("--no-cache", action="store_true", help="ignore and rebuild the cache in out/.cache")
    build.add_argument("--timeout", type=_number(float, "seconds", 7 * 24 * 3600), default=600, metavar="SECONDS",
                       help="stop rendering after this long (default 600; 0: no limit)")
    build.add_argument("--memory-limit", type=_number(int, "megabytes", 1 << 24), default=4096, metavar="MB",
                       help="stop rendering beyond this much memory (default 4096; 0: no limit)")
    build.add_argument("--jobs", type=_count, default=0, metavar="N",
                       help="worker processes laying out the PDF's parts (default: one per core)")
    build.add_argument("--one-document", action="store_true",
                       help="lay the PDF out as one document instead of in parts (slower; other bytes)")
    build.add_argument("--epubcheck", action="store_true",
                       help="validate the EPUB with EPUBCheck before replacing any output (needs Java)")
    build.add_argument("--debug", action="store_true", help="show a traceback for internal errors")
    build.add_argument("--quiet", action="store_true", help="print only problems")
    check = sub.add_parser("check", help="validate the manifest and summarise the book, without rendering")
    check.add_argument("manifest", type=Path)
    check.add_argument("--strict", action="store_true", help="treat warnings as errors")
    check.add_argument("--debug", action="store_true", help="show a traceback for internal errors")
    posts = sub.add_parser("posts", help="list the unique posts of archive pages and WordPress exports")
    posts.add_argument("paths", type=Path, nargs="+",
                       help="sources of any format (archive pages, WXR exports), or folders of *.txt and *.xml files")
    posts.add_argument("--json", action="store_true", help="print the list as JSON")
    posts.add_argument("--debug", action="store_true", help="show a traceback for internal errors")
    init = sub.add_parser("init", help="write a first book.yaml for the given sources")
    init.add_argument("sources", type=Path, nargs="+", help="WordPress exports (WXR) or archive pages")
    init.add_argument("--dir", type=Path, dest="folder",
                      help="the book's folder (default: the folder holding the first source)")
    init.add_argument("--media", type=Path, help="a folder with local copies of the export's images")
    init.add_argument("--debug", action="store_true", help="show a traceback for internal errors")
    serve = sub.add_parser("serve", help="build, then rebuild on every change and preview it in a browser")
    serve.add_argument("manifest", type=Path, help="the book's manifest, e.g. book.yaml")
    serve.add_argument("--port", type=_number(int, "a port", 65535), default=8765,
                       help="the port on 127.0.0.1 (default 8765; 0: any free port)")
    serve.add_argument("--open", action="store_true", dest="open_browser", help="open the preview in a browser")
    serve.add_argument("--jobs", type=_count, default=0, metavar="N",
                       help="worker processes laying out the PDF's parts (default: one per core)")
    serve.add_argument("--memory-limit", type=_number(int, "megabytes", 1 << 24), default=4096, metavar="MB",
                       help="stop rendering beyond this much memory (default 4096; 0: no limit)")
    serve.add_argument("--debug", action="store_true", help="show a traceback for internal errors")
    serve.add_argument("--quiet", action="store_true", help="print only problems")
    return parser


def cmd_init(args: argparse.Namespace) -> int:
    from compiler.files import display_path
    from compiler.init import init

    manifest = init(args.sources, args.folder, args.media)
    print(f"wrote {display_path(manifest)}; build it with: python -m compiler {display_path(manifest)}",
          file=sys.stderr)
    return Exit.OK


def _pages(paths: Sequence[Path]) -> list[Path]:
    from compiler.ingest import readers

    pages: list[Path] = []
    for path in paths:
        if path.is_dir() and any(r.folder is not None and r.folder(path) for r in readers()):
            pages.append(path)  # a static site's folder: one source
        elif path.is_dir():
            pages.extend(sorted([*path.glob("*.txt"), *path.glob("*.xml"), *path.glob("*.html"), *path.glob("*.htm")]))
        elif path.is_file():
            pages.append(path)
        else:
            raise CompilerError(Diagnostic("E100", "no such file or folder", str(path),
                                           hint="pass archive pages or a folder such as sources/"))
    if not pages:
        raise CompilerError(Diagnostic("E100", "no sources (*.txt, *.xml) found", " ".join(map(str, paths)),
                                       hint="pass a folder such as sources/"))
    return pages


def cmd_posts(args: argparse.Namespace) -> int:
    from compiler.dedup import dedup
    from compiler.ingest import all_copies, read_sources
    from compiler.listing import rows, to_json
    from compiler.manifest import empty_sources
    from compiler.report import dedup_summary

    sources = read_sources(_pages(args.paths))
    if empty := empty_sources(sources):
        raise CompilerError(empty)
    copies = all_copies(sources)
    posts, merges = dedup(copies)
    print(dedup_summary(len(copies), posts, merges), file=sys.stderr)
    listing = rows(posts, sources)
    if args.json:
        print(to_json(listing))
        return Exit.OK
    print(f"{'id':<66} {'date':<10} {'words':>5} {'copies':>6}  tags / title")
    for row in listing:
        print(f"{row['id']:<66} {(row['date'] or '-')[:10]:<10} {row['words']:>5} {row['copies']:>6}  "
              f"{', '.join(row['tags']) or '-'} / {row['title']}")
    return Exit.OK


def cmd_check(args: argparse.Namespace) -> int:
    from compiler.ingest.text import shown  # nothing the manifest says reaches the terminal raw
    from compiler.manifest import load_manifest
    from compiler.model.assemble import assemble
    from compiler.redact import redact

    validated = load_manifest(args.manifest, strict=args.strict)
    for warning in validated.warnings:
        print(warning.format(), file=sys.stderr)
    book = assemble(validated, redact)
    per_page = WORDS_PER_PAGE[book.output.page_size]
    total = 0
    print(f"{shown(book.meta.title, 200)}: {len(book.chapters)} chapters, {len(book.posts)} posts "
          f"({validated.copies} copies in {len(validated.sources)} pages)")
    for chapter in book.chapters:
        words = sum(p.words for p in chapter.posts)
        total += words
        posts = f"{len(chapter.posts)} post{'s' if len(chapter.posts) != 1 else ''}"
        print(f"  {chapter.number}. {shown(chapter.title, 200)}: {posts}, {words:,} words")
    print(f"total: {total:,} words, about {max(1, round(total / per_page))} pages of text on "
          f"{book.output.page_size}")
    return Exit.OK


def cmd_build(args: argparse.Namespace) -> int:
    # The no-op check first, before the heavy imports: an unchanged book costs a few hashes.
    from compiler import cache

    cache_options = {"strict": args.strict, "epubcheck": args.epubcheck, "formats": list(args.formats or ()),
                     "page_size": args.page_size, "out": str(args.out.resolve()) if args.out else "",
                     "one_document": args.one_document, "edition": args.edition or "",
                     "donors": str(args.for_list.resolve()) if args.for_list else "",
                     "media": str(args.media.resolve()) if args.media else ""}
    cache.reset()
    digest = cache.options_digest(cache_options)
    out = args.out.resolve() if args.out else cache.output_folder(args.manifest)
    if not args.no_cache and (outputs := cache.up_to_date(args.manifest, out, digest)) is not None:
        if not args.quiet:
            print(f"up to date: {', '.join(p.name for p in outputs)} (inputs unchanged; --no-cache rebuilds)",
                  file=sys.stderr)
        return Exit.OK
    from compiler.pdf.pool import workers

    # A first build lays out every part: start all workers now. After one, most parts come from
    # the cache: one worker (for the part that changed), more only if work waits.
    warm = out is not None and cache.warm(out)
    with workers(1 if args.one_document else args.jobs, args.memory_limit, 1 if warm else None) as pool:
        from compiler.build import BuildOptions, build  # while the workers start
        from compiler.progress import shown

        options = BuildOptions(strict=args.strict, formats=tuple(args.formats or ()), page_size=args.page_size,
                               out=args.out, use_cache=not args.no_cache, quiet=args.quiet,
                               timeout_s=args.timeout, memory_mb=args.memory_limit, epubcheck=args.epubcheck,
                               jobs=args.jobs, one_document=args.one_document, edition=args.edition or "",
                               donors=args.for_list,
                               stamp_key=digest, media=args.media.resolve() if args.media else None)
        with shown(args.quiet):
            build(args.manifest, options, pool)
    for problem in cache.warnings():  # the outputs are written: a cache that failed costs only time
        print(problem.format(), file=sys.stderr)
    return Exit.OK


def cmd_serve(args: argparse.Namespace) -> int:
    from compiler.serve import serve

    return serve(args.manifest, args.port, args.open_browser, args.jobs, args.memory_limit, args.quiet)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line (``argv``: the arguments; None: this process's, and then the process
    ends after it, so the interpreter's teardown is silenced)."""
    whole_process = argv is None
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] not in COMMANDS and not argv[0].startswith("-"):
        argv.insert(0, "build")
    args = _parser().parse_args(argv)
    handler = {"build": cmd_build, "check": cmd_check, "posts": cmd_posts, "init": cmd_init,
               "serve": cmd_serve}[args.command]
    try:
        return _run(handler, args)
    finally:
        if whole_process:
            # Everything the user should read is printed: what the interpreter's teardown may still
            # report (a worker pool's manager thread finding its pipe closed) is noise, not a traceback.
            sys.unraisablehook = _quiet
            threading.excepthook = _quiet


def _quiet(_report: object) -> None:
    return None


def _run(handler: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    try:
        return int(handler(args))
    except CompilerError as exc:
        for diagnostic in exc.diagnostics:
            print(diagnostic.format(), file=sys.stderr)
        return int(exc.exit_code)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except SystemExit:
        raise
    except BaseException as exc:  # noqa: BLE001 - the last line of defence: no traceback unless asked
        if getattr(args, "debug", False):
            raise
        print(f"internal error: {type(exc).__name__}: {exc} (run again with --debug for a traceback)",
              file=sys.stderr)
        return int(Exit.INTERNAL)
