"""The escalation flow (policy 5.0 and 6.0) without a screen: every combination of answers."""

from __future__ import annotations

import itertools
from datetime import date

import pytest
from sqlalchemy import select

from cme_desktop.models import AuditEvent
from cme_desktop.models.vocabularies import (
    ESCALATION_DECISIONS,
    POLICE_EXAMPLES,
    POLICE_QUESTIONS,
    SOCIAL_CARE_QUESTIONS,
)
from cme_desktop.services.cases.case_list import CaseList, CaseQuery
from cme_desktop.services.cases.detail import CaseDraft
from cme_desktop.services.cases.service import CaseService
from cme_desktop.services.errors import InvalidInput, NotFound
from cme_desktop.services.escalation import flow
from cme_desktop.services.escalation.service import EscalationService
from cme_desktop.services.referral.record import empty_referral
from cme_desktop.services.vault.database import Database
from cme_desktop.services.vault.unlock import Vault

POLICE_KEYS = [f"police.{t.key}" for t in POLICE_QUESTIONS]
SOCIAL_CARE_KEYS = [f"social_care.{t.key}" for t in SOCIAL_CARE_QUESTIONS]
VALUES = (True, False, None)
DECISIONS = [t.key for t in ESCALATION_DECISIONS]
POLICE_RULE = (
    "If the answer to any of the following questions is YES then a referral to the Police "
    "should be made."
)
SOCIAL_CARE_RULE = (
    "If the answer to any of the following questions is YES then liaison and/or a further "
    "referral to Children's Social Care (Access Team) should be made."
)


@pytest.fixture
def vault(copied_vault: Vault) -> Vault:
    return copied_vault  # one vault per module, copied for each test


def every_combination() -> list[dict[str, bool | None]]:
    """All 3**7 ways to answer the four police and three social care questions."""
    keys = POLICE_KEYS + SOCIAL_CARE_KEYS
    return [
        dict(zip(keys, values, strict=True))
        for values in itertools.product(VALUES, repeat=len(keys))
    ]


def test_every_combination_gives_the_policys_recommendation() -> None:
    combinations = every_combination()
    assert len(combinations) == 3**7
    seen = set()
    for answers in combinations:
        police = any(answers[k] is True for k in POLICE_KEYS)
        social_care = any(answers[k] is True for k in SOCIAL_CARE_KEYS)
        expected = {
            (True, True): "refer_both",
            (True, False): "refer_police",
            (False, True): "refer_social_care",
            (False, False): "no_escalation",
        }[(police, social_care)]
        rec = flow.recommendation(answers)
        assert rec == expected, answers
        seen.add(rec)
        text = flow.policy_text(rec)
        assert (POLICE_RULE in text) is police
        assert (SOCIAL_CARE_RULE in text) is social_care
        # The recommendation itself never needs a rationale; any other decision does.
        flow.validate_decision(rec, rec, "")
        for decision in DECISIONS:
            if decision != rec:
                with pytest.raises(InvalidInput) as caught:
                    flow.validate_decision(rec, decision, "   ")
                assert caught.value.field == "rationale"
                flow.validate_decision(rec, decision, "Spoke to the duty sergeant.")
        unknown = {q.key for q in flow.not_known(answers)}
        assert unknown == {k for k, v in answers.items() if v is None}
    assert seen == set(DECISIONS)


def test_a_referrer_who_considered_social_care_brings_at_least_a_consultation() -> None:
    for considered, consent in itertools.product(VALUES, repeat=2):
        answers = flow.blank_answers() | {
            "safeguarding.social_care_referral_considered": considered,
            "safeguarding.parental_consent": consent,
        }
        expected = "refer_social_care" if considered is True else "no_escalation"
        assert flow.recommendation(answers) == expected
        assert bool(flow.referral_reasons(answers)) is (considered is True)


def test_unknown_decision_and_unknown_recommendation() -> None:
    with pytest.raises(InvalidInput) as caught:
        flow.validate_decision("no_escalation", "phone_a_friend", "because")
    assert caught.value.field == "decision"
    with pytest.raises(InvalidInput):
        flow.policy_text("maybe")


def test_the_pages_in_order_with_the_policys_words() -> None:
    order = []
    current = flow.next_page(None, {})
    while current is not None:
        order.append(current)
        current = flow.next_page(current, flow.blank_answers())
    assert order == ["police", "social_care", "safeguarding", "decision"]
    assert flow.previous_page("police") is None
    assert flow.previous_page("decision") == "safeguarding"
    police = flow.page("police")
    assert [q.text for q in police.questions] == [t.label for t in POLICE_QUESTIONS]
    assert police.examples == POLICE_EXAMPLES
    assert POLICE_RULE in police.intro
    # 6.0 in Working Together 2023 terms, the policy's own words kept beneath each question.
    social_care = flow.page("social_care").questions
    assert [q.policy_text for q in social_care] == [t.label for t in SOCIAL_CARE_QUESTIONS]
    assert "section 47 enquiry" in social_care[0].text
    assert "child protection register" not in social_care[0].text
    with pytest.raises(KeyError):
        flow.page("nowhere")


def test_parental_consent_is_asked_only_after_a_social_care_referral_was_considered() -> None:
    keys = [q.key for q in flow.visible_questions("safeguarding", {})]
    assert keys == ["safeguarding.social_care_referral_considered"]
    answers = {"safeguarding.social_care_referral_considered": True}
    assert len(flow.visible_questions("safeguarding", answers)) == 2


def test_prefill_from_the_referral_keeps_the_officers_answers() -> None:
    ref = empty_referral() | {"social_care_referral_considered": True, "parental_consent": False}
    answers = flow.prefill_from_referral(ref, {})
    assert answers["safeguarding.social_care_referral_considered"] is True
    assert answers["safeguarding.parental_consent"] is False
    officer = {"safeguarding.social_care_referral_considered": False}
    answers = flow.prefill_from_referral(ref, officer)
    assert answers["safeguarding.social_care_referral_considered"] is False
    # Consent is not asked when no referral to social care was considered.
    assert answers["safeguarding.parental_consent"] is None
    assert flow.prefill_from_referral(None, {}) == flow.blank_answers()


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        (date(2026, 3, 2), 2, date(2026, 3, 4)),  # Monday → Wednesday
        (date(2026, 3, 6), 2, date(2026, 3, 10)),  # Friday → Tuesday
        (date(2026, 3, 7), 5, date(2026, 3, 13)),  # Saturday → next Friday
        (date(2026, 3, 6), 0, date(2026, 3, 6)),
    ],
)
def test_add_working_days(start: date, days: int, due: date) -> None:
    assert flow.add_working_days(start, days) == due


# --- recording -----------------------------------------------------------------------------


@pytest.fixture
def cases(db: Database) -> CaseService:
    return CaseService(db)


def test_record_a_police_and_social_care_decision(db: Database, cases: CaseService) -> None:
    case_id = cases.create(draft=CaseDraft(full_name="Amira Khan"))
    answers = {"police.older_associates": True, "social_care.involvement": True}
    outcome = EscalationService(db).record(
        case_id, answers=answers, decision="refer_both", today=date(2026, 3, 6)
    )
    assert outcome.recommendation == "refer_both"
    assert outcome.escalated_police and outcome.escalated_social_care
    detail = cases.get(case_id)
    [row] = detail.escalations
    assert row.decided_by == "Test Officer"
    assert row.answers == flow.blank_answers() | answers
    assert (row.recommendation, row.decision, row.rationale) == ("refer_both", "refer_both", "")
    tasks = {t.title: t.due_on for t in detail.tasks}
    assert tasks == {
        "Confirm police reference number": date(2026, 3, 10),
        "Confirm Children's Social Care (Access Team) outcome": date(2026, 3, 13),
    }
    assert {t.id for t in detail.tasks} == set(outcome.task_ids)
    assert all(t.origin == "escalation" for t in detail.tasks)
    assert detail.next_task_due == date(2026, 3, 10)
    assert sorted(a.agency for a in detail.agency_referrals) == ["childrens_social_care", "police"]
    assert detail.timeline[0].summary.startswith("Escalation decision: Refer to the Police and")
    assert detail.escalated_police and detail.escalated_social_care
    listed = CaseList(db).matching_ids(CaseQuery(quick="escalated"))
    assert listed == [case_id]
    with db.read() as session:
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "escalation_recorded"))
    assert event is not None and event.entity_id == case_id
    assert event.detail == (
        f"escalation={row.id} recommendation=refer_both decision=refer_both "
        f"tasks={','.join(map(str, outcome.task_ids))} "
        f"agency_referrals={','.join(map(str, outcome.agency_referral_ids))}"
    )
    assert "Amira" not in event.detail


@pytest.mark.parametrize(
    ("answers", "decision", "police", "social_care", "tasks"),
    [
        ({"police.victim_of_crime": True}, "refer_police", True, False, 1),
        ({"social_care.in_care": True}, "refer_social_care", False, True, 1),
        ({}, "no_escalation", False, False, 0),
    ],
)
def test_each_decision_sets_its_flags_and_tasks(
    db: Database,
    cases: CaseService,
    answers: dict[str, bool | None],
    decision: str,
    police: bool,
    social_care: bool,
    tasks: int,
) -> None:
    case_id = cases.create(draft=CaseDraft(full_name="Leo Grant"))
    outcome = EscalationService(db).record(case_id, answers=answers, decision=decision)
    assert (outcome.escalated_police, outcome.escalated_social_care) == (police, social_care)
    assert len(outcome.task_ids) == len(outcome.agency_referral_ids) == tasks
    detail = cases.get(case_id)
    assert (detail.escalated_police, detail.escalated_social_care) == (police, social_care)


def test_a_later_decision_replaces_the_flags(db: Database, cases: CaseService) -> None:
    case_id = cases.create(draft=CaseDraft(full_name="Mia Ross"))
    service = EscalationService(db)
    service.record(case_id, answers={"police.past_suspicions": True}, decision="refer_police")
    outcome = service.record(
        case_id, answers={}, decision="refer_social_care", rationale="Known to the Access Team."
    )
    assert (outcome.escalated_police, outcome.escalated_social_care) == (False, True)
    assert cases.get(case_id).escalations[0].rationale == "Known to the Access Team."


def test_record_refuses_without_rationale_and_writes_nothing(
    db: Database, cases: CaseService
) -> None:
    case_id = cases.create(draft=CaseDraft(full_name="Noah Fox"))
    service = EscalationService(db)
    with pytest.raises(InvalidInput) as caught:
        service.record(case_id, answers={"police.past_suspicions": True}, decision="no_escalation")
    assert caught.value.field == "rationale"
    with pytest.raises(InvalidInput) as caught:
        service.record(case_id, answers={"police.nonsense": True}, decision="no_escalation")
    assert caught.value.field == "police.nonsense"
    with pytest.raises(InvalidInput):
        service.record(case_id, answers={"police.past_suspicions": "yes"}, decision="refer_police")  # type: ignore[dict-item]
    with pytest.raises(NotFound):
        service.record(4242, answers={}, decision="no_escalation")
    detail = cases.get(case_id)
    assert detail.escalations == () and detail.tasks == ()
