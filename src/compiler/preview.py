"""Preview: what the ``serve`` page shows of a built book, its PDF pages as PNG images and the
EPUB's chapters.

Each page is known by a hash of what draws it (its content streams, the XObjects it paints,
its size): a page whose hash is unchanged since the last build keeps its image, so a one-word
edit renders only the pages it moved. Images are kept in memory, by hash; the page list names
them with the page labels the PDF carries.
"""

from __future__ import annotations

import hashlib
import io
import posixpath
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


def page_hashes(pdf: bytes) -> list[tuple[str, str]]:
    """Each page's label and content hash."""
    import pikepdf

    out = []
    with pikepdf.open(io.BytesIO(pdf)) as document:
        for page in document.pages:
            h = hashlib.sha256(str(IMAGE_WIDTH).encode())
            h.update(repr([float(x) for x in page.mediabox]).encode())
            contents = page.obj.get("/Contents")
            for stream in (contents if isinstance(contents, pikepdf.Array) else [contents] if contents else []):
                h.update(_stream_bytes(stream))
            _xobjects(page.obj.get("/Resources"), h, set())
            resources = page.obj.get("/Resources")
            fonts = resources.get("/Font") if resources is not None else None
            if isinstance(fonts, pikepdf.Dictionary):  # which font each name stands for (the glyph ids
                for name in sorted(fonts.keys()):  # of a subset show in the content stream)
                    h.update(f"{name}={fonts[name].get('/BaseFont')}".encode())
            out.append((str(page.label), h.hexdigest()))
    return out


class Pages:
    """The preview's pages and their images, updated after each build (only changed pages are
    rendered again)."""

    def __init__(self) -> None:
        self.pages: list[Page] = []
        self.images: dict[str, bytes] = {}
        self.rendered = 0  # images rendered by the last update (a measure for the tests)
        self.pdf_digest = ""  # the PDF the pages show
        self._before: tuple[list[Page], dict[str, bytes], str] | None = None

    def update(self, pdf: bytes) -> list[Page]:
        """Read a new PDF; return its pages, rendering the pages never seen before (nothing at all
        for the PDF the pages show already)."""
        import pypdfium2

        digest = hashlib.sha256(pdf).hexdigest()
        if digest == self.pdf_digest:  # (``rendered`` still counts the images this PDF needed)
            return self.pages
        hashes = page_hashes(pdf)
        document = pypdfium2.PdfDocument(pdf)
        images: dict[str, bytes] = {}
        pages: list[Page] = []
        self.rendered = 0
        try:
            for index, (label, digest_of_page) in enumerate(hashes):
                width, height = document.get_page_size(index)  # (without loading the page)
                scale = IMAGE_WIDTH / width
                if digest_of_page in self.images:
                    images[digest_of_page] = self.images[digest_of_page]
                elif digest_of_page not in images:
                    page = document[index]
                    image = page.render(scale=scale).to_pil()
                    page.close()
                    buffer = io.BytesIO()
                    image.save(buffer, "PNG", compress_level=1)
                    images[digest_of_page] = buffer.getvalue()
                    self.rendered += 1
                pages.append(Page(index + 1, label, digest_of_page, IMAGE_WIDTH, round(height * scale)))
        finally:
            document.close()
        self._before = (self.pages, self.images, self.pdf_digest)
        # at once: the last good pages until now (their images too: a page still showing them can load them)
        self.pages, self.images, self.pdf_digest = pages, {**self.images, **images}, digest
        return pages

    def settle(self) -> None:
        """Keep only the images of the pages shown (once the build that showed them is over)."""
        shown = {page.hash for page in self.pages}
        self.images = {h: image for h, image in self.images.items() if h in shown}
        self._before = None

    def restore(self) -> list[Page]:
        """Show the pages of the PDF before the last update again (a build failed after its PDF was
        shown); return them."""
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
