"""list rows: the open (or closed) cases' rows in name order, in one index (vault only)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 11:00:00

After an unlock the list first shows open cases by name. Its first page read each of
its 64 cases from the table: 64 scattered pages, each decrypted on a connection just
opened (at 100,000 cases about 1 ms of a 6 ms first list, where a plain file takes
0.3 ms), and again on every page down over a cold cache.

- ``ix_cases_list_rows`` (status, surname_key, full_name, id, then every other column
  the list shows), partial on a condition every case meets but only the list's page
  states (``ONLY_WHEN_ASKED``): a page of open or closed cases by name, near the top
  of the list, is read from this index alone, a few pages for 64 rows
  (``case_list._page_of``). Deeper down, skipping its wide entries would cost more than
  the rows: those pages are read as before, their ids from ``ix_cases_list_name``.

A vault (SQLite) only: a server reads plain pages from its shared buffers, and a wider
index would cost every officer's save there for little.

An index only: no table is rebuilt, no row written. Downgrade drops it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

#: The index's condition: true of every case (a name's surname is text, never NULL, and
#: no text sorts before the empty one), but SQLite uses a partial index only for a query
#: that states its condition, and only the list's page does (``case_list._page_of``).
#: Any other query that could be answered from so wide an index (a date of birth
#: searched among open cases, say) is left to the narrow index made for it. ("IS NOT
#: NULL" would not do: SQLite drops it from a query on a NOT NULL column.)
ONLY_WHEN_ASKED = "surname_key >= ''"

#: The name order's columns, then every column the list shows (``case_list._ROW_COLUMNS``),
#: written out, as a migration never changes.
COLUMNS = (
    "status",
    "surname_key",
    "full_name",
    "id",
    "aka",
    "date_of_birth",
    "last_known_address",
    "school",
    "current_step",
    "opened_on",
    "closed_on",
    "next_task_due",
    "escalated_police",
    "escalated_social_care",
    "whereabouts_unknown",
    "last_visit_on",
    "upn",
    "owner",
    "cohort",
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.create_index(
        "ix_cases_list_rows",
        "cases",
        list(COLUMNS),
        unique=False,
        sqlite_where=sa.text(ONLY_WHEN_ASKED),
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.drop_index("ix_cases_list_rows", table_name="cases")
