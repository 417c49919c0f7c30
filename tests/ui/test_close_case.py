"""The Close case dialog shows the fields the chosen outcome needs, by keyboard, and closes
only once they are given; the enquiries already recorded are filled in."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from PySide6.QtCore import Qt

from cme_desktop.models.closure_terms import UNTRACEABLE_ENQUIRIES
from cme_desktop.services.cases.closing import PER_CHILD_OUTCOMES, ChecklistEntry
from cme_desktop.services.cases.closure_records import ClosureRecords
from cme_desktop.ui.case_list.bulk import BulkCloseDialog
from cme_desktop.ui.close_case import CloseCaseDialog
from cme_desktop.ui.main_window import MainWindow
from cme_desktop.ui.workspace.workspace import CaseWorkspace
from tests.support.main_window import KNOWN_NAME, Prompts

WEEK_AGO = date.today() - timedelta(days=7)


def _open_known(window: MainWindow) -> CaseWorkspace:
    panel = window.desk.case_list
    panel.search.setText(KNOWN_NAME)
    panel.apply_filters()
    case_id = panel.model.case_id(0)
    assert case_id is not None
    workspace = window.desk.open_case(case_id)
    assert workspace is not None and workspace.detail is not None
    return workspace


def _shown(dialog: CloseCaseDialog) -> set[str]:
    return {name for name, widget in dialog.rows.items() if widget.isVisibleTo(dialog)}


def test_each_outcome_shows_what_it_needs(qtbot: Any, window: MainWindow, asked: Prompts) -> None:
    workspace = _open_known(window)
    dialog = CloseCaseDialog(workspace, workspace.ctx)
    qtbot.addWidget(dialog)
    dialog.show()
    assert _shown(dialog) == {"school", "school_start"}  # on roll comes first
    assert dialog.focusWidget() is dialog.school
    # Down arrow on the outcome, as an officer moves through the list.
    dialog.outcome.setFocus()
    while dialog.outcome_key() != "moved_out":
        qtbot.keyClick(dialog.outcome, Qt.Key.Key_Down)
    assert _shown(dialog) == {"receiving_authority", "authority_told_on"}
    dialog.outcome.setCurrentIndex(dialog.outcome.findData("over_age"))
    assert _shown(dialog) == {"leaving_date"}
    dialog.outcome.setCurrentIndex(dialog.outcome.findData("ehe"))
    assert _shown(dialog) == set()
    dialog.outcome.setCurrentIndex(dialog.outcome.findData("untraceable"))
    assert _shown(dialog) == {
        *(f"enquiry.{t.key}" for t in UNTRACEABLE_ENQUIRIES),
        "passed_on_to",
        "passed_on_on",
        "passed_on_note",
    }
    assert dialog.width() <= 1366 and dialog.height() <= 768
    dialog.reject()


def test_untraceable_closes_once_every_enquiry_is_given(
    qtbot: Any, window: MainWindow, asked: Prompts
) -> None:
    workspace = _open_known(window)
    services = window.services
    assert services is not None
    records = ClosureRecords(services.db)
    records.save_checklist(
        workspace.case_id, "untraceable", [ChecklistEntry("police", WEEK_AGO, "Not known")]
    )
    dialog = CloseCaseDialog(workspace, workspace.ctx)
    qtbot.addWidget(dialog)
    dialog.outcome.setCurrentIndex(dialog.outcome.findData("untraceable"))
    assert dialog.enquiry_results["police"].text() == "Not known"  # recorded before
    dialog.show()
    assert dialog.focusWidget() is dialog.enquiry_results["school"]  # the first left to do
    dialog.accept()
    [message] = asked.texts("error")
    assert "Last school" in message and "Police" not in message
    assert workspace.detail is not None and workspace.detail.status == "open"

    for term in UNTRACEABLE_ENQUIRIES:
        if term.key != "police":
            dialog.enquiry_dates[term.key].set_value(WEEK_AGO)
            dialog.enquiry_results[term.key].setText(f"{term.label}: nothing known")
    dialog.passed_on_to.setCurrentIndex(dialog.passed_on_to.findData("lost_pupils_database"))
    dialog.passed_on_on.setText(WEEK_AGO.strftime("%d/%m/%Y"))
    dialog.accept()
    assert len(asked.texts("error")) == 1, asked.shown
    assert workspace.detail.status == "closed"
    summary = records.closure(workspace.case_id)
    assert summary is not None and summary.passed_on_to == "lost_pupils_database"


def test_closing_many_offers_only_outcomes_without_details_per_child(qtbot: Any) -> None:
    dialog = BulkCloseDialog(None, 3)
    qtbot.addWidget(dialog)
    keys = {dialog.outcome.itemData(i) for i in range(dialog.outcome.count())}
    assert not keys & PER_CHILD_OUTCOMES
    assert {"ehe", "over_age", "left_country"} <= keys
    assert "one at a time" in dialog.intro.text()
