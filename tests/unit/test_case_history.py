"""The case history: what the program records on the timeline by itself, and corrections.

Referral received or imported, export sent, visit sheets printed, escalation decided, case
closed or reopened each leave an entry ("Recorded automatically") in the transaction that
does it. The officer's own entries and tasks can be edited and deleted: a deleted one is
kept, struck through with the reason, audited, and no longer counted.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from cme_desktop.models import AuditEvent, TimelineEntry
from cme_desktop.models import vocabularies as vocab
from cme_desktop.services.cases.case_list import CaseList
from cme_desktop.services.cases.detail import CaseDraft, TimelineRow
from cme_desktop.services.cases.service import CaseService
from cme_desktop.services.documents.styles import DEFAULT
from cme_desktop.services.documents.visit_sheet import VisitSheetService
from cme_desktop.services.errors import InvalidInput
from cme_desktop.services.escalation.service import EscalationService
from cme_desktop.services.importing.commit import ChildDecision, ImportService
from cme_desktop.services.importing.result import ParsedReferral
from cme_desktop.services.protection.exports import ExportService
from cme_desktop.services.protection.passwords import generate_short_password
from cme_desktop.services.referral.record import empty_referral
from cme_desktop.services.referral.service import ReferralService
from cme_desktop.services.reports.periods import Quarter
from cme_desktop.services.reports.service import Statistics
from cme_desktop.services.vault import audit
from cme_desktop.services.vault.database import Database
from cme_desktop.services.vault.unlock import Vault
from tests.support.fixtures_docx import appendix_a_docx

TODAY = date.today()


@pytest.fixture
def vault(copied_vault: Vault) -> Vault:
    return copied_vault


@pytest.fixture
def cases(db: Database) -> CaseService:
    return CaseService(db)


@pytest.fixture
def case_id(cases: CaseService) -> int:
    return cases.create(draft=CaseDraft(full_name="Ellis Marchbank", school="Oak Primary"))


def _automatic(cases: CaseService, case_id: int) -> list[str]:
    return [t.summary for t in cases.get(case_id).timeline if t.kind == "system"]


def _actions(db: Database) -> list[tuple[str, str]]:
    with db.read() as session:
        rows = session.scalars(select(AuditEvent).order_by(AuditEvent.id))
        return [(r.action, r.detail) for r in rows]


def _referral(name: str) -> dict[str, object]:
    ref = empty_referral()
    ref["children"] = [empty_referral()["children"][0] | {"full_name": name}]
    ref["referrer"] |= {"name": "Ann Teacher", "organisation": "Oak Primary"}
    return ref


# --- recorded automatically ---------------------------------------------------------------


def test_a_referral_typed_in_is_recorded_on_the_timeline(
    cases: CaseService, case_id: int, db: Database
) -> None:
    ReferralService(db).add(case_id, referral=_referral("Ellis Marchbank"), received_on=TODAY)
    assert _automatic(cases, case_id) == [
        f"Referral received on {TODAY:%d/%m/%Y}, typed in by hand."
    ]


def test_an_imported_referral_names_the_file_it_came_in(db: Database, cases: CaseService) -> None:
    parsed = ParsedReferral(
        referral=_referral("Ruby Hollis"),
        source="Referral from Oak.docx",
        uncertain=(),
        original=appendix_a_docx(_referral("Ruby Hollis")),
        original_name="Referral from Oak.docx",
    )
    result = ImportService(db).commit(parsed, [ChildDecision(0, "new")], today=TODAY)
    (done,) = result.children
    assert _automatic(cases, done.case_id) == [
        f"Referral received on {TODAY:%d/%m/%Y}, imported from a Word form: Referral from Oak.docx."
    ]


def test_an_export_says_to_whom_and_in_which_format(
    cases: CaseService, case_id: int, db: Database, tmp_path: Path
) -> None:
    ExportService(db).export_referral(
        case_id,
        target=tmp_path / "for-police.pdf",
        password=generate_short_password(),
        authority=DEFAULT,
        recipient="police",
    )
    assert _automatic(cases, case_id)[0] == (
        "Referral exported as a password-protected PDF for Police (for-police.pdf)."
    )


def test_printed_and_saved_visit_sheets_are_recorded(
    cases: CaseService, case_id: int, db: Database
) -> None:
    sheets = VisitSheetService(db)
    sheets.record_printed([case_id], output="printer")
    sheets.record_printed([case_id], output="pdf")
    assert _automatic(cases, case_id)[:2] == [
        "Home-visit sheet saved as a PDF.",
        "Home-visit sheet printed.",
    ]


def test_an_escalation_decision_is_recorded_automatically(
    cases: CaseService, case_id: int, db: Database
) -> None:
    EscalationService(db).record(
        case_id, answers={}, decision="no_escalation", rationale="Family seen at home."
    )
    [entry] = cases.get(case_id).timeline
    assert entry.kind == "system"
    assert entry.summary.startswith("Escalation decision:")


def test_closing_and_reopening_are_recorded(cases: CaseService, case_id: int) -> None:
    cases.close(case_id, outcome="ehe", on=TODAY, note="Letter from parents")
    cases.reopen(case_id, reason="Home education stopped.")
    reopened, closed = _automatic(cases, case_id)
    ehe = vocab.label_of(vocab.CLOSING_OUTCOMES, "ehe")
    assert closed == f"Case closed on {TODAY:%d/%m/%Y}: {ehe}. Letter from parents"
    assert reopened == (
        f"Case reopened (was closed {TODAY:%d/%m/%Y}: {ehe}). Home education stopped."
    )


def test_the_officer_cannot_add_edit_or_delete_an_automatic_entry(
    cases: CaseService, case_id: int
) -> None:
    with pytest.raises(InvalidInput, match="Unknown kind"):
        cases.add_timeline(case_id, kind="system", occurred_at=datetime.now(), summary="x")
    cases.close(case_id, outcome="ehe")
    [entry] = cases.get(case_id).timeline
    with pytest.raises(InvalidInput, match="recorded automatically cannot be changed"):
        cases.edit_timeline(entry.id, occurred_at=datetime.now(), summary="rewritten")
    with pytest.raises(InvalidInput, match="recorded automatically cannot be changed"):
        cases.delete_timeline(entry.id, reason="not wanted")


# --- corrections --------------------------------------------------------------------------


def _only(cases: CaseService, case_id: int) -> TimelineRow:
    [row] = [t for t in cases.get(case_id).timeline if t.kind != "system"]
    return row


def test_an_entry_is_edited_and_marked_as_edited(
    cases: CaseService, case_id: int, db: Database
) -> None:
    entry_id = cases.add_timeline(
        case_id, kind="phone", occurred_at=datetime(2026, 5, 2, 9), summary="Rang mum"
    )
    cases.edit_timeline(entry_id, occurred_at=datetime(2026, 5, 2, 10), summary="Rang dad")
    row = _only(cases, case_id)
    assert (row.summary, row.occurred_at) == ("Rang dad", datetime(2026, 5, 2, 10))
    assert row.edited_at is not None and row.deleted_at is None
    assert ("timeline_edited", f"entry={entry_id}") in _actions(db)
    with pytest.raises(InvalidInput, match="Write what happened"):
        cases.edit_timeline(entry_id, occurred_at=datetime.now(), summary="  ")


def test_a_deleted_entry_is_kept_struck_through_with_its_reason(
    cases: CaseService, case_id: int, db: Database
) -> None:
    entry_id = cases.add_timeline(
        case_id, kind="note", occurred_at=datetime(2026, 5, 2, 9), summary="Wrong case"
    )
    with pytest.raises(InvalidInput, match="Say why"):
        cases.delete_timeline(entry_id, reason="   ")
    assert _only(cases, case_id).deleted_at is None

    cases.delete_timeline(entry_id, reason="Written on the wrong case")
    row = _only(cases, case_id)
    assert row.summary == "Wrong case", "the text is kept"
    assert row.deleted_at is not None and row.deleted_reason == "Written on the wrong case"
    events = _actions(db)
    assert ("timeline_deleted", f"entry={entry_id}") in events
    # The audit row holds the id only, never the officer's words.
    assert not any("wrong case" in detail.lower() for _action, detail in events)
    with db.read() as session:
        assert audit.verify(session, db.audit_key).ok
    with pytest.raises(InvalidInput, match="deleted already"):
        cases.delete_timeline(entry_id, reason="again")
    with pytest.raises(InvalidInput, match="deleted already"):
        cases.edit_timeline(entry_id, occurred_at=datetime.now(), summary="back")


def test_a_deleted_visit_no_longer_counts(cases: CaseService, case_id: int, db: Database) -> None:
    first = datetime(2026, 4, 1, 10)
    second = datetime(2026, 4, 8, 10)
    cases.add_timeline(
        case_id, kind="visit", occurred_at=first, summary="", outcome="no_reply_vacant"
    )
    wrong = cases.add_timeline(
        case_id, kind="visit", occurred_at=second, summary="", outcome="seen"
    )
    assert cases.get(case_id).last_visit_on == second.date()

    cases.delete_timeline(wrong, reason="Recorded on the wrong child")

    assert cases.get(case_id).last_visit_on == first.date()
    with db.read() as session:
        standing = session.scalars(
            select(TimelineEntry.outcome).where(
                TimelineEntry.kind == "visit", TimelineEntry.deleted_at.is_(None)
            )
        ).all()
    assert standing == ["no_reply_vacant"]
    report = Statistics(db).quarterly(Quarter(2026, 2), previous=0)
    assert report.figure("visits", "seen") == 0
    assert report.figure("visits", "no_reply_vacant") == 1


def test_a_task_is_edited_and_a_deleted_one_leaves_the_dashboard(
    cases: CaseService, case_id: int, db: Database
) -> None:
    task_id = cases.add_task(case_id, title="Ring school", due_on=TODAY)
    later = cases.add_task(case_id, title="Check roll", due_on=TODAY + timedelta(days=5))
    cases.edit_task(task_id, title="Ring the school office", due_on=TODAY - timedelta(days=1))
    detail = cases.get(case_id)
    edited = next(t for t in detail.tasks if t.id == task_id)
    assert (edited.title, edited.due_on) == ("Ring the school office", TODAY - timedelta(days=1))
    assert edited.edited_at is not None
    assert detail.next_task_due == TODAY - timedelta(days=1)
    with pytest.raises(InvalidInput, match="Say what needs doing"):
        cases.edit_task(task_id, title=" ", due_on=TODAY)

    with pytest.raises(InvalidInput, match="Say why"):
        cases.delete_task(task_id, reason="")
    cases.delete_task(task_id, reason="Done by phone already")

    detail = cases.get(case_id)
    assert detail.next_task_due == TODAY + timedelta(days=5)
    deleted = detail.tasks[-1]
    assert (deleted.id, deleted.deleted_reason) == (task_id, "Done by phone already")
    assert [t.id for t in CaseList(db).dashboard(today=TODAY).due_tasks] == []
    assert ("task_deleted", f"task={task_id}") in _actions(db)
    assert ("task_edited", f"task={task_id}") in _actions(db)
    with pytest.raises(InvalidInput, match="has been deleted"):
        cases.complete_task(task_id)
    cases.complete_task(later)


def test_a_visit_s_next_step_becomes_a_task_in_the_same_transaction(
    cases: CaseService, case_id: int, db: Database
) -> None:
    due = TODAY + timedelta(days=3)
    with pytest.raises(InvalidInput, match="Write the next step"):
        cases.add_timeline(
            case_id,
            kind="visit",
            occurred_at=datetime.now(),
            summary="",
            outcome="no_reply_occupied",
            next_step_due=due,
        )
    assert cases.get(case_id).timeline == () and cases.get(case_id).tasks == ()

    cases.add_timeline(
        case_id,
        kind="visit",
        occurred_at=datetime.now(),
        summary="Curtains drawn",
        outcome="no_reply_occupied",
        next_step="Revisit after 4pm",
        next_step_due=due,
    )
    detail = cases.get(case_id)
    [task] = detail.tasks
    assert (task.title, task.due_on, task.origin) == ("Revisit after 4pm", due, "visit")
    assert detail.next_task_due == due
    assert detail.timeline[0].next_step == "Revisit after 4pm"
