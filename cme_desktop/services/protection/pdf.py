"""Password protection of the PDFs we send, and careful opening of the PDFs we receive.

We encrypt with pikepdf (qpdf): AES-256 with the PDF 2.0 security handler (revision 6),
which Adobe Reader, browsers and Preview all open. reportlab's own encryption is never
used: it offers only RC4 or the withdrawn revision 5.

A PDF that arrives by email is untrusted. ``open_pdf`` refuses it before parsing when it
is larger than a referral form can be, parses it without qpdf's "repair" mode (which
would rebuild a damaged or looping cross-reference table by scanning the whole file, and
so accept what we should refuse), and refuses a file that declares more objects than a
form can have. It never writes the decrypted document anywhere.
"""

from __future__ import annotations

import io
import secrets
import warnings

import pikepdf

from cme_desktop.services.errors import (
    CorruptFile,
    HostileFile,
    InvalidInput,
    PasswordRequired,
    WrongPassword,
)

#: A referral form is tens of kilobytes; a scanned one a few megabytes.
MAX_PDF_BYTES = 20 * 1024 * 1024
#: Our exported referral has about a hundred objects, a filled form a few thousand.
MAX_PDF_OBJECTS = 50_000
#: The header must come near the start (the standard allows some junk before it).
_HEADER_WINDOW = 1024


def encrypt_pdf(pdf: bytes, password: str) -> bytes:
    """``pdf`` protected with ``password``: AES-256, security handler revision 6.

    The owner password is random and never shown, so nobody can lift the permissions;
    the user password (the one the recipient types) opens the file. Raises
    ``InvalidInput`` for an empty password and ``CorruptFile`` if ``pdf`` is not a PDF.
    """
    if not password:
        raise InvalidInput("A password is needed to protect the file.", field="password")
    encryption = pikepdf.Encryption(
        owner=secrets.token_urlsafe(32), user=password, R=6, aes=True, metadata=True
    )
    out = io.BytesIO()
    with open_pdf(pdf, None) as doc:
        doc.save(out, encryption=encryption)
    return out.getvalue()


def open_pdf(data: bytes, password: str | None) -> pikepdf.Pdf:
    """Open an untrusted PDF held in memory, decrypting it with ``password`` if needed.

    Raises ``HostileFile`` (larger than ``MAX_PDF_BYTES`` or more than ``MAX_PDF_OBJECTS``
    objects), ``CorruptFile`` (not a PDF, or damaged), ``PasswordRequired`` (the file is
    protected and no password was given) or ``WrongPassword``. The caller closes the
    returned ``pikepdf.Pdf`` (it is a context manager).
    """
    if len(data) > MAX_PDF_BYTES:
        size_mb = len(data) / (1024 * 1024)
        raise HostileFile(
            f"The PDF is {size_mb:.0f} MB; files over {MAX_PDF_BYTES // (1024 * 1024)} MB "
            "are not opened, to keep this computer safe."
        )
    if b"%PDF-" not in data[:_HEADER_WINDOW]:
        raise CorruptFile("This is not a PDF file, or the start of the file is damaged.")
    try:
        with warnings.catch_warnings():
            # A password typed for a file that needs none is no problem for the officer.
            warnings.filterwarnings("ignore", "A password was provided", UserWarning)
            doc = pikepdf.open(io.BytesIO(data), password=password or "", attempt_recovery=False)
    except pikepdf.PasswordError:
        if password:
            raise WrongPassword("That password does not open this PDF.") from None
        raise PasswordRequired("This PDF is password-protected: a password is needed.") from None
    except (pikepdf.PdfError, RecursionError, ValueError, RuntimeError):
        raise CorruptFile("The PDF is damaged or incomplete and cannot be read.") from None
    try:
        _check_object_count(doc)
    except BaseException:
        doc.close()
        raise
    return doc


def _check_object_count(doc: pikepdf.Pdf) -> None:
    declared = doc.trailer.get("/Size")
    too_many = HostileFile(
        "The PDF is far more complex than a referral form and was not opened, "
        "to keep this computer safe."
    )
    if isinstance(declared, int) and declared > MAX_PDF_OBJECTS:
        raise too_many
    try:
        count = len(doc.objects)
    except (pikepdf.PdfError, RecursionError, ValueError, RuntimeError):
        raise CorruptFile("The PDF is damaged or incomplete and cannot be read.") from None
    if count > MAX_PDF_OBJECTS:
        raise too_many
