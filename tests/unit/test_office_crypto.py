"""Password-protected Office files: agile and standard encryption, in memory."""

from __future__ import annotations

import io
import time

import olefile
import pytest

from cme_desktop.services.errors import (
    CorruptFile,
    HostileFile,
    InvalidInput,
    PasswordRequired,
    UnsupportedFile,
    WrongPassword,
)
from cme_desktop.services.protection.office import (
    MAX_ENCRYPTED_SIZE,
    OLE_MAGIC,
    decrypt_office,
    encrypt_office,
    is_encrypted_office,
)
from tests.support.fixtures_docx import blank_appendix_a_docx, encrypt_standard, ole_doc_bytes

PASSWORD = "maple-otter-quarry-lantern"


@pytest.fixture(scope="module")
def plain() -> bytes:
    return blank_appendix_a_docx()


@pytest.fixture(scope="module")
def agile(plain: bytes) -> bytes:
    return encrypt_office(plain, PASSWORD)


@pytest.fixture(scope="module")
def standard(plain: bytes) -> bytes:
    return encrypt_standard(plain, PASSWORD)


def _streams(data: bytes) -> dict[str, bytes]:
    with olefile.OleFileIO(io.BytesIO(data)) as ole:
        return {"/".join(path): ole.openstream(path).read() for path in ole.listdir()}


def _flip_in_stream(data: bytes, stream: str, at: int) -> bytes:
    """``data`` with one byte changed inside an OLE stream (found by its bytes)."""
    content = _streams(data)[stream]
    start = data.find(content[at : at + 64])
    assert start > 0
    out = bytearray(data)
    out[start] ^= 0x01
    return bytes(out)


def test_agile_round_trip_in_memory(plain: bytes, agile: bytes) -> None:
    assert agile.startswith(OLE_MAGIC)
    assert plain not in agile
    assert decrypt_office(agile, PASSWORD) == plain


def test_agile_is_aes256_sha512_with_integrity(agile: bytes) -> None:
    info = _streams(agile)["EncryptionInfo"]
    assert info[:4] == b"\x04\x00\x04\x00"  # agile: version 4.4
    assert b'cipherAlgorithm="AES"' in info
    assert b'keyBits="256"' in info
    assert b'hashAlgorithm="SHA512"' in info
    assert b"<dataIntegrity " in info


def test_each_protection_is_salted_afresh(plain: bytes, agile: bytes) -> None:
    assert encrypt_office(plain, PASSWORD) != agile


def test_is_encrypted_office(plain: bytes, agile: bytes, standard: bytes) -> None:
    assert is_encrypted_office(agile)
    assert is_encrypted_office(standard)
    assert not is_encrypted_office(plain)
    assert not is_encrypted_office(ole_doc_bytes())
    assert not is_encrypted_office(OLE_MAGIC + b"\0" * 100)
    assert not is_encrypted_office(b"")


def test_standard_encryption_is_read(plain: bytes, standard: bytes) -> None:
    assert _streams(standard)["EncryptionInfo"][:4] == b"\x04\x00\x02\x00"
    assert decrypt_office(standard, PASSWORD) == plain


@pytest.mark.parametrize("kind", ["agile", "standard"])
def test_wrong_password(kind: str, request: pytest.FixtureRequest) -> None:
    data = request.getfixturevalue(kind)
    with pytest.raises(WrongPassword) as err:
        decrypt_office(data, PASSWORD + "x")
    assert err.value.exit_code == 3


@pytest.mark.parametrize("password", [None, ""])
def test_no_password(agile: bytes, password: str | None) -> None:
    with pytest.raises(PasswordRequired):
        decrypt_office(agile, password)


def test_tampered_agile_package_fails_its_integrity_check(agile: bytes) -> None:
    tampered = _flip_in_stream(agile, "EncryptedPackage", 2000)
    with pytest.raises(CorruptFile) as err:
        decrypt_office(tampered, PASSWORD)
    assert "altered or damaged" in err.value.message
    assert "integrity" in err.value.message


def test_tampered_agile_size_header_fails_its_integrity_check(agile: bytes) -> None:
    with pytest.raises(CorruptFile):
        decrypt_office(_flip_in_stream(agile, "EncryptedPackage", 0), PASSWORD)


def test_truncated_protected_file(agile: bytes) -> None:
    with pytest.raises(CorruptFile):
        decrypt_office(agile[: len(agile) // 2], PASSWORD)


def test_slow_key_derivation_is_refused_before_any_work(agile: bytes) -> None:
    slow = agile.replace(b'spinCount="100000"', b'spinCount="999999"')
    assert slow != agile
    started = time.perf_counter()
    with pytest.raises(HostileFile):
        decrypt_office(slow, PASSWORD)
    assert time.perf_counter() - started < 1.0


def test_entity_declarations_in_the_key_description_are_refused(agile: bytes) -> None:
    declaration = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    hostile = b'<!DOCTYPE e [<!ENTITY a "b">]>'.ljust(len(declaration))
    tampered = agile.replace(declaration, hostile)
    assert tampered != agile
    with pytest.raises(HostileFile):
        decrypt_office(tampered, PASSWORD)


def test_legacy_doc_is_explained() -> None:
    with pytest.raises(UnsupportedFile) as err:
        decrypt_office(ole_doc_bytes(), PASSWORD)
    assert ".docx" in err.value.message
    assert "password" in err.value.message


def test_unprotected_file_is_not_decrypted(plain: bytes) -> None:
    with pytest.raises(UnsupportedFile):
        decrypt_office(plain, PASSWORD)


def test_oversized_file_is_refused_unread() -> None:
    with pytest.raises(HostileFile):
        decrypt_office(OLE_MAGIC + bytes(MAX_ENCRYPTED_SIZE), PASSWORD)


def test_garbage_compound_file() -> None:
    with pytest.raises(CorruptFile):
        decrypt_office(OLE_MAGIC + bytes(range(256)) * 8, PASSWORD)


def test_encrypt_needs_a_password(plain: bytes) -> None:
    with pytest.raises(InvalidInput):
        encrypt_office(plain, "")


@pytest.mark.parametrize("data", [b"not a document", b"%PDF-1.7\n"])
def test_encrypt_only_office_files(data: bytes) -> None:
    with pytest.raises(UnsupportedFile):
        encrypt_office(data, PASSWORD)


def test_encrypt_refuses_an_already_protected_file(agile: bytes) -> None:
    with pytest.raises(UnsupportedFile):
        encrypt_office(agile, PASSWORD)
