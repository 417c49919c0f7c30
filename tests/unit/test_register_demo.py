"""Synthetic register children: made from the demo's cases, through the register service."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from cme_desktop.models import Case, RegisterEntry, StepProgress
from cme_desktop.services.cases import demo
from cme_desktop.services.register.demo import add_register_children
from cme_desktop.services.vault.database import Database
from cme_desktop.services.vault.unlock import Vault

TODAY = date(2026, 3, 18)


@pytest.fixture
def vault(copied_vault: Vault) -> Vault:
    return copied_vault


def test_demo_children_join_the_register(db: Database) -> None:
    filled = demo.fill(db, cases=300, seed=5, today=TODAY)
    made = add_register_children(
        db, first_id=filled.first_id, last_id=filled.last_id, seed=5, today=TODAY
    )
    with db.read() as session:
        entries = int(session.scalar(select(func.count()).select_from(RegisterEntry)) or 0)
        cohorts = dict(
            session.execute(select(Case.cohort, func.count()).group_by(Case.cohort)).all()
        )
        register_only = list(session.scalars(select(Case.id).where(Case.cohort == "cnis")))
        steps = session.scalar(select(func.count()).where(StepProgress.case_id.in_(register_only)))
        both_closed_ehe = session.scalar(
            select(func.count()).where(Case.cohort == "both", Case.closing_outcome != "ehe")
        )
    assert made == entries > 0
    assert cohorts.get("cnis", 0) > 0 and cohorts.get("both", 0) > 0
    assert steps == 0  # no CME tracking on a child only on the register
    assert both_closed_ehe == 0  # only the home-educated CME cases joined
    # The demo vault still counts as synthetic: another fill is allowed.
    with db.read() as session:
        assert demo.real_case_count(session) == 0
