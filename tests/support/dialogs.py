"""Every dialog of the window, made for one case, for the tests that walk them all
(they fit small screens, no two controls share an Alt+letter).

``every_dialog(window, case_id)`` yields ``(name, make)`` pairs: ``make()`` builds the
dialog (not shown) with the main window or the case workspace as its parent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QWidget

from cme_desktop.services.cases.case_list import CaseQuery
from cme_desktop.services.importing import school_returns
from cme_desktop.services.importing.result import ParsedReferral
from cme_desktop.services.importing.school_returns_csv import SchoolReturnRow, read_school_returns
from cme_desktop.services.referral.record import empty_referral
from cme_desktop.ui.about import AboutDialog
from cme_desktop.ui.close_case import CloseCaseDialog
from cme_desktop.ui.dialogs import NewCaseDialog
from cme_desktop.ui.escalation_wizard import EscalationWizard
from cme_desktop.ui.export_dialog import ExportDialog
from cme_desktop.ui.importing.review import ImportReview
from cme_desktop.ui.importing.school_returns_review import SchoolReturnsReview
from cme_desktop.ui.main_window import MainWindow
from cme_desktop.ui.password_shown_once import PasswordShownOnce
from cme_desktop.ui.referral.new_case import NewCaseFromReferralDialog
from cme_desktop.ui.referral.page import ReferralDialog
from cme_desktop.ui.reports.dfe_codes_dialog import DfeCodesDialog
from cme_desktop.ui.reports.dialog import ReportsDialog
from cme_desktop.ui.settings_dialog import ChangePassphraseDialog, SettingsDialog
from cme_desktop.ui.visit_sheets import VisitOrderDialog, case_labels
from cme_desktop.ui.workspace.agencies import AgencyReferralDialog, MeetingDialog
from cme_desktop.ui.workspace.people import AddressDialog, CarerDialog
from cme_desktop.ui.workspace.register_tab import EntryDialog as RegisterEntryDialog
from cme_desktop.ui.workspace.register_tab import (
    EventDialog,
    LeaveDialog,
    ParentDialog,
    ProviderDialog,
)
from cme_desktop.ui.workspace.steps import StepDialog
from cme_desktop.ui.workspace.tasks import TaskDialog
from cme_desktop.ui.workspace.timeline import EntryDialog, VisitDialog

Make = Callable[[], QWidget]
#: A school's deletion and new pupil returns, as a school sends them.
RETURNS = Path(__file__).parents[1] / "fixtures" / "school_returns" / "returns-2026-11.csv"


def _untraceable(dialog: CloseCaseDialog) -> CloseCaseDialog:
    """The close dialog at its tallest: the untraceable enquiries shown."""
    dialog.outcome.setCurrentIndex(dialog.outcome.findData("untraceable"))
    return dialog


def _returns() -> list[SchoolReturnRow]:
    rows = read_school_returns(RETURNS.read_bytes())
    assert rows is not None
    return rows


def _parsed(name: str) -> ParsedReferral:
    record = empty_referral()
    record["children"][0]["full_name"] = name
    return ParsedReferral(
        referral=record,
        source="Referral from Larkrise Primary School.docx",
        uncertain=("children.0.date_of_birth", "children.0.child_in_care"),
    )


def every_dialog(window: MainWindow, case_id: int) -> Iterator[tuple[str, Make]]:
    """Each dialog the officer can open, for the case ``case_id`` (opened in a tab)."""
    services = window.services
    assert services is not None
    workspace = window.desk.open_case(case_id)
    assert workspace is not None and workspace.detail is not None
    ctx = workspace.ctx
    detail = workspace.detail
    several = services.case_list.matching_ids(CaseQuery(quick="open"))[:6]
    dialogs: list[tuple[str, Make]] = [
        ("new case", lambda: NewCaseDialog(window, services, window.changes)),
        ("add task", lambda: TaskDialog(workspace, ctx)),
        ("timeline entry", lambda: EntryDialog(workspace, ctx)),
        ("home visit", lambda: VisitDialog(workspace, ctx)),
        ("close case", lambda: CloseCaseDialog(workspace, ctx)),
        ("close case as untraceable", lambda: _untraceable(CloseCaseDialog(workspace, ctx))),
        ("tracking step", lambda: StepDialog(workspace, ctx, detail.steps[0])),
        ("agency referral", lambda: AgencyReferralDialog(workspace, ctx)),
        ("meeting", lambda: MeetingDialog(workspace, ctx)),
        ("address", lambda: AddressDialog(workspace, ctx)),
        ("carer", lambda: CarerDialog(workspace, ctx, None)),
        ("settings", lambda: SettingsDialog(window, services, window.changes)),
        ("change passphrase", lambda: ChangePassphraseDialog(window, services)),
        ("DfE return codes", lambda: DfeCodesDialog(window, services.db)),
        ("export referral", lambda: ExportDialog(services, case_id, parent=window)),
        (
            "visit order",
            lambda: VisitOrderDialog(case_labels(services, [case_id, *several]), window),
        ),
        ("reports", lambda: ReportsDialog(services, window)),
        ("referrals", lambda: ReferralDialog(services, case_id, window)),
        ("new case from a notification", lambda: NewCaseFromReferralDialog(services, window)),
        (
            "import review",
            lambda: ImportReview(window, services, _parsed(detail.full_name), number=1, total=3),
        ),
        ("escalation questions", lambda: EscalationWizard(services, case_id, window)),
        (
            "school return review",
            lambda: SchoolReturnsReview(
                window, RETURNS.name, school_returns.plan(services.db, _returns())
            ),
        ),
        (
            "password shown once",
            lambda: PasswordShownOnce(
                "amber-orbit-velvet-harbour-1987",
                file_name="CME-000123 referral for the Police.pdf",
                parent=window,
            ),
        ),
        ("about", lambda: AboutDialog(window, vault_path=window.vault.path, log=None)),
        (
            "put on the register",
            lambda: RegisterEntryDialog(workspace, workspace.register, put_on=True, record=None),
        ),
        ("register parent", lambda: ParentDialog(workspace, workspace.register)),
        ("register provider", lambda: ProviderDialog(workspace, workspace.register)),
        ("register event", lambda: EventDialog(workspace, workspace.register)),
        (
            "take off the register",
            lambda: LeaveDialog(workspace, workspace.register, to_cme=False),
        ),
    ]
    yield from dialogs


def names() -> list[str]:
    """The dialogs' names, for parametrised tests (the same order as ``every_dialog``)."""
    return [
        "new case",
        "add task",
        "timeline entry",
        "home visit",
        "close case",
        "close case as untraceable",
        "tracking step",
        "agency referral",
        "meeting",
        "address",
        "carer",
        "settings",
        "change passphrase",
        "DfE return codes",
        "export referral",
        "visit order",
        "reports",
        "referrals",
        "new case from a notification",
        "import review",
        "escalation questions",
        "school return review",
        "password shown once",
        "about",
        "put on the register",
        "register parent",
        "register provider",
        "register event",
        "take off the register",
    ]


def dialog_named(window: MainWindow, case_id: int, name: str) -> Any:
    """Build the dialog called ``name`` (see ``names``)."""
    return dict(every_dialog(window, case_id))[name]()
