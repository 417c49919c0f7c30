"""The main window: menus, toolbar, and either the unlock screen or the desk.

The window knows how to lock and unlock and which actions exist; the case
list, dashboard and case tabs live in ``Desk``, each screen in its own module.

Extension points for other modules:

- ``add_action(menu, action)`` puts an action in a menu ("File", "Case",
  "View", "Reports", "Tools", "Help"; a menu appears when it gets its first
  action; in File, above Settings, Lock and Quit). Actions are disabled while
  the vault is locked unless ``needs_vault=False``; actions of one ``group``
  sit together. ``services`` and ``current_case_id()`` give what an action
  works on.
- ``add_case_section(title, factory)`` adds a section to every case workspace.
- ``changes`` (``case_changed(int)``, ``cases_changed()``): emit after a
  successful save so the list, dashboard and open cases refresh themselves.
- ``add_draft_keeper(kind, gather, restore)``: unsaved typing of a feature's own
  window kept across an idle lock (``ui/unsaved.py``; open cases are built in).
- ``on_unlock(callback)``: run ``callback`` after each unlock, the one under way
  included when the feature is installed after it (see the start-up below).

The start-up (``start_later``): the unlock screen is drawn first; then, one step per
turn of the event loop, the vault's modules, the desk and the features load while the
passphrase is typed. Enter starts the key derivation at once on its own thread while
this thread loads the vault's modules (the unlock waits for them before it opens the
database: two threads never import at once). When the vault opens before the start-up
is over, only the vault's modules and the desk come first: the case list is painted,
then the features follow, each on its next turn; a key or click in the meantime
installs them all before it is handled, so no shortcut is missed.

Features see the window through ``ui.window.Window`` and are installed by the
composition root, except two the window's own screens need: importing (files
dropped on the window) and the escalation questions, which answer the
``escalation_due`` notices of the case workspaces and the import.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QSizePolicy,
    QStackedWidget,
    QToolBar,
    QToolButton,
    QWidget,
)

from cme_desktop.services.diagnostics import LogSession
from cme_desktop.services.errors import CmeError
from cme_desktop.services.vault.unlock import Vault
from cme_desktop.ui import background, crash, prompts
from cme_desktop.ui.about import AboutDialog
from cme_desktop.ui.changes import Changes
from cme_desktop.ui.menu_layout import MENUS, insert_in_group
from cme_desktop.ui.screen_fit import fit_window
from cme_desktop.ui.unsaved import UnsavedEdits
from cme_desktop.ui.vault.first_run import FirstRunPage
from cme_desktop.ui.vault.lock import IdleNotice, IdleWatcher
from cme_desktop.ui.vault.unlock import UnlockPage

# The desk, the features and the services behind them load after the unlock screen is
# drawn (``start_later``), or when first needed: see ``MainWindow.later``.
if TYPE_CHECKING:
    from cme_desktop.services.cases.drafts import Draft
    from cme_desktop.services.registry import AppServices
    from cme_desktop.services.vault.database import Database
    from cme_desktop.ui.desk import Desk, DeskState
    from cme_desktop.ui.vault.server_login import ServerLoginPage
    from cme_desktop.ui.workspace.context import SectionFactory

APP_TITLE = "CME Desktop"
#: The draft key of a case being typed into New case… (Ctrl+N).
NEW_CASE_DRAFT = "new-case"
#: How long the unlocking thread waits for the vault's modules (a few hundred ms, usually).
_MODULES_WAIT_S = 30.0
#: After an unlock, the features follow the desk's first paint, or this long at most.
_AFTER_PAINT_MS = 250
#: While an unlock is under way (and until the list is painted), how often the start-up
#: looks whether it may go on.
_UNLOCK_POLL_MS = 20
#: What the officer does that needs every feature installed first.
_INPUT = frozenset(
    {
        QEvent.Type.ShortcutOverride,
        QEvent.Type.KeyPress,
        QEvent.Type.MouseButtonPress,
        QEvent.Type.MouseButtonDblClick,
        QEvent.Type.ContextMenu,
    }
)


def _load_sql_core() -> None:
    import sqlalchemy  # noqa: F401


def _load_sql_mapping() -> None:
    import sqlalchemy.orm  # noqa: F401


def _load_case_modules() -> None:
    # The case workspace: not needed to paint the list, but before the first case opens.
    from cme_desktop.ui.workspace import workspace  # noqa: F401


class MainWindow(QMainWindow):
    """The one window of the application."""

    vault_unlocked = Signal()
    vault_locked = Signal()

    def __init__(
        self,
        vault: Vault,
        *,
        make_services: Callable[[Database], AppServices],
        idle_lock_ms: int | None = None,
        today: date | None = None,
        start_later: bool = False,
        login_page: Callable[[], ServerLoginPage] | None = None,
    ) -> None:
        """``start_later``: draw the unlock screen first, and build the desk and install the
        window's own features once it is on screen (``later``); otherwise all at once.
        ``login_page``: on a shared server (``--server``), the login screen shown in place
        of the vault's unlock screen."""
        super().__init__()
        self._login_page = login_page
        self.vault = vault
        vault.check_pages_at_open = False  # checked once the list is painted (ui/vault/damage)
        self.make_services = make_services
        self.services: AppServices | None = None
        self.changes = Changes(self)
        self._idle_override = idle_lock_ms
        #: This run's log (``services.diagnostics``), given by the composition root.
        self.log: LogSession | None = None
        self._state: DeskState | None = None
        self._vault_actions: list[QAction] = []
        self._case_actions: list[QAction] = []
        self._menus: dict[str, QMenu] = {}
        self._tails: dict[str, QAction] = {}
        self.setWindowTitle(APP_TITLE)
        self.setObjectName("mainWindow")
        self.stack = QStackedWidget()
        self.setCentralWidget(self.stack)
        self._today = today
        self._desk: Desk | None = None
        self._sections: list[tuple[str, SectionFactory]] = []
        #: Start-up steps still to run (``later``); ``None`` once all have run.
        self._steps: list[Callable[[], object]] | None = [
            # The vault's modules in three steps, so that Enter pressed meanwhile starts
            # the key derivation within a step, not after them all.
            _load_sql_core,
            _load_sql_mapping,
            self._load_vault_modules,
            self._build_desk,
            _load_case_modules,
            self._install_own_features,
        ]
        self._step_due = False  # a turn of the event loop is booked for the next step
        self._paint_pending = False  # the features wait for the desk to be painted
        # Set once the vault's modules are loaded here: the unlocking thread waits for it.
        self._vault_modules = threading.Event()
        vault.before_open = self._await_vault_modules
        self.gate: UnlockPage | FirstRunPage | ServerLoginPage | None = None
        self.idle = IdleWatcher(idle_lock_ms or 10 * 60_000, self)
        self.idle.idle.connect(self.lock_idle)
        self.idle_notice = IdleNotice(self)
        self.idle.warning.connect(self.idle_notice.show_warning)
        self.idle.resumed.connect(self.idle_notice.dismiss)
        self.idle_notice.keep_working.connect(self.idle.start)
        self.unsaved = UnsavedEdits()
        self.unsaved.add_keeper("case", self._case_drafts, self._restore_case)
        self.unsaved.add_keeper(NEW_CASE_DRAFT, self._new_case_drafts, self._restore_new_case)
        self.toolbar = QToolBar("Main")
        self.toolbar.setObjectName("mainToolbar")
        self.toolbar.setMovable(False)
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.toolbar.setAccessibleName("Main toolbar")
        # Qt's ">>" button, shown when the window is too narrow for every action, has no name.
        more = self.toolbar.findChild(QToolButton, "qt_toolbar_ext_button")
        if more is not None:
            more.setAccessibleName("More toolbar actions")
        self.addToolBar(self.toolbar)
        self.status_text = QLabel()
        # A long vault path must not make the window wider than the screen.
        self.status_text.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.statusBar().addWidget(self.status_text, 1)
        self._build_actions()
        fit_window(self, QSize(1280, 800))
        self.changes.settings_changed.connect(self._settings_changed)
        self._show_gate()
        if start_later and not isinstance(self.gate, FirstRunPage):
            # Once the unlock screen has been painted, one step per turn of the event loop,
            # so the passphrase can be typed meanwhile.
            self.stack.installEventFilter(self)
        else:
            self.finish_starting()

    # -- start-up -------------------------------------------------------------------------

    def later(self, step: Callable[[], object]) -> None:
        """Run ``step`` once the window is on screen (now, if the start-up is over).

        The composition root installs the features this way: their modules (and the
        services behind them) load after the unlock screen is drawn, or, when the
        officer unlocks first, just after the case list is painted. A feature that acts
        on each unlock says so with ``on_unlock``.
        """
        if self._steps is None:
            step()
        else:
            self._steps.append(step)

    def finish_starting(self) -> None:
        """Run the start-up steps still waiting, now."""
        while self._steps:
            self._steps.pop(0)()
        self._steps = None
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)

    def _run_step(self, step: Callable[[], object]) -> None:
        """Run ``step`` now if it is still waiting (and only once)."""
        if self._steps is not None and step in self._steps:
            self._steps.remove(step)
            step()

    def is_started(self) -> bool:
        """True once every start-up step has run."""
        return self._steps is None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's
        kind = event.type()
        if watched is self.stack and kind == QEvent.Type.Paint:
            self.stack.removeEventFilter(self)
            self._book_step()
        elif kind == QEvent.Type.Paint and self._paint_pending and self._on_desk(watched):
            self._desk_painted()
        elif kind in _INPUT and self._steps and self.services is not None:
            # The officer acts on the desk before every feature is in: all of them first,
            # so the key, shortcut or click finds what it is meant for.
            self.finish_starting()
        return super().eventFilter(watched, event)

    def _on_desk(self, watched: QObject) -> bool:
        return (
            self._desk is not None
            and isinstance(watched, QWidget)
            and (self._desk.isAncestorOf(watched))
        )

    def _desk_painted(self) -> None:
        if self._paint_pending:
            self._paint_pending = False
            self._book_step()

    def _book_step(self) -> None:
        if not self._step_due:
            self._step_due = True
            QTimer.singleShot(0, self, self._next_step)

    def _next_step(self) -> None:
        self._step_due = False
        waiting = self._unlocking() or self._paint_pending
        if self._steps and waiting and self._steps[0] not in self._for_the_list():
            # What the list needs is in: the rest waits until the vault has opened (or the
            # unlock failed) and the list is painted, so that it is not kept waiting behind
            # a feature.
            QTimer.singleShot(_UNLOCK_POLL_MS, self, self._book_step)
            return
        if self._steps:
            self._steps.pop(0)()
        if self._steps:
            self._book_step()
        elif self._steps is not None:
            self.finish_starting()

    def _for_the_list(self) -> tuple[Callable[[], object], ...]:
        """The start-up steps the case list needs to be shown after an unlock."""
        return (_load_sql_core, _load_sql_mapping, self._load_vault_modules, self._build_desk)

    def _unlocking(self) -> bool:
        return bool(getattr(self.gate, "busy", False))

    def _load_vault_modules(self) -> None:
        # What opening the vault and showing the list import, loaded here on the window's
        # thread: the unlocking thread waits for them before it opens the database, so two
        # threads never import at once.
        try:
            from cme_desktop.services import registry  # noqa: F401
            from cme_desktop.services.cases import case_list  # noqa: F401
            from cme_desktop.services.vault import opening  # noqa: F401
        finally:
            self._vault_modules.set()

    def _await_vault_modules(self) -> None:
        """Before the vault opens: on this thread, load the modules now; on the unlocking
        thread, wait until this one has (a window closed meanwhile lets it go on)."""
        if threading.current_thread() is threading.main_thread():
            self._run_step(self._load_vault_modules)
        else:
            self._vault_modules.wait(timeout=_MODULES_WAIT_S)

    def _unlock_starting(self) -> None:
        if self._steps and self._load_vault_modules in self._steps:
            if self.on_server:
                # The login's thread connects at once: its modules first.
                self._run_step(self._load_vault_modules)
            else:
                # Once the unlocking thread has started: its key derivation runs meanwhile.
                QTimer.singleShot(0, self, lambda: self._run_step(self._load_vault_modules))

    def _build_desk(self) -> Desk:
        if self._desk is None:
            from cme_desktop.ui.desk import Desk

            desk = Desk(self.changes, today=self._today)
            self.stack.insertWidget(0, desk)
            for title, factory in self._sections:
                desk.add_section(title, factory)
            self._sections.clear()
            desk.current_case_changed.connect(lambda _id: self._enable_actions())
            # After the desk has refreshed (it listens first): Close/Reopen follow the status.
            self.changes.case_changed.connect(lambda _id: self._enable_actions())
            self._desk = desk
        return self._desk

    def _install_own_features(self) -> None:
        from cme_desktop.ui import escalation_wizard
        from cme_desktop.ui.importing import flow as importing
        from cme_desktop.ui.vault import authority_later, damage

        importing.install(self)  # File > Import…, Import folder…, files dropped on the window
        escalation_wizard.install(self)  # Case > Escalation questions…, and the offers
        damage.install(self)  # after each unlock: damage or tampering found, and what to do
        authority_later.install(self)  # the first run's authority page, if left unanswered

    @property
    def on_server(self) -> bool:
        """Whether the window works on the shared server (its login screen, not a vault's)."""
        return self._login_page is not None

    @property
    def desk(self) -> Desk:
        """The case list, the dashboard and the open cases (built on first use)."""
        return self._desk if self._desk is not None else self._build_desk()

    # -- extension points -----------------------------------------------------------------

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
        """Put ``action`` in ``menu`` (made on first use); enabled only while it can work.

        Actions of one ``group`` sit together between separators: in File just above
        Settings, Lock and Quit, and on the toolbar just before Lock.
        """
        if menu not in self._menus:
            self._menus[menu] = self._make_menu(menu)
        tail = self._tails.get(menu)
        if tail is not None:
            self._menus[menu].insertAction(tail, action)  # File ends with Settings, Lock, Quit
        else:
            self._menus[menu].addAction(action)
        self.addAction(action)  # shortcuts work while the menu bar is closed
        if needs_vault:
            self._vault_actions.append(action)
        if needs_case:
            self._case_actions.append(action)
        if toolbar:
            self.toolbar.addAction(action)
        if group is not None:
            self._join_group(menu, action, group)
        self._enable_actions()
        return action

    def _join_group(self, menu: str, action: QAction, group: str) -> None:
        if menu == "File":
            self._menus[menu].removeAction(action)
            insert_in_group(self._menus[menu], action, self.settings_action, group)
        bar = self.toolbar
        if action in bar.actions() and self.lock_action in bar.actions():
            bar.removeAction(action)
            items = bar.actions()
            # The action just before Lock is the spacer that pushes Lock to the right.
            spacer = items[items.index(self.lock_action) - 1]
            insert_in_group(bar, action, spacer, group, after=True)

    def add_case_section(self, title: str, factory: SectionFactory) -> None:
        """Add a section to every case workspace (see ``CaseWorkspace.add_section``)."""
        if self._desk is None:
            self._sections.append((title, factory))
        else:
            self._desk.add_section(title, factory)

    def add_draft_keeper(
        self,
        kind: str,
        gather: Callable[[], list[Draft]],
        restore: Callable[[Draft], bool],
    ) -> None:
        """Keep the unsaved typing of ``kind`` across an idle lock (see ``ui/unsaved.py``)."""
        self.unsaved.add_keeper(kind, gather, restore)

    def current_case_id(self) -> int | None:
        """The case in front: its tab, or the row selected in the list."""
        return self.desk.current_case_id() if self.services else None

    def is_locked(self) -> bool:
        return self.services is None

    def widget(self) -> QMainWindow:
        """The window itself, as the features see it (``ui.window.Window``)."""
        return self

    def show_status(self, text: str, timeout_ms: int) -> None:
        self.statusBar().showMessage(text, timeout_ms)

    def _make_menu(self, title: str) -> QMenu:
        menu = QMenu(f"&{title}", self)
        later = [m for m in MENUS[MENUS.index(title) + 1 :] if m in self._menus]
        before = self._menus[later[0]].menuAction() if later and title in MENUS else None
        if before is not None:
            self.menuBar().insertMenu(before, menu)
        else:
            self.menuBar().addMenu(menu)
        return menu

    # -- actions --------------------------------------------------------------------------

    def _action(
        self,
        text: str,
        shortcut: QKeySequence | QKeySequence.StandardKey | str,
        slot: Callable[[], object],
        tip: str = "",
    ) -> QAction:
        action = QAction(text, self)
        action.setShortcut(QKeySequence(shortcut))
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(lambda _checked=False: slot())
        if tip:
            action.setStatusTip(tip)
        return action

    def _build_actions(self) -> None:
        a = self._action
        self.new_case_action = a("&New case…", "Ctrl+N", self.new_case, "Log a new case")
        self.find_action = a(
            "&Find…", "Ctrl+F", lambda: self.desk.focus_search(), "Search the cases"
        )
        self.open_action = a("&Open selected case", "Ctrl+O", self.open_selected)
        self.save_action = a("&Save case", "Ctrl+S", self.save_case)
        self.close_tab_action = a("Close &tab", "Ctrl+W", lambda: self.desk.close_current_tab())
        self.entry_action = a("Add timeline &entry…", "Ctrl+E", lambda: self._on_case("add_entry"))
        self.visit_action = a(
            "Record home &visit…", "Ctrl+Shift+V", lambda: self._on_case("record_visit")
        )
        self.task_action = a("Add tas&k…", "Ctrl+T", lambda: self._on_case("add_task"))
        self.close_case_action = a(
            "&Close case…", "Ctrl+Shift+C", lambda: self._on_case("close_case")
        )
        self.reopen_action = a(
            "&Reopen case…", "Ctrl+Shift+R", lambda: self._on_case("reopen_case")
        )
        self.lock_action = a("&Lock", "Ctrl+L", self.lock, "Close the vault until unlocked again")
        self.settings_action = a("&Settings…", "Ctrl+,", self.open_settings)
        self.quit_action = a("&Quit", QKeySequence.StandardKey.Quit, self.close)
        self.cases_action = a("&Case list", "Ctrl+1", lambda: self.desk.show_cases())
        self.dashboard_action = a("&Dashboard", "Ctrl+2", lambda: self.desk.show_dashboard())
        self.refresh_action = a("&Refresh", "F5", self.changes.cases_changed.emit)
        self.shortcuts_action = a("&Keyboard shortcuts", "F1", self.show_shortcuts)
        self.about_action = a("&About CME Desktop", "Shift+F1", self.show_about)
        self.diagnostics_action = a(
            "Copy &diagnostics",
            "",
            self.copy_diagnostics,
            "Versions and the end of the log, for the IT service desk",
        )

        add = self.add_action
        add("File", self.settings_action)
        add("File", self.lock_action, toolbar=False)
        add("File", self.quit_action, needs_vault=False)
        # Actions other modules add to File go above this line.
        self._tails["File"] = self._menus["File"].insertSeparator(self.settings_action)
        for action in (self.new_case_action, self.open_action):
            add("Case", action)
        add("Case", self.save_action, needs_case=True)
        add("Case", self.close_tab_action, needs_case=True)
        self._menus["Case"].addSeparator()
        for action in (self.entry_action, self.visit_action, self.task_action):
            add("Case", action, needs_case=True)
        self._menus["Case"].addSeparator()
        add("Case", self.close_case_action, needs_case=True)
        add("Case", self.reopen_action, needs_case=True)
        for action in (
            self.find_action,
            self.cases_action,
            self.dashboard_action,
            self.refresh_action,
        ):
            add("View", action)
        add("Help", self.shortcuts_action, needs_vault=False)
        add("Help", self.diagnostics_action, needs_vault=False)
        add("Help", self.about_action, needs_vault=False)
        for action in (
            self.new_case_action,
            self.find_action,
            self.cases_action,
            self.dashboard_action,
        ):
            self.toolbar.addAction(action)
        self.toolbar.addSeparator()
        for action in (self.save_action, self.entry_action, self.visit_action, self.task_action):
            self.toolbar.addAction(action)
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.toolbar.addWidget(spacer)
        self.toolbar.addAction(self.lock_action)
        for action in self.toolbar.actions():
            shortcut = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
            if shortcut:
                action.setToolTip(f"{action.text().replace('&', '').rstrip('…')} ({shortcut})")

    def _enable_actions(self) -> None:
        unlocked = self.services is not None
        workspace = self.desk.current_workspace() if unlocked else None
        for action in self._vault_actions:
            action.setEnabled(unlocked)
        for action in self._case_actions:
            action.setEnabled(workspace is not None)
        if workspace is not None and workspace.detail is not None:
            # A child only on the register has no CME case (the workspace says why).
            cme = workspace.detail.cohort != "cnis"
            self.close_case_action.setEnabled(cme and workspace.detail.status == "open")
            self.reopen_action.setEnabled(cme and workspace.detail.status == "closed")
        self.open_action.setEnabled(unlocked and self.desk.current_case_id() is not None)

    def _on_case(self, method: str) -> None:
        workspace = self.desk.current_workspace()
        if workspace is not None:
            getattr(workspace, method)()
            self._enable_actions()

    # -- the gate: first run or unlock ----------------------------------------------------

    def _show_gate(self) -> None:
        old = self.gate
        page: UnlockPage | FirstRunPage | ServerLoginPage
        if self._login_page is not None:
            page = self._login_page()
            page.starting.connect(self._unlock_starting)
            page.unlocked.connect(lambda db: self._unlocked(db))
        elif self.vault.exists:
            page = UnlockPage(self.vault, offer_remembered=self._state is None)
            page.starting.connect(self._unlock_starting)
            page.unlocked.connect(lambda db: self._unlocked(db))
        else:
            page = FirstRunPage(self.vault)
            page.created.connect(self._unlocked)
        self.gate = page
        self.stack.addWidget(page)
        self.stack.setCurrentWidget(page)
        if old is not None:
            self.stack.removeWidget(old)
            old.deleteLater()
        self.toolbar.hide()
        self.setWindowTitle(f"{APP_TITLE} — locked")
        self.status_text.setText(self._where())
        self._enable_actions()
        page.focus_first()

    def _unlocked(self, db: Database, officer_name: str = "") -> None:
        # The vault's modules and the desk now; the features after the list is painted.
        self._run_step(self._load_vault_modules)
        self._run_step(self._build_desk)
        if self._steps:
            app = QApplication.instance()
            if app is not None:
                app.installEventFilter(self)
            # The rest once the desk is painted (or soon, if it is not shown).
            self._paint_pending = True
            QTimer.singleShot(_AFTER_PAINT_MS, self, self._desk_painted)
        elif self._steps is not None:
            self.finish_starting()
        services = self.make_services(db)
        try:
            settings = services.settings.load()
            if officer_name and not settings.officer_name:
                settings = replace(settings, officer_name=officer_name)
                services.settings.save(settings)
        except CmeError as exc:
            services.close()
            prompts.error(self, "Unlock the vault", exc)
            return
        if settings.officer_name:
            db.actor = settings.officer_name
        self.services = services
        from cme_desktop.ui.vault import damage

        damage.tell_findings(self, services)  # before the desk reads: told even if it cannot
        self.desk.attach(services, self._state)
        self._state = None
        self.stack.setCurrentWidget(self.desk)
        if self.gate is not None:
            self.stack.removeWidget(self.gate)
            self.gate.deleteLater()
            self.gate = None
        self.toolbar.show()
        self.setWindowTitle(APP_TITLE)
        self._apply_settings(settings.idle_lock_minutes, settings.officer_name)
        self.idle.watch_widget_window(self)
        self.idle.start()
        self._enable_actions()
        if self.desk.currentIndex() == 0:
            self.desk.case_list.table.setFocus()
        self.vault_unlocked.emit()
        # Once the desk is on screen: the typing kept when the vault last locked by itself.
        QTimer.singleShot(0, self, self._offer_drafts)

    def _apply_settings(self, minutes: int, officer: str) -> None:
        if self._idle_override is None:
            self.idle.set_interval_ms(minutes * 60_000)
        who = officer or "no name set (Settings, Ctrl+,)"
        self.status_text.setText(
            f"Signed in as {who} · locks after {minutes} minute{'s' if minutes != 1 else ''} "
            f"without use · {self._where()}"
        )

    def _where(self) -> str:
        """What the window works on: the vault's file, or the shared server."""
        if self._login_page is None:
            return f"Vault: {self.vault.path}"
        db = self.services.db if self.services is not None else None
        return f"Server: {getattr(db, 'address', None) or getattr(self.gate, 'address', '')}"

    def _settings_changed(self) -> None:
        if self.services is not None:
            s = self.services.settings.load()
            self.services.db.actor = s.officer_name or self.services.db.actor
            self._apply_settings(s.idle_lock_minutes, s.officer_name)

    # -- locking --------------------------------------------------------------------------

    def lock(self) -> bool:
        """Ctrl+L: ask about unsaved edits, then lock. False if the officer cancels."""
        if self.services is None:
            return True
        if not self.desk.guard_all():
            return False
        self._lock_now()
        return True

    def lock_idle(self) -> None:
        """The idle time ran out: lock at once. Nobody is asked anything; what was typed
        and not saved is kept as encrypted drafts in the vault, offered back after unlock."""
        if self.services is None:
            return
        if any(
            getattr(widget, "busy", False) is True and widget.isVisible()
            for widget in QApplication.topLevelWidgets()
        ):
            # A check-out or check-in is being carried out: closing its dialog now would
            # lose what it says when it ends (a new field vault's recovery key). The lock
            # waits for another idle spell; the vault stays open only while the work runs.
            self.idle.start()
            return
        self.unsaved.keep(self.services)  # before any window holding typing closes
        popup = QApplication.activePopupWidget()
        if popup is not None:
            popup.close()
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, QDialog) and widget.isVisible():
                # done(), not reject(): a dialog's own "discard what you typed?" question
                # would wait for an officer who is not there; the typing is kept already.
                widget.done(QDialog.DialogCode.Rejected)
        self._lock_now()

    def _case_drafts(self) -> list[Draft]:
        """The unsaved typing of every open case (its details and sections)."""
        from cme_desktop.services.cases.drafts import Draft

        if self.services is None:
            return []
        drafts = []
        for workspace in self.desk.workspaces():
            data = workspace.unsaved_draft()
            if data and workspace.detail is not None:
                label = f"{workspace.detail.full_name} ({workspace.detail.reference})"
                drafts.append(Draft(f"case:{workspace.case_id}", label, data, workspace.case_id))
        return drafts

    def _restore_case(self, draft: Draft) -> bool:
        workspace = self.desk.open_case(draft.case_id) if draft.case_id is not None else None
        if workspace is None:
            return False  # could not be opened (the reason is shown): offered again later
        workspace.restore_draft(dict(draft.data))
        self._enable_actions()
        return True

    def _new_case_drafts(self) -> list[Draft]:
        """A new case being typed into Ctrl+N's dialog, not created yet."""
        from cme_desktop.services.cases.drafts import Draft
        from cme_desktop.ui.dialogs import NewCaseDialog

        return [
            Draft(NEW_CASE_DRAFT, "a new case (not created yet)", {"values": values})
            for dialog in self.findChildren(NewCaseDialog)
            if dialog.isVisible() and (values := dialog.unsaved_values())
        ][:1]  # the dialog is modal: there is only ever one

    def _restore_new_case(self, draft: Draft) -> bool:
        values = draft.data.get("values")
        # Opened once the question that offered it back has closed.
        QTimer.singleShot(0, lambda: self.new_case(values if isinstance(values, dict) else None))
        return True

    def _offer_drafts(self) -> None:
        if self._steps:
            # Once every feature is in: their own kept typing is offered back too.
            QTimer.singleShot(_UNLOCK_POLL_MS, self, self._offer_drafts)
            return
        if self.services is not None:
            self.unsaved.offer(self, self.services)

    def credential_store_found(self) -> None:
        """The vault has just been given the system credential store (looked for after the
        start): the unlock screen offers "Remember on this computer" where it can."""
        if isinstance(self.gate, UnlockPage):
            self.gate.offer_remember()

    def on_unlock(self, callback: Callable[[], object]) -> None:
        """Run ``callback`` after each unlock; at once (on the next turn of the event loop)
        when the vault is already open, as when a feature is installed after the list."""
        self.vault_unlocked.connect(callback)
        if self.services is not None:
            QTimer.singleShot(0, self, lambda: callback() if self.services is not None else None)

    def _lock_now(self) -> None:
        self.idle.stop()
        self.idle_notice.dismiss()
        background.wait_for_all(30_000)  # a save in flight finishes before the key goes
        self._state = self.desk.detach()
        services, self.services = self.services, None
        if services is not None:
            services.close()
        self._show_gate()
        self.vault_locked.emit()

    # -- other actions --------------------------------------------------------------------

    def new_case(self, values: dict[str, Any] | None = None) -> None:
        """Ctrl+N: log a new case (``values``: what was typed before an idle lock)."""
        if self.services is None:
            return
        from cme_desktop.ui.dialogs import NewCaseDialog

        dialog = NewCaseDialog(self, self.services, self.changes)
        if values:
            dialog.set_values(values)
        if dialog.exec() == QDialog.DialogCode.Accepted and dialog.case_id is not None:
            self.desk.open_case(dialog.case_id)

    def open_selected(self) -> None:
        case_id = self.desk.case_list.table.current_case_id()
        if case_id is not None:
            self.desk.open_case(case_id)

    def save_case(self) -> None:
        workspace = self.desk.current_workspace()
        if workspace is not None:
            workspace.save()

    def open_settings(self) -> None:
        if self.services is not None:
            from cme_desktop.ui.settings_dialog import SettingsDialog

            SettingsDialog(self, self.services, self.changes).exec()

    def show_shortcuts(self) -> None:
        lines = []
        for title in MENUS:
            menu = self._menus.get(title)
            if menu is None:
                continue
            for action in menu.actions():
                keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
                if keys:
                    lines.append(f"{keys}\t{action.text().replace('&', '')}")
        lines += [
            "Enter\tOpen the selected case (list, dashboard tasks); in the search box, "
            "the case when only one matches",
            "Alt+W, ← →\tThe case list's quick filters",
            "Ctrl+Enter\tSave the form in front",
            "Ctrl+Tab\tNext tab",
        ]
        prompts.info(self, "Keyboard shortcuts", "\n".join(lines))

    def copy_diagnostics(self) -> None:
        """Help > Copy diagnostics: what the IT service desk asks for, on the clipboard."""
        crash.copy_diagnostics(vault_path=self.vault.path, log=self.log)
        self.show_status("Diagnostics copied to the clipboard (nothing about any child).", 5000)

    def show_about(self) -> None:
        """Help > About: the version, the vault and the log, and the third-party licences."""
        AboutDialog(self, vault_path=self.vault.path, log=self.log).exec()

    def closeEvent(self, event: QCloseEvent) -> None:
        if isinstance(self.gate, FirstRunPage) and self.gate.is_busy():
            if not prompts.confirm(
                self,
                "Quit",
                "The recovery key has not been confirmed as stored, and it will not be shown "
                "again. Quit anyway?",
            ):
                event.ignore()
                return
            self.gate.abandon()
        if self.services is not None:
            if not self.desk.guard_all():
                event.ignore()
                return
            self.idle.stop()
            background.wait_for_all(30_000)
            self.desk.detach()
            services, self.services = self.services, None
            services.close()
        self.idle.uninstall()
        event.accept()
