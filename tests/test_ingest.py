"""Ingest: archive pages into post copies (headers, footers, paragraphs, structure, errors)."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compiler.errors import CompilerError
from compiler.ingest import parse_page, read_pages
from compiler.ingest.headers import parse_footer, parse_header
from compiler.ingest.pages import paragraphs
from compiler.ingest.structure import structure
from compiler.model.nodes import Blockquote, Heading, Paragraph, Signoff, Text, inline_text

from conftest import copy_project


@pytest.mark.parametrize("line, tag", [
    ("Posts tagged IOM", "IOM"),
    ("Posts Tagged ‘Ministry of Justice’", "Ministry of Justice"),
    ("Archive for the ‘NGOs’ Category", "NGOs"),
    ("Archive for the 'Human Trafficking' Category", "Human Trafficking"),
    ("Posts categorized Shelters", "Shelters"),
    ("Tag Archives: Free2work", "Free2work"),
    ("Category Archives: Reflections", "Reflections"),
])
def test_tag_and_category_headers(line: str, tag: str) -> None:
    header = parse_header(line)
    assert header is not None and header.tag == tag and header.date is None


@pytest.mark.parametrize("line, start, end", [
    ("Archive for February 6, 2012", dt.date(2012, 2, 6), dt.date(2012, 2, 6)),
    ("Archive for February, 2012", dt.date(2012, 2, 1), dt.date(2012, 2, 29)),
    ("Archive for February 2012", dt.date(2012, 2, 1), dt.date(2012, 2, 29)),
    ("Archive for 2012", dt.date(2012, 1, 1), dt.date(2012, 12, 31)),
    ("Daily Archives: 6 February 2012", dt.date(2012, 2, 6), dt.date(2012, 2, 6)),
])
def test_date_headers(line: str, start: dt.date, end: dt.date) -> None:
    header = parse_header(line)
    assert header is not None and header.tag is None and header.date is not None
    assert (header.date.start, header.date.end) == (start, end)


@pytest.mark.parametrize("line", ["The Future of Freed Slaves", "Archive for nothing", "Posts tagged "])
def test_not_headers(line: str) -> None:
    assert parse_header(line) is None


@pytest.mark.parametrize("line, count", [
    ("Leave a comment »", 0), ("Comments (3) »", 3), ("Comments (12)", 12), ("Comments Off", 0),
    ("5 Comments", 5), ("1 Comment »", 1), ("Comments Off on A Post", 0), ("Comments are closed.", 0),
])
def test_footers(line: str, count: int) -> None:
    assert parse_footer(line) == count


def test_text_is_not_a_footer() -> None:
    assert parse_footer("Leave a comment if you agree with this.") is None


def test_soft_wrapped_lines_are_joined_and_new_lines_start_paragraphs() -> None:
    lines = ["First line of a paragraph that was", "broken inside a sentence.", "Next paragraph.", "",
             "Third\u00a0paragraph  keeps  its spaces."]
    assert paragraphs(lines) == ["First line of a paragraph that was broken inside a sentence.",
                                 "Next paragraph.", "Third\u00a0paragraph  keeps  its spaces."]


def test_seed_pages_have_sixteen_copies_and_two_soft_wraps(seed_copies) -> None:  # type: ignore[no-untyped-def]
    assert len(seed_copies) == 16
    texts = [t for c in seed_copies for t in c.paragraphs]
    # The two soft wraps in the seeds (each post is on two pages) are joined with one space.
    assert sum("neglect was often created and became generational" in t for t in texts) == 2
    assert sum("got into trouble or ‘bad company’" in t for t in texts) == 2
    assert not any(t.startswith(("created and became", "or ‘bad company")) for t in texts)


def test_no_header_or_footer_text_in_posts(seed_copies) -> None:  # type: ignore[no-untyped-def]
    for copy in seed_copies:
        for text in copy.paragraphs:
            assert parse_footer(text) is None, text
            assert parse_header(text) is None, text
            assert "»" not in text


def test_structure_marks_heading_letter_and_signoff(seed_copies) -> None:  # type: ignore[no-untyped-def]
    tip = next(c for c in seed_copies if c.title.startswith("Hope in Kazakhstan"))
    document = next(b for b in tip.content.blocks if isinstance(b, Blockquote))  # the report: an extract
    assert document.blocks[0] == Heading(1, (Text("Trafficking in Persons Report 2011: Kazakhstan"),))
    assert inline_text(document.blocks[-1].children).startswith("The government increased its prevention")
    after = tip.content.blocks[tip.content.blocks.index(document) + 1]
    assert isinstance(after, Paragraph) and inline_text(after.children).startswith("I’m still wondering")
    letter = next(c for c in seed_copies if c.title.startswith("From a Discouraged"))
    quote = next(b for b in letter.content.blocks if isinstance(b, Blockquote))
    assert isinstance(quote.blocks[0], Paragraph) and inline_text(quote.blocks[0].children).startswith("Dear Friend")
    assert quote.blocks[-1] == Signoff(("Yours Truly,", "Aigerim, a Discouraged Abolitionist"))
    freed = next(c for c in seed_copies if c.title.startswith("The Future of Freed"))
    email = freed.content.blocks[-1]  # "The following is an e-mail…": the e-mail, to its sign-off
    assert isinstance(email, Blockquote) and email.blocks[-1] == Signoff(("your fellow abolitionist",))
    assert len(email.blocks) == 8 and isinstance(freed.content.blocks[0], Paragraph)
    oil = next(c for c in seed_copies if c.title.startswith("Kazakhstan’s Oil"))
    quote = next(b for b in oil.content.blocks if isinstance(b, Blockquote))
    first, last = quote.blocks[0], quote.blocks[-1]
    assert isinstance(first, Paragraph) and isinstance(last, Paragraph)
    assert inline_text(first.children).startswith("“As you have all") and inline_text(last.children).endswith("case)”")


def test_structure_never_drops_or_reorders_text() -> None:
    paras = ["Intro.", "“Opening a quote", "Middle", "closing it.”", "Short Heading Line Here", "Body text.",
             "“Unclosed quote", "“Another opening”", "Yours truly,", "Somebody Someone"]
    blocks = structure(paras)
    assert tuple(t for b in blocks for t in b.texts()) == tuple(paras)
    assert [b.kind for b in blocks] == ["p", "quote", "heading", "p", "p", "quote", "signoff"]


def test_structure_recognises_documents_letters_and_handovers() -> None:
    """Extracts the source does not quote: an embedded document (after an introduction, under its title,
    up to the author's first "I"), a letter after "The following is an e-mail", a quotation that never
    closes but hands over to the next one, a quotation after a page reference."""
    paras = ["The embassy shared the following info about last year.", "Annual Report 2011: Somewhere",
             "The country is a destination.", "The government made progress.", "I’m still wondering why.",
             "The following is an e-mail I got.", "Some of you know me.", "We went there.", "your fellow abolitionist",
             "“I have a passion for this work.", "I left the police.", "Here’s another comment…",
             "“You wrote “that” earlier.", "It is not correct.”", "p. 158. “Victims pay a price.", "Many do.”",
             "That is all."]
    blocks = structure(paras)
    assert tuple(t for b in blocks for t in b.texts()) == tuple(paras)
    assert [b.kind for b in blocks] == ["p", "quote", "p", "p", "quote", "quote", "p", "quote", "quote", "p"]
    document = blocks[1]
    assert [c.kind for c in document.children] == ["heading", "p", "p"]
    assert blocks[4].children[-1].kind == "signoff" and len(blocks[4].children) == 3
    assert blocks[5].texts() == ("“I have a passion for this work.", "I left the police.")
    assert blocks[8].texts() == ("p. 158. “Victims pay a price.", "Many do.”")


def test_structure_leaves_a_titled_first_person_section_alone() -> None:
    """A heading after an introduction whose next paragraph is in the first person is the author's own."""
    paras = ["Here is what happened as follows:", "What I Did Next Summer", "I went to Astana.", "Then home."]
    assert [b.kind for b in structure(paras)] == ["p", "heading", "p", "p"]


_PARAGRAPHS = st.sampled_from([
    "Intro.", "“Opening a quote", "Middle", "closing it.”", "“Whole quote.”", "Short Heading Line Here",
    "Body text.", "Dear Friend,", "Dear Ms Smith, hello.", "Yours truly,", "Sincerely", "Somebody Someone",
    "(to be continued)", "Best regards,", "your fellow abolitionist", "“", "”", "A", "Thank you",
    "The following is an e-mail.", "It shared the following info:", "Here’s another comment…",
    "p. 158. “Victims pay.", "I’m back.", "Report On Things 2011: Here",
])


@given(st.lists(_PARAGRAPHS, max_size=14))
@settings(max_examples=300, deadline=None)
def test_structure_keeps_every_paragraph_in_order(paras: list[str]) -> None:
    """No fallback hides a rule that loses text: the rules themselves must keep it."""
    blocks = structure(paras)
    assert tuple(t for b in blocks for t in b.texts()) == tuple(paras)


def test_copy_dates_tags_comments(seed_copies) -> None:  # type: ignore[no-untyped-def]
    freed = next(c for c in seed_copies if c.title.startswith("The Future of Freed"))
    assert freed.date and freed.date.start == dt.date(2012, 2, 6) and freed.tags == ()
    police = next(c for c in seed_copies if c.title.startswith("Former Kazakh Police"))
    assert police.tags == ("IOM",) and police.comments == 2 and police.seen.line == 97


@pytest.mark.parametrize("content, code, line", [
    (b"", "E110", 1),
    (b"\n\n   \n", "E110", 1),
    (b"Just a title\n\nSome text.\n\nLeave a comment \xc2\xbb\n", "E111", 1),
    (b"Posts tagged IOM\n\nLeave a comment \xc2\xbb\n", "E112", 3),
    (b"Posts tagged IOM\n\nTitle\n\nText.\n", "E115", 3),
    (b"Posts tagged IOM\n\nTitle\n\nLeave a comment \xc2\xbb\n", "E114", 3),
    (b"Posts tagged IOM\n\nTitle\n\nText \x81\x8d here.\n\nLeave a comment\n", "E104", 5),
    (b"Posts tagged IOM\n\nTitle\x00\n\nText.\n\nLeave a comment\n", "E103", 3),
])
def test_malformed_pages_name_file_and_line(tmp_path: Path, content: bytes, code: str, line: int) -> None:
    page = tmp_path / "page.txt"
    page.write_bytes(content)
    with pytest.raises(CompilerError) as info:
        read_pages([page], tmp_path)
    diagnostic = info.value.diagnostics[0]
    assert (diagnostic.code, diagnostic.file, diagnostic.line) == (code, "page.txt", line)
    assert diagnostic.format().startswith(f"page.txt:{line}: {code} ")


def test_all_bad_pages_are_reported_together(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_bytes(b"")
    (tmp_path / "b.txt").write_bytes(b"no header\n")
    with pytest.raises(CompilerError) as info:
        read_pages([tmp_path / "a.txt", tmp_path / "b.txt"], tmp_path)
    assert [d.file for d in info.value.diagnostics] == ["a.txt", "b.txt"]


def test_windows_1252_bom_and_crlf_pages_read_the_same(tmp_path: Path, seed_pages: list[Path]) -> None:
    text = seed_pages[0].read_text(encoding="utf-8")
    expected = parse_page(text, "x")
    variants = {
        "cp1252.txt": text.encode("cp1252"),
        "bom.txt": b"\xef\xbb\xbf" + text.encode("utf-8"),
        "crlf.txt": text.replace("\n", "\r\n").encode("utf-8"),
        "all.txt": text.replace("\n", "\r\n").encode("cp1252"),
    }
    for name, data in variants.items():
        (tmp_path / name).write_bytes(data)
        copies = read_pages([tmp_path / name], tmp_path)
        assert [(c.title, c.paragraphs) for c in copies] == [(c.title, c.paragraphs) for c in expected], name


# -- golden broken pages (tests/pages/NN-name/page.txt, expected.txt: "LINE CODE") ----------------

PAGES = sorted(p for p in (Path(__file__).parent / "pages").iterdir() if p.is_dir())
CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _page_expected(case: Path) -> list[tuple[int, str]]:
    return [(int(line.split()[0]), line.split()[1]) for line in (case / "expected.txt").read_text().splitlines()]


@pytest.mark.parametrize("case", PAGES, ids=[p.name for p in PAGES])
def test_broken_page(case: Path, tmp_path: Path) -> None:
    page = tmp_path / "page.txt"
    shutil.copy(case / "page.txt", page)
    with pytest.raises(CompilerError) as info:
        read_pages([page], tmp_path)
    assert [(d.line, d.code) for d in info.value.diagnostics] == _page_expected(case)
    for diagnostic in info.value.diagnostics:
        text = diagnostic.format()
        assert "\n" not in text and not CONTROL.search(text) and len(text) < 300, repr(text)


@pytest.mark.parametrize("command", ["check", "build"])
@pytest.mark.parametrize("case", PAGES, ids=[p.name for p in PAGES])
def test_a_broken_page_is_the_only_problem_reported(case: Path, command: str, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The shipped book plus one broken page: its one line, and no consequence of it (such as an
    'unknown post id' for every correction, checked against the posts of the pages that could be read)."""
    import compiler.pdf.pool
    from compiler.cli import main

    project = copy_project(tmp_path / "book")
    shutil.copy(case / "page.txt", project / "sources" / "zz-broken.txt")
    monkeypatch.chdir(project)
    monkeypatch.setattr(compiler.pdf.pool, "workers", lambda *a, **k: contextlib.nullcontext(
        compiler.pdf.pool.InProcess()))
    assert main([command, "book.yaml"]) == 2
    err = capsys.readouterr().err
    assert not CONTROL.search(err), repr(err)
    reported = [re.match(r"sources/zz-broken\.txt:(\d+)(?::\d+)?: (E\d{3}) ", line) for line in err.splitlines()]
    assert all(reported), err
    assert [(int(m[1]), m[2]) for m in reported if m] == _page_expected(case), err
    assert not (project / "out").exists()


def test_whitespace_like_lines_are_blank() -> None:
    page = "Posts tagged IOM\n\u3000\nTitle\n\u00a0\nFirst.\n\u200b\nSecond.\n\nLeave a comment »\n"
    (copy,) = parse_page(page, "x")
    assert copy.title == "Title" and copy.paragraphs == ("First.", "Second.")


@pytest.mark.parametrize("case", PAGES, ids=[p.name for p in PAGES])
def test_posts_command_on_a_broken_page(case: Path, capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from compiler.cli import main

    monkeypatch.chdir(case)
    assert main(["posts", "page.txt"]) == 2
    err = capsys.readouterr().err
    assert [tuple(line.split(": ")[0].split(":")[1:2]) + (line.split()[1],) for line in err.splitlines()] == \
        [(str(line), code) for line, code in _page_expected(case)], err
    assert not CONTROL.search(err)
