"""The idle lock: after a period without keyboard or mouse input, warn, then lock.

``IdleWatcher`` watches the application's windows (the main window and every
dialog, as each comes to the front); every input event restarts a
single-shot timer, and ``idle`` is emitted when it runs out. A minute before
(half the time, for a lock after less than two minutes) ``warning`` is emitted,
and ``resumed`` when input comes after it: ``IdleNotice`` shows the warning
without taking the keyboard, so that any key the officer presses still goes
where they were typing, and keeps them signed in. It filters the
windows rather than the whole application: an application-wide filter would
run Python for every paint and layout event of every widget, and made
opening a case markedly slower. The interval is given in milliseconds so
tests can use a tiny one.
"""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAccessible, QAccessibleEvent, QGuiApplication, QWindow
from PySide6.QtWidgets import QApplication, QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from cme_desktop.ui import look
from cme_desktop.ui.screen_fit import available_area, largest_size

_NOTICE_FLAGS = Qt.WindowType.Tool | Qt.WindowType.WindowStaysOnTopHint

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


#: How long before the idle lock the warning shows (at most).
WARN_BEFORE_MS = 60_000


class IdleWatcher(QObject):
    """Emits ``idle`` after ``interval_ms`` without input, while started; ``warning(ms left)``
    shortly before, and ``resumed`` when input comes after the warning."""

    idle = Signal()
    warning = Signal(int)
    resumed = Signal()

    def __init__(self, interval_ms: int, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._ran_out)
        self._warn = QTimer(self)
        self._warn.setSingleShot(True)
        self._warn.timeout.connect(self._warn_now)
        self._warned = False
        self._set_intervals(interval_ms)
        self._watched: set[int] = set()
        app = QGuiApplication.instance()
        if isinstance(app, QGuiApplication):
            app.focusWindowChanged.connect(self._watch)
            for window in app.topLevelWindows():
                self._watch(window)

    @property
    def interval_ms(self) -> int:
        return self._timer.interval()

    @property
    def warn_before_ms(self) -> int:
        """How long before the lock the warning comes."""
        return self._timer.interval() - self._warn.interval()

    def _set_intervals(self, interval_ms: int) -> None:
        interval = max(1, interval_ms)
        self._timer.setInterval(interval)
        self._warn.setInterval(interval - min(WARN_BEFORE_MS, interval // 2))

    def set_interval_ms(self, interval_ms: int) -> None:
        """Change the idle time; a running countdown starts again with it."""
        self._set_intervals(interval_ms)
        if self._timer.isActive():
            self.start()

    def start(self) -> None:
        """Start the countdown again from the full idle time (any warning is over)."""
        self._timer.start()
        self._warn.start()
        if self._warned:
            self._warned = False
            self.resumed.emit()

    def stop(self) -> None:
        self._timer.stop()
        self._warn.stop()
        self._warned = False

    def is_running(self) -> bool:
        return self._timer.isActive()

    def is_warning(self) -> bool:
        """True between the warning and the lock (or the next input)."""
        return self._warned

    def _warn_now(self) -> None:
        if self._timer.isActive():
            self._warned = True
            self.warning.emit(self._timer.remainingTime())

    def _ran_out(self) -> None:
        self._warn.stop()
        self._warned = False
        self.idle.emit()

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
            self.start()
        return False

    def uninstall(self) -> None:
        self.stop()
        app = QGuiApplication.instance()
        if isinstance(app, QGuiApplication):
            app.focusWindowChanged.disconnect(self._watch)
            for window in app.topLevelWindows():
                window.removeEventFilter(self)
        self._watched.clear()


class IdleNotice(QFrame):
    """ "The vault locks in 60 seconds": shown over the window in front, never taking the
    keyboard, with a countdown and Keep working (which starts the idle time again).

    It is a window of its own, on top of the main window or of the dialog open in it,
    so that it is seen and can be clicked even over a dialog. It does not take the
    focus: a key pressed by an officer coming back goes where they were typing, and
    that key alone keeps them signed in.
    """

    keep_working = Signal()

    def __init__(self, owner: QWidget) -> None:
        super().__init__(owner, _NOTICE_FLAGS)
        self.owner = owner
        self.setObjectName("idleNotice")
        self.setWindowTitle("The vault is about to lock")
        self.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)
        self.setFrameShape(QFrame.Shape.Box)
        self.setAccessibleName("The vault is about to lock")
        self.setAutoFillBackground(True)
        row = QHBoxLayout(self)
        self.text = QLabel()
        look.warning(self.text, True)
        self.text.setWordWrap(True)
        self.text.setAccessibleName("Idle lock warning")
        row.addWidget(self.text, 1)
        self.button = QPushButton("&Keep working")
        self.button.setDefault(True)
        self.button.setAccessibleName("Keep working: do not lock the vault now")
        self.button.clicked.connect(self._keep)
        row.addWidget(self.button)
        self._left_ms = 0
        self._tick = QTimer(self)
        self._tick.setInterval(1000)
        self._tick.timeout.connect(self._count_down)

    def show_warning(self, left_ms: int) -> None:
        """Show the notice with ``left_ms`` to go, over the window in front."""
        front = QApplication.activeModalWidget() or self.owner
        if self.parentWidget() is not front:
            self.setParent(front, _NOTICE_FLAGS)
        self._left_ms = left_ms
        self._show_text()
        width = min(560, largest_size(front).width())
        self.setFixedWidth(width)
        self.adjustSize()
        top = front.frameGeometry().top() + 48
        centre = front.frameGeometry().center().x()
        area = available_area(front)
        x = max(area.left(), min(centre - width // 2, area.right() - width))
        self.move(x, max(area.top(), top))
        self.show()
        self.raise_()
        self._tick.start()
        QAccessible.updateAccessibility(QAccessibleEvent(self, QAccessible.Event.Alert))

    def dismiss(self) -> None:
        self._tick.stop()
        self.hide()
        if self.parentWidget() is not self.owner:
            # Back to the main window: a dialog it stood over may be deleted once closed.
            self.setParent(self.owner, _NOTICE_FLAGS)

    def _show_text(self) -> None:
        seconds = max(0, round(self._left_ms / 1000))
        self.text.setText(
            f"CME Desktop has not been used for a while: the vault locks in {seconds} "
            "seconds. Press any key or Keep working to stay signed in. Anything not saved "
            "is kept, encrypted in the vault, and offered back when you unlock."
        )

    def _count_down(self) -> None:
        self._left_ms = max(0, self._left_ms - 1000)
        self._show_text()

    def _keep(self) -> None:
        self.dismiss()
        self.keep_working.emit()
