"""Compulsory school age, ages and National Curriculum year groups.

The CME duty (Education Act 1996 s.436A) covers children of *compulsory school
age*, so every case needs to know whether the child is of that age today. The
rules come from:

- Education Act 1996 s.8(2): a child begins to be of compulsory school age on
  their 5th birthday if it falls on a prescribed day, otherwise at the
  beginning of the next prescribed day after it.
- The Education (Start of Compulsory School Age) Order 1998: the prescribed
  days are 31 March, 31 August and 31 December.
- Education Act 1996 s.8(3) and the Education (School Leaving Date) Order
  1997: a person ceases to be of compulsory school age at the end of the
  school leaving date (the last Friday in June) for a calendar year
  (a) if they turn 16 after that day but before the next school year begins,
  (b) if they turn 16 on that day, or (c) otherwise, if it is the first school
  leaving date after their 16th birthday. Taken together: the school leaving
  date in the June that ends the school year in which they turn 16. A child
  whose 16th birthday falls after that Friday and by 31 August (always 1 July
  to 31 August, and the last days of June in some years) leaves on the last
  Friday of June of that same calendar year, still aged 15.

Two readings are ours and are written down here so they can be challenged:

- *School year* is taken as 1 September to 31 August, as the DfE and the
  admissions codes use it. s.579 defines it from the first term to begin
  after July, so for a child turning 16 in the few days of September before
  the autumn term starts the statute could end compulsory school age a year
  earlier than we do. We keep the later date: the CME duty then errs on the
  side of still applying.
- A child born on 29 February has their birthday on 1 March in a common
  year (the usual reading of Family Law Reform Act 1969 s.9, which makes a
  person attain an age at the start of the relevant anniversary of birth).
  This changes ages on 28 February only: the start and end of compulsory
  school age come out the same for 28 February and 1 March.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from cme_desktop.services.errors import InvalidInput
from cme_desktop.services.rules.dates import format_date

__all__ = [
    "PRESCRIBED_DAYS",
    "AgeStatus",
    "CmeDutyStatus",
    "academic_year_start",
    "age_on",
    "birthday",
    "compulsory_school_age",
    "duty_status",
    "format_date",
    "is_compulsory_school_age",
    "school_leaving_date",
    "school_year_group",
    "year_group_label",
]

#: (month, day) of the prescribed days of the 1998 Order, in calendar order.
PRESCRIBED_DAYS: tuple[tuple[int, int], ...] = ((3, 31), (8, 31), (12, 31))

START_AGE = 5
LEAVING_AGE = 16
RECEPTION = 0
LAST_YEAR_GROUP = 13

_FRIDAY = 4
_SEPTEMBER = 9


class AgeStatus(StrEnum):
    """Where a child stands against compulsory school age on a given day."""

    UNDER_AGE = "under_age"
    OF_AGE = "of_age"
    OVER_AGE = "over_age"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class CmeDutyStatus:
    """Whether the CME duty can apply to a child on a day, and why, in words.

    ``starts`` and ``ends`` are the first and last days of compulsory school
    age (both ``None`` when the date of birth is not known).
    """

    status: AgeStatus
    explanation: str
    starts: date | None
    ends: date | None

    @property
    def duty_can_apply(self) -> bool:
        """True only when the child is of compulsory school age on the day."""
        return self.status is AgeStatus.OF_AGE


def birthday(dob: date, age: int) -> date:
    """The day a child born on ``dob`` attains ``age``; 29 February becomes 1 March."""
    year = dob.year + age
    try:
        return dob.replace(year=year)
    except ValueError:
        if year > date.max.year or year < date.min.year:
            raise InvalidInput(
                f"The date of birth {format_date(dob)} is outside the range this "
                "application can work with.",
                field="date_of_birth",
            ) from None
        # Only 29 February reaches here: in a common year the birthday is 1 March.
        return date(year, 3, 1)


def age_on(dob: date, on: date) -> int:
    """The child's age in whole years on the day ``on``.

    Raises ``InvalidInput`` if ``on`` is before the date of birth.
    """
    if on < dob:
        raise InvalidInput(
            f"The date {format_date(on)} is before the date of birth {format_date(dob)}.",
            field="date_of_birth",
        )
    # Comparing (month, day) pairs puts a 29 February birthday after 28 February
    # and on or before 1 March, which is the 1 March convention above.
    return on.year - dob.year - ((on.month, on.day) < (dob.month, dob.day))


def school_leaving_date(year: int) -> date:
    """The school leaving date for a calendar year: the last Friday in June."""
    june_30 = date(year, 6, 30)
    return june_30 - timedelta(days=(june_30.weekday() - _FRIDAY) % 7)


def academic_year_start(on: date) -> date:
    """The 1 September that starts the school year containing ``on``."""
    year = on.year if on.month >= _SEPTEMBER else on.year - 1
    return date(year, _SEPTEMBER, 1)


def compulsory_school_age(dob: date) -> tuple[date, date]:
    """The first and last day (both inclusive) of compulsory school age.

    Start (s.8(2) and the 1998 Order): the 5th birthday if it is 31 March,
    31 August or 31 December, otherwise the next of those days after it.

    End (s.8(3) and the 1997 Order): the last Friday in June of the school year
    (1 September to 31 August) in which the child turns 16. Paragraphs (a)-(c)
    of s.8(3) all lead there: a 16th birthday from 1 September to the leaving
    date is followed by that leaving date (c) or falls on it (b); one after the
    leaving date but before 1 September looks back to it (a). A child turning
    16 in that gap (July, August, some years the end of June) leaves aged 15.
    """
    if dob.year >= date.max.year - LEAVING_AGE:
        raise InvalidInput(
            f"The date of birth {format_date(dob)} is outside the range this "
            "application can work with.",
            field="date_of_birth",
        )
    fifth = birthday(dob, START_AGE)
    start = next(
        day
        for day in (date(fifth.year, month, dom) for month, dom in PRESCRIBED_DAYS)
        if day >= fifth
    )
    sixteenth = birthday(dob, LEAVING_AGE)
    # The school year containing the 16th birthday ends in June of this year.
    leaving_year = academic_year_start(sixteenth).year + 1
    return start, school_leaving_date(leaving_year)


def is_compulsory_school_age(dob: date, on: date) -> bool:
    """True if a child born on ``dob`` is of compulsory school age on ``on``."""
    start, end = compulsory_school_age(dob)
    return start <= on <= end


def school_year_group(dob: date, on: date) -> int | None:
    """The National Curriculum year group on ``on``: 0 for Reception, 1..13 for Years 1-13.

    Children born from 1 September to the next 31 August form one cohort,
    which starts Reception in the September after its youngest turn 4: a child
    born 1 Sep 2015 - 31 Aug 2016 starts Reception in September 2020 and is in
    Year 6 in 2026/27. This is the year group for the child's age; a child a
    school has placed out of their year group is not seen here.
    Returns ``None`` before Reception and after Year 13.
    """
    cohort_end_year = dob.year + 1 if dob.month >= _SEPTEMBER else dob.year
    group = academic_year_start(on).year - cohort_end_year - 4
    return group if RECEPTION <= group <= LAST_YEAR_GROUP else None


def year_group_label(group: int | None) -> str:
    """How a year group is written: ``Reception``, ``Year 1`` .. ``Year 13``, or ``—``."""
    if group is None:
        return "—"
    if not RECEPTION <= group <= LAST_YEAR_GROUP:
        raise InvalidInput(f"There is no year group {group}.", field="year_group")
    return "Reception" if group == RECEPTION else f"Year {group}"


def duty_status(dob: date | None, on: date) -> CmeDutyStatus:
    """Whether the CME duty can apply on ``on`` to a child born on ``dob``, with the reason."""
    if dob is None:
        return CmeDutyStatus(
            status=AgeStatus.UNKNOWN,
            explanation=(
                "Date of birth not known: it cannot be worked out whether the child "
                "is of compulsory school age."
            ),
            starts=None,
            ends=None,
        )
    start, end = compulsory_school_age(dob)
    if on < start:
        status = AgeStatus.UNDER_AGE
        explanation = (
            f"Under compulsory school age: of compulsory school age from {format_date(start)}."
        )
    elif on <= end:
        status = AgeStatus.OF_AGE
        explanation = (
            f"Of compulsory school age until {format_date(end)} (the school leaving date)."
        )
    else:
        status = AgeStatus.OVER_AGE
        explanation = (
            f"Over compulsory school age: it ended on {format_date(end)} (the school leaving date)."
        )
    return CmeDutyStatus(status=status, explanation=explanation, starts=start, ends=end)
