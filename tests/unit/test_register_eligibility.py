"""Eligibility for the register (s.436B(1)), each condition worked out by hand.

Compulsory school age, by hand (s.8 and the 1997/1998 Orders, ``rules.school_age``):

- Born 1 September 2015: fifth birthday 1 September 2020 is not a prescribed day, so
  compulsory school age starts on the next one, 31 December 2020: not eligible on
  30 December 2020, eligible on 31 December.
- Born 31 August 2015: fifth birthday 31 August 2020 is a prescribed day: of age that day.
- Born 15 July 2010: turns 16 on 15 July 2026, in the school year ending June 2026; the
  last Friday of June 2026 is the 26th: of age on 26 June 2026, over age on the 27th.
"""

from __future__ import annotations

from datetime import date

import pytest

from cme_desktop.services.register.eligibility import Condition, Eligibility, Result, eligibility

PRESCRIBED = ("flexi", "off_site", "s19", "eotas")
OF_AGE = date(2014, 5, 1)  # aged 12 on the day below
DAY = date(2026, 11, 2)


def _check(**changes: object) -> Eligibility:
    values: dict[str, object] = {
        "lives_in_area": "yes",
        "date_of_birth": OF_AGE,
        "school_status": "not_registered",
        "arrangement": "",
        "arrangements": PRESCRIBED,
        "on": DAY,
    }
    values.update(changes)
    return eligibility(**values)  # type: ignore[arg-type]


def test_every_condition_met_is_eligible() -> None:
    result = _check()
    assert result.result is Result.MET
    assert result.headline == "Eligible"
    assert result.failing == ()


@pytest.mark.parametrize(
    ("area", "expected"),
    [("yes", Result.MET), ("no", Result.NOT_MET), ("unknown", Result.UNKNOWN)],
)
def test_lives_in_the_area(area: str, expected: Result) -> None:
    result = _check(lives_in_area=area)
    assert result.result is expected
    if expected is not Result.MET:
        assert [c.condition for c in result.failing] == [Condition.AREA]


@pytest.mark.parametrize(
    ("born", "on", "expected"),
    [
        (date(2015, 9, 1), date(2020, 12, 30), Result.NOT_MET),
        (date(2015, 9, 1), date(2020, 12, 31), Result.MET),
        (date(2015, 8, 31), date(2020, 8, 30), Result.NOT_MET),
        (date(2015, 8, 31), date(2020, 8, 31), Result.MET),
        (date(2010, 7, 15), date(2026, 6, 26), Result.MET),
        (date(2010, 7, 15), date(2026, 6, 27), Result.NOT_MET),
        (None, DAY, Result.UNKNOWN),
    ],
)
def test_compulsory_school_age_on_the_boundary_days(
    born: date | None, on: date, expected: Result
) -> None:
    result = _check(date_of_birth=born, on=on)
    assert result.result is expected
    age = next(c for c in result.checks if c.condition is Condition.AGE)
    assert age.result is expected


def test_under_age_says_from_when() -> None:
    result = _check(date_of_birth=date(2015, 9, 1), on=date(2020, 12, 30))
    assert "31 Dec 2020" in result.summary()


@pytest.mark.parametrize(
    ("status", "arrangement", "expected"),
    [
        ("not_registered", "", Result.MET),
        ("registered", "", Result.NOT_MET),
        ("registered_elsewhere", "flexi", Result.MET),
        ("registered_elsewhere", "s19", Result.MET),
        ("registered_elsewhere", "tutoring_club", Result.NOT_MET),
        ("registered_elsewhere", "", Result.UNKNOWN),
        ("unknown", "", Result.UNKNOWN),
    ],
)
def test_not_a_registered_pupil_or_elsewhere_by_a_prescribed_arrangement(
    status: str, arrangement: str, expected: Result
) -> None:
    result = _check(school_status=status, arrangement=arrangement)
    assert result.result is expected


def test_the_prescribed_list_is_the_configured_one() -> None:
    # An authority that has not (yet) listed flexi-schooling: a flexi-schooled pupil is not
    # eligible until it does.
    result = _check(
        school_status="registered_elsewhere", arrangement="flexi", arrangements=("s19",)
    )
    assert result.result is Result.NOT_MET


def test_a_condition_not_met_outweighs_one_not_known() -> None:
    result = _check(lives_in_area="no", date_of_birth=None)
    assert result.result is Result.NOT_MET
    assert result.headline == "Not eligible"
    assert [c.condition for c in result.failing] == [Condition.AREA]
    assert "does not live in the area" in result.summary()


def test_not_known_names_every_unknown_condition() -> None:
    result = _check(lives_in_area="unknown", school_status="unknown")
    assert result.headline == "Not known"
    assert [c.condition for c in result.failing] == [Condition.AREA, Condition.SCHOOL]
