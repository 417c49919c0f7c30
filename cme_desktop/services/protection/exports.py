"""Password-protected referral exports: an AES-256 PDF, or an encrypted Word file.

The file is made and encrypted in memory and written atomically: a crash or
a full disk never leaves a partial or unencrypted file at the target path.
Who exported which case, in which format, for whom and when is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cme_desktop.models import vocabularies as vocab
from cme_desktop.services.atomic_file import write_atomically
from cme_desktop.services.cases import history
from cme_desktop.services.cases.detail import CaseDetail
from cme_desktop.services.cases.service import CaseService
from cme_desktop.services.documents.authority import AuthorityDetails
from cme_desktop.services.errors import InvalidInput
from cme_desktop.services.protection.passwords import check_pdf_password_length
from cme_desktop.services.referral import record as referral_record
from cme_desktop.services.vault import audit
from cme_desktop.services.vault.database import Database

FORMATS = {".pdf": "pdf", ".docx": "docx"}
MIN_PASSWORD = 10


@dataclass(frozen=True)
class ExportResult:
    path: Path
    format: str
    size: int


def referral_from_case(detail: CaseDetail) -> dict[str, Any]:
    """The case's latest referral, or one made from the case's own details."""
    if detail.referrals:
        return referral_record.normalise(detail.referrals[0].data)
    d = detail.draft
    ref = referral_record.empty_referral()
    ref["children"] = [
        {
            "full_name": d.full_name,
            "aka": d.aka,
            "date_of_birth": d.date_of_birth.isoformat() if d.date_of_birth else None,
            "gender": d.gender,
            "ethnicity": d.ethnicity,
            "sen_disability": d.sen_disability,
            "child_in_care": d.child_in_care,
            "upn": d.upn or None,
        }
    ]
    ref["last_known_address"] = d.last_known_address
    ref["parents_carers"] = "\n".join(c.name for c in detail.carers)
    ref["telephone"] = "\n".join(c.telephone for c in detail.carers if c.telephone)
    ref["email"] = "\n".join(c.email for c in detail.carers if c.email)
    ref["school"] = d.school
    ref["date_last_attended"] = d.date_last_attended.isoformat() if d.date_last_attended else None
    return referral_record.normalise(ref)


def render_referral(ref: dict[str, Any], *, fmt: str, authority: AuthorityDetails) -> bytes:
    """The referral laid out like Appendix A, not yet encrypted (kept in memory)."""
    if fmt == "pdf":
        from cme_desktop.services.documents import referral_pdf

        return referral_pdf.render(ref, authority=authority)
    from cme_desktop.services.documents import referral_docx

    return referral_docx.render_docx(
        ref, authority_name=authority.name, privacy_notice=authority.privacy_notice
    )


def encrypt(document: bytes, *, fmt: str, password: str) -> bytes:
    """AES-256: PDF security handler R6 for a PDF, ECMA-376 agile encryption for Word."""
    if fmt == "pdf":
        from cme_desktop.services.protection.pdf import encrypt_pdf

        return encrypt_pdf(document, password)
    from cme_desktop.services.protection.office import encrypt_office

    return encrypt_office(document, password)


def format_of(path: Path) -> str:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InvalidInput("Export to a .pdf or a .docx file.", field="target")
    return fmt


class ExportService:
    def __init__(self, db: Database) -> None:
        self.db = db

    def export_referral(
        self,
        case_id: int,
        *,
        target: Path,
        password: str,
        authority: AuthorityDetails,
        recipient: str = "",
    ) -> ExportResult:
        """Export the case's referral to ``target`` (.pdf or .docx), encrypted with ``password``.

        ``recipient`` is the partner agency it is for (a key of PARTNER_AGENCIES, policy
        2.1), so that the audit log says to whom without holding anyone's name.
        """
        target = Path(target)
        if recipient and recipient not in vocab.INDEX["partner_agencies"]:
            raise InvalidInput("Choose who the referral is for.", field="recipient")
        fmt = format_of(target)
        if len(password) < MIN_PASSWORD:
            raise InvalidInput(
                f"Use a password of at least {MIN_PASSWORD} characters (or the generated one).",
                field="password",
            )
        if fmt == "pdf":
            check_pdf_password_length(password)
        if not target.parent.is_dir():
            raise InvalidInput(f"The folder {target.parent} does not exist.", field="target")
        detail = CaseService(self.db).get_for_document(case_id)
        ref = referral_from_case(detail)
        data = encrypt(
            render_referral(ref, fmt=fmt, authority=authority), fmt=fmt, password=password
        )
        write_atomically(target, data)
        with self.db.write() as session:
            history.record(
                session,
                case_id=case_id,
                summary=_exported_summary(fmt, recipient, target.name),
                author=self.db.actor,
            )
            audit.record(
                session,
                self.db,
                action="referral_exported",
                entity="case",
                entity_id=case_id,
                detail=f"format={fmt};recipient={recipient or 'unspecified'}",
            )
        return ExportResult(path=target, format=fmt, size=len(data))


def _exported_summary(fmt: str, recipient: str, file_name: str) -> str:
    """The timeline's words for an export: which format, for whom, which file."""
    what = "a password-protected PDF" if fmt == "pdf" else "a password-protected Word file"
    text = f"Referral exported as {what}"
    if recipient:
        text += f" for {vocab.label_of(vocab.PARTNER_AGENCIES, recipient)}"
    return f"{text} ({file_name})."
