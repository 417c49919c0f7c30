"""Two officers on one server editing the same records: nothing is overwritten unseen."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import select

from cme_desktop.models import Carer, Task, TimelineEntry
from cme_desktop.services.cases.detail import CaseDraft
from cme_desktop.services.cases.service import CaseService
from cme_desktop.services.errors import ChangedElsewhere, InvalidInput
from cme_desktop.services.server.database import ServerDatabase
from tests.support.postgres import connect

TODAY = date(2025, 3, 18)


@pytest.fixture
def officers(postgres_url: str) -> Iterator[tuple[ServerDatabase, ServerDatabase]]:
    """Two officers' sessions on one server database, each with its own connections."""
    first, second = (
        connect(postgres_url, actor="Priya Shah"),
        connect(postgres_url, actor="Tom Reid"),
    )
    try:
        yield first, second
    finally:
        first.close()
        second.close()


def test_a_case_saved_from_an_older_reading_is_refused_with_who_when_and_what(
    officers: tuple[ServerDatabase, ServerDatabase],
) -> None:
    priya, tom = CaseService(officers[0]), CaseService(officers[1])
    case_id = priya.create(draft=CaseDraft(full_name="Lena Novak", school="Castle"), today=TODAY)
    mine, theirs = priya.get(case_id), tom.get(case_id)
    tom.update(
        case_id, draft=replace(theirs.draft, school="Beacon Academy"), version=theirs.version
    )
    with pytest.raises(ChangedElsewhere) as refused:
        priya.update(case_id, draft=replace(mine.draft, aka="Lenny"), version=mine.version)
    error = refused.value
    assert isinstance(error, InvalidInput)  # shown as any refused save is, on both engines
    # The server names the database login that saved (the audit log's actor there).
    assert error.changed_by == officers[1].address.username
    assert error.fields == ("school",)
    assert error.changed_at  # the officer's local time of Tom's save
    assert "changed elsewhere" in error.message and error.changed_by in error.message
    # Nothing of Priya's was written over Tom's; keeping hers is a save from the new version.
    now = priya.get(case_id)
    assert (now.draft.school, now.draft.aka) == ("Beacon Academy", "")
    kept = priya.update(case_id, draft=replace(now.draft, aka="Lenny"), version=now.version)
    assert (kept.draft.school, kept.draft.aka) == ("Beacon Academy", "Lenny")


@pytest.mark.parametrize(
    ("model", "values", "change"),
    [
        (Task, {"title": "Ring the school", "due_on": TODAY}, {"title": "Ring the school again"}),
        (
            TimelineEntry,
            {"kind": "note", "summary": "Spoke to mum", "occurred_at": None},
            {"summary": "Spoke to dad"},
        ),
        (Carer, {"name": "Ana Novak"}, {"telephone": "0116 000 0000"}),
    ],
)
def test_two_sessions_saving_one_row_the_second_is_refused(
    officers: tuple[ServerDatabase, ServerDatabase],
    model: type,
    values: dict[str, object],
    change: dict[str, object],
) -> None:
    from datetime import datetime

    first, second = officers
    case_id = CaseService(first).create(draft=CaseDraft(full_name="Lena Novak"), today=TODAY)
    with first.write() as session:
        filled = {k: (datetime(2025, 3, 18, 9) if v is None else v) for k, v in values.items()}
        row = model(case_id=case_id, **filled)
        session.add(row)
        session.flush()
        row_id = row.id
    with first.read() as session:
        stale = session.get(model, row_id)  # read by the first officer
    with second.write() as session:
        fresh = session.get(model, row_id)
        for name, value in change.items():
            setattr(fresh, name, value)
    with (
        pytest.raises(ChangedElsewhere, match="changed elsewhere") as refused,
        first.write() as session,
    ):
        session.add(stale)
        for name, value in change.items():
            setattr(stale, name, f"{value} (mine)")
    assert refused.value.entity_id == case_id
    with second.read() as session:
        saved = session.get(model, row_id)
        assert all(getattr(saved, k) == v for k, v in change.items())
        assert saved.version == 2


def test_simultaneous_saves_lose_no_update(
    officers: tuple[ServerDatabase, ServerDatabase],
) -> None:
    """Each officer adds ten tasks at once on the same case: all twenty are kept."""
    case_id = CaseService(officers[0]).create(draft=CaseDraft(full_name="Lena Novak"), today=TODAY)
    errors: list[BaseException] = []

    def officer(db: ServerDatabase, who: str) -> None:
        try:
            for n in range(10):
                CaseService(db).add_task(case_id, title=f"{who} {n}", due_on=TODAY)
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            errors.append(exc)

    threads = [
        threading.Thread(target=officer, args=(db, who))
        for db, who in zip(officers, ("Priya", "Tom"), strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    with officers[0].read() as session:
        titles = session.scalars(select(Task.title).where(Task.case_id == case_id)).all()
    assert len(titles) == 20
