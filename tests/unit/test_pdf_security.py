"""AES-256 (R6) protection, and refusing damaged or dangerous PDFs quickly."""

from __future__ import annotations

import io
import random
import time
from typing import Any

import pikepdf
import pypdf
import pytest
from reportlab.pdfgen import canvas

from cme_desktop.services.errors import (
    CorruptFile,
    HostileFile,
    InvalidInput,
    PasswordRequired,
    WrongPassword,
)
from cme_desktop.services.protection import pdf as pdf_security
from cme_desktop.services.protection.pdf import MAX_PDF_BYTES, encrypt_pdf, open_pdf

PASSWORD = "velvet-lantern-orchard-pebble-tundra-wizard-bamboo"


def simple_pdf(text: str = "A page of a letter") -> bytes:
    out = io.BytesIO()
    c = canvas.Canvas(out)
    c.drawString(72, 720, text)
    c.showPage()
    c.save()
    return out.getvalue()


def classic_pdf(*, xref_loop: bool = False, declared_size: int | None = None) -> bytes:
    """A one-page PDF with a classic xref table, written byte by byte.

    ``xref_loop`` makes the trailer's /Prev point back at the same table, so a reader
    that follows /Prev without care goes round for ever.
    """
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
    ]
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 4\n0000000000 65535 f \n"
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    size = declared_size if declared_size is not None else 4
    prev = b" /Prev %d" % xref if xref_loop else b""
    out += b"trailer\n<< /Size %d /Root 1 0 R%s >>\n" % (size, prev)
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def encrypt_dictionary(pdf: bytes) -> Any:
    encrypt = pypdf.PdfReader(io.BytesIO(pdf)).trailer["/Encrypt"]
    return encrypt.get_object()


# --- encryption ------------------------------------------------------------------------


def test_encrypted_pdf_uses_aes_256_with_security_handler_6() -> None:
    protected = encrypt_pdf(simple_pdf(), PASSWORD)
    with pikepdf.open(io.BytesIO(protected), password=PASSWORD) as doc:
        assert doc.is_encrypted
        info = doc.encryption
        assert info.R == 6
        assert info.V == 5
        assert info.bits == 256
        assert info.stream_method.name == "aesv3"
        assert info.string_method.name == "aesv3"
    # A second, independent reader sees the same security handler.
    encrypt = encrypt_dictionary(protected)
    assert encrypt["/R"] == 6
    assert encrypt["/V"] == 5
    assert encrypt["/CF"]["/StdCF"]["/CFM"] == "/AESV3"


def test_the_protected_pdf_opens_with_its_password_only() -> None:
    protected = encrypt_pdf(simple_pdf("Only for the officer"), PASSWORD)
    assert b"Only for the officer" not in protected
    with open_pdf(protected, PASSWORD) as doc:
        assert len(doc.pages) == 1
    with pytest.raises(WrongPassword):
        open_pdf(protected, "velvet-lantern")
    with pytest.raises(PasswordRequired):
        open_pdf(protected, None)
    with pytest.raises(pikepdf.PasswordError):
        pikepdf.open(io.BytesIO(protected), password="guess")
    reader = pypdf.PdfReader(io.BytesIO(protected))
    assert reader.decrypt("guess") == pypdf.PasswordType.NOT_DECRYPTED


def test_the_owner_password_is_random_each_time() -> None:
    first, second = (encrypt_pdf(simple_pdf(), PASSWORD) for _ in range(2))
    assert encrypt_dictionary(first)["/O"] != encrypt_dictionary(second)["/O"]
    # The owner password is not the user password: the user password opens as "user".
    reader = pypdf.PdfReader(io.BytesIO(first))
    assert reader.decrypt(PASSWORD) == pypdf.PasswordType.USER_PASSWORD


def test_an_empty_password_is_refused() -> None:
    with pytest.raises(InvalidInput, match="password is needed"):
        encrypt_pdf(simple_pdf(), "")


def test_encrypting_something_that_is_not_a_pdf_fails_clearly() -> None:
    with pytest.raises(CorruptFile):
        encrypt_pdf(b"not a pdf at all", PASSWORD)


# --- opening what arrives ------------------------------------------------------------


def test_an_unprotected_pdf_opens_with_or_without_a_password() -> None:
    with open_pdf(simple_pdf(), None) as doc:
        assert len(doc.pages) == 1
    with open_pdf(simple_pdf(), "any password") as doc:
        assert len(doc.pages) == 1


def test_a_pdf_with_an_endless_xref_loop_is_corrupt_and_refused_quickly() -> None:
    with open_pdf(classic_pdf(), None) as doc:  # the same file without the loop is fine
        assert len(doc.pages) == 1
    started = time.monotonic()
    with pytest.raises(CorruptFile):
        open_pdf(classic_pdf(xref_loop=True), None)
    assert time.monotonic() - started < 2


def test_random_bytes_are_not_a_pdf() -> None:
    noise = random.Random(20261001).randbytes(50_000)
    with pytest.raises(CorruptFile, match="not a PDF"):
        open_pdf(noise, None)


def test_random_bytes_after_a_pdf_header_are_corrupt() -> None:
    noise = b"%PDF-1.7\n" + random.Random(7).randbytes(50_000)
    with pytest.raises(CorruptFile):
        open_pdf(noise, None)


@pytest.mark.parametrize("keep", [0.3, 0.6, 0.9])
def test_a_truncated_pdf_is_corrupt(keep: float) -> None:
    whole = encrypt_pdf(simple_pdf(), PASSWORD)
    with pytest.raises(CorruptFile):
        open_pdf(whole[: int(len(whole) * keep)], PASSWORD)


def test_an_oversized_file_is_refused_before_parsing() -> None:
    huge = b"%PDF-1.7\n" + b"0" * MAX_PDF_BYTES
    started = time.monotonic()
    with pytest.raises(HostileFile, match="20 MB"):
        open_pdf(huge, None)
    assert time.monotonic() - started < 1


def test_a_pdf_declaring_millions_of_objects_is_refused() -> None:
    with pytest.raises(HostileFile, match="complex"):
        open_pdf(classic_pdf(declared_size=5_000_000), None)


def test_the_object_limit_counts_the_objects_really_there(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pdf = simple_pdf()
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        count = len(doc.objects)
    monkeypatch.setattr(pdf_security, "MAX_PDF_OBJECTS", count - 1)
    with pytest.raises(HostileFile):
        open_pdf(pdf, None)
