"""The audit log cannot be cut short unnoticed, nor the record of failed unlocks erased.

Each tamper case is made on the files as they lie on disk (``tests/support/tampering``),
then the vault is unlocked as the officer would: what the unlock finds, what
``audit verify`` says afterwards, and what a crash (not a tamperer) must not trigger.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from cme_desktop.models import AuditEvent
from cme_desktop.services.cases.detail import CaseDraft
from cme_desktop.services.cases.service import CaseService
from cme_desktop.services.errors import OutputError, WrongPassphrase
from cme_desktop.services.vault import anchor, attempts, audit, health
from cme_desktop.services.vault.database import Database, checkpoint
from cme_desktop.services.vault.keyslots import (
    Anchor,
    derive_subkey,
    read_slots,
    seal_key_of,
    write_slots,
)
from cme_desktop.services.vault.unlock import Vault
from tests.support.credentials import FAST_SCRYPT, PASSPHRASE
from tests.support.tampering import execute
from tests.support.vault_copies import Template, copy_vault, make_template

WRONG = "not the passphrase at all"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    return make_template(tmp_path_factory.mktemp("template"))


@pytest.fixture
def filled(template: Template, tmp_path: Path) -> Iterator[tuple[Vault, bytes]]:
    """A locked vault with a dozen audit rows, and its database key."""
    vault = copy_vault(template, tmp_path / "vault")
    db = vault.unlock(PASSPHRASE, actor="Test Officer")
    cases = CaseService(db)
    for n in range(4):
        cases.create(draft=CaseDraft(full_name=f"Child {n}"))
    key = bytes(db.key)
    db.close()
    yield vault, key


def _newest(vault: Vault, key: bytes) -> int:
    conn_db = Database.open(vault.path, bytearray(key), audit_key=derive_subkey(key, "audit-chain"))
    try:
        with conn_db.read() as session:
            return audit.newest(session)[0]
    finally:
        conn_db.close()


def _audit_check(db: Database) -> audit.AuditCheck:
    return health.check_audit(db)


# --- the newest rows deleted -------------------------------------------------------------


def test_deleted_newest_rows_are_reported_at_unlock_and_stay_on_record(
    filled: tuple[Vault, bytes],
) -> None:
    vault, key = filled
    newest = _newest(vault, key)
    assert execute(vault.path, key, "DELETE FROM audit_log WHERE id > ?", (newest - 3,)) == 3

    db = vault.unlock(PASSPHRASE, actor="Test Officer")
    try:
        (finding,) = db.findings
        assert finding.kind == "audit_rows_missing"
        assert finding.message.startswith("3 newest audit rows are missing")
        check = _audit_check(db)
        assert not check.ok and check.problem == "", "the chain itself is whole"
        (lost,) = [i for i in check.incidents if i.breaks_log]
        assert lost.summary.startswith("3 newest audit rows were missing")
    finally:
        db.close()
    # Recorded once; every later check still says the log is not whole.
    again = vault.unlock(PASSPHRASE)
    try:
        assert again.findings == []
        assert not _audit_check(again).ok
    finally:
        again.close()


def test_every_audit_row_deleted_is_reported(filled: tuple[Vault, bytes]) -> None:
    vault, key = filled
    newest = _newest(vault, key)
    assert execute(vault.path, key, "DELETE FROM audit_log") == newest
    db = vault.unlock(PASSPHRASE)
    try:
        (finding,) = db.findings
        assert finding.message.startswith(f"{newest} newest audit rows are missing")
        assert "ends at row 0" in finding.message
        with db.read() as session:
            first = session.scalar(select(AuditEvent).where(AuditEvent.id == 1))
            assert first is not None and first.action == "audit_rows_missing"
            assert first.detail == f"missing={newest} anchor={newest} found=0"
    finally:
        db.close()


def test_a_truncated_write_ahead_log_is_reported(
    filled: tuple[Vault, bytes], tmp_path: Path
) -> None:
    vault, key = filled
    db = vault.unlock(PASSPHRASE)
    checkpoint(db)
    for n in range(5):
        CaseService(db).create(draft=CaseDraft(full_name=f"Late {n}"))
    assert db.anchor is not None
    db.anchor.flush()
    # What the disk holds if the computer stops now: the commits are in the WAL.
    image = tmp_path / "image"
    image.mkdir()
    for suffix in ("", "-wal", ".keys"):
        shutil.copyfile(Path(f"{vault.path}{suffix}"), image / f"cases.cme{suffix}")
    db.close()
    wal = image / "cases.cme-wal"
    assert wal.stat().st_size > 0
    wal.write_bytes(b"")  # the WAL truncated: every commit since the checkpoint is gone

    copy = Vault(image / "cases.cme", scrypt=FAST_SCRYPT)
    reopened = copy.unlock(PASSPHRASE)
    try:
        (finding,) = reopened.findings
        assert finding.kind == "audit_rows_missing"
        assert re.match(r"\d+ newest audit rows are missing", finding.message)
    finally:
        reopened.close()


def test_a_log_cut_back_and_written_again_is_reported(filled: tuple[Vault, bytes]) -> None:
    vault, key = filled
    newest = _newest(vault, key)
    execute(vault.path, key, "DELETE FROM audit_log WHERE id > ?", (newest - 2,))
    # Someone with the key and the program's code writes new, well-chained rows in their place.
    forger = Database.open(vault.path, bytearray(key), audit_key=derive_subkey(key, "audit-chain"))
    try:
        for _ in range(4):
            with forger.write() as session:
                audit.record(session, forger, action="case_read", entity="case", entity_id=1)
    finally:
        forger.close()
    db = vault.unlock(PASSPHRASE)
    try:
        (finding,) = db.findings
        assert finding.kind == "audit_log_rewritten"
        assert f"Audit row {newest} is not the one" in finding.message
        with db.read() as session:
            assert audit.verify(session, db.audit_key).problem == ""
        assert not _audit_check(db).ok
    finally:
        db.close()


def test_a_monthly_saves_anchor_catches_a_key_file_put_back_with_the_log(
    filled: tuple[Vault, bytes], tmp_path: Path
) -> None:
    from datetime import date

    from cme_desktop.services.vault.backups import monthly_save

    vault, key = filled
    old_keys = vault.slots_path.read_bytes()
    old_anchor = read_slots(vault.slots_path).anchor
    assert old_anchor is not None
    db = vault.unlock(PASSPHRASE)
    assert monthly_save(db, today=date(2026, 11, 3)) is not None
    CaseService(db).create(draft=CaseDraft(full_name="After the save"))
    db.close()
    # The log cut back to where an older copy of the key file left it, and that copy put
    # back: the two agree, but the monthly save on record holds a later anchor.
    execute(vault.path, key, "DELETE FROM audit_log WHERE id > ?", (old_anchor.audit_id,))
    vault.slots_path.write_bytes(old_keys)
    db = vault.unlock(PASSPHRASE)
    try:
        assert db.findings == [], "the key file agrees with the log it was put back with"
        check = _audit_check(db)
        assert not check.ok
        (problem,) = check.anchor_problems
        # This unlock's own rows now stand where the deleted ones were.
        assert problem.startswith("Audit row ")
        assert "is not the one the monthly save cases-2026-11.cme records" in problem
    finally:
        db.close()


# --- not tampering: a crash, concurrent writers ------------------------------------------------


def test_an_anchor_left_behind_by_a_crash_is_not_tampering(
    filled: tuple[Vault, bytes], tmp_path: Path
) -> None:
    vault, _ = filled
    behind = vault.slots_path.read_bytes()
    db = vault.unlock(PASSPHRASE)
    for n in range(3):
        CaseService(db).create(draft=CaseDraft(full_name=f"After {n}"))
    db.close()
    # The process stopped between its commits and the anchor's move: the key file is behind.
    anchored = read_slots(vault.slots_path).anchor
    vault.slots_path.write_bytes(behind)
    assert read_slots(vault.slots_path).anchor != anchored
    db = vault.unlock(PASSPHRASE)
    try:
        assert db.findings == []
        assert _audit_check(db).ok
    finally:
        db.close()
    assert read_slots(vault.slots_path).anchor.audit_id > anchored.audit_id  # type: ignore[union-attr]


def test_the_anchor_follows_each_change_and_is_current_at_lock(filled: tuple[Vault, bytes]) -> None:
    vault, _ = filled
    db = vault.unlock(PASSPHRASE)
    keeper = db.anchor
    assert isinstance(keeper, anchor.AnchorKeeper)
    keeper.interval = 60.0  # a burst of changes: the anchor waits for the timer or the lock
    before = read_slots(vault.slots_path).anchor
    CaseService(db).create(draft=CaseDraft(full_name="One more"))
    assert read_slots(vault.slots_path).anchor == before
    with db.read() as session:
        newest = audit.newest(session)
    db.close()
    assert read_slots(vault.slots_path).anchor == Anchor(*newest)


def test_the_anchor_moves_at_once_when_changes_are_sparse(filled: tuple[Vault, bytes]) -> None:
    vault, _ = filled
    db = vault.unlock(PASSPHRASE)
    try:
        assert isinstance(db.anchor, anchor.AnchorKeeper)
        db.anchor.interval = 0.0
        CaseService(db).create(draft=CaseDraft(full_name="Sparse"))
        with db.read() as session:
            newest = audit.newest(session)
        assert read_slots(vault.slots_path).anchor == Anchor(*newest)
    finally:
        db.close()


def test_the_anchor_never_moves_back_nor_reseals_an_edited_file(
    filled: tuple[Vault, bytes],
) -> None:
    vault, key = filled
    seal = seal_key_of(key)
    keeper = anchor.AnchorKeeper(vault.slots_path, seal, interval=0.0)
    current = read_slots(vault.slots_path).anchor
    assert current is not None
    keeper.audit_committed(current.audit_id - 1, "a" * 64)
    assert read_slots(vault.slots_path).anchor == current
    edited = read_slots(vault.slots_path).without("recovery")
    write_slots(vault.slots_path, edited)  # the seal no longer fits
    keeper.audit_committed(current.audit_id + 5, "b" * 64)
    assert read_slots(vault.slots_path).anchor == current, "left as evidence for the unlock"


# --- the record of failed unlocks --------------------------------------------------------------


def _failed_rows(db: Database) -> list[str]:
    with db.read() as session:
        return list(
            session.scalars(
                select(AuditEvent.detail)
                .where(AuditEvent.action == "unlock_failed")
                .order_by(AuditEvent.id)
            )
        )


def _fail(vault: Vault, times: int) -> None:
    for _ in range(times):
        with pytest.raises(WrongPassphrase):
            vault.unlock(WRONG)


def test_failed_unlocks_are_counted_in_the_key_file_too(filled: tuple[Vault, bytes]) -> None:
    vault, _ = filled
    _fail(vault, 2)
    record = json.loads(vault.attempts_path.read_text("utf-8"))
    assert record["count"] == 2 and len(record["failed"]) == 2
    assert read_slots(vault.slots_path).failed.pending == 2
    db = vault.unlock(PASSPHRASE)
    try:
        assert db.findings == []
        assert all(re.fullmatch(r"at=\d{4}-\d\d-\d\dT[\d:]{8}", d) for d in _failed_rows(db))
        assert len(_failed_rows(db)) == 2
    finally:
        db.close()
    assert not vault.attempts_path.exists()
    assert read_slots(vault.slots_path).failed.pending == 0


def test_a_deleted_attempts_file_is_reported_and_each_attempt_audited(
    filled: tuple[Vault, bytes],
) -> None:
    vault, _ = filled
    _fail(vault, 3)
    vault.attempts_path.unlink()
    assert vault.failed_attempts() == 3, "the wait after failures is not reset either"
    db = vault.unlock(PASSPHRASE)
    try:
        (finding,) = db.findings
        assert finding.kind == "unlock_attempts_deleted"
        assert "has been deleted" in finding.message and "3 failed unlocks" in finding.message
        assert _failed_rows(db) == ["at=unknown"] * 3
    finally:
        db.close()


@pytest.mark.parametrize("edit", ["drop_one", "change_time", "fresh_record", "garbage"])
def test_an_edited_attempts_file_is_reported(filled: tuple[Vault, bytes], edit: str) -> None:
    vault, _ = filled
    _fail(vault, 3)
    record = json.loads(vault.attempts_path.read_text("utf-8"))
    if edit == "drop_one":
        record["failed"].pop(1)
    elif edit == "change_time":
        record["failed"][0] = "2020-01-01T00:00:00"
    elif edit == "fresh_record":
        # Rewritten consistently, as one failure of the same epoch: the count gives it away.
        fresh = attempts.Record.empty(record["epoch"]).with_attempt(record["failed"][-1])
        record = json.loads(fresh.to_bytes())
    if edit == "garbage":
        vault.attempts_path.write_bytes(b"\x00not json")
    else:
        vault.attempts_path.write_text(json.dumps(record), "utf-8")
    db = vault.unlock(PASSPHRASE)
    try:
        (finding,) = db.findings
        assert finding.kind == "unlock_attempts_edited"
        assert len(_failed_rows(db)) >= 3
    finally:
        db.close()


def test_a_refusal_stopped_between_its_two_writes_is_not_tampering(
    filled: tuple[Vault, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    vault, _ = filled
    _fail(vault, 1)

    def killed(path: Path, slots: object) -> None:
        raise OutputError("the process stopped here")

    monkeypatch.setattr(attempts, "write_slots", killed)
    _fail(vault, 1)
    monkeypatch.undo()
    assert read_slots(vault.slots_path).failed.pending == 1
    assert json.loads(vault.attempts_path.read_text("utf-8"))["count"] == 2
    db = vault.unlock(PASSPHRASE)
    try:
        assert db.findings == []
        assert len(_failed_rows(db)) == 2
    finally:
        db.close()


def test_an_attempts_file_left_by_an_interrupted_unlock_is_ignored(
    filled: tuple[Vault, bytes],
) -> None:
    vault, _ = filled
    _fail(vault, 1)
    left = vault.attempts_path.read_bytes()
    vault.unlock(PASSPHRASE).close()
    vault.attempts_path.write_bytes(left)  # the unlock stopped before removing it
    db = vault.unlock(PASSPHRASE)
    try:
        assert db.findings == []
        assert len(_failed_rows(db)) == 1, "audited once, at the unlock that took it"
    finally:
        db.close()
    assert not vault.attempts_path.exists()


def test_a_row_altered_after_the_anchor_is_reported_at_unlock(
    filled: tuple[Vault, bytes],
) -> None:
    vault, key = filled
    behind = vault.slots_path.read_bytes()
    db = vault.unlock(PASSPHRASE)
    for n in range(3):
        CaseService(db).create(draft=CaseDraft(full_name=f"Later {n}"))
    db.close()
    vault.slots_path.write_bytes(behind)  # the anchor left behind, as by a crash
    anchored = read_slots(vault.slots_path).anchor
    assert anchored is not None
    altered = anchored.audit_id + 2
    execute(vault.path, key, "UPDATE audit_log SET detail = 'x' WHERE id = ?", (altered,))
    db = vault.unlock(PASSPHRASE)
    try:
        (finding,) = db.findings
        assert finding.kind == "audit_chain_broken"
        assert f"row {altered} has been altered" in finding.message
    finally:
        db.close()


def test_a_save_whose_newest_rows_were_deleted_is_not_restored(
    filled: tuple[Vault, bytes], tmp_path: Path
) -> None:
    from datetime import date

    from cme_desktop.services.errors import AuditTampered
    from cme_desktop.services.vault.backups import monthly_save
    from cme_desktop.services.vault.restore import restore

    vault, key = filled
    db = vault.unlock(PASSPHRASE)
    try:
        save = monthly_save(db, today=date(2026, 11, 3))
        assert save is not None and save.backup_file is not None
        execute(
            save.backup_file,
            key,
            "DELETE FROM audit_log WHERE id > (SELECT max(id) - 2 FROM audit_log)",
        )
        with pytest.raises(AuditTampered, match="2 newest audit rows are missing"):
            restore(db, backup=save.backup_file, target=tmp_path / "restored.cme")
    finally:
        db.close()
    assert not (tmp_path / "restored.cme").exists()
