"""A case out on a laptop, as the window shows it: to a colleague on the server, and in
the field vault itself."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QDialog, QMenu, QWidget

from cme_desktop.app import build_window
from cme_desktop.services.cases.service import CaseService
from cme_desktop.services.server import connection
from cme_desktop.services.server import field_visits as field_visits_service
from cme_desktop.services.server.checkout import check_out, checked_out, field_checkout
from cme_desktop.services.server.database import ServerDatabase
from cme_desktop.services.server.field_visits import (
    CHECK_IN_NOTHING_OUT,
    CHECK_IN_ON_THE_SERVER,
    CHECK_OUT_IN_A_VAULT,
    CHECK_OUT_NOT_AN_OFFICER,
)
from cme_desktop.services.vault.unlock import Vault
from cme_desktop.ui import background, prompts
from cme_desktop.ui.field_visits import (
    CHECK_IN_TIP,
    CHECK_OUT_TIP,
    LOG_IN_FIRST,
    NOTHING_OUT,
    NOTHING_SENT,
    UNLOCK_FIRST,
    CheckInDialog,
    CheckOutDialog,
)
from cme_desktop.ui.main_window import MainWindow
from cme_desktop.ui.reports.dialog import ReportsDialog
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


#: Where the two dialogs' pictures go: ``docs/screenshots/`` when ``CME_SCREENSHOTS`` is
#: set (to refresh the README's), else the test's own folder, so a run of the suite
#: leaves the checkout as it was.
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def _shots(tmp_path: Path) -> Path:
    return SHOTS if os.environ.get("CME_SCREENSHOTS") else tmp_path


def _action(window: MainWindow, text: str) -> QAction:
    found = [a for a in window.findChildren(QAction) if a.text() == text]
    assert found, text
    return found[0]


def _typed(qtbot: Any, seen: list[str], name: str, typing: Callable[[Any], None]) -> None:
    """Type into the dialog that has just opened and press Enter; the work runs in the
    background and the dialog closes when it is done. A failure closes it (no hanging
    test)."""
    dialog = QApplication.activeModalWidget()
    try:
        typing(dialog)
        seen.append(name)
        qtbot.keyClick(dialog, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=30_000)
    except BaseException as exc:
        seen.append(f"{name} failed: {exc!r}")
        _close(dialog)


def _close(dialog: QWidget | None) -> None:
    if dialog is not None:
        background.wait_for_all()
        QApplication.processEvents()
        QDialog.done(dialog, 0)  # type: ignore[arg-type]


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
        assert dialog.grab().save(str(_shots(tmp_path) / "check-out-for-visits.png"))

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
            assert dialog.grab().save(str(_shots(tmp_path) / "check-in.png"))

        check_in_action = _action(field_window, "Check &in…")
        assert check_in_action.isEnabled() and check_in_action.toolTip() == CHECK_IN_TIP
        QTimer.singleShot(0, lambda: _typed(qtbot, seen, "in", type_checkin))
        check_in_action.trigger()
        assert seen == ["out", "in"], (seen, asked.shown)
        # Checked in: nothing left to check in, said where the action was.
        assert not check_in_action.isEnabled()
        assert check_in_action.statusTip() == check_in_action.toolTip() == CHECK_IN_NOTHING_OUT
        assert len(questions) == 1 and "changed on the server" in questions[0]
        assert "1 case checked in" in asked.texts("info")[-1]
        assert CaseService(colleague).get(case_id).draft.school == "Beacon Academy"
        field_window.close()
    finally:
        colleague.close()


# --- the work in the background ----------------------------------------------------------


def _open_dialog(qtbot: Any, action: QAction) -> QDialog:
    """Trigger ``action`` and return the modal dialog it opens (its ``exec`` keeps running
    until the test closes it)."""
    opened: list[QWidget] = []
    QTimer.singleShot(0, lambda: opened.append(QApplication.activeModalWidget()))
    QTimer.singleShot(0, action.trigger)
    qtbot.waitUntil(lambda: bool(opened) and opened[-1] is not None, timeout=5_000)
    dialog = QApplication.activeModalWidget()
    assert isinstance(dialog, QDialog)
    return dialog


def test_check_out_runs_on_a_worker_with_the_window_responsive(
    qtbot: Any,
    server_window: Callable[[str], MainWindow],
    team: Team,  # noqa: F811
    tmp_path: Path,
    asked: Prompts,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (case_id,) = create_cases(team, "officer", "Amy Adams")
    window = server_window("officer")
    # The check-out waits, on whatever thread runs it, until the test has looked.
    entered, go = threading.Event(), threading.Event()
    threads: list[threading.Thread] = []
    real = field_visits_service.check_out

    def held(*args: Any, **kwargs: Any) -> Any:
        threads.append(threading.current_thread())
        entered.set()
        go.wait(15)
        return real(*args, **kwargs)

    monkeypatch.setattr(field_visits_service, "check_out", held)
    runs: list[int] = []
    result: list[str] = []

    def drive() -> None:
        dialog = QApplication.activeModalWidget()
        try:
            assert isinstance(dialog, CheckOutDialog)
            qtbot.keyClicks(dialog.path, str(tmp_path / "visits.cme"))
            qtbot.keyClicks(dialog.passphrase, PASSPHRASE)
            qtbot.keyClicks(dialog.again, PASSPHRASE)
            qtbot.keyClicks(dialog.cases, str(case_id))
            qtbot.keyClick(dialog, Qt.Key.Key_Return)
            qtbot.waitUntil(entered.is_set, timeout=15_000)
            # The window's thread goes on: timers fire, the busy line says what is done.
            ticker = QTimer()
            ticker.timeout.connect(lambda: runs.append(1))
            ticker.start(5)
            qtbot.waitUntil(lambda: len(runs) >= 3, timeout=5_000)
            ticker.stop()
            assert dialog.working.isVisible() and dialog.working.label.text()
            assert dialog.working.accessibleName()
            assert dialog.busy and not dialog.path.isEnabled()
            assert not any(b.isEnabled() for b in dialog.buttons.buttons())
            # Nothing closes it half way: no Cancel of a transaction already sent.
            qtbot.keyClick(dialog, Qt.Key.Key_Escape)
            dialog.close()
            assert dialog.isVisible()
            # Nor does the idle lock: it waits for the work (whose end says what the new
            # field vault's recovery key is) and comes at the next idle spell.
            window.lock_idle()
            assert dialog.isVisible() and window.services is not None
            assert window.idle.is_running()
            go.set()
            qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=30_000)
            result.append("closed")
        except BaseException as exc:
            result.append(repr(exc))
            go.set()
            _close(dialog)

    QTimer.singleShot(0, drive)
    _action(window, "Check &out for visits…").trigger()
    assert result == ["closed"], (result, asked.shown)
    assert threads and threads[0] is not threading.main_thread()
    (told,) = asked.texts("info")
    assert "1 case checked out" in told
    assert window.services is not None
    assert checked_out(window.services.db, [case_id])


def test_a_check_out_that_fails_says_why_and_leaves_nothing_behind(
    qtbot: Any,
    server_window: Callable[[str], MainWindow],
    team: Team,  # noqa: F811
    tmp_path: Path,
    asked: Prompts,
) -> None:
    (case_id,) = create_cases(team, "officer", "Amy Adams")
    window = server_window("officer")
    path = tmp_path / "visits.cme"
    steps: list[str] = []

    def drive() -> None:
        dialog = QApplication.activeModalWidget()
        try:
            assert isinstance(dialog, CheckOutDialog)
            qtbot.keyClicks(dialog.path, str(path))
            qtbot.keyClicks(dialog.passphrase, PASSPHRASE)
            qtbot.keyClicks(dialog.again, PASSPHRASE)
            qtbot.keyClicks(dialog.cases, "999999")  # no such case
            qtbot.keyClick(dialog, Qt.Key.Key_Return)
            qtbot.waitUntil(lambda: bool(asked.texts("error")), timeout=30_000)
            # Said, and the form is back as typed, to correct and try again.
            assert dialog.isVisible() and not dialog.busy and dialog.path.isEnabled()
            assert dialog.path.text() == str(path) and not dialog.working.isVisible()
            assert not Vault(path).exists
            steps.append("refused")
            dialog.cases.clear()
            qtbot.keyClicks(dialog.cases, str(case_id))
            qtbot.keyClick(dialog, Qt.Key.Key_Return)
            qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=30_000)
            steps.append("done")
        except BaseException as exc:
            steps.append(repr(exc))
            _close(dialog)

    QTimer.singleShot(0, drive)
    _action(window, "Check &out for visits…").trigger()
    assert steps == ["refused", "done"], (steps, asked.shown)
    (error,) = asked.texts("error")
    assert "999999" in error or "not found" in error.lower() or "no case" in error.lower()
    assert error.endswith(NOTHING_OUT)
    # The second try made the field vault afresh and showed its recovery key.
    (told,) = asked.texts("info")
    assert "1 case checked out" in told and "recovery key" in told


def test_a_check_in_refused_by_the_server_sends_nothing_and_keeps_the_cases(
    qtbot: Any,
    team: Team,  # noqa: F811
    tmp_path: Path,
    asked: Prompts,
) -> None:
    (case_id,) = create_cases(team, "officer", "Amy Adams")
    officer = ServerDatabase.connect(connection.parse(address(team, "officer")), team._password)
    path = tmp_path / "field.cme"
    try:
        Vault(path, scrypt=FAST_SCRYPT).create(PASSPHRASE).db.close()
        field = Vault(path).unlock(PASSPHRASE)
        try:
            check_out(officer, field, case_ids=[case_id])
        finally:
            field.close()
    finally:
        officer.close()
    field_window = build_window(Vault(path))
    qtbot.addWidget(field_window)
    field_window.show()
    unlock(qtbot, field_window)
    steps: list[str] = []

    def drive() -> None:
        dialog = QApplication.activeModalWidget()
        try:
            assert isinstance(dialog, CheckInDialog)
            qtbot.keyClicks(dialog.password, "not the password")
            qtbot.keyClick(dialog, Qt.Key.Key_Return)
            qtbot.waitUntil(lambda: bool(asked.texts("error")), timeout=30_000)
            assert dialog.isVisible() and not dialog.busy
            assert dialog.focusWidget() is dialog.password
            steps.append("refused")
            dialog.reject()
        except BaseException as exc:
            steps.append(repr(exc))
            _close(dialog)

    action = _action(field_window, "Check &in…")
    QTimer.singleShot(0, drive)
    action.trigger()
    assert steps == ["refused"], (steps, asked.shown)
    (error,) = asked.texts("error")
    assert "refused the login" in error and error.endswith(NOTHING_SENT)
    # The field vault still holds its cases, and still offers to check them in.
    assert field_window.services is not None
    out = field_checkout(field_window.services.db)
    assert out is not None and out.case_ids == (case_id,)
    assert action.isEnabled()
    background.wait_for_all()
    asked.save_answer = "discard"
    field_window.close()


# --- offered only where it applies ---------------------------------------------------------


def _tools(window: MainWindow) -> tuple[QAction, QAction]:
    return _action(window, "Check &out for visits…"), _action(window, "Check &in…")


def _greyed(action: QAction, why: str) -> None:
    assert not action.isEnabled()
    assert action.statusTip() == action.toolTip() == why


def test_in_a_vault_the_offline_actions_are_greyed_out_saying_why(
    qtbot: Any, demo_vault: Vault, asked: Prompts
) -> None:
    window = build_window(demo_vault)
    qtbot.addWidget(window)
    window.show()
    out, back = _tools(window)
    _greyed(out, CHECK_OUT_IN_A_VAULT)
    _greyed(back, UNLOCK_FIRST)
    unlock(qtbot, window)
    _greyed(out, CHECK_OUT_IN_A_VAULT)
    _greyed(back, CHECK_IN_NOTHING_OUT)
    # The menu shows a greyed item's reason on hover; keyboard users get it in the
    # status bar. The menu itself is reached from the keyboard by its mnemonic.
    (tools,) = [m for m in window.findChildren(QMenu) if out in m.actions()]
    assert tools.toolTipsVisible() and "&" in tools.title()
    # A vault's Reports window holds its monthly saves, and says so.
    reports = _action(window, "Reports and monthly saves…")
    assert "DBA" not in reports.statusTip()
    background.wait_for_all()
    asked.save_answer = "discard"
    window.close()


def test_on_the_server_check_out_is_an_officers_and_reports_leave_out_monthly_saves(
    qtbot: Any,
    server_window: Callable[[str], MainWindow],
    team: Team,  # noqa: F811
    asked: Prompts,
) -> None:
    window = server_window("officer")
    out, back = _tools(window)
    assert out.isEnabled() and out.toolTip() == out.statusTip() == CHECK_OUT_TIP
    _greyed(back, CHECK_IN_ON_THE_SERVER)
    # A server's backups are its DBA's: the menu and the window say reports, not saves.
    (reports,) = [a for a in window.findChildren(QAction) if a.text() == "Reports…"]
    assert not [a for a in window.findChildren(QAction) if "monthly saves" in a.text()]
    assert "DBA" in reports.statusTip() and "monthly" not in reports.statusTip().lower()
    assert window.services is not None
    dialog = ReportsDialog(window.services, window)
    qtbot.addWidget(dialog)
    assert dialog.windowTitle() == "Reports" and "monthly" not in dialog.windowTitle().lower()
    # Locked: nothing to check out until the officer logs in again.
    assert window.lock()
    _greyed(out, LOG_IN_FIRST)
    _greyed(back, CHECK_IN_ON_THE_SERVER)
    # A manager is no officer: check-out is greyed out, saying why.
    manager = server_window("manager")
    manager_out, _ = _tools(manager)
    _greyed(manager_out, CHECK_OUT_NOT_AN_OFFICER)
