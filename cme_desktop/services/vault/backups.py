"""The monthly save of the central record (policy 8.3), its restore, and pruning.

The first unlock in a new month (``due_monthly_save`` says when) and the
``cme snapshot`` command call ``monthly_save``. It makes:

- an encrypted copy of the whole vault, named ``<vault>-YYYY-MM.cme`` in the
  backup folder (the setting, or ``backups/`` beside the vault): the vault's
  file and its write-ahead log copied as they are at one moment, under the
  write lock, so that no change is half in the copy (``copy_vault``; at
  100,000 cases about a fifth of the time SQLCipher's export took, which
  rewrote every page);
- beside it a copy of the vault's key slots file, ``<backup>.keys``, holding
  the backup's own audit anchor (its newest audit row, sealed). The
  backup is encrypted with the vault's own database key, so the same
  passphrase, recovery key or remembered secret that opened the vault at the
  time of the save opens the backup with ``Vault(backup).unlock(...)`` (a
  later change of passphrase rewrites only the live vault's slots; an old
  backup then opens with the old passphrase or the recovery key);
- a statistics snapshot of the month in the ``snapshots`` table, so the
  figures stay available after old backups are pruned.

The copy gets the full check (``health.file_check``: every page's HMAC,
``integrity_check`` and ``foreign_key_check``) under a temporary name, before
it takes its final name, is recorded or lets an older save be pruned; so a
good earlier save is never followed, or pruned, by a damaged one. The copy
holds the vault's pages exactly, so checking it checks the vault, and the
vault is held only while the file is copied, not while it is checked. A copy
that fails is removed; the vault itself is then checked (``refuse_if_damaged``)
to say which went wrong: the vault (restore the last good save) or the copy
(check the disk). See docs/security.md.

Restoring is in ``restore``, the pruning rule in ``pruning``, and where the
files go in ``backup_files``; ``Backups`` is the service the window uses for
all of them.
"""

from __future__ import annotations

import os
import shutil
from datetime import date
from pathlib import Path

import sqlcipher3.dbapi2 as sqlcipher
from sqlalchemy import select

from cme_desktop.models.settings import Snapshot
from cme_desktop.services.errors import CmeError, InvalidInput, OutputError, VaultBusy
from cme_desktop.services.reports.snapshot import snapshot_figures
from cme_desktop.services.vault import anchor, audit, health
from cme_desktop.services.vault.backup_files import (
    SUFFIX,
    SnapshotInfo,
    backup_folder,
    list_saves,
    slots_path,
    snapshot_info,
)
from cme_desktop.services.vault.database import Database, open_connection
from cme_desktop.services.vault.keyslots import seal_key_of
from cme_desktop.services.vault.private_files import (
    create_private_file,
    make_private_folder,
    owner_only,
)
from cme_desktop.services.vault.pruning import prune
from cme_desktop.services.vault.restore import RestoreCheck, restore


def _month(today: date) -> str:
    return f"{today:%Y-%m}"


def _free_name(folder: Path, stem: str, month: str) -> Path:
    target = folder / f"{stem}-{month}{SUFFIX}"
    n = 2
    while target.exists() or slots_path(target).exists():
        target = folder / f"{stem}-{month}-{n}{SUFFIX}"
        n += 1
    return target


def due_monthly_save(db: Database, today: date) -> bool:
    """True when this month has no save yet: call ``monthly_save`` after unlocking."""
    if db.kind != "vault":
        return False  # a shared server's backups are its administrator's (docs/server.md)
    with db.read() as session:
        found = session.scalar(select(Snapshot.id).where(Snapshot.month == _month(today)))
    return found is None


def monthly_save(db: Database, *, today: date, folder: Path | None = None) -> SnapshotInfo | None:
    """Save this month (backup, key slots, statistics), then prune; ``None`` if already saved.

    Raises ``VaultDamaged`` (naming the last good save and how to restore it),
    keeping nothing and pruning nothing, when the vault fails its full check.
    """
    if db.kind != "vault":
        raise CmeError(
            "The monthly save is the vault's own. On a shared server, backups are its "
            "administrator's (pg_dump, point-in-time recovery: docs/server.md)."
        )
    if not due_monthly_save(db, today):
        return None
    month = _month(today)
    folder = (Path(folder) if folder is not None else backup_folder(db)).expanduser().resolve()
    make_private_folder(folder)  # a folder made here is 0700; one the officer chose is theirs
    target = _free_name(folder, db.path.stem, month)
    partial = target.with_name(f".{target.name}.partial")
    try:
        copy_vault(db, partial)
        report = health.file_check(db, partial)
        if report.damaged:
            partial.unlink(missing_ok=True)
            health.refuse_if_damaged(db)  # the vault's own damage, said as such
            raise OutputError(
                f"The copy written to {folder} did not read back intact "
                f"({report.damage_summary()}): it has been removed and the "
                "earlier saves are kept. Check the disk, then save again."
            )
        stats = snapshot_figures(db, today=today)
        partial.replace(target)
        anchor.write_copy_slots(
            slots_path(db.path),
            slots_path(target),
            anchor.newest_in(target, db.key),
            seal_key_of(db.key),
        )
        owner_only(target, slots_path(target))
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
            info = snapshot_info(row)
    except BaseException:
        _remove_copy(partial)
        target.unlink(missing_ok=True)
        slots_path(target).unlink(missing_ok=True)
        raise
    prune(db, today=today)
    return info


def copy_vault(db: Database, target: Path) -> None:
    """The vault's file as it is at one moment, still encrypted with its key, at ``target``.

    Committed changes still in the write-ahead log are first folded into the file, as far
    as no reader needs them there.
    Then, holding the write lock (no change can be committed) and a read of the
    database (the log cannot be emptied meanwhile), the file and whatever the log
    still holds are copied; the copy's log is folded into the copy. A change being
    written waits for the copy (about 0.7 s at 100,000 cases).
    """
    create_private_file(target)  # 0600 before the first byte, whatever the umask
    log = _wal(db.path)
    try:
        conn = open_connection(db.path, db.key)
        try:
            # PASSIVE: what no reader still needs, without waiting for readers to finish.
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
                _copy_bytes(db.path, target)
                if log.exists() and log.stat().st_size:
                    create_private_file(_wal(target))
                    _copy_bytes(log, _wal(target))
            finally:
                conn.execute("ROLLBACK")
        finally:
            conn.close()
        if _wal(target).exists():
            copy = open_connection(target, db.key)
            try:
                copy.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                copy.close()
    except sqlcipher.OperationalError as exc:
        _remove_copy(target)
        if "locked" in str(exc).lower() or "busy" in str(exc).lower():
            raise VaultBusy(
                "The vault is busy with another change: this month's save will be tried again."
            ) from exc
        raise OutputError(f"The monthly save could not be made: {exc}.") from exc
    except OSError as exc:
        _remove_copy(target)
        raise OutputError(
            f"The monthly save could not be written to {target.parent}: "
            f"{exc.strerror or exc}. The earlier saves are kept."
        ) from exc
    except BaseException:
        _remove_copy(target)
        raise


def _wal(path: Path) -> Path:
    return path.with_name(path.name + "-wal")


def _copy_bytes(source: Path, target: Path) -> None:
    with source.open("rb") as src, target.open("r+b") as dst:
        shutil.copyfileobj(src, dst, _CHUNK)
        dst.truncate()
        dst.flush()
        os.fsync(dst.fileno())


def _remove_copy(path: Path) -> None:
    for leftover in (path, _wal(path), path.with_name(path.name + "-shm")):
        leftover.unlink(missing_ok=True)


#: Bytes read and written at a time while copying the vault's file.
_CHUNK = 1 << 20


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
