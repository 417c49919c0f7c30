"""Demo data: spread over every step, status, outcome, reason, route and decision; consistent."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from cme_desktop.models import Case, Escalation, Setting, StepProgress, Task
from cme_desktop.models import vocabularies as vocab
from cme_desktop.services.cases import demo
from cme_desktop.services.cases.case_list import CaseList, CaseQuery
from cme_desktop.services.cases.detail import CaseDraft
from cme_desktop.services.cases.service import CaseService
from cme_desktop.services.errors import InvalidInput
from cme_desktop.services.vault import audit
from cme_desktop.services.vault.database import Database
from tests.support.credentials import PASSPHRASE
from tests.support.vault_copies import copy_vault, make_template

TODAY = date(2026, 6, 15)


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Database, int]]:
    folder: Path = tmp_path_factory.mktemp("demo")
    template = make_template(folder / "template")
    db = copy_vault(template, folder / "v").unlock(PASSPHRASE, actor="Test Officer")
    summary = demo.fill(db, cases=300, seed=11, today=TODAY, batch=120)
    assert (summary.cases, summary.first_id, summary.last_id) == (300, 1, 300)
    yield db, summary.families
    db.close()


def _keys(terms: tuple[vocab.Term, ...]) -> set[str]:
    return {t.key for t in terms}


def test_every_value_appears(filled: tuple[Database, int]) -> None:
    db, families = filled
    with db.read() as session:
        cases = session.scalars(select(Case)).all()
        decisions = set(session.scalars(select(Escalation.decision)))
    assert len(cases) == 300
    assert families > 0
    assert {c.current_step for c in cases} == set(range(1, 10))
    assert {c.status for c in cases} == {"open", "closed"}
    assert {c.closing_outcome for c in cases if c.status == "closed"} == _keys(
        vocab.CLOSING_OUTCOMES
    )
    assert {c.reason_missing for c in cases} == _keys(vocab.REASONS_MISSING)
    assert {c.identification_route for c in cases} == _keys(vocab.IDENTIFICATION_ROUTES)
    assert decisions == _keys(vocab.ESCALATION_DECISIONS)
    assert any(c.escalated_police and not c.escalated_social_care for c in cases)
    assert any(c.escalated_social_care and not c.escalated_police for c in cases)
    assert any(c.whereabouts_unknown for c in cases)
    assert any(c.family_id for c in cases)


def test_a_small_demo_still_shows_every_step_and_decision(tmp_path: Path) -> None:
    template = make_template(tmp_path / "template")
    db = copy_vault(template, tmp_path / "v").unlock(PASSPHRASE)
    try:
        demo.fill(db, cases=12, seed=2026, today=TODAY)
        with db.read() as session:
            cases = session.scalars(select(Case)).all()
            decisions = set(session.scalars(select(Escalation.decision)))
        assert {c.current_step for c in cases} == set(range(1, 10))
        assert {c.status for c in cases} == {"open", "closed"}
        assert decisions == _keys(vocab.ESCALATION_DECISIONS)
    finally:
        db.close()


def test_the_cases_are_consistent(filled: tuple[Database, int]) -> None:
    db, _ = filled
    with db.read() as session:
        cases = session.scalars(select(Case)).all()
        steps: dict[int, set[str]] = {}
        for case_id, step in session.execute(select(StepProgress.case_id, StepProgress.step)):
            steps.setdefault(case_id, set()).add(step)
        due: dict[int, date] = {}
        for case_id, due_on in session.execute(
            select(Task.case_id, Task.due_on).where(Task.done_on.is_(None))
        ):
            due[case_id] = min(due.get(case_id, due_on), due_on)
        latest: dict[int, str] = {}
        for e in session.scalars(select(Escalation).order_by(Escalation.decided_at)):
            latest[e.case_id] = e.decision
        assert audit.verify(session, db.audit_key).ok
    for c in cases:
        done = steps.get(c.id, set())
        assert done == set(vocab.TRACKING_STEP_KEYS[: c.current_step - 1]), c.id
        assert (c.last_visit_on is not None) == ("home_visit" in done)
        assert c.next_task_due == due.get(c.id)
        assert c.date_of_birth is not None and c.date_of_birth < TODAY
        assert c.opened_on <= TODAY
        if c.status == "closed":
            assert c.closed_on is not None and c.opened_on <= c.closed_on <= TODAY
            assert c.closing_outcome
            assert not c.whereabouts_unknown
        else:
            assert c.closed_on is None and c.closing_outcome == ""
        decision = latest.get(c.id, "")
        assert c.escalated_police == (decision in {"refer_police", "refer_both"})
        assert c.escalated_social_care == (decision in {"refer_social_care", "refer_both"})


def test_demo_cases_are_searchable(filled: tuple[Database, int]) -> None:
    db, _ = filled
    listing = CaseList(db)
    with db.read() as session:
        first = session.scalars(select(Case).order_by(Case.id).limit(1)).one()
    surname = first.full_name.split()[-1]
    found = listing.rows(listing.matching_ids(CaseQuery(quick="all", search=surname)))
    assert first.id in found
    for row in found.values():
        text = " ".join((row.full_name, row.aka, row.last_known_address, row.school))
        assert surname.lower() in text.lower()


# --- never mixed with real records --------------------------------------------------------


def _real_case(db: Database) -> int:
    return CaseService(db).create(draft=CaseDraft(full_name="Real Child", school="Hill Top"))


def test_a_vault_with_a_real_case_gets_no_synthetic_ones(tmp_path: Path) -> None:
    template = make_template(tmp_path / "template")
    db = copy_vault(template, tmp_path / "v").unlock(PASSPHRASE)
    try:
        _real_case(db)
        with pytest.raises(InvalidInput, match="holds 1 case that is not synthetic"):
            demo.fill(db, cases=5, seed=3, today=TODAY)
        with db.read() as session:
            assert session.scalar(select(func.count()).select_from(Case)) == 1
            assert demo.real_case_count(session) == 1
    finally:
        db.close()


def test_synthetic_cases_are_marked_so_a_vault_of_them_can_be_filled_again(
    tmp_path: Path,
) -> None:
    template = make_template(tmp_path / "template")
    db = copy_vault(template, tmp_path / "v").unlock(PASSPHRASE)
    try:
        first = demo.fill(db, cases=7, seed=3, today=TODAY, batch=3)
        second = demo.fill(db, cases=4, seed=4, today=TODAY)
        assert (first.first_id, first.last_id, second.first_id, second.last_id) == (1, 7, 8, 11)
        with db.read() as session:
            assert demo.real_case_count(session) == 0
            assert session.get(Setting, demo.DEMO_CASES_SETTING).value == [[1, 11]]
        added = _real_case(db)  # an officer's case added to a demo vault...
        with db.read() as session:
            assert demo.real_case_count(session) == 1
        with pytest.raises(InvalidInput, match="not synthetic"):  # ...stops further demo cases
            demo.fill(db, cases=1, seed=5, today=TODAY)
        assert added == 12
    finally:
        db.close()
