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
    assert not window.is_locked()
    assert window.services is not None
    assert SettingsService(window.services.db).load().officer_name == "Robin Example"
    assert window.services.db.actor == "Robin Example"
    window.close()
    # The key printed opens the vault.
    vault.unlock_with_recovery_key(key).close()


def test_cancelled_print_writes_nothing(qtbot: Any, tmp_path: Path, asked: Prompts) -> None:
    _window, page, _vault = _first_run(qtbot, tmp_path)
    page.recovery.show_key("ABCDE-FGHJK")
    asked.printer = None
    page.recovery.print_button.click()
    assert asked.titles("printer") == ["Print the recovery key"]
    assert not page.recovery.stored.isChecked()
