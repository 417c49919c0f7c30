"""What to do with each child an imported referral names, and carrying it out.

``ChildDecision`` is the officer's choice for one child (a new case, the
referral added to an existing case, or merged field by field);
``suggested_decision`` is what an unattended import chooses;
``plan_decisions`` checks a set of them; ``Committer`` carries them out on the
services of one open transaction (``ImportService.commit``). ``ImportResult``
says what came of it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, Final, Literal

from cme_desktop.services.cases.detail import CaseDetail, case_reference
from cme_desktop.services.cases.service import CaseService
from cme_desktop.services.errors import InvalidInput
from cme_desktop.services.importing.candidates import AUTO_MATCH_SCORE, ChildMatch
from cme_desktop.services.importing.comparison import MERGE_FIELDS, referral_values
from cme_desktop.services.importing.result import ParsedReferral
from cme_desktop.services.referral.parties import (
    child_draft,
    guess_agency,
    identified_by,
    parse_carers,
    whereabouts_unknown,
)
from cme_desktop.services.referral.record import Referral
from cme_desktop.services.referral.service import ReferralService
from cme_desktop.services.reports.dfe_codes import sex_from_gender

__all__ = [
    "Action",
    "ChildDecision",
    "Committer",
    "ImportResult",
    "ImportedChild",
    "Take",
    "plan_decisions",
    "suggested_decision",
]

Action = Literal["new", "add", "merge"]
Take = Literal["referral", "case"]
_TAKES: Final = frozenset({"referral", "case"})


# --- what goes in and what comes out ------------------------------------------------


@dataclass(frozen=True)
class ChildDecision:
    """What to do with one child: ``"new"`` case, ``"add"`` to or ``"merge"`` into ``case_id``.

    ``take`` (for ``"merge"``) maps a field of ``MERGE_FIELDS`` to ``"referral"``
    (take the form's value) or ``"case"`` (keep the case's); fields left out are
    filled only where the case is blank.
    """

    index: int
    action: Action
    case_id: int | None = None
    take: Mapping[str, Take] = field(default_factory=dict)


@dataclass(frozen=True)
class ImportedChild:
    """What ``commit`` did for one child."""

    index: int
    case_id: int
    referral_id: int
    outcome: Literal["created", "added", "merged"]
    changed: tuple[str, ...] = ()

    @property
    def reference(self) -> str:
        """The case's reference, ``CME-000123``."""
        return case_reference(self.case_id)


@dataclass(frozen=True)
class ImportResult:
    """The cases one referral went to, in the order of the children on the form."""

    children: tuple[ImportedChild, ...]
    family_id: int | None
    source_kind: str

    @property
    def case_ids(self) -> tuple[int, ...]:
        """Each case once, in the order of the children on the form."""
        return tuple(dict.fromkeys(child.case_id for child in self.children))


def suggested_decision(match: ChildMatch) -> ChildDecision:
    """A child whose UPN matches exactly one case, or who has exactly one candidate scoring
    ``AUTO_MATCH_SCORE`` or more, goes to that case ("add"); any other child, a new case.

    Two cases that fit equally well are never guessed between.
    """
    same_upn = [c for c in match.candidates if c.same_upn]
    chosen = same_upn or [c for c in match.candidates if c.score >= AUTO_MATCH_SCORE]
    if len(chosen) == 1:
        return ChildDecision(match.index, "add", chosen[0].case_id)
    return ChildDecision(match.index, "new")


# --- carrying out the decisions --------------------------------------------------------


def plan_decisions(decisions: Sequence[ChildDecision], count: int) -> list[ChildDecision]:
    """The decisions in the children's order, checked: one per child, each complete.

    Raises ``InvalidInput`` naming the first child whose decision is missing,
    doubled, unknown or incomplete.
    """
    by_index: dict[int, ChildDecision] = {}
    for decision in decisions:
        if not 0 <= decision.index < count:
            raise InvalidInput(f"The referral names no child {decision.index + 1}.")
        if decision.index in by_index:
            raise InvalidInput(f"Child {decision.index + 1} has two decisions.")
        if decision.action not in ("new", "add", "merge"):
            raise InvalidInput(f"Unknown choice for child {decision.index + 1}.")
        if decision.action != "new" and decision.case_id is None:
            raise InvalidInput(f"Choose the existing case for child {decision.index + 1}.")
        unknown = [k for k, v in decision.take.items() if k not in MERGE_FIELDS or v not in _TAKES]
        if unknown:
            raise InvalidInput(f"Unknown field to merge: {unknown[0]}.")
        by_index[decision.index] = decision
    missing = [i + 1 for i in range(count) if i not in by_index]
    if missing:
        raise InvalidInput(f"Decide what to do with child {missing[0]} before importing.")
    targets = [d.case_id for d in by_index.values() if d.case_id is not None]
    if len(targets) != len(set(targets)):
        raise InvalidInput("Two children on the form cannot go to the same case.")
    return [by_index[i] for i in range(count)]


@dataclass
class Committer:
    """Carries out one commit's decisions: the services on its session and the referral.

    ``child`` does one child's decision and says what came of it.
    """

    cases: CaseService
    referrals: ReferralService
    parsed: ParsedReferral
    ref: Referral
    kind: str
    received: date
    today: date

    def child(self, decision: ChildDecision, child: dict[str, Any]) -> ImportedChild:
        """Carry out ``decision`` for ``child``: a new case, or the referral on an existing one."""
        if decision.action == "new":
            return self._new(decision.index, child)
        assert decision.case_id is not None  # checked by plan_decisions
        take = decision.take if decision.action == "merge" else {}
        changed = self._fill(decision.case_id, child, take)
        referral_id = self._store(decision.case_id)
        outcome: Literal["added", "merged"] = "merged" if decision.action == "merge" else "added"
        return ImportedChild(decision.index, decision.case_id, referral_id, outcome, changed)

    def _store(self, case_id: int) -> int:
        return self.referrals.add(
            case_id,
            referral=self.ref,
            received_on=self.received,
            # The referrals page names "docx", "pdf" and "email"; the audit has the whole kind.
            source="email" if "/" in self.kind else self.kind,
            source_name=self.parsed.original_name or self.parsed.source.rsplit("›", 1)[-1],
            original=self.parsed.original,
            original_name=self.parsed.original_name,
        )

    def _carers(self, case_id: int) -> None:
        for carer in parse_carers(
            self.ref["parents_carers"], self.ref["telephone"], self.ref["email"]
        ):
            self.cases.save_carer(
                case_id,
                name=carer.name,
                relationship=carer.relationship,
                telephone=carer.telephone,
                email=carer.email,
            )

    def _new(self, index: int, child: dict[str, Any]) -> ImportedChild:
        if not child["full_name"]:
            raise InvalidInput(
                "Name of Pupil(s) is needed to log a case.", field=f"children.{index}.full_name"
            )
        agency = guess_agency(self.ref["referrer"]["organisation"])
        draft = child_draft(self.ref, child, received_on=self.received, agency=agency)
        case_id = self.cases.create(draft=draft, today=self.today)
        self._carers(case_id)
        return ImportedChild(index, case_id, self._store(case_id), "created")

    def _fill(
        self, case_id: int, child: dict[str, Any], take: Mapping[str, Take]
    ) -> tuple[str, ...]:
        detail: CaseDetail = self.cases.get(case_id)
        draft = detail.draft
        theirs = referral_values(self.ref, child)
        changes: dict[str, Any] = {}
        for name in MERGE_FIELDS:
            value, choice = theirs[name], take.get(name)
            if value in (None, "") or choice == "case" or value == getattr(draft, name):
                continue
            if name == "date_of_birth" and value > self.today:
                continue  # the form's slip stays on the referral, flagged there
            if choice == "referral" or getattr(draft, name) in (None, ""):
                changes[name] = value
        if "gender" in changes and not draft.sex:
            changes["sex"] = sex_from_gender(changes["gender"]).key
        if not draft.identified_by and identified_by(self.ref):
            changes["identified_by"] = identified_by(self.ref)
        if whereabouts_unknown(self.ref) and not draft.whereabouts_unknown:
            changes["whereabouts_unknown"] = True
        if changes:
            self.cases.update(case_id, draft=replace(draft, **changes), version=detail.version)
        if not detail.carers:
            self._carers(case_id)
        return tuple(changes)
