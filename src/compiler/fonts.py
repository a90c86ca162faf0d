"""The font plan in use: the stylesheets' font stacks, the fonts an edition carries, and W140.

:func:`compiler.glyphs.font_plan` decides which fonts draw what; this module
applies it to a book:

* **Stylesheets** name a stack by its role, ``var(--font-serif)``,
  ``var(--font-italic)``, ``var(--font-sans)`` or ``var(--font-mono)`` (``var(--font-serif-ja)``:
  Japanese text, its CJK family first in the PDF; also ``-ko``, ``-zh-hans``, ``-zh-hant``);
  :func:`apply_plan` writes the plan's ``font-family`` list in its place (the
  PDF's list ends with the installed Noto CJK families, the EPUB's does not:
  reading systems draw CJK with their own fonts) and puts the plan's
  ``@font-face`` rules before the first stylesheet. So no reader needs CSS
  variables, and no stylesheet can disagree with the plan.
* **The EPUB** carries only the shipped faces its text needs (:func:`needed_files`):
  a fallback or the code font is packed only when a character of the book is
  drawn by it.
* **W140**: :func:`glyph_warnings` walks each post as the templates set it
  (body in the serif stack; emphasis, captions, attributions, sign-offs and
  notes in the italic stack; code in the mono stack; the post's date and tags,
  an image placeholder's text in the sans stack) and names the post and the
  characters no font of the stack has.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import fields, is_dataclass
from functools import lru_cache
from pathlib import Path

from compiler import glyphs
from compiler.errors import Diagnostic
from compiler.glyphs import FontPlan, Glyphs, font_plan
from compiler.model import Book, Post
from compiler.model.entries import Comment
from compiler.model.nodes import (
    ROLE, Blockquote, Code, CodeBlock, Embed, Emphasis, Figure, Image, Link, Note, Signoff, Table, Text)

ROLES = ("serif", "italic", "sans", "mono")
_VAR = re.compile(r"var\(\s*--font-(serif|italic|sans|mono)(?:-(ja|ko|zh-hans|zh-hant))?\s*\)")
#: Fields whose text the templates set in italic (captions, a quotation's attribution in <cite>).
_ITALIC_FIELDS = {"caption", "attribution"}


@lru_cache(maxsize=1)
def plan() -> FontPlan:
    return font_plan()


def apply_plan(css: str, pdf: bool, first: bool = False, files: Iterable[str] | None = None) -> str:
    """``css`` with every ``var(--font-<role>)`` replaced by the plan's stack for the edition, and
    (``first``: the first stylesheet) the plan's ``@font-face`` rules before it; ``files`` limits
    the rules to those shipped files (the EPUB's, see :func:`needed_files`)."""
    the_plan = plan()
    out = _VAR.sub(lambda m: _stack_css(m[1], m[2] or "", pdf), css)
    if first:
        faces = the_plan.font_face_css()
        if files is not None:
            keep = set(files)
            faces = "".join(rule + "\n" for rule in _face_rules(faces) if _face_file(rule) in keep)
        out = f"/* @font-face rules of the font plan (compiler/glyphs.py) */\n{faces}{out}"
    return out


def _stack_css(role: str, lang: str, pdf: bool) -> str:
    """A role's ``font-family`` list; with ``lang`` (``var(--font-serif-ja)``), in the PDF, that language's
    CJK family first, so that its punctuation, dashes and Latin letters are the CJK font's own."""
    stack = plan().stack(role)
    if not lang or not pdf:
        return stack.css(pdf=pdf)
    kind = {"serif": "Serif", "italic": "Serif", "sans": "Sans", "mono": "Sans Mono"}[role]
    first = glyphs.cjk_family(kind, {"zh-hans": "zh-Hans", "zh-hant": "zh-Hant"}.get(lang, lang))  # type: ignore[arg-type]
    rest = [f'"{f.name}"' for f in stack.families if f.name != first]
    return ", ".join([f'"{first}"', *rest, stack.generic])


def _face_rules(css: str) -> list[str]:
    return [m[0] for m in re.finditer(r"@font-face\s*\{[^}]*\}", css)]


def _face_file(rule: str) -> str:
    m = re.search(r"""url\(\s*["']?fonts/([^"')\s]+)""", rule)
    return m[1] if m else ""


@lru_cache(maxsize=1)
def system_digest() -> str:
    """The installed fonts the PDF's stacks fall back to (Noto CJK), as ``file#face:size:mtime`` lines:
    a layout made with other system fonts is another layout (part of the layout cache key)."""
    seen: dict[str, str] = {}
    for stack in plan().stacks:
        for family in stack.families:
            if family.system:
                for style in ("normal", "italic"):
                    ref = glyphs.system_font(family.name, style)
                    if ref is not None:
                        st = ref.path.stat()
                        seen[f"{ref.path}#{ref.index}"] = f"{st.st_size}:{st.st_mtime_ns}"
    return "\n".join(f"{k}:{v}" for k, v in sorted(seen.items()))


# ------------------------------------------------------------------ text by role


def _walk(node: object, role: str) -> Iterator[tuple[str, str]]:
    """(role, text) of every string the templates print from ``node``, iteratively."""
    stack: list[tuple[object, str]] = [(node, role)]
    while stack:
        item, face = stack.pop()
        if isinstance(item, str):
            yield face, item
            continue
        if isinstance(item, tuple):
            stack.extend((v, face) for v in reversed(item))
            continue
        if not is_dataclass(item):
            continue
        if isinstance(item, (Emphasis, Signoff, Note)):
            face = "italic"
        elif isinstance(item, (Code, CodeBlock)):
            face = "mono"
        for f in fields(item):
            value = getattr(item, f.name)
            kind = f.metadata.get(ROLE, "prose")
            if kind == "exempt" or isinstance(value, (int, float, bool)) or value is None:
                continue
            if kind == "code":
                stack.append((value, "mono"))
            elif isinstance(item, Image) and f.name in ("src", "alt"):
                stack.append((value, "sans"))  # a placeholder's label and address
            elif isinstance(item, Link) and f.name in ("href", "title"):
                continue  # not printed
            elif isinstance(item, Comment) and f.name == "author_url":
                continue
            elif isinstance(item, Comment) and f.name in ("author",):
                stack.append((value, "sans"))
            elif kind == "url" and not isinstance(item, Embed):
                continue
            elif f.name in _ITALIC_FIELDS and isinstance(item, (Figure, Image, Table, Embed, Blockquote)):
                stack.append((value, "italic"))
            elif isinstance(value, (str, tuple)) or is_dataclass(value):
                stack.append((value, face))


def post_texts(post: Post, comments: bool = True) -> dict[str, str]:
    """A post's printed text by font role (title, date line, body, footnotes, comments)."""
    parts: dict[str, list[str]] = {r: [] for r in ROLES}
    parts["serif"].append(post.title)
    parts["sans"].extend(post.tags)
    for face, text in _walk(post.content, "serif"):
        parts[face].append(text)
    if comments:
        for face, text in _walk(post.thread, "serif"):
            parts[face].append(text)
    return {r: "\n".join(t) for r, t in parts.items()}


def book_texts(book: Book) -> dict[str, str]:
    """Every printed text of the book by font role (what the EPUB must be able to draw)."""
    parts: dict[str, list[str]] = {r: [] for r in ROLES}
    meta = book.meta
    parts["serif"] += [meta.title, meta.subtitle, *meta.authors, meta.publisher, meta.rights, meta.description]
    parts["italic"] += [meta.subtitle, meta.title]
    parts["sans"] += [meta.publisher, *meta.authors, meta.title]
    for section in (*book.front, *book.back):
        parts["serif"].append(section.title)
        for face, text in _walk(section.content, "serif"):
            parts[face].append(text)
    for chapter in book.chapters:
        parts["serif"] += [chapter.title]
        parts["sans"] += [chapter.title]
        parts["italic"] += [chapter.subtitle]
        for face, text in _walk(chapter.intro, "italic"):
            parts[face].append(text)
        for post in chapter.posts:
            for role, text in post_texts(post).items():
                parts[role].append(text)
    return {r: "\n".join(t) for r, t in parts.items()}


# ------------------------------------------------------------------ stacks and checks


def stacks(style_dir: Path, pdf: bool = True, cache_dir: Path | None = None) -> dict[str, tuple[Glyphs, ...]]:
    """Each role's font stack on this machine (the italic role in its italic faces)."""
    p = plan()
    return {"serif": (p.stack("serif").glyphs(style_dir, "normal", pdf, cache_dir),),
            "italic": (p.stack("italic").glyphs(style_dir, "italic", pdf, cache_dir),),
            "sans": (p.stack("sans").glyphs(style_dir, "normal", pdf, cache_dir),),
            "mono": (p.stack("mono").glyphs(style_dir, "normal", pdf, cache_dir),)}


def missing_by_role(texts: dict[str, str], shipped: dict[str, tuple[Glyphs, ...]],
                    installed: Callable[[], dict[str, tuple[Glyphs, ...]]]) -> dict[str, set[str]]:
    """The characters each role's text needs and no font of its stack has: the shipped fonts first,
    the installed ones (``installed()``, read only when needed: Noto CJK is large) for the rest."""
    out: dict[str, set[str]] = {}
    for role, text in texts.items():
        lacking: set[str] = set()
        for stack in shipped[role]:
            lacking |= stack.missing(text)
        if lacking:
            rest: set[str] = set()
            for stack in installed()[role]:
                rest |= stack.missing("".join(sorted(lacking)))
            lacking = rest
        if lacking:
            out[role] = lacking
    return out


def glyph_warnings(book: Book, file: str = "", cache_dir: Path | None = None) -> list[Diagnostic]:
    """W140 for each post with a character that no font of its stack (in the PDF) can draw."""
    style = book.output.style_dir
    shipped = stacks(style, False, cache_dir)
    full: list[dict[str, tuple[Glyphs, ...]]] = []

    def installed() -> dict[str, tuple[Glyphs, ...]]:
        if not full:
            full.append(stacks(style, True, cache_dir))
        return full[0]

    out: list[Diagnostic] = []
    for post in book.posts:
        lacking = missing_by_role(post_texts(post), shipped, installed)
        chars = set().union(*lacking.values()) if lacking else set()
        roles = ", ".join(f"the {r} fonts" for r in ROLES if r in lacking)
        warning = glyphs.glyph_warning(post.id, post.title, chars, fonts=roles or "the book's fonts", file=file)
        if warning is not None:
            out.append(warning)
    return out


def needed_files(book: Book, cache_dir: Path | None = None) -> set[str]:
    """The shipped font files the EPUB needs: each role's first family always, a later one (a
    fallback, the code font) when it draws a character of the book that the families before it lack."""
    style = book.output.style_dir
    texts = book_texts(book)
    files: set[str] = set()
    for stack in plan().stacks:
        text = texts.get(stack.role, "")
        chars = {c for c in set(text) if glyphs.drawn(c)}
        covered: set[str] = set()
        for n, family in enumerate(stack.families):
            if family.system:
                continue
            names = [name for _style, name in family.files]
            points: frozenset[int] = frozenset()
            for name in names:
                points |= glyphs.coverage(style / "fonts" / name, cache_dir)
            draws = {c for c in chars - covered if ord(c) in points}
            if (n == 0 and (chars or stack.role in ("serif", "sans"))) or draws:
                files.update(names)
            covered |= draws
    return files
