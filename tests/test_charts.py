"""Charts drawn from the posts: the chart block, the check against the source post, the SVG, and the
TIP figure in the shipped book's PDF (structure tree) and EPUB (inline SVG, data table)."""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

import pypdf
import pytest
from lxml import etree

from compiler.errors import CompilerError
from compiler.model.charts import check_sources, parse_chart, stated
from compiler.model.nodes import Chart, Paragraph, Series, Text, plain_text
from compiler.render import charts
from conftest import ROOT, run_compiler

TIP_POST = "hope-in-kazakhstans-education-but-what-about-human-trafficking"
GOOD = """type: grouped-bar
title: Cases
source: a-post
labels: [Investigations, Prosecutions]
series:
  - name: "2009"
    values: [49, 35]
  - name: "2010"
    values: [88, 48]
"""


def _codes(exc: CompilerError) -> list[tuple[str, int]]:
    return [(d.code, d.line) for d in exc.diagnostics]


def test_a_chart_block_becomes_a_chart_with_the_line_of_every_number() -> None:
    declared = parse_chart(GOOD, "intro.md", 10)
    assert declared.chart == Chart("grouped-bar", "Cases", ("Investigations", "Prosecutions"),
                                   (Series("2009", (49.0, 35.0)), Series("2010", (88.0, 48.0))), (), "a-post", "")
    lines = {what: line for what, _value, line in declared.numbers}
    assert lines["series name '2009'"] == 16 and lines["49"] == 17 and lines["88"] == 19


@pytest.mark.parametrize("text, expected", [
    (GOOD.replace("type: grouped-bar", "type: pie"), [("E190", 11)]),
    (GOOD + "colour: red\n", [("E190", 20)]),
    (GOOD.replace("source: a-post\n", ""), [("E190", 11)]),
    (GOOD.replace("[88, 48]", "[88]"), [("E190", 19)]),
    (GOOD.replace("[49, 35]", "[49, lots]"), [("E190", 17)]),
    (GOOD.replace("type: grouped-bar", "type: bar"), [("E190", 15)]),
    (GOOD + "title: Again\n", [("E190", 20)]),
    ("type: [unclosed\n", [("E190", 11)]),
    ("- just\n- a list\n", [("E190", 11)]),
])
def test_a_bad_chart_block_is_an_error_at_its_line(text: str, expected: list[tuple[str, int]]) -> None:
    with pytest.raises(CompilerError) as caught:
        parse_chart(text, "intro.md", 10)
    assert _codes(caught.value) == expected
    assert all(d.file == "intro.md" for d in caught.value.diagnostics)


def test_every_problem_of_a_block_is_reported_at_once() -> None:
    text = GOOD.replace("type: grouped-bar", "type: pie").replace("[88, 48]", "[88]") + "colour: red\n"
    with pytest.raises(CompilerError) as caught:
        parse_chart(text, "intro.md", 0)
    assert len(caught.value.diagnostics) == 3


@pytest.mark.parametrize("value, text, found", [
    (49, "a significant increase from 49 investigations in 2009", True),
    (49, "149 investigations", False),
    (49, "a rate of 4.9 per cent or 49.5", False),
    (84000, "the $84,000 in funding", True),
    (84000, "84 000 tenge", True),
    (3.5, "about 3.5 times", True),
    (3.5, "35 cases", False),
    (2009, "in 2009.", True),
])
def test_a_number_is_stated_only_as_a_number_of_its_own(value: float, text: str, found: bool) -> None:
    assert stated(float(value), text) is found


def _post(text: str):  # type: ignore[no-untyped-def]
    from compiler.model import Post
    from compiler.model.nodes import Content

    return Post(id="a-post", title="A post", content=Content((Paragraph((Text(text),)),)), tags=(), date=None,
                comments=0, provenance=())


def test_a_number_the_source_does_not_state_is_an_error_at_its_line() -> None:
    declared = parse_chart(GOOD, "intro.md", 10)
    post = _post("From 49 investigations in 2009 to 88 in 2010; prosecutions 35 and 48.")
    check_sources([declared], {"a-post": post})  # all stated
    with pytest.raises(CompilerError) as caught:
        check_sources([declared], {"a-post": _post("From 49 investigations in 2009 to 89 in 2010; 35 and 48.")})
    assert _codes(caught.value) == [("E192", 19)]
    with pytest.raises(CompilerError) as caught:
        check_sources([declared], {})
    assert _codes(caught.value) == [("E191", 11)]


def test_the_svg_is_deterministic_titled_and_has_ids_of_its_own(tmp_path: Path) -> None:
    chart = Chart("grouped-bar", "Cases <&>", ("A", "B"), (Series("2009", (49, 35)), Series("2010", (88, 48))),
                  (), "a-post", "cases")
    first = str(charts.chart_svg(chart, "fig-1", ROOT / "styles" / "fonts"))
    charts._draw.cache_clear()
    assert str(charts.chart_svg(chart, "fig-1", ROOT / "styles" / "fonts")) == first
    tree = etree.fromstring(first.encode())
    ns = {"s": "http://www.w3.org/2000/svg"}
    assert tree.get("role") == "img" and tree.get("viewBox")
    assert tree.find("s:title", ns).text == "Cases <&>"
    assert "A: 2009, 49; 2010, 88. B: 2009, 35; 2010, 48." in tree.find("s:desc", ns).text
    ids = [e.get("id") for e in tree.iter() if e.get("id")]
    assert ids == ["fig-1-title", "fig-1-desc"]
    assert not re.findall(r'(?:url\(#|href="#)([^")]+)', first)
    assert "<style" not in first and "<metadata" not in first and " style=" not in first
    texts = {t.text for t in tree.iter("{http://www.w3.org/2000/svg}text")}
    assert {"49", "88", "35", "48", "A", "B"} <= texts  # real text, in the book's face
    assert 'font-family="\'Lato\'' in first
    line = charts.chart_svg(Chart("line", "L", ("A", "B"), (Series("x", (1, 2)),), (), "p"), "fig-2",
                            ROOT / "styles" / "fonts")
    assert "<path" in line and 'id="fig-1' not in line and "<use" not in line


def test_the_tip_figure_is_in_the_pdf_structure_tree_and_the_epub(built: dict[str, Path]) -> None:
    reader = pypdf.PdfReader(built["pdf"])
    figures: list[str] = []
    stack: list[object] = [reader.trailer["/Root"]["/StructTreeRoot"]]
    while stack:
        node = stack.pop()
        node = node.get_object() if hasattr(node, "get_object") else node
        if isinstance(node, pypdf.generic.DictionaryObject):
            if node.get("/S") == "/Figure" and "/Alt" in node:
                figures.append(str(node["/Alt"]))
            if "/K" in node:
                stack.append(node["/K"])
        elif isinstance(node, pypdf.generic.ArrayObject):
            stack.extend(node)
    assert "Law enforcement against trafficking in Kazakhstan, 2009 and 2010" in figures
    text = "".join(page.extract_text() for page in reader.pages)
    assert all(n in text for n in ("49", "88", "35", "48", "24", "32"))
    with zipfile.ZipFile(built["epub"]) as epub:
        opf = epub.read("EPUB/content.opf").decode()
        doc = epub.read("EPUB/text/tip-report.xhtml")
    assert re.search(r'href="text/tip-report.xhtml"[^>]*properties="svg"', opf)
    tree = etree.fromstring(doc)
    ns = {"h": "http://www.w3.org/1999/xhtml", "s": "http://www.w3.org/2000/svg"}
    figure = tree.find(".//h:figure[@class='chart chart-grouped-bar']", ns)
    svg = figure.find("s:svg", ns)
    assert svg.get("viewBox") and svg.get("role") == "img"
    assert svg.find("s:title", ns).text.startswith("Law enforcement")
    cells = [c.text for c in figure.iterfind(".//h:table[@class='chart-data']/h:tbody//h:td", ns)]
    assert cells == ["49", "88", "35", "48", "24", "32"]


def test_a_changed_number_in_the_tip_figure_stops_the_build(built: dict[str, Path], tmp_path: Path) -> None:
    project = tmp_path / "book"
    shutil.copytree(built["project"], project)
    intro = project / "chapters" / "tip-report.md"
    text = intro.read_text()
    line = text[: text.index("values: [88, 48, 32]")].count("\n") + 1
    intro.write_text(text.replace("values: [88, 48, 32]", "values: [88, 47, 32]"))
    result = run_compiler("book.yaml", cwd=project)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"chapters/tip-report.md:{line}: E192 chart 'Law enforcement against trafficking in Kazakhstan, 2009 "
        f"and 2010': 47 is not in the text of its source '{TIP_POST}' (a chart may only show numbers its source "
        "post states)"]
    assert "Traceback" not in result.stderr
    assert (project / "out" / built["pdf"].name).read_bytes() == built["pdf"].read_bytes()  # left as it was


def test_the_model_text_of_a_chart_is_walked(book_model) -> None:  # type: ignore[no-untyped-def]
    chapter = next(c for c in book_model.chapters if c.id == "tip-report")
    chart = next(b for b in chapter.intro.blocks if isinstance(b, Chart))
    assert chart.source == TIP_POST
    assert "Investigations" in plain_text(chapter.intro) or chart.labels[0] == "Investigations"


def test_a_line_charts_ids_are_the_ones_compiler_ids_names() -> None:
    from lxml import etree

    from compiler import ids

    chart = Chart("line", "L", ("A", "B", "C"), (Series("x", (1, 2, 3)), Series("y", (2, 3, 1))), (), "p")
    svg = etree.fromstring(str(charts.chart_svg(chart, "fig-b-1" + ids.CHART_SVG, ROOT / "styles" / "fonts")).encode())
    written = {e.get("id") for e in svg.iter() if e.get("id")}
    assert written == set(ids.chart_ids("fig-b-1", chart))


def test_a_chart_that_moves_to_the_next_page_leaves_the_text_before_it_whole() -> None:
    """A chart's caption opens its figure; print.css keeps a caption with the image above it
    (``break-before: avoid``), which, on a caption that opens its figure, would pass to the figure
    and pull the last lines of the paragraph before it onto the next page (Letter, 2026-11-30: the
    TIP chapter's opener held five lines, and its sixth was set in the first line's small caps)."""
    import weasyprint

    css = (ROOT / "styles" / "print.css").read_text(encoding="utf-8")
    rules = "\n".join(line for line in css.splitlines() if "figcaption" in line or "figure.chart {" in line)
    text = " ".join(["The report covers the prosecution of traffickers and the protection of victims."] * 6)
    html = (f"<html><head><style>@page {{ size: 120mm 100mm; margin: 10mm; }} body {{ font-size: 10pt; }}"
            f"{rules}</style></head><body><p>{text}</p><figure class='chart'><figcaption>Cases</figcaption>"
            "<div style='height: 60mm'></div></figure></body></html>")
    pages = weasyprint.HTML(string=html).render().pages
    assert len(pages) == 2
    first = [box for box in pages[0]._page_box.descendants() if type(box).__name__ == "LineBox"]
    second = [box for box in pages[1]._page_box.descendants() if type(box).__name__ == "LineBox"]
    assert len(first) >= 4 and all(getattr(line.element, "tag", "") != "p" for line in second)
    assert "figure > figcaption:first-child" in rules
