"""Where the monthly saves go, and the saves on record.

A save is an encrypted backup file ``<vault>-YYYY-MM.cme`` in the backup
folder, the key slots file ``<backup>.keys`` beside it, and a row of the
``snapshots`` table with the month's statistics, which stays when the file
is pruned.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from cme_desktop.models.settings import Snapshot
from cme_desktop.services.settings import SettingsService
from cme_desktop.services.vault.database import Database

SUFFIX = ".cme"
KEYS = ".keys"


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


def backup_folder(db: Database) -> Path:
    """The folder in the settings, else ``backups/`` beside the vault."""
    folder = SettingsService(db).load().backup_folder.strip()
    return Path(folder).expanduser() if folder else db.path.parent / "backups"


def slots_path(vault_file: Path) -> Path:
    """The key slots file that goes with a vault or a backup file."""
    return vault_file.with_name(vault_file.name + KEYS)


def snapshot_info(row: Snapshot) -> SnapshotInfo:
    """The save recorded in ``row``, as plain values."""
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
        return [
            snapshot_info(r)
            for r in session.scalars(select(Snapshot).order_by(Snapshot.month.desc()))
        ]
