"""The escalation recommendation weighs what the referral says, with the reason shown.

Hand-worked: a referral marking indicator 10 (whereabouts unknown) as current,
and every 5.0 and 6.0 question answered No, recommends liaison with Children's
Social Care; the same indicator marked historic recommends nothing; a police YES
with it recommends both. A decision of "No escalation" then needs a rationale,
which is recorded.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from cme_desktop.models import Escalation, TimelineEntry
from cme_desktop.models.vocabularies import POLICE_QUESTIONS, SOCIAL_CARE_QUESTIONS
from cme_desktop.services.cases.detail import CaseDraft
from cme_desktop.services.cases.service import CaseService
from cme_desktop.services.errors import InvalidInput
from cme_desktop.services.escalation import flow
from cme_desktop.services.escalation.service import EscalationService
from cme_desktop.services.referral.record import Referral, empty_referral
from cme_desktop.services.referral.service import ReferralService
from cme_desktop.services.vault.database import Database
from cme_desktop.services.vault.unlock import Vault

ALL_NO = flow.blank_answers() | {
    **{f"police.{t.key}": False for t in POLICE_QUESTIONS},
    **{f"social_care.{t.key}": False for t in SOCIAL_CARE_QUESTIONS},
}


@pytest.fixture
def vault(copied_vault: Vault) -> Vault:
    return copied_vault


def _referral(indicator: str, timing: str) -> Referral:
    ref = empty_referral()
    ref["children"][0]["full_name"] = "Ellis Marchbank"
    ref["risk_indicators"][indicator] = {"present": True, "timing": timing}
    return ref


def test_a_current_serious_indicator_recommends_social_care_with_the_reason() -> None:
    assert flow.recommendation(ALL_NO) == "no_escalation"
    assert flow.recommendation(ALL_NO, ["10"]) == "refer_social_care"
    reasons = flow.referral_reasons(ALL_NO, ["10", "10"])
    assert reasons == (
        "The referral marks as current: 10. Whereabouts Unknown (or unclear) - whether day "
        "or night.",
    )
    # Not a serious indicator (3: unexplained absences): the policy's answers decide alone.
    assert flow.recommendation(ALL_NO, ["3"]) == "no_escalation"
    police_yes = ALL_NO | {"police.past_suspicions": True}
    assert flow.recommendation(police_yes, ["9"]) == "refer_both"


def test_the_service_reads_the_latest_referral_and_records_the_rationale(db: Database) -> None:
    case_id = CaseService(db).create(draft=CaseDraft(full_name="Ellis Marchbank"))
    referrals = ReferralService(db)
    referrals.add(case_id, referral=_referral("10", "historic"), received_on=date(2026, 3, 1))
    service = EscalationService(db)
    first = service.record(case_id, answers=ALL_NO, decision="no_escalation")
    assert first.recommendation == "no_escalation"  # historic: nothing more to weigh

    referrals.add(case_id, referral=_referral("10", "current"), received_on=date(2026, 3, 9))
    with pytest.raises(InvalidInput) as refused:
        service.record(case_id, answers=ALL_NO, decision="no_escalation")
    assert refused.value.field == "rationale"
    assert "Liaise with and/or refer to Children's Social Care" in refused.value.message

    outcome = service.record(
        case_id,
        answers=ALL_NO,
        decision="no_escalation",
        rationale="Social worker already allocated; spoke to her today.",
    )
    assert (outcome.recommendation, outcome.decision) == ("refer_social_care", "no_escalation")
    with db.read() as session:
        row = session.get(Escalation, outcome.escalation_id)
        assert row is not None
        assert row.rationale == "Social worker already allocated; spoke to her today."
        notes = session.scalars(
            select(TimelineEntry.summary).where(TimelineEntry.case_id == case_id)
        ).all()
    assert any(
        "From the referral: The referral marks as current: 10." in n
        and "Rationale: Social worker already allocated" in n
        for n in notes
    )
