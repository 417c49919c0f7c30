"""Shared fixtures: real SQLCipher vaults in tmp_path, Qt offscreen."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_QUICK_BACKEND", "software")

from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import pytest  # noqa: E402

from cme_desktop.services.vault.database import Database  # noqa: E402
from cme_desktop.services.vault.keyslots import ScryptParams  # noqa: E402
from cme_desktop.services.vault.vault import Vault  # noqa: E402

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


@pytest.fixture
def vault(tmp_path: Path) -> Vault:
    """A vault that does not exist yet."""
    return Vault(tmp_path / "cases.cme", scrypt=FAST_SCRYPT)


@pytest.fixture
def db(vault: Vault) -> Iterator[Database]:
    """The vault, unlocked: created now, or unlocked when a module gives a ready-made copy."""
    if vault.exists:
        database = vault.unlock(PASSPHRASE, actor="Test Officer")
    else:
        database = vault.create(PASSPHRASE, actor="Test Officer").db
    yield database
    database.close()


@pytest.fixture(scope="module")
def vault_template(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """One vault made per test module, to be copied (see ``copied_vault``)."""
    from tests.vault_copies import make_template

    return make_template(tmp_path_factory.mktemp("template"))


@pytest.fixture
def copied_vault(vault_template: Any, tmp_path: Path) -> Vault:
    """A locked copy of the module's vault: much quicker than creating a vault per test.

    A module uses it for every test by overriding ``vault`` with it."""
    from tests.vault_copies import copy_vault

    return copy_vault(vault_template, tmp_path / "vault")
