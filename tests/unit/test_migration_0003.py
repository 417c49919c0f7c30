"""Migration 0003 (the list's indexes), from the revision before it; and the check at each
unlock that the schema is current, answered without loading Alembic."""

from __future__ import annotations

import secrets
import subprocess
import sys
from pathlib import Path

from sqlalchemy import text

from cme_desktop.models.records import Case, Task
from cme_desktop.services.vault import migrations
from cme_desktop.services.vault.database import Database
from cme_desktop.services.vault.keyslots import derive_subkey
from tests.support.credentials import PASSPHRASE
from tests.support.vault_copies import make_template

NEW_INDEXES = {
    "ix_cases_list_name",
    "ix_cases_name",
    "ix_cases_status_step_name",
    "ix_cases_status_dob",
    "ix_cases_status_address",
    "ix_cases_status_school",
    "ix_cases_status_opened",
    "ix_cases_status_escalation",
    "ix_cases_status_next_task",
    "ix_cases_by_id",
    "ix_cases_report",
    "ix_tasks_open_due_case",
}
REPLACED = {"ix_cases_status_name", "ix_tasks_open_due"}


def _database(path: Path) -> Database:
    key = bytearray(secrets.token_bytes(32))
    return Database.open(path, key, audit_key=derive_subkey(key, "audit-chain"))


def _indexes(db: Database) -> dict[str, str]:
    with db.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        )
        return {str(name): str(sql) for name, sql in rows}


def _insert_case(db: Database, name: str, status: str = "open") -> None:
    """A case row written in SQL, with the columns the schema has at this revision (the
    services write the columns of the newest schema)."""
    with db.engine.begin() as conn:
        columns = conn.exec_driver_sql("PRAGMA table_info(cases)").fetchall()
        values: dict[str, object] = {}
        for _cid, column, kind, notnull, default, primary in columns:
            if primary or not notnull or default is not None:
                continue
            kind = str(kind).upper()
            values[column] = (
                0
                if kind.startswith(("INT", "BOOL"))
                else "2026-01-05"
                if kind in {"DATE", "DATETIME"}
                else ""
            )
        values.update(full_name=name, status=status, notified_on="2026-01-05")
        names = ", ".join(values)
        marks = ", ".join(f":{c}" for c in values)
        conn.execute(text(f"INSERT INTO cases ({names}) VALUES ({marks})"), values)


def test_upgrade_from_0002_adds_the_list_indexes_and_keeps_every_row(tmp_path: Path) -> None:
    db = _database(tmp_path / "old.cme")
    try:
        migrations.upgrade(db, target="0002")
        assert migrations.current_revision(db) == "0002"
        assert set(_indexes(db)) >= REPLACED and not NEW_INDEXES & set(_indexes(db))
        for name in ("Cara Zed", "abe Young", "Bea Xu", "Dan Wu"):
            _insert_case(db, name)
        _insert_case(db, "Eve Vance", status="closed")

        backup = migrations.upgrade(db, target="0003")

        assert backup is not None and backup.exists(), "an encrypted copy is made first"
        assert migrations.current_revision(db) == "0003"
        indexes = _indexes(db)
        assert set(indexes) >= NEW_INDEXES
        assert not REPLACED & set(indexes)
        with db.engine.connect() as conn:
            names = [
                r[0]
                for r in conn.exec_driver_sql(
                    "SELECT full_name FROM cases WHERE status = 'open' ORDER BY full_name, id"
                )
            ]
            plan = " ".join(
                str(r[-1])
                for r in conn.exec_driver_sql(
                    "EXPLAIN QUERY PLAN SELECT id FROM cases WHERE status = 'open' "
                    "ORDER BY full_name, id LIMIT 200"
                )
            )
            hits = conn.exec_driver_sql(
                "SELECT count(*) FROM case_search WHERE case_search MATCH '\"xu\"*'"
            ).scalar_one()
        assert names == ["abe Young", "Bea Xu", "Cara Zed", "Dan Wu"]
        assert "ix_cases_list_name" in plan and "TEMP B-TREE FOR ORDER BY" not in plan, plan
        assert hits == 1, "the search index still follows the cases"
        assert db.integrity_problems() == []
    finally:
        db.close()


def test_the_models_declare_every_index_of_the_migration() -> None:
    tables = (Case.__table__, Task.__table__)
    declared = {index.name for table in tables for index in table.indexes}
    assert declared >= NEW_INDEXES
    assert not REPLACED & declared


def test_the_head_is_read_from_the_scripts_as_alembic_reads_it() -> None:
    assert migrations.head_revision() == migrations._alembic_head()


def test_unlocking_a_current_vault_does_not_load_alembic(tmp_path: Path) -> None:
    template = make_template(tmp_path / "v")
    check = (
        "import sys\n"
        "from cme_desktop.services.vault.unlock import Vault\n"
        "from tests.support.credentials import FAST_SCRYPT\n"
        f"db = Vault({str(template.folder / 'cases.cme')!r}, scrypt=FAST_SCRYPT)"
        f".unlock({PASSPHRASE!r})\n"
        "db.close()\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'alembic'))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", check],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.stdout.strip().splitlines()[-1] == "[]"
