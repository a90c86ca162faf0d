"""A static site on disk: its root and generator, its settings, its post files and its images.

The root is the folder given or the nearest folder above it (at most
:data:`MAX_UP` levels) holding a generator's settings: Hugo
(``hugo.toml|yaml|json``, ``config.toml|yaml|yml|json``), Jekyll (``_config.yml``),
Eleventy (``eleventy.config.js``, ``.eleventy.js``) or Pelican
(``pelicanconf.py``, read with a pattern, never run). The book's title,
author and language come from there (Eleventy's ``_data/metadata.json``).

Posts are the ``.md`` / ``.markdown`` files below the folder given, walked in
name order within bounds (:data:`MAX_ENTRIES` entries looked at,
:data:`MAX_POSTS` files): hidden folders and the generator's own
(``themes``, ``layouts``, ``public``, ``_site``, ``node_modules``, ``static``…)
are skipped. A file is a *page* (front or back matter by slug), not a post,
when it is a Hugo ``_index.md``, lies directly in Hugo's ``content/``, in
Pelican's ``pages/``, outside Jekyll's ``_posts``/``_drafts``, or says
``layout: page`` / ``type: page``. In a Hugo page bundle, ``index.md`` is the
post and the bundle's other Markdown files are its resources.

Images: a relative path is looked for next to the post, in its page bundle,
then under the static folder at the post's URL and the section's
(``static/posts/<slug>/x.png``); a path starting with ``/`` in the static
folder, then the site's root. Nothing outside the site's root is ever
taken (``..``, links leading out).
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

import yaml

from compiler import files

MAX_UP = 4
MAX_ENTRIES = 20_000
MAX_POSTS = 5_000
MARKDOWN = (".md", ".markdown", ".mdown", ".mkd")
_SKIP = {"themes", "layouts", "public", "_site", "node_modules", "static", "assets", "resources", "output",
         "_includes", "_layouts", "_sass", "_data", "archetypes", "i18n", "data", "vendor"}
_CONFIGS = {
    "hugo": ("hugo.toml", "hugo.yaml", "hugo.yml", "hugo.json", "config.toml", "config.yaml", "config.yml",
             "config.json"),
    "jekyll": ("_config.yml", "_config.yaml", "_config.toml"),
    "eleventy": ("eleventy.config.js", "eleventy.config.mjs", "eleventy.config.cjs", ".eleventy.js"),
    "pelican": ("pelicanconf.py",),
}
_PELICAN = re.compile(r"^(SITENAME|AUTHOR|DEFAULT_LANG)\s*=\s*(['\"])(.*?)\2\s*$", re.M)
_JEKYLL_NAME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})-(.+)$")
MAX_CONFIG_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Site:
    """Where a site is and what made it."""

    root: Path
    generator: str  # hugo, jekyll, eleventy, pelican, or "" (Markdown files alone)
    config: Path | None

    @property
    def static(self) -> Path:
        return self.root / "static"


def find_site(start: Path) -> Site:
    """The site that ``start`` (a folder or a post file) belongs to."""
    folder = start if start.is_dir() else start.parent
    for at in [folder, *list(folder.parents)[:MAX_UP]]:
        for generator, names in _CONFIGS.items():
            for config in names:
                if (at / config).is_file():
                    return Site(at, generator, at / config)
        if (at / "_posts").is_dir():
            return Site(at, "jekyll", None)
    return Site(folder, "", None)


def _load(path: Path) -> Any:
    text = files.decode(files.read_bytes(path, MAX_CONFIG_BYTES), files.display_path(path))
    if path.suffix == ".toml":
        return tomllib.loads(text)
    if path.suffix == ".json":
        return json.loads(text)
    return yaml.safe_load(text)


def _person(value: Any) -> str:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, dict):
        return _person(value.get("name") or value.get("Name") or "")
    if isinstance(value, list):
        return ", ".join(p for p in (_person(v) for v in value) if p)
    return ""


def site_meta(site: Site) -> dict[str, str]:
    """Title, author and language from the site's settings ({} when there are none or they do not parse:
    ``init`` then asks the manifest's writer to fill them in)."""
    meta: dict[str, str] = {}
    try:
        if site.generator == "pelican" and site.config is not None:
            text = files.decode(files.read_bytes(site.config, MAX_CONFIG_BYTES), "pelicanconf.py")
            found = {m[1]: m[3] for m in _PELICAN.finditer(text)}
            return {"title": found.get("SITENAME", ""), "author": found.get("AUTHOR", ""),
                    "language": found.get("DEFAULT_LANG", "")}
        data: Any = {}
        if site.config is not None and site.generator in ("hugo", "jekyll"):
            data = _load(site.config)
        elif (site.root / "_data" / "metadata.json").is_file():
            data = _load(site.root / "_data" / "metadata.json")
    except Exception:  # noqa: BLE001 - settings are a courtesy: a broken one leaves the fields to fill in
        return meta
    if not isinstance(data, dict):
        return meta
    params: dict[str, Any] = data["params"] if isinstance(data.get("params"), dict) else {}
    title = data.get("title") or params.get("title") or data.get("name") or ""
    author = _person(data.get("author")) or _person(params.get("author")) or _person(data.get("authors"))
    language = data.get("languageCode") or data.get("defaultContentLanguage") or data.get("lang") \
        or data.get("language") or ""
    meta["title"] = str(title).strip() if isinstance(title, str) else ""
    meta["author"] = author
    meta["language"] = str(language).strip() if isinstance(language, str) else ""
    meta["link"] = str(data.get("baseURL") or data.get("url") or "") if isinstance(
        data.get("baseURL") or data.get("url") or "", str) else ""
    return meta


class TooMany(Exception):
    """The folder holds more entries or posts than a blog has (``kind``: entries or posts)."""

    def __init__(self, kind: str, limit: int) -> None:
        super().__init__(kind)
        self.kind, self.limit = kind, limit


def markdown_files(folder: Path) -> list[Path]:
    """Every Markdown file below ``folder`` (bounded, in name order, never through a link loop, never
    through a link that leads out of ``folder``)."""
    top = folder.resolve()
    found: list[Path] = []
    seen = 0
    stack = [folder]
    visited: set[tuple[int, int]] = set()
    while stack:
        at = stack.pop()
        try:
            info = at.stat()
            if (info.st_dev, info.st_ino) in visited:
                continue
            visited.add((info.st_dev, info.st_ino))
            with os.scandir(at) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError:
            continue
        subfolders = []
        for entry in entries:
            seen += 1
            if seen > MAX_ENTRIES:
                raise TooMany("entries", MAX_ENTRIES)
            if entry.name.startswith(".") or (entry.is_symlink() and not files.inside(top, Path(entry.path))):
                continue
            if entry.is_dir():
                if entry.name not in _SKIP:
                    subfolders.append(Path(entry.path))
            elif entry.name.lower().endswith(MARKDOWN) and entry.is_file():
                found.append(Path(entry.path))
                if len(found) > MAX_POSTS:
                    raise TooMany("posts", MAX_POSTS)
        stack.extend(reversed(subfolders))
    return sorted(found, key=lambda p: p.relative_to(folder).as_posix())


def _parts(site: Site, path: Path) -> tuple[str, ...]:
    try:
        return path.resolve().relative_to(site.root.resolve()).parts
    except ValueError:
        return path.parts[-2:]


def is_bundle_resource(path: Path) -> bool:
    """A Markdown file inside a Hugo page bundle that is not the bundle's ``index.md``."""
    return path.stem not in ("index", "_index") and (path.parent / "index.md").is_file()


def page_kind(site: Site, path: Path, fields: dict[str, Any]) -> str:
    """'post', 'page' or 'list' (a Hugo section's ``_index.md``: neither) for a Markdown file."""
    layout = str(fields.get("layout") or fields.get("type") or "").lower()
    if path.stem == "_index":
        return "list"
    if layout in ("page", "archives", "search", "home"):
        return "page"
    parts = _parts(site, path)
    if site.generator == "jekyll":
        return "post" if "_posts" in parts or "_drafts" in parts else "page"
    if site.generator == "pelican":
        return "page" if "pages" in parts[:-1] else "post"
    if site.generator == "hugo" and parts[:1] == ("content",) and len(parts) == 2:
        return "page"
    return "post"


def slug_of(path: Path, fields: dict[str, Any]) -> str:
    """The post's slug: the front matter's, else the file's (or its bundle's) name without a Jekyll date."""
    given = fields.get("slug")
    if isinstance(given, str) and given.strip():
        return given.strip()
    stem = path.parent.name if path.stem == "index" else path.stem
    found = _JEKYLL_NAME.match(stem)
    return found[4] if found else stem


def file_date(path: Path) -> str:
    """The date in a Jekyll file name (``2024-05-27-title.md``), or ''."""
    found = _JEKYLL_NAME.match(path.stem)
    return f"{found[1]}-{found[2]}-{found[3]}" if found else ""


def resolve_image(site: Site, post: Path, src: str) -> Path | None:
    """The local file an image of ``post`` names, inside the site's root, or None."""
    parts = urlsplit(src)
    if parts.scheme or parts.netloc or not parts.path:
        return None
    target = PurePosixPath(unquote(parts.path))
    if ".." in target.parts or "\\" in parts.path or "\x00" in parts.path:
        return None
    root = site.root.resolve()
    candidates: list[Path] = []
    if target.is_absolute():
        relative = Path(*target.parts[1:]) if len(target.parts) > 1 else None
        if relative is None:
            return None
        candidates += [site.static / relative, root / relative, root / "content" / relative]
    else:
        where = post.parent
        candidates += [where / target, where / post.stem / target]
        rel = _parts(site, post.parent if post.stem == "index" else post.with_suffix(""))
        section = rel[1:] if rel[:1] == ("content",) else rel
        if section:
            candidates += [site.static.joinpath(*section) / target, site.static.joinpath(*section[:-1]) / target]
        candidates.append(site.static / target)
    for candidate in candidates:
        try:
            real = candidate.resolve()
        except OSError:
            continue
        if real.is_file() and files.inside(root, real):
            return real
    return None
