"""The working area of the unlocked window: the case list, the dashboard and open cases.

Tabs: "Cases" and "Dashboard" always, then one closable tab per open case.
``detach()`` clears every widget that holds case data (for the lock) and
returns a ``DeskState`` — the list's query and the ids of the open cases —
from which ``attach`` puts the officer back where they were.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, TypeGuard

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QTabBar, QTabWidget, QWidget

from cme_desktop.services.errors import CmeError
from cme_desktop.services.registry import AppServices
from cme_desktop.ui import prompts
from cme_desktop.ui.case_list.panel import CaseListPanel, ListState
from cme_desktop.ui.changes import Changes
from cme_desktop.ui.dashboard import DashboardView
from cme_desktop.ui.workspace.context import SectionFactory

if TYPE_CHECKING:
    # Loaded with the first case opened (or soon after the list is shown): the list is
    # painted without it.
    from cme_desktop.ui.workspace.workspace import CaseWorkspace

CASES_TAB = 0
DASHBOARD_TAB = 1


@dataclass(frozen=True)
class DeskState:
    """Where the officer was: the list's query, open cases, the tab in front."""

    list_state: ListState = ListState()
    open_case_ids: tuple[int, ...] = ()
    current_case_id: int | None = None
    current_tab: int = CASES_TAB


class Desk(QTabWidget):
    """Case list, dashboard and case workspaces, as tabs."""

    current_case_changed = Signal(object)  # case id or None

    def __init__(
        self, changes: Changes, parent: QWidget | None = None, *, today: date | None = None
    ) -> None:
        super().__init__(parent)
        self.changes = changes
        self.services: AppServices | None = None
        self.section_factories: list[tuple[str, SectionFactory]] = []
        self._today = today
        self.setObjectName("desk")
        self.setDocumentMode(True)
        self.setTabsClosable(True)
        self.setMovable(False)
        self.setAccessibleName("Cases, dashboard and open cases")
        self.case_list = CaseListPanel()
        self.dashboard = DashboardView()
        self.addTab(self.case_list, "Cases")
        self.addTab(self.dashboard, "Dashboard")
        for index in (CASES_TAB, DASHBOARD_TAB):
            self.tabBar().setTabButton(index, QTabBar.ButtonPosition.RightSide, None)
            self.tabBar().setTabButton(index, QTabBar.ButtonPosition.LeftSide, None)
        self.case_list.open_requested.connect(self.open_case)
        self.dashboard.open_requested.connect(self.open_case)
        self.dashboard.step_chosen.connect(self.show_step)
        self.tabCloseRequested.connect(self.close_tab)
        self.currentChanged.connect(
            lambda _i: self.current_case_changed.emit(self.current_case_id())
        )
        changes.case_changed.connect(self._case_changed)
        changes.cases_changed.connect(self._cases_changed)

    def _current_changed(self, _index: int) -> None:
        self.current_case_changed.emit(self.current_case_id())

    # -- the vault ------------------------------------------------------------------------

    def attach(self, services: AppServices, state: DeskState | None = None) -> None:
        """Show this vault; with ``state``, reopen the cases and the list as they were."""
        self.services = services
        state = state or DeskState()
        self.case_list.attach(services.case_list, state.list_state)
        self.dashboard.attach(services.case_list)
        for case_id in state.open_case_ids:
            self.open_case(case_id, focus=False)
        current = self.workspace(state.current_case_id) if state.current_case_id else None
        if current is not None:
            self.setCurrentWidget(current)
        else:
            self.setCurrentIndex(state.current_tab if state.current_tab < 2 else CASES_TAB)

    def detach(self) -> DeskState:
        """Close every case tab and clear the list and dashboard; return where we were."""
        state = DeskState(
            list_state=self.case_list.state(),
            open_case_ids=tuple(w.case_id for w in self.workspaces()),
            current_case_id=self.current_case_id(),
            current_tab=min(self.currentIndex(), DASHBOARD_TAB),
        )
        for workspace in self.workspaces():
            self.removeTab(self.indexOf(workspace))
            workspace.deleteLater()
        self.case_list.clear()
        self.dashboard.clear()
        self.services = None
        self.setCurrentIndex(CASES_TAB)
        return state

    # -- case tabs ------------------------------------------------------------------------

    def workspaces(self) -> list[CaseWorkspace]:
        found = [self.widget(i) for i in range(self.count())]
        return [w for w in found if self._is_case_tab(w)]

    def _is_case_tab(self, widget: QWidget | None) -> TypeGuard[CaseWorkspace]:
        if widget is None or widget is self.case_list or widget is self.dashboard:
            return False
        from cme_desktop.ui.workspace.workspace import CaseWorkspace

        return isinstance(widget, CaseWorkspace)

    def workspace(self, case_id: int) -> CaseWorkspace | None:
        return next((w for w in self.workspaces() if w.case_id == case_id), None)

    def current_workspace(self) -> CaseWorkspace | None:
        widget = self.currentWidget()
        return widget if self._is_case_tab(widget) else None

    def current_case_id(self) -> int | None:
        workspace = self.current_workspace()
        if workspace is not None:
            return workspace.case_id
        if self.currentIndex() == CASES_TAB:
            return self.case_list.table.current_case_id()
        return None

    def open_case(self, case_id: int, *, focus: bool = True) -> CaseWorkspace | None:
        """Bring the case's tab to the front, opening it (one read) if needed."""
        if self.services is None:
            return None
        workspace = self.workspace(case_id)
        if workspace is None:
            from cme_desktop.ui.workspace.workspace import CaseWorkspace

            workspace = CaseWorkspace(
                self.services,
                self.changes,
                case_id,
                sections=tuple(self.section_factories),
                today=self._today,
            )
            try:
                workspace.load()
            except CmeError as exc:
                workspace.deleteLater()
                prompts.error(self, "Open the case", exc)
                return None
            index = self.addTab(workspace, workspace.title())
            self.setTabToolTip(index, workspace.detail.reference if workspace.detail else "")
            self._name_close_button(index, workspace.title())
            workspace.title_changed.connect(lambda title, w=workspace: self._retitle(w, title))
            workspace.open_case_requested.connect(self.open_case)
        if focus:
            self.setCurrentWidget(workspace)
            workspace.sections.setFocus()
        return workspace

    def _retitle(self, workspace: CaseWorkspace, title: str) -> None:
        index = self.indexOf(workspace)
        if index >= 0:
            self.setTabText(index, title.replace("&", "&&"))
            self._name_close_button(index, title)

    def _name_close_button(self, index: int, title: str) -> None:
        # Qt's close button says only "Close Tab" (as a tooltip): say which case it closes.
        button = self.tabBar().tabButton(index, QTabBar.ButtonPosition.RightSide)
        if button is not None:
            button.setAccessibleName(f"Close {title}")

    def close_tab(self, index: int) -> bool:
        """Close a case tab, asking first about unsaved edits; False if the officer cancels."""
        workspace = self.widget(index)
        if not self._is_case_tab(workspace):
            return False
        if not self._guard(workspace):
            return False
        self.removeTab(index)
        workspace.deleteLater()
        return True

    def close_current_tab(self) -> bool:
        return self.close_tab(self.currentIndex())

    def _guard(self, workspace: CaseWorkspace) -> bool:
        if not workspace.is_dirty():
            return True
        self.setCurrentWidget(workspace)
        answer = prompts.save_discard_cancel(
            self,
            "Unsaved changes",
            f"The details of {workspace.title().rstrip(' *')} have changed. Save them?",
        )
        if answer == "save":
            return workspace.save()
        return answer == "discard"

    def guard_all(self) -> bool:
        """Ask about every case with unsaved edits; False if the officer cancels any."""
        return all(self._guard(w) for w in self.workspaces())

    def add_section(self, title: str, factory: SectionFactory) -> None:
        """Give every case workspace, open now or later, a section made by ``factory``."""
        self.section_factories.append((title, factory))
        for workspace in self.workspaces():
            workspace.add_section(title, factory)

    # -- views ----------------------------------------------------------------------------

    def show_cases(self) -> None:
        self.setCurrentIndex(CASES_TAB)
        self.case_list.table.setFocus()

    def show_dashboard(self) -> None:
        self.setCurrentIndex(DASHBOARD_TAB)
        self.dashboard.tasks.setFocus()

    def show_step(self, step: int) -> None:
        self.case_list.set_step_filter(step)
        self.show_cases()

    def focus_search(self) -> None:
        self.setCurrentIndex(CASES_TAB)
        self.case_list.focus_search()

    # -- change notices -------------------------------------------------------------------

    def _case_changed(self, case_id: int) -> None:
        if self.services is None:
            return
        self.case_list.refresh()
        self.dashboard.mark_stale()
        workspace = self.workspace(case_id)
        if workspace is not None:
            workspace.refresh()

    def _cases_changed(self) -> None:
        if self.services is None:
            return
        self.case_list.refresh()
        self.dashboard.mark_stale()
        for workspace in self.workspaces():
            workspace.refresh()
