"""Print visit sheets…: order and note, a preview drawn from memory, print or save, audited once."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pikepdf
import pypdf
import pytest
from faker import Faker
from PySide6.QtCore import QBuffer, QIODevice, QMarginsF
from PySide6.QtGui import QPageSize, QPdfWriter
from PySide6.QtPrintSupport import QPrintPreviewWidget
from PySide6.QtWidgets import QLabel, QToolBar, QWidget
from sqlalchemy import select

from cme_desktop.models import AuditEvent
from cme_desktop.services.cases.case_list import CaseQuery
from cme_desktop.services.documents.visit_sheet import VisitSheetService
from cme_desktop.services.errors import PasswordRequired, WrongPassword
from cme_desktop.services.protection.outputs import UNPROTECTED_WARNING
from cme_desktop.services.protection.pdf import open_pdf
from cme_desktop.services.registry import AppServices
from cme_desktop.services.settings import SettingsService, authority_of
from cme_desktop.services.vault.database import Database
from cme_desktop.services.vault.unlock import Vault
from cme_desktop.ui import background, prompts, visit_sheets
from cme_desktop.ui.password_shown_once import PasswordShownOnce
from cme_desktop.ui.pdf_pages import PdfPages
from cme_desktop.ui.visit_sheets import (
    VisitOrderDialog,
    VisitPlan,
    VisitSheetJob,
    case_labels,
)
from tests.support.main_window import Prompts
from tests.support.visit_cases import MadeCase, add_case, configure


@pytest.fixture
def services(vault: Vault, db: Database) -> AppServices:
    configure(db)
    return AppServices(vault, db)


@pytest.fixture
def made(db: Database) -> list[MadeCase]:
    fake = Faker("en_GB")
    fake.seed_instance(31)
    return [add_case(db, fake, carers=1) for _ in range(3)]


@pytest.fixture
def parent(qtbot: Any) -> QWidget:
    widget = QWidget()
    qtbot.addWidget(widget)
    return widget


def _printed(db: Database) -> list[tuple[int | None, str]]:
    with db.read() as session:
        rows = session.execute(
            select(AuditEvent.entity_id, AuditEvent.detail).where(
                AuditEvent.action == "visit_sheet_printed"
            )
        )
        return [(r.entity_id, r.detail) for r in rows]


def _texts(pdf: bytes) -> list[str]:
    return [p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages]


def decrypted_pdf(data: bytes, password: str) -> bytes:
    out = io.BytesIO()
    with open_pdf(data, password) as pdf:
        pdf.save(out)
    return out.getvalue()


def test_pages_are_drawn_from_memory_one_per_sheet(
    db: Database, made: list[MadeCase], tmp_path: Path
) -> None:
    authority = authority_of(SettingsService(db).load())
    pdf = VisitSheetService(db).render_for([c.id for c in made[:2]], authority=authority)
    pages = PdfPages(pdf)
    assert pages.page_count == 2
    image = pages.page_image(0, dpi=50)
    assert image.pixelColor(3, 3).lightness() == 255  # white paper, not transparent black
    dark = sum(
        1
        for x in range(0, image.width(), 3)
        for y in range(0, image.height(), 3)
        if image.pixelColor(x, y).lightness() < 100
    )
    assert dark > 500  # text and rules were drawn

    buffer = QBuffer()  # a printer that keeps its output in memory
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(buffer)
    writer.setResolution(72)
    writer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    writer.setPageMargins(QMarginsF(0, 0, 0, 0))
    assert pages.paint(writer, dpi=40) == 2
    del writer
    buffer.close()
    printed = pypdf.PdfReader(io.BytesIO(bytes(buffer.data())))
    assert len(printed.pages) == 2
    width = float(printed.pages[0].mediabox.width)
    assert abs(width - 595.3) < 1  # A4 at full size
    assert list(tmp_path.rglob("*.pdf")) == []  # the sheets never touched the disk


def test_the_officer_puts_the_visits_in_order_and_adds_a_note(
    qtbot: Any, services: AppServices, made: list[MadeCase]
) -> None:
    labels = case_labels(services, [c.id for c in made])
    assert [case_id for case_id, _ in labels] == [c.id for c in made]
    assert made[0].full_name in labels[0][1]
    dialog = VisitOrderDialog(labels)
    qtbot.addWidget(dialog)
    assert not dialog.up_button.isEnabled()
    dialog.list.setCurrentRow(2)
    dialog.up_button.click()
    dialog.up_button.click()
    assert not dialog.up_button.isEnabled()
    dialog.list.setCurrentRow(1)
    dialog.down_button.click()
    assert not dialog.down_button.isEnabled()
    dialog.note_edit.setText("  Neighbour saw the family  ")
    dialog.save_button.click()
    assert dialog.result() == VisitOrderDialog.DialogCode.Accepted
    plan = dialog.plan()
    assert plan == VisitPlan(
        case_ids=(made[2].id, made[1].id, made[0].id), note="Neighbour saw the family", output="pdf"
    )


def test_one_case_needs_no_ordering(
    qtbot: Any, services: AppServices, made: list[MadeCase]
) -> None:
    dialog = VisitOrderDialog(case_labels(services, [made[0].id]))
    qtbot.addWidget(dialog)
    assert dialog.list.isHidden()
    assert dialog.up_button.isHidden()
    dialog.preview_button.click()
    assert dialog.plan().output == "printer"


def _preview(qtbot: Any, job: VisitSheetJob) -> Any:
    job.start()
    qtbot.waitUntil(lambda: job.preview is not None and job.painted >= 2, timeout=20_000)
    return job.preview


def test_the_preview_draws_the_sheets_and_printing_is_audited_once(
    qtbot: Any,
    services: AppServices,
    db: Database,
    made: list[MadeCase],
    parent: QWidget,
    tmp_path: Path,
    asked: Prompts,
) -> None:
    ids = (made[1].id, made[0].id)
    job = VisitSheetJob(services, VisitPlan(ids, "", "printer"), parent)
    finished: list[str] = []
    job.on_finished = finished.append
    preview = _preview(qtbot, job)
    widget = preview.findChild(QPrintPreviewWidget)
    assert widget.pageCount() == 2
    toolbar = preview.findChild(QToolBar)
    assert "Save as PDF…" in [a.text() for a in toolbar.actions()]
    widget.updatePreview()  # zooming or a page set-up change draws again
    assert job.painted == 4
    assert _printed(db) == []  # looking is not printing
    assert list(tmp_path.rglob("*.pdf")) == []  # nothing written to disk

    # What the preview's Print button does once the print dialog is accepted; the printer
    # writes a file only because the test has no printer hardware.
    assert job.printer is not None
    job.printer.setOutputFileName(str(tmp_path / "printer-output.pdf"))
    job.printer.setResolution(100)
    widget.print_()
    preview.accept()
    assert finished == ["printed"]
    assert _printed(db) == [(i, "batch=2;output=printer") for i in ids]
    assert len(pypdf.PdfReader(tmp_path / "printer-output.pdf").pages) == 2
    assert asked.shown == []


def test_closing_the_preview_prints_nothing_and_audits_nothing(
    qtbot: Any, services: AppServices, db: Database, made: list[MadeCase], parent: QWidget
) -> None:
    job = VisitSheetJob(services, VisitPlan((made[0].id, made[2].id), "", "printer"), parent)
    finished: list[str] = []
    job.on_finished = finished.append
    _preview(qtbot, job).reject()
    assert finished == ["cancelled"]
    assert _printed(db) == []


def _unprotected(db: Database) -> list[tuple[str, str]]:
    with db.read() as session:
        rows = session.execute(
            select(AuditEvent.entity, AuditEvent.detail).where(
                AuditEvent.action == "unprotected_file_confirmed"
            )
        )
        return [(r.entity, r.detail) for r in rows]


def _save_job(
    qtbot: Any, services: AppServices, ids: tuple[int, ...], parent: QWidget
) -> list[str]:
    job = VisitSheetJob(services, VisitPlan(ids, "Monday round", "pdf"), parent)
    finished: list[str] = []
    job.on_finished = finished.append
    job.start()
    qtbot.waitUntil(lambda: finished != [], timeout=20_000)
    return finished


def test_save_as_pdf_is_protected_by_default_and_the_password_shown_once(
    qtbot: Any,
    services: AppServices,
    db: Database,
    made: list[MadeCase],
    parent: QWidget,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    asked: Prompts,
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    monkeypatch.setattr(prompts, "save_file", lambda *_a: out / "monday")
    ids = (made[2].id, made[0].id)
    assert _save_job(qtbot, services, ids, parent) == ["saved"]
    assert asked.titles("protection") == ["Save visit sheets as PDF"]
    assert asked.titles("confirm") == []  # protected: nothing to confirm
    shown = parent.findChildren(PasswordShownOnce, visit_sheets.PASSWORD_DIALOG)
    assert len(shown) == 1 and shown[0].isVisible()
    password = shown[0].password_label.text()
    assert 10 <= len(password) <= 32  # poppler's readers refuse longer ones
    target = out / "monday.pdf"
    assert str(target) in shown[0].findChildren(QLabel)[0].text()  # says where it went
    data = target.read_bytes()
    with pytest.raises(PasswordRequired):
        open_pdf(data, None)
    with pytest.raises(WrongPassword):
        open_pdf(data, "not the password at all")
    with pikepdf.open(io.BytesIO(data), password=password) as pdf:
        assert pdf.encryption.R == 6
        assert pdf.encryption.stream_method.name == "aesv3"
        assert len(pdf.pages) == 2
    texts = _texts(decrypted_pdf(data, password))
    assert made[2].full_name in texts[0] and made[0].full_name in texts[1]
    assert "Monday round" in texts[0]
    assert made[2].full_name.encode() not in data
    assert _printed(db) == [(i, "batch=2;output=pdf") for i in ids]
    assert _unprotected(db) == []
    assert [p.name for p in out.iterdir()] == ["monday.pdf"]
    shown[0].reject()
    assert shown[0].password_label.text() == ""  # forgotten once closed


def test_save_as_pdf_unprotected_only_once_confirmed_and_audited(
    qtbot: Any,
    services: AppServices,
    db: Database,
    made: list[MadeCase],
    parent: QWidget,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    asked: Prompts,
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    monkeypatch.setattr(prompts, "save_file", lambda *_a: out / "plain.pdf")
    ids = (made[1].id,)
    asked.protect_answer = False
    asked.confirm_answer = False  # the officer thinks again: nothing is written
    assert _save_job(qtbot, services, ids, parent) == ["cancelled"]
    assert asked.texts("confirm") == [UNPROTECTED_WARNING]
    assert list(out.iterdir()) == [] and _printed(db) == [] and _unprotected(db) == []

    asked.confirm_answer = True
    assert _save_job(qtbot, services, ids, parent) == ["saved"]
    texts = _texts((out / "plain.pdf").read_bytes())
    assert made[1].full_name in texts[0]
    assert _unprotected(db) == [("visit_sheets", "format=pdf;sheets=1")]
    assert _printed(db) == [(made[1].id, "batch=1;output=pdf")]
    assert asked.texts("info") == [
        f"The visit sheets were saved, unprotected, to {out / 'plain.pdf'}."
    ]
    assert parent.findChildren(PasswordShownOnce) == []


def test_cancelling_the_protection_question_saves_nothing(
    qtbot: Any,
    services: AppServices,
    db: Database,
    made: list[MadeCase],
    parent: QWidget,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    asked: Prompts,
) -> None:
    chosen: list[Any] = []
    monkeypatch.setattr(prompts, "save_file", lambda *a: chosen.append(a))
    asked.protect_answer = None
    assert _save_job(qtbot, services, (made[0].id,), parent) == ["cancelled"]
    assert chosen == [] and asked.titles("confirm") == []
    assert list(tmp_path.rglob("*.pdf")) == [] and _printed(db) == []


def test_print_visit_sheets_needs_a_case(qtbot: Any, parent: QWidget, asked: Prompts) -> None:
    assert visit_sheets.print_visit_sheets(parent, None, []) is None  # type: ignore[arg-type]
    assert asked.titles("info") == ["Print visit sheets"]


def test_file_print_visit_sheets_in_the_main_window(
    qtbot: Any, window: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked_for: list[list[int]] = []
    monkeypatch.setattr(
        visit_sheets, "print_visit_sheets", lambda _p, _s, ids: asked_for.append(list(ids))
    )
    action = visit_sheets.install(window)
    assert action.shortcut().toString() == "Ctrl+P"
    assert action in window.toolbar.actions()
    window.desk.show_cases()
    table = window.desk.case_list.table
    table.selectRow(2)
    action.trigger()
    assert asked_for == [[table.case_model().case_id(2)]]
    background.wait_for_all()


def test_locking_closes_the_preview_and_prints_nothing(
    qtbot: Any, window: Any, asked: Prompts
) -> None:
    visit_sheets.install(window)
    services = window.services
    ids = tuple(services.case_list.matching_ids(CaseQuery(sort="id"))[:2])
    job = VisitSheetJob(services, VisitPlan(ids, "", "printer"), window)
    finished: list[str] = []
    job.on_finished = finished.append
    _preview(qtbot, job)
    late = VisitSheetJob(services, VisitPlan(ids, "", "printer"), window)
    late.on_finished = finished.append
    late.start()  # still being made when the vault locks
    assert window.lock()
    qtbot.waitUntil(lambda: len(finished) == 2, timeout=20_000)
    assert finished == ["cancelled", "cancelled"]
    assert late.preview is None
    assert asked.titles("error") == []


def test_locking_closes_a_saved_pdfs_password(
    qtbot: Any, window: Any, asked: Prompts, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    visit_sheets.install(window)
    services = window.services
    ids = tuple(services.case_list.matching_ids(CaseQuery(sort="id"))[:1])
    out = tmp_path / "out"
    out.mkdir()
    monkeypatch.setattr(prompts, "save_file", lambda *_a: out / "sheets.pdf")
    job = VisitSheetJob(services, VisitPlan(ids, "", "pdf"), window)
    finished: list[str] = []
    job.on_finished = finished.append
    job.start()
    qtbot.waitUntil(lambda: finished == ["saved"], timeout=20_000)
    (shown,) = window.findChildren(PasswordShownOnce, visit_sheets.PASSWORD_DIALOG)
    assert shown.isVisible() and shown.password_label.text()
    assert window.lock()
    assert not shown.isVisible() and shown.password_label.text() == ""
