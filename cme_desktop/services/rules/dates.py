"""The calendar words the application writes and reads, and the dates people type, held once.

Dates are shown the way an officer writes them (``31 Dec 2026``), never through
the machine's locale, so a report printed on any laptop reads the same; a form
writes them ``02/04/2013`` (``format_uk_date``).

The lenient readers (``parse_uk_date``, ``find_date_in_text``) turn what people
type into a Word form, a spreadsheet or a date box into a ``date``. Decisions
written down so they can be challenged:

- Dates are always read day first (``04/02/2013`` is 4 February). A two-digit
  year ``yy`` is 20yy when ``yy`` is at most this year's two digits plus one,
  else 19yy: in 2026, ``13`` is 2013 and ``27`` is 2027 but ``28`` is 1928
  (children's dates of birth and recent dates come out right). Four-digit
  years outside 1900-2199 are treated as unreadable.
"""

from __future__ import annotations

import re
from datetime import date

from cme_desktop.services.rules.local_time import local_today

#: Month names in calendar order, as they are written in full.
MONTH_NAMES: tuple[str, ...] = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

#: The three-letter forms used on screens, reports and letters.
MONTH_ABBREVIATIONS: tuple[str, ...] = tuple(name[:3] for name in MONTH_NAMES)


def format_date(day: date) -> str:
    """A date the way an officer writes it, e.g. ``31 Dec 2026`` (no locale involved)."""
    return f"{day.day} {MONTH_ABBREVIATIONS[day.month - 1]} {day.year}"


# --- lenient readers for the dates people type -----------------------------

_MONTH_NAMES = tuple(name.lower() for name in MONTH_NAMES)
_MONTHS = {name[:3]: n for n, name in enumerate(_MONTH_NAMES, start=1)}
_MONTHS |= {name: n for n, name in enumerate(_MONTH_NAMES, start=1)} | {"sept": 9}
_MONTH = r"(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
# Quantifiers are bounded so that searching long, hostile text stays linear.
_WEEKDAY = r"(?:(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:[a-z]{0,6}day)?\.?,?\s{1,3})?"
_YEAR = r"(?P<year>[0-9]{4}|[0-9]{2})"
_DAY = r"(?P<day>[0-9]{1,2})(?:st|nd|rd|th)?"
_GAP = r"[\s\-/.,]{0,4}"
_DATE_PATTERNS = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        r"(?P<year>[0-9]{4})[-/.](?P<month>[0-9]{1,2})[-/.](?P<day>[0-9]{1,2})",
        r"(?P<day>[0-9]{1,2}) ?(?P<sep>[/.\-\\]) ?(?P<month>[0-9]{1,2}) ?(?P=sep) ?" + _YEAR,
        _WEEKDAY + _DAY + r"(?:\s{1,3}of)?" + _GAP + _MONTH + _GAP + _YEAR,
        _WEEKDAY + _MONTH + r"\s{0,3}" + _DAY + r",?\s{1,3}" + _YEAR,
    )
)
# A day and month without a year, only inside a sentence and only with a
# capitalised month name ("3rd October"), so that "3 may come" is no date.
_YEARLESS = re.compile(
    _WEEKDAY
    + _DAY
    + r"(?:\s{1,3}of)?\s{1,3}(?P<month>"
    + "|".join(m.capitalize() for m in sorted(_MONTHS, key=len, reverse=True))
    + r")\b"
)
_TIME_SUFFIX = re.compile(
    r"(?:[T ]\s*[0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?\s*"
    r"(?:am|pm|z|[+-][0-9]{2}:?[0-9]{2})?)$",
    re.IGNORECASE,
)


def _today(today: date | None) -> date:
    return today if today is not None else local_today()


def _date_from(match: re.Match[str], today: date) -> date | None:
    parts = match.groupdict()
    month_text = parts["month"].lower().rstrip(".")
    month = int(month_text) if month_text.isdigit() else _MONTHS.get(month_text, 0)
    day = int(parts["day"])
    year_text = parts.get("year")
    if year_text is None:
        # No year: the most recent such day, not after today.
        for year in (today.year, today.year - 1):
            try:
                candidate = date(year, month, day)
            except ValueError:
                continue
            if candidate <= today:
                return candidate
        return None
    year = int(year_text)
    if len(year_text) == 2:
        year += 2000 if year <= today.year % 100 + 1 else 1900
    if not 1900 <= year <= 2199:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def parse_uk_date(text: str, *, today: date | None = None) -> date | None:
    """The date a person wrote, read day first; ``None`` if blank, unreadable or impossible.

    Reads ``02/04/2013``, ``2/4/13``, ``2.4.2013``, ``2-4-2013``, ``2 April 2013``,
    ``2nd April 2013``, ``2 Apr 13``, ``2-Apr-2013``, ``April 2, 2013``,
    ``2013-04-02`` (a trailing time of day is ignored). Two-digit years follow
    the module's pivot, relative to ``today``.
    """
    cleaned = _TIME_SUFFIX.sub("", " ".join(text.split())).strip(" .,")
    for pattern in _DATE_PATTERNS:
        match = pattern.fullmatch(cleaned)
        if match:
            return _date_from(match, _today(today))
    return None


_RUN_BEFORE = re.compile(r"[0-9][/.\-]")
_RUN_AFTER = re.compile(r"[/\-][0-9]")


def find_date_in_text(text: str, *, today: date | None = None) -> date | None:
    """The first date written inside a sentence, e.g. an outcome "Visited on 3rd Oct 2026".

    Reads the forms of ``parse_uk_date``, and also a day and a capitalised
    month without a year ("3rd October"), taken as the latest such day not
    after ``today``.
    """
    if not any(c.isdigit() for c in text):
        return None
    day = _today(today)
    found: list[tuple[int, int, date]] = []
    for pattern in (*_DATE_PATTERNS, _YEARLESS):
        for match in pattern.finditer(text):
            start, end = match.span()
            if (start and text[start - 1].isalnum()) or (end < len(text) and text[end].isalnum()):
                continue
            # Part of a longer run of numbers ("12/02/04/2013") is no date.
            if _RUN_BEFORE.fullmatch(text[max(0, start - 2) : start]) or _RUN_AFTER.fullmatch(
                text[end : end + 2]
            ):
                continue
            value = _date_from(match, day)
            if value is not None:
                found.append((start, start - end, value))
                break
    return min(found)[2] if found else None


_TRAILING_PUNCTUATION = " \t\n.,;:()[]"
_OUTCOME_JOINERS = " \t\n,;:-–—(["


def split_trailing_date(text: str, *, today: date | None = None) -> tuple[str, date | None]:
    """A text ending with a date, split: ``"No answer. 08/10/2026"`` → ``("No answer.", date)``.

    An action's outcome written as schools write it, with the date it was
    done at its end, keeps its words and gives up the date. A text that does
    not end with a readable date comes back whole, with ``None``.
    """
    words = text.rstrip(_TRAILING_PUNCTUATION).split(" ")
    for count in (3, 2, 1):
        if len(words) <= count and count > 1:
            continue
        candidate = " ".join(words[-count:]).strip(_TRAILING_PUNCTUATION)
        found = parse_uk_date(candidate, today=today) if candidate else None
        if found is not None:
            rest = " ".join(words[:-count]).rstrip(_OUTCOME_JOINERS)
            for word in ("on", "On", "dated", "date", "Date"):
                if rest.endswith(" " + word) or rest == word:
                    rest = rest[: -len(word)].rstrip(_OUTCOME_JOINERS)
            return rest, found
    return text, None


def format_uk_date(d: date | None) -> str:
    """A date as the form writes it, ``02/04/2013``; ``""`` for ``None``."""
    return "" if d is None else f"{d.day:02d}/{d.month:02d}/{d.year:04d}"
