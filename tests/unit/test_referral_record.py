"""The referral record: shape, canonical form, JSON, lenient readers, checks."""

from __future__ import annotations

import copy
import json
from datetime import date
from typing import Any

import pytest
from faker import Faker
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cme_desktop.models.vocabularies import RISK_INDICATOR_KEYS
from cme_desktop.services.errors import HostileFile, NotAReferral
from cme_desktop.services.referral.record import (
    SCHEMA,
    Finding,
    empty_referral,
    field_label,
    from_json,
    normalise,
    to_json,
)
from cme_desktop.services.referral.typed_answers import (
    parse_timing,
    parse_yes_no,
    split_pupil_names,
)
from cme_desktop.services.referral.validation import (
    ReferralSummary,
    current_indicators,
    serious_current_indicators,
    summary,
    validate,
)
from cme_desktop.services.rules.dates import find_date_in_text, format_uk_date, parse_uk_date
from tests.support.strategies import referrals

TODAY = date(2026, 11, 28)
fake = Faker("en_GB")
Faker.seed(1729)


def _filled() -> dict[str, Any]:
    ref = empty_referral()
    child = ref["children"][0]
    child["full_name"] = fake.name()
    child["date_of_birth"] = "2015-03-14"
    ref["last_known_address"] = fake.address()
    ref["telephone"] = "0116 496 0123"
    ref["email"] = fake.email()
    ref["referrer"]["date_completed"] = "2026-11-20"
    return ref


# --- the shape ---------------------------------------------------------------


def test_empty_referral_has_every_key_in_schema_order() -> None:
    ref = empty_referral()
    assert list(ref) == [
        "schema",
        "children",
        "last_known_address",
        "parents_carers",
        "telephone",
        "email",
        "school",
        "date_last_attended",
        "additional_information",
        "referrer_actions",
        "risk_indicators",
        "social_care_referral_considered",
        "parental_consent",
        "assessment",
        "referrer",
    ]
    assert ref["schema"] == SCHEMA
    assert ref["children"] == [
        {
            "full_name": "",
            "aka": "",
            "date_of_birth": None,
            "gender": "",
            "ethnicity": "",
            "sen_disability": "",
            "child_in_care": None,
            "upn": None,
        }
    ]
    assert list(ref["risk_indicators"]) == [str(n) for n in range(1, 21)]
    assert all(r == {"present": None, "timing": None} for r in ref["risk_indicators"].values())
    assert ref["referrer_actions"] == {
        "whereabouts_checked": {"outcome": "", "date": None},
        "family_contacted": {"outcome": "", "date": None},
        "address_visited": {"outcome": "", "date": None},
    }
    assert ref["assessment"] == {"working_well": "", "worried_about": "", "next_steps": ""}
    assert ref["referrer"]["date_completed"] is None


def test_empty_referral_returns_a_fresh_dict_each_time() -> None:
    first = empty_referral()
    first["children"][0]["full_name"] = "Changed"
    assert empty_referral()["children"][0]["full_name"] == ""


def test_normalise_fills_missing_keys_and_cleans_text() -> None:
    name = fake.name()
    ref = normalise(
        {
            "schema": SCHEMA,
            "children": [{"full_name": f"  {name}\r\n ", "date_of_birth": date(2014, 5, 1)}],
            "additional_information": " line one\r\nline two\rline three\u2028four\x00 ",
            "risk_indicators": {"9": {"present": True, "timing": " Current "}},
            "referrer": None,
        }
    )
    assert ref == normalise(ref)
    assert ref["children"][0]["full_name"] == name
    assert ref["children"][0]["date_of_birth"] == "2014-05-01"
    assert ref["additional_information"] == "line one\nline two\nline three\nfour"
    assert ref["risk_indicators"]["9"] == {"present": True, "timing": "current"}
    assert ref["risk_indicators"]["1"] == {"present": None, "timing": None}
    assert ref["referrer"]["name"] == ""
    assert ref["email"] == ""


def test_normalise_drops_timing_without_a_yes() -> None:
    ref = empty_referral()
    ref["risk_indicators"]["2"] = {"present": False, "timing": "historic"}
    ref["risk_indicators"]["3"] = {"present": None, "timing": "current"}
    out = normalise(ref)
    assert out["risk_indicators"]["2"] == {"present": False, "timing": None}
    assert out["risk_indicators"]["3"] == {"present": None, "timing": None}


def test_normalise_canonicalises_upn_and_blanks() -> None:
    ref = empty_referral()
    ref["children"][0]["upn"] = " a801 2000 1400 1 "
    assert normalise(ref)["children"][0]["upn"] == "A80120001400 1".replace(" ", "")
    ref["children"][0]["upn"] = "   "
    assert normalise(ref)["children"][0]["upn"] is None
    ref["children"][0]["upn"] = "not known"
    assert normalise(ref)["children"][0]["upn"] == "not known"


def test_normalise_gives_one_blank_child_when_none_are_listed() -> None:
    ref = empty_referral()
    ref["children"] = []
    assert normalise(ref)["children"] == empty_referral()["children"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda r: r["children"][0].update(date_of_birth="02/04/2013"), "date_of_birth"),
        (lambda r: r["children"][0].update(date_of_birth="2013-02-30"), "date_of_birth"),
        (lambda r: r["children"][0].update(child_in_care="yes"), "child_in_care"),
        (lambda r: r["children"][0].update(child_in_care=1), "child_in_care"),
        (lambda r: r.update(telephone=1164960123), "telephone"),
        (lambda r: r.update(children={"full_name": "x"}), "children"),
        (lambda r: r.update(referrer="Mrs Smith"), "referrer"),
        (lambda r: r["risk_indicators"].update({"21": {"present": True}}), "risk_indicators.21"),
        (lambda r: r["risk_indicators"]["4"].update(timing="sometimes"), "risk_indicators.4"),
        (lambda r: r["risk_indicators"]["4"].update(present="Y"), "risk_indicators.4.present"),
        (lambda r: r.update(favourite_colour="blue"), "favourite_colour"),
        (lambda r: r["referrer_actions"].update(phoned={}), "referrer_actions.phoned"),
        (lambda r: r["assessment"].update(next_steps=["a"]), "assessment.next_steps"),
    ],
)
def test_normalise_refuses_a_wrong_shape_naming_the_field(change: Any, field: str) -> None:
    ref = empty_referral()
    change(ref)
    with pytest.raises(NotAReferral, match=field.replace(".", r"\.")):
        normalise(ref)


@pytest.mark.parametrize("data", [None, [], "cme-referral/1", {}, {"schema": "cme-referral/2"}])
def test_normalise_refuses_what_is_not_a_referral(data: Any) -> None:
    with pytest.raises(NotAReferral):
        normalise(data)


# --- JSON ------------------------------------------------------------------------


def test_to_json_keeps_schema_order_and_characters() -> None:
    ref = empty_referral()
    ref["children"][0]["full_name"] = "Zoë O'Brien"
    text = to_json(ref)
    assert "Zoë O'Brien" in text
    assert text.index('"schema"') < text.index('"children"') < text.index('"referrer"')
    assert json.loads(text) == ref
    assert text.startswith('{\n  "schema": "cme-referral/1"')


def test_from_json_accepts_bytes_with_a_byte_order_mark() -> None:
    ref = _filled()
    assert from_json(("\ufeff" + to_json(ref)).encode()) == normalise(ref)


@pytest.mark.parametrize(
    "text",
    [
        b"",
        b"{not json",
        b"\xff\xfe{}",
        '{"schema": "cme-referral/1", "email": NaN}',
        '{"schema": "cme-referral/1", "email": "a", "email": "b"}',
        "[" * 100_000,
        '"just a string"',
    ],
)
def test_from_json_refuses_bad_input(text: str | bytes) -> None:
    with pytest.raises(NotAReferral):
        from_json(text)


def test_from_json_refuses_huge_input() -> None:
    with pytest.raises(HostileFile):
        from_json(b" " * 3_000_000)


# --- lenient readers ------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "02/04/2013",
        "2/4/13",
        "2.4.2013",
        "2-4-2013",
        "02 / 04 / 2013",
        "2 April 2013",
        "2nd April 2013",
        "2nd of April, 2013",
        "2 Apr 13",
        "2-Apr-2013",
        "02-APR-13",
        "Tuesday 2 April 2013",
        "April 2, 2013",
        "April 2nd 2013",
        "2013-04-02",
        "2013-04-02T00:00:00",
        "02/04/2013 00:00:00",
        "  02/04/2013. ",
    ],
)
def test_parse_uk_date_reads_what_people_write(text: str) -> None:
    assert parse_uk_date(text, today=TODAY) == date(2013, 4, 2)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1/2/00", date(2000, 2, 1)),
        ("1/2/26", date(2026, 2, 1)),
        ("1/2/27", date(2027, 2, 1)),
        ("1/2/28", date(1928, 2, 1)),
        ("1/2/99", date(1999, 2, 1)),
        ("04/02/2013", date(2013, 2, 4)),
        ("29/02/2016", date(2016, 2, 29)),
        ("3 Sept 2014", date(2014, 9, 3)),
    ],
)
def test_parse_uk_date_is_day_first_with_a_two_digit_year_pivot(text: str, expected: date) -> None:
    assert parse_uk_date(text, today=TODAY) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "unknown",
        "30/02/2013",
        "29/02/2015",
        "13/13/2013",
        "02/13/2013",
        "2/4",
        "2/4/201",
        "01/01/1850",
        "32 March 2013",
        "2013-4",
        "02/04-2013",
    ],
)
def test_parse_uk_date_gives_none_for_impossible_or_unreadable(text: str) -> None:
    assert parse_uk_date(text, today=TODAY) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Spoke to aunt on 3/10/26, no knowledge of whereabouts", date(2026, 10, 3)),
        ("Visited 2nd Oct 2026 - no reply", date(2026, 10, 2)),
        ("Completed 2026-10-01.", date(2026, 10, 1)),
        ("Called 1.10.26 and again on 5/10/26", date(2026, 10, 1)),
        ("Visit done on 3rd October, curtains drawn", date(2026, 10, 3)),
        ("Checked with staff 28 December", date(2025, 12, 28)),
        ("Staff available 24/7", None),
        ("Mum said they 3 may come back", None),
        ("No response", None),
        ("Room 12/02/04/2013", None),
        ("", None),
    ],
)
def test_find_date_in_text(text: str, expected: date | None) -> None:
    assert find_date_in_text(text, today=TODAY) == expected


def test_format_uk_date() -> None:
    assert format_uk_date(date(2013, 4, 2)) == "02/04/2013"
    assert format_uk_date(None) == ""


@given(st.dates(date(1928, 1, 1), date(2027, 12, 31)))
@settings(max_examples=200)
def test_format_then_parse_is_identity(day: date) -> None:
    assert parse_uk_date(format_uk_date(day), today=TODAY) == day


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Yes", True),
        ("Y", True),
        ("yes", True),
        ("YES.", True),
        ("X", True),
        ("x", True),
        ("☒", True),
        ("☑", True),
        ("✓", True),
        ("✔", True),
        ("true", True),
        ("[x]", True),
        ("Yes - see notes", True),
        ("Yes /", True),
        ("Yes / ", True),
        ("☒ Yes ☐ No", True),
        ("Yes ☒ No ☐", True),
        ("No", False),
        ("N", False),
        ("no", False),
        ("/ No", False),
        ("No - family moved", False),
        ("☐ Yes ☒ No", False),
        ("Yes ☐ No ☒", False),
        ("[ ] Yes [x] No", False),
        ("Yes X", True),
        ("X Yes", True),
        ("No ✓", False),
        ("Yes No X", False),
        ("", None),
        ("  ", None),
        ("☐", None),
        ("[ ]", None),
        ("Yes/No", None),
        ("Yes / No", None),
        ("Y/N", None),
        ("N/A", None),
        ("No idea", None),
        ("Not known", None),
        ("☐ Yes ☐ No", None),
        ("☒ Yes ☒ No", None),
        ("✗", None),
        ("Yes X No", None),
        ("Yes - No", None),
    ],
)
def test_parse_yes_no(text: str, expected: bool | None) -> None:
    assert parse_yes_no(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("C", "current"),
        ("c", "current"),
        ("Current", "current"),
        ("CURRENT.", "current"),
        ("currently", "current"),
        ("H", "historic"),
        ("h", "historic"),
        ("historic", "historic"),
        ("Historical", "historic"),
        ("Yes - historic", "historic"),
        ("☒ C ☐ H", "current"),
        ("☐ Current ☒ Historic", "historic"),
        ("C ☐ H ☒", "historic"),
        ("X H", "historic"),
        ("Both", "current"),
        ("C & H", "current"),
        ("Current and historic", "current"),
        ("", None),
        ("C/H", None),
        ("c/h", None),
        ("C/H?", None),
        ("Current / Historic", None),
        ("unknown", None),
    ],
)
def test_parse_timing(text: str, expected: str | None) -> None:
    assert parse_timing(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Jack Smith", ["Jack Smith"]),
        ("  Jack   Smith  ", ["Jack Smith"]),
        ("Jack Smith\nJill Smith", ["Jack Smith", "Jill Smith"]),
        ("Jack Smith\r\n\r\nJill Smith\n", ["Jack Smith", "Jill Smith"]),
        ("Jack Smith; Jill Smith", ["Jack Smith", "Jill Smith"]),
        ("Jack Smith and Jill Smith", ["Jack Smith", "Jill Smith"]),
        ("Jack Smith AND Jill Smith", ["Jack Smith", "Jill Smith"]),
        ("Jack Smith & Jill Smith", ["Jack Smith", "Jill Smith"]),
        ("Jack Smith / Jill Smith", ["Jack Smith", "Jill Smith"]),
        ("Jack Smith, Jill Smith", ["Jack Smith", "Jill Smith"]),
        ("Jack, Jill, Tom", ["Jack", "Jill", "Tom"]),
        ("Jack, Jill and Tom Smith", ["Jack", "Jill", "Tom Smith"]),
        ("Jack & Jill Smith", ["Jack", "Jill Smith"]),
        ("Smith, John", ["Smith, John"]),
        ("SMITH, John Paul", ["SMITH, John Paul"]),
        ("Smith, John and Smith, Jane", ["Smith, John", "Smith, Jane"]),
        ("1. Jack Smith\n2. Jill Smith", ["Jack Smith", "Jill Smith"]),
        ("• Jack Smith\n• Jill Smith", ["Jack Smith", "Jill Smith"]),
        ("Alexander Anderson", ["Alexander Anderson"]),
        ("Siobhán O'Connor-Ní Bhriain", ["Siobhán O'Connor-Ní Bhriain"]),
        ("Jack Smith\nJack Smith", ["Jack Smith"]),
        ("Jack Smith 02/04/2013 / Jill Smith", ["Jack Smith 02/04/2013", "Jill Smith"]),
        ("", []),
        (" \n ; ", []),
    ],
)
def test_split_pupil_names(text: str, expected: list[str]) -> None:
    assert split_pupil_names(text) == expected


# --- reading a record ---------------------------------------------------------------


def test_indicators_and_summary() -> None:
    ref = empty_referral()
    rows = ref["risk_indicators"]
    rows["1"] = {"present": True, "timing": "historic"}
    rows["9"] = {"present": True, "timing": "current"}
    rows["10"] = {"present": True, "timing": "current"}
    rows["12"] = {"present": True, "timing": "current"}
    rows["15"] = {"present": True, "timing": None}
    rows["2"] = {"present": False, "timing": None}
    assert current_indicators(ref) == ["9", "10", "12"]
    assert serious_current_indicators(ref) == ["9", "10"]
    assert summary(ref) == ReferralSummary(
        indicators_present=5,
        indicators_current=3,
        serious_current=("9", "10"),
        escalation_considered=False,
    )
    ref["social_care_referral_considered"] = False
    assert summary(ref).escalation_considered is True


# --- checks -----------------------------------------------------------------------


def _fields(findings: list[Finding], severity: str) -> set[str]:
    return {f.field for f in findings if f.severity == severity}


def test_validate_a_good_referral_has_no_findings() -> None:
    assert validate(_filled(), today=TODAY) == []


def test_validate_reports_malformed_values_as_errors() -> None:
    ref = _filled()
    ref["children"][0]["date_of_birth"] = "14/03/2015"
    ref["parental_consent"] = "Yes"
    findings = validate(ref, today=TODAY)
    assert _fields(findings, "error") == {"children.0.date_of_birth", "parental_consent"}
    assert all(f.message for f in findings)


def test_validate_warns_about_what_the_officer_should_check() -> None:
    ref = _filled()
    ref["children"].append(dict(ref["children"][0], date_of_birth="2008-01-01"))
    ref["children"].append(dict(ref["children"][0], date_of_birth="2023-06-01"))
    ref["children"][0]["upn"] = "A12345678901X"
    ref["email"] = "mum at example.org"
    ref["telephone"] = "Mum 0116 496 0123, Dad 555 1234"
    ref["referrer"]["date_completed"] = "2026-12-01"
    ref["date_last_attended"] = "2026-11-29"
    ref["risk_indicators"]["9"] = {"present": None, "timing": "current"}
    ref["risk_indicators"]["10"] = {"present": True, "timing": None}
    findings = validate(ref, today=TODAY)
    assert _fields(findings, "error") == set()
    assert _fields(findings, "warning") == {
        "children.0.upn",
        "children.1.date_of_birth",
        "children.2.date_of_birth",
        "email",
        "telephone",
        "referrer.date_completed",
        "date_last_attended",
        "risk_indicators.9.timing",
        "risk_indicators.10.timing",
    }


def test_validate_warns_about_a_date_of_birth_in_the_future() -> None:
    ref = _filled()
    ref["children"][0]["date_of_birth"] = "2027-01-01"
    (finding,) = validate(ref, today=TODAY)
    assert finding == Finding(
        "children.0.date_of_birth", "Date of Birth (child 1) is in the future.", "warning"
    )


def test_validate_messages_use_the_form_labels() -> None:
    ref = _filled()
    ref["date_last_attended"] = "30/09/2026"
    (finding,) = validate(ref, today=TODAY)
    assert finding.field == "date_last_attended"
    assert finding.severity == "error"
    assert finding.message.startswith("Date Last Attended must be a real date")


@pytest.mark.parametrize(
    ("path", "label"),
    [
        ("children.1.date_of_birth", "Date of Birth (child 2)"),
        ("telephone", "Telephone No."),
        ("risk_indicators.9.timing", "Risk indicator 9: Current / Historic"),
        ("risk_indicators.9.present", "Risk indicator 9: Yes or No?"),
        ("referrer.date_completed", "Date Completed"),
        ("assessment.next_steps", "What do you think needs to happen next?"),
        (
            "referrer_actions.address_visited.date",
            "Complete a visit to last known address: date completed",
        ),
        ("something.else", "something.else"),
    ],
)
def test_field_label(path: str, label: str) -> None:
    assert field_label(path) == label


@pytest.mark.parametrize(
    "phone",
    [
        "0116 496 0123",
        "07700 900123",
        "07700900123",
        "+44 7700 900123",
        "+44 (0)116 496 0123",
        "020 7946 0018",
        "0300 123 4567",
        "Mum: 07700 900 123 / Dad: 0116 4960123",
    ],
)
def test_validate_accepts_uk_phone_numbers(phone: str) -> None:
    ref = _filled()
    ref["telephone"] = phone
    assert validate(ref, today=TODAY) == []


@pytest.mark.parametrize("phone", ["unknown", "0116 496", "0900 123 4567", "+1 212 555 0100"])
def test_validate_warns_about_other_phone_numbers(phone: str) -> None:
    ref = _filled()
    ref["telephone"] = phone
    assert _fields(validate(ref, today=TODAY), "warning") == {"telephone"}


@pytest.mark.parametrize("email", ["name@example.org", "a.b+c@school.sch.uk", "x@y.org; z@y.org"])
def test_validate_accepts_email_addresses(email: str) -> None:
    ref = _filled()
    ref["email"] = email
    assert validate(ref, today=TODAY) == []


def test_validate_does_not_change_its_input() -> None:
    ref = _filled()
    ref["risk_indicators"]["3"] = {"present": False, "timing": "historic"}
    before = copy.deepcopy(ref)
    validate(ref, today=TODAY)
    assert ref == before


# --- properties -----------------------------------------------------------------------

_MESSY_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=20)


@st.composite
def _messy_referrals(draw: st.DrawFn) -> dict[str, Any]:
    """Valid records disturbed the way importers produce them: untrimmed, CRLF, gaps."""
    ref = draw(referrals(max_children=2))
    ref["children"][0]["full_name"] = draw(_MESSY_TEXT)
    ref["additional_information"] = " \r\n" + draw(_MESSY_TEXT) + "\r\n\t"
    ref["children"][0]["upn"] = draw(st.none() | _MESSY_TEXT)
    for key in draw(st.lists(st.sampled_from(RISK_INDICATOR_KEYS), max_size=5)):
        ref["risk_indicators"][key] = {
            "present": draw(st.sampled_from((True, False, None))),
            "timing": draw(st.sampled_from(("current", "historic", None, " Current ", ""))),
        }
    for key in draw(st.lists(st.sampled_from(["email", "referrer", "assessment"]), max_size=3)):
        ref.pop(key, None)
    return ref


# Records are large, so few examples each; every run draws new ones.
_RECORD_SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@given(_messy_referrals())
@_RECORD_SETTINGS
def test_normalise_is_idempotent(ref: dict[str, Any]) -> None:
    once = normalise(ref)
    assert normalise(once) == once
    assert from_json(to_json(once)) == once


@given(referrals())
@_RECORD_SETTINGS
def test_json_round_trip_is_identity(ref: dict[str, Any]) -> None:
    assert normalise(ref) == ref  # the strategy makes records already in canonical form
    text = to_json(ref)
    assert from_json(text) == ref
    assert from_json(text.encode("utf-8")) == ref
    assert to_json(from_json(text)) == text


@given(st.text(max_size=60))
@settings(max_examples=300, deadline=None)
def test_readers_never_raise_on_any_text(text: str) -> None:
    assert parse_uk_date(text, today=TODAY) is None or isinstance(
        parse_uk_date(text, today=TODAY), date
    )
    assert find_date_in_text(text, today=TODAY) is None or isinstance(
        find_date_in_text(text, today=TODAY), date
    )
    assert parse_yes_no(text) in (True, False, None)
    assert parse_timing(text) in ("current", "historic", None)
    assert all(name and name == name.strip() for name in split_pupil_names(text))


@pytest.mark.parametrize(
    "text", ["1 " * 20_000, "2/" * 20_000, "Monday 1st " * 5_000, "yes no " * 10_000]
)
def test_readers_cope_with_long_hostile_text(text: str) -> None:
    assert parse_uk_date(text, today=TODAY) is None
    assert find_date_in_text(text, today=TODAY) is None
    assert parse_yes_no(text) is None
    assert parse_timing(text) is None
