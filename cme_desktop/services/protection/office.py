"""Password-protected Word (and other Office 2007+) files, in memory only.

Office protects a ``.docx`` by wrapping the whole zip package, encrypted, in an
OLE compound file with two streams: ``EncryptionInfo`` (how the key is derived
from the password) and ``EncryptedPackage``. Two schemes are in use (ECMA-376,
[MS-OFFCRYPTO]): *agile* (Office 2010 and later: AES-256, SHA-512, and an HMAC
over the encrypted package) and *standard* (Office 2007: AES-128, no integrity
check). Both are read here; files are written with agile encryption only.

Decrypted bytes are returned, never written to disk. msoffcrypto-tool checks
the HMAC only when asked, so it is always asked.
"""

from __future__ import annotations

import io
import re
import struct

import msoffcrypto
import olefile
from msoffcrypto import exceptions as mso_errors
from msoffcrypto.format.ooxml import OOXMLFile

from cme_desktop.services.errors import (
    CorruptFile,
    HostileFile,
    InvalidInput,
    OutputError,
    PasswordRequired,
    UnsupportedFile,
    WrongPassword,
)

__all__ = [
    "MAX_ENCRYPTED_SIZE",
    "decrypt_office",
    "encrypt_office",
    "is_encrypted_office",
]

#: Larger protected files are refused before any work is done on them.
MAX_ENCRYPTED_SIZE = 20 * 1024 * 1024
#: Word uses 100,000 rounds; the format allows 10 million, which would hold the
#: application for a minute per attempt on a file crafted to do so.
MAX_SPIN_COUNT = 500_000
#: The EncryptionInfo stream is a few kilobytes even with certificate key slots.
MAX_ENCRYPTION_INFO_SIZE = 256 * 1024

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_DOCTYPE = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)

_DAMAGED = (
    "The protected file is damaged or incomplete and cannot be opened. Ask the sender to "
    "send it again."
)
_ALTERED = (
    "The protected file has been altered or damaged since it was protected: its "
    "integrity check failed. Ask the sender to send it again."
)


def is_encrypted_office(data: bytes) -> bool:
    """True when ``data`` is a password-protected Office 2007+ file (agile or standard)."""
    if not data.startswith(OLE_MAGIC) or len(data) > MAX_ENCRYPTED_SIZE:
        return False
    try:
        with olefile.OleFileIO(io.BytesIO(data)) as ole:
            return bool(ole.exists("EncryptionInfo") and ole.exists("EncryptedPackage"))
    # olefile raises many kinds of error on damaged input; any of them means "no".
    except Exception:
        return False


def decrypt_office(data: bytes, password: str | None) -> bytes:
    """The decrypted package (a zip) of a password-protected Office file, in memory.

    Raises ``PasswordRequired`` when no password is given, ``WrongPassword`` when
    it does not open the file, ``CorruptFile`` when the file is damaged or fails
    its integrity check, ``HostileFile`` when it is too large or crafted to be
    slow, ``UnsupportedFile`` when it is not a protected Office 2007+ file.
    """
    if len(data) > MAX_ENCRYPTED_SIZE:
        raise HostileFile(
            f"The protected file is larger than {MAX_ENCRYPTED_SIZE // (1024 * 1024)} MB, "
            "too large to open safely."
        )
    if not data.startswith(OLE_MAGIC):
        raise UnsupportedFile("This file is not password-protected.")
    _check_encryption_info(data)
    if not password:
        raise PasswordRequired()
    office = _open(data)
    spin = office.info.get("spinValue") if office.type == "agile" else None
    if isinstance(spin, int) and spin > MAX_SPIN_COUNT:
        raise HostileFile(
            "The file's password protection is set up to be unusually slow to check; "
            "it has not been opened."
        )
    try:
        office.load_key(password=password, verify_password=True)
    except mso_errors.InvalidKeyError as exc:
        raise WrongPassword() from exc
    except (mso_errors.DecryptionError, ValueError, KeyError, struct.error) as exc:
        raise CorruptFile(_DAMAGED) from exc
    out = io.BytesIO()
    try:
        office.decrypt(out, verify_integrity=True)
    except mso_errors.InvalidKeyError as exc:
        # The password was verified above, so a failure now is the file itself.
        message = _ALTERED if "integrity" in str(exc).lower() else _DAMAGED
        raise CorruptFile(message) from exc
    # The ciphers and the OLE reader raise assorted errors on a damaged payload.
    except Exception as exc:
        raise CorruptFile(_DAMAGED) from exc
    return out.getvalue()


def encrypt_office(data: bytes, password: str) -> bytes:
    """``data`` (an unprotected .docx/.xlsx/.pptx) protected with ECMA-376 agile encryption.

    AES-256 with a SHA-512 key derivation of 100,000 rounds and an HMAC over the
    package, as Word 2010 and later write it; Word and LibreOffice open it.
    """
    if not password:
        raise InvalidInput("A password is needed to protect the file.", field="password")
    try:
        office = OOXMLFile(io.BytesIO(data))
    except mso_errors.FileFormatError as exc:
        raise UnsupportedFile(
            "Only Word, Excel or PowerPoint files (2007 or later) can be protected."
        ) from exc
    if office.type != "plain":
        raise UnsupportedFile("This file is already password-protected.")
    out = io.BytesIO()
    try:
        office.encrypt(password, out)
    except mso_errors.EncryptionError as exc:
        raise OutputError("The file could not be protected with a password.") from exc
    protected = out.getvalue()
    _check_container(protected, len(data))
    return protected


def _check_container(protected: bytes, plain_size: int) -> None:
    """Refuse a container whose ``EncryptedPackage`` does not hold the encrypted package.

    msoffcrypto-tool 6 writes a package under 4 KiB into the OLE mini stream at the
    sector of ``EncryptionInfo`` (nolze/msoffcrypto-tool#105): the file would then open
    nowhere. The stream starts with the package's plain size and is that size rounded up
    to the AES block, so a few bytes read back tell a sound container from a broken one.
    """
    try:
        with olefile.OleFileIO(io.BytesIO(protected)) as ole:
            size = ole.get_size("EncryptedPackage")
            with ole.openstream("EncryptedPackage") as stream:
                head = stream.read(8)
    # olefile raises many kinds of error on a container it cannot read.
    except Exception as exc:
        raise OutputError("The file could not be protected with a password.") from exc
    padded = -(-plain_size // 16) * 16
    if len(head) != 8 or struct.unpack("<Q", head)[0] != plain_size or size != 8 + padded:
        raise OutputError(
            "The file could not be protected with a password: the protected copy came out "
            "damaged, so nothing was saved."
        )


def _check_encryption_info(data: bytes) -> None:
    """Refuse a file that is not protected Office 2007+, or whose key description is hostile."""
    try:
        with olefile.OleFileIO(io.BytesIO(data)) as ole:
            if not ole.exists("EncryptionInfo") or not ole.exists("EncryptedPackage"):
                if ole.exists("WordDocument"):
                    raise UnsupportedFile(
                        "This is an old-style Word document (.doc). Ask the sender to save "
                        "it as a Word Document (.docx, Word 2007 or later) and protect it "
                        "with a password."
                    )
                raise UnsupportedFile(
                    "This file is not a password-protected Word document (.docx)."
                )
            if ole.get_size("EncryptionInfo") > MAX_ENCRYPTION_INFO_SIZE:
                raise HostileFile()
            with ole.openstream("EncryptionInfo") as stream:
                info = stream.read(MAX_ENCRYPTION_INFO_SIZE + 1)
    except (UnsupportedFile, HostileFile):
        raise
    # olefile raises many kinds of error on damaged input.
    except Exception as exc:
        raise CorruptFile(_DAMAGED) from exc
    # msoffcrypto parses the agile key description with minidom; entity
    # declarations have no business there.
    if _DOCTYPE.search(info.replace(b"\x00", b"")):
        raise HostileFile()
    if len(info) < 8:
        raise CorruptFile(_DAMAGED)
    major, minor = struct.unpack("<HH", info[:4])
    if not ((major, minor) == (4, 4) or (major in (2, 3, 4) and minor == 2)):
        raise UnsupportedFile(
            "This file is protected with an older or unusual kind of encryption that cannot "
            "be opened. Ask the sender to save it as a Word Document (.docx) from Word 2010 "
            "or later and protect it with a password again."
        )


def _open(data: bytes) -> OOXMLFile:
    try:
        office = msoffcrypto.OfficeFile(io.BytesIO(data))
    except mso_errors.FileFormatError as exc:
        raise UnsupportedFile(
            "This file is not a password-protected Word document (.docx)."
        ) from exc
    # The key description is parsed on opening; a damaged one raises anything.
    except Exception as exc:
        raise CorruptFile(_DAMAGED) from exc
    if not isinstance(office, OOXMLFile):
        raise UnsupportedFile(
            "This is an old-style Office document. Ask the sender to save it as a Word "
            "Document (.docx, Word 2007 or later) and protect it with a password."
        )
    return office
