"""Schema migrations (Alembic), run on unlock after an encrypted backup.

Every unlock asks whether the schema is current; that question is answered
without Alembic (the revision the vault records, and the newest revision of
the scripts, read from their text), so Alembic is loaded only when there is
something to migrate.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from cme_desktop.services.errors import CmeError

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy import Connection

    from cme_desktop.services.vault.database import Database

SCRIPTS = Path(__file__).resolve().parents[2] / "migrations"
_REVISION = re.compile(r"""^revision\s*=\s*["']([^"']+)["']\s*$""", re.MULTILINE)
_DOWN_REVISION = re.compile(
    r"""^down_revision\s*=\s*(?:["']([^"']+)["']|(None))\s*$""", re.MULTILINE
)


def _config() -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(SCRIPTS))
    return cfg


def head_revision() -> str:
    """The newest revision of the scripts.

    Read from the scripts' ``revision`` and ``down_revision`` lines when they form
    one chain; anything else (a merge, a branch, a line written another way) is
    left to Alembic itself.
    """
    parents: dict[str, str | None] = {}
    for path in sorted((SCRIPTS / "versions").glob("*.py")):
        source = path.read_text("utf-8")
        revision, down = _REVISION.search(source), _DOWN_REVISION.search(source)
        if revision is None or down is None:
            return _alembic_head()
        parents[revision.group(1)] = down.group(1)
    heads = set(parents) - set(parents.values())
    if len(heads) != 1:
        return _alembic_head()
    return heads.pop()


def _alembic_head() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def current_revision(db: Database) -> str | None:
    """The revision the vault's schema is at (``None`` for a file with no schema yet)."""
    with db.engine.connect() as conn:
        table = conn.exec_driver_sql(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
        ).first()
        if table is None:
            return None
        rows = conn.exec_driver_sql("SELECT version_num FROM alembic_version").fetchall()
        if len(rows) <= 1:
            return str(rows[0][0]) if rows else None
        # Several heads recorded: Alembic says what that means.
        from alembic.runtime.migration import MigrationContext

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
    from alembic import command

    backup = None
    if current is not None:
        backup = backup_path(db, current)
        db.export_copy(backup)
    cfg = _config()
    with db.engine.connect() as conn:
        raw = conn.connection.driver_connection
        assert raw is not None
        # Batch migrations rebuild a table by copying it and dropping the old one. With
        # foreign keys on, that DROP would cascade and delete every row that refers to the
        # table (addresses, carers, steps... of every case). SQLite only accepts this
        # pragma outside a transaction, so it is set before BEGIN; the keys are checked
        # at the end instead, before anything is committed.
        raw.execute("PRAGMA foreign_keys = OFF")
        try:
            with conn.begin():
                cfg.attributes["connection"] = conn
                triggers = _triggers(conn)
                try:
                    command.upgrade(cfg, target)
                except Exception as exc:  # noqa: BLE001 - any failure is rolled back and explained
                    raise _failed(backup, _first_line(exc)) from exc
                broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise _failed(backup, f"{len(broken)} rows lost their link ({broken[0][0]})")
                # Rebuilding ``cases`` drops the triggers that keep the search index up to
                # date; a migration that does so must create them again, or search would
                # silently stop finding new and edited cases.
                lost = sorted(triggers - _triggers(conn))
                if lost:
                    raise _failed(backup, "the migration dropped the triggers " + ", ".join(lost))
        finally:
            raw.execute("PRAGMA foreign_keys = ON")
    return backup


def _triggers(conn: Connection) -> set[str]:
    rows = conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'trigger'")
    return {str(r[0]) for r in rows}


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines() or [type(exc).__name__]
    return lines[0][:200]


def _failed(backup: Path | None, why: str) -> CmeError:
    kept = f" A copy made before the upgrade is at {backup}." if backup else ""
    return CmeError(
        "The vault could not be upgraded to this version of CME Desktop, so nothing was "
        f"changed ({why}).{kept} Contact IT support."
    )
