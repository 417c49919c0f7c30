"""The main window as the feature modules see it: what they may use, and nothing more.

Each feature (export, visit sheets, reports, referrals, importing, the
escalation questions) has an ``install(window)`` that adds its actions and
case sections through this protocol. ``MainWindow`` is one; no feature imports
it, so no import runs back up from a feature to the window that installs it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from PySide6.QtCore import SignalInstance
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMainWindow

from cme_desktop.services.cases.drafts import Draft
from cme_desktop.services.registry import AppServices
from cme_desktop.ui.changes import Changes
from cme_desktop.ui.desk import Desk
from cme_desktop.ui.workspace.context import SectionFactory


class Window(Protocol):
    """What a feature needs from the main window."""

    @property
    def services(self) -> AppServices | None:
        """The services of the unlocked vault; ``None`` while it is locked."""

    @property
    def changes(self) -> Changes:
        """The change notices: emit after a successful save, listen to refresh."""

    @property
    def desk(self) -> Desk:
        """The case list, the dashboard and the open cases."""

    @property
    def on_server(self) -> bool:
        """Whether the window works on the team's shared server (``--server``), not a vault;
        known before the login."""

    @property
    def vault_unlocked(self) -> SignalInstance: ...

    def on_unlock(self, callback: Callable[[], object]) -> None:
        """Run ``callback`` after each unlock, the current one included if the vault is
        already open (a feature may be installed just after the list is painted)."""

    @property
    def vault_locked(self) -> SignalInstance:
        """Emitted once every case tab is closed: close what still shows case data."""

    def widget(self) -> QMainWindow:
        """The window itself: the parent of what a feature opens."""

    def add_action(
        self,
        menu: str,
        action: QAction,
        *,
        needs_vault: bool = True,
        needs_case: bool = False,
        toolbar: bool = False,
        group: str | None = None,
    ) -> QAction:
        """Put ``action`` in ``menu`` (and on the toolbar); enabled only while it can work."""

    def add_case_section(self, title: str, factory: SectionFactory) -> None:
        """Add a section to every case workspace."""

    def add_draft_keeper(
        self,
        kind: str,
        gather: Callable[[], list[Draft]],
        restore: Callable[[Draft], bool],
    ) -> None:
        """Keep the unsaved typing of ``kind`` across an idle lock (see ``ui/unsaved.py``)."""

    def current_case_id(self) -> int | None:
        """The case in front: its tab, or the row selected in the list."""

    def show_status(self, text: str, timeout_ms: int) -> None:
        """A passing message in the status bar."""
