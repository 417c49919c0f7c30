"""Saving a reviewed import: one decision per child, carried out in one transaction.

The readers (``importing.read``) turn a file into ``ParsedReferral`` drafts;
nothing is saved by them. ``ImportService`` is the step after: it offers, for
each child the referral names, the cases that may be the same child
(``candidates``), sets a candidate case beside the referral (``comparison``),
and, after the officer's review (or, for ``cme import``, ``auto_decisions``),
``commit`` carries out one decision per child (a new case, the referral added
to an existing case, or merged field by field), links the children named on
one form as one family and keeps the file as received on each case.

Decisions written down so they can be challenged:

- ``commit`` is one transaction. ``CaseService`` and ``ReferralService`` each
  open their own unit of work, so they are run here on the caller's open
  session (``Database.joined``): a failure at any child leaves nothing of the
  import behind, not even its audit rows.
- "Add" fills only the case's blank fields. "Merge" takes the referral's
  value for each field the officer ticked and, like "add", fills blank fields
  not mentioned; a field the officer chose to keep ("case") is never touched,
  even when blank. A blank value on the form never blanks a case field.
- The audit rows name cases, referrals, the kind of file and the decision;
  never the file's name, which often carries the child's name.
- The pupil database report (policy 8.1 ii) is matched row by row against the
  cases before anything is created: a row matching a case is reported, never
  made into a second case, and a row that only may match is left to the
  officer. Its code is in ``pupil_report``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, Final, Literal

from cme_desktop.services.cases.detail import CaseDetail, case_reference
from cme_desktop.services.cases.service import CaseService
from cme_desktop.services.errors import InvalidInput
from cme_desktop.services.importing.candidates import (
    AUTO_MATCH_SCORE,
    CaseCandidate,
    ChildMatch,
    child_matches,
    find_cases,
)
from cme_desktop.services.importing.comparison import (
    MERGE_FIELDS,
    FieldComparison,
    compare_fields,
    referral_values,
)
from cme_desktop.services.importing.detect import detect_kind
from cme_desktop.services.importing.pupil_csv import PupilRecord
from cme_desktop.services.importing.pupil_report import PupilReportResult, import_pupil_report
from cme_desktop.services.importing.result import ParsedReferral
from cme_desktop.services.referral.parties import (
    child_draft,
    children_named,
    guess_agency,
    identified_by,
    parse_carers,
    whereabouts_unknown,
)
from cme_desktop.services.referral.record import Referral, normalise
from cme_desktop.services.referral.service import ReferralService
from cme_desktop.services.referral.validation import validate
from cme_desktop.services.vault import audit
from cme_desktop.services.vault.database import Database

__all__ = [
    "Action",
    "ChildDecision",
    "ImportResult",
    "ImportService",
    "ImportedChild",
    "Take",
    "source_kind",
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


# --- small readers ------------------------------------------------------------------


def source_kind(parsed: ParsedReferral) -> str:
    """The kind of file a referral came in, for records and the audit log (never its name).

    ``"docx"``, ``"pdf"``, or the carrying email first: ``"eml/docx"``, ``"msg/pdf"``.
    """
    form = "unknown"
    if parsed.original is not None:
        kind = detect_kind(parsed.original, parsed.original_name or parsed.source)
        form = "docx" if kind == "encrypted_office" else kind
    carrier = parsed.source.split("›", 1)[0].strip().lower() if "›" in parsed.source else ""
    for email_kind in ("eml", "msg"):
        if carrier.endswith(f".{email_kind}"):
            return f"{email_kind}/{form}"[:20]
    return form[:20]


def _checked(referral: Any, today: date) -> Referral:
    errors = [f for f in validate(referral, today=today) if f.severity == "error"]
    if errors:
        raise InvalidInput(errors[0].message, field=errors[0].field)
    return normalise(referral)


# --- the service ------------------------------------------------------------------


class ImportService:
    """Referrals read from files, matched to cases and saved in one transaction."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # -- who the children may be ---------------------------------------------------

    def find_cases(
        self, *, full_name: str, date_of_birth: date | None, upn: str = "", aka: str = ""
    ) -> tuple[CaseCandidate, ...]:
        """Existing cases that may be this child, best first: same UPN, or the same date of
        birth and a name alike (spelling, word order, accents, AKA tolerated)."""
        return find_cases(
            self.db, full_name=full_name, date_of_birth=date_of_birth, upn=upn, aka=aka
        )

    def candidates(self, parsed: ParsedReferral) -> list[ChildMatch]:
        """For each child the referral names, the existing cases that may be the same child."""
        return child_matches(self.db, parsed)

    def auto_decisions(self, parsed: ParsedReferral) -> list[ChildDecision]:
        """What ``cme import`` does unattended: ``suggested_decision`` for each child."""
        return [suggested_decision(match) for match in self.candidates(parsed)]

    def compare(
        self, parsed: ParsedReferral, *, child_index: int, case_id: int
    ) -> tuple[FieldComparison, ...]:
        """The case's key fields beside the referral's values for one child (an audited read)."""
        ref = normalise(parsed.referral)
        children = children_named(ref)
        if not 0 <= child_index < len(children):
            raise InvalidInput("The referral names no such child.", field="children")
        theirs = referral_values(ref, children[child_index])
        with self.db.write() as session:
            detail = CaseService(self.db.joined(session)).get(case_id)
        return compare_fields(detail.draft, theirs)

    # -- pupil database reports (policy 8.1 ii) -----------------------------------------

    def import_pupil_report(
        self, records: Sequence[PupilRecord], *, auto: bool = True, today: date | None = None
    ) -> PupilReportResult:
        """Match every row of a pupil database report against the cases, then log the rest.

        Nothing is created for a row that matches a case or may match one; see
        ``pupil_report.import_pupil_report``. Without ``auto``, a preview:
        nothing is saved.
        """
        return import_pupil_report(self.db, records, auto=auto, today=today)

    # -- saving ----------------------------------------------------------------------

    def commit(
        self,
        parsed: ParsedReferral,
        decisions: Sequence[ChildDecision],
        *,
        received_on: date | None = None,
        today: date | None = None,
    ) -> ImportResult:
        """Save the referral as the officer decided, child by child, in one transaction.

        ``decisions`` holds one ``ChildDecision`` per child of ``candidates`` (by
        ``index``). New cases are logged as notifications (policy 8.1) on
        ``received_on`` (default today); the referral is kept on every case with
        the file as received; the cases of children named on one form are linked
        as one family. Raises ``InvalidInput`` (a malformed referral, a missing or
        contradictory decision) and ``NotFound`` (a case gone since the review);
        on any error nothing is saved.
        """
        day = today or date.today()
        received = received_on or day
        ref = _checked(parsed.referral, day)
        children = children_named(ref)
        ref["children"] = children
        plan = _plan(decisions, len(children))
        kind = source_kind(parsed)
        with self.db.write() as session:
            tx = self.db.joined(session)
            committer = _Committer(
                cases=CaseService(tx),
                referrals=ReferralService(tx),
                parsed=parsed,
                ref=ref,
                kind=kind,
                received=received,
                today=day,
            )
            done = [committer.child(decision, children[decision.index]) for decision in plan]
            ids = list(dict.fromkeys(child.case_id for child in done))
            family_id = committer.cases.link_family(ids) if len(ids) > 1 else None
            for child in done:
                detail = (
                    f"referral={child.referral_id} outcome={child.outcome} kind={kind} "
                    f"child={child.index + 1}/{len(children)}"
                )
                if family_id is not None:
                    detail += f" family={family_id}"
                audit.record(
                    session,
                    self.db,
                    action="referral_imported",
                    entity="case",
                    entity_id=child.case_id,
                    detail=detail,
                )
        return ImportResult(children=tuple(done), family_id=family_id, source_kind=kind)


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


def _plan(decisions: Sequence[ChildDecision], count: int) -> list[ChildDecision]:
    """The decisions in the children's order, checked: one per child, each complete."""
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
class _Committer:
    """One commit's shared state: the services on its session and the referral."""

    cases: CaseService
    referrals: ReferralService
    parsed: ParsedReferral
    ref: Referral
    kind: str
    received: date
    today: date

    def child(self, decision: ChildDecision, child: dict[str, Any]) -> ImportedChild:
        if decision.action == "new":
            return self._new(decision.index, child)
        assert decision.case_id is not None  # checked by _plan
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
        if not draft.identified_by and identified_by(self.ref):
            changes["identified_by"] = identified_by(self.ref)
        if whereabouts_unknown(self.ref) and not draft.whereabouts_unknown:
            changes["whereabouts_unknown"] = True
        if changes:
            self.cases.update(case_id, draft=replace(draft, **changes), version=detail.version)
        if not detail.carers:
            self._carers(case_id)
        return tuple(changes)
