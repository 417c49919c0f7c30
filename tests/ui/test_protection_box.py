"""The question before a file that names children is saved: protected unless the officer unticks."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QWidget

from cme_desktop.ui import prompts


def _answer_when_shown(qtbot: Any, keys: list[Qt.Key]) -> list[dict[str, Any]]:
    """Type ``keys`` into the box once it is on screen; note what it looked like."""
    seen: list[dict[str, Any]] = []

    def type_keys() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, prompts.ProtectionBox) or QApplication.focusWidget() is None:
            QTimer.singleShot(20, type_keys)  # not yet shown and given the keyboard
            return
        seen.append(
            {
                "focus": QApplication.focusWidget() is box.protect_box,
                "checked": box.protect_box.isChecked(),
                "accessible": box.protect_box.accessibleName(),
                "size": box.sizeHint(),
            }
        )
        for key in keys:
            qtbot.keyClick(QApplication.focusWidget(), key)

    QTimer.singleShot(0, type_keys)
    return seen


def test_enter_saves_protected(qtbot: Any) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    seen = _answer_when_shown(qtbot, [Qt.Key.Key_Return])
    assert prompts.ask_protection(parent, "Save the table", "This report names children.") is True
    assert seen[0]["focus"] and seen[0]["checked"]
    assert seen[0]["accessible"] == "Protect with a password"
    assert seen[0]["size"].width() <= 1366 and seen[0]["size"].height() <= 768


def test_space_unticks_then_enter_saves_unprotected(qtbot: Any) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    _answer_when_shown(qtbot, [Qt.Key.Key_Space, Qt.Key.Key_Return])
    assert prompts.ask_protection(parent, "Save the table", "This report names children.") is False


def test_escape_cancels(qtbot: Any) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    _answer_when_shown(qtbot, [Qt.Key.Key_Escape])
    assert prompts.ask_protection(parent, "Save the table", "This report names children.") is None
