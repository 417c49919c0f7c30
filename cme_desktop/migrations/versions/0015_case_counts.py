"""case counts: how many cases of each status and record, kept as they change (vault only)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 05:00:00

The case list first says how many cases it shows ("44,974 open cases"): counted, that
read an index entry per case — at 100,000 cases some 200 pages, each decrypted on the
first list after an unlock (4 ms where a plain file takes 1.5 ms).

- ``case_counts`` (status, cohort, n): the number of cases of each status and record
  (``cases.cohort``), kept by three triggers on ``cases`` (a case added, removed, or
  its status or record changed). The list counts All / Open / Closed cases of any
  record or of the CME record from it (``case_list.CaseList.count``); every other
  filter, and a search, still counts the cases themselves.

A vault (SQLite) only: on a team's PostgreSQL server every officer's save would update
the same few rows, one transaction waiting for another (and two in opposite orders
deadlocking); there the list counts as before.

The counts are filled from the cases as they are now. A later migration that rebuilds
the ``cases`` table (a copy and a rename, as Alembic's batch mode does) drops its
triggers with it and must create these again (``TRIGGERS``), as it must the search
triggers: the upgrade refuses a migration that loses a trigger. After each unlock the
counts are compared with the cases in the background and put right if they differ
(``health.correct_case_counts``).

Downgrade drops the triggers and the table.
"""

from __future__ import annotations

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

#: One more case of ``status`` and ``cohort`` (a row made for a pair not seen before).
_ADD = """INSERT INTO case_counts (status, cohort, n) VALUES ({row}.status, {row}.cohort, 1)
        ON CONFLICT (status, cohort) DO UPDATE SET n = n + 1"""
#: One fewer.
_REMOVE = """UPDATE case_counts SET n = n - 1
        WHERE status = {row}.status AND cohort = {row}.cohort"""

#: What keeps the counts: a migration that rebuilds ``cases`` runs these again after.
TRIGGERS = (
    f"""CREATE TRIGGER case_counts_ai AFTER INSERT ON cases BEGIN
        {_ADD.format(row="new")};
    END""",
    f"""CREATE TRIGGER case_counts_ad AFTER DELETE ON cases BEGIN
        {_REMOVE.format(row="old")};
    END""",
    f"""CREATE TRIGGER case_counts_au AFTER UPDATE OF status, cohort ON cases
        WHEN old.status IS NOT new.status OR old.cohort IS NOT new.cohort BEGIN
        {_REMOVE.format(row="old")};
        {_ADD.format(row="new")};
    END""",
)

STATEMENTS = (
    """CREATE TABLE case_counts (
        status VARCHAR(10) NOT NULL,
        cohort VARCHAR(8) NOT NULL,
        n INTEGER NOT NULL,
        PRIMARY KEY (status, cohort)
    ) WITHOUT ROWID""",
    """INSERT INTO case_counts (status, cohort, n)
        SELECT status, cohort, count(*) FROM cases GROUP BY status, cohort""",
    *TRIGGERS,
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for statement in STATEMENTS:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for trigger in ("case_counts_au", "case_counts_ad", "case_counts_ai"):
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.execute("DROP TABLE IF EXISTS case_counts")
