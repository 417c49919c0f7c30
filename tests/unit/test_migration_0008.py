"""Migration 0008 (closures): the three new tables are made from the revision before it,
every existing row kept, and a case's closing details and checklists can then be written;
deleting a case deletes its details with it."""

from __future__ import annotations

import secrets
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import text

from cme_desktop.services.vault import migrations
from cme_desktop.services.vault.database import Database
from cme_desktop.services.vault.keyslots import derive_subkey

NEW_TABLES = {"case_closures", "case_enquiries", "school_returns"}


def _database(path: Path) -> Database:
    key = bytearray(secrets.token_bytes(32))
    return Database.open(path, key, audit_key=derive_subkey(key, "audit-chain"))


def _tables(db: Database) -> set[str]:
    with db.engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'table'")
        return {str(row[0]) for row in rows}


def test_upgrade_from_0007_adds_the_tables_and_keeps_every_row(tmp_path: Path) -> None:
    db = _database(tmp_path / "old.cme")
    try:
        migrations.upgrade(db, target="0007")
        assert not NEW_TABLES & _tables(db)
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO cases (id, version, full_name, aka, gender, ethnicity, upn, "
                    "sen_disability, last_known_address, school, new_school, "
                    "identification_route, identified_by, referring_agency, reason_missing, "
                    "notified_on, status, opened_on, closed_on, closing_outcome, closing_note, "
                    "current_step, whereabouts_unknown, escalated_police, "
                    "escalated_social_care, created_at, updated_at) VALUES (1, 1, 'Dora Quimby', "
                    "'', '', '', '', '', '', '', '', 'notification', '', '', '', :d, 'closed', "
                    ":d, :c, 'untraceable', '', 1, 0, 0, 0, :t, :t)"
                ),
                {"d": date(2026, 3, 2), "c": date(2026, 4, 1), "t": datetime(2026, 3, 2, 9)},
            )

        backup = migrations.upgrade(db, target="0008")

        assert backup is not None and backup.exists(), "an encrypted copy is made first"
        assert migrations.current_revision(db) == "0008"
        assert _tables(db) >= NEW_TABLES
        with db.engine.begin() as conn:
            assert conn.execute(
                text("SELECT full_name, status, closing_outcome FROM cases")
            ).all() == [("Dora Quimby", "closed", "untraceable")]
            conn.execute(
                text(
                    "INSERT INTO case_enquiries (case_id, checklist, item, made_on, result, "
                    "recorded_by, recorded_at) VALUES (1, 'untraceable', 'police', :d, "
                    "'Not known', 'Officer', :t)"
                ),
                {"d": date(2026, 3, 20), "t": datetime(2026, 3, 20, 9)},
            )
            conn.execute(
                text(
                    "INSERT INTO case_closures (case_id, receiving_authority, passed_on_to, "
                    "passed_on_note, recorded_at) VALUES (1, '', 'lost_pupils_database', '', :t)"
                ),
                {"t": datetime(2026, 4, 1, 9)},
            )
            conn.execute(text("DELETE FROM cases WHERE id = 1"))
            # The closing details and checklists go with their case (ON DELETE CASCADE).
            assert conn.execute(text("SELECT count(*) FROM case_enquiries")).scalar() == 0
            assert conn.execute(text("SELECT count(*) FROM case_closures")).scalar() == 0
        assert db.integrity_problems() == []
    finally:
        db.close()
