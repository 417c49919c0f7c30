"""The records a checkout carries, and how one row is compared at both ends.

A case goes out with everything an officer needs on a visit: its family, groups,
addresses, carers, tracking steps, timeline, tasks, agency referrals, meetings,
escalation decisions, referral forms' fields and its closing details. Attachments (the
forms as received, often megabytes) stay on the server: they are not needed on a
doorstep, and a lost laptop then holds less; a referral's link to its attachment is
left empty in the field vault and never sent back.

Each row is compared by its *fields*: every column but its key and what the
application keeps itself (the row version, the case list's columns, ``updated_at``),
written out one way (``fields_of``) so that the vault's SQLite and the server's
PostgreSQL give the same values.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, Connection, Table, select
from sqlalchemy.orm import Session

from cme_desktop.models import (
    Address,
    AgencyReferral,
    Carer,
    Case,
    CaseClosure,
    CaseEnquiry,
    CaseGroup,
    Escalation,
    Family,
    Meeting,
    Referral,
    SchoolReturn,
    StepProgress,
    Task,
    TimelineEntry,
)

#: The models of a case's records a checkout carries, parents first.
FIELD_MODELS: tuple[Any, ...] = (
    Family,
    Case,
    CaseGroup,
    Address,
    Carer,
    StepProgress,
    TimelineEntry,
    Task,
    AgencyReferral,
    Meeting,
    Escalation,
    Referral,
    CaseClosure,
    CaseEnquiry,
    SchoolReturn,
)
#: Their tables' names, in that order.
FIELD_TABLES = (
    "families",
    "cases",
    "case_groups",
    "addresses",
    "carers",
    "step_progress",
    "timeline",
    "tasks",
    "agency_referrals",
    "meetings",
    "escalations",
    "referrals",
    "case_closures",
    "case_enquiries",
    "school_returns",
)
#: Columns never compared nor sent back: kept by the application on each save (and
#: worked out again on the server after a check-in), or not carried at all.
NOT_COMPARED: dict[str, frozenset[str]] = {
    "cases": frozenset(
        {"version", "updated_at", "current_step", "next_task_due", "last_visit_on", "owner"}
    ),
    "referrals": frozenset({"attachment_id", "updated_at"}),
}
#: Tables whose rows carry a ``version`` moved on by each save (``server.concurrency``).
VERSIONED = frozenset({"cases", "carers", "timeline", "tasks"})
#: How many keys one ``IN (...)`` names.
CHUNK = 500

Fields = dict[str, Any]


def field_tables() -> list[Table]:
    """The ``Table`` of each name in ``FIELD_TABLES``, in that order."""
    return [model.__table__ for model in FIELD_MODELS]


def has_surrogate_key(table: Table) -> bool:
    """True when the row's key is a number the database draws (``id``)."""
    keys = list(table.primary_key.columns)
    return len(keys) == 1 and keys[0].name == "id"


def key_of(table: Table, row: Mapping[str, Any]) -> str:
    """The row's primary key as text: its values joined by "/" (``12``, ``12/at_risk``)."""
    return "/".join(str(row[c.name]) for c in table.primary_key.columns)


def compared_columns(table: Table) -> list[Column[Any]]:
    """The columns that are the row's fields: not its key, not the application's own."""
    left_out = NOT_COMPARED.get(table.name, frozenset()) | {"version"}
    keys = {c.name for c in table.primary_key.columns}
    return [c for c in table.columns if c.name not in left_out and c.name not in keys]


def _canonical(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return "sha256:" + hashlib.sha256(bytes(value)).hexdigest()
    if isinstance(value, dict | list):
        return json.loads(json.dumps(value, sort_keys=True))
    return value


def fields_of(table: Table, row: Mapping[str, Any]) -> Fields:
    """The row's fields, as JSON values written out the same way on both engines."""
    return {c.name: _canonical(row[c.name]) for c in compared_columns(table)}


def fingerprint(fields: Fields) -> str:
    """SHA-256 over the fields (``fields_of``)."""
    text = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def differing(first: Fields, second: Fields) -> tuple[str, ...]:
    """The names of the fields whose values differ, in the table's order."""
    return tuple(name for name in first if first.get(name) != second.get(name))


def rows_of_cases(
    conn: Session | Connection,
    table: Table,
    case_ids: Sequence[int],
    *,
    family_ids: Iterable[int] = (),
) -> dict[str, dict[str, Any]]:
    """Every row of ``table`` belonging to ``case_ids``, by ``key_of``.

    ``families`` has no case: its rows are the ones named by ``family_ids``.
    """
    if table.name == "families":
        wanted, column = sorted(set(family_ids)), table.c.id
    elif table.name == "cases":
        wanted, column = sorted(set(case_ids)), table.c.id
    else:
        wanted, column = sorted(set(case_ids)), table.c.case_id
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(wanted), CHUNK):
        part = wanted[start : start + CHUNK]
        for row in conn.execute(select(table).where(column.in_(part))).mappings():
            values = dict(row)
            found[key_of(table, values)] = values
    return found


def all_rows(conn: Session | Connection, table: Table) -> dict[str, dict[str, Any]]:
    """Every row of ``table`` (a field vault holds only what was checked out), by key."""
    rows = [dict(row) for row in conn.execute(select(table)).mappings()]
    return {key_of(table, row): row for row in rows}
