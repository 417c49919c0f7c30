"""Settings: officer and authority details, idle lock, terms and census dates, passphrase."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from cme_desktop.services.errors import WrongPassphrase
from cme_desktop.ui.main_window import MainWindow
from cme_desktop.ui.settings_dialog import ChangePassphraseDialog, SettingsDialog
from tests.support.credentials import PASSPHRASE
from tests.support.main_window import Prompts


def test_settings_are_saved_through_the_service(
    qtbot: Any, window: MainWindow, asked: Prompts
) -> None:
    services = window.services
    assert services is not None
    dialog = SettingsDialog(window, services, window.changes)
    qtbot.addWidget(dialog)
    dialog.officer_name.setText("Robin Example")
    dialog.authority_name.setText("Exampleshire County Council")
    dialog.contact_phone.setText("0116 000 0000")
    dialog.idle_minutes.setValue(5)
    dialog._add_term("Autumn 2026", "02/09/2026", "18/12/2026")
    dialog.census.setText("01/10/2026, 15/01/2027")
    dialog.accept()
    assert asked.texts("error") == []
    saved = services.settings.load()
    assert saved.officer_name == "Robin Example"
    assert saved.authority_name == "Exampleshire County Council"
    assert saved.idle_lock_minutes == 5
    assert saved.terms[0].starts == date(2026, 9, 2)
    assert saved.census_dates == (date(2026, 10, 1), date(2027, 1, 15))
    assert services.db.actor == "Robin Example"
    assert window.idle.interval_ms == 5 * 60_000
    assert "Robin Example" in window.status_text.text()


def test_a_bad_term_date_keeps_the_dialog_open(
    qtbot: Any, window: MainWindow, asked: Prompts
) -> None:
    services = window.services
    assert services is not None
    dialog = SettingsDialog(window, services, window.changes)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog._add_term("Spring", "05/01/2027", "not a date")
    dialog.officer_name.setText("Kept as typed")
    dialog.accept()
    assert "give both dates" in asked.texts("error")[0]
    assert dialog.isVisible() and dialog.officer_name.text() == "Kept as typed"
    assert services.settings.load().officer_name != "Kept as typed"


def test_change_passphrase(qtbot: Any, window: MainWindow, asked: Prompts) -> None:
    services = window.services
    assert services is not None
    dialog = ChangePassphraseDialog(window, services)
    qtbot.addWidget(dialog)
    new = "the officer's new passphrase"
    dialog.fields.first.setText(new)
    dialog.fields.second.setText(new)
    dialog.accept()
    qtbot.waitUntil(lambda: asked.titles("info") == ["Change the passphrase"], timeout=10_000)
    services.vault.unlock(new).close()
    with pytest.raises(WrongPassphrase):
        services.vault.unlock(PASSPHRASE)


def test_the_la_number_is_set_and_checked_in_settings(
    qtbot: Any, window: MainWindow, asked: Prompts
) -> None:
    services = window.services
    assert services is not None
    dialog = SettingsDialog(window, services, window.changes)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.la_number.clear()
    qtbot.keyClicks(dialog.la_number, "85x")
    dialog.accept()
    assert "3 digits" in asked.texts("error")[0]
    assert dialog.isVisible()
    dialog.la_number.clear()
    qtbot.keyClicks(dialog.la_number, "855")
    dialog.accept()
    assert services.settings.load().la_number == "855"
