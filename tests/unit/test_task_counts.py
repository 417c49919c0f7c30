"""The counts a vault keeps of the tasks due each day (``task_counts``, migration 0018).

The dashboard says how many tasks are due today and in the next 7 days from them, so
they must always be what counting the tasks gives (not done, not struck through, on an
open case): after tasks are added, done, struck through, moved to another day or case,
and removed, and cases closed, reopened and removed, by the services or by plain SQL;
and when they are not, the check after each unlock puts them right.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text

from cme_desktop.services.cases import demo
from cme_desktop.services.cases.case_list import CaseList
from cme_desktop.services.cases.service import CaseService
from cme_desktop.services.vault import health, migrations
from cme_desktop.services.vault.database import Database
from tests.support.credentials import PASSPHRASE
from tests.support.old_vaults import database_at
from tests.support.vault_copies import Template, copy_vault, make_template

TODAY = date(2026, 3, 18)
COUNTED = (
    "SELECT tasks.due_on, count(*) FROM tasks JOIN cases ON cases.id = tasks.case_id"
    " WHERE tasks.done_on IS NULL AND tasks.deleted_at IS NULL AND cases.status = 'open'"
    " GROUP BY tasks.due_on"
)
TRIGGERS = {
    "task_counts_ai",
    "task_counts_ad",
    "task_counts_au",
    "task_counts_case_au",
    "task_counts_case_bd",
}


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    return make_template(tmp_path_factory.mktemp("template"))


@pytest.fixture
def filled(template: Template, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    db = copy_vault(template, tmp_path_factory.mktemp("tasks")).unlock(PASSPHRASE)
    demo.fill(db, cases=120, seed=18, today=TODAY)
    yield db
    db.close()


def _kept(db: Database) -> dict[str, int]:
    with db.read() as session:
        rows = session.execute(text("SELECT due_on, n FROM task_counts")).all()
    return {str(d): n for d, n in rows if n}


def _counted(db: Database) -> dict[str, int]:
    with db.read() as session:
        return {str(d): n for d, n in session.execute(text(COUNTED))}


def _one(db: Database, sql: str) -> int:
    with db.read() as session:
        return int(session.execute(text(sql)).scalar_one())


def _week(db: Database) -> tuple[int, int]:
    """Tasks due today and in the next 7 days, counted task by task."""
    days = _counted(db)
    later = {(TODAY + timedelta(days=d)).isoformat() for d in range(1, 8)}
    return days.get(TODAY.isoformat(), 0), sum(n for d, n in days.items() if d in later)


def test_the_kept_counts_follow_every_change_to_tasks_and_cases(filled: Database) -> None:
    db, cases = filled, CaseService(filled)
    assert _kept(db) == _counted(db) and sum(_kept(db).values()) > 20, "the demo has tasks"
    with db.read() as session:
        rows = session.execute(text("SELECT id FROM cases WHERE status = 'open' ORDER BY id"))
        open_ids = [case_id for (case_id,) in rows]
    closed_id = _one(db, "SELECT min(id) FROM cases WHERE status = 'closed'")
    # Through the services: added, done, moved, struck through; a case closed and reopened.
    first = cases.add_task(open_ids[0], title="Ring the school", due_on=TODAY)
    second = cases.add_task(open_ids[0], title="Visit", due_on=TODAY + timedelta(days=2))
    cases.add_task(open_ids[1], title="Letter", due_on=TODAY + timedelta(days=3))
    cases.add_task(closed_id, title="On a closed case", due_on=TODAY)
    cases.complete_task(first, done_on=TODAY)
    cases.edit_task(second, title="Visit", due_on=TODAY + timedelta(days=5))
    third = cases.add_task(open_ids[2], title="Check", due_on=TODAY + timedelta(days=1))
    cases.delete_task(third, reason="added in error")
    cases.close(open_ids[1], outcome="not_cme", on=TODAY)
    cases.reopen(closed_id, reason="Seen again")
    assert _kept(db) == _counted(db)
    # Around the services: the triggers count whatever writes the rows.
    with db.write() as session:
        task = session.execute(
            text(f"SELECT min(id) FROM tasks WHERE case_id = {open_ids[0]} AND done_on IS NULL")
        ).scalar_one()
        session.execute(text(f"UPDATE tasks SET case_id = {open_ids[1]} WHERE id = {task}"))
        session.execute(text(f"UPDATE tasks SET done_on = NULL WHERE id = {first}"))
        session.execute(
            text(f"UPDATE tasks SET due_on = '2026-03-20', deleted_at = NULL WHERE id = {third}")
        )
        session.execute(text(f"UPDATE cases SET status = 'closed' WHERE id = {open_ids[3]}"))
        session.execute(
            text(f"UPDATE cases SET full_name = 'Ann Example' WHERE id = {open_ids[4]}")
        )
        # A case removed takes its tasks with it (the key cascades); a task removed alone.
        with_tasks = _one(
            db,
            "SELECT case_id FROM tasks JOIN cases ON cases.id = tasks.case_id"
            " WHERE cases.status = 'open' AND done_on IS NULL AND deleted_at IS NULL"
            f" AND case_id > {open_ids[4]} GROUP BY case_id HAVING count(*) > 1 LIMIT 1",
        )
        session.execute(text(f"DELETE FROM cases WHERE id = {with_tasks}"))
        session.execute(text(f"DELETE FROM tasks WHERE id = {second}"))
    assert _one(db, f"SELECT count(*) FROM tasks WHERE case_id = {with_tasks}") == 0
    assert _kept(db) == _counted(db)
    board = CaseList(db).dashboard(today=TODAY)
    assert (board.due_today_total, board.due_next_7_days) == _week(db)
    assert board.due_today_total > 0 and board.due_next_7_days > 0
    overdue = sum(n for day, n in _counted(db).items() if day < TODAY.isoformat())
    assert board.overdue_total == overdue > 0


def test_counts_that_went_wrong_are_put_right_after_an_unlock_and_audited(
    filled: Database,
) -> None:
    with filled.write() as session:
        session.execute(text("UPDATE task_counts SET n = n + 3"))
        session.execute(
            text("DELETE FROM task_counts WHERE due_on = (SELECT max(due_on) FROM task_counts)")
        )
    assert _kept(filled) != _counted(filled)
    assert health.after_unlock_check(filled) is None, "no damage to report"
    assert _kept(filled) == _counted(filled)
    board = CaseList(filled).dashboard(today=TODAY)
    assert (board.due_today_total, board.due_next_7_days) == _week(filled)
    with filled.read() as session:
        actions = [a for (a,) in session.execute(text("SELECT action FROM audit_log"))]
    assert actions.count("task_counts_corrected") == 1
    assert "case_counts_corrected" not in actions, "the case counts were right"
    assert health.correct_task_counts(filled) is False, "right now: nothing to do"


def test_a_vault_migrated_from_0017_counts_its_tasks_and_goes_back(tmp_path: Path) -> None:
    db = database_at(tmp_path / "old.cme", "0017")
    try:
        demo.fill(db, cases=60, seed=19, today=TODAY)
        assert _triggers(db) == set()
        migrations.upgrade(db)
        assert _triggers(db) == TRIGGERS
        assert _kept(db) == _counted(db) and _kept(db)
        board = CaseList(db).dashboard(today=TODAY)
        assert (board.due_today_total, board.due_next_7_days) == _week(db)

        config = migrations._config()
        with db.engine.begin() as conn:
            config.attributes["connection"] = conn
            command.downgrade(config, "0017")
        assert _triggers(db) == set()
        assert _one(db, "SELECT count(*) FROM sqlite_master WHERE name = 'task_counts'") == 0
        assert migrations.current_revision(db) == "0017"
    finally:
        db.close()


def _triggers(db: Database) -> set[str]:
    with db.read() as session:
        rows = session.execute(
            text("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'task%'")
        )
        return {name for (name,) in rows}
