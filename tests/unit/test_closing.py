"""Closing a case under the 2024 Regulations: each outcome refused until complete, by hand.

The dates are worked out by hand:

- A child born 15 July 2010 turns 16 on 15 July 2026, in the school year that
  ends in June 2026; 30 June 2026 is a Tuesday, so the school leaving date is
  Friday 26 June 2026. Closing "end of compulsory school age" on 25 June is
  refused, on 26 June accepted.
- The untraceable child's enquiries are all made by 20 March 2026; the case is
  passed on to the lost pupils database on 1 April 2026, so on 31 March it still
  counts as missing and on 1 April it no longer does.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from cme_desktop.models import Case, CaseClosure, TimelineEntry
from cme_desktop.models.closure_terms import UNTRACEABLE_ENQUIRIES
from cme_desktop.services.cases.bulk import BulkCases
from cme_desktop.services.cases.closing import ChecklistEntry, ClosureDetails
from cme_desktop.services.cases.closure_records import ClosureRecords, untraceable_still_missing
from cme_desktop.services.cases.detail import CaseDraft
from cme_desktop.services.cases.service import CaseService
from cme_desktop.services.errors import ClosureRefused, InvalidInput
from cme_desktop.services.vault.database import Database
from tests.support.credentials import PASSPHRASE
from tests.support.vault_copies import Template, copy_vault, make_template

OPENED = date(2026, 1, 5)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    return make_template(tmp_path_factory.mktemp("template"))


@pytest.fixture
def db(template: Template, tmp_path: Path) -> Iterator[Database]:
    opened = copy_vault(template, tmp_path / "v").unlock(PASSPHRASE, actor="Test Officer")
    yield opened
    opened.close()


def _case(db: Database, name: str = "Ellis Marchbank", dob: date | None = None) -> int:
    return CaseService(db).create(
        draft=CaseDraft(full_name=name, date_of_birth=dob, notified_on=OPENED), today=OPENED
    )


def _status(db: Database, case_id: int) -> str:
    with db.read() as session:
        case = session.get(Case, case_id)
        assert case is not None
        return case.status


def _all_enquiries(made_on: date) -> tuple[ChecklistEntry, ...]:
    return tuple(
        ChecklistEntry(t.key, made_on, f"Checked {t.key}: not known there")
        for t in UNTRACEABLE_ENQUIRIES
    )


# --- end of compulsory school age ---------------------------------------------------


def test_end_of_school_age_is_refused_before_the_school_leaving_date(db: Database) -> None:
    case_id = _case(db, dob=date(2010, 7, 15))
    cases = CaseService(db)
    with pytest.raises(ClosureRefused) as refused:
        cases.close(case_id, outcome="over_age", on=date(2026, 6, 25))
    assert "until 26 Jun 2026" in refused.value.message
    assert _status(db, case_id) == "open"
    cases.close(case_id, outcome="over_age", on=date(2026, 6, 26))
    assert _status(db, case_id) == "closed"


def test_end_of_school_age_needs_the_date_of_birth(db: Database) -> None:
    case_id = _case(db)
    with pytest.raises(ClosureRefused, match="date of birth"):
        CaseService(db).close(case_id, outcome="over_age", on=date(2026, 7, 1))


# --- on roll ----------------------------------------------------------------------


def test_on_roll_needs_the_school_and_the_start_day(db: Database) -> None:
    case_id = _case(db)
    cases = CaseService(db)
    with pytest.raises(ClosureRefused) as refused:
        cases.close(case_id, outcome="on_roll", on=date(2026, 3, 2))
    assert refused.value.missing == (
        "the school the child is on roll at",
        "the day the child starts (or started) there",
    )
    assert refused.value.field == "school"  # the dialog puts the cursor there
    late = ClosureDetails(school="Hollowfield Primary", school_start=date(2026, 3, 9))
    with pytest.raises(ClosureRefused, match="starts on 9 Mar 2026"):
        cases.close(case_id, outcome="on_roll", on=date(2026, 3, 2), details=late)
    assert _status(db, case_id) == "open"

    good = ClosureDetails(school=" Hollowfield Primary ", school_start=date(2026, 3, 2))
    cases.close(case_id, outcome="on_roll", on=date(2026, 3, 2), details=good)
    with db.read() as session:
        case = session.get(Case, case_id)
        assert case is not None
        assert (case.status, case.new_school, case.new_school_start) == (
            "closed",
            "Hollowfield Primary",
            date(2026, 3, 2),
        )
        entry = session.scalars(
            select(TimelineEntry.summary).where(TimelineEntry.case_id == case_id)
        ).all()
    assert any("On roll at Hollowfield Primary from 02/03/2026" in s for s in entry)


# --- moved out --------------------------------------------------------------------


def test_moved_out_needs_the_receiving_authority_and_the_day_it_was_told(db: Database) -> None:
    case_id = _case(db)
    cases = CaseService(db)
    with pytest.raises(ClosureRefused) as refused:
        cases.close(case_id, outcome="moved_out", on=date(2026, 2, 1))
    assert "the local authority the child moved to" in refused.value.message
    assert "the day that authority was told" in refused.value.message
    details = ClosureDetails(receiving_authority="Leeds City Council")
    with pytest.raises(ClosureRefused, match="the day that authority was told"):
        cases.close(case_id, outcome="moved_out", on=date(2026, 2, 1), details=details)

    details = ClosureDetails(
        receiving_authority="Leeds City Council", authority_told_on=date(2026, 1, 30)
    )
    cases.close(case_id, outcome="moved_out", on=date(2026, 2, 1), details=details)
    summary = ClosureRecords(db).closure(case_id)
    assert summary is not None
    assert (summary.receiving_authority, summary.authority_told_on) == (
        "Leeds City Council",
        date(2026, 1, 30),
    )


# --- untraceable ------------------------------------------------------------------


def test_untraceable_needs_every_enquiry_with_its_date_and_result(db: Database) -> None:
    case_id = _case(db)
    cases = CaseService(db)
    some = tuple(e for e in _all_enquiries(date(2026, 3, 20)) if e.item not in ("police", "s2s"))
    blank_result = (ChecklistEntry("police", date(2026, 3, 20), "  "),)
    with pytest.raises(ClosureRefused) as refused:
        cases.close(
            case_id,
            outcome="untraceable",
            on=date(2026, 3, 31),
            details=ClosureDetails(enquiries=some + blank_result),
        )
    assert refused.value.message.count(";") == 1  # exactly the two missing, named
    assert "Police" in refused.value.message
    assert "School to School (S2S)" in refused.value.message
    assert _status(db, case_id) == "open"
    # Nothing of a refused closing is kept, not even the enquiries given with it.
    assert all(e.made_on is None for e in ClosureRecords(db).checklist(case_id, "untraceable"))

    passed_without_day = ClosureDetails(
        enquiries=_all_enquiries(date(2026, 3, 20)), passed_on_to="lost_pupils_database"
    )
    with pytest.raises(ClosureRefused, match="the day the case was passed on"):
        cases.close(
            case_id, outcome="untraceable", on=date(2026, 3, 31), details=passed_without_day
        )


def test_untraceable_counts_as_missing_until_enquiries_done_and_passed_on(
    db: Database,
) -> None:
    cases = CaseService(db)
    passed = _case(db, "Passed On")
    cases.close(
        passed,
        outcome="untraceable",
        on=date(2026, 3, 31),
        details=ClosureDetails(
            enquiries=_all_enquiries(date(2026, 3, 20)),
            passed_on_to="lost_pupils_database",
            passed_on_on=date(2026, 4, 1),
        ),
    )
    kept = _case(db, "Not Passed On")
    cases.close(
        kept,
        outcome="untraceable",
        on=date(2026, 3, 31),
        details=ClosureDetails(enquiries=_all_enquiries(date(2026, 3, 20))),
    )
    older = _case(db, "Closed Before The Checks")
    with db.write() as session:  # as a case closed before the checks existed
        row = session.get(Case, older)
        assert row is not None
        row.status, row.closed_on, row.closing_outcome = "closed", date(2026, 2, 1), "untraceable"
    elsewhere = _case(db, "On Roll Elsewhere")
    cases.close(elsewhere, outcome="ehe", on=date(2026, 3, 1))

    with db.read() as session:
        assert untraceable_still_missing(session, as_of=date(2026, 3, 31)) == {
            passed,
            kept,
            older,
        }
        assert untraceable_still_missing(session, as_of=date(2026, 4, 1)) == {kept, older}
        assert untraceable_still_missing(session, as_of=date(2026, 4, 1), case_ids=[kept]) == {kept}
        # Before any of them closed, none is a closed untraceable case.
        assert untraceable_still_missing(session, as_of=date(2026, 1, 31)) == frozenset()
        closure = session.get(CaseClosure, passed)
        assert closure is not None and closure.passed_on_to == "lost_pupils_database"


def test_enquiries_recorded_beforehand_count_towards_the_closing(db: Database) -> None:
    case_id = _case(db)
    records = ClosureRecords(db)
    assert records.save_checklist(case_id, "untraceable", _all_enquiries(date(2026, 3, 10))) == 9
    CaseService(db).close(
        case_id,
        outcome="untraceable",
        on=date(2026, 3, 31),
        details=ClosureDetails(passed_on_to="other_authority", passed_on_on=date(2026, 3, 31)),
    )
    assert _status(db, case_id) == "closed"
    with db.read() as session:
        assert untraceable_still_missing(session, as_of=date(2026, 3, 31)) == frozenset()


def test_a_checklist_refuses_unknown_items_and_future_dates(db: Database) -> None:
    case_id = _case(db)
    records = ClosureRecords(db)
    with pytest.raises(InvalidInput, match="not on the checklist"):
        records.save_checklist(case_id, "twenty_days", [ChecklistEntry("horoscope", OPENED)])
    with pytest.raises(InvalidInput, match="in the future"):
        records.save_checklist(
            case_id, "twenty_days", [ChecklistEntry("la_home_visit", date(2999, 1, 1))]
        )
    with pytest.raises(InvalidInput, match="Unknown checklist"):
        records.checklist(case_id, "astrology")


# --- the other outcomes, and many at once ---------------------------------------------


def test_other_outcomes_need_only_the_date(db: Database) -> None:
    case_id = _case(db)
    CaseService(db).close(case_id, outcome="left_country", on=date(2026, 2, 1))
    assert _status(db, case_id) == "closed"


def test_closing_many_refuses_an_outcome_that_needs_details_per_child(db: Database) -> None:
    ids = [_case(db, "Ada One"), _case(db, "Bea Two")]
    with pytest.raises(ClosureRefused) as refused:
        BulkCases(db).close(ids, outcome="moved_out", on=date(2026, 2, 1))
    assert "Ada One" in refused.value.message
    assert "close it on its own" in refused.value.message
    assert [_status(db, i) for i in ids] == ["open", "open"]


def test_passing_on_is_recorded_after_the_closing(db: Database) -> None:
    case_id = _case(db)
    records = ClosureRecords(db)
    with pytest.raises(InvalidInput, match="Only a case closed as untraceable"):
        records.record_passed_on(case_id, to="other_authority", on=date(2026, 4, 2))
    CaseService(db).close(
        case_id,
        outcome="untraceable",
        on=date(2026, 3, 31),
        details=ClosureDetails(enquiries=_all_enquiries(date(2026, 3, 20))),
    )
    with pytest.raises(InvalidInput, match="Choose where"):
        records.record_passed_on(case_id, to="", on=date(2026, 4, 2))
    with pytest.raises(InvalidInput, match="Give the day"):
        records.record_passed_on(case_id, to="other_authority", on=None)
    with pytest.raises(InvalidInput, match="in the future"):
        records.record_passed_on(case_id, to="other_authority", on=date(2999, 1, 1))
    records.record_passed_on(
        case_id, to="other_authority", on=date(2026, 4, 2), note=" Leeds, by secure email "
    )
    with db.read() as session:
        assert untraceable_still_missing(session, as_of=date(2026, 4, 1)) == {case_id}
        assert untraceable_still_missing(session, as_of=date(2026, 4, 2)) == frozenset()
    summary = records.closure(case_id)
    assert summary is not None
    assert (summary.passed_on_to, summary.passed_on_on, summary.passed_on_note) == (
        "other_authority",
        date(2026, 4, 2),
        "Leeds, by secure email",
    )
