"""The monthly save of the central record (policy 8.3), its restore, and pruning.

The first unlock in a new month (``due_monthly_save`` says when) and the
``cme snapshot`` command call ``monthly_save``. It makes:

- an encrypted copy of the whole vault, written by SQLCipher's own export
  (never a copy of the live file, which may be mid-transaction), named
  ``<vault>-YYYY-MM.cme`` in the backup folder (the setting, or ``backups/``
  beside the vault);
- beside it a copy of the vault's key slots file, ``<backup>.keys``, holding
  the backup's own audit anchor (its newest audit row, sealed). The
  backup is encrypted with the vault's own database key, so the same
  passphrase, recovery key or remembered secret that opened the vault at the
  time of the save opens the backup with ``Vault(backup).unlock(...)`` (a
  later change of passphrase rewrites only the live vault's slots; an old
  backup then opens with the old passphrase or the recovery key);
- a statistics snapshot of the month in the ``snapshots`` table, so the
  figures stay available after old backups are pruned.

Before anything is written the vault gets its full check
(``health.refuse_if_damaged``): a damaged vault is not copied, so a good
earlier save is never followed, or pruned, by a damaged one. The copy's pages
are checked again once written.

Restoring is in ``restore``, the pruning rule in ``pruning``, and where the
files go in ``backup_files``; ``Backups`` is the service the window uses for
all of them.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import select

from cme_desktop.models.settings import Snapshot
from cme_desktop.services.errors import InvalidInput, OutputError
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
from cme_desktop.services.vault.database import Database
from cme_desktop.services.vault.keyslots import seal_key_of
from cme_desktop.services.vault.private_files import make_private_folder, owner_only
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
    with db.read() as session:
        found = session.scalar(select(Snapshot.id).where(Snapshot.month == _month(today)))
    return found is None


def monthly_save(db: Database, *, today: date, folder: Path | None = None) -> SnapshotInfo | None:
    """Save this month (backup, key slots, statistics), then prune; ``None`` if already saved.

    Raises ``VaultDamaged`` (naming the last good save and how to restore it)
    without writing anything when the vault fails its full check.
    """
    if not due_monthly_save(db, today):
        return None
    month = _month(today)
    folder = (Path(folder) if folder is not None else backup_folder(db)).expanduser().resolve()
    health.refuse_if_damaged(db)
    make_private_folder(folder)  # a folder made here is 0700; one the officer chose is theirs
    stats = snapshot_figures(db, today=today)
    target = _free_name(folder, db.path.stem, month)
    db.export_copy(target)
    try:
        copy_problems = health.backup_problems(db, target)
        if copy_problems:
            raise OutputError(
                f"The copy written to {folder} did not read back intact "
                f"({health.describe_damage(copy_problems)}): it has been removed and the "
                "earlier saves are kept. Check the disk, then save again."
            )
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
        target.unlink(missing_ok=True)
        slots_path(target).unlink(missing_ok=True)
        raise
    prune(db, today=today)
    return info


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
