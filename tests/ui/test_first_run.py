"""First run: the passphrase twice with a strength meter, then the recovery key shown once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtPrintSupport import QPrinter

from cme_desktop.services.settings import SettingsService
from cme_desktop.services.vault.unlock import Vault
from cme_desktop.ui.vault.first_run import FirstRunPage
from cme_desktop.ui.vault.passphrase import strength
from tests.support.credentials import FAST_SCRYPT
from tests.support.main_window import Prompts, make_window

GOOD = "mossy granite lantern orchard"


def test_strength_grows_with_length_and_refuses_short() -> None:
    assert strength("short").score == 0
    assert strength("aaaaaaaaaaaa").score == 1
    assert strength("Tr0ub4dor&3x").score < strength(GOOD).score
    assert strength(GOOD).label == "Strong"


def _first_run(qtbot: Any, tmp_path: Path) -> tuple[Any, FirstRunPage, Vault]:
    vault = Vault(tmp_path / "new" / "cases.cme", scrypt=FAST_SCRYPT)
    window = make_window(vault)
    qtbot.addWidget(window)
    window.show()
    page = window.gate
    assert isinstance(page, FirstRunPage)
    return window, page, vault


def test_mismatched_passphrases_are_refused(qtbot: Any, tmp_path: Path, asked: Prompts) -> None:
    window, page, vault = _first_run(qtbot, tmp_path)
    qtbot.keyClicks(page.passphrase.first, GOOD)
    qtbot.keyClicks(page.passphrase.second, GOOD + "x")
    assert "different" in page.passphrase.problem_label.text()
    qtbot.mouseClick(page.create_button, Qt.MouseButton.LeftButton)
    assert asked.titles("error") == ["Create the vault"]
    assert not vault.exists


def test_short_passphrase_shows_why(qtbot: Any, tmp_path: Path, asked: Prompts) -> None:
    _window, page, vault = _first_run(qtbot, tmp_path)
    qtbot.keyClicks(page.passphrase.first, "too short")
    assert "at least 10 characters" in page.passphrase.problem_label.text()
    assert page.passphrase.meter_label.text() == "Too short"
    page.create_vault()
    assert not vault.exists


def test_recovery_key_must_be_confirmed_before_continuing(
    qtbot: Any, tmp_path: Path, asked: Prompts
) -> None:
    window, page, vault = _first_run(qtbot, tmp_path)
    qtbot.keyClicks(page.officer_name, "Robin Example")
    qtbot.keyClicks(page.passphrase.first, GOOD)
    qtbot.keyClicks(page.passphrase.second, GOOD)
    assert page.passphrase.meter.value() == 4
    qtbot.mouseClick(page.create_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.recovery.is_pending(), timeout=10_000)
    key = page.recovery.key_label.text()
    assert len(key) > 20 and vault.exists
    assert window.is_locked()
    assert not page.recovery.continue_button.isEnabled()

    # Print: the page goes to the printer the officer picks (here a PDF in the test folder).
    printer = QPrinter(QPrinter.PrinterMode.ScreenResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printed = tmp_path / "printed.pdf"
    printer.setOutputFileName(str(printed))
    asked.printer = printer
    qtbot.mouseClick(page.recovery.print_button, Qt.MouseButton.LeftButton)
    assert asked.titles("printer") == ["Print the recovery key"]
    assert printed.stat().st_size > 1000

    page.recovery.stored.setChecked(True)
    qtbot.mouseClick(page.recovery.continue_button, Qt.MouseButton.LeftButton)
    _answer_authority(qtbot, page)
    assert not window.is_locked()
    assert window.services is not None
    assert SettingsService(window.services.db).load().officer_name == "Robin Example"
    assert window.services.db.actor == "Robin Example"
    window.close()
    # The key printed opens the vault.
    vault.unlock_with_recovery_key(key).close()


def _answer_authority(qtbot: Any, page: FirstRunPage) -> None:
    """The last step, by keyboard: focus starts on the authority; Enter moves on."""
    assert page.stack.currentWidget() is page.authority
    assert page.authority.authority_name.hasFocus()
    for widget, typed in (
        (page.authority.authority_name, "Testshire County Council"),
        (page.authority.la_number, "855"),
        (page.authority.officer_name, ""),  # kept from the first page
        (page.authority.officer_title, ""),
        (page.authority.phone, "0116 000 0000"),
        (page.authority.email, "robin@testshire.gov.uk"),
        (page.authority.address, "County Hall, Testtown TT1 1TT"),
    ):
        assert widget.hasFocus()
        qtbot.keyClicks(widget, typed)
        qtbot.keyClick(widget, Qt.Key.Key_Return)


def test_cancelled_print_writes_nothing(qtbot: Any, tmp_path: Path, asked: Prompts) -> None:
    _window, page, _vault = _first_run(qtbot, tmp_path)
    page.recovery.show_key("ABCDE-FGHJK")
    asked.printer = None
    page.recovery.print_button.click()
    assert asked.titles("printer") == ["Print the recovery key"]
    assert not page.recovery.stored.isChecked()


def _to_the_authority_page(qtbot: Any, tmp_path: Path) -> tuple[Any, FirstRunPage, Vault]:
    window, page, vault = _first_run(qtbot, tmp_path)
    qtbot.keyClicks(page.officer_name, "Robin Example")
    qtbot.keyClicks(page.passphrase.first, GOOD)
    qtbot.keyClicks(page.passphrase.second, GOOD)
    page.create_vault()
    qtbot.waitUntil(lambda: page.recovery.is_pending(), timeout=10_000)
    page.recovery.stored.setChecked(True)
    page.recovery.continue_button.click()
    return window, page, vault


def test_the_authority_is_asked_and_saved(qtbot: Any, tmp_path: Path, asked: Prompts) -> None:
    window, page, _vault = _to_the_authority_page(qtbot, tmp_path)
    assert window.is_locked(), "the vault is handed on only once the authority is known"
    assert page.authority.officer_name.text() == "Robin Example"
    _answer_authority(qtbot, page)
    assert not window.is_locked()
    assert window.services is not None
    saved = SettingsService(window.services.db).load()
    assert saved.authority_name == "Testshire County Council"
    assert saved.la_number == "855"
    assert saved.contact_email == "robin@testshire.gov.uk"
    assert saved.contact_phone == "0116 000 0000"
    assert saved.contact_address == "County Hall, Testtown TT1 1TT"
    assert saved.officer_title == "Children Missing Education Officer"
    assert asked.titles("error") == []
    window.close()


def test_a_wrong_la_number_is_refused_and_focused(
    qtbot: Any, tmp_path: Path, asked: Prompts
) -> None:
    window, page, _vault = _to_the_authority_page(qtbot, tmp_path)
    qtbot.keyClicks(page.authority.authority_name, "Testshire County Council")
    qtbot.keyClicks(page.authority.la_number, "85")
    qtbot.keyClicks(page.authority.phone, "0116 000 0000")
    page.authority.save_button.click()
    assert asked.titles("error") == ["Your authority"]
    assert "3 digits" in asked.texts("error")[0]
    assert page.authority.la_number.hasFocus()
    assert window.is_locked()
    # Corrected, it goes through.
    page.authority.la_number.setText("855")
    page.authority.save_button.click()
    assert not window.is_locked()
    window.close()


def test_local_authority_is_not_a_name(qtbot: Any, tmp_path: Path, asked: Prompts) -> None:
    window, page, _vault = _to_the_authority_page(qtbot, tmp_path)
    qtbot.keyClicks(page.authority.authority_name, "Local Authority")
    qtbot.keyClicks(page.authority.la_number, "855")
    qtbot.keyClicks(page.authority.phone, "0116 000 0000")
    page.authority.save_button.click()
    assert asked.titles("error") == ["Your authority"]
    assert page.authority.authority_name.hasFocus()
    assert window.is_locked()
    page.authority.authority_name.setText("Testshire County Council")
    page.authority.save_button.click()
    assert not window.is_locked()
    window.close()
