"""list indexes: the case list's filters, sorts and search read from indexes alone

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05 09:00:00

Each quick filter and each header's order of the case list is answered from an
index, so showing the list costs a count and one page whatever the number of
cases; a search looks its full-text matches up in a narrow index led by the
case id; the dashboard counts due tasks from an index; the reports read a
narrow index holding the columns they count. Indexes only: no table
is rebuilt, so no row and no search trigger is at stake. Plain columns only (no
expression, no descending column), so that a later batch migration that
rebuilds ``cases`` keeps them as they are.
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_LIST_FLAGS = [
    "next_task_due",
    "last_visit_on",
    "whereabouts_unknown",
    "escalated_police",
    "escalated_social_care",
]
# As ``models.records.REPORT_COLUMNS`` today; written out, as a migration never changes.
_REPORT_COLUMNS = [
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
#: (name, columns) of the new indexes on ``cases``.
CASE_INDEXES: list[tuple[str, list[str]]] = [
    ("ix_cases_list_name", ["status", "full_name", *_LIST_FLAGS]),
    ("ix_cases_name", ["full_name"]),
    ("ix_cases_status_step_name", ["status", "current_step", "full_name"]),
    ("ix_cases_status_dob", ["status", "date_of_birth"]),
    ("ix_cases_status_address", ["status", "last_known_address"]),
    ("ix_cases_status_school", ["status", "school"]),
    ("ix_cases_status_opened", ["status", "opened_on"]),
    ("ix_cases_status_escalation", ["status", "escalated_police", "escalated_social_care"]),
    ("ix_cases_by_id", ["id", "status", "full_name", *_LIST_FLAGS, "current_step"]),
    ("ix_cases_status_next_task", ["status", "next_task_due"]),
    # The reports' passes over all cases read this narrow copy of their columns.
    ("ix_cases_report", _REPORT_COLUMNS),
]


def upgrade() -> None:
    # The wide name index takes the place of (status, full_name), which it begins with.
    op.drop_index("ix_cases_status_name", table_name="cases")
    for name, columns in CASE_INDEXES:
        op.create_index(name, "cases", columns, unique=False)
    op.drop_index("ix_tasks_open_due", table_name="tasks")
    op.create_index(
        "ix_tasks_open_due_case", "tasks", ["done_on", "due_on", "case_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_tasks_open_due_case", table_name="tasks")
    op.create_index("ix_tasks_open_due", "tasks", ["done_on", "due_on"], unique=False)
    for name, _columns in reversed(CASE_INDEXES):
        op.drop_index(name, table_name="cases")
    op.create_index("ix_cases_status_name", "cases", ["status", "full_name"], unique=False)
