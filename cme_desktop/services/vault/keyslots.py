"""Key slots: the vault's database key, stored only wrapped, beside the database.

The database is encrypted with a random 256-bit key. That key is never
stored as it is: each slot wraps it (AES-256-GCM) under a key derived from
one secret — the officer's passphrase (scrypt, tuned to about half a
second), the recovery key for the manager's safe, or a secret kept in the
OS credential store. Changing the passphrase rewrites one slot, never the
database.

The slots file carries a checksum over its content, so a damaged file is
told apart from a wrong passphrase: a GCM failure under an intact checksum
means the secret was wrong.
"""

from __future__ import annotations

import base64
import contextlib
import glob
import hashlib
import json
import os
import secrets
import time
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from cme_desktop.services.atomic_file import write_atomically
from cme_desktop.services.errors import KeyFileDamaged, VaultNotFound

FORMAT = "cme-vault-keys/1"
KEY_BYTES = 32
TARGET_SECONDS = 0.5
_RECOVERY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud safely
_RECOVERY_GROUPS = 8
_RECOVERY_GROUP_LEN = 4


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


@dataclass(frozen=True)
class ScryptParams:
    n: int = 2**17
    r: int = 8
    p: int = 1

    def derive(self, secret: bytes, salt: bytes) -> bytes:
        return Scrypt(salt=salt, length=KEY_BYTES, n=self.n, r=self.r, p=self.p).derive(secret)


def tuned_scrypt(target_seconds: float = TARGET_SECONDS) -> ScryptParams:
    """scrypt parameters that take about ``target_seconds`` on this computer."""
    probe = ScryptParams(n=2**14)
    start = time.perf_counter()
    probe.derive(b"probe", b"\0" * 16)
    elapsed = max(time.perf_counter() - start, 1e-4)
    n = probe.n
    while n < 2**20 and elapsed * (n / probe.n) * 2 <= target_seconds * 1.4:
        n *= 2
    return ScryptParams(n=max(n, 2**15))


def _hkdf(secret: bytes, salt: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=salt, info=info).derive(secret)


def derive_subkey(db_key: bytes | bytearray, purpose: str) -> bytes:
    """A key for ``purpose`` (e.g. the audit chain) derived from the database key."""
    return _hkdf(bytes(db_key), b"cme-desktop", purpose.encode("utf-8"))


@dataclass(frozen=True)
class Slot:
    kind: str  # "passphrase" | "recovery" | "keyring"
    salt: bytes
    nonce: bytes
    wrapped: bytes
    scrypt: ScryptParams | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.kind,
            "salt": _b64(self.salt),
            "nonce": _b64(self.nonce),
            "wrapped": _b64(self.wrapped),
        }
        if self.scrypt is not None:
            out["kdf"] = {"name": "scrypt", "n": self.scrypt.n, "r": self.scrypt.r}
            out["kdf"]["p"] = self.scrypt.p
        else:
            out["kdf"] = {"name": "hkdf-sha256"}
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Slot:
        kdf = data["kdf"]
        params = None
        if kdf["name"] == "scrypt":
            params = ScryptParams(n=int(kdf["n"]), r=int(kdf["r"]), p=int(kdf["p"]))
        elif kdf["name"] != "hkdf-sha256":
            raise ValueError("unknown kdf")
        return cls(
            kind=str(data["kind"]),
            salt=_unb64(data["salt"]),
            nonce=_unb64(data["nonce"]),
            wrapped=_unb64(data["wrapped"]),
            scrypt=params,
        )


@dataclass(frozen=True)
class KeySlots:
    """The content of the slots file."""

    vault_id: str
    slots: tuple[Slot, ...] = field(default=())

    def _aad(self, kind: str) -> bytes:
        return f"{FORMAT}|{self.vault_id}|{kind}".encode()

    def slot(self, kind: str) -> Slot | None:
        return next((s for s in self.slots if s.kind == kind), None)

    def with_slot(self, slot: Slot) -> KeySlots:
        others = tuple(s for s in self.slots if s.kind != slot.kind)
        return replace(self, slots=(*others, slot))

    def without(self, kind: str) -> KeySlots:
        return replace(self, slots=tuple(s for s in self.slots if s.kind != kind))

    # -- wrapping ------------------------------------------------------------

    def wrap(
        self, kind: str, secret: bytes, db_key: bytes | bytearray, *, scrypt: ScryptParams | None
    ) -> KeySlots:
        """A copy with the ``kind`` slot (re)written for ``secret``."""
        salt = os.urandom(16)
        kek = scrypt.derive(secret, salt) if scrypt else _hkdf(secret, salt, kind.encode())
        nonce = os.urandom(12)
        wrapped = AESGCM(kek).encrypt(nonce, bytes(db_key), self._aad(kind))
        return self.with_slot(Slot(kind, salt, nonce, wrapped, scrypt))

    def unwrap(self, kind: str, secret: bytes) -> bytearray | None:
        """The database key if ``secret`` opens the ``kind`` slot, else ``None``."""
        slot = self.slot(kind)
        if slot is None:
            return None
        if slot.scrypt:
            kek = slot.scrypt.derive(secret, slot.salt)
        else:
            kek = _hkdf(secret, slot.salt, kind.encode())
        try:
            return bytearray(AESGCM(kek).decrypt(slot.nonce, slot.wrapped, self._aad(kind)))
        except InvalidTag:
            return None

    # -- the file ------------------------------------------------------------

    def to_bytes(self) -> bytes:
        body = {
            "format": FORMAT,
            "vault_id": self.vault_id,
            "slots": [s.to_json() for s in self.slots],
        }
        body["checksum"] = _checksum(body)
        return (json.dumps(body, indent=2, sort_keys=True) + "\n").encode("utf-8")

    @classmethod
    def from_bytes(cls, data: bytes) -> KeySlots:
        try:
            body = json.loads(data.decode("utf-8"))
            if not isinstance(body, dict) or body.get("format") != FORMAT:
                raise ValueError("not a key file")
            checksum = body.pop("checksum")
            if not secrets.compare_digest(str(checksum), _checksum(body)):
                raise ValueError("checksum")
            return cls(
                vault_id=str(body["vault_id"]),
                slots=tuple(Slot.from_json(s) for s in body["slots"]),
            )
        except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
            raise KeyFileDamaged() from exc

    @classmethod
    def new(cls) -> KeySlots:
        return cls(vault_id=uuid.uuid4().hex)


def _checksum(body: dict[str, Any]) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":")).encode("utf-8")
    return hashlib.sha256(canonical).hexdigest()


def read_slots(path: Path) -> KeySlots:
    """Read the slots file; a missing one means there is no vault."""
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise VaultNotFound(f"The vault's key file {path.name} is missing.") from exc
    return KeySlots.from_bytes(data)


def write_slots(path: Path, slots: KeySlots) -> None:
    """Replace the slots file atomically: a crash leaves the old one or the new one."""
    write_atomically(path, slots.to_bytes())
    # A write killed half-way leaves its temp file behind. It holds the database key
    # wrapped for a passphrase that never took effect, so it is not left lying about.
    for stale in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
        with contextlib.suppress(OSError):
            stale.unlink()


# -- the recovery key ---------------------------------------------------------


def new_recovery_key() -> str:
    """A random recovery key, 160 bits, in groups easy to copy from paper."""
    chars = "".join(
        secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_GROUPS * _RECOVERY_GROUP_LEN)
    )
    step = _RECOVERY_GROUP_LEN
    return "-".join(chars[i : i + step] for i in range(0, len(chars), step))


def canonical_recovery_key(text: str) -> bytes:
    """The recovery key as typed, without spaces, dashes or case differences."""
    cleaned = "".join(ch for ch in text.upper() if ch.isalnum())
    return cleaned.encode("ascii", errors="replace")
