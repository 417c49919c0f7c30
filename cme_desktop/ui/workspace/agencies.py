"""Referrals to the partner agencies of policy 2.1, and multi-agency meetings."""

from __future__ import annotations

from datetime import date

from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from cme_desktop.models import vocabularies as vocab
from cme_desktop.services.cases.detail import CaseDetail
from cme_desktop.services.errors import InvalidInput
from cme_desktop.services.rules.dates import format_date
from cme_desktop.ui.dialogs import FormDialog, term_combo, text_box
from cme_desktop.ui.fields import DateField
from cme_desktop.ui.workspace.context import CaseContext
from cme_desktop.ui.workspace.tables import SmallTable


def _required(field: DateField, what: str) -> date:
    value = field.value()
    if value is None:
        raise InvalidInput(f"Give the date {what}.", field=field.field)
    return value


class AgencyReferralDialog(FormDialog):
    def __init__(self, parent: QWidget | None, ctx: CaseContext) -> None:
        super().__init__(parent, "Refer to an agency")
        self.ctx = ctx
        self.agency = term_combo(vocab.PARTNER_AGENCIES)
        self.add("&Agency:", self.agency, "agency")
        self.referred_on = DateField("referred_on", "Referred on")
        self.referred_on.set_value(date.today())
        self.add("&Referred on:", self.referred_on, "referred_on")
        self.contact = QLineEdit()
        self.add("&Contact:", self.contact, "contact")
        self.reference = QLineEdit()
        self.add("Their r&eference:", self.reference, "reference")
        self.note = text_box(3)
        self.add("&Note:", self.note, "note")

    def submit(self) -> None:
        self.ctx.services.cases.add_agency_referral(
            self.ctx.case_id,
            agency=str(self.agency.currentData()),
            referred_on=_required(self.referred_on, "of the referral"),
            contact=self.contact.text(),
            reference=self.reference.text(),
            note=self.note.toPlainText(),
        )
        self.ctx.changed()


class MeetingDialog(FormDialog):
    def __init__(self, parent: QWidget | None, ctx: CaseContext) -> None:
        super().__init__(parent, "Multi-agency meeting")
        self.ctx = ctx
        self.held_on = DateField("held_on", "Held on")
        self.held_on.set_value(date.today())
        self.add("&Held on:", self.held_on, "held_on")
        self.attendees = text_box(3)
        self.add("&Attendees:", self.attendees, "attendees")
        self.actions_agreed = text_box(4)
        self.add("A&ctions agreed:", self.actions_agreed, "actions")

    def submit(self) -> None:
        self.ctx.services.cases.add_meeting(
            self.ctx.case_id,
            held_on=_required(self.held_on, "of the meeting"),
            attendees=self.attendees.toPlainText(),
            actions=self.actions_agreed.toPlainText(),
        )
        self.ctx.changed()


class AgenciesSection(QWidget):
    def __init__(self, ctx: CaseContext) -> None:
        super().__init__()
        self.ctx = ctx
        layout = QVBoxLayout(self)
        referrals = QGroupBox("Referrals to partner agencies (2.1)")
        r = QVBoxLayout(referrals)
        self.referrals = SmallTable(
            ("Referred on", "Agency", "Contact", "Reference", "Note"), "Agency referrals"
        )
        r.addWidget(self.referrals)
        row = QHBoxLayout()
        add = QPushButton("Refer to an &agency…")
        add.clicked.connect(lambda: AgencyReferralDialog(self, self.ctx).exec())
        row.addWidget(add)
        row.addStretch(1)
        r.addLayout(row)
        layout.addWidget(referrals)
        meetings = QGroupBox("Multi-agency meetings")
        m = QVBoxLayout(meetings)
        self.meetings = SmallTable(("Held on", "Attendees", "Actions"), "Multi-agency meetings")
        m.addWidget(self.meetings)
        row = QHBoxLayout()
        add_meeting = QPushButton("Record a &meeting…")
        add_meeting.clicked.connect(lambda: MeetingDialog(self, self.ctx).exec())
        row.addWidget(add_meeting)
        row.addStretch(1)
        m.addLayout(row)
        layout.addWidget(meetings)

    def show_case(self, detail: CaseDetail) -> None:
        self.referrals.set_rows(
            [
                (
                    a.id,
                    (
                        format_date(a.referred_on),
                        vocab.label_of(vocab.PARTNER_AGENCIES, a.agency),
                        a.contact,
                        a.reference,
                        a.note,
                    ),
                )
                for a in detail.agency_referrals
            ]
        )
        self.meetings.set_rows(
            [(m.id, (format_date(m.held_on), m.attendees, m.actions)) for m in detail.meetings]
        )
        width = self.fontMetrics().averageCharWidth()
        self.referrals.setColumnWidth(1, width * 34)
        self.meetings.setColumnWidth(1, width * 40)
