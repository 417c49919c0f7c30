"""``cme-desktop --server``: the login screen in place of the unlock screen, the desk on the
server's cases, a refused password said on the page, and the login again after a lock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from sqlalchemy.engine import make_url

from cme_desktop.app import build_window, parse_args
from cme_desktop.services.cases.detail import CaseDraft
from cme_desktop.services.cases.service import CaseService
from cme_desktop.services.vault.unlock import Vault
from cme_desktop.ui import background
from cme_desktop.ui.main_window import MainWindow
from cme_desktop.ui.vault.server_login import ServerLoginPage
from tests.support.main_window import Prompts
from tests.support.postgres import connect


@pytest.fixture
def server(postgres_url: str) -> tuple[str, str]:
    """The address without its password, and the password; two cases on the server."""
    db = connect(postgres_url, actor="Set-up")
    try:
        for name in ("Ayesha Malik", "Brendan Cole"):
            CaseService(db).create(draft=CaseDraft(full_name=name), today=date(2025, 3, 18))
    finally:
        db.close()
    url = make_url(postgres_url)
    return url._replace(password=None).render_as_string(), str(url.password)


@pytest.fixture
def window(
    qtbot: Any, tmp_path: Path, server: tuple[str, str], asked: Prompts
) -> Iterator[MainWindow]:
    win = build_window(Vault(tmp_path / "unused.cme"), server=server[0])
    qtbot.addWidget(win)
    win.show()
    yield win
    background.wait_for_all()
    if not win.is_locked():
        asked.save_answer = "discard"
        win.close()


def _page(window: MainWindow) -> ServerLoginPage:
    assert isinstance(window.gate, ServerLoginPage)
    return window.gate


def test_the_login_screen_replaces_the_unlock_screen(
    qtbot: Any, window: MainWindow, server: tuple[str, str]
) -> None:
    page = _page(window)
    assert page.login.text() == "cme_test"  # from the address
    assert page.password.accessibleName() == "Server password"
    assert "Server:" in window.status_text.text()
    qtbot.keyClicks(page.password, server[1])
    qtbot.mouseClick(page.login_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.services is not None, timeout=15_000)
    assert window.gate is None
    panel = window.desk.case_list  # open cases, as every desk starts
    qtbot.waitUntil(lambda: panel.model.rowCount() == 2, timeout=10_000)
    assert window.status_text.text().endswith(f"Server: {window.services.db.address}")  # type: ignore[union-attr]
    # No check of a vault file runs on the server (nor a false notice of damage).
    qtbot.wait(300)
    assert window.services.db.findings == []  # type: ignore[union-attr]
    assert window.lock()
    assert isinstance(window.gate, ServerLoginPage)  # logged out: the login screen again


def test_a_wrong_password_is_said_on_the_page(qtbot: Any, window: MainWindow) -> None:
    page = _page(window)
    page.password.setText("not the password")
    page.log_in()
    qtbot.waitUntil(lambda: page.login_button.isEnabled(), timeout=15_000)
    assert "refused the login" in page.message.text()
    assert window.services is None


def test_an_empty_password_is_asked_for(qtbot: Any, window: MainWindow) -> None:
    page = _page(window)
    page.password.clear()
    page.log_in()
    assert page.message.text() == "Type your password for the server."


def test_a_wrong_address_stops_the_start_with_a_clear_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as stopped:
        parse_args(["--server", "postgresql://officer@db.council.local/cme?sslmode=disable"])
    assert stopped.value.code == 2
    assert "without checking the server's certificate" in capsys.readouterr().err


def test_another_officers_change_shows_in_the_list(
    qtbot: Any, window: MainWindow, server: tuple[str, str], postgres_url: str
) -> None:
    page = _page(window)
    page.password.setText(server[1])
    page.log_in()
    qtbot.waitUntil(lambda: window.services is not None, timeout=15_000)
    panel = window.desk.case_list
    qtbot.waitUntil(lambda: panel.model.rowCount() == 2, timeout=10_000)
    other = connect(postgres_url, actor="Another Officer")
    try:
        CaseService(other).create(draft=CaseDraft(full_name="Cara Doyle"), today=date(2025, 3, 18))
    finally:
        other.close()
    # Nobody touched this window: the server's notice refreshed its list.
    qtbot.waitUntil(lambda: panel.model.rowCount() == 3, timeout=10_000)
    assert window.lock()
