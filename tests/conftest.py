"""Shared fixtures: real SQLCipher vaults in tmp_path, Qt offscreen."""

from __future__ import annotations

import os
import tempfile

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_QUICK_BACKEND", "software")
# The logs the programs write (services.diagnostics) go to a folder of this run, for the
# programs the tests start as processes too, never to the user's own log folder.
os.environ["XDG_STATE_HOME"] = tempfile.mkdtemp(prefix="cme-test-state-")

from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from cme_desktop.services.vault.database import Database  # noqa: E402
from cme_desktop.services.vault.unlock import Vault  # noqa: E402
from tests.support.credentials import FAST_SCRYPT, PASSPHRASE  # noqa: E402
from tests.support.vault_copies import Template, copy_vault, make_template  # noqa: E402


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
def vault_template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    """One vault made per test module, to be copied (see ``copied_vault``)."""
    return make_template(tmp_path_factory.mktemp("template"))


@pytest.fixture
def copied_vault(vault_template: Template, tmp_path: Path) -> Vault:
    """A locked copy of the module's vault: much quicker than creating a vault per test.

    A module uses it for every test by overriding ``vault`` with it."""
    return copy_vault(vault_template, tmp_path / "vault")


# PostgreSQL (the shared server): a fresh database per test, and ``engine_db`` over both.
from tests.support.postgres import (  # noqa: E402, F401
    engine_db,
    postgres_empty_url,
    postgres_server,
    postgres_template,
    postgres_url,
    server_db,
)
