"""The hash-chained audit log: written in the change's transaction, tampering detected."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlcipher3.dbapi2 as sqlcipher
from sqlalchemy import func, select

from cme_desktop.models import AuditEvent
from cme_desktop.services.cases.service import CaseDraft, CaseService
from cme_desktop.services.vault import audit
from cme_desktop.services.vault.audit import AuditCheck
from cme_desktop.services.vault.database import Database
from cme_desktop.services.vault.vault import Vault
from tests.conftest import PASSPHRASE
from tests.vault_copies import Template, copy_vault, make_template


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    return make_template(tmp_path_factory.mktemp("template"))


@pytest.fixture
def copy(template: Template, tmp_path: Path) -> Vault:
    return copy_vault(template, tmp_path / "v")


@pytest.fixture
def opened_db(copy: Vault) -> Iterator[Database]:
    db = copy.unlock(PASSPHRASE, actor="Test Officer")
    yield db
    db.close()


@pytest.fixture
def filled(copy: Vault) -> Iterator[tuple[Vault, bytes]]:
    """A locked vault with a dozen audit events, and its database key."""
    db = copy.unlock(PASSPHRASE, actor="Test Officer")
    cases = CaseService(db)
    for n in range(3):
        case_id = cases.create(draft=CaseDraft(full_name=f"Child {n}"))
        cases.get(case_id)
        cases.close(case_id, outcome="on_roll")
    key = bytes(db.key)
    db.close()
    yield copy, key


def _raw(path: Path, key: bytes) -> sqlcipher.Connection:
    """A keyed SQLCipher connection that bypasses the application, as a tamperer would."""
    conn = sqlcipher.connect(str(path))
    conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
    return conn


def _tamper(vault: Vault, key: bytes, sql: str, params: tuple[object, ...] = ()) -> None:
    conn = _raw(vault.path, key)
    try:
        assert conn.execute(sql, params).rowcount == 1
        conn.commit()
    finally:
        conn.close()


def _verify(vault: Vault) -> AuditCheck:
    db = vault.unlock(PASSPHRASE, actor="Test Officer")
    try:
        with db.read() as session:
            return audit.verify(session, db.audit_key)
    finally:
        db.close()


def test_an_untouched_chain_verifies(filled: tuple[Vault, bytes]) -> None:
    vault, _ = filled
    check = _verify(vault)
    assert check.ok
    assert check.rows >= 12
    assert check.problem == ""


def test_the_chain_is_keyed(opened_db: Database) -> None:
    with opened_db.read() as session:
        assert audit.verify(session, opened_db.audit_key).ok
        wrong = audit.verify(session, b"\x00" * 32)
    assert not wrong.ok
    assert wrong.first_bad_id == 1


def test_an_event_is_part_of_the_change_it_records(opened_db: Database) -> None:
    db = opened_db

    def count() -> int:
        with db.read() as session:
            return int(session.scalar(select(func.count()).select_from(AuditEvent)) or 0)

    before = count()
    with pytest.raises(RuntimeError), db.write() as session:
        audit.record(session, db, action="case_updated", entity="case", entity_id=1)
        raise RuntimeError("the change failed after the event was written")
    assert count() == before, "a rolled-back change leaves no audit event"

    with db.write() as session:
        audit.record(session, db, action="exported", entity="case", entity_id=7, detail="x" * 900)
    with db.read() as session:
        (row,) = audit.recent(session, limit=1, entity_id=7)
        assert (row.action, row.entity, row.entity_id, row.actor) == (
            "exported",
            "case",
            7,
            "Test Officer",
        )
        assert len(row.detail) == 500
        assert audit.recent(session, entity_id=12345) == []
        assert audit.verify(session, db.audit_key).ok


def test_an_edited_row_is_named(filled: tuple[Vault, bytes]) -> None:
    vault, key = filled
    _tamper(vault, key, "UPDATE audit_log SET detail = 'outcome=ehe' WHERE id = 5")
    check = _verify(vault)
    assert not check.ok
    assert check.first_bad_id == 5
    assert check.problem == "row 5 has been altered"


def test_an_edited_actor_or_time_is_named(filled: tuple[Vault, bytes]) -> None:
    vault, key = filled
    _tamper(vault, key, "UPDATE audit_log SET actor = 'Someone Else' WHERE id = 3")
    assert _verify(vault).first_bad_id == 3


def test_a_deleted_row_is_named(filled: tuple[Vault, bytes]) -> None:
    vault, key = filled
    _tamper(vault, key, "DELETE FROM audit_log WHERE id = 6")
    check = _verify(vault)
    assert check.first_bad_id == 7
    assert check.problem == "row 6 is missing"


def test_an_inserted_row_is_named(filled: tuple[Vault, bytes]) -> None:
    vault, key = filled
    conn = _raw(vault.path, key)
    last_id, last_hash, at = conn.execute(
        "SELECT id, hash, at FROM audit_log ORDER BY id DESC LIMIT 1"
    ).fetchone()
    conn.close()
    # A forger without the audit key can only guess the hash, e.g. a plain SHA-256.
    forged = hashlib.sha256(f"{last_id + 1}{last_hash}".encode()).hexdigest()
    _tamper(
        vault,
        key,
        "INSERT INTO audit_log (id, at, actor, action, entity, entity_id, detail, prev_hash,"
        " hash) VALUES (?, ?, 'Test Officer', 'case_read', 'case', 1, '', ?, ?)",
        (last_id + 1, at, last_hash, forged),
    )
    check = _verify(vault)
    assert check.first_bad_id == last_id + 1
    assert check.problem == f"row {last_id + 1} has been altered"


def test_a_row_inserted_after_a_gap_is_named(filled: tuple[Vault, bytes]) -> None:
    vault, key = filled
    conn = _raw(vault.path, key)
    (last_id,) = conn.execute("SELECT max(id) FROM audit_log").fetchone()
    conn.close()
    _tamper(
        vault,
        key,
        "INSERT INTO audit_log (id, at, actor, action, entity, entity_id, detail, prev_hash,"
        " hash) VALUES (?, '2026-01-01 09:00:00.000000', '', 'unlock', 'vault', NULL, '', ?, ?)",
        (last_id + 2, "0" * 64, "0" * 64),
    )
    check = _verify(vault)
    assert check.first_bad_id == last_id + 2
    assert check.problem == f"row {last_id + 1} is missing"


def test_a_row_moved_out_of_order_is_named(filled: tuple[Vault, bytes]) -> None:
    vault, key = filled
    _tamper(vault, key, "UPDATE audit_log SET prev_hash = ? WHERE id = 4", ("f" * 64,))
    check = _verify(vault)
    assert check.first_bad_id == 4
    assert check.problem == "row 4 does not follow row 3"
