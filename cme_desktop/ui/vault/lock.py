"""The idle lock: after a period without keyboard or mouse input, ask to lock.

``IdleWatcher`` watches the application's windows (the main window and every
dialog, as each comes to the front); every input event restarts a
single-shot timer, and ``idle`` is emitted when it runs out. It filters the
windows rather than the whole application: an application-wide filter would
run Python for every paint and layout event of every widget, and made
opening a case markedly slower. The interval is given in milliseconds so
tests can use a tiny one.
"""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import QEvent, QObject, QTimer, Signal
from PySide6.QtGui import QGuiApplication, QWindow
from PySide6.QtWidgets import QWidget

_INPUT_EVENTS = frozenset(
    {
        QEvent.Type.KeyPress,
        QEvent.Type.MouseButtonPress,
        QEvent.Type.MouseButtonDblClick,
        QEvent.Type.MouseMove,
        QEvent.Type.Wheel,
        QEvent.Type.TouchBegin,
        QEvent.Type.TabletPress,
    }
)


class IdleWatcher(QObject):
    """Emits ``idle`` after ``interval_ms`` without input, while started."""

    idle = Signal()

    def __init__(self, interval_ms: int, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(max(1, interval_ms))
        self._timer.timeout.connect(self.idle)
        self._watched: set[int] = set()
        app = QGuiApplication.instance()
        if isinstance(app, QGuiApplication):
            app.focusWindowChanged.connect(self._watch)
            for window in app.topLevelWindows():
                self._watch(window)

    @property
    def interval_ms(self) -> int:
        return self._timer.interval()

    def set_interval_ms(self, interval_ms: int) -> None:
        """Change the idle time; a running countdown starts again with it."""
        self._timer.setInterval(max(1, interval_ms))
        if self._timer.isActive():
            self._timer.start()

    def start(self) -> None:
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def is_running(self) -> bool:
        return self._timer.isActive()

    def _watch(self, window: QWindow | None) -> None:
        """Listen to a window's input (each window once; dialogs as they open)."""
        if window is None or id(window) in self._watched:
            return
        key = id(window)
        self._watched.add(key)
        window.installEventFilter(self)
        window.destroyed.connect(partial(self._forget, key))

    def _forget(self, key: int, _obj: object = None) -> None:
        self._watched.discard(key)

    def watch_widget_window(self, widget: QWidget) -> None:
        """Listen to the window of ``widget`` (the main window, once shown)."""
        self._watch(widget.windowHandle())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Every input anywhere in the application counts as the officer being here.
        if event.type() in _INPUT_EVENTS and self._timer.isActive():
            self._timer.start()
        return False

    def uninstall(self) -> None:
        self._timer.stop()
        app = QGuiApplication.instance()
        if isinstance(app, QGuiApplication):
            app.focusWindowChanged.disconnect(self._watch)
            for window in app.topLevelWindows():
                window.removeEventFilter(self)
        self._watched.clear()
