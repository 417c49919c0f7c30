"""The encrypted vault: create, unlock, lock, remember, change the passphrase.

Files of a vault at ``cases.cme``:

- ``cases.cme``        the SQLCipher 4 database (and its ``-wal``/``-shm``)
- ``cases.cme.keys``   the key slots (see ``keyslots``)
- ``cases.cme.attempts`` failed unlocks since the last success (times only),
  so that each is audited at the next unlock and the delay grows across restarts

A wrong passphrase raises ``WrongPassphrase``; a damaged or foreign file its
own error. Nothing here ever deletes or recreates a vault that exists.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from cme_desktop.models.base import utcnow
from cme_desktop.services.atomic_file import write_atomically
from cme_desktop.services.errors import (
    KeyringUnavailable,
    OutputError,
    PassphraseRequired,
    VaultExists,
    VaultNotFound,
    WeakPassphrase,
    WrongPassphrase,
)
from cme_desktop.services.vault import audit, migrations
from cme_desktop.services.vault.database import Database
from cme_desktop.services.vault.keyslots import (
    KEY_BYTES,
    KeySlots,
    ScryptParams,
    canonical_recovery_key,
    derive_subkey,
    new_recovery_key,
    read_slots,
    tuned_scrypt,
    write_slots,
)
from cme_desktop.services.vault.secret_store import SecretStore

MIN_PASSPHRASE = 10
APP_NAME = "CME Desktop"


def default_vault_path() -> Path:
    """The vault in the user's data folder (``%LOCALAPPDATA%`` on Windows)."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / "cases.cme"


def check_passphrase(passphrase: str) -> None:
    """Refuse a passphrase too short to protect the record."""
    if len(passphrase.strip()) < MIN_PASSPHRASE:
        raise WeakPassphrase()


@dataclass(frozen=True)
class CreatedVault:
    db: Database
    recovery_key: str  # shown once, for the manager's safe


class Vault:
    """One vault on disk; ``unlock`` gives a ``Database``."""

    def __init__(
        self,
        path: Path | None = None,
        *,
        secret_store: SecretStore | None = None,
        scrypt: ScryptParams | None = None,
    ) -> None:
        self.path = Path(path) if path else default_vault_path()
        self.slots_path = self.path.with_name(self.path.name + ".keys")
        self.attempts_path = self.path.with_name(self.path.name + ".attempts")
        self.secret_store = secret_store
        self._scrypt = scrypt  # tests pass cheap parameters; None = tuned to ~0.5 s

    # -- state -----------------------------------------------------------------

    @property
    def exists(self) -> bool:
        return self.path.exists() or self.slots_path.exists()

    def has_recovery_key(self) -> bool:
        return read_slots(self.slots_path).slot("recovery") is not None

    def can_remember(self) -> bool:
        """True where a real system credential store exists."""
        return self.secret_store is not None

    def is_remembered(self) -> bool:
        if self.secret_store is None or not self.slots_path.exists():
            return False
        slots = read_slots(self.slots_path)
        remembered = self.secret_store.get(slots.vault_id) is not None
        return slots.slot("keyring") is not None and remembered

    # -- create ------------------------------------------------------------------

    def create(self, passphrase: str, *, actor: str = "") -> CreatedVault:
        """Create a new vault; returns it unlocked with its recovery key (shown once)."""
        check_passphrase(passphrase)
        if self.exists:
            raise VaultExists(f"A vault already exists at {self.path}; it has not been touched.")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        key = bytearray(secrets.token_bytes(KEY_BYTES))
        recovery = new_recovery_key()
        scrypt = self._scrypt or tuned_scrypt()
        slots = KeySlots.new()
        slots = slots.wrap("passphrase", passphrase.encode("utf-8"), key, scrypt=scrypt)
        slots = slots.wrap("recovery", canonical_recovery_key(recovery), key, scrypt=None)
        write_slots(self.slots_path, slots)
        db = self._open(key, actor=actor)
        _owner_only(self.path, self.slots_path)
        with db.write() as session:
            audit.record(session, db, action="vault_created", entity="vault")
        return CreatedVault(db=db, recovery_key=recovery)

    # -- unlock ------------------------------------------------------------------

    def unlock(self, passphrase: str, *, actor: str = "") -> Database:
        """Unlock with the officer's passphrase."""
        if not passphrase:
            raise PassphraseRequired()
        return self._unlock_slot("passphrase", passphrase.encode("utf-8"), actor=actor)

    def unlock_with_recovery_key(self, recovery_key: str, *, actor: str = "") -> Database:
        """Unlock with the recovery key; the caller then sets a new passphrase."""
        secret = canonical_recovery_key(recovery_key)
        return self._unlock_slot("recovery", secret, actor=actor, method="recovery key")

    def unlock_remembered(self, *, actor: str = "") -> Database:
        """Unlock with the secret kept in the system credential store."""
        if self.secret_store is None:
            raise KeyringUnavailable()
        slots = read_slots(self.slots_path)
        secret = self.secret_store.get(slots.vault_id)
        if secret is None or slots.slot("keyring") is None:
            raise WrongPassphrase("This computer does not remember the vault any more.")
        return self._unlock_slot(
            "keyring", base64.b64decode(secret), actor=actor, method="remembered"
        )

    def _unlock_slot(
        self, kind: str, secret: bytes, *, actor: str, method: str = "passphrase"
    ) -> Database:
        if not self.path.exists():
            raise VaultNotFound(f"There is no vault at {self.path}.")
        slots = read_slots(self.slots_path)
        key = slots.unwrap(kind, secret)
        if key is None:
            self._note_failure()
            if kind == "recovery":
                raise WrongPassphrase("That recovery key does not open this vault.")
            raise WrongPassphrase()
        return self._open(key, actor=actor, method=method)

    def _open(self, key: bytearray, *, actor: str, method: str = "passphrase") -> Database:
        db = Database.open(self.path, key, audit_key=derive_subkey(key, "audit-chain"))
        db.actor = actor
        try:
            migrations.upgrade(db)
            failures = self._take_failures()
            with db.write() as session:
                for when in failures:
                    audit.record(
                        session, db, action="unlock_failed", entity="vault", detail=f"at={when}"
                    )
                audit.record(session, db, action="unlock", entity="vault", detail=method)
        except BaseException:
            db.close()
            raise
        return db

    # -- failed attempts ---------------------------------------------------------

    def failed_attempts(self) -> int:
        """Failed unlocks since the last success."""
        return len(self._read_failures())

    def _read_failures(self) -> list[str]:
        try:
            data = json.loads(self.attempts_path.read_text("utf-8"))
            return [str(x) for x in data.get("failed", [])]
        except (OSError, ValueError, AttributeError):
            return []

    def _note_failure(self) -> None:
        failures = self._read_failures()
        failures.append(utcnow().isoformat(timespec="seconds"))
        # A vault in a read-only folder still says "wrong passphrase", not "cannot write".
        with contextlib.suppress(OutputError):
            write_atomically(self.attempts_path, json.dumps({"failed": failures[-1000:]}).encode())

    def _take_failures(self) -> list[str]:
        failures = self._read_failures()
        if failures:
            self.attempts_path.unlink(missing_ok=True)
        return failures

    # -- slots ---------------------------------------------------------------------

    def change_passphrase(self, db: Database, new_passphrase: str) -> None:
        """Rewrite the passphrase slot (the database itself is untouched)."""
        check_passphrase(new_passphrase)
        slots = read_slots(self.slots_path)
        scrypt = self._scrypt or tuned_scrypt()
        write_slots(
            self.slots_path,
            slots.wrap("passphrase", new_passphrase.encode("utf-8"), db.key, scrypt=scrypt),
        )
        with db.write() as session:
            audit.record(session, db, action="passphrase_changed", entity="vault")

    def new_recovery_key(self, db: Database) -> str:
        """Replace the recovery key; the old one stops working."""
        recovery = new_recovery_key()
        slots = read_slots(self.slots_path)
        write_slots(
            self.slots_path,
            slots.wrap("recovery", canonical_recovery_key(recovery), db.key, scrypt=None),
        )
        with db.write() as session:
            audit.record(session, db, action="recovery_key_replaced", entity="vault")
        return recovery

    def remember(self, db: Database) -> None:
        """Keep a secret in the system credential store that opens this vault."""
        if self.secret_store is None:
            raise KeyringUnavailable()
        secret = secrets.token_bytes(KEY_BYTES)
        slots = read_slots(self.slots_path)
        self.secret_store.set(slots.vault_id, base64.b64encode(secret).decode("ascii"))
        write_slots(self.slots_path, slots.wrap("keyring", secret, db.key, scrypt=None))
        with db.write() as session:
            audit.record(session, db, action="remembered_on_computer", entity="vault")

    def forget(self) -> None:
        """Stop remembering the vault on this computer."""
        slots = read_slots(self.slots_path)
        write_slots(self.slots_path, slots.without("keyring"))
        if self.secret_store is not None:
            self.secret_store.delete(slots.vault_id)


def _owner_only(*paths: Path) -> None:
    # On POSIX, other accounts cannot even read the ciphertext. (On Windows the
    # user's data folder is already private to the account.)
    if os.name == "posix":
        for path in paths:
            path.chmod(0o600)


def unlock_delay_seconds(failures: int) -> float:
    """The wait before another try after ``failures`` wrong passphrases (grows, capped)."""
    if failures < 3:
        return 0.0
    return float(min(2 ** (failures - 3), 60))
