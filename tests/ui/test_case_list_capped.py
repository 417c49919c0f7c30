"""A search that finds more cases than the list counts: "N+ cases found", and the rest
counted and shown once the officer scrolls to the end of the list."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt

from cme_desktop.services.cases.case_list import CaseQuery
from cme_desktop.ui.case_list import table as case_table
from cme_desktop.ui.case_list.table import COL_NAME
from cme_desktop.ui.main_window import MainWindow

CAP = 6
#: A word in many of the demo cases' addresses or schools.
COMMON = "Primary"


def test_a_search_past_the_cap_says_so_and_counts_all_at_the_end(
    qtbot: Any, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(case_table, "COUNT_CAP", CAP)
    monkeypatch.setattr(case_table, "PAGE_SIZE", 4)
    panel = window.desk.case_list
    services = window.services
    assert services is not None
    expected = services.case_list.matching_ids(CaseQuery(search=COMMON, quick="open"))
    assert len(expected) > CAP, "the demo vault must have more matches than the cap"
    window.find_action.trigger()
    qtbot.keyClicks(panel.search, COMMON)
    qtbot.keyClick(panel.search, Qt.Key.Key_Return)
    model = panel.model
    assert model.capped and model.rowCount() == CAP
    assert panel.count.text().startswith(f"{CAP}+ cases found")
    assert f"More than {CAP} cases match" in panel.count.accessibleDescription()
    assert f"More than {CAP} cases match" in panel.count.toolTip()
    # The rows held are the first of the exact list, in its order.
    assert [model.case_id(r) for r in range(CAP)] == expected[:CAP]

    # The officer goes to the end of the list by keyboard: every match is then counted.
    panel.table.setFocus()
    qtbot.keyClick(panel.table, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: not model.capped, timeout=2_000)
    assert model.rowCount() == len(expected)
    assert [model.case_id(r) for r in range(model.rowCount())] == expected
    assert panel.count.text() == f"Showing {len(expected)} cases"
    assert panel.count.accessibleDescription() == ""


def test_a_case_past_the_cap_is_found_and_selected(
    qtbot: Any, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(case_table, "COUNT_CAP", CAP)
    panel = window.desk.case_list
    services = window.services
    assert services is not None
    expected = services.case_list.matching_ids(CaseQuery(search=COMMON, quick="open"))
    panel.search.setText(COMMON)
    panel.apply_filters()
    assert panel.model.capped
    last = expected[-1]
    panel.table.select_case(last)
    assert not panel.model.capped and panel.model.rowCount() == len(expected)
    assert panel.table.current_case_id() == last
    assert panel.table.currentIndex().column() == COL_NAME
