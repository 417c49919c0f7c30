"""One launch of the desktop as the officer starts it, timed by ``officer.py`` from outside.

``python -m benchmarks.launch LAUNCHED VAULT PASSPHRASE WORD [KEY_MS]``: ``LAUNCHED`` is the
wall-clock time at which the parent started this process, so the figures include
Python's own start. The process runs ``cme_desktop.app.running`` — what ``cme-desktop``
runs before its event loop — and watches paint events only, acting as a quick officer
would:

- the unlock window is drawn (the passphrase box painted) → the passphrase is typed,
  a key every ``KEY_MS`` milliseconds, then Enter; with ``KEY_MS`` 0, Enter is
  counted as pressed at that very paint (the strictest case: any start-up work
  still to do then is in the wait);
- the case list is painted with its rows → the search word is typed (the list's
  typing pause included, as the officer waits for it too);
- the search results are painted → every quick filter, every header sort, a case
  opened and the dashboard, so that the peak memory covers a short session.

It prints one JSON line of seconds since launch, the seconds the unlock's key derivation
took (``kdf``), and its peak resident memory.
Nothing here is imported before the application's own modules, so the application
starts exactly as it does for the officer.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any


def main(argv: list[str]) -> int:
    launched, vault, passphrase, word = float(argv[0]), argv[1], argv[2], argv[3]
    key_ms = int(argv[4]) if len(argv) > 4 else 0
    from cme_desktop import app as desktop

    marks: dict[str, float] = {}
    with desktop.running(["--db", vault]) as started:
        return _run(started.app, started.window, launched, passphrase, word, key_ms, marks)


def _run(
    qapp: Any,
    window: Any,
    launched: float,
    passphrase: str,
    word: str,
    key_ms: int,
    marks: dict[str, float],
) -> int:
    from PySide6.QtCore import QEvent, QObject, Qt, QTimer
    from PySide6.QtGui import QKeyEvent
    from PySide6.QtWidgets import QApplication

    def mark(name: str) -> None:
        marks.setdefault(name, time.time() - launched)

    # The unlock's key derivation, timed as it runs in this launch (the application has
    # imported it by now): its deliberate cost is taken off the wait after Enter, so it
    # must be this launch's own, not another process's on a machine whose speed moves.
    keyslots = sys.modules["cme_desktop.services.vault.keyslots"]
    derive = keyslots.ScryptParams.derive

    def timed_derive(self: Any, secret: bytes, salt: bytes) -> bytes:
        started = time.perf_counter()
        try:
            key: bytes = derive(self, secret, salt)
            return key
        finally:
            marks["kdf"] = marks.get("kdf", 0.0) + time.perf_counter() - started

    keyslots.ScryptParams.derive = timed_derive

    def press(field: Any, key: Qt.Key, text: str) -> None:
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(
                field, QKeyEvent(kind, key, Qt.KeyboardModifier.NoModifier, text)
            )

    def type_passphrase() -> None:
        field = window.gate.passphrase
        if key_ms <= 0:
            # Enter the moment the screen shows: the strictest case.
            field.setText(passphrase)
            marks["enter"] = marks["unlock_drawn"]
            press(field, Qt.Key.Key_Return, "\r")
            return
        typed = len(field.text())
        if typed < len(passphrase):
            field.insert(passphrase[typed])  # one key, as a keystroke types it
            QTimer.singleShot(key_ms, type_passphrase)
        else:
            mark("enter")
            press(field, Qt.Key.Key_Return, "\r")

    def search() -> None:
        window.desk.case_list.search.setText(word)

    def session() -> None:
        panel = window.desk.case_list
        for button in panel.quick_buttons.values():
            button.click()
            qapp.processEvents()
        header = panel.table.horizontalHeader()
        for column in range(header.count()):
            header.setSortIndicator(column, header.sortIndicatorOrder())
            qapp.processEvents()
        case_id = panel.model.case_id(0)
        if case_id is not None:
            window.desk.open_case(case_id)
            qapp.processEvents()
        window.desk.show_dashboard()
        qapp.processEvents()
        finish()

    def finish() -> None:
        from benchmarks.common import peak_rss_mb

        marks["peak_mb"] = peak_rss_mb()
        print(json.dumps(marks), flush=True)
        window.close()
        qapp.quit()

    def after_paint(name: str, then: Any) -> None:
        # The moment is the paint itself (what follows it draws in the same pass); the next
        # action waits for a zero timer, as a key pressed now waits for the work in hand.
        if name not in marks:
            mark(name)
            QTimer.singleShot(0, then)

    class Watch(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's
            if event.type() != QEvent.Type.Paint:
                return False
            gate: Any = window.gate
            if gate is not None and watched is getattr(gate, "passphrase", None):
                after_paint("unlock_drawn", type_passphrase)
            parent: Any = watched.parent()
            if parent is not None and parent.objectName() == "caseTable" and "enter" in marks:
                model: Any = parent.model()
                if model.rowCount() > 0:
                    after_paint("list_painted", search)
                if model.query.search == word:
                    after_paint("search_painted", session)
            return False

    watch = Watch()
    qapp.installEventFilter(watch)
    QTimer.singleShot(120_000, finish)  # never hang the benchmark
    return int(qapp.exec())


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
