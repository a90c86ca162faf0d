"""Checks of book.yaml that need the file system or the posts.

Paths must exist and stay inside the project; source globs must match;
chapters must name known posts, each placed once, and none may be empty;
corrections must still match their post. Checks read the raw data
defensively, so they run (and report) even where the schema found errors.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from compiler import files
from compiler.errors import Diagnostic
from compiler.manifest.yamlsrc import Located
from compiler.model import Post


@dataclass
class Checker:
    """Collects diagnostics for one manifest."""

    located: Located
    file: str
    root: Path

    def __post_init__(self) -> None:
        self.diagnostics: list[Diagnostic] = []

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
        if not isinstance(value, str) or not value:
            return None
        pure = PurePosixPath(value)
        if pure.is_absolute() or Path(value).is_absolute():
            self.add("E210", f"absolute path '{value}' is not allowed", path,
                     "write paths relative to the manifest's folder")
            return None
        target = self.root / value
        if ".." in pure.parts or not files.inside(self.root, target):
            self.add("E211", f"path '{value}' leads outside the project", path,
                     "keep every input inside the manifest's folder (no '..', no symlinks out)")
            return None
        if must_exist and not (target.is_dir() if directory else target.is_file()):
            kind = "folder" if directory else "file"
            self.add("E212", f"{kind} '{value}' does not exist", path, f"create the {kind} or fix the path")
            return None
        return target

    def sources(self) -> list[Path]:
        """Every archive page the source globs match."""
        found: list[Path] = []
        for i, pattern in self.items("sources"):
            if not isinstance(pattern, str) or not pattern:
                continue
            if self.project_path(pattern, ("sources", i), must_exist=False) is None:
                continue
            matches = files.glob(self.root, pattern)
            outside = [m for m in matches if not files.inside(self.root, m)]
            for m in outside:
                self.add("E211", f"source '{m.name}' is a link that leads outside the project",
                         ("sources", i), "copy the page into sources/ instead of linking it")
            matches = [m for m in matches if m not in outside]
            if not matches and not outside:
                self.add("E213", f"source glob '{pattern}' matches no file", ("sources", i),
                         "check the pattern, e.g. 'sources/*.txt'")
            found.extend(m for m in matches if m not in found)
        return found

    def files(self) -> None:
        """Front and back matter, chapter intros and the style folder."""
        for part in ("front_matter", "back_matter"):
            for i, section in self.items(part):
                if isinstance(section, dict):
                    self.project_path(section.get("file"), (part, i, "file"))
        for i, chapter in self.items("chapters"):
            if isinstance(chapter, dict) and chapter.get("intro") is not None:
                self.project_path(chapter.get("intro"), ("chapters", i, "intro"))
        style = self.get("output", "style")
        if style is not None:
            target = self.project_path(style, ("output", "style"), directory=True)
            if target is not None and not (target / "templates").is_dir():
                self.add("E214", f"style folder '{style}' has no templates/ folder", ("output", "style"),
                         "point output.style at a folder like 'styles'")
        out = self.get("output", "dir")
        if out is not None:
            self.project_path(out, ("output", "dir"), must_exist=False)

    # -- posts ---------------------------------------------------------------
    def unknown(self, post_id: Any, ids: Sequence[str], path: tuple[Any, ...]) -> bool:
        if not isinstance(post_id, str) or post_id in ids:
            return False
        close = difflib.get_close_matches(post_id, ids, n=3, cutoff=0.5)
        hint = "did you mean " + " or ".join(f"'{c}'" for c in close) + "?" if close else \
            "run 'python -m compiler posts sources/' to list the ids"
        self.add("E220", f"unknown post id '{post_id}'", path, hint)
        return True

    def placements(self, posts: Sequence[Post], strict: bool) -> dict[str, list[str]]:
        """Which posts each chapter takes; report unknown, twice-placed and unplaced posts."""
        ids = [p.id for p in posts]
        placed: dict[str, tuple[int, ...]] = {}
        chapters: dict[str, list[str]] = {}
        for c, chapter in self.items("chapters"):
            if not isinstance(chapter, dict):
                continue
            taken = self.chapter_posts(chapter, c, posts, ids)
            for post_id, where in taken:
                if post_id in placed:
                    first = self.located.where(placed[post_id])[0]
                    self.add("E221", f"post '{post_id}' is placed twice (first on line {first})", where,
                             "place each post in one chapter only")
                else:
                    placed[post_id] = where
            if not taken and isinstance(chapter.get("id"), str) and self._nothing_listed(chapter):
                self.add("E222", f"chapter '{chapter['id']}' has no posts", ("chapters", c),
                         "add post ids, widen its rule, or remove the chapter")
            chapters[str(chapter.get("id"))] = [p for p, _ in taken]
        for post_id in ids:
            if post_id not in placed:
                self.add("E223" if strict else "W223", f"post '{post_id}' is in no chapter", ("chapters",),
                         "add it to a chapter, or leave it out on purpose", warning=not strict)
        return chapters

    @staticmethod
    def _nothing_listed(chapter: dict[str, Any]) -> bool:
        """Empty on purpose (not because its entries were wrong, which is reported already)."""
        if isinstance(chapter.get("posts"), list):
            return not chapter["posts"]
        rule = chapter.get("rule")
        if not isinstance(rule, dict):
            return False
        pattern = rule.get("title_matches")
        try:
            re.compile(pattern) if isinstance(pattern, str) else None
        except re.error:
            return False
        return not chapter.get("include")

    def chapter_posts(self, chapter: dict[str, Any], c: int, posts: Sequence[Post],
                      ids: Sequence[str]) -> list[tuple[str, tuple[Any, ...]]]:
        taken: list[tuple[str, tuple[Any, ...]]] = []
        if isinstance(chapter.get("posts"), list):
            for i, post_id in enumerate(chapter["posts"]):
                if isinstance(post_id, str) and not self.unknown(post_id, ids, ("chapters", c, "posts", i)):
                    taken.append((post_id, ("chapters", c, "posts", i)))
            return taken
        rule = chapter.get("rule")
        if not isinstance(rule, dict):
            return taken
        for key in ("include", "exclude"):
            for i, post_id in self.items("chapters", c, key):
                self.unknown(post_id, ids, ("chapters", c, key, i))
        exclude = set(chapter.get("exclude") or [])
        include = [p for p in chapter.get("include") or [] if p in ids]
        for post in posts:
            if post.id not in exclude and (post.id in include or rule_matches(rule, post)):
                taken.append((post.id, ("chapters", c, "rule")))
        return taken

    def corrections(self, posts: Sequence[Post]) -> None:
        by_id = {p.id: p for p in posts}
        for i, fix in self.items("corrections"):
            if not isinstance(fix, dict) or not isinstance(fix.get("find"), str):
                continue
            post = by_id.get(fix.get("post"))  # type: ignore[arg-type]
            if post is None:
                self.unknown(fix.get("post"), list(by_id), ("corrections", i, "post"))
                continue
            if not any(fix["find"] in text for text in (post.title, *post.paragraphs)):
                self.add("E224", f"correction '{fix['find']}' no longer matches post '{post.id}'",
                         ("corrections", i, "find"), "the text changed: update or remove the correction")


def rule_matches(rule: dict[str, Any], post: Post) -> bool:
    """Whether a chapter rule (tags and/or a title pattern) takes a post."""
    tags = {t.casefold() for t in rule.get("tags") or [] if isinstance(t, str)}
    if tags and not tags & {t.casefold() for t in post.tags}:
        return False
    pattern = rule.get("title_matches")
    if isinstance(pattern, str):
        try:
            if not re.search(pattern, post.title, re.I):
                return False
        except re.error:
            return False
    return bool(tags) or isinstance(pattern, str)
