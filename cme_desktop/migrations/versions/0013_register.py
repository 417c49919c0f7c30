"""register: the children-not-in-school register beside the CME record

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 17:30:00

The register of children not in school (Education Act 1996 s.436B–436G) is kept in
the same vault and the same case list as the CME record: one child, one row of
``cases`` (``models.register``).

- ``cases.cohort``: which record the row holds, ``cme``, ``cnis`` (on the register,
  never a CME case) or ``both``. A plain ADD COLUMN defaulting to ``'cme'``, on both
  engines: no table is rebuilt, so no row and no search trigger is at stake, and
  every case already kept is a CME case, as it was.
- ``ix_cases_cohort_name`` (cases: cohort, status, surname_key, full_name, then
  current_step, next_task_due, notified_on): the list's cohort filter, in name order,
  from the index; the dashboard takes the children only on the register off its
  figures by reading this index alone, whatever the size of the vault.
- ``ix_cases_report`` is made again with ``cohort`` last: the CME figures leave out
  the children only on the register and still read the narrow index, not the rows.
- ``register_entries`` (one per child on, or once on, the register: eligibility,
  the optional prescribed information), ``register_parents``, ``register_providers``
  and ``register_events``, each tied to its case (deleted with it).

New tables and an index: existing rows are left as they are; nobody is on the
register until an officer puts them there.

On PostgreSQL (a shared server), the new tables are the record like the case's other
details: officers and administrators write them, managers read them, and each gets
the row-level security of a case's details (``services.server.roles.case_table_sql``:
administrators write the rows of open cases only).

Downgrade drops the tables (the register's content is lost: take a backup first, as
the program does before every upgrade), the cohort index, makes the report index as it
was, and drops the column by rebuilding ``cases`` in a batch, as 0010's downgrade does.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

#: The register's tables, in the order they are made (each with ``case_id``).
TABLES = ("register_entries", "register_parents", "register_providers", "register_events")
COHORT_INDEX = (
    "ix_cases_cohort_name",
    [
        "cohort",
        "status",
        "surname_key",
        "full_name",
        "current_step",
        "next_task_due",
        "notified_on",
    ],
)
# ``ix_cases_report`` before and after: written out, as a migration never changes.
_REPORT_BEFORE = [
    "notified_on",
    "opened_on",
    "closed_on",
    "status",
    "date_of_birth",
    "closing_outcome",
    "identification_route",
    "referring_agency",
    "reason_missing",
    "gender",
    "date_last_attended",
    "school",
    "new_school",
    "full_name",
    "current_step",
    "whereabouts_unknown",
]
_REPORT_AFTER = [*_REPORT_BEFORE, "cohort"]


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None, recreate="never") as batch_op:
        batch_op.add_column(
            sa.Column(
                "cohort", sa.String(length=8), server_default=sa.text("'cme'"), nullable=False
            )
        )
    op.create_index(COHORT_INDEX[0], "cases", COHORT_INDEX[1], unique=False)
    op.drop_index("ix_cases_report", table_name="cases")
    op.create_index("ix_cases_report", "cases", _REPORT_AFTER, unique=False)
    op.create_table(
        "register_entries",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=3), nullable=False),
        sa.Column("registered_on", sa.Date(), nullable=False),
        sa.Column("left_on", sa.Date(), nullable=True),
        sa.Column("left_reason", sa.String(length=40), nullable=False),
        sa.Column("left_note", sa.Text(), nullable=False),
        sa.Column("lives_in_area", sa.String(length=8), nullable=False),
        sa.Column("school_status", sa.String(length=24), nullable=False),
        sa.Column("arrangement", sa.String(length=40), nullable=False),
        sa.Column("school", sa.String(length=200), nullable=False),
        sa.Column("optional_info", sa.Text(), server_default=sa.text("'{}'"), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_register_entries_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_register_entries")),
    )
    op.create_table(
        "register_parents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("home_address", sa.Text(), nullable=False),
        sa.Column("provides_education", sa.Boolean(), nullable=False),
        sa.Column("hours_per_week", sa.Float(), nullable=True),
        sa.Column("carer_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["carer_id"],
            ["carers.id"],
            name=op.f("fk_register_parents_carer_id_carers"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_register_parents_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_register_parents")),
    )
    op.create_index(op.f("ix_register_parents_case_id"), "register_parents", ["case_id"])
    op.create_index(op.f("ix_register_parents_carer_id"), "register_parents", ["carer_id"])
    op.create_table(
        "register_providers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("mode", sa.String(length=12), nullable=False),
        sa.Column("hours_per_week", sa.Float(), nullable=True),
        sa.Column("hours_without_parent", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_register_providers_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_register_providers")),
    )
    op.create_index(op.f("ix_register_providers_case_id"), "register_providers", ["case_id"])
    op.create_table(
        "register_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("due", sa.Date(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_register_events_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["tasks.id"],
            name=op.f("fk_register_events_task_id_tasks"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_register_events")),
    )
    op.create_index("ix_register_events_case_on", "register_events", ["case_id", "on"])
    op.create_index(op.f("ix_register_events_task_id"), "register_events", ["task_id"])
    if op.get_bind().dialect.name == "postgresql":
        from cme_desktop.services.server import roles

        schema = str(op.get_bind().execute(sa.text("SELECT current_schema()")).scalar_one())
        writers = f"{roles.OFFICER}, {roles.ADMINISTRATOR}"
        for table in TABLES:
            op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {writers}")
            op.execute(f"GRANT SELECT ON {table} TO {roles.MANAGER}")
            for statement in roles.case_table_sql(schema, table):
                op.execute(statement)
        quoted = '"' + schema.replace('"', '""') + '"'
        # The serial ids of the new tables are drawn by whoever inserts.
        op.execute(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA {quoted} TO {writers}")


def downgrade() -> None:
    # Dropping a table drops its policies and grants with it.
    op.drop_index(op.f("ix_register_events_task_id"), table_name="register_events")
    op.drop_index("ix_register_events_case_on", table_name="register_events")
    op.drop_table("register_events")
    op.drop_index(op.f("ix_register_providers_case_id"), table_name="register_providers")
    op.drop_table("register_providers")
    op.drop_index(op.f("ix_register_parents_carer_id"), table_name="register_parents")
    op.drop_index(op.f("ix_register_parents_case_id"), table_name="register_parents")
    op.drop_table("register_parents")
    op.drop_table("register_entries")
    op.drop_index(COHORT_INDEX[0], table_name="cases")
    op.drop_index("ix_cases_report", table_name="cases")
    op.create_index("ix_cases_report", "cases", _REPORT_BEFORE, unique=False)
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("cohort")
