"""Schools' notices of removal for home education: the register entry and the CME check together.

A synthetic deletion return (Faker en_GB), worked by hand against a vault holding one
open CME case (the second row's child) and one child on the register only (the third):

- row 2, ground 9(1)(f), no case: a new CME case is opened and the child put on the
  register (cohort ``both``), with the school's notice on the register's history;
- row 3, ground in words ("Elective home education"), matching the open CME case:
  the return is kept on it and the child put on the register (cohort ``both``);
- row 4, ground "EHE", matching the register-only child: not put on twice, the notice
  recorded, and the CME check opened beside it (cohort ``both``);
- row 5, "not home educated" as a ground, and row 6, a date of deletion that cannot
  be read: refused with the problem said, nothing written for them.
"""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from faker import Faker
from sqlalchemy import func, select

from cme_desktop.models import Case, RegisterEntry, RegisterEvent
from cme_desktop.services.cases.detail import CaseDraft
from cme_desktop.services.cases.service import CaseService
from cme_desktop.services.importing import school_returns
from cme_desktop.services.importing.commit import ImportService
from cme_desktop.services.importing.result import ParsedReferral
from cme_desktop.services.importing.school_returns_csv import parse_ground, read_school_returns
from cme_desktop.services.referral.record import empty_referral
from cme_desktop.services.register.entry import NewChild, RegisterService
from cme_desktop.services.register.notice_words import says_home_education
from cme_desktop.services.vault.database import Database
from cme_desktop.services.vault.unlock import Vault

TODAY = date(2026, 11, 20)
SCHOOL = "Hollowfield Primary School"
fake = Faker("en_GB")
Faker.seed(1996)


@pytest.fixture
def vault(copied_vault: Vault) -> Vault:
    return copied_vault


def _people() -> list[tuple[str, str, date]]:
    return [(fake.first_name(), fake.last_name(), date(2014 - n, 3 + n, 10 + n)) for n in range(5)]


def _return(people: list[tuple[str, str, date]], grounds: list[str], days: list[str]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "Return type",
            "School",
            "Surname",
            "Forename(s)",
            "Date of birth",
            "Sex",
            "Address",
            "Ground for deletion",
            "Date of deletion",
        ]
    )
    for (first, last, born), ground, day in zip(people, grounds, days, strict=True):
        writer.writerow(
            [
                "Deletion",
                SCHOOL,
                last,
                first,
                f"{born:%d/%m/%Y}",
                "F",
                fake.address().replace("\n", ", "),
                ground,
                day,
            ]
        )
    return out.getvalue().encode()


def _state(db: Database, case_id: int) -> tuple[str, str, str | None, list[tuple[str, date, str]]]:
    with db.read() as session:
        case = session.get(Case, case_id)
        assert case is not None
        entry = session.get(RegisterEntry, case_id)
        events = session.execute(
            select(RegisterEvent.kind, RegisterEvent.on, RegisterEvent.detail).where(
                RegisterEvent.case_id == case_id, RegisterEvent.kind == "removal_notice"
            )
        ).all()
        return (
            case.cohort,
            case.status,
            None if entry is None else entry.status,
            [tuple(e) for e in events],  # type: ignore[misc]
        )


def test_grounds_in_words_are_regulation_9_1_f() -> None:
    assert parse_ground("Elective home education") == "f"
    assert parse_ground("EHE") == "f"
    assert parse_ground("Educated otherwise than at school") == "f"
    assert parse_ground("9(1)(f)") == "f"
    assert parse_ground("not home educated") is None
    assert parse_ground("no longer home educated") is None
    assert parse_ground("moved house") is None


def test_a_return_s_notices_open_the_register_entry_and_the_cme_check(db: Database) -> None:
    people = _people()
    cme = CaseService(db).create(
        draft=CaseDraft(full_name=f"{people[1][0]} {people[1][1]}", date_of_birth=people[1][2]),
        today=date(2026, 10, 1),
    )
    cnis = RegisterService(db).register_new(
        NewChild(f"{people[2][0]} {people[2][1]}", date_of_birth=people[2][2]),
        on=date(2026, 9, 1),
        today=date(2026, 10, 1),
    )
    data = _return(
        people,
        ["9(1)(f)", "Elective home education", "EHE", "not home educated", "EHE"],
        ["13/11/2026", "12/11/2026", "11/11/2026", "10/11/2026", "31/13/2026"],
    )
    rows = read_school_returns(data, today=TODAY)
    assert rows is not None
    proposals = school_returns.plan(db, rows)
    assert [p.action for p in proposals] == ["open", "update", "update", "skipped", "skipped"]
    assert "not one of regulation 9(1)" in proposals[3].message
    assert "cannot be read as a date" in proposals[4].message
    with db.read() as session:
        cases_before = session.scalar(select(func.count()).select_from(Case))

    result = school_returns.apply(
        db, proposals, confirmed={2, 3, 4, 5, 6}, source_name="return.csv", today=TODAY
    )
    done = {p.row.row: p for p in result.proposals}
    assert [n for n, p in done.items() if p.done] == [2, 3, 4]
    opened = done[2].case_id
    assert opened is not None
    notice = f"{SCHOOL}: removed from roll for home education on"
    assert _state(db, opened) == (
        "both",
        "open",
        "on",
        [("removal_notice", date(2026, 11, 13), f"{notice} 13 Nov 2026.")],
    )
    assert _state(db, cme) == (
        "both",
        "open",
        "on",
        [("removal_notice", date(2026, 11, 12), f"{notice} 12 Nov 2026.")],
    )
    assert _state(db, cnis) == (
        "both",
        "open",
        "on",
        [("removal_notice", date(2026, 11, 11), f"{notice} 11 Nov 2026.")],
    )
    record = RegisterService(db).get(cnis, today=TODAY)
    assert record is not None and [e.kind for e in record.events].count("joined") == 1
    with db.read() as session:
        # One new case only: the refused rows wrote nothing.
        assert session.scalar(select(func.count()).select_from(Case)) == (cases_before or 0) + 1


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("Parents removed her from roll for elective home education.", True),
        ("Deregistered: EHE from 3/11.", True),
        ("Family withdrew him from school to home-school him.", True),
        ("Mum said she is not home educating; no school place found.", False),
        ("Child no longer home educated, needs a place.", False),
        ("Moved to Wales; address not given.", False),
        ("Concerns that the elective home education is unsuitable.", False),
        ("Parents deregistered him; see the EHEfile notes.", False),
    ],
)
def test_a_referral_says_home_education_in_its_words(text: str, says: bool) -> None:
    ref = empty_referral()
    ref["additional_information"] = text
    assert says_home_education(ref) is says


def test_a_referral_form_saying_home_education_puts_the_child_on_the_register(
    db: Database,
) -> None:
    ref = empty_referral()
    name = fake.name()
    ref["children"][0] |= {"full_name": name, "date_of_birth": "2013-06-07", "gender": "Male"}
    ref["school"] = SCHOOL
    ref["date_last_attended"] = "2026-11-06"
    ref["additional_information"] = "Parent has written to remove him for elective home education."
    parsed = ParsedReferral(referral=ref, source="referral.docx")
    result = ImportService(db).commit_unattended(parsed, received_on=TODAY, today=TODAY)
    case_id = result.children[0].case_id
    assert _state(db, case_id) == (
        "both",
        "open",
        "on",
        [
            (
                "removal_notice",
                date(2026, 11, 6),
                f"{SCHOOL}: removed from roll for home education on 6 Nov 2026.",
            )
        ],
    )


def test_a_referral_without_home_education_leaves_the_register_alone(db: Database) -> None:
    ref = empty_referral()
    ref["children"][0] |= {"full_name": fake.name(), "date_of_birth": "2013-06-07"}
    ref["additional_information"] = "Not seen since half term."
    parsed = ParsedReferral(referral=ref, source="referral.docx")
    case_id = ImportService(db).commit_unattended(parsed, today=TODAY).children[0].case_id
    assert _state(db, case_id) == ("cme", "open", None, [])


def _new_pupils(people: list[tuple[str, str, date]], start: str) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["Return type", "School", "Surname", "Forename(s)", "Date of birth", "Start date"]
    )
    for first, last, born in people:
        writer.writerow(["New pupil", SCHOOL, last, first, f"{born:%d/%m/%Y}", start])
    return out.getvalue().encode()


def _left(db: Database, case_id: int) -> tuple[str, str, str, date | None, str]:
    with db.read() as session:
        case = session.get(Case, case_id)
        entry = session.get(RegisterEntry, case_id)
        assert case is not None and entry is not None
        return case.cohort, case.status, entry.status, entry.left_on, entry.left_reason


def test_a_new_pupil_return_takes_a_register_child_off_the_register(db: Database) -> None:
    people = _people()[:2]
    (first, last, born), (first2, last2, born2) = people
    register = RegisterService(db)
    only = register.register_new(
        NewChild(f"{first} {last}", date_of_birth=born), on=date(2026, 9, 1), today=TODAY
    )
    both = register.register_new(
        NewChild(f"{first2} {last2}", date_of_birth=born2), on=date(2026, 9, 1), today=TODAY
    )
    register.education_stopped(both, on=date(2026, 10, 1), today=TODAY)  # CME case opens
    register.put_on(both, on=date(2026, 10, 20), today=TODAY)  # then home educated again
    rows = read_school_returns(_new_pupils(people, "16/11/2026"), today=TODAY)
    assert rows is not None
    proposals = school_returns.plan(db, rows)
    assert [p.action for p in proposals] == ["off_register", "close"]
    assert "off the register of children not in school" in proposals[0].message
    applied = school_returns.apply(
        db, proposals, confirmed={p.row.row for p in proposals}, source_name="new.csv", today=TODAY
    )
    assert all(p.done for p in applied.proposals), [p.message for p in applied.proposals]
    # The register-only child leaves the register (and the row closes with it), with no
    # CME closing; the child on both records is closed as on roll and leaves it too.
    left = date(2026, 11, 16)
    assert _left(db, only) == ("cnis", "closed", "off", left, "school_place")
    assert _left(db, both) == ("both", "closed", "off", left, "school_place")
    with db.read() as session:
        closed = session.get(Case, both)
        assert closed is not None and closed.closing_outcome == "on_roll"
        never_cme = session.get(Case, only)
        assert never_cme is not None and not never_cme.closing_outcome
