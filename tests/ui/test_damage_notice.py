"""The window tells the officer when the vault is damaged or was changed outside the program:
what it means, and which monthly save to restore, and how."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from cme_desktop.services.vault import health
from cme_desktop.services.vault.backups import monthly_save
from cme_desktop.services.vault.database import checkpoint
from cme_desktop.services.vault.unlock import Vault
from cme_desktop.ui import background
from cme_desktop.ui.vault.damage import DAMAGE_TITLE, TAMPER_TITLE
from tests.support.credentials import PASSPHRASE
from tests.support.main_window import Prompts, make_window, unlock
from tests.support.tampering import execute, flip_byte, table_data_page


def _saved_then_damaged(
    vault: Vault, tmp_path: Path, table: str = "referrals", reads: str = ""
) -> tuple[Path, int]:
    """A monthly save, then one page of ``table`` damaged (by default the referrals: the desk
    opens without them), or one that the query ``reads`` needs."""
    db = vault.unlock(PASSPHRASE)
    save = monthly_save(db, today=date(2026, 10, 5))
    key = bytes(db.key)
    checkpoint(db)
    db.close()
    assert save is not None and save.backup_file is not None
    page = table_data_page(
        vault.path, key, table=table, scratch=tmp_path / "scratch.cme", reads=reads
    )
    flip_byte(vault.path, page)
    return save.backup_file, page


def _open(qtbot: Any, vault: Vault) -> Any:
    window = make_window(vault)
    qtbot.addWidget(window)
    window.show()
    unlock(qtbot, window)
    return window


def test_damage_found_at_unlock_says_what_it_means_and_what_to_do(
    qtbot: Any, demo_vault: Vault, asked: Prompts, tmp_path: Path
) -> None:
    backup, page = _saved_then_damaged(demo_vault, tmp_path)
    window = _open(qtbot, demo_vault)
    qtbot.waitUntil(lambda: DAMAGE_TITLE in asked.titles("warn"), timeout=10_000)
    (text,) = [t for k, title, t in asked.shown if title == DAMAGE_TITLE]
    assert f"page {page} of the vault file cannot be read" in text
    assert "What it means:" in text and "the good saves you have are kept" in text
    assert "What to do: Restore the last good monthly save, 2026-10" in text
    assert str(backup) in text and "Restore into a new file" in text
    assert TAMPER_TITLE not in asked.titles("warn")
    background.wait_for_all()
    window.close()


def test_the_window_checks_the_pages_after_the_list_is_painted_not_before(
    qtbot: Any,
    demo_vault: Vault,
    asked: Prompts,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _saved_then_damaged(demo_vault, tmp_path)
    painted: list[bool] = []
    real_check = health.quick_check

    def noting(db: Any, **kwargs: Any) -> health.QuickCheck:
        table = window.desk.case_list.table
        painted.append(table.model().rowCount() > 0 and table.isVisible())
        return real_check(db, **kwargs)

    monkeypatch.setattr(health, "quick_check", noting)
    # The window exists before the unlock starts, so the check (run on a worker as soon as
    # the list is painted) can look at it however quickly the unlock finishes.
    window = make_window(demo_vault)
    qtbot.addWidget(window)
    window.show()
    unlock(qtbot, window)
    # The unlock itself did not check (nothing found yet), the check ran once, after the list
    # was on screen, and what it found is shown and kept with the unlock's findings.
    qtbot.waitUntil(lambda: DAMAGE_TITLE in asked.titles("warn"), timeout=10_000)
    assert painted == [True]
    assert window.services is not None
    assert [f.kind for f in window.services.db.findings] == ["damage_found"]
    background.wait_for_all()
    window.close()
    db = demo_vault.unlock(PASSPHRASE)
    try:
        with db.read() as session:
            actions = [
                str(a)
                for (a,) in session.execute(
                    text("SELECT action FROM audit_log ORDER BY id DESC LIMIT 3")
                )
            ]
    finally:
        db.close()
    assert "damage_found" in actions  # on record, as when the unlock finds it


def test_the_cme_command_still_checks_the_pages_as_the_vault_opens(
    demo_vault: Vault, tmp_path: Path
) -> None:
    _saved_then_damaged(demo_vault, tmp_path)
    assert demo_vault.check_pages_at_open
    db = demo_vault.unlock(PASSPHRASE)
    try:
        assert [f.kind for f in db.findings] == ["damage_found"]
    finally:
        db.close()


#: What the list's first page reads: the open cases' rows from their own index (0016).
FIRST_PAGE = "SELECT full_name FROM cases INDEXED BY ix_cases_list_rows WHERE surname_key >= ''"


@pytest.mark.parametrize(
    "damaged", ["first page", "rows"], ids=["the list's first page", "the cases' rows"]
)
def test_damage_under_the_case_list_is_told_and_the_list_does_not_fail(
    qtbot: Any, demo_vault: Vault, asked: Prompts, tmp_path: Path, damaged: str
) -> None:
    # What the list reads is damaged: the first page it paints (from the index of the
    # list's rows), or the cases' own rows (read by a search, and by pages further down).
    # It says so in its count line instead of raising, as it paints, scrolls, searches or
    # closes, and the notice comes.
    if damaged == "first page":
        _saved_then_damaged(demo_vault, tmp_path, reads=FIRST_PAGE)
    else:
        _saved_then_damaged(demo_vault, tmp_path, table="cases")
    window = _open(qtbot, demo_vault)
    qtbot.waitUntil(lambda: DAMAGE_TITLE in asked.titles("warn"), timeout=10_000)
    panel = window.desk.case_list
    told = "Some cases cannot be shown: The vault file is damaged"
    if damaged == "first page":
        assert panel.count.text().startswith(told), panel.count.text()
    panel.table.scrollToBottom()
    panel.show_all_matches()
    panel.search.setText("a")
    panel.apply_filters()
    qtbot.wait(50)
    assert panel.model.problem is not None
    assert panel.count.text().startswith(told), panel.count.text()
    background.wait_for_all()
    window.close()  # locking reads the list's state: nothing raised
    assert window.is_locked()


def test_damage_the_unlock_did_not_reach_is_found_by_the_background_check(
    qtbot: Any,
    demo_vault: Vault,
    asked: Prompts,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _saved_then_damaged(demo_vault, tmp_path)
    # As on a vault too large for the unlock's time budget: the quick check saw nothing.
    monkeypatch.setattr(health, "quick_check", lambda db: health.QuickCheck((), 0, 22, 0.25))
    window = _open(qtbot, demo_vault)
    assert window.services is not None and window.services.db.findings == []
    qtbot.waitUntil(lambda: DAMAGE_TITLE in asked.titles("warn"), timeout=10_000)
    assert "Restore the last good monthly save, 2026-10" in asked.texts("warn")[-1]
    background.wait_for_all()
    window.close()


def test_audit_rows_missing_are_shown_after_unlock(
    qtbot: Any, demo_vault: Vault, asked: Prompts
) -> None:
    db = demo_vault.unlock(PASSPHRASE)
    key = bytes(db.key)
    db.close()
    execute(
        demo_vault.path, key, "DELETE FROM audit_log WHERE id > (SELECT max(id) - 2 FROM audit_log)"
    )
    window = _open(qtbot, demo_vault)
    qtbot.waitUntil(lambda: TAMPER_TITLE in asked.titles("warn"), timeout=10_000)
    (text,) = [t for k, title, t in asked.shown if title == TAMPER_TITLE]
    assert text.startswith("2 newest audit rows are missing")
    background.wait_for_all()
    assert DAMAGE_TITLE not in asked.titles("warn")
    window.close()


def test_a_sound_vault_shows_no_notice(qtbot: Any, demo_vault: Vault, asked: Prompts) -> None:
    window = _open(qtbot, demo_vault)
    background.wait_for_all()
    qtbot.wait(50)
    assert asked.titles("warn") == []
    window.close()
