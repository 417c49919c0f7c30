"""Reading what closing recorded on a case, and recording the rest after the closing.

``untraceable_still_missing`` is the read the DfE return can use: a child closed
"untraceable" whose enquiries are not complete, or whose case was not passed on,
still counts as missing education. ``ClosureRecords`` gives the screens a case's
checklists, closing details, schools' returns and deletion ground, saves a
checklist, and records where an untraceable child's case was passed on after the
closing. The checks on closing are ``cases.closing``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from cme_desktop.models import Case, CaseClosure, CaseEnquiry, SchoolReturn
from cme_desktop.models import vocabularies as vocab
from cme_desktop.models.closure_terms import (
    CHECKLISTS,
    PASSED_ON_KEYS,
    PASSED_ON_TO,
    UNTRACEABLE_ENQUIRY_KEYS,
)
from cme_desktop.services.cases import history
from cme_desktop.services.cases.closing import (
    ChecklistEntry,
    on_day,
    recorded_entries,
    save_entries,
)
from cme_desktop.services.cases.detail import case_reference
from cme_desktop.services.errors import InvalidInput, NotFound
from cme_desktop.services.vault import audit
from cme_desktop.services.vault.database import UnitOfWork

__all__ = [
    "ClosureRecords",
    "ClosureSummary",
    "ReturnOnCase",
    "untraceable_still_missing",
]


# --- reading ----------------------------------------------------------------------


def untraceable_still_missing(
    session: Session, *, as_of: date | None = None, case_ids: Iterable[int] | None = None
) -> frozenset[int]:
    """Cases closed "untraceable" that still count as missing education on ``as_of``.

    The DfE counts a child whose whereabouts are unknown as missing until the
    enquiries the guidance lists are recorded and the case is passed on (the lost
    pupils database, another authority). So: closed "untraceable" (by ``as_of``,
    default today) and either an enquiry of the list not recorded by then, or not
    passed on by then. ``case_ids`` narrows the cases looked at.
    """
    day = as_of or date.today()
    query = select(Case.id).where(
        Case.status == "closed", Case.closing_outcome == "untraceable", Case.closed_on <= day
    )
    if case_ids is not None:
        query = query.where(Case.id.in_(list(case_ids)))
    closed = set(session.scalars(query))
    if not closed:
        return frozenset()
    done: dict[int, set[str]] = {}
    for case_id, item in session.execute(
        select(CaseEnquiry.case_id, CaseEnquiry.item).where(
            CaseEnquiry.case_id.in_(closed),
            CaseEnquiry.checklist == "untraceable",
            CaseEnquiry.made_on <= day,
            CaseEnquiry.result != "",
        )
    ):
        done.setdefault(case_id, set()).add(item)
    passed = set(
        session.scalars(
            select(CaseClosure.case_id).where(
                CaseClosure.case_id.in_(closed),
                CaseClosure.passed_on_to != "",
                CaseClosure.passed_on_on <= day,
            )
        )
    )
    complete = set(UNTRACEABLE_ENQUIRY_KEYS)
    return frozenset(c for c in closed if not (complete <= done.get(c, set()) and c in passed))


@dataclass(frozen=True)
class ClosureSummary:
    """A closed case's closing details beyond the ``cases`` row (empty strings if none)."""

    receiving_authority: str
    authority_told_on: date | None
    passed_on_to: str
    passed_on_on: date | None
    passed_on_note: str


@dataclass(frozen=True)
class ReturnOnCase:
    """A school's return kept on a case: deletion (with its ground) or new pupil."""

    kind: str
    school: str
    ground: str
    on: date | None
    destination: str
    received_on: date


class ClosureRecords:
    """The checklists on a case, its closing details and its deletion ground, for the screens."""

    def __init__(self, db: UnitOfWork) -> None:
        self.db = db

    def checklist(self, case_id: int, checklist: str) -> tuple[ChecklistEntry, ...]:
        """Every item of ``checklist`` in order, recorded or not (``made_on`` ``None``)."""
        if checklist not in CHECKLISTS:
            raise InvalidInput("Unknown checklist.", field="checklist")
        with self.db.read() as session:
            _case(session, case_id)
            recorded = recorded_entries(session, case_id, checklist)
        return tuple(
            recorded.get(t.key, ChecklistEntry(t.key, None, "", t.label))
            for t in CHECKLISTS[checklist]
        )

    def save_checklist(
        self, case_id: int, checklist: str, entries: Sequence[ChecklistEntry]
    ) -> int:
        """Record the items given with a date, in one transaction, noted on the timeline."""
        with self.db.write() as session:
            _case(session, case_id)
            count = save_entries(session, self.db, case_id, checklist, entries)
            if count:
                name = "20 school days checklist" if checklist == "twenty_days" else "enquiries"
                history.record(
                    session,
                    case_id=case_id,
                    summary=f"{count} item{'s' if count != 1 else ''} of the {name} recorded.",
                    author=self.db.actor,
                )
                audit.record(
                    session,
                    self.db,
                    action="checklist_recorded",
                    entity="case",
                    entity_id=case_id,
                    detail=f"checklist={checklist};items={count}",
                )
        return count

    def record_passed_on(self, case_id: int, *, to: str, on: date | None, note: str = "") -> None:
        """Record, after the closing, where and when an untraceable child's case was passed
        on (the lost pupils database, another authority): from that day the child no
        longer counts as missing (``untraceable_still_missing``)."""
        if not to or to not in PASSED_ON_KEYS:
            raise InvalidInput("Choose where the case was passed on.", field="passed_on_to")
        if on is None:
            raise InvalidInput("Give the day the case was passed on.", field="passed_on_on")
        if on > date.today():
            raise InvalidInput(
                "The day the case was passed on is in the future.", field="passed_on_on"
            )
        with self.db.write() as session:
            case = _case(session, case_id)
            if case.status != "closed" or case.closing_outcome != "untraceable":
                raise InvalidInput(
                    "Only a case closed as untraceable is passed on this way.",
                    field="passed_on_to",
                )
            row = session.get(CaseClosure, case_id) or CaseClosure(case_id=case_id)
            row.passed_on_to, row.passed_on_on, row.passed_on_note = to, on, note.strip()
            session.add(row)
            history.record(
                session,
                case_id=case_id,
                summary=f"Passed on: {vocab.label_of(PASSED_ON_TO, to)}, {on_day(on)}. "
                f"{row.passed_on_note}",
                author=self.db.actor,
            )
            audit.record(
                session,
                self.db,
                action="case_passed_on",
                entity="case",
                entity_id=case_id,
                detail=f"to={to}",
            )

    def closure(self, case_id: int) -> ClosureSummary | None:
        """The closing details recorded with the case's latest closing, if any."""
        with self.db.read() as session:
            row = session.get(CaseClosure, case_id)
            if row is None:
                return None
            return ClosureSummary(
                row.receiving_authority,
                row.authority_told_on,
                row.passed_on_to,
                row.passed_on_on,
                row.passed_on_note,
            )

    def school_returns(self, case_id: int) -> tuple[ReturnOnCase, ...]:
        """The schools' returns kept on the case, newest first."""
        with self.db.read() as session:
            rows = session.scalars(
                select(SchoolReturn)
                .where(SchoolReturn.case_id == case_id)
                .order_by(SchoolReturn.received_on.desc(), SchoolReturn.id.desc())
            ).all()
            return tuple(
                ReturnOnCase(r.kind, r.school, r.ground, r.on, r.destination, r.received_on)
                for r in rows
            )

    def deletion_ground(self, case_id: int) -> str:
        """The reg 9 ground of the latest deletion return on the case ("" if none)."""
        with self.db.read() as session:
            ground = session.scalar(
                select(SchoolReturn.ground)
                .where(SchoolReturn.case_id == case_id, SchoolReturn.kind == "deletion")
                .order_by(SchoolReturn.received_on.desc(), SchoolReturn.id.desc())
                .limit(1)
            )
        return ground or ""


def _case(session: Session, case_id: int) -> Case:
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound(f"Case {case_reference(case_id)} does not exist.")
    return case
