"""report reads: the reopened cases' timeline entries from a small index

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

An index only: no table is rebuilt, no row written. Downgrade drops it.
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


def upgrade() -> None:
    op.create_index(
        "ix_timeline_reopened",
        "timeline",
        ["case_id", "occurred_at", "id"],
        unique=False,
        sqlite_where=sa.text(REOPENED_WHERE),
        postgresql_where=sa.text(REOPENED_WHERE),
    )


def downgrade() -> None:
    op.drop_index("ix_timeline_reopened", table_name="timeline")
