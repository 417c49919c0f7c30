"""One place that announces what changed, so each screen refreshes itself.

Whoever makes a successful service call that changes a case emits
``case_changed(case_id)``; bulk changes (an import of many referrals, demo
data) emit ``cases_changed()``. The case list, the dashboard and any open
case workspace listen and reload what they show. Nothing here touches the
vault: it is only the notice board.

``escalation_due(EscalationDue)`` says that a case may now call for the
escalation questions (policy 5.0 and 6.0): the screen where it happened need
not know who offers them.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QDialog


@dataclass
class EscalationDue:
    """A case may call for the escalation questions, and why ("whereabouts unknown", ...).

    Whoever offers the questions sets ``wizard`` when the officer agrees and it opens,
    so that the sender can wait for it to close before going on.
    """

    case_id: int
    reason: str
    wizard: QDialog | None = None


class Changes(QObject):
    """The application's change notices (one instance, made by the main window)."""

    case_changed = Signal(int)
    cases_changed = Signal()
    settings_changed = Signal()
    escalation_due = Signal(object)  # EscalationDue
