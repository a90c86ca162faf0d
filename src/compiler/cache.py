"""Cache: skip work whose inputs have not changed, in ``<out>/.cache``.

Two levels, both keyed by content hashes and never trusted without checking:

* the **build stamp**: a hash of every input the last build read (recorded
  from the validated manifest as the build ran, see
  :func:`compiler.files.recording`, plus the source globs re-expanded and the
  whole style folder), the compiler's own source, the versions of the
  libraries it renders with, the options and ``SOURCE_DATE_EPOCH``. If it
  matches and every output still has the recorded SHA-256, the build is a
  no-op. The stamp lists the inputs, so the no-op check neither validates the
  manifest nor imports anything heavy: it costs little more than starting
  Python, and a new manifest key naming a file cannot be forgotten here.
* **entries**: the PDF of a layout (the whole book, a part, the joined parts),
  the EPUB's cover, the page counts of the last build. Each is a data file and
  a sidecar JSON that records the entry's own key and the data's SHA-256; an
  entry whose sidecar names another key (say, another part's pair copied over
  it) or whose data does not match is a miss.

A missing, stale, swapped or corrupt entry is ignored and rewritten. Cached
bytes are the bytes a fresh build produces (builds are reproducible), so the
cache never changes an output. A cache that cannot be read or written (a
read-only or full disk, ``out/.cache`` a file) never fails a build: it is
reported once (:func:`warnings`) and the build goes on without it.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from compiler.errors import Diagnostic

STAMP = "build.json"
#: Present in ``<out>/.cache`` while a build of a book with redactions renders and is scanned
#: (:func:`compiler.verify.unscanned`): a build that died before its scan passed left it, and then
#: nothing in the cache is trusted (not even for a no-op) until the next build removes it all.
UNSCANNED = "unscanned"
FORMAT = 2  # of the stamp and the sidecars: entries written by another format are misses
LIBRARIES = ("weasyprint", "pydyf", "tinycss2", "tinyhtml5", "cssselect2", "fonttools", "pyphen", "ebooklib",
             "jinja2", "markdown-it-py", "pypdfium2", "pikepdf", "pillow", "lxml", "pydantic", "rapidfuzz",
             "pyyaml", "python-slugify")
_PACKAGE = Path(__file__).resolve().parent
_problems: list[Diagnostic] = []  # the first cache write that failed (reported once)


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
        h.update(f"\0{path.relative_to(root).as_posix() if path.is_relative_to(root) else path}\0".encode())
        try:
            h.update(hashlib.sha256(path.read_bytes()).digest())
        except OSError:
            h.update(b"\0missing")


@functools.cache
def compiler_digest() -> str:
    """A hash of the compiler's own source (so editing the code invalidates caches)."""
    h = hashlib.sha256()
    _digest_files(h, _PACKAGE.rglob("*.py"), _PACKAGE)
    return h.hexdigest()


# -- problems ------------------------------------------------------------------------------------
def reset() -> None:
    """Forget reported problems (a new build in this process)."""
    _problems.clear()


def warnings() -> list[Diagnostic]:
    """The cache problem of this build (at most one line), to print once the outputs are written."""
    return list(_problems)


def _failed(exc: OSError, path: Path) -> None:
    from compiler.files import write_problem

    if not _problems:
        where, what, hint = write_problem(exc, path)
        _problems.append(Diagnostic("W420", f"cannot write the build cache ({what}); built without it",
                                    where, hint=hint, warning=True))


#: While a book with redactions builds: whether a cache file's text holds a redacted term. The
#: outputs are scanned before they are written; the cache's own facts (the stamp's input paths, a
#: part's warnings) are checked here, and a fact file that holds a term is not written (a miss).
_guard: Callable[[bytes], bool] | None = None


@contextlib.contextmanager
def guarded(holds_term: Callable[[bytes], bool] | None) -> Iterator[None]:
    """Check every fact file this build writes with ``holds_term`` (None: no check)."""
    global _guard
    _guard = holds_term
    try:
        yield
    finally:
        _guard = None


def _write(path: Path, data: bytes) -> bool:
    """Write a cache file atomically; a failure is reported once and the build goes on."""
    from compiler.files import WriteError, write_all

    if _problems:  # the cache is unusable in this build: do not try every entry
        return False
    if _guard is not None and path.suffix == ".json" and _guard(data):
        return False
    try:
        write_all(path.parent, {path.name: data})
        return True
    except WriteError as exc:
        _failed(exc.cause, exc.path)
        return False


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _prune(folder: Path, pattern: str, keep: int, data_suffix: str) -> None:
    """Delete all but the ``keep`` newest entries whose sidecars match ``pattern``."""
    try:
        entries = sorted(folder.glob(pattern), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in entries[keep:]:
            old.unlink(missing_ok=True)
            old.with_suffix(data_suffix).unlink(missing_ok=True)
    except OSError:  # an unreadable or unwritable cache: pruning can wait
        pass


# -- the build stamp ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Inputs:
    """What a build read: files (recorded as they were read), source globs (re-expanded, so a new
    page counts) and folders (the style folder: templates, stylesheets and fonts)."""

    root: Path
    files: tuple[Path, ...]
    globs: tuple[str, ...] = ()
    folders: tuple[Path, ...] = ()

    def expanded(self) -> list[Path]:
        from compiler.files import glob

        found = set(self.files)
        for pattern in self.globs:
            found.update(glob(self.root, pattern))
        for folder in self.folders:
            if folder.is_dir():
                found.update(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))
        return sorted(found)

    def to_json(self) -> dict[str, Any]:
        def rel(path: Path) -> str:
            return path.relative_to(self.root).as_posix() if path.is_relative_to(self.root) else str(path)

        return {"root": str(self.root), "files": [rel(p) for p in sorted(self.files)], "globs": list(self.globs),
                "folders": [rel(p) for p in self.folders]}

    @classmethod
    def from_json(cls, data: Any) -> Inputs | None:
        if not isinstance(data, dict) or not isinstance(data.get("root"), str):
            return None
        lists: list[list[str]] = [data.get(k) for k in ("files", "globs", "folders")]  # type: ignore[misc]
        if not all(isinstance(v, list) and all(isinstance(x, str) for x in v) for v in lists):
            return None
        root = Path(data["root"])
        return cls(root, tuple(root / f for f in lists[0]), tuple(lists[1]), tuple(root / f for f in lists[2]))


def options_digest(options: dict[str, Any]) -> str:
    """A hash of what, besides the input files, decides a build's outputs: the options, the
    compiler's code, the libraries' versions and ``SOURCE_DATE_EPOCH``."""
    return hashlib.sha256(json.dumps([FORMAT, _versions(), compiler_digest(),
                                      sorted((k, str(v)) for k, v in options.items()),
                                      os.environ.get("SOURCE_DATE_EPOCH", "")]).encode()).hexdigest()


def build_key(inputs: Inputs, options: str) -> str:
    """The build stamp's key: the options' digest and every input's path and content."""
    h = hashlib.sha256(options.encode())
    _digest_files(h, inputs.expanded(), inputs.root)
    return h.hexdigest()


def warm(out: Path) -> bool:
    """Whether a build left its page counts in ``out``'s cache (so most parts will be cached)."""
    try:
        return (out / ".cache" / "layout" / "pages.json").is_file()
    except OSError:  # an unreadable cache is a cold one
        return False


def output_folder(manifest: Path) -> Path | None:
    """The output folder a manifest names (``output.dir``, default ``out``), read without validating
    the manifest (for the no-op check); None if the manifest cannot be read."""
    import yaml

    from compiler.files import MAX_MANIFEST_BYTES, read_bytes

    try:
        text = read_bytes(manifest, MAX_MANIFEST_BYTES).decode("utf-8")
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except Exception:  # noqa: BLE001 - any manifest YAML cannot read (a bad date, a huge number...): the
        return None  # validation that follows reports it at its line
    output = data.get("output") if isinstance(data, dict) else None
    folder = output.get("dir") if isinstance(output, dict) else None
    return manifest.resolve().parent / (folder if isinstance(folder, str) and folder else "out")


def up_to_date(manifest: Path, out: Path | None, options: str) -> list[Path] | None:
    """The outputs, if the last build in ``out`` was of this manifest with these options, none of
    the inputs it read changed, and its outputs are intact."""
    if out is None:
        return None
    if (out / ".cache" / UNSCANNED).exists():
        return None
    stamp = _read_json(out / ".cache" / STAMP)
    if not stamp or stamp.get("format") != FORMAT or stamp.get("manifest") != str(manifest.resolve()):
        return None
    inputs = Inputs.from_json(stamp.get("inputs"))
    if inputs is None or not isinstance(stamp.get("outputs"), dict) or stamp.get("key") != build_key(inputs, options):
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


def record(manifest: Path, inputs: Inputs, key: str, files: dict[str, bytes], out: Path) -> None:
    """Remember that the inputs hashed into ``key`` (when the build started) gave these outputs."""
    outputs = {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}
    _write(out / ".cache" / STAMP, json.dumps({"format": FORMAT, "manifest": str(manifest.resolve()), "key": key,
                                               "inputs": inputs.to_json(), "outputs": outputs}, indent=1).encode())


# -- entries --------------------------------------------------------------------------------------
def _load_entry(data_path: Path, key: str) -> tuple[bytes, dict[str, Any]] | None:
    """An entry's data and facts, if its sidecar names this very key and the data's SHA-256."""
    facts = _read_json(data_path.with_suffix(".json"))
    if not facts or facts.get("format") != FORMAT or facts.get("key") != key:
        return None
    try:
        data = data_path.read_bytes()
    except OSError:
        return None
    if facts.get("sha256") != hashlib.sha256(data).hexdigest() or facts.get("bytes") != len(data):
        return None
    return data, facts


def _store_entry(data_path: Path, key: str, data: bytes, facts: dict[str, Any]) -> None:
    """Write an entry: the data first, then the sidecar that binds it to ``key``."""
    sidecar = {**facts, "format": FORMAT, "key": key, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    if _write(data_path, data):
        _write(data_path.with_suffix(".json"), json.dumps(sidecar).encode())


def layout_key(html: str, stylesheets: Iterable[Path], fonts: Iterable[Path], page_starts: bool) -> str:
    """Key of a PDF layout: the exact HTML and every stylesheet and font it uses (the installed
    fallback fonts of the font plan too, by file and SHA-256)."""
    h = hashlib.sha256()
    from compiler.fonts import system_digest

    h.update(json.dumps([_versions(), compiler_digest(), page_starts, system_digest()]).encode())
    h.update(html.encode())
    for path in [*stylesheets, *sorted(fonts)]:
        h.update(path.name.encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


def load_layout(out: Path, key: str) -> tuple[bytes, dict[str, Any]] | None:
    """A cached PDF and its layout facts, if present, intact and stored under this key."""
    return _load_entry(out / ".cache" / "layout" / f"{key}.pdf", key)


def store_layout(out: Path, key: str, pdf: bytes, facts: dict[str, Any], keep: int = 4) -> None:
    """Keep this layout (and only the latest ``keep`` of its kind: whole books, or parts)."""
    folder = out / ".cache" / "layout"
    _store_entry(folder / f"{key}.pdf", key, pdf, facts)
    kind = "part-*.json" if key.startswith("part-") else "merged-*.json" if key.startswith("merged-") \
        else "[!mp]*.json"
    _prune(folder, kind, keep, ".pdf")


def load_json(out: Path, name: str, key: str = "") -> dict[str, Any] | None:
    """A small cached fact file (such as the page counts of the last build), if it was stored
    under this name and ``key``."""
    stored = _load_entry(out / ".cache" / "layout" / f"{name}.data", f"{name} {key}")
    if stored is None:
        return None
    try:
        data = json.loads(stored[0])
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def store_json(out: Path, name: str, data: dict[str, Any], key: str = "") -> None:
    _store_entry(out / ".cache" / "layout" / f"{name}.data", f"{name} {key}",
                 json.dumps(data, sort_keys=True).encode(), {})


def memo(out: Path, kind: str, key: str, compute: Callable[[], bytes], use: bool = True) -> bytes:
    """Bytes computed from inputs hashed into ``key``: from the cache when present, intact and
    stored under this key."""
    name = hashlib.sha256(key.encode()).hexdigest()
    path = out / ".cache" / kind / f"{name}.bin"
    hit = _load_entry(path, f"{kind} {key}") if use else None
    if hit is not None:
        return hit[0]
    data = compute()
    _store_entry(path, f"{kind} {key}", data, {})
    _prune(path.parent, "*.json", 4, ".bin")
    return data
