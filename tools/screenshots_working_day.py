"""Screenshots of the working day's dialogs, from a fresh demo vault, offscreen at 1366×768.

``python -m tools.screenshots_working_day`` builds a vault of synthetic cases
(Faker ``en_GB``, never real people) in a temporary folder and saves to
``docs/screenshots/``: a letter filled from a case, a case's timeline with an entry
struck through, the first page of its chronology, the bulk close dialog and the
authority page asked again after an unfinished first run.
"""

from __future__ import annotations

import os
import sys
import tempfile
from datetime import date, datetime
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication  # noqa: E402

from cme_desktop.app import make_application  # noqa: E402
from cme_desktop.services.documents.chronology import render  # noqa: E402
from cme_desktop.services.settings import Settings, SettingsService, authority_of  # noqa: E402
from cme_desktop.services.vault.unlock import Vault  # noqa: E402
from cme_desktop.ui.case_list.bulk import BulkCloseDialog  # noqa: E402
from cme_desktop.ui.letters import LetterDialog  # noqa: E402
from cme_desktop.ui.main_window import MainWindow  # noqa: E402
from cme_desktop.ui.pdf_pages import PdfPages  # noqa: E402
from cme_desktop.ui.vault.authority_later import AuthorityDialog  # noqa: E402
from tools.screenshots import (  # noqa: E402
    OUT,
    PASSPHRASE,
    SCRYPT,
    demo_vault,
    pick_case,
    save,
    settle,
    unlock,
    window_on,
)


def letter(app: QApplication, window: MainWindow, case_id: int) -> None:
    services = window.services
    assert services is not None
    dialog = LetterDialog(services, case_id, window)
    dialog.show()
    dialog.template.setCurrentIndex(0)
    settle(app)
    save(dialog, "letter.png")
    dialog.done(0)


def struck_timeline(app: QApplication, window: MainWindow, case_id: int) -> None:
    services = window.services
    assert services is not None
    wrong = services.cases.add_timeline(
        case_id,
        kind="phone",
        occurred_at=datetime.combine(date.today(), datetime.min.time()).replace(hour=10),
        summary="Rang the family's mobile: no answer (meant for another child)",
    )
    services.cases.delete_timeline(wrong, reason="Written on the wrong case")
    workspace = window.desk.open_case(case_id)
    assert workspace is not None
    workspace.refresh()
    workspace.show_section("timeline")
    settle(app, 400)
    save(window, "case-timeline-struck-entry.png")


def chronology(app: QApplication, window: MainWindow, case_id: int) -> None:
    services = window.services
    assert services is not None
    authority = authority_of(services.settings.load())
    pdf = render(services.cases.get(case_id), authority=authority)
    pages = PdfPages(pdf)
    path = OUT / "chronology-page1.png"
    pages.page_image(0, dpi=80).save(str(path))
    print(f"  {path.relative_to(OUT.parent.parent)}")
    settle(app)


def bulk_close(app: QApplication, window: MainWindow) -> None:
    dialog = BulkCloseDialog(window, 12)
    dialog.show()
    settle(app)
    save(dialog, "bulk-close.png")
    dialog.done(0)


def authority_again(app: QApplication, folder: Path) -> None:
    vault = Vault(folder / "unfinished" / "cases.cme", scrypt=SCRYPT)
    created = vault.create(PASSPHRASE, actor="Alex Morgan")
    settings = SettingsService(created.db)
    settings.save(Settings(officer_name="Alex Morgan", authority_pending=True))
    created.db.close()
    window = window_on(vault, (1366, 768))
    unlock(app, window)
    dialogs = [d for d in window.findChildren(AuthorityDialog) if d.isVisible()]
    assert dialogs, "the authority page was not asked again"
    settle(app)
    save(dialogs[0], "authority-asked-again.png")
    dialogs[0].done(0)
    window.close()


def main() -> int:
    app = make_application(["screenshots"])
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="cme-screenshots-") as tmp:
        vault = demo_vault(Path(tmp))
        window = window_on(vault, (1366, 768))
        unlock(app, window)
        print("Screenshots (synthetic demo data):")
        case_id = pick_case(window)
        letter(app, window, case_id)
        struck_timeline(app, window, case_id)
        chronology(app, window, case_id)
        bulk_close(app, window)
        window.close()
        authority_again(app, Path(tmp))
    return 0


if __name__ == "__main__":
    sys.exit(main())
