"""Recognise the header and footer lines that WordPress archive themes print.

A header says what the page archives: a tag or category (which becomes a tag
of every post on the page) or a date (a day, a month or a year, which gives
the posts a date or a date range). A footer closes a post and carries its
comment count.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from compiler.model import DateSpan

_QUOTES = "‘’'“”\"«»"

_TAG = re.compile(r"^(?:posts tagged|tag archives?:|tag:|tagged:?)\s+(?P<name>.+?)$", re.I)
_CATEGORY = re.compile(
    r"^(?:archive for the\s+(?P<a>.+?)\s+category|posts categori[sz]ed\s+(?P<b>.+?)"
    r"|category archives?:\s*(?P<c>.+?)|category:\s*(?P<d>.+?))$", re.I)
_DATE = re.compile(
    r"^(?:archive for|archives? for|daily archives?:|monthly archives?:|yearly archives?:)"
    r"\s+(?P<when>.+?)$", re.I)
_MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): number for number, name in enumerate(calendar.month_abbr) if name})
_DAY = re.compile(r"^(?P<month>[a-z]+)\.?\s+(?P<day>\d{1,2}),?\s+(?P<year>\d{4})$", re.I)
_DAY_FIRST = re.compile(r"^(?P<day>\d{1,2})\s+(?P<month>[a-z]+)\.?,?\s+(?P<year>\d{4})$", re.I)
_MONTH = re.compile(r"^(?P<month>[a-z]+)\.?,?\s+(?P<year>\d{4})$", re.I)
_YEAR = re.compile(r"^(?P<year>\d{4})$")

_FOOTER = re.compile(
    r"^(?:leave a comment|leave a reply|no comments|one comment|comments off(?: on .+)?"
    r"|comments are closed\.?|comments?\s*\((?P<n>\d+)\)|(?P<m>\d+)\s+comments?|(?P<one>1)\s+comment)"
    r"\s*»?$", re.I)


@dataclass(frozen=True, slots=True)
class Header:
    """What an archive page is an archive of."""

    text: str
    tag: str | None = None
    date: DateSpan | None = None


def _unquote(name: str) -> str:
    return name.strip().strip(_QUOTES).strip()


def _month(name: str) -> int | None:
    return _MONTHS.get(name.lower().rstrip("."))


def parse_date(when: str) -> DateSpan | None:
    """Parse the date part of a date archive header into a span of days."""
    when = when.strip().strip(_QUOTES)
    try:
        for pattern in (_DAY, _DAY_FIRST):
            if (m := pattern.match(when)) and (month := _month(m["month"])):
                day = dt.date(int(m["year"]), month, int(m["day"]))
                return DateSpan(day, day)
        if (m := _MONTH.match(when)) and (month := _month(m["month"])):
            year = int(m["year"])
            last = calendar.monthrange(year, month)[1]
            return DateSpan(dt.date(year, month, 1), dt.date(year, month, last))
        if m := _YEAR.match(when):
            year = int(m["year"])
            return DateSpan(dt.date(year, 1, 1), dt.date(year, 12, 31))
    except ValueError:
        return None
    return None


def parse_header(line: str) -> Header | None:
    """Recognise an archive header line, or return None."""
    text = line.strip()
    if m := _CATEGORY.match(text):
        name = next(g for g in m.groups() if g)
        return Header(text, tag=_unquote(name)) if _unquote(name) else None
    if m := _TAG.match(text):
        return Header(text, tag=_unquote(m["name"])) if _unquote(m["name"]) else None
    if (m := _DATE.match(text)) and (span := parse_date(m["when"])):
        return Header(text, date=span)
    return None


def parse_footer(line: str) -> int | None:
    """The comment count of a footer line ("Leave a comment »" is 0), or None."""
    m = _FOOTER.match(line.strip())
    if not m:
        return None
    count = m["n"] or m["m"] or m["one"]
    return int(count) if count else 0
