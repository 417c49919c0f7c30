"""Live refresh on a shared server: told when another officer changes a case.

Migration 0010 makes the server announce every change to a case on the channel
``cme_cases`` (``pg_notify``, sent when the change commits): the case's number and the
``application_name`` of the connection that made it. ``CaseWatcher`` listens on a
connection of its own and calls ``on_change`` with the numbers of the cases changed by
anyone else: each running program has an application name of its own
(``ServerDatabase.application_name``), and its own changes are passed over, since its
window refreshes after its own saves already.

pg8000 reads a notification when it next talks to the server, so the watcher asks
the server for nothing (``SELECT 1``) every ``interval`` seconds: a change shows within
that time, at the cost of one tiny query.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import Any

from cme_desktop.services.server.database import ServerDatabase

CHANNEL = "cme_cases"
#: Seconds between two looks for changes.
INTERVAL = 1.0


class CaseWatcher:
    """Calls ``on_change(case_ids)`` from its own thread when others change cases."""

    def __init__(
        self,
        db: ServerDatabase,
        on_change: Callable[[list[int]], None],
        *,
        interval: float = INTERVAL,
    ) -> None:
        self.db = db
        self.on_change = on_change
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._raw: Any = None

    def start(self) -> None:
        """Listen, and look for changes every ``interval`` seconds until ``stop``."""
        raw = self.db.engine.raw_connection()
        driver: Any = raw.driver_connection
        # The pool's check of the connection may have begun a transaction, and a LISTEN
        # takes effect only once committed: end it, then each statement is its own.
        driver.rollback()
        driver.autocommit = True
        cursor = driver.cursor()
        cursor.execute(f"LISTEN {CHANNEL}")
        cursor.close()
        self._raw = raw
        self._thread = threading.Thread(target=self._run, name="cme-live-refresh", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        driver = self._raw.driver_connection
        while not self._stop.wait(self.interval):
            try:
                cursor = driver.cursor()
                cursor.execute("SELECT 1")
                cursor.close()
            except Exception:  # noqa: BLE001 - the server went away: stop looking, quietly
                return
            changed = self._drain(driver.notifications)
            if changed:
                self.on_change(changed)

    def _drain(self, notifications: Any) -> list[int]:
        changed: list[int] = []
        while notifications:
            _pid, channel, payload = notifications.popleft()
            number, _, program = str(payload).partition(" ")
            if channel != CHANNEL or program == self.db.application_name:
                continue  # this program's own change: its window has shown it already
            with contextlib.suppress(ValueError):
                case_id = int(number)
                if case_id not in changed:
                    changed.append(case_id)
        return changed

    def stop(self) -> None:
        """Stop looking and give the connection up (it is closed, never reused)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.interval + 5)
        if self._raw is not None:
            with contextlib.suppress(Exception):
                self._raw.invalidate()  # a LISTENing connection must not go back to the pool
            self._raw = None
