"""Migration 0005 (corrections): timeline entries and tasks gain edited/deleted columns,
every row kept, from the revision before it."""

from __future__ import annotations

import secrets
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import text

from cme_desktop.services.vault import migrations
from cme_desktop.services.vault.database import Database
from cme_desktop.services.vault.keyslots import derive_subkey

NEW_COLUMNS = {"edited_at", "deleted_at", "deleted_reason"}


def _database(path: Path) -> Database:
    key = bytearray(secrets.token_bytes(32))
    return Database.open(path, key, audit_key=derive_subkey(key, "audit-chain"))


def _columns(db: Database, table: str) -> set[str]:
    with db.engine.connect() as conn:
        return {str(row[1]) for row in conn.exec_driver_sql(f"PRAGMA table_info({table})")}


def test_upgrade_from_0003_adds_the_correction_columns_and_keeps_every_row(
    tmp_path: Path,
) -> None:
    db = _database(tmp_path / "old.cme")
    try:
        migrations.upgrade(db, target="0003")
        assert not NEW_COLUMNS & _columns(db, "timeline")
        assert not NEW_COLUMNS & _columns(db, "tasks")
        # Rows written by the schema of 0003, with plain SQL: the models are already newer.
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO cases (id, version, full_name, aka, gender, ethnicity, upn, "
                    "sen_disability, last_known_address, school, new_school, "
                    "identification_route, identified_by, referring_agency, reason_missing, "
                    "notified_on, status, opened_on, closing_outcome, closing_note, "
                    "current_step, whereabouts_unknown, escalated_police, "
                    "escalated_social_care, created_at, updated_at) VALUES (1, 1, 'Dora Quimby', "
                    "'', '', '', '', '', '', '', '', 'notification', '', '', '', :d, 'open', :d, "
                    "'', '', 1, 0, 0, 0, :t, :t)"
                ),
                {"d": date(2026, 3, 2), "t": datetime(2026, 3, 2, 9)},
            )
            conn.execute(
                text(
                    "INSERT INTO timeline (case_id, kind, occurred_at, summary, outcome, "
                    "who_seen, next_step, author, created_at) "
                    "VALUES (1, 'note', :t, 'Rang school', '', '', '', 'Officer', :t)"
                ),
                {"t": datetime(2026, 3, 2, 9)},
            )
            conn.execute(
                text(
                    "INSERT INTO tasks (case_id, title, due_on, origin, created_at) "
                    "VALUES (1, 'Visit', :d, '', :t)"
                ),
                {"d": date(2026, 3, 9), "t": datetime(2026, 3, 2, 9)},
            )

        backup = migrations.upgrade(db, target="0005")

        assert backup is not None and backup.exists(), "an encrypted copy is made first"
        assert migrations.current_revision(db) == "0005"
        assert _columns(db, "timeline") >= NEW_COLUMNS
        assert _columns(db, "tasks") >= NEW_COLUMNS
        with db.engine.connect() as conn:
            assert conn.execute(
                text("SELECT summary, edited_at, deleted_at, deleted_reason FROM timeline")
            ).all() == [("Rang school", None, None, "")]
            assert conn.execute(
                text("SELECT title, edited_at, deleted_at, deleted_reason FROM tasks")
            ).all() == [("Visit", None, None, "")]
        assert db.integrity_problems() == []
    finally:
        db.close()
