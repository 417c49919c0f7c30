"""Home-visit sheets for cases in the vault: what goes on a sheet, and the audited print.

One sheet per case, one or many per print job. ``sheet_for`` takes from a
case only what a visitor needs at the door (``visit_sheet_pdf`` lays it out).
The risk table itself stays in the vault: only the indicators that call for
care at the door are named in the safety box.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from cme_desktop.models import vocabularies as vocab
from cme_desktop.services.cases import history
from cme_desktop.services.cases.detail import CaseDetail, case_reference
from cme_desktop.services.cases.service import CaseService
from cme_desktop.services.documents.authority import AuthorityDetails
from cme_desktop.services.documents.visit_sheet_pdf import MAX_SHEETS, Person, VisitSheet, render
from cme_desktop.services.errors import InvalidInput
from cme_desktop.services.rules.school_age import age_on
from cme_desktop.services.vault import audit
from cme_desktop.services.vault.database import Database

__all__ = ["OUTPUTS", "VisitSheetService", "safety_concerns", "sheet_for"]

#: Where a print job goes, as the audit log records it.
OUTPUTS = ("printer", "pdf")


def _latest_referral(detail: CaseDetail) -> dict[str, Any] | None:
    return detail.referrals[0].data if detail.referrals else None


def safety_concerns(detail: CaseDetail) -> tuple[str, ...]:
    """Why the visitor should not go alone: escalations and current door-step indicators."""
    concerns: list[str] = []
    if detail.escalated_police:
        concerns.append("The police are involved (escalation under policy 5.0).")
    if detail.escalated_social_care:
        concerns.append("Children's Social Care are involved (policy 6.0).")
    referral = _latest_referral(detail)
    if referral:
        indicators = referral.get("risk_indicators", {})
        for key in sorted(vocab.VISIT_SAFETY_INDICATORS, key=int):
            row = indicators.get(key) or {}
            if row.get("present") and row.get("timing") == "current":
                label = vocab.label_of(vocab.RISK_INDICATORS, key)
                concerns.append(f"Current: {label}.")
    return tuple(concerns)


def _why(detail: CaseDetail, note: str) -> str:
    d = detail.draft
    parts = [f"Notified {d.notified_on:%d/%m/%Y}" if d.notified_on else "Notified"]
    if d.identified_by:
        parts[0] += f" by {d.identified_by}"
    parts[0] += "."
    if d.reason_missing:
        parts.append(vocab.label_of(vocab.REASONS_MISSING, d.reason_missing) + ".")
    if d.whereabouts_unknown:
        parts.append("Whereabouts unknown.")
    step = vocab.TRACKING_STEPS[detail.current_step - 1].label
    parts.append(f"Current step: {step}.")
    visits = [t for t in detail.timeline if t.kind == "visit" and t.deleted_at is None]
    if visits:
        last = visits[0]
        outcome = vocab.label_of(vocab.VISIT_OUTCOMES, last.outcome) or "no outcome recorded"
        parts.append(f"Last visit {last.occurred_at:%d/%m/%Y}: {outcome}.")
    else:
        parts.append("No home visit yet.")
    if note.strip():
        parts.append(note.strip())
    return " ".join(parts)


def sheet_for(detail: CaseDetail, *, today: date, officer: str, note: str = "") -> VisitSheet:
    """The visit sheet of one case, holding only what the visit needs."""
    d = detail.draft
    return VisitSheet(
        reference=case_reference(detail.id),
        full_name=d.full_name,
        aka=d.aka,
        date_of_birth=d.date_of_birth,
        age=age_on(d.date_of_birth, today) if d.date_of_birth else None,
        gender=d.gender,
        last_known_address=d.last_known_address,
        other_addresses=tuple(
            a.address
            for a in detail.addresses
            if not a.is_last_known and a.address != d.last_known_address
        )[:4],
        carers=tuple(Person(c.name, c.relationship, c.telephone) for c in detail.carers),
        siblings=tuple(
            Person(s.full_name, f"age {age_on(s.date_of_birth, today)}" if s.date_of_birth else "")
            for s in detail.siblings
        ),
        school=d.school,
        date_last_attended=d.date_last_attended,
        why=_why(detail, note),
        safety=safety_concerns(detail),
        officer=officer,
        printed_on=today,
    )


class VisitSheetService:
    """Visit sheets for cases in the vault; each print is audited."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def render_for(
        self,
        case_ids: Sequence[int],
        *,
        authority: AuthorityDetails,
        today: date | None = None,
        note: str = "",
        record: bool = True,
    ) -> bytes:
        """The PDF for ``case_ids`` in that order (a day's visits in one print job).

        The print is audited here unless ``record`` is false: the print preview renders
        first and calls ``record_printed`` only once the officer has really printed.
        """
        if not case_ids:
            raise InvalidInput("Choose at least one case to print a visit sheet for.")
        if len(case_ids) > MAX_SHEETS:
            raise InvalidInput(f"Print at most {MAX_SHEETS} visit sheets at a time.")
        today = today or date.today()
        cases = CaseService(self.db)
        officer = authority.officer_name or self.db.actor
        sheets = [
            sheet_for(cases.get_for_document(i), today=today, officer=officer, note=note)
            for i in case_ids
        ]
        pdf = render(sheets, authority=authority)
        if record:
            self.record_printed(case_ids, output="pdf")
        return pdf

    def record_printed(self, case_ids: Sequence[int], *, output: str) -> None:
        """Audit one print job: each case's sheet, sent to ``output`` ("printer" or "pdf").

        Each case's timeline records it too, in the same transaction.
        """
        if output not in OUTPUTS:
            raise InvalidInput("Unknown place to print to.", field="output")
        done = "printed" if output == "printer" else "saved as a PDF"
        with self.db.write() as session:
            for i in case_ids:
                history.record(
                    session, case_id=i, summary=f"Home-visit sheet {done}.", author=self.db.actor
                )
                audit.record(
                    session,
                    self.db,
                    action="visit_sheet_printed",
                    entity="case",
                    entity_id=i,
                    detail=f"batch={len(case_ids)};output={output}",
                )
