"""Screenshots of the register of children not in school.

``python -m tools.screenshots_register`` runs offscreen on a fresh demo vault (synthetic
people, Faker ``en_GB``) and saves to ``docs/screenshots/``: the Register tab of a child
only on the register (no CME actions offered), and the case list showing the children not
in school.
"""

from __future__ import annotations

import os
import tempfile
from datetime import date, timedelta
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from faker import Faker  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from cme_desktop.app import make_application  # noqa: E402
from cme_desktop.services.register.entry import (  # noqa: E402
    EntryDraft,
    NewChild,
    ParentDraft,
    ProviderDraft,
    RegisterService,
)
from cme_desktop.services.rules.local_time import local_today  # noqa: E402
from cme_desktop.ui.main_window import MainWindow  # noqa: E402
from tools.screenshots import OUT, demo_vault, save, settle, unlock, window_on  # noqa: E402

fake = Faker("en_GB")
Faker.seed(436)


def _one_line(address: str) -> str:
    return ", ".join(line.strip() for line in address.splitlines() if line.strip())


def register_children(window: MainWindow, count: int = 6) -> int:
    """``count`` children put on the register; the first one's case id."""
    services = window.services
    assert services is not None
    register = RegisterService(services.db)
    today = local_today()
    first = 0
    for n in range(count):
        surname = fake.last_name()
        home = _one_line(fake.address())
        case_id = register.register_new(
            NewChild(
                f"{fake.first_name()} {surname}",
                date_of_birth=date(2012 + n % 4, 1 + n, 3 + 2 * n),
                home_address=home,
            ),
            on=today - timedelta(days=20 + 9 * n),
            today=today,
        )
        record = register.get(case_id)
        assert record is not None
        register.save(
            case_id,
            version=record.version,
            entry=EntryDraft(lives_in_area="yes", school_status="not_registered"),
            parents=(
                ParentDraft(
                    f"{fake.first_name()} {surname}",
                    home,
                    provides_education=True,
                    hours_per_week=15,
                ),
                ParentDraft(f"{fake.first_name()} {fake.last_name()}", _one_line(fake.address())),
            ),
            providers=(
                ProviderDraft(
                    f"{fake.last_name()} Tuition",
                    _one_line(fake.address()),
                    kind="tuition_centre",
                    hours_per_week=4,
                    hours_without_parent=4,
                ),
            ),
        )
        first = first or case_id
    return first


def register_tab(app: QApplication, window: MainWindow, case_id: int) -> None:
    workspace = window.desk.open_case(case_id)
    assert workspace is not None
    workspace.show_section("register")
    settle(app, 300)
    save(window, "register-tab.png")


def case_list(app: QApplication, window: MainWindow) -> None:
    window.desk.show_cases()
    panel = window.desk.case_list
    panel.cohort.setCurrentIndex(panel.cohort.findData("cnis"))
    settle(app, 400)
    save(window, "case-list-children-not-in-school.png")


def main() -> int:
    app = make_application(["screenshots"])
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="cme-screenshots-") as tmp:
        vault = demo_vault(Path(tmp))
        window = window_on(vault, (1366, 768))
        unlock(app, window)
        print("Screenshots (synthetic demo data):")
        case_id = register_children(window)
        register_tab(app, window, case_id)
        case_list(app, window)
        window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
