"""Dedup: copies into unique posts, with provenance; near copies merge, distinct posts stay apart."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from compiler.dedup import dedup, fold
from compiler.model import PostCopy, Seen
from compiler.model.nodes import Content, Paragraph, Text, map_text

from conftest import sentences


def _post(posts, start):  # type: ignore[no-untyped-def]
    return next(p for p in posts if p.title.replace("\u00a0", " ").startswith(start))


def test_seeds_give_13_posts_and_3_merges(seed_copies) -> None:  # type: ignore[no-untyped-def]
    posts, merges = dedup(seed_copies)
    assert len(posts) == 13
    assert len(merges) == 3 and {m.reason for m in merges} == {"exact"}
    shelters = _post(posts, "Shelters for Victims of Human Trafficking in Kazakhstan")
    assert shelters.id == "shelters-for-victims-of-human-trafficking-in-kazakhstan"
    assert set(shelters.tags) == {"IOM", "Ministry of Justice"}
    assert [s.file.rsplit("/", 1)[-1][:3] for s in shelters.provenance] == ["001", "002"]
    freed = _post(posts, "The Future of Freed Slaves")
    assert freed.date is not None and freed.date.precise and freed.date.start == dt.date(2012, 2, 6)
    part2 = _post(posts, "Shelters for Victims of Human Trafficking in Kazakhstan (Part")
    assert part2.id == "shelters-for-victims-of-human-trafficking-in-kazakhstan-part-ii"
    assert len({p.id for p in posts}) == 13


def test_fidelity_every_source_sentence_exactly_once(seed_pages, seed_copies) -> None:  # type: ignore[no-untyped-def]
    """Every sentence of the source pages appears in the unique posts, character for character."""
    from compiler.ingest.headers import parse_footer, parse_header

    posts, _ = dedup(seed_copies)
    corpus = [p.title + "\n" + "\n".join(p.paragraphs) for p in posts]
    for page in seed_pages:
        raw = page.read_text(encoding="utf-8")
        raw = re.sub(r"\n(?=[a-z])", " ", raw)  # join the soft-wrapped lines
        for line in raw.split("\n")[1:]:
            line = line.strip()
            if not line or parse_footer(line) is not None or parse_header(line) is not None:
                continue
            for sentence in sentences(line):
                found = sum(text.count(sentence) for text in corpus)
                if len(sentence) >= 25:
                    assert found == 1, (page.name, sentence)
                else:
                    assert found >= 1, (page.name, sentence)
    for text in corpus:
        assert "Leave a comment" not in text and "Comments (" not in text and "Posts tagged" not in text


def _variant(copy: PostCopy, n: int, **changes) -> PostCopy:  # type: ignore[no-untyped-def]
    return replace(copy, seen=Seen("variant.txt", 100 + n, n, "Posts tagged Test"), tags=("Test",), **changes)


def _map_text(copy: PostCopy, fn) -> Content:  # type: ignore[no-untyped-def]
    return map_text(copy.content, fn)


def _paragraph(text: str) -> Content:
    return Content((Paragraph((Text(text),)),))


def _base(seed_copies):  # type: ignore[no-untyped-def]
    return next(c for c in seed_copies if c.title.startswith("From a Discouraged"))


def test_whitespace_changed_copy_merges(seed_copies) -> None:  # type: ignore[no-untyped-def]
    base = _base(seed_copies)
    copy = _variant(base, 1, content=_map_text(base, lambda t: t.replace(" ", "  ").replace("\u00a0", " ")))
    posts, merges = dedup([base, copy])
    assert len(posts) == 1 and merges[0].reason == "near" and posts[0].tags == ("NGOs", "Test")


def test_quote_style_changed_copy_merges(seed_copies) -> None:  # type: ignore[no-untyped-def]
    base = next(c for c in seed_copies if c.title.startswith("Kazakhstan’s Oil"))
    straight = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'", "–": "-", "…": "..."})
    copy = _variant(base, 2, title=base.title.translate(straight), content=_map_text(base, lambda t: t.translate(straight)))
    posts, merges = dedup([copy, base])
    assert len(posts) == 1 and merges[0].reason == "near"
    assert posts[0].title == base.title  # the curly original is kept


def test_title_case_changed_copy_merges(seed_copies) -> None:  # type: ignore[no-untyped-def]
    base = _base(seed_copies)
    copy = _variant(base, 3, title=base.title.upper())
    posts, merges = dedup([base, copy])
    assert len(posts) == 1 and len(merges) == 1


def test_truncated_excerpt_merges_into_full_post(seed_copies) -> None:  # type: ignore[no-untyped-def]
    base = _base(seed_copies)
    first = base.paragraphs[0]
    excerpt = _variant(base, 4, content=_paragraph(first[:180].rsplit(" ", 1)[0] + " […]"), comments=7,
                       date=None)
    posts, merges = dedup([excerpt, base])
    assert len(posts) == 1 and merges[0].reason == "excerpt"
    assert posts[0].paragraphs == base.paragraphs and posts[0].comments == 7
    more = _variant(base, 5, content=_paragraph(first[:120] + "… Continue reading →"))
    posts, merges = dedup([base, more])
    assert len(posts) == 1 and merges[0].reason == "excerpt"


def test_trailing_continuation_marker_merges(seed_copies) -> None:  # type: ignore[no-untyped-def]
    base = next(c for c in seed_copies if c.title.replace("\u00a0", " ") ==
                "Shelters for Victims of Human Trafficking in Kazakhstan")
    without = _variant(base, 6, content=Content(base.content.blocks[:-1]))  # drop "(to be continued)"
    posts, _ = dedup([without, base])
    assert len(posts) == 1 and posts[0].paragraphs[-1] == "(to be continued)"


def test_same_title_different_body_stays_apart(seed_copies) -> None:  # type: ignore[no-untyped-def]
    base = _base(seed_copies)
    other = next(c for c in seed_copies if c.title.startswith("A Kazakh’s View"))
    impostor = _variant(other, 7, title=base.title)
    posts, merges = dedup([base, impostor])
    assert len(posts) == 2 and not merges
    assert sorted(p.id for p in posts) == ["from-a-discouraged-abolitionist-in-kazakhstan",
                                           "from-a-discouraged-abolitionist-in-kazakhstan-2"]


def test_series_parts_stay_apart(seed_copies) -> None:  # type: ignore[no-untyped-def]
    part2 = next(c for c in seed_copies if "(Part\u00a0II)" in c.title and c.title.startswith("Shelters"))
    part1 = _variant(part2, 8, title=part2.title.replace(" (Part\u00a0II)", ""))
    posts, merges = dedup([part1, part2])
    assert len(posts) == 2 and not merges


def test_fold_is_quote_dash_space_and_case_blind() -> None:
    assert fold("“Issues” – ‘Yes’…\u00a0 OK") == fold('"issues" - \'yes\'... ok')


@settings(max_examples=25, deadline=None)
@given(st.randoms(use_true_random=False))
def test_dedup_is_independent_of_page_order(seed_copies, rnd) -> None:  # type: ignore[no-untyped-def]
    expected = dedup(seed_copies)
    shuffled = list(seed_copies)
    rnd.shuffle(shuffled)
    assert dedup(shuffled) == expected


@settings(max_examples=10, deadline=None)
@given(st.randoms(use_true_random=False))
def test_dedup_of_its_own_output_changes_nothing(seed_copies, rnd) -> None:  # type: ignore[no-untyped-def]
    posts, _ = dedup(seed_copies)
    again = [PostCopy(p.title, p.content, p.tags, p.date, p.comments, p.provenance[0]) for p in posts]
    rnd.shuffle(again)
    posts2, merges2 = dedup(again)
    assert not merges2
    assert [(p.id, p.title, p.paragraphs, p.tags, p.date) for p in posts2] == \
        [(p.id, p.title, p.paragraphs, p.tags, p.date) for p in posts]
