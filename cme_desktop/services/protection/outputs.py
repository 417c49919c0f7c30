"""Files that name children, saved where the officer chooses: protected unless the officer says not.

The list of pupils without a school place and the home-visit sheets hold names,
dates of birth and addresses. Saved to a file they are encrypted by default: a PDF
with AES-256 (security handler revision 6, ``protection.pdf``), a table as an Excel
workbook with ECMA-376 agile encryption (``protection.office``), which Excel and
LibreOffice open with the password. CSV cannot be encrypted, so a table leaves as CSV
only unprotected.

An unprotected copy is written only after the officer has confirmed it (the window
asks; the ``cme`` command needs ``--plain``), and that confirmation is audited in the
same transaction as the file is written: what kind of file, never a name.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cme_desktop.services.atomic_file import write_atomically
from cme_desktop.services.errors import InvalidInput
from cme_desktop.services.protection.passwords import MAX_PDF_PASSWORD
from cme_desktop.services.vault import audit
from cme_desktop.services.vault.database import UnitOfWork

#: File formats by suffix; all but CSV can carry a password.
FORMATS = {".pdf": "pdf", ".xlsx": "xlsx", ".csv": "csv", ".docx": "docx"}
PROTECTABLE = ("pdf", "xlsx", "docx")
MIN_PASSWORD = 10
#: What the officer is asked before a file with names is written unprotected.
UNPROTECTED_WARNING = (
    "This file will not be protected: anyone who gets it can read the names. Save it unprotected?"
)
#: The audit action of a confirmed unprotected file.
UNPROTECTED_ACTION = "unprotected_file_confirmed"


@dataclass(frozen=True)
class SavedFile:
    """A file with names, written: where, in which format, whether it needs a password."""

    path: Path
    format: str
    protected: bool
    size: int


def format_of(path: Path, *, allowed: tuple[str, ...] = ("pdf", "xlsx", "csv")) -> str:
    """The format of ``path`` by its suffix, or ``InvalidInput`` naming those allowed."""
    fmt = FORMATS.get(Path(path).suffix.lower())
    if fmt is None or fmt not in allowed:
        names = [f".{a}" for a in allowed]
        endings = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
        raise InvalidInput(f"{Path(path).name}: the file must end in {endings}.", field="target")
    return fmt


def check_password(password: str, *, fmt: str) -> None:
    """Refuse a password too short to protect names, or too long for every PDF reader."""
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(
            f"Use a password of at least {MIN_PASSWORD} characters (or the generated one).",
            field="password",
        )
    if fmt == "pdf" and len(password) > MAX_PDF_PASSWORD:
        raise InvalidInput(
            f"Use a password of at most {MAX_PDF_PASSWORD} characters for a PDF: some PDF "
            "readers (Evince, Okular) cannot open a file with a longer one.",
            field="password",
        )


def protect(document: bytes, *, fmt: str, password: str) -> bytes:
    """``document`` (a PDF, a workbook or a Word letter) encrypted with ``password``, in memory."""
    check_password(password, fmt=fmt)
    if fmt == "pdf":
        from cme_desktop.services.protection.pdf import encrypt_pdf

        return encrypt_pdf(document, password)
    if fmt in ("xlsx", "docx"):
        from cme_desktop.services.protection.office import encrypt_office

        return encrypt_office(document, password)
    raise InvalidInput(
        f"A {fmt.upper()} file cannot be protected with a password: save it as an Excel "
        "workbook (.xlsx) or a PDF.",
        field="target",
    )


class ProtectedFiles:
    """Writes files that name children: encrypted, or plain once the officer confirmed it."""

    def __init__(self, db: UnitOfWork) -> None:
        self.db = db

    def save(
        self,
        target: Path,
        document: bytes,
        *,
        fmt: str,
        password: str | None,
        what: str,
        detail: str = "",
    ) -> SavedFile:
        """Write ``document`` to ``target``, atomically: encrypted with ``password``, or plain.

        ``password=None`` means the officer has confirmed an unprotected file: it is
        written inside the transaction that audits the confirmation (action
        ``unprotected_file_confirmed``, entity ``what``, e.g. ``"report"``; ``detail``
        holds counts and kinds only), so neither exists without the other. A protected
        file is audited by the caller, as the export or print it is.
        """
        target = Path(target)
        if fmt not in FORMATS.values():
            raise InvalidInput(f"Unknown kind of file: {fmt}.", field="target")
        if not target.parent.is_dir():
            raise InvalidInput(f"The folder {target.parent} does not exist.", field="target")
        if password is not None:
            data = protect(document, fmt=fmt, password=password)
            write_atomically(target, data)
            return SavedFile(path=target, format=fmt, protected=True, size=len(data))
        written = False
        try:
            with self.db.write() as session:
                audit.record(
                    session,
                    self.db,
                    action=UNPROTECTED_ACTION,
                    entity=what,
                    detail=";".join(part for part in (f"format={fmt}", detail) if part),
                )
                write_atomically(target, document)
                written = True
        except BaseException:
            # The audit row did not commit: the plain file it would record does not stay.
            if written:
                target.unlink(missing_ok=True)
            raise
        return SavedFile(path=target, format=fmt, protected=False, size=len(document))
