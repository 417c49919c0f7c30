"""task counts by day: the dashboard's tasks due today and in the next 7 days, kept

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 23:30:00

The dashboard says how many tasks are due today and in the next 7 days (not done, not
struck through, on an open case). It counted them: an index entry and a look-up of the
case's status per task (at 100,000 cases 6,000 tasks in the week, ~2 ms, where a kept
count per day takes a few rows at any size).

- ``task_counts`` holds, for each day, how many tasks due that day count so: one row a
  day, whatever the number of cases.
- Triggers keep it: on ``tasks``, a task added, removed, done, struck through, moved to
  another day or case; on ``cases``, a case closed or reopened (all its tasks counted
  out or in) and, before a case is removed, its tasks (the tasks removed with it then
  find no case, and count for nothing again).

The counts are filled from the tasks as they are now. A later migration that rebuilds
``tasks`` or ``cases`` must create their triggers again (``TASK_TRIGGERS``,
``CASE_TRIGGERS``); one that rebuilds ``cases`` drops the triggers on ``tasks`` first
(``NAMES``), as SQLite will not rename the new table into place while a trigger reads
a ``cases`` that is gone (the upgrade then fails, changing nothing). The upgrade refuses
one that loses a trigger, and the check after each unlock puts the counts right if they
ever differ from the tasks (``health.correct_task_counts``).

A vault (SQLite) only: a server counts its tasks itself. Downgrade drops the table and
its triggers (the dashboard counts the tasks again).
"""

from __future__ import annotations

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

#: A task ``{row}`` that counts: not done, not struck through, its case open.
_COUNTS = (
    "{row}.done_on IS NULL AND {row}.deleted_at IS NULL"
    " AND (SELECT status FROM cases WHERE cases.id = {row}.case_id) = 'open'"
)
#: The tasks of case ``{row}`` that count while it is open.
_OPEN_TASKS = "tasks.case_id = {row}.id AND tasks.done_on IS NULL AND tasks.deleted_at IS NULL"


def counted() -> str:
    """The counts as counting the tasks gives them, to fill the table."""
    return (
        "SELECT tasks.due_on, count(*) FROM tasks JOIN cases ON cases.id = tasks.case_id"
        " WHERE tasks.done_on IS NULL AND tasks.deleted_at IS NULL AND cases.status = 'open'"
        " GROUP BY tasks.due_on"
    )


def _add(row: str) -> str:
    return (
        f"INSERT INTO task_counts (due_on, n) SELECT {row}.due_on, 1"
        f" WHERE {_COUNTS.format(row=row)}"
        " ON CONFLICT (due_on) DO UPDATE SET n = n + 1"
    )


def _remove(row: str) -> str:
    return (
        f"UPDATE task_counts SET n = n - 1 WHERE due_on = {row}.due_on"
        f" AND {_COUNTS.format(row=row)}"
    )


def _case_tasks_out(row: str, when: str) -> str:
    """Every counted task of case ``row`` counted out, day by day, ``when`` true."""
    tasks = _OPEN_TASKS.format(row=row)
    return (
        "UPDATE task_counts SET n = n - (SELECT count(*) FROM tasks"
        f" WHERE {tasks} AND tasks.due_on = task_counts.due_on)"
        f" WHERE {when} AND due_on IN (SELECT tasks.due_on FROM tasks WHERE {tasks})"
    )


def _case_tasks_in(row: str, when: str) -> str:
    """Every task of case ``row`` that counts while it is open counted in, day by day,
    ``when`` true."""
    return (
        "INSERT INTO task_counts (due_on, n) SELECT tasks.due_on, count(*) FROM tasks"
        f" WHERE {when} AND {_OPEN_TASKS.format(row=row)} GROUP BY tasks.due_on"
        " ON CONFLICT (due_on) DO UPDATE SET n = n + excluded.n"
    )


#: The triggers on ``tasks``.
TASK_TRIGGERS = (
    f"CREATE TRIGGER task_counts_ai AFTER INSERT ON tasks BEGIN {_add('new')}; END",
    f"CREATE TRIGGER task_counts_ad AFTER DELETE ON tasks BEGIN {_remove('old')}; END",
    f"""CREATE TRIGGER task_counts_au AFTER UPDATE OF done_on, deleted_at, due_on, case_id
        ON tasks BEGIN {_remove("old")}; {_add("new")}; END""",
)
#: The triggers on ``cases``: a migration that rebuilds ``cases`` creates these again.
CASE_TRIGGERS = (
    # A case closed counts its tasks out; reopened, in.
    f"""CREATE TRIGGER task_counts_case_au AFTER UPDATE OF status ON cases
        WHEN old.status IS NOT new.status BEGIN
        {_case_tasks_out("old", "old.status = 'open'")};
        {_case_tasks_in("new", "new.status = 'open'")};
        END""",
    # Before an open case goes: its tasks, removed with it, then find no case to count for.
    f"""CREATE TRIGGER task_counts_case_bd BEFORE DELETE ON cases
        WHEN old.status = 'open' BEGIN {_case_tasks_out("old", "1")}; END""",
)
TRIGGERS = (*TASK_TRIGGERS, *CASE_TRIGGERS)
NAMES = (
    "task_counts_ai",
    "task_counts_ad",
    "task_counts_au",
    "task_counts_case_au",
    "task_counts_case_bd",
)


def _drop() -> None:
    for trigger in NAMES:
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.execute("DROP TABLE IF EXISTS task_counts")


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    _drop()
    op.execute(
        "CREATE TABLE task_counts (due_on DATE NOT NULL PRIMARY KEY, n INTEGER NOT NULL)"
        " WITHOUT ROWID"
    )
    op.execute(f"INSERT INTO task_counts (due_on, n) {counted()}")
    for statement in TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    _drop()
