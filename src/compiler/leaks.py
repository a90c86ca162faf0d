"""Leak scan: find any redacted term in any output before it replaces the last one.

The PDF is searched in the text of each page, the outline, the document info
and XMP metadata, named destinations, link URIs, the structure tree's Alt
and ActualText, and every decompressed object; the EPUB in every member's
name and content (unescaped, Unicode-normalised); the report as text. Text
is compared case-blind, without diacritics, with hyphenation and letter
spacing undone.
"""

from __future__ import annotations

import html
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

import pikepdf
import pypdfium2

from compiler.errors import CompilerError, Diagnostic, Exit
from compiler.model import Book, Redaction
from compiler.redact import strip_marks

_HYPHENATED = re.compile(r"[\u00ad\u2010-]\s*\n\s*")
_INVISIBLE = re.compile(r"[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")


@dataclass(frozen=True)
class Leak:
    term: str
    output: str
    where: str


def normalise(text: str) -> str:
    """Fold case, diacritics, compatibility forms, hyphenation and invisible characters."""
    text = _HYPHENATED.sub("", unicodedata.normalize("NFKC", text))
    return strip_marks(_INVISIBLE.sub("", text)).casefold()


def _term_patterns(term: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    letters = normalise(term)
    plain = re.compile(r"(?<![^\W_])" + re.escape(letters).replace(r"\ ", r"[\s_-]+") + r"(?![^\W_])")
    spaced = re.compile(r"(?<![^\W_])" + r"\s{0,3}".join(re.escape(c) for c in letters if not c.isspace())
                        + r"(?![^\W_])")
    return plain, spaced


def _raw_forms(term: str) -> list[bytes]:
    letters = strip_marks(term).casefold()
    variants = {letters, letters.replace(" ", "-"), letters.replace(" ", "_"), letters.replace(" ", "")}
    return [v.encode(encoding) for v in sorted(variants) for encoding in ("utf-8", "utf-16-be")]


def find_bytes(data: bytes, redactions: tuple[Redaction, ...]) -> list[str]:
    """The redacted terms found in raw bytes (decompressed PDF streams), as UTF-8 or UTF-16."""
    lowered = data.lower()
    return [r.term for r in redactions if any(form in lowered for form in _raw_forms(r.term))]


def find(text: str | bytes, redactions: tuple[Redaction, ...]) -> list[str]:
    """The redacted terms found in ``text``."""
    if isinstance(text, bytes):
        return find_bytes(text, redactions)
    folded = normalise(text)
    found = []
    for r in redactions:
        plain, spaced = _term_patterns(r.term)
        if plain.search(folded) or spaced.search(folded):
            found.append(r.term)
    return found


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
                yield f"object {number} {key}", str(value)
        if "/A" in obj and isinstance(obj.A, pikepdf.Dictionary) and "/URI" in obj.A:
            yield f"object {number} link URI", str(obj.A.URI)
    elif isinstance(obj, pikepdf.String):
        yield f"object {number} (string)", str(obj)


def _epub_texts(data: bytes) -> Iterator[tuple[str, str | bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as epub:
        for info in epub.infolist():
            yield f"member name {info.filename}", info.filename
            content = epub.read(info)
            if info.filename.endswith((".xhtml", ".html", ".opf", ".ncx", ".xml", ".css", ".txt")):
                yield f"member {info.filename}", html.unescape(content.decode("utf-8", "replace"))
            else:
                yield f"member {info.filename}", content


def scan_files(files: dict[str, bytes], redactions: tuple[Redaction, ...]) -> list[Leak]:
    """Every place a redacted term appears in the outputs."""
    leaks: list[Leak] = []
    for name, data in files.items():
        if name.endswith(".pdf"):
            places = _pdf_texts(data)
        elif name.endswith(".epub"):
            places = _epub_texts(data)
        else:
            places = iter([("text", data.decode("utf-8", "replace"))])
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
                                  hint="the previous outputs were kept; report this as a bug")
                       for leak in leaks[:20]]
        raise CompilerError(diagnostics, Exit.LEAK)


def _mask(text: str, book: Book) -> str:
    """Hide every redacted term (even inside a word) in a message about a leak."""
    for n, r in enumerate(book.redactions, 1):
        for word in strip_marks(r.term).split():
            text = re.sub(re.escape(word), f"[term #{n}]", strip_marks(text), flags=re.I)
    return text


def _index(book: Book, term: str) -> int:
    """Name a leaked term by its place in the manifest, never by itself (that would leak it)."""
    return next(i for i, r in enumerate(book.redactions, 1) if r.term == term)
