"""Subject access (UK GDPR Article 15): everything the vault holds about one child.

One call gathers the whole record of a case: the case itself, every row kept
on it (people, addresses, timeline, tasks, referrals, meetings, escalation
decisions, closure details, whatever a later version adds: every table that
belongs to a case is read, none is listed by hand), the files kept with it, and
the audit log's rows about it (who read or changed it, when). It leaves as one
PDF, encrypted with AES-256 (security handler revision 6, ``protection.pdf``):
the record laid out to read, with the same record as JSON (``cme-subject-access/1``)
and each kept file attached inside it, so the one password opens all of it.

The officer reviews the pack before it is disclosed: the record names other
people (carers, referrers, officers), whom the law may require to be redacted
or consulted first (DPA 2018 Schedule 2 paragraph 16; ``docs/data-protection.md``).
Other children linked as siblings are not part of the pack: only that they
exist is (the count), not who they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Table, select

from cme_desktop.models import Attachment, AuditEvent, Case
from cme_desktop.services.atomic_file import write_atomically
from cme_desktop.services.cases import history
from cme_desktop.services.cases.detail import case_reference
from cme_desktop.services.cases.erasure import case_column, case_tables
from cme_desktop.services.documents.authority import AuthorityDetails
from cme_desktop.services.documents.subject_record import FORMAT, KeptFile, SubjectRecord
from cme_desktop.services.errors import InvalidInput, NotFound
from cme_desktop.services.protection.outputs import check_password, protect
from cme_desktop.services.rules.local_time import local_today
from cme_desktop.services.vault import audit
from cme_desktop.services.vault.database import Database

#: The audit action of a pack produced.
PRODUCED_ACTION = "subject_access_produced"
#: Columns that are the vault's own bookkeeping, not information about anyone.
_BOOKKEEPING = frozenset({"case_id", "version", "surname_key", "content"})


@dataclass(frozen=True)
class SubjectAccessPack:
    """The pack written: where, how big, and what is in it."""

    path: Path
    size: int
    sections: tuple[str, ...]
    files: int
    audit_rows: int


def _plain(value: Any) -> Any:
    """A column's value as JSON: dates ISO, times ISO to the second."""
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _row(table: Table, values: Any) -> dict[str, Any]:
    return {
        c.name: _plain(values._mapping[c])
        for c in table.columns
        if c.name not in _BOOKKEEPING and c.name != "content_sha256"
    }


def gather(db: Database, case_id: int, *, today: date | None = None) -> SubjectRecord:
    """Everything about case ``case_id``, read in one transaction (the read is not audited
    here: ``SubjectAccessService.produce`` audits the pack it becomes)."""
    produced_on = today or local_today()
    with db.read() as session:
        case = session.get(Case, case_id)
        if case is None:
            raise NotFound(f"Case {case_reference(case_id)} does not exist.")
        if case.erased_on is not None:
            raise InvalidInput(
                f"Case {case_reference(case_id)} was erased under the retention rule: the "
                "vault holds no personal data about the child any more."
            )
        case_table = cast(Table, Case.__table__)
        case_row = session.execute(select(case_table).where(case_table.c.id == case_id)).one()
        record = _row(case_table, case_row)
        record.pop("family_id", None)
        siblings = 0
        if case.family_id is not None:
            siblings = len(
                session.scalars(
                    select(Case.id).where(Case.family_id == case.family_id, Case.id != case_id)
                ).all()
            )
        sections: dict[str, list[dict[str, Any]]] = {}
        for table in case_tables():
            link = case_column(table)
            order = list(table.primary_key.columns)
            rows = session.execute(select(table).where(link == case_id).order_by(*order)).all()
            sections[table.name] = [_row(table, r) for r in rows]
        files = tuple(
            KeptFile(a.id, a.filename, a.media_type, bytes(a.content))
            for a in session.scalars(
                select(Attachment).where(Attachment.case_id == case_id).order_by(Attachment.id)
            )
        )
        events = [
            {
                "at_utc": _plain(e.at),
                "by": e.actor,
                "action": e.action,
                "detail": e.detail,
            }
            for e in session.scalars(
                select(AuditEvent)
                .where(AuditEvent.entity == "case", AuditEvent.entity_id == case_id)
                .order_by(AuditEvent.id)
            )
        ]
    data = {
        "format": FORMAT,
        "reference": case_reference(case_id),
        "produced_on": produced_on.isoformat(),
        "case": record,
        "siblings_on_record": siblings,
        "sections": sections,
        "files": [
            {"attachment_id": f.attachment_id, "name": f.name, "media_type": f.media_type}
            for f in files
        ],
        "audit": events,
    }
    return SubjectRecord(case_id, produced_on, data, files)


def pack_name(case_id: int) -> str:
    """The pack's file name: ``CME-000123-subject-access.pdf``."""
    return f"{case_reference(case_id)}-subject-access.pdf"


class SubjectAccessService:
    """Produces the subject access pack of one case."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def produce(
        self,
        case_id: int,
        *,
        target: Path,
        password: str,
        authority: AuthorityDetails,
        today: date | None = None,
    ) -> SubjectAccessPack:
        """Write the pack of case ``case_id`` to ``target`` (a .pdf), encrypted with ``password``.

        Made and encrypted in memory and written atomically: a failure leaves no file.
        The timeline and the audit log record that a pack was produced (the audit row:
        how many sections, files and audit rows, no name).
        """
        target = Path(target)
        if target.suffix.lower() != ".pdf":
            raise InvalidInput("Save the subject access pack as a .pdf file.", field="target")
        check_password(password, fmt="pdf")
        if not target.parent.is_dir():
            raise InvalidInput(f"The folder {target.parent} does not exist.", field="target")
        record = gather(self.db, case_id, today=today)
        from cme_desktop.services.documents.subject_access_pdf import render

        document = render(record, authority=authority)
        data = protect(document, fmt="pdf", password=password)
        write_atomically(target, data)
        sections = tuple(name for name, rows in record.data["sections"].items() if rows)
        audit_rows = len(record.data["audit"])
        try:
            with self.db.write() as session:
                history.record(
                    session,
                    case_id=case_id,
                    summary=f"Subject access pack produced, password-protected ({target.name}).",
                    author=self.db.actor,
                )
                audit.record(
                    session,
                    self.db,
                    action=PRODUCED_ACTION,
                    entity="case",
                    entity_id=case_id,
                    detail=(
                        f"sections={len(sections)};files={len(record.files)};audit={audit_rows}"
                    ),
                )
        except BaseException:
            # Not audited, not kept: a pack must never leave without its audit row.
            target.unlink(missing_ok=True)
            raise
        return SubjectAccessPack(
            path=target,
            size=len(data),
            sections=sections,
            files=len(record.files),
            audit_rows=audit_rows,
        )
