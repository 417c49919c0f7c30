"""Long work shows what it is doing (pytest-qt): a report being made can be cancelled and its
result is then dropped; the monthly save shows a busy indicator that says what is happening
and offers no Cancel; ``background.run`` with a progress calls exactly one callback."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from cme_desktop.services.cases import demo
from cme_desktop.services.registry import AppServices
from cme_desktop.services.settings import Settings, SettingsService
from cme_desktop.services.vault.database import Database
from cme_desktop.services.vault.unlock import Vault
from cme_desktop.ui import background
from cme_desktop.ui.main_window import MainWindow
from cme_desktop.ui.reports import dialog as reports
from cme_desktop.ui.reports.report_page import Made
from tests.support.main_window import Prompts


@pytest.fixture
def vault(copied_vault: Vault) -> Vault:
    return copied_vault


@pytest.fixture
def services(vault: Vault, db: Database) -> AppServices:
    SettingsService(db).save(Settings(officer_name="Test Officer", authority_name="Testshire"))
    demo.fill(db, cases=20, seed=5)
    return AppServices(vault, db)


@pytest.fixture
def dialog(qtbot: Any, services: AppServices, asked: Prompts) -> reports.ReportsDialog:
    window = reports.open_reports(None, services)
    qtbot.addWidget(window)
    return window


def _held(make: Callable[[], Callable[[], Made]], gate: threading.Event) -> Callable[[], Any]:
    """``make``, whose work waits for ``gate`` (a report that takes a while at 100,000 cases)."""

    def prepare() -> Callable[[], Made]:
        work = make()

        def slow() -> Made:
            assert gate.wait(20)
            return work()

        return slow

    return prepare


def test_a_report_being_made_can_be_cancelled_and_its_figures_are_dropped(
    qtbot: Any, dialog: reports.ReportsDialog
) -> None:
    page = dialog.quarterly
    gate = threading.Event()
    page.prepare = _held(dialog.make_quarterly, gate)

    page.make_button.click()
    assert page.busy.isVisible() and page.busy.cancel_button.isVisible()
    assert page.busy.label.text() == "Working out the figures…"
    assert page.busy.bar.maximum() == 0  # busy: no count to show
    assert not page.make_button.isEnabled()
    page.busy.cancel_button.click()

    assert not page.busy.isVisible()
    assert page.make_button.isEnabled()  # the officer may choose again at once
    assert page.status.text() == "Cancelled: no report was made."
    gate.set()
    background.wait_for_all()
    qtbot.wait(50)  # the dropped result reaches the window's thread, and is dropped there
    assert page.made is None and page.figures.rowCount() == 0
    assert not page.save_pdf_button.isEnabled()


def test_a_report_not_cancelled_is_shown_and_the_indicator_goes(
    qtbot: Any, dialog: reports.ReportsDialog
) -> None:
    page = dialog.dfe
    dialog.tabs.setCurrentWidget(page)
    page.make_button.click()
    assert page.busy.isVisible()
    qtbot.waitUntil(lambda: page.made is not None, timeout=20_000)
    assert not page.busy.isVisible() and page.status.isVisible()
    assert page.figures.rowCount() > 0


def test_saving_the_month_by_hand_says_what_is_happening_and_has_no_cancel(
    qtbot: Any, dialog: reports.ReportsDialog
) -> None:
    page = dialog.saves
    dialog.tabs.setCurrentWidget(page)
    assert page.save_button.isEnabled()
    page.save_button.click()
    assert page.saving.isVisible()
    assert "encrypted copy of the whole record" in page.saving.label.text()
    assert not page.saving.cancel_button.isVisible()  # it cannot be stopped half way safely
    qtbot.waitUntil(lambda: page.list.rowCount() == 1, timeout=20_000)
    background.wait_for_all()
    assert not page.saving.isVisible()


def test_the_monthly_save_on_unlock_shows_in_the_status_bar(
    qtbot: Any, window: MainWindow, asked: Prompts
) -> None:
    assert window.services is not None
    gate = threading.Event()
    save_month = window.services.backups.save_month

    def slow_save() -> Any:
        assert gate.wait(20)
        return save_month()

    window.services.backups.save_month = slow_save  # type: ignore[method-assign]
    # Installed on an open vault, as just after the list is painted: the unlock's work (the
    # first unlock of a month: the monthly save) follows at once.
    reports.install(window)

    def shown() -> background.ProgressPanel | None:
        found = window.findChild(background.ProgressPanel, "monthlySaveProgress")
        return found if isinstance(found, background.ProgressPanel) and found.isVisible() else None

    qtbot.waitUntil(lambda: shown() is not None, timeout=10_000)
    panel = shown()
    assert panel is not None and panel.label.text() == reports.SAVING_TEXT
    assert not panel.cancel_button.isVisible()
    gate.set()
    qtbot.waitUntil(lambda: not panel.isVisible(), timeout=20_000)
    assert not window.services.backups.due()


def test_run_with_a_progress_calls_one_callback_and_ends_the_progress(qtbot: Any) -> None:
    calls: list[str] = []
    progress = background.Progress("Working", cancellable=True)
    background.run(
        None,
        lambda: 42,
        on_done=lambda value: calls.append(f"done {value}"),
        on_error=lambda exc: calls.append(f"error {exc}"),
        progress=progress,
        on_cancelled=lambda: calls.append("cancelled"),
    )
    qtbot.waitUntil(progress.is_ended, timeout=5000)
    assert calls == ["done 42"]
    progress.cancel()  # too late: nothing more happens
    assert calls == ["done 42"]

    failing = background.Progress("Working", cancellable=True)

    def broken() -> None:
        raise ValueError("no")

    background.run(
        None,
        broken,
        on_done=lambda value: calls.append("done"),
        on_error=lambda exc: calls.append(f"error {exc}"),
        progress=failing,
    )
    qtbot.waitUntil(failing.is_ended, timeout=5000)
    assert calls == ["done 42", "error no"]


def test_a_progress_reported_from_the_worker_reaches_the_window(qtbot: Any) -> None:
    progress = background.Progress("Counting")
    panel = background.ProgressPanel()
    qtbot.addWidget(panel)
    panel.follow(progress)

    def count() -> int:
        for done in range(1, 4):
            progress.report(done, 3, f"Item {done} of 3")
        return 3

    background.run(None, count, on_done=lambda _v: None, on_error=lambda _e: None)
    qtbot.waitUntil(lambda: panel.bar.value() == 3, timeout=5000)
    assert progress.reports == [(1, 3), (2, 3), (3, 3)]
    assert panel.label.text() == "Item 3 of 3" and panel.bar.text() == "3 of 3"
