"""A timeline entry or task corrected from the version read: a correction over a newer one
is refused with who changed it, nothing overwritten, on both engines and between two
sessions on the server."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from cme_desktop.services.cases.detail import CaseDraft
from cme_desktop.services.cases.service import CaseService
from cme_desktop.services.errors import ChangedElsewhere
from cme_desktop.services.vault.database import Database
from tests.support.postgres import connect

DAY = date(2026, 11, 2)
AT = datetime(2026, 11, 2, 10, 30)


def _case_with_entry_and_task(cases: CaseService) -> tuple[int, int, int]:
    case_id = cases.create(draft=CaseDraft(full_name="Amy Adams"), today=DAY)
    entry = cases.add_timeline(case_id, kind="note", occurred_at=AT, summary="Rang the school")
    task = cases.add_task(case_id, title="Visit the address", due_on=DAY)
    return case_id, entry, task


def test_a_correction_from_an_older_version_is_refused(engine_db: Database) -> None:
    cases = CaseService(engine_db)
    case_id, entry_id, task_id = _case_with_entry_and_task(cases)
    read = cases.get(case_id)
    entry, task = read.timeline[0], read.tasks[0]
    assert entry.id == entry_id and task.id == task_id
    # Someone saves both first, from the same reading.
    cases.edit_timeline(entry_id, occurred_at=AT, summary="Theirs", version=entry.version)
    cases.edit_task(task_id, title="Their title", due_on=DAY, version=task.version)
    with pytest.raises(ChangedElsewhere) as refused:
        cases.edit_timeline(entry_id, occurred_at=AT, summary="Mine", version=entry.version)
    assert refused.value.entity == "timeline entry"
    assert refused.value.entity_id == case_id
    assert "This timeline entry was changed elsewhere since you opened it" in refused.value.message
    # Who, and what was done to this entry (not the task saved after it), from the audit log.
    # (The server names its login, the vault the officer's name.)
    who = engine_db.actor if engine_db.kind == "vault" else engine_db.address.username  # type: ignore[attr-defined]
    assert f"opened it: by {who} at " in refused.value.message
    assert "(timeline edited)" in refused.value.message
    with pytest.raises(ChangedElsewhere) as refused_task:
        cases.edit_task(task_id, title="My title", due_on=DAY, version=task.version)
    assert refused_task.value.entity == "task"
    assert "(task edited)" in refused_task.value.message
    now = cases.get(case_id)
    assert now.timeline[0].summary == "Theirs"
    assert now.tasks[0].title == "Their title"
    # Saved from the version now read, the correction goes through and moves it on.
    cases.edit_timeline(entry_id, occurred_at=AT, summary="Mine", version=now.timeline[0].version)
    cases.edit_task(task_id, title="My title", due_on=DAY, version=now.tasks[0].version)
    after = cases.get(case_id)
    assert after.timeline[0].summary == "Mine"
    assert after.tasks[0].title == "My title"
    assert after.timeline[0].version == now.timeline[0].version + 1
    assert after.tasks[0].version > now.tasks[0].version


def test_two_officers_on_the_server_cannot_overwrite_each_other(postgres_url: str) -> None:
    first, second = connect(postgres_url, actor="First"), connect(postgres_url, actor="Second")
    try:
        case_id, entry_id, task_id = _case_with_entry_and_task(CaseService(first))
        read_first = CaseService(first).get(case_id)
        read_second = CaseService(second).get(case_id)
        CaseService(first).edit_task(
            task_id, title="First's", due_on=DAY, version=read_first.tasks[0].version
        )
        with pytest.raises(ChangedElsewhere, match="This task was changed elsewhere"):
            CaseService(second).edit_task(
                task_id, title="Second's", due_on=DAY, version=read_second.tasks[0].version
            )
        assert CaseService(second).get(case_id).tasks[0].title == "First's"
        CaseService(second).edit_timeline(
            entry_id, occurred_at=AT, summary="Second's", version=read_second.timeline[0].version
        )
        with pytest.raises(ChangedElsewhere, match="This timeline entry was changed elsewhere"):
            CaseService(first).edit_timeline(
                entry_id, occurred_at=AT, summary="First's", version=read_first.timeline[0].version
            )
        assert CaseService(first).get(case_id).timeline[0].summary == "Second's"
    finally:
        first.close()
        second.close()
