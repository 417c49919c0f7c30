"""No typed word is lost: each form opens with the cursor in the field typed in first.

Each dialog is opened through its keyboard shortcut, as an officer would, and the
text is typed the moment it opens, one key at a time into whatever has the focus
then (so a space landing on Save would press it, as it did). The text must arrive
whole and be saved whole.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDialog,
    QLineEdit,
    QPlainTextEdit,
    QWidget,
)

from cme_desktop.services.cases.case_list import CaseQuery
from cme_desktop.ui.main_window import MainWindow
from cme_desktop.ui.workspace.workspace import CaseWorkspace
from tests.support.dialogs import dialog_named
from tests.support.main_window import KNOWN_NAME, Prompts

TYPED = "Revisit 503 Declan Street after 4pm"


def type_keys(dialog: QWidget, text: str) -> None:
    """Type ``text`` key by key into the focus of the dialog's window at that moment."""
    for ch in text:
        target = dialog.focusWidget() or dialog
        QTest.keyClick(target, ch)


def when_dialog_opens(act: Callable[[QDialog], None]) -> list[QDialog]:
    """Run ``act`` on the next modal dialog as soon as it is on screen."""
    seen: list[QDialog] = []

    def poll() -> None:
        dialog = QApplication.activeModalWidget()
        if isinstance(dialog, QDialog) and dialog.isVisible() and not seen:
            seen.append(dialog)
            act(dialog)
            if dialog.isVisible():
                dialog.reject()  # not saved: the test fails on the result, never hangs
        elif not seen:
            QTimer.singleShot(5, poll)

    QTimer.singleShot(0, poll)
    return seen


def save_by_keyboard(dialog: QDialog) -> None:
    QTest.keyClick(
        dialog.focusWidget() or dialog, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier
    )


def _known_case(window: MainWindow) -> CaseWorkspace:
    services = window.services
    assert services is not None
    ids = services.case_list.matching_ids(CaseQuery(search=KNOWN_NAME, quick="all"))
    workspace = window.desk.open_case(ids[0])
    assert workspace is not None
    return workspace


def _choose_if_blank(dialog: QDialog) -> None:
    # A drop-down with no answer yet (e.g. a visit's outcome) is chosen after typing.
    for combo in dialog.findChildren(QComboBox):
        if combo.isVisible() and combo.currentData() in ("", None) and combo.count() > 1:
            combo.setCurrentIndex(1)


def _type_and_save(dialog: QDialog) -> None:
    type_keys(dialog, TYPED)
    _choose_if_blank(dialog)
    save_by_keyboard(dialog)


@pytest.mark.parametrize(
    ("keys", "saved"),
    [
        (
            (Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier),
            lambda d: [t.title for t in d.tasks],
        ),
        (
            (Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier),
            lambda d: [e.summary for e in d.timeline],
        ),
        (
            (Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier),
            lambda d: [e.who_seen for e in d.timeline if e.kind == "visit"],
        ),
        (
            (Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier),
            # "On roll at a school" comes first: the school is typed first (cases.closing).
            lambda d: [d.draft.new_school],
        ),
    ],
    ids=["add-task", "timeline-entry", "home-visit", "close-case"],
)
def test_typing_straight_after_the_shortcut_is_saved_whole(
    qtbot: Any, window: MainWindow, asked: Prompts, keys: Any, saved: Callable[[Any], list[str]]
) -> None:
    workspace = _known_case(window)
    window.activateWindow()
    opened = when_dialog_opens(_type_and_save)
    qtbot.keyClick(window, *keys)
    assert opened, "the shortcut opened no dialog"
    assert opened[0].result() == QDialog.DialogCode.Accepted, asked.shown
    assert asked.titles("error") == []
    services = window.services
    assert services is not None
    detail = services.cases.get(workspace.case_id)
    assert any(TYPED in (text or "") for text in saved(detail)), saved(detail)


def test_new_case_by_keyboard_keeps_every_word(
    qtbot: Any, window: MainWindow, asked: Prompts
) -> None:
    opened = when_dialog_opens(_type_and_save)
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert opened and opened[0].result() == QDialog.DialogCode.Accepted, asked.shown
    workspace = window.desk.current_workspace()
    assert workspace is not None and workspace.detail is not None
    assert workspace.detail.full_name == TYPED


TYPING_DIALOGS = [
    "new case",
    "add task",
    "timeline entry",
    "home visit",
    "close case",
    "tracking step",
    "agency referral",
    "meeting",
    "address",
    "carer",
    "settings",
    "change passphrase",
    "visit order",
    "referrals",
    "new case from a notification",
    "import review",
    "register parent",
    "register provider",
]


@pytest.mark.parametrize("name", TYPING_DIALOGS)
def test_every_dialog_with_text_opens_in_a_text_field(
    qtbot: Any, window: MainWindow, asked: Prompts, name: str
) -> None:
    dialog = dialog_named(window, _known_case(window).case_id, name)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    field = dialog.focusWidget()
    assert isinstance(field, QLineEdit | QPlainTextEdit), f"{name}: {field!r}"
    assert not (isinstance(field, QLineEdit) and field.isReadOnly())
    type_keys(dialog, " Declan")
    text = field.text() if isinstance(field, QLineEdit) else field.toPlainText()
    assert text.endswith(" Declan")
    dialog.done(0)
