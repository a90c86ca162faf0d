"""QR codes for embeds and links on paper: deterministic inline SVG (segno).

A printed book cannot play a video or follow a link; beside an
:class:`~compiler.model.nodes.Embed` (or a link the editor wants scannable)
the PDF prints a QR code of its URL. :func:`qr_svg` returns SVG markup for
inline use, in the EPUB's XHTML as in the HTML WeasyPrint lays out:

* no XML declaration, the SVG namespace on the root, well-formed XML;
* ``viewBox`` set and no ``width``/``height``: CSS sizes it (``svg.qr { width: 25mm }``);
* a ``<title>`` holding the URL as the reader sees it, and ``role="img"``, for
  assistive technology;
* error correction level M exactly (not boosted), quiet zone of 4 modules,
  one ``<path>`` of dark modules; the same URL always gives the same bytes.

The code holds :func:`qr_payload` of the URL: an IRI made a plain ASCII URI
(an internationalised host in IDNA/punycode, non-ASCII characters and
spaces percent-encoded as UTF-8, existing ``%XX`` and reserved characters kept), which every scanner reads
and every browser opens as the same address. A URL too long for a QR code
(version 40 at level M holds 2331 bytes) raises :class:`QRError`.
"""

from __future__ import annotations

import io
from urllib.parse import SplitResult, quote, urlsplit, urlunsplit

import segno

ERROR_LEVEL = "m"
QUIET_ZONE = 4
#: The class the root ``<svg>`` carries, for the stylesheets.
SVG_CLASS = "qr"

# RFC 3986 reserved and unreserved characters, and "%" so existing escapes are kept.
_SAFE_PATH = "/:@!$&'()*+,;=-._~%"
_SAFE_QUERY = _SAFE_PATH + "?"


class QRError(ValueError):
    """A URL that cannot become a QR code (too long, or not a URL)."""


def qr_payload(url: str) -> str:
    """``url`` as the ASCII URI the QR code holds (IDNA host, UTF-8 percent-encoding elsewhere)."""
    url = url.strip()
    if not url:
        raise QRError("an empty URL has no QR code")
    parts = urlsplit(url)
    netloc = parts.netloc
    if parts.hostname and not parts.hostname.isascii():
        try:
            host = parts.hostname.encode("idna").decode("ascii")
        except UnicodeError:
            host = quote(parts.hostname, safe="")
        userinfo, at, _hostport = netloc.rpartition("@")
        port = f":{parts.port}" if parts.port is not None else ""
        netloc = f"{quote(userinfo, safe=_SAFE_PATH)}{at}{host}{port}"
    return urlunsplit(SplitResult(parts.scheme, netloc, quote(parts.path, safe=_SAFE_PATH),
                                  quote(parts.query, safe=_SAFE_QUERY), quote(parts.fragment, safe=_SAFE_QUERY)))


def qr_matrix(url: str) -> tuple[tuple[bool, ...], ...]:
    """The code's modules without the quiet zone (True is dark), row by row: for tests and other renderers."""
    return tuple(tuple(bool(m) for m in row) for row in _make(url).matrix)


def _make(url: str) -> segno.QRCode:
    payload = qr_payload(url)
    try:
        return segno.make_qr(payload, error=ERROR_LEVEL, boost_error=False, encoding="utf-8")
    except segno.DataOverflowError:
        raise QRError(f"a URL of {len(payload.encode())} bytes is too long for a QR code "
                      "(2331 at most at level M)") from None


def qr_svg(url: str) -> str:
    """Inline SVG markup of a QR code for ``url`` (see the module docstring)."""
    code = _make(url)
    out = io.BytesIO()
    code.save(out, kind="svg", xmldecl=False, svgns=True, title=url.strip(), omitsize=True,
              border=QUIET_ZONE, scale=1, dark="#000", light=None, svgclass=SVG_CLASS, lineclass=None,
              nl=False, encoding="utf-8")
    svg = out.getvalue().decode("utf-8")
    return svg.replace("<svg ", '<svg role="img" ', 1)
