"""The desktop's speed through the real window, offscreen, on a real vault: unlock to the
list, search keystrokes, every quick filter, every header sort, scrolling, opening a case,
the dashboard.

Each figure is from the action to the window painted again (the model asks the vault for
what it shows when it is painted). The cost must not grow with the vault: the 100,000 ÷
1,000 ratio of each row has a target of 1.5. The whole process, from launch, is measured
in ``officer.py``.
"""

from __future__ import annotations

import random
import time
from typing import Any

from PySide6.QtWidgets import QApplication

from benchmarks.common import Bench, Result
from cme_desktop.app import build_window, make_application
from cme_desktop.services.cases.case_list import QUICK_FILTERS
from cme_desktop.services.vault.unlock import Vault
from cme_desktop.ui import background
from cme_desktop.ui.case_list import table as case_table
from cme_desktop.ui.main_window import MainWindow
from cme_desktop.ui.vault.unlock import UnlockPage

#: The issue's target for the desktop's whole process (list, search, scroll, open).
MEMORY_TARGET_MB = 300
#: How much dearer an action may be at the largest vault than at the smallest.
FLAT = 1.5
#: Surnames and places an officer might type, one keystroke at a time.
TYPED = ("Taylor", "Hughes", "Walters", "Academy", "Primary")
#: Of those, the words whose every keystroke from the second fills the list's screen at
#: every size (41 and 86 cases at 1,000): the same rows painted at each size, so their
#: ratio is the search's own growth. A surname at 1,000 cases finds a case or two, and
#: paints one or two rows where 100,000 paint a screenful.
SCREENFUL = ("Academy", "Primary")


def _settle(app: QApplication) -> None:
    """Let the window paint (which is when the model fetches the rows it shows)."""
    for _ in range(3):
        app.processEvents()


def _new_window(bench: Bench) -> MainWindow:
    """The window of this vault size, built and shown, still locked."""
    app = make_application(["benchmark"])
    vault = Vault(bench.path())
    window = build_window(vault, idle_lock_ms=24 * 3600 * 1000)
    window.resize(1280, 800)
    window.show()
    _settle(app)
    bench.shared.update(vault=vault, window=window, app=app)
    return window


def _window(bench: Bench) -> MainWindow:
    """The window shared by the measurements, unlocked, with no background work running.

    After each unlock the window checks the vault's pages in the background (at 100,000
    cases ~1.4 s; ``ui/vault/damage.py``): it is waited for, so that it weighs on no
    measurement of the list (the unlock rows stop at the list painted, before it starts).
    """
    window: MainWindow = bench.shared.get("window") or _new_window(bench)
    if window.is_locked():
        _unlock(bench, window)
    _quiet(bench.shared["app"])
    return window


def _quiet(app: QApplication) -> None:
    """Wait for the window's background work (the page check after an unlock) to end."""
    _settle(app)  # the check starts on the turn after the list's first paint
    if not background.wait_for_all(120_000):
        raise RuntimeError("background work still running after two minutes")
    _settle(app)  # its result delivered


def _unlock(bench: Bench, window: MainWindow) -> tuple[float, float]:
    """Unlock: (ms for the key and checks, ms from there until the list is painted)."""
    app = bench.shared["app"]
    vault: Vault = bench.shared["vault"]
    page = window.gate
    assert isinstance(page, UnlockPage)
    started = time.perf_counter()
    db = vault.unlock(bench.passphrase, actor="benchmark")
    opened = time.perf_counter()
    page.unlocked.emit(db)
    _settle(app)
    shown = time.perf_counter()
    model = window.desk.case_list.model
    assert model.rowCount() == 0 or model.pages_fetched > 0, "no rows were fetched"
    return (opened - started) * 1000, (shown - opened) * 1000


def _time(app: QApplication, action: Any) -> float:
    started = time.perf_counter()
    action()
    _settle(app)
    return (time.perf_counter() - started) * 1000


def measure_unlock(bench: Bench) -> list[Result]:
    """Unlock to the case list shown: the first in the process, then again after a lock."""
    window = _new_window(bench)
    first_key, first_list = _unlock(bench, window)
    keys, lists = [], []
    for _ in range(bench.repeat):
        window.lock()
        key_ms, list_ms = _unlock(bench, window)
        keys.append(key_ms)
        lists.append(list_ms)
    return [
        Result(
            "unlock_first",
            "First unlock in the process → case list shown, less key derivation",
            (first_list,),
            ratio_target=FLAT,
            note=f"one per process; key {first_key:.0f} ms",
        ),
        Result(
            "unlock_key",
            "Unlock: key derivation and checks",
            tuple(keys),
            note="deliberately slow; the same scrypt at every size",
        ),
        Result("unlock_list", "Unlock again → case list shown", tuple(lists), ratio_target=FLAT),
    ]


def measure_search(bench: Bench) -> list[Result]:
    """One keystroke in the search box → results painted (the typing pause not counted)."""
    window = _window(bench)
    app = bench.shared["app"]
    panel = window.desk.case_list
    samples: dict[str, list[float]] = {}
    cleared: list[float] = []
    for word in TYPED:
        for i in range(2, len(word) + 1):

            def keystroke(text: str = word[:i]) -> None:
                panel.search.setText(text)
                panel.apply_filters()

            samples.setdefault(word, []).append(_time(app, keystroke))
            if word in SCREENFUL and panel.model.rowCount() < _rows_on_screen(panel):
                raise RuntimeError(f"{word[:i]!r} does not fill the list at {bench.cases:,}")
        # A case chosen among the results, then the search cleared: the whole list comes
        # back with that case still selected, wherever it now stands.
        panel.table.setCurrentIndex(panel.model.index(min(3, panel.model.rowCount() - 1), 0))
        _settle(app)

        def clear() -> None:
            panel.search.clear()
            panel.apply_filters()

        cleared.append(_time(app, clear))
    return [
        Result(
            "keystroke",
            "Search keystroke → results",
            tuple(t for word in TYPED for t in samples[word]),
            target=50,
            ratio_target=FLAT,
            note="from the 2nd letter",
            show_worst=True,
        ),
        Result(
            "keystroke_screenful",
            "… the keystrokes that fill the list's screen at every size",
            tuple(t for word in SCREENFUL for t in samples[word]),
            target=50,
            ratio_target=FLAT,
            note=", ".join(f"“{w}”" for w in SCREENFUL),
            show_worst=True,
        ),
        Result(
            "search_cleared",
            "Search cleared → the whole list, the chosen case still selected",
            tuple(cleared),
            target=50,
            ratio_target=FLAT,
        ),
    ]


def _rows_on_screen(panel: Any) -> int:
    """How many rows of the list the window shows at once."""
    table = panel.table
    row: int = max(1, table.verticalHeader().defaultSectionSize())
    shown: int = table.viewport().height() // row
    return max(1, shown)


def measure_filters(bench: Bench) -> list[Result]:
    """Each quick-filter button clicked → the list repainted (from "Open", each time)."""
    window = _window(bench)
    app = bench.shared["app"]
    panel = window.desk.case_list
    results = []
    for key, label in QUICK_FILTERS.items():
        samples = []
        for _ in range(bench.repeat):
            start = "all" if key == "open" else "open"
            panel.quick_buttons[start].click()
            _settle(app)
            samples.append(_time(app, panel.quick_buttons[key].click))
        results.append(
            Result(
                f"filter_{key}",
                f"Quick filter “{label}” → list",
                tuple(samples),
                ratio_target=FLAT,
            )
        )
    panel.quick_buttons["open"].click()
    _settle(app)
    return results


def measure_sorts(bench: Bench) -> list[Result]:
    """Each header clicked (sorting in SQL) → the list repainted; from the name order."""
    window = _window(bench)
    app = bench.shared["app"]
    panel = window.desk.case_list
    header = panel.table.horizontalHeader()
    order = header.sortIndicatorOrder()
    results = []
    for column, label in enumerate(case_table.HEADERS):
        if panel.table.isColumnHidden(column):
            continue  # a shared server's column (the owner): no header to click in a vault
        samples = []
        for _ in range(bench.repeat):
            start = case_table.COL_DOB if column == case_table.COL_NAME else case_table.COL_NAME
            header.setSortIndicator(start, order)
            _settle(app)
            samples.append(_time(app, lambda c=column: header.setSortIndicator(c, order)))
        results.append(
            Result(
                f"sort_{case_table.SORT_KEYS[column]}",
                f"Sort by “{label}” → list",
                tuple(samples),
                ratio_target=FLAT,
            )
        )
    header.setSortIndicator(case_table.COL_NAME, order)
    _settle(app)
    return results


def measure_scroll(bench: Bench) -> list[Result]:
    """A page down at places spread through all cases, and a jump to the end: each painted."""
    window = _window(bench)
    app = bench.shared["app"]
    panel = window.desk.case_list
    panel.quick_buttons["all"].click()
    _settle(app)
    model, table = panel.model, panel.table
    rows = model.rowCount()
    rng = random.Random(58)
    bar = table.verticalScrollBar()
    pages: list[float] = []
    for _ in range(bench.repeat * 2):
        model.forget_rows()
        table.scrollTo(model.index(rng.randrange(rows), 0))
        _settle(app)
        pages.append(_time(app, lambda: bar.setValue(bar.value() + bar.pageStep())))
    ends: list[float] = []
    for _ in range(bench.repeat):
        table.scrollToTop()
        _settle(app)
        model.forget_rows()
        ends.append(_time(app, table.scrollToBottom))
    panel.quick_buttons["open"].click()
    _settle(app)
    return [
        Result("page", "Page down in all cases → painted", tuple(pages), ratio_target=FLAT),
        Result("scroll_end", "Jump to the last case → painted", tuple(ends), ratio_target=FLAT),
    ]


def measure_open_case(bench: Bench) -> list[Result]:
    """Open a case (one read, the workspace filled and painted), then close its tab."""
    window = _window(bench)
    app = bench.shared["app"]
    model = window.desk.case_list.model
    rows = model.rowCount()
    picks = [model.case_id(row) for row in range(0, rows, max(1, rows // (bench.repeat * 2)))]
    samples: list[float] = []
    for case_id in [c for c in picks if c is not None][: bench.repeat * 2]:
        started = time.perf_counter()
        workspace = window.desk.open_case(case_id)
        _settle(app)
        samples.append((time.perf_counter() - started) * 1000)
        assert workspace is not None
        window.desk.close_tab(window.desk.indexOf(workspace))
        _settle(app)
    return [
        Result(
            "open_case",
            "Open a case (read + workspace shown)",
            tuple(samples),
            target=150,
            ratio_target=FLAT,
        )
    ]


def measure_dashboard(bench: Bench) -> list[Result]:
    window = _window(bench)
    app = bench.shared["app"]
    samples: list[float] = []
    for _ in range(bench.repeat):
        window.desk.dashboard.mark_stale()
        samples.append(_time(app, window.desk.show_dashboard))
        window.desk.show_cases()
        _settle(app)
    return [Result("dashboard", "Dashboard shown", tuple(samples), ratio_target=FLAT)]


def close(bench: Bench) -> None:
    """Lock and close the shared window (``run.py`` calls this last)."""
    window: Any = bench.shared.pop("window", None)
    if window is not None:
        window.close()
