"""How a database is asked: the statements some work runs, and their query plans.

``statements(db, work)`` gives the ``(statement, parameters)`` of every statement
``work()`` runs (``selects_only``: the SELECTs); ``plan(db, statement, params)`` the
plan of one, as one string (SQLite's EXPLAIN QUERY PLAN details, PostgreSQL's EXPLAIN
lines, joined by " | "; on PostgreSQL with sequential and bitmap scans barred, so that
a few rows still show which index, in which order, the query can use); ``plans(db,
work)`` both, for each SELECT.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import event

from cme_desktop.services.vault.database import Database


def statements(
    db: Database, work: Callable[[], object], *, selects_only: bool = False
) -> list[tuple[str, Any]]:
    """The statements ``work()`` runs on ``db``, with their parameters, in order."""
    seen: list[tuple[str, Any]] = []

    def keep(_conn: Any, _cursor: Any, statement: str, params: Any, *_rest: Any) -> None:
        if not selects_only or statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, params))

    event.listen(db.engine, "before_cursor_execute", keep)
    try:
        work()
    finally:
        event.remove(db.engine, "before_cursor_execute", keep)
    return seen


def plan(db: Database, statement: str, params: Any) -> str:
    """The query plan of ``statement`` on ``db``, one string."""
    with db.engine.connect() as conn:
        if db.engine.dialect.name == "postgresql":
            conn.exec_driver_sql("SET enable_seqscan = off")
            conn.exec_driver_sql("SET enable_bitmapscan = off")
            rows = conn.exec_driver_sql("EXPLAIN " + statement, params).all()
            return " | ".join(str(r[0]).strip() for r in rows)
        raw = conn.connection.driver_connection
        assert raw is not None
        found = raw.execute("EXPLAIN QUERY PLAN " + statement, params).fetchall()
        return " | ".join(str(r[-1]) for r in found)


def plans(db: Database, work: Callable[[], object]) -> list[str]:
    """The query plan of every SELECT that ``work()`` runs, one string each."""
    return [plan(db, s, p) for s, p in statements(db, work, selects_only=True)]
