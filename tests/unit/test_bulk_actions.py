"""Actions on many selected cases: one transaction each, audited, the list protected."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from cme_desktop.models import AuditEvent, Case, Task, TimelineEntry
from cme_desktop.services.cases.bulk import MAX_CASES, BulkCases, list_csv
from cme_desktop.services.cases.closing import ClosureDetails
from cme_desktop.services.cases.detail import CaseDraft
from cme_desktop.services.cases.service import CaseService
from cme_desktop.services.errors import InvalidInput, NotFound
from cme_desktop.services.protection.outputs import UNPROTECTED_ACTION
from cme_desktop.services.vault.database import Database
from tests.support.credentials import PASSPHRASE
from tests.support.vault_copies import Template, copy_vault, make_template

TODAY = date(2026, 3, 18)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    return make_template(tmp_path_factory.mktemp("template"))


@pytest.fixture
def vault(template: Template, tmp_path: Path) -> Iterator[tuple[Database, list[int]]]:
    db = copy_vault(template, tmp_path / "v").unlock(PASSPHRASE)
    service = CaseService(db)
    ids = [
        service.create(
            draft=CaseDraft(
                full_name=name,
                date_of_birth=date(2012, 1, 1 + n),
                last_known_address=f"{n} Test Row\nTesttown\nTT1 1TT",
            ),
            today=TODAY - timedelta(days=30),
        )
        for n, name in enumerate(["Ada Ash", "=HYPERLINK(1) Bo", "Cy Cole"], start=1)
    ]
    yield db, ids
    db.close()


def _actions(db: Database) -> list[str]:
    with db.read() as session:
        return list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_a_task_on_every_selected_case(vault: tuple[Database, list[int]]) -> None:
    db, ids = vault
    before = len(_actions(db))
    result = BulkCases(db).add_task(ids[:2], title=" Ring the school ", due_on=TODAY)
    assert result.count == 2
    with db.read() as session:
        tasks = session.scalars(select(Task).where(Task.case_id.in_(ids))).all()
        assert sorted(t.case_id for t in tasks) == ids[:2]
        assert {t.title for t in tasks} == {"Ring the school"}
        due = {c.id: c.next_task_due for c in session.scalars(select(Case))}
    assert due[ids[0]] == due[ids[1]] == TODAY and due[ids[2]] is None
    assert _actions(db)[before:] == ["task_added", "task_added", "bulk_task_added"]


def test_closing_many_is_one_transaction(vault: tuple[Database, list[int]]) -> None:
    db, ids = vault
    CaseService(db).close(
        ids[1],
        outcome="on_roll",
        on=TODAY,
        details=ClosureDetails(school="Marchbank Primary", school_start=TODAY),
    )
    before = len(_actions(db))
    with pytest.raises(InvalidInput) as caught:
        BulkCases(db).close(ids, outcome="ehe", on=TODAY)
    assert "already closed" in caught.value.message
    with db.read() as session:
        statuses = {c.id: c.status for c in session.scalars(select(Case))}
    assert statuses[ids[0]] == statuses[ids[2]] == "open", "none closed when one cannot"
    assert len(_actions(db)) == before

    BulkCases(db).close([ids[0], ids[2]], outcome="ehe", on=TODAY, note="Letters received")
    with db.read() as session:
        closed = {c.id: c for c in session.scalars(select(Case))}
        entries = session.scalars(
            select(TimelineEntry.summary).where(TimelineEntry.case_id == ids[2])
        ).all()
    assert closed[ids[0]].status == closed[ids[2]].status == "closed"
    assert closed[ids[2]].closing_outcome == "ehe" and closed[ids[2]].closed_on == TODAY
    assert any("Case closed on 18/03/2026" in e for e in entries)
    assert _actions(db)[before:] == ["case_closed", "case_closed", "bulk_closed"]


def test_nothing_selected_or_too_many_or_gone(vault: tuple[Database, list[int]]) -> None:
    db, ids = vault
    bulk = BulkCases(db)
    with pytest.raises(InvalidInput):
        bulk.add_task([], title="x", due_on=TODAY)
    with pytest.raises(InvalidInput):
        bulk.add_task(list(range(1, MAX_CASES + 2)), title="x", due_on=TODAY)
    with pytest.raises(InvalidInput):
        bulk.close(ids, outcome="not an outcome")
    with pytest.raises(NotFound):
        bulk.add_task([ids[0], 99_999], title="x", due_on=TODAY)
    with db.read() as session:
        assert session.scalars(select(Task)).all() == []
    with pytest.raises(InvalidInput):
        bulk.close(ids, outcome="ehe", on=TODAY - timedelta(days=60))


def test_the_list_leaves_protected(vault: tuple[Database, list[int]], tmp_path: Path) -> None:
    db, ids = vault
    target = tmp_path / "cases.xlsx"
    saved = BulkCases(db).export_list(ids, target, password="correct horse battery", today=TODAY)
    assert saved.protected and target.exists()
    data = target.read_bytes()
    assert not zipfile.is_zipfile(io.BytesIO(data)), "an encrypted workbook is no plain zip"
    assert b"Ada Ash" not in data
    assert _actions(db)[-1] == "list_exported"
    with db.read() as session:
        detail = session.scalars(
            select(AuditEvent.detail).order_by(AuditEvent.id.desc()).limit(1)
        ).one()
    assert detail == "output=xlsx;cases=3;protected=yes;selected=yes"
    assert "Ada" not in detail


def test_a_plain_csv_is_audited_and_defused(
    vault: tuple[Database, list[int]], tmp_path: Path
) -> None:
    db, ids = vault
    target = tmp_path / "cases.csv"
    with pytest.raises(InvalidInput):
        BulkCases(db).export_list(ids, target, password="correct horse battery")
    assert not target.exists()
    BulkCases(db).export_list(ids, target, password=None, today=TODAY)
    rows = list(csv.reader(io.StringIO(target.read_text("utf-8-sig"))))
    assert rows[0][:2] == ["Reference", "Name"]
    assert [r[1] for r in rows[1:]] == ["Ada Ash", "'=HYPERLINK(1) Bo", "Cy Cole"]
    assert rows[1][2] == "2012-01-02"
    assert rows[1][3] == "1 Test Row, Testtown, TT1 1TT"
    assert _actions(db)[-2:] == [UNPROTECTED_ACTION, "list_exported"]


def test_list_csv_defuses_formulas() -> None:
    text = list_csv([["CME-1", "+44 Ann", date(2012, 1, 1), "", "", "1. x", "open", ""]])
    assert "'+44 Ann" in text and "2012-01-01" in text
