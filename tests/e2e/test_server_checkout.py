"""The offline laptop on a real PostgreSQL server: check out, work offline, check back in."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from cme_desktop.models import AuditEvent, Case, Checkout, Task, TimelineEntry
from cme_desktop.services.cases.detail import CaseDraft
from cme_desktop.services.cases.service import CaseService
from cme_desktop.services.errors import CmeError, NotFound
from cme_desktop.services.server import checkin as checking_in
from cme_desktop.services.server import connection
from cme_desktop.services.server.checkin import CheckinConflicts, WrongServer, check_in, plan
from cme_desktop.services.server.checkout import check_out, checked_out, field_checkout
from cme_desktop.services.server.database import ServerDatabase
from cme_desktop.services.server.field_records import FIELD_TABLES, field_tables
from cme_desktop.services.server.field_visits import (
    CHECK_IN_NOTHING_OUT,
    CHECK_IN_ON_THE_SERVER,
    CHECK_OUT_IN_A_VAULT,
    CHECK_OUT_NOT_AN_OFFICER,
    check_out_to_field_vault,
    why_no_check_in,
    why_no_check_out,
)
from cme_desktop.services.vault.database import Database
from cme_desktop.services.vault.unlock import Vault
from tests.support.credentials import FAST_SCRYPT, PASSPHRASE
from tests.support.postgres import PostgresServer, connect
from tests.support.server_logins import Team

ROOT = Path(__file__).resolve().parents[2]
TODAY = date.today()


def _login(team: Team, person: str) -> ServerDatabase:
    found = connection.parse(team.url)
    address = connection.parse(
        f"postgresql://{team.logins[person]}@{found.host}:{found.port}/{found.database}"
    )
    return ServerDatabase.connect(address, team._password, actor=person)


@pytest.fixture
def officer(team: Team) -> Iterator[ServerDatabase]:
    db = _login(team, "officer")
    yield db
    db.close()


@pytest.fixture
def colleague(team: Team) -> Iterator[ServerDatabase]:
    db = _login(team, "colleague")
    yield db
    db.close()


@pytest.fixture
def field(tmp_path: Path) -> Iterator[Database]:
    db = Vault(tmp_path / "field.cme", scrypt=FAST_SCRYPT).create(PASSPHRASE, actor="jsmith").db
    yield db
    db.close()


def _visit_case(server: ServerDatabase, name: str = "Lena Novak") -> int:
    """An open case of the officer's with a visit due today, a carer and a note."""
    cases = CaseService(server)
    case_id = cases.create(draft=CaseDraft(full_name=name, school="Castle Primary"))
    cases.add_task(case_id, title="Home visit", due_on=TODAY)
    cases.save_carer(case_id, name="Ana Novak", telephone="0116 000 0000")
    cases.add_timeline(
        case_id, kind="note", occurred_at=datetime(2026, 11, 2, 9), summary="School rang"
    )
    return case_id


def _count(db: Database, model: type, case_id: int) -> int:
    with db.read() as session:
        return int(
            session.scalar(
                select(func.count()).select_from(model).where(model.case_id == case_id)  # type: ignore[attr-defined]
            )
            or 0
        )


def _actions(server: ServerDatabase, case_id: int) -> list[str]:
    with server.read() as session:
        return list(
            session.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.entity == "case", AuditEvent.entity_id == case_id)
                .order_by(AuditEvent.id)
            )
        )


def test_every_table_a_checkout_carries_exists() -> None:
    assert [t.name for t in field_tables()] == list(FIELD_TABLES)


def test_checkout_offline_work_and_checkin_without_conflict(
    officer: ServerDatabase, colleague: ServerDatabase, field: Database
) -> None:
    case_id = _visit_case(officer)
    other = CaseService(officer).create(draft=CaseDraft(full_name="Not Due"))  # nothing due
    done = check_out(officer, field)
    assert done.case_ids == (case_id,) and other not in done.case_ids
    # Colleagues see who has it and since when, and it is in the field vault whole.
    seen = checked_out(colleague, [case_id, other])
    assert set(seen) == {case_id}
    assert seen[case_id].login == officer.address.username
    assert "checked out to" in seen[case_id].description
    offline = CaseService(field)
    detail = offline.get(case_id)
    assert detail.draft.full_name == "Lena Novak" and len(detail.carers) == 1
    out = field_checkout(field)
    assert out is not None and out.case_ids == (case_id,)
    # Offline: a visit recorded, the task done, a new task, a detail changed.
    offline.add_timeline(
        case_id,
        kind="visit",
        occurred_at=datetime.combine(TODAY, datetime.min.time()).replace(hour=10),
        summary="Mum at home; Lena seen",
        outcome="seen",
    )
    (task,) = [t for t in detail.tasks if t.title == "Home visit"]
    offline.complete_task(task.id, done_on=TODAY)
    offline.add_task(case_id, title="Ring the new school", due_on=date(2030, 1, 6))
    now = offline.get(case_id)
    offline.update(case_id, draft=replace(now.draft, school="Beacon Academy"), version=now.version)

    result = check_in(field, officer)
    assert not result.kept_theirs and result.cases == (case_id,)
    back = CaseService(colleague).get(case_id)
    assert back.draft.school == "Beacon Academy"
    assert any(e.summary == "Mum at home; Lena seen" for e in back.timeline)
    assert {t.title for t in back.tasks if t.done_on is None} == {"Ring the new school"}
    with officer.read() as session:
        case = session.get(Case, case_id)
        assert case is not None
        assert case.last_visit_on == TODAY and case.next_task_due == date(2030, 1, 6)
        assert session.scalar(select(Checkout.checked_in_at)) is not None
    actions = _actions(officer, case_id)
    assert actions.index("case_checked_out") < actions.index("case_checked_in")
    assert "checkin_insert" in actions and "case_updated" in actions
    with officer.read() as session:
        offline_rows = session.scalars(
            select(AuditEvent.detail).where(AuditEvent.detail.like("offline=%"))
        ).all()
    assert offline_rows  # what was done offline is in the server's log
    # Released: the field vault holds no case, the colleague sees none checked out.
    assert _count(field, TimelineEntry, case_id) == 0
    assert field_checkout(field) is None
    assert checked_out(colleague, [case_id]) == {}


def test_a_case_checked_out_is_refused_to_a_second_checkout(
    officer: ServerDatabase, colleague: ServerDatabase, field: Database, tmp_path: Path
) -> None:
    case_id = _visit_case(officer)
    check_out(officer, field, case_ids=[case_id])
    second = Vault(tmp_path / "second.cme", scrypt=FAST_SCRYPT).create(PASSPHRASE).db
    try:
        with pytest.raises(CmeError, match="checked out to"):
            check_out(colleague, second, case_ids=[case_id])
        with pytest.raises(CmeError, match="check them in first"):
            check_out(officer, field, case_ids=[case_id])
    finally:
        second.close()


@pytest.mark.parametrize("keep", ["mine", "theirs"])
def test_a_conflicting_server_edit_is_reported_then_resolved(
    officer: ServerDatabase, colleague: ServerDatabase, field: Database, keep: str
) -> None:
    case_id = _visit_case(officer)
    check_out(officer, field)
    offline = CaseService(field)
    mine = offline.get(case_id)
    offline.update(
        case_id,
        draft=replace(mine.draft, school="Beacon Academy", aka="Lenny"),
        version=mine.version,
    )
    offline.add_timeline(
        case_id, kind="note", occurred_at=datetime(2026, 11, 3, 9), summary="Written offline"
    )
    # Meanwhile a colleague changes the school and the ethnicity on the server.
    theirs = CaseService(colleague).get(case_id)
    CaseService(colleague).update(
        case_id,
        draft=replace(theirs.draft, school="Hill Top School", ethnicity="White British"),
        version=theirs.version,
    )
    found = plan(field, officer)
    (conflict,) = found.conflicts
    assert conflict.record == "cases" and "school" in conflict.mine
    assert "school" in conflict.theirs and conflict.changed_by == colleague.address.username
    before = _count(officer, TimelineEntry, case_id)
    with pytest.raises(CheckinConflicts) as refused:
        check_in(field, officer)
    assert "changed on the server" in refused.value.message
    assert _count(officer, TimelineEntry, case_id) == before  # nothing applied
    assert field_checkout(field) is not None  # still held

    check_in(field, officer, choices={conflict.ident: keep})  # type: ignore[dict-item]
    after = CaseService(colleague).get(case_id).draft
    assert after.ethnicity == "White British"  # theirs, not touched offline
    if keep == "mine":
        assert (after.school, after.aka) == ("Beacon Academy", "Lenny")
    else:
        assert (after.school, after.aka) == ("Hill Top School", "")
    # The new entry arrives either way.
    assert _count(officer, TimelineEntry, case_id) == before + 1


def _summaries(server: ServerDatabase, case_id: int) -> list[str]:
    with server.read() as session:
        return list(
            session.scalars(select(TimelineEntry.summary).where(TimelineEntry.case_id == case_id))
        )


def test_a_checkin_cut_off_by_a_dropped_connection_is_run_again_once(
    officer: ServerDatabase, field: Database, team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    case_id = _visit_case(officer)
    check_out(officer, field)
    offline = CaseService(field)
    for n in range(3):
        offline.add_timeline(
            case_id, kind="note", occurred_at=datetime(2026, 11, 3, 9 + n), summary=f"Note {n}"
        )
    offline.add_task(case_id, title="Write to the family", due_on=date(2030, 1, 6))
    close = checking_in._close

    def dropped(session, server, out, applied):  # type: ignore[no-untyped-def]
        # The network goes half-way: the server ends this session's connection.
        pid = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
        with team.superuser.begin() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid})
        close(session, server, out, applied)

    monkeypatch.setattr(checking_in, "_close", dropped)
    with pytest.raises(CmeError):
        check_in(field, officer)
    assert [s for s in _summaries(officer, case_id) if s.startswith("Note")] == []
    monkeypatch.setattr(checking_in, "_close", close)
    check_in(field, officer)
    assert sorted(s for s in _summaries(officer, case_id) if s.startswith("Note")) == [
        "Note 0",
        "Note 1",
        "Note 2",
    ]
    assert _count_tasks(officer, case_id, "Write to the family") == 1


def _count_tasks(server: ServerDatabase, case_id: int, title: str) -> int:
    with server.read() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(Task)
                .where(Task.case_id == case_id, Task.title == title)
            )
            or 0
        )


def test_a_checkin_cut_off_after_the_server_committed_is_finished_once(
    officer: ServerDatabase, field: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    case_id = _visit_case(officer)
    check_out(officer, field)
    CaseService(field).add_timeline(
        case_id, kind="note", occurred_at=datetime(2026, 11, 3, 9), summary="Only once"
    )
    release = checking_in.release

    def shut(*_args: object, **_kwargs: object) -> int:
        raise OSError("the laptop was shut")

    monkeypatch.setattr(checking_in, "release", shut)
    with pytest.raises(OSError):
        check_in(field, officer)
    monkeypatch.setattr(checking_in, "release", release)
    again = check_in(field, officer)
    assert again.finished_earlier
    assert _summaries(officer, case_id).count("Only once") == 1
    assert field_checkout(field) is None


def test_a_field_vault_from_another_server_is_refused(
    officer: ServerDatabase,
    field: Database,
    postgres_server: PostgresServer,
    postgres_template: str,
) -> None:
    case_id = _visit_case(officer)
    check_out(officer, field, case_ids=[case_id])
    name = postgres_server.fresh_name()
    other = connect(postgres_server.create_database(name, template=postgres_template))
    try:
        with pytest.raises(WrongServer) as refused:
            check_in(field, other)
        message = refused.value.message
        assert "not from" in message and "Nothing was changed" in message
    finally:
        other.close()
        postgres_server.drop_database(name)
    assert field_checkout(field) is not None  # still there, for the right server


def _cme(*args: str, password: str, passphrase: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PGPASSWORD": password, "CME_PASSPHRASE": passphrase}
    return subprocess.run(
        [sys.executable, "-m", "cme_desktop.cli.main", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        timeout=180,
        check=False,
    )


def test_cme_checkout_and_checkin(officer: ServerDatabase, team: Team, tmp_path: Path) -> None:
    case_id = _visit_case(officer)
    address = officer.address
    url = f"postgresql://{address.username}@{address.host}:{address.port}/{address.database}"
    vault = tmp_path / "field.cme"
    out = _cme(
        "--server", url, "checkout", "--vault", str(vault), password=team._password,
        passphrase=PASSPHRASE,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "recovery key" in out.stdout and f"Checked out 1 case ({case_id};" in out.stdout
    wrong = _cme(
        "--server", url, "checkin", "--vault", str(vault), password=team._password,
        passphrase="not the passphrase at all",
    )  # fmt: skip
    assert wrong.returncode == 3 and "passphrase" in wrong.stderr.lower()
    assert checked_out(officer, [case_id])  # still out
    back = _cme(
        "--server", url, "checkin", "--vault", str(vault), password=team._password,
        passphrase=PASSPHRASE,
    )  # fmt: skip
    assert back.returncode == 0, back.stderr
    assert "Checked in 1 case" in back.stdout
    assert checked_out(officer, [case_id]) == {}


def test_only_the_officer_who_took_the_cases_checks_them_in(
    officer: ServerDatabase, colleague: ServerDatabase, field: Database
) -> None:
    case_id = _visit_case(officer)
    check_out(officer, field)
    CaseService(field).add_timeline(
        case_id, kind="note", occurred_at=datetime(2026, 11, 3, 9), summary="Mine only"
    )
    with pytest.raises(CmeError, match="can check them in"):
        check_in(field, colleague)
    assert "Mine only" not in _summaries(officer, case_id)  # rolled back whole
    check_in(field, officer)
    assert _summaries(officer, case_id).count("Mine only") == 1


def test_a_case_logged_offline_arrives_and_a_step_ticked_at_both_ends_is_a_conflict(
    officer: ServerDatabase, colleague: ServerDatabase, field: Database
) -> None:
    case_id = _visit_case(officer)
    check_out(officer, field)
    offline = CaseService(field)
    new_id = offline.create(draft=CaseDraft(full_name="Found Atthedoor"))
    offline.add_timeline(
        new_id, kind="note", occurred_at=datetime(2026, 11, 3, 9), summary="Sibling found"
    )
    offline.set_step(case_id, step="locate", done_on=TODAY, note="ticked offline")
    CaseService(colleague).set_step(case_id, step="locate", done_on=TODAY, note="ticked there")
    (conflict,) = plan(field, officer).conflicts
    assert conflict.record == "step_progress" and conflict.clash and "note" in conflict.theirs
    check_in(field, officer, default="mine")
    with officer.read() as session:
        note = session.scalar(
            text("SELECT note FROM step_progress WHERE case_id = :c AND step = 'locate'"),
            {"c": case_id},
        )
        found = session.scalars(select(Case.id).where(Case.full_name == "Found Atthedoor")).all()
    assert note == "ticked offline"
    assert len(found) == 1  # numbered by the server
    assert _summaries(officer, found[0]) == ["Sibling found"]


def test_a_field_vault_made_for_a_refused_checkout_is_removed_and_an_old_one_kept(
    officer: ServerDatabase, tmp_path: Path
) -> None:
    case_id = _visit_case(officer)
    new = Vault(tmp_path / "new.cme", scrypt=FAST_SCRYPT)
    said: list[str] = []
    with pytest.raises(NotFound):
        check_out_to_field_vault(officer, new, PASSPHRASE, case_ids=[999_999], say=said.append)
    # Nothing at the path: no empty vault whose recovery key was never shown. The key
    # file's lock stays, empty, as always (``keyfile_lock``: never deleted).
    assert not new.exists
    left = {p.name: p.stat().st_size for p in tmp_path.iterdir()}
    assert left in ({}, {"new.cme.keys.lock": 0}), left
    assert said == [
        "Making the field vault…",
        "Copying the cases from the server into the field vault…",
    ]
    with officer.read() as session:
        assert session.scalar(select(func.count()).select_from(Checkout)) == 0
    # A field vault that was there already is left as it was, and used next time.
    old = Vault(tmp_path / "old.cme", scrypt=FAST_SCRYPT)
    old.create(PASSPHRASE).db.close()
    with pytest.raises(NotFound):
        check_out_to_field_vault(officer, old, PASSPHRASE, case_ids=[999_999])
    assert old.exists
    done = check_out_to_field_vault(officer, old, PASSPHRASE, case_ids=[case_id])
    assert done.recovery_key == "" and done.checked_out.case_ids == (case_id,)
    # One made for a checkout that worked comes with its recovery key.
    other = _visit_case(officer, "Mia Novak")
    made = check_out_to_field_vault(
        officer, Vault(tmp_path / "made.cme", scrypt=FAST_SCRYPT), PASSPHRASE, case_ids=[other]
    )
    assert made.recovery_key and made.checked_out.case_ids == (other,)


def test_why_checking_out_or_in_does_not_apply(
    officer: ServerDatabase, field: Database, team: Team
) -> None:
    assert why_no_check_out(officer) == ""
    assert why_no_check_out(field) == CHECK_OUT_IN_A_VAULT
    manager = _login(team, "manager")
    try:
        assert why_no_check_out(manager) == CHECK_OUT_NOT_AN_OFFICER
    finally:
        manager.close()
    assert why_no_check_in(officer) == CHECK_IN_ON_THE_SERVER
    assert why_no_check_in(field) == CHECK_IN_NOTHING_OUT
    case_id = _visit_case(officer)
    check_out(officer, field, case_ids=[case_id])
    assert why_no_check_in(field) == ""
    check_in(field, officer)
    assert why_no_check_in(field) == CHECK_IN_NOTHING_OUT
