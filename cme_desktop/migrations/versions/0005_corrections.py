"""corrections: timeline entries and tasks can be edited and struck through

Revision ID: 0005
Revises: 0003
Create Date: 2026-12-05 10:00:00

A case's history is corrected, never erased: an entry or a task the officer
deletes stays in its table, marked with when and why (``deleted_at``,
``deleted_reason``), and is shown struck through; an edited one carries
``edited_at``. New nullable or defaulted columns only: no table is rebuilt, so
the search triggers and every row stay as they are.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0003"
branch_labels = None
depends_on = None

#: The tables that gain the correction columns.
TABLES = ("timeline", "tasks")


def upgrade() -> None:
    for table in TABLES:
        op.add_column(table, sa.Column("edited_at", sa.DateTime(), nullable=True))
        op.add_column(table, sa.Column("deleted_at", sa.DateTime(), nullable=True))
        op.add_column(
            table,
            sa.Column("deleted_reason", sa.Text(), server_default=sa.text("''"), nullable=False),
        )


def downgrade() -> None:
    for table in reversed(TABLES):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("deleted_reason")
            batch.drop_column("deleted_at")
            batch.drop_column("edited_at")
