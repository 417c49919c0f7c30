"""A case's referral forms: the list, the editor, Save.

``ReferralsPage`` is a case's referrals (newest first) beside the editor. It is
usable as a section of the case workspace (``referrals_section``) or in its own
window (``open_referral_editor``). Saving is one service call; when it fails the
officer's typing stays on screen. A referral that makes a serious indicator
current offers (never forces) the escalation questions: the page offers them
itself, as it also works outside the main window.

``install(window)`` adds the "Referrals" section to every case workspace and
File > "New case from a notification…" (``ui/referral/new_case.py``).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from cme_desktop.models.vocabularies import ESCALATION_DECISIONS, label_of
from cme_desktop.services.cases.detail import CaseDetail, case_reference
from cme_desktop.services.cases.drafts import Draft
from cme_desktop.services.errors import CmeError
from cme_desktop.services.referral.parties import children_named
from cme_desktop.services.referral.record import SCHEMA, normalise
from cme_desktop.services.referral.service import StoredReferral
from cme_desktop.services.registry import AppServices
from cme_desktop.services.rules.dates import format_uk_date
from cme_desktop.services.rules.local_time import local_date_of_utc
from cme_desktop.ui import prompts
from cme_desktop.ui.changes import EscalationDue
from cme_desktop.ui.escalation_wizard import maybe_offer_escalation
from cme_desktop.ui.fields import label_for
from cme_desktop.ui.referral.editor import ReferralEditor
from cme_desktop.ui.referral.new_case import NewCaseFromReferralDialog
from cme_desktop.ui.referral.saving import received_date_edit, show_first_error
from cme_desktop.ui.screen_fit import fit_window
from cme_desktop.ui.window import Window
from cme_desktop.ui.workspace.context import CaseContext

SOURCE_LABELS = {
    "manual": "Entered by hand",
    "docx": "Imported Word form",
    "pdf": "Imported PDF",
    "email": "Imported from an email",
}


#: The draft key of a notification being typed into "New case from a notification".
NEW_CASE_DRAFT = "new-case-referral"


def _source_text(row: StoredReferral) -> str:
    label = SOURCE_LABELS.get(row.source, f"Imported ({row.source})")
    return f"{label}: {row.source_name}" if row.source_name else label


class ReferralsPage(QWidget):
    """A case's referrals beside the editor, with "New referral" and Save."""

    saved = Signal(int)
    cases_changed = Signal(list)
    escalation_recorded = Signal(int)

    def __init__(
        self,
        services: AppServices,
        case_id: int,
        parent: QWidget | None = None,
        *,
        today: date | None = None,
    ) -> None:
        super().__init__(parent)
        self.services = services
        self.case_id = case_id
        self._today = today
        self._rows: list[StoredReferral] = []
        self._current_id: int | None = None
        self._received_saved = ""

        self.list = QListWidget()
        self.list.setAccessibleName("Referrals of this case")
        self.list.currentRowChanged.connect(self._row_chosen)
        self.new_button = QPushButton("New referral (phone notification)")
        self.new_button.clicked.connect(self.new_referral)
        left = QWidget()
        left_column = QVBoxLayout(left)
        left_column.setContentsMargins(0, 0, 0, 0)
        left_column.addWidget(QLabel("<b>Referrals</b>"))
        left_column.addWidget(self.list, 1)
        left_column.addWidget(self.new_button)

        self.received = received_date_edit(today)
        self.source = QLabel()
        self.editor = ReferralEditor(today=today)
        self.editor.split_requested.connect(self.split_siblings)
        self.save_button = QPushButton("Save referral")
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.save)
        header = QHBoxLayout()
        header.addWidget(label_for(self.received, "Received on"))
        header.addWidget(self.received)
        header.addSpacing(16)
        header.addWidget(self.source, 1)
        header.addWidget(self.save_button)
        right = QWidget()
        right_column = QVBoxLayout(right)
        right_column.setContentsMargins(0, 0, 0, 0)
        right_column.addLayout(header)
        right_column.addWidget(self.editor, 1)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([220, 900])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(splitter)
        self.reload()

    # -- loading -----------------------------------------------------------------------

    def reload(self, *, select: int | None = None) -> None:
        """Read the case's referrals again and show ``select`` (else the newest)."""
        detail = self.services.cases.get(self.case_id)
        self.case_name = detail.full_name
        self._show_escalation(detail)
        self._rows = self.services.referrals.for_case(self.case_id)
        self.list.blockSignals(True)
        self.list.clear()
        for row in self._rows:
            item = QListWidgetItem(f"{format_uk_date(row.received_on)}\n{_source_text(row)}")
            item.setData(Qt.ItemDataRole.UserRole, row.id)
            self.list.addItem(item)
        if not self._rows:
            self.list.blockSignals(False)
            self._show_new()
            return
        ids = [r.id for r in self._rows]
        index = ids.index(select) if select in ids else 0
        # Choosing the row here is the page's own doing, not the officer leaving a referral.
        self.list.setCurrentRow(index)
        self.list.blockSignals(False)
        self._show(self._rows[index])

    def _show_escalation(self, detail: CaseDetail) -> None:
        if detail.escalations:
            latest = detail.escalations[0]
            self.editor.set_escalation_status(
                f"decided {format_uk_date(local_date_of_utc(latest.decided_at))}: "
                f"{label_of(ESCALATION_DECISIONS, latest.decision)}"
            )
        else:
            self.editor.set_escalation_status(None)

    def _show(self, row: StoredReferral) -> None:
        self._current_id = row.id
        self.editor.set_referral(row.data)
        self.editor.set_split_available(True)
        self.received.set_iso(row.received_on.isoformat())
        self._received_saved = self.received.text()
        self.source.setText(_source_text(row))

    def _show_new(self) -> None:
        self._current_id = None
        self.list.blockSignals(True)
        self.list.clearSelection()
        self.list.setCurrentRow(-1)
        self.list.blockSignals(False)
        record = normalise({"schema": SCHEMA})
        # The referral is about this case's child: start from the name on the case.
        record["children"][0]["full_name"] = self.case_name
        self.editor.set_referral(record)
        self.editor.set_split_available(False)
        self.received.set_iso((self._today or date.today()).isoformat())
        self._received_saved = self.received.text()
        self.source.setText("New referral: a notification entered by hand")

    def _row_chosen(self, index: int) -> None:
        if index < 0 or index >= len(self._rows):
            return
        if self._rows[index].id == self._current_id:
            return
        if not self.maybe_leave():
            self.list.blockSignals(True)
            ids = [r.id for r in self._rows]
            back = ids.index(self._current_id) if self._current_id in ids else -1
            self.list.setCurrentRow(back)
            self.list.blockSignals(False)
            return
        self._show(self._rows[index])

    def new_referral(self) -> None:
        """Start a new referral, a notification entered by hand (after the unsaved check)."""
        if self.maybe_leave():
            self._show_new()

    # -- saving ---------------------------------------------------------------------------

    def is_modified(self) -> bool:
        """Typed but not saved."""
        return self.editor.is_modified() or self.received.text() != self._received_saved

    def is_dirty(self) -> bool:
        """The case workspace's unsaved-changes guard asks this."""
        return self.is_modified()

    def unsaved_draft(self) -> dict[str, Any] | None:
        """The referral typed and not saved (kept across an idle lock), else ``None``."""
        if not self.is_modified():
            return None
        return {
            "referral_id": self._current_id,
            "record": self.editor.referral(),
            "received": self.received.text(),
        }

    def restore_draft(self, data: dict[str, Any]) -> None:
        """Show a referral kept by ``unsaved_draft`` again, still unsaved."""
        wanted = data.get("referral_id")
        ids = [r.id for r in self._rows]
        if wanted in ids:
            self.list.blockSignals(True)
            self.list.setCurrentRow(ids.index(wanted))
            self.list.blockSignals(False)
            self._show(self._rows[ids.index(wanted)])
        else:
            self._show_new()
        record = data.get("record")
        if isinstance(record, dict):
            self.editor.show_unsaved(record)
        self.received.setText(str(data.get("received", self.received.text())))

    def show_case(self, detail: CaseDetail) -> None:
        """The workspace read the case again: follow its name, decisions and new referrals."""
        self.case_name = detail.full_name
        self._show_escalation(detail)
        known = {r.id for r in self._rows}
        if {r.id for r in detail.referrals} != known and not self.is_modified():
            self.reload(select=self._current_id)

    def maybe_leave(self) -> bool:
        """Ask about unsaved changes; True when it is fine to show something else."""
        if not self.is_modified():
            return True
        answer = prompts.save_discard_cancel(
            self, "Unsaved referral", "The referral has changes that are not saved. Save them?"
        )
        if answer == "save":
            return self.save()
        return answer == "discard"

    def save(self) -> bool:
        """Save the referral shown (one service call); True when saved."""
        title = "The referral was not saved"
        if show_first_error(self.editor, self, title):
            return False
        received = self.received.date_value()
        if received is None:
            prompts.error(
                self, title, "Received on: write the date the referral came in, e.g. 02/04/2026."
            )
            self.received.setFocus()
            return False
        record = self.editor.referral()
        try:
            if self._current_id is None:
                saved_id = self.services.referrals.add(
                    self.case_id, referral=record, received_on=received, source="manual"
                )
            else:
                saved_id = self._current_id
                self.services.referrals.update(saved_id, referral=record, received_on=received)
        except CmeError as exc:
            prompts.error(self, title, exc)
            return False
        self.editor.mark_saved()
        self.reload(select=saved_id)
        self.saved.emit(saved_id)
        wizard = maybe_offer_escalation(self, self.services, self.case_id, today=self._today)
        if wizard is not None:
            wizard.recorded.connect(self.escalation_recorded.emit)
        return True

    def split_siblings(self) -> None:
        """One case per child named on the referral, linked as a family (after saving)."""
        if (self._current_id is None or self.is_modified()) and not self.save():
            return
        if self._current_id is None:
            return
        named = children_named(self.editor.referral())
        names = "\n".join(f"  • {c['full_name'] or '(no name)'}" for c in named)
        if not prompts.confirm(
            self,
            "Split into one case per child",
            f"The referral names {len(named)} children:\n{names}\n\n"
            "Make a case for each of them, with the shared details (address, school, carers) "
            "and a copy of the referral, all linked as one family?",
        ):
            return
        try:
            ids = self.services.referrals.split_siblings(self._current_id, today=self._today)
        except CmeError as exc:
            prompts.error(self, "The referral was not split", exc)
            return
        others = [i for i in ids if i != self.case_id]
        prompts.info(
            self,
            "One case per child",
            "The family's cases: "
            + ", ".join(case_reference(i) for i in ids)
            + f".\n\nThis case ({case_reference(self.case_id)}) keeps its own child; "
            f"{len(others)} case{'s' if len(others) != 1 else ''} made or linked for the others.",
        )
        self.reload(select=self._current_id)
        self.cases_changed.emit(ids)


class ReferralDialog(QDialog):
    """A case's referrals in their own window, with the unsaved-changes guard on closing."""

    def __init__(
        self,
        services: AppServices,
        case_id: int,
        parent: QWidget | None = None,
        *,
        today: date | None = None,
    ) -> None:
        super().__init__(parent)
        self.page = ReferralsPage(services, case_id, self, today=today)
        self.setWindowTitle(f"Referrals: {case_reference(case_id)} {self.page.case_name}")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.page, 1)
        layout.addWidget(buttons)
        fit_window(self, QSize(1200, 820))
        self.page.editor.focus_field("children.full_name")

    def reject(self) -> None:
        if self.page.maybe_leave():
            super().reject()


def open_referral_editor(
    parent: QWidget | None, services: AppServices, case_id: int
) -> ReferralDialog:
    """Open the case's referrals in a window (window-modal, not blocking the caller)."""
    dialog = ReferralDialog(services, case_id, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog


def referrals_section(context: CaseContext) -> ReferralsPage:
    """The case workspace's "Referrals" section (``CaseWorkspace.add_section``'s factory).

    A saved referral, a split or a recorded escalation announces the change, so the
    case list, the dashboard and the open cases refresh themselves.
    """
    page = ReferralsPage(context.services, context.case_id)
    page.saved.connect(lambda _id: context.changed())
    page.escalation_recorded.connect(lambda _id: context.changed())
    page.cases_changed.connect(lambda _ids: context.changes.cases_changed.emit())
    return page


def install(window: Window) -> QAction:
    """Add the "Referrals" section to every case and File > New case from a notification….

    Once the new cases are open, ``escalation_due`` is announced for the first child. A
    notification being typed when the vault locks by itself is kept as a draft.
    """
    window.add_case_section("Referra&ls", referrals_section)
    widget = window.widget()
    action = QAction("New case from a &notification…", widget)
    action.setShortcut(QKeySequence("Ctrl+Shift+N"))
    action.setToolTip("Log a case from a referral taken by phone: one case per child named")

    def start(kept: Draft | None = None) -> None:
        services = window.services
        if services is None:
            return
        dialog = NewCaseFromReferralDialog(services, widget)
        if kept is not None:
            dialog.restore_draft(dict(kept.data))
        if dialog.exec() != QDialog.DialogCode.Accepted or not dialog.case_ids:
            return
        window.changes.cases_changed.emit()
        for case_id in reversed(dialog.case_ids):
            window.desk.open_case(case_id)
        due = EscalationDue(dialog.case_ids[0], "case logged from a notification")
        window.changes.escalation_due.emit(due)

    def gather() -> list[Draft]:
        return [
            Draft(NEW_CASE_DRAFT, "a new case from a notification (not logged yet)", data)
            for dialog in widget.findChildren(NewCaseFromReferralDialog)
            if dialog.isVisible() and (data := dialog.unsaved_draft())
        ][:1]  # the dialog is modal: there is only ever one

    def restore(kept: Draft) -> bool:
        # Offered once the desk is shown; the dialog opens after the question has closed.
        QTimer.singleShot(0, lambda: start(kept))
        return True

    action.triggered.connect(lambda _checked=False: start())
    window.add_action("File", action)
    window.add_draft_keeper(NEW_CASE_DRAFT, gather, restore)
    return action
