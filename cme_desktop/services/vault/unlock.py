"""The encrypted vault: create, unlock, lock, remember, change the passphrase.

Files of a vault at ``cases.cme``:

- ``cases.cme``        the SQLCipher 4 database (and its ``-wal``/``-shm``)
- ``cases.cme.keys``   the key slots, the audit anchor and the failed-unlock count
  (see ``keyslots``, ``anchor``, ``attempts``); ``cases.cme.keys.lock`` its lock
- ``cases.cme.attempts`` failed unlocks since the last success (times only),
  so that each is audited at the next unlock and the delay grows across restarts

What every unlock checks and records is in ``opening``.

A wrong passphrase raises ``WrongPassphrase``; a damaged or foreign file its
own error. Nothing here ever deletes or recreates a vault that exists.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import platformdirs

from cme_desktop.services.errors import (
    KeyringUnavailable,
    PassphraseRequired,
    VaultExists,
    VaultNotFound,
    WeakPassphrase,
    WrongPassphrase,
)
from cme_desktop.services.vault import attempts
from cme_desktop.services.vault.keyslots import (
    KEY_BYTES,
    KeySlots,
    OpenedSlot,
    ScryptParams,
    canonical_recovery_key,
    new_recovery_key,
    read_slots,
    seal_key_of,
    tuned_scrypt,
    update_slots,
    write_slots,
)
from cme_desktop.services.vault.private_files import (
    create_private_file,
    make_private_folder,
    owner_only,
)
from cme_desktop.services.vault.secret_store import SecretStore

if TYPE_CHECKING:
    from cme_desktop.services.vault.database import Database

# The unlock screen is drawn from this module before SQLAlchemy and the database
# modules load (they take longer than drawing it): they are imported where a vault is
# opened or written (``audit``, ``database``, ``opening``).

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
        busy_timeout: float | None = None,
    ) -> None:
        self.path = Path(path) if path else default_vault_path()
        self.slots_path = self.path.with_name(self.path.name + ".keys")
        self.attempts_path = self.path.with_name(self.path.name + ".attempts")
        self.secret_store = secret_store
        self._scrypt = scrypt  # tests pass cheap parameters; None = tuned to ~0.5 s
        # Seconds a connection waits for the write lock (None: ``database.BUSY_TIMEOUT``).
        self.busy_timeout = busy_timeout
        # False where the caller checks the pages itself once the vault is open (the
        # window does, in the background after the list is painted): see ``opening``.
        self.check_pages_at_open = True
        # Called on the unlocking thread once the key is derived, before the database is
        # opened (and its modules imported): the window loads those modules on its own
        # thread meanwhile and makes this wait for them (``ui.main_window``).
        self.before_open: Callable[[], object] | None = None

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
        make_private_folder(self.path.parent)  # 0700 whatever the umask
        key = bytearray(secrets.token_bytes(KEY_BYTES))
        recovery = new_recovery_key()
        scrypt = self._scrypt or tuned_scrypt()
        slots = KeySlots.new()
        slots = slots.wrap("passphrase", passphrase.encode("utf-8"), key, scrypt=scrypt)
        slots = slots.wrap("recovery", canonical_recovery_key(recovery), key, scrypt=None)
        write_slots(self.slots_path, slots.sealed(seal_key_of(key)))
        create_private_file(self.path)  # 0600 from the start; SQLite's WAL takes its mode
        db = self._open(key, actor=actor)
        owner_only(self.path, self.slots_path)
        from cme_desktop.services.vault import audit

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
        opened = slots.open_slot(kind, secret)
        if opened is None:
            self._note_failure()
            if kind == "recovery":
                raise WrongPassphrase("That recovery key does not open this vault.")
            raise WrongPassphrase()
        if self.before_open is not None:
            self.before_open()
        db = self._open(opened.key, actor=actor, method=method, opened=(kind, opened))
        slot = slots.slot(kind)
        params = slot.scrypt if slot is not None and kind == "passphrase" else None
        if params is not None and params.over_memory_cap():
            self._retune(db, secret, params)
        return db

    def _retune(self, db: Database, secret: bytes, old: ScryptParams) -> None:
        """Wrap the passphrase slot again within the memory a new key is given: a key tuned
        by an older version (up to 1 GiB) costs that memory at this unlock only."""
        scrypt = self._scrypt or tuned_scrypt()
        if scrypt.over_memory_cap():
            scrypt = tuned_scrypt()
        try:
            update_slots(
                self.slots_path,
                lambda slots: slots.wrap("passphrase", secret, db.key, scrypt=scrypt),
                seal_key=seal_key_of(db.key),
            )
        except OSError:
            return  # a key file that cannot be written (a read-only copy): it still opens
        from cme_desktop.services.vault import audit

        with db.write() as session:
            audit.record(
                session,
                db,
                action="key_derivation_retuned",
                entity="vault",
                detail=f"scrypt n={old.n} r={old.r} p={old.p} -> "
                f"n={scrypt.n} r={scrypt.r} p={scrypt.p}",
            )

    def _open(
        self,
        key: bytearray,
        *,
        actor: str,
        method: str = "passphrase",
        opened: tuple[str, OpenedSlot] | None = None,
    ) -> Database:
        # Failed attempts are forgotten only once audited (in ``opening``): an unlock that
        # finds the vault busy keeps them.
        from cme_desktop.services.vault.database import BUSY_TIMEOUT
        from cme_desktop.services.vault.opening import VaultFiles, open_vault

        files = VaultFiles(self.path, self.slots_path, self.attempts_path)
        timeout = BUSY_TIMEOUT if self.busy_timeout is None else self.busy_timeout
        return open_vault(
            files,
            key,
            actor=actor,
            method=method,
            opened=opened,
            busy_timeout=timeout,
            check_pages=self.check_pages_at_open,
        )

    # -- failed attempts ---------------------------------------------------------

    def failed_attempts(self) -> int:
        """Failed unlocks since the last success (kept when ``.attempts`` is deleted)."""
        return attempts.count(self.attempts_path, self.slots_path)

    def _note_failure(self) -> None:
        # A vault in a read-only folder still says "wrong passphrase", not "cannot write".
        attempts.note_failure(self.attempts_path, self.slots_path)

    # -- slots ---------------------------------------------------------------------

    def change_passphrase(self, db: Database, new_passphrase: str) -> None:
        """Rewrite the passphrase slot (the database itself is untouched)."""
        check_passphrase(new_passphrase)
        scrypt = self._scrypt or tuned_scrypt()
        secret = new_passphrase.encode("utf-8")
        update_slots(
            self.slots_path,
            lambda slots: slots.wrap("passphrase", secret, db.key, scrypt=scrypt),
            seal_key=seal_key_of(db.key),
        )
        from cme_desktop.services.vault import audit

        with db.write() as session:
            audit.record(session, db, action="passphrase_changed", entity="vault")

    def new_recovery_key(self, db: Database) -> str:
        """Replace the recovery key; the old one stops working."""
        recovery = new_recovery_key()
        secret = canonical_recovery_key(recovery)
        update_slots(
            self.slots_path,
            lambda slots: slots.wrap("recovery", secret, db.key, scrypt=None),
            seal_key=seal_key_of(db.key),
        )
        from cme_desktop.services.vault import audit

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
        update_slots(
            self.slots_path,
            lambda current: current.wrap("keyring", secret, db.key, scrypt=None),
            seal_key=seal_key_of(db.key),
        )
        from cme_desktop.services.vault import audit

        with db.write() as session:
            audit.record(session, db, action="remembered_on_computer", entity="vault")

    def forget(self, db: Database) -> None:
        """Stop remembering the vault on this computer (``db``: the unlocked vault, to reseal)."""
        slots = update_slots(
            self.slots_path,
            lambda current: current.without("keyring"),
            seal_key=seal_key_of(db.key),
        )
        if self.secret_store is not None:
            self.secret_store.delete(slots.vault_id)


def unlock_delay_seconds(failures: int) -> float:
    """The wait before another try after ``failures`` wrong passphrases (grows, capped)."""
    if failures < 3:
        return 0.0
    return float(min(2 ** (failures - 3), 60))
