"""The book's images: bound to the media folder's files, prepared for each output, checked in print.

Three steps, each a function from its input to its output:

* :func:`bind` (before redaction, while the original upload URLs are known):
  every :class:`~compiler.model.nodes.Image` whose URL resolves in the media
  folder (:class:`compiler.media.MediaFolder`) gets ``local``, a neutral name
  made from the file's size and SHA-256 (``img-`` and 16 digits: no letter a
  redacted name could be spelt with, no trace of the file's own name). Every
  path looked at is recorded for the build stamp, so a file added, changed or
  removed rebuilds; an image whose URL resolves to nothing stays a placeholder.
* :func:`prepare` (once the output folder is known): each distinct file, made
  bare by :func:`compiler.media.prepare_for_print` and
  :func:`~compiler.media.prepare_for_epub` (no EXIF, GPS, XMP, comment or
  text chunk), kept in ``<out>/.cache/media`` under its neutral name with a
  sidecar that binds it to the source's size and hash (a stale or altered
  entry is prepared again). The print files are what WeasyPrint reads,
  through the project fetcher (:mod:`compiler.urls`): a path relative to the
  project (``media:out/.cache/media/img-….jpg``), so the HTML, the layout
  cache's key and the PDF hold the image's content hash and no absolute
  path. The EPUB gets the small variant as ``images/<name>.jpg|png``.
* :func:`dpi_warnings` (after layout): the resolution each image is printed
  at, read from the PDF itself (the size of every image XObject drawn on a
  page), as W130 warnings naming the post and the URL.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields, is_dataclass, replace
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

from compiler import files
from compiler.errors import CompilerError, Diagnostic, Exit, display_path
from compiler.media import MAX_IMAGE_BYTES, MediaError, MediaFolder, PreparedImage, dpi_warning
from compiler.model import Book, Redaction
from compiler.model.nodes import Image

T = TypeVar("T")
FOLDER = "media"  # in <out>/.cache
MEDIA = "media"  # the URL scheme of a prepared image (served by compiler.urls.ProjectFetcher)
FORMAT = 1  # of the sidecars


# ------------------------------------------------------------------ the walk over a book's images


def map_images(value: T, fn: Callable[[Image], Image]) -> T:
    """``value`` (a book, a post, any frozen dataclass or tuple of them) with ``fn`` applied to every
    :class:`Image` in it, at any depth; unchanged parts are the same objects."""
    if isinstance(value, Image):
        return fn(value)  # type: ignore[return-value]
    if isinstance(value, tuple):
        items = tuple(map_images(v, fn) for v in value)
        return value if all(a is b for a, b in zip(items, value)) else items  # type: ignore[return-value]
    if is_dataclass(value) and not isinstance(value, type):
        changes = {}
        for f in fields(value):
            old = getattr(value, f.name)
            new = map_images(old, fn)
            if new is not old:
                changes[f.name] = new
        return replace(value, **changes) if changes else value
    return value


def iter_images(value: object) -> Iterator[Image]:
    """Every :class:`Image` in ``value``, in document order."""
    if isinstance(value, Image):
        yield value
    elif isinstance(value, tuple):
        for v in value:
            yield from iter_images(v)
    elif is_dataclass(value) and not isinstance(value, type):
        for f in fields(value):
            yield from iter_images(getattr(value, f.name))


def uses(book: Book) -> dict[str, list[tuple[str, str]]]:
    """Neutral name -> (post id, URL) of each use, in book order (from the redacted book: for warnings)."""
    found: dict[str, list[tuple[str, str]]] = {}
    for post in book.posts:
        for image in iter_images(post):
            if image.local and (post.id, image.src) not in found.get(image.local, []):
                found.setdefault(image.local, []).append((post.id, image.src))
    return found


# ------------------------------------------------------------------ bind


@dataclass(frozen=True)
class Source:
    """One distinct file of the media folder the book uses."""

    name: str  # img-<16 digits>
    path: Path
    sha256: str
    size: int


def neutral_name(data: bytes) -> str:
    """``img-`` and 16 digits from the SHA-256 of the file's size and content."""
    digest = hashlib.sha256(f"{len(data)}\0".encode() + data).digest()
    return f"img-{int.from_bytes(digest[:8], 'big') % 10 ** 16:016d}"


def _redacted(diagnostic: Diagnostic, redactions: tuple[Redaction, ...]) -> Diagnostic:
    """A media error names a file or URL, which may hold a redacted name: it is replaced there too."""
    from compiler.redact import redact_text

    return replace(diagnostic, message=redact_text(diagnostic.message, redactions),
                   file=redact_text(diagnostic.file, redactions))


def bind(book: Book, folder: MediaFolder | None,
         local_roots: tuple[Path, ...] = ()) -> tuple[Book, dict[str, Source]]:
    """The book with ``local`` set on every image found in ``folder`` (an upload URL) or in one of
    ``local_roots`` (a relative path, as a static site's reader gives it), and the files by name.

    Raises E131 (a URL leaving the folder) and E135 (a file over the size limit) as input errors.
    """
    sources: dict[str, Source] = {}
    by_url: dict[str, str] = {}

    def one(url: str) -> str:
        try:
            path, looked = folder.lookup(url) if folder is not None else (None, [])
            if path is None:
                path, more = _local(url, local_roots)
                looked += more
            for candidate in looked:
                files.note(candidate)
            if path is None:
                return ""
            size = path.stat().st_size
            if size > MAX_IMAGE_BYTES:
                raise MediaError("E135", f"image file of {size // (1024 * 1024)} MiB is over the "
                                 f"{MAX_IMAGE_BYTES // (1024 * 1024)} MiB limit", file=display_path(path),
                                 hint="scale the image down before using it")
        except MediaError as exc:
            raise CompilerError(_redacted(exc.diagnostic, book.redactions), Exit.INPUT) from None
        data = files.read_bytes(path, MAX_IMAGE_BYTES)
        name = neutral_name(data)
        sources.setdefault(name, Source(name, path, hashlib.sha256(data).hexdigest(), len(data)))
        return name

    def local(image: Image) -> Image:
        if image.src not in by_url:
            by_url[image.src] = one(image.src)
        name = by_url[image.src]
        return replace(image, local=name) if name else image

    return map_images(book, local), sources


def _local(src: str, roots: tuple[Path, ...]) -> tuple[Path | None, list[Path]]:
    """A relative image path in the first root that holds it as a file (never outside the root)."""
    if not src or "://" in src or src.startswith(("/", "\\", "data:", "media:")) or "\0" in src:
        return None, []
    looked = []
    for root in roots:
        path = root / src
        looked.append(path)
        if files.inside(root, path) and path.is_file():
            return path.resolve(), looked
    return None, looked


# ------------------------------------------------------------------ prepare


@dataclass(frozen=True)
class Picture:
    """One image of the book, prepared: the print file (in the cache) and the EPUB's bytes."""

    name: str
    media_type: str
    print_file: Path
    print_size: tuple[int, int]
    epub: bytes
    epub_size: tuple[int, int]

    @property
    def extension(self) -> str:
        return "jpg" if self.media_type == "image/jpeg" else "png"

    @property
    def epub_href(self) -> str:
        """The member's path inside the EPUB (next to ``text/``)."""
        return f"images/{self.name}.{self.extension}"


@functools.cache
def _preparation() -> str:
    """What besides the source decides the prepared bytes: the preparing code and Pillow's version."""
    from PIL import __version__ as pillow

    from compiler import media

    return hashlib.sha256(Path(media.__file__).read_bytes() + pillow.encode()).hexdigest()


def _key(source: Source) -> str:
    return f"{FORMAT} {source.sha256} {source.size} {_preparation()}"


def _load(folder: Path, source: Source) -> Picture | None:
    """The cached preparation of ``source``, if its sidecar names this key and both files are intact."""
    try:
        facts = json.loads((folder / f"{source.name}.json").read_text(encoding="utf-8"))
        if not isinstance(facts, dict) or facts.get("key") != _key(source):
            return None
        found = {}
        for variant in ("print", "epub"):
            entry = facts[variant]
            data = (folder / entry["file"]).read_bytes()
            if hashlib.sha256(data).hexdigest() != entry["sha256"]:
                return None
            found[variant] = (data, entry)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    (_, p), (epub, e) = found["print"], found["epub"]
    return Picture(source.name, str(p["type"]), folder / str(p["file"]), (int(p["width"]), int(p["height"])),
                   epub, (int(e["width"]), int(e["height"])))


def prepare_source(path: Path) -> tuple[PreparedImage, PreparedImage]:
    """Both preparations of one file: print (full size) and EPUB (at most 1600 px)."""
    from compiler.media import prepare_for_epub, prepare_print_image

    return prepare_print_image(path), prepare_for_epub(path)


def _store(folder: Path, source: Source, printed: PreparedImage, small: PreparedImage) -> Picture:
    ext = "jpg" if printed.media_type == "image/jpeg" else "png"
    small_ext = "jpg" if small.media_type == "image/jpeg" else "png"
    names = {"print": f"{source.name}.{ext}", "epub": f"{source.name}-epub.{small_ext}"}
    facts = {"format": FORMAT, "key": _key(source)}
    for variant, image in (("print", printed), ("epub", small)):
        facts[variant] = {"file": names[variant], "sha256": hashlib.sha256(image.data).hexdigest(),
                          "type": image.media_type, "width": image.width, "height": image.height}
    files.write_all(folder, {names["print"]: printed.data, names["epub"]: small.data})
    files.write_all(folder, {f"{source.name}.json": json.dumps(facts, sort_keys=True).encode()})
    return Picture(source.name, printed.media_type, folder / names["print"], (printed.width, printed.height),
                   small.data, (small.width, small.height))


def prepare(sources: dict[str, Source], out: Path, redactions: tuple[Redaction, ...] = (),
            use_cache: bool = True, pool: Any = None) -> dict[str, Picture]:
    """Every source prepared (from ``<out>/.cache/media`` when intact), by neutral name; entries of
    images the book no longer uses are removed. ``pool`` (an executor) prepares several at once."""
    folder = out / ".cache" / FOLDER
    pictures: dict[str, Picture] = {}
    todo: list[Source] = []
    for name, source in sorted(sources.items()):
        hit = _load(folder, source) if use_cache else None
        if hit is None:
            todo.append(source)
        else:
            pictures[name] = hit
    try:
        if pool is not None and len(todo) > 1:
            pending = [(s, pool.submit(prepare_source, s.path)) for s in todo]
            results = [(s, p.result()) for s, p in pending]
        else:
            results = [(s, prepare_source(s.path)) for s in todo]
    except MediaError as exc:
        raise CompilerError(_redacted(exc.diagnostic, redactions), Exit.INPUT) from None
    for source, (printed, small) in results:
        pictures[source.name] = _store(folder, source, printed, small)
    _prune(folder, set(pictures))
    return pictures


def _prune(folder: Path, keep: set[str]) -> None:
    try:
        for path in folder.iterdir():
            if path.name.split(".")[0].removesuffix("-epub") not in keep:
                path.unlink(missing_ok=True)
    except OSError:  # an unreadable cache: pruning can wait
        pass


class Pictures:
    """The prepared images as the templates use them (``media_src`` in :mod:`compiler.render.nodes`)."""

    def __init__(self, pictures: dict[str, Picture], root: Path) -> None:
        self.pictures = pictures
        self.root = root

    def src(self, name: str, epub: bool) -> str | None:
        """The ``<img src>`` of an image: the EPUB member (from a document in ``text/``), or the print
        file as a ``media:`` URL relative to the project (served by the project fetcher); None for
        an unknown name."""
        picture = self.pictures.get(name)
        if picture is None:
            return None
        if epub:
            return f"../{picture.epub_href}"
        return f"{MEDIA}:{quote(picture.print_file.resolve().relative_to(self.root.resolve()).as_posix())}"

    def epub_items(self) -> list[tuple[str, str, str, bytes]]:
        """(id, href, media type, bytes) of each image for the EPUB's manifest, by name."""
        return [(p.name, p.epub_href, p.media_type, p.epub) for _, p in sorted(self.pictures.items())]


# ------------------------------------------------------------------ print resolution


def _printed_widths(pdf: bytes) -> dict[tuple[int, int], float]:
    """(width, height) in pixels of each image drawn in ``pdf`` -> the widest it is printed, in inches."""
    widest: dict[tuple[int, int], float] = {}
    for page in drawn_images(pdf):
        for size, inches in page.items():
            widest[size] = max(widest.get(size, 0.0), inches)
    return widest


def drawn_images(pdf: bytes) -> list[dict[tuple[int, int], float]]:
    """For each page of ``pdf``: (width, height) in pixels of each image drawn on it -> the widest it
    is printed there, in inches (the image XObjects its content stream draws, through forms too)."""
    import pikepdf

    pages: list[dict[tuple[int, int], float]] = []
    widest: dict[tuple[int, int], float] = {}

    def walk(content: Any, resources: Any, ctm: tuple[float, ...], depth: int) -> None:
        stack: list[tuple[float, ...]] = []
        for instruction in pikepdf.parse_content_stream(content, "q Q cm Do"):
            operands, op = instruction.operands, str(instruction.operator)
            if op == "q":
                stack.append(ctm)
            elif op == "Q" and stack:
                ctm = stack.pop()
            elif op == "cm" and len(operands) == 6:
                ctm = _times(tuple(float(v) for v in operands), ctm)
            elif op == "Do" and operands:
                xobjects = resources.get("/XObject") if resources is not None else None
                xobject = xobjects.get(str(operands[0])) if xobjects is not None else None
                if xobject is None:
                    continue
                subtype = str(xobject.get("/Subtype", ""))
                if subtype == "/Image":
                    size = (int(xobject.get("/Width", 0)), int(xobject.get("/Height", 0)))
                    inches = (ctm[0] ** 2 + ctm[1] ** 2) ** 0.5 / 72
                    widest[size] = max(widest.get(size, 0.0), inches)
                elif subtype == "/Form" and depth < 8:
                    matrix = tuple(float(v) for v in xobject.get("/Matrix", [1, 0, 0, 1, 0, 0]))
                    walk(xobject, xobject.get("/Resources", resources), _times(matrix, ctm), depth + 1)

    with pikepdf.open(io.BytesIO(pdf)) as document:
        for page in document.pages:
            widest = {}
            walk(page.obj, page.obj.get("/Resources"), (1.0, 0.0, 0.0, 1.0, 0.0, 0.0), 0)
            pages.append(widest)
    return pages


def _times(m: tuple[float, ...], n: tuple[float, ...]) -> tuple[float, ...]:
    """The PDF matrix product m × n (``cm`` m applied to the current matrix n)."""
    a, b, c, d, e, f = m
    A, B, C, D, E, F = n  # noqa: N806 - the PDF specification's names
    return (a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D, e * A + f * C + E, e * B + f * D + F)


def dpi_warnings(pdf: bytes, pictures: dict[str, Picture], book: Book) -> list[Diagnostic]:
    """W130 for each image printed below 300 dpi, naming its first post and URL (from the redacted
    ``book``), at the lowest resolution it is printed at."""
    if not pictures:
        return []
    widths = _printed_widths(pdf)
    used = uses(book)
    out = []
    for name, picture in sorted(pictures.items(), key=lambda item: _first(used, item[0])):
        inches = widths.get(picture.print_size)
        problem = dpi_warning(picture.print_size[0], inches) if inches else None
        if problem is not None and name in used:
            post, url = used[name][0]
            out.append(replace(problem, message=f"post '{post}': image {url} {problem.message.removeprefix('image ')}",
                               file=""))
    return out


def _first(used: dict[str, list[tuple[str, str]]], name: str) -> tuple[int, str]:
    order = list(used)
    return (order.index(name) if name in order else len(order), name)


def binding(root: Path | None, local_roots: tuple[Path, ...] = ()) -> tuple[Callable[[Book], Book], dict[str, Source]]:
    """For the build: a step that binds a book's images to the media folder ``root`` (None: none
    given) and the static sites' ``local_roots``, and the files it bound, filled as it runs. E130
    for a folder that is missing."""
    sources: dict[str, Source] = {}
    if root is None and not local_roots:
        return (lambda book: book), sources
    try:
        folder = MediaFolder(root) if root is not None else None
    except MediaError as exc:
        raise CompilerError(exc.diagnostic, Exit.INPUT) from None
    from PIL import Image as Pillow

    Pillow.init()  # every format plugin, now: nothing is imported under the build's memory limit

    def step(book: Book) -> Book:
        bound, found = bind(book, folder, local_roots)
        sources.update(found)
        return bound

    return step, sources
