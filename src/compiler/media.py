"""Local media: a blog's upload URLs served from a local folder, and images made safe for the book.

Nothing here touches the network. ``--media DIR`` names a copy of the blog's
``wp-content/uploads`` folder (``DIR/2012/03/photo.jpg``); :class:`MediaFolder`
maps the URLs a post uses to files in it:

* ``https://example.com/wp-content/uploads/2012/03/photo.jpg`` (also ``http:``,
  protocol-relative ``//example.com/...``, site-relative ``/wp-content/uploads/...`` and relative
  ``wp-content/uploads/...``);
* ``https://blog.files.wordpress.com/2012/03/photo.jpg`` (WordPress.com);
* ``https://i0.wp.com/example.com/wp-content/uploads/2012/03/photo.jpg?resize=600,400``
  (Jetpack's Photon CDN, ``i0``-``i3``); query strings and fragments are ignored.

WordPress's derived files (``photo-600x400.jpg``, ``photo-scaled.jpg``,
``photo-rotated.jpg``, ``photo-e1334567890123.jpg`` after an edit, and
combinations) resolve to themselves when the folder has them, else to the
original (the largest file, best for print). A URL that tries to leave the
folder (``..`` plain or percent-encoded, once or twice; backslashes; absolute
paths; a symlink pointing outside) raises :class:`MediaError` (E131).

Images then go through :func:`prepare_for_print` (full resolution) or
:func:`prepare_for_epub` (at most 1600 px on the long side). Both apply the
EXIF orientation, convert to sRGB (through the embedded ICC profile when it
is a usable one; CMYK, palette, 16-bit and 1-bit images to RGB(A) or L), and
re-encode the bare pixels: no EXIF (GPS), XMP, IPTC, ICC profile, JPEG
comment, PNG text or time chunk, GIF comment survives, so an image carries
neither a place nor a name into the book. Output is JPEG for photographs,
PNG for anything else or anything with transparency; the same input gives
the same bytes (no timestamps; fixed encoder settings).

Codes: E130 the media folder is missing or not a folder; E131 a refused URL;
E132 not an image (or a format the book does not take); E133 a damaged
image; E134 an image with too many pixels (a decompression bomb:
Pillow's ``Image.MAX_IMAGE_PIXELS``); E135 an image file over
:data:`MAX_IMAGE_BYTES`; W130 an image printed below 300 dpi.
"""

from __future__ import annotations

import io
import os
import re
import warnings
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import NamedTuple
from urllib.parse import unquote, urlsplit

from PIL import Image, ImageCms, ImageFile, ImageOps, UnidentifiedImageError

from compiler.errors import Diagnostic, display_path

#: Refused before Pillow sees it: no blog photo is this big.
MAX_IMAGE_BYTES = 64 * 1024 * 1024
#: The long side of an EPUB image, in pixels.
EPUB_LONG_SIDE = 1600
#: Below this an image prints soft.
PRINT_DPI = 300
#: Formats the book takes (Pillow's names); the output is always JPEG or PNG.
FORMATS = frozenset({"JPEG", "MPO", "PNG", "GIF", "WEBP", "TIFF", "BMP"})
JPEG_QUALITY_PRINT = 95
JPEG_QUALITY_EPUB = 85

_UPLOADS = "/wp-content/uploads/"
_PHOTON = re.compile(r"^i[0-3]\.wp\.com$")
_WPCOM = re.compile(r"^[a-z0-9-]+\.files\.wordpress\.com$")
#: A derived file's suffix, outermost first: size, then scaled/rotated, then an edit's timestamp.
_SIZE = re.compile(r"-\d{1,5}x\d{1,5}$")
_MARK = re.compile(r"-(?:scaled|rotated)$")
_EDIT = re.compile(r"-e\d{10,16}$")
_SEGMENT_BAD = re.compile(r"[\\\x00-\x1f\x7f]")
_DRIVE = re.compile(r"^[A-Za-z]:")


class MediaError(Exception):
    """A media problem the user can act on; ``diagnostic`` is its one line (code E13x)."""

    def __init__(self, code: str, message: str, file: str = "", hint: str = "") -> None:
        self.diagnostic = Diagnostic(code, message, file=file, hint=hint)
        super().__init__(self.diagnostic.format())

    def __reduce__(self) -> tuple[type[MediaError], tuple[str, str, str, str]]:  # crosses worker processes
        d = self.diagnostic
        return MediaError, (d.code, d.message, d.file, d.hint)


# ------------------------------------------------------------------ URL -> file


def upload_path(url: str) -> PurePosixPath | None:
    """The path of an upload URL inside ``wp-content/uploads`` (``2012/03/photo.jpg``), or None.

    None for a URL that is not an upload (another path, another scheme). Raises
    :class:`MediaError` (E131) for one that tries to leave the folder.
    """
    raw = url.strip()
    if raw.startswith("//"):
        raw = "https:" + raw
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https", ""):
        return None
    host = (parts.hostname or "").lower()
    path = parts.path
    if not parts.scheme and not host and path.startswith(_UPLOADS[1:]):  # relative: wp-content/uploads/...
        path = "/" + path
    if _PHOTON.match(host):  # i0.wp.com/<host>/<path>
        inner = path.lstrip("/")
        host, _, rest = inner.partition("/")
        host = host.lower()
        path = "/" + rest
    if _WPCOM.match(host):
        rest = path.lstrip("/")
        if path.startswith(_UPLOADS):  # blog.files.wordpress.com/wp-content/uploads/... is seen too
            rest = path[len(_UPLOADS):]
    else:
        at = path.find(_UPLOADS)
        if at < 0:
            return None
        rest = path[at + len(_UPLOADS):]
    return _safe_relative(rest, url)


def _safe_relative(rest: str, url: str) -> PurePosixPath | None:
    if not rest:
        return None
    if rest.startswith("/"):
        raise _refused(url, "an absolute path")
    segments = []
    for encoded in rest.split("/"):
        try:
            once = unquote(encoded, errors="strict")
            twice = unquote(once, errors="strict")
        except UnicodeDecodeError:
            raise _refused(url, "percent-encoding that is not UTF-8") from None
        for form in (encoded, once, twice):
            if form in ("", ".", ".."):
                raise _refused(url, "an empty, '.' or '..' path segment")
            if _SEGMENT_BAD.search(form) or "/" in form or _DRIVE.match(form):
                raise _refused(url, "a backslash, control character, drive or encoded slash in the path")
        segments.append(once)
    return PurePosixPath(*segments)


def _refused(url: str, why: str) -> MediaError:
    shown = url if len(url) <= 120 else url[:117] + "..."
    return MediaError("E131", f"refused media URL {shown!r}: {why}",
                      hint="a media URL must name a file inside the media folder")


def candidates(name: str) -> list[str]:
    """File names to try for an upload's ``name``, best first: itself, then the originals it was made from.

    ``photo-e1334567890123-600x400.jpg`` -> itself, ``photo-e1334567890123.jpg``,
    ``photo.jpg``, ``photo-scaled.jpg``, ``photo-rotated.jpg``.
    """
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem:
        return [name]
    out = [name]
    base = stem
    for pattern in (_SIZE, _MARK, _EDIT):
        stripped = pattern.sub("", base)
        if stripped != base and stripped:
            base = stripped
            out.append(f"{base}.{ext}")
    out += [f"{base}-scaled.{ext}", f"{base}-rotated.{ext}"]
    return list(dict.fromkeys(out))


@dataclass(frozen=True)
class MediaFolder:
    """A local copy of a blog's ``wp-content/uploads``; :meth:`resolve` maps upload URLs into it."""

    root: Path

    def __post_init__(self) -> None:
        if not self.root.is_dir():
            raise MediaError("E130", "the media folder is missing or not a folder", file=display_path(self.root),
                             hint="--media names a copy of the blog's wp-content/uploads")
        object.__setattr__(self, "root", self.root.resolve())

    def resolve(self, url: str) -> Path | None:
        """The local file for an upload URL (the variant itself, else its original), or None.

        None when the URL is not an upload or no candidate file is in the folder.
        Raises :class:`MediaError` (E131) for a URL that tries to leave the folder,
        also through a symlink.
        """
        return self.lookup(url)[0]

    def lookup(self, url: str) -> tuple[Path | None, list[Path]]:
        """:meth:`resolve`, and every path looked at on the way (a file that appears there later
        changes the answer: the build stamp hashes them all)."""
        rel = upload_path(url)
        if rel is None:
            return None, []
        folder = self.root.joinpath(*rel.parts[:-1])
        looked: list[Path] = []
        for name in candidates(rel.name):
            path = folder / name
            looked.append(path)
            if not os.path.lexists(path):
                continue
            real = path.resolve()
            if not real.is_relative_to(self.root):
                raise _refused(url, "a symbolic link that leaves the media folder")
            if real.is_file():
                return real, looked
        return None, looked


# ------------------------------------------------------------------ images


class PreparedImage(NamedTuple):
    """Encoded image bytes, their media type and pixel size."""

    data: bytes
    media_type: str
    width: int
    height: int


def prepare_for_print(path: Path) -> bytes:
    """The image at ``path`` at full resolution, oriented, in sRGB, as bare JPEG or PNG bytes."""
    return _prepare(path, None, JPEG_QUALITY_PRINT).data


def prepare_print_image(path: Path) -> PreparedImage:
    """:func:`prepare_for_print` with the media type and pixel size."""
    return _prepare(path, None, JPEG_QUALITY_PRINT)


def prepare_for_epub(path: Path, long_side: int = EPUB_LONG_SIDE) -> PreparedImage:
    """The image at ``path`` scaled down to at most ``long_side`` pixels, as bare JPEG or PNG bytes."""
    if long_side < 1:
        raise ValueError("long_side must be positive")
    return _prepare(path, long_side, JPEG_QUALITY_EPUB)


def media_type_of(data: bytes) -> str:
    """``image/jpeg`` or ``image/png`` for bytes this module made."""
    if data.startswith(b"\xff\xd8"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    raise ValueError("neither JPEG nor PNG")


def image_dpi(width_px: int, printed_width_in: float) -> float:
    """The resolution an image of ``width_px`` pixels prints at, ``printed_width_in`` inches wide."""
    if printed_width_in <= 0:
        raise ValueError("printed width must be positive")
    return width_px / printed_width_in


def dpi_warning(width_px: int, printed_width_in: float, where: str = "") -> Diagnostic | None:
    """W130 when the image prints below :data:`PRINT_DPI`, else None."""
    dpi = image_dpi(width_px, printed_width_in)
    if dpi >= PRINT_DPI:
        return None
    return Diagnostic("W130", f"image prints at {dpi:.0f} dpi ({width_px} px across {printed_width_in:.2f} in)",
                      file=where, hint=f"print wants {PRINT_DPI} dpi: use the original upload or print it smaller",
                      warning=True)


def _open(path: Path, max_pixels: int | None) -> Image.Image:
    name = display_path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise MediaError("E133", f"cannot read the image: {exc.strerror or exc}", file=name) from None
    if size > MAX_IMAGE_BYTES:
        raise MediaError("E135", f"image file of {size // (1024 * 1024)} MiB is over the "
                         f"{MAX_IMAGE_BYTES // (1024 * 1024)} MiB limit", file=name)
    limit = Image.MAX_IMAGE_PIXELS if max_pixels is None else max_pixels
    bomb = MediaError("E134", f"image has too many pixels (over {limit or 0:,}): refused as a "
                      "possible decompression bomb", file=name, hint="scale the image down before using it")
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            im = Image.open(path)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise bomb from None
        except UnidentifiedImageError:
            raise MediaError("E132", "not an image Pillow can read", file=name,
                             hint="use a JPEG, PNG, GIF or WebP file") from None
        except OSError as exc:
            raise MediaError("E133", f"cannot read the image: {exc}", file=name) from None
    if im.format not in FORMATS:
        im.close()
        raise MediaError("E132", f"image format {im.format} is not taken", file=name,
                         hint="use a JPEG, PNG, GIF or WebP file")
    if limit and im.width * im.height > limit:
        im.close()
        raise bomb
    truncated_ok = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = False  # importing WeasyPrint sets it for the whole process
    try:
        im.seek(0)
        im.load()
    except (OSError, SyntaxError, ValueError, EOFError) as exc:  # truncated or corrupt data
        im.close()
        raise MediaError("E133", f"damaged image: {exc}", file=name) from None
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = truncated_ok
    return im


def _to_srgb(im: Image.Image) -> Image.Image:
    """Pixels in sRGB (RGB, RGBA, L or LA), through the embedded ICC profile when it is usable."""
    if im.mode == "1":
        return im.convert("L")
    if im.mode.startswith("I") or im.mode == "F":  # 16- and 32-bit grey
        wide = im.convert("I")
        top = wide.getextrema()[1]
        scale = 1 / 257 if isinstance(top, (int, float)) and top > 255 else 1.0
        return wide.point(lambda v: v * scale).convert("L")
    if im.mode in ("P", "PA"):
        has_alpha = im.mode == "PA" or "transparency" in im.info
        im = im.convert("RGBA" if has_alpha else "RGB")
    elif im.mode in ("RGBa", "La"):  # premultiplied alpha
        im = im.convert("RGBA" if im.mode == "RGBa" else "LA")
    icc = im.info.get("icc_profile")
    if icc and im.mode in ("RGB", "RGBA", "CMYK"):
        converted = _icc_to_srgb(im, icc)
        if converted is not None:
            return converted
    if im.mode in ("RGB", "RGBA", "L", "LA"):
        return im
    return im.convert("RGBA" if "A" in im.getbands() else "RGB")


def _icc_to_srgb(im: Image.Image, icc: bytes) -> Image.Image | None:
    """The image converted from its profile to sRGB; None when the profile is unusable or already sRGB."""
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        description = ImageCms.getProfileDescription(source) or ""
        if "srgb" in description.lower().replace(" ", "") and im.mode != "CMYK":
            return None
        alpha = im.getchannel("A") if im.mode == "RGBA" else None
        base = im.convert("RGB") if alpha is not None else im
        out = ImageCms.profileToProfile(base, source, ImageCms.createProfile("sRGB"),
                                        renderingIntent=ImageCms.Intent.PERCEPTUAL, outputMode="RGB")
        if out is None:
            return None
        if alpha is not None:
            out.putalpha(alpha)
        return out
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return None


def _prepare(path: Path, long_side: int | None, quality: int, max_pixels: int | None = None) -> PreparedImage:
    im = _open(path, max_pixels)
    try:
        source_format = im.format
        icc = im.info.get("icc_profile")
        try:
            oriented = ImageOps.exif_transpose(im)
        except (OSError, ValueError, KeyError, TypeError, SyntaxError):
            oriented = im  # unreadable EXIF: keep the pixels as stored
        if icc and "icc_profile" not in oriented.info:
            oriented.info["icc_profile"] = icc
        pixels = _to_srgb(oriented)
        if pixels.mode in ("RGBA", "LA"):
            alpha = pixels.getchannel("A")
            if alpha.getextrema() == (255, 255):  # fully opaque: drop the channel
                pixels = pixels.convert(pixels.mode[:-1])
        if long_side is not None and max(pixels.size) > long_side:
            w, h = pixels.size
            scale = long_side / max(w, h)
            size = (max(1, round(w * scale)), max(1, round(h * scale)))
            pixels = pixels.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
        # A fresh image from the bare pixels: nothing of the source's info, EXIF or profile is carried over.
        bare = Image.frombytes(pixels.mode, pixels.size, pixels.tobytes())
    finally:
        im.close()
    out = io.BytesIO()
    photo = source_format in ("JPEG", "MPO") or source_format in ("WEBP", "TIFF") and bare.mode in ("RGB", "L")
    if photo and bare.mode in ("RGB", "L"):
        bare.save(out, format="JPEG", quality=quality, subsampling=0 if long_side is None else 2,
                  optimize=True, progressive=False)
        media_type = "image/jpeg"
    else:
        bare.save(out, format="PNG", optimize=False, compress_level=6)
        media_type = "image/png"
    return PreparedImage(out.getvalue(), media_type, bare.width, bare.height)
