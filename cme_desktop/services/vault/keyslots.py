"""Key slots: the vault's database key, stored only wrapped, beside the database.

The database is encrypted with a random 256-bit key. That key is never
stored as it is: each slot wraps it (AES-256-GCM) under a key derived from
one secret — the officer's passphrase (scrypt, tuned to about half a
second), the recovery key for the manager's safe, or a secret kept in the
OS credential store. Changing the passphrase rewrites one slot, never the
database.

What protects the file (``docs/security.md`` has the whole design):

- a checksum over the content, so that a damaged file is told apart from a
  wrong passphrase (``KeyFileDamaged``, never a wrong passphrase);
- bounds on the key derivation's parameters (``ScryptParams.within_bounds``),
  checked before any derivation, so an edited file cannot make an unlock
  take gigabytes or crash;
- each slot's parameters and salt bound into its wrapping as AES-GCM
  associated data: a slot whose parameters were changed opens with nothing;
- a seal, an HMAC keyed from the database key, over the slots, the audit
  anchor (the newest audit row's number and hash, see ``anchor``) and the
  failed-attempts epoch. It is checked after each unlock and names what was
  changed outside the program.

Format 1 files (written before the seal and the bound parameters) still
open; their slots are rebound and the file sealed at the first unlock.
"""

from __future__ import annotations

import base64
import contextlib
import glob
import hashlib
import hmac
import json
import os
import secrets
import time
import uuid
from collections.abc import Callable
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
from cme_desktop.services.vault.keyfile_lock import keyfile_lock

FORMAT_1 = "cme-vault-keys/1"
FORMAT = "cme-vault-keys/2"
KEY_BYTES = 32
TARGET_SECONDS = 0.5
_RECOVERY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud safely
_RECOVERY_GROUPS = 8
_RECOVERY_GROUP_LEN = 4

#: The key derivation each kind of slot uses; any other pairing is a damaged file.
KDF_OF_KIND = {"passphrase": "scrypt", "recovery": "hkdf-sha256", "keyring": "hkdf-sha256"}
SLOT_NAMES = {
    "passphrase": "the passphrase slot",
    "recovery": "the recovery key slot",
    "keyring": "the remembered-on-this-computer slot",
}

# The scrypt parameters a key file may hold. Older versions tuned n up to 2**20 with
# r = 8 and p = 1 (1 GiB of memory), so such files still open; the floor is lower so that
# the tests' cheap parameters open, and the work bound n*r*p is the strongest tuning's.
SCRYPT_MIN_N = 2**10
#: The most memory a new key is tuned to: n = 2**16, r = 8 takes 64 MiB (128 * n * r
#: bytes) while it is derived, which the desktop's 300 MB at 100,000 cases has room for.
#: Past it the work grows by lanes (p), derived one after another in the same memory:
#: n = 2**16 with p = 2 is as much work as n = 2**17 with p = 1 (OWASP lists the two as
#: equivalent settings) in half the memory.
TUNED_MAX_N = 2**16
TUNED_MAX_P = 4
#: A passphrase slot that asks for more memory than a new key is tuned to (tuned by an
#: older version, up to 1 GiB) still opens, and is wrapped again within this at once.
TUNED_MAX_MEMORY = 128 * 8 * TUNED_MAX_N
SCRYPT_MAX_N = 2**20
SCRYPT_MAX_R = 8
SCRYPT_MAX_P = 4
SCRYPT_MAX_WORK = 2**20 * 8
SALT_BYTES = (16, 64)
NONCE_BYTES = 12
WRAPPED_BYTES = KEY_BYTES + 16
GENESIS_HASH = "0" * 64


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: Any) -> bytes:
    if not isinstance(text, str):
        raise ValueError("not base64 text")
    return base64.b64decode(text.encode("ascii"), validate=True)


def _canonical(body: Any) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode("utf-8")


def _int(value: Any, low: int, high: int) -> int:
    # JSON true is an int to Python; a key file never holds one where a number belongs.
    if type(value) is not int or not low <= value <= high:
        raise ValueError("number out of range")
    return value


def _hex(value: Any, length: int, *, empty: bool = False) -> str:
    if empty and value == "":
        return ""
    if not isinstance(value, str) or len(value) != length:
        raise ValueError("not a hex digest")
    int(value, 16)
    return value.lower()


@dataclass(frozen=True)
class ScryptParams:
    n: int = 2**16
    r: int = 8
    p: int = 1

    @property
    def memory_bytes(self) -> int:
        """The memory a derivation takes (its lanes share it, one after another)."""
        return 128 * self.r * self.n

    def over_memory_cap(self) -> bool:
        """True for parameters asking more memory than a new key is given
        (``TUNED_MAX_MEMORY``): the slot is wrapped again once opened."""
        return self.memory_bytes > TUNED_MAX_MEMORY

    def within_bounds(self) -> bool:
        """True for parameters a vault can hold (see the bounds above)."""
        n, r, p = self.n, self.r, self.p
        return (
            SCRYPT_MIN_N <= n <= SCRYPT_MAX_N
            and n & (n - 1) == 0
            and 1 <= r <= SCRYPT_MAX_R
            and 1 <= p <= SCRYPT_MAX_P
            and n * r * p <= SCRYPT_MAX_WORK
        )

    def derive(self, secret: bytes, salt: bytes) -> bytes:
        if not self.within_bounds():
            raise KeyFileDamaged()
        return Scrypt(salt=salt, length=KEY_BYTES, n=self.n, r=self.r, p=self.p).derive(secret)


def tuned_scrypt(target_seconds: float = TARGET_SECONDS) -> ScryptParams:
    """scrypt parameters that take about ``target_seconds`` on this computer.

    Never above ``TUNED_MAX_N`` (64 MiB): a fast computer gets more lanes (``p``, up to
    ``TUNED_MAX_P``, at least 2 at the cap) in the same memory, never an unlock that
    needs more memory than the rest of the program.
    """
    probe = ScryptParams(n=2**14, p=1)
    start = time.perf_counter()
    probe.derive(b"probe", b"\0" * 16)
    elapsed = max(time.perf_counter() - start, 1e-4)
    n = probe.n
    while n < TUNED_MAX_N and elapsed * (n / probe.n) * 2 <= target_seconds * 1.4:
        n *= 2
    n = max(n, 2**15)
    if n < TUNED_MAX_N:
        return ScryptParams(n=n, p=1)
    p = 2
    while p < TUNED_MAX_P and elapsed * (n / probe.n) * (p + 1) <= target_seconds * 1.4:
        p += 1
    return ScryptParams(n=n, p=p)


def _hkdf(secret: bytes, salt: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=salt, info=info).derive(secret)


def derive_subkey(db_key: bytes | bytearray, purpose: str) -> bytes:
    """A key for ``purpose`` (e.g. the audit chain) derived from the database key."""
    return _hkdf(bytes(db_key), b"cme-desktop", purpose.encode("utf-8"))


def seal_key_of(db_key: bytes | bytearray) -> bytes:
    """The key of the key file's seal: its own purpose, apart from the audit chain's."""
    return derive_subkey(db_key, "key-file-seal")


@dataclass(frozen=True)
class Slot:
    kind: str  # "passphrase" | "recovery" | "keyring"
    salt: bytes
    nonce: bytes
    wrapped: bytes
    scrypt: ScryptParams | None = None
    #: 1: the associated data names the vault and the kind only (format 1 files);
    #: 2: it also holds the key derivation's parameters and the salt.
    binding: int = 2

    def kdf_json(self) -> dict[str, Any]:
        if self.scrypt is not None:
            return {"name": "scrypt", "n": self.scrypt.n, "r": self.scrypt.r, "p": self.scrypt.p}
        return {"name": "hkdf-sha256"}

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "salt": _b64(self.salt),
            "nonce": _b64(self.nonce),
            "wrapped": _b64(self.wrapped),
            "kdf": self.kdf_json(),
            "binding": self.binding,
        }

    @classmethod
    def from_json(cls, data: Any, *, version: int) -> Slot:
        if not isinstance(data, dict):
            raise ValueError("not a slot")
        kind = data["kind"]
        kdf = data["kdf"]
        if kind not in KDF_OF_KIND or not isinstance(kdf, dict):
            raise ValueError("unknown slot")
        if kdf.get("name") != KDF_OF_KIND[kind]:
            raise ValueError("wrong kdf for the slot")
        params = None
        if kdf["name"] == "scrypt":
            params = ScryptParams(
                n=_int(kdf["n"], 2, 2**62), r=_int(kdf["r"], 1, 2**30), p=_int(kdf["p"], 1, 2**30)
            )
            # Checked here, before any derivation: an edited n of 2**30 costs nothing.
            if not params.within_bounds():
                raise ValueError("scrypt parameters out of bounds")
        binding = 1 if version == 1 else _int(data["binding"], 1, 2)
        slot = cls(
            kind=kind,
            salt=_unb64(data["salt"]),
            nonce=_unb64(data["nonce"]),
            wrapped=_unb64(data["wrapped"]),
            scrypt=params,
            binding=binding,
        )
        low, high = SALT_BYTES
        if not low <= len(slot.salt) <= high or len(slot.nonce) != NONCE_BYTES:
            raise ValueError("salt or nonce of the wrong size")
        if len(slot.wrapped) != WRAPPED_BYTES:
            raise ValueError("wrapped key of the wrong size")
        return slot


@dataclass(frozen=True)
class OpenedSlot:
    """A slot opened by its secret: the database key, and the slot's own wrapping key."""

    key: bytearray = field(repr=False)
    kek: bytes = field(repr=False)


@dataclass(frozen=True)
class Anchor:
    """The newest audit row's number and hash, as the key file last recorded them."""

    audit_id: int
    audit_hash: str


@dataclass(frozen=True)
class FailedAttempts:
    """Failed unlocks since the last success, as counted in the key file (``attempts``).

    Written by the process that was refused, which has no key: so it is covered
    by the checksum but not by the seal. ``head`` is the hash chain of the
    attempt times in the ``.attempts`` file at that count.
    """

    pending: int = 0
    head: str = ""


@dataclass(frozen=True)
class Seal:
    """HMACs keyed from the database key: one per slot, one for the anchor, one for it all."""

    file: str
    anchor: str
    slots: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class KeySlots:
    """The content of the slots file."""

    vault_id: str
    slots: tuple[Slot, ...] = field(default=())
    version: int = 2
    anchor: Anchor | None = None
    #: The failed-attempts record's epoch: new after each unlock that took the attempts.
    epoch: str = ""
    previous_epoch: str = ""
    failed: FailedAttempts = field(default_factory=FailedAttempts)
    seal: Seal | None = None

    def _aad(self, slot: Slot) -> bytes:
        if slot.binding == 1:
            return f"{FORMAT_1}|{self.vault_id}|{slot.kind}".encode()
        bound = {
            "format": FORMAT,
            "vault_id": self.vault_id,
            "kind": slot.kind,
            "kdf": slot.kdf_json(),
            "salt": _b64(slot.salt),
        }
        return _canonical(bound)

    def slot(self, kind: str) -> Slot | None:
        return next((s for s in self.slots if s.kind == kind), None)

    def with_slot(self, slot: Slot) -> KeySlots:
        others = tuple(s for s in self.slots if s.kind != slot.kind)
        return replace(self, slots=(*others, slot))

    def without(self, kind: str) -> KeySlots:
        return replace(self, slots=tuple(s for s in self.slots if s.kind != kind))

    # -- wrapping ------------------------------------------------------------

    def _kek(self, slot: Slot, secret: bytes) -> bytes:
        if slot.scrypt is not None:
            return slot.scrypt.derive(secret, slot.salt)
        return _hkdf(secret, slot.salt, slot.kind.encode())

    def wrap(
        self, kind: str, secret: bytes, db_key: bytes | bytearray, *, scrypt: ScryptParams | None
    ) -> KeySlots:
        """A copy with the ``kind`` slot (re)written for ``secret``."""
        salt = os.urandom(16)
        draft = Slot(kind, salt, b"", b"", scrypt)
        return self._sealed_slot(draft, self._kek(draft, secret), db_key)

    def _sealed_slot(self, slot: Slot, kek: bytes, db_key: bytes | bytearray) -> KeySlots:
        slot = replace(slot, nonce=os.urandom(NONCE_BYTES), binding=2)
        wrapped = AESGCM(kek).encrypt(slot.nonce, bytes(db_key), self._aad(slot))
        return self.with_slot(replace(slot, wrapped=wrapped))

    def open_slot(self, kind: str, secret: bytes) -> OpenedSlot | None:
        """The database key (and the wrapping key) if ``secret`` opens ``kind``, else ``None``."""
        slot = self.slot(kind)
        if slot is None:
            return None
        kek = self._kek(slot, secret)
        try:
            key = AESGCM(kek).decrypt(slot.nonce, slot.wrapped, self._aad(slot))
        except InvalidTag:
            return None
        return OpenedSlot(key=bytearray(key), kek=kek)

    def unwrap(self, kind: str, secret: bytes) -> bytearray | None:
        """The database key if ``secret`` opens the ``kind`` slot, else ``None``."""
        opened = self.open_slot(kind, secret)
        return None if opened is None else opened.key

    def rebound(self, kind: str, opened: OpenedSlot) -> KeySlots:
        """The slot wrapped again with its parameters bound in (a format 1 slot's upgrade).

        Same salt and parameters, so the same secret opens it; no second derivation.
        """
        slot = self.slot(kind)
        if slot is None or slot.binding == 2:
            return self
        return self._sealed_slot(slot, opened.kek, opened.key)

    # -- the anchor, the attempts epoch and the seal ---------------------------------

    def with_anchor(self, anchor: Anchor) -> KeySlots:
        return replace(self, anchor=anchor)

    def with_failed(self, failed: FailedAttempts) -> KeySlots:
        return replace(self, failed=failed)

    def with_new_epoch(self) -> KeySlots:
        """A fresh failed-attempts record: nothing pending, a new epoch."""
        return replace(
            self,
            previous_epoch=self.epoch,
            epoch=secrets.token_hex(16),
            failed=FailedAttempts(),
        )

    def _sealed_content(self) -> dict[str, Any]:
        anchor = self.anchor or Anchor(0, GENESIS_HASH)
        return {
            "vault_id": self.vault_id,
            "anchor": {"audit_id": anchor.audit_id, "audit_hash": anchor.audit_hash},
            "attempts_epoch": {"current": self.epoch, "previous": self.previous_epoch},
        }

    def _compute_seal(self, key: bytes) -> Seal:
        def mac(label: str, body: Any) -> str:
            return hmac.new(key, label.encode() + b"\0" + _canonical(body), "sha256").hexdigest()

        content = self._sealed_content()
        slot_macs = tuple(
            (s.kind, mac("slot", {"vault_id": self.vault_id, "slot": s.to_json()}))
            for s in sorted(self.slots, key=lambda s: s.kind)
        )
        everything = {
            **content,
            "format": FORMAT,
            "slots": sorted((s.to_json() for s in self.slots), key=lambda s: str(s["kind"])),
        }
        return Seal(file=mac("file", everything), anchor=mac("anchor", content), slots=slot_macs)

    def sealed(self, key: bytes) -> KeySlots:
        """A format 2 copy sealed with ``key`` (``seal_key_of`` the database key)."""
        upgraded = self if self.version == 2 and self.epoch else self._upgraded()
        return replace(upgraded, seal=upgraded._compute_seal(key))

    def _upgraded(self) -> KeySlots:
        return replace(self, version=2, epoch=self.epoch or secrets.token_hex(16))

    def seal_problems(self, key: bytes) -> list[str]:
        """What was changed outside the program since the file was sealed; empty if nothing.

        Each item names a part for the officer ("the passphrase slot was changed").
        A format 1 file has no seal: it is sealed at its first unlock.
        """
        if self.version == 1 or self.seal is None:
            return []
        expected = self._compute_seal(key)
        if hmac.compare_digest(expected.file, self.seal.file):
            return []
        problems = []
        stored = dict(self.seal.slots)
        for kind, mac in expected.slots:
            if kind not in stored:
                problems.append(f"{SLOT_NAMES[kind]} was added")
            elif not hmac.compare_digest(mac, stored[kind]):
                problems.append(f"{SLOT_NAMES[kind]} was changed")
        for kind in sorted(set(stored) - {k for k, _ in expected.slots}):
            problems.append(f"{SLOT_NAMES.get(kind, 'a slot')} was removed")
        if not hmac.compare_digest(expected.anchor, self.seal.anchor):
            problems.append("the audit anchor was changed")
        return problems or ["the key file was changed"]

    def anchor_is_sealed(self, key: bytes) -> bool:
        """True when the anchor is the one this vault's key sealed (a format 2 file)."""
        if self.version == 1 or self.seal is None or self.anchor is None:
            return False
        return hmac.compare_digest(self._compute_seal(key).anchor, self.seal.anchor)

    # -- the file ------------------------------------------------------------

    def to_bytes(self) -> bytes:
        body: dict[str, Any] = {
            "format": FORMAT if self.version == 2 else FORMAT_1,
            "vault_id": self.vault_id,
            "slots": [s.to_json() for s in self.slots],
        }
        if self.version == 1:
            for slot in body["slots"]:
                del slot["binding"]
        else:
            body.update(self._sealed_content())
            body["failed_attempts"] = {"pending": self.failed.pending, "head": self.failed.head}
            if self.seal is not None:
                body["seal"] = {
                    "file": self.seal.file,
                    "anchor": self.seal.anchor,
                    "slots": dict(self.seal.slots),
                }
        body["checksum"] = _checksum(body)
        return (json.dumps(body, indent=2, sort_keys=True) + "\n").encode("utf-8")

    @classmethod
    def from_bytes(cls, data: bytes) -> KeySlots:
        try:
            body = json.loads(data.decode("utf-8"))
            if not isinstance(body, dict) or body.get("format") not in (FORMAT, FORMAT_1):
                raise ValueError("not a key file")
            checksum = body.pop("checksum")
            if not secrets.compare_digest(str(checksum), _checksum(body)):
                raise ValueError("checksum")
            return _parse(body)
        except (ValueError, KeyError, TypeError, UnicodeDecodeError, AttributeError) as exc:
            raise KeyFileDamaged() from exc

    @classmethod
    def new(cls) -> KeySlots:
        return cls(
            vault_id=uuid.uuid4().hex,
            anchor=Anchor(0, GENESIS_HASH),
            epoch=secrets.token_hex(16),
        )


def _parse(body: dict[str, Any]) -> KeySlots:
    version = 2 if body["format"] == FORMAT else 1
    vault_id = _hex(body["vault_id"], 32)
    raw_slots = body["slots"]
    if not isinstance(raw_slots, list) or len(raw_slots) > len(KDF_OF_KIND):
        raise ValueError("slots")
    slots = tuple(Slot.from_json(s, version=version) for s in raw_slots)
    if len({s.kind for s in slots}) != len(slots):
        raise ValueError("a slot twice")
    if version == 1:
        return KeySlots(vault_id=vault_id, slots=slots, version=1)
    anchor = body["anchor"]
    epochs = body["attempts_epoch"]
    failed = body["failed_attempts"]
    seal = body["seal"]
    seal_slots = seal["slots"]
    if not isinstance(seal_slots, dict):
        raise ValueError("seal")
    return KeySlots(
        vault_id=vault_id,
        slots=slots,
        version=2,
        anchor=Anchor(
            audit_id=_int(anchor["audit_id"], 0, 2**62),
            audit_hash=_hex(anchor["audit_hash"], 64),
        ),
        epoch=_hex(epochs["current"], 32),
        previous_epoch=_hex(epochs["previous"], 32, empty=True),
        failed=FailedAttempts(
            pending=_int(failed["pending"], 0, 2**31),
            head=_hex(failed["head"], 64, empty=True),
        ),
        seal=Seal(
            file=_hex(seal["file"], 64),
            anchor=_hex(seal["anchor"], 64),
            slots=tuple(sorted((str(k), _hex(v, 64)) for k, v in seal_slots.items())),
        ),
    )


def _checksum(body: dict[str, Any]) -> str:
    return hashlib.sha256(_canonical(body)).hexdigest()


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


def update_slots(
    path: Path,
    change: Callable[[KeySlots], KeySlots | None],
    *,
    seal_key: bytes | None = None,
) -> KeySlots:
    """Read, change and replace the slots file under its lock; returns what is there after.

    ``change`` gets the file as it is now (another process may have changed it)
    and returns the new content, or ``None`` to leave the file alone. With
    ``seal_key`` the new content is sealed; without it (a process that has no
    key) only the unsealed parts may change.
    """
    with keyfile_lock(path):
        current = read_slots(path)
        new = change(current)
        if new is None:
            return current
        if seal_key is not None:
            new = new.sealed(seal_key)
        if new != current:
            write_slots(path, new)
        return new


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
