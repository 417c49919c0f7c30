"""The monthly save: backup, key slots, statistics, restore into a new file, prune."""

from __future__ import annotations

import itertools
from datetime import date
from pathlib import Path

import pytest

from cme_desktop.models.settings import Snapshot
from cme_desktop.services.cases.detail import CaseDraft
from cme_desktop.services.cases.service import CaseService
from cme_desktop.services.errors import CorruptFile, InvalidInput, OutputError, VaultBusy
from cme_desktop.services.vault import audit, backups, health
from cme_desktop.services.vault.backup_files import list_saves, slots_path
from cme_desktop.services.vault.backups import copy_vault, due_monthly_save, monthly_save
from cme_desktop.services.vault.database import Database, open_connection
from cme_desktop.services.vault.pruning import PruneRule, prune, prune_plan
from cme_desktop.services.vault.restore import replace_live, restore, restore_unlocked
from cme_desktop.services.vault.unlock import Vault
from tests.support.credentials import FAST_SCRYPT, PASSPHRASE

TODAY = date(2026, 11, 3)


def _fill(db: Database, n: int = 3) -> None:
    cases = CaseService(db)
    for i in range(n):
        cases.create(draft=CaseDraft(full_name=f"Child {i}", notified_on=date(2026, 10, 1 + i)))


def test_monthly_save_once_a_month(db: Database, tmp_path: Path) -> None:
    _fill(db)
    assert due_monthly_save(db, TODAY)
    info = monthly_save(db, today=TODAY)
    assert info is not None and info.month == "2026-11"
    assert info.backup_file == tmp_path / "backups" / "cases-2026-11.cme"
    assert info.backup_exists and slots_path(info.backup_file).is_file()
    assert info.stats["cases"] == 3 and info.stats["month"] == "2026-10"
    assert not due_monthly_save(db, date(2026, 11, 30))
    assert monthly_save(db, today=date(2026, 11, 30)) is None
    assert due_monthly_save(db, date(2026, 12, 1))
    assert [s.month for s in list_saves(db)] == ["2026-11"]
    assert sorted(p.name for p in (tmp_path / "backups").iterdir()) == [
        "cases-2026-11.cme",
        "cases-2026-11.cme.keys",
    ]
    with db.read() as session:
        assert audit.recent(session, limit=1)[0].action == "monthly_save"
        assert audit.verify(session, db.audit_key).ok


def test_backup_opens_with_the_vaults_passphrase_and_recovery_key(tmp_path: Path) -> None:
    created = Vault(tmp_path / "cases.cme", scrypt=FAST_SCRYPT).create(PASSPHRASE, actor="T")
    _fill(created.db)
    info = monthly_save(created.db, today=TODAY, folder=tmp_path / "saves")
    created.db.close()
    assert info is not None and info.backup_file is not None
    for unlock in (
        lambda v: v.unlock(PASSPHRASE),
        lambda v: v.unlock_with_recovery_key(created.recovery_key),
    ):
        opened = unlock(Vault(info.backup_file, scrypt=FAST_SCRYPT))
        try:
            assert opened.integrity_problems() == []
            with opened.read() as session:
                assert session.query(Snapshot).count() == 0  # the save is made before its row
                assert audit.verify(session, opened.audit_key).ok
            assert len(CaseService(opened).get(1).draft.full_name) > 0
        finally:
            opened.close()


def test_restore_into_a_new_file_is_checked_and_leaves_the_vault_alone(
    db: Database, tmp_path: Path
) -> None:
    _fill(db, 4)
    info = monthly_save(db, today=TODAY)
    assert info is not None and info.backup_file is not None
    live_before = db.path.stat().st_size
    check = restore(db, backup=info.backup_file, target=tmp_path / "restored.cme")
    assert (check.cases, check.snapshots) == (4, 0)
    assert check.audit_rows >= 5 and "4 cases" in check.summary()
    assert check.target.is_file() and slots_path(check.target).is_file()
    assert not list(tmp_path.glob(".restored*")) and not list(tmp_path.glob("restored.cme-*"))
    assert db.path.stat().st_size >= live_before
    restored = Vault(check.target, scrypt=FAST_SCRYPT).unlock(PASSPHRASE)
    try:
        assert restored.findings == [], "the restored copy's key file holds its own anchor"
        with restored.read() as session:
            actions = [r.action for r in audit.recent(session, limit=3)]
        assert "restored_from_backup" in actions
    finally:
        restored.close()
    with pytest.raises(InvalidInput, match="already exists"):
        restore(db, backup=info.backup_file, target=check.target)
    with pytest.raises(InvalidInput, match="new file"):
        restore(db, backup=info.backup_file, target=db.path)


def test_restore_refuses_a_damaged_backup(db: Database, tmp_path: Path) -> None:
    _fill(db, 30)
    info = monthly_save(db, today=TODAY)
    assert info is not None and info.backup_file is not None
    data = bytearray(info.backup_file.read_bytes())
    data[len(data) // 2] ^= 0x40  # one bit in a page in the middle
    damaged = tmp_path / "damaged.cme"
    damaged.write_bytes(bytes(data))
    with pytest.raises(CorruptFile, match="damaged"):
        restore(db, backup=damaged, target=tmp_path / "restored.cme")
    assert not (tmp_path / "restored.cme").exists()
    with pytest.raises(CorruptFile, match="There is no backup"):
        restore(db, backup=tmp_path / "nothing.cme", target=tmp_path / "r2.cme")


def test_replace_live_only_when_locked_and_keeps_the_old_vault(tmp_path: Path) -> None:
    vault = Vault(tmp_path / "cases.cme", scrypt=FAST_SCRYPT)
    db = vault.create(PASSPHRASE, actor="T").db
    _fill(db, 2)
    info = monthly_save(db, today=TODAY)
    assert info is not None and info.backup_file is not None
    _fill(db, 1)  # a third case after the save
    check = restore(db, backup=info.backup_file, target=tmp_path / "restored.cme")
    with pytest.raises(VaultBusy):
        replace_live(vault.path, check, today=TODAY, db=db)
    db.close()
    kept = replace_live(vault.path, check, today=TODAY, db=db)
    assert kept.name == "cases.cme.replaced-2026-11-03" and slots_path(kept).is_file()
    reopened = vault.unlock(PASSPHRASE)
    try:
        # The third case and its audit rows are gone with the old file, on purpose: the
        # restored copy's own anchor, not the old vault's, came with it.
        assert reopened.findings == []
        with reopened.read() as session:
            from cme_desktop.models.records import Case

            assert session.query(Case).count() == 2
    finally:
        reopened.close()


def test_prune_deletes_files_and_keeps_the_statistics(db: Database, tmp_path: Path) -> None:
    folder = tmp_path / "old"
    folder.mkdir()
    months = [f"{y}-{m:02d}" for y in (2023, 2024) for m in range(1, 13)]
    with db.write() as session:
        for month in months:
            path = folder / f"cases-{month}.cme"
            path.write_bytes(b"x")
            slots_path(path).write_bytes(b"k")
            session.add(Snapshot(month=month, stats={"open": 1}, backup_file=str(path)))
    deleted = prune(db, today=date(2026, 11, 3))
    # 24 months kept back to 2024-12: none of these; the newest of each quarter stays.
    keep = {f"{y}-{m:02d}" for y in (2023, 2024) for m in (3, 6, 9, 12)}
    assert set(deleted) == set(months) - keep
    assert {p.name for p in folder.iterdir()} == {
        name for m in keep for name in (f"cases-{m}.cme", f"cases-{m}.cme.keys")
    }
    saves = {s.month: s for s in list_saves(db)}
    assert len(saves) == 24 and saves["2023-01"].backup_file is None
    assert saves["2023-01"].stats == {"open": 1}


# --- the pruning rule, exhaustively ---------------------------------------------------------


def _reference(months: set[str], today: date, rule: PruneRule) -> set[str]:
    """The rule written the slow, obvious way."""
    kept = set()
    for month in months:
        year, mon = map(int, month.split("-"))
        age = (today.year - year) * 12 + today.month - mon
        same_quarter = [
            m for m in months if m[:4] == month[:4] and (int(m[5:]) - 1) // 3 == (mon - 1) // 3
        ]
        if age < rule.keep_monthly or (rule.keep_quarterly_after and month == max(same_quarter)):
            kept.add(month)
    return kept


def test_prune_plan_on_every_subset_of_a_year() -> None:
    window = [f"{y}-{m:02d}" for y, m in itertools.product((2025, 2026), range(1, 13))][6:18]
    today = date(2026, 12, 15)  # the window's months are 6 to 17 months old
    for bits in range(1 << len(window)):
        months = {m for i, m in enumerate(window) if bits >> i & 1}
        for keep_monthly, quarterly in ((1, True), (9, False), (9, True), (13, True)):
            rule = PruneRule(keep_monthly, quarterly)
            keep, delete = prune_plan(months, today, rule)
            assert set(keep) == _reference(months, today, rule)
            assert set(keep) | set(delete) == months and not set(keep) & set(delete)
            assert list(keep) == sorted(keep) and list(delete) == sorted(delete)


def test_prune_plan_over_time_every_setting() -> None:
    """Each month's save kept its full window; a quarter's newest save is never lost."""
    for keep_monthly in range(1, 31):
        for quarterly in (True, False):
            rule = PruneRule(keep_monthly, quarterly)
            saved: set[str] = set()
            for year, month in itertools.product(range(2022, 2027), range(1, 13)):
                today = date(year, month, 2)
                saved.add(f"{today:%Y-%m}")
                keep, delete = prune_plan(saved, today, rule)
                assert f"{today:%Y-%m}" in keep
                assert len([m for m in keep if m not in _quarter_ends(keep)]) <= keep_monthly
                if quarterly:
                    assert _quarter_ends(saved) <= set(keep)
                else:
                    assert len(keep) == min(len(saved), keep_monthly)
                saved = set(keep)


def _quarter_ends(months: set[str] | tuple[str, ...]) -> set[str]:
    newest: dict[tuple[str, int], str] = {}
    for m in sorted(months):
        newest[m[:4], (int(m[5:]) - 1) // 3] = m
    return set(newest.values())


def test_prune_plan_keeps_the_future_and_refuses_nonsense() -> None:
    keep, delete = prune_plan(["2027-01", "2020-02"], date(2026, 1, 1), PruneRule(1, False))
    assert keep == ("2027-01",) and delete == ("2020-02",)
    with pytest.raises(InvalidInput):
        prune_plan([], date(2026, 1, 1), PruneRule(0, True))


def test_restore_when_the_vault_is_lost_with_the_backups_own_keys(tmp_path: Path) -> None:
    from cme_desktop.services.errors import WrongPassphrase

    created = Vault(tmp_path / "cases.cme", scrypt=FAST_SCRYPT).create(PASSPHRASE, actor="T")
    _fill(created.db, 2)
    info = monthly_save(created.db, today=TODAY)
    created.db.close()
    assert info is not None and info.backup_file is not None
    with pytest.raises(WrongPassphrase):
        restore_unlocked(
            backup=info.backup_file, target=tmp_path / "r0.cme", passphrase="not the passphrase"
        )
    check = restore_unlocked(
        backup=info.backup_file, target=tmp_path / "r1.cme", recovery_key=created.recovery_key
    )
    assert check.cases == 2
    restored = Vault(check.target, scrypt=FAST_SCRYPT).unlock(PASSPHRASE)
    try:
        assert restored.integrity_problems() == []
    finally:
        restored.close()


# --- the copy ----------------------------------------------------------------------------


def test_the_copy_holds_changes_still_in_the_write_ahead_log(db: Database, tmp_path: Path) -> None:
    """A reader at an older moment stops the log being folded into the file: the copy takes
    the log as well, so the case added last is in it, and the copy stands on its own."""
    _fill(db, 2)
    reader = open_connection(db.path, db.key)
    try:
        reader.execute("BEGIN")
        assert reader.execute("SELECT count(*) FROM cases").fetchone()[0] == 2
        _fill(db, 1)  # committed to the log, which the reader keeps from being folded in
        wal = db.path.with_name(db.path.name + "-wal")
        assert wal.stat().st_size > 0
        target = tmp_path / "copy.cme"
        copy_vault(db, target)
    finally:
        reader.close()
    assert not target.with_name("copy.cme-wal").exists()
    copy = open_connection(target, db.key)
    try:
        assert copy.execute("SELECT count(*) FROM cases").fetchone()[0] == 3
        assert copy.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    finally:
        copy.close()
    assert health.file_check(db, target).sound


def test_a_copy_that_cannot_be_written_leaves_nothing(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fill(db, 1)

    def disk_full(_source: Path, _target: Path) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(backups, "_copy_bytes", disk_full)
    with pytest.raises(OutputError, match="No space left on device"):
        monthly_save(db, today=TODAY, folder=tmp_path / "saves")
    assert list((tmp_path / "saves").iterdir()) == []
    assert due_monthly_save(db, TODAY)
