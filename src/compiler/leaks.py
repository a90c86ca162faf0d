"""Leak scan: find any redacted term in any output before it replaces the last one.

The PDF is searched in the text of each page, the outline, the document info
and XMP metadata, named destinations, link URIs (percent-decoded), the
structure tree's Alt and ActualText, and every decompressed object; the EPUB
in every member's name, the raw text of each XML member (entities decoded),
its text content with the markup removed (inline elements joined without a
space, so ``Nat<em>a</em>sha`` reads as one word), and every attribute value
and URL (decoded); JSON in its raw text and every string in it.

Text is compared in the folds of :mod:`compiler.fold`, the ones redaction uses
(case, marks, invisible characters, look-alikes, Latin letters by name,
Cyrillic and Greek transliterated, hyphenation, letter spacing). Any text
holding ``%XX`` or an HTML entity is searched decoded too (repeatedly): a name
found only there (``N%61tasha`` typed in a post) stops the build as well. Unlike redaction, the scan also counts a term inside a word
(``xnatashay``): anything redaction could not replace stops the build.
"""

from __future__ import annotations

import html
import io
import json
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

import pikepdf
import pypdfium2
from lxml import etree

from compiler.errors import CompilerError, Diagnostic, Exit
from compiler.fold import Finder, folds
from compiler.model import Book, Redaction

#: XHTML elements that do not end a word: their text joins the text around them.
_INLINE = frozenset("a abbr b bdi bdo cite code data del dfn em i ins kbd mark q s samp small span strong sub sup "
                    "time u var wbr".split())
_TAG = re.compile(r"<[^>]*>")
_XML = (".xhtml", ".html", ".htm", ".opf", ".ncx", ".xml", ".svg", ".smil")
_PARSER = etree.XMLParser(recover=True, resolve_entities=False, huge_tree=True, no_network=True)


@dataclass(frozen=True)
class Leak:
    term: str
    output: str
    where: str


def _raw_forms(term: str) -> list[bytes]:
    variants = {sep.join(folded.split()) for folded in folds(term) for sep in (" ", "-", "_", "")}
    return [v.encode(encoding) for v in sorted(variants) for encoding in ("utf-8", "utf-16-be")]


def find_bytes(data: bytes, redactions: tuple[Redaction, ...]) -> list[str]:
    """The redacted terms found in raw bytes (decompressed PDF streams), as UTF-8 or UTF-16."""
    lowered = data.lower()
    return [r.term for r in redactions if any(form in lowered for form in _raw_forms(r.term))]


def find(text: str | bytes, redactions: tuple[Redaction, ...]) -> list[str]:
    """The redacted terms found in ``text``, anywhere (inside a word too), as it stands and with its
    percent-encoding and HTML entities undone (``N%61tasha`` typed in a post)."""
    if isinstance(text, bytes):
        return find_bytes(text, redactions)
    finders = [Finder(text)]
    decoded = decode(text) if _ENCODED.search(text) else text
    if decoded != text:
        finders.append(Finder(decoded))
    return [r.term for r in redactions if any(finder.find(r.term, scan=True) for finder in finders)]


_ENCODED = re.compile(r"%[0-9A-Fa-f]{2}|&#?[0-9A-Za-z]+;?")


def decode(text: str) -> str:
    """``text`` with percent-encoding and HTML entities undone, repeatedly until nothing changes
    (``%254E``, ``&amp;#78;`` and ``%26%2378%3B`` are all ``N``). Each round shortens the text."""
    while True:
        decoded = html.unescape(unquote(text))
        if decoded == text:
            return text
        text = decoded


def _pdf_texts(data: bytes) -> Iterator[tuple[str, str | bytes]]:
    document = pypdfium2.PdfDocument(data)
    try:
        for index in range(len(document)):
            textpage = document[index].get_textpage()
            yield f"text of page {index + 1}", textpage.get_text_range()
    finally:
        document.close()
    with pikepdf.open(io.BytesIO(data)) as pdf:
        yield "document info", " ".join(f"{k} {v}" for k, v in pdf.docinfo.items())
        if "/Metadata" in pdf.Root:
            yield "XMP metadata", pdf.Root.Metadata.read_bytes().decode("utf-8", "replace")
        with pdf.open_outline() as outline:
            titles = []
            stack = list(outline.root)
            while stack:
                item = stack.pop()
                titles.append(item.title or "")
                stack.extend(item.children)
            yield "outline", "\n".join(titles)
        names = pdf.Root.get("/Names")
        if names is not None and "/Dests" in names:
            tree = pikepdf.NameTree(names.Dests)
            yield "named destinations", "\n".join(str(k) for k in tree.keys())
        if "/Dests" in pdf.Root:
            yield "named destinations", "\n".join(str(k) for k in pdf.Root.Dests.keys())
        for number, obj in enumerate(pdf.objects):
            yield from _object_texts(obj, number)


def _object_texts(obj: object, number: int) -> Iterator[tuple[str, str | bytes]]:
    if isinstance(obj, pikepdf.Stream):
        try:
            raw = obj.read_bytes()
        except pikepdf.PdfError:
            raw = obj.read_raw_bytes()
        yield f"object {number} (stream)", raw
        obj = obj.stream_dict
    if isinstance(obj, pikepdf.Dictionary):
        for key in ("/URI", "/Alt", "/ActualText", "/T", "/TU", "/Title", "/Contents", "/E"):
            if key in obj:
                value = obj[key]
                if isinstance(value, pikepdf.Dictionary) and "/URI" in value:
                    value = value.URI
                yield f"object {number} {key}", decode(str(value))
        if "/A" in obj and isinstance(obj.A, pikepdf.Dictionary) and "/URI" in obj.A:
            yield f"object {number} link URI", decode(str(obj.A.URI))
    elif isinstance(obj, pikepdf.String):
        yield f"object {number} (string)", str(obj)


_CSS_ESCAPE = re.compile(r"\\([0-9a-fA-F]{1,6})[ \t\n\r\f]?|\\(.)", re.S)
_CSS_JOINED = re.compile(r"""["']\s*["']""")
_RUBY_NOTES = re.compile(r"<(r[tp])\b[^>]*>.*?</\1\s*>", re.S | re.I)


def _markup_texts(member: str, content: bytes) -> Iterator[tuple[str, str]]:
    """An XML member's text content (inline elements, comments and processing instructions joined
    without a space, as a reader sees the text around them), attribute values and URLs
    (percent-decoded)."""
    try:
        root = etree.fromstring(content, _PARSER)
    except etree.XMLSyntaxError:
        root = None
    if root is None:  # not XML at all: the text between tags
        yield f"text of {member}", html.unescape(_TAG.sub("", content.decode("utf-8", "replace")))
        return
    parts: list[str] = []
    values: list[str] = []
    for event, node in etree.iterwalk(root, events=("start", "end", "comment", "pi")):
        if not isinstance(node.tag, str):  # a comment or processing instruction: only its tail shows
            parts.append(node.tail or "")
            continue
        space = "" if etree.QName(node).localname in _INLINE else " "
        if event == "start":
            parts.append(space + (node.text or ""))
            values += [f"{v} {decode(v)}" for v in node.attrib.values()]
        else:
            parts.append(space + (node.tail or ""))
    yield f"text of {member}", "".join(parts)
    yield f"attributes of {member}", "\n".join(values)
    if b"<ruby" in content:  # the base text a reader sees, without its annotations
        shown = _RUBY_NOTES.sub("", content.decode("utf-8", "replace"))
        yield f"ruby base text of {member}", html.unescape(_TAG.sub("", shown))


def css_strings(text: str) -> str:
    """A stylesheet as the text it can put on the page: escapes decoded (``\\4E `` is N) and
    adjacent string literals joined (``content: "N" "ata" "sha"``)."""
    def unescape(match: re.Match[str]) -> str:
        if match[1]:
            code = int(match[1], 16)
            return chr(code) if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else ""
        return match[2]

    return _CSS_JOINED.sub("", _CSS_ESCAPE.sub(unescape, text))


def _epub_texts(data: bytes) -> Iterator[tuple[str, str | bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as epub:
        for info in epub.infolist():
            yield f"member name {info.filename}", f"{info.filename} {decode(info.filename)}"
            content = epub.read(info)
            if info.filename.endswith(_XML):
                yield f"member {info.filename}", html.unescape(content.decode("utf-8", "replace"))
                yield from _markup_texts(info.filename, content)
            elif info.filename.endswith(".css"):
                text = content.decode("utf-8", "replace")
                yield f"member {info.filename}", text
                yield f"member {info.filename} (as a reader sees its strings)", css_strings(text)
            elif info.filename.endswith((".txt", ".json")):
                yield f"member {info.filename}", content.decode("utf-8", "replace")
            else:
                yield f"member {info.filename}", content


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(k)
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def _plain_texts(name: str, data: bytes) -> Iterator[tuple[str, str | bytes]]:
    text = data.decode("utf-8", "replace")
    yield "text", text
    if name.endswith(".json"):
        try:
            yield "JSON strings", "\n".join(_strings(json.loads(text)))
        except ValueError:
            pass


def scan_files(files: dict[str, bytes], redactions: tuple[Redaction, ...]) -> list[Leak]:
    """Every place a redacted term appears in the outputs."""
    leaks: list[Leak] = []
    for name, data in files.items():
        if name.endswith(".pdf"):
            places = _pdf_texts(data)
        elif name.endswith(".epub"):
            places = _epub_texts(data)
        else:
            places = _plain_texts(name, data)
        for where, text in places:
            leaks.extend(Leak(term, name, where) for term in find(text, redactions))
        leaks.extend(Leak(term, name, "file name") for term in find(name, redactions))
    return leaks


def scan(book: Book, files: dict[str, bytes], scanned: dict[str, list[Leak]] | None = None) -> None:
    """Raise with exit code 3 if any redacted term survives in any output (``scanned``: the leaks
    of outputs scanned already)."""
    scanned = scanned or {}
    leaks = [leak for name, data in files.items()
             for leak in (scanned[name] if name in scanned else scan_files({name: data}, book.redactions))]
    if leaks:
        diagnostics = [Diagnostic("E301", f"redacted term #{_index(book, leak.term)} found in "
                                  f"{_mask(leak.where, book)}", _mask(leak.output, book),
                                  hint="the previous outputs were kept, the build cache removed; "
                                       "report this as a bug")
                       for leak in leaks[:20]]
        raise CompilerError(diagnostics, Exit.LEAK)


def _mask(text: str, book: Book) -> str:
    """Hide every redacted term and each of its words (even inside a word) in a message about a leak."""
    for n, r in enumerate(book.redactions, 1):
        for word in (r.term, *r.term.split()):
            done, pieces = 0, []
            for o in Finder(text).find(word, scan=True):
                if o.start >= done:
                    pieces += [text[done:o.start], f"[term #{n}]"]
                    done = o.end
            text = "".join(pieces) + text[done:]
    return text


def _index(book: Book, term: str) -> int:
    """Name a leaked term by its place in the manifest, never by itself (that would leak it)."""
    return next(i for i, r in enumerate(book.redactions, 1) if r.term == term)
