"""Copies of one freshly created vault, so that tests skip the schema migration.

Creating a vault runs the initial migration (~0.4 s); copying the files of a
vault made once and unlocking the copy costs a tenth of that. A copy is a
real vault: the same SQLCipher file and key slots, in its own folder.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from cme_desktop.services.vault.database import checkpoint
from cme_desktop.services.vault.secret_store import SecretStore
from cme_desktop.services.vault.unlock import Vault
from tests.support.credentials import FAST_SCRYPT, PASSPHRASE

NAME = "cases.cme"


@dataclass(frozen=True)
class Template:
    folder: Path
    recovery_key: str


def make_template(folder: Path) -> Template:
    """Create a vault in ``folder`` and lock it, its WAL folded into the file."""
    folder.mkdir(parents=True, exist_ok=True)
    created = Vault(folder / NAME, scrypt=FAST_SCRYPT).create(PASSPHRASE, actor="Test Officer")
    checkpoint(created.db)
    created.db.close()
    return Template(folder=folder, recovery_key=created.recovery_key)


def copy_vault(
    template: Template, folder: Path, *, secret_store: SecretStore | None = None
) -> Vault:
    """A locked copy of the template vault in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for suffix in ("", ".keys"):
        shutil.copy2(template.folder / (NAME + suffix), folder / (NAME + suffix))
    return Vault(folder / NAME, secret_store=secret_store, scrypt=FAST_SCRYPT)
