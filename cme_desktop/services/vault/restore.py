"""Restoring a monthly save, and putting a restored copy in place of the vault.

Restoring never touches the live vault: ``restore`` writes the backup into a
new file and checks it (SQLCipher's page check, SQLite's integrity check,
counts, the audit chain). Only ``replace_live``, a separate call made while
the vault is locked, swaps it in, keeping the old file as
``<vault>.replaced-YYYY-MM-DD``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import sqlcipher3.dbapi2 as sqlcipher
from sqlalchemy import text

from cme_desktop.services.errors import (
    AuditTampered,
    CmeError,
    CorruptFile,
    InvalidInput,
    OutputError,
    PassphraseRequired,
    VaultBusy,
    VaultDamaged,
    WrongPassphrase,
)
from cme_desktop.services.vault import anchor, audit
from cme_desktop.services.vault.backup_files import slots_path
from cme_desktop.services.vault.database import Database, open_connection
from cme_desktop.services.vault.keyslots import (
    canonical_recovery_key,
    derive_subkey,
    read_slots,
    seal_key_of,
)
from cme_desktop.services.vault.private_files import create_private_file


@dataclass(frozen=True)
class RestoreCheck:
    """A backup restored into a new file, and what the checks found there."""

    backup: Path
    target: Path
    cases: int
    audit_rows: int
    snapshots: int
    schema: str

    def summary(self) -> str:
        """What the officer is told before deciding to use the restored copy."""
        return (
            f"Restored into {self.target.name}: {self.cases} cases, {self.audit_rows} audit "
            "events. The file passed the encryption check and the database integrity "
            "check, and the audit log's hash chain is intact."
        )


def _check_backup(backup: Path, key: bytes | bytearray) -> None:
    """Refuse a missing, foreign or damaged backup before anything is written."""
    if not backup.is_file():
        raise CorruptFile(f"There is no backup at {backup}.")
    try:
        conn = open_connection(backup, key)
    except VaultDamaged as exc:
        raise CorruptFile(
            f"{backup.name} is damaged or is not a backup of this vault: nothing has been "
            "restored. Try the save of another month."
        ) from exc
    try:
        problems = _integrity(conn)
    finally:
        conn.close()
    if problems:
        raise CorruptFile(
            f"{backup.name} is damaged ({problems[0]}): nothing has been restored. "
            "Try the save of another month."
        )


def _integrity(conn: sqlcipher.Connection) -> list[str]:
    try:
        problems = [str(r[0]) for r in conn.execute("PRAGMA cipher_integrity_check")]
        problems += [str(r[0]) for r in conn.execute("PRAGMA integrity_check") if r[0] != "ok"]
    except sqlcipher.DatabaseError as exc:
        return [str(exc)]
    return problems


def restore(db: Database, *, backup: Path, target: Path) -> RestoreCheck:
    """Restore ``backup`` into the new file ``target`` and check it; the live vault is untouched.

    ``db`` is the unlocked vault the backup was made from (its key opens the backup).
    Raises ``CorruptFile`` for a damaged backup, ``AuditTampered`` if the restored
    audit log's chain is broken; nothing is left at ``target`` then.
    """
    return restore_with_key(
        db.key,
        backup=Path(backup),
        target=Path(target),
        live=db.path,
        slots_from=slots_path(db.path),
        record=lambda detail: _audit_live(db, detail),
        actor=db.actor,
    )


def _audit_live(db: Database, detail: str) -> None:
    with db.write() as session:
        audit.record(session, db, action="backup_restored", entity="snapshot", detail=detail)


def restore_with_key(
    key: bytes | bytearray,
    *,
    backup: Path,
    target: Path,
    live: Path | None = None,
    slots_from: Path | None = None,
    record: Callable[[str], None] | None = None,
    actor: str = "",
) -> RestoreCheck:
    """``restore`` with the database key itself (e.g. unwrapped from the backup's own slots).

    ``slots_from`` is the slots file copied beside the target (default: the backup's),
    so that the restored vault opens as that file's passphrase and recovery key do;
    the copy holds the restored log's own anchor.
    """
    backup, target = Path(backup).resolve(), Path(target).resolve()
    if live is not None and target == Path(live).resolve():
        raise InvalidInput("Restore into a new file, not over the vault that is open.")
    if target.exists() or slots_path(target).exists():
        raise InvalidInput(f"{target.name} already exists: choose a new file name.")
    _check_backup(backup, key)
    partial = target.with_name(f".{target.name}.partial")
    create_private_file(partial)  # 0600 before the first page is written
    conn = open_connection(backup, key)
    try:
        conn.execute(
            f"ATTACH DATABASE ? AS restored KEY \"x'{bytes(key).hex()}'\"", (str(partial),)
        )
        conn.execute("SELECT sqlcipher_export('restored')")
        conn.execute("DETACH DATABASE restored")
    except sqlcipher.DatabaseError as exc:
        partial.unlink(missing_ok=True)
        raise CorruptFile(f"{backup.name} could not be read to the end ({exc}).") from exc
    finally:
        conn.close()
    try:
        check = _verify(partial, key, backup=backup, target=target, actor=actor)
        anchor.write_copy_slots(
            slots_from or slots_path(backup),
            slots_path(target),
            anchor.newest_in(partial, key),
            seal_key_of(key),
        )
        partial.replace(target)
    except BaseException:
        partial.unlink(missing_ok=True)
        slots_path(target).unlink(missing_ok=True)
        raise
    if record is not None:
        record(f"backup={backup.name} target={target.name} cases={check.cases}")
    return check


def restore_unlocked(
    *,
    backup: Path,
    target: Path,
    passphrase: str | None = None,
    recovery_key: str | None = None,
) -> RestoreCheck:
    """Restore a backup when the vault itself is lost: opened by its own key slots file.

    The passphrase (or recovery key) is the one that opened the vault when the
    backup was made. Raises ``WrongPassphrase`` if it does not open the backup.
    """
    backup = Path(backup)
    slots = read_slots(slots_path(backup))
    if recovery_key:
        key = slots.unwrap("recovery", canonical_recovery_key(recovery_key))
    elif passphrase:
        key = slots.unwrap("passphrase", passphrase.encode("utf-8"))
    else:
        raise PassphraseRequired("Give the passphrase or the recovery key of the backup.")
    if key is None:
        raise WrongPassphrase("That passphrase or recovery key does not open this backup.")
    try:
        return restore_with_key(key, backup=backup, target=target)
    finally:
        for i in range(len(key)):
            key[i] = 0


def _verify(
    path: Path, key: bytes | bytearray, *, backup: Path, target: Path, actor: str
) -> RestoreCheck:
    """Record the restore in the copy's own audit log, then check everything in it.

    The backup's own anchor (in its key file) is compared first: a save whose
    newest audit rows were deleted is not restored.
    """
    copy = Database.open(path, bytearray(key), audit_key=derive_subkey(key, "audit-chain"))
    copy.actor = actor
    try:
        cut = _cut_short(copy, backup, key)
        if cut:
            raise AuditTampered(f"The audit log in {backup.name} is incomplete: {cut}")
        with copy.write() as session:
            audit.record(
                session,
                copy,
                action="restored_from_backup",
                entity="vault",
                detail=f"backup={backup.name}",
            )
        problems = copy.integrity_problems()
        if problems:
            raise CorruptFile(f"The restored copy failed its checks ({problems[0]}).")
        with copy.read() as session:
            chain = audit.verify(session, copy.audit_key)
            cases = int(session.execute(text("SELECT count(*) FROM cases")).scalar_one())
            snaps = int(session.execute(text("SELECT count(*) FROM snapshots")).scalar_one())
            schema = str(
                session.execute(text("SELECT version_num FROM alembic_version")).scalar() or ""
            )
        if not chain.ok:
            raise AuditTampered(
                f"The audit log in {backup.name} has been altered ({chain.problem}): "
                "the backup was not restored."
            )
    finally:
        # Closing the last connection checkpoints the WAL into the file and removes it,
        # so the single file renamed into place is the whole restored vault.
        copy.close()
    return RestoreCheck(
        backup=backup,
        target=target,
        cases=cases,
        audit_rows=chain.rows,
        snapshots=snaps,
        schema=schema,
    )


def _cut_short(copy: Database, backup: Path, key: bytes | bytearray) -> str:
    """What the backup's own anchor says is missing from its log; ``""`` if nothing."""
    try:
        saved = read_slots(slots_path(backup))
    except CmeError:
        return ""  # no key file beside the backup (restored with the vault's): nothing to compare
    seal = seal_key_of(key)
    if saved.anchor is None or not saved.anchor_is_sealed(seal):
        return ""
    with copy.read() as session:
        found = anchor.compare(session, copy.audit_key, saved.anchor, where="its key file")
    return found.message if found is not None else ""


def replace_live(
    vault_path: Path, check: RestoreCheck, *, today: date, db: Database | None = None
) -> Path:
    """Put a restored, checked copy in place of the vault; returns where the old file went.

    Only while the vault is locked: refused if ``db`` is still open or if the vault's
    write-ahead log is still there (open elsewhere, or not closed cleanly: unlock and
    lock it once first). The old vault and its key slots are kept as
    ``<vault>.replaced-YYYY-MM-DD``.
    """
    vault_path = Path(vault_path)
    if db is not None and not db.closed:
        raise VaultBusy("Lock the vault before replacing it with a restored copy.")
    for extra in ("-wal", "-shm"):
        if vault_path.with_name(vault_path.name + extra).exists():
            raise VaultBusy(
                "The vault is still open (or was not closed cleanly): close CME Desktop "
                "everywhere, or unlock and lock it once, before replacing it."
            )
    if not check.target.is_file() or not slots_path(check.target).is_file():
        raise InvalidInput(f"The restored copy {check.target.name} is no longer there.")
    kept = vault_path.with_name(f"{vault_path.name}.replaced-{today.isoformat()}")
    n = 2
    while kept.exists() or slots_path(kept).exists():
        kept = vault_path.with_name(f"{vault_path.name}.replaced-{today.isoformat()}-{n}")
        n += 1
    try:
        if vault_path.exists():
            os.replace(vault_path, kept)
        if slots_path(vault_path).exists():
            os.replace(slots_path(vault_path), slots_path(kept))
        _move(check.target, vault_path)
        _move(slots_path(check.target), slots_path(vault_path))
    except OSError as exc:
        raise OutputError(
            f"The vault could not be replaced: {exc.strerror or exc}. The old vault is at {kept}."
        ) from exc
    return kept


def _move(source: Path, target: Path) -> None:
    # A rename where possible; across drives, a copy beside the target renamed into place.
    try:
        os.replace(source, target)
    except OSError:
        tmp = target.with_name(f".{target.name}.incoming")
        create_private_file(tmp)
        shutil.copyfile(source, tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, target)
        source.unlink()
