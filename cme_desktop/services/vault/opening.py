"""What every unlock does once the key is known, before the officer sees anything.

1. A bounded check of the pages (``health.quick_check``): damage found here is
   reported at once instead of at the first record that will not open. With
   ``check_pages=False`` (the window, which runs the same check in the
   background once the case list is painted: ``ui/vault/damage.py``) it runs
   here only when the schema needs upgrading, as a damaged vault must never be
   upgraded.
2. The schema brought up to date (``migrations``), unless the vault is damaged.
3. The key file's seal and the audit anchor against the log (``anchor``), and
   the record of failed unlocks (``attempts``).
4. One write: each failed unlock, each finding and the unlock itself, audited.
5. The key file brought up to date under its lock: the slot used rebound to
   its parameters (a format 1 slot), the anchor at the new newest row, a fresh
   failed-attempts epoch, all sealed; then the ``.attempts`` file removed.

What was found is left in ``db.findings`` for the window and the ``cme`` command.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

from cme_desktop.services.errors import OutputError, VaultBusy, VaultDamaged
from cme_desktop.services.vault import anchor, attempts, audit, health, migrations
from cme_desktop.services.vault.database import BUSY_TIMEOUT, Database
from cme_desktop.services.vault.findings import Finding
from cme_desktop.services.vault.keyfile_lock import keyfile_lock
from cme_desktop.services.vault.keyslots import (
    Anchor,
    KeySlots,
    OpenedSlot,
    derive_subkey,
    read_slots,
    seal_key_of,
    update_slots,
)


@dataclass(frozen=True)
class VaultFiles:
    """The files of one vault: the database, its key slots and its failed-attempts record."""

    path: Path
    slots_path: Path
    attempts_path: Path


def open_vault(
    files: VaultFiles,
    key: bytearray,
    *,
    actor: str,
    method: str = "passphrase",
    opened: tuple[str, OpenedSlot] | None = None,
    busy_timeout: float = BUSY_TIMEOUT,
    check_pages: bool = True,
) -> Database:
    """Open the database with ``key`` and do the unlock's checks and records (see above).

    ``opened``: the slot kind and its opened wrapping, to rebind a format 1 slot.
    ``check_pages``: False when the caller runs ``health.quick_check`` itself once
    the vault is open (it still runs here before any schema upgrade).
    """
    db = Database.open(
        files.path, key, audit_key=derive_subkey(key, "audit-chain"), busy_timeout=busy_timeout
    )
    db.actor = actor
    seal_key = seal_key_of(key)
    try:
        findings = _pages(db) if check_pages or _needs_upgrade(db) else []
        migrations.upgrade(db)
        seen = read_slots(files.slots_path)
        findings += anchor.check_at_unlock(db, seen, seal_key)
        taken = attempts.take(files.attempts_path, seen)
        findings += taken.findings
        head = _record(db, seen, taken, findings, method)
        if head is not None:
            force = any(f.breaks_log or f.kind in _RESET_ANCHOR for f in findings)
            _keys_after_unlock(files, seen, head, seal_key, force=force, opened=opened)
        db.anchor = anchor.AnchorKeeper(files.slots_path, seal_key)
        db.findings = findings
    except BaseException:
        db.close()
        raise
    return db


#: Findings after which the anchor is set to the log as it is now (the finding is on record).
_RESET_ANCHOR = frozenset({"key_file_altered", "audit_chain_broken"})


def _needs_upgrade(db: Database) -> bool:
    return migrations.current_revision(db) != migrations.head_revision()


def _pages(db: Database) -> list[Finding]:
    quick = health.quick_check(db)
    if not quick.damaged:
        return []
    found = health.damage_finding(db, quick.problems)
    if _needs_upgrade(db):
        raise VaultDamaged(
            f"{found.message} This version of CME Desktop would have to upgrade it, which "
            "cannot be done safely: nothing has been changed. "
            "Restore the last good monthly save, or contact IT support."
        )
    return [found]


def _record(
    db: Database,
    seen: KeySlots,
    taken: attempts.Taken,
    findings: list[Finding],
    method: str,
) -> tuple[int, str] | None:
    """Audit the failed unlocks, the findings and the unlock; the newest row, or ``None``.

    ``None`` when damage stops the write: the vault stays open for reading and
    for restoring a monthly save, and nothing is taken off the key file's record.
    """
    try:
        with db.write() as session:
            for when in taken.times:
                audit.record(
                    session, db, action="unlock_failed", entity="vault", detail=f"at={when}"
                )
            for finding in findings:
                audit.record(
                    session, db, action=finding.kind, entity="vault", detail=finding.detail
                )
            if seen.version == 1 and not any(f.kind == "audit_anchor_removed" for f in findings):
                audit.record(
                    session, db, action=anchor.ANCHORED, entity="vault", detail="key file sealed"
                )
            audit.record(session, db, action="unlock", entity="vault", detail=method)
            head: tuple[int, str] = session.info[audit.HEAD_KEY]
    except VaultDamaged:
        if any(f.damage for f in findings):
            return None
        raise
    return head


def _keys_after_unlock(
    files: VaultFiles,
    seen: KeySlots,
    head: tuple[int, str],
    seal_key: bytes,
    *,
    force: bool,
    opened: tuple[str, OpenedSlot] | None,
) -> None:
    def change(current: KeySlots) -> KeySlots:
        new = attempts.after_unlock(current, seen)
        if opened is not None:
            new = new.rebound(*opened)
        trusted = current.anchor is not None and current.anchor_is_sealed(seal_key)
        behind = current.anchor is None or current.anchor.audit_id < head[0]
        if force or not trusted or behind:
            new = new.with_anchor(Anchor(*head))
        return new

    # A key file that cannot be written (a read-only folder, another copy holding the lock
    # for long) does not stop the unlock: the anchor stays behind, which the next unlock
    # accepts, and the failed attempts are audited again then.
    with contextlib.suppress(OutputError, VaultBusy), keyfile_lock(files.slots_path):
        after = update_slots(files.slots_path, change, seal_key=seal_key)
        attempts.clear(files.attempts_path, seen, after)
