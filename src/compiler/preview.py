"""Preview: what the ``serve`` page shows of a built book, its PDF pages as PNG images and the
EPUB's chapters.

Each page is known by a hash of what draws it (its content streams, the XObjects it paints,
the fonts they name, its size; a page that draws nothing, by its size alone): a page whose hash
is unchanged since the last build keeps its image, so a one-word edit renders only the pages it
moved. The joining of the parts copies each page's streams as they are, so the parts' pages
hash as the joined PDF's do, and ``serve`` shows the pages of the parts while they are being
joined. Images are kept in memory, by hash; the page list names them with the page labels.
"""

from __future__ import annotations

import hashlib
import io
import math
import posixpath
import zipfile
from dataclasses import dataclass
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from compiler.model import Book

#: The width of a page image in pixels (the page shows them at up to half that for sharpness).
IMAGE_WIDTH = 800


@dataclass(frozen=True)
class Page:
    """One PDF page as the preview shows it."""

    number: int  # 1-based
    label: str
    hash: str
    width: int
    height: int

    def to_json(self) -> dict[str, Any]:
        return {"number": self.number, "label": self.label, "hash": self.hash, "src": f"/page/{self.hash}.png",
                "width": self.width, "height": self.height}


def _stream_bytes(obj: Any) -> bytes:
    try:
        return bytes(obj.read_raw_bytes())
    except Exception:  # noqa: BLE001 - not a stream: its repr names it well enough for a hash
        return repr(obj).encode()


def _xobjects(resources: Any, h: Any, seen: set[tuple[int, int]]) -> None:
    """Hash every XObject (image, form) the resources paint, forms' own XObjects included."""
    import pikepdf

    xobjects = resources.get("/XObject") if resources is not None else None
    if not isinstance(xobjects, pikepdf.Dictionary):
        return
    for name in sorted(xobjects.keys()):
        xobject = xobjects[name]
        key = xobject.objgen
        h.update(name.encode())
        if key in seen:
            continue
        seen.add(key)
        h.update(_stream_bytes(xobject))
        if xobject.get("/Subtype") == pikepdf.Name.Form:
            _xobjects(xobject.get("/Resources"), h, seen)


class Preview(Protocol):
    """What ``serve`` is given of the screen PDF as soon as its parts are laid out (before they are
    joined and the EPUB is made): the parts' PDFs in order (each with whether a blank page follows
    it), every page's label, and ``clean``, which starts the leak scan of PDFs (in a worker) and
    returns what says whether they hold no redacted term."""

    def __call__(self, pieces: list[tuple[bytes, bool]], labels: list[str],
                 clean: Callable[[list[bytes]], Callable[[], bool]]) -> object: ...


def pieces_hook(book: Book, pool: Any,
                preview: Preview | None) -> Callable[[list[tuple[bytes, bool]], list[str]], None]:
    """What the build calls with the parts of the screen PDF (see
    :meth:`compiler.pdf.parts.PartRenderer.lay_out_book`): ``preview``, if any, with the leak scan."""
    def clean(pdfs: list[bytes]) -> Callable[[], bool]:
        from compiler.leaks import scan_files

        if not pdfs or not book.redactions:
            return lambda: True
        scan = pool.submit(scan_files, {f"part-{n}.pdf": pdf for n, pdf in enumerate(pdfs)}, book.redactions)
        return lambda: not scan.result()

    def on_pieces(pieces: list[tuple[bytes, bool]], labels: list[str]) -> None:
        if preview is not None and "pdf" in book.output.formats:
            preview(pieces, labels, clean)
    return on_pieces


def _draws_nothing(streams: list[Any]) -> bool:
    """Whether a page's content streams are empty (a blank page, as the merge of the parts adds)."""
    try:
        return all(len(s.read_raw_bytes()) < 64 and not s.read_bytes().strip() for s in streams)
    except Exception:  # noqa: BLE001 - not a stream: something is drawn, or at least named
        return False


def blank_hash(mediabox: list[float]) -> str:
    """The hash of a page that draws nothing, of this size (however its empty content is stored)."""
    return hashlib.sha256(f"{IMAGE_WIDTH} {mediabox!r} blank".encode()).hexdigest()


def _hashed(pdf: bytes) -> list[tuple[str, str, list[float]]]:
    """Each page's label, content hash and media box."""
    import pikepdf

    out = []
    with pikepdf.open(io.BytesIO(pdf)) as document:
        for page in document.pages:
            box = [float(x) for x in page.mediabox]
            contents = page.obj.get("/Contents")
            streams = list(contents) if isinstance(contents, pikepdf.Array) else [contents] if contents else []
            if _draws_nothing(streams):
                out.append((str(page.label), blank_hash(box), box))
                continue
            h = hashlib.sha256(str(IMAGE_WIDTH).encode())
            h.update(repr(box).encode())
            for stream in streams:
                h.update(_stream_bytes(stream))
            _xobjects(page.obj.get("/Resources"), h, set())
            resources = page.obj.get("/Resources")
            fonts = resources.get("/Font") if resources is not None else None
            if isinstance(fonts, pikepdf.Dictionary):  # which font each name stands for (the glyph ids
                for name in sorted(fonts.keys()):  # of a subset show in the content stream)
                    h.update(f"{name}={fonts[name].get('/BaseFont')}".encode())
            out.append((str(page.label), h.hexdigest(), box))
    return out


def page_hashes(pdf: bytes) -> list[tuple[str, str]]:
    """Each page's label and content hash (a blank page's: :func:`blank_hash`)."""
    return [(label, digest) for label, digest, _box in _hashed(pdf)]


def _png(document: Any, index: int | None, width: float, height: float) -> bytes:
    """One page rendered ``IMAGE_WIDTH`` pixels wide (``index`` None: a blank page of that size)."""
    from PIL import Image

    scale = IMAGE_WIDTH / width
    if index is None:
        image = Image.new("RGB", (math.ceil(width * scale), math.ceil(height * scale)), "white")  # as pdfium sizes it
    else:
        page = document[index]
        image = page.render(scale=scale).to_pil()
        page.close()
    buffer = io.BytesIO()
    image.save(buffer, "PNG", compress_level=1)
    return buffer.getvalue()


class Pages:
    """The preview's pages and their images, updated as each build goes (only changed pages are
    rendered again): from the laid-out parts before they are joined (:meth:`update_pieces`), then
    from the joined PDF (:meth:`update`, which renders nothing when the pages are the same)."""

    def __init__(self) -> None:
        self.pages: list[Page] = []
        self.images: dict[str, bytes] = {}
        self.rendered = 0  # images rendered (a measure for the log and the tests; the caller resets it)
        self.pdf_digest = ""  # the joined PDF the pages show ("" when shown from parts)
        self._before: tuple[list[Page], dict[str, bytes], str] | None = None
        self._hashes: dict[str, list[tuple[str, str, list[float]]]] = {}  # by PDF: the last build's parts

    def _hashed(self, pdf: bytes) -> list[tuple[str, str, list[float]]]:
        digest = hashlib.sha256(pdf).hexdigest()
        if digest not in self._hashes:
            self._hashes[digest] = _hashed(pdf)
        return self._hashes[digest]

    def _keep_hashes(self, pieces: Sequence[tuple[bytes, bool]]) -> None:
        wanted = {hashlib.sha256(pdf).hexdigest() for pdf, _ in pieces}
        self._hashes = {d: h for d, h in self._hashes.items() if d in wanted}

    def unseen(self, pieces: Sequence[tuple[bytes, bool]]) -> list[int]:
        """The indices of the pieces that hold a page never seen before (whose images
        :meth:`update_pieces` will render)."""
        new = []
        for n, (pdf, blank_after) in enumerate(pieces):
            hashed = self._hashed(pdf)
            digests = [digest for _, digest, _ in hashed]
            if blank_after and hashed:
                digests.append(blank_hash(hashed[-1][2]))
            if any(digest not in self.images for digest in digests):
                new.append(n)
        return new

    def update(self, pdf: bytes) -> list[Page]:
        """Read a new PDF; return its pages, rendering the pages never seen before (nothing at all
        for the PDF the pages show already)."""
        digest = hashlib.sha256(pdf).hexdigest()
        if digest != self.pdf_digest:
            self.update_pieces([(pdf, False)])
            self.pdf_digest = digest
        return self.pages

    def update_pieces(self, pieces: Sequence[tuple[bytes, bool]],
                      labels: Sequence[str] | None = None) -> tuple[list[Page], list[int]]:
        """Show the pages of PDFs that will be joined in this order (each followed by a blank page
        where its flag says so), labelled ``labels`` (None: as the PDFs label them); return the pages
        and the indices of the pieces that hold a page never seen before."""
        import pypdfium2

        images: dict[str, bytes] = {}
        pages: list[Page] = []
        new: list[int] = []
        for n, (pdf, blank_after) in enumerate(pieces):
            hashed = self._hashed(pdf)
            document = pypdfium2.PdfDocument(pdf)
            try:
                sizes = [document.get_page_size(i) for i in range(len(document))]  # (without loading the pages)
                entries: list[tuple[int | None, str, str, tuple[float, float]]] = [
                    (i, label, digest, sizes[i]) for i, (label, digest, _box) in enumerate(hashed)]
                if blank_after and hashed:
                    entries.append((None, "", blank_hash(hashed[-1][2]), sizes[-1]))
                for index, label, digest, (width, height) in entries:
                    if digest in self.images:
                        images[digest] = self.images[digest]
                    elif digest not in images:
                        images[digest] = _png(document, index, width, height)
                        self.rendered += 1
                        if not new or new[-1] != n:
                            new.append(n)
                    label = labels[len(pages)] if labels is not None and len(pages) < len(labels) else label
                    pages.append(Page(len(pages) + 1, label, digest, IMAGE_WIDTH,
                                      round(height * IMAGE_WIDTH / width)))
            finally:
                document.close()
        self._keep_hashes(pieces)
        if self._before is None:  # (the pages before this build, however often it shows new ones)
            self._before = (self.pages, self.images, self.pdf_digest)
        # at once: the last good pages until now (their images too: a page still showing them can load them)
        self.pages, self.images, self.pdf_digest = pages, {**self.images, **images}, ""
        return pages, new

    def settle(self) -> None:
        """Keep only the images of the pages shown (once the build that showed them is over)."""
        shown = {page.hash for page in self.pages}
        self.images = {h: image for h, image in self.images.items() if h in shown}
        self._before = None

    def restore(self) -> list[Page]:
        """Show the pages shown before the updates since the last :meth:`settle` again (a build
        failed after its pages were shown); return them."""
        if self._before is not None:
            self.pages, images, self.pdf_digest = self._before
            self.images = {**images, **self.images}
            self._before = None
            self.settle()
        return self.pages


def epub_chapters(epub: Path) -> list[dict[str, str]]:
    """The EPUB's table of contents (its navigation document): each entry's title and the path of
    its document inside the EPUB, served under ``/epub/``."""
    from selectolax.lexbor import LexborHTMLParser
    import defusedxml.ElementTree as ET

    with zipfile.ZipFile(epub) as archive:
        container = ET.fromstring(archive.read("META-INF/container.xml"))
        rootfile = next((e.get("full-path") for e in container.iter() if e.tag.endswith("rootfile")), None)
        if rootfile is None:
            return []
        opf = ET.fromstring(archive.read(rootfile))
        nav = next((e.get("href") for e in opf.iter() if e.tag.endswith("item")
                    and "nav" in (e.get("properties") or "").split()), None)
        if nav is None:
            return []
        nav_path = posixpath.normpath(posixpath.join(posixpath.dirname(rootfile), nav))
        tree = LexborHTMLParser(archive.read(nav_path).decode("utf-8"))
        toc = tree.css_first("nav")
        chapters = []
        for link in (toc.css("a") if toc else []):
            href = (link.attributes.get("href") or "")
            target = posixpath.normpath(posixpath.join(posixpath.dirname(nav_path), href.split("#")[0]))
            chapters.append({"title": link.text(separator=" ", strip=True), "href": "/epub/" + target + (
                "#" + href.split("#", 1)[1] if "#" in href else "")})
        return chapters


def epub_member(epub: Path, name: str) -> bytes | None:
    """One file of the EPUB, by its exact name in the archive (None: there is no such file)."""
    try:
        with zipfile.ZipFile(epub) as archive:
            if name not in archive.namelist():
                return None
            return archive.read(name)
    except (OSError, zipfile.BadZipFile):
        return None
