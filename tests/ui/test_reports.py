"""The Reports window: figures beside the PDF, save, print, and restore a monthly save."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QDate
from PySide6.QtPrintSupport import QPrinter
from sqlalchemy import select

from cme_desktop.models.audit import AuditEvent
from cme_desktop.services.cases import demo
from cme_desktop.services.registry import AppServices
from cme_desktop.services.settings import Settings, SettingsService
from cme_desktop.services.vault import backups
from cme_desktop.services.vault.database import Database
from cme_desktop.services.vault.unlock import Vault
from cme_desktop.ui import background, prompts
from cme_desktop.ui.reports import dialog as reports
from tests.support.main_window import Prompts


@pytest.fixture
def services(vault: Vault, db: Database) -> AppServices:
    SettingsService(db).save(Settings(officer_name="Test Officer", authority_name="Testshire"))
    demo.fill(db, cases=40, seed=11)
    return AppServices(vault, db)


@pytest.fixture
def dialog(qtbot: Any, services: AppServices, asked: Prompts) -> reports.ReportsDialog:
    window = reports.open_reports(None, services)
    qtbot.addWidget(window)
    return window


def _make(qtbot: Any, page: reports.ReportPage) -> None:
    page.make_button.click()
    qtbot.waitUntil(lambda: page.made is not None, timeout=20_000)
    background.wait_for_all()


def _exports(db: Database) -> list[str]:
    with db.read() as session:
        return list(
            session.scalars(select(AuditEvent.detail).where(AuditEvent.action == "report_exported"))
        )


def test_quarterly_report_shown_then_saved_and_printed(
    qtbot: Any,
    dialog: reports.ReportsDialog,
    services: AppServices,
    asked: Prompts,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    page = dialog.quarterly
    assert not page.save_pdf_button.isEnabled()
    _make(qtbot, page)
    assert page.figures.rowCount() > 40
    assert page.figures.item(0, 0).text() == "Notifications received, by route (policy 8.1)"
    assert page.made is not None and page.made.pdf.startswith(b"%PDF")
    targets = iter([tmp_path / "q", tmp_path / "q.csv"])
    monkeypatch.setattr(prompts, "save_file", lambda *_a, **_k: next(targets))
    page.save_pdf_button.click()
    page.save_csv_button.click()
    assert (tmp_path / "q.pdf").read_bytes().startswith(b"%PDF")
    assert (tmp_path / "q.csv").read_text("utf-8-sig").startswith("section,measure,")
    printer = QPrinter()
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "printed.pdf"))
    asked.printer = printer
    page.print_button.click()
    assert (tmp_path / "printed.pdf").stat().st_size > 1000
    quarter = page.made.detail
    assert _exports(services.db) == [
        f"quarterly {quarter} pdf",
        f"quarterly {quarter} csv",
        f"quarterly {quarter} printed",
    ]


def test_dfe_return_and_pupils_without_place(
    qtbot: Any, dialog: reports.ReportsDialog, services: AppServices
) -> None:
    dialog.census.setDate(QDate(2026, 10, 1))
    _make(qtbot, dialog.dfe)
    assert dialog.dfe.made is not None and dialog.dfe.made.name == "cme-dfe-return-2026-10-01"
    assert dialog.dfe.figures.item(0, 0).text().startswith("Children missing education on")
    _make(qtbot, dialog.pupils)
    rows = services.statistics.pupils_without_place(date.today())
    assert dialog.pupils.figures.rowCount() == len(rows) + 2
    if rows:
        assert dialog.pupils.figures.item(2, 1).text() == rows[0].full_name


def test_restore_a_monthly_save_into_a_new_file(
    qtbot: Any,
    services: AppServices,
    asked: Prompts,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    backups.monthly_save(services.db, today=date.today())
    window = reports.open_reports(None, services)
    qtbot.addWidget(window)
    page = window.saves
    assert page.list.rowCount() == 1 and not page.save_button.isEnabled()
    page.restore_button.click()
    assert asked.texts("info") == ["Choose the month to restore."]
    page.list.selectRow(0)
    monkeypatch.setattr(prompts, "save_file", lambda *_a, **_k: tmp_path / "restored.cme")
    page.restore_button.click()
    qtbot.waitUntil(lambda: len(asked.texts("info")) == 2, timeout=20_000)
    background.wait_for_all()
    assert "Restored into restored.cme: 40 cases" in asked.texts("info")[1]
    assert (tmp_path / "restored.cme").is_file()
