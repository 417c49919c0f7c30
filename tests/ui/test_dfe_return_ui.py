"""The DfE return in the Reports window (the cases that block it, opened from the list) and
the return's fields in the case details form."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QComboBox

from cme_desktop.models.records import Case
from cme_desktop.services.registry import AppServices
from cme_desktop.services.reports.dfe_csv import COLUMNS, validate_return_csv
from cme_desktop.services.settings import Settings, SettingsService
from cme_desktop.services.vault.database import Database
from cme_desktop.services.vault.unlock import Vault
from cme_desktop.ui import background, prompts
from cme_desktop.ui.reports import dialog as reports
from cme_desktop.ui.workspace.details import DetailsForm
from tests.support.main_window import Prompts
from tests.support.visit_cases import seeded_faker

FAKE = seeded_faker(2611)
COMPLETE, NO_SEX = FAKE.name(), FAKE.name()


def _case(case_id: int, name: str, **kw: object) -> Case:
    values: dict[str, object] = {
        "id": case_id,
        "full_name": name,
        "notified_on": date(2026, 6, 1),
        "opened_on": date(2026, 6, 1),
        "status": "open",
        "date_of_birth": date(2015, 3, 15),
        "sex": "female",
        "dfe_reason": "APP",
        "cme_confirmed_on": date(2026, 6, 10),
        "identification_route": "notification",
    }
    values.update(kw)
    return Case(**values)


@pytest.fixture
def services(vault: Vault, db: Database) -> AppServices:
    SettingsService(db).save(
        Settings(officer_name="Test Officer", authority_name="Testshire", la_number="855")
    )
    with db.write() as s:
        s.add_all([_case(1, COMPLETE), _case(2, NO_SEX, sex="")])
    return AppServices(vault, db)


def _make(qtbot: Any, page: reports.ReportPage) -> None:
    page.made = None
    page.make_button.click()
    qtbot.waitUntil(lambda: page.made is not None, timeout=20_000)
    background.wait_for_all()


def test_the_blocking_cases_are_listed_and_open_from_the_list(
    qtbot: Any,
    services: AppServices,
    asked: Prompts,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    opened: list[int] = []
    dialog = reports.open_reports(None, services, opened.append)
    qtbot.addWidget(dialog)
    dialog.census.setDate(QDate(2026, 10, 1))
    page = dialog.dfe
    _make(qtbot, page)
    assert not page.blocked.isHidden()
    assert page.blockers.count() == 1
    assert page.blockers.item(0).text() == f"CME-000002 {NO_SEX}: no sex recorded"
    assert not page.save_csv_button.isEnabled() and page.save_pdf_button.isEnabled()
    assert "not ready" in page.status.text()

    page.blockers.setFocus()
    qtbot.keyClick(page.blockers, Qt.Key.Key_Return)
    assert opened == [2]
    rect = page.blockers.visualItemRect(page.blockers.item(0))
    qtbot.mouseClick(page.blockers.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(page.blockers.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert opened == [2, 2]

    # The officer records the sex; making the return again lets the CSV be saved.
    with services.db.write() as s:
        case = s.get(Case, 2)
        assert case is not None
        case.sex = "male"
    _make(qtbot, page)
    assert page.blocked.isHidden() and page.save_csv_button.isEnabled()
    monkeypatch.setattr(prompts, "save_file", lambda *_a, **_k: tmp_path / "dfe.csv")
    page.save_csv_button.click()
    text = (tmp_path / "dfe.csv").read_text("utf-8-sig")
    assert text.startswith(",".join(COLUMNS)) and validate_return_csv(text) == []
    assert "CME,855,2026-10-01,Total,TOTAL,Total,2" in text


def test_the_census_day_proposed_is_a_school_census_thursday(
    qtbot: Any, services: AppServices, asked: Prompts
) -> None:
    dialog = reports.open_reports(None, services)
    qtbot.addWidget(dialog)
    day = dialog.census.date().toPython()
    assert isinstance(day, date) and day.weekday() == 3 and day.month in (1, 5, 10)


def test_the_details_form_keeps_the_return_fields(qtbot: Any) -> None:
    form = DetailsForm(today=date(2026, 10, 1))
    qtbot.addWidget(form)
    form.clear()
    box = form.dfe_box
    gender = form.widgets["gender"]
    assert isinstance(gender, QComboBox)
    gender.setEditable(True)
    gender.setEditText("M / F")
    assert "M / F" in box.sex_note.text() and "choose the sex" in box.sex_note.text()
    box.sex.setCurrentIndex(box.sex.findData("not_known"))
    assert "read as not known: check it" in box.sex_note.text()

    reason_missing = form.widgets["reason_missing"]
    assert isinstance(reason_missing, QComboBox)
    reason_missing.setCurrentIndex(reason_missing.findData("failed_transition"))
    form.group_boxes["refugee_families"].setChecked(True)
    box.propose_button.click()
    assert box.reason.currentData() == "MCO"
    box.confirmed.setText("01/09/2026")
    form.widgets["full_name"].setText(COMPLETE)  # type: ignore[attr-defined]
    draft = form.draft()
    assert (draft.sex, draft.dfe_reason, draft.cme_confirmed_on) == (
        "not_known",
        "MCO",
        date(2026, 9, 1),
    )
    # Reachable by keyboard: each field has a label whose Alt+letter gives it the focus.
    for widget in (box.sex, box.confirmed, box.reason):
        assert widget.accessibleName()


def test_without_an_la_number_the_csv_waits_and_says_why(
    qtbot: Any, services: AppServices, asked: Prompts
) -> None:
    SettingsService(services.db).save(Settings(officer_name="Test Officer", la_number=""))
    with services.db.write() as s:
        case = s.get(Case, 2)
        assert case is not None
        case.sex = "male"
    dialog = reports.open_reports(None, services)
    qtbot.addWidget(dialog)
    dialog.census.setDate(QDate(2026, 10, 1))
    _make(qtbot, dialog.dfe)
    assert dialog.dfe.blocked.isHidden() and not dialog.dfe.save_csv_button.isEnabled()
    assert "LA number" in dialog.dfe.status.text()
