"""retention: each case's retention review, extension and erasure

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 12:30:00

A closed case is kept until the retention rule (Settings; ``cases.retention``)
says it is due for review; the officer then erases it or keeps it longer with a
reason. ``cases`` gains ``retain_until`` (a date the officer extended the
retention to; NULL = the rule alone), ``retention_reason`` (why it was kept
longer; '' = never extended) and ``erased_on`` (the day its personal data was
erased; NULL = not erased). Plain ADD COLUMN: no table is rebuilt, so no row,
index or search trigger is at stake.

Existing rows: every case is left under the rule alone and not erased (NULL,
'', NULL), so cases already past the rule appear in the review queue at the
first look. Downgrade drops the three columns; a case erased before the
downgrade stays erased (its personal data is gone), it is just no longer marked.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column("retain_until", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column("retention_reason", sa.Text(), server_default=sa.text("''"), nullable=False)
        )
        batch_op.add_column(sa.Column("erased_on", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("erased_on")
        batch_op.drop_column("retention_reason")
        batch_op.drop_column("retain_until")
