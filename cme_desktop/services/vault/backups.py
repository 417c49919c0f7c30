"""The monthly save of the central record (policy 8.3), its restore, and pruning.

The first unlock in a new month (``due_monthly_save`` says when) and the
``cme snapshot`` command call ``monthly_save``. It makes:

- an encrypted copy of the whole vault, written by SQLCipher's own export
  (never a copy of the live file, which may be mid-transaction), named
  ``<vault>-YYYY-MM.cme`` in the backup folder (the setting, or ``backups/``
  beside the vault);
- beside it a copy of the vault's key slots file, ``<backup>.keys``. The
  backup is encrypted with the vault's own database key, so the same
  passphrase, recovery key or remembered secret that opened the vault at the
  time of the save opens the backup with ``Vault(backup).unlock(...)`` (a
  later change of passphrase rewrites only the live vault's slots; an old
  backup then opens with the old passphrase or the recovery key);
- a statistics snapshot of the month in the ``snapshots`` table, so the
  figures stay available after old backups are pruned.

Restoring never touches the live vault: ``restore`` writes the backup into a
new file and checks it (SQLCipher's page check, SQLite's integrity check,
counts, the audit chain). Only ``replace_live``, a separate call made while
the vault is locked, swaps it in, keeping the old file as
``<vault>.replaced-YYYY-MM-DD``.

Pruning rule (``prune_plan``): every month's save is kept for
``backup_keep_monthly`` months (the current month counts as the first);
older saves are kept one per calendar quarter, the newest save of that
quarter, if ``backup_keep_quarterly_after``, and deleted otherwise. A save
dated after today is never deleted. The statistics snapshot of a pruned
month stays.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import sqlcipher3.dbapi2 as sqlcipher
from sqlalchemy import select, text

from cme_desktop.models.settings import Snapshot
from cme_desktop.services.atomic_file import write_atomically
from cme_desktop.services.errors import (
    AuditTampered,
    CorruptFile,
    InvalidInput,
    OutputError,
    PassphraseRequired,
    VaultBusy,
    VaultDamaged,
    WrongPassphrase,
)
from cme_desktop.services.reports.statistics import snapshot_figures
from cme_desktop.services.settings import SettingsService
from cme_desktop.services.vault import audit
from cme_desktop.services.vault.database import Database, open_connection
from cme_desktop.services.vault.keyslots import canonical_recovery_key, derive_subkey, read_slots

SUFFIX = ".cme"
KEYS = ".keys"


# --- what comes out -------------------------------------------------------------------------


@dataclass(frozen=True)
class SnapshotInfo:
    """One monthly save: its statistics and, unless pruned, its backup file."""

    id: int
    month: str  # YYYY-MM
    taken_at: datetime
    backup_file: Path | None
    stats: dict[str, Any]

    @property
    def backup_exists(self) -> bool:
        return self.backup_file is not None and self.backup_file.is_file()


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


@dataclass(frozen=True)
class PruneRule:
    keep_monthly: int = 24
    keep_quarterly_after: bool = True


# --- where backups go -------------------------------------------------------------------


def backup_folder(db: Database) -> Path:
    """The folder in the settings, else ``backups/`` beside the vault."""
    folder = SettingsService(db).load().backup_folder.strip()
    return Path(folder).expanduser() if folder else db.path.parent / "backups"


def slots_path(vault_file: Path) -> Path:
    """The key slots file that goes with a vault or a backup file."""
    return vault_file.with_name(vault_file.name + KEYS)


def _month(today: date) -> str:
    return f"{today:%Y-%m}"


def _free_name(folder: Path, stem: str, month: str) -> Path:
    target = folder / f"{stem}-{month}{SUFFIX}"
    n = 2
    while target.exists() or slots_path(target).exists():
        target = folder / f"{stem}-{month}-{n}{SUFFIX}"
        n += 1
    return target


# --- the monthly save -------------------------------------------------------------------


def due_monthly_save(db: Database, today: date) -> bool:
    """True when this month has no save yet: call ``monthly_save`` after unlocking."""
    with db.read() as session:
        found = session.scalar(select(Snapshot.id).where(Snapshot.month == _month(today)))
    return found is None


def monthly_save(db: Database, *, today: date, folder: Path | None = None) -> SnapshotInfo | None:
    """Save this month (backup, key slots, statistics), then prune; ``None`` if already saved."""
    if not due_monthly_save(db, today):
        return None
    month = _month(today)
    folder = (Path(folder) if folder is not None else backup_folder(db)).expanduser().resolve()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(
            f"The backup folder {folder} cannot be created: {exc.strerror or exc}."
        ) from exc
    stats = snapshot_figures(db, today=today)
    target = _free_name(folder, db.path.stem, month)
    db.export_copy(target)
    try:
        write_atomically(slots_path(target), slots_path(db.path).read_bytes())
        if os.name == "posix":
            for path in (target, slots_path(target)):
                path.chmod(0o600)
        with db.write() as session:
            if session.scalar(select(Snapshot.id).where(Snapshot.month == month)) is not None:
                raise InvalidInput(f"{month} was saved in the meantime.")
            row = Snapshot(month=month, stats=stats, backup_file=str(target))
            session.add(row)
            session.flush()
            audit.record(
                session,
                db,
                action="monthly_save",
                entity="snapshot",
                entity_id=row.id,
                detail=f"month={month}",
            )
            info = _info(row)
    except BaseException:
        target.unlink(missing_ok=True)
        slots_path(target).unlink(missing_ok=True)
        raise
    prune(db, today=today)
    return info


def _info(row: Snapshot) -> SnapshotInfo:
    return SnapshotInfo(
        id=row.id,
        month=row.month,
        taken_at=row.taken_at,
        backup_file=Path(row.backup_file) if row.backup_file else None,
        stats=dict(row.stats),
    )


def list_saves(db: Database) -> list[SnapshotInfo]:
    """Every monthly save, newest first."""
    with db.read() as session:
        return [_info(r) for r in session.scalars(select(Snapshot).order_by(Snapshot.month.desc()))]


# --- pruning ----------------------------------------------------------------------------------


def _index(month: str) -> int:
    year, mon = month.split("-")
    return int(year) * 12 + int(mon) - 1


def _quarter(month: str) -> tuple[int, int]:
    index = _index(month)
    return index // 12, (index % 12) // 3


def prune_plan(
    months: Iterable[str], today: date, rule: PruneRule
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Which saved months (``YYYY-MM``) to keep and which to delete, both sorted.

    Kept: months less than ``rule.keep_monthly`` months old (this month is 0 months
    old), months after today, and, if ``rule.keep_quarterly_after``, the newest saved
    month of each calendar quarter.
    """
    if rule.keep_monthly < 1:
        raise InvalidInput("Keep at least one monthly backup.", field="backup_keep_monthly")
    saved = sorted(set(months))
    now = today.year * 12 + today.month - 1
    newest_of_quarter: dict[tuple[int, int], str] = {}
    for month in saved:
        newest_of_quarter[_quarter(month)] = month  # sorted: the last one wins
    keep: list[str] = []
    delete: list[str] = []
    for month in saved:
        age = now - _index(month)
        recent = age < rule.keep_monthly
        quarterly = rule.keep_quarterly_after and newest_of_quarter[_quarter(month)] == month
        (keep if recent or quarterly else delete).append(month)
    return tuple(keep), tuple(delete)


def prune(db: Database, *, today: date) -> tuple[str, ...]:
    """Delete the backup files the rule no longer keeps; their statistics stay. Audited."""
    settings = SettingsService(db).load()
    rule = PruneRule(settings.backup_keep_monthly, settings.backup_keep_quarterly_after)
    saves = [s for s in list_saves(db) if s.backup_file is not None]
    _keep, delete = prune_plan([s.month for s in saves], today, rule)
    doomed = [s for s in saves if s.month in set(delete)]
    if not doomed:
        return ()
    for save in doomed:
        assert save.backup_file is not None
        for path in (save.backup_file, slots_path(save.backup_file)):
            try:
                path.unlink(missing_ok=True)
            except OSError as exc:
                raise OutputError(
                    f"The old backup {path.name} could not be deleted: {exc.strerror or exc}."
                ) from exc
    with db.write() as session:
        for save in doomed:
            row = session.get(Snapshot, save.id)
            if row is not None:
                row.backup_file = ""
        audit.record(
            session,
            db,
            action="backups_pruned",
            entity="snapshot",
            detail="months=" + ",".join(s.month for s in doomed),
        )
    return tuple(s.month for s in doomed)


# --- restore --------------------------------------------------------------------------------


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
    so that the restored vault opens as that file's passphrase and recovery key do.
    """
    backup, target = Path(backup).resolve(), Path(target).resolve()
    if live is not None and target == Path(live).resolve():
        raise InvalidInput("Restore into a new file, not over the vault that is open.")
    if target.exists() or slots_path(target).exists():
        raise InvalidInput(f"{target.name} already exists: choose a new file name.")
    _check_backup(backup, key)
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
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
        write_atomically(slots_path(target), (slots_from or slots_path(backup)).read_bytes())
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
    """Record the restore in the copy's own audit log, then check everything in it."""
    copy = Database.open(path, bytearray(key), audit_key=derive_subkey(key, "audit-chain"))
    copy.actor = actor
    try:
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


# --- replacing the live vault -------------------------------------------------------------


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
        shutil.copyfile(source, tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, target)
        source.unlink()


# --- the service the window uses --------------------------------------------------------------


class Backups:
    """The monthly saves of one unlocked vault (what ``AppServices.backups`` gives)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def due(self, today: date | None = None) -> bool:
        """See :func:`due_monthly_save`."""
        return due_monthly_save(self.db, today or date.today())

    def save_month(self, today: date | None = None) -> SnapshotInfo | None:
        """See :func:`monthly_save`."""
        return monthly_save(self.db, today=today or date.today())

    def saves(self) -> list[SnapshotInfo]:
        """See :func:`list_saves`."""
        return list_saves(self.db)

    def folder(self) -> Path:
        """See :func:`backup_folder`."""
        return backup_folder(self.db)

    def restore(self, backup: Path, target: Path) -> RestoreCheck:
        """See :func:`restore`."""
        return restore(self.db, backup=backup, target=target)
