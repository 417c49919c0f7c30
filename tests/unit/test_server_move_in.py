"""Moving a vault onto the server: everything copied, counted, checksummed, or nothing."""

from __future__ import annotations

import hashlib
from datetime import date

import pytest
from sqlalchemy import func, select, text

from cme_desktop.models import Attachment, AuditEvent, Case, Task, TimelineEntry
from cme_desktop.services.cases import demo
from cme_desktop.services.cases.case_list import CaseList, CaseQuery
from cme_desktop.services.server import move_in as moving
from cme_desktop.services.server.database import ServerDatabase
from cme_desktop.services.vault.database import Database
from tests.support.postgres import connect

TODAY = date(2025, 3, 18)
PDF = b"%PDF-1.4 " + bytes(range(256)) * 40


@pytest.fixture
def filled(db: Database) -> Database:
    demo.fill(db, cases=60, today=TODAY)
    first = 0
    with db.write() as session:
        first = int(session.scalar(select(func.min(Case.id))) or 0)
        session.add(
            Attachment(
                case_id=first,
                filename="referral.pdf",
                media_type="application/pdf",
                content=PDF,
                content_sha256=hashlib.sha256(PDF).hexdigest(),
            )
        )
    return db


@pytest.fixture
def empty_server(postgres_empty_url: str) -> ServerDatabase:
    server = connect(postgres_empty_url)
    yield server  # type: ignore[misc]
    server.close()


def _count(db: Database, model: type) -> int:
    with db.read() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_a_vault_moves_in_whole_and_is_checked(
    filled: Database, empty_server: ServerDatabase
) -> None:
    told: list[str] = []
    result = moving.move_in(filled, empty_server, progress=lambda t, _n: told.append(t))
    assert {"cases", "timeline", "tasks", "attachments", "audit_log"} <= set(told)
    assert all(t.same for t in result.tables)
    by_name = {t.table: t for t in result.tables}
    for model, name in [
        (Case, "cases"),
        (TimelineEntry, "timeline"),
        (Task, "tasks"),
        (Attachment, "attachments"),
    ]:
        assert by_name[name].server_rows == _count(filled, model) == _count(empty_server, model)
        assert by_name[name].vault_rows > 0
    # The audit log came too, every row (the server chains them again as its own).
    assert _count(empty_server, AuditEvent) >= _count(filled, AuditEvent) > 0
    with empty_server.read() as session:
        content = session.scalar(select(Attachment.content))
    assert content == PDF
    # Search on the server finds what it finds in the vault.
    for search in ["a", "road", "school", "le1"]:
        query = CaseQuery(search=search, quick="all")
        assert CaseList(empty_server).matching_ids(query, today=TODAY) == CaseList(
            filled
        ).matching_ids(query, today=TODAY)


def test_new_records_on_the_server_are_numbered_after_the_copied_ones(
    filled: Database, empty_server: ServerDatabase
) -> None:
    moving.move_in(filled, empty_server)
    with empty_server.write() as session:
        newest = int(session.scalar(select(func.max(Case.id))) or 0)
        case = Case(full_name="New Arrival", notified_on=TODAY, opened_on=TODAY)
        session.add(case)
        session.flush()
        assert case.id == newest + 1


def test_a_target_holding_records_is_refused(
    filled: Database, empty_server: ServerDatabase
) -> None:
    moving.move_in(filled, empty_server)
    before = _count(empty_server, Case)
    with pytest.raises(moving.TargetNotEmpty, match="already holds records"):
        moving.move_in(filled, empty_server)
    assert _count(empty_server, Case) == before


def test_a_database_of_something_else_is_refused(
    filled: Database, empty_server: ServerDatabase
) -> None:
    with empty_server.engine.begin() as conn:
        conn.execute(text("CREATE TABLE payroll (id integer)"))
    with pytest.raises(moving.TargetNotEmpty, match="new, empty database"):
        moving.move_in(filled, empty_server)


def test_a_copy_that_differs_keeps_nothing(
    filled: Database, empty_server: ServerDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = moving._copy

    def losing_a_row(source: object, target: object, table: object) -> int:
        done = copy(source, target, table)  # type: ignore[arg-type]
        if getattr(table, "name", "") == "timeline":
            target.execute(text("DELETE FROM timeline WHERE id = (SELECT max(id) FROM timeline)"))  # type: ignore[attr-defined]
        return done

    monkeypatch.setattr(moving, "_copy", losing_a_row)
    with pytest.raises(moving.CopyMismatch, match="timeline"):
        moving.move_in(filled, empty_server)
    assert _count(empty_server, Case) == 0
    assert _count(empty_server, TimelineEntry) == 0
