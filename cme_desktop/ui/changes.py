"""One place that announces what changed, so each screen refreshes itself.

Whoever makes a successful service call that changes a case emits
``case_changed(case_id)``; bulk changes (an import of many referrals, demo
data) emit ``cases_changed()``. The case list, the dashboard and any open
case workspace listen and reload what they show. Nothing here touches the
vault: it is only the notice board.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal


class Changes(QObject):
    """The application's change notices (one instance, made by the main window)."""

    case_changed = Signal(int)
    cases_changed = Signal()
    settings_changed = Signal()
