"""The periods the reports count over: calendar quarters, the academic year before a census,
and the DfE's census days.

*Quarters* are calendar quarters: Q1 January-March, Q2 April-June, Q3
July-September, Q4 October-December. A period's days include both ends. Every
date here is a date in England (``rules.local_time.local_today``), never a UTC date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from cme_desktop.services.errors import InvalidInput
from cme_desktop.services.rules.dates import MONTH_ABBREVIATIONS
from cme_desktop.services.rules.school_age import academic_year_start

_QUARTER = re.compile(r"^\s*(\d{4})\s*-?\s*Q([1-4])\s*$", re.IGNORECASE)


@dataclass(frozen=True, order=True)
class Quarter:
    """A calendar quarter: Q1 Jan-Mar, Q2 Apr-Jun, Q3 Jul-Sep, Q4 Oct-Dec."""

    year: int
    number: int

    def __post_init__(self) -> None:
        if not (1 <= self.number <= 4 and 1900 <= self.year <= 9998):
            raise InvalidInput(f"There is no quarter {self.year}-Q{self.number}.", field="quarter")

    @classmethod
    def parse(cls, text: str) -> Quarter:
        """``2026-Q3`` (also ``2026Q3``, ``2026-q3``) -> July to September 2026."""
        match = _QUARTER.match(text or "")
        if not match:
            raise InvalidInput(
                f"'{text}' is not a quarter: write it as YYYY-Qn, e.g. 2026-Q3 for July to "
                "September 2026.",
                field="quarter",
            )
        return cls(int(match[1]), int(match[2]))

    @classmethod
    def containing(cls, day: date) -> Quarter:
        """The quarter that ``day`` falls in."""
        return cls(day.year, (day.month - 1) // 3 + 1)

    @property
    def start(self) -> date:
        return date(self.year, 3 * self.number - 2, 1)

    @property
    def end(self) -> date:
        """The quarter's last day."""
        following = self.previous(-1)
        return following.start - timedelta(days=1)

    def previous(self, n: int = 1) -> Quarter:
        """The quarter ``n`` before this one (``n`` may be negative)."""
        index = self.year * 4 + self.number - 1 - n
        return Quarter(index // 4, index % 4 + 1)

    @property
    def label(self) -> str:
        """E.g. ``Jul–Sep 2026``."""
        first = MONTH_ABBREVIATIONS[self.start.month - 1]
        return f"{first}–{MONTH_ABBREVIATIONS[self.start.month + 1]} {self.year}"

    @property
    def period(self) -> Period:
        return Period(self.start, self.end, str(self))

    def __str__(self) -> str:
        return f"{self.year}-Q{self.number}"


@dataclass(frozen=True)
class Period:
    """Days from ``start`` to ``end``, both included."""

    start: date
    end: date
    label: str


def academic_year_before(day: date) -> Period:
    """The academic year (1 September to 31 August) before the one ``day`` is in: ``2025/26``."""
    year_start = academic_year_start(day)
    before = date(year_start.year - 1, 9, 1)
    return Period(
        before, year_start - timedelta(days=1), f"{before.year}/{str(year_start.year)[2:]}"
    )


# --- the DfE's census days -----------------------------------------------------------------


def _nth_thursday(year: int, month: int, n: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(3 - first.weekday()) % 7 + 7 * (n - 1))


def census_days(academic_year: int) -> tuple[date, date, date]:
    """The school-census Thursdays of the academic year starting in September ``academic_year``.

    Autumn: the first Thursday in October; spring: the third Thursday in January; summer:
    the third Thursday in May (the DfE's CME and EHE collection uses the school census
    days: ``docs/dfe-return.md``).
    """
    return (
        _nth_thursday(academic_year, 10, 1),
        _nth_thursday(academic_year + 1, 1, 3),
        _nth_thursday(academic_year + 1, 5, 3),
    )


def proposed_census_day(today: date, saved: tuple[date, ...] = ()) -> date:
    """The census day to propose: the latest saved or standard census day on or before ``today``."""
    year = academic_year_start(today).year
    standard = (*census_days(year - 1), *census_days(year))
    candidates = [d for d in (*standard, *saved) if d <= today]
    return max(candidates)
