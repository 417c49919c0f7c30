"""Case > Letter…: by keyboard, the letter filled from the case, edited, blanks named before
saving, saved protected with the password shown once, "Letter sent" on the timeline; a
letter being written when the vault locks by itself opens again with its text."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pypdf
import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialog

from cme_desktop.services.cases.case_list import CaseQuery
from cme_desktop.services.vault.unlock import Vault
from cme_desktop.ui import background, letters, prompts
from cme_desktop.ui.letters import LetterDialog
from cme_desktop.ui.main_window import MainWindow
from cme_desktop.ui.password_shown_once import PasswordShownOnce
from tests.support.main_window import KNOWN_NAME, Prompts, make_window, unlock

EDIT = "Please ring me before Friday."


def _known_case(window: MainWindow) -> int:
    services = window.services
    assert services is not None
    case_id = services.case_list.matching_ids(CaseQuery(search=KNOWN_NAME, quick="all"))[0]
    assert window.desk.open_case(case_id) is not None
    return case_id


def _open_by_keyboard(qtbot: Any, window: MainWindow, then: Any) -> None:
    """Ctrl+Shift+L, then ``then(dialog)``; a failed check in it closes the dialog and fails."""
    failed: list[BaseException] = []

    def run() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, LetterDialog):
            QTimer.singleShot(20, run)
            return
        try:
            then(dialog)
        except BaseException as exc:  # re-raised below, once the dialog is closed
            failed.append(exc)
            dialog.done(QDialog.DialogCode.Rejected)

    QTimer.singleShot(0, run)
    qtbot.keyClick(
        window,
        Qt.Key.Key_L,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    if failed:
        raise failed[0]


def test_a_letter_is_written_by_keyboard_and_saved_protected(
    qtbot: Any,
    window: MainWindow,
    asked: Prompts,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    letters.install(window)  # as the application installs it (app.FEATURES)
    case_id = _known_case(window)
    [action] = [a for a in window.findChildren(QAction) if a.text() == "&Letter…"]
    assert action.isEnabled()
    target = tmp_path / "to-school"  # no ending typed: .pdf is added
    monkeypatch.setattr(prompts, "save_file", lambda *_a, **_k: target)
    seen: dict[str, Any] = {}

    def write(dialog: LetterDialog) -> None:
        assert dialog.focusWidget() is dialog.template  # focus on the first field
        assert dialog.template.accessibleName() == "Letter"
        assert dialog.text.accessibleName() == "Text of the letter"
        QTest.keyClick(dialog.template, Qt.Key.Key_Down)  # the school enquiry
        assert dialog.chosen().name == "school-enquiry"
        text = dialog.text.toPlainText()
        assert KNOWN_NAME in text and "Dear Headteacher," in text and "[school address]" in text
        dialog.text.setFocus()
        dialog.text.moveCursor(dialog.text.textCursor().MoveOperation.End)
        QTest.keyClicks(dialog.text, EDIT)
        seen["text"] = dialog.text.toPlainText()
        # Alt+P: Save as PDF (a mnemonic clicks a moment later, as a click would show).
        # Offscreen there is no window manager to make the dialog the active window.
        dialog.windowHandle().requestActivate()
        qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog)
        QTest.keyClick(dialog.text, Qt.Key.Key_P, Qt.KeyboardModifier.AltModifier)
        qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=5_000)

    _open_by_keyboard(qtbot, window, write)
    assert asked.titles("confirm") == ["Letter"]  # the blank was named first
    assert "[school address]" in asked.texts("confirm")[0]
    assert asked.titles("protection") == ["Letter"]
    saved = tmp_path / "to-school.pdf"
    shown = window.findChild(PasswordShownOnce)
    assert isinstance(shown, PasswordShownOnce)
    reader = pypdf.PdfReader(io.BytesIO(saved.read_bytes()))
    assert reader.is_encrypted
    reader.decrypt(shown.password_label.text())
    words = " ".join(" ".join((p.extract_text() or "").split()) for p in reader.pages)
    assert EDIT in words and KNOWN_NAME in words and "OFFICIAL-SENSITIVE" in words
    services = window.services
    assert services is not None
    entries = services.cases.get(case_id).timeline
    assert any(e.summary.startswith("Letter sent: School enquiry") for e in entries)


def test_a_letter_is_printed_never_to_a_file_and_noted(
    qtbot: Any, window: MainWindow, asked: Prompts, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = window.services
    assert services is not None
    case_id = _known_case(window)
    offered: list[bool] = []

    def choose_printer(_parent: Any, title: str, *, allow_file: bool = True) -> QPrinter:
        offered.append(allow_file)
        # The printer the officer picks; here a PDF in the test folder stands in for paper.
        printer = QPrinter(QPrinter.PrinterMode.ScreenResolution)
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(tmp_path / "paper.pdf"))
        return printer

    monkeypatch.setattr(prompts, "choose_printer", choose_printer)
    dialog = LetterDialog(services, case_id, window)
    qtbot.addWidget(dialog)
    dialog.print_button.click()
    assert offered == [False]  # "print to file" is not offered
    assert (tmp_path / "paper.pdf").stat().st_size > 1000
    assert dialog.result() == QDialog.DialogCode.Accepted
    entries = services.cases.get(case_id).timeline
    assert any(e.summary == "Letter sent: Parents after a home visit (printed)." for e in entries)


def test_the_officer_keeps_the_edited_letter_when_changing_her_mind(
    qtbot: Any, window: MainWindow, asked: Prompts
) -> None:
    services = window.services
    assert services is not None
    case_id = _known_case(window)
    dialog = LetterDialog(services, case_id, window)
    qtbot.addWidget(dialog)
    dialog.text.setPlainText(dialog.text.toPlainText() + EDIT)
    asked.confirm_answer = False  # "Start again from the new letter?" No
    dialog.template.setCurrentIndex(2)
    assert dialog.template.currentIndex() == 0 and EDIT in dialog.text.toPlainText()
    asked.confirm_answer = True
    dialog.template.setCurrentIndex(2)
    assert dialog.chosen().name == "other-authority-enquiry"
    assert EDIT not in dialog.text.toPlainText() and not dialog.is_modified()


def test_an_unfinished_letter_survives_the_idle_lock(
    qtbot: Any, demo_vault: Vault, asked: Prompts
) -> None:
    window = make_window(demo_vault, idle_lock_ms=1_200)
    qtbot.addWidget(window)
    window.show()
    unlock(qtbot, window)
    letters.install(window)
    case_id = _known_case(window)

    def type_in(dialog: LetterDialog) -> None:
        dialog.text.setFocus()
        QTest.keyClicks(dialog.text, EDIT)
        # Nothing more: the vault locks with the letter open, and closes it unasked.

    with qtbot.waitSignal(window.vault_locked, timeout=6_000):
        _open_by_keyboard(qtbot, window, type_in)
    services_before = window.services
    assert services_before is None
    reopened: list[LetterDialog] = []

    def look() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, LetterDialog):
            QTimer.singleShot(20, look)
            return
        reopened.append(dialog)
        QTimer.singleShot(0, lambda: dialog.done(QDialog.DialogCode.Rejected))

    QTimer.singleShot(0, look)
    unlock(qtbot, window)
    qtbot.waitUntil(lambda: bool(reopened), timeout=5_000)
    assert "a letter for CME-" in asked.texts("restore_or_discard")[0]
    assert reopened[0].case_id == case_id and EDIT in reopened[0].text.toPlainText()
    services = window.services
    assert services is not None and services.drafts.pending() == []
    background.wait_for_all()
    asked.save_answer = "discard"
    window.close()
