"""Referral forms (Appendix A) held on cases: add, edit, read, split siblings, start cases.

A referral is kept exactly as the ``cme-referral/1`` record (``referral_record``);
the case holds what the officer has established. ``apply_to_case`` and the case
builders copy from the first to the second only where the case is still blank, so
nothing the officer typed is overwritten by what a form says.

``split_siblings`` and ``new_case_from_referral`` make several cases, their carers
and their referrals, and link them as one family. They do it with ``CaseService``'s
own ``create``, ``save_carer`` and ``link_family``, run inside *one* transaction
(``UnitOfWork.joined``), so a failure half-way leaves no half-made family behind.
"""

from __future__ import annotations

import hashlib
import mimetypes
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cme_desktop.models import Address, Attachment, Carer, Case, Escalation
from cme_desktop.models import Referral as ReferralModel
from cme_desktop.models.vocabularies import RISK_INDICATORS, label_of
from cme_desktop.services.cases import history
from cme_desktop.services.cases.detail import case_reference
from cme_desktop.services.cases.service import CaseService
from cme_desktop.services.errors import InvalidInput, NotFound
from cme_desktop.services.referral.parties import (
    child_draft,
    child_index,
    children_named,
    fill_blanks,
    guess_agency,
    parse_carers,
    same_name,
    sibling_draft,
)
from cme_desktop.services.referral.record import Referral, normalise
from cme_desktop.services.referral.typed_answers import split_pupil_names
from cme_desktop.services.referral.validation import serious_current_indicators, validate
from cme_desktop.services.vault import audit
from cme_desktop.services.vault.database import UnitOfWork

__all__ = ["ReferralService", "StoredReferral"]

MAX_SOURCE = 20
MAX_SOURCE_NAME = 300

# --- what comes out ------------------------------------------------------------


@dataclass(frozen=True)
class StoredReferral:
    """A referral as kept on a case: the record and where it came from."""

    id: int
    case_id: int
    received_on: date
    source: str
    source_name: str
    data: Referral
    attachment_id: int | None
    created_at: datetime
    updated_at: datetime


# --- the service -------------------------------------------------------------------


class ReferralService:
    """The referral forms held on cases."""

    def __init__(self, db: UnitOfWork) -> None:
        self.db = db

    # -- helpers ------------------------------------------------------------------

    def _audit(self, session: Session, action: str, case_id: int, detail: str = "") -> None:
        audit.record(
            session, self.db, action=action, entity="case", entity_id=case_id, detail=detail
        )

    def _cases(self, session: Session) -> CaseService:
        return CaseService(self.db.joined(session))

    @staticmethod
    def _checked(referral: Any, today: date | None = None) -> Referral:
        """The canonical record; ``InvalidInput`` naming the first malformed field."""
        findings = validate(referral, today=today or date.today())
        errors = [f for f in findings if f.severity == "error"]
        if errors:
            raise InvalidInput(errors[0].message, field=errors[0].field)
        return normalise(referral)

    @staticmethod
    def _check_source(source: str, source_name: str) -> None:
        if not source.strip() or len(source) > MAX_SOURCE:
            raise InvalidInput("Say where the referral came from.", field="source")
        if len(source_name) > MAX_SOURCE_NAME:
            raise InvalidInput("The name of the source file is too long.", field="source_name")

    def _store(
        self,
        session: Session,
        case_id: int,
        ref: Referral,
        *,
        received_on: date,
        source: str,
        source_name: str,
        original: bytes | None,
        original_name: str,
    ) -> int:
        attachment_id = None
        if original is not None:
            name = original_name.strip() or source_name.strip() or "referral"
            attachment = Attachment(
                case_id=case_id,
                filename=name[:300],
                media_type=mimetypes.guess_type(name)[0] or "application/octet-stream",
                content=original,
                note="The referral as it was received",
                # How a file imported again is recognised (importing.duplicates).
                content_sha256=hashlib.sha256(original).hexdigest(),
            )
            session.add(attachment)
            session.flush()
            attachment_id = attachment.id
        row = ReferralModel(
            case_id=case_id,
            received_on=received_on,
            source=source.strip(),
            source_name=source_name.strip(),
            data=ref,
            attachment_id=attachment_id,
        )
        session.add(row)
        session.flush()
        history.record(
            session,
            case_id=case_id,
            summary=_received_summary(received_on, row.source, row.source_name),
            author=self.db.actor,
        )
        detail = f"referral={row.id} source={row.source}"
        if attachment_id is not None:
            detail += f" attachment={attachment_id}"
        self._audit(session, "referral_added", case_id, detail)
        return row.id

    @staticmethod
    def _row(session: Session, referral_id: int) -> ReferralModel:
        row = session.get(ReferralModel, referral_id)
        if row is None:
            raise NotFound("That referral no longer exists.")
        return row

    @staticmethod
    def _case(session: Session, case_id: int) -> Case:
        case = session.get(Case, case_id)
        if case is None:
            raise NotFound(f"Case {case_reference(case_id)} does not exist.")
        return case

    # -- add, edit, read ---------------------------------------------------------------

    def add(
        self,
        case_id: int,
        *,
        referral: Referral,
        received_on: date,
        source: str = "manual",
        source_name: str = "",
        original: bytes | None = None,
        original_name: str = "",
    ) -> int:
        """Keep a referral on a case (with the file as received, if given); returns its id.

        ``InvalidInput`` names the first malformed field; warnings (age, UPN, phone
        shapes) do not stop the save.
        """
        ref = self._checked(referral)
        self._check_source(source, source_name)
        with self.db.write() as session:
            self._case(session, case_id)
            return self._store(
                session,
                case_id,
                ref,
                received_on=received_on,
                source=source,
                source_name=source_name,
                original=original,
                original_name=original_name,
            )

    def update(
        self, referral_id: int, *, referral: Referral, received_on: date | None = None
    ) -> None:
        """Save the officer's corrections to a referral (and its date received, if given)."""
        ref = self._checked(referral)
        with self.db.write() as session:
            row = self._row(session, referral_id)
            row.data = ref
            if received_on is not None:
                row.received_on = received_on
            self._audit(session, "referral_updated", row.case_id, f"referral={referral_id}")

    def get(self, referral_id: int) -> StoredReferral:
        """One referral; the read is audited."""
        with self.db.write() as session:
            row = self._row(session, referral_id)
            self._audit(session, "referral_read", row.case_id, f"referral={referral_id}")
            return _stored(row)

    def for_case(self, case_id: int) -> list[StoredReferral]:
        """The case's referrals, newest first; the read is audited."""
        with self.db.write() as session:
            self._case(session, case_id)
            rows = session.scalars(
                select(ReferralModel)
                .where(ReferralModel.case_id == case_id)
                .order_by(ReferralModel.received_on.desc(), ReferralModel.id.desc())
            ).all()
            self._audit(session, "referrals_read", case_id, f"count={len(rows)}")
            return [_stored(r) for r in rows]

    def original(self, referral_id: int) -> tuple[str, bytes] | None:
        """The file the referral arrived as (name, content), if it was kept; audited."""
        with self.db.write() as session:
            row = self._row(session, referral_id)
            if row.attachment_id is None:
                return None
            attachment = session.get(Attachment, row.attachment_id)
            if attachment is None:
                return None
            self._audit(session, "attachment_read", row.case_id, f"attachment={attachment.id}")
            return attachment.filename, bytes(attachment.content)

    # -- from the referral to the case --------------------------------------------------

    def apply_to_case(self, case_id: int, referral_id: int) -> tuple[str, ...]:
        """Copy the referral's child, address, school and carer details onto the case.

        Only blank case fields are filled; the case's child is found among the
        referral's children by name (then UPN). "Whereabouts unknown" is set, never
        cleared, when indicator 10 is current. Carers are added only to a case that
        has none. Returns the names of the case fields filled.
        """
        with self.db.write() as session:
            case = self._case(session, case_id)
            row = self._row(session, referral_id)
            ref = normalise(row.data)
            filled = fill_blanks(case, ref)
            if ref["last_known_address"] and not any(a.is_last_known for a in case.addresses):
                session.add(
                    Address(case_id=case.id, address=ref["last_known_address"], is_last_known=True)
                )
            if not case.carers:
                carers = parse_carers(ref["parents_carers"], ref["telephone"], ref["email"])
                for carer in carers:
                    session.add(
                        Carer(
                            case_id=case.id,
                            name=carer.name,
                            relationship_to_child=carer.relationship,
                            telephone=carer.telephone,
                            email=carer.email,
                        )
                    )
                if carers:
                    filled.append("carers")
            session.flush()
            self._audit(
                session,
                "referral_applied",
                case_id,
                f"referral={referral_id} fields={','.join(filled)}",
            )
            return tuple(filled)

    def split_siblings(self, referral_id: int, *, today: date | None = None) -> list[int]:
        """One case per child named on the referral, linked as one family.

        The referral's case keeps its own child (found by name, else child 1);
        a case is made for each other child with the shared details (address,
        school, date last attended, how identified, carers) and a copy of the
        referral. A sibling already split off earlier (same family, same name) is
        reused, so splitting twice makes no duplicates. Returns the case ids in
        the order of the children on the form.
        """
        with self.db.write() as session:
            row = self._row(session, referral_id)
            case = self._case(session, row.case_id)
            ref = normalise(row.data)
            children = children_named(ref)
            if len(children) < 2:
                raise InvalidInput(
                    "This referral names only one child: there is nothing to split.",
                    field="children",
                )
            keep = child_index(case, children)
            if keep is None:
                keep = 0
                if len(split_pupil_names(case.full_name)) > 1 and children[0]["full_name"]:
                    # The case was logged under all the names at once: it becomes child 1.
                    case.full_name = children[0]["full_name"]
            ref["children"] = children
            row.data = ref
            family: list[Case] = []
            if case.family_id is not None:
                family = list(
                    session.scalars(
                        select(Case).where(Case.family_id == case.family_id, Case.id != case.id)
                    )
                )
            cases = self._cases(session)
            ids: list[int] = []
            for i, child in enumerate(children):
                if i == keep:
                    ids.append(case.id)
                    continue
                known = next(
                    (c for c in family if same_name(c.full_name, child["full_name"])), None
                )
                if known is not None:
                    ids.append(known.id)
                    continue
                if not child["full_name"]:
                    raise InvalidInput(
                        f"Child {i + 1} on the referral has no name.",
                        field=f"children.{i}.full_name",
                    )
                new_id = cases.create(draft=sibling_draft(case, child), today=today)
                for carer in case.carers:
                    cases.save_carer(
                        new_id,
                        name=carer.name,
                        relationship=carer.relationship_to_child,
                        telephone=carer.telephone,
                        email=carer.email,
                        address=carer.address,
                        note=carer.note,
                    )
                original = session.get(Attachment, row.attachment_id) if row.attachment_id else None
                self._store(
                    session,
                    new_id,
                    ref,
                    received_on=row.received_on,
                    source=row.source,
                    source_name=row.source_name,
                    original=bytes(original.content) if original else None,
                    original_name=original.filename if original else "",
                )
                ids.append(new_id)
            family_id = cases.link_family(ids)
            self._audit(
                session,
                "referral_split",
                case.id,
                f"referral={referral_id} family={family_id} cases={','.join(map(str, ids))}",
            )
            return ids

    def new_case_from_referral(
        self,
        referral: Referral,
        *,
        received_on: date,
        source: str = "manual",
        source_name: str = "",
        original: bytes | None = None,
        original_name: str = "",
        referring_agency: str | None = None,
        today: date | None = None,
    ) -> list[int]:
        """Log a new case for each child the referral names, with the referral on each.

        Each case is identified by notification (policy 8.1), by the referrer
        (name, organisation), notified on ``received_on``; "whereabouts unknown"
        when indicator 10 is current; carers from "Parents'/Carers' Names",
        "Telephone No." and "Email" (see ``parse_carers``). ``referring_agency``
        defaults to ``guess_agency`` of the referrer's organisation. Several
        children are linked as one family. All or nothing: one transaction.
        Returns the new case ids in the order of the children on the form.
        """
        ref = self._checked(referral, today)
        self._check_source(source, source_name)
        children = children_named(ref)
        for i, child in enumerate(children):
            if not child["full_name"]:
                raise InvalidInput(
                    "Name of Pupil(s) is needed to log a case.",
                    field=f"children.{i}.full_name",
                )
        ref["children"] = children
        agency = guess_agency(ref["referrer"]["organisation"])
        if referring_agency is not None:
            agency = referring_agency
        carers = parse_carers(ref["parents_carers"], ref["telephone"], ref["email"])
        with self.db.write() as session:
            cases = self._cases(session)
            ids = []
            for child in children:
                draft = child_draft(ref, child, received_on=received_on, agency=agency)
                case_id = cases.create(draft=draft, today=today)
                for carer in carers:
                    cases.save_carer(
                        case_id,
                        name=carer.name,
                        relationship=carer.relationship,
                        telephone=carer.telephone,
                        email=carer.email,
                    )
                self._store(
                    session,
                    case_id,
                    ref,
                    received_on=received_on,
                    source=source,
                    source_name=source_name,
                    original=original,
                    original_name=original_name,
                )
                ids.append(case_id)
            if len(ids) > 1:
                cases.link_family(ids)
            return ids

    # -- escalation -------------------------------------------------------------------

    def escalation_prompt(self, referral: Referral, *, case_id: int | None = None) -> str | None:
        """A message offering the escalation wizard, or ``None`` when there is no call for it.

        Offered when the referral marks a serious indicator (CSE, whereabouts
        unknown, goes missing, abuse) as current, or the case's whereabouts are
        unknown, and no escalation decision is recorded on the case yet.
        """
        ref = normalise(referral)
        serious = serious_current_indicators(ref)
        unknown_case = False
        if case_id is not None:
            with self.db.read() as session:
                case = self._case(session, case_id)
                unknown_case = case.whereabouts_unknown
                decided = session.scalar(
                    select(Escalation.id).where(Escalation.case_id == case_id).limit(1)
                )
            if decided is not None:
                return None
        if not serious and not unknown_case:
            return None
        if serious:
            lines = "\n".join(f"  • {key}. {label_of(RISK_INDICATORS, key)}" for key in serious)
            why = f"The referral marks as current:\n{lines}"
        else:
            why = "The child's whereabouts are unknown."
        return (
            f"{why}\n\nNo decision on involving the Police (policy 5.0) or Children's "
            "Social Care (policy 6.0) has been recorded for this case yet.\n\n"
            "Go through the escalation questions now?"
        )


# --- building cases -------------------------------------------------------------------


def _stored(row: ReferralModel) -> StoredReferral:
    return StoredReferral(
        id=row.id,
        case_id=row.case_id,
        received_on=row.received_on,
        source=row.source,
        source_name=row.source_name,
        data=normalise(row.data),
        attachment_id=row.attachment_id,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


#: How the timeline names where a referral came from.
_SOURCE_WORDS = {"docx": "a Word form", "pdf": "a PDF", "email": "an email"}


def _received_summary(received_on: date, source: str, source_name: str) -> str:
    """The timeline's words for a referral kept on a case: when, and from which file."""
    text = f"Referral received on {received_on:%d/%m/%Y}"
    if source == "manual":
        return f"{text}, typed in by hand."
    what = _SOURCE_WORDS.get(source, "a file")
    if source_name:
        return f"{text}, imported from {what}: {source_name}."
    return f"{text}, imported from {what}."
