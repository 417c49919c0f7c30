"""Tools > Retention review: the due cases listed, erased only once the reference is typed,
kept longer with a reason; Settings > Data protection keeps the rule and the notice."""

from __future__ import annotations

from datetime import date
from typing import Any

import pikepdf
import pytest
from PySide6.QtCore import QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialog, QLabel, QWidget

from cme_desktop.app import make_application
from cme_desktop.services.cases.detail import CaseDraft
from cme_desktop.services.cases.service import CaseService
from cme_desktop.services.documents.privacy import notice_text
from cme_desktop.services.registry import AppServices
from cme_desktop.services.settings import SettingsService
from cme_desktop.services.vault.database import Database
from cme_desktop.services.vault.unlock import Vault
from cme_desktop.ui import data_protection, prompts, protected_save
from cme_desktop.ui.data_protection_settings import DataProtectionTab
from cme_desktop.ui.retention import EraseDialog, KeepLongerDialog, RetentionWindow

TODAY = date(2030, 1, 2)


def _cases(db: Database) -> list[int]:
    cases = CaseService(db)
    ids = []
    for name, born, closed in (
        ("Rhea Earlyclose", date(1999, 4, 1), date(2015, 5, 1)),  # due 01/04/2024
        ("Sol Laterclose", date(2000, 7, 1), date(2016, 6, 1)),  # due 01/07/2025
        ("Tam Young", date(2012, 7, 1), date(2020, 6, 1)),  # due 01/07/2037
    ):
        case_id = cases.create(
            draft=CaseDraft(full_name=name, date_of_birth=born), today=date(2015, 1, 5)
        )
        cases.close(case_id, outcome="left_country", on=closed)
        ids.append(case_id)
    return ids


def _cell(window: RetentionWindow, row: int, column: int) -> str:
    item = window.table.item(row, column)
    assert item is not None
    return item.text()


def _when_modal(kind: type[QDialog], then: Any) -> None:
    def run() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, kind):
            QTimer.singleShot(20, run)
            return
        then(dialog)

    QTimer.singleShot(0, run)


def test_a_due_case_is_erased_only_after_its_reference_is_typed(
    qtbot: Any, vault: Vault, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second, _young = _cases(db)
    services = AppServices(vault, db)
    opened: list[int] = []
    changed: list[int] = []
    told: list[str] = []
    monkeypatch.setattr(prompts, "info", lambda _p, _t, text: told.append(text))
    window = RetentionWindow(None, services, opened.append, changed=changed.append, today=TODAY)
    qtbot.addWidget(window)
    assert window.table.rowCount() == 2
    assert _cell(window, 0, 0) == f"CME-{first:06d}"
    assert _cell(window, 0, 4) == "01/04/2024"
    assert "25th birthday" in window.rule.text()
    assert window.table.accessibleName() == "Cases due for review"
    window.open_button.click()
    assert opened == [first]

    seen: dict[str, bool] = {}

    def type_reference(dialog: EraseDialog) -> None:
        assert dialog.focusWidget() is dialog.typed
        QTest.keyClicks(dialog.typed, "CME-99")
        seen["wrong"] = dialog.erase.isEnabled()
        dialog.typed.clear()
        QTest.keyClicks(dialog.typed, f"cme-{first:06d}")
        seen["right"] = dialog.erase.isEnabled()
        dialog.erase.click()

    _when_modal(EraseDialog, type_reference)
    window.erase_button.click()
    assert seen == {"wrong": False, "right": True}
    assert changed == [first]
    assert told == [f"CME-{first:06d} has been erased."]
    assert window.table.rowCount() == 1
    assert _cell(window, 0, 0) == f"CME-{second:06d}"
    assert CaseService(db).get(first).full_name == "Erased record"


def test_a_due_case_is_kept_longer_with_a_reason(qtbot: Any, vault: Vault, db: Database) -> None:
    _first, second, _young = _cases(db)
    window = RetentionWindow(None, AppServices(vault, db), lambda _c: None, today=TODAY)
    qtbot.addWidget(window)
    window.table.selectRow(1)

    def keep(dialog: KeepLongerDialog) -> None:
        dialog.until.setText("02/01/2032")
        dialog.reason.setPlainText("Appeal to the tribunal still open")
        dialog.keep.click()

    _when_modal(KeepLongerDialog, keep)
    window.keep_button.click()
    assert window.table.rowCount() == 1
    assert [c.case_id for c in AppServices(vault, db).retention.due(today=date(2032, 1, 2))][
        -1
    ] == second


def test_the_settings_tab_keeps_the_rule_and_the_notice(qtbot: Any, db: Database) -> None:
    settings = SettingsService(db).load()
    tab = DataProtectionTab(settings)
    qtbot.addWidget(tab)
    assert tab.notice.toPlainText() == notice_text("", settings.authority_name)
    assert tab.until_age.accessibleName().startswith("Keep until the child's birthday")
    # Unchanged, the default is kept as none: it follows the authority's name.
    assert tab.apply(settings).privacy_notice == ""
    tab.years.setValue(6)
    tab.until_age.setValue(0)
    assert tab.until_age.text() == "No age rule"
    tab.notice.setPlainText("  Our own wording.  ")
    applied = tab.apply(settings)
    assert (applied.retention_years_after_closure, applied.retention_until_age) == (6, 0)
    assert applied.privacy_notice == "Our own wording."
    tab.reset.click()
    assert tab.apply(settings).privacy_notice == ""


def test_the_subject_access_pack_is_saved_protected_with_the_password_shown_once(
    qtbot: Any, vault: Vault, db: Database, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, _second, _young = _cases(db)
    parent = QWidget()
    qtbot.addWidget(parent)
    target = tmp_path / "pack"  # no ending typed: .pdf is added
    monkeypatch.setattr(prompts, "save_file", lambda *_a, **_k: target)
    shown: list[tuple[str, str]] = []
    monkeypatch.setattr(
        protected_save,
        "show_password",
        lambda password, path, _parent, **_k: shown.append((password, str(path))),
    )
    saved = data_protection.save_subject_access(parent, AppServices(vault, db), first)
    assert saved == tmp_path / "pack.pdf"
    assert saved is not None
    [(password, where)] = shown
    assert where == str(saved)
    with pikepdf.open(saved, password=password) as pdf:
        assert "record.json" in pdf.attachments
    with pytest.raises(pikepdf.PasswordError):
        pikepdf.open(saved)


def test_the_erase_warning_is_shown_whole(qtbot: Any) -> None:
    """The wrapped warning and "Type CME-… to confirm" are not cut off at the dialog's width
    (in the application's own look, which every window has)."""
    make_application(["test"])
    dialog = EraseDialog(None, 7, "Ann Example")
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    wrapped = [label for label in dialog.findChildren(QLabel) if label.wordWrap()]
    assert wrapped and "to confirm" in wrapped[0].text()
    for label in wrapped:
        assert label.height() >= label.heightForWidth(label.width()), label.text()[:40]
