"""Live refresh on a shared server: the case list and the open cases follow other officers'
changes as they are saved (``services.server.live``).

Only when the window works on a server (``cme-desktop --server``): a vault has one
officer. While logged in, a watcher listens for changed cases; each change another
officer saves is told to the window as if made here (``changes.case_changed``): the
list reads its page again, and an open case is read again, keeping what is typed in its
form. Locking stops the watcher.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from cme_desktop.services.server.live import CaseWatcher
from cme_desktop.ui.window import Window


class LiveRefresh(QObject):
    """The watcher of one logged-in session, started at login and stopped at lock.

    A child of the window, so it lives as long as the window does; ``changed`` carries
    the watcher's news from its thread to the window's (a queued signal).
    """

    changed = Signal(list)

    def __init__(self, window: Window) -> None:
        super().__init__(window.widget())
        self.window = window
        self.watcher: CaseWatcher | None = None
        self.changed.connect(self._tell)
        window.on_unlock(self.start)
        window.vault_locked.connect(self.stop)

    def start(self) -> None:
        services = self.window.services
        if services is None or services.db.kind != "server":
            return
        from cme_desktop.services.server.database import ServerDatabase

        db = services.db
        assert isinstance(db, ServerDatabase)
        self.stop()
        watcher = CaseWatcher(db, self.changed.emit)
        try:
            watcher.start()
        except Exception:  # noqa: BLE001 - without it the list still follows this officer's changes
            return
        self.watcher = watcher

    def stop(self) -> None:
        if self.watcher is not None:
            self.watcher.stop()
            self.watcher = None

    def _tell(self, case_ids: list[int]) -> None:
        if self.window.services is None:
            return
        for case_id in case_ids:
            self.window.changes.case_changed.emit(case_id)


def install(window: Window) -> LiveRefresh:
    """Follow other officers' changes while logged in to a server."""
    return LiveRefresh(window)
