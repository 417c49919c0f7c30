"""The composition root: ``cme-desktop [--db PATH]``.

Builds the Qt application, the vault (with the system credential store where
a secure one exists) and the main window, and hands the window a factory for
the services of an unlocked vault. Nothing else in the application makes
these objects. It also starts the log (``services.diagnostics``) and the
message shown after an unforeseen error (``ui.crash``); ``--version`` prints
the version before any of it.

The unlock screen is drawn first: this module and the window import only what
it needs, and the desk, the features and the services behind them load once
it is on screen (``MainWindow.later``), while the officer types the
passphrase. Document, PDF and migration libraries load when first used.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import multiprocessing
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from cme_desktop.resource_files import resource_path
from cme_desktop.services import diagnostics
from cme_desktop.services.errors import CmeError
from cme_desktop.services.vault.keyslots import read_slots
from cme_desktop.services.vault.secret_store import system_secret_store
from cme_desktop.services.vault.unlock import Vault, default_vault_path
from cme_desktop.ui import crash, look
from cme_desktop.ui.main_window import MainWindow
from cme_desktop.ui.vault.first_run import FirstRunPage
from cme_desktop.ui.vault.unlock import UnlockPage

if TYPE_CHECKING:
    from cme_desktop.services.registry import AppServices
    from cme_desktop.services.vault.database import Database
    from cme_desktop.ui.vault.server_login import ServerLoginPage

# How long ``--self-test`` lets the window run before it looks: the first paint is done.
SELF_TEST_MS = 500


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
    parser.add_argument(
        "--server",
        metavar="URL",
        default=None,
        help="work on the team's PostgreSQL server instead of a vault "
        "(postgresql://login@host/database): a login screen replaces the unlock screen",
    )
    parser.add_argument("--version", action="version", version=diagnostics.version_line())
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="show the first screen, print which it is and quit (checks an installed copy)",
    )
    args = parser.parse_args(list(argv) if argv is not None else None)
    if args.server is not None:
        from cme_desktop.services.errors import CmeError
        from cme_desktop.services.server.connection import parse

        try:
            parse(args.server)
        except CmeError as exc:
            parser.error(exc.message)
    return args


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


def _install_referrals(window: MainWindow) -> None:
    from cme_desktop.ui.referral import page as referrals

    referrals.install(window)


def _install_export(window: MainWindow) -> None:
    from cme_desktop.ui import export_dialog

    export_dialog.install(window)


def _install_visit_sheets(window: MainWindow) -> None:
    from cme_desktop.ui import visit_sheets

    visit_sheets.install(window)


def _install_chronology(window: MainWindow) -> None:
    from cme_desktop.ui import chronology

    chronology.install(window)


def _install_letters(window: MainWindow) -> None:
    from cme_desktop.ui import letters

    letters.install(window)


def _install_bulk_actions(window: MainWindow) -> None:
    from cme_desktop.ui.case_list import bulk

    bulk.install(window)


def _install_reports(window: MainWindow) -> None:
    from cme_desktop.ui.reports import dialog as reports

    reports.install(window)


def _install_data_protection(window: MainWindow) -> None:
    from cme_desktop.ui import data_protection

    data_protection.install(window)


def _install_school_returns(window: MainWindow) -> None:
    from cme_desktop.ui import school_returns_section

    school_returns_section.install(window)


def _install_live_refresh(window: MainWindow) -> None:
    from cme_desktop.ui import live_refresh

    live_refresh.install(window)


def _install_field_visits(window: MainWindow) -> None:
    from cme_desktop.ui import field_visits

    field_visits.install(window)


def _install_register_exchange(window: MainWindow) -> None:
    from cme_desktop.ui import register_exchange

    register_exchange.install(window)


#: The features added here, in menu order. The window installs importing and the
#: escalation questions itself (its own screens need them).
FEATURES: tuple[Callable[[MainWindow], None], ...] = (
    _install_referrals,
    _install_export,
    _install_visit_sheets,
    _install_chronology,
    _install_letters,
    _install_bulk_actions,
    _install_reports,
    _install_data_protection,
    _install_school_returns,
    _install_live_refresh,
    _install_field_visits,
    _install_register_exchange,
)


def build_window(
    vault: Vault,
    *,
    idle_lock_ms: int | None = None,
    start_later: bool = False,
    server: str | None = None,
) -> MainWindow:
    """The main window on ``vault``; the services are made when it is unlocked.

    ``start_later``: the unlock screen first, the rest once it is drawn (``main``).
    ``server``: a PostgreSQL address; its login screen replaces the vault's unlock screen.
    """

    def make_services(db: Database) -> AppServices:
        from cme_desktop.services.registry import AppServices

        return AppServices(vault, db)

    window = MainWindow(
        vault,
        make_services=make_services,
        idle_lock_ms=idle_lock_ms,
        start_later=start_later,
        login_page=None if server is None else _server_login(server),
    )
    for install in FEATURES:
        window.later(functools.partial(install, window))
    return window


def _server_login(url: str) -> Callable[[], ServerLoginPage]:
    """The login screen for ``url`` (read now: a wrong address stops the start at once)."""
    from cme_desktop.services.server.connection import parse
    from cme_desktop.services.server.database import login_name
    from cme_desktop.ui.vault.server_login import ServerLoginPage

    address = parse(url, default_user=login_name())
    store = system_secret_store()
    return lambda: ServerLoginPage(address, store)


@dataclass(frozen=True)
class Started:
    """The running application: its window shown, the event loop not yet entered."""

    app: QApplication
    window: MainWindow
    args: argparse.Namespace


def _remembered_here(vault: Vault) -> bool:
    """Whether the vault's key file holds a key for the credential store (it may have been
    remembered on this computer): only then is the store looked for before the window."""
    try:
        return read_slots(vault.slots_path).slot("keyring") is not None
    except (CmeError, OSError, ValueError):
        return False  # no vault yet, or a key file the unlock screen will explain


def _find_secret_store(window: MainWindow) -> None:
    store = system_secret_store()
    if store is None or window.vault.secret_store is not None:
        return
    window.vault.secret_store = store
    window.credential_store_found()


@contextlib.contextmanager
def running(argv: Sequence[str]) -> Iterator[Started]:
    """Everything ``main`` does before the event loop, and the tidying after it.

    The window is shown with the unlock screen; the desk and the features follow
    once it is drawn. The benchmark of the officer's wait starts the program
    through this too.
    """
    args = parse_args(argv)
    with diagnostics.start_log("cme-desktop") as log:
        app = make_application([sys.argv[0]] if sys.argv else ["cme-desktop"])
        vault = Vault(args.db)
        remembered = _remembered_here(vault)
        if remembered:
            vault.secret_store = system_secret_store()  # its button is on the first screen
        window = build_window(vault, start_later=True, server=args.server)
        if not remembered:
            # Looking for the system credential store takes a tenth of a second: once the
            # rest has loaded, then "Remember on this computer" is offered where one exists.
            window.later(lambda: _find_secret_store(window))
        window.log = log
        # An error nobody foresaw is logged and explained; the window stays open.
        restore_hooks = crash.install(window, vault_path=vault.path, log=log)
        try:
            window.show()
            yield Started(app, window, args)
        finally:
            restore_hooks()


def main(argv: Sequence[str] | None = None) -> int:
    """Start the desktop application; returns the exit code."""
    # A frozen Windows build starts the import sandbox's process through this entry point.
    multiprocessing.freeze_support()
    with running(argv if argv is not None else sys.argv[1:]) as started:
        app, window = started.app, started.window
        if started.args.self_test:
            # Once the event loop has shown and painted the window, as an officer sees it.
            QTimer.singleShot(SELF_TEST_MS, lambda: app.exit(_self_test(window)))
        return int(app.exec())


def _self_test(window: MainWindow) -> int:
    """Say which screen ``window`` shows (``--self-test``); 0 if it is on screen."""
    if isinstance(window.gate, UnlockPage):
        screen = "the unlock screen"
    elif isinstance(window.gate, FirstRunPage):
        screen = "the first-run screen"
    elif window.gate is not None:
        screen = "the server login screen"
    else:
        screen = "the desk"
    page = window.stack.currentWidget()
    shown = window.isVisible() and page is not None and page.isVisible()
    print(f"{window.windowTitle()}: {screen} {'is shown' if shown else 'is NOT shown'}.")
    return 0 if shown else 1


if __name__ == "__main__":
    raise SystemExit(main())
