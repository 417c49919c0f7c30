"""Driving the main window in the desktop tests: the known case, the prompt recorder,
a window on a vault, and unlocking it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cme_desktop.services.registry import AppServices
from cme_desktop.services.vault.unlock import Vault
from cme_desktop.ui.main_window import MainWindow
from tests.support.credentials import PASSPHRASE

#: The one case of the demo vault whose name the tests know.
KNOWN_NAME = "Zebedee Quartermain"


@dataclass
class Prompts:
    """What the window asked the officer, and the answers it got."""

    shown: list[tuple[str, str, str]] = field(default_factory=list)
    confirm_answer: bool = True
    save_answer: str = "save"
    text_answer: str | None = "Reopened for the test"
    #: Unsaved changes kept at an idle lock: "restore", "discard" or "later".
    restore_answer: str = "restore"
    #: "Protect with a password" before saving a file that names children (None: cancel).
    protect_answer: bool | None = True
    printer: Any = None

    def titles(self, kind: str) -> list[str]:
        return [t for k, t, _ in self.shown if k == kind]

    def texts(self, kind: str) -> list[str]:
        return [x for k, _, x in self.shown if k == kind]


def make_window(vault: Vault, *, idle_lock_ms: int | None = None) -> MainWindow:
    return MainWindow(
        vault,
        make_services=lambda db: AppServices(vault, db),
        idle_lock_ms=idle_lock_ms,
    )


def unlock(qtbot: Any, window: MainWindow, passphrase: str = PASSPHRASE) -> None:
    """Type the passphrase and wait for the desk."""
    page = window.gate
    assert page is not None
    page.passphrase.setText(passphrase)  # type: ignore[union-attr]
    page.unlock()  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: not window.is_locked(), timeout=10_000)
