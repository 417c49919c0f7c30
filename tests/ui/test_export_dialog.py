"""Export referral…: format, file, recipient and password; the password shown once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from faker import Faker
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QKeySequence
from PySide6.QtWidgets import QMenu
from sqlalchemy import select

from cme_desktop.app import build_window
from cme_desktop.models import AuditEvent
from cme_desktop.services.cases.case_list import CaseQuery
from cme_desktop.services.importing.docx import parse_docx
from cme_desktop.services.importing.pdf import parse_pdf
from cme_desktop.services.protection.passwords import (
    MAX_PDF_PASSWORD,
    MIN_ENTROPY_BITS,
    SHORT_ALPHABET,
    short_password_entropy_bits,
)
from cme_desktop.services.registry import AppServices
from cme_desktop.services.vault.database import Database
from cme_desktop.services.vault.unlock import Vault
from cme_desktop.ui import background, export_dialog, prompts
from cme_desktop.ui.export_dialog import ExportDialog
from cme_desktop.ui.password_shown_once import SEND_SEPARATELY, copy_secret
from tests.support.main_window import Prompts
from tests.support.visit_cases import MadeCase, add_case, add_referral, configure, referral_for

SHORT_MS = 150


@pytest.fixture
def services(vault: Vault, db: Database) -> AppServices:
    configure(db)
    return AppServices(vault, db)


@pytest.fixture
def case(db: Database) -> MadeCase:
    fake = Faker("en_GB")
    fake.seed_instance(77)
    made = add_case(db, fake)
    add_referral(db, made.id, referral_for(made, fake))
    return made


@pytest.fixture
def clipboard() -> Iterator[Any]:
    board = QGuiApplication.clipboard()
    yield board
    board.clear()


def _dialog(qtbot: Any, services: AppServices, case: MadeCase) -> ExportDialog:
    dialog = ExportDialog(services, case.id, clear_after_ms=SHORT_MS)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def _choose(monkeypatch: pytest.MonkeyPatch, dialog: ExportDialog, target: Path) -> None:
    asked: list[str] = []

    def save_file(_parent: Any, _caption: str, suggested: str, filters: str) -> Path:
        asked.append(suggested)
        return target

    monkeypatch.setattr(prompts, "save_file", save_file)
    dialog.choose_target()
    assert asked and asked[0].endswith(f"CME-{dialog.case_id:06d}-referral.pdf")


def _exported(qtbot: Any, dialog: ExportDialog) -> str:
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.password_dialog is not None, timeout=20_000)
    assert dialog.password_dialog is not None
    return dialog.password_dialog.password_label.text()


def _audited(db: Database) -> list[str]:
    with db.read() as session:
        return list(
            session.scalars(
                select(AuditEvent.detail).where(AuditEvent.action == "referral_exported")
            )
        )


def test_a_generated_password_exports_and_is_shown_once(
    qtbot: Any,
    services: AppServices,
    case: MadeCase,
    db: Database,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    asked: Prompts,
    clipboard: Any,
) -> None:
    dialog = _dialog(qtbot, services, case)
    assert not dialog.export_button.isEnabled()
    assert "Choose where" in dialog.problem_label.text()
    _choose(monkeypatch, dialog, tmp_path / "for-police.pdf")
    assert not dialog.export_button.isEnabled()
    dialog.set_recipient("police")
    assert dialog.export_button.isEnabled()

    password = _exported(qtbot, dialog)
    # Short enough for every PDF reader (poppler refuses more than 32 characters),
    # strong by arithmetic: 20 characters from the 31 without look-alikes.
    assert len(password) <= MAX_PDF_PASSWORD
    groups = password.split("-")
    assert [len(g) for g in groups] == [4] * 5
    assert set("".join(groups)) <= set(SHORT_ALPHABET)
    assert short_password_entropy_bits(len(groups)) >= MIN_ENTROPY_BITS
    [parsed] = parse_pdf(
        (tmp_path / "for-police.pdf").read_bytes(), password=password, source="x.pdf"
    )
    assert parsed.referral["children"][0]["full_name"] == case.full_name
    assert _audited(db) == ["format=pdf;recipient=police"]

    shown = dialog.password_dialog
    assert shown is not None
    labels = " ".join(w.text() for w in shown.findChildren(type(shown.copied_label)))
    assert SEND_SEPARATELY in labels
    shown.copy_button.click()
    assert clipboard.text() == password
    qtbot.waitUntil(lambda: clipboard.text() == "", timeout=3_000)
    shown.reject()
    assert shown.password_label.text() == ""  # shown once: gone from the screen
    assert dialog.result() == ExportDialog.DialogCode.Accepted
    assert asked.shown == []


def test_the_clipboard_is_left_alone_once_the_officer_copied_something_else(
    qtbot: Any, clipboard: Any
) -> None:
    copy_secret("velvet-lantern-orchard", clear_after_ms=SHORT_MS)
    assert clipboard.text() == "velvet-lantern-orchard"
    clipboard.setText("a case reference")
    qtbot.wait(SHORT_MS * 3)
    assert clipboard.text() == "a case reference"


def test_a_typed_password_must_be_long_enough_and_typed_twice(
    qtbot: Any,
    services: AppServices,
    case: MadeCase,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    asked: Prompts,
) -> None:
    dialog = _dialog(qtbot, services, case)
    _choose(monkeypatch, dialog, tmp_path / "referral.docx")
    assert dialog.fmt() == "docx"
    dialog.set_recipient("childrens_social_care")
    assert not dialog.typed_box.isVisibleTo(dialog)
    dialog.typed.setChecked(True)
    assert dialog.typed_box.isVisibleTo(dialog)
    qtbot.keyClicks(dialog.password_edit, "short")
    assert "at least 10" in dialog.problem_label.text()
    assert dialog.meter.value() == 0
    assert not dialog.export_button.isEnabled()
    typed = "Mossy granite lantern 42"
    dialog.password_edit.setText(typed)
    dialog.again_edit.setText(typed + "!")
    assert "same password" in dialog.problem_label.text()
    assert not dialog.export_button.isEnabled()
    dialog.again_edit.setText(typed)
    assert dialog.export_button.isEnabled()
    assert dialog.meter.value() >= 3

    assert _exported(qtbot, dialog) == typed
    assert dialog.password_edit.text() == ""
    data = (tmp_path / "referral.docx").read_bytes()
    [parsed] = parse_docx(data, password=typed, source="referral.docx")
    assert parsed.referral["children"][0]["full_name"] == case.full_name


def test_a_typed_password_too_long_for_some_pdf_readers_is_refused_with_the_reason(
    qtbot: Any,
    services: AppServices,
    case: MadeCase,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    asked: Prompts,
) -> None:
    dialog = _dialog(qtbot, services, case)
    _choose(monkeypatch, dialog, tmp_path / "referral.pdf")
    dialog.set_recipient("police")
    dialog.typed.setChecked(True)
    long_one = "Mossy granite lantern over the hill 42"  # 38 characters
    qtbot.keyClicks(dialog.password_edit, long_one)
    qtbot.keyClicks(dialog.again_edit, long_one)
    assert "Some PDF readers cannot open a file whose password is longer than 32" in (
        dialog.problem_label.text()
    )
    assert not dialog.export_button.isEnabled()
    # Word opens long passwords: the same password is fine for a .docx.
    dialog.format_buttons["docx"].setChecked(True)
    assert dialog.export_button.isEnabled()
    dialog.format_buttons["pdf"].setChecked(True)
    assert not dialog.export_button.isEnabled()
    dialog.password_edit.setText(long_one[:32])
    dialog.again_edit.setText(long_one[:32])
    assert dialog.export_button.isEnabled()


def test_the_format_and_the_file_name_follow_each_other(
    qtbot: Any, services: AppServices, case: MadeCase, tmp_path: Path
) -> None:
    dialog = _dialog(qtbot, services, case)
    dialog.set_target(tmp_path / "referral.docx")
    assert dialog.format_buttons["docx"].isChecked()
    dialog.format_buttons["pdf"].setChecked(True)
    assert dialog.target() == tmp_path / "referral.pdf"
    dialog.set_target(tmp_path / "no-suffix")
    assert dialog.target() == tmp_path / "no-suffix.pdf"


def test_a_failed_export_says_why_and_leaves_nothing(
    qtbot: Any, services: AppServices, case: MadeCase, tmp_path: Path, asked: Prompts
) -> None:
    dialog = _dialog(qtbot, services, case)
    folder = tmp_path / "usb-stick"
    folder.mkdir()
    dialog.set_target(folder / "referral.pdf")
    dialog.set_recipient("health")
    folder.rmdir()  # the stick was pulled out
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: asked.titles("error") == ["Export referral"], timeout=20_000)
    background.wait_for_all()
    assert "does not exist" in asked.texts("error")[0]
    assert dialog.password_dialog is None
    assert dialog.isEnabled()
    assert not folder.exists()
    assert list(tmp_path.rglob("*referral*")) == []


def test_file_export_referral_in_the_main_window(
    qtbot: Any, window: Any, asked: Prompts, monkeypatch: pytest.MonkeyPatch
) -> None:
    action = export_dialog.install(window)
    [file_menu] = [m for m in window.findChildren(QMenu) if m.title() == "&File"]
    items = file_menu.actions()
    assert items.index(action) < items.index(window.settings_action)  # Settings, Lock, Quit last
    assert items[items.index(action) + 1].isSeparator()
    assert items[-1] is window.quit_action
    shortcuts = [a.shortcut() for a in window.actions() if a is not action]
    assert action.shortcut() not in shortcuts  # never ambiguous
    expected = "Ctrl+E" if QKeySequence("Ctrl+E") not in shortcuts else "Ctrl+Shift+E"
    assert action.shortcut() == QKeySequence(expected)
    assert action in window.toolbar.actions()
    opened: list[int] = []
    monkeypatch.setattr(
        export_dialog, "export_referral", lambda _p, _s, case_id, **_kw: opened.append(case_id)
    )
    monkeypatch.setattr(window, "current_case_id", lambda: None)
    action.trigger()
    assert opened == []
    assert asked.titles("info") == ["Export referral"]
    monkeypatch.setattr(window, "current_case_id", lambda: 3)
    action.trigger()
    assert opened == [3]


def test_the_application_window_offers_both_files_out(qtbot: Any, tmp_path: Path) -> None:
    window = build_window(Vault(tmp_path / "new.cme"))
    qtbot.addWidget(window)
    [file_menu] = [m for m in window.findChildren(QMenu) if m.title() == "&File"]
    texts = [a.text() for a in file_menu.actions()]
    export = texts.index("&Export referral…")
    assert texts[export : export + 3] == ["&Export referral…", "&Print visit sheets…", ""]
    assert texts[export - 1] == ""  # a group of their own
    assert texts[-3:] == ["&Settings…", "&Lock", "&Quit"]


def test_locking_closes_the_dialog_and_shows_no_password(
    qtbot: Any, window: Any, tmp_path: Path, asked: Prompts
) -> None:
    export_dialog.install(window)
    case_id = window.services.case_list.matching_ids(CaseQuery(sort="id"))[0]
    dialog = ExportDialog(window.services, case_id, parent=window)
    dialog.set_target(tmp_path / "late.pdf")
    dialog.set_recipient("police")
    dialog.open()
    dialog.export()  # still running when the vault locks
    assert window.lock()
    qtbot.wait(50)
    assert dialog.password_dialog is None
    assert not dialog.isVisible()
    assert asked.titles("error") == []
