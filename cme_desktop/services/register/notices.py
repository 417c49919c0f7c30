"""Schools' notices of removal for home education: the register entry and the CME check together.

A school that deletes a pupil because the parent has told it in writing that the child
will be educated otherwise than at school (regulation 9(1)(f) of SI 2024/208) tells the
authority, in its deletion return (regulation 13) and, under the Act's new duty, as a
notice to the register. Both arrive the way referrals do:

- a school's deletion return (CSV, ``importing/school_returns_csv``) whose ground is
  9(1)(f), or whose ground column says so in words ("Elective home education", "EHE",
  "educated otherwise than at school": ``ground_in_words``);
- a referral form (Word or PDF) that says the child left school for home education
  (``says_home_education``: its school, additional information or assessment mention
  home education and the child leaving the roll).
  Both readings are in ``notice_words``, free of the database, for the import sandbox.

Each notice does both things at once (``record_removal_notice``): the child's record
keeps a CME case open for the check that the education is suitable (opened by the
return or the referral, as for any deletion), and the child goes on the register —
cohort ``both``, entry ``on`` as not a registered pupil — with the register event
"School's notice of removal for home education" naming the school and the day. A child
already on the register only gains the event. It runs inside the import's transaction,
so a notice is either wholly recorded or not at all.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from cme_desktop.models import Case
from cme_desktop.services.register import duties
from cme_desktop.services.register.entry import EntryDraft, RegisterService
from cme_desktop.services.register.notice_words import (
    EHE_GROUND,
    ground_in_words,
    says_home_education,
)
from cme_desktop.services.rules.dates import format_date
from cme_desktop.services.vault.database import UnitOfWork

__all__ = [
    "EHE_GROUND",
    "ground_in_words",
    "record_removal_notice",
    "says_home_education",
]


def record_removal_notice(
    session: Session,
    unit: UnitOfWork,
    case_id: int,
    *,
    school: str,
    removed_on: date | None,
    received_on: date,
) -> None:
    """Record a school's notice of removal for home education on the child's record.

    Runs in ``session`` (``unit`` is ``Database.joined`` of it). The child goes on the
    register from the day removed (or the day received, when that is not given or is
    later), as not a registered pupil, unless already on it; the register event names the
    school and the day either way.
    """
    day = min(removed_on or received_on, received_on)
    who = school.strip() or "the school"
    detail = f"{who}: removed from roll for home education on {format_date(day)}."
    service = RegisterService(unit)
    record = service.get(case_id, today=received_on)
    if record is None or not record.on_register:
        service.put_on(
            case_id,
            on=day,
            entry=EntryDraft(school_status="not_registered"),
            detail=f"School's notice of removal from {who}.",
            today=received_on,
        )
    case = session.get(Case, case_id)
    if case is not None and case.cohort == "cnis":
        # The notice starts the CME check too: a register-only child now has both records.
        case.cohort = "both"
    duties.add_event(session, unit, case_id=case_id, kind="removal_notice", on=day, detail=detail)
