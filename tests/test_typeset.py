"""Copy-editing as typesetting (compiler/render/typeset.py): goldens of the typo filter, extracts and
salutations, and proof that setting the text changes marks and spaces only, never its words."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compiler.model.nodes import Blockquote, Content, Emphasis, Paragraph, Text, paragraphs
from compiler.render.typeset import extract, salutation, typeset_paragraphs, typo

NBSP = "\u00a0"


@pytest.mark.parametrize("source, expected", [
    # apostrophes typed as backticks, primes, accents or straight quotes inside a word
    ("I don`t blame them. I`m a part of this.", "I don’t blame them. I’m a part of this."),
    ("for N.`s life", "for N.’s life"),
    ("it′s and it´s and it's", "it’s and it’s and it’s"),
    # quotation marks paired by context
    ("(“choice “not really being an appropriate word)", "(“choice” not really being an appropriate word)"),
    ("in Amaty “is funded by the city”. I am sorry", "in Amaty “is funded by the city”. I am sorry"),
    ("alert('pwned') and \"yes\"", "alert('pwned') and \"yes\""),  # straight quotes: as typed (code, markup)
    ("a word“ and more", "a word” and more"),
    ("the ‘treatment’ of victims", "the ‘treatment’ of victims"),
    # a currency symbol takes no space
    ("the amount of $ 70,000 for", "the amount of $70,000 for"),
    ("£ 5 and € 10 but $84,000", "£5 and €10 but $84,000"),
    # no line opens with a dash: a no-break space before a spaced en or em dash
    ("since Soviet times – she did not", f"since Soviet times{NBSP}– she did not"),
    ("Back in the USSR — yes", f"Back in the USSR{NBSP}— yes"),
    ("pp. 12–14 and well-known", "pp. 12–14 and well-known"),
    # what typo always did: one plain space, no invisible controls
    ("So  a\u00a0 worthwhile\u200b visit", "So a worthwhile visit"),
])
def test_typo_golden(source: str, expected: str) -> None:
    assert typo(source) == expected


_MARKS = re.compile(r"[\s\u00a0“”\"‘’'`´′]+")


def _words(text: str) -> str:
    """The text without its quotation marks, apostrophes and spaces: what setting must never change."""
    return _MARKS.sub("", text)


_PIECES = st.sampled_from(["word", "I", "don`t", "“", "”", "\"", "'", "‘", "’", " ", "  ", "$", " – ", "—",
                           "70,000", "(", ")", ".", ",", "\u00a0", "Dear", "s"])


@given(st.lists(_PIECES, max_size=30).map("".join))
@settings(max_examples=400, deadline=None)
def test_typo_changes_marks_and_spaces_only_and_is_idempotent(text: str) -> None:
    set_once = typo(text)
    assert _words(set_once) == _words(text.replace("\u200b", ""))
    assert typo(set_once) == set_once


def _quote(*texts: str) -> Blockquote:
    return Blockquote(tuple(Paragraph((Text(t),)) for t in texts))


def test_extract_drops_the_marks_that_enclose_it() -> None:
    assert paragraphs_of(extract(_quote("“We visited a shelter.", "So what can we do?”"))) == \
        ["We visited a shelter.", "So what can we do?"]
    # an opening that nothing closes (a comment quoted to its end, no closing mark)
    assert paragraphs_of(extract(_quote("“I have a passion.", "I left the police!"))) == \
        ["I have a passion.", "I left the police!"]
    # the wrong-facing mark inside is paired first, so the outer pair is still found
    assert paragraphs_of(extract(_quote("“She (“choice “not a word).", "Instances…”"))) == \
        ["She (“choice “not a word).", "Instances…"]


def test_extract_keeps_marks_that_are_not_its_edges() -> None:
    for quote in (_quote("“Whole quote.” And then the author goes on."), _quote("p. 158. “Victims pay.”"),
                  _quote("No marks at all."), Blockquote((Paragraph((Emphasis((Text("“x”"),)),)),))):
        assert extract(quote) is quote


def paragraphs_of(quote: Blockquote) -> list[str]:
    return list(paragraphs(quote))


def test_salutation() -> None:
    assert salutation("Dear Friend, I was gone for two days") == ("Dear Friend,", "I was gone for two days")
    assert salutation("Dear Ms Smith, hello.") == ("Dear Ms Smith,", "hello.")
    assert salutation("Dear Friend,") is None  # nothing after it: already a line of its own
    assert salutation("Dearly beloved, we gather") is None
    assert salutation("My dear friend, hello") is None


def test_the_shipped_book_as_set_keeps_every_word(book_model) -> None:  # type: ignore[no-untyped-def]
    """What the fidelity tests look for in the outputs (typeset_paragraphs) is the model's text with
    marks and spaces set, never a word less: so fidelity to the typeset text is fidelity to the source."""
    changed = 0
    for post in book_model.posts:
        source, typeset = list(post.paragraphs), list(typeset_paragraphs(post.content))
        assert len(source) == len(typeset)
        for a, b in zip(source, typeset):
            assert _words(a.replace("\u200b", "")) == _words(b), (post.id, a[:60])
            changed += a != b
    assert changed > 20  # the extracts' marks, backticks, dashes, "$ 70,000", doubled spaces


def test_typeset_paragraphs_reach_nested_quotations() -> None:
    inner = _quote("“Inner words.”")
    content = Content((Blockquote((inner,)),))
    assert list(typeset_paragraphs(content)) == ["Inner words."]
