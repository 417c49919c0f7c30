"""The append-only, hash-chained audit log.

Each row's hash is an HMAC (keyed from the database key) over the row and
the previous row's hash. Editing, inserting or deleting any row breaks the
chain, and ``verify`` says at which row. Rows are written inside the same
transaction as the change they record.

Deleting the newest rows leaves a shorter chain that is still whole: the
anchor outside the database (``anchor``) is what notices that. The newest
row a transaction wrote is left in ``session.info[HEAD_KEY]`` for it.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from cme_desktop.models import AuditEvent, utcnow
from cme_desktop.services.vault.findings import LOG_LOSSES

_log = logging.getLogger(__name__)

GENESIS = "0" * 64
#: Where ``record`` leaves the newest row's (id, hash) in the session's ``info``.
HEAD_KEY = "cme_audit_head"
#: The actions the vault writes about its own integrity (``findings.Finding.kind``).
INTEGRITY_ACTIONS = frozenset(
    {
        *LOG_LOSSES,
        "key_file_altered",
        "unlock_attempts_deleted",
        "unlock_attempts_edited",
        "damage_found",
    }
)


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
    if session.get_bind().dialect.name == "postgresql":
        # On a shared server the database names, dates, numbers and chains the row itself
        # (services.server.audit_server), and the team may not read the log: only what
        # happened is sent.
        session.execute(
            text(
                "INSERT INTO audit_log (action, entity, entity_id, detail) "
                "VALUES (:action, :entity, :entity_id, :detail)"
            ),
            {"action": action, "entity": entity, "entity_id": entity_id, "detail": detail[:500]},
        )
    else:
        _append_keyed(
            session, ctx, action=action, entity=entity, entity_id=entity_id, detail=detail
        )
    # The helpdesk's trail in the log file: the action and the record's id only; never the
    # actor (a person's name) nor the detail, whatever a later caller puts in it.
    _log.info("audit %s %s%s", action, entity or "-", "" if entity_id is None else f" {entity_id}")


def _append_keyed(
    session: Session,
    ctx: AuditContext,
    *,
    action: str,
    entity: str,
    entity_id: int | None,
    detail: str,
) -> None:
    """The vault's row: numbered, dated, named and HMAC-chained here, in its write lock."""
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
    session.info[HEAD_KEY] = (row.id, row.hash)


def newest(session: Session) -> tuple[int, str]:
    """The newest row's id and hash; ``(0, GENESIS)`` for an empty log."""
    last = session.execute(
        select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
    ).first()
    return (int(last[0]), str(last[1])) if last else (0, GENESIS)


@dataclass(frozen=True)
class Incident:
    """A problem an unlock found and wrote into the log (``INTEGRITY_ACTIONS``)."""

    row_id: int
    at: datetime
    action: str
    detail: str

    @property
    def breaks_log(self) -> bool:
        return self.action in LOG_LOSSES

    @property
    def summary(self) -> str:
        """What was found, in a sentence for a report (from the row's ids and counts)."""
        values = dict(part.split("=", 1) for part in self.detail.split() if "=" in part)
        when = f"at the unlock of {self.at:%d/%m/%Y %H:%M}"

        def value(name: str) -> str:
            return values.get(name, "?")

        if self.action == "audit_rows_missing":
            rows = "newest audit row was" if value("missing") == "1" else "newest audit rows were"
            return (
                f"{value('missing')} {rows} missing {when}: the key file "
                f"recorded row {value('anchor')}, the log ended at row {value('found')}"
            )
        if self.action == "audit_log_rewritten":
            return (
                f"audit row {value('row')} was not the one the key file recorded {when}: the "
                "log had been cut back and written again"
            )
        if self.action == "audit_anchor_removed":
            return f"the key file's record of the newest audit row had been removed {when}"
        if self.action == "key_file_altered":
            parts = value("parts").replace("_", " ").replace(",", ", ")
            return f"the key file had been changed outside CME Desktop ({parts}) {when}"
        if self.action == "unlock_attempts_deleted":
            return (
                f"the record of failed unlocks had been deleted {when}; "
                f"failed unlocks audited without their times: {value('count')}"
            )
        if self.action == "unlock_attempts_edited":
            return (
                f"the record of failed unlocks had been changed {when}; "
                f"failed unlocks audited: {value('count')}"
            )
        return f"damaged pages were found {when} ({self.detail})"


@dataclass(frozen=True)
class AuditCheck:
    rows: int
    first_bad_id: int | None
    problem: str
    #: What earlier unlocks found and recorded (rows lost, a key file edited, ...).
    incidents: tuple[Incident, ...] = ()
    #: Rows the anchor outside the database knows of that the log no longer holds,
    #: and what that comparison found (``anchor.check_log``); empty when it agrees.
    anchor_problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return (
            self.first_bad_id is None
            and not self.problem
            and not self.anchor_problems
            and not any(i.breaks_log for i in self.incidents)
        )


def verify(session: Session, key: bytes) -> AuditCheck:
    """Walk the whole chain; report the first row that does not fit, and recorded incidents."""
    prev_hash = GENESIS
    expected_id = 1
    count = 0
    incidents: list[Incident] = []
    for row in session.scalars(select(AuditEvent).order_by(AuditEvent.id)).yield_per(2000):
        count += 1
        if row.id != expected_id:
            return AuditCheck(count, row.id, f"row {expected_id} is missing", tuple(incidents))
        if row.prev_hash != prev_hash:
            problem = f"row {row.id} does not follow row {row.id - 1}"
            return AuditCheck(count, row.id, problem, tuple(incidents))
        if not hmac.compare_digest(row.hash, row_hash(key, row)):
            return AuditCheck(count, row.id, f"row {row.id} has been altered", tuple(incidents))
        if row.action in INTEGRITY_ACTIONS:
            incidents.append(Incident(row.id, row.at, row.action, row.detail))
        prev_hash = row.hash
        expected_id += 1
    return AuditCheck(count, None, "", tuple(incidents))


def verify_after(
    session: Session, key: bytes, *, after_id: int, after_hash: str, limit: int
) -> str | None:
    """Check the rows after row ``after_id`` (whose hash is ``after_hash``), at most ``limit``.

    Returns what does not fit, or ``None``. For the few rows an unlock finds
    beyond the anchor, without walking the whole log.
    """
    prev_hash, expected_id = after_hash, after_id + 1
    query = select(AuditEvent).where(AuditEvent.id > after_id).order_by(AuditEvent.id).limit(limit)
    for row in session.scalars(query):
        if row.id != expected_id:
            return f"row {expected_id} is missing"
        if row.prev_hash != prev_hash:
            return f"row {row.id} does not follow row {row.id - 1}"
        if not hmac.compare_digest(row.hash, row_hash(key, row)):
            return f"row {row.id} has been altered"
        prev_hash = row.hash
        expected_id += 1
    return None


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
