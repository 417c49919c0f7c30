"""Regenerate the desktop's screenshots in ``docs/screenshots/`` from a fresh demo vault.

``python -m tools.screenshots`` (``make screenshots``) runs offscreen: it builds a
vault of 300 synthetic cases (Faker ``en_GB``, never real people) in a temporary
folder, drives the real window through first run, unlock, the case list, the
dashboard and a case, and saves each with ``QWidget.grab()``. The case list is
shot again at 125 % and 150 % scaling (``QT_SCALE_FACTOR``, in a child process
each, since the factor is read when Qt starts).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QCoreApplication  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402

from cme_desktop.app import build_window, make_application  # noqa: E402
from cme_desktop.services.cases import demo  # noqa: E402
from cme_desktop.services.cases.case_list import CaseQuery  # noqa: E402
from cme_desktop.services.diagnostics import LogSession  # noqa: E402
from cme_desktop.services.settings import Settings, SettingsService  # noqa: E402
from cme_desktop.services.vault.keyslots import ScryptParams  # noqa: E402
from cme_desktop.services.vault.unlock import Vault  # noqa: E402
from cme_desktop.ui.about import AboutDialog  # noqa: E402
from cme_desktop.ui.crash import CrashDialog  # noqa: E402
from cme_desktop.ui.main_window import MainWindow  # noqa: E402
from cme_desktop.ui.reports.dialog import open_reports  # noqa: E402
from cme_desktop.ui.vault.first_run import FirstRunPage  # noqa: E402
from cme_desktop.ui.vault.unlock import UnlockPage  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
PASSPHRASE = "mossy granite lantern orchard"
#: Cheap key derivation: these vaults are thrown away after the pictures.
SCRYPT = ScryptParams(n=2**12)
SIZE = (1280, 800)
WINDOWS_LOG = r"C:\Users\amorgan\AppData\Local\CME Desktop\Logs\cme-desktop.log"


def settle(app: QCoreApplication, ms: int = 150) -> None:
    end = time.monotonic() + ms / 1000
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)


def save(widget: QWidget, name: str) -> Path:
    path = OUT / name
    widget.grab().save(str(path))
    print(f"  {path.relative_to(OUT.parent.parent)}")
    return path


def demo_vault(folder: Path) -> Vault:
    vault = Vault(folder / "cases.cme", scrypt=SCRYPT)
    created = vault.create(PASSPHRASE, actor="Alex Morgan")
    try:
        SettingsService(created.db).save(
            Settings(
                officer_name="Alex Morgan",
                authority_name="Exampleshire County Council",
                contact_phone="01632 960000",
            )
        )
        demo.fill(created.db, cases=300, seed=2026)
    finally:
        created.db.close()
    return vault


def window_on(vault: Vault, size: tuple[int, int] = SIZE) -> MainWindow:
    window = build_window(vault, idle_lock_ms=3600_000)
    window.resize(*size)
    window.show()
    return window


def unlock(app: QApplication, window: MainWindow) -> None:
    page = window.gate
    assert isinstance(page, UnlockPage)
    page.passphrase.setText(PASSPHRASE)
    page.unlock()
    end = time.monotonic() + 20
    while window.is_locked() and time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)
    assert not window.is_locked(), "the demo vault did not unlock"
    settle(app, 1500)  # the monthly save of a new vault runs in the background
    window.statusBar().clearMessage()  # its message names this script's temporary folder


def first_run(app: QApplication, folder: Path) -> None:
    window = window_on(Vault(folder / "new" / "cases.cme", scrypt=SCRYPT))
    page = window.gate
    assert isinstance(page, FirstRunPage)
    page.officer_name.setText("Alex Morgan")
    page.passphrase.first.setText(PASSPHRASE)
    page.passphrase.second.setText(PASSPHRASE)
    settle(app)
    save(window, "first-run.png")
    page.create_vault()
    end = time.monotonic() + 20
    while not page.recovery.is_pending() and time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)
    settle(app)
    save(window, "first-run-recovery-key.png")
    page.recovery.stored.setChecked(True)
    page.recovery.continue_button.click()
    settle(app)
    window.close()


def pick_case(window: MainWindow) -> int:
    """An open case with a visit, an escalation and tasks: the workspace has much to show."""
    services = window.services
    assert services is not None
    ids = services.case_list.matching_ids(CaseQuery(quick="escalated"))
    rows = services.case_list.rows(ids)
    for case_id in ids:
        row = rows[case_id]
        if row.last_visit_on and row.next_task_due and row.escalated_police:
            return case_id
    return ids[0]


def main_shots(app: QApplication, vault: Vault) -> None:
    window = window_on(vault)
    settle(app)
    save(window, "unlock.png")
    unlock(app, window)
    window.desk.case_list.table.selectRow(2)
    settle(app)
    save(window, "case-list.png")
    panel = window.desk.case_list
    panel.search.setText("academy")
    panel.apply_filters()
    settle(app)
    save(window, "case-list-search.png")
    panel.search.clear()
    panel.apply_filters()
    window.desk.show_dashboard()
    settle(app)
    save(window, "dashboard.png")
    workspace = window.desk.open_case(pick_case(window))
    assert workspace is not None
    settle(app)
    save(window, "case-workspace.png")
    workspace.show_section("timeline")
    settle(app)
    save(window, "case-workspace-timeline.png")
    workspace.show_section("steps")
    settle(app)
    save(window, "case-workspace-steps.png")
    reports_shot(app, window)
    help_shots(app, window)
    window.close()


def help_shots(app: QApplication, window: MainWindow) -> None:
    """Help > About with the third-party notices, and the message after an unforeseen error."""
    # Where a council laptop keeps the log (nothing is written there by the pictures).
    log = LogSession("cme-desktop", path=Path(WINDOWS_LOG))
    about = AboutDialog(window, vault_path=window.vault.path, log=log)
    about.show()
    settle(app)
    save(about, "about.png")
    about.close()
    message = CrashDialog(window, vault_path=window.vault.path, log=log)
    message.show()
    settle(app)
    save(message, "something-went-wrong.png")
    message.close()


def reports_shot(app: QApplication, window: MainWindow) -> None:
    """The Reports window with the quarterly report made, figures beside the PDF."""
    assert window.services is not None
    dialog = open_reports(window, window.services)
    dialog.resize(*SIZE)
    page = dialog.quarterly
    page.make_button.click()
    deadline = time.monotonic() + 60
    while page.made is None and time.monotonic() < deadline:
        settle(app, 100)
    settle(app, 400)
    save(dialog, "reports.png")
    dialog.close()


def scaled_shot(vault_folder: Path, factor: str) -> None:
    """In this (child) process Qt runs at ``QT_SCALE_FACTOR``: the case list and a case."""
    app = make_application(["screenshots"])
    vault = Vault(vault_folder / "cases.cme", scrypt=SCRYPT)
    # A 1920 x 1080 screen at this scaling leaves this many logical pixels.
    scale = float(factor)
    window = window_on(vault, (int(1920 / scale), int(1080 / scale) - 60))
    unlock(app, window)
    percent = round(scale * 100)
    save(window, f"case-list-{percent}.png")
    workspace = window.desk.open_case(pick_case(window))
    assert workspace is not None
    settle(app)
    save(window, f"case-workspace-{percent}.png")
    window.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.screenshots", description=__doc__)
    parser.add_argument(
        "--scaled", nargs=2, metavar=("VAULT_FOLDER", "FACTOR"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    if args.scaled:
        scaled_shot(Path(args.scaled[0]), args.scaled[1])
        return 0
    app = make_application(["screenshots"])
    with tempfile.TemporaryDirectory(prefix="cme-screenshots-") as tmp:
        folder = Path(tmp)
        print("Screenshots (synthetic demo data):")
        first_run(app, folder)
        vault = demo_vault(folder / "demo")
        main_shots(app, vault)
        # On a 1366x768 laptop: dialogs that fit, typing and the keyboard, the idle lock.
        from tools import screenshots_small_screen

        screenshots_small_screen.shots(app, vault)
        for factor in ("1.25", "1.5"):
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "tools.screenshots",
                    "--scaled",
                    str(folder / "demo"),
                    factor,
                ],
                check=True,
                cwd=Path(__file__).resolve().parent.parent,
                env={**os.environ, "QT_SCALE_FACTOR": factor},
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
