"""Synthetic cases written to a PostgreSQL server (by COPY) are the very rows the vault gets
(by the ORM's bulk insert), table by table, column by column."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from cme_desktop.models import (
    Address,
    Carer,
    Case,
    CaseGroup,
    Escalation,
    Family,
    Referral,
    StepProgress,
    Task,
    TimelineEntry,
)
from cme_desktop.services.cases import demo
from cme_desktop.services.server.database import ServerDatabase
from cme_desktop.services.vault.database import Database

TODAY = date(2025, 3, 18)
TABLES = (Family, Case, CaseGroup, Address, Carer, StepProgress, TimelineEntry, Task)
TABLES += (Escalation, Referral)


def _rows(db: Database, model: Any) -> list[dict[str, Any]]:
    """The table's rows, but for the columns stamped with the time they were written."""
    table = model.__table__
    now = {c.name for c in table.columns if getattr(c.default, "is_callable", False)}
    with db.read() as session:
        found = session.execute(select(table).order_by(*table.primary_key.columns)).mappings()
        return [{k: v for k, v in r.items() if k not in now} for r in found]


def test_a_fill_writes_the_same_rows_on_both_engines(
    db: Database, server_db: ServerDatabase
) -> None:
    made = {
        engine: demo.fill(database, cases=40, today=TODAY, batch=15)
        for engine, database in (("vault", db), ("server", server_db))
    }
    assert made["vault"] == made["server"]
    for model in TABLES:
        vault, server = _rows(db, model), _rows(server_db, model)
        assert vault, model.__tablename__
        assert server == vault, model.__tablename__


@pytest.mark.parametrize("value", ['He said "no", then left', "", "Line one\nLine two"])
def test_text_reaches_the_server_as_written(server_db: ServerDatabase, value: str) -> None:
    with server_db.write() as session:
        demo._insert_rows(session, Family, [{"id": 7}])
        demo._insert_rows(
            session,
            Case,
            [
                {
                    "id": 7,
                    "full_name": value or "Amy Adams",
                    "surname_key": "Adams",
                    "aka": value,
                    "last_known_address": value,
                    "family_id": 7,
                    "date_of_birth": None,
                    "notified_on": TODAY,
                    "opened_on": TODAY,
                }
            ],
        )
    with server_db.read() as session:
        case = session.get(Case, 7)
        assert case is not None
        assert (case.aka, case.last_known_address, case.date_of_birth) == (value, value, None)
        assert case.status == "open" and case.version == 1  # the model's own defaults
