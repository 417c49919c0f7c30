"""What a section of a case workspace is given, and what it may offer back.

A section is any widget made by ``factory(context)``. The workspace calls
``show_case(detail)`` on it (if it has one) whenever the case is read, and,
for sections with a form, asks ``is_dirty()`` and ``save()`` before the tab
closes or the vault locks (``HasForm``); a section that also has
``unsaved_draft()``/``restore_draft()`` (``KeepsDraft``) keeps its typing across
an idle lock. Every change goes through one service call; on
success ``context.changed()`` tells the rest of the window.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from PySide6.QtWidgets import QWidget

from cme_desktop.services.cases.detail import CaseDetail
from cme_desktop.services.errors import CmeError
from cme_desktop.services.registry import AppServices
from cme_desktop.ui import prompts
from cme_desktop.ui.changes import Changes


@dataclass
class CaseContext:
    """The case a section works on and the services it may call."""

    services: AppServices
    changes: Changes
    case_id: int
    open_case: Callable[[int], None] = lambda _case_id: None

    def changed(self) -> None:
        """Announce that this case changed (the list, dashboard and workspace reload)."""
        self.changes.case_changed.emit(self.case_id)

    def run(self, parent: QWidget | None, title: str, action: Callable[[], Any]) -> bool:
        """One service call: on success announce the change, on failure show why."""
        try:
            action()
        except CmeError as exc:
            prompts.error(parent, title, exc)
            return False
        self.changed()
        return True


@runtime_checkable
class ShowsCase(Protocol):
    def show_case(self, detail: CaseDetail) -> None: ...


@runtime_checkable
class HasForm(Protocol):
    def is_dirty(self) -> bool: ...

    def save(self) -> bool: ...


@runtime_checkable
class KeepsDraft(Protocol):
    """A section whose unsaved typing can be kept when the vault locks by itself
    (``unsaved_draft``: plain JSON values, ``None`` when nothing is unsaved) and put back
    after the unlock (``restore_draft``), unsaved still."""

    def unsaved_draft(self) -> dict[str, Any] | None: ...

    def restore_draft(self, data: dict[str, Any]) -> None: ...


SectionFactory = Callable[[CaseContext], QWidget]
