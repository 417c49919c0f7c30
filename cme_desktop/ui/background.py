"""Slow work (import, PDF, report, backup) off the GUI thread, with a failure path.

``run(parent, work, on_done=..., on_error=...)`` runs ``work()`` in Qt's
thread pool and calls back on the GUI thread. The window never freezes;
while work runs the parent shows a busy cursor.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal
from PySide6.QtWidgets import QApplication, QWidget


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
) -> None:
    """Run ``work`` in the background; exactly one of the callbacks runs afterwards."""
    job = _Job(work)
    _running.add(job)
    if busy:
        QApplication.setOverrideCursor(Qt.CursorShape.BusyCursor)

    def finish(callback: Callable[[Any], None], value: Any) -> None:
        _running.discard(job)
        if busy:
            QApplication.restoreOverrideCursor()
        callback(value)

    job.signals.done.connect(lambda value: finish(on_done, value))
    job.signals.failed.connect(lambda exc: finish(on_error, exc))
    QThreadPool.globalInstance().start(job)


def wait_for_all(timeout_ms: int = 30000) -> bool:
    """Block until background work is finished (tests, and before locking)."""
    return QThreadPool.globalInstance().waitForDone(timeout_ms)
