"""A case out on a laptop, as the window shows it: to a colleague on the server, and in
the field vault itself."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QWidget

from cme_desktop.app import build_window
from cme_desktop.services.cases.service import CaseService
from cme_desktop.services.server import connection
from cme_desktop.services.server.checkout import check_out
from cme_desktop.services.server.database import ServerDatabase
from cme_desktop.services.vault.unlock import Vault
from cme_desktop.ui import prompts
from cme_desktop.ui.field_visits import CheckInDialog, CheckOutDialog
from cme_desktop.ui.main_window import MainWindow
from cme_desktop.ui.workspace.checkout_note import note_for
from tests.support.credentials import FAST_SCRYPT, PASSPHRASE
from tests.support.main_window import Prompts, unlock
from tests.support.server_logins import Team, team  # noqa: F401 - the fixture
from tests.support.server_window import address, create_cases, window_fixture  # noqa: F401


def test_a_colleague_sees_who_has_the_case_out_and_the_field_vault_says_where_from(
    qtbot: Any,
    server_window: Callable[[str], MainWindow],
    team: Team,  # noqa: F811
    tmp_path: Path,
) -> None:
    case_id, other = create_cases(team, "officer", "Amy Adams", "Carl Cole")
    officer = ServerDatabase.connect(connection.parse(address(team, "officer")), team._password)
    field = Vault(tmp_path / "field.cme", scrypt=FAST_SCRYPT).create(PASSPHRASE).db
    try:
        check_out(officer, field, case_ids=[case_id])
        window = server_window("colleague")
        workspace = window.desk.open_case(case_id)
        assert workspace is not None
        note = workspace.checkout_note
        qtbot.waitUntil(note.isVisible, timeout=10_000)
        assert note.text().startswith(f"Checked out to {team.logins['officer']} since ")
        assert note.accessibleName()
        # A case not checked out shows nothing.
        plain = window.desk.open_case(other)
        assert plain is not None and not plain.checkout_note.isVisible()
        # In the field vault, the same case says where it came from.
        assert note_for(field, case_id).startswith("Checked out from ")
        assert note_for(field, other) == ""
        QApplication.processEvents()
    finally:
        field.close()
        officer.close()


SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def _action(window: MainWindow, text: str) -> QAction:
    found = [a for a in window.findChildren(QAction) if a.text() == text]
    assert found, text
    return found[0]


def _typed(qtbot: Any, seen: list[str], name: str, typing: Callable[[Any], None]) -> None:
    """Type into the dialog that has just opened; a failure closes it (no hanging test)."""
    dialog = QApplication.activeModalWidget()
    try:
        typing(dialog)
        seen.append(name)
        qtbot.keyClick(dialog, Qt.Key.Key_Return)
        if dialog.isVisible():
            seen.append(f"{name} still open")
            dialog.reject()
    except BaseException as exc:
        seen.append(f"{name} failed: {exc!r}")
        if dialog is not None:
            dialog.close()


def _fits(dialog: QWidget) -> None:
    assert dialog.width() <= 1366 and dialog.height() <= 768
    assert dialog.accessibleName()


def test_check_out_then_in_from_the_window_by_keyboard(
    qtbot: Any,
    server_window: Callable[[str], MainWindow],
    team: Team,  # noqa: F811
    tmp_path: Path,
    asked: Prompts,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (case_id,) = create_cases(team, "officer", "Amy Adams")
    window = server_window("officer")
    path = tmp_path / "visits.cme"
    seen: list[str] = []

    def type_checkout(dialog: Any) -> None:
        assert isinstance(dialog, CheckOutDialog)
        # The cursor is in the first field the moment the dialog opens.
        assert dialog.focusWidget() is dialog.path
        qtbot.keyClicks(dialog.path, str(path))
        qtbot.keyClicks(dialog.passphrase, PASSPHRASE)
        qtbot.keyClicks(dialog.again, PASSPHRASE)
        qtbot.keyClicks(dialog.cases, str(case_id))
        _fits(dialog)
        dialog.resize(640, dialog.height())
        dialog.grab().save(str(SHOTS / "check-out-for-visits.png"))

    QTimer.singleShot(0, lambda: _typed(qtbot, seen, "out", type_checkout))
    _action(window, "Check &out for visits…").trigger()
    assert seen == ["out"], (seen, asked.shown)
    (told,) = asked.texts("info")
    assert "1 case checked out" in told and "recovery key" in told

    # Meanwhile a colleague changes the school; offline the officer changes it too.
    colleague = ServerDatabase.connect(connection.parse(address(team, "colleague")), team._password)
    try:
        theirs = CaseService(colleague).get(case_id)
        CaseService(colleague).update(
            case_id, draft=replace(theirs.draft, school="Hill Top"), version=theirs.version
        )
        field_window = build_window(Vault(path))
        qtbot.addWidget(field_window)
        field_window.show()
        unlock(qtbot, field_window)
        offline = CaseService(field_window.services.db)  # type: ignore[union-attr]
        mine = offline.get(case_id)
        offline.update(
            case_id, draft=replace(mine.draft, school="Beacon Academy"), version=mine.version
        )
        questions: list[str] = []

        def keep_mine(_parent: Any, _title: str, text: str) -> str:
            questions.append(text)
            return "keep"

        monkeypatch.setattr(prompts, "reload_or_keep", keep_mine)

        def type_checkin(dialog: Any) -> None:
            assert isinstance(dialog, CheckInDialog)
            assert dialog.focusWidget() is dialog.password
            qtbot.keyClicks(dialog.password, team._password)
            _fits(dialog)
            dialog.resize(640, dialog.height())
            dialog.grab().save(str(SHOTS / "check-in.png"))

        QTimer.singleShot(0, lambda: _typed(qtbot, seen, "in", type_checkin))
        _action(field_window, "Check &in…").trigger()
        assert seen == ["out", "in"], (seen, asked.shown)
        assert len(questions) == 1 and "changed on the server" in questions[0]
        assert "1 case checked in" in asked.texts("info")[-1]
        assert CaseService(colleague).get(case_id).draft.school == "Beacon Academy"
        field_window.close()
    finally:
        colleague.close()
