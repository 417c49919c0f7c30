"""An erased case opens read only, with a banner saying when and why it was erased."""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtWidgets import QLineEdit, QPushButton

from cme_desktop.services.cases.case_list import CaseQuery
from cme_desktop.services.cases.erasure import ErasureService
from cme_desktop.ui.main_window import MainWindow
from tests.support.main_window import KNOWN_NAME, Prompts


def test_an_erased_case_is_shown_read_only(qtbot: Any, window: MainWindow, asked: Prompts) -> None:
    services = window.services
    assert services is not None
    case_id = services.case_list.matching_ids(CaseQuery(search=KNOWN_NAME, quick="all"))[0]
    services.cases.close(case_id, outcome="ehe")
    ErasureService(services.db).erase(
        case_id, confirmation=f"CME-{case_id:06d}", today=date(2100, 1, 4)
    )
    workspace = window.desk.open_case(case_id)
    assert workspace is not None
    assert workspace.erased.isVisibleTo(workspace)
    assert workspace.erased.text() == (
        "This child's personal data was erased on 4 Jan 2100 under the retention rule; the "
        "case keeps only its figures. If the child is missing education again, log a new case."
    )
    assert not workspace.save_button.isVisibleTo(workspace)
    assert not workspace.close_button.isVisibleTo(workspace)
    assert not workspace.reopen_button.isVisibleTo(workspace)
    name = workspace.details.widgets["full_name"]
    assert isinstance(name, QLineEdit) and name.isReadOnly()
    assert not workspace.details.dfe_box.reason.isEnabled()
    # A section built after the case was shown is read only too.
    timeline = workspace.show_section("timeline")
    assert not [b for b in timeline.findChildren(QPushButton) if b.isEnabled()]
    # Saving by keyboard reaches the service, which refuses with the same words.
    name.setReadOnly(False)
    name.setText("Typed back in")
    workspace.save()
    assert asked.texts("error") and "erased on 4 Jan 2100" in asked.texts("error")[-1]
    assert services.cases.get(case_id).full_name == "Erased record"
