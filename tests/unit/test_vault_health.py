"""Damage found early: the check at unlock, the full check, the monthly save that refuses
to copy a damaged vault, and folders and files private whatever the umask."""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from cme_desktop.services.cases.detail import CaseDraft
from cme_desktop.services.cases.service import CaseService
from cme_desktop.services.errors import OutputError, VaultDamaged
from cme_desktop.services.settings import SettingsService
from cme_desktop.services.vault import audit, health
from cme_desktop.services.vault.backup_files import list_saves, slots_path
from cme_desktop.services.vault.backups import monthly_save
from cme_desktop.services.vault.database import Database, checkpoint
from cme_desktop.services.vault.private_files import create_private_file, make_private_folder
from cme_desktop.services.vault.restore import restore
from cme_desktop.services.vault.unlock import Vault
from tests.support.credentials import FAST_SCRYPT, PASSPHRASE
from tests.support.tampering import flip_byte, table_data_page
from tests.support.vault_copies import Template, copy_vault, make_template

OCTOBER = date(2026, 10, 5)
NOVEMBER = date(2026, 11, 3)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    return make_template(tmp_path_factory.mktemp("template"))


@pytest.fixture
def filled(template: Template, tmp_path: Path) -> Iterator[tuple[Vault, bytes]]:
    """A locked vault of 80 cases long enough to fill many pages, and its database key."""
    vault = copy_vault(template, tmp_path / "vault")
    db = vault.unlock(PASSPHRASE, actor="Test Officer")
    cases = CaseService(db)
    for n in range(80):
        cases.create(draft=CaseDraft(full_name=f"Child {n:03d}", sen_disability="needs " * 80))
    key = bytes(db.key)
    checkpoint(db)
    db.close()
    yield vault, key


def _damage(vault: Vault, key: bytes, scratch: Path) -> int:
    page = table_data_page(vault.path, key, table="cases", scratch=scratch)
    flip_byte(vault.path, page)
    return page


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- the check at unlock and the full check ----------------------------------------------


def test_a_sound_vault_passes_both_checks(filled: tuple[Vault, bytes]) -> None:
    vault, _ = filled
    db = vault.unlock(PASSPHRASE)
    try:
        assert db.findings == []
        quick = health.quick_check(db, budget=10.0)
        assert quick.complete and not quick.damaged and quick.tables > 10
        report = health.full_check(db)
        assert report.sound and report.page_count > 20
        assert report.audit is not None and report.audit.ok
        assert health.page_check(db) is None
    finally:
        db.close()


def test_a_damaged_page_of_case_data_is_found_at_unlock(
    filled: tuple[Vault, bytes], tmp_path: Path
) -> None:
    vault, key = filled
    page = _damage(vault, key, tmp_path / "scratch.cme")
    assert page > 1
    db = vault.unlock(PASSPHRASE, actor="Test Officer")
    try:
        (finding,) = db.findings
        assert finding.damage and finding.kind == "damage_found"
        assert f"page {page} of the vault file cannot be read" in finding.message
        with db.read() as session:
            row = audit.recent(session, limit=2)[1]
        assert (row.action, row.detail) == ("damage_found", f"pages={page}")
        report = health.full_check(db)
        assert report.damaged and not report.sound
        assert report.pages == (f"HMAC verification failed for page {page}",)
        assert report.damage_summary() == f"page {page} of the vault file cannot be read"
        assert report.audit is None, "the log is not read through damaged pages"
        found = health.page_check(db)
        assert found is not None and found.damage
    finally:
        db.close()


def test_the_quick_check_stops_at_its_budget_and_starts_elsewhere_next_time(
    filled: tuple[Vault, bytes],
) -> None:
    vault, _ = filled
    db = vault.unlock(PASSPHRASE)
    try:
        spent = health.quick_check(db, budget=0.0)
        assert spent.tables_checked == 0 and not spent.complete and not spent.damaged
        whole = health.quick_check(db, budget=10.0, first=3)
        assert whole.complete and whole.tables_checked == whole.tables
    finally:
        db.close()


def test_a_damaged_vault_that_needs_an_upgrade_is_not_upgraded(
    filled: tuple[Vault, bytes], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cme_desktop.services.vault import migrations

    vault, key = filled
    _damage(vault, key, tmp_path / "scratch.cme")
    before = _digest(vault.path)
    monkeypatch.setattr(migrations, "head_revision", lambda: "a_newer_revision")
    with pytest.raises(VaultDamaged, match="cannot be done safely") as caught:
        vault.unlock(PASSPHRASE)
    assert caught.value.exit_code == 4
    assert _digest(vault.path) == before
    assert not list(vault.path.parent.glob("*.bak"))


# --- the monthly save -------------------------------------------------------------------------


def test_the_monthly_save_refuses_a_damaged_vault_and_keeps_the_good_save(
    filled: tuple[Vault, bytes], tmp_path: Path
) -> None:
    vault, key = filled
    db = vault.unlock(PASSPHRASE)
    settings = SettingsService(db)
    # Keep one month only: a save made in November would prune October's.
    settings.save(
        replace(settings.load(), backup_keep_monthly=1, backup_keep_quarterly_after=False)
    )
    good = monthly_save(db, today=OCTOBER)
    db.close()
    assert good is not None and good.backup_file is not None
    kept = {p.name: _digest(p) for p in good.backup_file.parent.iterdir()}

    page = _damage(vault, key, tmp_path / "scratch.cme")
    db = vault.unlock(PASSPHRASE)
    try:
        with pytest.raises(VaultDamaged) as caught:
            monthly_save(db, today=NOVEMBER)
        message = caught.value.message
        assert f"page {page} of the vault file cannot be read" in message
        assert "The save of 2026-10 is kept as it is" in message
        assert "Restore the last good monthly save, 2026-10 (made on " in message
        assert str(good.backup_file) in message
        assert {p.name: _digest(p) for p in good.backup_file.parent.iterdir()} == kept
        assert [s.month for s in list_saves(db)] == ["2026-10"]
        assert health.last_good_save(db) == good
        # The good save still restores.
        check = restore(db, backup=good.backup_file, target=tmp_path / "restored.cme")
        assert check.cases == 80
    finally:
        db.close()


def test_a_copy_that_does_not_read_back_is_removed_and_the_earlier_saves_kept(
    filled: tuple[Vault, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    vault, _ = filled
    db = vault.unlock(PASSPHRASE)
    try:
        good = monthly_save(db, today=OCTOBER)
        assert good is not None and good.backup_file is not None
        folder = good.backup_file.parent
        before = sorted(p.name for p in folder.iterdir())
        # The copy fails its full check while the vault itself is sound.
        real = health.file_check

        def copy_damaged(db: Database, path: Path) -> health.CheckReport:
            found = real(db, path)
            assert path != db.path and path.name.endswith(".partial")
            return replace(found, pages=("HMAC verification failed for page 7",))

        monkeypatch.setattr(health, "file_check", copy_damaged)
        with pytest.raises(OutputError, match=r"did not read back intact \(page 7 of"):
            monthly_save(db, today=NOVEMBER)
        assert sorted(p.name for p in folder.iterdir()) == before
        assert [s.month for s in list_saves(db)] == ["2026-10"]
    finally:
        db.close()


def test_a_monthly_save_carries_its_own_sealed_anchor(filled: tuple[Vault, bytes]) -> None:
    from cme_desktop.services.vault.keyslots import read_slots, seal_key_of

    vault, key = filled
    db = vault.unlock(PASSPHRASE)
    try:
        save = monthly_save(db, today=OCTOBER)
    finally:
        db.close()
    assert save is not None and save.backup_file is not None
    saved = read_slots(slots_path(save.backup_file))
    assert saved.anchor is not None and saved.anchor_is_sealed(seal_key_of(key))
    assert saved.failed.pending == 0
    backup = Vault(save.backup_file, scrypt=FAST_SCRYPT).unlock(PASSPHRASE)
    try:
        assert backup.findings == [], "the save's anchor fits the save's own log"
    finally:
        backup.close()


# --- private whatever the umask ---------------------------------------------------------------


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
@pytest.mark.usefixtures("umask_022")
def test_folders_and_files_made_by_the_vault_are_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    partial_modes: list[int] = []
    real_replace = Path.replace

    def watch(self: Path, target: str | os.PathLike[str]) -> Path:
        if self.name.endswith(".partial"):
            partial_modes.append(_mode(self))
        return real_replace(self, target)

    monkeypatch.setattr(Path, "replace", watch)
    vault = Vault(tmp_path / "new" / "deeper" / "cases.cme", scrypt=FAST_SCRYPT)
    db = vault.create(PASSPHRASE).db
    try:
        CaseService(db).create(draft=CaseDraft(full_name="Private Child"))
        save = monthly_save(db, today=OCTOBER)
    finally:
        db.close()
    assert save is not None and save.backup_file is not None
    for folder in (tmp_path / "new", tmp_path / "new" / "deeper", save.backup_file.parent):
        assert _mode(folder) == 0o700, folder
    made = [p for p in (tmp_path / "new").rglob("*") if p.is_file()]
    assert {p.name for p in made} >= {"cases.cme", "cases.cme.keys", "cases-2026-10.cme"}
    assert all(_mode(p) == 0o600 for p in made), {p.name: oct(_mode(p)) for p in made}
    assert partial_modes == [0o600], "the backup was never readable by others, even half-written"


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
@pytest.mark.usefixtures("umask_022")
def test_a_folder_that_exists_keeps_its_permissions(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    make_private_folder(shared / "backups")
    assert _mode(shared) == 0o755 and _mode(shared / "backups") == 0o700
    create_private_file(shared / "backups" / "x.partial")
    assert _mode(shared / "backups" / "x.partial") == 0o600


def test_a_folder_that_cannot_be_made_says_so(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(OutputError, match="cannot be created|is not a folder"):
        make_private_folder(blocker / "backups")


def test_the_unlock_of_a_vault_without_findings_leaves_none(db: Database) -> None:
    assert db.findings == []
