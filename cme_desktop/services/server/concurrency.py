"""Two officers, one record: a save of a version someone else has moved on is refused.

Cases, carers, timeline entries and tasks carry a ``version`` (SQLAlchemy's
``version_id_col``): an UPDATE names the version it read and moves it on, so a save
made from an older reading matches no row and nothing is overwritten. What the officer
is then told comes from the audit log: who changed the case last, when, and which of
its fields (``ChangedElsewhere``), so the workspace can offer to reload or to keep
their own edits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from cme_desktop.models import AuditEvent
from cme_desktop.services.cases.detail import CaseDraft
from cme_desktop.services.errors import ChangedElsewhere
from cme_desktop.services.vault.database import UnitOfWork

#: What an audit row's action says was done, for the actions that change a case.
_READS = ("case_read", "list_read", "list_exported")
_TABLE = re.compile(r"on table '([^']+)'")
#: The record each versioned table holds, as the officer calls it.
RECORDS = {"cases": "case", "carers": "carer", "timeline": "timeline entry", "tasks": "task"}


@dataclass(frozen=True)
class LastChange:
    """The newest changes to one case in the audit log."""

    actor: str
    at: datetime | None
    fields: tuple[str, ...]


def last_change(session: Session, case_id: int, *, changes: int = 1) -> LastChange:
    """Who made the newest ``changes`` changes to case ``case_id``, when, and to what.

    ``fields``: the fields named by those changes (``fields=a,b`` in their detail), else
    their actions. Reads of the case are not changes and are passed over.
    """
    rows = session.execute(
        select(AuditEvent.actor, AuditEvent.at, AuditEvent.action, AuditEvent.detail)
        .where(
            AuditEvent.entity == "case",
            AuditEvent.entity_id == case_id,
            AuditEvent.action.not_in(_READS),
        )
        .order_by(AuditEvent.id.desc())
        .limit(max(1, changes))
    ).all()
    if not rows:
        return LastChange(actor="", at=None, fields=())
    fields: list[str] = []
    for _actor, _at, action, detail in rows:
        named = next((p[7:] for p in detail.split() if p.startswith("fields=")), "")
        for name in named.split(",") if named else [action]:
            if name and name not in fields:
                fields.append(name)
    return LastChange(actor=str(rows[0][0]), at=rows[0][1], fields=tuple(fields))


def stale_case(
    session: Session, case_id: int, *, read_version: int, current_version: int
) -> ChangedElsewhere:
    """The error for a case saved from ``read_version`` while it is at ``current_version``."""
    change = last_change(session, case_id, changes=current_version - read_version)
    return _error("case", case_id, change)


#: How the audit rows about a case name one of its rows (``entry=12``, ``task=7``).
_ROW_KEYS = {"timeline": "entry", "tasks": "task"}
#: How far back, among a case's changes, the newest change to one of its rows is looked for.
_ROW_LOOKBACK = 200


def stale_row(session: Session, table: str, case_id: int, row_id: int) -> ChangedElsewhere:
    """The error for row ``row_id`` of ``table`` (a timeline entry, a task) of case
    ``case_id``, saved from a version someone else has moved on since it was read: who
    last changed that row, when, and how (its audit row's action)."""
    key = f"{_ROW_KEYS.get(table, 'id')}={row_id}"
    rows = session.execute(
        select(AuditEvent.actor, AuditEvent.at, AuditEvent.action, AuditEvent.detail)
        .where(
            AuditEvent.entity == "case",
            AuditEvent.entity_id == case_id,
            AuditEvent.action.not_in(_READS),
        )
        .order_by(AuditEvent.id.desc())
        .limit(_ROW_LOOKBACK)
    ).all()
    found = next((r for r in rows if key in re.split(r"[\s;]+", r[3])), None)
    change = (
        LastChange(actor=str(found[0]), at=found[1], fields=(str(found[2]),))
        if found is not None
        else LastChange("", None, ())
    )
    return _error(RECORDS.get(table, "record"), case_id, change)


def changed_elsewhere(db: UnitOfWork, exc: Exception, session: Session) -> ChangedElsewhere:
    """The error for a flush that matched no row (``StaleDataError``) in ``session``."""
    found = _TABLE.search(str(exc))
    table = found.group(1) if found else ""
    record = RECORDS.get(table, "record")
    case_id = _case_of(session, table)
    if case_id is None:
        return _error(record, None, LastChange("", None, ()))
    with db.read() as reading:
        change = last_change(reading, case_id)
    return _error(record, case_id, change)


#: Where ``note_flushed_cases`` leaves, in ``session.info``, each table's case being saved.
SAVING_KEY = "cme_saving_cases"


def note_flushed_cases(session: Session, _context: object, _instances: object) -> None:
    """Before each flush (a ``before_flush`` listener): the case of each row being saved.

    A flush that matches no row leaves its objects expired and its session unusable, so
    what the refusal needs to say is noted beforehand.
    """
    saving: dict[str, int] = session.info.setdefault(SAVING_KEY, {})
    for obj in list(session.dirty) + list(session.deleted):
        mapped: Any = getattr(obj, "__table__", None)
        if mapped is None or mapped.name not in RECORDS:
            continue
        value = inspect(obj).dict.get("id" if mapped.name == "cases" else "case_id")
        if value is not None:
            saving[mapped.name] = int(value)


def _case_of(session: Session, table: str) -> int | None:
    saving: dict[str, int] = session.info.get(SAVING_KEY, {})
    return saving.get(table)


def when(at: datetime | None) -> str:
    """An audit time (UTC) as the officer's clock shows it: ``05/12/2026 14:03``."""
    if at is None:
        return ""
    return at.replace(tzinfo=UTC).astimezone().strftime("%d/%m/%Y %H:%M")


def _error(record: str, case_id: int | None, change: LastChange) -> ChangedElsewhere:
    who = f" by {change.actor}" if change.actor else ""
    at = f" at {when(change.at)}" if change.at else ""
    shown = [name.replace("_", " ") for name in change.fields]  # "last known address"
    what = f" ({', '.join(shown)})" if shown else ""
    said = f":{who}{at}{what}" if who or at or what else ""
    return ChangedElsewhere(
        f"This {record} was changed elsewhere since you opened it{said}. Nothing "
        "was overwritten: reload to see the other change, or keep your edits and save them "
        "over it.",
        entity=record,
        entity_id=case_id,
        changed_by=change.actor,
        changed_at=when(change.at),
        fields=change.fields,
    )


def merge_changes(read: CaseDraft, mine: CaseDraft, theirs: CaseDraft) -> CaseDraft:
    """``theirs`` with the fields this officer changed since ``read`` set as in ``mine``.

    What the other officer changed in any other field stays as they saved it.
    """
    changed = {
        f.name: getattr(mine, f.name)
        for f in fields(CaseDraft)
        if getattr(mine, f.name) != getattr(read, f.name)
    }
    return replace(theirs, **changed)
