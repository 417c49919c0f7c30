"""The encrypted vault: create, unlock, lock, slots, remembered secrets, damage."""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from cme_desktop.models import AuditEvent, Case
from cme_desktop.services.cases.detail import CaseDraft
from cme_desktop.services.cases.service import CaseService
from cme_desktop.services.errors import (
    KeyFileDamaged,
    KeyringUnavailable,
    OutputError,
    PassphraseRequired,
    VaultDamaged,
    VaultExists,
    VaultLocked,
    VaultNotFound,
    WeakPassphrase,
    WrongPassphrase,
)
from cme_desktop.services.vault import audit, secret_store
from cme_desktop.services.vault.database import Database, checkpoint, open_connection
from cme_desktop.services.vault.keyslots import KeySlots, read_slots
from cme_desktop.services.vault.unlock import Vault, default_vault_path, unlock_delay_seconds
from tests.support.credentials import PASSPHRASE, MemorySecretStore
from tests.support.vault_copies import Template, copy_vault, make_template

NEW_PASSPHRASE = "a different, longer passphrase"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    return make_template(tmp_path_factory.mktemp("template"))


@pytest.fixture
def copy(template: Template, tmp_path: Path) -> Vault:
    return copy_vault(template, tmp_path / "vault")


@pytest.fixture
def opened(copy: Vault) -> Iterator[Database]:
    db = copy.unlock(PASSPHRASE, actor="Test Officer")
    yield db
    db.close()


def _actions(db: Database) -> list[str]:
    with db.read() as session:
        return [r.action for r in reversed(audit.recent(session, limit=1000))]


def _files(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.iterdir())}


# --- create, unlock, lock -----------------------------------------------------------


def test_create_unlock_lock(vault: Vault) -> None:
    created = vault.create(PASSPHRASE, actor="Test Officer")
    assert re.fullmatch(r"([A-HJ-NP-Z2-9]{4}-){7}[A-HJ-NP-Z2-9]{4}", created.recovery_key)
    db = created.db
    case_id = CaseService(db).create(draft=CaseDraft(full_name="Ada Example"))
    if os.name == "posix":
        for path in (vault.path, vault.slots_path):
            assert stat.S_IMODE(path.stat().st_mode) == 0o600
    key = bytes(db.key)
    db.close()
    assert db.closed
    assert not any(db._key), "the key is wiped from memory when the vault locks"
    with pytest.raises(VaultLocked), db.read():
        pass
    with pytest.raises(VaultLocked):
        _ = db.key

    again = vault.unlock(PASSPHRASE, actor="Test Officer")
    try:
        assert bytes(again.key) == key
        assert _actions(again) == ["unlock", "vault_created", "case_created", "unlock"]
        assert CaseService(again).get(case_id).full_name == "Ada Example"
    finally:
        again.close()


def test_connection_settings(opened: Database) -> None:
    with opened.engine.connect() as conn:

        def pragma(name: str) -> Any:
            return conn.exec_driver_sql(f"PRAGMA {name}").scalar()

        assert str(pragma("cipher_version")).startswith("4.")
        assert pragma("journal_mode") == "wal"
        assert pragma("synchronous") == 2  # FULL
        assert pragma("foreign_keys") == 1
        assert pragma("cache_size") <= -65536
        assert pragma("temp_store") == 2  # MEMORY: no decrypted temp files


def test_sqlcipher_stays_quiet_on_a_wrong_key(
    opened: Database, capfd: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(VaultDamaged):
        open_connection(opened.path, bytes(32))
    assert capfd.readouterr().err == ""


def test_weak_passphrase_creates_nothing(vault: Vault) -> None:
    with pytest.raises(WeakPassphrase):
        vault.create("short")
    assert not vault.path.parent.exists() or not any(vault.path.parent.iterdir())


def test_create_over_an_existing_vault_touches_nothing(copy: Vault) -> None:
    before = _files(copy.path.parent)
    with pytest.raises(VaultExists):
        copy.create(NEW_PASSPHRASE)
    assert _files(copy.path.parent) == before
    db = copy.unlock(PASSPHRASE)
    db.close()


def test_create_refuses_when_only_the_key_file_is_left(copy: Vault) -> None:
    copy.path.rename(copy.path.with_name("moved-away.cme"))
    before = _files(copy.path.parent)
    with pytest.raises(VaultExists):
        copy.create(NEW_PASSPHRASE)
    assert _files(copy.path.parent) == before


def test_missing_vault(tmp_path: Path) -> None:
    vault = Vault(tmp_path / "nowhere" / "cases.cme", secret_store=MemorySecretStore())
    with pytest.raises(VaultNotFound):
        vault.unlock(PASSPHRASE)
    with pytest.raises(VaultNotFound):
        vault.unlock_with_recovery_key("AAAA-BBBB")
    with pytest.raises(VaultNotFound):
        vault.unlock_remembered()
    assert not vault.exists
    assert not (tmp_path / "nowhere").exists(), "a failed unlock creates nothing"


def test_missing_key_file(copy: Vault) -> None:
    copy.slots_path.unlink()
    with pytest.raises(VaultNotFound, match="key file"):
        copy.unlock(PASSPHRASE)


def test_default_path_is_in_the_users_data_folder() -> None:
    path = default_vault_path()
    assert path.name == "cases.cme"
    assert "CME Desktop" in str(path)
    assert Vault().path == path


# --- wrong passphrases ----------------------------------------------------------------


def test_wrong_passphrase_is_typed_and_audited_at_the_next_unlock(copy: Vault) -> None:
    for _ in range(2):
        with pytest.raises(WrongPassphrase) as caught:
            copy.unlock("not the passphrase at all")
        assert caught.value.exit_code == 3
    assert copy.failed_attempts() == 2
    with pytest.raises(PassphraseRequired):
        copy.unlock("")

    db = copy.unlock(PASSPHRASE, actor="Test Officer")
    try:
        assert _actions(db)[-3:] == ["unlock_failed", "unlock_failed", "unlock"]
        with db.read() as session:
            failed = session.scalars(
                select(AuditEvent).where(AuditEvent.action == "unlock_failed")
            ).all()
            assert all(re.fullmatch(r"at=\d{4}-\d\d-\d\dT[\d:]{8}", e.detail) for e in failed)
            assert audit.verify(session, db.audit_key).ok
    finally:
        db.close()
    assert copy.failed_attempts() == 0, "the count starts again after a success"


def test_unlock_delay_grows_and_is_capped() -> None:
    assert [unlock_delay_seconds(n) for n in range(6)] == [0, 0, 0, 1, 2, 4]
    assert unlock_delay_seconds(50) == 60


# --- the recovery key and changing the passphrase --------------------------------------


def test_recovery_key_then_change_passphrase(template: Template, copy: Vault) -> None:
    typed = template.recovery_key.lower().replace("-", " ")
    db = copy.unlock_with_recovery_key(typed, actor="Test Officer")
    case_id = CaseService(db).create(draft=CaseDraft(full_name="Bea Example"))
    key = bytes(db.key)
    backup = copy.path.with_name("before-change.cme")
    db.export_copy(backup)
    slots_before = read_slots(copy.slots_path)

    copy.change_passphrase(db, NEW_PASSPHRASE)
    assert _actions(db)[-1] == "passphrase_changed"
    db.close()

    slots_after = read_slots(copy.slots_path)
    assert slots_after.vault_id == slots_before.vault_id
    assert slots_after.slot("recovery") == slots_before.slot("recovery")
    assert slots_after.slot("passphrase") != slots_before.slot("passphrase")

    with pytest.raises(WrongPassphrase):
        copy.unlock(PASSPHRASE)
    db = copy.unlock(NEW_PASSPHRASE)
    try:
        assert bytes(db.key) == key, "the database is not re-encrypted"
        conn = db.open_other(backup)  # a backup made before the change still opens
        try:
            assert conn.execute("SELECT full_name FROM cases WHERE id = ?", (case_id,)).fetchone()
        finally:
            conn.close()
    finally:
        db.close()
    copy.unlock_with_recovery_key(template.recovery_key).close()
    with pytest.raises(WeakPassphrase):
        copy.change_passphrase(copy.unlock(NEW_PASSPHRASE), "tiny")


def test_wrong_recovery_key(copy: Vault) -> None:
    with pytest.raises(WrongPassphrase, match="recovery key"):
        copy.unlock_with_recovery_key("AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG-HHHH")
    assert copy.failed_attempts() == 1


def test_new_recovery_key_replaces_the_old_one(template: Template, copy: Vault) -> None:
    db = copy.unlock(PASSPHRASE)
    fresh = copy.new_recovery_key(db)
    db.close()
    assert fresh != template.recovery_key
    with pytest.raises(WrongPassphrase):
        copy.unlock_with_recovery_key(template.recovery_key)
    copy.unlock_with_recovery_key(fresh).close()
    assert copy.has_recovery_key()


def test_a_crash_while_rewriting_the_slots_leaves_the_old_file(
    copy: Vault, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = copy.unlock(PASSPHRASE)
    before = copy.slots_path.read_bytes()

    def crash(src: Any, dst: Any) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OutputError):
        copy.change_passphrase(db, NEW_PASSPHRASE)
    monkeypatch.undo()
    db.close()
    assert copy.slots_path.read_bytes() == before
    assert sorted(p.name for p in copy.path.parent.iterdir()) == [
        "cases.cme",
        "cases.cme.keys",
        "cases.cme.keys.lock",
    ]
    copy.unlock(PASSPHRASE).close()
    with pytest.raises(WrongPassphrase):
        copy.unlock(NEW_PASSPHRASE)


def test_a_key_file_write_left_half_done_is_cleared_by_the_next(copy: Vault) -> None:
    # What a write killed between its temp file and the rename leaves behind.
    stale = copy.path.with_name(".cases.cme.keys.k1ll3d.tmp")
    stale.write_bytes(copy.slots_path.read_bytes())
    unrelated = copy.path.with_name(".other.keys.k1ll3d.tmp")
    unrelated.write_bytes(b"not ours")
    db = copy.unlock(PASSPHRASE)
    copy.change_passphrase(db, NEW_PASSPHRASE)
    db.close()
    assert not stale.exists()
    assert unrelated.exists()


# --- remembered on this computer ------------------------------------------------------


def test_remembered_slot(template: Template, tmp_path: Path) -> None:
    store = MemorySecretStore()
    vault = copy_vault(template, tmp_path / "v", secret_store=store)
    assert vault.can_remember()
    assert not vault.is_remembered()
    with pytest.raises(WrongPassphrase):
        vault.unlock_remembered()

    db = vault.unlock(PASSPHRASE)
    vault.remember(db)
    assert _actions(db)[-1] == "remembered_on_computer"
    db.close()
    assert vault.is_remembered()
    (stored,) = store.secrets.values()
    assert stored not in vault.slots_path.read_text("utf-8"), "the secret stays in the store"

    db = vault.unlock_remembered(actor="Test Officer")
    assert _actions(db)[-1] == "unlock"
    with db.read() as session:
        assert audit.recent(session, limit=1)[0].detail == "remembered"
    db.close()

    db = vault.unlock(PASSPHRASE)
    vault.forget(db)
    db.close()
    assert store.secrets == {}
    assert not vault.is_remembered()
    assert read_slots(vault.slots_path).slot("keyring") is None
    with pytest.raises(WrongPassphrase):
        vault.unlock_remembered()
    vault.unlock(PASSPHRASE).close()


def test_a_remembered_slot_without_its_secret_does_not_open(
    template: Template, tmp_path: Path
) -> None:
    store = MemorySecretStore()
    vault = copy_vault(template, tmp_path / "v", secret_store=store)
    db = vault.unlock(PASSPHRASE)
    vault.remember(db)
    db.close()
    (name,) = store.secrets
    store.secrets[name] = "AAAA" + store.secrets[name][4:]
    with pytest.raises(WrongPassphrase):
        vault.unlock_remembered()


def test_no_credential_store(copy: Vault) -> None:
    assert not copy.can_remember()
    assert not copy.is_remembered()
    with pytest.raises(KeyringUnavailable):
        copy.unlock_remembered()
    db = copy.unlock(PASSPHRASE)
    with pytest.raises(KeyringUnavailable):
        copy.remember(db)
    db.close()


class _SecureBackend:
    priority = 5.0

    def get_password(self, service: str, name: str) -> str | None:
        return None


class _AltFileBackend:
    """Looks like keyrings.alt's plain-file keyring."""

    priority = 1.0


_AltFileBackend.__module__ = "keyrings.alt.file"
_SecureBackend.__module__ = "keyring.backends.SecretService"


class _RaisingClassProperty:
    """Like keyring's classproperty when the backend cannot reach its service."""

    def __get__(self, obj: object, owner: type) -> float:
        raise RuntimeError("no D-Bus session")


class _BrokenPriority:
    priority = _RaisingClassProperty()


_BrokenPriority.__module__ = "keyring.backends.SecretService"


def test_only_a_real_system_keyring_is_trusted(monkeypatch: pytest.MonkeyPatch) -> None:
    import keyring.backend
    import keyring.backends.fail
    import keyring.backends.null
    from keyring.backends.chainer import ChainerBackend

    assert secret_store.is_secure_backend(_SecureBackend())
    assert not secret_store.is_secure_backend(keyring.backends.fail.Keyring())
    assert not secret_store.is_secure_backend(keyring.backends.null.Keyring())
    assert not secret_store.is_secure_backend(_AltFileBackend())
    assert not secret_store.is_secure_backend(_BrokenPriority())

    def chain(*backends: object) -> bool:
        monkeypatch.setattr(keyring.backend, "get_all_keyring", lambda: list(backends))
        return secret_store.is_secure_backend(ChainerBackend())

    assert not chain(_AltFileBackend())
    assert not chain(_AltFileBackend(), keyring.backends.fail.Keyring())
    assert not chain(_SecureBackend(), _AltFileBackend())
    assert not chain()
    assert chain(_SecureBackend())

    monkeypatch.setattr(keyring, "get_keyring", lambda: keyring.backends.fail.Keyring())
    assert secret_store.system_secret_store() is None
    monkeypatch.setattr(keyring, "get_keyring", lambda: _AltFileBackend())
    assert secret_store.system_secret_store() is None
    monkeypatch.setattr(keyring, "get_keyring", lambda: _SecureBackend())
    assert isinstance(secret_store.system_secret_store(), secret_store.SystemKeyring)


# --- damage ------------------------------------------------------------------------------


def test_every_flipped_byte_of_the_slots_file_is_damage_not_a_wrong_passphrase(
    copy: Vault,
) -> None:
    original = copy.slots_path.read_bytes()
    assert KeySlots.from_bytes(original).vault_id
    for position in range(len(original)):
        for mask in (0x01, 0x80):
            damaged = bytearray(original)
            damaged[position] ^= mask
            with pytest.raises(KeyFileDamaged):
                KeySlots.from_bytes(bytes(damaged))
    middle = bytearray(original)
    middle[len(middle) // 2] ^= 0x01
    copy.slots_path.write_bytes(bytes(middle))
    with pytest.raises(KeyFileDamaged):
        copy.unlock(PASSPHRASE)
    assert copy.failed_attempts() == 0, "damage is not counted as a wrong passphrase"


def test_a_foreign_key_file(copy: Vault) -> None:
    copy.slots_path.write_text('{"format": "something-else/1", "slots": []}\n', "utf-8")
    with pytest.raises(KeyFileDamaged):
        copy.unlock(PASSPHRASE)
    copy.slots_path.write_bytes(os.urandom(600))
    with pytest.raises(KeyFileDamaged):
        copy.unlock(PASSPHRASE)


@pytest.mark.parametrize("content", [b"SQLite format 3\x00" + bytes(4080), b"hello" * 1000])
def test_a_foreign_database_file(copy: Vault, content: bytes) -> None:
    copy.path.write_bytes(content)
    with pytest.raises(VaultDamaged) as caught:
        copy.unlock(PASSPHRASE)
    assert "damaged" in caught.value.message
    assert copy.path.read_bytes() == content, "nothing is deleted or recreated"
    assert copy.failed_attempts() == 0


def test_a_flipped_byte_in_the_first_page_fails_at_unlock(copy: Vault) -> None:
    data = bytearray(copy.path.read_bytes())
    data[2000] ^= 0x04
    copy.path.write_bytes(bytes(data))
    with pytest.raises(VaultDamaged):
        copy.unlock(PASSPHRASE)
    assert copy.path.read_bytes() == bytes(data)


def _pages_on_the_way_to(path: Path, key: bytes, case_id: int, scratch: Path) -> set[int]:
    """Page numbers whose damage stops SQLCipher reading the case ``case_id``."""
    original = path.read_bytes()
    page_size = 4096
    pages = set()
    for page in range(1, len(original) // page_size + 1):
        damaged = bytearray(original)
        damaged[(page - 1) * page_size + page_size // 2] ^= 0x01
        scratch.write_bytes(bytes(damaged))
        try:
            conn = open_connection(scratch, key)
        except VaultDamaged:
            pages.add(page)
            continue
        try:
            conn.execute("SELECT * FROM cases WHERE id = ?", (case_id,)).fetchall()
        except Exception:  # noqa: BLE001 - any read failure puts the page on the path
            pages.add(page)
        finally:
            conn.close()
    return pages


def test_a_flipped_byte_in_a_page_of_case_data(copy: Vault, tmp_path: Path) -> None:
    db = copy.unlock(PASSPHRASE, actor="Test Officer")
    cases = CaseService(db)
    ids = [
        cases.create(
            draft=CaseDraft(full_name=f"Child {n:03d} Example", sen_disability="support " * 60)
        )
        for n in range(60)
    ]
    key = bytes(db.key)
    checkpoint(db)
    db.close()
    first, last = ids[0], ids[-1]
    scratch = tmp_path / "scratch.cme"
    only_first = _pages_on_the_way_to(copy.path, key, first, scratch) - _pages_on_the_way_to(
        copy.path, key, last, scratch
    )
    assert only_first, "the first case has a page of its own"
    page = min(only_first)

    data = bytearray(copy.path.read_bytes())
    data[(page - 1) * 4096 + 1234] ^= 0x10
    copy.path.write_bytes(bytes(data))

    db = copy.unlock(PASSPHRASE, actor="Test Officer")
    try:
        (found,) = db.findings  # noticed at unlock, not only when the case is opened
        assert found.damage and f"page {page} " in found.message
        assert CaseService(db).get(last).full_name == "Child 059 Example"
        with pytest.raises(VaultDamaged):
            CaseService(db).get(first)
        problems = db.integrity_problems()
        assert f"HMAC verification failed for page {page}" in problems
    finally:
        db.close()


def test_integrity_problems_is_empty_for_a_sound_vault(opened: Database) -> None:
    CaseService(opened).create(draft=CaseDraft(full_name="Cara Example"))
    assert opened.integrity_problems() == []
    with opened.read() as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 1


def test_a_wrong_passphrase_in_a_read_only_folder_still_says_wrong_passphrase(
    vault: Vault, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cme_desktop.services.errors import OutputError, WrongPassphrase
    from cme_desktop.services.vault import attempts, keyslots

    vault.create(PASSPHRASE).db.close()
    before = _files(vault.path.parent)

    def cannot_write(path: Path, data: bytes) -> None:
        raise OutputError(f"Cannot write to {path.parent}: Read-only file system.")

    # Both files of the failed-attempts record are written through these.
    monkeypatch.setattr(attempts, "write_atomically", cannot_write)
    monkeypatch.setattr(keyslots, "write_atomically", cannot_write)
    with pytest.raises(WrongPassphrase):
        vault.unlock("not the passphrase at all")
    assert _files(vault.path.parent) == before
