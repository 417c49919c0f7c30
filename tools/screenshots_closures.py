"""Screenshots of closing under the 2024 Regulations, schools' returns and the escalation pages.

``python -m tools.screenshots_closures`` runs offscreen on a fresh demo vault
(synthetic cases, Faker ``en_GB``) and saves to ``docs/screenshots/``: the Close
case dialog with the untraceable enquiries, a school's return under review, a
case's "School returns" section with the 20 school days checklist, and the
escalation wizard's 6.0 and decision pages (the referral's reasons shown).
"""

from __future__ import annotations

import os
import tempfile
from datetime import date, timedelta
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication  # noqa: E402

from cme_desktop.app import make_application  # noqa: E402
from cme_desktop.services.cases.case_list import CaseQuery  # noqa: E402
from cme_desktop.services.cases.detail import CaseDraft  # noqa: E402
from cme_desktop.services.importing import school_returns  # noqa: E402
from cme_desktop.services.importing.school_returns_csv import read_school_returns  # noqa: E402
from cme_desktop.services.referral.record import empty_referral  # noqa: E402
from cme_desktop.ui.close_case import CloseCaseDialog  # noqa: E402
from cme_desktop.ui.escalation_wizard import EscalationWizard, QuestionPage  # noqa: E402
from cme_desktop.ui.importing.school_returns_review import SchoolReturnsReview  # noqa: E402
from cme_desktop.ui.main_window import MainWindow  # noqa: E402
from cme_desktop.ui.school_returns_section import TITLE, SchoolReturnsSection  # noqa: E402
from tools.screenshots import OUT, demo_vault, save, settle, unlock, window_on  # noqa: E402

SAMPLE = Path(__file__).resolve().parents[1] / "tests/fixtures/school_returns/returns-2026-11.csv"


def close_dialog(app: QApplication, window: MainWindow) -> None:
    services = window.services
    assert services is not None
    case_id = services.case_list.matching_ids(CaseQuery(quick="open"))[0]
    workspace = window.desk.open_case(case_id)
    assert workspace is not None
    dialog = CloseCaseDialog(workspace, workspace.ctx)
    dialog.outcome.setCurrentIndex(dialog.outcome.findData("untraceable"))
    week_ago = date.today() - timedelta(days=7)
    found = {
        "school": "Left without a forwarding address; no CTF requested",
        "family_address": "Visited twice: property empty, neighbours do not know",
        "other_authorities": "Enquiry sent to 3 neighbouring authorities: not known",
        "health": "GP: deregistered in September",
    }
    for key, result in found.items():
        dialog.enquiry_dates[key].set_value(week_ago)
        dialog.enquiry_results[key].setText(result)
    dialog.show()
    dialog.resize(dialog.width(), min(dialog.height(), 740))
    settle(app)
    save(dialog, "close-case-untraceable.png")
    dialog.done(0)


def returns_review(app: QApplication, window: MainWindow) -> int:
    services = window.services
    assert services is not None
    rows = read_school_returns(SAMPLE.read_bytes())
    assert rows is not None
    # A case for the new pupil return to close, as the sample's Amira Khan.
    services.cases.create(
        draft=CaseDraft(full_name="Amira Khan", date_of_birth=date(2013, 3, 30)),
        today=date(2026, 10, 1),
    )
    proposals = school_returns.plan(services.db, rows)
    dialog = SchoolReturnsReview(window, SAMPLE.name, proposals)
    dialog.show()
    settle(app)
    save(dialog, "school-return-review.png")
    dialog.done(0)
    result = school_returns.apply(
        services.db, proposals, confirmed={2}, source_name=SAMPLE.name, today=date(2026, 11, 20)
    )
    case_id = result.proposals[0].case_id
    assert case_id is not None
    return case_id


def checklist(app: QApplication, window: MainWindow, case_id: int) -> None:
    workspace = window.desk.open_case(case_id)
    assert workspace is not None
    index = next(
        i for i in range(workspace.sections.count()) if workspace.sections.tabText(i) == TITLE
    )
    workspace.sections.setCurrentIndex(index)
    settle(app)
    section = workspace.findChild(SchoolReturnsSection)
    assert isinstance(section, SchoolReturnsSection)
    section.dates["absence_confirmed"].set_value(date(2026, 11, 13))
    section.results["absence_confirmed"].setText("Codes N and O since 16 October")
    section.dates["school_contacts"].set_value(date(2026, 11, 14))
    section.results["school_contacts"].setText("Parents and both emergency contacts: no answer")
    settle(app)
    save(window, "case-school-returns-checklist.png")


def wizard_pages(app: QApplication, window: MainWindow) -> None:
    services = window.services
    assert services is not None
    case_id = services.cases.create(draft=CaseDraft(full_name="Ruby Ellington"))
    ref = empty_referral()
    ref["children"][0]["full_name"] = "Ruby Ellington"
    ref["risk_indicators"]["10"] = {"present": True, "timing": "current"}
    ref |= {"social_care_referral_considered": True, "parental_consent": True}
    services.referrals.add(case_id, referral=ref, received_on=date.today())
    wizard = EscalationWizard(services, case_id, window)
    wizard.show()
    for page_id in ("police", "social_care"):
        page = wizard.currentPage()
        assert isinstance(page, QuestionPage)
        for key in page.choices:
            page.answer(key, "No")
        settle(app)
        if page_id == "social_care":
            save(wizard, "escalation-wizard-2-social-care.png")
        wizard.next()
    wizard.next()
    settle(app)
    save(wizard, "escalation-wizard-4-decision.png")
    wizard.done(0)


def main() -> int:
    app = make_application(["screenshots"])
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="cme-screenshots-") as tmp:
        vault = demo_vault(Path(tmp))
        window = window_on(vault, (1366, 768))
        unlock(app, window)
        print("Screenshots (synthetic demo data):")
        close_dialog(app, window)
        case_id = returns_review(app, window)
        checklist(app, window, case_id)
        wizard_pages(app, window)
        window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
