"""Serve: ``python -m compiler serve book.yaml``, the editor's loop.

Builds the book, then watches every input the build stamp names (manifest, sources, Markdown,
styles, templates, fonts, media) with watchfiles; a burst of saves becomes one build, and the
parts cache makes the unchanged parts free. One pool of layout workers (WeasyPrint imported,
fonts loaded) lives as long as the server. The preview page (:mod:`compiler.serve_http`,
on 127.0.0.1 only) shows the PDF's pages and the EPUB's chapters and follows each build through
server-sent events; an input error shows over the last good pages. Builds run in the main thread
(the rendering limits use SIGALRM); the server and the watcher run in threads of their own.
Ctrl-C stops all three and the workers.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from compiler import cache
from compiler.errors import CompilerError, Diagnostic, Exit
from compiler.preview import Pages, Preview, epub_chapters
from compiler.trace import trace

#: A burst of saves: watchfiles reports changes once no input changed for this long (ms) ...
STEP_MS = 15
#: ... and a build starts once no report came for this long (s).
QUIET_S = 0.01
#: The options a plain ``python -m compiler book.yaml`` stamps its build with: serve shares its stamp.
OPTIONS: dict[str, Any] = {"strict": False, "epubcheck": False, "formats": [], "page_size": None, "out": "",
                           "one_document": False, "edition": ""}


@dataclass
class State:
    """What the preview page shows, versioned: each change wakes the page's event stream."""

    version: int = 0
    build: int = 0  # builds finished (successful or not)
    status: str = "starting"  # building, ok, error
    error: str = ""  # the one-line diagnostic of the last build, if it failed
    seconds: float = 0.0
    shown: float = 0.0  # seconds from the build's start to its pages shown (before the build is over)
    pdf: str = ""  # the PDF's name under out/
    epub: str = ""
    pages: list[dict[str, Any]] = field(default_factory=list)
    chapters: list[dict[str, str]] = field(default_factory=list)

    def to_json(self) -> bytes:
        return json.dumps({"version": self.version, "build": self.build, "status": self.status, "error": self.error,
                           "seconds": round(self.seconds, 3), "shown": round(self.shown, 3),
                           "pdf": self.pdf and f"/out/{self.pdf}",
                           "epub": self.epub and f"/out/{self.epub}", "pages": self.pages,
                           "chapters": self.chapters}).encode()


class Session:
    """One served book: its state, its page images, the changes waiting for a build."""

    def __init__(self, manifest: Path, quiet: bool = False) -> None:
        self.manifest = manifest.resolve()
        self.root = self.manifest.parent
        self.out = cache.output_folder(self.manifest) or self.root / "out"
        self.quiet = quiet
        self.state = State()
        self.pages = Pages()
        self.changed = threading.Condition()
        self.stopping = threading.Event()
        self.pending = threading.Event()
        self.last_change = 0.0
        self.inputs: cache.Inputs | None = None
        self.shown_key = ""  # the stamp key of the build whose pages are shown

    # -- state ------------------------------------------------------------------------------------
    def publish(self, **fields: Any) -> None:
        """Change the state and wake every event stream."""
        with self.changed:
            for name, value in fields.items():
                setattr(self.state, name, value)
            self.state.version += 1
            self.changed.notify_all()

    def wait(self, version: int, timeout: float) -> State:
        """The state once its version is past ``version`` (or after ``timeout``, or when stopping)."""
        with self.changed:
            self.changed.wait_for(lambda: self.state.version > version or self.stopping.is_set(), timeout)
            return self.state

    # -- building ---------------------------------------------------------------------------------
    def build(self, pool: Any) -> None:
        """Build the book once (a no-op if nothing changed since the last build's stamp) and update
        the preview: its pages as soon as the PDF is joined (status ``preview``, while the EPUB is
        made and the outputs are checked and written), the rest when the build is over; an input
        error is shown, not raised, over the last good pages."""
        from compiler.build import BuildOptions, build

        start = time.perf_counter()
        cache.reset()
        digest = cache.options_digest(OPTIONS)
        self.out = cache.output_folder(self.manifest) or self.out
        try:
            outputs = cache.up_to_date(self.manifest, self.out, digest)
        except CompilerError:  # the build below says it, with its place
            outputs = None
        if outputs is not None and self.state.status == "ok" and self._stamp_key() == self.shown_key:
            return  # a late event of a burst already built (or a save that changed nothing): no build
        self.publish(status="building", shown=0.0)
        self.pages.rendered = 0
        ok = False
        try:
            if outputs is None:
                from compiler.progress import shown

                options = BuildOptions(quiet=True, stamp_key=digest, preview=self._preview(start))
                with shown(self.quiet):
                    outputs = list(build(self.manifest, options, pool).values())
            self._show(outputs, time.perf_counter() - start)
            self.shown_key = self._stamp_key()
            ok = True
        except CompilerError as exc:
            line = exc.diagnostics[0].format() if exc.diagnostics else str(exc)
            self._say(line)
            self.publish(status="error", error=line, build=self.state.build + 1,
                         seconds=time.perf_counter() - start, pages=[p.to_json() for p in self.pages.restore()])
        finally:
            if not ok and self.state.status == "preview":  # a worker died: the last good pages again
                self.publish(status="building", pages=[p.to_json() for p in self.pages.restore()])
            self._read_inputs()

    def _preview(self, start: float) -> Preview:
        """The build's preview: the pages of the PDF's parts, before they are joined (only the pages
        never seen before rendered), shown once the leak scan found the parts that hold them clean."""
        def show(pieces: list[tuple[bytes, bool]], labels: list[str],
                 clean: Callable[[list[bytes]], Callable[[], bool]]) -> None:
            trace("preview")
            scanned = clean([pieces[n][0] for n in self.pages.unseen(pieces)])  # scanned while the pages are drawn
            pages, _new = self.pages.update_pieces(pieces, labels)
            if not scanned():  # the build fails at its check: never shown
                self.pages.restore()
                return
            self.publish(status="preview", pages=[p.to_json() for p in pages], shown=time.perf_counter() - start)
            trace("preview", done=True)
            self._say(f"pages shown in {time.perf_counter() - start:.2f} s: {self.pages.rendered} page images rendered")
        return show

    def _show(self, outputs: list[Path], seconds: float) -> None:
        pdfs = sorted((p for p in outputs if p.suffix == ".pdf"), key=lambda p: (len(p.name), p.name))
        epubs = [p for p in outputs if p.suffix == ".epub"]
        pdf = next((p for p in pdfs if any(e.stem == p.stem for e in epubs)), pdfs[0] if pdfs else None)
        pages = [p.to_json() for p in self.pages.update(pdf.read_bytes())] if pdf else []
        self.pages.settle()
        chapters = epub_chapters(epubs[0]) if epubs else []
        self._say(f"built in {seconds:.2f} s: {len(pages)} pages, {self.pages.rendered} page images rendered")
        self.publish(status="ok", error="", build=self.state.build + 1, seconds=max(seconds, 0.0),
                     pdf=pdf.name if pdf else "", epub=epubs[0].name if epubs else "", pages=pages,
                     chapters=chapters)

    def _say(self, line: str) -> None:
        if not self.quiet:
            print(line, file=sys.stderr, flush=True)

    def _stamp(self) -> Any:
        """The last successful build's stamp (None if there is none or it cannot be read)."""
        try:
            return json.loads((self.out / ".cache" / cache.STAMP).read_bytes())
        except (OSError, ValueError):
            return None

    def _stamp_key(self) -> str:
        stamp = self._stamp()
        return str(stamp.get("key", "")) if isinstance(stamp, dict) else ""

    def _read_inputs(self) -> None:
        """The inputs the last successful build read, from its stamp (what the watcher follows)."""
        stamp = self._stamp()
        inputs = cache.Inputs.from_json(stamp.get("inputs")) if isinstance(stamp, dict) else None
        if inputs is not None:
            self.inputs = inputs

    # -- watching ---------------------------------------------------------------------------------
    def relevant(self, path: Path) -> bool:
        """Whether a changed file is an input of the book (anything but the output folder, before a
        build succeeded and told which files it read)."""
        from compiler.files import inside

        if path == self.manifest:
            return True
        hidden = path.is_relative_to(self.root) and any(p.startswith(".") for p in path.relative_to(self.root).parts)
        if hidden or inside(self.out, path):
            return False
        if self.inputs is None:
            return True
        if path in self.inputs.files or any(inside(folder, path) for folder in self.inputs.folders):
            return True
        return path in set(self.inputs.expanded())  # a new file one of the source globs matches

    def watch_roots(self) -> list[Path]:
        """The folders to watch: the project's, and any outside it that holds an input."""
        roots = {self.root}
        if self.inputs is not None:
            for path in (*self.inputs.files, *self.inputs.folders):
                if not path.is_relative_to(self.root):
                    roots.add(path if path.is_dir() else path.parent)
        return sorted(roots)

    def watch(self) -> None:
        """Watch the inputs until stopping (in a thread of its own)."""
        import watchfiles

        def wanted(_change: Any, path: str) -> bool:
            return self.relevant(Path(path))

        roots = self.watch_roots()
        for changes in watchfiles.watch(*roots, watch_filter=wanted, debounce=1600, step=STEP_MS,
                                        stop_event=self.stopping, rust_timeout=500, yield_on_timeout=False,
                                        raise_interrupt=False):
            if changes:
                self.last_change = time.monotonic()
                self.pending.set()

    def next_change(self) -> bool:
        """Wait for a change (then for the burst to end); False when stopping."""
        while not self.pending.wait(0.2):
            if self.stopping.is_set():
                return False
        while time.monotonic() - self.last_change < QUIET_S:
            time.sleep(QUIET_S / 4)
        self.pending.clear()
        return not self.stopping.is_set()


#: Seconds a Ctrl-C leaves for the orderly stop before the workers are killed and the process ends.
STOP_GRACE_S = 10.0


def _stop_on_interrupt(_signum: int, _frame: Any) -> None:
    """SIGINT: stop in order (KeyboardInterrupt in the main thread); if that has not ended the process
    within :data:`STOP_GRACE_S` (a worker in the middle of a layout, a thread the interpreter waits
    for at exit), kill the workers and end it, so that no Ctrl-C leaves a process behind."""
    import multiprocessing
    import os
    import signal

    def force() -> None:
        for child in multiprocessing.active_children():
            child.kill()
        sys.stderr.flush()
        os._exit(int(Exit.OK))

    timer = threading.Timer(STOP_GRACE_S, force)
    timer.daemon = True
    timer.start()
    signal.signal(signal.SIGINT, signal.default_int_handler)
    raise KeyboardInterrupt


def serve(manifest: Path, port: int, open_browser: bool, jobs: int, memory_mb: int, quiet: bool) -> int:
    """Build, serve and rebuild on change until Ctrl-C."""
    import signal
    from concurrent.futures.process import BrokenProcessPool

    from compiler.pdf.pool import workers
    from compiler.serve_http import start_server

    if not manifest.is_file():
        raise CompilerError(Diagnostic("E100", "no such manifest", str(manifest),
                                       hint="pass the book's manifest, e.g. book.yaml"))
    session = Session(manifest, quiet)
    signal.signal(signal.SIGINT, _stop_on_interrupt)
    server = start_server(session, port)
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    print(f"serving {url} (Ctrl-C stops)", file=sys.stderr, flush=True)
    watcher = threading.Thread(target=session.watch, name="watch", daemon=True)
    with ExitStack() as stack:
        try:
            pool = stack.enter_context(workers(jobs, memory_mb))
            watcher.start()  # before the first build: a save while it runs builds again
            session.build(pool)
            if open_browser:
                import webbrowser

                webbrowser.open(url)
            while session.next_change():
                try:
                    session.build(pool)
                except BrokenProcessPool:  # a worker died (say, for memory): a new pool, and try again
                    stack.close()
                    pool = stack.enter_context(workers(jobs, memory_mb))
                    session.publish(status="error", error="build: E407 a worker process laying out the PDF "
                                    "stopped unexpectedly (the next change builds again)")
        except KeyboardInterrupt:
            print("stopped", file=sys.stderr, flush=True)
        finally:
            session.stopping.set()
            with session.changed:
                session.changed.notify_all()
            server.shutdown()
            server.server_close()
            if watcher.is_alive():
                watcher.join(2)
    return int(Exit.OK)
