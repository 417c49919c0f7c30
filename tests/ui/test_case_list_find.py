"""Finding cases in the list window: by date of birth and postcode as typed, and a quick
filter that hides every match says so, with a key press to show them."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from cme_desktop.ui.case_list.table import COL_NAME
from cme_desktop.ui.main_window import MainWindow
from tests.support.main_window import KNOWN_NAME


def _names(window: MainWindow) -> list[str]:
    model = window.desk.case_list.model
    return [str(model.index(r, COL_NAME).data()) for r in range(model.rowCount())]


def _type_search(qtbot: Any, window: MainWindow, text: str) -> None:
    panel = window.desk.case_list
    window.find_action.trigger()
    assert panel.search.hasFocus()
    qtbot.keyClicks(panel.search, text)
    panel.apply_filters()


def test_a_typed_date_of_birth_finds_the_child(qtbot: Any, window: MainWindow) -> None:
    for typed in ("04/03/2015", "4/3/15", "2015-03-04"):
        _type_search(qtbot, window, typed)
        assert KNOWN_NAME in _names(window), typed


def test_a_typed_postcode_finds_the_child(qtbot: Any, window: MainWindow) -> None:
    for typed in ("tt11tt", "TT1 1TT", "tt1"):
        _type_search(qtbot, window, typed)
        assert _names(window) == [KNOWN_NAME], typed


def test_a_quick_filter_never_hides_matches_silently(qtbot: Any, window: MainWindow) -> None:
    panel = window.desk.case_list
    qtbot.mouseClick(panel.quick_buttons["closed"], Qt.MouseButton.LeftButton)
    _type_search(qtbot, window, "Quartermain")
    assert panel.model.rowCount() == 0
    assert panel.count.text() == "0 of 1 shown — Closed is on"
    assert not panel.show_hidden.isHidden()
    assert panel.show_hidden.accessibleName()

    # Enter in the search box goes to the way out; Space on it shows the match.
    panel.search.setFocus()
    qtbot.keyClick(panel.search, Qt.Key.Key_Return)
    assert panel.show_hidden.hasFocus()
    qtbot.keyClick(panel.show_hidden, Qt.Key.Key_Space)
    assert panel.quick_buttons["all"].isChecked()
    assert _names(window) == [KNOWN_NAME]
    assert panel.count.text() == "Showing 1 case"
    assert panel.show_hidden.isHidden()


def test_no_hint_when_nothing_matches_at_all(qtbot: Any, window: MainWindow) -> None:
    panel = window.desk.case_list
    qtbot.mouseClick(panel.quick_buttons["closed"], Qt.MouseButton.LeftButton)
    _type_search(qtbot, window, "Nobodyhasthisname")
    assert panel.count.text() == "Showing 0 cases"
    assert panel.show_hidden.isHidden()


def test_the_way_out_is_reached_with_tab(qtbot: Any, window: MainWindow) -> None:
    panel = window.desk.case_list
    qtbot.mouseClick(panel.quick_buttons["closed"], Qt.MouseButton.LeftButton)
    _type_search(qtbot, window, "Quartermain")
    panel.quick_buttons["closed"].setFocus()
    qtbot.keyClick(panel.quick_buttons["closed"], Qt.Key.Key_Tab)
    assert panel.show_hidden.hasFocus()
