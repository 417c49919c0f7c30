"""Every screen of the application, built one at a time for the accessibility tests.

``every_screen(qtbot, window, tmp_path)`` yields ``(name, widget)`` for each screen
shown on the unlocked test window: the case list and dashboard, a case with each of
its sections, every dialog a case offers, the referral editors, the escalation
wizard's pages, the export, visit sheet, reports, settings, import review and
password dialogs, and the progress window. ``gate_screens`` gives the two screens
seen before a vault is open (the first run and the unlock screen). Each screen is
closed before the next is built, so a test sees one top-level widget at a time.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QApplication, QDialog, QWidget, QWizard

from cme_desktop.services.cases.case_list import CaseQuery
from cme_desktop.services.cases.retention import DueCase
from cme_desktop.services.importing.result import ParsedReferral
from cme_desktop.services.vault.unlock import Vault
from cme_desktop.ui import background, data_protection, export_dialog, visit_sheets
from cme_desktop.ui.close_case import CloseCaseDialog
from cme_desktop.ui.dialogs import NewCaseDialog
from cme_desktop.ui.escalation_wizard import EscalationWizard
from cme_desktop.ui.export_dialog import ExportDialog
from cme_desktop.ui.importing.review import ImportReview
from cme_desktop.ui.main_window import MainWindow
from cme_desktop.ui.password_shown_once import PasswordShownOnce
from cme_desktop.ui.referral import page as referrals
from cme_desktop.ui.referral.new_case import NewCaseFromReferralDialog
from cme_desktop.ui.referral.page import ReferralDialog
from cme_desktop.ui.reports import dialog as reports
from cme_desktop.ui.reports.dfe_codes_dialog import DfeCodesDialog
from cme_desktop.ui.reports.dialog import ReportsDialog
from cme_desktop.ui.retention import EraseDialog, KeepLongerDialog, RetentionWindow
from cme_desktop.ui.settings_dialog import ChangePassphraseDialog, SettingsDialog
from cme_desktop.ui.visit_sheets import VisitOrderDialog
from cme_desktop.ui.workspace.agencies import AgencyReferralDialog, MeetingDialog
from cme_desktop.ui.workspace.people import AddressDialog, CarerDialog
from cme_desktop.ui.workspace.steps import StepDialog
from cme_desktop.ui.workspace.tasks import TaskDialog
from cme_desktop.ui.workspace.timeline import EntryDialog, VisitDialog
from cme_desktop.ui.workspace.workspace import CaseWorkspace
from tests.support.credentials import FAST_SCRYPT
from tests.support.fixtures_docx import filled_referral
from tests.support.main_window import KNOWN_NAME, make_window

Screen = tuple[str, QWidget]


def settle() -> None:
    """Let layouts and lazily built sections catch up with what was shown."""
    for _ in range(3):
        QApplication.processEvents()


def _shown(widget: QWidget) -> QWidget:
    widget.show()
    widget.activateWindow()
    settle()
    return widget


def _closed(widget: QWidget) -> None:
    if isinstance(widget, QDialog):
        widget.done(QDialog.DialogCode.Rejected)
    widget.close()
    widget.deleteLater()
    settle()


def gate_screens(qtbot: Any, tmp_path: Path) -> Iterator[Screen]:
    """The first-run screen (both its pages) and the unlock screen (both its pages)."""
    window = make_window(Vault(tmp_path / "first" / "cases.cme", scrypt=FAST_SCRYPT))
    qtbot.addWidget(window)
    window.resize(1280, 760)
    _shown(window)
    gate = window.gate
    assert gate is not None
    yield "first run", window
    gate.recovery.show_key("ABCD-EFGH-IJKL-MNOP-QRST-UVWX-YZ23-4567")  # type: ignore[union-attr]
    gate.stack.setCurrentWidget(gate.recovery)  # type: ignore[union-attr]
    settle()
    yield "first run: recovery key", window
    window.close()


def unlock_screens(window: MainWindow) -> Iterator[Screen]:
    """The unlock screen of a locked window: the passphrase, then the recovery key."""
    gate = window.gate
    assert gate is not None
    settle()
    yield "unlock", window
    gate.show_recovery()  # type: ignore[union-attr]
    settle()
    yield "unlock: recovery key", window
    gate.stack.setCurrentIndex(0)  # type: ignore[union-attr]


def known_case(window: MainWindow) -> int:
    assert window.services is not None
    query = CaseQuery(search=KNOWN_NAME, quick="all")
    (case_id,) = window.services.case_list.matching_ids(query)
    return case_id


def _install_features(window: MainWindow) -> None:
    referrals.install(window)
    export_dialog.install(window)
    visit_sheets.install(window)
    reports.install(window)
    data_protection.install(window)


def every_screen(window: MainWindow, tmp_path: Path) -> Iterator[Screen]:
    """Each screen of the unlocked ``window``, shown in turn (see the module's docstring)."""
    services = window.services
    assert services is not None
    _install_features(window)
    desk = window.desk
    desk.setCurrentIndex(0)
    settle()
    yield "case list", window
    desk.show_dashboard()
    settle()
    yield "dashboard", window
    case_id = known_case(window)
    workspace = desk.open_case(case_id)
    assert isinstance(workspace, CaseWorkspace)
    settle()
    sections = workspace.sections
    for index in range(sections.count()):
        sections.setCurrentIndex(index)
        settle()
        yield f"case: {sections.tabText(index).replace('&&', '+').replace('&', '')}", window
    yield from _case_dialogs(window, workspace)
    yield from _dialogs(window, tmp_path, case_id)


def _case_dialogs(window: MainWindow, workspace: CaseWorkspace) -> Iterator[Screen]:
    ctx = workspace.ctx
    services = ctx.services
    detail = services.cases.get(ctx.case_id)
    made: list[tuple[str, QWidget]] = [
        ("new case", NewCaseDialog(window, services, window.changes)),
        ("close the case", CloseCaseDialog(window, ctx)),
        ("timeline entry", EntryDialog(window, ctx)),
        ("home visit", VisitDialog(window, ctx)),
        ("task", TaskDialog(window, ctx)),
        ("address", AddressDialog(window, ctx)),
        ("parent or carer", CarerDialog(window, ctx, None)),
        ("agency referral", AgencyReferralDialog(window, ctx)),
        ("multi-agency meeting", MeetingDialog(window, ctx)),
        ("tracking step", StepDialog(window, ctx, detail.steps[0])),
    ]
    for name, dialog in made:
        yield name, _shown(dialog)
        _closed(dialog)


def _parsed_referral() -> ParsedReferral:
    record = filled_referral(5)
    return ParsedReferral(
        referral=record,
        source="referral.docx",
        uncertain=("date_last_attended", "children.0.date_of_birth"),
    )


def _dialogs(window: MainWindow, tmp_path: Path, case_id: int) -> Iterator[Screen]:
    services = window.services
    assert services is not None
    referral = ReferralDialog(services, case_id, window)
    yield "referral editor", _shown(referral)
    referral.page.editor.add_child()
    settle()
    yield "referral editor: second child", referral
    _closed(referral)
    new_case = NewCaseFromReferralDialog(services, parent=window)
    yield "new case from a notification", _shown(new_case)
    _closed(new_case)
    wizard = EscalationWizard(services, case_id, window)
    _shown(wizard)
    for number in wizard.pageIds():
        while wizard.currentId() != number:
            if wizard.currentId() > number or not wizard.validateCurrentPage():
                break
            wizard.next()
            settle()
        if wizard.currentId() == number:
            yield f"escalation wizard: {wizard.currentPage().title()}", wizard
    wizard.button(QWizard.WizardButton.CancelButton).click()
    _closed(wizard)
    export = ExportDialog(services, case_id, parent=window)
    yield "export", _shown(export)
    _closed(export)
    visits = VisitOrderDialog([(case_id, "CME-1 First"), (case_id + 1, "CME-2 Second")], window)
    yield "visit sheets", _shown(visits)
    _closed(visits)
    report = ReportsDialog(services, window)
    _shown(report)
    for index in range(report.tabs.count()):
        report.tabs.setCurrentIndex(index)
        settle()
        yield f"reports: {report.tabs.tabText(index)}", report
    _closed(report)
    settings = SettingsDialog(window, services, window.changes)
    _shown(settings)
    for index in range(settings.tabs.count()):
        settings.tabs.setCurrentIndex(index)
        settle()
        yield f"settings: {settings.tabs.tabText(index).replace('&', '')}", settings
    _closed(settings)
    passphrase = ChangePassphraseDialog(window, services)
    yield "change the passphrase", _shown(passphrase)
    _closed(passphrase)
    codes = DfeCodesDialog(window, services.db)
    _shown(codes)
    for index in range(codes.tabs.count()):
        codes.tabs.setCurrentIndex(index)
        settle()
        yield f"DfE return codes: {codes.tabs.tabText(index).replace('&', '')}", codes
    _closed(codes)
    retention = RetentionWindow(window, services, lambda _case_id: None)
    yield "retention review", _shown(retention)
    _closed(retention)
    erase = EraseDialog(window, case_id, KNOWN_NAME)
    yield "erase a case", _shown(erase)
    _closed(erase)
    due = DueCase(case_id, KNOWN_NAME, None, date(2016, 3, 1), "ehe", date(2023, 3, 1), "")
    keep = KeepLongerDialog(window, due, date(2026, 3, 2))
    yield "keep a case longer", _shown(keep)
    _closed(keep)
    review = ImportReview(window, services, _parsed_referral(), today=date(2026, 3, 2))
    yield "import review", _shown(review)
    _closed(review)
    shown_once = PasswordShownOnce("Meadow-Kettle-29", file_name="referral.pdf", parent=window)
    yield "password shown once", _shown(shown_once)
    _closed(shown_once)
    progress = background.Progress("Reading the files…", cancellable=True, parent=window)
    shown = background.ProgressDialog(window, "Import referrals", progress, delay_ms=0)
    progress.report(2, 5, "Reading 3 of 5: referral.docx")
    settle()
    yield "progress", _shown(shown)
    progress.end()
    settle()
