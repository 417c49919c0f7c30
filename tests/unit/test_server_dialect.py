"""SQL written once for each engine (services.server.dialect): what each is given."""

from __future__ import annotations

from datetime import date

from sqlalchemy import String, literal, select
from sqlalchemy.dialects import postgresql, sqlite

from cme_desktop.models import Case, Task
from cme_desktop.services.server.dialect import greatest, indexed_join, iso_date, no_index
from cme_desktop.services.vault.database import Database


def _sql(statement: object, dialect: object) -> str:
    return str(statement.compile(dialect=dialect))  # type: ignore[attr-defined]


def test_no_index_is_a_plus_on_sqlite_only() -> None:
    query = select(Case.id).where(no_index(Case.next_task_due) < date(2025, 1, 1))
    assert "+cases.next_task_due <" in _sql(query, sqlite.dialect())
    assert "+" not in _sql(query, postgresql.dialect())
    assert "FROM cases" in _sql(select(no_index(Case.status)), sqlite.dialect())


def _by(index: str) -> object:
    joined = indexed_join(Task.__table__, Case.__table__, Case.id == Task.case_id, index)
    return select(Task.id, Case.full_name).select_from(joined).where(Case.status == "open")


def test_an_indexed_join_names_its_index_on_sqlite_only() -> None:
    on_sqlite = " ".join(_sql(_by("ix_cases_by_id"), sqlite.dialect()).split())
    # One FROM: the columns of ``cases`` are those of the join.
    assert on_sqlite == (
        "SELECT tasks.id, cases.full_name FROM tasks JOIN cases INDEXED BY ix_cases_by_id "
        "ON cases.id = tasks.case_id WHERE cases.status = ?"
    )
    on_server = " ".join(_sql(_by("ix_cases_by_id"), postgresql.dialect()).split())
    assert on_server.startswith(
        "SELECT tasks.id, cases.full_name FROM tasks JOIN cases ON cases.id = tasks.case_id "
        "WHERE cases.status = "
    )


def test_an_indexed_join_is_cached_by_its_index() -> None:
    """Two joins alike but for the index are two statements, never one cached for both."""
    first, second = _by("ix_cases_by_id"), _by("ix_cases_id_status")
    key = first._generate_cache_key()  # type: ignore[attr-defined]
    assert key != second._generate_cache_key()  # type: ignore[attr-defined]
    assert key == _by("ix_cases_by_id")._generate_cache_key()  # type: ignore[attr-defined]


def test_an_indexed_join_reads_through_its_index(engine_db: Database) -> None:
    with engine_db.read() as session:
        assert session.execute(_by("ix_cases_by_id")).all() == []  # type: ignore[call-overload]


def test_the_same_answers_on_both_engines(engine_db: Database) -> None:
    with engine_db.read() as session:
        text_date = session.scalar(select(iso_date(literal(date(2025, 3, 8)))))
        larger = session.scalar(select(greatest(literal("2025-01-02"), literal("2024-12-31"))))
        with_null = session.scalar(select(greatest(literal("2025-01-02"), literal(None, String))))
    assert text_date == "2025-03-08"
    assert larger == "2025-01-02"
    assert with_null is None  # as SQLite's max(a, NULL)
