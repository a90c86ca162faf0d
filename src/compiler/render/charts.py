"""Draw a :class:`~compiler.model.nodes.Chart` as inline SVG with matplotlib, the same bytes every time.

The SVG is drawn in the book's own sans face (``Lato`` from the style
folder's fonts, registered with matplotlib so that label widths are measured
in it) and keeps its labels as real ``<text>`` (``svg.fonttype: none``), so
the PDF and the EPUB set them in the book's font and a reader can select and
search them. The bytes are deterministic: a fixed ``svg.hashsalt``, no date,
creator or RDF metadata, and ids renamed after the figure's own id so that
two charts in one document never share one. matplotlib's global ``<style>``
(which would style the whole XHTML page) is dropped. The root element gets
``role="img"``, a ``<title>`` and a ``<desc>`` that states every number,
which the EPUB's reading systems and the PDF's structure tree use as its
text alternative.

matplotlib is imported only when a book has a chart. It is drawn under one lock: the EPUB's
documents are rendered in a thread while the print parts' HTML is rendered (compiler/build.py), and
matplotlib's settings (``rc_context``) are global, so two charts drawn at once could take each
other's settings (a chart's labels went missing from the PDF now and then).
"""

from __future__ import annotations

import functools
import io
import re
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from markupsafe import Markup, escape

from compiler.model.nodes import Chart

if TYPE_CHECKING:
    from compiler.model import Book

#: The series' colours: dark and light enough apart to read in greyscale print.
PALETTE = ("#1f3a4d", "#c9a45c", "#8a9aa6", "#5b4636")
FONT = "Lato"
WIDTH_IN, HEIGHT_IN = 4.8, 2.7
_ID = re.compile(r'\sid="([^"]+)"')
_REF = re.compile(r'(url\(#|href="#)([^")]+)')
_STYLE = re.compile(r'\sstyle="([^"]*)"')


def _attributes(match: re.Match[str]) -> str:
    """A ``style`` attribute as SVG presentation attributes (an HTML renderer reads ``style`` as CSS and
    does not know ``fill`` or ``text-anchor``; as attributes they are SVG's own)."""
    pairs = (part.split(":", 1) for part in match.group(1).split(";") if ":" in part)
    return "".join(f' {name.strip()}="{value.strip()}"' for name, value in pairs)


def number(value: float) -> str:
    """A value as the chart prints it (49, 3.5; no trailing .0)."""
    return f"{value:g}"


def describe(chart: Chart) -> str:
    """Every number of the chart in words, for its ``<desc>``: "Investigations: 2009, 49; 2010, 88. …"."""
    parts = []
    for n, label in enumerate(chart.labels):
        values = "; ".join(f"{s.name}, {number(s.values[n])}" if s.name else number(s.values[n])
                           for s in chart.series)
        parts.append(f"{label}: {values}.")
    unit = f" ({chart.unit})" if chart.unit else ""
    return f"{chart.kind.replace('-', ' ').capitalize()} chart{unit}. " + " ".join(parts)


_DRAWING = threading.Lock()


def chart_svg(chart: Chart, element_id: str, fonts: Path) -> Markup:
    """The chart as an inline ``<svg>`` whose ids all start with ``element_id``."""
    with _DRAWING:
        drawn = _draw(chart, _font_files(fonts))
    return Markup(_finish(drawn, chart, element_id))


def predraw(book: Book) -> int:
    """Draw every chart of the book now (kept for the rendering), so that matplotlib is imported and
    its work done before the build's memory limit applies; the number of charts."""
    bodies = [s.content for s in (*book.front, *book.back)] + [c.intro for c in book.chapters]
    drawn = [b for body in bodies for b in body.blocks if isinstance(b, Chart)]
    fonts = _font_files(book.output.style_dir / "fonts")
    for chart in drawn:
        _draw(chart, fonts)
    return len(drawn)


def _font_files(fonts: Path) -> tuple[Path, ...]:
    return tuple(sorted(fonts.glob(f"{FONT}-*.ttf"))) if fonts.is_dir() else ()


@functools.lru_cache(maxsize=64)
def _draw(chart: Chart, fonts: tuple[Path, ...]) -> str:
    import matplotlib
    matplotlib.use("svg", force=False)
    from matplotlib import font_manager
    from matplotlib.figure import Figure

    for font in fonts:
        font_manager.fontManager.addfont(str(font))
    family = [FONT, "DejaVu Sans"] if fonts else ["DejaVu Sans"]
    settings: dict[str, Any] = {"svg.hashsalt": "compiler-chart", "svg.fonttype": "none", "font.family": family,
                "font.size": 8.5, "axes.edgecolor": "#4a4a4a", "axes.linewidth": 0.6, "xtick.color": "#2b2b2b",
                "ytick.color": "#2b2b2b", "xtick.major.width": 0.6, "ytick.major.width": 0.6,
                "text.color": "#2b2b2b", "path.simplify": False}
    with matplotlib.rc_context(settings):  # type: ignore[arg-type]
        figure = Figure(figsize=(WIDTH_IN, HEIGHT_IN))
        axes = figure.add_subplot()
        _plot(axes, chart)
        for side in ("top", "right"):
            axes.spines[side].set_visible(False)
        if chart.kind == "line":
            axes.yaxis.grid(True, color="#d9d9d9", linewidth=0.5)
            axes.set_axisbelow(True)
            if chart.unit:
                axes.set_ylabel(chart.unit)
        else:  # every bar carries its number: a value axis would say it twice
            axes.spines["left"].set_visible(False)
            axes.set_yticks([])
        if len(chart.series) > 1 or chart.kind == "line":
            axes.legend(frameon=False, loc="upper left", ncols=min(len(chart.series), 4))
        figure.tight_layout(pad=0.4)
        out = io.StringIO()
        figure.savefig(out, format="svg", metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    return out.getvalue()


def _plot(axes: object, chart: Chart) -> None:
    from matplotlib.axes import Axes

    assert isinstance(axes, Axes)
    positions = list(range(len(chart.labels)))
    top = max((v for s in chart.series for v in s.values), default=1) or 1
    if chart.kind == "line":
        for n, series in enumerate(chart.series):
            axes.plot(positions, series.values, linewidth=1.4, color=PALETTE[n % len(PALETTE)],
                      label=series.name or None)  # no markers: each point carries its number
            for x, y in zip(positions, series.values):
                axes.annotate(number(y), (x, y), textcoords="offset points", xytext=(0, 5), ha="center",
                              fontsize=7.5)
    else:
        count = len(chart.series)
        width = 0.8 / count
        for n, series in enumerate(chart.series):
            offsets = [x - 0.4 + width * (n + 0.5) for x in positions]
            bars = axes.bar(offsets, series.values, width * 0.92, color=PALETTE[n % len(PALETTE)],
                            label=series.name or None)
            axes.bar_label(bars, labels=[number(v) for v in series.values], padding=2, fontsize=7.5)
    axes.set_xticks(positions, list(chart.labels))
    axes.set_ylim(0, top * 1.25)
    axes.tick_params(axis="both", length=0)  # no tick marks: the SVG reuses no drawn shape (no <use>)


def _finish(svg: str, chart: Chart, element_id: str) -> str:
    """matplotlib's SVG made an inline element: no prolog, metadata, global style or ids of its own;
    a title and a description for assistive technology."""
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r"<metadata>.*?</metadata>\s*", "", svg, flags=re.S)
    svg = re.sub(r"<style[^>]*>.*?</style>\s*", "", svg, flags=re.S)
    # Nothing is drawn outside the axes and no shape is reused (no markers, no tick marks): no clip
    # paths, no defs, and no id but the title's and the description's (compiler.ids.chart_ids).
    svg = re.sub(r"<clipPath\b.*?</clipPath>\s*", "", svg, flags=re.S)
    svg = re.sub(r'\sclip-path="url\(#[^)"]*\)"', "", svg)
    if _REF.search(svg):
        raise ValueError("a chart's SVG refers to a shape by id; compiler.ids.chart_ids names none")
    svg = _ID.sub("", svg)
    svg = re.sub(r"<defs>\s*</defs>\s*", "", svg)
    svg = _STYLE.sub(_attributes, svg)
    title, desc = f"{element_id}-title", f"{element_id}-desc"
    svg = re.sub(r"<svg\b", f'<svg role="img" aria-labelledby="{title}" aria-describedby="{desc}"', svg, count=1)
    head = (f'<title id="{title}">{escape(chart.title)}</title><desc id="{desc}">{escape(describe(chart))}</desc>')
    svg = re.sub(r"(<svg\b[^>]*>)", lambda m: m.group(1) + head, svg, count=1)
    return svg.strip()
