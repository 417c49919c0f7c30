"""surname: the case list's name column sorts by surname, then the whole name

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 11:00:00

People are looked up by surname, so the list's name order is the surname (the
last word of the name: ``Fairweather-Smith`` in ``Finn Fairweather-Smith``),
then the whole name. ``cases.surname_key`` holds it, set with the name by the
model (``Case.surname_key``) and filled here for the cases already kept. A plain
column with plain indexes: a later batch migration that rebuilds ``cases`` keeps
both. A plain ADD COLUMN: no table is rebuilt, so no row and no search trigger
is at stake. The indexes that gave the name order (migration 0003) are made
again with the surname first, under the same names.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# As ``models.records.surname_of`` reads a name: the text after the last space of the
# trimmed name (``rtrim`` with every character of the name but the space strips back to
# that space); the whole name when it is one word.
_SURNAME_SQL = (
    "substr(trim(full_name), length(rtrim(trim(full_name), replace(trim(full_name), ' ', ''))) + 1)"
)
_LIST_FLAGS = [
    "next_task_due",
    "last_visit_on",
    "whereabouts_unknown",
    "escalated_police",
    "escalated_social_care",
]
#: (name, columns before, columns after) of each index made again.
CHANGED_INDEXES: list[tuple[str, list[str], list[str]]] = [
    (
        "ix_cases_list_name",
        ["status", "full_name", *_LIST_FLAGS],
        ["status", "surname_key", "full_name", *_LIST_FLAGS],
    ),
    ("ix_cases_name", ["full_name"], ["surname_key", "full_name"]),
    (
        "ix_cases_status_step_name",
        ["status", "current_step", "full_name"],
        ["status", "current_step", "surname_key", "full_name"],
    ),
]


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None, recreate="never") as batch_op:
        batch_op.add_column(
            sa.Column(
                "surname_key",
                # No length: SQLite reckons an index's width from declared lengths.
                sa.String(collation="NOCASE"),
                server_default=sa.text("''"),
                nullable=False,
            )
        )
    op.execute(f"UPDATE cases SET surname_key = {_SURNAME_SQL}")
    for name, _before, after in CHANGED_INDEXES:
        op.drop_index(name, table_name="cases")
        op.create_index(name, "cases", after, unique=False)


def downgrade() -> None:
    for name, before, _after in reversed(CHANGED_INDEXES):
        op.drop_index(name, table_name="cases")
        op.create_index(name, "cases", before, unique=False)
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("surname_key")
