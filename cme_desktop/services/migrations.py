"""Schema migrations (Alembic), run on unlock after an encrypted backup."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

if TYPE_CHECKING:
    from cme_desktop.services.database import Database

SCRIPTS = Path(__file__).resolve().parent.parent / "migrations"


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(SCRIPTS))
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def current_revision(db: Database) -> str | None:
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def backup_path(db: Database, revision: str) -> Path:
    return db.path.with_name(f"{db.path.name}.before-{revision}.bak")


def upgrade(db: Database, *, target: str = "head") -> Path | None:
    """Bring the schema up to ``target``; returns the backup made first, if any.

    A brand-new vault is migrated without a backup; an existing one is first
    copied (encrypted, by SQLCipher's export) so that a failed migration
    loses nothing.
    """
    current = current_revision(db)
    wanted = head_revision() if target == "head" else target
    if current == wanted:
        return None
    backup = None
    if current is not None:
        backup = backup_path(db, current)
        db.export_copy(backup)
    cfg = _config()
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, target)
    return backup
