"""Parts: lay the book out in parts on several cores, and join them.

The book is cut where a right-hand page begins anyway: the opening (cover
to epigraph), the chapters (one a part, short ones grouped: :mod:`compiler.pdf.plan`;
the last with the back matter), and
the contents with the front matter that follows them (foreword, preface…).
Front matter is numbered in roman, so the body always starts at page 1. Each
body group restarts the page counter from the page counts of the groups
before it: taken from the part cache when that group was laid out before
(keyed by its HTML), else estimated. A wrong guess costs nothing: the workers
share their page counts (:mod:`compiler.pdf.folios`), and a group's folios are
drawn from the true count once the groups before it are paginated; only where
that cannot be (a part laid out in this process) is a group laid out again
from the true first folio. The contents part comes last: it prints the page labels the
other parts produced as text, and counts its own foreword and preface. Parts are laid out in
``spawn`` worker processes (WeasyPrint's pages cannot be pickled, so workers
return PDF bytes) and joined by :mod:`compiler.pdf.merge`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from compiler import cache, files, urls
from compiler.model import Book, PageBreak
from compiler.model.kinds import WORDS_PER_PAGE
from compiler.model.nodes import plain_text
from compiler.render import Renderer, Slice
from compiler.trace import trace
from compiler.limits import no_cycle_collection
from compiler.pdf import refused, roman, stylesheet_paths
from compiler.pdf.folios import Board, Seat
from compiler.pdf.plan import LEAST_WORDS, Plan, plan, words as _words  # noqa: F401 (the plan's names, here too)

OPENING_PAGES = 0.5  # a chapter's title block and introduction
FRONT_PAGES_WEIGHT = 1500  # cover, half title, title and copyright pages take as long as ~1,500 words


@dataclass(frozen=True)
class PartJob:
    """What a worker needs to lay out one part (picklable)."""

    html: str
    root: Path
    style_dir: Path
    page_size: str
    identifier: bytes
    first_page: int | None = None  # the first folio the HTML restarts the page counter at (a guess)
    seat: Seat | None = None  # a body group's place on the build's board of page counts


@dataclass(frozen=True)
class PartResult:
    """One laid-out part, as a worker returns it."""

    pdf: bytes
    pages: int
    anchors: dict[str, int]
    starts: list[tuple[int, str, int]]
    stand_ins: list[str]
    warnings: list[str]
    seconds: float = 0.0  # how long the worker took (for COMPILER_TRACE=time)
    first_page: int | None = None  # the first folio printed (the true one, when the board told it)
    layouts: int = 0  # full layouts the line-break rules took (for COMPILER_TRACE)
    lab_layouts: int = 0  # and layouts of the paragraph lab's scratch documents


def _chapters(numbers: tuple[int, ...] | None) -> str:
    """A group of chapters as a trace names it: "chapters 3-5", "chapter 2"."""
    if not numbers:
        return "chapters"
    return f"chapter {numbers[0]}" if len(numbers) == 1 else f"chapters {numbers[0]}-{numbers[-1]}"


def lay_out_part(job: PartJob) -> PartResult:
    """Lay out and write one part (runs in a worker process)."""
    from compiler.pdf import layout as pdf

    began = time.perf_counter()
    printed = [job.first_page]

    def shift(pages: int) -> int:  # the part is paginated: where do its folios start?
        assert job.seat is not None
        printed[0] = job.seat.first_folio(pages, job.first_page)
        return printed[0] - job.first_page if printed[0] is not None and job.first_page is not None else 0

    with pdf.collected_warnings() as warnings, refusing(job.root, job.style_dir), no_cycle_collection():
        document = pdf.render_html(job.html, job.root, job.style_dir, job.page_size, urls.ProjectFetcher(job.root),
                                   shift if job.seat else None)
        anchors = pdf.anchor_pages(document)
        wanted = {target for page in document.pages for kind, target, *_ in page.links if kind == "internal"}
        stand_ins = sorted(wanted - set(anchors))
        for name in stand_ins:  # targets in other parts: named here, joined by the merge
            document.pages[-1].anchors[name] = (0, 0, 0, 0)
        data = document.write_pdf(pdf_variant="pdf/ua-1", pdf_identifier=job.identifier)
    return PartResult(data, len(document.pages), anchors, pdf.page_start_indices(document), stand_ins,
                      list(warnings), round(time.perf_counter() - began, 3), printed[0],
                      getattr(document, "layouts", 0), getattr(document, "lab_layouts", 0))


def lay_out_whole(book: Book, html: str, page_starts: bool) -> tuple[bytes, list[str], list[PageBreak], list[str]]:
    """Lay out and write the book as one document (``--one-document``, or a one-chapter book),
    in a worker process like the parts: see :func:`compiler.pdf.layout.render_pdf`."""
    from compiler.pdf import layout as pdf

    with refusing(book.root, book.output.style_dir):
        return pdf.render_pdf(book, html, page_starts)


@contextlib.contextmanager
def refusing(root: Path, style_dir: Path) -> Iterator[None]:
    """Turn a fetch the project fetcher refused (a ``BaseException`` in WeasyPrint) into
    :class:`compiler.pdf.Refused`, which names the file that asked for it and crosses processes."""
    try:
        yield
    except urls.FatalURLFetchingError as exc:
        raise refused(exc, root, style_dir) from None


@dataclass(frozen=True)
class LaidOutBook:
    """The joined PDF and its layout facts."""

    pdf: bytes
    labels: list[str]
    breaks: list[PageBreak]
    warnings: list[str]
    front_pdf: bytes  # the front matter alone: its first page is the cover
    laid_out: int = 0  # parts laid out by this build (the others came from the cache)


def _odd(pages: int) -> int:
    """Pages taken, with the blank page that makes the next part start on a right-hand page."""
    return pages + pages % 2


class _Ready:
    def __init__(self, result: PartResult) -> None:
        self.value = result

    def result(self) -> PartResult:
        return self.value


class _Pending:
    def __init__(self, pending: Any, store: Callable[[PartResult], None]) -> None:
        self.pending, self.store = pending, store
        self.value: PartResult | None = None

    def result(self) -> PartResult:
        if self.value is None:
            value: PartResult = self.pending.result()
            self.store(value)
            self.value = value
        return self.value


class PartRenderer:
    """Lays out the parts of one book through an executor, with the part cache."""

    def __init__(self, book: Book, renderer: Renderer, pool: Any, jobs: int, use_cache: bool,
                 weasyprint_version: str) -> None:
        self.book, self.renderer, self.pool, self.use_cache = book, renderer, pool, use_cache
        self.out = book.output.directory
        self.sheets = stylesheet_paths(book.output.style_dir, book.output.page_size)
        self.fonts = list((book.output.style_dir / "fonts").glob("*.*tf"))
        self.identifier = hashlib.sha256(book.meta.identifier.encode()).hexdigest()[:32].encode()
        self.relaid = 0
        self.laid_out = 0
        self.laid_groups: set[tuple[int, ...] | None] = set()  # the body groups laid out (not from the cache)
        self.jobs = jobs
        self.history: dict[str, int] = (cache.load_json(self.out, "pages") or {}) if use_cache else {}
        self.htmls: dict[Slice, str] = {}
        self.creator = f"compiler (WeasyPrint {weasyprint_version})"
        self.board: Board | None = None  # the groups' page counts, shared with the workers

    def html(self, part: Slice) -> str:
        if part not in self.htmls:
            self.htmls[part] = self.renderer.print_html(part)
        return self.htmls[part]

    def _key(self, html: str) -> str:
        return "part-" + cache.layout_key(html, self.sheets, self.fonts, True)

    def cached(self, part: Slice) -> PartResult | None:
        """The part as laid out before, if the part cache holds its exact HTML."""
        html = self.html(part)
        hit = cache.load_layout(self.out, self._key(html)) if self.use_cache else None
        if hit is None:
            return None
        data, facts = hit
        return PartResult(data, facts["pages"], facts["anchors"], [tuple(s) for s in facts["starts"]],
                          facts["stand_ins"], facts["warnings"], first_page=part.first_page)

    def submit(self, part: Slice, again: bool = False, group: int = -1) -> _Ready | _Pending:
        """Start laying out one part on the pool (or take it from the part cache); ``group``: its
        index among the body groups (-1: the front matter or the contents)."""
        html = self.html(part)
        name = "contents" if part.toc else "front" if part.front else _chapters(part.chapters)
        hit = self.cached(part)
        if hit is not None:
            trace("render-pdf-part", part=name, cached=True)
            if self.board is not None:
                self.board.post(group, hit.pages)
            return _Ready(hit)
        trace("render-pdf-part", part=name, again=again)
        seat = Seat(self.board.name, group) if self.board is not None and group >= 0 else None
        job = PartJob(html, self.book.root, self.book.output.style_dir, self.book.output.page_size, self.identifier,
                      part.first_page, seat)

        def store(r: PartResult) -> None:
            trace("render-pdf-part", part=name, done=True, pages=r.pages, seconds=r.seconds, layouts=r.layouts,
                  lab_layouts=r.lab_layouts)
            key = self._key(self.html(replace(part, first_page=r.first_page)))  # the folios it printed
            cache.store_layout(self.out, key, r.pdf, {
                "pages": r.pages, "anchors": r.anchors, "starts": r.starts, "stand_ins": r.stand_ins,
                "warnings": r.warnings}, keep=64)
        self.laid_out += 1
        if group >= 0:
            self.laid_groups.add(part.chapters)
        return _Pending(self.pool.submit(lay_out_part, job), store)

    def _weight(self, part: Slice) -> float:
        """Roughly how long a part takes to lay out, in words."""
        sections = ((self.book.front_before_toc if part.front else ()) + (self.book.front_after_toc if part.prelims else ())
                    + (self.book.back if part.back else ()))
        return (_words(self.book, part.chapters or ()) + sum(len(plain_text(s.content).split()) for s in sections)
                + (FRONT_PAGES_WEIGHT if part.front else 0))

    def _estimate(self, numbers: tuple[int, ...], words_per_page: float) -> int:
        """Pages a group of chapters should fill: each chapter starts on a right-hand page, so each
        fills an even number."""
        return sum(2 * math.ceil((OPENING_PAGES + _words(self.book, (n,)) / words_per_page) / 2) for n in numbers)

    def _words_per_page(self, groups: list[Slice], results: dict[int, PartResult]) -> float:
        """Measured on the groups laid out so far in this build; else the page size's first guess."""
        words = sum(_words(self.book, groups[i].chapters or ()) for i in results)
        pages = sum(_odd(results[i].pages) - OPENING_PAGES * len(groups[i].chapters or ()) for i in results)
        return words / pages if words and pages > 0 else WORDS_PER_PAGE[self.book.output.page_size]

    def _first_page(self, k: int, groups: list[Slice], results: dict[int, PartResult]) -> int | None:
        """Group ``k``'s first folio: counted from the groups before it that are laid out, and for the
        others their page count in the last build, else an estimate."""
        if k == 0:
            return None
        per_page = self._words_per_page(groups, results)
        page = 1
        for i in range(k):
            if i in results:
                page += _odd(results[i].pages)
            else:
                page += self.history.get(self._history_key(groups[i])) or self._estimate(groups[i].chapters or (),
                                                                                     per_page)
        return page

    def _history_key(self, group: Slice) -> str:
        return f"{self.book.output.page_size} {group.chapters}"

    def _true_first_page(self, i: int, groups: list[Slice], results: dict[int, PartResult]) -> int | None:
        """Group ``i``'s first folio once every group before it has a page count (a group's page
        count does not depend on its first folio, so even a layout from a wrong guess counts)."""
        if any(j not in results for j in range(i)):
            return None
        return 1 + sum(_odd(results[j].pages) for j in range(i)) if i else None

    def _lay_out_groups(self, front_part: Slice, groups: list[Slice],
                        on_front: Callable[[bytes], object]) -> tuple[PartResult, dict[int, PartResult]]:
        """Lay out the front matter and the groups, no more at a time than there are workers, each
        group from the best guess of its first folio; a group found to start elsewhere is laid out
        again first. ``on_front`` runs in a thread as soon as the front matter is there."""
        results: dict[int, PartResult] = {}
        right: set[int] = set()  # groups laid out from their true first folio
        running: dict[int, _Ready | _Pending] = {}  # in the order submitted
        front: list[PartResult] = []
        helper: list[threading.Thread] = []
        failed: list[BaseException] = []

        def give(pdf: bytes) -> None:
            try:
                on_front(pdf)
            except BaseException as exc:  # noqa: BLE001 - raised again in the build's thread
                failed.append(exc)

        def take(i: int) -> None:
            result = running.pop(i).result()
            if i < 0:
                front.append(result)
                helper.append(threading.Thread(target=give, args=(result.pdf,), daemon=True))
                helper[0].start()
            else:
                results[i] = result
                if result.first_page != groups[i].first_page:  # the board told the worker the true one
                    groups[i] = replace(groups[i], first_page=result.first_page)

        def next_done() -> int:
            """The part that finishes first (with no workers: the first submitted)."""
            futures = {h.pending: i for i, h in running.items()
                       if isinstance(h, _Pending) and isinstance(h.pending, Future)}
            if futures:
                done, _ = wait(futures, return_when=FIRST_COMPLETED)
                return min(futures[f] for f in done)
            return next(iter(running))

        # Book order (-1 is the front matter): alone, every first folio is then known; with more
        # groups than workers, each guess has but one unknown (the group in flight before it). With
        # as many groups as workers: the heaviest first, so that the workers finish together.
        order = list(range(-1, len(groups)))
        recent = getattr(self.pool, "recent", None)
        if 1 < self.jobs and len(groups) <= self.jobs:
            order.sort(key=lambda i: -self._weight(front_part if i < 0 else groups[i]))
        elif 1 < self.jobs and recent:  # a pool kept between builds (serve): the groups it laid out last
            # first, so that an edited chapter reaches a worker before the HTML of the parts before it is
            # made (each part's HTML is its cache key); the board tells that worker its true first folio.
            # No more than jobs - 1 of them: one worker always goes on in book order, so a group waiting
            # on the board for the page counts before it never waits on a group not yet looked at
            ahead = [i for i in order if i >= 0 and groups[i].chapters in recent][:self.jobs - 1]
            order = ahead + [i for i in order if i not in ahead]
        try:  # the helper thread never outlives this call (not even a failed layout's)
            while order or running or len(right) < len(groups):
                for i in [i for i, h in running.items() if isinstance(h, _Ready)]:
                    take(i)
                wrong = []
                for i in sorted(set(results) - right - set(running)):
                    true = self._true_first_page(i, groups, results)
                    if true == groups[i].first_page:  # (group 0: both None, the body starts at 1)
                        right.add(i)
                    elif true is not None:
                        wrong.append(i)
                if (wrong or order) and sum(isinstance(h, _Pending) for h in running.values()) < self.jobs:
                    again = bool(wrong)
                    if wrong:
                        i = wrong[0]
                        groups[i] = replace(groups[i], first_page=self._true_first_page(i, groups, results))
                        self.relaid += 1
                    else:
                        i = order.pop(0)
                        if i >= 0:
                            groups[i] = replace(groups[i], first_page=self._first_page(i, groups, results))
                    running[i] = self.submit(front_part if i < 0 else groups[i], again, i)
                elif running:
                    take(next_done())
                elif not order and not wrong and len(right) < len(groups):
                    raise RuntimeError("part layout cannot finish")  # cannot happen: every group is laid out
        finally:
            for thread in helper:
                thread.join()
        if failed:
            raise failed[0]
        if self.laid_groups and recent is not None:
            recent.clear()
            recent.update(self.laid_groups)
        return front[0], results

    def lay_out_book(self, on_front: Callable[[bytes], object] = lambda pdf: None,
                     on_pieces: Callable[[list[tuple[bytes, bool]], list[str]], object] = lambda pieces, labels: None,
                     ) -> LaidOutBook:
        """Lay out every part (on the pool's workers), then the contents, then join them.
        ``on_front`` gets the front matter's PDF as soon as it is there (the EPUB's cover is its first page);
        ``on_pieces`` the parts' PDFs in book order (each with whether a blank page follows it) and every
        page's label, before they are joined (``serve`` shows the pages from them)."""
        from compiler.pdf.merge import MergeError, Piece, merge, page_count

        parts = plan(self.book)
        groups = list(parts.groups)
        trace("plan-pdf", total=len(groups) + 2)  # the groups, the front matter and the contents
        self.board = Board()
        try:
            front, results = self._lay_out_groups(parts.front, groups, on_front)
        finally:
            self.board.close()
            self.board = None
        cache.store_json(self.out, "pages", {**self.history, **{
            self._history_key(g): _odd(results[i].pages) for i, g in enumerate(groups)}})

        labels_at: dict[str, str] = {a: roman(i + 1) for a, i in front.anchors.items()}
        starts = [1]
        for i in range(len(groups)):
            labels_at.update({a: str(starts[i] + n) for a, n in results[i].anchors.items()})
            starts.append(starts[i] + _odd(results[i].pages))
        toc_start = _odd(front.pages) + 1
        contents = self.submit(Slice(front=False, chapters=(), back=False, first_page=toc_start,
                                     toc_pages=labels_at)).result()
        first_body = _odd(front.pages) + _odd(contents.pages)
        ordered = [(front, True), (contents, True)] + [(results[i], i < len(groups) - 1) for i in range(len(groups))]
        pieces, offsets, offset = [], [], 0
        for result, pad in ordered:
            pieces.append(Piece(result.pdf, frozenset(result.stand_ins), pad and result.pages % 2 == 1))
            offsets.append(offset)
            offset += _odd(result.pages) if pad else result.pages
        labels = [roman(i + 1) if i < first_body else str(i - first_body + 1) for i in range(offset)]
        on_pieces([(p.pdf, p.blank_after) for p in pieces], labels)
        merged_key = "merged-" + hashlib.sha256(json.dumps(
            [cache.compiler_digest(), self.creator, first_body,
             [[hashlib.sha256(p.pdf).hexdigest(), sorted(p.stand_ins), p.blank_after] for p in pieces]]).encode()
        ).hexdigest()
        hit = cache.load_layout(self.out, merged_key) if self.use_cache else None
        if hit is not None and hit[1].get("pages") == offset == page_count(hit[0]):
            trace("merge-pdf", cached=True)
            data = hit[0]
        else:
            trace("merge-pdf")
            data = merge(pieces, first_body, self.creator)
            if page_count(data) != offset:  # a part's PDF is not the one its facts describe
                raise MergeError(f"the joined book has {page_count(data)} pages, its parts {offset}")
            cache.store_layout(self.out, merged_key, data, {"pages": offset})
        breaks = [PageBreak(labels[base + index], target, words)
                  for (result, _), base in zip(ordered, offsets) for index, target, words in result.starts]
        warnings = [w for result, _ in ordered for w in result.warnings]
        return LaidOutBook(data, labels, breaks, warnings, front.pdf, self.laid_out)
