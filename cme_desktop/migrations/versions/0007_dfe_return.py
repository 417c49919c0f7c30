"""DfE return: each case's sex, DfE primary reason and the day CME was confirmed

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 12:30:00

The DfE's termly return counts a child by sex (female / male / unknown), by the
DfE's primary reason, and only once CME is confirmed (checks done, no school
place, no suitable education). ``cases`` gains ``sex`` (a key of
``reports.dfe_codes.SEXES``; '' = not recorded), ``dfe_reason`` (a DfE reason
code; '' = not recorded) and ``cme_confirmed_on`` (a date; NULL = still being
checked). Plain ADD COLUMN with defaults: no table is rebuilt, so no row, index
or search trigger is at stake.

Existing rows: the free-text ``gender`` is kept as typed and read into ``sex``
with the obvious mapping (F, Female, Girl -> female; M, Male, Boy -> male;
anything else typed -> not known, which the case workspace shows beside what was
typed, for review; nothing typed -> not recorded). The reason and the confirmed
date are left empty: the officer records them, and the return lists the cases it
counts that still lack them. Downgrade drops the three columns (``gender`` was
never changed).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# As ``reports.dfe_codes.sex_from_gender`` reads the usual words, in SQL.
_GENDER = "lower(trim(replace(gender, '.', '')))"
_SEX_SQL = (
    f"CASE WHEN {_GENDER} IN ('f', 'female', 'girl') THEN 'female' "
    f"WHEN {_GENDER} IN ('m', 'male', 'boy') THEN 'male' "
    f"WHEN {_GENDER} IN ('other', 'non-binary', 'nonbinary') THEN 'other' "
    f"WHEN {_GENDER} = '' THEN '' ELSE 'not_known' END"
)


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None, recreate="never") as batch_op:
        batch_op.add_column(
            sa.Column("sex", sa.String(length=12), server_default=sa.text("''"), nullable=False)
        )
        batch_op.add_column(
            sa.Column(
                "dfe_reason", sa.String(length=12), server_default=sa.text("''"), nullable=False
            )
        )
        batch_op.add_column(sa.Column("cme_confirmed_on", sa.Date(), nullable=True))
    op.execute(f"UPDATE cases SET sex = {_SEX_SQL}")


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("cme_confirmed_on")
        batch_op.drop_column("dfe_reason")
        batch_op.drop_column("sex")
