"""What ``styles/templates/nodes.html`` needs from Python to render the rich model as XHTML.

:func:`register` adds the ``node_type`` filter (a node's class name, which
the macros dispatch on), ``typo`` and the ``footnote_numbers`` global to a
Jinja2 environment; :func:`render_content` renders one body on its own (for
goldens and previews), with the same autoescaping the book uses.
"""

from __future__ import annotations

from pathlib import Path

import jinja2
from markupsafe import Markup

from compiler.model.nodes import Content


def node_type(node: object) -> str:
    """The node's class name: ``Paragraph``, ``Text``…"""
    return type(node).__name__


def footnote_numbers(content: Content) -> dict[str, int]:
    """Footnote id → its number (1, 2…) in the order the footnotes are listed."""
    numbers: dict[str, int] = {}
    for footnote in content.footnotes:
        numbers.setdefault(footnote.id, len(numbers) + 1)
    return numbers


def register(env: jinja2.Environment) -> None:
    """Make ``nodes.html`` usable in ``env``."""
    from compiler import ids
    from compiler.render import typo

    env.filters.update(node_type=node_type, typo=typo)
    env.globals.update(footnote_numbers=footnote_numbers, ids=ids)


def environment(style_dir: Path) -> jinja2.Environment:
    """An environment like the book's (autoescape, strict) over ``style_dir/templates``."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(style_dir / "templates"), autoescape=True,
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    register(env)
    return env


def render_content(content: Content, owner: str, style_dir: Path) -> Markup:
    """One body as XHTML, through the ``content`` macro of ``nodes.html`` (ids ``<owner>-b-1``…)."""
    module = environment(style_dir).get_template("nodes.html").make_module()
    return Markup(str(module.content(content, owner)))  # type: ignore[attr-defined]
