"""The OS credential store, for "remember on this computer".

Only a real system keyring counts (Windows Credential Manager, macOS
Keychain, the Secret Service on Linux). ``keyrings.alt`` and other backends
that keep secrets in plain files are refused: a remembered vault must be no
weaker than a passphrase.
"""

from __future__ import annotations

import contextlib
from typing import Protocol

SERVICE = "CME Desktop"

# Backends that are not a secure system store.
_REFUSED_MODULE_PREFIXES = ("keyrings.alt", "keyring.backends.fail", "keyring.backends.null")


class SecretStore(Protocol):
    """Where a small secret can be kept outside the vault folder."""

    def get(self, name: str) -> str | None: ...

    def set(self, name: str, secret: str) -> None: ...

    def delete(self, name: str) -> None: ...


class SystemKeyring:
    """The operating system's credential store through ``keyring``."""

    def __init__(self, backend: object) -> None:
        self._backend = backend

    def get(self, name: str) -> str | None:
        value = self._backend.get_password(SERVICE, name)  # type: ignore[attr-defined]
        return value if isinstance(value, str) else None

    def set(self, name: str, secret: str) -> None:
        self._backend.set_password(SERVICE, name, secret)  # type: ignore[attr-defined]

    def delete(self, name: str) -> None:
        import keyring.errors

        # Forgetting a secret that is already gone is not an error.
        with contextlib.suppress(keyring.errors.PasswordDeleteError):
            self._backend.delete_password(SERVICE, name)  # type: ignore[attr-defined]


def is_secure_backend(backend: object) -> bool:
    """True for a real system keyring backend with a positive priority."""
    module = type(backend).__module__
    if module.startswith(_REFUSED_MODULE_PREFIXES):
        return False
    if module.startswith("keyring.backends.chainer"):
        children = getattr(backend, "backends", [])
        return bool(children) and all(is_secure_backend(b) for b in children)
    try:
        priority = float(getattr(type(backend), "priority", 0))
    except Exception:  # noqa: BLE001 - a backend's priority property may raise when unusable
        return False
    return priority > 0


def system_secret_store() -> SecretStore | None:
    """The system keyring if a secure one exists on this computer, else ``None``."""
    try:
        import keyring
    except ImportError:
        return None
    backend = keyring.get_keyring()
    return SystemKeyring(backend) if is_secure_backend(backend) else None
