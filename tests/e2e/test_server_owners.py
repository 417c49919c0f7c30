"""Giving cases to another officer on a real PostgreSQL server: the service and the command."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from cme_desktop.models import Case
from cme_desktop.services.errors import CmeError, InvalidInput, NotFound
from cme_desktop.services.server import connection, ownership
from cme_desktop.services.server.database import ServerDatabase
from cme_desktop.services.vault.database import Database
from tests.support.server_logins import Team

ROOT = Path(__file__).resolve().parents[2]
DAY = date(2026, 11, 2)


def _cases(engine: Engine, count: int) -> list[int]:
    with Session(engine) as session, session.begin():
        cases = [Case(full_name=f"Child {n}", notified_on=DAY, opened_on=DAY) for n in range(count)]
        session.add_all(cases)
        session.flush()
        return [c.id for c in cases]


def _owners(team: Team) -> dict[int, tuple[str, int]]:
    with team.superuser.begin() as conn:
        rows = conn.execute(text("SELECT id, owner, version FROM cases"))
        return {int(r[0]): (str(r[1]), int(r[2])) for r in rows}


def _reassigned(team: Team) -> list[tuple[str, int, str]]:
    with team.superuser.begin() as conn:
        rows = conn.execute(
            text(
                "SELECT actor, entity_id, detail FROM audit_log "
                "WHERE action = 'case_reassigned' ORDER BY id"
            )
        )
        return [(str(r[0]), int(r[1]), str(r[2])) for r in rows]


def _address(team: Team, person: str) -> str:
    found = connection.parse(team.url)
    return f"postgresql://{team.logins[person]}@{found.host}:{found.port}/{found.database}"


def _login(team: Team, person: str) -> ServerDatabase:
    address = connection.parse(_address(team, person))
    return ServerDatabase.connect(address, team._password)


def test_an_officer_gives_cases_to_a_colleague(team: Team) -> None:
    ids = _cases(team.as_("officer"), 3)
    me, colleague = team.logins["officer"], team.logins["colleague"]
    db = _login(team, "officer")
    try:
        assert colleague in ownership.officers(db)
        assert team.logins["manager"] not in ownership.officers(db)
        done = ownership.give(db, case_ids=ids[:2], to=colleague)
    finally:
        db.close()
    assert done == ownership.Handover(2, colleague)
    owners = _owners(team)
    # The version moves on: whoever has the case open is told it changed.
    assert [owners[i] for i in ids] == [(colleague, 2), (colleague, 2), (me, 1)]
    assert _reassigned(team) == [(me, i, f"from={me} to={colleague}") for i in ids[:2]]


def test_a_leavers_cases_are_handed_over_at_once(team: Team) -> None:
    ids = _cases(team.as_("colleague"), 4)
    _cases(team.as_("officer"), 1)
    db = _login(team, "officer")
    try:
        done = ownership.hand_over(db, owner=team.logins["colleague"], to=team.logins["officer"])
        unallocated = ownership.give(db, case_ids=ids[:1], to=ownership.NOBODY)
    finally:
        db.close()
    assert done.cases == 4 and unallocated.cases == 1
    owners = _owners(team)
    assert owners[ids[0]][0] == "" and {owners[i][0] for i in ids[1:]} == {team.logins["officer"]}
    assert len(_reassigned(team)) == 5


def test_only_an_officer_gives_and_only_to_an_officer(team: Team) -> None:
    ids = _cases(team.as_("officer"), 1)
    before = _owners(team)
    officer_db, admin_db = _login(team, "officer"), _login(team, "administrator")
    try:
        with pytest.raises(InvalidInput) as caught:
            ownership.give(officer_db, case_ids=ids, to=team.logins["manager"])
        assert caught.value.message == "A case can only be given to the login of a CME officer."
        with pytest.raises(NotFound):
            ownership.give(officer_db, case_ids=[*ids, 999], to=team.logins["colleague"])
        with pytest.raises(CmeError) as refused:
            ownership.give(admin_db, case_ids=ids, to=team.logins["colleague"])
        assert refused.value.message == "Only a CME officer can give a case to someone else."
    finally:
        officer_db.close()
        admin_db.close()
    assert _owners(team) == before
    assert _reassigned(team) == []


def test_a_vault_has_no_owners(db: Database) -> None:
    with pytest.raises(CmeError) as caught:
        ownership.officers(db)
    assert "shared server" in caught.value.message


def _cme(*args: str, password: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PGPASSWORD": password}
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


def test_cme_reassign(team: Team) -> None:
    ids = _cases(team.as_("officer"), 2)
    url = _address(team, "officer")
    colleague = team.logins["colleague"]
    done = _cme(
        "--server", url, "reassign", "--to", colleague, *map(str, ids), password=team._password
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"2 cases given to {colleague}."
    done = _cme(
        "--server", url, "reassign", "--from", colleague, "--to", "-", password=team._password
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "2 cases given to nobody (not allocated)."
    assert {owner for owner, _v in _owners(team).values()} == {""}

    done = _cme("--server", url, "reassign", "--to", colleague, password=team._password)
    assert (done.returncode, done.stderr.strip()) == (
        2,
        "cme: give either case numbers or --from LOGIN",
    )
    refused = _cme(
        "--server",
        _address(team, "administrator"),
        "reassign",
        "--to",
        colleague,
        str(ids[0]),
        password=team._password,
    )
    assert refused.returncode == 1
    assert refused.stderr.strip() == "cme: Only a CME officer can give a case to someone else."
