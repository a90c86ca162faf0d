"""Golden tests, one per node type: source HTML → model (JSON) → XHTML through styles/templates/nodes.html.

Each folder of tests/golden/nodes holds ``input.html`` (and ``footnotes.json``
when the case needs the block editor's footnotes), ``model.json`` (the model
and the warnings) and ``output.xhtml``. After a deliberate change, rewrite
them with ``UPDATE_GOLDEN=1 pytest tests/test_golden_nodes.py`` and read the diff.
"""

import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from compiler.ingest.html import html_to_content
from compiler.model import nodes
from compiler.model.nodes import to_data
from compiler.render.nodes import render_content

ROOT = Path(__file__).parent / "golden" / "nodes"
STYLE = Path(__file__).parents[1] / "styles"
CASES = sorted(p.name for p in ROOT.iterdir() if p.is_dir())
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"


def run(case):
    folder = ROOT / case
    notes = folder / "footnotes.json"
    footnotes = [tuple(pair) for pair in json.loads(notes.read_text())] if notes.exists() else []
    warnings = []
    content = html_to_content((folder / "input.html").read_text(), "golden", warnings.append, footnotes)
    model = json.dumps({"content": to_data(content), "warnings": warnings}, ensure_ascii=False, indent=1) + "\n"
    return content, model, str(render_content(content, case, STYLE)).strip() + "\n"


@pytest.mark.parametrize("case", CASES)
def test_golden(case):
    content, model, xhtml = run(case)
    folder = ROOT / case
    if UPDATE:
        (folder / "model.json").write_text(model)
        (folder / "output.xhtml").write_text(xhtml)
    assert model == (folder / "model.json").read_text()
    assert xhtml == (folder / "output.xhtml").read_text()
    ET.fromstring(f'<div xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops">{xhtml}</div>')


def test_every_node_type_has_a_golden():
    seen = set()
    for case in CASES:
        stack = [run(case)[0]]
        while stack:
            node = stack.pop()
            seen.add(type(node).__name__)
            for value in (getattr(node, f) for f in getattr(node, "__dataclass_fields__", {})):
                items = value if isinstance(value, tuple) else (value,)
                stack.extend(v for v in items if hasattr(v, "__dataclass_fields__"))
    # Signoff, Note: archive pages only; Chart, Series: editorial Markdown only (tests/test_charts.py)
    made_by_html = {t.__name__ for t in nodes.NODE_TYPES} - {"Signoff", "Note", "Chart", "Series"}
    assert made_by_html <= seen, made_by_html - seen


def test_archive_page_blocks_render():
    from compiler.model.nodes import Content, Note, Signoff
    xhtml = str(render_content(Content((Signoff(("Yours truly,", "Ann")), Note("(to be continued)"))), "p", STYLE))
    assert '<p id="p-b-1" class="signoff">Yours truly,<br/>Ann</p>' in xhtml
    assert '<p id="p-b-2" class="note">(to be continued)</p>' in xhtml
