"""In the window: an unforeseen error shows a plain message and leaves the window working;
Help > About shows the version, the vault, the log and the licences; the log of a working
session names nobody."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialog, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import select

import cme_desktop
from cme_desktop.models import Carer, Case
from cme_desktop.services.diagnostics import LogSession, start_log
from cme_desktop.services.vault.unlock import Vault
from cme_desktop.ui import crash
from cme_desktop.ui.about import AboutDialog
from cme_desktop.ui.crash import CrashDialog
from cme_desktop.ui.importing import flow as importing
from cme_desktop.ui.main_window import MainWindow
from tests.support.credentials import PASSPHRASE
from tests.support.fixtures_docx import appendix_a_docx, filled_referral
from tests.support.main_window import KNOWN_NAME, Prompts, make_window, unlock

#: The largest a dialog may be: a 1366x768 screen less the taskbar and the title bar.
SCREEN_W, SCREEN_H = 1366, 728 - 40


@pytest.fixture
def log(tmp_path: Path) -> Iterator[LogSession]:
    session = start_log("cme-desktop", tmp_path / "logs")
    yield session
    session.close()


@pytest.fixture
def reporting(window: MainWindow, log: LogSession) -> Iterator[MainWindow]:
    """The window as the program starts it: with its log and the crash message."""
    window.log = log
    restore = crash.install(window, vault_path=window.vault.path, log=log)
    yield window
    restore()


def crash_dialogs() -> list[CrashDialog]:
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, CrashDialog)]


def visible_crash_dialog() -> CrashDialog | None:
    shown = [d for d in crash_dialogs() if d.isVisible()]
    return shown[0] if shown else None


def fail_in_a_slot(message: str) -> None:
    def broken() -> None:
        raise RuntimeError(message)

    QTimer.singleShot(0, broken)


def assert_fits_a_small_laptop(dialog: QWidget) -> None:
    frame = dialog.frameGeometry()
    assert dialog.width() <= SCREEN_W and dialog.height() <= SCREEN_H
    assert frame.width() <= 1366 and frame.height() <= 768


@pytest.mark.qt_no_exception_capture
def test_an_error_in_the_window_shows_the_plain_message_and_the_window_goes_on(
    qtbot: QtBot, reporting: MainWindow, log: LogSession
) -> None:
    fail_in_a_slot(f"no record for {KNOWN_NAME}")
    qtbot.waitUntil(lambda: visible_crash_dialog() is not None, timeout=5_000)

    dialog = visible_crash_dialog()
    assert dialog is not None
    text = dialog.message.text()
    assert text.startswith(
        "Something went wrong. The record is safe: every change you saved is in the vault."
    )
    assert f"The details are in the log at:\n{log.path}" in text
    assert dialog.parentWidget() is reporting
    assert_fits_a_small_laptop(dialog)
    assert log.path is not None
    logged = log.path.read_text(encoding="utf-8")
    assert "unexpected error in the main thread" in logged
    assert "builtins.RuntimeError (its message is not logged)" in logged
    assert KNOWN_NAME not in logged

    dialog.copy_button.click()
    copied = QApplication.clipboard().text()
    assert copied.startswith(f"CME Desktop {cme_desktop.__version__}\n")
    assert f"Vault: {reporting.vault.path}" in copied
    assert "Qt: 6." in copied
    assert "unexpected error in the main thread" in copied
    assert KNOWN_NAME not in copied
    assert dialog.copied.text().startswith("Copied")

    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: visible_crash_dialog() is None, timeout=2_000)
    assert reporting.isVisible() and not reporting.is_locked()
    reporting.desk.case_list.search.setText("Zebedee")  # still at work
    reporting.desk.case_list.apply_filters()
    assert reporting.desk.case_list.model.rowCount() == 1


@pytest.mark.qt_no_exception_capture
def test_an_error_on_another_thread_is_shown_on_the_windows_thread(
    qtbot: QtBot, reporting: MainWindow, log: LogSession
) -> None:
    def broken() -> None:
        raise OSError(f"{KNOWN_NAME}.docx")

    worker = threading.Thread(target=broken, name="worker")
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: visible_crash_dialog() is not None, timeout=5_000)

    dialog = visible_crash_dialog()
    assert dialog is not None and dialog.thread() is reporting.thread()
    assert log.path is not None
    assert "unexpected error in thread 'worker'" in log.path.read_text(encoding="utf-8")
    dialog.reject()


@pytest.mark.qt_no_exception_capture
def test_errors_one_after_another_give_one_message(qtbot: QtBot, reporting: MainWindow) -> None:
    fail_in_a_slot("first")
    qtbot.waitUntil(lambda: visible_crash_dialog() is not None, timeout=5_000)
    fail_in_a_slot("second")
    fail_in_a_slot("third")
    qtbot.wait(100)
    assert len([d for d in crash_dialogs() if d.isVisible()]) == 1
    dialog = visible_crash_dialog()
    assert dialog is not None
    dialog.reject()


# --- Help > About and Copy diagnostics -----------------------------------------------------


def test_about_shows_the_version_the_vault_the_log_and_the_licences(
    qtbot: QtBot, tmp_path: Path, log: LogSession
) -> None:
    dialog = AboutDialog(None, vault_path=tmp_path / "cases.cme", log=log)
    qtbot.addWidget(dialog)
    dialog.show()

    assert dialog.version.text() == f"CME Desktop {cme_desktop.__version__}"
    assert dialog.vault.text() == str(tmp_path / "cases.cme")
    assert dialog.log_file.text() == str(log.path)
    notices = dialog.viewer.toPlainText()
    assert "Third-party notices" in notices
    assert "Written offer of the source code" in notices
    assert "ZETETIC LLC" in notices
    assert dialog.viewer.verticalScrollBar().maximum() > 0  # long: it scrolls
    assert_fits_a_small_laptop(dialog)

    dialog.choice.setCurrentIndex(dialog.choice.findText("LGPL-3.0.txt"))
    assert dialog.viewer.toPlainText().lstrip().startswith("GNU LESSER GENERAL PUBLIC LICENSE")

    unnamed = [
        w
        for w in dialog.findChildren(QWidget)
        if w.focusPolicy() != Qt.FocusPolicy.NoFocus and w.isVisible() and not w.accessibleName()
    ]
    assert [type(w).__name__ for w in unnamed] == []

    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert not dialog.isVisible()


def _tab_order(dialog: QDialog, qtbot: QtBot) -> list[str]:
    """The accessible names Tab visits, from the first field round to it again."""
    dialog.activateWindow()
    first = dialog.focusWidget()
    assert first is not None
    names = [first.accessibleName()]
    for _ in range(20):
        current = dialog.focusWidget()
        assert current is not None
        qtbot.keyClick(current, Qt.Key.Key_Tab)
        now = dialog.focusWidget()
        if now is first or now is None:
            break
        names.append(now.accessibleName())
    return names


def test_tab_goes_through_about_and_the_crash_message_to_their_buttons(
    qtbot: QtBot, tmp_path: Path, log: LogSession
) -> None:
    about = AboutDialog(None, vault_path=tmp_path / "cases.cme", log=log)
    qtbot.addWidget(about)
    about.show()
    qtbot.waitExposed(about)
    order = _tab_order(about, qtbot)
    # It opens on Close (Enter or Escape leaves it); Tab then reads it top to bottom, and
    # the long licence text with its links is one stop, not a trap.
    assert order == [
        "Close",
        "Vault file",
        "Log file",
        "Licence text to show",
        "Licence text",
        "Copy diagnostics",
    ]

    message = CrashDialog(None, vault_path=tmp_path / "cases.cme", log=log)
    qtbot.addWidget(message)
    message.show()
    qtbot.waitExposed(message)
    assert _tab_order(message, qtbot) == ["Close", "Copy diagnostics"]


def _when_a_dialog_opens(check: Callable[[QDialog], None]) -> list[str]:
    """Run ``check`` on the modal dialog the next action opens, then close it."""
    seen: list[str] = []

    def look() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, QDialog):
            QTimer.singleShot(20, look)
            return
        seen.append(dialog.windowTitle())
        check(dialog)
        dialog.reject()

    QTimer.singleShot(0, look)
    return seen


def test_help_about_opens_over_the_window_with_its_vault_and_log(
    reporting: MainWindow, log: LogSession
) -> None:
    def check(dialog: QDialog) -> None:
        assert isinstance(dialog, AboutDialog)
        assert dialog.vault.text() == str(reporting.vault.path)
        assert dialog.log_file.text() == str(log.path)

    seen = _when_a_dialog_opens(check)
    reporting.about_action.trigger()
    assert seen == ["About CME Desktop"]


def test_help_copy_diagnostics_puts_them_on_the_clipboard(reporting: MainWindow) -> None:
    QApplication.clipboard().clear()
    reporting.diagnostics_action.trigger()
    copied = QApplication.clipboard().text()
    assert copied.startswith("CME Desktop ")
    assert f"Vault: {reporting.vault.path}" in copied
    assert "Diagnostics copied" in reporting.statusBar().currentMessage()


# --- the log names nobody --------------------------------------------------------------------


def _every_name(vault: Vault) -> set[str]:
    db = vault.unlock(PASSPHRASE)
    try:
        with db.read() as session:
            people = list(session.scalars(select(Case.full_name)))
            people += list(session.scalars(select(Carer.name)))
    finally:
        db.close()
    # Whole names, and each surname: a log line naming "Mrs Quartermain" names her too.
    return {n for n in people if n} | {n.split()[-1] for n in people if n}


@pytest.mark.qt_no_exception_capture
def test_the_log_of_a_working_session_names_nobody(
    qtbot: QtBot, demo_vault: Vault, asked: Prompts, tmp_path: Path, log: LogSession
) -> None:
    window = make_window(demo_vault)
    qtbot.addWidget(window)
    window.log = log
    restore = crash.install(window, vault_path=demo_vault.path, log=log)
    try:
        window.show()
        unlock(qtbot, window)
        panel = window.desk.case_list
        panel.search.setText(KNOWN_NAME)  # a search by name
        panel.apply_filters()
        case_id = panel.model.case_id(0)
        assert case_id is not None
        workspace = window.desk.open_case(case_id)  # a case read
        assert workspace is not None
        workspace.details.widgets["aka"].setText(f"{KNOWN_NAME.split()[0]} Q")
        assert workspace.save()  # a change saved

        importer = importing.install(window)  # a form whose file is named after the child
        form = tmp_path / f"{KNOWN_NAME} referral.docx"
        form.write_bytes(appendix_a_docx(filled_referral(3), style="clean"))
        run = importer.import_paths([form])
        assert run is not None
        qtbot.waitUntil(lambda: run.review is not None, timeout=60_000)
        assert run.review is not None
        run.review.skip_button.click()
        qtbot.waitUntil(lambda: run.done, timeout=10_000)

        fail_in_a_slot(f"{KNOWN_NAME} at {form}")  # an error quoting a name and a path
        qtbot.waitUntil(lambda: visible_crash_dialog() is not None, timeout=5_000)
        dialog = visible_crash_dialog()
        assert dialog is not None
        dialog.reject()

        window.lock()
        unlock(qtbot, window)
        asked.save_answer = "discard"
        window.close()
    finally:
        restore()
    assert log.path is not None
    text = log.path.read_text(encoding="utf-8")
    assert "audit case_read case" in text
    assert "import: a docx file of" in text
    assert "unexpected error in the main thread" in text
    named = sorted(n for n in _every_name(demo_vault) if re.search(rf"\b{re.escape(n)}\b", text))
    assert named == []
    assert str(tmp_path) not in text
