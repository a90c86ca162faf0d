"""No tofu, ever: which characters the book's fonts cannot draw.

A :class:`Glyphs` is a font stack (the shipped fonts of ``styles/fonts/``,
then system fallbacks that fontconfig finds for a named family); its
:meth:`Glyphs.missing` is the set of characters of a text that no font in
the stack has in its ``cmap``. Characters that are never drawn are ignored:
whitespace, controls (Cc) and Default_Ignorable_Code_Point characters (soft
hyphen, zero-width joiners, variation selectors, bidi controls). As HarfBuzz
does when shaping, a character whose canonical decomposition the fonts can
draw counts as drawn (``é`` as ``e`` + U+0301), and text is matched in NFC.

Coverage is read with fontTools and cached by the font file's SHA-256 (and
the face index of a collection such as ``NotoSerifCJK-Regular.ttc``), in the
process and, given a ``cache_dir``, on disk; a cache that cannot be written
is ignored.

:func:`font_plan` says which fonts draw what (the integrator turns it into
CSS): the shipped EB Garamond 12 lacks Kazakh (and, in the italic, more
Cyrillic) letters, which ``EB Garamond Fallback`` (a subset of EB Garamond
1.003 made for this) supplies; Greek (also polytonic) is in EB Garamond 12;
code is set in Noto Sans Mono; CJK text in the PDF falls back to Debian's
``fonts-noto-cjk`` (Noto Serif/Sans/Sans Mono CJK, per language), which is too
big to ship or embed in an EPUB, where the reading system's fonts draw it.

:func:`glyph_warning` is the build's warning, W140, naming the post.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Literal

import icu
from fontTools.ttLib import TTFont, TTLibError  # type: ignore[import-untyped]

from compiler.errors import Diagnostic

Source = Literal["shipped", "system"]
_IGNORABLE = icu.UProperty.DEFAULT_IGNORABLE_CODE_POINT
#: Characters HarfBuzz draws with another glyph when the font lacks them.
_SUBSTITUTES = {"\u2010": "-", "\u2011": "-"}
#: At most this many characters are named in one warning.
WARN_LIMIT = 12


@dataclass(frozen=True, slots=True)
class FontRef:
    """One face of a font file: ``index`` picks the face in a collection (``.ttc``)."""

    path: Path
    index: int = 0
    family: str = ""
    style: str = "normal"  # CSS font-style: normal or italic
    source: Source = "shipped"


# ------------------------------------------------------------------ coverage


_HASHES: dict[tuple[str, int, int], str] = {}
_COVERAGE: dict[tuple[str, int], frozenset[int]] = {}


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file, remembered per (path, size, mtime) in the process."""
    st = path.stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    digest = _HASHES.get(key)
    if digest is None:
        h = hashlib.sha256()
        with path.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        digest = _HASHES[key] = h.hexdigest()
    return digest


def coverage(font: FontRef | Path, cache_dir: Path | None = None) -> frozenset[int]:
    """The code points a font face maps to a glyph (its best ``cmap``), cached by the file's SHA-256."""
    ref = font if isinstance(font, FontRef) else FontRef(font)
    key = (file_sha256(ref.path), ref.index)
    cached = _COVERAGE.get(key)
    if cached is not None:
        return cached
    disk = cache_dir / f"cmap-{key[0]}-{key[1]}.json" if cache_dir is not None else None
    if disk is not None:
        cached = _read_ranges(disk)
    if cached is None:
        try:
            with TTFont(ref.path, fontNumber=ref.index, lazy=True) as tt:
                cmap = tt.getBestCmap() or {}
        except (TTLibError, OSError, AssertionError, KeyError, ValueError) as exc:
            raise ValueError(f"{ref.path}: not a font fontTools can read ({exc})") from None
        cached = frozenset(cmap)
        if disk is not None:
            _write_ranges(disk, cached)
    _COVERAGE[key] = cached
    return cached


def _ranges(points: frozenset[int]) -> list[list[int]]:
    out: list[list[int]] = []
    for cp in sorted(points):
        if out and out[-1][1] == cp - 1:
            out[-1][1] = cp
        else:
            out.append([cp, cp])
    return out


def _read_ranges(path: Path) -> frozenset[int] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return frozenset(cp for start, end in data["ranges"] for cp in range(int(start), int(end) + 1))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write_ranges(path: Path, points: frozenset[int]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".cmap-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump({"ranges": _ranges(points)}, f, separators=(",", ":"))
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError:
        pass  # a cache that cannot be written costs only time


@lru_cache(maxsize=4096)
def drawn(char: str) -> bool:
    """Whether ``char`` puts ink on the page: not whitespace, a control or a default-ignorable."""
    if char.isspace() or unicodedata.category(char) == "Cc":
        return False
    return not icu.Char.hasBinaryProperty(char, _IGNORABLE)


@dataclass(frozen=True)
class Glyphs:
    """A font stack: a character is drawn when any of ``fonts`` has it."""

    fonts: tuple[FontRef, ...]
    cache_dir: Path | None = None
    _points: frozenset[int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        points: frozenset[int] = frozenset()
        for font in self.fonts:
            points |= coverage(font, self.cache_dir)
        object.__setattr__(self, "_points", points)

    @classmethod
    def of(cls, fonts: Iterable[FontRef | Path], cache_dir: Path | None = None) -> Glyphs:
        """A stack of font files or faces, in order."""
        return cls(tuple(f if isinstance(f, FontRef) else FontRef(f) for f in fonts), cache_dir)

    def covers(self, char: str) -> bool:
        """Whether the stack draws ``char`` (or needs not draw it)."""
        if not drawn(char) or ord(char) in self._points:
            return True
        substitute = _SUBSTITUTES.get(char)
        if substitute is not None and ord(substitute) in self._points:
            return True
        decomposed = unicodedata.normalize("NFD", char)
        return decomposed != char and all(not drawn(c) or ord(c) in self._points for c in decomposed)

    def missing(self, text: str) -> set[str]:
        """The characters of ``text`` (in NFC) that no font of the stack has a glyph for."""
        return {c for c in set(unicodedata.normalize("NFC", text)) if not self.covers(c)}


def missing(text: str, fonts: Glyphs | Iterable[FontRef | Path]) -> set[str]:
    """The characters of ``text`` that ``fonts`` cannot draw (see :meth:`Glyphs.missing`)."""
    stack = fonts if isinstance(fonts, Glyphs) else Glyphs.of(fonts)
    return stack.missing(text)


def describe(chars: Iterable[str]) -> str:
    """``U+1F600 GRINNING FACE, U+E000 (private use)``, in code point order, for messages."""
    out = []
    for c in sorted(chars):
        name = unicodedata.name(c, "")
        if not name:
            name = "(private use)" if unicodedata.category(c) == "Co" else "(unnamed)"
        out.append(f"U+{ord(c):04X} {name}")
    return ", ".join(out)


def glyph_warning(post_id: str, title: str, chars: set[str], fonts: str = "the book's fonts",
                  file: str = "") -> Diagnostic | None:
    """W140 naming the post and the characters (by code point) that would print as empty boxes."""
    if not chars:
        return None
    shown = sorted(chars)[:WARN_LIMIT]
    more = f" and {len(chars) - len(shown)} more" if len(chars) > len(shown) else ""
    return Diagnostic("W140", f"post {post_id!r} ({title}): no glyph in {fonts} for {describe(shown)}{more}",
                      file=file, hint="these would print as empty boxes: add a font that has them, "
                      "or replace the characters with a correction", warning=True)


# ------------------------------------------------------------------ fontconfig


def _fc(*args: str) -> list[list[str]]:
    exe = shutil.which(args[0])
    if exe is None:
        return []
    try:
        done = subprocess.run([exe, *args[1:]], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return []
    return [line.split("\t") for line in done.stdout.splitlines() if line.count("\t") == 3]


_FC_FORMAT = "%{family}\t%{style}\t%{file}\t%{index}\n"


def _style_of(fc_style: str) -> str:
    return "italic" if re.search(r"italic|oblique", fc_style, re.I) else "normal"


def _same_family(listed: str, family: str) -> bool:
    return family.casefold() in (f.strip().casefold() for f in listed.split(","))


def system_font(family: str, style: str = "normal") -> FontRef | None:
    """The face fontconfig picks for ``family`` (``fc-match``), or None when no font of that family is installed.

    fc-match always answers with some font; only an answer of the family asked
    for counts, so a missing package is never hidden by DejaVu.
    """
    pattern = f"{family}:style={'Italic' if style == 'italic' else 'Regular'}"
    for fam, fc_style, file, index in _fc("fc-match", "-f", _FC_FORMAT, pattern):
        if _same_family(fam, family) and file:
            return FontRef(Path(file), int(index or 0), family, style if _style_of(fc_style) == style else
                           _style_of(fc_style), "system")
    return None


def system_fonts(family: str) -> list[FontRef]:
    """Every installed face of ``family`` (``fc-list``), in a stable order."""
    rows = _fc("fc-list", "-f", _FC_FORMAT, family)
    refs = {FontRef(Path(file), int(index or 0), family, _style_of(st), "system")
            for fam, st, file, index in rows if _same_family(fam, family) and file}
    return sorted(refs, key=lambda r: (str(r.path), r.index))


# ------------------------------------------------------------------ the plan

_FACE = re.compile(r"@font-face\s*\{(?P<body>[^}]*)\}", re.I)
_DECL = re.compile(r"(?P<prop>font-family|font-style|src)\s*:\s*(?P<value>[^;]+)", re.I)
_URL = re.compile(r"""url\(\s*["']?(?P<url>[^"')]+)["']?\s*\)""")


def font_faces(css: str, base: Path) -> list[FontRef]:
    """The fonts a stylesheet's ``@font-face`` rules load from files (``src: url(...)``), in order."""
    out = []
    for face in _FACE.finditer(css):
        decls = {m["prop"].lower(): m["value"].strip() for m in _DECL.finditer(face["body"])}
        url = _URL.search(decls.get("src", ""))
        if not url or ":" in url["url"]:
            continue  # not a local file (the fetcher refuses it anyway)
        family = decls.get("font-family", "").strip("\"' ")
        style = "italic" if decls.get("font-style", "").lower() in ("italic", "oblique") else "normal"
        out.append(FontRef(base / url["url"], 0, family, style, "shipped"))
    return out


@dataclass(frozen=True, slots=True)
class Family:
    """One family of a stack: shipped ``files`` (style -> file name in styles/fonts) or a system family."""

    name: str
    files: tuple[tuple[str, str], ...] = ()
    package: str = ""  # the Debian package that installs a system family
    why: str = ""

    @property
    def system(self) -> bool:
        return not self.files


@dataclass(frozen=True, slots=True)
class Stack:
    """A CSS font-family list for one role (``serif``, ``italic``, ``sans``, ``mono``), first choice first."""

    role: str
    families: tuple[Family, ...]
    generic: str

    def css(self, pdf: bool = True) -> str:
        """The ``font-family`` value (system families only for the PDF: an EPUB cannot carry them)."""
        names = [f'"{f.name}"' for f in self.families if pdf or not f.system]
        return ", ".join([*names, self.generic])

    def glyphs(self, style_dir: Path, style: str = "normal", pdf: bool = True,
               cache_dir: Path | None = None) -> Glyphs:
        """The stack's fonts on this machine for ``style``: shipped files, then installed system faces."""
        refs: list[FontRef] = []
        for fam in self.families:
            if not fam.system:
                files = dict(fam.files)
                name = files.get(style) or files.get("normal")
                if name:
                    refs.append(FontRef(style_dir / "fonts" / name, 0, fam.name, style, "shipped"))
            elif pdf:
                found = system_font(fam.name, style)
                if found is not None:
                    refs.append(found)
        return Glyphs(tuple(refs), cache_dir)


#: Noto CJK's family per language, for ``:lang()`` rules (Han characters differ by region).
CJK_LANGUAGES = {"ja": "JP", "ko": "KR", "zh-Hans": "SC", "zh-CN": "SC", "zh-SG": "SC", "zh": "SC",
                 "zh-Hant": "TC", "zh-TW": "TC", "zh-HK": "HK", "zh-MO": "HK"}
CJK_PACKAGE = "fonts-noto-cjk"


def cjk_family(kind: Literal["Serif", "Sans", "Sans Mono"], lang: str = "ja") -> str:
    """The Noto CJK family for a language tag (``Noto Serif CJK SC`` for ``zh-Hans``); Japanese by default."""
    region = CJK_LANGUAGES.get(lang) or CJK_LANGUAGES.get(lang.split("-")[0], "JP")
    return f"Noto {kind} CJK {region}"


@dataclass(frozen=True, slots=True)
class FontPlan:
    """The book's font stacks, and the system packages they need."""

    stacks: tuple[Stack, ...]
    packages: tuple[str, ...]
    notes: tuple[str, ...]

    def stack(self, role: str) -> Stack:
        return next(s for s in self.stacks if s.role == role)

    def font_face_css(self, prefix: str = "fonts/") -> str:
        """``@font-face`` rules for every shipped file of the plan, URLs relative to the style folder."""
        rules: dict[tuple[str, str], str] = {}
        for s in self.stacks:
            for f in s.families:
                for style, name in f.files:
                    kind = "opentype" if name.endswith(".otf") else "truetype"
                    rules.setdefault((f.name, style), (
                        f'@font-face {{ font-family: "{f.name}"; font-style: {style}; font-weight: 400;\n'
                        f'  src: url("{prefix}{name}") format("{kind}"); }}'))
        return "\n".join(rules.values()) + "\n"

    def report(self) -> str:
        """A plain-text account: every stack's families, and why each is there."""
        lines = []
        for s in self.stacks:
            lines.append(f"{s.role}: font-family: {s.css()}  (EPUB: {s.css(pdf=False)})")
            for f in s.families:
                where = (", ".join(f"{st}: styles/fonts/{n}" for st, n in f.files) if f.files
                         else f"system font, Debian package {f.package}, PDF only")
                lines.append(f"  {f.name} [{where}] {f.why}")
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)


def font_plan() -> FontPlan:
    """Which fonts draw what in this book (decided from the fonts' coverage; see the module docstring)."""
    cjk_why = ("Chinese, Japanese and Korean: nothing shipped covers them; "
               "use :lang() rules with cjk_family() for Chinese and Korean text")
    serif = Stack("serif", (
        Family("EB Garamond", (("normal", "EBGaramond12-Regular.otf"), ("italic", "EBGaramond12-Italic.otf")),
               why="the text face: Latin, Russian Cyrillic, Greek (also polytonic)"),
        Family("EB Garamond Fallback", (("normal", "EBGaramondFallback-Regular.ttf"),
                                        ("italic", "EBGaramondFallback-Italic.ttf")),
               why="the letters EB Garamond 12 lacks: Kazakh Қ Ғ Ң Һ (and Ә Ү Ұ ґ... in the italic), "
                   "other Cyrillic alphabets, Latin in the italic"),
        Family(cjk_family("Serif"), package=CJK_PACKAGE, why=cjk_why),
    ), "serif")
    italic = Stack("italic", (
        Family("EB Garamond Italic", (("italic", "EBGaramond12-Italic.otf"),),
               why="the italic alone, as a family of its own: in the family \"EB Garamond\" fontconfig "
                   "would draw a letter the italic lacks (ә ү ұ) from the roman, slanted, before the fallback"),
        Family("EB Garamond Fallback", (("italic", "EBGaramondFallback-Italic.ttf"),),
               why="the italic letters EB Garamond 12 Italic lacks (Cyrillic, Latin)"),
        Family(cjk_family("Serif"), package=CJK_PACKAGE, why=cjk_why),
    ), "serif")
    sans = Stack("sans", (
        Family("Lato", (("normal", "Lato-Regular.ttf"),),
               why="headings and running heads: Latin, Cyrillic with Kazakh, Greek"),
        Family(cjk_family("Sans"), package=CJK_PACKAGE, why=cjk_why),
    ), "sans-serif")
    mono = Stack("mono", (
        Family("Noto Sans Mono", (("normal", "NotoSansMono-Regular.ttf"),),
               why="code: Latin, Cyrillic with Kazakh, Greek, box drawing, no italic (synthesised)"),
        Family(cjk_family("Sans Mono"), package=CJK_PACKAGE, why=cjk_why),
    ), "monospace")
    notes = (
        "set italic text (em, i, cite...) in the italic stack with font-style: italic; the serif stack in "
        "italic would draw ә ү ұ as slanted roman (still no tofu, but not the italic's letters)",
        "EPUB: system families are left out of the EPUB's stacks; reading systems draw CJK with their own fonts",
        f"PDF: the build's output depends on the installed {CJK_PACKAGE} when a post has CJK text; "
        "add the CJK font files' SHA-256 to the layout cache key",
        "every shipped file in styles/fonts/*.*tf is packed into the EPUB (epub/__init__.py)",
    )
    return FontPlan((serif, italic, sans, mono), (CJK_PACKAGE,), notes)
