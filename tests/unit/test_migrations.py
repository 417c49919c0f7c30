"""Schema migrations: the initial one, an upgrade with its backup, and models vs migrations."""

from __future__ import annotations

import secrets
import shutil
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, MetaData, String, text

from cme_desktop.models import Base, load_all
from cme_desktop.services.cases.case_list import CaseList, CaseQuery
from cme_desktop.services.cases.detail import CaseDraft
from cme_desktop.services.cases.service import CaseService
from cme_desktop.services.errors import CmeError
from cme_desktop.services.vault import audit, migrations
from cme_desktop.services.vault.database import Database
from cme_desktop.services.vault.keyslots import derive_subkey
from cme_desktop.services.vault.unlock import Vault
from tests.support.credentials import PASSPHRASE
from tests.support.vault_copies import Template, copy_vault, make_template

#: The FTS5 index and its shadow tables, and the kept case and task counts (0015, 0018, a
#: vault's only), are made by raw SQL, not by the models.
SEARCH_TABLES = {
    "case_search",
    "case_search_data",
    "case_search_idx",
    "case_search_docsize",
    "case_search_config",
    "case_counts",
    "task_counts",
}

#: Indexes a vault has and the models do not (a server does without them): 0016.
VAULT_ONLY_INDEXES = {"ix_cases_list_rows"}

#: Tables a later revision adds, so not made by the initial one.
#: 0008, 0011, 0012, 0013.
LATER_TABLES = {
    "case_closures",
    "case_enquiries",
    "school_returns",
    "stored_figures",
    "checkouts",
    "checkout_records",
    "register_entries",
    "register_parents",
    "register_providers",
    "register_events",
}


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    return make_template(tmp_path_factory.mktemp("template"))


def _empty_database(path: Path) -> Database:
    key = bytearray(secrets.token_bytes(32))
    return Database.open(path, key, audit_key=derive_subkey(key, "audit-chain"))


def _schema_diff(db: Database, metadata: MetaData) -> list[Any]:
    def include_name(name: str | None, type_: str, _parent: Any) -> bool:
        return not (
            (type_ == "table" and name in SEARCH_TABLES)
            or (type_ == "index" and name in VAULT_ONLY_INDEXES)
        )

    with db.engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "compare_type": True,
                "compare_server_default": True,
                "include_name": include_name,
            },
        )
        return list(compare_metadata(context, metadata))


# --- the initial migration -------------------------------------------------------------


def test_initial_migration_from_an_empty_file(tmp_path: Path) -> None:
    db = _empty_database(tmp_path / "empty.cme")
    try:
        assert migrations.current_revision(db) is None
        assert migrations.upgrade(db, target="0001") is None, "no backup of an empty file"
        assert migrations.current_revision(db) == "0001"
        with db.engine.connect() as conn:
            names = {
                r[0]: r[1]
                for r in conn.exec_driver_sql("SELECT name, type FROM sqlite_master").fetchall()
            }
        for table in set(Base.metadata.tables) - LATER_TABLES:
            assert names.get(table) == "table", table
        assert names["case_search"] == "table"
        assert {n for n, kind in names.items() if kind == "trigger"} == {
            "cases_ai",
            "cases_ad",
            "cases_au",
        }
        assert not list(tmp_path.glob("*.bak"))
    finally:
        db.close()


def test_a_vault_at_head_is_left_alone(template: Template, tmp_path: Path) -> None:
    db = copy_vault(template, tmp_path / "v").unlock(PASSPHRASE)
    try:
        assert migrations.current_revision(db) == migrations.head_revision()
        assert migrations.upgrade(db) is None
        assert migrations.upgrade(db, target=migrations.head_revision()) is None
        assert not list((tmp_path / "v").glob("*.bak"))
    finally:
        db.close()


def test_the_models_and_the_migrations_agree(template: Template, tmp_path: Path) -> None:
    """Fails when a model changes without a migration (alembic's autogenerate is empty)."""
    load_all()
    db = copy_vault(template, tmp_path / "v").unlock(PASSPHRASE)
    try:
        assert _schema_diff(db, Base.metadata) == []

        # The check itself notices a model change that has no migration.
        changed = MetaData(naming_convention=Base.metadata.naming_convention)
        for table in Base.metadata.sorted_tables:
            table.to_metadata(changed)
        changed.tables["cases"].append_column(Column("nickname", String(100)))
        diff = _schema_diff(db, changed)
        assert [d[0] for d in diff] == ["add_column"]
        assert diff[0][3].name == "nickname"
    finally:
        db.close()


# --- upgrading an existing vault ------------------------------------------------------------

RECREATE_CASES = """
    # Rebuilds ``cases`` (as SQLite batch migrations do for most changes), then puts back
    # the search and count triggers that dropping the old table removed. The task counts'
    # triggers on ``tasks`` read ``cases``: SQLite refuses to rename the new table into
    # place while they name a table that is gone, so they go first and come back after.
    TASKS = importlib.import_module("cme_desktop.migrations.versions.0018_task_counts")
    for name in TASKS.NAMES:
        op.execute(f"DROP TRIGGER {name}")
    with op.batch_alter_table("cases", recreate="always") as batch:
        batch.add_column(sa.Column("pronouns", sa.String(40), nullable=True))
    for statement in INITIAL.SEARCH_INDEX[1:]:
        op.execute(statement)
    COUNTS = importlib.import_module("cme_desktop.migrations.versions.0017_case_counts_by_step")
    for statement in (*COUNTS.TRIGGERS, *TASKS.TRIGGERS):
        op.execute(statement)
"""

FORGETS_TRIGGERS = """
    TASKS = importlib.import_module("cme_desktop.migrations.versions.0018_task_counts")
    for name in TASKS.NAMES:
        op.execute(f"DROP TRIGGER {name}")
    with op.batch_alter_table("cases", recreate="always") as batch:
        batch.add_column(sa.Column("pronouns", sa.String(40), nullable=True))
"""

KEEPS_TASK_TRIGGERS = """
    with op.batch_alter_table("cases", recreate="always") as batch:
        batch.add_column(sa.Column("pronouns", sa.String(40), nullable=True))
"""

FAILS_HALF_WAY = """
    op.create_table("half_made", sa.Column("id", sa.Integer, primary_key=True))
    op.execute("INSERT INTO no_such_table VALUES (1)")
"""


def _scripts_with(tmp_path: Path, body: str) -> Path:
    """A copy of the migration scripts with one more revision on top of the head."""
    scripts = tmp_path / "scripts"
    shutil.copytree(
        migrations.SCRIPTS, scripts, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
    )
    head = migrations.head_revision()
    source = textwrap.dedent(
        f'''
        """a later revision, for the upgrade tests"""
        import importlib

        import sqlalchemy as sa
        from alembic import op

        INITIAL = importlib.import_module("cme_desktop.migrations.versions.0001_initial_schema")

        revision = "9999test"
        down_revision = "{head}"
        branch_labels = None
        depends_on = None


        def upgrade():
        '''
    )
    source += textwrap.indent(textwrap.dedent(body).strip("\n"), "    ") + "\n"
    source += "\n\ndef downgrade():\n    raise NotImplementedError\n"
    (scripts / "versions" / "9999_test.py").write_text(source, "utf-8")
    return scripts


@pytest.fixture
def old_vault(template: Template, tmp_path: Path) -> Iterator[tuple[Vault, int]]:
    """A vault at today's head with one case that has rows in the child tables."""
    vault = copy_vault(template, tmp_path / "v")
    db = vault.unlock(PASSPHRASE, actor="Test Officer")
    cases = CaseService(db)
    case_id = cases.create(
        draft=CaseDraft(full_name="Dora Quimby", last_known_address="4 Elm Row, Leicester")
    )
    cases.save_carer(case_id, name="Edna Quimby", relationship="Mother")
    db.close()
    yield vault, case_id


def _counts(db: Database) -> dict[str, int]:
    with db.read() as session:
        return {
            table: int(session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
            for table in ("cases", "carers", "addresses", "step_progress", "audit_log")
        }


def test_upgrade_makes_a_backup_first_and_keeps_every_row(
    old_vault: tuple[Vault, int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    vault, case_id = old_vault
    before_rev = migrations.head_revision()
    monkeypatch.setattr(migrations, "SCRIPTS", _scripts_with(tmp_path, RECREATE_CASES))
    assert migrations.head_revision() == "9999test"

    db = vault.unlock(PASSPHRASE, actor="Test Officer")
    try:
        assert migrations.current_revision(db) == "9999test"
        backup = vault.path.with_name(f"cases.cme.before-{before_rev}.bak")
        assert backup.exists()
        conn = db.open_other(backup)
        try:
            assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == (
                before_rev,
            )
            assert conn.execute("SELECT full_name FROM cases").fetchall() == [("Dora Quimby",)]
        finally:
            conn.close()

        counts = _counts(db)
        assert counts["carers"] == 1, "rebuilding cases does not cascade to its children"
        assert counts["addresses"] == 1
        assert counts["step_progress"] == 2
        with db.read() as session:
            assert session.execute(text("SELECT pronouns FROM cases")).all() == [(None,)]
            assert audit.verify(session, db.audit_key).ok
        assert db.integrity_problems() == []
        with db.engine.connect() as c:
            assert c.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        # The vault's own index of the list's rows (0016) is rebuilt with the table, and
        # stays partial (a full one would draw other queries to its wide entries).
        with db.engine.connect() as c:
            indexes = dict(
                c.exec_driver_sql(
                    "SELECT name, sql FROM sqlite_master"
                    " WHERE type = 'index' AND tbl_name = 'cases'"
                ).all()
            )
        assert set(indexes) >= VAULT_ONLY_INDEXES, indexes
        assert indexes["ix_cases_list_rows"].endswith("WHERE surname_key >= ''"), indexes
        # The search index still follows old and new cases.
        new_id = CaseService(db).create(draft=CaseDraft(full_name="Dorian Quimby"))
        found = CaseList(db).matching_ids(CaseQuery(search="quim", quick="all"))
        assert sorted(found) == sorted([case_id, new_id])
    finally:
        db.close()


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (FAILS_HALF_WAY, "no_such_table"),
        (FORGETS_TRIGGERS, "dropped the triggers"),
        (KEEPS_TASK_TRIGGERS, "error in trigger task_counts_ai"),
    ],
)
def test_a_failed_upgrade_changes_nothing(
    old_vault: tuple[Vault, int],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    body: str,
    why: str,
) -> None:
    vault, case_id = old_vault
    before_rev = migrations.head_revision()
    original = migrations.SCRIPTS
    monkeypatch.setattr(migrations, "SCRIPTS", _scripts_with(tmp_path, body))
    with pytest.raises(CmeError) as caught:
        vault.unlock(PASSPHRASE)
    message = caught.value.message
    assert why in message
    assert "nothing was changed" in message
    assert f"cases.cme.before-{before_rev}.bak" in message
    assert "\n" not in message

    monkeypatch.setattr(migrations, "SCRIPTS", original)
    db = vault.unlock(PASSPHRASE)
    try:
        assert migrations.current_revision(db) == before_rev
        assert _counts(db)["carers"] == 1
        with db.engine.connect() as conn:
            tables = {r[0] for r in conn.exec_driver_sql("SELECT name FROM sqlite_master")}
        assert "half_made" not in tables
        assert {"cases_ai", "cases_ad", "cases_au"} <= tables
        assert CaseService(db).get(case_id).full_name == "Dora Quimby"
    finally:
        db.close()
