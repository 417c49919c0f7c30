"""A new vault's database at an earlier revision of the schema, to test a migration on."""

from __future__ import annotations

import secrets
from pathlib import Path

from cme_desktop.services.vault import migrations
from cme_desktop.services.vault.database import Database
from cme_desktop.services.vault.keyslots import derive_subkey


def database_at(path: Path, revision: str) -> Database:
    """A database made at ``path`` with a random key and upgraded to ``revision`` only."""
    key = bytearray(secrets.token_bytes(32))
    db = Database.open(path, key, audit_key=derive_subkey(key, "audit-chain"))
    migrations.upgrade(db, target=revision)
    return db
