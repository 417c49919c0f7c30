"""The test vaults' passphrase, a cheap key derivation, and a stand-in for the credential store."""

from __future__ import annotations

from cme_desktop.services.vault.keyslots import ScryptParams

PASSPHRASE = "correct horse battery staple"
#: Cheap scrypt for tests: the real vault tunes itself to ~0.5 s per unlock.
FAST_SCRYPT = ScryptParams(n=2**10)


class MemorySecretStore:
    """Stands in for the OS credential store (the only stand-in the suite uses)."""

    def __init__(self) -> None:
        self.secrets: dict[str, str] = {}

    def get(self, name: str) -> str | None:
        return self.secrets.get(name)

    def set(self, name: str, secret: str) -> None:
        self.secrets[name] = secret

    def delete(self, name: str) -> None:
        self.secrets.pop(name, None)
