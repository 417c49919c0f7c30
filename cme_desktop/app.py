"""The composition root: ``cme-desktop [--db PATH]``.

Builds the Qt application, the vault (with the system credential store where
a secure one exists) and the main window, and hands the window a factory for
the services of an unlocked vault. Nothing else in the application makes
these objects.
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from cme_desktop.resource_files import resource_path
from cme_desktop.services.registry import AppServices
from cme_desktop.services.vault.database import Database
from cme_desktop.services.vault.secret_store import system_secret_store
from cme_desktop.services.vault.unlock import Vault, default_vault_path
from cme_desktop.ui import export_dialog, look, visit_sheets
from cme_desktop.ui.main_window import MainWindow
from cme_desktop.ui.referral import page as referrals
from cme_desktop.ui.reports import dialog as reports


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="cme-desktop", description="The CME named officer's case records."
    )
    parser.add_argument(
        "--db",
        type=Path,
        default=None,
        help=f"the vault to open (default: {default_vault_path()})",
    )
    return parser.parse_args(list(argv) if argv is not None else None)


def make_application(argv: Sequence[str]) -> QApplication:
    """The QApplication, named and styled (reused if one exists, as in tests)."""
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(list(argv))
    app.setApplicationName("CME Desktop")
    app.setOrganizationName("CME Desktop")
    icon = QIcon()
    for size in (16, 32, 48, 256):
        icon.addFile(str(resource_path(f"icons/cme-desktop-{size}.png")))
    app.setWindowIcon(icon)
    look.apply(app)
    return app


def build_window(vault: Vault, *, idle_lock_ms: int | None = None) -> MainWindow:
    """The main window on ``vault``; the services are made when it is unlocked."""

    def make_services(db: Database) -> AppServices:
        return AppServices(vault, db)

    # The window installs importing and the escalation questions itself (its own screens
    # need them); the other features are added here.
    window = MainWindow(vault, make_services=make_services, idle_lock_ms=idle_lock_ms)
    referrals.install(window)
    export_dialog.install(window)
    visit_sheets.install(window)
    reports.install(window)
    return window


def main(argv: Sequence[str] | None = None) -> int:
    """Start the desktop application; returns the exit code."""
    # A frozen Windows build starts the import sandbox's process through this entry point.
    multiprocessing.freeze_support()
    args = parse_args(argv if argv is not None else sys.argv[1:])
    app = make_application([sys.argv[0]] if sys.argv else ["cme-desktop"])
    vault = Vault(args.db, secret_store=system_secret_store())
    window = build_window(vault)
    window.show()
    return int(app.exec())


if __name__ == "__main__":
    raise SystemExit(main())
