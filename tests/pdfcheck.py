"""PDF/X-1a checks for the print tests, written apart from compiler.pdf.pdfx so that they can catch it:
every content stream of a PDF (pages, form XObjects at any depth, tiling patterns, Type 3 glyphs,
annotation appearances) walked with its colour state, and every resource that carries colour."""

from __future__ import annotations

from typing import Any, Iterator

import pikepdf

RGB_FAMILIES = {"/DeviceRGB", "/RGB", "/CalRGB", "/Lab"}
ALLOWED_SPACES = {"/DeviceCMYK", "/DeviceGray"}


def _is_rgb(space: Any) -> bool:
    """Whether a colour space (a name or an array) is RGB-like: Device/Cal RGB, Lab, ICCBased with 3 components."""
    if isinstance(space, pikepdf.Name):
        return str(space) in RGB_FAMILIES
    if isinstance(space, pikepdf.Array) and len(space):
        head = str(space[0])
        if head == "/ICCBased":
            return int(space[1].get("/N", 0)) == 3
        if head in ("/Indexed", "/Pattern") and len(space) > 1:
            return _is_rgb(space[1])
        return head in RGB_FAMILIES
    return False


def streams(pdf: pikepdf.Pdf) -> Iterator[tuple[str, Any, Any]]:
    """(where, stream, resources) for every content stream reachable from the pages, each once."""
    seen: set[tuple[int, int]] = set()

    def inside(where: str, resources: Any) -> Iterator[tuple[str, Any, Any]]:
        for name, xobject in (resources.get("/XObject") or {}).items() if resources is not None else ():
            if xobject.get("/Subtype") == "/Form":
                yield from visit(f"{where} {name}", xobject, xobject.get("/Resources", resources))
        for name, pattern in (resources.get("/Pattern") or {}).items() if resources is not None else ():
            if int(pattern.get("/PatternType", 0)) == 1:
                yield from visit(f"{where} pattern {name}", pattern, pattern.get("/Resources", resources))
        for name, font in (resources.get("/Font") or {}).items() if resources is not None else ():
            if font.get("/Subtype") == "/Type3":
                for glyph, proc in font.CharProcs.items():
                    yield from visit(f"{where} {name} glyph {glyph}", proc, font.get("/Resources", resources))

    def visit(where: str, stream: Any, resources: Any) -> Iterator[tuple[str, Any, Any]]:
        if stream.objgen != (0, 0):
            if stream.objgen in seen:
                return
            seen.add(stream.objgen)
        yield where, stream, resources
        yield from inside(where, resources)

    for number, page in enumerate(pdf.pages, 1):
        resources = page.obj.get("/Resources")
        contents = page.obj.get("/Contents")
        parts = list(contents) if isinstance(contents, pikepdf.Array) else [contents] if contents is not None else []
        for part in parts:
            yield from visit(f"page {number}", part, resources)
        if not parts:
            yield from inside(f"page {number}", resources)
        for annotation in page.obj.get("/Annots", []):
            for appearance in annotation.get("/AP", {}).values():
                for stream in [appearance] if isinstance(appearance, pikepdf.Stream) else list(appearance.values()):
                    yield from visit(f"page {number} annotation", stream, stream.get("/Resources"))


def colour_problems(pdf: pikepdf.Pdf) -> tuple[list[str], int]:
    """What in ``pdf`` is not PDF/X-1a colour: RGB operators, sc/scn under an RGB space, RGB images,
    shadings or colour spaces, soft masks, transparency groups; and how many streams were walked."""
    problems: list[str] = []
    walked = 0
    for number, page in enumerate(pdf.pages, 1):
        if "/Group" in page.obj:
            problems.append(f"page {number}: a transparency group")
    for where, stream, resources in streams(pdf):
        walked += 1
        if "/Group" in stream:
            problems.append(f"{where}: a transparency group")
        spaces = (resources.get("/ColorSpace") or {}) if resources is not None else {}
        fill: Any = pikepdf.Name.DeviceGray
        stroke: Any = pikepdf.Name.DeviceGray
        stack = []
        for instruction in pikepdf.parse_content_stream(stream):
            if isinstance(instruction, pikepdf.ContentStreamInlineImage):
                space = instruction.iimage.obj.get("/ColorSpace")
                if space is not None and str(space) not in ALLOWED_SPACES:
                    problems.append(f"{where}: an inline image in {space}")
                continue
            op, operands = str(instruction.operator), list(instruction.operands)
            if op in ("rg", "RG"):
                problems.append(f"{where}: {op} {operands}")
            elif op == "q":
                stack.append((fill, stroke))
            elif op == "Q" and stack:
                fill, stroke = stack.pop()
            elif op in ("cs", "CS"):
                name = operands[0]
                space = name if str(name) in ("/DeviceRGB", "/DeviceGray", "/DeviceCMYK", "/Pattern") else spaces.get(
                    str(name), name)
                fill, stroke = (space, stroke) if op == "cs" else (fill, space)
            elif op in ("sc", "scn", "SC", "SCN") and _is_rgb(fill if op.islower() else stroke):
                problems.append(f"{where}: {op} {operands} under an RGB colour space")
        if resources is None:
            continue
        for name, image in (resources.get("/XObject") or {}).items():
            if image.get("/Subtype") == "/Image" and not image.get("/ImageMask", False):
                space = image.get("/ColorSpace")
                if isinstance(space, pikepdf.Array) and str(space[0]) == "/Indexed":
                    space = space[1]  # a palette of CMYK or gray colours is CMYK or gray
                if str(space) not in ALLOWED_SPACES:
                    problems.append(f"{where}: image {name} in {image.get('/ColorSpace')}")
                if "/SMask" in image:
                    problems.append(f"{where}: image {name} has a soft mask")
        for name, shading in (resources.get("/Shading") or {}).items():
            if str(shading.get("/ColorSpace")) not in ALLOWED_SPACES:
                problems.append(f"{where}: shading {name} in {shading.get('/ColorSpace')}")
        for name, space in spaces.items():
            if _is_rgb(space):
                problems.append(f"{where}: colour space {name} is RGB")
        for name, state in (resources.get("/ExtGState") or {}).items():
            if float(state.get("/ca", 1)) < 1 or float(state.get("/CA", 1)) < 1 or isinstance(
                    state.get("/SMask"), pikepdf.Dictionary):
                problems.append(f"{where}: graphics state {name} is transparent")
    return problems, walked


def text_fill_colours(pdf: pikepdf.Pdf, page: int) -> list[tuple[str, tuple[float, ...]]]:
    """The fill colour (operator, values) in effect at each text-showing operator of page ``page``
    (1-based), forms included."""
    colours: list[tuple[str, tuple[float, ...]]] = []
    for where, stream, _resources in streams(pdf):
        if where.split()[1] != str(page):
            continue
        fill: tuple[str, tuple[float, ...]] = ("g", (0.0,))
        stack = []
        for instruction in pikepdf.parse_content_stream(stream):
            op = str(instruction.operator)
            if op == "q":
                stack.append(fill)
            elif op == "Q" and stack:
                fill = stack.pop()
            elif op in ("g", "rg", "k", "sc", "scn"):
                fill = (op, tuple(float(v) for v in instruction.operands if not isinstance(v, pikepdf.Name)))
            elif op in ("TJ", "Tj", "'", '"'):
                colours.append(fill)
    return colours
