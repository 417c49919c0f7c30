"""report reads and list pages: the reopened cases' timeline entries from a small index,
and the list's name order on PostgreSQL

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 03:00:00

Every report (the quarterly figures, the monthly save's statistics, the DfE return)
first finds the cases that were reopened, from the timeline entries the program writes
when a case is reopened ("Case reopened (was closed dd/mm/yyyy: …)"). Found by their
words, that read every timeline entry: 60–70 ms at 100,000 cases, in each report.

- ``ix_timeline_reopened`` (timeline: case_id, occurred_at, id), a partial index of
  those entries only (``REOPENED_WHERE``, the same words on both engines): a few rows,
  read in the reports' order. The reports ask with the very same condition
  (``reports.counting.reopened_spells``), which is what lets SQLite and PostgreSQL
  use a partial index.

On PostgreSQL only, the case list's name order as PostgreSQL sorts it (empty names
first, as SQLite puts them: ``case_list._NullsAsSqlite``), then the id:

- ``ix_cases_pg_name`` (surname_key, full_name, id) for "All cases";
- ``ix_cases_pg_status_name`` (status, surname_key, full_name, id) for open or closed
  cases.

The indexes of 0003/0006 give SQLite that order; on PostgreSQL their NULLS LAST order
is not the list's, so a page was sorted from every matching case (~100 ms at 100,000
cases); with these a page stops after its rows. A vault (SQLite) does not get them.

Indexes only: no table is rebuilt, no row written. Downgrade drops them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

#: Written out, as a migration never changes (``models.records.REOPENED_WHERE``).
REOPENED_WHERE = "kind IN ('note', 'system') AND summary LIKE 'Case reopened (was closed %'"


#: PostgreSQL's list-order indexes: (name, columns in order).
PG_LIST_INDEXES = (
    ("ix_cases_pg_name", "surname_key NULLS FIRST, full_name NULLS FIRST, id"),
    ("ix_cases_pg_status_name", "status, surname_key NULLS FIRST, full_name NULLS FIRST, id"),
)


def upgrade() -> None:
    op.create_index(
        "ix_timeline_reopened",
        "timeline",
        ["case_id", "occurred_at", "id"],
        unique=False,
        sqlite_where=sa.text(REOPENED_WHERE),
        postgresql_where=sa.text(REOPENED_WHERE),
    )
    if op.get_bind().dialect.name == "postgresql":
        for name, columns in PG_LIST_INDEXES:
            op.execute(f"CREATE INDEX {name} ON cases ({columns})")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name, _columns in PG_LIST_INDEXES:
            op.execute(f"DROP INDEX IF EXISTS {name}")
    op.drop_index("ix_timeline_reopened", table_name="timeline")
