"""The append-only, hash-chained audit log.

Each row's hash is an HMAC (keyed from the database key) over the row and
the previous row's hash. Editing, inserting or deleting any row breaks the
chain, and ``verify`` says at which row. Rows are written inside the same
transaction as the change they record.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from cme_desktop.models import AuditEvent, utcnow

GENESIS = "0" * 64


class AuditContext(Protocol):
    audit_key: bytes
    actor: str


def row_hash(key: bytes, row: AuditEvent) -> str:
    """The keyed hash of ``row``: every column but ``hash`` itself, ``prev_hash`` included."""
    fields = [
        str(row.id),
        row.at.isoformat(timespec="microseconds"),
        row.actor,
        row.action,
        row.entity,
        "" if row.entity_id is None else str(row.entity_id),
        row.detail,
        row.prev_hash,
    ]
    message = "\x1f".join(fields).encode("utf-8")
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def record(
    session: Session,
    ctx: AuditContext,
    *,
    action: str,
    entity: str = "",
    entity_id: int | None = None,
    detail: str = "",
) -> None:
    """Append one event in the caller's transaction. ``detail``: ids and kinds only."""
    last = session.execute(
        select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
    ).first()
    prev_id, prev_hash = (last[0], last[1]) if last else (0, GENESIS)
    row = AuditEvent(
        id=prev_id + 1,
        at=utcnow(),
        actor=ctx.actor,
        action=action,
        entity=entity,
        entity_id=entity_id,
        detail=detail[:500],
        prev_hash=prev_hash,
    )
    row.hash = row_hash(ctx.audit_key, row)
    session.add(row)
    session.flush()


@dataclass(frozen=True)
class AuditCheck:
    rows: int
    first_bad_id: int | None
    problem: str

    @property
    def ok(self) -> bool:
        return self.first_bad_id is None and not self.problem


def verify(session: Session, key: bytes) -> AuditCheck:
    """Walk the whole chain; report the first row that does not fit."""
    prev_hash = GENESIS
    expected_id = 1
    count = 0
    for row in session.scalars(select(AuditEvent).order_by(AuditEvent.id)).yield_per(2000):
        count += 1
        if row.id != expected_id:
            return AuditCheck(count, row.id, f"row {expected_id} is missing")
        if row.prev_hash != prev_hash:
            return AuditCheck(count, row.id, f"row {row.id} does not follow row {row.id - 1}")
        if not hmac.compare_digest(row.hash, row_hash(key, row)):
            return AuditCheck(count, row.id, f"row {row.id} has been altered")
        prev_hash = row.hash
        expected_id += 1
    return AuditCheck(count, None, "")


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: datetime
    actor: str
    action: str
    entity: str
    entity_id: int | None
    detail: str


def recent(session: Session, *, limit: int = 200, entity_id: int | None = None) -> list[AuditRow]:
    """The newest events, optionally for one case."""
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if entity_id is not None:
        query = query.where(AuditEvent.entity == "case", AuditEvent.entity_id == entity_id)
    return [
        AuditRow(r.id, r.at, r.actor, r.action, r.entity, r.entity_id, r.detail)
        for r in session.scalars(query)
    ]
