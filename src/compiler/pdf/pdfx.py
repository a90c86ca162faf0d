"""PDF/X-1a:2001 for IngramSpark: a finished print file (interior or cover) made CMYK, opaque and
identified, in memory, with pikepdf.

:func:`to_pdfx` takes the bytes WeasyPrint and :mod:`compiler.pdf.editions`
made and returns a PDF/X-1a:2001 file (ISO 15930-1):

* **Colour.** Every content stream is rewritten: the pages', every form
  XObject's (recursively), tiling patterns', Type 3 glyph procedures' and
  the appearance streams of any annotation kept. ``rg``/``RG`` become
  ``k``/``K``; ``cs``/``CS`` naming an RGB, Lab or ICC space become
  ``/DeviceCMYK`` (or ``/DeviceGray``) and the ``sc``/``scn``/``SC``/``SCN``
  values under them are converted, following ``q``/``Q``; inline images too.
  Resources follow: colour spaces, shadings and their functions, images
  (:mod:`compiler.pdf.cmyk` holds the conversions). A form XObject starts in
  DeviceGray, as WeasyPrint's forms set their own colours.
* **No transparency.** Transparency groups are removed from pages and forms;
  ``ca``/``CA`` of 1, ``/SMask /None`` and ``/BM /Normal`` are dropped from
  graphics states (they are PDF 1.4 keys that change nothing); image soft
  masks are flattened onto white. Real transparency (an opacity below 1, a
  soft mask in a graphics state, a blend mode) cannot be flattened without
  knowing what lies below, so it stops the build with ``E440``.
* **Fonts** must all be embedded (``E442``); an OpenType-wrapped CFF font
  (a PDF 1.6 form) is stored as the bare CFF program PDF 1.3 knows
  (``CIDFontType0C`` or ``Type1C``).
* **Identification.** Info ``GTS_PDFXVersion (PDF/X-1:2001)``,
  ``GTS_PDFXConformance (PDF/X-1a:2001)``, ``Trapped /False``, a Title, and
  CreationDate and ModDate from the book's date (``SOURCE_DATE_EPOCH`` or the
  manifest, never the clock); no XMP (PDF/X-1a:2001 asks for none, and the
  one WeasyPrint may write would disagree); header ``%PDF-1.3``, no object
  or cross-reference streams; a trailer ID from the content; no encryption.
  Every page needs a TrimBox inside its MediaBox (``E443``).
* **Output intent** ``/GTS_PDFX`` naming the registered characterization
  ``CGATS TR 001`` (SWOP coated, the condition of Acrobat's "U.S. Web Coated
  (SWOP) v2") in the ICC registry ``http://www.color.org``. No profile is
  embedded: PDF/X-1a lets a registered characterization stand alone, and the
  CMYK profiles at hand are not free to ship.

Annotations other than printer's marks are removed (PDF/X-1a forbids them
inside the bleed, and none is of use on paper).
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pikepdf

from compiler.errors import CompilerError, Diagnostic, Exit
from compiler.pdf.cmyk import Unconvertible, convert_image, convert_inline, convert_shading, convert_space, \
    convert_values, device, family

OUTPUT_INTENT = {"OutputConditionIdentifier": "CGATS TR 001", "RegistryName": "http://www.color.org",
                 "OutputCondition": "SWOP (Publication) Grade 5 paper, coated",
                 "Info": "CGATS TR 001-1995 (SWOP), as U.S. Web Coated (SWOP) v2"}
DEVICE = {"/DeviceGray", "/DeviceRGB", "/DeviceCMYK", "/G", "/RGB", "/CMYK", "/Pattern"}
_TRANSPARENT = "E440"


class Refused(Unconvertible):
    """Transparency that PDF/X-1a forbids and that cannot be flattened here."""


def _number(value: float) -> Any:
    from decimal import Decimal

    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return Decimal(text if text not in ("", "-0") else "0")


class _Converter:
    """One document's pass: content streams rewritten, then the resources they use made CMYK."""

    def __init__(self, pdf: pikepdf.Pdf) -> None:
        self.pdf = pdf
        self.done: set[tuple[int, int]] = set()
        self.shadings: set[tuple[int, int]] = set()
        self.resources: list[Any] = []

    def _seen(self, obj: Any) -> bool:
        key = obj.objgen
        if key == (0, 0):
            return False
        if key in self.done:
            return True
        self.done.add(key)
        return False

    def _space(self, name: Any, resources: Any, where: str) -> Any:
        if str(name) in DEVICE:
            return name
        space = (resources.get("/ColorSpace") or {}).get(str(name)) if resources is not None else None
        if space is None:
            raise Unconvertible(f"{where}: the colour space {name} is not in the resources")
        return space

    def stream(self, stream: Any, resources: Any, where: str) -> None:
        """Rewrite one content stream (a page's, a form's, a pattern's, a glyph's) and its resources."""
        if self._seen(stream):
            return
        fill: Any = pikepdf.Name.DeviceGray
        stroke: Any = pikepdf.Name.DeviceGray
        stack: list[tuple[Any, Any]] = []
        out: list[Any] = []
        changed = False
        for instruction in pikepdf.parse_content_stream(stream):
            if isinstance(instruction, pikepdf.ContentStreamInlineImage):
                image = convert_inline(self.pdf, instruction.iimage, where)
                if image is None:
                    out.append(instruction)
                    continue
                if resources is None:
                    raise Unconvertible(f"{where}: an inline image in a stream without resources")
                if "/XObject" not in resources:
                    resources.XObject = pikepdf.Dictionary()
                xobjects = resources.XObject
                name = next(f"/Inline{n}" for n in range(len(xobjects) + 1) if f"/Inline{n}" not in xobjects)
                xobjects[name] = image
                out.append(pikepdf.ContentStreamInstruction([pikepdf.Name(name)], pikepdf.Operator("Do")))
                changed = True
                continue
            operands, op = list(instruction.operands), str(instruction.operator)
            if op == "q":
                stack.append((fill, stroke))
            elif op == "Q" and stack:
                fill, stroke = stack.pop()
            elif op in ("g", "k", "G", "K"):
                space = pikepdf.Name.DeviceGray if op in ("g", "G") else pikepdf.Name.DeviceCMYK
                fill, stroke = (space, stroke) if op.islower() else (fill, space)
            elif op in ("rg", "RG"):
                operands = [_number(v) for v in convert_values(pikepdf.Name.DeviceRGB, [float(v) for v in operands])]
                op = "k" if op == "rg" else "K"
                fill, stroke = (pikepdf.Name.DeviceCMYK, stroke) if op == "k" else (fill, pikepdf.Name.DeviceCMYK)
                changed = True
            elif op in ("cs", "CS"):
                space = self._space(operands[0], resources, where)
                replacement = device(space)
                if replacement is not None and replacement != operands[0]:
                    operands, changed = [replacement], True
                fill, stroke = (space, stroke) if op == "cs" else (fill, space)
            elif op in ("sc", "scn", "SC", "SCN"):
                space = fill if op.islower() else stroke
                if family(space) in ("rgb", "lab", "pattern"):
                    names = [v for v in operands if isinstance(v, pikepdf.Name)]
                    values = [float(v) for v in operands if not isinstance(v, pikepdf.Name)]
                    if values:
                        operands = [*(_number(v) for v in convert_values(space, values)), *names]
                        changed = True
            out.append(pikepdf.ContentStreamInstruction(operands, pikepdf.Operator(op)))
        if changed:
            stream.write(pikepdf.unparse_content_stream(out))
        self.walk(resources, where)

    def walk(self, resources: Any, where: str) -> None:
        """Everything a resource dictionary holds that has content of its own, then note it for :meth:`clean`."""
        if resources is None or self._seen(resources):
            return
        self.resources.append((resources, where))
        for name, xobject in (resources.get("/XObject") or {}).items():
            if xobject.get("/Subtype") == "/Form":
                self._remove_group(xobject)
                self.stream(xobject, xobject.get("/Resources", resources), f"{where}, form {name}")
        for name, pattern in (resources.get("/Pattern") or {}).items():
            if int(pattern.get("/PatternType", 0)) == 1:
                self.stream(pattern, pattern.get("/Resources", resources), f"{where}, pattern {name}")
        for name, font in (resources.get("/Font") or {}).items():
            if font.get("/Subtype") == "/Type3":
                for glyph, proc in font.CharProcs.items():
                    self.stream(proc, font.get("/Resources", resources), f"{where}, Type 3 font {name} glyph {glyph}")

    @staticmethod
    def _remove_group(obj: Any) -> None:
        group = obj.get("/Group")
        if group is not None and group.get("/S") == "/Transparency":
            del obj["/Group"]

    def clean(self, pdf: pikepdf.Pdf) -> None:
        """Make every noted resource dictionary's colour spaces, graphics states, shadings, patterns,
        images and fonts fit PDF/X-1a (after all content is rewritten: the names were needed till then)."""
        for resources, where in self.resources:
            spaces = resources.get("/ColorSpace")
            if spaces is not None:
                for name in list(spaces.keys()):
                    space = spaces[name]
                    if name.startswith("/Default") or device(space) is not None:
                        del spaces[name]  # content now names the device space itself
                    else:  # Indexed, Pattern, spot: rebuilt on a device base (again is the same)
                        spaces[name] = convert_space(space, f"{where}, colour space {name}")
            for name, state in (resources.get("/ExtGState") or {}).items():
                _graphics_state(state, f"{where}, graphics state {name}")
            for name, shading in (resources.get("/Shading") or {}).items():
                convert_shading(shading, f"{where}, shading {name}", self.shadings)
            for name, pattern in (resources.get("/Pattern") or {}).items():
                if int(pattern.get("/PatternType", 0)) == 2:
                    convert_shading(pattern.Shading, f"{where}, pattern {name}", self.shadings)
                    if "/ExtGState" in pattern:
                        _graphics_state(pattern.ExtGState, f"{where}, pattern {name}")
            for name, xobject in (resources.get("/XObject") or {}).items():
                if xobject.get("/Subtype") == "/Image" and not self._seen(xobject):
                    convert_image(xobject, f"{where}, image {name}")
                    if isinstance(xobject.get("/Mask"), pikepdf.Stream):
                        convert_image(xobject.Mask, f"{where}, mask of image {name}")
            for name, font in (resources.get("/Font") or {}).items():
                _font(pdf, font, f"{where}, font {name}")


def _graphics_state(state: Any, where: str) -> None:
    """Drop the PDF 1.4 keys that change nothing; refuse the ones that are real transparency."""
    for key in ("/CA", "/ca"):
        if key in state:
            if float(state[key]) < 1:
                raise Refused(f"{where}: an opacity of {float(state[key])} ({key[1:]})")
            del state[key]
    if "/SMask" in state:
        if state.SMask != pikepdf.Name("/None"):
            raise Refused(f"{where}: a soft mask")
        del state["/SMask"]
    if "/BM" in state:
        mode = state.BM[0] if isinstance(state.BM, pikepdf.Array) else state.BM
        if str(mode) not in ("/Normal", "/Compatible"):
            raise Refused(f"{where}: the blend mode {mode}")
        del state["/BM"]
    for key in ("/AIS", "/TK"):
        if key in state:
            del state[key]
    for key in ("/TR", "/TR2"):
        if key in state:
            if str(state[key]) not in ("/Identity", "/Default"):
                raise Unconvertible(f"{where}: a transfer function (PDF/X-1a forbids them)")
            del state[key]


def _font(pdf: pikepdf.Pdf, font: Any, where: str) -> None:
    """A font must be embedded; an OpenType-wrapped CFF program becomes the bare CFF PDF 1.3 reads."""
    subtype = str(font.get("/Subtype"))
    if subtype == "/Type3":
        return
    if subtype == "/Type0":
        for descendant in font.DescendantFonts:
            _font(pdf, descendant, where)
        return
    descriptor = font.get("/FontDescriptor")
    if descriptor is None or not any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")):
        raise Unconvertible(f"{where}: {font.get('/BaseFont')} is not embedded", "E442")
    program = descriptor.get("/FontFile3")
    if program is None or program.get("/Subtype") != "/OpenType":
        return
    from fontTools.ttLib import TTFont  # type: ignore[import-untyped]

    opentype = TTFont(io.BytesIO(program.read_bytes()))
    if "CFF " in opentype:
        cff = pdf.make_stream(bytes(opentype.reader["CFF "]))
        cff.Subtype = pikepdf.Name.CIDFontType0C if subtype == "/CIDFontType0" else pikepdf.Name.Type1C
        descriptor.FontFile3 = cff
    elif "glyf" in opentype and subtype in ("/TrueType", "/CIDFontType2"):
        descriptor.FontFile2 = pdf.make_stream(program.read_bytes())
        del descriptor["/FontFile3"]
    else:
        raise Unconvertible(f"{where}: {font.get('/BaseFont')} is an OpenType font PDF 1.3 cannot hold", "E442")


def _pdf_date(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).strftime("D:%Y%m%d%H%M%S+00'00'")


def _identify(pdf: pikepdf.Pdf, title: str, modified: dt.datetime) -> None:
    info = pdf.docinfo
    if "/Title" not in info:
        info.Title = pikepdf.String(title)
    info.CreationDate = info.ModDate = pikepdf.String(_pdf_date(modified))
    info.GTS_PDFXVersion = pikepdf.String("PDF/X-1:2001")
    info.GTS_PDFXConformance = pikepdf.String("PDF/X-1a:2001")
    info.Trapped = pikepdf.Name("/False")
    for key in ("/Metadata", "/AcroForm", "/OpenAction", "/AA", "/OutputIntents"):
        if key in pdf.Root:
            del pdf.Root[key]
    intent = pikepdf.Dictionary({"/Type": pikepdf.Name.OutputIntent, "/S": pikepdf.Name.GTS_PDFX,
                                 **{f"/{key}": pikepdf.String(value) for key, value in OUTPUT_INTENT.items()}})
    pdf.Root.OutputIntents = pikepdf.Array([pdf.make_indirect(intent)])


def _boxes(page: Any, where: str) -> None:
    media = _inherited(page.obj, "/MediaBox")
    x0, y0, x1, y1 = (float(v) for v in media)
    for name in ("/TrimBox", "/BleedBox"):
        left, bottom, right, top = (float(v) for v in page.obj.get(name, media))
        inside = x0 - 0.01 <= left < right <= x1 + 0.01 and y0 - 0.01 <= bottom < top <= y1 + 0.01
        if name == "/TrimBox" and name not in page.obj or not inside:
            raise Unconvertible(f"{where}: no {name[1:]} inside the MediaBox", "E443")


def _inherited(node: Any, key: str) -> Any:
    """A page's attribute, or the nearest one its page tree passes down."""
    while node is not None and key not in node:
        node = node.get("/Parent")
    return None if node is None else node[key]


def convert(data: bytes, title: str, modified: dt.datetime) -> bytes:
    """The PDF/X-1a:2001 form of ``data`` (raises :class:`Unconvertible` with what stands in the way)."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        converter = _Converter(pdf)
        for number, page in enumerate(pdf.pages, 1):
            where = f"page {number}"
            _boxes(page, where)
            _Converter._remove_group(page.obj)
            kept = [a for a in page.obj.get("/Annots", []) if a.get("/Subtype") in ("/PrinterMark", "/TrapNet")]
            if "/Annots" in page.obj:
                del page.obj["/Annots"]
            for annotation in kept:
                for appearance in annotation.get("/AP", {}).values():
                    streams = [appearance] if isinstance(appearance, pikepdf.Stream) else list(appearance.values())
                    for stream in streams:
                        converter.stream(stream, stream.get("/Resources"), f"{where}, annotation")
            if kept:
                page.obj.Annots = pikepdf.Array(kept)
            if "/Contents" in page.obj:
                page.contents_coalesce()
                converter.stream(page.obj.Contents, _inherited(page.obj, "/Resources"), where)
        converter.clean(pdf)
        _identify(pdf, title, modified)
        out = io.BytesIO()
        pdf.save(out, deterministic_id=True, compress_streams=True, force_version="1.3",
                 object_stream_mode=pikepdf.ObjectStreamMode.disable, fix_metadata_version=False)
    return out.getvalue()


def to_pdfx(data: bytes, name: str, title: str, modified: dt.datetime) -> bytes:
    """:func:`convert` for the output file ``name``: what stands in the way is a one-line error, exit 4."""
    try:
        return convert(data, title, modified)
    except Unconvertible as problem:
        hint = ("PDF/X-1a forbids transparency: remove opacity, transparent gradients and blend modes from the "
                "stylesheet, or print with another service" if isinstance(problem, Refused) else
                "IngramSpark needs PDF/X-1a: use sRGB or device-cmyk() colours and embeddable fonts")
        raise CompilerError(Diagnostic(problem.code if not isinstance(problem, Refused) else _TRANSPARENT,
                                       f"cannot make a PDF/X-1a file: {problem}", name, hint=hint),
                            Exit.OUTPUT) from None
