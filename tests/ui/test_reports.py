"""The Reports window: figures beside the PDF, save, print, and restore a monthly save."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QDate, QModelIndex, Qt
from PySide6.QtPrintSupport import QPrinter
from sqlalchemy import select, update

from cme_desktop.models.audit import AuditEvent
from cme_desktop.models.records import Case
from cme_desktop.services.cases import demo
from cme_desktop.services.errors import WrongPassword
from cme_desktop.services.protection.office import decrypt_office
from cme_desktop.services.protection.outputs import UNPROTECTED_ACTION, UNPROTECTED_WARNING
from cme_desktop.services.protection.pdf import open_pdf
from cme_desktop.services.registry import AppServices
from cme_desktop.services.reports.periods import Quarter
from cme_desktop.services.settings import Settings, SettingsService
from cme_desktop.services.vault import backups
from cme_desktop.services.vault.database import Database
from cme_desktop.services.vault.unlock import Vault
from cme_desktop.ui import background, prompts
from cme_desktop.ui.reports import dialog as reports
from cme_desktop.ui.reports import pupils_page
from cme_desktop.ui.reports.pupils_page import PupilsPage
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
    page = _made_pupils(qtbot, dialog)
    rows = services.statistics.pupils_without_place(date.today())
    assert page.model is not None and page.model.rowCount() == len(rows)
    assert page.status.text().startswith(f"{len(rows):,} children of compulsory school age")
    if rows:
        assert page.model.index(0, 1).data() == rows[0].full_name


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


def _made_pupils(qtbot: Any, dialog: reports.ReportsDialog) -> PupilsPage:
    page = dialog.pupils
    assert page.save_csv_button.text() == "Save spreadsheet…"
    assert not page.save_csv_button.isEnabled()
    page.make_button.click()
    qtbot.waitUntil(lambda: page.model is not None, timeout=20_000)
    background.wait_for_all()
    return page


def _saved(qtbot: Any, page: PupilsPage, button: Any) -> None:
    # The file is made from SQL in the background; the buttons come back when it is written.
    button.click()
    background.wait_for_all()
    qtbot.waitUntil(button.isEnabled, timeout=20_000)


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
    _saved(qtbot, page, page.save_csv_button)
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
    _saved(qtbot, page, page.save_pdf_button)
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
    _saved(qtbot, page, page.save_csv_button)
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
    _saved(qtbot, page, page.save_csv_button)
    shown = page.password_dialog
    assert shown is not None and shown.isVisible()
    assert window.lock()
    assert not shown.isVisible() and shown.password_label.text() == ""
    assert not dialog.isVisible()


def test_pupils_list_is_read_a_page_at_a_time_as_the_officer_scrolls(
    qtbot: Any,
    dialog: reports.ReportsDialog,
    services: AppServices,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(pupils_page, "PAGE", 4)
    rows = services.statistics.pupils_without_place(date.today())
    assert len(rows) > 8, "the demo vault has enough children without a place for pages"
    page = dialog.pupils
    dialog.show()
    dialog.tabs.setCurrentWidget(page)
    # By keyboard alone: the button, then Ctrl+End in the list until its end.
    page.make_button.setFocus()
    qtbot.keyClick(page.make_button, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: page.model is not None, timeout=20_000)
    model = page.model
    assert model is not None
    # The first pages only: as many as fill the view, not the whole list.
    assert model.total == len(rows) and 4 <= model.rowCount() < len(rows)
    assert page.status.text().startswith(f"{len(rows):,} children")
    assert [model.index(i, 1).data() for i in range(4)] == [r.full_name for r in rows[:4]]
    page.view.setFocus()
    for _ in range(len(rows)):
        if not model.canFetchMore(QModelIndex()):
            break
        qtbot.keyClick(page.view, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
        qtbot.wait(20)
    assert model.rowCount() == len(rows)
    assert model.index(len(rows) - 1, 0).data() == rows[-1].reference
    assert model.index(len(rows) - 1, 1).data() == rows[-1].full_name
    with services.db.read() as session:
        reads = list(
            session.scalars(
                select(AuditEvent.detail)
                .where(AuditEvent.detail.like("without_place n=% offset=%"))
                .order_by(AuditEvent.id)
            )
        )
    # Each page read is audited once, from the first to the last.
    offsets = [int(d.split("offset=")[1].split()[0]) for d in reads]
    assert offsets == list(range(0, len(rows), 4))


def test_a_kept_quarter_says_so_and_a_correction_can_replace_its_figures(
    qtbot: Any, dialog: reports.ReportsDialog, services: AppServices, asked: Prompts
) -> None:
    page = dialog.quarterly
    quarter = Quarter.parse(str(dialog.quarter.currentData()))
    _make(qtbot, page)  # the first report after the quarter's end keeps its figures
    assert not page.kept.isVisible()
    dialog.show()
    page.made = None
    _make(qtbot, page)
    assert page.kept.isVisible() and not page.replace_button.isVisible()
    assert page.kept_label.text().startswith("Kept as reported on ")
    assert "give the same figures" in page.kept_label.text()

    with services.db.write() as s:  # a case notified in the quarter: the other route
        case_id, route = s.execute(
            select(Case.id, Case.identification_route)
            .where(Case.notified_on.between(quarter.start, quarter.end))
            .order_by(Case.id)
            .limit(1)
        ).one()
        other = "pupil_database" if route != "pupil_database" else "notification"
        s.execute(update(Case).where(Case.id == case_id).values(identification_route=other))
    page.made = None
    _make(qtbot, page)
    assert page.replace_button.isVisible()
    assert "The records now give 2 figure(s) differently" in page.kept_label.text()
    assert "Notifications received, by route (policy 8.1)" in page.kept_label.text()

    asked.confirm_answer = False
    page.replace_button.click()
    assert len(asked.texts("confirm")) == 1 and _replaced(services.db) == 0
    asked.confirm_answer = True
    before = page.made
    # By keyboard: the button has the focus, Space presses it.
    page.replace_button.setFocus()
    qtbot.keyClick(page.replace_button, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: page.made is not before, timeout=20_000)
    background.wait_for_all()
    assert _replaced(services.db) == 1
    assert not page.replace_button.isVisible()
    assert "give the same figures" in page.kept_label.text()


def _replaced(db: Database) -> int:
    with db.read() as session:
        replaced = select(AuditEvent.id).where(AuditEvent.action == "figures_replaced")
        return len(list(session.scalars(replaced)))
