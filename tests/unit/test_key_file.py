"""The key slots file: bounded key derivation, parameters bound into the wrapping, the seal,
the upgrade of a file the earlier format wrote, and its lock."""

from __future__ import annotations

import json
import resource
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from cme_desktop.models import AuditEvent
from cme_desktop.services.cases.service import CaseService
from cme_desktop.services.errors import KeyFileDamaged, VaultBusy, WrongPassphrase
from cme_desktop.services.vault import audit
from cme_desktop.services.vault.database import Database
from cme_desktop.services.vault.keyfile_lock import keyfile_lock, lock_path
from cme_desktop.services.vault.keyslots import (
    FORMAT,
    FORMAT_1,
    KeySlots,
    ScryptParams,
    read_slots,
    seal_key_of,
)
from cme_desktop.services.vault.unlock import Vault
from tests.support.credentials import FAST_SCRYPT, PASSPHRASE
from tests.support.tampering import edit_key_file, passphrase_kdf
from tests.support.vault_copies import Template, copy_vault, make_template

#: A vault written by the earlier code (key file format 1, a failed unlock pending),
#: kept as it was made: see tests/fixtures/vault-keys-1/README.md.
FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "vault-keys-1"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    return make_template(tmp_path_factory.mktemp("template"))


@pytest.fixture
def copy(template: Template, tmp_path: Path) -> Vault:
    return copy_vault(template, tmp_path / "vault")


def _actions(db: Database) -> list[str]:
    with db.read() as session:
        return [r.action for r in reversed(audit.recent(session, limit=1000))]


def _key(vault: Vault) -> bytes:
    db = vault.unlock(PASSPHRASE)
    try:
        return bytes(db.key)
    finally:
        db.close()


# --- the format and the seal -----------------------------------------------------------


def test_a_new_key_file_is_format_2_sealed_with_its_parameters_bound(copy: Vault) -> None:
    body = json.loads(copy.slots_path.read_text("utf-8"))
    assert body["format"] == FORMAT
    assert {s["binding"] for s in body["slots"]} == {2}
    assert set(body["seal"]["slots"]) == {"passphrase", "recovery"}
    slots = read_slots(copy.slots_path)
    key = _key(copy)
    assert slots.seal_problems(seal_key_of(key)) == []
    assert slots.seal_problems(seal_key_of(bytes(32))) != [], "the seal is keyed"
    assert slots.anchor is not None and slots.anchor.audit_id >= 1


@pytest.mark.parametrize(
    ("edit", "value"),
    [
        ("n", 2**21),  # 2 GiB of memory: refused before any derivation
        ("n", 2**30),  # used to raise MemoryError
        ("n", 3),  # used to raise ValueError
        ("n", 2**9),
        ("n", 0),
        ("n", True),
        ("r", 9),
        ("r", 0),
        ("p", 5),
        ("p", -1),
        ("n", "1024"),
    ],
)
def test_key_derivation_parameters_out_of_bounds_are_a_damaged_key_file(
    copy: Vault, edit: str, value: Any
) -> None:
    edit_key_file(copy.slots_path, lambda body: passphrase_kdf(body).__setitem__(edit, value))
    started = time.perf_counter()
    memory_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(KeyFileDamaged) as caught:
        copy.unlock(PASSPHRASE)
    assert time.perf_counter() - started < 1.0
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - memory_before
    assert grown_kib < 64 * 1024, "no key derivation was attempted"
    assert "key file is damaged" in caught.value.message
    assert caught.value.exit_code == 4
    assert copy.failed_attempts() == 0, "damage is not counted as a wrong passphrase"


def test_the_work_bound_refuses_a_heavy_combination() -> None:
    assert ScryptParams(n=2**20, r=8, p=1).within_bounds()
    assert not ScryptParams(n=2**20, r=8, p=2).within_bounds()
    assert ScryptParams(n=2**17, r=8, p=4).within_bounds()
    with pytest.raises(KeyFileDamaged):
        ScryptParams(n=2**21).derive(b"x", b"\0" * 16)


@pytest.mark.parametrize("fix_checksum", [False, True])
@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(lambda b: passphrase_kdf(b).__setitem__("n", 2**11), id="n"),
        pytest.param(lambda b: passphrase_kdf(b).__setitem__("r", 4), id="r"),
        pytest.param(lambda b: passphrase_kdf(b).__setitem__("p", 2), id="p"),
        pytest.param(
            lambda b: b["slots"][0].__setitem__("salt", "AAAAAAAAAAAAAAAAAAAAAA=="), id="salt"
        ),
    ],
)
def test_an_edited_slot_never_opens(copy: Vault, edit: Any, fix_checksum: bool) -> None:
    assert json.loads(copy.slots_path.read_text("utf-8"))["slots"][0]["kind"] == "passphrase"
    edit_key_file(copy.slots_path, edit, fix_checksum=fix_checksum)
    if not fix_checksum:
        with pytest.raises(KeyFileDamaged):
            copy.unlock(PASSPHRASE)
        return
    # Whoever recomputes the checksum makes a file that is well formed, but the slot's
    # parameters and salt are bound into its wrapping: it opens with nothing.
    with pytest.raises(WrongPassphrase):
        copy.unlock(PASSPHRASE)


def test_an_edit_is_named_at_the_next_unlock_by_another_slot(
    template: Template, copy: Vault
) -> None:
    edit_key_file(copy.slots_path, lambda b: passphrase_kdf(b).__setitem__("n", 2**11))
    with pytest.raises(WrongPassphrase):
        copy.unlock(PASSPHRASE)
    db = copy.unlock_with_recovery_key(template.recovery_key)
    try:
        (finding,) = [f for f in db.findings if f.kind == "key_file_altered"]
        assert "the passphrase slot was changed" in finding.message
        assert "key_file_altered" in _actions(db)
        copy.change_passphrase(db, "a new passphrase after the edit")
    finally:
        db.close()
    again = copy.unlock("a new passphrase after the edit")
    try:
        assert again.findings == [], "sealed again: reported once, on record since"
    finally:
        again.close()


def test_a_slot_relabelled_as_unbound_does_not_open(copy: Vault) -> None:
    edit_key_file(copy.slots_path, lambda b: b["slots"][0].__setitem__("binding", 1))
    with pytest.raises(WrongPassphrase):
        copy.unlock(PASSPHRASE)


def test_a_removed_slot_is_named(template: Template, copy: Vault) -> None:
    edit_key_file(
        copy.slots_path,
        lambda b: b.__setitem__("slots", [s for s in b["slots"] if s["kind"] == "passphrase"]),
    )
    db = copy.unlock(PASSPHRASE)
    try:
        (finding,) = db.findings
        assert "the recovery key slot was removed" in finding.message
    finally:
        db.close()


def test_a_format_2_file_without_its_seal_is_damaged(copy: Vault) -> None:
    edit_key_file(copy.slots_path, lambda b: b.pop("seal"))
    with pytest.raises(KeyFileDamaged):
        copy.unlock(PASSPHRASE)


# --- the file the earlier code wrote ----------------------------------------------------------


def _fixture(tmp_path: Path) -> tuple[Vault, str]:
    folder = tmp_path / "old"
    shutil.copytree(FIXTURE, folder)
    recovery = (folder / "recovery-key.txt").read_text("utf-8").strip()
    return Vault(folder / "cases.cme", scrypt=FAST_SCRYPT), recovery


def test_the_saved_fixture_is_the_earlier_format() -> None:
    body = json.loads((FIXTURE / "cases.cme.keys").read_text("utf-8"))
    assert body["format"] == FORMAT_1
    assert "seal" not in body and "anchor" not in body
    assert all("binding" not in s for s in body["slots"])
    assert json.loads((FIXTURE / "cases.cme.attempts").read_text("utf-8"))["failed"]


def test_a_key_file_of_the_earlier_format_opens_and_is_upgraded(tmp_path: Path) -> None:
    vault, recovery = _fixture(tmp_path)
    assert vault.failed_attempts() == 1
    db = vault.unlock(PASSPHRASE, actor="Test Officer")
    try:
        assert db.findings == []
        assert _actions(db)[-3:] == ["unlock_failed", "audit_anchored", "unlock"]
        assert CaseService(db).get(1).full_name == "Fixture Child"
        with db.read() as session:
            failed = session.scalar(
                select(AuditEvent.detail).where(AuditEvent.action == "unlock_failed")
            )
            assert failed == "at=2026-12-05T08:01:49"
            assert audit.verify(session, db.audit_key).ok
        key = bytes(db.key)
    finally:
        db.close()
    slots = read_slots(vault.slots_path)
    assert slots.version == 2 and slots.seal_problems(seal_key_of(key)) == []
    bindings = {s.kind: s.binding for s in slots.slots}
    assert bindings == {"passphrase": 2, "recovery": 1}, "rebound as each slot is used"
    assert not vault.attempts_path.exists() and vault.failed_attempts() == 0

    vault.unlock_with_recovery_key(recovery).close()
    assert {s.binding for s in read_slots(vault.slots_path).slots} == {2}
    again = vault.unlock(PASSPHRASE)
    try:
        assert again.findings == []
        assert _actions(again).count("audit_anchored") == 1
    finally:
        again.close()


def test_the_old_key_file_put_back_after_the_upgrade_is_reported(tmp_path: Path) -> None:
    vault, _ = _fixture(tmp_path)
    vault.unlock(PASSPHRASE).close()
    # Someone puts back the key file of before the upgrade: it has no anchor to compare.
    shutil.copyfile(FIXTURE / "cases.cme.keys", vault.slots_path)
    db = vault.unlock(PASSPHRASE)
    try:
        (finding,) = db.findings
        assert finding.kind == "audit_anchor_removed"
        assert finding.breaks_log
    finally:
        db.close()


# --- the lock ---------------------------------------------------------------------------------


def test_the_key_file_lock_holds_off_another_process(copy: Vault, tmp_path: Path) -> None:
    ready = tmp_path / "ready"
    holder = textwrap.dedent(
        f"""
        import time
        from pathlib import Path
        from cme_desktop.services.vault.keyfile_lock import keyfile_lock
        with keyfile_lock(Path({str(copy.slots_path)!r})):
            Path({str(ready)!r}).write_text("held")
            time.sleep(30)
        """
    )
    child = subprocess.Popen([sys.executable, "-c", holder])
    try:
        deadline = time.monotonic() + 20
        while not ready.exists():
            assert time.monotonic() < deadline and child.poll() is None
            time.sleep(0.05)
        with pytest.raises(VaultBusy), keyfile_lock(copy.slots_path, wait=0.3):
            pass
    finally:
        child.kill()
        child.wait()
    with keyfile_lock(copy.slots_path, wait=5):
        pass  # the OS released it with the process
    assert lock_path(copy.slots_path).exists()


def test_the_lock_is_taken_once_by_a_thread_that_holds_it(copy: Vault) -> None:
    with keyfile_lock(copy.slots_path, wait=0.3), keyfile_lock(copy.slots_path, wait=0.3):
        slots = read_slots(copy.slots_path)
    assert isinstance(slots, KeySlots)
