"""A new case from a notification typed by hand (a phone call).

``NewCaseFromReferralDialog`` checks the form, looks for the same child already
logged, then logs one case per child named, linked as a family.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtCore import QSize
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from cme_desktop.services.cases.detail import case_reference
from cme_desktop.services.errors import CmeError
from cme_desktop.services.referral.parties import children_named
from cme_desktop.services.referral.record import Referral
from cme_desktop.services.registry import AppServices
from cme_desktop.services.rules.dates import format_uk_date
from cme_desktop.ui import prompts
from cme_desktop.ui.fields import buttons_in_order, label_for
from cme_desktop.ui.referral.editor import ReferralEditor
from cme_desktop.ui.referral.saving import received_date_edit, show_first_error
from cme_desktop.ui.screen_fit import fit_window


class NewCaseFromReferralDialog(QDialog):
    """Log a new case (one per child named) from a referral typed by hand."""

    def __init__(
        self,
        services: AppServices,
        parent: QWidget | None = None,
        *,
        referral: Referral | None = None,
        today: date | None = None,
    ) -> None:
        super().__init__(parent)
        self.services = services
        self._today = today
        self.case_ids: list[int] = []
        self.setWindowTitle("New case from a notification")
        self.received = received_date_edit(today)
        self.editor = ReferralEditor(today=today)
        self.editor.set_split_available(False)
        if referral is not None:
            self.editor.set_referral(referral)
        header = QHBoxLayout()
        header.addWidget(label_for(self.received, "Received on"))
        header.addWidget(self.received)
        header.addSpacing(16)
        header.addWidget(
            QLabel("Several children on the form (Add child) make one case each, as one family."),
            1,
        )
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.log_button = buttons.addButton("Log case", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(self.log_case)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(self.editor, 1)
        layout.addWidget(buttons)
        buttons_in_order(buttons)
        fit_window(self, QSize(1150, 820))
        self.editor.focus_field("children.full_name")  # typing starts with the child

    def unsaved_draft(self) -> dict[str, Any] | None:
        """The notification typed and not logged (kept across an idle lock), else ``None``."""
        if not self.editor.is_modified():
            return None
        return {"record": self.editor.referral(), "received": self.received.text()}

    def restore_draft(self, data: dict[str, Any]) -> None:
        """Show a notification kept by ``unsaved_draft`` again, still not logged."""
        record = data.get("record")
        if isinstance(record, dict):
            self.editor.show_unsaved(record)
        self.received.setText(str(data.get("received", self.received.text())))

    def _similar_cases(self, record: Referral) -> str:
        lines = []
        for child in children_named(record):
            born = date.fromisoformat(child["date_of_birth"]) if child["date_of_birth"] else None
            for row in self.services.case_list.find_similar(
                full_name=child["full_name"],
                date_of_birth=born,
                upn=child["upn"] or "",
                aka=child["aka"],
            ):
                lines.append(
                    f"  • {case_reference(row.id)} {row.full_name}, born "
                    f"{format_uk_date(row.date_of_birth) or 'not known'} ({row.status})"
                )
        return "\n".join(dict.fromkeys(lines))

    def log_case(self) -> None:
        """Check, look for the same child already logged, then make the case(s)."""
        title = "The case was not logged"
        if show_first_error(self.editor, self, title):
            return
        received = self.received.date_value()
        if received is None:
            prompts.error(self, title, "Received on: write the date of the notification.")
            return
        record = self.editor.referral()
        similar = self._similar_cases(record)
        if similar and not prompts.confirm(
            self,
            "This child may already have a case",
            f"These cases look like the same child:\n{similar}\n\n"
            "Log a new case anyway? (Choose No to look at the existing case first.)",
        ):
            return
        try:
            self.case_ids = self.services.referrals.new_case_from_referral(
                record, received_on=received, source="manual", today=self._today
            )
        except CmeError as exc:
            prompts.error(self, title, exc)
            field = getattr(exc, "field", None)
            if field:
                self.editor.focus_field(field)
            return
        self.editor.mark_saved()
        self.accept()

    def reject(self) -> None:
        if self.editor.is_modified() and not prompts.confirm(
            self, "Discard the notification?", "What you typed will be lost. Close anyway?"
        ):
            return
        super().reject()


def open_new_case_from_referral(
    parent: QWidget | None, services: AppServices, *, referral: Referral | None = None
) -> NewCaseFromReferralDialog:
    """Open the "new case from a notification" window; its ``case_ids`` are set on success."""
    dialog = NewCaseFromReferralDialog(services, parent, referral=referral)
    dialog.open()
    return dialog
