"""The four roles on a real PostgreSQL server: what each may do, refused by the database.

Every probe runs as a login of its own (SCRAM over the loopback), member of one group
role, on a fresh database at the newest schema (tests/support/postgres.py).
"""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from cme_desktop.models import Case, TimelineEntry
from cme_desktop.services.cases.detail import CaseDraft
from cme_desktop.services.cases.service import CaseService
from cme_desktop.services.errors import CmeError
from cme_desktop.services.server import audit_server, connection, roles, schema
from cme_desktop.services.server.database import ServerDatabase
from tests.support.postgres import PostgresServer
from tests.support.server_logins import PERMISSION_DENIED, Team, refused

DAY = date(2026, 11, 2)


def _new_case(engine: Engine, name: str = "Ada Example", *, owner: str = "") -> int:
    with Session(engine) as session, session.begin():
        case = Case(full_name=name, notified_on=DAY, opened_on=DAY, owner=owner)
        session.add(case)
        session.flush()
        return case.id


def _scalar(engine: Engine, sql: str, **params: object) -> object:
    with engine.begin() as conn:
        return conn.execute(text(sql), params).scalar()


def _run(engine: Engine, sql: str, **params: object) -> int:
    """Run one statement in its own transaction; the number of rows it touched."""
    with engine.begin() as conn:
        return conn.execute(text(sql), params).rowcount


def _denied(engine: Engine, sql: str, **params: object) -> str:
    with pytest.raises(DBAPIError) as caught:
        _run(engine, sql, **params)
    return refused(caught)


def _closed_case(team: Team) -> int:
    case_id = _new_case(team.as_("officer"), "Cleo Closed")
    _run(team.as_("officer"), "UPDATE cases SET status = 'closed' WHERE id = :i", i=case_id)
    return case_id


def _audit_rows(team: Team, action: str) -> list[tuple[str, int | None, str]]:
    with team.superuser.begin() as conn:
        rows = conn.execute(
            text("SELECT actor, entity_id, detail FROM audit_log WHERE action = :a ORDER BY id"),
            {"a": action},
        )
        return [(r[0], r[1], r[2]) for r in rows]


# --- officers ------------------------------------------------------------------------


def test_an_officer_reads_every_case_and_keeps_the_ones_they_create(team: Team) -> None:
    theirs = _new_case(team.as_("colleague"), "Bea Colleague")
    mine = _new_case(team.as_("officer"))
    officer = team.as_("officer")
    assert _scalar(officer, "SELECT count(*) FROM cases") == 2
    assert (
        _scalar(officer, "SELECT owner FROM cases WHERE id = :i", i=mine) == team.logins["officer"]
    )
    # A colleague's case is worked on too (cover, visits): edited, closed, reopened.
    assert _run(officer, "UPDATE cases SET school = 'Oak' WHERE id = :i", i=theirs) == 1
    assert _run(officer, "UPDATE cases SET status = 'closed' WHERE id = :i", i=theirs) == 1
    assert _run(officer, "UPDATE cases SET status = 'open' WHERE id = :i", i=theirs) == 1


def test_an_officer_erasing_a_case_is_audited_by_the_server(team: Team) -> None:
    case_id = _new_case(team.as_("officer"))
    assert _run(team.as_("officer"), "DELETE FROM cases WHERE id = :i", i=case_id) == 1
    assert _audit_rows(team, "case_erased") == [(team.logins["officer"], case_id, "by=server")]


# --- administrators --------------------------------------------------------------------


def test_an_administrator_enters_cases_but_cannot_close_one(team: Team) -> None:
    admin = team.as_("administrator")
    case_id = _new_case(admin, "Ida Imported")
    # Not allocated until an officer takes it.
    assert _scalar(admin, "SELECT owner FROM cases WHERE id = :i", i=case_id) == ""
    assert _run(admin, "UPDATE cases SET school = 'Elm' WHERE id = :i", i=case_id) == 1
    code = _denied(admin, "UPDATE cases SET status = 'closed' WHERE id = :i", i=case_id)
    assert code == PERMISSION_DENIED  # new row violates row-level security policy
    assert _scalar(admin, "SELECT status FROM cases WHERE id = :i", i=case_id) == "open"


def test_an_administrator_cannot_touch_a_closed_case_nor_erase_one(team: Team) -> None:
    closed = _closed_case(team)
    open_case = _new_case(team.as_("officer"), "Otto Open")
    admin = team.as_("administrator")
    # Still read (imports are matched against the whole record) ...
    assert _scalar(admin, "SELECT status FROM cases WHERE id = :i", i=closed) == "closed"
    # ... but hidden from any change by row-level security: nothing is updated.
    assert _run(admin, "UPDATE cases SET status = 'open' WHERE id = :i", i=closed) == 0
    assert _scalar(admin, "SELECT status FROM cases WHERE id = :i", i=closed) == "closed"
    assert _denied(admin, "DELETE FROM cases WHERE id = :i", i=open_case) == PERMISSION_DENIED
    with pytest.raises(DBAPIError) as caught, Session(admin) as session, session.begin():
        session.add(
            TimelineEntry(case_id=closed, kind="note", occurred_at=datetime(2026, 11, 3, 9))
        )
    assert refused(caught) == PERMISSION_DENIED
    with Session(admin) as session, session.begin():
        session.add(
            TimelineEntry(case_id=open_case, kind="note", occurred_at=datetime(2026, 11, 3, 9))
        )
    assert _scalar(admin, "SELECT count(*) FROM timeline WHERE case_id = :i", i=open_case) == 1


def test_an_administrator_cannot_give_a_case_to_someone(team: Team) -> None:
    case_id = _new_case(team.as_("administrator"))
    code = _denied(
        team.as_("administrator"),
        "UPDATE cases SET owner = :o WHERE id = :i",
        o=team.logins["officer"],
        i=case_id,
    )
    assert code == PERMISSION_DENIED
    assert _audit_rows(team, "case_reassigned") == []


# --- managers and auditors -------------------------------------------------------------


def test_a_manager_reads_and_changes_nothing(team: Team) -> None:
    case_id = _new_case(team.as_("officer"))
    manager = team.as_("manager")
    assert _scalar(manager, "SELECT count(*) FROM cases") == 1
    assert _scalar(manager, "SELECT count(*) FROM timeline") == 0
    for sql in (
        "UPDATE cases SET school = 'Ash' WHERE id = :i",
        "DELETE FROM cases WHERE id = :i",
        "INSERT INTO timeline (case_id, kind, occurred_at, summary, outcome, who_seen, "
        "next_step, author, created_at) VALUES (:i, 'note', now(), '', '', '', '', '', now())",
    ):
        assert _denied(manager, sql, i=case_id) == PERMISSION_DENIED, sql
    # A report of a closed quarter keeps its figures (counts, no names), whoever runs it.
    kept = _run(
        manager,
        "INSERT INTO stored_figures (report, period_start, period_end, format, figures, "
        "computed_at) VALUES ('quarterly', '2026-07-01', '2026-09-30', 1, '{}', now())",
    )
    assert kept == 1


def test_an_auditor_reads_the_log_and_not_one_case(team: Team) -> None:
    _new_case(team.as_("officer"))
    auditor = team.as_("auditor")
    for table in ("cases", "timeline", "carers", "settings"):
        assert _denied(auditor, f"SELECT count(*) FROM {table}") == PERMISSION_DENIED, table
    with auditor.begin() as conn:
        conn.execute(text("INSERT INTO audit_log (action) VALUES ('audit_read')"))
    assert _scalar(auditor, "SELECT count(*) FROM audit_log WHERE action = 'audit_read'") == 1


def test_the_team_reads_only_the_log_rows_about_a_record(team: Team) -> None:
    case_id = _new_case(team.as_("officer"))
    with team.as_("officer").begin() as conn:
        conn.execute(
            text(
                "INSERT INTO audit_log (action, entity, entity_id) VALUES ('case_read', 'case', :i)"
            ),
            {"i": case_id},
        )
        conn.execute(text("INSERT INTO audit_log (action, entity) VALUES ('unlock', 'vault')"))
    seen = {
        person: _scalar(team.as_(person), "SELECT count(*) FROM audit_log")
        for person in ("officer", "manager", "auditor")
    }
    assert seen == {"officer": 1, "manager": 1, "auditor": 2}
    assert _denied(team.as_("officer"), "SELECT * FROM audit_chain_head") == PERMISSION_DENIED


# --- the owner -------------------------------------------------------------------------


def test_reassigning_a_case_is_audited_by_the_server(team: Team) -> None:
    case_id = _new_case(team.as_("officer"))
    officer, colleague = team.logins["officer"], team.logins["colleague"]
    _run(team.as_("officer"), "UPDATE cases SET owner = :o WHERE id = :i", o=colleague, i=case_id)
    # Saving the case without changing its owner writes no such row.
    _run(
        team.as_("colleague"),
        "UPDATE cases SET owner = owner, school = 'Yew' WHERE id = :i",
        i=case_id,
    )
    _run(team.as_("colleague"), "UPDATE cases SET owner = '' WHERE id = :i", i=case_id)
    assert _audit_rows(team, "case_reassigned") == [
        (officer, case_id, f"from={officer} to={colleague}"),
        (colleague, case_id, f"from={colleague} to=-"),
    ]


def test_a_case_goes_only_to_an_officer(team: Team) -> None:
    case_id = _new_case(team.as_("officer"))
    officer = team.as_("officer")
    superuser = team.superuser.url.username
    for login in (team.logins["manager"], team.logins["administrator"], superuser, "nobody_at_all"):
        with pytest.raises(DBAPIError) as caught:
            _run(officer, "UPDATE cases SET owner = :o WHERE id = :i", o=login, i=case_id)
        assert "login of a CME officer" in str(caught.value), login
    assert (
        _scalar(officer, "SELECT owner FROM cases WHERE id = :i", i=case_id)
        == team.logins["officer"]
    )


def test_a_case_the_dba_copies_in_is_not_allocated(team: Team) -> None:
    # A superuser is a member of every role as PostgreSQL counts; moving a vault in must
    # still leave its cases to be taken by officers.
    case_id = _new_case(team.superuser)
    assert _scalar(team.as_("officer"), "SELECT owner FROM cases WHERE id = :i", i=case_id) == ""


# --- through the application's services -------------------------------------------------


def _connect(team: Team, person: str) -> ServerDatabase:
    address = connection.parse(team.url)
    login = team.logins[person]
    address = connection.parse(
        f"postgresql://{login}@{address.host}:{address.port}/{address.database}"
    )
    return ServerDatabase.connect(address, team._password, actor=person)


def test_the_services_run_as_each_login_within_its_role(team: Team) -> None:
    officer_db = _connect(team, "officer")
    admin_db = _connect(team, "administrator")
    try:
        case_id = CaseService(admin_db).create(draft=CaseDraft(full_name="Sam Service"), today=DAY)
        # The officer reads it through the service (a read the log records) and files a
        # note; once the officer closed it, the administrator is refused a note, with the
        # message an officer reads.
        assert CaseService(officer_db).get(case_id).full_name == "Sam Service"
        CaseService(officer_db).add_timeline(
            case_id, kind="note", occurred_at=datetime(2026, 11, 3, 9), summary="Called school"
        )
        _run(team.as_("officer"), "UPDATE cases SET status = 'closed' WHERE id = :i", i=case_id)
        with pytest.raises(CmeError) as caught:
            CaseService(admin_db).add_timeline(
                case_id, kind="note", occurred_at=datetime(2026, 11, 4, 9), summary="Late post"
            )
        assert "not allowed" in caught.value.message
    finally:
        officer_db.close()
        admin_db.close()
    with team.superuser.begin() as conn:
        actors = {str(r[0]) for r in conn.execute(text("SELECT actor FROM audit_log WHERE id > 0"))}
    assert actors == {team.logins["officer"], team.logins["administrator"]}


# --- set up as docs/server.md says ------------------------------------------------------


def test_the_documented_setup_works_without_a_superuser(postgres_server: PostgresServer) -> None:
    """An owner login with no special right migrates; an officer then works."""
    name = postgres_server.fresh_name()
    owner, officer = f"{name}_owner", f"{name}_officer"
    admin = postgres_server.admin_engine()
    try:
        with admin.connect() as conn:
            for role in roles.GROUP_ROLES:  # as the DBA does first (cluster-wide)
                conn.execute(text(roles.create_role_sql(role)))
            conn.execute(text(f"CREATE ROLE {owner} LOGIN PASSWORD 'owner-pw'"))
            conn.execute(
                text(f"CREATE ROLE {officer} LOGIN PASSWORD 'officer-pw' IN ROLE cme_officer")
            )
            conn.execute(text(f'CREATE DATABASE "{name}" OWNER {owner} TEMPLATE template0'))
            conn.execute(text(f'REVOKE CONNECT, TEMPORARY ON DATABASE "{name}" FROM PUBLIC'))
            conn.execute(
                text(
                    f'GRANT CONNECT ON DATABASE "{name}" TO {owner}, {", ".join(roles.GROUP_ROLES)}'
                )
            )
        base = make_url(postgres_server.database_url(name)).set(drivername="postgresql+pg8000")
        as_owner = create_engine(base.set(username=owner, password="owner-pw"), poolclass=NullPool)
        as_officer = create_engine(
            base.set(username=officer, password="officer-pw"), poolclass=NullPool
        )
        try:
            schema.upgrade(as_owner)
            case_id = _new_case(as_officer)
            assert (
                _scalar(as_officer, "SELECT owner FROM cases WHERE id = :i", i=case_id) == officer
            )
            with as_owner.begin() as conn:
                assert audit_server.verify(conn).ok
        finally:
            as_owner.dispose()
            as_officer.dispose()
    finally:
        postgres_server.drop_database(name)
        with admin.connect() as conn:
            conn.execute(text(f"DROP ROLE IF EXISTS {officer}"))
            conn.execute(text(f"DROP ROLE IF EXISTS {owner}"))
        admin.dispose()
