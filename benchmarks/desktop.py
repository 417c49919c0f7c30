"""The desktop's speed (issue 3): unlock to list, search keystrokes, filters, scrolling,
opening a case — measured through the real window, offscreen, on a real vault."""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtWidgets import QApplication

from benchmarks.common import Bench, Result
from cme_desktop.app import build_window, make_application
from cme_desktop.services.cases.case_list import CaseQuery
from cme_desktop.services.vault.unlock import Vault
from cme_desktop.ui.case_list import table as case_table
from cme_desktop.ui.main_window import MainWindow
from cme_desktop.ui.vault.unlock import UnlockPage

#: The issue's target for the desktop's whole process (list, search, scroll, open).
MEMORY_TARGET_MB = 300
#: Surnames and places an officer might type, one keystroke at a time.
TYPED = ("Taylor", "Hughes", "Walters", "Academy", "Primary")


def _app() -> QApplication:
    return make_application(["benchmark"])


def _settle(app: QApplication) -> None:
    """Let the window paint (which is when the model fetches the rows it shows)."""
    for _ in range(3):
        app.processEvents()


def _window(bench: Bench) -> MainWindow:
    """One unlocked window per vault size, shared by the measurements after the first."""
    if "window" not in bench.shared:
        app = _app()
        vault = Vault(bench.vault_path)
        window = build_window(vault, idle_lock_ms=24 * 3600 * 1000)
        window.resize(1280, 800)
        window.show()
        _settle(app)
        bench.shared["vault"] = vault
        bench.shared["window"] = window
        bench.shared["app"] = app
    window = bench.shared["window"]
    if window.is_locked():
        _unlock(bench, window)
    return window


def _unlock(bench: Bench, window: MainWindow) -> tuple[float, float]:
    """Unlock: (ms for the key and checks, ms from there until the list is painted)."""
    app = bench.shared["app"]
    vault: Vault = bench.shared["vault"]
    page = window.gate
    assert isinstance(page, UnlockPage)
    started = time.perf_counter()
    db = vault.unlock(bench.passphrase, actor="benchmark")
    opened = time.perf_counter()
    before = window.desk.case_list.model.pages_fetched
    page.unlocked.emit(db)
    _settle(app)
    shown = time.perf_counter()
    assert window.desk.case_list.model.pages_fetched > before, "no rows were fetched"
    return (opened - started) * 1000, (shown - opened) * 1000


def measure_unlock(bench: Bench) -> list[Result]:
    """Unlock to the case list shown (model populated, first page fetched and painted)."""
    window = _window(bench)
    keys, lists = [], []
    for _ in range(bench.repeat):
        window.lock()
        key_ms, list_ms = _unlock(bench, window)
        keys.append(key_ms)
        lists.append(list_ms)
    return [
        Result(
            "unlock_key",
            "Unlock: key derivation and checks",
            tuple(keys),
            note="deliberately slow (scrypt ~0.5 s)",
        ),
        Result("unlock_list", "Unlock → case list shown", tuple(lists), target=1000),
    ]


def measure_search(bench: Bench) -> list[Result]:
    """One keystroke in the search box → results painted (the debounce wait not counted)."""
    window = _window(bench)
    app = bench.shared["app"]
    panel = window.desk.case_list
    samples: list[float] = []
    for word in TYPED:
        for i in range(2, len(word) + 1):
            started = time.perf_counter()
            panel.search.setText(word[:i])
            panel.apply_filters()
            _settle(app)
            samples.append((time.perf_counter() - started) * 1000)
        panel.search.clear()
        panel.apply_filters()
    return [
        Result(
            "keystroke",
            "Search keystroke → results",
            tuple(samples),
            target=50,
            note="from the 2nd letter; worst shown beside",
        )
    ]


def measure_filters(bench: Bench) -> list[Result]:
    """A quick-filter button clicked → the list repainted."""
    window = _window(bench)
    app = bench.shared["app"]
    panel = window.desk.case_list
    samples: list[float] = []
    for _ in range(max(1, bench.repeat // 2)):
        for key in (
            "closed",
            "overdue",
            "escalated",
            "not_visited",
            "whereabouts_unknown",
            "all",
            "open",
        ):
            button = panel.quick_buttons[key]
            started = time.perf_counter()
            button.click()
            _settle(app)
            samples.append((time.perf_counter() - started) * 1000)
    sort: list[float] = []
    header = panel.table.horizontalHeader()
    for column in (case_table.COL_SCHOOL, case_table.COL_NEXT_TASK, case_table.COL_NAME):
        started = time.perf_counter()
        header.setSortIndicator(column, header.sortIndicatorOrder())
        _settle(app)
        sort.append((time.perf_counter() - started) * 1000)
    return [
        Result("filter", "Quick filter change → list", tuple(samples)),
        Result("sort", "Header click (sort in SQL) → list", tuple(sort)),
    ]


def measure_scroll(bench: Bench) -> list[Result]:
    """Scroll through every case (all of them): every page fetched and painted once."""
    window = _window(bench)
    app = bench.shared["app"]
    panel = window.desk.case_list
    panel.quick_buttons["all"].click()
    _settle(app)
    model, table = panel.model, panel.table
    rows = model.rowCount()
    model.forget_rows()
    before = model.pages_fetched
    started = time.perf_counter()
    for row in range(0, rows, case_table.PAGE_SIZE // 2):
        table.scrollTo(model.index(row, 0))
        _settle(app)
    table.scrollToBottom()
    _settle(app)
    total = (time.perf_counter() - started) * 1000
    pages = model.pages_fetched - before
    panel.quick_buttons["open"].click()
    return [
        Result(
            "scroll",
            "Scroll the whole list (all cases)",
            (total / 1000,),
            unit="s",
            note=f"{pages:,} pages of {case_table.PAGE_SIZE}",
        ),
        Result("page", "… per page fetched and painted", (total / max(1, pages),)),
    ]


def measure_open_case(bench: Bench) -> list[Result]:
    """Open a case (one read, the workspace filled and painted), then close its tab."""
    window = _window(bench)
    app = bench.shared["app"]
    services = window.services
    assert services is not None
    ids = services.case_list.matching_ids(CaseQuery(quick="all"))
    step = max(1, len(ids) // (bench.repeat * 2 + 1))
    samples: list[float] = []
    for case_id in ids[step::step][: bench.repeat * 2]:
        started = time.perf_counter()
        workspace = window.desk.open_case(case_id)
        _settle(app)
        samples.append((time.perf_counter() - started) * 1000)
        assert workspace is not None
        window.desk.close_tab(window.desk.indexOf(workspace))
        _settle(app)
    return [Result("open_case", "Open a case (read + workspace shown)", tuple(samples), target=150)]


def measure_dashboard(bench: Bench) -> list[Result]:
    window = _window(bench)
    app = bench.shared["app"]
    samples: list[float] = []
    for _ in range(bench.repeat):
        window.desk.dashboard.mark_stale()
        started = time.perf_counter()
        window.desk.show_dashboard()
        _settle(app)
        samples.append((time.perf_counter() - started) * 1000)
        window.desk.show_cases()
        _settle(app)
    return [Result("dashboard", "Dashboard shown", tuple(samples))]


def close(bench: Bench) -> None:
    """Lock and close the shared window (``run.py`` calls this last)."""
    window: Any = bench.shared.pop("window", None)
    if window is not None:
        window.close()
