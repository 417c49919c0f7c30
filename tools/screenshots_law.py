"""Screenshots of Settings > DfE return codes and of an erased case, read only.

``python -m tools.screenshots_law`` runs offscreen on a fresh demo vault (synthetic
cases, Faker ``en_GB``) and saves to ``docs/screenshots/``: the DfE return codes
dialog on its primary reasons, with a reason added and one retired, and a case
whose personal data was erased under the retention rule, opened read only.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import replace
from datetime import date
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication  # noqa: E402

from cme_desktop.app import make_application  # noqa: E402
from cme_desktop.services.cases.case_list import CaseQuery  # noqa: E402
from cme_desktop.services.cases.erasure import ErasureService  # noqa: E402
from cme_desktop.services.reports import dfe_codebook  # noqa: E402
from cme_desktop.ui.main_window import MainWindow  # noqa: E402
from cme_desktop.ui.reports.dfe_codes_dialog import CODE, DfeCodesDialog  # noqa: E402
from tools.screenshots import OUT, demo_vault, save, settle, unlock, window_on  # noqa: E402


def codes_dialog(app: QApplication, window: MainWindow) -> None:
    services = window.services
    assert services is not None
    codes = dfe_codebook.DfeCodes(services.db)
    book = dfe_codebook.with_reason(
        codes.load(), code="CNS", label="Awaiting a children not in school decision"
    )
    book = replace(book, reason=tuple(replace(e, retired=e.key == "PRF") for e in book.reason))
    codes.save(book)
    dialog = DfeCodesDialog(window, services.db)
    dialog.tabs.setCurrentIndex(3)
    dialog.show()
    dialog.resize(760, 560)
    reasons = dialog.tables["reason"]
    reasons.setFocus()
    reasons.setCurrentCell(reasons.rowCount() - 1, CODE)
    settle(app)
    save(dialog, "dfe-return-codes.png")
    dialog.done(0)


def erased_case(app: QApplication, window: MainWindow) -> None:
    services = window.services
    assert services is not None
    case_id = services.case_list.matching_ids(CaseQuery(quick="open"))[0]
    services.cases.close(case_id, outcome="ehe")
    ErasureService(services.db).erase(
        case_id, confirmation=f"CME-{case_id:06d}", today=date(2060, 1, 2)
    )
    window.desk.open_case(case_id)
    settle(app)
    save(window, "case-erased-read-only.png")


def main() -> int:
    app = make_application(["screenshots"])
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="cme-screenshots-") as tmp:
        vault = demo_vault(Path(tmp))
        window = window_on(vault, (1366, 768))
        unlock(app, window)
        print("Screenshots (synthetic demo data):")
        codes_dialog(app, window)
        erased_case(app, window)
        window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
