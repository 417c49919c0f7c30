"""Settings > DfE return codes, by keyboard: change a code, add a reason, retire one."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialog, QPushButton

from cme_desktop.services.cases.case_list import CaseQuery
from cme_desktop.services.reports.dfe_codebook import DEFAULT, DfeCodes
from cme_desktop.ui.main_window import MainWindow
from cme_desktop.ui.reports.dfe_codes_dialog import CODE, RETIRED, DfeCodesDialog
from cme_desktop.ui.settings_dialog import SettingsDialog
from tests.support.main_window import Prompts


def _when_open(act: Callable[[QDialog], None]) -> list[QDialog]:
    """Run ``act`` on the next modal dialog the moment it is on screen."""
    seen: list[QDialog] = []

    def poll() -> None:
        dialog = QApplication.activeModalWidget()
        if isinstance(dialog, DfeCodesDialog) and dialog.isVisible() and not seen:
            seen.append(dialog)
            act(dialog)
            if dialog.isVisible():
                dialog.reject()  # the test fails on what was saved, never hangs
        elif not seen:
            QTimer.singleShot(5, poll)

    QTimer.singleShot(0, poll)
    return seen


def _key(dialog: QDialog, key: Qt.Key | str) -> None:
    QTest.keyClick(dialog.focusWidget() or dialog, key)
    # The table commits a typed cell when its editor closes, after the key.
    QApplication.processEvents()


def test_a_code_typed_at_once_is_saved(qtbot: Any, window: MainWindow, asked: Prompts) -> None:
    services = window.services
    assert services is not None
    settings = SettingsDialog(window, services, window.changes)
    qtbot.addWidget(settings)
    settings.show()
    settings.tabs.setCurrentIndex(1)
    button = next(b for b in settings.findChildren(QPushButton) if b.text() == "D&fE return codes…")
    assert button.accessibleName() == "The codes the DfE return writes"
    typed: list[str] = []

    def type_code(dialog: QDialog) -> None:
        # It opens on Female's code: typing replaces it, Enter keeps it, Enter saves.
        assert isinstance(dialog, DfeCodesDialog)
        _key(dialog, "2")
        _key(dialog, Qt.Key.Key_Return)
        typed.append(dialog.tables["sex"].item(0, CODE).text())
        _key(dialog, Qt.Key.Key_Return)

    seen = _when_open(type_code)
    button.setFocus()
    QTest.keyClick(button, Qt.Key.Key_Space)
    assert seen and typed == ["2"]
    assert asked.texts("error") == []
    assert DfeCodes(services.db).load().code("sex", "F") == "2"


def test_a_duplicate_code_is_refused_and_its_row_shown(
    qtbot: Any, window: MainWindow, asked: Prompts
) -> None:
    services = window.services
    assert services is not None
    dialog = DfeCodesDialog(window, services.db)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.tables["band"].item(1, CODE).setText("LT2W")
    dialog.accept()
    assert asked.texts("error") == [
        "Length of time missing: the code “LT2W” is given to both “Less than 2 weeks” and "
        "“2 to 4 weeks”. Each row needs its own code."
    ]
    assert dialog.isVisible()
    assert dialog.tabs.currentIndex() == 2
    assert dialog.tables["band"].currentRow() == 1
    assert DfeCodes(services.db).load() == DEFAULT


def test_a_reason_is_added_by_keyboard_and_one_retired(
    qtbot: Any, window: MainWindow, asked: Prompts
) -> None:
    services = window.services
    assert services is not None
    dialog = DfeCodesDialog(window, services.db)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.tabs.setCurrentIndex(3)
    dialog.activateWindow()
    dialog.new_code.setFocus()
    qtbot.keyClicks(dialog.new_code, "CWS")
    qtbot.keyClick(dialog.new_code, Qt.Key.Key_Tab)
    assert dialog.focusWidget() is dialog.new_label
    qtbot.keyClicks(dialog.new_label, "Awaiting a children not in school decision")
    qtbot.keyClick(dialog.new_label, Qt.Key.Key_Tab)
    assert dialog.focusWidget() is dialog.add_button
    qtbot.keyClick(dialog.add_button, Qt.Key.Key_Space)
    reasons = dialog.tables["reason"]
    assert reasons.item(reasons.rowCount() - 1, CODE).text() == "CWS"
    sao = next(row for row in range(reasons.rowCount()) if reasons.item(row, CODE).text() == "SAO")
    reasons.setCurrentCell(sao, RETIRED)
    qtbot.keyClick(reasons, Qt.Key.Key_Space)
    assert reasons.item(sao, RETIRED).checkState() == Qt.CheckState.Checked
    dialog.accept()
    assert asked.texts("error") == []
    book = DfeCodes(services.db).load()
    assert book.reason_entry("CWS") is not None and "CWS" in book.reason_keys
    assert "SAO" not in book.reason_keys


def test_the_case_shows_its_retired_reason_and_offers_only_current_ones(
    qtbot: Any, window: MainWindow, asked: Prompts
) -> None:
    services = window.services
    assert services is not None
    case_id, other_id = services.case_list.matching_ids(CaseQuery(quick="all"))[:2]
    detail = services.cases.get(case_id)
    services.cases.update(
        case_id, draft=replace(detail.draft, dfe_reason="SAO"), version=detail.version
    )
    codes = DfeCodes(services.db)
    book = codes.load()
    codes.save(
        replace(
            book,
            reason=tuple(replace(e, retired=e.key == "SAO") for e in book.reason),
        )
    )
    workspace = window.desk.open_case(case_id)
    combo = workspace.details.dfe_box.reason
    assert combo.currentData() == "SAO"
    assert combo.currentText() == "Challenging school attendance order (retired)"
    offered = [combo.itemData(i) for i in range(combo.count())]
    assert "APP" in offered and offered.count("SAO") == 1
    other = services.cases.get(other_id)
    services.cases.update(
        other_id, draft=replace(other.draft, dfe_reason="APP"), version=other.version
    )
    second = window.desk.open_case(other_id)
    offered = [
        second.details.dfe_box.reason.itemData(i)
        for i in range(second.details.dfe_box.reason.count())
    ]
    assert "SAO" not in offered
