"""The case's "School returns" section: the returns listed, and the 20 school days checklist
shown for a deletion on ground 9(1)(i) only, saved by keyboard."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from cme_desktop.models.closure_terms import TWENTY_DAY_CHECKS, UNTRACEABLE_ENQUIRIES
from cme_desktop.services.cases.case_list import CaseQuery
from cme_desktop.services.cases.closing import ChecklistEntry, ClosureDetails
from cme_desktop.services.cases.closure_records import ClosureRecords
from cme_desktop.services.cases.detail import CaseDraft
from cme_desktop.services.importing import school_returns
from cme_desktop.services.importing.school_returns_csv import SchoolReturnRow
from cme_desktop.services.registry import AppServices
from cme_desktop.services.vault.database import Database
from cme_desktop.services.vault.unlock import Vault
from cme_desktop.ui import school_returns_section
from cme_desktop.ui.changes import Changes
from cme_desktop.ui.main_window import MainWindow
from cme_desktop.ui.referral import page as referral_page
from cme_desktop.ui.reports import dialog as reports_dialog
from cme_desktop.ui.school_returns_section import TITLE, SchoolReturnsSection
from cme_desktop.ui.workspace.workspace import CaseWorkspace
from tests.ui.test_mnemonics import clashes


@pytest.fixture
def vault(copied_vault: Vault) -> Vault:
    return copied_vault


@pytest.fixture
def services(vault: Vault, db: Database) -> AppServices:
    return AppServices(vault, db)


def _deleted(services: AppServices, name: str, ground: str) -> int:
    """A case opened by a school's deletion return on ``ground``."""
    forename, surname = name.split()
    row = SchoolReturnRow(
        row=2,
        kind="deletion",
        school="Hollowfield Primary School",
        upn=None,
        surname=surname,
        forenames=forename,
        date_of_birth=date(2015, 5, 22),
        sex="F",
        address="8 Mill Street",
        postcode="LE11 1AA",
        parents="Owen Ashdown",
        parent_phone="",
        ground=ground,
        on=date(2026, 11, 2),
        destination="",
    )
    proposals = school_returns.plan(services.db, [row])
    result = school_returns.apply(
        services.db, proposals, confirmed={2}, source_name="r.csv", today=date(2026, 11, 3)
    )
    case_id = result.proposals[0].case_id
    assert case_id is not None
    return case_id


def _section(qtbot: Any, services: AppServices, case_id: int) -> SchoolReturnsSection:
    workspace = CaseWorkspace(
        services, Changes(), case_id, sections=((TITLE, SchoolReturnsSection),)
    )
    qtbot.addWidget(workspace)
    workspace.load()
    workspace.show()
    index = next(
        i for i in range(workspace.sections.count()) if workspace.sections.tabText(i) == TITLE
    )
    workspace.sections.setCurrentIndex(index)
    found = workspace.findChild(SchoolReturnsSection)
    assert isinstance(found, SchoolReturnsSection)
    return found


def test_the_checklist_is_shown_for_the_twenty_days_ground_and_saved(
    qtbot: Any, services: AppServices
) -> None:
    case_id = _deleted(services, "Freya Ashdown", "i")
    section = _section(qtbot, services, case_id)
    assert "Deleted by Hollowfield Primary School on 2 Nov 2026" in section.returns_label.text()
    assert "9(1)(i) Continuously absent for 20 school days" in section.returns_label.text()
    assert section.checklist.isVisibleTo(section) and not section.hint.isVisibleTo(section)
    first, visit = TWENTY_DAY_CHECKS[0].key, "la_home_visit"
    qtbot.keyClicks(section.dates[first], "20/11/2026")
    qtbot.keyClicks(section.results[first], "Codes N and O since 16 October")
    qtbot.keyClicks(section.dates[visit], "21/11/2026")
    qtbot.keyClicks(section.results[visit], "No reply; neighbours say they left")
    section.save_button.setFocus()
    qtbot.keyClick(section.save_button, Qt.Key.Key_Space)
    saved = {e.item: e for e in ClosureRecords(services.db).checklist(case_id, "twenty_days")}
    assert saved[first].made_on == date(2026, 11, 20)
    assert saved[visit].result == "No reply; neighbours say they left"
    assert saved["joint_conclusion"].made_on is None  # left blank: not recorded


def test_another_ground_shows_no_checklist(qtbot: Any, services: AppServices) -> None:
    case_id = _deleted(services, "Tobias Pennywhistle", "g")
    section = _section(qtbot, services, case_id)
    assert not section.checklist.isVisibleTo(section)
    assert section.hint.isVisibleTo(section)


def test_the_section_is_reached_from_the_tab_bar_by_keyboard(
    qtbot: Any, services: AppServices
) -> None:
    case_id = services.cases.create(draft=CaseDraft(full_name="Leo Grant"))
    workspace = CaseWorkspace(
        services, Changes(), case_id, sections=((TITLE, SchoolReturnsSection),)
    )
    qtbot.addWidget(workspace)
    workspace.load()
    workspace.show()
    bar = workspace.sections.tabBar()
    bar.setFocus()
    for _ in range(workspace.sections.count() - 1):
        qtbot.keyClick(bar, Qt.Key.Key_Right)
    assert workspace.sections.tabText(workspace.sections.currentIndex()) == TITLE


def test_a_case_without_returns_says_so(qtbot: Any, services: AppServices) -> None:
    case_id = services.cases.create(draft=CaseDraft(full_name="Leo Grant"))
    section = _section(qtbot, services, case_id)
    assert section.returns_label.text().startswith("No school has sent")
    assert not section.checklist.isVisibleTo(section)


def test_the_section_shares_no_alt_letter_in_the_window(
    qtbot: Any, window: MainWindow, asked: Any
) -> None:
    # With the menus and sections the application has beside it (Reports, Referrals).
    referral_page.install(window)
    reports_dialog.install(window)
    school_returns_section.install(window)
    services = window.services
    assert services is not None
    case_id = services.case_list.matching_ids(CaseQuery(quick="open"))[0]
    workspace = window.desk.open_case(case_id)
    assert workspace is not None
    titles = [workspace.sections.tabText(i) for i in range(workspace.sections.count())]
    assert _ours(clashes(window)) == []  # beside the first section's fields
    workspace.sections.setCurrentIndex(titles.index(TITLE))
    QApplication.processEvents()
    assert _ours(clashes(window)) == []


def _ours(found: dict[str, list[str]]) -> list[str]:
    """The clashes that involve this section: its tab or a control it shows."""
    mine = ("Pupil returns", "checklist", "passing on", "Passed on", "How:")
    return [key for key, owners in found.items() if any(m in o for o in owners for m in mine)]


def test_a_case_closed_untraceable_is_passed_on_from_the_section(
    qtbot: Any, services: AppServices
) -> None:
    case_id = services.cases.create(draft=CaseDraft(full_name="Leo Grant"), today=date(2026, 3, 1))
    enquiries = tuple(
        ChecklistEntry(t.key, date(2026, 3, 20), "Not known") for t in UNTRACEABLE_ENQUIRIES
    )
    services.cases.close(
        case_id,
        outcome="untraceable",
        on=date(2026, 3, 31),
        details=ClosureDetails(enquiries=enquiries),
    )
    section = _section(qtbot, services, case_id)
    assert section.passed_on.isVisibleTo(section)
    section.passed_on_to.setCurrentIndex(section.passed_on_to.findData("lost_pupils_database"))
    qtbot.keyClicks(section.passed_on_on, "02/04/2026")
    section.passed_on_button.click()
    summary = ClosureRecords(services.db).closure(case_id)
    assert summary is not None
    assert (summary.passed_on_to, summary.passed_on_on) == (
        "lost_pupils_database",
        date(2026, 4, 2),
    )
