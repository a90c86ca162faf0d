"""Checks of book.yaml that need the file system or the posts.

Paths must exist and stay inside the project; source globs must match, within
bounds (:mod:`.globs`), and only archive pages; included Markdown holds no
control character; the output folder is a folder apart from every input;
values the schema lets through must fit every output (the book's date, the
basename, title patterns that cannot backtrack for ever: :mod:`.patterns`);
chapters must name known posts, each placed once, and none may be empty (:mod:`.rules`);
corrections must still match their post. Checks read the raw data
defensively, so they run (and report) even where the schema found errors;
post ids are checked only against a complete set of posts.
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from compiler import files
from compiler.errors import CompilerError, Diagnostic
from compiler.ingest.text import codepoint, first_control, shown
from compiler.manifest.globs import MAX_MATCHES, GlobLimit, bounded_glob
from compiler.manifest.patterns import risk
from compiler.manifest.yamlsrc import Located
from compiler.model import Post


#: The most archive pages, and bytes of them, a book may read.
MAX_PAGES = MAX_MATCHES
MAX_SOURCE_BYTES = 200 * 1024 * 1024


#: The dates every output can hold: an EPUB's zip timestamps run from 1980 to 2107.
FIRST_DATE, LAST_DATE = dt.date(1980, 1, 1), dt.date(2107, 12, 31)
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{n}" for n in range(1, 10)), *(f"LPT{n}" for n in range(1, 10))}


def _day(value: dt.date) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


_MAGIC = re.compile(r"[*?\[]")


def _has_front_matter(path: Path) -> bool:
    """Whether a Markdown file opens with a static site's front matter (``---`` or ``+++``)."""
    try:
        with open(path, "rb") as handle:
            return handle.readline(64).removeprefix(b"\xef\xbb\xbf").rstrip() in (b"---", b"+++")
    except OSError:
        return False


def _size(path: Path) -> int:
    if path.is_dir():
        return 0
    try:
        return path.stat().st_size
    except OSError:
        return 0


@dataclass
class Checker:
    """Collects diagnostics for one manifest."""

    located: Located
    file: str
    root: Path

    def __post_init__(self) -> None:
        self.diagnostics: list[Diagnostic] = []
        self.sources_complete = True  # False once a source glob failed: post ids cannot be checked
        self._read: set[Path] = set()  # Markdown files checked already

    def add(self, code: str, message: str, path: tuple[Any, ...], hint: str, warning: bool = False) -> None:
        line, col = self.located.where(path)
        self.diagnostics.append(Diagnostic(code, message, self.file, line, col, hint, warning))

    def get(self, *path: Any) -> Any:
        data = self.located.data
        for part in path:
            if isinstance(part, int) and isinstance(data, list) and part < len(data):
                data = data[part]
            elif isinstance(part, str) and isinstance(data, dict):
                data = data.get(part)
            else:
                return None
        return data

    def items(self, *path: Any) -> Iterator[tuple[int, Any]]:
        value = self.get(*path)
        return iter(enumerate(value)) if isinstance(value, list) else iter(())

    # -- paths ---------------------------------------------------------------
    def project_path(self, value: Any, path: tuple[Any, ...], must_exist: bool = True,
                     directory: bool = False) -> Path | None:
        """Resolve a path written in the manifest; report escapes and missing files."""
        if not isinstance(value, str) or not value or tuple(path) in self.located.refused:
            return None
        pure = PurePosixPath(value)
        if pure.is_absolute() or Path(value).is_absolute():
            self.add("E210", f"absolute path '{shown(value)}' is not allowed", path,
                     "write paths relative to the manifest's folder")
            return None
        target = self.root / value
        if ".." in pure.parts or not files.inside(self.root, target):
            self.add("E211", f"path '{shown(value)}' leads outside the project", path,
                     "keep every input inside the manifest's folder (no '..', no symlinks out)")
            return None
        if must_exist and not (target.is_dir() if directory else target.is_file()):
            kind = "folder" if directory else "file"
            self.add("E212", f"{kind} '{shown(value)}' does not exist", path, f"create the {kind} or fix the path")
            return None
        return target

    def sources(self) -> list[Path]:
        """Every archive page the source globs match (a bounded walk: see :mod:`.globs`)."""
        found: list[Path] = []
        total = 0
        for i, pattern in self.items("sources"):
            if not isinstance(pattern, str) or not pattern:
                self.sources_complete = False
                continue
            if self.project_path(pattern, ("sources", i), must_exist=False) is None:
                self.sources_complete = False
                continue
            before = len(self.diagnostics)
            folder = self.root / pattern
            matches = [folder] if not _MAGIC.search(pattern) and folder.is_dir() else self._glob(pattern, ("sources", i))
            outside = [m for m in matches if not files.inside(self.root, m)]
            for m in outside:
                self.add("E211", f"source '{shown(m.name)}' is a link that leads outside the project",
                         ("sources", i), "copy the page into sources/ instead of linking it")
            matches = [m for m in matches if m not in outside]
            if not matches and not outside and len(self.diagnostics) == before:
                self.add("E213", f"source glob '{shown(pattern)}' matches no file", ("sources", i),
                         "check the pattern, e.g. 'sources/*.txt'")
            if (other := next((m for m in matches if self._not_a_page(m)), None)) is not None:
                self.add("E253", f"source glob '{shown(pattern)}' matches '{shown(self._rel(other))}', which is "
                         "not an archive page", ("sources", i), "narrow the pattern, e.g. 'sources/*.txt'")
                matches = []
            if len(self.diagnostics) > before:
                self.sources_complete = False
            for m in matches:
                if m not in found:
                    found.append(m)
                    total += _size(m)
            if len(found) > MAX_PAGES or total > MAX_SOURCE_BYTES:
                self.add("E251", f"the sources add up to {len(found):,} pages and {total:,} bytes, over the limits "
                         f"of {MAX_PAGES:,} pages and {MAX_SOURCE_BYTES:,} bytes", ("sources", i),
                         "a book holds fewer pages: narrow the globs")
                self.sources_complete = False
                return []
        return found

    def _glob(self, pattern: str, path: tuple[Any, ...]) -> list[Path]:
        try:
            return bounded_glob(self.root, pattern)
        except GlobLimit as exc:
            if exc.kind == "loop":
                self.add("E252", f"source glob '{shown(pattern)}' runs into a symbolic link loop at "
                         f"'{shown(exc.where)}'", path, "remove the link, or write a pattern without '**'")
            else:
                self.add("E250", f"source glob '{shown(pattern)}' looks at more than "
                         f"{exc.limit:,} "
                         f"{'files and folders' if exc.kind == 'entries' else 'files'}", path,
                         "narrow the pattern, e.g. 'sources/*.txt'")
            return []

    def _rel(self, path: Path) -> str:
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return path.name

    def _not_a_page(self, path: Path) -> bool:
        """The manifest, a Markdown file, a style or an output: never an archive page."""
        resolved = path.resolve()
        if resolved.is_dir():  # a static site's folder: its reader says whether it holds posts
            return False
        if resolved.suffix.lower() in (".md", ".markdown") and _has_front_matter(resolved):
            return False  # a static site's post (editorial Markdown has no front matter)
        if resolved.suffix.lower() in (".yaml", ".yml", ".md", ".pdf", ".epub", ".json"):
            return True
        style = self.get("output", "style")
        style = style if isinstance(style, str) and style else "styles"
        return files.inside(self.root / style, resolved) and (self.root / style).resolve() != self.root.resolve()

    def files(self) -> None:
        """Front and back matter, chapter intros and the style folder."""
        for part in ("front_matter", "back_matter"):
            for i, section in self.items(part):
                if isinstance(section, dict):
                    self.markdown(self.project_path(section.get("file"), (part, i, "file")))
        for i, chapter in self.items("chapters"):
            if isinstance(chapter, dict) and chapter.get("intro") is not None:
                self.markdown(self.project_path(chapter.get("intro"), ("chapters", i, "intro")))
        style = self.get("output", "style")
        if style is not None:
            target = self.project_path(style, ("output", "style"), directory=True)
            if target is not None and not (target / "templates").is_dir():
                self.add("E214", f"style folder '{shown(style)}' has no templates/ folder", ("output", "style"),
                         "point output.style at a folder like 'styles'")

    def markdown(self, path: Path | None) -> None:
        """A Markdown file the book includes: readable, and free of control characters (which no
        XHTML can hold), reported at their own line and column in that file."""
        if path is None or path in self._read:
            return
        self._read.add(path)
        name = self._rel(path)
        try:
            text = files.decode(files.read_bytes(path), name)
        except CompilerError as exc:
            self.diagnostics.extend(exc.diagnostics)
            return
        for number, line in enumerate(text.split("\n"), 1):
            if (column := first_control(line)) is not None:
                self.diagnostics.append(Diagnostic(
                    "E256", f"control character {codepoint(line[column])} in a Markdown file", name, number,
                    column + 1, "remove it: no output can show it"))
                return

    def output_dir(self, manifest: Path, sources: Sequence[Path]) -> None:
        """The output folder: inside the project, a folder (or nothing yet), and apart from every input
        (a build writes there and deletes its stale temporary files there)."""
        value = self.get("output", "dir")
        where = ("output", "dir")
        target = self.project_path(value if value is not None else "out", where, must_exist=False)
        if target is None:
            return
        shown_dir = shown(value if value is not None else "out")
        blocking = next((p for p in (target, *target.parents) if p.exists()), None)
        if blocking is not None and not blocking.is_dir():
            what = "is a file" if blocking == target else f"lies under the file '{shown(self._rel(blocking))}'"
            self.add("E247", f"output folder '{shown_dir}' {what}", where,
                     "name a folder (it is created when missing), e.g. 'out'")
            return
        out = target.resolve()
        if out == self.root.resolve():
            self.add("E248", f"output folder '{shown_dir}' is the project folder", where,
                     "write the book to a folder of its own, e.g. 'out'")
            return
        inputs = [manifest, *sources, *self._named_files()]
        style = self.get("output", "style")
        style = "styles" if style is None else style
        if isinstance(style, str) and style:
            inputs.append(self.root / style)
            if files.inside(self.root / style, out) and (self.root / style).resolve() != self.root.resolve():
                self.add("E248", f"output folder '{shown_dir}' lies in the style folder", where,
                         "write the book to a folder of its own, e.g. 'out'")
                return
        held = next((p for p in inputs if files.inside(out, p)), None)
        if held is not None:
            self.add("E248", f"output folder '{shown_dir}' holds the input '{shown(self._rel(held))}'", where,
                     "write the book to a folder of its own, e.g. 'out'")

    def _named_files(self) -> list[Path]:
        named = [self.get(part, i, "file") for part in ("front_matter", "back_matter")
                 for i, _ in self.items(part)]
        named += [self.get("chapters", i, "intro") for i, _ in self.items("chapters")]
        return [self.root / p for p in named if isinstance(p, str) and p and not PurePosixPath(p).is_absolute()]

    def values(self) -> None:
        """Values the schema lets through that an output cannot hold."""
        date = self.get("book", "date")
        if isinstance(date, dt.date) and not FIRST_DATE <= _day(date) <= LAST_DATE:
            self.add("E245", f"book.date {date.isoformat()} is outside {FIRST_DATE} to {LAST_DATE}",
                     ("book", "date"), "an EPUB's zip timestamps hold no other years")
        for c, _ in self.items("chapters"):
            pattern = self.get("chapters", c, "rule", "title_matches")
            if isinstance(pattern, str) and (why := risk(pattern)) is not None:
                self.add("E254", f"title pattern '{shown(pattern)}' could take years to match: {why}",
                         ("chapters", c, "rule", "title_matches"), "write a plainer pattern, e.g. 'Part|Chapter'")
        basename = self.get("output", "basename")
        if isinstance(basename, str) and basename.split(".")[0].upper() in _RESERVED:
            self.add("E246", f"basename '{shown(basename)}' is a reserved device name on Windows",
                     ("output", "basename"), "choose another name, e.g. the title's words")

    def environment(self) -> None:
        """``SOURCE_DATE_EPOCH``, when it is set, must also lie in the range the outputs hold."""
        epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
        if not epoch or not re.fullmatch(r"-?\d{1,20}", epoch):
            return  # unset, or not a number (which the build reports as E231)
        first = int(dt.datetime.combine(FIRST_DATE, dt.time(), dt.timezone.utc).timestamp())
        last = int(dt.datetime.combine(LAST_DATE, dt.time(23, 59, 59), dt.timezone.utc).timestamp())
        if not first <= int(epoch) <= last:
            self.diagnostics.append(Diagnostic(
                "E245", f"SOURCE_DATE_EPOCH={shown(epoch)} is outside {FIRST_DATE} to {LAST_DATE}", "environment",
                hint=f"set it to a Unix time from {first} to {last}"))

    # -- posts ---------------------------------------------------------------
    def unknown(self, post_id: Any, ids: Sequence[str], path: tuple[Any, ...]) -> bool:
        if not isinstance(post_id, str) or post_id in ids:
            return False
        if not post_id or tuple(path) in self.located.refused:
            return True  # reported already (empty, too long, a control character): not also as unknown
        close = difflib.get_close_matches(post_id, ids, n=3, cutoff=0.5)
        hint = "did you mean " + " or ".join(f"'{shown(c)}'" for c in close) + "?" if close else \
            "run 'python -m compiler posts sources/' to list the ids"
        self.add("E220", f"unknown post id '{shown(post_id)}'", path, hint)
        return True

    def placements(self, posts: Sequence[Post], strict: bool) -> dict[str, list[str]]:
        """Which posts each chapter takes (:func:`compiler.manifest.rules.place`)."""
        from compiler.manifest.rules import place

        return place(self, posts, strict)

    def corrections(self, posts: Sequence[Post]) -> None:
        by_id = {p.id: p for p in posts}
        for i, fix in self.items("corrections"):
            if not isinstance(fix, dict) or not isinstance(fix.get("find"), str) or not fix["find"] or \
                    ("corrections", i, "find") in self.located.refused:
                continue
            post = by_id.get(fix.get("post"))  # type: ignore[arg-type]
            if post is None:
                self.unknown(fix.get("post"), list(by_id), ("corrections", i, "post"))
                continue
            if not any(fix["find"] in text for text in (post.title, *post.paragraphs)):
                self.add("E224", f"correction '{shown(fix['find'])}' no longer matches post '{shown(post.id)}'",
                         ("corrections", i, "find"), "the text changed: update or remove the correction")

