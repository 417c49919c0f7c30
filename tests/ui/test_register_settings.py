"""Settings > Register: the prescribed arrangements, optional fields and deadlines."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from cme_desktop.models.vocabularies import Term
from cme_desktop.services.errors import InvalidInput
from cme_desktop.services.register.config import RegisterSettings
from cme_desktop.ui.main_window import MainWindow
from cme_desktop.ui.register_settings import terms_from_lines
from cme_desktop.ui.settings_dialog import SettingsDialog
from tests.support.main_window import Prompts


def test_a_line_kept_keeps_its_key_and_a_new_one_gets_a_key() -> None:
    old = (Term("s19", "Section 19 provision"),)
    got = terms_from_lines(" Section 19  provision\n\nHospital education (part-time)\n", old)
    assert got == (
        Term("s19", "Section 19 provision"),
        Term("hospital_education_part_time", "Hospital education (part-time)"),
    )
    with pytest.raises(InvalidInput, match="twice"):
        terms_from_lines("Flexi\nflexi", ())


def test_the_register_settings_are_saved_by_keyboard(
    qtbot: Any, window: MainWindow, asked: Prompts
) -> None:
    services = window.services
    assert services is not None
    dialog = SettingsDialog(window, services, window.changes)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog)
    QTest.keyClick(dialog, Qt.Key.Key_G, Qt.KeyboardModifier.AltModifier)  # Register tab
    assert dialog.tabs.currentWidget() is dialog.register
    tab = dialog.register
    QTest.keyClick(dialog, Qt.Key.Key_L, Qt.KeyboardModifier.AltModifier)  # Optional fields
    assert dialog.focusWidget() is tab.optional
    QTest.keyClick(tab.optional, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClick(tab.optional, Qt.Key.Key_Return)
    QTest.keyClicks(tab.optional, "First language")
    visit = tab.days["home_visit"]
    visit.setFocus()
    visit.selectAll()
    QTest.keyClicks(visit, "10")
    dialog.accept()
    assert asked.texts("error") == []
    saved = RegisterSettings(services.db).load()
    assert saved.optional_fields[-1] == Term("first_language", "First language")
    assert next(d for d in saved.deadlines if d.key == "home_visit").days == 10
