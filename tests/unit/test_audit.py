"""The hash-chained audit log: written in the change's transaction, tampering detected."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlcipher3.dbapi2 as sqlcipher
from sqlalchemy import Column, func, inspect, select
from sqlalchemy.orm import ColumnProperty

from cme_desktop.models import AuditEvent
from cme_desktop.services.cases.closing import ClosureDetails
from cme_desktop.services.cases.detail import CaseDraft
from cme_desktop.services.cases.service import CaseService
from cme_desktop.services.vault import audit
from cme_desktop.services.vault.audit import AuditCheck
from cme_desktop.services.vault.database import Database
from cme_desktop.services.vault.unlock import Vault
from tests.support.credentials import PASSPHRASE
from tests.support.vault_copies import Template, copy_vault, make_template


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
        cases.close(
            case_id,
            outcome="on_roll",
            details=ClosureDetails(school="Marchbank Primary", school_start=date.today()),
        )
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


# Each column of row 6 (case 1 closed) forged on its own in the stored vault, as a
# tamperer with the database key but not the audit key would: every one must be named.
ROW = 6


@dataclass(frozen=True)
class Tamper:
    column: str
    forge: Callable[[Any], Any]
    first_bad_id: int
    problem: str
    name: str = ""


def _flip(hex_hash: str) -> str:
    return hex_hash[:-1] + ("0" if hex_hash[-1] != "0" else "1")


def _backdate(stored: str) -> str:
    earlier = datetime.fromisoformat(stored) - timedelta(days=1)
    return earlier.strftime("%Y-%m-%d %H:%M:%S.%f")


ALTERED = (ROW, f"row {ROW} has been altered")
TAMPERS = [
    Tamper("id", lambda stored: stored + 100, ROW + 1, f"row {ROW} is missing"),
    Tamper("at", _backdate, *ALTERED),
    Tamper("actor", lambda _: "Someone Else", *ALTERED),
    Tamper("action", lambda _: "case_read", *ALTERED),
    Tamper("entity", lambda _: "vault", *ALTERED),
    Tamper("entity_id", lambda stored: stored + 1, *ALTERED),
    Tamper("entity_id", lambda _: None, *ALTERED, name="entity_id-emptied"),
    Tamper("detail", lambda _: "outcome=ehe", *ALTERED),
    Tamper("prev_hash", _flip, ROW, f"row {ROW} does not follow row {ROW - 1}"),
    Tamper("hash", _flip, *ALTERED),
]


def test_every_column_of_the_audit_log_has_a_tamper_case() -> None:
    assert {t.column for t in TAMPERS} == {c.name for c in AuditEvent.__table__.columns}


@pytest.mark.parametrize("tamper", TAMPERS, ids=lambda t: t.name or t.column)
def test_a_forged_column_is_named(filled: tuple[Vault, bytes], tamper: Tamper) -> None:
    vault, key = filled
    conn = _raw(vault.path, key)
    try:
        (stored,) = conn.execute(
            f"SELECT {tamper.column} FROM audit_log WHERE id = ?", (ROW,)
        ).fetchone()
    finally:
        conn.close()
    forged = tamper.forge(stored)
    assert forged != stored
    _tamper(vault, key, f"UPDATE audit_log SET {tamper.column} = ? WHERE id = ?", (forged, ROW))
    check = _verify(vault)
    assert (check.first_bad_id, check.problem) == (tamper.first_bad_id, tamper.problem)


KEY = b"\x07" * 32


def _sample_row(**changes: Any) -> AuditEvent:
    values: dict[str, Any] = {
        "id": 6,
        "at": datetime(2026, 3, 2, 9, 30, 0, 123456),
        "actor": "Test Officer",
        "action": "case_closed",
        "entity": "case",
        "entity_id": 1,
        "detail": "outcome=on_roll",
        "prev_hash": "a" * 64,
    }
    return AuditEvent(**{**values, **changes})


def _another(value: Any, column: Column[Any]) -> Any:
    """A value of the column's type other than ``value``."""
    kind = column.type.python_type
    if kind is int:
        return 1 if value is None else value + 1
    if kind is str:
        return "x" if value is None else value + "x"
    if kind is datetime:
        return datetime(2026, 1, 1) if value is None else value + timedelta(microseconds=1)
    pytest.fail(f"no other value known for a {kind.__name__} column ({column.name}): add one")


# Introspected, so that a column added to the table later fails here until it is hashed.
CHAINED = [p for p in inspect(AuditEvent).column_attrs if p.key != "hash"]


@pytest.mark.parametrize("prop", CHAINED, ids=lambda p: p.key)
def test_every_column_but_the_hash_is_in_the_digest(prop: ColumnProperty[Any]) -> None:
    row = _sample_row()
    before = audit.row_hash(KEY, row)
    setattr(row, prop.key, _another(getattr(row, prop.key), prop.columns[0]))
    assert audit.row_hash(KEY, row) != before, f"{prop.key} is not in the audit digest"


def test_the_digest_is_the_one_stored_vaults_hold() -> None:
    # Existing chains verify only while these hold: changing the digest's fields, their
    # order or their encoding would make every stored vault look tampered with.
    assert audit.row_hash(KEY, _sample_row()) == (
        "ff468054dbdc2a770ec63c633bfdf417184968abd9340b145517b9a62c62d837"
    )
    assert audit.row_hash(KEY, _sample_row(entity_id=None)) == (
        "f064cf588031d03eee23ed6208c77cbbf160c499173434cb3f56f9986017736b"
    )


# --- the rows after an anchor, and incidents on record -----------------------------------


def test_the_rows_after_a_row_are_checked_on_their_own(filled: tuple[Vault, bytes]) -> None:
    vault, key = filled
    db = vault.unlock(PASSPHRASE, actor="Test Officer")
    try:
        with db.read() as session:
            newest, _ = audit.newest(session)
            row4 = session.get(AuditEvent, 4)
            assert row4 is not None
            assert (
                audit.verify_after(
                    session, db.audit_key, after_id=4, after_hash=row4.hash, limit=1000
                )
                is None
            )
            wrong = audit.verify_after(
                session, db.audit_key, after_id=4, after_hash="f" * 64, limit=1000
            )
            assert wrong == "row 5 does not follow row 4"
            # Only ``limit`` rows are read: a break past them is left to ``verify``.
            assert (
                audit.verify_after(
                    session, db.audit_key, after_id=newest - 1, after_hash="f" * 64, limit=0
                )
                is None
            )
    finally:
        db.close()
    _tamper(vault, key, "DELETE FROM audit_log WHERE id = 6")
    db = vault.unlock(PASSPHRASE, actor="Test Officer")
    try:
        with db.read() as session:
            row4 = session.get(AuditEvent, 4)
            assert row4 is not None
            found = audit.verify_after(
                session, db.audit_key, after_id=4, after_hash=row4.hash, limit=1000
            )
        assert found == "row 6 is missing"
    finally:
        db.close()


def test_incidents_on_record_are_summed_up_without_names() -> None:
    at = datetime(2026, 12, 5, 9, 14)
    missing = audit.Incident(7, at, "audit_rows_missing", "missing=3 anchor=8 found=5")
    assert missing.breaks_log
    assert missing.summary == (
        "3 newest audit rows were missing at the unlock of 05/12/2026 09:14: the key file "
        "recorded row 8, the log ended at row 5"
    )
    one = audit.Incident(7, at, "audit_rows_missing", "missing=1 anchor=8 found=7")
    assert one.summary.startswith("1 newest audit row was missing")
    edited = audit.Incident(9, at, "key_file_altered", "parts=the_passphrase_slot")
    assert not edited.breaks_log
    assert "(the passphrase slot)" in edited.summary
    deleted = audit.Incident(9, at, "unlock_attempts_deleted", "count=3")
    assert deleted.summary.endswith("failed unlocks audited without their times: 3")
