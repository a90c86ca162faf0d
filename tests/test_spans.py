"""ingest/spans.py: spans found case-blind keep their places when lower-casing would move them."""

from __future__ import annotations

import re

from compiler.ingest.spans import fixed, replace_spans

PRE = re.compile(r"<pre\b", re.IGNORECASE)


def test_a_letter_that_lower_cases_to_two_does_not_move_the_span() -> None:
    # "İ".lower() is two characters: positions in the lower-cased text would drift by one each.
    text = "İİİ before <PRE>code</PRE> after"
    out = replace_spans(text, PRE, fixed("</pre>"), lambda span: "[" + span + "]")
    assert out == "İİİ before [<PRE>code</PRE>] after"


def test_spans_are_still_found_case_blind_in_other_texts() -> None:
    out = replace_spans("Ünïcode <pre>x</PRE> and <Pre>y</pre", PRE, fixed("</pre>"), lambda span: "#")
    assert out == "Ünïcode # and <Pre>y</pre"
