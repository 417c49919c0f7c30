"""A child only on the register (cohort ``cnis``) has no CME case: closing, reopening and
the tracking steps are refused with words the officer understands, and nothing changes.
The way into CME is the register's "education stopped" — on the register, or off it
since — after which the CME actions apply. And the case list's Open and Closed, for
the children not in school, follow the register: on it now, or taken off it."""

from __future__ import annotations

from datetime import date

import pytest
from faker import Faker
from sqlalchemy import select

from cme_desktop.models import AuditEvent, Case, RegisterEvent, StepProgress
from cme_desktop.services.cases.bulk import BulkCases
from cme_desktop.services.cases.case_list import CaseList, CaseQuery
from cme_desktop.services.cases.detail import CaseDraft
from cme_desktop.services.cases.service import CaseService
from cme_desktop.services.errors import InvalidInput
from cme_desktop.services.register.entry import NewChild, RegisterService
from cme_desktop.services.vault.database import Database
from cme_desktop.services.vault.unlock import Vault

fake = Faker("en_GB")
Faker.seed(4366)
DAY = date(2026, 11, 2)
TODAY = date(2026, 12, 1)


@pytest.fixture
def vault(copied_vault: Vault) -> Vault:
    return copied_vault


def _register_only(db: Database) -> int:
    return RegisterService(db).register_new(
        NewChild(fake.name(), date_of_birth=date(2014, 5, 1), home_address=fake.address()),
        on=DAY,
        today=TODAY,
    )


def _case(db: Database, case_id: int) -> tuple[str, str]:
    with db.read() as session:
        case = session.get(Case, case_id)
        assert case is not None
        return case.cohort, case.status


def _actions(db: Database, case_id: int) -> list[str]:
    with db.read() as session:
        return list(
            session.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.entity_id == case_id)
                .order_by(AuditEvent.id)
            )
        )


def test_the_cme_actions_are_refused_for_a_child_only_on_the_register(db: Database) -> None:
    case_id = _register_only(db)
    cases = CaseService(db)
    with pytest.raises(InvalidInput, match="Closing a case is for CME cases"):
        cases.close(case_id, outcome="ehe", on=TODAY)
    with pytest.raises(InvalidInput, match="tracking steps are for CME cases.*Education stopped"):
        cases.set_step(case_id, step="check_place", done_on=TODAY)
    with pytest.raises(InvalidInput, match="only on the register"):
        BulkCases(db).close([case_id], outcome="ehe", on=TODAY)
    assert _case(db, case_id) == ("cnis", "open")
    with db.read() as session:
        steps = session.scalars(select(StepProgress.step).where(StepProgress.case_id == case_id))
        assert list(steps) == []
    # Taken off the register, the row is closed: reopening it as a CME case is refused too.
    RegisterService(db).take_off(case_id, reason="moved_away", on=TODAY, today=TODAY)
    with pytest.raises(InvalidInput, match="Reopening a case is for CME cases"):
        cases.reopen(case_id, reason="Back")
    assert _case(db, case_id) == ("cnis", "closed")


def test_education_stopped_brings_the_child_into_cme_and_the_actions_apply(
    db: Database,
) -> None:
    case_id = _register_only(db)
    RegisterService(db).education_stopped(case_id, on=TODAY, note="No education", today=TODAY)
    assert _case(db, case_id) == ("both", "open")
    cases = CaseService(db)
    cases.set_step(case_id, step="check_place", done_on=TODAY)
    cases.close(case_id, outcome="ehe", on=TODAY)
    assert _case(db, case_id) == ("both", "closed")


def test_a_child_off_the_register_since_is_brought_into_cme_keeping_its_history(
    db: Database,
) -> None:
    case_id = _register_only(db)
    register = RegisterService(db)
    register.take_off(case_id, reason="moved_away", on=date(2026, 11, 20), today=TODAY)
    register.education_stopped(case_id, on=TODAY, note="Back, no school", today=TODAY)
    assert _case(db, case_id) == ("both", "open")
    with db.read() as session:
        kinds = list(
            session.scalars(
                select(RegisterEvent.kind)
                .where(RegisterEvent.case_id == case_id)
                .order_by(RegisterEvent.id)
            )
        )
    assert kinds == ["joined", "left", "to_cme"]  # one "left": the register's, kept
    timeline = [t.summary for t in CaseService(db).get(case_id).timeline]
    assert any(
        s.startswith(
            "Education stopped: off the register of children not in school since 20 Nov 2026; "
            "opened as a CME case on 1 Dec 2026."
        )
        and "Back, no school" in s
        for s in timeline
    ), timeline
    assert "register_to_cme" in _actions(db, case_id)
    record = register.get(case_id)
    assert record is not None and not record.on_register
    # The CME record starts with steps 1 and 3 done, as a logged case does.
    detail = CaseService(db).get(case_id)
    assert {s.step for s in detail.steps if s.done_on} >= {"receive", "log"}
    # A child on both, off the register with their CME case open, has nothing to open.
    with pytest.raises(InvalidInput):
        register.education_stopped(case_id, on=TODAY, today=TODAY)


def test_the_list_s_open_for_children_not_in_school_is_on_the_register_now(
    db: Database,
) -> None:
    register = RegisterService(db)
    cases = CaseService(db)
    on_now = _register_only(db)
    taken_off = _register_only(db)
    register.take_off(taken_off, reason="moved_away", on=TODAY, today=TODAY)
    # A CME child closed as home educated and put on the register: CME closed, register on.
    home_educated = cases.create(draft=CaseDraft(full_name=fake.name()), today=DAY)
    cases.close(home_educated, outcome="ehe", on=DAY)
    register.put_on(home_educated, on=DAY, today=TODAY)
    # A register child whose education stopped: CME open, off the register.
    stopped = _register_only(db)
    register.education_stopped(stopped, on=TODAY, today=TODAY)
    listing = CaseList(db)

    def shown(cohort: str, quick: str) -> set[int]:
        return set(listing.matching_ids(CaseQuery(cohort=cohort, quick=quick), today=TODAY))

    mine = {on_now, taken_off, home_educated, stopped}
    assert shown("cnis", "open") & mine == {on_now, home_educated}
    assert shown("cnis", "closed") & mine == {taken_off, stopped}
    assert shown("cnis", "all") & mine == mine
    assert listing.count(CaseQuery(cohort="cnis", quick="open"), today=TODAY) == len(
        shown("cnis", "open")
    )
    # The CME filter still follows the CME case.
    assert shown("cme", "open") & mine == {stopped}
    assert shown("cme", "closed") & mine == {home_educated}
    # Open-only quick filters follow the register too for these records.
    assert shown("cnis", "not_visited") & mine == {on_now, home_educated}
