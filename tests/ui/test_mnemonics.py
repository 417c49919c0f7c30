"""No two controls in sight share an Alt+letter: each screen of the main window (with its
menu bar) and each dialog, tab by tab. A shared letter does nothing useful: Alt+C opened
neither the Case menu nor pressed Continue, it only moved the focus between them."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QGroupBox,
    QLabel,
    QMainWindow,
    QTabBar,
    QTabWidget,
    QWidget,
)

from cme_desktop.services.cases.case_list import CaseQuery
from cme_desktop.services.vault.unlock import Vault
from cme_desktop.ui.desk import CASES_TAB, DASHBOARD_TAB
from cme_desktop.ui.main_window import MainWindow
from cme_desktop.ui.referral import page as referral_page
from cme_desktop.ui.vault.first_run import FirstRunPage
from cme_desktop.ui.vault.unlock import UnlockPage
from tests.support.credentials import FAST_SCRYPT
from tests.support.dialogs import dialog_named, names
from tests.support.main_window import KNOWN_NAME, Prompts, make_window


def clashes(window: QWidget) -> dict[str, list[str]]:
    """The Alt+letters that more than one control in sight of ``window`` answers to."""
    owners: dict[str, list[str]] = defaultdict(list)

    def add(text: str, what: str) -> None:
        key = QKeySequence.mnemonic(text)
        if not key.isEmpty():
            owners[key.toString()].append(f"{what} {text!r}")

    if isinstance(window, QMainWindow) and window.menuBar().isVisible():
        for action in window.menuBar().actions():
            if action.isVisible():
                add(action.text(), "menu")
    for widget in window.findChildren(QWidget):
        if not widget.isVisible() or widget.window() is not window:
            continue
        if isinstance(widget, QAbstractButton):
            add(widget.text(), "button")
        elif isinstance(widget, QLabel) and widget.buddy() is not None:
            add(widget.text(), "label")
        elif isinstance(widget, QGroupBox):
            add(widget.title(), "group")
        elif isinstance(widget, QTabBar):
            for i in range(widget.count()):
                if widget.isTabVisible(i) and widget.isTabEnabled(i):
                    add(widget.tabText(i), "tab")
    return {key: found for key, found in owners.items() if len(found) > 1}


def each_tab(window: QWidget) -> list[str]:
    """Every tab of every tab widget in ``window`` brought to the front in turn: the
    clashes found (tab widgets inside tabs included)."""
    found = []
    seen: set[int] = set()

    def walk() -> None:
        problems = clashes(window)
        if problems:
            found.append(str(problems))
        for tabs in window.findChildren(QTabWidget):
            if id(tabs) in seen or not tabs.isVisible() or tabs.window() is not window:
                continue
            seen.add(id(tabs))
            for index in range(tabs.count()):
                tabs.setCurrentIndex(index)
                QApplication.processEvents()  # a page built when first shown shows its parts
                problems = clashes(window)
                if problems:
                    found.append(f"{tabs.tabText(index)!r}: {problems}")

    walk()
    return found


def _case_id(window: MainWindow) -> int:
    services = window.services
    assert services is not None
    return services.case_list.matching_ids(CaseQuery(search=KNOWN_NAME, quick="all"))[0]


def test_the_scan_finds_a_clash(qtbot: Any) -> None:
    holder = QWidget()
    qtbot.addWidget(holder)
    from PySide6.QtWidgets import QHBoxLayout, QPushButton

    row = QHBoxLayout(holder)
    row.addWidget(QPushButton("&Continue"))
    row.addWidget(QPushButton("&Cancel"))
    row.addWidget(QPushButton("Co&&py"))  # an escaped ampersand is no mnemonic
    holder.show()
    assert list(clashes(holder)) == ["Alt+C"]


def test_the_unlock_screen(qtbot: Any, demo_vault: Vault, asked: Prompts) -> None:
    window = make_window(demo_vault)
    referral_page.install(window)
    qtbot.addWidget(window)
    window.show()
    page = window.gate
    assert isinstance(page, UnlockPage)
    assert clashes(window) == {}, clashes(window)
    page.show_recovery()
    assert clashes(window) == {}, clashes(window)
    window.close()


def test_the_first_run_screens(qtbot: Any, tmp_path: Any, asked: Prompts) -> None:
    window = make_window(Vault(tmp_path / "new.cme", scrypt=FAST_SCRYPT))
    referral_page.install(window)
    qtbot.addWidget(window)
    window.show()
    page = window.gate
    assert isinstance(page, FirstRunPage)
    assert clashes(window) == {}, clashes(window)
    page.recovery.show_key("ABCD-EFGH")
    page.stack.setCurrentWidget(page.recovery)
    assert clashes(window) == {}, clashes(window)
    page.recovery.stored.setChecked(True)
    assert clashes(window) == {}, clashes(window)
    page.stack.setCurrentWidget(page.authority)
    assert clashes(window) == {}, clashes(window)
    page.recovery._key = ""  # nothing to confirm: the window may close
    window.close()


def test_the_case_list_dashboard_and_every_section_of_a_case(
    qtbot: Any, window: MainWindow, asked: Prompts
) -> None:
    referral_page.install(window)
    desk = window.desk
    desk.setCurrentIndex(CASES_TAB)
    assert clashes(window) == {}, clashes(window)
    desk.setCurrentIndex(DASHBOARD_TAB)
    assert clashes(window) == {}, clashes(window)
    workspace = desk.open_case(_case_id(window))
    assert workspace is not None
    found = []
    for index in range(workspace.sections.count()):
        workspace.sections.setCurrentIndex(index)
        QApplication.processEvents()  # a section is built when first shown
        problems = clashes(window)
        if problems:
            found.append(f"{workspace.sections.tabText(index)!r}: {problems}")
    assert found == [], "\n".join(found)


@pytest.mark.parametrize("name", names())
def test_each_dialog_tab_by_tab(qtbot: Any, window: MainWindow, asked: Prompts, name: str) -> None:
    dialog = dialog_named(window, _case_id(window), name)
    qtbot.addWidget(dialog)
    dialog.show()
    QApplication.processEvents()
    found = each_tab(dialog)
    assert found == [], "\n".join(found)
    dialog.done(0)
