"""Actions on the cases selected in the list: add a task, close, print visit sheets, export.

Each is in the Case menu and in the list's context menu (right click, the Menu
key or Shift+F10), and works on the rows selected in the case list (Shift/Ctrl
with the arrow keys or the mouse). Before anything changes the officer confirms
the count ("Close 7 cases as …?"); each action is one transaction
(``services.cases.bulk``), and the list leaves the vault protected by default.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import QComboBox, QLineEdit, QMenu, QPlainTextEdit, QWidget

from cme_desktop.models import vocabularies as vocab
from cme_desktop.services.cases.bulk import BulkCases
from cme_desktop.services.cases.closing import PER_CHILD_OUTCOMES
from cme_desktop.services.errors import CmeError, InvalidInput
from cme_desktop.services.registry import AppServices
from cme_desktop.ui import prompts, protected_save
from cme_desktop.ui.case_list.table import CaseTableView
from cme_desktop.ui.desk import CASES_TAB
from cme_desktop.ui.dialogs import FormDialog, term_combo, text_box
from cme_desktop.ui.fields import DateField
from cme_desktop.ui.window import Window

#: The object name of the exported list's password dialog, closed when the vault locks.
PASSWORD_DIALOG = "caseListPassword"


def selected_case_ids(window: Window) -> list[int]:
    """The cases selected in the case list, in list order (none unless the list is in front)."""
    desk = window.desk
    if desk.current_workspace() is not None or desk.currentIndex() != CASES_TAB:
        return []
    table = desk.case_list.table
    model = table.case_model()
    rows = sorted(index.row() for index in table.selectionModel().selectedRows())
    return [case_id for case_id in (model.case_id(r) for r in rows) if case_id is not None]


def _cases(n: int) -> str:
    return f"{n:,} case{'' if n == 1 else 's'}"


class BulkTaskDialog(FormDialog):
    """The task to add to every selected case: what, and when it is due."""

    def __init__(self, parent: QWidget | None, count: int) -> None:
        super().__init__(parent, "Add a task to the selected cases", ok_text="&Add task")
        self.set_intro(f"The same task is added to each of the {_cases(count)} selected.")
        self.title_field = QLineEdit()
        self.add("&What needs doing:", self.title_field, "title")
        self.due = DateField("due_on", "Due on")
        self.due.set_value(date.today() + timedelta(days=7))
        self.add("&Due on:", self.due, "due_on")

    def submit(self) -> None:
        if not self.title_field.text().strip():
            raise InvalidInput("Say what needs doing.", field="title")
        if self.due.value() is None:
            raise InvalidInput("Give the date the task is due.", field="due_on")


class BulkCloseDialog(FormDialog):
    """How every selected case closes: one outcome, one date, an optional note."""

    def __init__(self, parent: QWidget | None, count: int) -> None:
        super().__init__(parent, "Close the selected cases", ok_text="Cl&ose cases")
        self.set_intro(
            f"Each of the {_cases(count)} selected closes with the same outcome. On roll, "
            "moved out and untraceable need details for each child: close those one at a time."
        )
        outcomes = tuple(t for t in vocab.CLOSING_OUTCOMES if t.key not in PER_CHILD_OUTCOMES)
        self.outcome: QComboBox = term_combo(outcomes, blank="Choose…")
        self.add("&Outcome:", self.outcome, "outcome")
        self.closed_on = DateField("closed_on", "Closed on")
        self.closed_on.set_value(date.today())
        self.add("Closed o&n:", self.closed_on, "closed_on")
        self.note: QPlainTextEdit = text_box(2)
        self.add("No&te:", self.note, "note")
        self.typing_field = self.outcome

    def outcome_key(self) -> str:
        return str(self.outcome.currentData() or "")

    def submit(self) -> None:
        if not self.outcome_key():
            raise InvalidInput("Choose why the cases are closed.", field="outcome")
        if self.closed_on.value() is None:
            raise InvalidInput("Give the date the cases closed.", field="closed_on")


class BulkActions:
    """The four actions, for the Case menu and the list's context menu."""

    def __init__(self, window: Window) -> None:
        self.window = window
        parent = window.widget()
        self.add_task = QAction("Add task to se&lected cases…", parent)
        self.close_cases = QAction("Close selected c&ases…", parent)
        self.print_sheets = QAction("&Print visit sheets for selected cases…", parent)
        self.export_list = QAction("E&xport selected cases…", parent)
        self.add_task.setShortcut(QKeySequence("Ctrl+Shift+T"))
        for action, slot, tip in (
            (self.add_task, self.do_add_task, "The same task on every selected case"),
            (self.close_cases, self.do_close, "Close every selected case with one outcome"),
            (self.print_sheets, self.do_print, "Home-visit sheets for the selected cases"),
            (self.export_list, self.do_export, "The selected cases as a protected workbook"),
        ):
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            action.setStatusTip(tip)
            action.triggered.connect(lambda _checked=False, run=slot: run())

    def actions(self) -> list[QAction]:
        return [self.add_task, self.close_cases, self.print_sheets, self.export_list]

    # -- what they work on ----------------------------------------------------------------

    def _chosen(self, title: str) -> tuple[AppServices, list[int]] | None:
        services = self.window.services
        if services is None:
            return None
        ids = selected_case_ids(self.window)
        if not ids:
            prompts.info(
                self.window.widget(),
                title,
                "Select one or more cases in the case list first (Shift or Ctrl with the "
                "arrow keys, or the mouse).",
            )
            return None
        return services, ids

    def _done(self, text: str) -> None:
        self.window.changes.cases_changed.emit()
        self.window.show_status(text, 8000)

    # -- the actions ----------------------------------------------------------------------

    def do_add_task(self) -> None:
        title = "Add a task to the selected cases"
        chosen = self._chosen(title)
        if chosen is None:
            return
        services, ids = chosen
        parent = self.window.widget()
        dialog = BulkTaskDialog(parent, len(ids))
        if not dialog.exec():
            return
        what, due = dialog.title_field.text().strip(), dialog.due.value()
        assert due is not None  # the dialog closes only with a date
        if not prompts.confirm(parent, title, f"Add “{what}” to {_cases(len(ids))}?"):
            return
        try:
            BulkCases(services.db).add_task(ids, title=what, due_on=due)
        except CmeError as exc:
            prompts.error(parent, title, exc)
            return
        self._done(f"Task added to {_cases(len(ids))}.")

    def do_close(self) -> None:
        title = "Close the selected cases"
        chosen = self._chosen(title)
        if chosen is None:
            return
        services, all_ids = chosen
        parent = self.window.widget()
        rows = services.case_list.rows(all_ids)
        ids = [i for i in all_ids if i in rows and rows[i].status == "open"]
        if not ids:
            prompts.info(parent, title, "The selected cases are closed already.")
            return
        dialog = BulkCloseDialog(parent, len(ids))
        if not dialog.exec():
            return
        outcome, on = dialog.outcome_key(), dialog.closed_on.value()
        label = vocab.label_of(vocab.CLOSING_OUTCOMES, outcome)
        question = f"Close {_cases(len(ids))} as “{label}”?"
        skipped = len(all_ids) - len(ids)
        if skipped:
            question += f" ({_cases(skipped)} selected {'is' if skipped == 1 else 'are'} closed)"
        if not prompts.confirm(parent, title, question):
            return
        try:
            BulkCases(services.db).close(
                ids, outcome=outcome, on=on, note=dialog.note.toPlainText()
            )
        except CmeError as exc:
            prompts.error(parent, title, exc)
            return
        self._done(f"{_cases(len(ids))} closed: {label}.")

    def do_print(self) -> None:
        chosen = self._chosen("Print visit sheets")
        if chosen is None:
            return
        services, ids = chosen
        from cme_desktop.ui import visit_sheets

        visit_sheets.print_visit_sheets(self.window.widget(), services, ids)

    def do_export(self) -> None:
        title = "Export the selected cases"
        chosen = self._chosen(title)
        if chosen is None:
            return
        services, ids = chosen
        parent = self.window.widget()
        how = protected_save.choose(
            parent,
            title,
            f"The list of {_cases(len(ids))} names children. Protect the workbook with a password?",
        )
        if how is None:
            return
        filters = (
            "Excel workbook (*.xlsx)" if how.protected else "Excel workbook (*.xlsx);;CSV (*.csv)"
        )
        target = prompts.save_file(parent, title, f"cases-{date.today():%Y-%m-%d}.xlsx", filters)
        if target is None:
            return
        self.export_to(services, ids, target, how.password)

    def export_to(
        self, services: AppServices, ids: Sequence[int], target: Path, password: str | None
    ) -> None:
        """Write the list (the officer has chosen where, and how it is protected)."""
        title = "Export the selected cases"
        parent = self.window.widget()
        try:
            saved = BulkCases(services.db).export_list(ids, target, password=password)
        except CmeError as exc:
            prompts.error(parent, title, exc)
            return
        if password is not None:
            protected_save.show_password(
                password, saved.path, parent, title=title, name=PASSWORD_DIALOG
            )
        else:
            prompts.info(
                parent,
                title,
                f"Saved {_cases(len(ids))} to {saved.path} (not protected: keep it safe).",
            )
        self.window.show_status(f"{_cases(len(ids))} exported to {saved.path}", 8000)


def install(window: Window) -> BulkActions:
    """Add the actions to the Case menu and to the case list's context menu."""
    bulk = BulkActions(window)
    for action in bulk.actions():
        window.add_action("Case", action)
    table = window.desk.case_list.table
    table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)

    def show_menu(at: QPoint) -> None:
        menu = QMenu(table)
        menu.setAccessibleName("Selected cases")
        for action in bulk.actions():
            menu.addAction(action)
        menu.popup(table.viewport().mapToGlobal(at))

    table.customContextMenuRequested.connect(show_menu)
    # The Menu key opens it through Qt; Shift+F10 is the other key people know for it.
    shortcut = QShortcut(QKeySequence("Shift+F10"), table)
    shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
    shortcut.activated.connect(lambda: show_menu(_current_point(table)))
    window.vault_locked.connect(lambda: _close_for_lock(window.widget()))
    return bulk


def _current_point(table: CaseTableView) -> QPoint:
    rect = table.visualRect(table.currentIndex())
    return rect.center() if rect.isValid() else QPoint(0, 0)


def _close_for_lock(window: QWidget) -> None:
    # The dialogs name how many cases, the password dialog the file: none stays on a locked
    # screen.
    for dialog in window.findChildren(FormDialog):
        if isinstance(dialog, BulkTaskDialog | BulkCloseDialog):
            dialog.reject()
    from cme_desktop.ui.password_shown_once import PasswordShownOnce

    for shown in window.findChildren(PasswordShownOnce, PASSWORD_DIALOG):
        shown.reject()
