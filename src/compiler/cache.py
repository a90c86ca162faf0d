"""Cache: skip work whose inputs have not changed, in ``<out>/.cache``.

Two levels, both keyed by content hashes and never trusted without checking:

* the **build stamp**: a hash of every input (manifest, archive pages,
  editorial Markdown, templates, styles, fonts), the compiler's own source,
  the versions of the libraries it renders with, the options and
  ``SOURCE_DATE_EPOCH``. If it matches and every output still has the
  recorded SHA-256, the build is a no-op. This module imports nothing heavy,
  so a no-op build costs little more than starting Python.
* the **layout cache**: the PDF bytes and page-start table for a hash of the
  final print HTML, stylesheets and fonts. When only EPUB inputs changed, the
  PDF is not laid out again.

A missing, stale or corrupt entry is ignored and rewritten. Cached bytes are
the bytes a fresh build produces (builds are reproducible), so the cache
never changes an output.
"""

from __future__ import annotations

import functools
import glob
import hashlib
import json
import os
import sys
from collections.abc import Callable, Iterable
from importlib import metadata
from pathlib import Path
from typing import Any

STAMP = "build.json"
LIBRARIES = ("weasyprint", "pydyf", "tinycss2", "tinyhtml5", "cssselect2", "fonttools", "pyphen", "ebooklib",
             "jinja2", "markdown-it-py", "pypdfium2", "pikepdf", "pillow", "lxml", "pydantic", "rapidfuzz",
             "pyyaml", "python-slugify")
_PACKAGE = Path(__file__).resolve().parent


@functools.cache
def _versions() -> list[str]:
    out = [sys.version]
    for name in LIBRARIES:
        try:
            out.append(f"{name}=={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            out.append(f"{name} missing")
    return out


def _digest_files(h: Any, paths: Iterable[Path], root: Path) -> None:
    for path in sorted(set(paths)):
        if path.is_file():
            h.update(f"\0{path.relative_to(root).as_posix() if path.is_relative_to(root) else path}\0".encode())
            h.update(hashlib.sha256(path.read_bytes()).digest())


@functools.cache
def compiler_digest() -> str:
    """A hash of the compiler's own source (so editing the code invalidates caches)."""
    h = hashlib.sha256()
    _digest_files(h, _PACKAGE.rglob("*.py"), _PACKAGE)
    return h.hexdigest()


def _manifest_inputs(manifest: Path) -> tuple[list[Path], Path, Path] | None:
    """Every file the manifest names (plus its style folder) and its output folder."""
    import yaml

    try:
        data = yaml.load(manifest.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    if not isinstance(data, dict):
        return None
    root = manifest.resolve().parent
    files = [manifest.resolve()]
    for pattern in data.get("sources") or []:
        if isinstance(pattern, str):
            files += [Path(p) for p in glob.glob(str(root / pattern), recursive=True)]
    for part in ("front_matter", "back_matter", "chapters"):
        for entry in data.get(part) or []:
            if isinstance(entry, dict):
                for key in ("file", "intro"):
                    if isinstance(entry.get(key), str):
                        files.append(root / entry[key])
    output = data.get("output") if isinstance(data.get("output"), dict) else {}
    style = root / str(output.get("style", "styles"))
    files += [p for p in style.rglob("*") if p.is_file() and not p.name.startswith(".")]
    return files, root, root / str(output.get("dir", "out"))


def build_key(manifest: Path, options: dict[str, Any]) -> tuple[str, Path] | None:
    """The build stamp's key and the output folder, or None if the manifest cannot be read."""
    found = _manifest_inputs(manifest)
    if found is None:
        return None
    files, root, out = found
    if options.get("out"):
        out = Path(options["out"]).resolve()
    h = hashlib.sha256()
    h.update(json.dumps([_versions(), compiler_digest(), sorted((k, str(v)) for k, v in options.items()),
                         os.environ.get("SOURCE_DATE_EPOCH", "")]).encode())
    _digest_files(h, files, root)
    return h.hexdigest(), out


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def up_to_date(found: tuple[str, Path] | None) -> list[Path] | None:
    """The outputs, if a previous build of exactly these inputs (``build_key``) produced them
    and they are intact."""
    if found is None:
        return None
    key, out = found
    stamp = _read_json(out / ".cache" / STAMP)
    if not stamp or stamp.get("key") != key or not isinstance(stamp.get("outputs"), dict):
        return None
    paths = []
    for name, digest in stamp["outputs"].items():
        path = out / str(name)
        try:
            if hashlib.sha256(path.read_bytes()).hexdigest() != digest:
                return None
        except OSError:
            return None
        paths.append(path)
    return paths


def record(key: str, files: dict[str, bytes], out: Path) -> None:
    """Remember that the inputs hashed into ``key`` (when the build started) gave these outputs."""
    outputs = {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}
    _write(out / ".cache" / STAMP, json.dumps({"key": key, "outputs": outputs}, indent=1).encode())


def _write(path: Path, data: bytes) -> None:
    from compiler.files import write_all

    write_all(path.parent, {path.name: data})


def layout_key(html: str, stylesheets: Iterable[Path], fonts: Iterable[Path], page_starts: bool) -> str:
    """Key of a PDF layout: the exact HTML and every stylesheet and font it uses."""
    h = hashlib.sha256()
    h.update(json.dumps([_versions(), compiler_digest(), page_starts]).encode())
    h.update(html.encode())
    for path in [*stylesheets, *sorted(fonts)]:
        h.update(path.name.encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


def load_layout(out: Path, key: str) -> tuple[bytes, dict[str, Any]] | None:
    """A cached PDF and its layout facts, if present and intact."""
    folder = out / ".cache" / "layout"
    facts = _read_json(folder / f"{key}.json")
    try:
        pdf = (folder / f"{key}.pdf").read_bytes()
    except OSError:
        return None
    if not facts or facts.get("sha256") != hashlib.sha256(pdf).hexdigest():
        return None
    return pdf, facts


def store_layout(out: Path, key: str, pdf: bytes, facts: dict[str, Any], keep: int = 4) -> None:
    """Keep this layout (and only the latest ``keep`` of its kind: whole books, or parts)."""
    folder = out / ".cache" / "layout"
    facts = {**facts, "sha256": hashlib.sha256(pdf).hexdigest()}
    _write(folder / f"{key}.pdf", pdf)
    _write(folder / f"{key}.json", json.dumps(facts).encode())
    kind = "part-*.json" if key.startswith("part-") else "[!p]*.json"
    entries = sorted(folder.glob(kind), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in entries[keep:]:
        old.unlink(missing_ok=True)
        old.with_suffix(".pdf").unlink(missing_ok=True)


def load_json(out: Path, name: str) -> dict[str, Any] | None:
    """A small cached fact file (such as the page counts of the last build), if readable."""
    return _read_json(out / ".cache" / "layout" / name)


def store_json(out: Path, name: str, data: dict[str, Any]) -> None:
    _write(out / ".cache" / "layout" / name, json.dumps(data, sort_keys=True).encode())


def memo(out: Path, kind: str, key: str, compute: Callable[[], bytes], use: bool = True) -> bytes:
    """Bytes computed from inputs hashed into ``key``: from the cache when present and intact."""
    path = out / ".cache" / kind / f"{key}.bin"
    facts = _read_json(path.with_suffix(".json")) if use else None
    if facts is not None:
        try:
            data = path.read_bytes()
            if hashlib.sha256(data).hexdigest() == facts.get("sha256"):
                return data
        except OSError:
            pass
    data = compute()
    _write(path, data)
    _write(path.with_suffix(".json"), json.dumps({"sha256": hashlib.sha256(data).hexdigest()}).encode())
    for old in sorted(path.parent.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)[4:]:
        old.unlink(missing_ok=True)
        old.with_suffix(".bin").unlink(missing_ok=True)
    return data
