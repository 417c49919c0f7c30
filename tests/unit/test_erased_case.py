"""An erased case cannot be edited back into holding personal data.

One case, closed in 2016 and erased in 2037 (its retention rule's day), had a
carer, an address, a timeline entry and a task before erasure. Every change the
case service offers is then refused with ``CaseErased`` and the same message,
and so is every document and automatic timeline entry; the vault is unchanged.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from cme_desktop.models import Carer, Case, Task, TimelineEntry
from cme_desktop.services.cases import history
from cme_desktop.services.cases.detail import CaseDraft
from cme_desktop.services.cases.erasure import ErasureService
from cme_desktop.services.cases.service import CaseService
from cme_desktop.services.documents.authority import DEFAULT as AUTHORITY
from cme_desktop.services.documents.visit_sheet import VisitSheetService
from cme_desktop.services.errors import CaseErased
from cme_desktop.services.protection.exports import ExportService
from cme_desktop.services.vault.database import Database
from cme_desktop.services.vault.unlock import Vault
from tests.support.credentials import FAST_SCRYPT, PASSPHRASE

ERASED_ON = date(2037, 1, 1)
MESSAGE = (
    "This child's personal data was erased on 1 Jan 2037 under the retention rule; the case "
    "keeps only its figures. If the child is missing education again, log a new case."
)


def _erased(tmp: Path) -> tuple[Database, int, int]:
    db = Vault(tmp / "cases.cme", scrypt=FAST_SCRYPT).create(PASSPHRASE, actor="Test").db
    cases = CaseService(db)
    case_id = cases.create(
        draft=CaseDraft(full_name="Noor Example", date_of_birth=date(2008, 9, 1)),
        today=date(2016, 1, 4),
    )
    other = cases.create(draft=CaseDraft(full_name="Sam Other"), today=date(2016, 1, 4))
    cases.save_carer(case_id, name="Parent Example", telephone="07700 900000")
    cases.add_timeline(
        case_id, kind="note", occurred_at=datetime(2016, 1, 5, 10), summary="Phoned the school"
    )
    # A home visit is kept by erasure (with no text): the one entry left to edit.
    cases.add_timeline(
        case_id,
        kind="visit",
        occurred_at=datetime(2016, 1, 6, 10),
        summary="No answer at the door",
        outcome="no_reply_occupied",
    )
    cases.add_task(case_id, title="Visit again", due_on=date(2016, 1, 20))
    cases.close(case_id, outcome="ehe", on=date(2016, 2, 1))
    ErasureService(db).erase(case_id, confirmation=f"CME-{case_id:06d}", today=ERASED_ON)
    return db, case_id, other


def _counts(db: Database, case_id: int) -> tuple[int, ...]:
    with db.read() as s:
        return tuple(
            s.scalar(select(func.count()).select_from(m).where(m.case_id == case_id)) or 0
            for m in (Carer, TimelineEntry, Task)
        )


def _attempts(
    cases: CaseService, case_id: int, other: int, db: Database
) -> dict[str, Callable[[], Any]]:
    detail = cases.get(case_id)
    with db.read() as s:
        entry_id = s.scalar(
            select(TimelineEntry.id).where(
                TimelineEntry.case_id == case_id, TimelineEntry.kind == "visit"
            )
        )
    assert entry_id is not None
    with db.write() as s:
        # A task row as if left behind, to check its own edits are refused too.
        task = Task(case_id=case_id, title="", due_on=date(2037, 1, 2))
        s.add(task)
        s.flush()
        task_id = task.id
    day = date(2037, 1, 2)
    return {
        "update": lambda: cases.update(
            case_id, draft=CaseDraft(full_name="Noor Example"), version=detail.version
        ),
        "close": lambda: cases.close(case_id, outcome="ehe", on=day),
        "set_step": lambda: cases.set_step(case_id, step="home_visit", done_on=day),
        "add_address": lambda: cases.add_address(case_id, address="1 New Road"),
        "save_carer": lambda: cases.save_carer(case_id, name="Parent Example"),
        "remove_carer": lambda: cases.remove_carer(case_id, carer_id=1),
        "add_timeline": lambda: cases.add_timeline(
            case_id, kind="note", occurred_at=datetime(2037, 1, 2, 9), summary="Seen in town"
        ),
        "edit_timeline": lambda: cases.edit_timeline(
            entry_id, occurred_at=datetime(2037, 1, 2, 9), summary="Seen in town"
        ),
        "delete_timeline": lambda: cases.delete_timeline(entry_id, reason="Wrong case"),
        "add_task": lambda: cases.add_task(case_id, title="Visit", due_on=day),
        "complete_task": lambda: cases.complete_task(task_id, done_on=day),
        "edit_task": lambda: cases.edit_task(task_id, title="Visit", due_on=day),
        "delete_task": lambda: cases.delete_task(task_id, reason="Wrong case"),
        "add_agency_referral": lambda: cases.add_agency_referral(
            case_id, agency="police", referred_on=day
        ),
        "add_meeting": lambda: cases.add_meeting(
            case_id, held_on=day, attendees="School", actions="Visit"
        ),
        "link_family": lambda: cases.link_family([case_id, other]),
        "get_for_document": lambda: cases.get_for_document(case_id),
    }


#: The case service's methods that only read, have their own refusal (reopen: "log a new
#: case"), or make a new case.
NOT_TRIED = {"get", "reopen", "create"}


def test_every_change_to_an_erased_case_is_refused(tmp_path: Path) -> None:
    db, case_id, other = _erased(tmp_path)
    cases = CaseService(db)
    attempts = _attempts(cases, case_id, other, db)
    public = {
        name
        for name, _ in inspect.getmembers(CaseService, inspect.isfunction)
        if not name.startswith("_")
    }
    # A method added to the service later must be tried here too.
    assert public - NOT_TRIED == set(attempts)
    before = _counts(db, case_id)
    for name, attempt in attempts.items():
        with pytest.raises(CaseErased) as caught:
            attempt()
        assert caught.value.message == MESSAGE, name
    assert _counts(db, case_id) == before
    with db.read() as s:
        case = s.get(Case, case_id)
        assert case is not None and case.full_name == "Erased record"
        assert s.get(Case, other) is not None
        assert s.get(Case, other).family_id is None  # type: ignore[union-attr]
    # Reading it is allowed (the workspace shows it read only), and says it was erased.
    assert cases.get(case_id).erased_on == ERASED_ON


def test_documents_and_automatic_entries_are_refused_before_anything_is_written(
    tmp_path: Path,
) -> None:
    db, case_id, _other = _erased(tmp_path)
    target = tmp_path / "referral.pdf"
    with pytest.raises(CaseErased, match="erased on 1 Jan 2037"):
        ExportService(db).export_referral(
            case_id, target=target, password="correct horse battery", authority=AUTHORITY
        )
    assert not target.exists()
    with pytest.raises(CaseErased):
        VisitSheetService(db).render_for([case_id], authority=AUTHORITY)
    # Any automatic entry (a referral filed, an escalation, a school return) is refused in
    # the transaction that would have written it.
    before = _counts(db, case_id)
    with pytest.raises(CaseErased), db.write() as s:
        history.record(s, case_id=case_id, summary="Referral received", author="Test")
    assert _counts(db, case_id) == before
