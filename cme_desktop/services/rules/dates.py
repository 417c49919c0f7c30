"""The calendar words the application writes and reads, held once.

Dates are shown the way an officer writes them (``31 Dec 2026``), never through
the machine's locale, so a report printed on any laptop reads the same.
"""

from __future__ import annotations

from datetime import date

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
