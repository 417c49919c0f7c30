"""Reports from the pupil database (policy 8.1 ii) into cases, without duplicates.

Policy 8.1 ii identifies children missing education by "reports from the pupil
database, identifying children known to the Local Authority without a school
place". Such a report lists many children the officer already has a case for, so
each row is matched against the cases *before* anything is created
(``candidates.find_cases``: same UPN, or the same date of birth and a name
alike):

- one case matches: the row is reported with it, never logged a second time
  (an open case as known, a closed one for the officer to consider reopening);
- cases only may match, or the row has neither date of birth nor UPN and a case
  under a very similar name exists: left for the officer to check;
- the same child listed twice in the report: the second row is reported;
- no name: skipped.

The other rows become new cases (identification route "pupil_database"), all in
one transaction, each audited with its row number only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Literal

from cme_desktop.services.cases.case_list import CaseList, CaseQuery
from cme_desktop.services.cases.detail import CaseDraft, case_reference
from cme_desktop.services.cases.matching import name_similarity
from cme_desktop.services.cases.service import CaseService
from cme_desktop.services.importing.candidates import AUTO_MATCH_SCORE, CaseCandidate, find_cases
from cme_desktop.services.importing.pupil_csv import PupilRecord
from cme_desktop.services.referral.record import Referral, empty_referral, normalise
from cme_desktop.services.reports.dfe_codes import sex_from_gender
from cme_desktop.services.vault import audit
from cme_desktop.services.vault.database import Database

__all__ = [
    "PupilOutcome",
    "PupilReportResult",
    "PupilRow",
    "import_pupil_report",
    "pupil_referral",
]

PupilOutcome = Literal["created", "new", "open_case", "closed_case", "check", "repeated", "skipped"]


@dataclass(frozen=True)
class PupilRow:
    """What became of one row of a pupil database report (``row``: its line in the file).

    ``outcome``: ``"created"`` (a new case, ``case_id``), ``"new"`` (would be one:
    a preview), ``"open_case"`` / ``"closed_case"`` (the child's case already
    exists: ``case_id``; nothing created), ``"check"`` (may be one of
    ``candidates``: for the officer to decide), ``"repeated"`` (the same child as
    row ``repeats_row``), ``"skipped"`` (no name). ``problems`` are the row's own.
    """

    row: int
    outcome: PupilOutcome
    case_id: int | None = None
    candidates: tuple[CaseCandidate, ...] = ()
    repeats_row: int | None = None
    problems: tuple[str, ...] = ()

    @property
    def message(self) -> str:
        """The outcome in a few words for the officer."""
        ref = case_reference(self.case_id) if self.case_id is not None else ""
        if self.outcome == "created":
            return f"created {ref}"
        if self.outcome == "new":
            return "no case yet: a new case would be logged"
        if self.outcome == "open_case":
            return f"already an open case, {ref}: not duplicated"
        if self.outcome == "closed_case":
            return (
                f"matches the closed case {ref}: reopen it if the child is missing education "
                "again (nothing created)"
            )
        if self.outcome == "check":
            if not self.candidates:
                return (
                    "a case with a very similar name exists and the row has no date of birth "
                    "or UPN: check by hand (nothing created)"
                )
            refs = " or ".join(c.reference for c in self.candidates[:3])
            return f"may be {refs}: check by hand (nothing created)"
        if self.outcome == "repeated":
            return f"the same child as row {self.repeats_row} (nothing created)"
        return "no name is given (nothing created)"


@dataclass(frozen=True)
class PupilReportResult:
    """Every row of a pupil database report and what became of it; ``saved`` if not a preview."""

    rows: tuple[PupilRow, ...]
    saved: bool

    def count(self, outcome: PupilOutcome) -> int:
        """How many rows had ``outcome``."""
        return sum(1 for row in self.rows if row.outcome == outcome)

    @property
    def created_ids(self) -> tuple[int, ...]:
        """The new cases, in the report's order."""
        return tuple(r.case_id for r in self.rows if r.outcome == "created" and r.case_id)


def import_pupil_report(
    db: Database,
    records: Sequence[PupilRecord],
    *,
    auto: bool = True,
    today: date | None = None,
) -> PupilReportResult:
    """Match every row of a pupil database report against the cases, then log the rest.

    Each row is matched before anything is created: a row matching one case
    (same UPN, or same date of birth and a name scoring ``AUTO_MATCH_SCORE``)
    is reported with that case and not duplicated; a row that only may match
    (or names a child already listed above it) is left for the officer; a row
    without a name is skipped. With ``auto`` the other rows become new cases
    (identification route "pupil_database"), all in one transaction; without
    it nothing is saved and those rows come back as ``"new"``: a preview.
    """
    day = today or date.today()
    outcomes: list[PupilRow] = []
    to_create: list[tuple[PupilRecord, CaseDraft]] = []
    seen: dict[tuple[str, ...], int] = {}
    for record in records:
        outcome = _pupil_row(db, record, seen)
        if outcome.outcome == "new":
            to_create.append((record, _pupil_draft(record, day)))
        outcomes.append(outcome)
    if auto and to_create:
        created = _create_pupils(db, to_create, day)
        outcomes = [
            replace(o, outcome="created", case_id=created[o.row]) if o.row in created else o
            for o in outcomes
        ]
    return PupilReportResult(rows=tuple(outcomes), saved=auto)


def _pupil_row(db: Database, record: PupilRecord, seen: dict[tuple[str, ...], int]) -> PupilRow:
    if not record.full_name:
        return PupilRow(record.row, "skipped", problems=record.problems)
    keys = _pupil_keys(record)
    earlier = next((seen[k] for k in keys if k in seen), None)
    for key in keys:
        seen.setdefault(key, record.row)
    if earlier is not None:
        return PupilRow(record.row, "repeated", repeats_row=earlier, problems=record.problems)
    found = find_cases(
        db,
        full_name=record.full_name,
        date_of_birth=record.date_of_birth,
        upn=record.upn or "",
    )
    same_upn = [c for c in found if c.same_upn]
    strong = same_upn or [c for c in found if c.score >= AUTO_MATCH_SCORE]
    if len(strong) == 1:
        match = strong[0]
        outcome: PupilOutcome = "open_case" if match.status == "open" else "closed_case"
        return PupilRow(record.row, outcome, match.case_id, found, problems=record.problems)
    if found or (record.date_of_birth is None and not record.upn and _name_known(db, record)):
        return PupilRow(record.row, "check", None, found, problems=record.problems)
    return PupilRow(record.row, "new", problems=record.problems)


def _name_known(db: Database, record: PupilRecord) -> bool:
    """A row with neither date of birth nor UPN: is a case under a name very like it?"""
    listing = CaseList(db)
    ids = listing.matching_ids(CaseQuery(search=record.full_name, quick="all", sort="id"))
    rows = listing.rows(ids[:200])
    return any(name_similarity(row.full_name, record.full_name) >= 0.9 for row in rows.values())


def _create_pupils(
    db: Database, drafts: Sequence[tuple[PupilRecord, CaseDraft]], day: date
) -> dict[int, int]:
    created: dict[int, int] = {}
    with db.write() as session:
        cases = CaseService(db.joined(session))
        for record, draft in drafts:
            case_id = cases.create(draft=draft, today=day)
            created[record.row] = case_id
            audit.record(
                session,
                db,
                action="pupil_report_imported",
                entity="case",
                entity_id=case_id,
                detail=f"row={record.row} route=pupil_database",
            )
    return created


def _pupil_keys(record: PupilRecord) -> list[tuple[str, ...]]:
    """What makes two rows of one report the same child: the UPN, or name and date of birth."""
    keys: list[tuple[str, ...]] = []
    if record.upn:
        keys.append(("upn", record.upn))
    if record.date_of_birth is not None:
        keys.append(
            ("name", " ".join(record.full_name.casefold().split()), str(record.date_of_birth))
        )
    return keys


def _pupil_draft(record: PupilRecord, day: date) -> CaseDraft:
    dob = record.date_of_birth if record.date_of_birth and record.date_of_birth <= day else None
    return CaseDraft(
        full_name=record.full_name,
        date_of_birth=dob,
        gender=record.gender[:40],
        sex=sex_from_gender(record.gender).key,
        upn=record.upn or "",
        last_known_address=", ".join(p for p in (record.address, record.postcode) if p),
        school=record.last_school[:200],
        date_last_attended=record.date_left,
        identification_route="pupil_database",
        notified_on=day,
    )


def pupil_referral(record: PupilRecord) -> Referral:
    """One row of a pupil database report as a ``cme-referral/1`` record (``cme import
    --dry-run --json``): the child, the address, the last school and the date left."""
    ref = empty_referral()
    ref["children"][0] |= {
        "full_name": record.full_name,
        "date_of_birth": record.date_of_birth.isoformat() if record.date_of_birth else None,
        "gender": record.gender,
        "upn": record.upn,
    }
    ref["last_known_address"] = ", ".join(p for p in (record.address, record.postcode) if p)
    ref["school"] = record.last_school
    ref["date_last_attended"] = record.date_left.isoformat() if record.date_left else None
    return normalise(ref)
