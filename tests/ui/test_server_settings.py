"""Settings and the Reports window in both modes: a vault offers its passphrase, recovery key,
remembered unlock and monthly saves; a shared server offers none of them, and says instead
what applies there (the connection in use, the login's password, the server's backups)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QLabel, QPushButton, QWidget

from cme_desktop.ui.main_window import MainWindow
from cme_desktop.ui.reports.dialog import ReportsDialog
from cme_desktop.ui.reports.monthly_saves import SavesPage
from cme_desktop.ui.server_settings import BACKUPS, PASSWORD, ServerBackupsPage
from cme_desktop.ui.settings_dialog import SettingsDialog
from tests.support.main_window import Prompts
from tests.support.server_logins import Team, team  # noqa: F401 - the fixture
from tests.support.server_window import address, window_fixture  # noqa: F401 - the fixture

VAULT_ONLY = ("&Change passphrase…", "Make a new recovery &key…")


def _security(dialog: SettingsDialog) -> QWidget:
    index = next(i for i in range(dialog.tabs.count()) if dialog.tabs.tabText(i) == "&Security")
    page = dialog.tabs.widget(index)
    assert page is not None
    return page


def _texts(page: QWidget) -> list[str]:
    return [w.text() for kind in (QPushButton, QLabel) for w in page.findChildren(kind)]


def _tab_titles(dialog: ReportsDialog) -> list[str]:
    return [dialog.tabs.tabText(i) for i in range(dialog.tabs.count())]


def test_a_vault_offers_its_own_passphrase_and_saves(
    qtbot: Any, window: MainWindow, asked: Prompts
) -> None:
    assert window.services is not None
    dialog = SettingsDialog(window, window.services, window.changes)
    qtbot.addWidget(dialog)
    texts = _texts(_security(dialog))
    assert all(text in texts for text in VAULT_ONLY)
    assert "&Lock after no use for:" in texts
    assert BACKUPS not in texts
    reports = ReportsDialog(window.services, window)
    qtbot.addWidget(reports)
    assert "Monthly saves" in _tab_titles(reports)
    assert isinstance(reports.saves, SavesPage)
    assert not reports.findChildren(ServerBackupsPage)


def test_a_server_says_what_applies_instead_and_saves_the_settings(
    qtbot: Any,
    server_window: Callable[[str], MainWindow],
    team: Team,  # noqa: F811
    asked: Prompts,
) -> None:
    window = server_window("officer")
    services = window.services
    assert services is not None
    dialog = SettingsDialog(window, services, window.changes)
    qtbot.addWidget(dialog)
    dialog.show()
    page = _security(dialog)
    texts = _texts(page)
    # Nothing of the vault's is offered (to be refused).
    assert not any(text in texts for text in VAULT_ONLY)
    assert not [t for t in texts if "Remember the vault" in t]
    # What applies: the connection in use and the login, who keeps the password, backups.
    assert address(team, "officer") in texts
    assert team.logins["officer"] in texts
    assert PASSWORD in texts and BACKUPS in texts
    assert "&Log out after no use for:" in texts
    # Every note is named for a screen reader.
    assert all(label.accessibleName() for label in page.findChildren(QLabel) if label.wordWrap())
    # The settings themselves save on the server as in a vault.
    dialog.idle_minutes.setValue(7)
    dialog.officer_name.setText("Robin Example")
    dialog.accept()
    assert asked.texts("error") == []
    assert services.settings.load().idle_lock_minutes == 7
    assert window.idle.interval_ms == 7 * 60_000
    reports = ReportsDialog(services, window)
    qtbot.addWidget(reports)
    titles = _tab_titles(reports)
    assert "Monthly saves" not in titles and "Backups" in titles
    (note,) = reports.findChildren(ServerBackupsPage)
    assert note.note.text() == BACKUPS
