"""Colour for PDF/X-1a: RGB, Lab and ICC colours made DeviceCMYK or DeviceGray, in values, spaces,
shadings and images.

PDF/X-1a allows only DeviceCMYK, DeviceGray (and spot colours); this module
converts everything else that WeasyPrint or an embedded image can bring:

* **RGB to CMYK** (:func:`rgb_to_cmyk`) is a simple, deterministic formula,
  not a profile conversion: full gray-component replacement
  (``K = 1 − max(R, G, B)``, and C, M, Y the remainder scaled by ``1 − K``),
  so that black and every gray are K alone (``0 0 0 rg`` → ``0 0 0 1 k``),
  then C + M + Y + K capped at 240 % (IngramSpark's total ink limit) by
  scaling C, M and Y. Values are rounded to 4 decimals.
* **Lab** (CSS ``lab()``, ``oklch()``…) goes to sRGB (Bradford adaptation
  from the space's white point to D65), then as RGB. ICCBased spaces are
  taken as their device family by component count (1 gray, 3 RGB, 4 CMYK);
  CalRGB and CalGray likewise.
* **Spaces**: ``Indexed`` palettes and uncoloured ``Pattern`` bases are
  rewritten to a device base; ``Separation``/``DeviceN`` must already have a
  gray or CMYK alternate.
* **Shadings**: the space becomes DeviceCMYK and the functions' outputs are
  converted (exponential functions' ``C0``/``C1``, stitching functions
  recursively), with ``Background``.
* **Images** (and inline images) are decoded with pikepdf and Pillow,
  flattened onto white when they have a soft mask, and written back as
  8-bit DeviceCMYK (Flate), or kept when gray or CMYK already.

What cannot be converted raises :class:`Unconvertible`, which
:mod:`compiler.pdf.pdfx` reports as ``E441``.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import pikepdf

#: IngramSpark's total ink limit (C + M + Y + K), as a fraction.
INK_LIMIT = 2.4
RGB_NAMES = {"/DeviceRGB", "/RGB", "/CalRGB"}
GRAY_NAMES = {"/DeviceGray", "/G", "/CalGray"}
CMYK_NAMES = {"/DeviceCMYK", "/CMYK"}
D65 = (0.95047, 1.0, 1.08883)
_BRADFORD = ((0.8951, 0.2664, -0.1614), (-0.7502, 1.7135, 0.0367), (0.0389, -0.0685, 1.0296))
_BRADFORD_INV = ((0.9869929, -0.1470543, 0.1599627), (0.4323053, 0.5183603, 0.0492912),
                 (-0.0085287, 0.0400428, 0.9684867))
_XYZ_TO_SRGB = ((3.2404542, -1.5371385, -0.4985314), (-0.9692660, 1.8760108, 0.0415560),
                (0.0556434, -0.2040259, 1.0572252))


class Unconvertible(Exception):
    """Something in the PDF that cannot be made PDF/X-1a (the message says what and where; ``code``
    is its diagnostic: E441 a colour, E442 a font, E443 a page box)."""

    def __init__(self, message: str, code: str = "E441") -> None:
        super().__init__(message)
        self.code = code


def _round(value: float) -> float:
    return round(min(max(value, 0.0), 1.0), 4) + 0.0  # + 0.0: no "-0.0"


def rgb_to_cmyk(r: float, g: float, b: float) -> tuple[float, float, float, float]:
    """RGB (0–1) to CMYK with full gray-component replacement and a 240 % ink limit."""
    r, g, b = (min(max(float(v), 0.0), 1.0) for v in (r, g, b))
    top = max(r, g, b)
    if top <= 0.0:
        return 0.0, 0.0, 0.0, 1.0
    k = 1.0 - top
    c, m, y = ((top - v) / top for v in (r, g, b))
    if c + m + y + k > INK_LIMIT:
        scale = (INK_LIMIT - k) / (c + m + y)
        c, m, y = c * scale, m * scale, y * scale
    return _round(c), _round(m), _round(y), _round(k)


def _matmul(m: Sequence[Sequence[float]], v: Sequence[float]) -> tuple[float, float, float]:
    return (m[0][0] * v[0] + m[0][1] * v[1] + m[0][2] * v[2], m[1][0] * v[0] + m[1][1] * v[1] + m[1][2] * v[2],
            m[2][0] * v[0] + m[2][1] * v[1] + m[2][2] * v[2])


def lab_to_rgb(lab: Sequence[float], white: Sequence[float] = (0.9642, 1.0, 0.8249)) -> tuple[float, float, float]:
    """CIE L*a*b* (relative to ``white``) to sRGB 0–1, adapted to D65 with Bradford."""
    lightness, a, b = (float(v) for v in lab)
    fy = (lightness + 16) / 116
    delta = 6 / 29

    def inverse(t: float) -> float:
        return t ** 3 if t > delta else 3 * delta * delta * (t - 4 / 29)

    xyz = (white[0] * inverse(fy + a / 500), white[1] * inverse(fy), white[2] * inverse(fy - b / 200))
    source, target = _matmul(_BRADFORD, white), _matmul(_BRADFORD, D65)
    cone = _matmul(_BRADFORD, xyz)
    adapted = _matmul(_BRADFORD_INV, [cone[i] * target[i] / source[i] for i in range(3)])
    linear = _matmul(_XYZ_TO_SRGB, adapted)
    return tuple(min(max(12.92 * v if v <= 0.0031308 else 1.055 * v ** (1 / 2.4) - 0.055, 0.0), 1.0)
                 for v in linear)  # type: ignore[return-value]


def family(space: Any) -> str:
    """A colour space's family: gray, rgb, cmyk, lab, indexed, pattern, spot or unknown."""
    if isinstance(space, pikepdf.Name):
        name = str(space)
        return ("gray" if name in GRAY_NAMES else "rgb" if name in RGB_NAMES else "cmyk" if name in CMYK_NAMES
                else "pattern" if name == "/Pattern" else "unknown")
    if isinstance(space, pikepdf.Array) and len(space) > 0:
        head = str(space[0])
        if head == "/ICCBased":
            n = int(space[1].get("/N", 0))
            return {1: "gray", 3: "rgb", 4: "cmyk"}.get(n, "unknown")
        if head in ("/Indexed", "/I"):
            return "indexed"
        if head in ("/Separation", "/DeviceN"):
            return "spot"
        if head == "/Lab":
            return "lab"
        if head == "/Pattern":
            return "pattern"
        if len(space) == 1 or head in ("/CalRGB", "/CalGray"):
            return family(pikepdf.Name(head))
    return "unknown"


def device(space: Any) -> pikepdf.Name | None:
    """The device space that replaces ``space`` (None: keep it, it is a resource rewritten in place)."""
    kind = family(space)
    if kind in ("rgb", "lab", "cmyk"):
        return pikepdf.Name.DeviceCMYK
    if kind == "gray":
        return pikepdf.Name.DeviceGray
    return None


def convert_values(space: Any, values: Sequence[float]) -> list[float]:
    """Colour components in ``space`` as components of its device replacement."""
    kind = family(space)
    if kind == "rgb" and len(values) == 3:
        return list(rgb_to_cmyk(*values))
    if kind == "lab" and len(values) == 3:
        white = [float(v) for v in space[1].get("/WhitePoint", [0.9642, 1.0, 0.8249])]
        return list(rgb_to_cmyk(*lab_to_rgb(values, white)))
    if kind == "pattern" and isinstance(space, pikepdf.Array) and len(space) > 1:
        return convert_values(space[1], values)
    return [float(v) for v in values]


def converter(space: Any) -> Callable[[Sequence[float]], list[float]] | None:
    """A function converting component lists of ``space``, or None when no values change."""
    kind = family(space)
    return (lambda values: convert_values(space, values)) if kind in ("rgb", "lab") else None


def convert_space(space: Any, where: str) -> Any:
    """A colour space object for PDF/X-1a: a device name, or an Indexed/Pattern array rebuilt."""
    kind = family(space)
    if kind in ("gray", "rgb", "lab", "cmyk"):
        return device(space)
    if kind == "indexed":
        base, hival, lookup = space[1], int(space[2]), space[3]
        table = bytes(lookup.read_bytes() if isinstance(lookup, pikepdf.Stream) else bytes(lookup))
        convert = converter(base)
        n = {"gray": 1, "rgb": 3, "lab": 3, "cmyk": 4}.get(family(base), 0)
        if n == 0:
            raise Unconvertible(f"{where}: an indexed colour space on {base!r}")
        if convert is not None:
            out = bytearray()
            for i in range(hival + 1):
                entry = [v / 255 for v in table[i * n:(i + 1) * n]]
                if family(base) == "lab":
                    ranges = [float(v) for v in base[1].get("/Range", [-100, 100, -100, 100])]
                    entry = [entry[0] * 100, ranges[0] + entry[1] * (ranges[1] - ranges[0]),
                             ranges[2] + entry[2] * (ranges[3] - ranges[2])]
                out.extend(round(v * 255) for v in convert(entry))
            table = bytes(out)
        return pikepdf.Array([pikepdf.Name.Indexed, device(base), hival, pikepdf.String(table)])
    if kind == "pattern":
        return space if isinstance(space, pikepdf.Name) else pikepdf.Array([pikepdf.Name.Pattern,
                                                                             convert_space(space[1], where)])
    if kind == "spot" and family(space[2]) in ("gray", "cmyk"):
        return space
    raise Unconvertible(f"{where}: the colour space {str(space[0]) if isinstance(space, pikepdf.Array) else space}"
                        " has no CMYK form here (use sRGB or device-cmyk() colours)")


def convert_function(function: Any, convert: Callable[[Sequence[float]], list[float]], where: str,
                     done: set[tuple[int, int]]) -> None:
    """Make a shading function's outputs CMYK, in place (exponential and stitching functions)."""
    key = function.objgen
    if key != (0, 0) and key in done:
        return
    done.add(key)
    kind = int(function.get("/FunctionType", -1))
    if kind == 2:
        function.C0 = pikepdf.Array(convert([float(v) for v in function.get("/C0", [0, 0, 0])]))
        function.C1 = pikepdf.Array(convert([float(v) for v in function.get("/C1", [1, 1, 1])]))
    elif kind == 3:
        for part in function.Functions:
            convert_function(part, convert, where, done)
    else:
        raise Unconvertible(f"{where}: a shading with a type {kind} function")
    if "/Range" in function:
        function.Range = pikepdf.Array([0, 1] * 4)


def convert_shading(shading: Any, where: str, done: set[tuple[int, int]]) -> None:
    """A shading's space made DeviceCMYK or DeviceGray, with its function and background, in place."""
    key = shading.objgen
    if key != (0, 0) and key in done:
        return
    done.add(key)
    space = shading.ColorSpace
    convert = converter(space)
    if convert is not None:
        if "/Function" not in shading or isinstance(shading.Function, pikepdf.Array):
            raise Unconvertible(f"{where}: a shading of type {shading.get('/ShadingType')} in {family(space)}")
        convert_function(shading.Function, convert, where, done)
        if "/Background" in shading:
            shading.Background = pikepdf.Array(convert([float(v) for v in shading.Background]))
    shading.ColorSpace = convert_space(space, where)


def _flatten(image: Any, alpha: Any) -> Any:
    """An image drawn onto white through its alpha (same size)."""
    from PIL import Image

    if alpha.size != image.size:
        alpha = alpha.resize(image.size)
    if image.mode == "CMYK":  # white is no ink
        return Image.composite(image, Image.new("CMYK", image.size, (0, 0, 0, 0)), alpha)
    return Image.composite(image, Image.new(image.mode, image.size, "white"), alpha)


def pil_to_cmyk(image: Any) -> tuple[bytes, pikepdf.Name]:
    """Pixels of a Pillow image as 8-bit DeviceCMYK (RGB, by :func:`rgb_to_cmyk`) or DeviceGray bytes."""
    import numpy as np

    if image.mode in ("1", "L"):
        return image.convert("L").tobytes(), pikepdf.Name.DeviceGray
    if image.mode == "CMYK":
        return image.tobytes(), pikepdf.Name.DeviceCMYK
    rgb = np.asarray(image.convert("RGB"), dtype=np.float64) / 255.0
    top = rgb.max(axis=2)
    safe = np.where(top > 0, top, 1.0)
    cmy = np.where(top[..., None] > 0, (top[..., None] - rgb) / safe[..., None], 0.0)
    k = 1.0 - top
    total = cmy.sum(axis=2) + k
    scale = np.where(total > INK_LIMIT, (INK_LIMIT - k) / np.where(cmy.sum(axis=2) > 0, cmy.sum(axis=2), 1.0), 1.0)
    cmyk = np.concatenate([cmy * scale[..., None], k[..., None]], axis=2)
    return np.rint(cmyk * 255).astype(np.uint8).tobytes(), pikepdf.Name.DeviceCMYK


_REENCODE = {"/JPXDecode", "/JBIG2Decode", "/LZWDecode"}  # not PDF 1.3, or not allowed in PDF/X-1a


def _filters(stream: Any) -> set[str]:
    value = stream.get("/Filter")
    return {str(value)} if isinstance(value, pikepdf.Name) else {str(v) for v in (value or [])}


def convert_image(image: Any, where: str) -> None:
    """An image XObject made DeviceCMYK or DeviceGray without transparency, in place."""
    if image.get("/ImageMask", False):
        return
    for key in ("/Alternates", "/OPI", "/SMaskInData"):
        if key in image:
            del image[key]
    space = image.get("/ColorSpace")
    kind = family(space)
    soft = "/SMask" in image
    keyed = isinstance(image.get("/Mask"), pikepdf.Array)
    if not soft and not keyed and not (_filters(image) & _REENCODE):
        if kind in ("gray", "cmyk"):
            image.ColorSpace = device(space)
            return
        if kind == "indexed" or (kind == "spot" and family(space[2]) in ("gray", "cmyk")):
            image.ColorSpace = convert_space(space, where)
            return
    if kind == "lab" or kind == "unknown":
        raise Unconvertible(f"{where}: an image in {space!r}")
    picture = pikepdf.PdfImage(image).as_pil_image()
    if picture.mode not in ("1", "L", "RGB", "CMYK"):
        picture = picture.convert("RGB")
    if keyed:  # a colour-key mask: the keyed pixels become white
        from PIL import Image

        ranges = [int(v) for v in image.Mask]
        raw = pikepdf.PdfImage(image).as_pil_image()
        bands = raw.split() if raw.mode != "P" else [raw.convert("L")]
        hit = [band.point(lambda v, lo=ranges[2 * i], hi=ranges[2 * i + 1]: 0 if lo <= v <= hi else 255)
               for i, band in enumerate(bands[: len(ranges) // 2])]
        mask = hit[0]
        for band in hit[1:]:
            mask = Image.composite(band, mask, band.point(lambda v: 255 - v))  # any band outside: visible
        picture = _flatten(picture, mask)
        del image["/Mask"]
    if soft:
        alpha = pikepdf.PdfImage(image.SMask).as_pil_image().convert("L")
        picture = _flatten(picture if picture.mode != "1" else picture.convert("L"), alpha)
        del image["/SMask"]
    data, space_name = pil_to_cmyk(picture)
    for key in ("/DecodeParms", "/Decode", "/Filter"):
        if key in image:
            del image[key]
    image.write(data)
    image.ColorSpace = space_name
    image.BitsPerComponent = 8
    image.Width, image.Height = picture.size


def convert_inline(pdf: pikepdf.Pdf, inline: Any, where: str) -> Any:
    """An RGB inline image as a DeviceCMYK image XObject to draw instead (None: keep the inline image)."""
    space = inline.obj.get("/ColorSpace", inline.obj.get("/CS"))
    if inline.obj.get("/ImageMask", inline.obj.get("/IM")) or str(space) in ("/DeviceGray", "/G", "/DeviceCMYK",
                                                                             "/CMYK"):
        return None
    if family(space) != "rgb" or not isinstance(space, pikepdf.Name):
        raise Unconvertible(f"{where}: an inline image in {space!r}")
    picture = inline.as_pil_image()
    data, name = pil_to_cmyk(picture)
    return pikepdf.Stream(pdf, data, Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Image, Width=picture.size[0],
                          Height=picture.size[1], ColorSpace=name, BitsPerComponent=8)
