"""Who a child named on an incoming referral may already be: existing cases, best first.

``find_cases`` lists the cases that may be one child (same UPN, or the same
date of birth and a name alike in spelling or matching an AKA), each with a
score and the reason it is offered, in words for the officer.
``child_matches`` does it for every child a referral names. A referral is
added to an existing case without asking (``cme import``, a pupil database
report) only when one case scores ``AUTO_MATCH_SCORE`` or shares the UPN.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Final

from cme_desktop.services.cases.case_list import CaseList, CaseRow
from cme_desktop.services.cases.detail import case_reference
from cme_desktop.services.cases.matching import match_score, name_similarity
from cme_desktop.services.importing.result import ParsedReferral
from cme_desktop.services.referral.parties import children_named
from cme_desktop.services.referral.record import normalise
from cme_desktop.services.vault.database import UnitOfWork

__all__ = [
    "AUTO_MATCH_SCORE",
    "CaseCandidate",
    "ChildMatch",
    "child_matches",
    "find_cases",
]

#: ``auto_decisions`` adds a referral to an existing case only at this score or above.
AUTO_MATCH_SCORE: Final = 0.95


@dataclass(frozen=True)
class CaseCandidate:
    """An existing case that may be the child of a referral, and why it is offered."""

    case_id: int
    reference: str
    full_name: str
    aka: str
    date_of_birth: date | None
    upn: str
    status: str
    school: str
    last_known_address: str
    score: float
    reason: str
    same_upn: bool
    #: Which record the case holds (``CaseRow.cohort``): ``cnis`` is only on the register.
    cohort: str = "cme"


@dataclass(frozen=True)
class ChildMatch:
    """One child named on the referral (``index`` into its children) and its candidates."""

    index: int
    full_name: str
    date_of_birth: date | None
    upn: str
    candidates: tuple[CaseCandidate, ...]


def find_cases(
    db: UnitOfWork, *, full_name: str, date_of_birth: date | None, upn: str = "", aka: str = ""
) -> tuple[CaseCandidate, ...]:
    """Existing cases that may be this child, best first: same UPN, or the same date of
    birth and a name alike (spelling, word order, accents, AKA tolerated).

    ``db`` may be ``Database.joined(session)``: then the cases are looked for inside
    that transaction, as ``ImportService.commit_unattended`` does."""
    upn = (upn or "").strip().upper()
    rows = CaseList(db).find_similar(
        full_name=full_name, date_of_birth=date_of_birth, upn=upn, aka=aka
    )
    found = [
        CaseCandidate(
            case_id=row.id,
            reference=case_reference(row.id),
            full_name=row.full_name,
            aka=row.aka,
            date_of_birth=row.date_of_birth,
            upn=row.upn,
            status=row.status,
            school=row.school,
            last_known_address=row.last_known_address,
            cohort=row.cohort,
            score=round(
                match_score(
                    row, full_name=full_name, date_of_birth=date_of_birth, upn=upn, aka=aka
                ),
                3,
            ),
            reason=_reason(row, full_name=full_name, aka=aka, dob=date_of_birth, upn=upn),
            same_upn=bool(upn) and row.upn == upn,
        )
        for row in rows
    ]
    ranked = sorted(found, key=lambda c: (-c.score, not c.same_upn, c.status != "open", -c.case_id))
    return tuple(ranked)


def child_matches(db: UnitOfWork, parsed: ParsedReferral) -> list[ChildMatch]:
    """For each child the referral names, the existing cases that may be the same child."""
    children = children_named(normalise(parsed.referral))
    return [
        ChildMatch(
            index=index,
            full_name=child["full_name"],
            date_of_birth=_iso(child["date_of_birth"]),
            upn=child["upn"] or "",
            candidates=find_cases(
                db,
                full_name=child["full_name"],
                date_of_birth=_iso(child["date_of_birth"]),
                upn=child["upn"] or "",
                aka=child["aka"],
            )
            if child["full_name"] or child["upn"]
            else (),
        )
        for index, child in enumerate(children)
    ]


def _iso(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _reason(row: CaseRow, *, full_name: str, aka: str, dob: date | None, upn: str) -> str:
    if upn and row.upn == upn:
        return "Same UPN"
    pairs = [
        (name_similarity(mine, theirs), i, j)
        for i, mine in enumerate((full_name, aka))
        for j, theirs in enumerate((row.full_name, row.aka))
        if mine.strip() and theirs.strip()
    ]
    # On a tie the names themselves make the plainer reason than an AKA.
    similarity, mine, theirs = max(pairs, key=lambda p: (p[0], -p[1], -p[2]), default=(0.0, 0, 0))
    if mine or theirs:
        name = "the referral's AKA" if mine else "the name"
        name += " matches the case's AKA" if theirs else " matches the case's name"
    elif similarity >= 0.999:
        name = "same name"
    else:
        name = f"name {round(similarity * 100)}% alike"
    if dob is not None and row.date_of_birth == dob:
        return f"Same date of birth, {name}"
    return name[:1].upper() + name[1:]
