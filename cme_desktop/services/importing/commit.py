"""Saving a reviewed import: one decision per child, carried out in one transaction.

The readers (``importing.read``) turn a file into ``ParsedReferral`` drafts;
nothing is saved by them. ``ImportService`` is the step after: it offers, for
each child the referral names, the cases that may be the same child
(``candidates``), sets a candidate case beside the referral (``comparison``),
and, after the officer's review (or, for ``cme import``, ``auto_decisions``),
``commit`` carries out one decision per child (a new case, the referral added
to an existing case, or merged field by field), links the children named on
one form as one family and keeps the file as received on each case. The
decisions and their carrying out are in ``decisions``; the file imported
before, in ``duplicates``.

Decisions written down so they can be challenged:

- ``commit`` is one transaction. ``CaseService`` and ``ReferralService`` each
  open their own unit of work, so they are run here on the caller's open
  session (``Database.joined``): a failure at any child leaves nothing of the
  import behind, not even its audit rows.
- Two imports of one form at once must not make two cases. The write
  transaction takes the vault's write lock at its start (BEGIN IMMEDIATE), and
  everything that decides whether to create is done inside it: the file's
  SHA-256 is looked up first (``duplicates``: the very same file again creates
  nothing and raises ``AlreadyImported``), and ``commit_unattended`` matches the
  children against the cases there too, so the second import waits for the
  first and then finds its case. The window's review decides before the
  transaction (the officer looks at the candidates), so only the file check
  protects it from a concurrent import of the same file.
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

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from sqlalchemy.orm import Session

from cme_desktop.services.cases.service import CaseService
from cme_desktop.services.errors import InvalidInput
from cme_desktop.services.importing.candidates import (
    CaseCandidate,
    ChildMatch,
    child_matches,
    find_cases,
)
from cme_desktop.services.importing.comparison import (
    FieldComparison,
    compare_fields,
    referral_values,
)
from cme_desktop.services.importing.decisions import (
    Action,
    ChildDecision,
    Committer,
    ImportedChild,
    ImportResult,
    Take,
    plan_decisions,
    suggested_decision,
)
from cme_desktop.services.importing.detect import detect_kind
from cme_desktop.services.importing.duplicates import (
    PreviousImport,
    content_hash,
    previous_import,
)
from cme_desktop.services.importing.pupil_csv import PupilRecord
from cme_desktop.services.importing.pupil_report import PupilReportResult, import_pupil_report
from cme_desktop.services.importing.result import ParsedReferral
from cme_desktop.services.referral.parties import children_named
from cme_desktop.services.referral.record import Referral, normalise
from cme_desktop.services.referral.service import ReferralService
from cme_desktop.services.referral.validation import validate
from cme_desktop.services.register import notices
from cme_desktop.services.register.notice_words import says_home_education
from cme_desktop.services.vault import audit
from cme_desktop.services.vault.database import Database, SessionUnit

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
        """What an unattended import decides: ``suggested_decision`` for each child.

        A preview: ``commit_unattended`` decides again inside its transaction.
        """
        return [suggested_decision(match) for match in self.candidates(parsed)]

    def previous_import(self, parsed: ParsedReferral) -> PreviousImport | None:
        """Where the very file ``parsed`` came in was imported before, if it was (by SHA-256)."""
        if parsed.original is None:
            return None
        with self.db.read() as session:
            return previous_import(session, content_hash(parsed.original))

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
        contradictory decision), ``NotFound`` (a case gone since the review) and
        ``AlreadyImported`` (the very same file was imported before); on any error
        nothing is saved.
        """
        return self._save(parsed, _Given(decisions), received_on=received_on, today=today)

    def commit_unattended(
        self,
        parsed: ParsedReferral,
        *,
        received_on: date | None = None,
        today: date | None = None,
    ) -> ImportResult:
        """What ``cme import`` does: ``auto_decisions`` and ``commit`` in one write transaction.

        The children are matched against the cases inside the transaction that saves
        them, with the vault's write lock held from its start, so two imports of one
        form at once make one case, not two (see the module notes). Raises what
        ``commit`` raises.
        """
        return self._save(parsed, _auto_decisions, received_on=received_on, today=today)

    def _save(
        self,
        parsed: ParsedReferral,
        decide: _Decide,
        *,
        received_on: date | None,
        today: date | None,
    ) -> ImportResult:
        day = today or date.today()
        received = received_on or day
        ref = _checked(parsed.referral, day)
        children = children_named(ref)
        ref["children"] = children
        kind = source_kind(parsed)
        digest = content_hash(parsed.original) if parsed.original is not None else None
        with self.db.write() as session:
            if digest is not None:
                previous = previous_import(session, digest)
                if previous is not None:
                    raise previous.error()
            tx = self.db.joined(session)
            plan = plan_decisions(decide(tx, parsed), len(children))
            committer = Committer(
                cases=CaseService(tx),
                referrals=ReferralService(tx),
                parsed=parsed,
                ref=ref,
                kind=kind,
                received=received,
                today=day,
            )
            done = [committer.child(decision, children[decision.index]) for decision in plan]
            if says_home_education(ref):
                _removal_notices(session, tx, ref, done, received)
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


def _removal_notices(
    session: Session, tx: SessionUnit, ref: Referral, done: list[ImportedChild], received: date
) -> None:
    """A form saying the child left school for home education is the school's notice of
    removal too: each child named goes on the register with the CME check (``notices``)."""
    last_day = ref.get("date_last_attended")
    removed = date.fromisoformat(last_day) if last_day else None
    for case_id in dict.fromkeys(child.case_id for child in done):
        notices.record_removal_notice(
            session,
            tx,
            case_id,
            school=str(ref.get("school") or ""),
            removed_on=removed,
            received_on=received,
        )


class _Decide(Protocol):
    """How ``_save`` gets the decisions, given the transaction it runs in."""

    def __call__(self, tx: SessionUnit, parsed: ParsedReferral) -> Sequence[ChildDecision]: ...


@dataclass(frozen=True)
class _Given:
    """The officer's decisions, made before the transaction (the window's review)."""

    decisions: Sequence[ChildDecision]

    def __call__(self, tx: SessionUnit, parsed: ParsedReferral) -> Sequence[ChildDecision]:
        return self.decisions


def _auto_decisions(tx: SessionUnit, parsed: ParsedReferral) -> list[ChildDecision]:
    """``suggested_decision`` for each child, matched inside the transaction ``tx``."""
    return [suggested_decision(match) for match in child_matches(tx, parsed)]
