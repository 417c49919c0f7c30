"""The record of failed unlocks, kept so that deleting or editing it is noticed.

A failed unlock happens before the database key is known, so nothing the
refused process writes can be sealed with it. Two files hold the record
instead, written together under the key file's lock:

- ``<vault>.attempts``: the times, hash-chained from the epoch the key file's
  seal holds (``{"epoch", "count", "base", "failed": [times], "head"}``);
- the key file's ``failed_attempts``: the count and the chain's head. The
  checksum covers it; the seal cannot (no key), but the epoch it chains from
  is sealed.

At the next unlock the two must agree (the key file may be one attempt
behind: a refused process killed between its two writes). Deleting the
``.attempts`` file leaves the key file counting attempts with no record, and
editing it breaks the chain or the count: either way the unlock says so and
audits every counted attempt, its time unknown. Someone who rewrites both
files consistently, or puts back copies of both taken before trying, is not
detected: no ordinary program has a counter it cannot roll back
(``docs/security.md``).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from cme_desktop.services.atomic_file import write_atomically
from cme_desktop.services.errors import CmeError, OutputError
from cme_desktop.services.vault.findings import Finding
from cme_desktop.services.vault.keyfile_lock import keyfile_lock
from cme_desktop.services.vault.keyslots import FailedAttempts, KeySlots, read_slots, write_slots

#: Times kept in the file; older attempts stay counted (and chained) without their time.
MAX_KEPT = 1000
UNKNOWN = "unknown"


def _step(head: str, when: str) -> str:
    return hashlib.sha256(bytes.fromhex(head) + when.encode("utf-8")).hexdigest()


def chain_start(epoch: str) -> str:
    """The head of an empty record of ``epoch``."""
    return hashlib.sha256(b"cme-failed-unlocks\0" + epoch.encode("ascii")).hexdigest()


@dataclass(frozen=True)
class Record:
    """The ``.attempts`` file of a format 2 key file."""

    epoch: str
    count: int
    base: str  # the chain's head before the first time kept
    failed: tuple[str, ...]
    head: str

    @classmethod
    def empty(cls, epoch: str) -> Record:
        start = chain_start(epoch)
        return cls(epoch=epoch, count=0, base=start, failed=(), head=start)

    def consistent(self) -> bool:
        head = self.base
        for when in self.failed:
            head = _step(head, when)
        return head == self.head and self.count >= len(self.failed)

    def head_before_last(self) -> str | None:
        if not self.failed:
            return None
        head = self.base
        for when in self.failed[:-1]:
            head = _step(head, when)
        return head

    def with_attempt(self, when: str) -> Record:
        failed = (*self.failed, when)
        base = self.base
        while len(failed) > MAX_KEPT:
            base = _step(base, failed[0])
            failed = failed[1:]
        return replace(
            self, count=self.count + 1, base=base, failed=failed, head=_step(self.head, when)
        )

    def to_bytes(self) -> bytes:
        body = {
            "epoch": self.epoch,
            "count": self.count,
            "base": self.base,
            "failed": list(self.failed),
            "head": self.head,
        }
        return json.dumps(body).encode("utf-8")


def _load(path: Path) -> Any:
    """The file's JSON; ``None`` when there is no file, ``...`` when it cannot be read as JSON."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError:
        return ...
    try:
        return json.loads(data.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return ...


def _record(raw: Any) -> Record | None:
    try:
        record = Record(
            epoch=str(raw["epoch"]),
            count=int(raw["count"]),
            base=str(raw["base"]),
            failed=tuple(str(x) for x in raw["failed"]),
            head=str(raw["head"]),
        )
        return record if record.consistent() else None
    except (KeyError, TypeError, ValueError):
        return None


def _legacy_times(raw: Any) -> list[str]:
    # The file a format 1 key file goes with: {"failed": [times]}.
    if isinstance(raw, dict) and isinstance(raw.get("failed"), list):
        return [str(x) for x in raw["failed"]]
    return []


# --- written by the refused process (no key) -----------------------------------------------


def note_failure(attempts_path: Path, slots_path: Path) -> None:
    """Record one failed unlock now, in the ``.attempts`` file and the key file's count.

    Never raises for a file it cannot write (a vault in a read-only folder still
    says "wrong passphrase"); a damaged key file was reported before this.
    """
    # Imported here: the unlock screen counts failures before SQLAlchemy (under
    # ``models``) has loaded.
    from cme_desktop.models.base import utcnow

    when = utcnow().isoformat(timespec="seconds")
    with contextlib.suppress(CmeError), keyfile_lock(slots_path):
        slots = read_slots(slots_path)
        raw = _load(attempts_path)
        if slots.version == 1:
            times = [*_legacy_times(raw), when][-MAX_KEPT:]
            write_atomically(attempts_path, json.dumps({"failed": times}).encode())
            return
        record = _record(raw) if isinstance(raw, dict) else None
        if record is None or record.epoch != slots.epoch:
            # No usable record of this epoch (a first failure, or one deleted or edited):
            # a fresh one, which will disagree with the key file's count if that is not 0.
            record = Record.empty(slots.epoch)
        record = record.with_attempt(when)
        # The file first: a crash between the two leaves the key file one behind, which
        # the next unlock accepts.
        write_atomically(attempts_path, record.to_bytes())
        failed = FailedAttempts(pending=slots.failed.pending + 1, head=record.head)
        write_slots(slots_path, slots.with_failed(failed))


def count(attempts_path: Path, slots_path: Path) -> int:
    """Failed unlocks since the last success, as far as either file knows."""
    raw = _load(attempts_path)
    try:
        slots = read_slots(slots_path)
    except CmeError:
        return len(_legacy_times(raw))
    if slots.version == 1:
        return len(_legacy_times(raw))
    record = _record(raw) if isinstance(raw, dict) else None
    in_file = record.count if record is not None and record.epoch == slots.epoch else 0
    return max(slots.failed.pending, in_file)


# --- read at the next unlock (the key is known) ------------------------------------------------


@dataclass(frozen=True)
class Taken:
    """The failed unlocks to audit (a time, or ``UNKNOWN``) and what was wrong with the record."""

    times: tuple[str, ...]
    findings: tuple[Finding, ...]


def take(attempts_path: Path, slots: KeySlots) -> Taken:
    """The failed unlocks since the last success, checked against the key file ``slots``."""
    raw = _load(attempts_path)
    if slots.version == 1:
        return Taken(tuple(_legacy_times(raw)), ())
    counted = slots.failed.pending
    name = attempts_path.name
    if raw is None:
        if counted == 0:
            return Taken((), ())
        return Taken((UNKNOWN,) * counted, (_deleted(name, counted),))
    record = _record(raw) if isinstance(raw, dict) else None
    if record is not None and record.epoch == slots.previous_epoch and counted == 0:
        return Taken((), ())  # left over by an unlock stopped before it removed it
    if record is None or record.epoch != slots.epoch:
        if counted == 0 and record is None and _legacy_times(raw):
            return Taken(tuple(_legacy_times(raw)), ())  # an old-format file, being upgraded
        return Taken((UNKNOWN,) * counted, (_edited(name, counted),))
    known = (UNKNOWN,) * (record.count - len(record.failed)) + record.failed
    key_head = slots.failed.head or chain_start(slots.epoch)
    if record.count == counted and record.head == key_head:
        return Taken(known, ())
    if record.count == counted + 1 and record.head_before_last() == key_head:
        return Taken(known, ())  # the refused process stopped between its two writes
    missing = max(0, counted - record.count)
    times = known + (UNKNOWN,) * missing
    return Taken(times, (_edited(name, len(times)),))


def _deleted(name: str, counted: int) -> Finding:
    return Finding(
        kind="unlock_attempts_deleted",
        message=(
            f"The record of failed unlocks ({name}) has been deleted, but the key file counts "
            f"{counted} failed unlock{'s' if counted != 1 else ''} since the last successful "
            "one. Each is now in the audit log, its time unknown."
        ),
        detail=f"count={counted}",
    )


def _edited(name: str, counted: int) -> Finding:
    return Finding(
        kind="unlock_attempts_edited",
        message=(
            f"The record of failed unlocks ({name}) was changed outside CME Desktop. "
            f"{counted} failed unlock{'s' if counted != 1 else ''} are now in the audit log, "
            "with their times where they could still be trusted."
        ),
        detail=f"count={counted}",
    )


def after_unlock(current: KeySlots, seen: KeySlots) -> KeySlots:
    """The key file's record reset, unless another refusal came in since ``seen`` was read.

    A refusal noted meanwhile keeps the record (its attempts are audited at the
    next unlock, those already audited a second time) rather than lose it.
    """
    untouched = current.epoch == seen.epoch and current.failed == seen.failed
    if current.version == 1 or untouched:
        return current.with_new_epoch()
    return current


def clear(attempts_path: Path, before: KeySlots, after: KeySlots) -> None:
    """Remove the ``.attempts`` file once the key file's record has been reset.

    Called under the key file's lock, so no refusal writes a new record between
    the reset and the removal.
    """
    if after.epoch != before.epoch or before.version == 1:
        with contextlib.suppress(OSError, OutputError):
            attempts_path.unlink(missing_ok=True)
