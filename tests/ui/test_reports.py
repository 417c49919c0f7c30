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
from cme_desktop.services.errors import WrongPassword
from cme_desktop.services.protection.office import decrypt_office
from cme_desktop.services.protection.outputs import UNPROTECTED_ACTION, UNPROTECTED_WARNING
from cme_desktop.services.protection.pdf import open_pdf
from cme_desktop.services.registry import AppServices
from cme_desktop.services.settings import Settings, SettingsService
from cme_desktop.services.vault import backups
from cme_desktop.services.vault.database import Database
from cme_desktop.services.vault.unlock import Vault
from cme_desktop.ui import background, prompts
from cme_desktop.ui.reports import dialog as reports
from tests.support.main_window import Prompts
from tests.support.workbooks import cells, decrypt


@pytest.fixture
def services(vault: Vault, db: Database) -> AppServices:
    SettingsService(db).save(
        Settings(officer_name="Test Officer", authority_name="Testshire", la_number="855")
    )
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


# --- the list that names children leaves protected -------------------------------------------


def _made_pupils(qtbot: Any, dialog: reports.ReportsDialog) -> reports.ReportPage:
    page = dialog.pupils
    assert page.save_csv_button.text() == "Save spreadsheet…"
    _make(qtbot, page)
    assert page.made is not None and page.made.detail.startswith("rows=")
    return page


def _confirmed(db: Database) -> list[str]:
    with db.read() as session:
        return list(
            session.scalars(
                select(AuditEvent.detail).where(AuditEvent.action == UNPROTECTED_ACTION)
            )
        )


def test_pupils_spreadsheet_is_an_encrypted_workbook_whose_password_is_shown_once(
    qtbot: Any,
    dialog: reports.ReportsDialog,
    services: AppServices,
    asked: Prompts,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    page = _made_pupils(qtbot, dialog)
    suggested: list[str] = []

    def save_file(_parent: Any, _caption: str, name: str, _filters: str) -> Path:
        suggested.append(name)
        return tmp_path / "pupils"

    monkeypatch.setattr(prompts, "save_file", save_file)
    page.save_csv_button.click()
    assert asked.titles("protection") == ["Save the table"]
    assert "Excel workbook" in asked.texts("protection")[0]
    assert asked.titles("confirm") == []
    assert suggested == [f"cme-without-place-{date.today().isoformat()}.xlsx"]
    target = tmp_path / "pupils.xlsx"
    shown = page.password_dialog
    assert shown is not None and shown.isVisible()
    password = shown.password_label.text()
    assert str(target) in page.status.text()
    rows = services.statistics.pupils_without_place(date.today())
    assert rows, "the demo vault has children without a place"
    data = target.read_bytes()
    assert [r[1] for r in cells(decrypt(data, password))[1:]] == [r.full_name for r in rows]
    with pytest.raises(WrongPassword):
        decrypt_office(data, "not the password")
    assert all(r.full_name.encode() not in data for r in rows)
    assert _exports(services.db)[-1] == f"without_place rows={len(rows)} xlsx protected"
    assert _confirmed(services.db) == []


def test_pupils_pdf_is_encrypted_with_a_password_every_reader_takes(
    qtbot: Any,
    dialog: reports.ReportsDialog,
    services: AppServices,
    asked: Prompts,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    page = _made_pupils(qtbot, dialog)
    monkeypatch.setattr(prompts, "save_file", lambda *_a: tmp_path / "pupils.pdf")
    page.save_pdf_button.click()
    assert page.password_dialog is not None
    password = page.password_dialog.password_label.text()
    assert len(password) <= 32
    data = (tmp_path / "pupils.pdf").read_bytes()
    with open_pdf(data, password) as pdf:
        assert pdf.encryption.R == 6
    with pytest.raises(WrongPassword):
        open_pdf(data, "not the password")


def test_pupils_as_plain_csv_only_once_confirmed_and_the_confirmation_audited(
    qtbot: Any,
    dialog: reports.ReportsDialog,
    services: AppServices,
    asked: Prompts,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    page = _made_pupils(qtbot, dialog)
    chosen: list[str] = []

    def save_file(_parent: Any, _caption: str, name: str, _filters: str) -> Path:
        chosen.append(name)
        return tmp_path / "pupils.csv"

    monkeypatch.setattr(prompts, "save_file", save_file)
    asked.protect_answer = False
    asked.confirm_answer = False
    page.save_csv_button.click()
    assert asked.texts("confirm") == [UNPROTECTED_WARNING]
    assert chosen == [] and not (tmp_path / "pupils.csv").exists()
    assert _confirmed(services.db) == []

    asked.confirm_answer = True
    page.save_csv_button.click()
    assert chosen == [f"cme-without-place-{date.today().isoformat()}.csv"]
    rows = services.statistics.pupils_without_place(date.today())
    text = (tmp_path / "pupils.csv").read_text("utf-8-sig")
    assert text.startswith("Reference,Name,") and all(r.full_name in text for r in rows)
    assert _confirmed(services.db) == [f"format=csv;report=without_place;rows={len(rows)}"]
    assert _exports(services.db)[-1] == f"without_place rows={len(rows)} csv unprotected"
    assert page.password_dialog is None
    assert page.status.text() == f"Saved to {tmp_path / 'pupils.csv'}."


def test_figures_without_names_save_as_before_without_asking(
    qtbot: Any,
    dialog: reports.ReportsDialog,
    asked: Prompts,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    dialog.census.setDate(QDate(2026, 10, 1))
    _make(qtbot, dialog.dfe)
    monkeypatch.setattr(prompts, "save_file", lambda *_a, **_k: tmp_path / "dfe.csv")
    dialog.dfe.save_csv_button.click()
    assert asked.titles("protection") == []
    assert (tmp_path / "dfe.csv").read_text("utf-8-sig").startswith("collection,la_number,")


def test_locking_closes_the_reports_and_a_password_on_screen(
    qtbot: Any, window: Any, asked: Prompts, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reports.install(window)
    dialog = reports.open_reports(window, window.services)
    page = _made_pupils(qtbot, dialog)
    monkeypatch.setattr(prompts, "save_file", lambda *_a: tmp_path / "pupils.xlsx")
    page.save_csv_button.click()
    shown = page.password_dialog
    assert shown is not None and shown.isVisible()
    assert window.lock()
    assert not shown.isVisible() and shown.password_label.text() == ""
    assert not dialog.isVisible()
