"""The schema on the server: the vault's Alembic migrations, run on PostgreSQL.

The same scripts as the vault's (``cme_desktop/migrations``); where SQLite and
PostgreSQL differ (the search index, the case-insensitive name collation) each script
says so by dialect. PostgreSQL changes its schema inside a transaction, so a migration
that fails leaves the server as it was. One server is migrated by one program at a time
(an advisory lock), however many officers connect at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import DBAPIError

from cme_desktop.services.errors import CmeError

if TYPE_CHECKING:
    from sqlalchemy import Connection

#: The advisory lock held while migrating ("CMEM").
MIGRATION_LOCK = 0x434D454D


def current_revision(conn: Connection) -> str | None:
    """The revision the server's schema is at (``None`` for an empty database)."""
    if not inspect(conn).has_table("alembic_version"):
        return None
    rows = conn.execute(text("SELECT version_num FROM alembic_version")).fetchall()
    return str(rows[0][0]) if len(rows) == 1 else None


def upgrade(engine: Engine, *, target: str = "head") -> str | None:
    """Bring the server's schema up to ``target``; returns the revision it was at.

    Raises ``CmeError`` when the login may not change the schema or a migration fails:
    nothing is changed then.
    """
    from alembic import command

    from cme_desktop.services.vault.migrations import _config, head_revision

    wanted = head_revision() if target == "head" else target
    with engine.connect() as conn, conn.begin():
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK})
        before = current_revision(conn)
        if before == wanted:
            return before
        cfg = _config()
        cfg.attributes["connection"] = conn
        try:
            command.upgrade(cfg, target)
        except DBAPIError as exc:
            raise CmeError(
                "The server's database could not be brought up to this version of CME "
                f"Desktop, so nothing was changed ({_first_line(exc)}). The database "
                "administrator runs the upgrade with the login that owns the schema."
            ) from exc
    return before


def is_current(engine: Engine) -> bool:
    """Whether the server's schema is at this program's newest revision."""
    from cme_desktop.services.vault.migrations import head_revision

    with engine.connect() as conn:
        return current_revision(conn) == head_revision()


def _first_line(exc: BaseException) -> str:
    lines = str(getattr(exc, "orig", exc)).strip().splitlines() or [type(exc).__name__]
    return lines[0][:200]
