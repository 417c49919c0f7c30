"""The audit log's anchor outside the database: deleting its newest rows is noticed.

The hash chain shows any row edited, inserted or deleted in the middle, but a
log cut back at its end (its newest rows deleted, all of them, or a
write-ahead log truncated) is still a whole chain. So the newest row's number
and hash are also kept outside the database: in the key slots file, under
its seal (an HMAC keyed from the database key, apart from the audit key), and
in the key file of every monthly save.

``AnchorKeeper`` moves the anchor forward after committed changes: at once
when the last move is a second old, else by a timer, and at lock. A crash
between a commit and the anchor's move leaves the anchor behind; rows after
it that chain from it are accepted. A log that ends before the anchor, or
whose row at the anchor is another, is reported: "N newest audit rows are
missing".
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from cme_desktop.models import AuditEvent
from cme_desktop.services.atomic_file import write_atomically
from cme_desktop.services.errors import CmeError
from cme_desktop.services.vault import audit
from cme_desktop.services.vault.database import Database, open_connection
from cme_desktop.services.vault.findings import Finding
from cme_desktop.services.vault.keyslots import (
    Anchor,
    FailedAttempts,
    KeySlots,
    read_slots,
    update_slots,
)

#: Seconds between two moves of the anchor while changes keep coming.
INTERVAL = 1.0
#: Rows after the anchor an unlock checks; more are left to ``cme audit verify``.
TAIL_LIMIT = 20_000
#: The audit row written when a format 1 key file first gets an anchor.
ANCHORED = "audit_anchored"


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def compare(session: Session, key: bytes, anchor: Anchor, *, where: str) -> Finding | None:
    """What the log lacks compared with ``anchor`` (kept in ``where``); ``None`` if it agrees."""
    head_id, _ = audit.newest(session)
    if head_id < anchor.audit_id:
        missing = anchor.audit_id - head_id
        return Finding(
            kind="audit_rows_missing",
            message=(
                f"{_plural(missing, 'newest audit row is', 'newest audit rows are')} missing: "
                f"{where} records row {anchor.audit_id} as the newest, but the log now ends at "
                f"row {head_id}. They were deleted, or the vault file was put back from an "
                "older copy (for instance without its write-ahead log)."
            ),
            detail=f"missing={missing} anchor={anchor.audit_id} found={head_id}",
        )
    if anchor.audit_id > 0:
        stored = session.scalar(select(AuditEvent.hash).where(AuditEvent.id == anchor.audit_id))
        if stored != anchor.audit_hash:
            return Finding(
                kind="audit_log_rewritten",
                message=(
                    f"Audit row {anchor.audit_id} is not the one {where} records: the log was "
                    "cut back to an earlier row and written again from there."
                ),
                detail=f"row={anchor.audit_id}",
            )
    problem = audit.verify_after(
        session, key, after_id=anchor.audit_id, after_hash=anchor.audit_hash, limit=TAIL_LIMIT
    )
    if problem:
        return Finding(
            kind="audit_chain_broken",
            message=f"The audit log has been altered after row {anchor.audit_id}: {problem}.",
            detail=f"after={anchor.audit_id}",
        )
    return None


def check_at_unlock(db: Database, slots: KeySlots, seal_key: bytes) -> list[Finding]:
    """The key file's seal and anchor against the log; cheap, for every unlock."""
    findings: list[Finding] = []
    altered = slots.seal_problems(seal_key)
    if altered:
        findings.append(
            Finding(
                kind="key_file_altered",
                message=(
                    "The vault's key file was changed outside CME Desktop ("
                    + "; ".join(altered)
                    + "). It has been sealed again as it is now, and the change is "
                    "recorded in the audit log. If nobody here changed it, tell IT support."
                ),
                detail="parts=" + ",".join(p.split(" was ")[0].replace(" ", "_") for p in altered),
            )
        )
    with db.read() as session:
        if slots.version == 1:
            marker = session.scalar(
                select(AuditEvent.id).where(AuditEvent.action == ANCHORED).limit(1)
            )
            if marker is not None:
                findings.append(
                    Finding(
                        kind="audit_anchor_removed",
                        message=(
                            "The vault's key file has lost its record of the newest audit "
                            f"row (held since audit row {marker}): it was replaced by an "
                            "older copy or edited. Rows deleted from the end of the audit "
                            "log before today cannot be ruled out."
                        ),
                        detail=f"since={marker}",
                    )
                )
            return findings
        if slots.anchor is None or not slots.anchor_is_sealed(seal_key):
            return findings  # the seal's finding already says the anchor was changed
        found = compare(session, db.audit_key, slots.anchor, where="the vault's key file")
    if found is not None:
        findings.append(found)
    return findings


def check_log(
    db: Database, slots_path: Path, seal_key: bytes, saves: Sequence[Path] = ()
) -> tuple[str, ...]:
    """The log against the key file's anchor and those of the monthly saves ``saves``.

    For ``cme audit verify`` and ``cme check``: a save's anchor catches a log cut
    back together with its key file (put back from an older copy).
    """
    problems: list[str] = []
    slots = read_slots(slots_path)
    with db.read() as session:
        if slots.anchor is not None and slots.anchor_is_sealed(seal_key):
            found = compare(session, db.audit_key, slots.anchor, where="the vault's key file")
            if found is not None:
                problems.append(found.message)
        for save in saves:
            try:
                saved = read_slots(save.with_name(save.name + ".keys"))
            except CmeError:
                continue  # a pruned or damaged save: nothing to compare with
            if saved.vault_id != slots.vault_id or saved.anchor is None:
                continue
            if not saved.anchor_is_sealed(seal_key):
                continue
            found = compare(
                session, db.audit_key, saved.anchor, where=f"the monthly save {save.name}"
            )
            if found is not None and found.kind != "audit_chain_broken":
                problems.append(found.message)
    return tuple(problems)


def newest_in(path: Path, key: bytes | bytearray) -> Anchor:
    """The newest audit row of the vault file ``path`` (a backup, a restored copy)."""
    conn = open_connection(path, key)
    try:
        row = conn.execute(
            f"SELECT id, hash FROM {AuditEvent.__tablename__} ORDER BY id DESC LIMIT 1"
        ).fetchone()
    finally:
        conn.close()
    return Anchor(int(row[0]), str(row[1])) if row else Anchor(0, audit.GENESIS)


def write_copy_slots(source: Path, target: Path, anchor: Anchor, seal_key: bytes) -> None:
    """The key file of a copy (a monthly save, a restore): ``source``'s slots, the copy's anchor.

    The copy starts with no failed attempts of its own and its own epoch.
    """
    slots = read_slots(source)
    copy = slots.with_anchor(anchor).with_failed(FailedAttempts()).with_new_epoch()
    write_atomically(target, copy.sealed(seal_key).to_bytes())


class AnchorKeeper:
    """Keeps the key file's anchor at the newest committed audit row (``Database.anchor``).

    The anchor only moves forward, and never in a key file whose seal is broken:
    that file is left as evidence for the next unlock. A failed write keeps the
    row pending for the next change, the timer or the lock.
    """

    def __init__(self, slots_path: Path, seal_key: bytes, *, interval: float = INTERVAL):
        self.slots_path = slots_path
        self._seal_key = seal_key
        self.interval = interval
        self._state = threading.Lock()
        self._pending: tuple[int, str] | None = None
        self._last_move = time.monotonic()
        self._timer: threading.Timer | None = None
        self._closed = False

    def audit_committed(self, row_id: int, row_hash: str) -> None:
        """A write transaction committed with ``row_id`` as its newest audit row."""
        with self._state:
            if self._closed:
                return
            if self._pending is None or row_id > self._pending[0]:
                self._pending = (row_id, row_hash)
            wait = self.interval - (time.monotonic() - self._last_move)
            if wait > 0:
                if self._timer is None:
                    self._timer = threading.Timer(wait, self._on_timer)
                    self._timer.daemon = True
                    self._timer.start()
                return
        self.flush()

    def _on_timer(self) -> None:
        with self._state:
            self._timer = None
        self.flush()

    def flush(self) -> None:
        """Write the pending anchor now (no-op when nothing is pending)."""
        with self._state:
            pending, self._pending = self._pending, None
        if pending is None:
            return
        try:
            update_slots(
                self.slots_path,
                lambda current: _moved(current, pending, self._seal_key),
                seal_key=self._seal_key,
            )
        except (CmeError, OSError):
            with self._state:
                if self._pending is None or pending[0] > self._pending[0]:
                    self._pending = pending
            return
        with self._state:
            self._last_move = time.monotonic()

    def close(self) -> None:
        """At lock: cancel the timer and write what is pending."""
        with self._state:
            self._closed = True
            timer, self._timer = self._timer, None
        if timer is not None:
            timer.cancel()
        self.flush()


def _moved(current: KeySlots, pending: tuple[int, str], seal_key: bytes) -> KeySlots | None:
    if current.version == 1 or current.seal_problems(seal_key):
        return None
    if current.anchor is not None and current.anchor.audit_id >= pending[0]:
        return None
    return current.with_anchor(Anchor(*pending))
