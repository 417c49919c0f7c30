"""A school's return in the desktop import: opened as a return, each row's proposal shown,
the rows the officer leaves ticked carried out (Space unticks), the dialog on a laptop."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from cme_desktop.services.cases.detail import CaseDraft
from cme_desktop.services.importing import school_returns
from cme_desktop.services.importing.school_returns_csv import read_school_returns
from cme_desktop.services.registry import AppServices
from cme_desktop.services.vault.database import Database
from cme_desktop.services.vault.unlock import Vault
from cme_desktop.ui.importing import school_returns_review
from cme_desktop.ui.importing.run import open_data
from cme_desktop.ui.importing.school_returns_review import SchoolReturnsReview

SAMPLE = Path(__file__).parents[1] / "fixtures" / "school_returns" / "returns-2026-11.csv"


@pytest.fixture
def vault(copied_vault: Vault) -> Vault:
    return copied_vault


@pytest.fixture
def services(vault: Vault, db: Database) -> AppServices:
    services = AppServices(vault, db)
    services.cases.create(
        draft=CaseDraft(full_name="Amira Khan", date_of_birth=date(2013, 3, 30)),
        today=date(2026, 10, 1),
    )
    return services


def test_a_csv_with_a_ground_column_opens_as_a_school_return() -> None:
    opened = open_data(SAMPLE.name, SAMPLE.read_bytes())
    assert opened.report is None and opened.returns is not None
    assert [r.full_name for r in opened.returns][:2] == ["Ellis Marchbank", "Tobias Pennywhistle"]


def test_the_review_ticks_what_would_change_a_case_and_space_unticks(
    qtbot: Any, services: AppServices
) -> None:
    rows = read_school_returns(SAMPLE.read_bytes(), today=date(2026, 11, 20))
    assert rows is not None
    proposals = school_returns.plan(services.db, rows)
    dialog = SchoolReturnsReview(None, SAMPLE.name, proposals)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.width() <= 1366 and dialog.height() <= 768
    assert dialog.confirmed() == {2, 3, 5}  # open, open, close; not the death or the bad row
    assert dialog.focusWidget() is dialog.table
    dialog.table.setCurrentCell(3, 2)  # Amira's row, on her name
    qtbot.keyClick(dialog.table, Qt.Key.Key_Space)
    assert dialog.confirmed() == {2, 3}
    dialog.table.setCurrentCell(2, 4)  # the death: nothing to tick
    qtbot.keyClick(dialog.table, Qt.Key.Key_Space)
    assert dialog.confirmed() == {2, 3}
    assert "close CME-000001 as on roll at Larkrise Academy" in dialog.table.item(3, 4).text()


def test_review_carries_out_the_ticked_rows(
    qtbot: Any, services: AppServices, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = read_school_returns(SAMPLE.read_bytes(), today=date(2026, 11, 20))
    assert rows is not None

    def officer_unticks_amira(dialog: SchoolReturnsReview) -> int:
        dialog.toggle(3)
        return QDialog.DialogCode.Accepted.value

    monkeypatch.setattr(SchoolReturnsReview, "exec", officer_unticks_amira)
    told: list[tuple[list[int], str]] = []
    finished: list[bool] = []
    school_returns_review.review(
        None,
        services,
        SAMPLE.name,
        rows,
        run=lambda work, done: done(work()),
        saved=lambda ids, text: told.append((ids, text)),
        after=lambda: finished.append(True),
    )
    assert finished == [True]
    [(case_ids, text)] = told
    assert len(case_ids) == 2 and text == f"2 row(s) of {SAMPLE.name} done."
    names = {r.full_name: r.status for r in services.case_list.rows(case_ids + [1]).values()}
    assert names == {"Ellis Marchbank": "open", "Tobias Pennywhistle": "open", "Amira Khan": "open"}
