"""A feed file into an element stream, safely: encodings checked, DTDs and entities refused, lines kept.

The first step of :mod:`compiler.ingest.feeds`. The bytes are decoded here,
not by expat, so that every Python codec is read and a byte that does not
belong to the declared encoding (a feed that mixes Latin-1 and UTF-8) is
named with its line (``E155``); the text is handed to expat as UTF-8.
Blank lines before ``<?xml`` (Sam Ruby's feed has one) are skipped and
counted, so lines stay true. Parsing is defusedxml's over expat: a
document type declaration stops the parse before anything is expanded or
fetched; the prolog is then read to say which threat it was (``E151``
entity declarations, as in a billion-laughs bomb; ``E152`` an external
entity or DTD). A :class:`Builder` records the line and ``xml:base`` of
each element, and hands each finished ``item`` / ``entry`` to the reader,
which keeps what it needs and lets the element be cleared.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable
from urllib.parse import urljoin
from xml.etree.ElementTree import Element, ParseError, TreeBuilder

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from compiler.errors import CompilerError, Diagnostic

ATOM = "http://www.w3.org/2005/Atom"
XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
#: The attribute the builder writes each element's line into (a namespace no feed uses).
LINE = "{urn:x-compiler:feeds}line"
#: Elements deeper than this keep no line (an XHTML body's paragraphs need none).
_LINE_DEPTH = 4

_DECLARATION = re.compile(rb"^<\?xml[^>]*?\?>")
_ENCODING = re.compile(rb"""encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
_UTF8_RUN = re.compile(rb"[\xc2-\xf4][\x80-\xbf]+")
_HIGH = re.compile(rb"[\x80-\xff]")
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_ENTITY = re.compile(r"<!ENTITY\s+(%\s+)?[^\s>]+\s+(SYSTEM|PUBLIC)?", re.I)
_DOCTYPE = re.compile(r"<!DOCTYPE\b[^\[>]*", re.I)


def _error(code: str, message: str, name: str, line: int = 0, hint: str = "") -> CompilerError:
    return CompilerError(Diagnostic(code, message, name, line, hint=hint))


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def declared_encoding(data: bytes) -> tuple[str, int]:
    """The encoding to read ``data`` with (its BOM's, else its declaration's, else UTF-8) and the BOM's length."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return encoding, len(bom)
    if data[:4] in (b"<\x00?\x00", b"\x00<\x00?"):
        return ("utf-16-le" if data[0] == 0x3C else "utf-16-be"), 0
    start = data[:400].lstrip(b" \t\r\n")
    m = _DECLARATION.match(start)
    found = _ENCODING.search(m[0]) if m else None
    return (found[1].decode("ascii").lower() if found else "utf-8"), 0


def decode(data: bytes, name: str) -> tuple[bytes, int]:
    """``data`` as UTF-8 XML (its declaration saying so), and how many lines before ``<?xml`` were dropped."""
    encoding, bom = declared_encoding(data)
    try:
        codec = codecs.lookup(encoding).name
    except LookupError:
        raise _error("E155", f"the feed declares the encoding '{encoding[:40]}', which is unknown", name, 1,
                     "save the feed as UTF-8 and declare encoding=\"UTF-8\"") from None
    body = data[bom:]
    if codec in ("latin-1", "iso8859-1", "cp1252", "iso8859-15") and _UTF8_RUN.search(body):
        lone = _HIGH.search(_UTF8_RUN.sub(b"", body))
        if lone is not None:  # UTF-8 sequences and bytes that are no part of one: two encodings in one file
            raise _error("E155", f"mixed encodings: the feed declares {encoding} but holds UTF-8 too; "
                         f"byte 0x{lone[0][0]:02x} is not UTF-8", name, _line_of(body, lone.start()),
                         "convert the whole file to one encoding (UTF-8)")
    try:
        text = body.decode(codec)
    except UnicodeDecodeError as exc:
        line = _line_of(body, exc.start)
        mixed = codec.startswith("utf-8") and _HIGH.search(body[: exc.start]) is not None
        raise _error("E155", f"byte 0x{body[exc.start]:02x} is not {encoding.upper()}"
                     + (" (the feed mixes encodings: UTF-8 before this line)" if mixed else ""), name, line,
                     "convert the whole file to UTF-8 (e.g. iconv -f WINDOWS-1252 -t UTF-8)") from None
    stripped = text.lstrip(" \t\r\n\ufeff")
    skipped = text[: len(text) - len(stripped)].count("\n")
    if stripped.startswith("<?xml"):
        end = stripped.find("?>")
        if end > 0:
            declaration = re.sub(r"""encoding\s*=\s*["'][^"']*["']""", 'encoding="UTF-8"', stripped[: end + 2])
            stripped = declaration + stripped[end + 2:]
    return stripped.encode("utf-8"), skipped


class Builder(TreeBuilder):
    """A tree builder that notes each element's line and ``xml:base`` and reports finished entries."""

    def __init__(self, entry_tags: frozenset[str], on_entry: Callable[[Element, str], None]):
        super().__init__()
        self.parser: DefusedXMLParser | None = None
        self.entry_tags = entry_tags
        self.on_entry = on_entry
        self.bases: list[str] = []
        self.root_tag = ""

    def start(self, tag: str, attrs: dict[str, str]) -> Element:
        element = super().start(tag, attrs)
        parent = self.bases[-1] if self.bases else ""
        own = attrs.get(XML_BASE)
        self.bases.append(urljoin(parent, own.strip()) if own else parent)
        if not self.root_tag:
            self.root_tag = tag
        if len(self.bases) <= _LINE_DEPTH and self.parser is not None:
            element.set(LINE, str(self.parser.parser.CurrentLineNumber))
        return element

    def end(self, tag: str) -> Element:
        element = super().end(tag)
        base = self.bases.pop()
        if tag in self.entry_tags:
            self.on_entry(element, base)
            element.clear()
        return element


def line(element: Element, skipped: int = 0) -> int:
    """The line an element started on (0 when it was too deep to be noted)."""
    value = element.get(LINE)
    return int(value) + skipped if value else 0


def _refused(text: bytes, name: str, skipped: int) -> CompilerError:
    """Which declaration made defusedxml stop, as E151 (entities) or E152 (external entity, DTD)."""
    prolog = text[:200_000].decode("utf-8", "replace")
    entity = _ENTITY.search(prolog)
    if entity:
        at = prolog.count("\n", 0, entity.start()) + 1 + skipped
        if entity[2]:
            return _error("E152", f"the feed declares an external entity ({entity[2].upper()}): refused, nothing "
                          "is fetched or read", name, at, "a feed needs no DOCTYPE: remove it")
        return _error("E151", "the feed declares entities (an XML bomb expands a few lines into gigabytes): "
                      "refused without expanding them", name, at, "a feed needs no DOCTYPE: remove it")
    doctype = _DOCTYPE.search(prolog)
    at = prolog.count("\n", 0, doctype.start()) + 1 + skipped if doctype else 1 + skipped
    return _error("E152", "the feed has a document type declaration (DTD): refused, nothing is fetched", name, at,
                  "RSS 2.0 and Atom need no DOCTYPE: remove it")


def parse(data: bytes, name: str, builder: Builder) -> tuple[Element, int]:
    """Parse a whole feed through ``builder``; return the root and the lines skipped before ``<?xml``."""
    text, skipped = decode(data, name)
    parser = DefusedXMLParser(target=builder, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    builder.parser = parser
    try:
        parser.feed(text)
        root: Element = parser.close()
    except DefusedXmlException:
        raise _refused(text, name, skipped) from None
    except ParseError as exc:
        at, column = getattr(exc, "position", (0, 0))
        message = str(exc).split(": line")[0]
        raise CompilerError(Diagnostic("E150", f"not well-formed XML: {message}", name, at + skipped if at else 0,
                                       column + 1 if at else 0, "the feed is damaged: save it again from the "
                                       "blog, or correct the XML at that place")) from None
    return root, skipped


__all__ = ["ATOM", "Builder", "LINE", "XML_BASE", "XML_LANG", "declared_encoding", "decode", "line", "parse"]
