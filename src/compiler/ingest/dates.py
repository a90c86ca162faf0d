"""Post dates as every reader writes them, read with their time zones and checked for range.

One place decides whether a post's date can be in a book, whatever format it
came from: :func:`checked` takes the numbers a reader found (year, month,
day, time, offset) and raises :class:`DateProblem` before Python's
``datetime`` is asked (it cannot hold year 0 or years after 9999, and would
fail with a bare ``ValueError``):

- ``E180`` a year before 1 (year 0, as some tools write a missing date, or a
  negative year);
- ``E181`` a year after 9999;
- ``E182`` a day that does not exist (February 30, month 13, hour 25);
- ``E183`` a time-zone offset beyond ±18 hours;
- ``E184`` a date in no format the reader knows.

:func:`rfc822` reads RSS dates (``Mon, 02 Mar 2009 08:09:33 +0000``, zone
names such as ``GMT`` and ``EST`` too), :func:`rfc3339` reads Atom, Hugo and
Jekyll dates (``2013-01-30T13:58:47-08:00``, a bare ``2021-11-05`` too), and
:func:`any_date` tries both. A reader turns a :class:`DateProblem` into its
one-line error with :meth:`DateProblem.error` (file and line). The returned
datetime keeps its zone; :func:`local_day` is the day the author saw.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from email.utils import parsedate_tz

from compiler.errors import CompilerError, Diagnostic

#: The widest UTC offset any place has used is 15:56; ±18 h is what RFC 3339 and ISO 8601 parsers accept.
MAX_OFFSET_MINUTES = 18 * 60

_RFC3339 = re.compile(
    r"^\s*(?P<year>[+-]?\d{1,9})-(?P<month>\d{1,2})-(?P<day>\d{1,2})"
    r"(?:[Tt ]+(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:[.,]\d+)?)?)?"
    r"\s*(?P<zone>[Zz]|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?\s*$")
#: The year of an RFC 822 date, as written: after the day and the month's name.
_RFC822_YEAR = re.compile(r"\b\d{1,2}[\s-]+[A-Za-z]{3,}\.?[\s-]+([+-]?\d+)\b")


class DateProblem(Exception):
    """A date no book can hold: its code (E180–E184) and what is wrong."""

    def __init__(self, code: str, message: str):
        super().__init__(f"{code} {message}")
        self.code = code
        self.message = message

    def error(self, file: str, line: int = 0) -> CompilerError:
        """The one-line error for ``file`` (and ``line``) that a reader raises."""
        hints = {"E180": "give the post its real date: year 0 is no year (WordPress writes 0000 for 'no date')",
                 "E181": "a year has at most four digits: correct the date",
                 "E182": "correct the date: that day or time does not exist",
                 "E183": "a time zone is at most 18 hours from UTC: correct the offset",
                 "E184": "write the date as RFC 822 (Mon, 02 Mar 2009 08:09:33 +0000) or RFC 3339 "
                         "(2009-03-02T08:09:33Z)"}
        return CompilerError(Diagnostic(self.code, self.message, file, line, hint=hints.get(self.code, "")))


def checked(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0,
            offset_minutes: int | None = None, shown: str = "") -> dt.datetime:
    """A datetime (aware when the offset is known), or :class:`DateProblem` saying why there is none."""
    what = f"date '{shown}'" if shown else f"date {year:04d}-{month:02d}-{day:02d}"
    if year < 1:
        raise DateProblem("E180", f"{what} is in year {year}: before year 1")
    if year > 9999:
        raise DateProblem("E181", f"{what} is in year {year}: after 9999")
    if offset_minutes is not None and abs(offset_minutes) > MAX_OFFSET_MINUTES:
        raise DateProblem("E183", f"{what} has a time-zone offset of {offset_minutes / 60:+.2f} hours")
    if second == 60:  # a leap second: the moment after 23:59:59
        second = 59
    if not (1 <= month <= 12 and 1 <= day <= calendar.monthrange(year, month)[1]):
        raise DateProblem("E182", f"{what} is not a day of the calendar")
    if not (0 <= hour <= 23 and 0 <= minute <= 59 and 0 <= second <= 59):
        raise DateProblem("E182", f"{what} has no such time of day")
    zone = dt.timezone(dt.timedelta(minutes=offset_minutes)) if offset_minutes is not None else None
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=zone)


def rfc3339(value: str) -> dt.datetime:
    """``2013-01-30T13:58:47-08:00``, ``…Z``, ``2009-03-02 08:09`` or ``2021-11-05``."""
    m = _RFC3339.match(value)
    if not m:
        raise DateProblem("E184", f"date '{value.strip()[:60]}' is not RFC 3339")
    g = m.groupdict()
    zone = g["zone"]
    offset: int | None = None
    if zone:
        if zone in ("Z", "z", "UTC", "GMT"):
            offset = 0
        else:
            digits = zone[1:].replace(":", "")
            offset = (int(digits[:2]) * 60 + int(digits[2:4] or 0)) * (-1 if zone[0] == "-" else 1)
    return checked(int(g["year"]), int(g["month"]), int(g["day"]), int(g["hour"] or 0), int(g["minute"] or 0),
                   int(g["second"] or 0), offset, value.strip()[:60])


def rfc822(value: str) -> dt.datetime:
    """``Mon, 02 Mar 2009 08:09:33 +0000`` (and the usual variants: no weekday, zone names, 2-digit years)."""
    text = value.strip()
    written = _RFC822_YEAR.search(text)
    parts = parsedate_tz(text)
    if parts is None:
        if written and len(written[1].lstrip("+-")) > 4:
            year = int(written[1])
            raise DateProblem("E180" if year < 1 else "E181", f"date '{text[:60]}' is in year {year}: "
                              + ("before year 1" if year < 1 else "after 9999"))
        raise DateProblem("E184", f"date '{text[:60]}' is not RFC 822")
    year, month, day, hour, minute, second = parts[:6]
    if written and len(written[1].lstrip("+-")) >= 3:  # parsedate_tz reads 0000 as 2000: take the year as written
        year = int(written[1])
    offset = None if parts[9] is None else parts[9] // 60
    return checked(year, month, day, hour, minute, second, offset, text[:60])


def any_date(value: str) -> dt.datetime:
    """An RFC 3339 date, else an RFC 822 one."""
    try:
        return rfc3339(value)
    except DateProblem as exc:
        if exc.code != "E184":
            raise
    return rfc822(value)


def local_day(moment: dt.datetime) -> dt.date:
    """The calendar day the date names where it was written (its own zone, not UTC)."""
    return moment.date()


__all__ = ["DateProblem", "any_date", "checked", "local_day", "rfc3339", "rfc822"]
