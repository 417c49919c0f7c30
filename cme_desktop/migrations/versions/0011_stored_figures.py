"""stored figures: closed quarters' figures kept as reported, and two dashboard indexes

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 12:30:00

- ``stored_figures``: a report's figures for one past period, worked out once
  (the first time they are asked for after the period's end) and kept, so a
  report over past quarters does not count every case again and a figure
  already reported stays as reported (``services.reports.stored_figures``).
  Counts only, no name.
- ``ix_cases_id_status`` (cases: id, status): the narrowest look-up of a case's
  status, for the dashboard's count of tasks due this week.
- ``ix_tasks_due_list`` (tasks: done_on, deleted_at, due_on, id, case_id): the
  tasks not done and not struck through, in the dashboard's order.

A new table and two indexes: no table is rebuilt, so no row and no search
trigger is at stake. Existing rows: nothing is written; past quarters' figures
are stored the first time a report asks for them. Downgrade drops the indexes and
the table (the figures are worked out again from the cases when asked).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

#: (table, index, columns) of the new indexes.
INDEXES: list[tuple[str, str, list[str]]] = [
    ("cases", "ix_cases_id_status", ["id", "status"]),
    ("tasks", "ix_tasks_due_list", ["done_on", "deleted_at", "due_on", "id", "case_id"]),
]


def upgrade() -> None:
    op.create_table(
        "stored_figures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report", sa.String(length=40), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("format", sa.Integer(), nullable=False),
        sa.Column("figures", sa.Text(), nullable=False),
        sa.Column("computed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stored_figures")),
        sa.UniqueConstraint("report", "period_start", name="uq_stored_figures_period"),
    )
    if op.get_bind().dialect.name == "postgresql":
        # On a shared server a manager's report keeps the figures too (services.server.roles:
        # managers otherwise only read).
        op.execute("GRANT INSERT ON stored_figures TO cme_manager")
    for table, name, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for table, name, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
    op.drop_table("stored_figures")
