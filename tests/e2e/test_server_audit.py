"""The audit log on a real PostgreSQL server: chained by the server, append-only, verified.

Rows are written by logins of the four roles (tests/support/server_logins.py); the
tests' superuser plays the DBA, and the intruder who switches the triggers off.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from cme_desktop.services.server import audit_server, connection, roles, schema
from cme_desktop.services.vault.audit import AuditCheck
from tests.support.server_logins import PERMISSION_DENIED, Team, refused

ROOT = Path(__file__).resolve().parents[2]


def _append(engine: Engine, *actions: str, entity: str = "case", entity_id: int = 7) -> None:
    """One transaction appending ``actions``, as the application's ``audit.record`` does."""
    with engine.begin() as conn:
        for action in actions:
            conn.execute(
                text(
                    "INSERT INTO audit_log (action, entity, entity_id, detail) "
                    "VALUES (:a, :e, :i, 'n=1')"
                ),
                {"a": action, "e": entity, "i": entity_id},
            )


def _verify(team: Team) -> AuditCheck:
    check, _newest = audit_server.check(team.as_("auditor"))
    return check


def _tamper(team: Team, *statements: str) -> None:
    """What a superuser can do: switch the log's triggers off and change it."""
    with team.superuser.begin() as conn:
        conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
        for statement in statements:
            conn.execute(text(statement))
        conn.execute(text("ALTER TABLE audit_log ENABLE TRIGGER USER"))


def _log(team: Team) -> list[tuple[int, str, str]]:
    with team.superuser.begin() as conn:
        rows = conn.execute(text("SELECT id, actor, action FROM audit_log ORDER BY id"))
        return [(int(r[0]), str(r[1]), str(r[2])) for r in rows]


def test_the_server_numbers_names_and_chains_every_row(team: Team) -> None:
    _append(team.as_("officer"), "case_read", "case_updated")
    _append(team.as_("manager"), "report_read", entity="report")
    _append(team.as_("auditor"), "audit_read", entity="")
    assert _log(team) == [
        (1, team.logins["officer"], "case_read"),
        (2, team.logins["officer"], "case_updated"),
        (3, team.logins["manager"], "report_read"),
        (4, team.logins["auditor"], "audit_read"),
    ]
    check = _verify(team)
    assert check.ok, check.problem
    assert check.rows == 4


def test_a_role_cannot_write_the_name_or_time_itself(team: Team) -> None:
    with pytest.raises(DBAPIError) as caught, team.as_("officer").begin() as conn:
        conn.execute(text("INSERT INTO audit_log (action, actor) VALUES ('case_read', 'boss')"))
    assert refused(caught) == PERMISSION_DENIED
    assert _log(team) == []


@pytest.mark.parametrize("person", ["officer", "administrator", "manager", "auditor"])
def test_no_role_can_change_or_remove_a_row(team: Team, person: str) -> None:
    _append(team.as_("officer"), "case_read")
    for sql in (
        "UPDATE audit_log SET detail = 'n=2'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
    ):
        with pytest.raises(DBAPIError) as caught, team.as_(person).begin() as conn:
            conn.execute(text(sql))
        assert refused(caught) == PERMISSION_DENIED, (person, sql)
    assert len(_log(team)) == 1


def test_even_the_owner_is_refused_while_the_triggers_are_on(team: Team) -> None:
    _append(team.as_("officer"), "case_read")
    for sql in (
        "UPDATE audit_log SET detail = 'n=2'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
    ):
        with pytest.raises(DBAPIError) as caught, team.superuser.begin() as conn:
            conn.execute(text(sql))
        assert "can only be added to" in str(caught.value), sql
    assert _verify(team).ok


def test_a_superuser_editing_a_row_is_detected(team: Team) -> None:
    _append(team.as_("officer"), "case_read", "case_updated", "case_read")
    _tamper(team, "UPDATE audit_log SET detail = 'n=9' WHERE id = 2")
    check = _verify(team)
    assert not check.ok
    assert (check.first_bad_id, check.problem) == (2, "row 2 has been altered")


def test_a_superuser_removing_rows_is_detected(team: Team) -> None:
    _append(team.as_("officer"), "a1", "a2", "a3", "a4")
    _tamper(team, "DELETE FROM audit_log WHERE id = 2")
    check = _verify(team)
    assert (check.first_bad_id, check.problem) == (3, "row 2 is missing")


def test_cutting_the_newest_rows_is_detected_by_the_head(team: Team) -> None:
    _append(team.as_("officer"), "a1", "a2", "a3")
    _tamper(team, "DELETE FROM audit_log WHERE id = 3")
    check = _verify(team)
    assert check.problem == ""
    assert not check.ok
    assert check.anchor_problems == (
        "1 newest audit row was missing: the server's chain head records row 3, the log "
        "ends at row 2",
    )


def test_a_row_slipped_in_with_the_triggers_off_is_detected(team: Team) -> None:
    _append(team.as_("officer"), "a1", "a2")
    _tamper(
        team,
        "INSERT INTO audit_log (id, at, actor, action, entity, detail, prev_hash, hash) "
        "SELECT 3, now(), 'someone', 'a3', '', '', hash, repeat('0', 64) "
        "FROM audit_log WHERE id = 2",
    )
    assert _verify(team).problem == "row 3 has been altered"


def test_a_rewritten_chain_shows_in_the_newest_hash_noted_outside(team: Team) -> None:
    _append(team.as_("officer"), "a1", "a2")
    _check, before = audit_server.check(team.as_("auditor"))
    # A superuser recomputing every hash from the changed row on leaves a whole chain:
    # only the newest row's hash the auditor noted down tells.
    _tamper(
        team,
        "UPDATE audit_log SET detail = 'n=5' WHERE id = 2",
        "UPDATE audit_log SET hash = cme_audit_hash(id, at, actor, action, entity, entity_id,"
        " detail, prev_hash) WHERE id = 2",
        "UPDATE audit_chain_head SET last_hash = (SELECT hash FROM audit_log WHERE id = 2)",
    )
    check, after = audit_server.check(team.as_("auditor"))
    assert check.ok
    assert after[0] == before[0] and after[1] != before[1]


def test_transactions_are_chained_in_the_order_they_commit(team: Team) -> None:
    first, second = team.as_("officer").connect(), team.as_("colleague").connect()
    try:
        first.begin()
        second.begin()
        first.execute(text("INSERT INTO audit_log (action) VALUES ('first_begun')"))
        second.execute(text("INSERT INTO audit_log (action) VALUES ('second_begun')"))
        second.commit()
        first.commit()
    finally:
        first.close()
        second.close()
    assert [action for _id, _actor, action in _log(team)] == ["second_begun", "first_begun"]
    assert _verify(team).ok


def test_rows_undone_by_a_savepoint_leave_no_gap(team: Team) -> None:
    with team.as_("officer").connect() as conn, conn.begin():
        conn.execute(text("INSERT INTO audit_log (action) VALUES ('kept_1')"))
        undone = conn.begin_nested()
        conn.execute(text("INSERT INTO audit_log (action) VALUES ('undone')"))
        undone.rollback()
        conn.execute(text("INSERT INTO audit_log (action) VALUES ('kept_2')"))
        last = conn.begin_nested()
        conn.execute(text("INSERT INTO audit_log (action) VALUES ('undone_last')"))
        last.rollback()
    assert [(i, a) for i, _actor, a in _log(team)] == [(1, "kept_1"), (2, "kept_2")]
    check = _verify(team)
    assert check.ok and check.rows == 2, (check.problem, check.anchor_problems)


def test_concurrent_sessions_keep_one_whole_chain(team: Team) -> None:
    people = ["officer", "colleague", "administrator", "manager"]
    engines = {person: team.as_(person) for person in people}
    failures: list[BaseException] = []

    def work(person: str) -> None:
        try:
            for n in range(25):
                _append(engines[person], f"{person[:3]}_{n}_a", f"{person[:3]}_{n}_b")
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(p,)) for p in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    log = _log(team)
    assert [row_id for row_id, _a, _b in log] == list(range(1, 201))
    # Each transaction's two rows stay next to each other: sealed at its commit.
    actions = [action for _id, _actor, action in log]
    for i in range(0, 200, 2):
        assert actions[i].endswith("_a") and actions[i + 1] == actions[i][:-1] + "b"
    check = _verify(team)
    assert check.ok and check.rows == 200


def test_rows_already_there_are_chained_by_the_migration(postgres_empty_url: str) -> None:
    engine = create_engine(
        make_url(postgres_empty_url).set(drivername="postgresql+pg8000"), poolclass=NullPool
    )
    try:
        schema.upgrade(engine, target="0009")
        with engine.begin() as conn:
            for n in (5, 6, 9):  # as a vault's rows copied in: numbered and hashed elsewhere
                conn.execute(
                    text(
                        "INSERT INTO audit_log (id, at, actor, action, entity, detail, "
                        "prev_hash, hash) VALUES (:n, now(), 'Officer', 'case_read', 'case', "
                        "'', 'x', 'y')"
                    ),
                    {"n": n},
                )
        schema.upgrade(engine)
        with engine.begin() as conn:
            ids = [r[0] for r in conn.execute(text("SELECT id FROM audit_log ORDER BY id"))]
            check = audit_server.verify(conn)
        assert ids == [1, 2, 3]
        assert check.ok and check.rows == 3
    finally:
        engine.dispose()


def test_the_migration_goes_down_and_up_again(postgres_url: str) -> None:
    engine = create_engine(
        make_url(postgres_url).set(drivername="postgresql+pg8000"), poolclass=NullPool
    )
    try:
        from alembic import command

        from cme_desktop.services.vault.migrations import _config

        with engine.begin() as conn:
            cfg = _config()
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0009")
        with engine.begin() as conn:
            policies = conn.execute(text("SELECT count(*) FROM pg_policy")).scalar()
            triggers = conn.execute(
                text("SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'audit_log%'")
            ).scalar()
        assert (policies, triggers) == (0, 0)
        schema.upgrade(engine)
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO audit_log (action) VALUES ('after')"))
        with engine.begin() as conn:
            assert audit_server.verify(conn).ok
            granted = conn.execute(
                text("SELECT has_table_privilege(:r, 'cases', 'UPDATE')"), {"r": roles.OFFICER}
            ).scalar()
        assert granted is True
    finally:
        engine.dispose()


# --- the command -----------------------------------------------------------------------


def _cme(*args: str, password: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PGPASSWORD"}
    if password is not None:
        env["PGPASSWORD"] = password
    return subprocess.run(
        [sys.executable, "-m", "cme_desktop.cli.main", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        timeout=120,
        check=False,
    )


def _address(team: Team, person: str) -> str:
    found = connection.parse(team.url)
    return f"postgresql://{team.logins[person]}@{found.host}:{found.port}/{found.database}"


def test_cme_audit_verify_server(team: Team) -> None:
    _append(team.as_("officer"), "case_read", "case_updated")
    auditor = _address(team, "auditor")
    done = _cme("audit", "verify", "--server", auditor, password=team._password)
    assert done.returncode == 0, done.stderr
    assert "Audit log intact: 2 events, hash chain verified." in done.stdout
    newest = audit_server.check(team.as_("auditor"))[1]
    assert f"Newest row: 2, hash {newest[1]}" in done.stdout

    _tamper(team, "UPDATE audit_log SET entity_id = 8 WHERE id = 1")
    # Either place of --server: the command's own, or the one every command takes.
    for args in (
        ("audit", "verify", "--server", auditor),
        ("--server", auditor, "audit", "verify"),
    ):
        done = _cme(*args, password=team._password)
        assert done.returncode == 1, args
        assert done.stderr.strip() == (
            "cme: the audit log has been altered: row 1 has been altered."
        ), args


def test_cme_audit_verify_server_needs_an_auditor(team: Team) -> None:
    done = _cme("audit", "verify", "--server", _address(team, "officer"), password=team._password)
    assert done.returncode == 1
    assert "cannot read the whole audit log" in done.stderr
    assert "cme_auditor" in done.stderr


def test_cme_audit_verify_server_without_a_password(team: Team) -> None:
    done = _cme("audit", "verify", "--server", _address(team, "auditor"), password=None)
    assert done.returncode == 3, done.stderr
    assert "password" in done.stderr
