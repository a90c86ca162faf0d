"""``compiler init SOURCE... [--media DIR] [--dir DIR]``: a first ``book.yaml`` for a blog.

Reads the sources through the reader registry (any format, mixed: whatever
:class:`~compiler.ingest.Source` a reader returns), merges their posts as a
build would, and writes ``DIR/book.yaml``: title, author and language from
the first source that has them; chapters proposed from the posts
(:func:`propose`): one per top-level category, or, where the sources have
no categories, one per tag (the most used first, at most twelve), or, with
neither, one per year; each chapter a rule (``rule: {categories: [...]}``,
not a list of post ids) sorted by date, the posts it takes named in a
comment; the posts no rule took in a last chapter whose empty rule takes
the rest. The proposal runs the manifest's own rules
(:mod:`compiler.manifest.rules`), the first chapter winning, and drops a
chapter that would be empty, so the book builds with no edit. The export's
``about`` page, if there is one, is front matter; its other pages are
suggested in a comment. Output goes into ``DIR/out/``.

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
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from compiler import files, ids
from compiler.dedup import dedup, make_slug
from compiler.errors import CompilerError, Diagnostic
from compiler.ingest import Source, all_copies, read_sources
from compiler.manifest.rules import LISTS, Rule, sort_posts
from compiler.model import Post
from compiler.model.kinds import SECTION_KINDS

#: The style folder a new book starts from (the compiler's own).
DEFAULT_STYLE = Path(__file__).resolve().parents[2] / "styles"
OTHER = "Other posts"
UNCATEGORIZED = "uncategorized"
#: The most chapters init makes from tags (the rest of the posts go to the last chapter).
MAX_CHAPTERS = 12
#: Posts named (as comments) under each proposed chapter.
SHOWN_POSTS = 12
_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z]{2}|-\d{3})?$")
_RESERVED = {*ids.FIXED_DOCUMENTS, *SECTION_KINDS, "styles", "out"}


def _q(text: str) -> str:
    """A YAML double-quoted scalar (JSON's string syntax is YAML's)."""
    return json.dumps(text, ensure_ascii=False)


def _relative(path: Path, folder: Path) -> str:
    return Path(os.path.relpath(path.resolve(), folder.resolve())).as_posix()


@dataclass(frozen=True)
class Proposed:
    """A chapter init proposes: its id, title, rule (as the manifest writes it) and the posts it takes."""

    id: str
    title: str
    rule: str
    posts: tuple[Post, ...]


def _top(post: Post) -> list[str]:
    """A post's top-level categories (the first name of each category path)."""
    return list(dict.fromkeys([*(path[0] for path in post.category_paths if path), *post.categories]))


def _groups(posts: Sequence[Post]) -> tuple[str, list[tuple[str, str, Rule]]]:
    """What the chapters are made from, and each candidate (title, rule text, rule) in order:
    top-level categories (when one is not 'Uncategorized'), else tags (the most used first, at most
    :data:`MAX_CHAPTERS`), else years."""
    empty: dict[str, tuple[str, ...]] = {key: () for key in LISTS}
    categories = sorted({c for p in posts for c in _top(p)}, key=lambda n: (n.casefold() == UNCATEGORIZED, n.casefold(), n))
    if any(c.casefold() != UNCATEGORIZED for c in categories):
        return "categories", [(c, f"{{categories: [{_q(c)}]}}", Rule({**empty, "categories": (c,)}, None, None, None))
                              for c in categories]
    counts = Counter(t for p in posts for t in dict.fromkeys(p.tags))
    if counts:
        tags = sorted(counts, key=lambda t: (-counts[t], t.casefold(), t))[:MAX_CHAPTERS]
        return "tags", [(t, f"{{tags: [{_q(t)}]}}", Rule({**empty, "tags": (t,)}, None, None, None)) for t in tags]
    years = sorted({p.date.start.year for p in posts if p.date})
    return "years", [(str(y), f"{{since: {y:04d}-01-01, until: {y:04d}-12-31}}",
                      Rule(empty, dt.date(y, 1, 1), dt.date(y, 12, 31), None)) for y in years]


def propose(posts: Sequence[Post]) -> tuple[str, list[Proposed]]:
    """The chapters init proposes, as the manifest's rules will place the posts (the same
    :class:`~compiler.manifest.rules.Rule`, the first chapter winning), each with at least one post;
    the posts no rule took go to a last chapter whose empty rule takes the rest."""
    basis, groups = _groups(posts)
    used = {p.id for p in posts} | {ids.chapter(p.id) for p in posts}
    taken: set[str] = set()
    out: list[Proposed] = []
    for name, text, rule in groups:
        mine = [p for p in posts if p.id not in taken and rule.matches(p)]
        if not mine:
            continue  # an earlier chapter took them all (two names with one slug, say)
        taken.update(p.id for p in mine)
        out.append(Proposed(_chapter_id(name, basis, used), name, text, tuple(sort_posts(mine, "date"))))
    rest = [p for p in posts if p.id not in taken]
    if rest:
        out.append(Proposed(_chapter_id(OTHER, "", used), OTHER if out else "Posts", "{}",
                            tuple(sort_posts(rest, "date"))))
    return basis, out


def _chapter_id(name: str, basis: str, used: set[str]) -> str:
    base = make_slug(name)
    if basis == "years":
        base = f"year-{base}"
    base = base if _ID.match(base) and base not in _RESERVED else f"part-{base}"
    chapter_id, n = base, 2
    while chapter_id in used or ids.chapter(chapter_id) in used:
        chapter_id, n = f"{base}-{n}", n + 1
    used.add(chapter_id)
    return chapter_id


_CHAPTERS_NOTE = {
    "categories": ["# One chapter per top-level category (its subcategories' posts included). A post in two",
                   "# categories goes to the first chapter. Rules may also select tags, authors, formats,",
                   "# statuses, dates (since, until) and title_matches; or list posts by id (posts: [...])."],
    "tags": ["# The sources have no categories: one chapter per tag, the most used first. A post with two",
             "# tags goes to the first chapter. Rules may also select dates (since, until), authors and",
             "# title_matches; or list posts by id (posts: [...])."],
    "years": ["# The sources have neither categories nor tags: one chapter per year. Rules may also select",
              "# title_matches or authors; or list posts by id (posts: [...])."],
}


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
        "# Posts no chapter may take (by date, category or tag):",
        "# filter: {since: 2010-01-01, until: 2019-12-31, exclude_categories: [Uncategorized], exclude_tags: [meta]}",
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
    basis, chapters = propose(posts)
    lines += ["", *_CHAPTERS_NOTE[basis], "chapters:"]
    for chapter in chapters:
        lines += [f"  - id: {_q(chapter.id)}", f"    title: {_q(chapter.title)}",
                  f"    # intro: chapters/{chapter.id}.md",
                  f"    rule: {chapter.rule}" + ("   # every post no chapter above took" if chapter.rule == "{}" else ""),
                  "    sort: date                  # or date-desc, title, listed",
                  f"    # {len(chapter.posts)} post{'s' if len(chapter.posts) != 1 else ''}:"]
        lines += [f"    #   {p.date.start.isoformat() if p.date else '(undated)':<10}  {p.id}"
                  for p in chapter.posts[:SHOWN_POSTS]]
        if len(chapter.posts) > SHOWN_POSTS:
            lines.append(f"    #   … and {len(chapter.posts) - SHOWN_POSTS} more")
    others = [slug for slug in sorted(pages) if slug != about]
    if others:
        lines += ["", "# The sources' other pages can be back matter or chapters of their own, by slug:",
                  "# back_matter:"] + [f"#   - page: {_q(slug)}" for slug in others[:10]]
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
        if not (path.is_file() or path.is_dir()):
            raise CompilerError(Diagnostic("E274", "no such file or folder", str(path),
                                           hint="name an export, archive pages or a static site's folder"))
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
    for chapter in propose(posts)[1]:
        files.write_new(folder / "chapters" / f"{chapter.id}.md", (
            f"An introduction to “{chapter.title}”. Name this file as the chapter's intro in book.yaml "
            "(`intro: chapters/" + chapter.id + ".md`) to print it.\n").encode())
    if not files.write_new(manifest, manifest_text(read, sources, folder, posts, media).encode()):
        raise CompilerError(Diagnostic("E273", "a book.yaml is already there; init never overwrites one",
                                       files.display_path(manifest), hint="pass another --dir, or edit that one"))
    return manifest
