"""Importing referrals into cases: who each child may already be, then one commit for the lot.

The importers (``services.importing``) turn a file into ``ParsedReferral`` drafts;
nothing is saved by them. This module is the step after the officer's review
(or, for ``cme import``, after ``auto_decisions``):

- ``candidates`` lists, for each child the referral names, the existing cases
  that may be the same child (same UPN, or the same date of birth and a name
  alike in spelling or matching an AKA), best first, with a score and why;
- ``compare`` sets a candidate case's key fields beside the referral's;
- ``commit`` carries out one decision per child (a new case, the referral added
  to an existing case, or merged field by field), links the children named on
  one form as one family and keeps the file as received on each case.

Decisions written down so they can be challenged:

- ``commit`` is one transaction. ``CaseService`` and ``ReferralService`` each
  open their own unit of work, so they are run here on the caller's open
  session (``referrals._SameTransaction``): a failure at any child leaves
  nothing of the import behind, not even its audit rows.
- "Add" fills only the case's blank fields. "Merge" takes the referral's
  value for each field the officer ticked and, like "add", fills blank fields
  not mentioned; a field the officer chose to keep ("case") is never touched,
  even when blank. A blank value on the form never blanks a case field.
- The audit rows name cases, referrals, the kind of file and the decision;
  never the file's name, which often carries the child's name.
- The pupil database report (policy 8.1 ii) is matched row by row against the
  cases before anything is created: a row matching a case is reported, never
  made into a second case, and a row that only may match is left to the
  officer. Its code is in ``pupil_report_import``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import TYPE_CHECKING, Any, Final, Literal, cast

from cme_desktop.services.cases.case_list import CaseList, CaseRow
from cme_desktop.services.cases.matching import match_score, name_similarity
from cme_desktop.services.cases.service import CaseDetail, CaseService, case_reference
from cme_desktop.services.errors import InvalidInput
from cme_desktop.services.importing.pupil_csv import PupilRecord
from cme_desktop.services.importing.read import detect_kind
from cme_desktop.services.importing.result import ParsedReferral
from cme_desktop.services.referral.parties import (
    child_draft,
    children_named,
    guess_agency,
    identified_by,
    parse_carers,
    whereabouts_unknown,
)
from cme_desktop.services.referral.record import (
    Referral,
    field_label,
    format_uk_date,
    normalise,
    validate,
)
from cme_desktop.services.referral.service import ReferralService, _SameTransaction
from cme_desktop.services.vault import audit
from cme_desktop.services.vault.database import Database

if TYPE_CHECKING:
    from cme_desktop.services.importing.pupil_report import PupilReportResult

__all__ = [
    "AUTO_MATCH_SCORE",
    "Action",
    "MERGE_FIELDS",
    "CaseCandidate",
    "ChildDecision",
    "ChildMatch",
    "FieldComparison",
    "ImportResult",
    "ImportService",
    "ImportedChild",
    "Take",
    "merge_field_label",
    "source_kind",
    "suggested_decision",
]

#: ``auto_decisions`` adds a referral to an existing case only at this score or above.
AUTO_MATCH_SCORE: Final = 0.95

#: The case fields a referral can fill, in the order the review screen shows them.
MERGE_FIELDS: Final = (
    "full_name",
    "aka",
    "date_of_birth",
    "gender",
    "ethnicity",
    "upn",
    "sen_disability",
    "child_in_care",
    "last_known_address",
    "school",
    "date_last_attended",
)
_CHILD_FIELDS: Final = frozenset(MERGE_FIELDS[:8])

Action = Literal["new", "add", "merge"]
Take = Literal["referral", "case"]
_TAKES: Final = frozenset({"referral", "case"})


def merge_field_label(name: str) -> str:
    """The form's own label for a case field of ``MERGE_FIELDS``."""
    return field_label(f"children.{name}" if name in _CHILD_FIELDS else name)


# --- what comes out ---------------------------------------------------------------


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


@dataclass(frozen=True)
class ChildMatch:
    """One child named on the referral (``index`` into its children) and its candidates."""

    index: int
    full_name: str
    date_of_birth: date | None
    upn: str
    candidates: tuple[CaseCandidate, ...]


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
class FieldComparison:
    """One key field of a case beside the referral's value, as the review screen shows it."""

    field: str
    label: str
    case_value: Any
    referral_value: Any
    case_text: str
    referral_text: str
    differs: bool

    @property
    def can_take(self) -> bool:
        """True when the referral has a value here that the case lacks or differs from."""
        return self.differs and self.referral_text != ""


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


def _iso(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, date):
        return format_uk_date(value)
    lines = (" ".join(line.split()) for line in str(value).splitlines())
    return ", ".join(line for line in lines if line)


def _checked(referral: Any, today: date) -> Referral:
    errors = [f for f in validate(referral, today=today) if f.severity == "error"]
    if errors:
        raise InvalidInput(errors[0].message, field=errors[0].field)
    return normalise(referral)


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
        upn = (upn or "").strip().upper()
        rows = CaseList(self.db).find_similar(
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
        ranked = sorted(
            found, key=lambda c: (-c.score, not c.same_upn, c.status != "open", -c.case_id)
        )
        return tuple(ranked)

    def candidates(self, parsed: ParsedReferral) -> list[ChildMatch]:
        """For each child the referral names, the existing cases that may be the same child."""
        children = children_named(normalise(parsed.referral))
        return [
            ChildMatch(
                index=index,
                full_name=child["full_name"],
                date_of_birth=_iso(child["date_of_birth"]),
                upn=child["upn"] or "",
                candidates=self.find_cases(
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
        theirs = _referral_values(ref, children[child_index])
        with self.db.write() as session:
            detail = self._tx_cases(session).get(case_id)
        ours = {name: getattr(detail.draft, name) for name in MERGE_FIELDS}
        return tuple(
            FieldComparison(
                field=name,
                label=merge_field_label(name),
                case_value=ours[name],
                referral_value=theirs[name],
                case_text=_text(ours[name]),
                referral_text=_text(theirs[name]),
                differs=_text(ours[name]) != _text(theirs[name]),
            )
            for name in MERGE_FIELDS
        )

    # -- pupil database reports (policy 8.1 ii) -----------------------------------------

    def import_pupil_report(
        self, records: Sequence[PupilRecord], *, auto: bool = True, today: date | None = None
    ) -> PupilReportResult:
        """Match every row of a pupil database report against the cases, then log the rest.

        Nothing is created for a row that matches a case or may match one; see
        ``pupil_report_import.import_pupil_report``. Without ``auto``, a preview:
        nothing is saved.
        """
        from cme_desktop.services.importing.pupil_report import import_pupil_report

        return import_pupil_report(self, records, auto=auto, today=today)

    # -- saving ----------------------------------------------------------------------

    def _tx_cases(self, session: Any) -> CaseService:
        return CaseService(cast(Database, _SameTransaction(self.db, session)))

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
            tx = cast(Database, _SameTransaction(self.db, session))
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


def _referral_values(ref: Referral, child: dict[str, Any]) -> dict[str, Any]:
    """The values the referral gives each field of ``MERGE_FIELDS`` for one child."""
    draft = child_draft(ref, child, received_on=date.today(), agency="")
    return {name: getattr(draft, name) for name in MERGE_FIELDS}


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
        theirs = _referral_values(self.ref, child)
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
