"""``compiler init SOURCE... [--media DIR] [--dir DIR]``: a first ``book.yaml`` for a blog.

Reads the sources through the reader registry (any format, mixed), merges
their posts as a build would, and writes ``DIR/book.yaml``: title, author
and language from the first export; one chapter per top-level category,
its posts in date order (posts without a category in a last chapter);
the export's ``about`` page, if there is one, as front matter; output into
``DIR/out/``. The book builds with no edit.

Where the sources are: a source inside ``DIR`` is listed in ``sources``
(a path relative to the manifest); one outside it in ``external_sources``,
also relative when it can be (``../exports/blog.xml``). Init copies no
source: an export stays where it is and is only ever read. ``--dir``
defaults to the folder holding the first source. The default style folder
(templates, CSS, fonts) is copied into ``DIR/styles/`` so that the book can
be restyled; ``chapters/`` gets a stub introduction per chapter, not yet
named in the manifest (a commented ``intro:`` line shows how).

An existing ``DIR/book.yaml`` is never overwritten (E273, exit code 2).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections.abc import Sequence
from pathlib import Path

from compiler import files, ids
from compiler.dedup import dedup, make_slug
from compiler.errors import CompilerError, Diagnostic
from compiler.ingest import Source, all_copies, read_sources
from compiler.model import Post
from compiler.model.kinds import SECTION_KINDS

#: The style folder a new book starts from (the compiler's own).
DEFAULT_STYLE = Path(__file__).resolve().parents[2] / "styles"
OTHER = "Other posts"
_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z]{2}|-\d{3})?$")
_RESERVED = {*ids.FIXED_DOCUMENTS, *SECTION_KINDS, "styles", "out"}


def _q(text: str) -> str:
    """A YAML double-quoted scalar (JSON's string syntax is YAML's)."""
    return json.dumps(text, ensure_ascii=False)


def _relative(path: Path, folder: Path) -> str:
    return Path(os.path.relpath(path.resolve(), folder.resolve())).as_posix()


def _chapters(posts: Sequence[Post]) -> list[tuple[str, str, list[Post]]]:
    """(id, title, posts in date order, undated last): one chapter per first top-level category."""
    groups: dict[str, list[Post]] = {}
    for post in posts:
        groups.setdefault(post.categories[0] if post.categories else OTHER, []).append(post)
    order = sorted(groups, key=lambda name: (name == OTHER, name.casefold(), name))
    used = {p.id for p in posts} | {ids.chapter(p.id) for p in posts}
    out = []
    for name in order:
        base = make_slug(name)
        base = base if _ID.match(base) and base not in _RESERVED else f"part-{base}"
        chapter_id, n = base, 2
        while chapter_id in used or ids.chapter(chapter_id) in used:
            chapter_id, n = f"{base}-{n}", n + 1
        used.add(chapter_id)
        dated = sorted(groups[name], key=lambda p: (p.date is None, p.date.start if p.date else dt.date.min))
        out.append((chapter_id, name, dated))
    return out


def _meta(sources: Sequence[Source]) -> dict[str, str]:
    for source in sources:
        if source.meta:
            return source.meta
    return {}


def manifest_text(sources: Sequence[Source], paths: Sequence[Path], folder: Path, posts: Sequence[Post],
                  media: Path | None) -> str:
    """The commented ``book.yaml``."""
    meta = _meta(sources)
    title = meta.get("title", "").strip() or "My Blog"
    author = meta.get("author", "").strip() or "The Author"
    language = meta.get("language", "").strip() or "en"
    language = language if _LANGUAGE.match(language) else "en"
    inside = [p for p in paths if files.inside(folder, p)]
    outside = [p for p in paths if not files.inside(folder, p)]
    pages = {page.slug for s in sources for page in s.pages}
    lines = [
        "# The book's manifest, written by `python -m compiler init`. Build it with:",
        f"#   python -m compiler {files.display_path(folder / 'book.yaml')}",
        "# Every key is described in the compiler's README (\"The manifest\").",
        "book:",
        f"  title: {_q(title)}",
        f"  authors: [{_q(author)}]",
        f"  language: {_q(language)}",
        "  # the book's date (here: the last post's); SOURCE_DATE_EPOCH overrides it",
        "  date: " + (max((p.date.end for p in posts if p.date), default=None) or dt.date.today()).isoformat(),
        "",
        "# Sources inside this folder (globs); exports elsewhere are named one by one in",
        "# external_sources: they are only ever read.",
        "sources: [" + ", ".join(_q(_relative(p, folder)) for p in inside) + "]",
    ]
    if outside:
        lines += ["external_sources:"] + [f"  - {_q(_relative(p, folder))}" for p in outside]
    lines += [
        "",
        "# Published posts without a password are in the book. To add others:",
        "# include_status: [draft, private, future, pending]",
        "# include_password: [123]        # password-protected posts, by their export id",
        "comments: false                 # true: print approved comments after each post (also per chapter)",
    ]
    if media is not None:
        lines += ["# The blog's images: a local copy of its wp-content/uploads (never fetched from the web).",
                  f"media: {_q(_relative(media, folder))}"]
    else:
        lines.append("# media: uploads                # a local copy of wp-content/uploads: the images are printed")
    about = next((slug for slug in ("about", "about-me", "about-us") if slug in pages), None)
    if about:
        lines += ["", "front_matter:", f"  - page: {_q(about)}          # the export's page, as an introduction"]
    else:
        lines += ["", "front_matter: []  # e.g. - {kind: foreword, file: chapters/foreword.md}, or - page: about"]
    lines += ["", "# One chapter per top-level category, its posts in date order.", "chapters:"]
    for chapter_id, name, chapter_posts in _chapters(posts):
        lines += [f"  - id: {_q(chapter_id)}", f"    title: {_q(name)}",
                  f"    # intro: chapters/{chapter_id}.md", "    posts:"]
        lines += [f"      - {_q(p.id)}  # " + (f"{p.date.start.isoformat()} " if p.date else "") +
                  " ".join(p.title.split())[:60] for p in chapter_posts]
    lines += [
        "",
        "output:",
        "  dir: out",
        f"  basename: {make_slug(title) if re.match(r'^[a-z0-9-]+$', make_slug(title)) else 'book'}",
        "  formats: [pdf, epub]",
        "  page_size: A4                 # A4, Letter or 6x9in",
        "  style: styles",
        "",
        "# corrections: [{post: a-post-id, find: Teh, replace: The}]",
        "# redactions: [{term: A Name, replacement: A.}]",
        "",
    ]
    return "\n".join(lines)


def init(sources: Sequence[Path], folder: Path | None = None, media: Path | None = None) -> Path:
    """Write ``folder/book.yaml`` (and styles/, chapters/ stubs); return the manifest's path."""
    if not sources:
        raise CompilerError(Diagnostic("E274", "no source given", "init", hint="name a WordPress export or pages"))
    for path in sources:
        if not path.is_file():
            raise CompilerError(Diagnostic("E274", "no such file", str(path), hint="name an export or archive page"))
    if media is not None and not media.is_dir():
        raise CompilerError(Diagnostic("E130", "the media folder is missing or not a folder", str(media),
                                       hint="--media names a copy of the blog's wp-content/uploads"))
    folder = (folder or sources[0].resolve().parent).resolve()
    manifest = folder / "book.yaml"
    if manifest.exists():
        raise CompilerError(Diagnostic("E273", "a book.yaml is already there; init never overwrites one",
                                       files.display_path(manifest), hint="pass another --dir, or edit that one"))
    read = read_sources(list(sources))
    posts, _ = dedup(all_copies(read))
    if not posts:
        raise CompilerError(Diagnostic("E275", "the sources hold no published post", str(sources[0]),
                                       hint="export the blog again, or add include_status to the manifest"))
    if not (folder / "styles").exists():
        files.copy_folder(DEFAULT_STYLE, folder / "styles")
    for chapter_id, name, _posts in _chapters(posts):
        files.write_new(folder / "chapters" / f"{chapter_id}.md", (
            f"An introduction to “{name}”. Name this file as the chapter's intro in book.yaml "
            "(`intro: chapters/" + chapter_id + ".md`) to print it.\n").encode())
    if not files.write_new(manifest, manifest_text(read, sources, folder, posts, media).encode()):
        raise CompilerError(Diagnostic("E273", "a book.yaml is already there; init never overwrites one",
                                       files.display_path(manifest), hint="pass another --dir, or edit that one"))
    return manifest
