"""An erased case stays erased: nothing may write personal data back onto it.

Erasure (``cases.erasure``) leaves a shell of the case with its dates and codes,
so that past figures still count it. Details, carers, addresses, the timeline,
tasks, referrals, attachments and documents made from the case would all put
personal data back, so every change to an erased case is refused with
``CaseErased``: the case service checks each change, and ``cases.history`` each
entry the program would write on its timeline (an export, a letter, a print, an
escalation, a referral or school return filed on it), in the transaction of the
change, so that nothing is half-written.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from cme_desktop.models import Case
from cme_desktop.services.errors import CaseErased
from cme_desktop.services.rules.dates import format_date


def erased_message(erased_on: date) -> str:
    """What the officer reads when she tries to change an erased case."""
    return (
        f"This child's personal data was erased on {format_date(erased_on)} under the "
        "retention rule; the case keeps only its figures. If the child is missing "
        "education again, log a new case."
    )


def refuse_if_erased(erased_on: date | None) -> None:
    """``CaseErased`` when ``erased_on`` is set (the case's ``erased_on``)."""
    if erased_on is not None:
        raise CaseErased(erased_message(erased_on))


def check_not_erased(session: Session, case_id: int) -> None:
    """``CaseErased`` when case ``case_id`` was erased (nothing when there is no such case:
    the caller reports that)."""
    case = session.get(Case, case_id)
    if case is not None:
        refuse_if_erased(case.erased_on)
