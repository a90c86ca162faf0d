"""A small WordPress export that exercises the print edition: embeds of every kind, Kazakh, Greek and
Japanese text (roman, italic, code), characters no font has, nested lists and a table longer than a page.

``make_book(folder)`` writes the export, runs ``init`` and builds it once; tests read that build.
"""

from __future__ import annotations

import io
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from conftest import run_compiler

EMBEDS = {  # URL -> caption (empty: none); every kind the issue names, and one unknown provider
    "https://www.youtube.com/watch?v=SQEQr7c0-dw": "A talk on YouTube",
    "https://vimeo.com/76979871": "",
    "https://twitter.com/WordPress/status/1057136472321613824": "",
    "https://www.instagram.com/p/BpmueLLgEn_/?utm_source=ig_share_sheet&igshid=1hcxphic7p9e2": "A photo",
    "https://wordpress.tv/2009/03/16/anatomy-of-a-wordpress-theme-exploring-the-files-behind-your-theme/": "",
    "https://media.example.org/2008/06/st-louis-blues.mp3": "",
    "https://media.example.org/2013/12/slider-behaviour.mov": "The slider, filmed",
    "https://maps.example.net/place/almaty?zoom=12&layer=transport": "Where the shelter is",
}
#: An embed whose URL is too long for a QR code (2331 bytes at level M): printed in full, without one (W141).
LONG_URL = "https://video.example.com/watch?" + "&".join(f"p{n}=value{n:04d}" for n in range(200))
KAZAKH = "Қазақстан Республикасы — әділет, ғылым, өнер, ұлт, үміт, һ, і. ҚӘҒҢӨҰҮҺІ."
KAZAKH_ITALIC = "әділет ғылым өнер ұлт үміт Қ Ң Һ І"
GREEK = "Η ελληνική γλώσσα· Ἐν ἀρχῇ ἦν ὁ λόγος."
JAPANESE = "人身売買は、今も日本とカザフスタンで続いている。「ひらがな」・カタカナ・漢字。"
UNCOVERED = "\U00010000\U0001F600"  # LINEAR B SYLLABLE B008 A, GRINNING FACE: in no font of the book
TABLE_ROWS = 60


def _item(pid: int, title: str, body: str, day: int) -> str:
    return f"""<item><title>{title}</title><dc:creator><![CDATA[ann]]></dc:creator>
<content:encoded><![CDATA[{body}]]></content:encoded><excerpt:encoded><![CDATA[]]></excerpt:encoded>
<wp:post_id>{pid}</wp:post_id><wp:post_date>2012-03-{day:02d} 05:06:07</wp:post_date>
<wp:post_date_gmt>2012-03-{day:02d} 12:06:07</wp:post_date_gmt><wp:post_name>post-{pid}</wp:post_name>
<wp:status>publish</wp:status><wp:post_parent>0</wp:post_parent><wp:menu_order>0</wp:menu_order>
<wp:post_type>post</wp:post_type><wp:post_password></wp:post_password><wp:is_sticky>0</wp:is_sticky></item>"""


def _embeds_body() -> str:
    urls = list(EMBEDS)
    cap = {u: (f"<figcaption>{c}</figcaption>" if c else "") for u, c in EMBEDS.items()}
    amp = {u: u.replace("&", "&amp;") for u in urls}
    return "\n".join([
        "<!-- wp:paragraph --><p>Every kind of embed, as the block editor and the classic editor write them.</p>"
        "<!-- /wp:paragraph -->",
        f'<figure class="wp-block-embed is-type-video is-provider-youtube"><div class="wp-block-embed__wrapper">\n'
        f'{urls[0]}\n</div>{cap[urls[0]]}</figure>',
        '<p><iframe src="https://player.vimeo.com/video/76979871" width="640" height="360"></iframe></p>',
        f"<p>A post on X:</p>\n{urls[2]}\n",
        f'<figure class="wp-block-embed is-provider-instagram"><div class="wp-block-embed__wrapper">\n'
        f'{amp[urls[3]]}\n</div>{cap[urls[3]]}</figure>',
        f"[embed]{urls[4]}[/embed]",
        f'[audio mp3="{urls[5]}"][/audio]',
        f'<figure class="wp-block-video"><video controls src="{urls[6]}"></video>{cap[urls[6]]}</figure>',
        f'<figure class="wp-block-embed is-type-rich"><div class="wp-block-embed__wrapper">\n{amp[urls[7]]}\n'
        f'</div>{cap[urls[7]]}</figure>',
        f"[embed]{LONG_URL}[/embed]",
        "<p>After the embeds, the text goes on.</p>",
    ])


def _scripts_body() -> str:
    return (f"<p>{KAZAKH}</p><p><em>{KAZAKH_ITALIC}</em> and <em>{GREEK}</em></p><p>{GREEK}</p>"
            f"<p lang=\"ja\">{JAPANESE}</p><p>Code: <code>Қазақ λόγος 日本 ─┼─ x = 1</code></p>"
            f"<pre class=\"wp-block-code\"><code>def greet():\n    return \"Сәлем, ӘҒҚ!\"  # ─┼─</code></pre>")


def _lists_body() -> str:
    long = " ".join(["Hanging indents keep the text of an item clear of its number, line after line"] * 3)
    rows = "".join(f"<tr><td>Row {n}</td><td>Cell text of row {n}, long enough to be a real row</td>"
                   f"<td>end{n}</td></tr>" for n in range(1, TABLE_ROWS + 1))
    return (f"<ol start=\"3\"><li>Firstitem {long}</li><li>Seconditem<ul><li>Inneritem {long}"
            f"<ul><li>Deepitem three levels down</li></ul></li></ul></li><li>Thirditem</li></ol>"
            f"<table><thead><tr><th>Headcell</th><th>What</th><th>Last</th></tr></thead><tbody>{rows}</tbody></table>"
            "<p>After the table.</p>")


NOTES = 36  # footnotes of the notes post: many on a page, long ones, in a list, a quotation and a table


def _notes_item(pid: int, day: int) -> str:
    import json

    def ref(n: int) -> str:
        return f'<sup data-fn="fn-{n}" class="fn"><a href="#fn-{n}" id="fn-{n}-link">{n}</a></sup>'

    parts = []
    for n in range(1, NOTES + 1):
        claim = f"Claim{n} is a sentence that needs its source, " + "and it goes on for a while " * (n % 4)
        if n == 7:
            parts.append(f"<ul><li>Listed Claim{n} in a list item{ref(n)}</li></ul>")
        elif n == 11:
            parts.append(f"<blockquote><p>Quoted Claim{n} in a quotation{ref(n)}</p></blockquote>")
        elif n == 15:
            parts.append(f"<table><tbody><tr><td>Cell Claim{n} here{ref(n)}</td><td>more</td></tr></tbody></table>")
        else:
            parts.append(f"<p>{claim}{ref(n)}.</p>")
    notes = [{"id": f"fn-{n}", "content": f"Note{n} gives the source" + (
        ", and explains it at length: " + "a long note goes on over several lines of the foot of the page " * 3
        if n % 9 == 0 else ".")} for n in range(1, NOTES + 1)]
    meta = json.dumps(notes)
    return _item(pid, "Notes on every page", "".join(parts), day).replace(
        "</item>", f"<wp:postmeta><wp:meta_key>footnotes</wp:meta_key><wp:meta_value><![CDATA[{meta}]]>"
        "</wp:meta_value></wp:postmeta></item>")


def export_xml() -> bytes:
    ns = "https://wordpress.org/export/1.2/"
    items = (_item(101, "Embeds of every kind", _embeds_body(), 1) + _item(102, "Kazakh, Greek and Japanese",
             _scripts_body(), 2) + _item(103, "Characters no font has", f"<p>Linear B {UNCOVERED[0]} and a "
             f"smile {UNCOVERED[1]}.</p>", 3) + _item(104, "Lists and a long table", _lists_body(), 4) + _notes_item(105, 5))
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:excerpt="{ns}excerpt/" xmlns:content="http://purl.org/rss/1.0/modules/content/"
 xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="{ns}">
<channel><title>Print test</title><link>https://blog.example</link><language>en</language>
<wp:wxr_version>1.2</wp:wxr_version>
<wp:author><wp:author_login>ann</wp:author_login><wp:author_display_name>Ann</wp:author_display_name></wp:author>
{items}</channel></rss>""".encode()


def make_book(folder: Path) -> dict[str, object]:
    """init and build the export in ``folder``: the paths and the build's stderr."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "blog.xml").write_bytes(export_xml())
    made = run_compiler("init", "blog.xml", "--dir", ".", cwd=folder)
    assert made.returncode == 0, made.stderr
    built = run_compiler("book.yaml", cwd=folder)  # EPUBCheck runs on the corpora (test_corpora.py): it costs 30 s
    assert built.returncode == 0, built.stderr
    out = folder / "out"
    return {"folder": folder, "pdf": next(out.glob("*.pdf")), "epub": next(out.glob("*.epub")),
            "stderr": built.stderr}


def png_pages(pdf: Path, folder: Path, dpi: int = 200, pages: list[int] | None = None) -> list[Path]:
    """Pages (numbers from 1; all by default) rasterised by pdftoppm, in grey, into ``folder``, in order."""
    folder.mkdir(parents=True, exist_ok=True)
    for n in pages or [0]:
        limits = ["-f", str(n), "-l", str(n)] if n else []
        subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", "-png", *limits, str(pdf), str(folder / "p")],
                       check=True)
    return sorted(folder.glob("p-*.png"))


def decode_qr(pngs: list[Path]) -> list[str]:
    """Every QR code zbarimg reads on the images, as text, in page order."""
    decoded: list[str] = []
    for png in pngs:
        done = subprocess.run(["zbarimg", "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", str(png)],
                              capture_output=True, timeout=60)
        decoded += [line for line in done.stdout.decode("utf-8").splitlines() if line]
    return decoded


_HEX = re.compile(r"<([0-9A-Fa-f]+)>")


def _utf16(hexstr: str) -> str:
    return bytes.fromhex(hexstr).decode("utf-16-be", errors="replace")


def to_unicode(data: bytes) -> dict[int, str]:
    """A ToUnicode CMap's glyph (CID) -> text, from its bfchar and bfrange sections."""
    text = data.decode("latin-1")
    out: dict[int, str] = {}
    for section in re.findall(r"beginbfchar(.*?)endbfchar", text, re.S):
        pairs = _HEX.findall(section)
        for cid, uni in zip(pairs[::2], pairs[1::2]):
            out[int(cid, 16)] = _utf16(uni)
    for section in re.findall(r"beginbfrange(.*?)endbfrange", text, re.S):
        for line in section.strip().splitlines():
            m = re.match(r"\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*(.*)", line)
            if not m:
                continue
            lo, hi, rest = int(m[1], 16), int(m[2], 16), m[3].strip()
            if rest.startswith("["):
                for n, uni in enumerate(_HEX.findall(rest)):
                    out[lo + n] = _utf16(uni)
            else:
                start = _HEX.findall(rest)[0]
                base = _utf16(start)
                for n in range(hi - lo + 1):
                    out[lo + n] = base[:-1] + chr(ord(base[-1]) + n)
    return out


@dataclass
class DrawnFont:
    """One font of a PDF: its name, the characters drawn with it (ToUnicode), the code points its
    embedded program maps (cmap) and whether glyph 0 (.notdef, the empty box) is drawn."""

    name: str
    drawn: dict[int, str] = field(default_factory=dict)
    cmap: set[int] = field(default_factory=set)
    glyph_names: list[str] = field(default_factory=list)

    def uncovered(self) -> set[str]:
        """Characters drawn with this font that its program has no glyph for (tofu, or a wrong font)."""
        bad = set()
        for cid, text in self.drawn.items():
            name = self.glyph_names[cid] if cid < len(self.glyph_names) else ""
            for char in text:
                if cid == 0 or name == ".notdef" or (ord(char) not in self.cmap and len(text) == 1):
                    bad.add(char)
        return bad


def pdf_fonts(pdf: Path) -> list[DrawnFont]:
    """Every font of ``pdf`` (by object), with what it draws and what it covers."""
    from fontTools.ttLib import TTFont  # type: ignore[import-untyped]
    from pypdf import PdfReader

    fonts: dict[int, DrawnFont] = {}
    for page in PdfReader(str(pdf)).pages:
        for ref in page["/Resources"].get_object().get("/Font", {}).values():
            font = ref.get_object()
            key = ref.idnum if hasattr(ref, "idnum") else id(font)
            if key in fonts or "/DescendantFonts" not in font:
                continue
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
            program = next(descriptor[k].get_object() for k in ("/FontFile2", "/FontFile3", "/FontFile")
                           if k in descriptor)
            tt = TTFont(io.BytesIO(program.get_data()))
            entry = DrawnFont(str(font["/BaseFont"]).split("+", 1)[-1], to_unicode(font["/ToUnicode"].get_object()
                              .get_data()), set(tt.getBestCmap() or {}), tt.getGlyphOrder())
            fonts[key] = entry
    return list(fonts.values())
