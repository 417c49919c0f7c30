"""Windows and dialogs sized to the screen they open on, never larger.

Council laptops often have a 1366x768 screen, some with 125 % scaling (about
1093x614 in Qt's logical pixels), and a taskbar takes another 40 pixels. A
window given a fixed size (the import review once opened at 1440x900) then
hides its own buttons below the screen's edge. Every window and dialog is
sized here instead: its preferred size, shrunk to the part of the screen a
window may use (``available_area``: the screen without the taskbar), less room
for the title bar and borders the system draws, and placed so that all of it
is on that screen.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

#: Room the system's title bar and borders take around a window (Windows 10/11 at 125 %).
FRAME_WIDTH = 16
FRAME_HEIGHT = 40
#: What a window may use when no screen is known (a 1366x768 screen and its taskbar).
FALLBACK_AREA = QRect(0, 0, 1366, 728)


def available_area(widget: QWidget | None = None) -> QRect:
    """The part of the widget's screen (else the main screen) a window may use."""
    screen = widget.screen() if widget is not None else None
    if screen is None:
        screen = QGuiApplication.primaryScreen()
    return screen.availableGeometry() if screen is not None else QRect(FALLBACK_AREA)


def largest_size(widget: QWidget | None = None) -> QSize:
    """The largest window (without its frame) that fits the available area."""
    area = available_area(widget)
    return QSize(max(1, area.width() - FRAME_WIDTH), max(1, area.height() - FRAME_HEIGHT))


def fit_window(window: QWidget, preferred: QSize | None = None) -> None:
    """Size ``window`` to ``preferred`` (default: its size hint), no larger than the screen
    allows, and place it over its parent (else the middle of the screen), all of it on
    the screen."""
    area = available_area(window.parentWidget() or window)
    room = largest_size(window.parentWidget() or window)
    wanted = preferred if preferred is not None else window.sizeHint()
    size = wanted.boundedTo(room).expandedTo(window.minimumSizeHint().boundedTo(room))
    window.resize(size)
    parent = window.parentWidget()
    centre = parent.window().frameGeometry().center() if parent is not None else area.center()
    outer = QSize(size.width() + FRAME_WIDTH, size.height() + FRAME_HEIGHT)
    left = min(max(area.left(), centre.x() - outer.width() // 2), area.right() - outer.width())
    top = min(max(area.top(), centre.y() - outer.height() // 2), area.bottom() - outer.height())
    window.move(max(area.left(), left), max(area.top(), top))


def fit_wrapped(window: QWidget, width: int) -> None:
    """Give a window of wrapped text ``width`` and the height that text needs at that
    width, so no line is cut off (Qt sizes a window from its layout's minimum, which
    does not follow a wrapped label's height for the width it is given)."""
    layout = window.layout()
    width = min(width, largest_size(window.parentWidget() or window).width())
    if layout is None:
        fit_window(window, QSize(width, window.sizeHint().height()))
        return
    layout.activate()
    height = layout.totalHeightForWidth(width)
    if height < 0:
        height = layout.totalSizeHint().height()
    window.setMinimumSize(width, height)
    if window.isVisible():
        window.resize(width, height)  # text changed on screen: grow where it stands
    else:
        fit_window(window, QSize(width, height))
