"""Schools' deletion and new pupil returns (regulation 13): read, matched, confirmed, applied.

The sample ``tests/fixtures/school_returns/returns-2026-11.csv`` has five rows,
worked by hand against a vault holding two open cases (Ellis Marchbank, born
1 Sep 2014, and Amira Khan, born 30 Mar 2013):

- row 2, Ellis, deleted on ground 9(1)(i): matches Ellis's open case -> kept on it;
- row 3, Tobias, ground 9(1)(g) (moved away), no case -> a new case is opened;
- row 4, Freya, ground (k) (died): no missing-education check -> nothing done;
- row 5, a new pupil return for Amira at Larkrise Academy from 16 Nov 2026 ->
  her case is proposed for closing as on roll, and closed once confirmed;
- row 6, Harper, ground "9(1)(z)": not a ground -> skipped with the problem said.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from cme_desktop.models import Case, SchoolReturn
from cme_desktop.services.cases.closure_records import ClosureRecords
from cme_desktop.services.cases.detail import CaseDraft
from cme_desktop.services.cases.service import CaseService
from cme_desktop.services.importing import school_returns
from cme_desktop.services.importing.school_returns_csv import parse_ground, read_school_returns
from cme_desktop.services.vault.database import Database
from cme_desktop.services.vault.unlock import Vault

SAMPLE = Path(__file__).parents[1] / "fixtures" / "school_returns" / "returns-2026-11.csv"
TODAY = date(2026, 11, 20)


@pytest.fixture
def vault(copied_vault: Vault) -> Vault:
    return copied_vault


def _open(db: Database, name: str, dob: date) -> int:
    return CaseService(db).create(
        draft=CaseDraft(full_name=name, date_of_birth=dob, notified_on=date(2026, 10, 1)),
        today=date(2026, 10, 1),
    )


@pytest.mark.parametrize(
    ("text", "ground"),
    [("9(1)(i)", "i"), ("reg 9(1)(g)", "g"), ("Regulation 9 (1) (k)", "k"), ("(m)", "m")],
)
def test_a_ground_is_read_as_forms_write_it(text: str, ground: str) -> None:
    assert parse_ground(text) == ground


def test_grounds_that_are_not_of_regulation_9_are_refused() -> None:
    assert parse_ground("9(1)(z)") is None
    assert parse_ground("8(1)(f)(iii)") is None


def test_the_sample_return_is_read_row_by_row() -> None:
    rows = read_school_returns(SAMPLE.read_bytes(), today=TODAY)
    assert rows is not None
    assert [(r.row, r.kind, r.ground) for r in rows] == [
        (2, "deletion", "i"),
        (3, "deletion", "g"),
        (4, "deletion", "k"),
        (5, "new_pupil", ""),
        (6, "deletion", ""),
    ]
    ellis = rows[0]
    assert (ellis.full_name, ellis.date_of_birth, ellis.on) == (
        "Ellis Marchbank",
        date(2014, 9, 1),
        date(2026, 11, 13),
    )
    assert (ellis.postcode, ellis.parents) == ("LE11 3AB", "Dana Marchbank")
    assert rows[3].on == date(2026, 11, 16)  # a new pupil's starting day
    assert rows[4].problems and "9(1)(z)" in rows[4].problems[0]


def test_a_pupil_database_report_is_not_a_school_return() -> None:
    report = b"UPN,Surname,Forename,DOB,Last School\r\n,Smith,Jo,01/02/2015,Oak Primary\r\n"
    assert read_school_returns(report) is None


def test_returns_matched_confirmed_and_applied(db: Database) -> None:
    ellis = _open(db, "Ellis Marchbank", date(2014, 9, 1))
    amira = _open(db, "Amira Khan", date(2013, 3, 30))
    rows = read_school_returns(SAMPLE.read_bytes(), today=TODAY)
    assert rows is not None
    proposals = school_returns.plan(db, rows)
    assert [(p.row.row, p.action, p.case_id) for p in proposals] == [
        (2, "update", ellis),
        (3, "open", None),
        (4, "no_case", None),
        (5, "close", amira),
        (6, "skipped", None),
    ]
    assert "close" in proposals[3].message and "Larkrise Academy" in proposals[3].message
    # Nothing changes until the officer confirms.
    with db.read() as session:
        assert session.scalars(select(SchoolReturn)).all() == []

    result = school_returns.apply(
        db, proposals, confirmed={2, 3, 4, 5, 6}, source_name=SAMPLE.name, today=TODAY
    )
    done = {p.row.row: p for p in result.proposals}
    assert [n for n, p in done.items() if p.done] == [2, 3, 5]
    opened = done[3].case_id
    assert opened is not None and opened not in (ellis, amira)

    records = ClosureRecords(db)
    assert records.deletion_ground(ellis) == "i"
    assert records.deletion_ground(opened) == "g"
    with db.read() as session:
        tobias = session.get(Case, opened)
        assert tobias is not None
        assert (tobias.full_name, tobias.school, tobias.date_last_attended, tobias.sex) == (
            "Tobias Pennywhistle",
            "Hollowfield Primary School",
            date(2026, 11, 6),
            "male",
        )
        khan = session.get(Case, amira)
        assert khan is not None
        assert (khan.status, khan.closing_outcome, khan.new_school, khan.new_school_start) == (
            "closed",
            "on_roll",
            "Larkrise Academy",
            date(2026, 11, 16),
        )
        kept = session.scalars(select(SchoolReturn).where(SchoolReturn.case_id == ellis)).one()
        assert (kept.kind, kept.on, kept.destination) == (
            "deletion",
            date(2026, 11, 13),
            "Not known",
        )


def test_an_unconfirmed_or_impossible_row_is_left_and_the_rest_applied(db: Database) -> None:
    ellis = _open(db, "Ellis Marchbank", date(2014, 9, 1))
    amira = _open(db, "Amira Khan", date(2013, 3, 30))
    rows = read_school_returns(SAMPLE.read_bytes(), today=TODAY)
    assert rows is not None
    proposals = school_returns.plan(db, rows)
    # Applied on 10 November, before Amira's starting day of 16 November: refused.
    result = school_returns.apply(
        db, proposals, confirmed={5, 2}, source_name=SAMPLE.name, today=date(2026, 11, 10)
    )
    done = {p.row.row: p for p in result.proposals}
    assert done[2].done and not done[3].done  # row 3 was not confirmed
    assert not done[5].done and "starts on 16 Nov 2026" in done[5].problem
    assert ClosureRecords(db).deletion_ground(ellis) == "i"
    with db.read() as session:
        khan = session.get(Case, amira)
        assert khan is not None and khan.status == "open"
        assert (
            session.scalars(select(SchoolReturn).where(SchoolReturn.case_id == amira)).all() == []
        )
