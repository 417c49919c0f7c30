"""``cme-desktop --self-test``: the window starts as an officer would see it, says so, and quits.

IT runs it on an installed copy (docs/packaging.md); the frozen build's test runs it
on the build. Here it runs from source, as a process of its own.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from cme_desktop.services.vault.unlock import Vault
from tests.support.credentials import FAST_SCRYPT, PASSPHRASE


def _self_test(vault: Path, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "cme_desktop", "--db", str(vault), "--self-test"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def test_on_a_vault_it_shows_the_unlock_screen_and_quits(tmp_path: Path) -> None:
    vault = Vault(tmp_path / "cases.cme", scrypt=FAST_SCRYPT)
    vault.create(PASSPHRASE, actor="Test Officer").db.close()

    done = _self_test(vault.path, tmp_path)

    assert done.returncode == 0, done.stderr
    assert done.stdout == "CME Desktop — locked: the unlock screen is shown.\n"
    assert "Traceback" not in done.stderr


def test_without_a_vault_it_shows_the_first_run_screen_and_creates_nothing(
    tmp_path: Path,
) -> None:
    path = tmp_path / "new" / "cases.cme"

    done = _self_test(path, tmp_path)

    assert done.returncode == 0, done.stderr
    assert done.stdout == "CME Desktop — locked: the first-run screen is shown.\n"
    assert not path.parent.exists()
