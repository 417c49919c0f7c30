"""case counts by step and flag: the kept counts answer the quick filters and the dashboard

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 21:00:00

Migration 0015 keeps the number of cases of each status and record. The list's other
quick filters ("Escalated", "Not yet visited", "Whereabouts unknown"), a tracking step
chosen on the dashboard, and the dashboard's open cases by step still counted the cases
themselves: an index entry per open case (at 100,000 cases 2-3 ms each, where the kept
counts take 0.3 ms at any size).

- ``case_counts`` is kept by status, record (``cohort``), tracking step
  (``current_step``) and three flags: escalated (to the police or to social care, as
  the list's filter asks: ``= 1``), whereabouts unknown (``= 1``) and visited (a last
  visit recorded). At most 2 x 3 x 9 x 2 x 2 x 2 rows, whatever the number of cases.
- The same three triggers on ``cases`` (same names) keep it: a case added, removed, or
  any of those columns changed.

The counts are filled from the cases as they are now. As for 0015, a later migration
that rebuilds ``cases`` must create the triggers again (``TRIGGERS``); the upgrade
refuses one that loses a trigger, and the check after each unlock puts the counts
right if they ever differ from the cases (``health.correct_case_counts``).

A vault (SQLite) only, for 0015's reason. Downgrade puts back 0015's table and triggers.
"""

from __future__ import annotations

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

#: The kept columns: name, type, what each is of a case ``{row}`` in the list's own terms
#: (``case_list._conditions``: a boolean column counts as set when it is 1), and the
#: columns of ``cases`` it is made of. 0015 kept the first two.
KEYS = (
    ("status", "VARCHAR(10)", "{row}.status", ("status",)),
    ("cohort", "VARCHAR(8)", "{row}.cohort", ("cohort",)),
    ("step", "INTEGER", "{row}.current_step", ("current_step",)),
    (
        "escalated",
        "BOOLEAN",
        "({row}.escalated_police = 1 OR {row}.escalated_social_care = 1)",
        ("escalated_police", "escalated_social_care"),
    ),
    ("unknown", "BOOLEAN", "({row}.whereabouts_unknown = 1)", ("whereabouts_unknown",)),
    ("visited", "BOOLEAN", "({row}.last_visit_on IS NOT NULL)", ("last_visit_on",)),
)
_Keys = tuple[tuple[str, str, str, tuple[str, ...]], ...]


def _of(keys: _Keys, row: str) -> list[str]:
    return [value.format(row=row) for _, _, value, _ in keys]


def counted(keys: _Keys = KEYS) -> str:
    """The counts as counting the cases gives them, to fill the table. (The check after an
    unlock, ``health.correct_case_counts``, writes the same query out itself: a migration
    is frozen, and the application imports none.)"""
    values = ", ".join(_of(keys, "cases"))
    return f"SELECT {values}, count(*) FROM cases GROUP BY {values}"


def triggers(keys: _Keys = KEYS) -> tuple[str, ...]:
    """What keeps the counts: a migration that rebuilds ``cases`` runs these again after."""
    names = ", ".join(name for name, *_ in keys)

    def add(row: str) -> str:  # one more case of its kind (a row made for a new kind)
        return (
            f"INSERT INTO case_counts ({names}, n) VALUES ({', '.join(_of(keys, row))}, 1) "
            f"ON CONFLICT ({names}) DO UPDATE SET n = n + 1"
        )

    def remove(row: str) -> str:  # one fewer
        match = " AND ".join(
            f"{name} = {value}" for (name, *_), value in zip(keys, _of(keys, row), strict=True)
        )
        return f"UPDATE case_counts SET n = n - 1 WHERE {match}"

    watched = ", ".join(column for *_, columns in keys for column in columns)
    changed = " OR ".join(
        f"{old} IS NOT {new}" for old, new in zip(_of(keys, "old"), _of(keys, "new"), strict=True)
    )
    return (
        f"CREATE TRIGGER case_counts_ai AFTER INSERT ON cases BEGIN {add('new')}; END",
        f"CREATE TRIGGER case_counts_ad AFTER DELETE ON cases BEGIN {remove('old')}; END",
        f"""CREATE TRIGGER case_counts_au AFTER UPDATE OF {watched} ON cases
            WHEN {changed} BEGIN {remove("old")}; {add("new")}; END""",
    )


TRIGGERS = triggers()


def _statements(keys: _Keys) -> tuple[str, ...]:
    columns = ", ".join(f"{name} {kind} NOT NULL" for name, kind, *_ in keys)
    names = ", ".join(name for name, *_ in keys)
    return (
        f"""CREATE TABLE case_counts ({columns}, n INTEGER NOT NULL,
            PRIMARY KEY ({names})) WITHOUT ROWID""",
        f"INSERT INTO case_counts ({names}, n) {counted(keys)}",
        *triggers(keys),
    )


def _drop() -> None:
    for trigger in ("case_counts_au", "case_counts_ad", "case_counts_ai"):
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.execute("DROP TABLE IF EXISTS case_counts")


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    _drop()
    for statement in _statements(KEYS):
        op.execute(statement)


def downgrade() -> None:
    """Back to 0015's counts: by status and record only."""
    if op.get_bind().dialect.name != "sqlite":
        return
    _drop()
    for statement in _statements(KEYS[:2]):
        op.execute(statement)
