"""Local media (compiler/media.py): upload URLs to files, traversal refused, images stripped bare.

The images are real files made with Pillow, carrying EXIF with a GPS position
and an artist, XMP, IPTC, an ICC profile, comments and PNG text chunks, all
with a name in them; the tests prove with Pillow and on the raw bytes (a walk
over the JPEG segments and PNG chunks, and a grep) that nothing of it
survives either preparation.
"""

from __future__ import annotations

import hashlib
import io
import os
import struct
import subprocess
import sys
import zlib
from collections.abc import Callable
from pathlib import Path, PurePosixPath

import pytest
from PIL import Image, ImageCms, PngImagePlugin

from compiler.media import (
    MediaError,
    MediaFolder,
    candidates,
    dpi_warning,
    image_dpi,
    media_type_of,
    prepare_for_epub,
    prepare_for_print,
    upload_path,
)

NAME = "Zyxandra Qelbrook"
GPS = {1: "N", 2: (43.0, 15.0, 30.0), 3: "E", 4: (76.0, 53.0, 12.0), 29: "2012:03:04"}
XMP = (f'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
       f'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
       f'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:exif="http://ns.adobe.com/exif/1.0/" '
       f'exif:GPSLatitude="43,15.5N" exif:GPSLongitude="76,53.2E"><dc:creator>{NAME}</dc:creator>'
       f'</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>').encode()
#: What must never be in a prepared image's bytes.
FORBIDDEN = [NAME.encode(), NAME.encode("utf-16-le"), NAME.encode("utf-16-be"), b"Zyxandra", b"Qelbrook",
             b"43,15.5N", b"Exif\x00\x00", b"http://ns.adobe.com", b"adobe:ns:meta", b"Photoshop 3.0", b"8BIM",
             b"ICC_PROFILE", b"2012:03:04", b"Camera of"]
PNG_CHUNKS_ALLOWED = {b"IHDR", b"PLTE", b"tRNS", b"IDAT", b"IEND"}
JPEG_MARKERS_ALLOWED = {0xE0, 0xDB, 0xC0, 0xC1, 0xC2, 0xC4, 0xDD, 0xDA}  # APP0 JFIF, DQT, SOF, DHT, DRI, SOS


# ------------------------------------------------------------------ helpers making tainted images


def exif_bytes(orientation: int | None = None) -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "Camera of " + NAME  # Make
    exif[0x013B] = NAME  # Artist
    exif[0x8298] = "(c) " + NAME  # Copyright
    exif[0x8825] = dict(GPS)  # the GPS IFD
    if orientation is not None:
        exif[0x0112] = orientation
    return exif.tobytes()


def named_icc() -> bytes:
    """A small ICC profile (not usable: no colorants) whose description and copyright carry the name."""
    def text_tag(sig: bytes, text: str) -> tuple[bytes, bytes]:
        raw = text.encode("ascii") + b"\x00"
        data = b"desc" + b"\x00" * 4 + struct.pack(">I", len(raw)) + raw + b"\x00" * 12 + b"\x00" * 67
        if sig == b"cprt":
            data = b"text" + b"\x00" * 4 + raw
        return sig, data + b"\x00" * (-len(data) % 4)
    tags = [text_tag(b"desc", f"{NAME} Camera RGB"), text_tag(b"cprt", f"Copyright {NAME}")]
    offset = 128 + 4 + 12 * len(tags)
    table, body = b"", b""
    for sig, data in tags:
        table += sig + struct.pack(">II", offset + len(body), len(data))
        body += data
    size = offset + len(body)
    header = (struct.pack(">I", size) + b"lcms" + bytes([2, 0x10, 0, 0]) + b"mntr" + b"RGB " + b"XYZ "
              + b"\x00" * 12 + b"acsp" + b"APPL" + b"\x00" * 4 + b"\x00" * 8 + b"\x00" * 8 + b"\x00" * 4
              + b"\x00\x00\xf6\xd6\x00\x01\x00\x00\x00\x00\xd3\x2d" + b"lcms" + b"\x00" * 16 + b"\x00" * 28)
    assert len(header) == 128
    return header + struct.pack(">I", len(tags)) + table + body


def srgb_icc() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def iptc_app13() -> bytes:
    """A JPEG APP13 segment with an IPTC by-line (2:80) and caption (2:120) naming the person."""
    def dataset(number: int, text: str) -> bytes:
        raw = text.encode()
        return b"\x1c\x02" + bytes([number]) + struct.pack(">H", len(raw)) + raw
    iptc = dataset(80, NAME) + dataset(120, f"{NAME} at the shelter")
    resource = b"8BIM" + struct.pack(">H", 0x0404) + b"\x00\x00" + struct.pack(">I", len(iptc)) + iptc
    resource += b"\x00" * (len(resource) % 2)
    payload = b"Photoshop 3.0\x00" + resource
    return b"\xff\xed" + struct.pack(">H", len(payload) + 2) + payload


def picture(size: tuple[int, int] = (120, 80), mode: str = "RGB") -> Image.Image:
    """A picture with structure (two colours and a gradient), so encoders have real work."""
    im = Image.new("RGB", size, (200, 30, 30))
    w, h = size
    for x in range(w // 2, w):
        for y in range(0, h, 2):
            im.putpixel((x, y), (30, 30, 200 - (x * 100) // w))
    return im.convert(mode) if mode != "RGB" else im


def tainted_jpeg(path: Path, orientation: int | None = None, icc: bytes | None = None,
                 im: Image.Image | None = None) -> Path:
    buf = io.BytesIO()
    (im or picture()).save(buf, "JPEG", quality=90, exif=exif_bytes(orientation), xmp=XMP,
                           comment=f"Photo by {NAME}".encode(), icc_profile=icc or named_icc())
    data = buf.getvalue()
    path.write_bytes(data[:2] + iptc_app13() + data[2:])
    return path


def tainted_png(path: Path, im: Image.Image | None = None) -> Path:
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", NAME)
    info.add_text("Comment", f"{NAME} in Almaty, 43,15.5N", zip=True)  # zTXt
    info.add_itxt("Description", f"{NAME} und Freunde", lang="de", tkey="Beschreibung")
    info.add_itxt("XML:com.adobe.xmp", XMP.decode())
    info.add(b"tIME", struct.pack(">HBBBBB", 2012, 3, 4, 5, 6, 7))
    (im or picture()).save(path, "PNG", pnginfo=info, exif=exif_bytes(), icc_profile=named_icc())
    return path


def tainted_webp(path: Path) -> Path:
    picture().save(path, "WEBP", quality=90, exif=exif_bytes(), xmp=XMP, icc_profile=named_icc())
    return path


def tainted_gif(path: Path) -> Path:
    picture().convert("P", palette=Image.Palette.ADAPTIVE).save(path, "GIF", comment=f"by {NAME}".encode())
    return path


def tainted_tiff(path: Path) -> Path:
    picture().save(path, "TIFF", tiffinfo={270: f"{NAME} at home", 315: NAME, 305: "Camera of " + NAME},
                   exif=exif_bytes())
    return path


def jpeg_markers(data: bytes) -> list[int]:
    """The markers of a JPEG's header segments, SOI to SOS (the walk fails on a broken stream)."""
    assert data[:2] == b"\xff\xd8"
    pos, markers = 2, []
    while True:
        assert data[pos] == 0xFF, f"no marker at {pos}"
        marker = data[pos + 1]
        markers.append(marker)
        length = struct.unpack(">H", data[pos + 2:pos + 4])[0]
        if marker == 0xE0:
            assert data[pos + 4:pos + 9] == b"JFIF\x00", "an APP0 that is not JFIF"
            assert length == 16, "a JFIF segment with a thumbnail"
        if marker == 0xDA:
            return markers
        pos += 2 + length


def png_chunks(data: bytes) -> list[bytes]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks = 8, []
    while pos < len(data):
        length = struct.unpack(">I", data[pos:pos + 4])[0]
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        assert zlib.crc32(kind + body) == struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])[0]
        chunks.append(kind)
        pos += 12 + length
    return chunks


def assert_bare(data: bytes) -> Image.Image:
    """Nothing but pixels: checked by Pillow, by the file's structure and by grepping the bytes."""
    for needle in FORBIDDEN:
        assert needle not in data, f"{needle!r} survived"
    if data[:2] == b"\xff\xd8":
        assert set(jpeg_markers(data)) <= JPEG_MARKERS_ALLOWED, [hex(m) for m in jpeg_markers(data)]
    else:
        assert set(png_chunks(data)) <= PNG_CHUNKS_ALLOWED, png_chunks(data)
    im = Image.open(io.BytesIO(data))
    im.load()
    assert not im.getexif(), dict(im.getexif())
    assert not im.getexif().get_ifd(0x8825)
    assert set(im.info) <= {"jfif", "jfif_version", "jfif_unit", "jfif_density"}, im.info.keys()
    assert im.format in ("JPEG", "PNG") and media_type_of(data) == Image.MIME[im.format]
    return im


# ------------------------------------------------------------------ URLs -> files


@pytest.fixture
def uploads(tmp_path: Path) -> Path:
    root = tmp_path / "uploads"
    (root / "2012" / "03").mkdir(parents=True)
    for name in ("photo.jpg", "photo-600x400.jpg", "big-scaled.jpg", "edited-e1334567890123.jpg",
                 "only-original.png", "dup-1.jpg", "Ümlaut Bild.jpg", "rot-rotated.jpg"):
        (root / "2012" / "03" / name).write_bytes(name.encode())
    return root


@pytest.mark.parametrize("url, expected", [
    ("https://example.com/wp-content/uploads/2012/03/photo.jpg", "photo.jpg"),
    ("http://example.com/wp-content/uploads/2012/03/photo.jpg", "photo.jpg"),
    ("//example.com/wp-content/uploads/2012/03/photo.jpg", "photo.jpg"),
    ("/wp-content/uploads/2012/03/photo.jpg", "photo.jpg"),
    ("wp-content/uploads/2012/03/photo.jpg", "photo.jpg"),
    ("https://example.com/blog/wp-content/uploads/2012/03/photo.jpg?ver=2#x", "photo.jpg"),  # a subfolder site
    ("https://slaveryisnotdead.files.wordpress.com/2012/03/photo.jpg?w=640", "photo.jpg"),
    ("https://i0.wp.com/example.com/wp-content/uploads/2012/03/photo.jpg?resize=600%2C400&ssl=1", "photo.jpg"),
    ("https://i2.wp.com/slaveryisnotdead.files.wordpress.com/2012/03/photo.jpg?w=300", "photo.jpg"),
    # a resized variant: itself when the folder has it, else the original
    ("https://example.com/wp-content/uploads/2012/03/photo-600x400.jpg", "photo-600x400.jpg"),
    ("https://example.com/wp-content/uploads/2012/03/photo-1024x683.jpg", "photo.jpg"),
    ("https://example.com/wp-content/uploads/2012/03/only-original-150x150.png", "only-original.png"),
    ("https://example.com/wp-content/uploads/2012/03/photo-scaled.jpg", "photo.jpg"),
    ("https://example.com/wp-content/uploads/2012/03/big-scaled.jpg", "big-scaled.jpg"),
    ("https://example.com/wp-content/uploads/2012/03/big-768x512.jpg", "big-scaled.jpg"),
    ("https://example.com/wp-content/uploads/2012/03/rot-300x200.jpg", "rot-rotated.jpg"),
    ("https://example.com/wp-content/uploads/2012/03/edited-e1334567890123-300x200.jpg",
     "edited-e1334567890123.jpg"),
    ("https://example.com/wp-content/uploads/2012/03/photo-e1334567890123.jpg", "photo.jpg"),
    ("https://example.com/wp-content/uploads/2012/03/%C3%9Cmlaut%20Bild.jpg", "Ümlaut Bild.jpg"),
    ("https://example.com/wp-content/uploads/2012/03/dup-1.jpg", "dup-1.jpg"),
])
def test_upload_urls_resolve_to_the_local_copy(uploads: Path, url: str, expected: str) -> None:
    found = MediaFolder(uploads).resolve(url)
    assert found == (uploads / "2012" / "03" / expected).resolve()


@pytest.mark.parametrize("url", [
    "https://example.com/wp-content/uploads/2012/03/missing.jpg",
    "https://example.com/wp-content/uploads/2012/03/dup.jpg",  # dup-1 is another upload, not a variant
    "https://example.com/2012/03/photo.jpg",  # not an upload path
    "https://example.com/wp-content/themes/x/photo.jpg",
    "ftp://example.com/wp-content/uploads/2012/03/photo.jpg",
    "file:///wp-content/uploads/2012/03/photo.jpg",
    "data:image/png;base64,AAAA",
    "https://example.com/wp-content/uploads/",
    "https://i0.wp.com/example.com/other/photo.jpg",
])
def test_other_urls_resolve_to_nothing(uploads: Path, url: str) -> None:
    assert MediaFolder(uploads).resolve(url) is None


@pytest.mark.parametrize("url", [
    "https://example.com/wp-content/uploads/../../etc/passwd",
    "https://example.com/wp-content/uploads/2012/../../secret.jpg",
    "https://example.com/wp-content/uploads/%2e%2e/%2e%2e/etc/passwd",
    "https://example.com/wp-content/uploads/%2E%2E%2F%2E%2E%2Fetc/passwd",
    "https://example.com/wp-content/uploads/%252e%252e/secret.jpg",  # encoded twice
    "https://example.com/wp-content/uploads//etc/passwd",  # an absolute path after the prefix
    "https://example.com/wp-content/uploads/2012/03/..%5c..%5csecret.jpg",
    "https://example.com/wp-content/uploads/2012\\..\\..\\secret.jpg",
    "https://example.com/wp-content/uploads/C:/Windows/win.ini",
    "https://example.com/wp-content/uploads/2012/03/photo.jpg%00.png",
    "https://slaveryisnotdead.files.wordpress.com/../secret.jpg",
    "https://i0.wp.com/example.com/wp-content/uploads/%2e%2e/secret.jpg",
    "https://example.com/wp-content/uploads/2012/./03/photo.jpg",
    "https://example.com/wp-content/uploads/2012/03/%ff%fe.jpg",
])
def test_traversal_is_refused(uploads: Path, url: str) -> None:
    (uploads.parent / "secret.jpg").write_bytes(b"secret")
    with pytest.raises(MediaError) as info:
        MediaFolder(uploads).resolve(url)
    assert info.value.diagnostic.code == "E131"
    assert "\n" not in str(info.value)


def test_symlinks_out_of_the_folder_are_refused_and_inside_followed(uploads: Path) -> None:
    secret = uploads.parent / "secret.jpg"
    secret.write_bytes(b"secret")
    (uploads / "2012" / "03" / "leak.jpg").symlink_to(secret)
    (uploads / "2013").symlink_to(uploads.parent)  # a folder link out
    (uploads / "2012" / "03" / "alias.jpg").symlink_to(uploads / "2012" / "03" / "photo.jpg")
    folder = MediaFolder(uploads)
    for url in ("https://example.com/wp-content/uploads/2012/03/leak.jpg",
                "https://example.com/wp-content/uploads/2013/secret.jpg",
                "https://example.com/wp-content/uploads/2012/03/leak-300x200.jpg"):
        with pytest.raises(MediaError, match="E131"):
            folder.resolve(url)
    assert folder.resolve("https://example.com/wp-content/uploads/2012/03/alias.jpg") == \
        (uploads / "2012" / "03" / "photo.jpg").resolve()


def test_a_folder_url_is_not_a_file(uploads: Path) -> None:
    assert MediaFolder(uploads).resolve("https://example.com/wp-content/uploads/2012/03") is None


def test_missing_media_folder_is_e130(tmp_path: Path) -> None:
    with pytest.raises(MediaError, match="E130"):
        MediaFolder(tmp_path / "nowhere")
    (tmp_path / "file").write_text("x")
    with pytest.raises(MediaError, match="E130"):
        MediaFolder(tmp_path / "file")


def test_candidates_order() -> None:
    assert candidates("photo-e1334567890123-600x400.jpg") == [
        "photo-e1334567890123-600x400.jpg", "photo-e1334567890123.jpg", "photo.jpg",
        "photo-scaled.jpg", "photo-rotated.jpg"]
    assert candidates("noextension") == ["noextension"]
    assert upload_path("https://example.com/wp-content/uploads/2012/03/a%20b.jpg") == PurePosixPath("2012/03/a b.jpg")


# ------------------------------------------------------------------ metadata stripped


MAKERS: dict[str, Callable[[Path], Path]] = {"jpeg": tainted_jpeg, "png": tainted_png, "webp": tainted_webp, "gif": tainted_gif, "tiff": tainted_tiff}


@pytest.mark.parametrize("kind", sorted(MAKERS))
def test_no_metadata_survives(tmp_path: Path, kind: str) -> None:
    source = MAKERS[kind](tmp_path / f"tainted.{kind}")
    assert NAME.encode() in source.read_bytes()  # the name is really there
    with pytest.raises(AssertionError):
        assert_bare(source.read_bytes())
    printed = prepare_for_print(source)
    im = assert_bare(printed)
    assert im.size == (120, 80)
    epub = prepare_for_epub(source)
    assert_bare(epub.data)
    assert (epub.width, epub.height) == (120, 80)
    assert epub.media_type == ("image/jpeg" if kind in ("jpeg", "webp", "tiff") else "image/png")


def test_png_text_really_was_there(tmp_path: Path) -> None:
    """The PNG source carries every chunk the bare output must not (so the test above can fail)."""
    source = tainted_png(tmp_path / "t.png")
    assert {b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"tIME", b"iCCP"} <= set(png_chunks(source.read_bytes()))
    info = Image.open(source).info
    assert info["Author"] == NAME and "XML:com.adobe.xmp" in info and "icc_profile" in info


def test_jpeg_source_really_had_everything(tmp_path: Path) -> None:
    source = tainted_jpeg(tmp_path / "t.jpg")
    markers = jpeg_markers(source.read_bytes())
    assert {0xE1, 0xE2, 0xED, 0xFE} <= set(markers)  # EXIF/XMP, ICC, IPTC, COM
    im = Image.open(source)
    assert im.getexif().get_ifd(0x8825)[2] == (43.0, 15.0, 30.0)
    assert {"exif", "xmp", "comment", "icc_profile", "photoshop"} <= set(im.info)


def test_an_srgb_profile_is_dropped_and_colours_kept(tmp_path: Path) -> None:
    source = tainted_jpeg(tmp_path / "s.jpg", icc=srgb_icc(), im=Image.new("RGB", (64, 64), (200, 30, 30)))
    im = assert_bare(prepare_for_print(source)).convert("RGB")
    r, g, b = im.getpixel((32, 32))  # type: ignore[misc]
    assert abs(r - 200) < 6 and g < 40 and b < 40


def test_exif_orientation_applied_before_stripping(tmp_path: Path) -> None:
    """Orientation 6 (rotate 90° clockwise to display): red left half, blue right half -> red top, blue bottom."""
    im = Image.new("RGB", (80, 40), (255, 0, 0))
    im.paste((0, 0, 255), (40, 0, 80, 40))
    source = tainted_jpeg(tmp_path / "o.jpg", orientation=6, im=im)
    for data in (prepare_for_print(source), prepare_for_epub(source).data):
        out = assert_bare(data).convert("RGB")
        assert out.size == (40, 80)
        top, bottom = out.getpixel((20, 10)), out.getpixel((20, 70))
        assert top[0] > 200 and top[2] < 60, top  # type: ignore[index]
        assert bottom[2] > 200 and bottom[0] < 60, bottom  # type: ignore[index]


def test_cmyk_becomes_rgb(tmp_path: Path) -> None:
    path = tmp_path / "cmyk.jpg"
    Image.new("CMYK", (32, 32), (255, 0, 0, 0)).save(path, "JPEG", quality=95)  # pure cyan
    out = assert_bare(prepare_for_print(path))
    assert out.mode == "RGB"
    r, g, b = out.getpixel((16, 16))  # type: ignore[misc]
    assert r < 40 and g > 200 and b > 200


def test_palette_with_transparency_keeps_alpha_as_png(tmp_path: Path) -> None:
    path = tmp_path / "p.png"
    im = Image.new("P", (20, 20), 0)
    im.putpalette([255, 0, 0, 0, 255, 0] + [0] * 762)
    im.paste(1, (10, 0, 20, 20))
    im.save(path, "PNG", transparency=0)
    data = prepare_for_print(path)
    out = assert_bare(data)
    assert media_type_of(data) == "image/png" and out.mode == "RGBA"
    assert out.getpixel((2, 2))[3] == 0 and out.getpixel((15, 2)) == (0, 255, 0, 255)  # type: ignore[index]


def test_opaque_alpha_is_dropped_and_grey_kinds_become_l(tmp_path: Path) -> None:
    rgba = tmp_path / "rgba.png"
    picture(mode="RGBA").save(rgba)
    assert assert_bare(prepare_for_print(rgba)).mode == "RGB"
    grey16 = tmp_path / "grey16.png"
    Image.new("I;16", (10, 10), 65535).save(grey16)
    out = assert_bare(prepare_for_print(grey16))
    assert out.mode == "L" and out.getpixel((5, 5)) == 255
    mono = tmp_path / "mono.png"
    Image.new("1", (10, 10), 1).save(mono)
    assert assert_bare(prepare_for_print(mono)).mode == "L"


def test_epub_images_are_scaled_to_the_long_side(tmp_path: Path) -> None:
    path = tainted_jpeg(tmp_path / "big.jpg", im=picture((3000, 2000)))
    epub = prepare_for_epub(path)
    assert (epub.width, epub.height) == (1600, 1067) and epub.media_type == "image/jpeg"
    assert Image.open(io.BytesIO(epub.data)).size == (1600, 1067)
    tall = prepare_for_epub(tainted_png(tmp_path / "tall.png", im=picture((500, 2400))), long_side=800)
    assert (tall.width, tall.height) == (167, 800)
    printed = assert_bare(prepare_for_print(path))
    assert printed.size == (3000, 2000)  # print keeps every pixel


def test_same_input_same_bytes(tmp_path: Path) -> None:
    source = tainted_jpeg(tmp_path / "a.jpg", orientation=3)
    other = tmp_path / "elsewhere" / "b.jpg"
    other.parent.mkdir()
    other.write_bytes(source.read_bytes())
    os.utime(other, (1_000_000_000, 1_000_000_000))
    first = prepare_for_print(source), prepare_for_epub(source, long_side=50)
    assert first == (prepare_for_print(other), prepare_for_epub(other, long_side=50))
    # and in a fresh process (no state carried between calls)
    code = ("import hashlib,sys; from pathlib import Path; from compiler.media import prepare_for_print;"
            "print(hashlib.sha256(prepare_for_print(Path(sys.argv[1]))).hexdigest())")
    done = subprocess.run([sys.executable, "-c", code, str(source)], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == hashlib.sha256(first[0]).hexdigest()


# ------------------------------------------------------------------ refused files


def png_header_only(path: Path, width: int, height: int) -> Path:
    """A tiny PNG that claims a huge size (a decompression bomb's header)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00"))
                     + chunk(b"IEND", b""))
    return path


@pytest.mark.parametrize("width, height", [(100_000, 100_000), (10_000, 9_000)])  # over 2x, and over 1x
def test_decompression_bombs_are_refused(tmp_path: Path, width: int, height: int) -> None:
    assert width * height > Image.MAX_IMAGE_PIXELS  # type: ignore[operator]
    path = png_header_only(tmp_path / "bomb.png", width, height)
    for prepare in (prepare_for_print, prepare_for_epub):
        with pytest.raises(MediaError) as info:
            prepare(path)
        assert info.value.diagnostic.code == "E134"
        assert "decompression bomb" in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize("content, code", [
    (b"<html><body>not an image</body></html>", "E132"),
    (b'<svg xmlns="http://www.w3.org/2000/svg"/>', "E132"),
    (b"%PDF-1.7\n", "E132"),
    (b"", "E132"),
])
def test_non_images_are_refused(tmp_path: Path, content: bytes, code: str) -> None:
    path = tmp_path / "photo.jpg"
    path.write_bytes(content)
    with pytest.raises(MediaError) as info:
        prepare_for_print(path)
    assert info.value.diagnostic.code == code and "photo.jpg" in str(info.value)


@pytest.mark.parametrize("weasyprint_loaded", [False, True])
def test_a_truncated_image_is_e133(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, weasyprint_loaded: bool) -> None:
    from PIL import ImageFile

    # importing WeasyPrint (in the same process) sets LOAD_TRUNCATED_IMAGES for everyone
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", weasyprint_loaded)
    path = tainted_jpeg(tmp_path / "t.jpg", im=picture((400, 300)))
    path.write_bytes(path.read_bytes()[:-2000])
    with pytest.raises(MediaError, match="E133"):
        prepare_for_epub(path)
    assert ImageFile.LOAD_TRUNCATED_IMAGES is weasyprint_loaded


def test_dpi() -> None:
    assert image_dpi(1800, 6.0) == 300.0
    assert dpi_warning(1800, 6.0) is None
    warning = dpi_warning(600, 4.0, where="posts/x")
    assert warning is not None and warning.code == "W130" and warning.warning and "150 dpi" in warning.message
    with pytest.raises(ValueError):
        image_dpi(100, 0)
