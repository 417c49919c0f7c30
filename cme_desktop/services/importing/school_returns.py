"""Schools' deletion and new pupil returns into cases, each step confirmed by the officer.

Each row of a return is matched against the cases first (``candidates.find_cases``:
the same UPN, or the same date of birth and a name alike) and given a proposal:

- a deletion return matching one open case: ``"update"`` (the return is kept on
  that case, noted on its timeline);
- a deletion return matching no case: ``"open"`` (a new case, the return kept on
  it), unless its ground is one after which the child is not missing education
  (``NO_CHECK_GROUNDS``: another school, a school attendance order changed, the
  child died, left school age...): ``"no_case"``;
- a new pupil return matching one open case: ``"close"`` (close it "On roll at a
  school" with the school and the starting day, through ``cases.closing``, and take
  the child off the register of children not in school if they are on it); matching a
  child only on that register (no CME case): ``"off_register"`` (taken off it, as a
  registered pupil); matching none: ``"no_case"``;
- a row that only may match, matches a closed case, or has no name or kind:
  ``"check"`` / ``"skipped"``, for the officer by hand.

``plan`` proposes and changes nothing; ``apply`` carries out the proposals the
officer confirmed, all in one transaction, a row that cannot be done (a case
closed meanwhile, a start day after today) reported and left out, its savepoint
rolled back. Each case touched gets a timeline entry and an audit row (row
number and ground only: never a name).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from cme_desktop.models import Case, RegisterEntry, SchoolReturn
from cme_desktop.models import vocabularies as vocab
from cme_desktop.models.closure_terms import DELETION_GROUNDS
from cme_desktop.services.cases import history
from cme_desktop.services.cases.closing import ClosureDetails, apply_closure
from cme_desktop.services.cases.detail import CaseDraft, case_reference
from cme_desktop.services.cases.register_only import REGISTER_ONLY
from cme_desktop.services.cases.service import CaseService
from cme_desktop.services.errors import AlreadyImported, CmeError, NotFound
from cme_desktop.services.importing.candidates import AUTO_MATCH_SCORE, CaseCandidate, find_cases
from cme_desktop.services.importing.school_returns_csv import SchoolReturnRow
from cme_desktop.services.referral.record import Referral, empty_referral, normalise
from cme_desktop.services.register import notices
from cme_desktop.services.register.entry import RegisterService
from cme_desktop.services.reports.dfe_codes import sex_from_gender
from cme_desktop.services.vault import audit
from cme_desktop.services.vault.database import Database, SessionUnit

__all__ = [
    "NO_CHECK_GROUNDS",
    "Proposal",
    "ReturnsApplied",
    "apply",
    "plan",
    "return_referral",
]

Action = Literal["open", "update", "close", "off_register", "no_case", "check", "skipped"]
#: Deletion grounds after which the child is not missing education: no case is opened.
#: (a) another school; (b) nursery finished; (c) still on another school's roll; (d), (e)
#: a school attendance order amended or revoked; (k) died; (l) leaving school age.
NO_CHECK_GROUNDS: frozenset[str] = frozenset("abcdekl")
#: Proposals ``apply`` can carry out.
ACTIONS_DONE: frozenset[str] = frozenset({"open", "update", "close", "off_register"})
#: Proposals that end a record because the child is on a school's roll.
ON_ROLL_ACTIONS: frozenset[str] = frozenset({"close", "off_register"})


@dataclass(frozen=True)
class Proposal:
    """What one row of a return would do (``plan``) or did (``apply``).

    ``action`` as the module says; ``case_id`` the matched (or, once applied,
    opened) case; ``done`` once applied; ``problem`` why a confirmed row was not done.
    """

    row: SchoolReturnRow
    action: Action
    case_id: int | None = None
    candidates: tuple[CaseCandidate, ...] = ()
    done: bool = False
    problem: str = ""

    @property
    def message(self) -> str:
        """The proposal in a few words for the officer."""
        ref = case_reference(self.case_id) if self.case_id is not None else ""
        ground = _ground_label(self.row.ground)
        school = self.row.school or "the school"
        if self.problem:
            return f"not done: {self.problem}"
        if self.action == "open":
            verb = "opened" if self.done else "open"
            return f"{verb} a new case {ref} ({ground})".replace("  ", " ").strip()
        if self.action == "update":
            verb = "kept" if self.done else "keep"
            return f"{verb} the deletion return on the open case {ref} ({ground})"
        if self.action == "close":
            verb = "closed" if self.done else "close"
            return f"{verb} {ref} as on roll at {school} from {_day(self.row.on)}"
        if self.action == "off_register":
            verb = "took" if self.done else "take"
            return (
                f"{verb} {ref} off the register of children not in school: on roll at "
                f"{school} from {_day(self.row.on)}"
            )
        if self.action == "no_case":
            if self.row.kind == "new_pupil":
                return "no open case for this child: nothing to do"
            return f"no missing-education check needed ({ground}): nothing to do"
        if self.action == "check":
            if self.candidates:
                refs = " or ".join(c.reference for c in self.candidates[:3])
                return f"may be {refs}: check by hand (nothing done)"
            return "check by hand (nothing done)"
        return "skipped: " + " ".join(self.row.problems)


@dataclass(frozen=True)
class ReturnsApplied:
    """Every row of a return and what became of it."""

    proposals: tuple[Proposal, ...]

    def count(self, action: str, *, done: bool = True) -> int:
        """How many rows had ``action`` (and were done, unless ``done`` is False)."""
        return sum(1 for p in self.proposals if p.action == action and (p.done or not done))


def _ground_label(ground: str) -> str:
    return next((t.label for t in DELETION_GROUNDS if t.key == ground), "no ground given")


def _day(day: date | None) -> str:
    return f"{day:%d/%m/%Y}" if day else "a day not given"


# --- proposing ------------------------------------------------------------------------


def plan(db: Database, rows: Sequence[SchoolReturnRow]) -> tuple[Proposal, ...]:
    """What each row of a return would do, matched against the cases; changes nothing."""
    return tuple(_propose(db, row) for row in rows)


def _propose(db: Database, row: SchoolReturnRow) -> Proposal:
    if not row.full_name or not row.kind:
        return Proposal(row, "skipped")
    found = find_cases(
        db, full_name=row.full_name, date_of_birth=row.date_of_birth, upn=row.upn or ""
    )
    strong = [c for c in found if c.same_upn] or [c for c in found if c.score >= AUTO_MATCH_SCORE]
    match = strong[0] if len(strong) == 1 else None
    if match is not None and match.status == "open":
        if row.kind == "deletion":
            return Proposal(row, "update", match.case_id, found)
        only_register = match.cohort == REGISTER_ONLY
        return Proposal(row, "off_register" if only_register else "close", match.case_id, found)
    if row.kind == "new_pupil" and not found:
        return Proposal(row, "no_case")
    if row.kind == "deletion" and not found:
        if row.ground in NO_CHECK_GROUNDS:
            return Proposal(row, "no_case")
        if row.problems:
            return Proposal(row, "skipped")
        return Proposal(row, "open")
    if row.kind == "new_pupil" and match is not None:
        return Proposal(row, "no_case", match.case_id, found)  # the case is closed already
    return Proposal(row, "check", None, found)


# --- carrying out ------------------------------------------------------------------------


def apply(
    db: Database,
    proposals: Sequence[Proposal],
    *,
    confirmed: Collection[int],
    source_name: str,
    today: date | None = None,
) -> ReturnsApplied:
    """Carry out the proposals whose rows are in ``confirmed`` (row numbers), in one
    transaction; a row that cannot be done is reported with why, the others are kept."""
    day = today or date.today()
    out: list[Proposal] = []
    with db.write() as session:
        unit = db.joined(session)
        for proposal in proposals:
            if proposal.row.row not in confirmed or proposal.action not in ACTIONS_DONE:
                out.append(proposal)
                continue
            nested = session.begin_nested()
            try:
                case_id = _carry_out(session, unit, proposal, source_name, day)
            except CmeError as error:
                nested.rollback()
                out.append(replace(proposal, problem=error.message))
                continue
            nested.commit()
            out.append(replace(proposal, case_id=case_id, done=True))
            audit.record(
                session,
                db,
                action="school_return_imported",
                entity="case",
                entity_id=case_id,
                detail=f"row={proposal.row.row};kind={proposal.row.kind};"
                f"ground={proposal.row.ground or '-'};action={proposal.action}",
            )
    return ReturnsApplied(tuple(out))


def _carry_out(
    session: Session, unit: SessionUnit, proposal: Proposal, source_name: str, day: date
) -> int:
    row = proposal.row
    if proposal.action == "open":
        case_id = CaseService(unit).create(draft=_draft(row, day), today=day)
    else:
        assert proposal.case_id is not None
        case_id = proposal.case_id
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound(f"Case {case_reference(case_id)} is no longer in the vault.")
    if proposal.action == "update" and case.status != "open":
        raise NotFound(f"Case {case_reference(case_id)} was closed meanwhile.")
    same = session.scalar(
        select(SchoolReturn.id)
        .where(
            SchoolReturn.case_id == case_id,
            SchoolReturn.kind == row.kind,
            SchoolReturn.school == row.school,
            SchoolReturn.ground == row.ground,
            SchoolReturn.on == row.on,
        )
        .limit(1)
    )
    if same is not None:
        # The same file imported twice: the return is on the case already.
        raise AlreadyImported(
            f"this return is on {case_reference(case_id)} already", case_ids=(case_id,)
        )
    session.add(
        SchoolReturn(
            case_id=case_id,
            kind=row.kind,
            school=row.school,
            ground=row.ground,
            on=row.on,
            destination=row.destination,
            parents=" ".join(p for p in (row.parents, row.parent_phone) if p),
            address=", ".join(p for p in (row.address, row.postcode) if p),
            source_name=source_name[:300],
            source_row=row.row,
            received_on=day,
        )
    )
    if proposal.action in ON_ROLL_ACTIONS:
        _off_the_register(session, unit, case, row, day)
    if proposal.action == "off_register":
        history.record(session, case_id=case_id, summary=_summary(row), author=unit.actor)
    elif proposal.action == "close":
        apply_closure(
            session,
            unit,
            case,
            outcome="on_roll",
            on=max(day, case.opened_on),
            note=f"From the new pupil return of {row.school}.",
            details=ClosureDetails(school=row.school, school_start=row.on),
        )
    else:
        history.record(session, case_id=case_id, summary=_summary(row), author=unit.actor)
        if row.kind == "deletion" and row.ground == notices.EHE_GROUND:
            # Removed for home education: the register entry opens with the CME check.
            notices.record_removal_notice(
                session, unit, case_id, school=row.school, removed_on=row.on, received_on=day
            )
    return case_id


def _off_the_register(
    session: Session, unit: SessionUnit, case: Case, row: SchoolReturnRow, day: date
) -> None:
    """A child on a school's roll is no longer eligible for the register (s.436B): taken
    off it from the day they started (not before they joined it, never after today)."""
    entry = session.get(RegisterEntry, case.id)
    if entry is None or entry.status != "on":
        if case.cohort == REGISTER_ONLY:
            raise NotFound(f"{case_reference(case.id)} left the register meanwhile.")
        return
    on = max(entry.registered_on, min(row.on or day, day))
    RegisterService(unit).take_off(
        case.id,
        reason="school_place",
        on=on,
        note=f"From the new pupil return of {row.school or 'the school'}.",
        today=day,
    )


def _summary(row: SchoolReturnRow) -> str:
    text = (
        f"Deletion return from {row.school or 'a school'}: deleted on {_day(row.on)}, "
        f"ground {_ground_label(row.ground)}."
    )
    if row.destination:
        text += f" Destination: {row.destination}."
    if row.parents:
        text += f" Parents: {row.parents}."
    return text


def _draft(row: SchoolReturnRow, day: date) -> CaseDraft:
    return CaseDraft(
        full_name=row.full_name,
        date_of_birth=row.date_of_birth,
        gender=row.sex[:40],
        # The DfE return's controlled sex, read as a pupil report's is (``dfe_codes``).
        sex=sex_from_gender(row.sex).key,
        upn=row.upn or "",
        last_known_address=", ".join(p for p in (row.address, row.postcode) if p),
        school=row.school,
        date_last_attended=row.on,
        identification_route="notification",
        referring_agency="schools" if "schools" in vocab.INDEX["partner_agencies"] else "",
        identified_by=row.school[:200],
        notified_on=day,
    )


def return_referral(row: SchoolReturnRow) -> Referral:
    """One row of a school's return as a ``cme-referral/1`` record (``cme import --dry-run
    --json``): the child, the address, the school and the day deleted."""
    ref = empty_referral()
    ref["children"][0] |= {
        "full_name": row.full_name,
        "date_of_birth": row.date_of_birth.isoformat() if row.date_of_birth else None,
        "gender": row.sex,
        "upn": row.upn,
    }
    ref["last_known_address"] = ", ".join(p for p in (row.address, row.postcode) if p)
    ref["school"] = row.school
    if row.kind == "deletion":
        ref["date_last_attended"] = row.on.isoformat() if row.on else None
    return normalise(ref)
