"""The register's tables on a real PostgreSQL server (migration 0013): who may write them.

Like a case's other details: officers write them, administrators write the rows of open
cases only, managers read them and change nothing.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from cme_desktop.models import Case
from tests.support.server_logins import PERMISSION_DENIED, Team, refused

DAY = date(2026, 11, 2)
ENTRY = (
    "INSERT INTO register_entries (case_id, status, registered_on, left_reason, left_note, "
    "lives_in_area, school_status, arrangement, school, note, created_at, updated_at) "
    "VALUES (:i, 'on', '2026-11-02', '', '', 'yes', 'not_registered', '', '', '', now(), now())"
)
EVENT = (
    'INSERT INTO register_events (case_id, kind, "on", detail, recorded_by, recorded_at) '
    "VALUES (:i, 'parent_notification', '2026-11-02', '', '', now())"
)
PARENT = (
    "INSERT INTO register_parents (case_id, name, home_address, provides_education) "
    "VALUES (:i, 'Pat Parent', '', true)"
)
PROVIDER = (
    "INSERT INTO register_providers (case_id, name, address, kind, mode) "
    "VALUES (:i, 'Tutor Ltd', '', 'tutor', 'online')"
)


def _new_case(engine: Engine, *, status: str = "open") -> int:
    with Session(engine) as session, session.begin():
        case = Case(
            full_name="Rae Register", notified_on=DAY, opened_on=DAY, cohort="cnis", status=status
        )
        session.add(case)
        session.flush()
        return case.id


def _run(engine: Engine, sql: str, **params: object) -> int:
    with engine.begin() as conn:
        return conn.execute(text(sql), params).rowcount


def _denied(engine: Engine, sql: str, **params: object) -> str:
    with pytest.raises(DBAPIError) as caught:
        _run(engine, sql, **params)
    return refused(caught)


def test_an_officer_writes_the_register(team: Team) -> None:
    officer = team.as_("officer")
    case_id = _new_case(officer)
    for sql in (ENTRY, EVENT, PARENT, PROVIDER):
        assert _run(officer, sql, i=case_id) == 1, sql
    assert _run(officer, "UPDATE register_entries SET status = 'off' WHERE case_id = :i", i=case_id)
    assert _run(officer, "DELETE FROM register_events WHERE case_id = :i", i=case_id) == 1


def test_an_administrator_writes_the_register_of_open_rows_only(team: Team) -> None:
    admin = team.as_("administrator")
    open_case = _new_case(team.as_("officer"))
    for sql in (ENTRY, EVENT, PARENT, PROVIDER):
        assert _run(admin, sql, i=open_case) == 1, sql
    closed = _new_case(team.as_("officer"), status="closed")
    for sql in (ENTRY, EVENT, PARENT, PROVIDER):
        assert _denied(admin, sql, i=closed) == PERMISSION_DENIED, sql


def test_a_manager_reads_the_register_and_changes_nothing(team: Team) -> None:
    case_id = _new_case(team.as_("officer"))
    _run(team.as_("officer"), ENTRY, i=case_id)
    manager = team.as_("manager")
    with manager.begin() as conn:
        assert conn.execute(text("SELECT count(*) FROM register_entries")).scalar() == 1
    for sql in (EVENT, PARENT, PROVIDER):
        assert _denied(manager, sql, i=case_id) == PERMISSION_DENIED, sql
    sql = "UPDATE register_entries SET status = 'off' WHERE case_id = :i"
    assert _denied(manager, sql, i=case_id) == PERMISSION_DENIED
