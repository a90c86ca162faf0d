"""The ``serve`` preview over HTTP: the standard library's ThreadingHTTPServer on 127.0.0.1.

Routes: ``/`` and ``/assets/<name>`` (the page's own files, ``serve_assets/``), ``/state``
(the preview's state as JSON), ``/events`` (the same state as server-sent events, one per
change), ``/page/<hash>.png`` (a page image, from memory), ``/out/<path>`` (a file of the
output folder) and ``/epub/<name>`` (a file inside the built EPUB). Nothing else is served:
a path with ``..``, ``.`` or empty segments (encoded or not), a hidden name, a symlink or
anything that resolves outside the output folder is refused; so is a request whose Host is
not this server (a page elsewhere that names 127.0.0.1 through its own DNS name).
"""

from __future__ import annotations

import mimetypes
import re
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from compiler.errors import CompilerError, Diagnostic, Exit

if TYPE_CHECKING:
    from compiler.serve import Session

HOST = "127.0.0.1"
ASSETS = Path(__file__).resolve().parent / "serve_assets"
_HASH = re.compile(r"/page/([0-9a-f]{64})\.png")
TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
         ".css": "text/css; charset=utf-8", ".xhtml": "application/xhtml+xml", ".pdf": "application/pdf",
         ".epub": "application/epub+zip", ".json": "application/json", ".png": "image/png",
         ".svg": "image/svg+xml", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".woff2": "font/woff2",
         ".otf": "font/otf", ".ttf": "font/ttf"}


def safe_file(folder: Path, relative: str) -> Path | None:
    """The file ``relative`` (already URL-decoded) names inside ``folder``, or None when it is not a
    plain file lying there: no ``..``, ``.``, empty or hidden segment, no backslash or NUL, no
    symlink anywhere on the way, nothing resolving outside ``folder``."""
    if not relative or "\\" in relative or "\0" in relative:
        return None
    segments = relative.split("/")
    if any(s in ("", ".", "..") or s.startswith(".") for s in segments):
        return None
    path = folder
    for segment in segments:
        path = path / segment
        if path.is_symlink():
            return None
    try:
        resolved = path.resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if not resolved.is_relative_to(folder.resolve()) or not resolved.is_file():
        return None
    return resolved


def _type(name: str) -> str:
    suffix = Path(name).suffix.lower()
    return TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"


class Handler(BaseHTTPRequestHandler):
    """One request to the preview."""

    session: Session  # set on the class made for each server
    server_version = "compiler-serve"
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        return None  # quiet: the terminal is for builds

    def do_GET(self) -> None:  # noqa: N802 - the base class's name
        host = (self.headers.get("Host") or "").rsplit(":", 1)[0]
        if host not in (HOST, "localhost"):
            return self._send(HTTPStatus.FORBIDDEN, b"only 127.0.0.1 is served\n", "text/plain")
        raw = urlsplit(self.path).path
        path = unquote(raw)
        if path in ("/", "/index.html"):
            return self._file(ASSETS / "index.html")
        if path == "/state":
            with self.session.changed:
                body = self.session.state.to_json()
            return self._send(HTTPStatus.OK, body, "application/json")
        if path == "/events":
            return self._events()
        if match := _HASH.fullmatch(path):
            image = self.session.pages.images.get(match.group(1))
            if image is not None:
                return self._send(HTTPStatus.OK, image, "image/png", cache=True)
        elif path.startswith("/assets/"):
            found = safe_file(ASSETS, path.removeprefix("/assets/"))
            if found is not None:
                return self._file(found)
        elif path.startswith("/out/"):
            found = safe_file(self.session.out, path.removeprefix("/out/"))
            if found is not None:
                return self._file(found)
        elif path.startswith("/epub/") and self.session.state.epub:
            epub = safe_file(self.session.out, self.session.state.epub)
            from compiler.preview import epub_member

            data = epub_member(epub, path.removeprefix("/epub/")) if epub else None
            if data is not None:
                return self._send(HTTPStatus.OK, data, _type(path))
        return self._send(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain")

    def _file(self, path: Path) -> None:
        try:
            data = path.read_bytes()
        except OSError:
            return self._send(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain")
        self._send(HTTPStatus.OK, data, _type(path.name))

    def _send(self, status: HTTPStatus, body: bytes, kind: str, cache: bool = False) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "max-age=31536000, immutable" if cache else "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        self.wfile.write(body)

    def _events(self) -> None:
        """The state as server-sent events: now, then after each change, until the server stops."""
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        session = self.session
        version = -1
        try:
            while not session.stopping.is_set():
                with session.changed:
                    state = session.wait(version, 15)
                    now, body = state.version, state.to_json()
                if session.stopping.is_set():
                    break
                if now == version:
                    self.wfile.write(b": still here\n\n")
                else:
                    version = now
                    self.wfile.write(b"data: " + body + b"\n\n")
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            return


class Server(ThreadingHTTPServer):
    daemon_threads = True  # an open event stream never holds the process at Ctrl-C
    allow_reuse_address = True


def start_server(session: Session, port: int) -> Server:
    """Serve the session on 127.0.0.1:``port`` (0: any free port) in a thread of its own."""
    import threading

    handler = type("SessionHandler", (Handler,), {"session": session})
    try:
        server = Server((HOST, port), handler)
    except OSError as exc:
        raise CompilerError(Diagnostic("E430", f"cannot serve on {HOST}:{port} ({exc.strerror or exc})",
                                       "serve", hint="choose another --port, or stop what uses it"),
                            Exit.INPUT) from None
    threading.Thread(target=server.serve_forever, name="http", daemon=True).start()
    return server
