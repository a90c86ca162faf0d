"""Local media in a real build: a WordPress export whose images are in a media folder made here.

The images are real files made with Pillow in a temporary ``uploads`` folder
(a copy of ``wp-content/uploads``), two of them named after the protected
person (``natasha-ivanova.jpg``) and carrying the name and a GPS position in
their EXIF, XMP, JPEG comment and PNG text chunks. The book is built once by
the command line with ``--epubcheck`` (exit 4 on any EPUBCheck error or
warning), and every test reads that build: images in the PDF at full
resolution and bare, in the EPUB at most 1600 px, bare, under neutral names
with the right media types and their alt text; a missing image as a framed
placeholder and a W125 naming the post and URL; a low-resolution one as
W130; and the name nowhere under ``out/``, in no file name, member name,
alt text or byte. A copy of the project built again gives the same bytes.
The export of a real blog (``../shared/corpora``, skipped when absent) goes
through ``init --media`` with its upload URLs mapped to a generated folder;
its rebuild is a no-op, and a changed image rebuilds.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pikepdf
import pytest
from lxml import etree
from PIL import Image, ImageDraw, PngImagePlugin

from conftest import CORPORA, WXR_EXPORTS, run_compiler
from test_media import assert_bare
from test_redaction import holds_name

PERSON = "Natasha Ivanova"
SITE = "https://shelterblog.example/wp-content/uploads/2019/05"
XMP = (f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
       f'<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator>{PERSON}</dc:creator>'
       f'</rdf:Description></rdf:RDF></x:xmpmeta>').encode()
#: (post title, body): a figure, a portrait, a gallery with a missing image, a missing image, a tiny image.
POSTS = [
    ("The courtyard", f"""<p>We visited the shelter in May.</p>
<figure class="wp-block-image"><img src="{SITE}/natasha-ivanova-1024x683.jpg" alt="A shelter courtyard in Almaty"
 width="1024" height="683"/><figcaption>The courtyard where Natasha waited for the hearing</figcaption></figure>
<p>The garden behind it is kept by the residents.</p>"""),
    ("A portrait", f"""<p>She asked for a portrait.</p>
<figure class="wp-block-image"><img src="{SITE}/Natasha_Ivanova_portrait.png" alt="Portrait of Natasha Ivanova"/>
<figcaption>Natasha, drawn by a resident</figcaption></figure>"""),
    ("The garden", f"""<p>Three views of the garden.</p>
<figure class="wp-block-gallery"><figure class="wp-block-image"><img src="{SITE}/garden-1.jpg" alt="Rows of beans"/>
<figcaption>Beans</figcaption></figure><figure class="wp-block-image"><img src="{SITE}/garden-2.jpg"
 alt="A watering can"/><figcaption>Water</figcaption></figure><figure class="wp-block-image"><img
 src="{SITE}/garden-3.jpg" alt="The gate at dusk"/><figcaption>The gate</figcaption></figure>
<figcaption>The garden in May</figcaption></figure>"""),
    ("The old school", f"""<p>The school the shelter used to be.</p>
<figure class="wp-block-image"><img src="{SITE}/lost-school-photo.jpg" alt="The old school building, from the road"/>
<figcaption>The school in 2011, before the shelter moved in</figcaption></figure>"""),
    ("A small sign", f"""<p>The sign on the door.</p>
<figure class="wp-block-image"><img src="{SITE}/door-sign.png" alt="A hand-painted sign" width="600" height="400"/>
<figcaption>The sign, photographed small</figcaption></figure>"""),
]


def _wxr(posts: list[tuple[str, str]]) -> bytes:
    items = "".join(f"""<item><title>{title}</title><dc:creator><![CDATA[teacher]]></dc:creator>
<content:encoded><![CDATA[{body}]]></content:encoded><excerpt:encoded><![CDATA[]]></excerpt:encoded>
<wp:post_id>{n}</wp:post_id><wp:post_date>2019-05-0{n} 10:00:00</wp:post_date>
<wp:post_date_gmt>2019-05-0{n} 04:00:00</wp:post_date_gmt><wp:post_name>post-{n}</wp:post_name>
<wp:status>publish</wp:status><wp:post_parent>0</wp:post_parent><wp:menu_order>0</wp:menu_order>
<wp:post_type>post</wp:post_type><wp:post_password></wp:post_password><wp:is_sticky>0</wp:is_sticky>
<category domain="category" nicename="visits"><![CDATA[Visits]]></category></item>"""
                    for n, (title, body) in enumerate(posts, 1))
    ns = "http://wordpress.org/export/1.2/"
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:excerpt="{ns}excerpt/" xmlns:content="http://purl.org/rss/1.0/modules/content/"
 xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="{ns}">
<channel><title>Shelter Notes</title><link>https://shelterblog.example</link><language>en</language>
<wp:wxr_version>1.2</wp:wxr_version>{items}</channel></rss>""".encode()


def photo(size: tuple[int, int], seed: int = 0) -> Image.Image:
    """A picture with structure (gradients and a few shapes), quick to make at any size and small
    once encoded (the leak search below reads every byte of every output)."""
    w, h = size
    red = Image.linear_gradient("L").resize((w, h)).rotate(seed * 37 % 360)
    green = Image.linear_gradient("L").rotate(90).resize((w, h))
    blue = Image.radial_gradient("L").resize((w, h))
    im = Image.merge("RGB", (red, green, blue))
    draw = ImageDraw.Draw(im)
    for k in range(3):
        x, y = (seed * 97 + k * 211) % w, (seed * 53 + k * 157) % h
        draw.ellipse((x, y, x + w // 5, y + h // 6), fill=(240 - 60 * k, 200, 40 + 50 * k))
    return im


def exif() -> Image.Exif:
    tags = Image.Exif()
    tags[0x013B] = PERSON  # Artist
    tags[0x9286] = f"Photo of {PERSON}"  # UserComment, in the Exif IFD as Pillow writes it: still in the bytes
    tags[0x8298] = f"(c) {PERSON}"
    tags[0x8825] = {1: "N", 2: (43.0, 15.0, 30.0), 3: "E", 4: (76.0, 53.0, 12.0)}  # GPS: Almaty
    return tags


def tainted_jpeg(path: Path, size: tuple[int, int], seed: int = 0) -> None:
    photo(size, seed).save(path, "JPEG", quality=88, exif=exif(), xmp=XMP, comment=f"by {PERSON}".encode())


def tainted_png(path: Path, size: tuple[int, int]) -> None:
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", PERSON)
    info.add_itxt("Description", f"{PERSON} at the shelter")
    info.add_itxt("XML:com.adobe.xmp", XMP.decode())
    photo(size, 3).save(path, "PNG", pnginfo=info, exif=exif())


def make_uploads(root: Path) -> Path:
    folder = root / "2019" / "05"
    folder.mkdir(parents=True)
    tainted_jpeg(folder / "natasha-ivanova.jpg", (2400, 1600))  # the original of the -1024x683 URL
    tainted_png(folder / "Natasha_Ivanova_portrait.png", (1200, 1600))  # 12 cm high at most: over 300 dpi
    tainted_jpeg(folder / "garden-1.jpg", (900, 900), 1)
    tainted_jpeg(folder / "garden-2.jpg", (900, 1200), 2)
    tainted_png(folder / "door-sign.png", (120, 80))  # printed 600 px wide: W130
    return root


def make_book(folder: Path) -> Path:
    """A WordPress export, its uploads and a manifest from ``init --media`` with the person redacted."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "export.xml").write_bytes(_wxr(POSTS))
    make_uploads(folder / "uploads")
    made = run_compiler("init", "export.xml", "--media", "uploads", "--dir", ".", cwd=folder)
    assert made.returncode == 0, made.stderr
    manifest = folder / "book.yaml"
    text = manifest.read_text()
    assert 'media: "uploads"' in text
    manifest.write_text(text + "redactions:\n  - {term: Natasha, replacement: N.}\n"
                               "  - {term: Ivanova, replacement: I.}\n")
    return folder


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    folder = make_book(tmp_path_factory.mktemp("media") / "shelter")
    result = run_compiler("book.yaml", "--epubcheck", cwd=folder, timeout=600)
    out = folder / "out"
    return {"folder": folder, "result": result, "out": out, "stderr": result.stderr,
            "pdf": next(out.glob("*.pdf"), None), "epub": next(out.glob("*.epub"), None)}


def _ok(book: dict[str, object]) -> None:
    result = book["result"]
    assert result.returncode == 0, result.stderr  # type: ignore[attr-defined]


def pdf_images(pdf: Path) -> list[tuple[int, int, str, bytes]]:
    """(width, height, filter, raw bytes) of every image XObject in the PDF."""
    found = []
    with pikepdf.open(pdf) as document:
        for obj in document.objects:
            if isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") == "/Image":
                found.append((int(obj.Width), int(obj.Height), str(obj.get("/Filter", "")), obj.read_raw_bytes()))
    return found


def epub_parts(epub: Path) -> tuple[dict[str, bytes], etree._Element]:
    with zipfile.ZipFile(epub) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    opf = next(name for name in members if name.endswith(".opf"))
    return members, etree.fromstring(members[opf])


# ------------------------------------------------------------------ the build


def test_builds_with_epubcheck_clean(book: dict[str, object]) -> None:
    _ok(book)


def test_ace_finds_no_violation_with_images_and_placeholders(book: dict[str, object], tmp_path: Path) -> None:
    import acetools

    _ok(book)
    acetools.skip_unless_available()
    found = acetools.start(book["epub"], tmp_path / "ace").violations()  # type: ignore[arg-type]
    assert not found, f"{len(found)} Ace violations:\n" + "\n".join(found)


def test_pdf_has_the_images_at_print_resolution_and_bare(book: dict[str, object]) -> None:
    _ok(book)
    images = pdf_images(book["pdf"])  # type: ignore[arg-type]
    sizes = sorted((w, h) for w, h, _f, _d in images)
    # the 2400 px original of a 1024 px URL, the portrait, two garden photos, the small sign; not the missing one
    assert sizes == sorted([(2400, 1600), (1200, 1600), (900, 900), (900, 1200), (120, 80)])
    for w, h, kind, data in images:
        if kind == "/DCTDecode":  # a JPEG is embedded as it was prepared: check its segments too
            assert_bare(data)
        assert b"Natasha" not in data and b"Ivanova" not in data and b"adobe:ns:meta" not in data


def test_epub_images_downscaled_renamed_typed_and_bare(book: dict[str, object]) -> None:
    _ok(book)
    members, opf = epub_parts(book["epub"])  # type: ignore[arg-type]
    ns = {"opf": "http://www.idpf.org/2007/opf"}
    items = [i for i in opf.iterfind(".//opf:manifest/opf:item", ns) if i.get("href").startswith("images/img-")]
    assert len(items) == 5
    for item in items:
        assert re.fullmatch(r"images/img-\d{16}\.(jpg|png)", item.get("href")), item.get("href")
        assert item.get("id") == item.get("href")[len("images/"):].rsplit(".", 1)[0]
        data = members["EPUB/" + item.get("href")]
        im = assert_bare(data)
        assert max(im.size) <= 1600
        assert item.get("media-type") == Image.MIME[im.format]
    longest = max(max(assert_bare(members["EPUB/" + i.get("href")]).size) for i in items)
    assert longest == 1600  # the 2400 px photograph, scaled down


def test_alt_text_and_captions_are_kept(book: dict[str, object]) -> None:
    _ok(book)
    members, _ = epub_parts(book["epub"])  # type: ignore[arg-type]
    text = b"".join(v for k, v in members.items() if k.endswith(".xhtml")).decode()
    assert 'alt="A shelter courtyard in Almaty"' in text
    assert 'alt="Portrait of N. I."' in text  # redacted, not dropped
    assert "The courtyard where N. waited for the hearing" in text
    with pikepdf.open(book["pdf"]) as pdf:  # the PDF's figures carry the same alternative text
        alts = {str(o.Alt) for o in pdf.objects if isinstance(o, pikepdf.Dictionary) and "/Alt" in o}
    assert {"A shelter courtyard in Almaty", "Portrait of N. I.", "Rows of beans"} <= alts


def test_a_missing_image_is_a_framed_placeholder_and_a_warning(book: dict[str, object]) -> None:
    _ok(book)
    stderr = str(book["stderr"])
    assert re.search(r"W125 post 'the-old-school': image \S+/lost-school-photo\.jpg is not in the media folder",
                     stderr), stderr
    assert re.search(r"W125 post 'the-garden': image \S+/garden-3\.jpg", stderr), stderr
    assert stderr.count("W125") == 2
    members, _ = epub_parts(book["epub"])  # type: ignore[arg-type]
    text = b"".join(v for k, v in members.items() if k.endswith(".xhtml")).decode()
    assert re.search(r'<span class="image-placeholder"><span class="placeholder-label">Image not available</span> '
                     r'<span class="placeholder-alt">The old school building, from the road</span>', text)
    from pdftools import page_texts

    words = " ".join(" ".join(page_texts(book["pdf"])).split())  # type: ignore[arg-type]
    assert "IMAGE NOT AVAILABLE The old school building, from the road" in words
    assert "The school in 2011, before the shelter moved in" in words


def test_low_resolution_in_print_is_w130_naming_the_image(book: dict[str, object]) -> None:
    _ok(book)
    lines = [line for line in str(book["stderr"]).splitlines() if "W130" in line]
    assert len(lines) == 1, lines
    assert re.search(r"W130 post 'a-small-sign': image \S+/door-sign\.png prints at \d+ dpi \(120 px across", lines[0])


def test_the_name_is_nowhere_under_out(book: dict[str, object]) -> None:
    """Not in a file name, an EPUB member's name, href or id, alt text, caption, image metadata, the
    cache or the report (the search of tests/test_redaction.py, and a raw grep for the surname)."""
    _ok(book)
    out = book["out"]
    assert holds_name(out) == []  # type: ignore[arg-type]
    for path in out.rglob("*"):  # type: ignore[union-attr]
        assert "ivanova" not in path.name.lower() and "natasha" not in path.name.lower()
        if path.is_file():
            data = path.read_bytes()
            assert b"ivanova" not in data.lower() and b"I\x00v\x00a\x00n\x00o\x00v\x00a" not in data
            if data.startswith(b"PK"):
                with zipfile.ZipFile(path) as archive:
                    for member in archive.namelist():
                        assert "ivanova" not in member.lower()
                        assert b"ivanova" not in archive.read(member).lower(), member


def test_two_builds_give_the_same_bytes(book: dict[str, object], tmp_path: Path) -> None:
    _ok(book)
    again = tmp_path / "again"
    shutil.copytree(book["folder"], again, ignore=shutil.ignore_patterns("out"))  # type: ignore[arg-type]
    result = run_compiler("book.yaml", "--quiet", cwd=again, timeout=600)
    assert result.returncode == 0, result.stderr
    for name in (book["pdf"].name, book["epub"].name):  # type: ignore[union-attr]
        assert (again / "out" / name).read_bytes() == (book["out"] / name).read_bytes(), name  # type: ignore[operator]


# ------------------------------------------------------------------ a real blog's export


def _upload_urls(export: Path) -> list[str]:
    text = export.read_text(encoding="utf-8")
    pattern = r"""(?:src|href)=["'](https?://[^"']+/wp-content/uploads/[^"'?#]+\.(?:jpe?g|png|gif))"""
    return sorted(set(re.findall(pattern, text)))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    export = CORPORA / WXR_EXPORTS["jekyll-import"]
    if not export.is_file():
        pytest.skip(f"corpus {WXR_EXPORTS['jekyll-import']} is not in {CORPORA}")
    from compiler.media import upload_path

    folder = tmp_path_factory.mktemp("corpus-media")
    uploads = folder / "uploads"
    urls = _upload_urls(export)
    for n, url in enumerate(urls):
        rel = upload_path(url)
        assert rel is not None, url
        target = uploads.joinpath(*rel.parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        photo((1600, 1000), n).save(target)
    book = folder / "book"
    made = run_compiler("init", str(export), "--media", str(uploads), "--dir", str(book), cwd=folder)
    assert made.returncode == 0, made.stderr
    result = run_compiler("book.yaml", cwd=book, timeout=600)  # (EPUBCheck: on the book above)
    return {"folder": book, "uploads": uploads, "urls": urls, "result": result}


@pytest.mark.corpus
def test_a_real_export_prints_its_uploads(corpus: dict[str, object]) -> None:
    result = corpus["result"]
    assert result.returncode == 0, result.stderr  # type: ignore[attr-defined]
    assert corpus["urls"], "the export names no upload"
    assert "W125" not in result.stderr  # type: ignore[attr-defined]
    out = corpus["folder"] / "out"  # type: ignore[operator]
    sizes = [(w, h) for w, h, _f, _d in pdf_images(next(out.glob("*.pdf")))]
    assert sizes.count((1600, 1000)) == len(corpus["urls"])  # type: ignore[arg-type]
    members, opf = epub_parts(next(out.glob("*.epub")))
    images = [k for k in members if re.fullmatch(r"EPUB/images/img-\d{16}\.(jpg|png)", k)]
    assert len(images) == len(corpus["urls"])  # type: ignore[arg-type]


@pytest.mark.corpus
def test_an_unchanged_rebuild_is_a_no_op_and_a_changed_image_rebuilds(corpus: dict[str, object]) -> None:
    assert corpus["result"].returncode == 0  # type: ignore[attr-defined]
    book = corpus["folder"]
    out = book / "out"  # type: ignore[operator]
    pdf = next(out.glob("*.pdf"))
    before = pdf.read_bytes()
    again = run_compiler("book.yaml", cwd=book)  # type: ignore[arg-type]
    assert again.returncode == 0 and "up to date" in again.stderr, again.stderr
    cached = sorted(p.name for p in (out / ".cache" / "media").iterdir())
    first = next(p for p in (corpus["uploads"]).rglob("*") if p.is_file())  # type: ignore[union-attr]
    photo((1200, 900), 7).save(first)  # the same file name, other pixels
    changed = run_compiler("book.yaml", cwd=book)  # type: ignore[arg-type]
    assert changed.returncode == 0 and "up to date" not in changed.stderr, changed.stderr
    assert pdf.read_bytes() != before
    assert (1200, 900) in [(w, h) for w, h, _f, _d in pdf_images(pdf)]
    now = sorted(p.name for p in (out / ".cache" / "media").iterdir())
    assert now != cached and len(now) == len(cached)  # the new image's entry replaced the old one
    report = json.loads((out / "report.json").read_text())
    assert report["outputs"]


# ------------------------------------------------------------------ cheap checks: no build


def test_a_missing_media_folder_is_e130_at_the_manifest_line(tmp_path: Path) -> None:
    from compiler.errors import CompilerError
    from compiler.manifest import load_manifest

    (tmp_path / "export.xml").write_bytes(_wxr(POSTS[:1]))
    (tmp_path / "book.yaml").write_text("book: {title: T, authors: [A]}\nsources: [export.xml]\n"
                                        "media: no-such-folder\nchapters:\n  - {id: all, title: All, "
                                        "rule: {tags: []}}\n")
    with pytest.raises(CompilerError) as caught:
        load_manifest(tmp_path / "book.yaml")
    assert [(d.code, d.line) for d in caught.value.diagnostics if d.code == "E130"] == [("E130", 3)]
    assert "no-such-folder" in caught.value.diagnostics[0].message


def test_a_missing_media_option_is_e130_exit_2(tmp_path: Path) -> None:
    (tmp_path / "export.xml").write_bytes(_wxr(POSTS[:1]))
    made = run_compiler("init", "export.xml", "--media", "nowhere", "--dir", ".", cwd=tmp_path)
    assert made.returncode == 2 and "E130" in made.stderr, made.stderr
    assert not (tmp_path / "book.yaml").exists()
    made = run_compiler("init", "export.xml", "--dir", ".", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    built = run_compiler("book.yaml", "--media", "nowhere", cwd=tmp_path)
    assert built.returncode == 2 and "E130 the media folder is missing or not a folder" in built.stderr
    assert "Traceback" not in built.stderr and not (tmp_path / "out" / "book.pdf").exists()


def test_the_fetcher_serves_prepared_images_and_nothing_else_as_media(tmp_path: Path) -> None:
    from compiler.urls import FatalURLFetchingError, ProjectFetcher

    media = tmp_path / "out" / ".cache" / "media"
    media.mkdir(parents=True)
    (media / "img-0000000000000001.jpg").write_bytes(b"\xff\xd8prepared")
    (tmp_path / "book.yaml").write_text("secret")
    (tmp_path / "out" / "media").mkdir()
    (tmp_path / "out" / "media" / "x.jpg").write_bytes(b"not prepared")
    fetcher = ProjectFetcher(tmp_path)
    assert fetcher("media:out/.cache/media/img-0000000000000001.jpg").read() == b"\xff\xd8prepared"
    for url in ("media:book.yaml", "media:../../etc/passwd", "media:/etc/passwd", "media:out/media/x.jpg",
                "media:out/.cache/media/../../../book.yaml", "media:out/.cache/media/missing.jpg",
                "media:out/.cache/media/%2e%2e/%2e%2e/%2e%2e/book.yaml"):
        with pytest.raises(FatalURLFetchingError):
            fetcher(url)


def test_static_site_images_are_bound_to_their_files_and_nothing_outside(tmp_path: Path) -> None:
    """A static site's reader gives a local image's path in the site (its ``media_root``): the
    build binds it like an upload, by content; a path that leaves the site binds nothing."""
    from compiler.bookmedia import bind
    from compiler.model.nodes import Content, Figure
    from compiler.model.nodes import Image as Picture

    site = Path(__file__).parent / "fixtures" / "static" / "hugo"
    (tmp_path / "secret.png").write_bytes((site / "static" / "images" / "diagram.png").read_bytes())
    srcs = ["static/images/diagram.png", "content/posts/bundle-post/photo.png", "../../secret.png",
            str(tmp_path / "secret.png"), "https://example.org/wp-content/uploads/x.png", "missing.png"]
    content = Content((Figure(tuple(Picture(src) for src in srcs)),))
    bound, sources = bind(content, None, (site,))  # type: ignore[arg-type]
    names = [image.local for image in bound.blocks[0].images]  # type: ignore[attr-defined]
    assert all(re.fullmatch(r"img-\d{16}", n) for n in names[:2]), names
    assert names[2:] == ["", "", "", ""]
    assert set(sources) == set(names[:2])  # (the two fixture files are the same picture: one name)
    assert {s.path for s in sources.values()} <= {(site / s).resolve() for s in srcs[:2]}


def test_media_errors_stop_the_build_naming_the_file_redacted(tmp_path: Path) -> None:
    """A URL leaving the folder is E131, a file that is no image E132: input errors (exit 2) whose
    message names the URL or file with the redacted name replaced."""
    from compiler.bookmedia import bind, prepare
    from compiler.errors import CompilerError
    from compiler.media import MediaFolder
    from compiler.model import Redaction
    from compiler.model.nodes import Content, Figure
    from compiler.model.nodes import Image as Picture

    uploads = tmp_path / "uploads" / "2019" / "05"
    uploads.mkdir(parents=True)
    (uploads / "natasha-ivanova.jpg").write_text("not a picture of anyone")

    @dataclass(frozen=True)
    class Holder:  # what bind reads of a book besides its images: the redactions
        content: Content
        redactions: tuple[Redaction, ...] = (Redaction("Natasha", "N."),)

    leaving = Holder(Content((Figure((Picture(f"{SITE}/%2e%2e/natasha-secret.jpg"),)),)))
    with pytest.raises(CompilerError) as caught:
        bind(leaving, MediaFolder(tmp_path / "uploads"))  # type: ignore[arg-type]
    assert caught.value.diagnostics[0].code == "E131" and "natasha" not in str(caught.value).lower()
    assert "N.-secret.jpg" in str(caught.value)
    book = Holder(Content((Figure((Picture(f"{SITE}/natasha-ivanova-300x200.jpg"),)),)))
    _bound, sources = bind(book, MediaFolder(tmp_path / "uploads"))  # type: ignore[arg-type]
    with pytest.raises(CompilerError) as caught:
        prepare(sources, tmp_path / "out", book.redactions)  # type: ignore[arg-type]
    assert caught.value.diagnostics[0].code == "E132" and caught.value.exit_code == 2
    assert "natasha" not in str(caught.value).lower() and "N.-ivanova.jpg" in str(caught.value)


def test_a_caption_stays_with_its_image_and_an_image_is_at_most_12_cm_high(book: dict[str, object]) -> None:
    from compiler.bookmedia import drawn_images
    from pdftools import page_texts

    _ok(book)
    texts = [" ".join(t.split()) for t in page_texts(book["pdf"])]  # type: ignore[arg-type]
    drawn = drawn_images(book["pdf"].read_bytes())  # type: ignore[union-attr]
    captions = {(2400, 1600): "The courtyard where N. waited for the hearing",
                (1200, 1600): "N., drawn by a resident", (900, 900): "Beans"}
    for size, caption in captions.items():
        pages = [n for n, images in enumerate(drawn) if size in images]
        assert len(pages) == 1 and caption in texts[pages[0]], (size, pages)
    for images in drawn:
        for (w, h), inches in images.items():
            assert inches * h / w * 2.54 <= 12.01, (w, h, inches)
    portrait = next(images[(1200, 1600)] for images in drawn if (1200, 1600) in images)
    assert portrait * 1600 / 1200 * 2.54 > 11.9  # the portrait is held at 12 cm, not less
