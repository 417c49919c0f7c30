"""closures: what closing a case needs on record, the case checklists, schools' returns

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 12:30:00

Closing a case is checked against the 2024 Regulations and the DfE's guidance
(``cases.closing``), which needs details the ``cases`` row has no column for.
Three new tables, so no existing table is rebuilt and no row, index or search
trigger is at stake:

- ``case_closures``: one row per case, the details of its latest closing (the
  receiving authority and the day it was told; where an untraceable child's case
  was passed on, and when).
- ``case_enquiries``: one row per checklist item of a case (the enquiries before
  a child is untraceable; the joint enquiries of the "20 school days" ground),
  one per case, checklist and item.
- ``school_returns``: schools' deletion and new pupil returns (regulation 13), on
  the case each was matched to or opened.

Existing rows: nothing is written. Cases closed before this revision have no
closing details; ``cases.closure_records.untraceable_still_missing`` counts a case
closed "untraceable" without recorded enquiries as still missing, as the DfE does.
Downgrade drops the three tables (and what was recorded in them).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_closures",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("receiving_authority", sa.String(length=200), nullable=False),
        sa.Column("authority_told_on", sa.Date(), nullable=True),
        sa.Column("passed_on_to", sa.String(length=40), nullable=False),
        sa.Column("passed_on_on", sa.Date(), nullable=True),
        sa.Column("passed_on_note", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_case_closures_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_case_closures")),
    )
    op.create_table(
        "case_enquiries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("checklist", sa.String(length=20), nullable=False),
        sa.Column("item", sa.String(length=40), nullable=False),
        sa.Column("made_on", sa.Date(), nullable=False),
        sa.Column("result", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_case_enquiries_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_enquiries")),
        sa.UniqueConstraint("case_id", "checklist", "item", name=op.f("uq_case_enquiries_case_id")),
    )
    op.create_index("ix_case_enquiries_case_id", "case_enquiries", ["case_id"], unique=False)
    op.create_table(
        "school_returns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("school", sa.String(length=200), nullable=False),
        sa.Column("ground", sa.String(length=4), nullable=False),
        sa.Column("on", sa.Date(), nullable=True),
        sa.Column("destination", sa.Text(), nullable=False),
        sa.Column("parents", sa.Text(), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("source_name", sa.String(length=300), nullable=False),
        sa.Column("source_row", sa.Integer(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_school_returns_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_school_returns")),
    )
    op.create_index("ix_school_returns_case_id", "school_returns", ["case_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_school_returns_case_id", table_name="school_returns")
    op.drop_table("school_returns")
    op.drop_index("ix_case_enquiries_case_id", table_name="case_enquiries")
    op.drop_table("case_enquiries")
    op.drop_table("case_closures")
