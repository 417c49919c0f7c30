"""Slow work (import, PDF, report, backup) off the GUI thread, with progress, Cancel and a
failure path.

``run(parent, work, on_done=..., on_error=...)`` runs ``work()`` in Qt's
thread pool and calls back on the GUI thread. The window never freezes;
while work runs the parent shows a busy cursor.

Long work says what it is doing and how far it has got, and may offer Cancel,
through a ``Progress``: a line of text, "n of m" (or no count: a busy
indicator) and a cancel flag, safe to use from the worker thread. Services stay
Qt-free: they are handed ``progress.report`` (a plain ``report(done, total)``)
and ``progress.cancelled`` (a plain ``cancelled() -> bool``) and check the flag
between items. A ``ProgressPanel`` shows a progress inside a screen (the
Reports window, the status bar); a ``ProgressDialog`` shows it in a small
window of its own, for work started from a menu or by a drop.

``run(..., progress=p)`` ties a progress to one job: Cancel drops the job's
result (the work itself finishes in the background and nothing is shown) and
``on_cancelled`` runs at once; the progress ends with the job. Work of several
jobs (an import reads one file per job) keeps one progress and checks
``cancelled()`` before each job it starts.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QKeyEvent
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)


class Progress(QObject):
    """How far slow work has got, what it is doing, and whether the officer asked to stop.

    ``report``, ``say`` and ``cancelled`` may be called from any thread; the
    signals reach the views on the GUI thread.
    """

    changed = Signal(int, int, str)  # done, total (0: not counted), text
    cancel_requested = Signal()
    ended = Signal()

    def __init__(
        self,
        text: str = "",
        *,
        cancellable: bool = False,
        stopping_text: str = "Stopping…",
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.cancellable = cancellable
        self.stopping_text = stopping_text
        self.text = text
        self.done = 0
        self.total = 0
        self._cancel = threading.Event()
        self._ended = False
        self.reports: list[tuple[int, int]] = []  # each new count reported, in order
        self.changed.connect(self._remember)

    def _remember(self, done: int, total: int, text: str) -> None:
        self.done, self.total, self.text = done, total, text

    def report(self, done: int, total: int, text: str | None = None) -> None:
        """``done`` of ``total`` items (``total`` 0: not counted), with an optional new line."""
        if not self.reports or self.reports[-1] != (done, total):
            self.reports.append((done, total))
        self.changed.emit(done, total, self.text if text is None else text)

    def say(self, text: str) -> None:
        """What is being done now, the count kept."""
        self.changed.emit(self.done, self.total, text)

    def cancel(self) -> None:
        """The officer pressed Cancel: the work stops at its next check."""
        if not self.cancellable or self._cancel.is_set():
            return
        self._cancel.set()
        self.cancel_requested.emit()

    def cancelled(self) -> bool:
        """True once Cancel was pressed (the work checks this between items)."""
        return self._cancel.is_set()

    def end(self) -> None:
        """The work is over: every view of it closes."""
        if not self._ended:
            self._ended = True
            self.ended.emit()

    def is_ended(self) -> bool:
        return self._ended


class ProgressPanel(QWidget):
    """A line of text, a bar ("3 of 5", or busy) and Cancel, for a progress inside a screen.

    Hidden until ``follow(progress)``; hides itself again when the progress ends.
    """

    def __init__(self, parent: QWidget | None = None, *, compact: bool = False) -> None:
        super().__init__(parent)
        self.progress: Progress | None = None
        self.label = QLabel()
        self.label.setWordWrap(not compact)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.bar = QProgressBar()
        self.bar.setAccessibleName("Progress")
        self.bar.setTextVisible(True)
        if compact:
            self.bar.setMaximumWidth(160)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setAccessibleName("Cancel the work in progress")
        self.cancel_button.clicked.connect(self._cancel)
        layout: QHBoxLayout | QVBoxLayout
        if compact:
            layout = QHBoxLayout(self)
            layout.addWidget(self.label, 1)
            layout.addWidget(self.bar)
            layout.addWidget(self.cancel_button)
        else:
            layout = QVBoxLayout(self)
            layout.addWidget(self.label)
            row = QHBoxLayout()
            row.addWidget(self.bar, 1)
            row.addWidget(self.cancel_button)
            layout.addLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        self.hide()

    def follow(self, progress: Progress) -> None:
        """Show ``progress`` here until it ends (a panel follows one progress at a time)."""
        if self.progress is not None:
            self.progress.changed.disconnect(self._changed)
            self.progress.cancel_requested.disconnect(self._stopping)
            self.progress.ended.disconnect(self._ended)
        self.progress = progress
        progress.changed.connect(self._changed)
        progress.cancel_requested.connect(self._stopping)
        progress.ended.connect(self._ended)
        self.cancel_button.setVisible(progress.cancellable)
        self.cancel_button.setEnabled(not progress.cancelled())
        self._changed(progress.done, progress.total, progress.text)
        self.setVisible(not progress.is_ended())

    def _changed(self, done: int, total: int, text: str) -> None:
        stopping = self.progress is not None and self.progress.cancelled()
        self.label.setText(self.progress.stopping_text if stopping and self.progress else text)
        if total > 0:
            self.bar.setRange(0, total)
            self.bar.setValue(min(done, total))
            self.bar.setFormat("%v of %m")
            self.bar.setAccessibleDescription(f"{min(done, total)} of {total}")
        else:  # not counted: Qt's busy indicator
            self.bar.setRange(0, 0)
            self.bar.setAccessibleDescription("Working")

    def _cancel(self) -> None:
        if self.progress is not None:
            self.progress.cancel()

    def _stopping(self) -> None:
        self.cancel_button.setEnabled(False)
        if self.progress is not None:
            self.label.setText(self.progress.stopping_text)

    def _ended(self) -> None:
        self.hide()


class ProgressDialog(QDialog):
    """A small window of its own showing ``progress``; Escape and closing it mean Cancel.

    It appears only after ``delay_ms`` (work over by then shows nothing) and is not
    modal: the officer may go on working in the main window meanwhile.
    """

    def __init__(
        self,
        parent: QWidget | None,
        title: str,
        progress: Progress,
        *,
        delay_ms: int = 400,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setAccessibleName(title)
        self.setModal(False)
        self.setMinimumWidth(420)
        self.progress = progress
        self.panel = ProgressPanel(self)
        layout = QVBoxLayout(self)
        layout.addWidget(self.panel)
        self.panel.follow(progress)
        progress.ended.connect(self._ended)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._appear)
        if not progress.is_ended():
            self._timer.start(max(0, delay_ms))

    def _appear(self) -> None:
        if not self.progress.is_ended():
            self.show()
            self.raise_()

    def _ended(self) -> None:
        self._timer.stop()
        self.hide()
        self.deleteLater()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.progress.cancel()
            event.accept()
            return
        super().keyPressEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        # Closing the window asks the work to stop; the window goes when the work has.
        self.progress.cancel()
        if self.progress.is_ended():
            event.accept()
        else:
            event.ignore()


class _Signals(QObject):
    done = Signal(object)
    failed = Signal(object)


class _Job(QRunnable):
    def __init__(self, work: Callable[[], Any]) -> None:
        super().__init__()
        self.work = work
        self.signals = _Signals()
        self.setAutoDelete(False)

    def run(self) -> None:
        try:
            result = self.work()
        except BaseException as exc:  # noqa: BLE001 - handed to the GUI thread's failure path
            self.signals.failed.emit(exc)
        else:
            self.signals.done.emit(result)


_running: set[_Job] = set()


def run(
    parent: QWidget | None,
    work: Callable[[], Any],
    *,
    on_done: Callable[[Any], None],
    on_error: Callable[[BaseException], None],
    busy: bool = True,
    progress: Progress | None = None,
    on_cancelled: Callable[[], None] | None = None,
) -> None:
    """Run ``work`` in the background; exactly one of the callbacks runs afterwards.

    With ``progress``, Cancel calls ``on_cancelled`` at once and the result, when it
    comes, is dropped; the progress ends when the job does (or is cancelled).
    """
    job = _Job(work)
    _running.add(job)
    settled = False
    if busy:
        QApplication.setOverrideCursor(Qt.CursorShape.BusyCursor)

    def settle() -> bool:
        nonlocal settled
        if settled:
            return False
        settled = True
        if busy:
            QApplication.restoreOverrideCursor()
        if progress is not None:
            progress.end()
        return True

    def finish(callback: Callable[[Any], None], value: Any) -> None:
        _running.discard(job)
        if settle():
            callback(value)

    def cancelled() -> None:
        if settle() and on_cancelled is not None:
            on_cancelled()

    job.signals.done.connect(lambda value: finish(on_done, value))
    job.signals.failed.connect(lambda exc: finish(on_error, exc))
    if progress is not None:
        progress.cancel_requested.connect(cancelled)
    QThreadPool.globalInstance().start(job)


def wait_for_all(timeout_ms: int = 30000) -> bool:
    """Block until background work is finished (tests, and before locking)."""
    return QThreadPool.globalInstance().waitForDone(timeout_ms)
