"""SQL written once for each engine (services.server.dialect): what each is given."""

from __future__ import annotations

from datetime import date

from sqlalchemy import String, literal, select
from sqlalchemy.dialects import postgresql, sqlite

from cme_desktop.models import Case
from cme_desktop.services.server.dialect import greatest, iso_date, no_index
from cme_desktop.services.vault.database import Database


def _sql(statement: object, dialect: object) -> str:
    return str(statement.compile(dialect=dialect))  # type: ignore[attr-defined]


def test_no_index_is_a_plus_on_sqlite_only() -> None:
    query = select(Case.id).where(no_index(Case.next_task_due) < date(2025, 1, 1))
    assert "+cases.next_task_due <" in _sql(query, sqlite.dialect())
    assert "+" not in _sql(query, postgresql.dialect())
    assert "FROM cases" in _sql(select(no_index(Case.status)), sqlite.dialect())


def test_the_same_answers_on_both_engines(engine_db: Database) -> None:
    with engine_db.read() as session:
        text_date = session.scalar(select(iso_date(literal(date(2025, 3, 8)))))
        larger = session.scalar(select(greatest(literal("2025-01-02"), literal("2024-12-31"))))
        with_null = session.scalar(select(greatest(literal("2025-01-02"), literal(None, String))))
    assert text_date == "2025-03-08"
    assert larger == "2025-01-02"
    assert with_null is None  # as SQLite's max(a, NULL)
