"""Children only on the register (cohort ``cnis``) are no CME figure; those with both are.

By hand: in July–September 2026 one CME case (Ada) and one register-only child (Rae) are
notified; Bo is on the register and then a CME case. The quarter counts Ada and Bo; the
dashboard and the pupils without a school place likewise.
"""

from __future__ import annotations

from datetime import date

import pytest

from cme_desktop.services.cases.case_list import CaseList
from cme_desktop.services.cases.detail import CaseDraft
from cme_desktop.services.cases.service import CaseService
from cme_desktop.services.register.entry import NewChild, RegisterService
from cme_desktop.services.reports.periods import Quarter
from cme_desktop.services.reports.quarterly import quarterly
from cme_desktop.services.reports.without_place import pupils_without_place
from cme_desktop.services.vault.database import Database
from cme_desktop.services.vault.unlock import Vault

DAY = date(2026, 8, 3)
TODAY = date(2026, 8, 20)
BORN = date(2014, 5, 1)


@pytest.fixture
def vault(copied_vault: Vault) -> Vault:
    return copied_vault


@pytest.fixture
def children(db: Database) -> Database:
    CaseService(db).create(
        draft=CaseDraft(full_name="Ada Quinn", date_of_birth=BORN, notified_on=DAY), today=DAY
    )
    register = RegisterService(db)
    register.register_new(NewChild("Rae Lowe", date_of_birth=BORN), on=DAY, today=TODAY)
    bo = register.register_new(NewChild("Bo Marsh", date_of_birth=BORN), on=DAY, today=TODAY)
    register.education_stopped(bo, on=date(2026, 8, 10), today=TODAY)
    return db


def test_the_quarter_counts_cme_cases_only(children: Database) -> None:
    report = quarterly(children, Quarter(2026, 3), today=date(2026, 10, 5))
    assert report.figure("caseload", "opened") == 2
    assert report.figure("caseload", "open_end") == 2


def test_the_dashboard_counts_cme_cases_only(children: Database) -> None:
    board = CaseList(children).dashboard(today=TODAY)
    assert board.new_this_month == 2
    assert sum(board.open_by_step.values()) == 2


def test_pupils_without_a_place_are_cme_cases_only(children: Database) -> None:
    names = sorted(p.full_name for p in pupils_without_place(children, TODAY))
    assert names == ["Ada Quinn", "Bo Marsh"]
