"""DAISY Ace on the shipped book's EPUB (the session's build): no accessibility violation.

The WordPress corpora get the same check in test_corpora.py, on their own builds.
Ace (tools/ace, pinned there) is installed by ``make setup``; the test skips,
saying why, only when Node.js or Chromium is absent (tools/setup-system installs them).
"""

from __future__ import annotations

from pathlib import Path

import acetools


def test_ace_finds_no_violation_in_the_shipped_book(built, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    acetools.skip_unless_available()
    run = acetools.start(built["epub"], tmp_path / "ace")
    found = run.violations()
    assert not found, f"{len(found)} Ace violations:\n" + "\n".join(found)
    print(f"Ace: {built['epub'].name}: 0 violations")


def test_the_report_reader_sees_a_violation() -> None:
    """The reader of Ace's report is what the checks above trust: it must see a failure."""
    heading = {"earl:testSubject": {"url": "text/a.xhtml"}, "assertions": [
        {"earl:test": {"dct:title": "heading-order", "earl:impact": "moderate"},
         "earl:result": {"earl:outcome": "fail", "dct:description": "Heading order invalid",
                         "earl:pointer": {"css": ["#a-b-1"]}}},
        {"earl:test": {"dct:title": "list", "earl:impact": "serious"},
         "earl:result": {"earl:outcome": "pass", "dct:description": ""}}]}
    report = {"earl:result": {"earl:outcome": "fail"}, "assertions": [heading]}
    assert acetools.violations(report) == [
        "text/a.xhtml: heading-order (moderate) at #a-b-1: Heading order invalid"]
    assert acetools.violations({"earl:result": {"earl:outcome": "pass"}, "assertions": []}) == []
