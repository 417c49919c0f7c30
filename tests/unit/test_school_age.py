"""Compulsory school age, ages and year groups, checked against the statute's wording.

The property tests restate Education Act 1996 s.8(2)-(3), the Education (Start
of Compulsory School Age) Order 1998 and the Education (School Leaving Date)
Order 1997 independently of the module, then compare.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta

import pytest
from faker import Faker
from hypothesis import given, settings
from hypothesis import strategies as st

from cme_desktop.services.errors import InvalidInput
from cme_desktop.services.rules.dates import format_date
from cme_desktop.services.rules.school_age import (
    AgeStatus,
    CmeDutyStatus,
    academic_year_start,
    age_on,
    birthday,
    compulsory_school_age,
    duty_status,
    is_compulsory_school_age,
    school_leaving_date,
    school_year_group,
    year_group_label,
)

PRESCRIBED = {(3, 31), (8, 31), (12, 31)}
DOBS = st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 12, 31))
DAYS = st.dates(min_value=date(1990, 1, 1), max_value=date(2120, 12, 31))
LEAP_DAY_DOBS = (
    st.integers(min_value=1990, max_value=2090)
    .filter(calendar.isleap)
    .map(lambda year: date(year, 2, 29))
)
FAST = settings(max_examples=300, deadline=None)


def statute_leaving_date(year: int) -> date:
    """The last Friday in June, found by walking back from 30 June."""
    day = date(year, 6, 30)
    while calendar.weekday(day.year, day.month, day.day) != calendar.FRIDAY:
        day -= timedelta(days=1)
    return day


def statute_end(dob: date) -> date:
    """s.8(3): the first school leaving date at whose end the child ceases to be of age."""
    sixteenth = birthday(dob, 16)
    for year in range(sixteenth.year - 1, sixteenth.year + 2):
        leaving = statute_leaving_date(year)
        next_school_year = date(year, 9, 1)
        turns_16_after_before_next_year = leaving < sixteenth < next_school_year  # (a)
        turns_16_that_day = sixteenth == leaving  # (b)
        first_after_16 = sixteenth < leaving and statute_leaving_date(year - 1) <= sixteenth
        if turns_16_after_before_next_year or turns_16_that_day or first_after_16:
            return leaving
    raise AssertionError("no leaving date found")


# --- hand-worked examples -------------------------------------------------


@pytest.mark.parametrize(
    ("dob", "start", "end"),
    [
        # 5th birthday 2 Apr 2018 -> next prescribed day 31 Aug 2018; 16 on
        # 2 Apr 2029, school year 2028/29 -> last Friday of June 2029 (30 June is a Saturday).
        (date(2013, 4, 2), date(2018, 8, 31), date(2029, 6, 29)),
        # IPSEA's compulsory school age page: born 23 Sep 2007 -> ends 28 Jun 2024.
        (date(2007, 9, 23), date(2012, 12, 31), date(2024, 6, 28)),
        # IPSEA: 5th birthday 10 Feb 2024 -> compulsory school age on 31 Mar 2024;
        # 16 on 10 Feb 2035, 30 June 2035 is a Saturday -> 29 Jun 2035.
        (date(2019, 2, 10), date(2024, 3, 31), date(2035, 6, 29)),
        # 5th birthday on a prescribed day: of age that very day.
        (date(2015, 12, 31), date(2020, 12, 31), date(2032, 6, 25)),
        (date(2016, 3, 31), date(2021, 3, 31), date(2032, 6, 25)),
        (date(2016, 8, 31), date(2021, 8, 31), date(2032, 6, 25)),
        # The day after a prescribed day waits for the next one.
        (date(2016, 1, 1), date(2021, 3, 31), date(2032, 6, 25)),
        (date(2016, 4, 1), date(2021, 8, 31), date(2032, 6, 25)),
        (date(2016, 9, 1), date(2021, 12, 31), date(2033, 6, 24)),
        # 16 on 15 Jul 2026, after the leaving date (26 Jun 2026) but before the
        # next school year: s.8(3)(a) looks back to 26 Jun 2026, still aged 15.
        (date(2010, 7, 15), date(2015, 8, 31), date(2026, 6, 26)),
        # 16 on the leaving date itself: s.8(3)(b).
        (date(2010, 6, 26), date(2015, 8, 31), date(2026, 6, 26)),
        # 16 the day after it: (a) again.
        (date(2010, 6, 27), date(2015, 8, 31), date(2026, 6, 26)),
        # 16 on 31 Aug 2026 and on 1 Sep 2026: either side of the school year.
        (date(2010, 8, 31), date(2015, 8, 31), date(2026, 6, 26)),
        (date(2010, 9, 1), date(2015, 12, 31), date(2027, 6, 25)),
        # 29 February: 5th birthday 1 Mar 2021 -> 31 Mar 2021; 16 on 29 Feb 2032
        # (a leap year), school year 2031/32 -> 25 Jun 2032.
        (date(2016, 2, 29), date(2021, 3, 31), date(2032, 6, 25)),
    ],
)
def test_worked_examples(dob: date, start: date, end: date) -> None:
    assert compulsory_school_age(dob) == (start, end)


@pytest.mark.parametrize(
    ("year", "leaving"),
    [
        (2024, date(2024, 6, 28)),
        (2026, date(2026, 6, 26)),
        (2027, date(2027, 6, 25)),
        (2029, date(2029, 6, 29)),
        (2031, date(2031, 6, 27)),
    ],
)
def test_school_leaving_dates(year: int, leaving: date) -> None:
    assert school_leaving_date(year) == leaving


def test_leap_day_birthdays_fall_on_1_march_in_common_years() -> None:
    dob = date(2016, 2, 29)
    assert birthday(dob, 5) == date(2021, 3, 1)
    assert birthday(dob, 8) == date(2024, 2, 29)
    assert age_on(dob, date(2021, 2, 28)) == 4
    assert age_on(dob, date(2021, 3, 1)) == 5
    assert age_on(dob, date(2024, 2, 28)) == 7
    assert age_on(dob, date(2024, 2, 29)) == 8


def test_age_on_a_date_before_birth_is_refused() -> None:
    with pytest.raises(InvalidInput) as raised:
        age_on(date(2015, 5, 1), date(2015, 4, 30))
    assert "before the date of birth" in raised.value.message
    assert raised.value.field == "date_of_birth"


def test_year_six_in_2026_27_for_the_2015_16_cohort() -> None:
    for dob in (date(2015, 9, 1), date(2016, 2, 29), date(2016, 8, 31)):
        assert school_year_group(dob, date(2020, 9, 1)) == 0
        assert school_year_group(dob, date(2020, 8, 31)) is None
        assert school_year_group(dob, date(2026, 9, 1)) == 6
        assert school_year_group(dob, date(2027, 8, 31)) == 6
        assert school_year_group(dob, date(2033, 9, 1)) == 13
        assert school_year_group(dob, date(2034, 9, 1)) is None
    assert school_year_group(date(2015, 8, 31), date(2026, 9, 1)) == 7


def test_academic_year_start_examples() -> None:
    assert academic_year_start(date(2026, 8, 31)) == date(2025, 9, 1)
    assert academic_year_start(date(2026, 9, 1)) == date(2026, 9, 1)
    assert academic_year_start(date(2027, 1, 15)) == date(2026, 9, 1)


def test_year_group_labels() -> None:
    assert year_group_label(0) == "Reception"
    assert year_group_label(6) == "Year 6"
    assert year_group_label(None) == "—"
    with pytest.raises(InvalidInput):
        year_group_label(14)


def test_duty_status_explanations() -> None:
    dob = date(2021, 10, 1)  # of age from 31 Dec 2026 to 25 Jun 2038
    under = duty_status(dob, date(2026, 12, 30))
    assert under == CmeDutyStatus(
        status=AgeStatus.UNDER_AGE,
        explanation="Under compulsory school age: of compulsory school age from 31 Dec 2026.",
        starts=date(2026, 12, 31),
        ends=date(2038, 6, 25),
    )
    assert not under.duty_can_apply
    of_age = duty_status(dob, date(2026, 12, 31))
    assert of_age.status is AgeStatus.OF_AGE
    assert of_age.duty_can_apply
    assert of_age.explanation == (
        "Of compulsory school age until 25 Jun 2038 (the school leaving date)."
    )
    assert duty_status(dob, date(2038, 6, 25)).status == "of_age"
    over = duty_status(dob, date(2038, 6, 26))
    assert over.status is AgeStatus.OVER_AGE
    assert "ended on 25 Jun 2038" in over.explanation
    unknown = duty_status(None, date(2026, 1, 1))
    assert unknown.status is AgeStatus.UNKNOWN
    assert (unknown.starts, unknown.ends) == (None, None)
    assert "Date of birth not known" in unknown.explanation
    assert not unknown.duty_can_apply


def test_a_date_of_birth_beyond_the_calendar_is_refused() -> None:
    with pytest.raises(InvalidInput):
        compulsory_school_age(date(9990, 1, 1))


def test_synthetic_school_age_children_are_of_age() -> None:
    fake = Faker("en_GB")
    fake.seed_instance(20260901)
    today = date(2026, 9, 1)
    for _ in range(50):
        dob = fake.date_of_birth(minimum_age=6, maximum_age=14)
        status = duty_status(dob, today)
        assert status.status is AgeStatus.OF_AGE, (dob, status)


# --- the start: s.8(2) and the 1998 Order -----------------------------------


@FAST
@given(DOBS)
def test_start_is_the_first_prescribed_day_on_or_after_the_5th_birthday(dob: date) -> None:
    start, _ = compulsory_school_age(dob)
    fifth = birthday(dob, 5)
    assert (start.month, start.day) in PRESCRIBED
    assert start >= fifth
    days_between = (fifth + timedelta(days=n) for n in range((start - fifth).days))
    assert all((day.month, day.day) not in PRESCRIBED for day in days_between)
    # The longest gap between prescribed days is 31 Mar -> 31 Aug, so a child
    # waits at most 5 months (152 days, 1 Apr -> 31 Aug), not 4.
    assert (start - fifth).days <= 152
    assert (start == fifth) == ((fifth.month, fifth.day) in PRESCRIBED)
    assert age_on(dob, start) == 5


@FAST
@given(LEAP_DAY_DOBS)
def test_leap_day_children_start_as_if_born_on_28_february_or_1_march(dob: date) -> None:
    start, end = compulsory_school_age(dob)
    assert start == date(dob.year + 5, 3, 31)
    assert compulsory_school_age(dob.replace(day=28)) == (start, end)
    assert compulsory_school_age(date(dob.year, 3, 1)) == (start, end)


# --- the end: s.8(3) and the 1997 Order -------------------------------------


@FAST
@given(DOBS)
def test_end_follows_section_8_3(dob: date) -> None:
    _, end = compulsory_school_age(dob)
    assert end == statute_end(dob)
    assert end.weekday() == calendar.FRIDAY
    assert end.month == 6
    assert end.day >= 24  # within the last 7 days of June
    assert (end + timedelta(days=7)).month == 7


@FAST
@given(DOBS)
def test_the_child_is_15_or_16_on_the_leaving_date(dob: date) -> None:
    _, end = compulsory_school_age(dob)
    sixteenth = birthday(dob, 16)
    age = age_on(dob, end)
    assert age in (15, 16)
    # Still 15 only when the 16th birthday is after the leaving date but in the
    # same school year, i.e. in the summer holidays.
    assert (age == 15) == (end < sixteenth < date(end.year, 9, 1))


@FAST
@given(DOBS, DOBS)
def test_the_window_moves_forward_with_the_date_of_birth(first: date, second: date) -> None:
    earlier, later = sorted((first, second))
    start_a, end_a = compulsory_school_age(earlier)
    start_b, end_b = compulsory_school_age(later)
    assert start_a <= start_b
    assert end_a <= end_b
    assert start_a < end_a


@FAST
@given(DOBS)
def test_first_and_last_days_are_included(dob: date) -> None:
    start, end = compulsory_school_age(dob)
    assert is_compulsory_school_age(dob, start)
    assert is_compulsory_school_age(dob, end)
    assert not is_compulsory_school_age(dob, start - timedelta(days=1))
    assert not is_compulsory_school_age(dob, end + timedelta(days=1))


@FAST
@given(DOBS, DAYS)
def test_ages_that_are_always_or_never_of_compulsory_school_age(dob: date, on: date) -> None:
    if on < dob:
        assert not is_compulsory_school_age(dob, on)
        return
    age = age_on(dob, on)
    if 6 <= age <= 14:
        assert is_compulsory_school_age(dob, on)
    if age <= 4 or age >= 17:
        assert not is_compulsory_school_age(dob, on)


@FAST
@given(DOBS, DAYS)
def test_duty_status_agrees_with_the_window(dob: date, on: date) -> None:
    status = duty_status(dob, on)
    start, end = compulsory_school_age(dob)
    assert (status.starts, status.ends) == (start, end)
    assert status.duty_can_apply == is_compulsory_school_age(dob, on)
    expected = (
        AgeStatus.UNDER_AGE if on < start else AgeStatus.OF_AGE if on <= end else AgeStatus.OVER_AGE
    )
    assert status.status is expected
    shown = format_date(start) if expected is AgeStatus.UNDER_AGE else format_date(end)
    assert shown in status.explanation


# --- ages and year groups -------------------------------------------------


@FAST
@given(DOBS, st.integers(min_value=1, max_value=20))
def test_age_changes_on_the_birthday(dob: date, age: int) -> None:
    day = birthday(dob, age)
    assert age_on(dob, day) == age
    assert age_on(dob, day - timedelta(days=1)) == age - 1


@FAST
@given(DAYS)
def test_academic_year_start_contains_the_day(on: date) -> None:
    start = academic_year_start(on)
    assert (start.month, start.day) == (9, 1)
    assert start <= on < date(start.year + 1, 9, 1)


@FAST
@given(DOBS, DAYS)
def test_year_group_is_age_at_the_end_of_the_school_year_less_five(dob: date, on: date) -> None:
    year_end = date(academic_year_start(on).year + 1, 8, 31)
    group = school_year_group(dob, on)
    if year_end < dob:
        assert group is None
        return
    expected = age_on(dob, year_end) - 5
    assert group == (expected if 0 <= expected <= 13 else None)


@FAST
@given(DOBS)
def test_compulsory_school_age_runs_from_reception_to_year_11(dob: date) -> None:
    start, end = compulsory_school_age(dob)
    assert school_year_group(dob, start) == 0  # the 5th birthday falls in Reception
    assert school_year_group(dob, end) == 11
    reception = next(
        date(year, 9, 1)
        for year in range(dob.year, dob.year + 7)
        if school_year_group(dob, date(year, 9, 1)) == 0
    )
    year_1 = date(reception.year + 1, 9, 1)
    year_12 = date(reception.year + 12, 9, 1)
    assert is_compulsory_school_age(dob, year_1)
    assert not is_compulsory_school_age(dob, year_12)
