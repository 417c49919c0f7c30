"""The main window logged in to the test server as one of the team (``server_logins``).

The fixture ``server_window``: ``server_window(person)`` starts a window on the server,
types the person's password into its login screen and waits for the desk; the windows
are closed when the test ends.
Import ``window_fixture`` (and ``server_logins.team``) into a test module of tests/ui
(it needs ``asked``); the fixture's name differs from the function's so that a test's
argument does not shadow the import.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from cme_desktop.app import build_window
from cme_desktop.services.cases.detail import CaseDraft
from cme_desktop.services.cases.service import CaseService
from cme_desktop.services.server import connection
from cme_desktop.services.server.database import ServerDatabase
from cme_desktop.services.vault.unlock import Vault
from cme_desktop.ui import background
from cme_desktop.ui.main_window import MainWindow
from cme_desktop.ui.vault.server_login import ServerLoginPage
from tests.support.main_window import Prompts
from tests.support.server_logins import Team

DAY = date(2026, 11, 2)


def address(logins: Team, person: str) -> str:
    """The server address ``person`` logs in with (no password in it)."""
    found = connection.parse(logins.url)
    return f"postgresql://{logins.logins[person]}@{found.host}:{found.port}/{found.database}"


def create_cases(logins: Team, person: str, *names: str) -> list[int]:
    """Cases created by ``person`` (an officer's are theirs; others' are not allocated)."""
    db = ServerDatabase.connect(connection.parse(address(logins, person)), logins._password)
    try:
        return [CaseService(db).create(draft=CaseDraft(full_name=n), today=DAY) for n in names]
    finally:
        db.close()


@pytest.fixture(name="server_window")
def window_fixture(
    qtbot: Any,
    tmp_path: Path,
    team: Team,
    asked: Prompts,
) -> Iterator[Callable[[str], MainWindow]]:
    """Logs a window in to the server as one of the team."""
    made: list[MainWindow] = []

    def log_in(person: str) -> MainWindow:
        win = build_window(Vault(tmp_path / f"{person}.cme"), server=address(team, person))
        qtbot.addWidget(win)
        win.show()
        page = win.gate
        assert isinstance(page, ServerLoginPage)
        qtbot.keyClicks(page.password, team._password)
        qtbot.keyClick(page.password, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: win.services is not None, timeout=15_000)
        made.append(win)
        return win

    yield log_in
    background.wait_for_all()
    for win in made:
        if not win.is_locked():
            asked.save_answer = "discard"
            win.close()
