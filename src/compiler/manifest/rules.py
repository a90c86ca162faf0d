"""Which posts each chapter takes, and in what order: explicit lists, chapter rules, the book's filter.

A chapter names its posts (``posts``), takes them by a ``rule``, or is a
page of an export (``page``). A rule's conditions must all hold, and a list
holds when any of its values does: ``categories`` (a category takes the
posts of its subcategories: a post's category paths hold every ancestor),
``tags``, ``authors``, ``formats`` (WordPress post formats), ``statuses``,
``since``/``until`` (inclusive days), ``title_matches``. Names are matched
case-insensitively, as written or as their slug. An empty rule takes every
post no chapter before it took. The book-level ``filter`` (a date range, excluded categories and
tags) leaves posts out of every chapter, and they are not reported as
unplaced.

A post two chapters would take goes to one, never two:

1. posts named explicitly (a ``posts`` list or a rule chapter's
   ``include``) are placed where they are named; naming a post twice is
   E221;
2. a rule takes only posts no explicit list names and no earlier chapter's
   rule took: the first chapter wins.

Errors: a rule, or one value of it, that selects no post (E280, at its own
line, with the reason: a misspelling, the filter, a status the sources were
not asked to read); a date range whose end is before its start (E281); a
category or tag the filter excludes that no post has (E282); a post listed
by id that the filter leaves out (E283); a rule chapter whose every post an
earlier chapter took is empty (E222). Each chapter's ``sort`` orders it:
``listed`` (default: as listed; for a rule, as the sources hold the
posts: by file, then place in the file), ``date``, ``date-desc`` (undated
posts last in both) or ``title``.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, get_args

from compiler.dedup import make_slug
from compiler.ids import check as check_ids
from compiler.ingest.text import shown
from compiler.manifest.patterns import safe
from compiler.model import Post
from compiler.model.kinds import PostFormat, PostStatus

if TYPE_CHECKING:
    from compiler.manifest.checks import Checker

#: A rule's list conditions: key, what one value is called, the post's values it is matched against.
LISTS: dict[str, tuple[str, Callable[[Post], Iterable[str]]]] = {
    "categories": ("category", lambda p: (*(n for path in p.category_paths for n in path), *p.categories)),
    "tags": ("tag", lambda p: p.tags),
    "authors": ("author", lambda p: p.authors),
    "formats": ("format", lambda p: (p.post_format,)),
    "statuses": ("status", lambda p: (p.status,)),
}

#: The lists whose values are closed (the schema reports another value: E205).
_CLOSED: dict[str, set[str]] = {"formats": set(get_args(PostFormat)), "statuses": set(get_args(PostStatus))}


@functools.lru_cache(maxsize=4096)
def _fold(name: str) -> frozenset[str]:
    """A name as a rule matches it: case-folded, and as its slug."""
    return frozenset((name.casefold(), make_slug(name)))


@functools.lru_cache(maxsize=65536)
def _folded(names: tuple[str, ...]) -> frozenset[str]:
    """Every form of a post's names (its categories, say) a rule value may match."""
    return frozenset(f for name in names for f in _fold(name))


def _day(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    return value if isinstance(value, dt.date) else None


def _texts(value: Any) -> tuple[str, ...] | None:
    """A list of non-empty strings, or None when it is anything else (the schema reports it)."""
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        return None
    return tuple(value)


@dataclass(frozen=True)
class Rule:
    """A chapter rule, read defensively from the manifest's data."""

    lists: dict[str, tuple[str, ...]]
    since: dt.date | None
    until: dt.date | None
    title: str | None

    @classmethod
    def read(cls, raw: Any) -> Rule | None:
        """The rule, or None when a value is malformed (reported by the schema or the range check)."""
        if not isinstance(raw, dict):
            return None
        lists: dict[str, tuple[str, ...]] = {}
        for key in LISTS:
            values = _texts(raw.get(key))
            if values is None or not set(values) <= _CLOSED.get(key, set(values)):
                return None  # E205
            lists[key] = values
        since, until = _day(raw.get("since")), _day(raw.get("until"))
        if (raw.get("since") is not None and since is None) or (raw.get("until") is not None and until is None):
            return None
        if since and until and until < since:
            return None  # E281
        title = raw.get("title_matches")
        if title is not None and not (isinstance(title, str) and safe(title) and _compiles(title)):
            return None  # E205 or E254
        return cls(lists, since, until, title)

    def matches(self, post: Post) -> bool:
        return all(self.holds(key, values, post) for key, values in self.lists.items() if values) and \
            self.dated(post) and (self.title is None or re.search(self.title, post.title, re.I) is not None)

    @staticmethod
    def holds(key: str, values: Iterable[str], post: Post) -> bool:
        have = _folded(tuple(LISTS[key][1](post)))
        return any(not _fold(v).isdisjoint(have) for v in values)

    def dated(self, post: Post) -> bool:
        if self.since is None and self.until is None:
            return True
        if post.date is None:
            return False
        return (self.since is None or post.date.start >= self.since) and \
            (self.until is None or post.date.start <= self.until)


def _compiles(pattern: str) -> bool:
    try:
        re.compile(pattern)
    except re.error:
        return False
    return True


def _held(post: Post) -> tuple[str, int, int]:
    """Where the sources hold a post: its first copy's file, line and place in the file."""
    seen = post.provenance[0] if post.provenance else None
    return (seen.file, seen.line, seen.position) if seen else ("", 0, 0)


def sort_posts(posts: Sequence[Post], order: Any) -> list[Post]:
    """``posts`` in a chapter's ``sort`` order (stable: ties keep the listed order)."""
    if order == "date":
        return sorted(posts, key=lambda p: (p.date is None, p.date.start if p.date else dt.date.min))
    if order == "date-desc":
        return sorted(posts, key=lambda p: (p.date is None, -(p.date.start.toordinal() if p.date else 0)))
    if order == "title":
        return sorted(posts, key=lambda p: (p.title.casefold(), p.id))
    return list(posts)


def check_ranges(checker: Checker) -> None:
    """A date range (the filter's, a rule's) whose end is before its start (E281)."""
    places = [("filter",)] + [("chapters", c, "rule") for c, _ in checker.items("chapters")]
    for place in places:
        since, until = _day(checker.get(*place, "since")), _day(checker.get(*place, "until"))
        if since and until and until < since:
            checker.add("E281", f"date range ends ({until.isoformat()}) before it starts ({since.isoformat()})",
                        (*place, "until"), "swap 'since' and 'until'")


def book_filter(raw: Any) -> Callable[[Post], bool]:
    """The book's ``filter`` (the manifest's data) as a predicate: whether a post may be in the book."""
    if not isinstance(raw, dict):
        return lambda post: True
    since, until = _day(raw.get("since")), _day(raw.get("until"))
    if since and until and until < since:
        since = until = None  # E281
    dates = Rule({k: () for k in LISTS}, since, until, None)
    excluded = {list_key: _texts(raw.get(key)) or () for key, list_key in
                (("exclude_categories", "categories"), ("exclude_tags", "tags"))}

    def keep(post: Post) -> bool:
        return dates.dated(post) and not any(values and Rule.holds(k, values, post) for k, values in excluded.items())
    return keep


def _book_filter(checker: Checker, posts: Sequence[Post]) -> Callable[[Post], bool]:
    """The filter as a predicate; excluded names that no post has are E282."""
    raw = checker.get("filter")
    if isinstance(raw, dict):
        for key, list_key in (("exclude_categories", "categories"), ("exclude_tags", "tags")):
            for i, value in enumerate(_texts(raw.get(key)) or ()):
                if not any(Rule.holds(list_key, (value,), p) for p in posts):
                    checker.add("E282", f"no post has the {LISTS[list_key][0]} '{shown(value)}'",
                                ("filter", key, i), _did_you_mean(value, list_key, posts))
    return book_filter(raw)


def _did_you_mean(value: str, key: str, posts: Sequence[Post]) -> str:
    known = sorted({n for p in posts for n in LISTS[key][1](p)})
    close = difflib.get_close_matches(value.casefold(), [k.casefold() for k in known], n=1, cutoff=0.6)
    if close:
        name = next(k for k in known if k.casefold() == close[0])
        return f"did you mean '{shown(name)}'?"
    if not known:
        return f"no post of the sources has a {LISTS[key][0]}"
    return f"the sources' {key}: " + shown(", ".join(known[:8]) + (", …" if len(known) > 8 else ""), 160)


def _why_nothing(checker: Checker, rule: Rule, c: int, posts: Sequence[Post], eligible: Sequence[Post]) -> None:
    """Report a rule that selects no post (E280): each condition that alone selects nothing, at its
    own line; otherwise the rule, whose conditions together select nothing."""
    where = ("chapters", c, "rule")
    before = len(checker.diagnostics)
    for key, values in rule.lists.items():
        for i, value in enumerate(values):
            if any(Rule.holds(key, (value,), p) for p in eligible):
                continue
            held = sum(Rule.holds(key, (value,), p) for p in posts)
            if held:
                hint = f"the book's filter leaves out its {held} post{'s' if held != 1 else ''}"
            elif key == "statuses" and value != "publish":
                hint = f"add '{value}' to include_status so that the sources' {value} posts are read"
            else:
                hint = _did_you_mean(value, key, posts)
            checker.add("E280", f"the rule's {LISTS[key][0]} '{shown(value)}' selects no post", (*where, key, i), hint)
    dates = Rule({k: () for k in LISTS}, rule.since, rule.until, None)
    if (rule.since or rule.until) and not any(dates.dated(p) for p in eligible):
        span = f"{rule.since.isoformat() if rule.since else 'the start'} to " \
               f"{rule.until.isoformat() if rule.until else 'the end'}"
        checker.add("E280", f"the rule's dates select no post: none is dated from {span}",
                    (*where, "since" if rule.since else "until"), "widen the dates")
    if rule.title is not None and not any(re.search(rule.title, p.title, re.I) for p in eligible):
        checker.add("E280", f"the rule's title pattern '{shown(rule.title)}' matches no post's title",
                    (*where, "title_matches"), "run 'python -m compiler posts' to see the titles")
    if len(checker.diagnostics) == before:
        checker.add("E280", "the rule selects no post: no post meets all of its conditions together", where,
                    "widen the rule, or remove the chapter")


def place(checker: Checker, posts: Sequence[Post], strict: bool) -> dict[str, list[str]]:
    """Which posts each chapter takes, in its order; report unknown, filtered-out, twice-placed and
    unplaced posts and rules that select nothing."""
    ids = [p.id for p in posts]
    by_id = {p.id: p for p in posts}
    keep = _book_filter(checker, posts)
    eligible = [p for p in posts if keep(p)]
    allowed = {p.id for p in eligible}
    placed: dict[str, tuple[Any, ...]] = {}
    explicit: dict[int, list[str]] = {}
    for c, chapter in checker.items("chapters"):
        if not isinstance(chapter, dict):
            continue
        key = "posts" if isinstance(chapter.get("posts"), list) else "include" if "rule" in chapter else ""
        explicit[c] = []
        for i, post_id in checker.items("chapters", c, key) if key else ():
            where = ("chapters", c, key, i)
            if not isinstance(post_id, str) or checker.unknown(post_id, ids, where):
                continue
            if post_id not in allowed:
                checker.add("E283", f"post '{shown(post_id)}' is left out by the book's filter", where,
                            "remove it here, or widen 'filter'")
            elif post_id in placed:
                first = checker.located.where(placed[post_id])[0]
                checker.add("E221", f"post '{shown(post_id)}' is placed twice (first on line {first})", where,
                            "place each post in one chapter only")
            else:
                placed[post_id] = where
                explicit[c].append(post_id)
    chapters: dict[str, list[str]] = {}
    for c, chapter in checker.items("chapters"):
        if not isinstance(chapter, dict):
            continue
        taken = list(explicit.get(c, ()))
        if "rule" in chapter and not isinstance(chapter.get("posts"), list):
            for i, post_id in checker.items("chapters", c, "exclude"):
                checker.unknown(post_id, ids, ("chapters", c, "exclude", i))
            rule = Rule.read(chapter.get("rule") or {})
            if rule is not None:
                matched = [p for p in eligible if rule.matches(p)]
                if not matched:
                    _why_nothing(checker, rule, c, posts, eligible)
                exclude = set(_texts(chapter.get("exclude")) or ())
                mine = set(taken) | {p.id for p in matched if p.id not in placed and p.id not in exclude}
                taken = [p.id for p in sorted(posts, key=_held) if p.id in mine]
                for post_id in taken:
                    placed.setdefault(post_id, ("chapters", c, "rule"))
                if matched and not taken and isinstance(chapter.get("id"), str):
                    checker.add("E222", f"chapter '{shown(chapter['id'])}' has no posts: an earlier chapter took "
                                "every post its rule selects", ("chapters", c, "rule"),
                                "widen the rule, move the chapter up, or remove it")
        elif isinstance(chapter.get("posts"), list) and not chapter["posts"] and isinstance(chapter.get("id"), str):
            checker.add("E222", f"chapter '{shown(chapter['id'])}' has no posts", ("chapters", c),
                        "add post ids, give it a rule, or remove the chapter")
        chapters[str(chapter.get("id"))] = [p.id for p in sort_posts([by_id[i] for i in taken], chapter.get("sort"))]
    for post_id in ids:
        if post_id not in placed and post_id in allowed:
            checker.add("E223" if strict else "W223", f"post '{shown(post_id)}' is in no chapter", ("chapters",),
                        "add it to a chapter, or leave it out on purpose", warning=not strict)
    check_ids(checker, posts, placed)  # every id and EPUB file name has one owner (compiler.ids)
    return chapters
