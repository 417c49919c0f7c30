"""Every window fits the screens councils have: 1366x768 with a taskbar, and the same at
125 % scaling (1093x582 logical pixels once the taskbar is off). Each dialog is opened
with that screen area and must lie wholly on it, its buttons and text in sight."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QPoint, QRect, QSize
from PySide6.QtWidgets import (
    QAbstractButton,
    QDialogButtonBox,
    QLabel,
    QWidget,
    QWizard,
)

from cme_desktop.services.cases.case_list import CaseQuery
from cme_desktop.services.vault.unlock import Vault
from cme_desktop.ui import screen_fit
from cme_desktop.ui.main_window import MainWindow
from tests.support.dialogs import dialog_named, names
from tests.support.main_window import KNOWN_NAME, Prompts, make_window

AREAS = {
    "1366x768": QRect(0, 0, 1366, 728),
    "1366x768 at 125%": QRect(0, 0, 1093, 582),
}


@pytest.fixture(params=list(AREAS), ids=list(AREAS))
def area(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> QRect:
    """The screen area windows are sized to, for this test."""
    rect = AREAS[request.param]
    monkeypatch.setattr(screen_fit, "available_area", lambda _widget=None: QRect(rect))
    return rect


def outer(window: QWidget) -> QRect:
    """The window with its title bar and borders: those the system reports, or the room
    a real desktop takes for them (``screen_fit``'s allowance), whichever is larger."""
    frame, inner = window.frameGeometry(), window.geometry()
    width = max(frame.width(), inner.width() + screen_fit.FRAME_WIDTH)
    height = max(frame.height(), inner.height() + screen_fit.FRAME_HEIGHT)
    return QRect(frame.topLeft(), QSize(width, height))


def hidden_parts(window: QWidget) -> list[str]:
    """Buttons and wrapped text of ``window`` that are not wholly inside it."""
    inside = window.rect()
    out = []
    for button in window.findChildren(QAbstractButton):
        boxed = isinstance(button.parentWidget(), QDialogButtonBox | QWizard)
        if boxed and button.isVisible():
            where = QRect(button.mapTo(window, QPoint(0, 0)), button.size())
            if not inside.contains(where):
                out.append(f"button {button.text()!r} at {where}")
    for label in window.findChildren(QLabel):
        shown = label.isVisible() and label.wordWrap() and label.text()
        if shown and label.height() < label.heightForWidth(label.width()):
            out.append(f"text cut off: {label.text()[:50]!r}")
    return out


def _case_id(window: MainWindow) -> int:
    services = window.services
    assert services is not None
    return services.case_list.matching_ids(CaseQuery(search=KNOWN_NAME, quick="all"))[0]


@pytest.mark.parametrize("name", names())
def test_each_dialog_fits_with_its_buttons_in_sight(
    qtbot: Any, window: MainWindow, asked: Prompts, area: QRect, name: str
) -> None:
    dialog = dialog_named(window, _case_id(window), name)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    qtbot.wait(20)
    assert area.contains(outer(dialog)), f"{name}: {outer(dialog)} is not within {area}"
    assert hidden_parts(dialog) == []
    dialog.done(0)


def test_the_main_window_opens_within_the_screen(
    qtbot: Any, demo_vault: Vault, asked: Prompts, area: QRect
) -> None:
    window = make_window(demo_vault)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    assert area.contains(outer(window)), f"{outer(window)} is not within {area}"
    assert window.minimumSizeHint().width() <= area.width()
    window.close()
