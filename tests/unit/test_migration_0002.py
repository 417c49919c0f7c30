"""Migration 0002 (import hashes): a vault at 0001 keeps every file and each gets its SHA-256."""

from __future__ import annotations

import hashlib
import secrets
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, text

from cme_desktop.services.importing.duplicates import previous_import
from cme_desktop.services.vault import migrations
from cme_desktop.services.vault.database import Database
from cme_desktop.services.vault.keyslots import derive_subkey

#: A value for each NOT NULL column without a default, by its declared type.
_BLANKS = {"INTEGER": 0, "BOOLEAN": 0, "DATE": "2026-01-05", "DATETIME": "2026-01-05 09:00:00"}


def _empty_database(path: Path) -> Database:
    key = bytearray(secrets.token_bytes(32))
    return Database.open(path, key, audit_key=derive_subkey(key, "audit-chain"))


def _insert(conn: Connection, table: str, **values: Any) -> int:
    """A row of ``table`` as the schema stands (raw SQL: the models are a revision ahead)."""
    for _, name, kind, notnull, default, primary in conn.exec_driver_sql(
        f"PRAGMA table_info({table})"
    ):
        if notnull and default is None and not primary and name not in values:
            values[name] = _BLANKS.get(str(kind).upper(), "")
    columns = ", ".join(values)
    marks = ", ".join(f":{name}" for name in values)
    result = conn.execute(text(f"INSERT INTO {table} ({columns}) VALUES ({marks})"), values)
    return int(result.lastrowid)


def test_upgrade_from_0001_gives_every_kept_file_its_hash(tmp_path: Path) -> None:
    db = _empty_database(tmp_path / "cases.cme")
    try:
        migrations.upgrade(db, target="0001")
        form = b"PK\x03\x04 a referral form as received"
        letter = b"%PDF-1.7 a letter kept on the case"
        with db.engine.begin() as conn:
            case_id = _insert(conn, "cases", full_name="Dora Quimby", status="open")
            kept = _insert(
                conn, "attachments", case_id=case_id, filename="referral.docx", content=form
            )
            _insert(conn, "attachments", case_id=case_id, filename="letter.pdf", content=letter)
            _insert(
                conn,
                "referrals",
                case_id=case_id,
                attachment_id=kept,
                received_on="2026-01-05",
                source="docx",
                data="{}",
            )

        backup = migrations.upgrade(db, target="0002")

        assert backup == tmp_path / "cases.cme.before-0001.bak"
        assert migrations.current_revision(db) == "0002"
        with db.engine.connect() as conn:
            digests = dict(
                conn.exec_driver_sql("SELECT filename, content_sha256 FROM attachments").all()
            )
            indexes = {
                row[1] for row in conn.exec_driver_sql("PRAGMA index_list(attachments)").all()
            }
        assert digests == {
            "referral.docx": hashlib.sha256(form).hexdigest(),
            "letter.pdf": hashlib.sha256(letter).hexdigest(),
        }
        assert "ix_attachments_content_sha256" in indexes
        # The form imported before the upgrade is recognised if it comes again.
        with db.read() as session:
            found = previous_import(session, hashlib.sha256(form).hexdigest())
            assert found is not None and found.case_ids == (case_id,)
            assert previous_import(session, hashlib.sha256(letter).hexdigest()) is None
        assert db.integrity_problems() == []
        with db.engine.connect() as conn:
            triggers = {
                r[0]
                for r in conn.exec_driver_sql(
                    "SELECT name FROM sqlite_master WHERE type = 'trigger'"
                )
            }
        assert triggers == {"cases_ai", "cases_ad", "cases_au"}
    finally:
        db.close()
