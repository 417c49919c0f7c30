"""Importing referrals on both engines: the same cases, links and stored file on each, and
a failure part-way leaves nothing on either."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from cme_desktop.models import Attachment, AuditEvent, Case, Referral
from cme_desktop.services.cases.detail import CaseDraft
from cme_desktop.services.cases.service import CaseService
from cme_desktop.services.importing.commit import ChildDecision, ImportService
from cme_desktop.services.vault.database import Database
from tests.unit.test_import_flow import DOB, ORIGINAL, SURNAME, TODAY, child, parsed


def count(db: Database, model: Any) -> int:
    with db.read() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_a_referral_becomes_a_case_with_its_file(engine_db: Database) -> None:
    referral = parsed(child(f"Ruby {SURNAME}", date_of_birth=str(DOB), gender="Female"))
    result = ImportService(engine_db).commit(referral, [ChildDecision(0, "new")], today=TODAY)
    (done,) = result.children
    assert done.outcome == "created"
    detail = CaseService(engine_db).get(done.case_id)
    assert (detail.draft.full_name, detail.draft.date_of_birth) == (f"Ruby {SURNAME}", DOB)
    assert detail.carers[0].relationship == "Mother"
    with engine_db.read() as session:
        stored = session.get(Referral, done.referral_id)
        assert stored is not None and stored.source == "docx"
        attachment = session.get(Attachment, stored.attachment_id)
        assert attachment is not None and bytes(attachment.content) == ORIGINAL


def test_a_misspelt_name_is_offered_and_siblings_are_linked(engine_db: Database) -> None:
    existing = CaseService(engine_db).create(
        draft=CaseDraft(full_name=f"Eva {SURNAME}", date_of_birth=DOB), today=TODAY
    )
    service = ImportService(engine_db)
    referral = parsed(child(f"Evah {SURNAME}", date_of_birth=str(DOB)), child(f"Gus {SURNAME}"))
    (first, _second) = service.candidates(referral)
    assert existing in [c.case_id for c in first.candidates]
    result = service.commit(
        referral, [ChildDecision(0, "add", existing), ChildDecision(1, "new")], today=TODAY
    )
    assert result.family_id is not None
    ids = [c.case_id for c in result.children]
    with engine_db.read() as session:
        families = set(session.scalars(select(Case.family_id).where(Case.id.in_(ids))))
    assert families == {result.family_id}


def test_a_failure_part_way_leaves_nothing(
    engine_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = {m: count(engine_db, m) for m in (Case, Referral, Attachment, AuditEvent)}
    created: list[int] = []
    real_create = CaseService.create

    def create_then_fail(self: CaseService, **kwargs: Any) -> int:
        if created:
            raise OSError("the disk went away")
        created.append(real_create(self, **kwargs))
        return created[-1]

    monkeypatch.setattr(CaseService, "create", create_then_fail)
    referral = parsed(child(f"Finn {SURNAME}"), child(f"Gus {SURNAME}"))
    with pytest.raises(OSError):
        ImportService(engine_db).commit(
            referral, [ChildDecision(0, "new"), ChildDecision(1, "new")], today=TODAY
        )
    assert created
    assert {m: count(engine_db, m) for m in before} == before
