"""The case list: search as you type, quick and step filters, SQL sorting, lazy pages, Enter."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt

from cme_desktop.models.records import surname_of
from cme_desktop.services.cases import case_list
from cme_desktop.services.cases.case_list import CaseList, CaseQuery
from cme_desktop.ui.case_list import table as case_table
from cme_desktop.ui.case_list.table import COL_DOB, COL_NAME, COL_NEXT_TASK, OVERDUE_ROLE
from cme_desktop.ui.main_window import MainWindow
from tests.support.main_window import KNOWN_NAME


def _names(window: MainWindow) -> list[str]:
    model = window.desk.case_list.model
    return [str(model.index(r, COL_NAME).data()) for r in range(model.rowCount())]


def test_search_as_you_type(qtbot: Any, window: MainWindow) -> None:
    panel = window.desk.case_list
    everything = panel.model.rowCount()
    window.find_action.trigger()
    assert panel.search.hasFocus()
    qtbot.keyClicks(panel.search, "Z")
    qtbot.wait(250)
    assert panel.model.rowCount() == everything  # one letter does not search yet
    assert "second letter" in panel.count.text()
    qtbot.keyClicks(panel.search, "ebed")
    qtbot.waitUntil(lambda: panel.model.rowCount() == 1, timeout=2_000)
    assert _names(window) == [KNOWN_NAME]
    assert panel.count.text() == "Showing 1 case"
    # The school and the address are searched too.
    panel.search.setText("Larkrise")
    panel.apply_filters()
    assert _names(window) == [KNOWN_NAME]
    panel.search.setText("TT1")
    panel.apply_filters()
    assert KNOWN_NAME in _names(window)


def test_quick_filters_and_step(qtbot: Any, window: MainWindow) -> None:
    panel = window.desk.case_list
    services = window.services
    assert services is not None
    qtbot.mouseClick(panel.quick_buttons["closed"], Qt.MouseButton.LeftButton)
    closed_ids = panel.model.ids()
    assert closed_ids
    rows = services.case_list.rows(closed_ids)
    assert {r.status for r in rows.values()} == {"closed"}
    assert all("(closed)" in name for name in _names(window))

    qtbot.mouseClick(panel.quick_buttons["overdue"], Qt.MouseButton.LeftButton)
    model = panel.model
    assert model.rowCount() > 0
    assert all(model.index(r, COL_NEXT_TASK).data(OVERDUE_ROLE) for r in range(model.rowCount()))
    assert all("overdue" in model.index(r, COL_NEXT_TASK).data() for r in range(model.rowCount()))

    qtbot.mouseClick(panel.quick_buttons["all"], Qt.MouseButton.LeftButton)
    panel.step.setCurrentIndex(panel.step.findData(1))
    ids = panel.model.ids()
    assert ids == services.case_list.matching_ids(CaseQuery(quick="all", step=1))
    assert {r.current_step for r in services.case_list.rows(ids).values()} == {1}
    assert panel.count.text() == f"Showing {len(ids)} case{'s' if len(ids) != 1 else ''}"


def test_header_click_sorts_in_sql(qtbot: Any, window: MainWindow) -> None:
    panel = window.desk.case_list
    header = panel.table.horizontalHeader()
    header.setSortIndicator(COL_DOB, Qt.SortOrder.DescendingOrder)
    assert panel.model.query.sort == "date_of_birth" and panel.model.query.descending
    services = window.services
    assert services is not None
    rows = services.case_list.rows(panel.model.ids())
    born = [rows[i].date_of_birth for i in panel.model.ids() if rows[i].date_of_birth]
    assert born == sorted(born, reverse=True)
    header.setSortIndicator(COL_NAME, Qt.SortOrder.AscendingOrder)
    # By surname, then the whole name (migration 0006).
    names = [n.lower() for n in _names(window)]
    assert names == sorted(names, key=lambda n: (surname_of(n), n))


def test_rows_arrive_in_bounded_pages(
    qtbot: Any, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(case_table, "PAGE_SIZE", 5)
    monkeypatch.setattr(case_table, "MAX_PAGES", 3)
    panel = window.desk.case_list
    qtbot.mouseClick(panel.quick_buttons["all"], Qt.MouseButton.LeftButton)
    model = panel.model
    before = model.pages_fetched
    for row in range(model.rowCount()):
        assert model.index(row, COL_NAME).data()
    assert model.pages_fetched - before >= model.rowCount() // 5
    assert model.cached_pages() <= 3


class _Spy:
    """The vault's case list, noting what the table asks of it."""

    def __init__(self, source: CaseList) -> None:
        self.source = source
        self.calls: list[tuple[str, Any]] = []

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.source, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls.append((name, kwargs.get("offset")))
            return method(*args, **kwargs)

        return call


def test_the_table_asks_for_a_count_and_pages_never_every_id(
    qtbot: Any, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(case_table, "PAGE_SIZE", 7)
    panel = window.desk.case_list
    services = window.services
    assert services is not None
    spy = _Spy(services.case_list)
    panel.model.attach(spy)  # type: ignore[arg-type]
    qtbot.mouseClick(panel.quick_buttons["all"], Qt.MouseButton.LeftButton)
    names = _names(window)
    expected = services.case_list.matching_ids(CaseQuery(quick="all"))
    assert [panel.model.case_id(r) for r in range(panel.model.rowCount())] == expected
    asked = [name for name, _ in spy.calls]
    assert "matching_ids" not in asked and "rows" not in asked
    assert asked.count("start") == 1, "the count and the first page, together"
    offsets = [offset for name, offset in spy.calls if name == "page"]
    assert set(offsets) == set(range(7, len(expected), 7)), "whole pages, each of them once"
    assert len(names) == len(expected) == services.case_list.count(CaseQuery(quick="all"))


def test_the_selected_case_stays_selected_after_a_refresh(
    qtbot: Any, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(case_table, "PAGE_SIZE", 4)
    panel = window.desk.case_list
    qtbot.mouseClick(panel.quick_buttons["all"], Qt.MouseButton.LeftButton)
    deep = panel.model.rowCount() - 2  # beyond the first pages
    case_id = panel.model.case_id(deep)
    panel.table.select_case(case_id)
    panel.refresh()  # the pages are read again
    assert panel.table.current_case_id() == case_id
    assert panel.table.current_row() == deep
    qtbot.mouseClick(panel.quick_buttons["open"], Qt.MouseButton.LeftButton)
    position = panel.model.row_of(case_id) if case_id is not None else None
    if position is None:
        assert panel.table.current_row() == 0, "a case the filter leaves out: the first row"
    else:
        assert panel.table.current_case_id() == case_id


def test_another_filter_keeps_the_selected_case_without_reading_its_old_page(
    qtbot: Any, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The row the case held in the last list says nothing of this one: the case is looked
    for by its place in the new list, not by reading the new list's page at its old row."""
    monkeypatch.setattr(case_table, "PAGE_SIZE", 4)
    panel = window.desk.case_list
    services = window.services
    assert services is not None
    open_count = services.case_list.count(CaseQuery(quick="open"))
    qtbot.mouseClick(panel.quick_buttons["all"], Qt.MouseButton.LeftButton)
    rows = services.case_list.rows(panel.model.ids())
    # An open case past the first pages, at a row the open cases' list has too.
    deep = next(r for r in range(8, open_count) if rows[panel.model.ids()[r]].status == "open")
    case_id = panel.model.case_id(deep)
    panel.table.select_case(case_id)
    assert panel.table.current_row() == deep
    spy = _Spy(services.case_list)
    panel.model.attach(spy)  # type: ignore[arg-type]
    qtbot.mouseClick(panel.quick_buttons["open"], Qt.MouseButton.LeftButton)
    assert panel.table.current_case_id() == case_id, "still in the list: still selected"
    new_row = panel.table.current_row()
    assert new_row is not None
    if new_row // 4 != deep // 4:  # (the page it is on now is read to show it, of course)
        since = spy.calls[spy.calls.index(("start", None)) :]  # the new list's reads
        assert ("page", (deep // 4) * 4) not in since, "the page at its old row was read"
    assert "position" in [name for name, _ in spy.calls]


def test_enter_opens_the_selected_case(qtbot: Any, window: MainWindow) -> None:
    panel = window.desk.case_list
    panel.search.setText("Zebedee")
    panel.apply_filters()
    panel.table.setFocus()
    panel.table.select_case(panel.model.case_id(0))
    qtbot.keyClick(panel.table, Qt.Key.Key_Return)
    workspace = window.desk.current_workspace()
    assert workspace is not None and workspace.detail is not None
    assert workspace.detail.full_name == KNOWN_NAME
    # Opening it again brings the same tab forward instead of a second one.
    window.desk.show_cases()
    qtbot.keyClick(panel.table, Qt.Key.Key_Return)
    assert len(window.desk.workspaces()) == 1
    window.close_tab_action.trigger()
    assert window.desk.workspaces() == []


def test_dashboard_opens_tasks_and_filters_by_step(qtbot: Any, window: MainWindow) -> None:
    window.dashboard_action.trigger()
    dashboard = window.desk.dashboard
    assert dashboard.data is not None
    assert dashboard.tasks.rowCount() == len(dashboard.data.due_tasks)
    assert dashboard.tasks.rowCount() > 0  # the demo data always has overdue tasks
    # The figure counts as the list's "Overdue tasks" filter does, not the tasks listed.
    services = window.services
    assert services is not None
    overdue = services.case_list.count(CaseQuery(quick="overdue"))
    assert dashboard.overdue_count.text() == f"{overdue:,}"
    assert dashboard.due_today_count.text() == f"{dashboard.data.due_today_total:,}"
    dashboard.tasks.setCurrentCell(0, 0)
    qtbot.keyClick(dashboard.tasks, Qt.Key.Key_Return)
    workspace = window.desk.current_workspace()
    assert workspace is not None
    assert workspace.case_id == dashboard.data.due_tasks[0].case_id
    qtbot.mouseClick(dashboard.step_buttons[2], Qt.MouseButton.LeftButton)
    panel = window.desk.case_list
    assert window.desk.currentWidget() is panel
    assert panel.current_query().step == 3 and panel.current_query().quick == "open"


def test_several_cases_can_be_chosen_for_a_day_of_visits(qtbot: Any, window: MainWindow) -> None:
    """A day's visits: the rows selected in the list, in the list's order, go to print."""
    from PySide6.QtCore import QItemSelectionModel

    from cme_desktop.ui.visit_sheets import chosen_case_ids

    window.desk.show_cases()
    table = window.desk.case_list.table
    model = table.case_model()
    qtbot.waitUntil(lambda: model.rowCount() > 5, timeout=5000)
    flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
    table.clearSelection()
    for row in (4, 1, 2):
        table.selectionModel().select(model.index(row, 0), flags)
    assert chosen_case_ids(window) == [model.case_id(1), model.case_id(2), model.case_id(4)]


def test_the_dashboard_says_when_its_lists_leave_tasks_out(
    qtbot: Any, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    window.dashboard_action.trigger()
    dashboard = window.desk.dashboard
    assert dashboard.data is not None and not dashboard.data.cut
    assert dashboard.cut_note.isHidden(), "every task is listed: nothing to say"
    monkeypatch.setattr(case_list, "DASHBOARD_TASKS", 2)
    dashboard.mark_stale()  # read again now, as it is shown
    data = dashboard.data
    assert data is not None and data.cut
    assert dashboard.tasks.rowCount() == len(data.due_tasks) <= 4
    assert not dashboard.cut_note.isHidden()
    note = dashboard.cut_note.text()
    assert f"Showing the 2 most overdue of {data.overdue_total:,} overdue tasks" in note
    assert "Overdue tasks" in note
    window.lock()
    assert dashboard.cut_note.text() == "" and dashboard.cut_note.isHidden()


def test_the_dashboard_shows_an_overdue_task_s_due_date_whole(window: MainWindow) -> None:
    """ "16 Nov 2026 – overdue", in bold, is not cut short ("16 Nov 2026 – …")."""
    from PySide6.QtGui import QFont, QFontMetrics

    window.dashboard_action.trigger()
    table = window.desk.dashboard.tasks
    model = table.tasks
    overdue = [
        model.index(row, 0)
        for row in range(model.rowCount())
        if str(model.data(model.index(row, 0))).endswith("overdue")
    ]
    assert overdue, "the demo data always has overdue tasks"
    font = model.data(overdue[0], Qt.ItemDataRole.FontRole)
    assert isinstance(font, QFont) and font.bold()
    widest = max(QFontMetrics(font).horizontalAdvance(str(model.data(i))) for i in overdue)
    assert table.columnWidth(0) > widest
