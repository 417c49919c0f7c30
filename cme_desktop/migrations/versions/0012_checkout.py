"""checkout: cases checked out to a laptop vault and checked back in

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 17:30:00

- ``checkouts``: one row per checkout of cases for home visits — on the shared server,
  who took them and when, and when they came back; in the field vault (the laptop's
  encrypted vault), which server and database they came from
  (``services.server.checkout``).
- ``checkout_records``: each record of those cases as it left the server — its table,
  key, case, version and a fingerprint of its fields; in the field vault also the
  fields themselves, so the check-in can tell what was changed offline and what was
  changed on the server meanwhile.

- ``ix_cases_owner_name`` (cases: owner, status, surname_key, full_name): an officer's
  own cases ("Mine only") in the list's name order, from the index, rather than every
  case read and sorted (on a vault every owner is "", and the index is not used). On
  PostgreSQL the names are indexed with empty ones first and the id last, the list's
  order there, so a page stops after its rows.

Two new tables and an index: no table is rebuilt, so no row and no search trigger is at
stake. Existing rows: nothing is written; nothing is checked out until an officer does.

On PostgreSQL, the team reads every checkout (a colleague sees that a case is "checked
out to jsmith since …"); only an officer takes cases out and only in their own name,
and only they close their own checkout (row-level security on the login, which the
database checks against ``session_user``). Nobody deletes a checkout: it is part of the
record of who had the cases.

Downgrade drops both tables (the policies go with them); a checkout still open is then
forgotten, and its field vault can no longer be checked in.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

OWNER_INDEX = ("owner", "status", "surname_key", "full_name")
_TEAM = "cme_officer, cme_administrator, cme_manager"
_MINE = "login = session_user"
#: The grants and policies on the server: the default privileges of 0010 would give
#: administrators and officers every right on a new table.
PG_SECURITY = (
    f"REVOKE ALL ON checkouts, checkout_records FROM {_TEAM}",
    f"GRANT SELECT ON checkouts, checkout_records TO {_TEAM}",
    "GRANT INSERT ON checkouts, checkout_records TO cme_officer",
    "GRANT UPDATE (checked_in_at) ON checkouts TO cme_officer",
    "ALTER TABLE checkouts ENABLE ROW LEVEL SECURITY",
    f"CREATE POLICY cme_team_reads ON checkouts FOR SELECT TO {_TEAM} USING (true)",
    f"CREATE POLICY cme_officer_takes ON checkouts FOR INSERT TO cme_officer WITH CHECK ({_MINE})",
    "CREATE POLICY cme_officer_returns ON checkouts FOR UPDATE TO cme_officer "
    f"USING ({_MINE}) WITH CHECK ({_MINE})",
    "ALTER TABLE checkout_records ENABLE ROW LEVEL SECURITY",
    f"CREATE POLICY cme_team_reads ON checkout_records FOR SELECT TO {_TEAM} USING (true)",
    "CREATE POLICY cme_officer_takes ON checkout_records FOR INSERT TO cme_officer "
    "WITH CHECK (EXISTS (SELECT 1 FROM checkouts c WHERE c.id = checkout_id "
    f"AND c.{_MINE} AND c.checked_in_at IS NULL))",
)


def upgrade() -> None:
    op.create_table(
        "checkouts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("login", sa.String(length=63), nullable=False),
        sa.Column("server", sa.String(length=400), nullable=False),
        sa.Column("remote_id", sa.Integer(), nullable=True),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("checked_out_at", sa.DateTime(), nullable=False),
        sa.Column("checked_in_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkouts")),
    )
    op.create_index("ix_checkouts_token", "checkouts", ["token"], unique=False)
    op.create_table(
        "checkout_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("checkout_id", sa.Integer(), nullable=False),
        sa.Column("record", sa.String(length=40), nullable=False),
        sa.Column("record_key", sa.String(length=200), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("original", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["checkout_id"],
            ["checkouts.id"],
            name=op.f("fk_checkout_records_checkout_id_checkouts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkout_records")),
        sa.UniqueConstraint(
            "checkout_id", "record", "record_key", name=op.f("uq_checkout_records_checkout_id")
        ),
    )
    op.create_index(
        "ix_checkout_records_checkout_id", "checkout_records", ["checkout_id"], unique=False
    )
    op.create_index("ix_checkout_records_case_id", "checkout_records", ["case_id"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        # In the list's order there: empty names first (as SQLite sorts them), then the id.
        op.execute(
            "CREATE INDEX ix_cases_owner_name ON cases "
            "(owner, status, surname_key NULLS FIRST, full_name NULLS FIRST, id)"
        )
    else:
        op.create_index("ix_cases_owner_name", "cases", list(OWNER_INDEX), unique=False)
    if op.get_bind().dialect.name == "postgresql":
        for statement in PG_SECURITY:
            op.execute(statement)


def downgrade() -> None:
    op.drop_index("ix_cases_owner_name", table_name="cases")
    op.drop_index("ix_checkout_records_case_id", table_name="checkout_records")
    op.drop_index("ix_checkout_records_checkout_id", table_name="checkout_records")
    op.drop_table("checkout_records")
    op.drop_index("ix_checkouts_token", table_name="checkouts")
    op.drop_table("checkouts")
