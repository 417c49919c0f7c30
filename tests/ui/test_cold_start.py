"""The cold start: the unlock screen is drawn before the rest of the program loads, the rest
loads once it is on screen, and PDF, Office and migration libraries only when first used."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QMenu

from cme_desktop.app import build_window
from cme_desktop.services.vault.unlock import Vault
from cme_desktop.ui.vault.unlock import UnlockPage
from tests.support.main_window import unlock

ROOT = Path(__file__).resolve().parents[2]
#: Loaded only when a document, a protected file or a schema upgrade is made.
LATER = ("reportlab", "pikepdf", "alembic", "docx", "msoffcrypto", "pypdf", "extract_msg")


def _loaded(script: str) -> list[str]:
    """Run ``script`` in a new Python; the heavy libraries it left loaded (last line)."""
    check = script + (
        "\nimport json, sys\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules} & "
        f"{set(LATER) | {'sqlalchemy'}!r})))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", check],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    loaded: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return loaded


def test_the_unlock_screen_s_modules_load_no_heavy_library() -> None:
    script = "import cme_desktop.app, cme_desktop.ui.main_window, cme_desktop.ui.vault.unlock\n"
    assert _loaded(script) == []


def test_after_the_start_and_an_unlock_documents_are_still_not_loaded(demo_vault: Vault) -> None:
    script = (
        "from cme_desktop.app import build_window, make_application\n"
        "from cme_desktop.services.vault.unlock import Vault\n"
        "from tests.support.credentials import FAST_SCRYPT, PASSPHRASE\n"
        "app = make_application(['test'])\n"
        f"window = build_window(Vault({str(demo_vault.path)!r}, scrypt=FAST_SCRYPT),"
        " start_later=True)\n"
        "window.show()\n"
        "window.finish_starting()\n"
        "db = window.vault.unlock(PASSPHRASE)\n"
        "window.gate.unlocked.emit(db)\n"
        "app.processEvents()\n"
        "assert window.desk.case_list.model.rowCount() > 0\n"
        "window.close()\n"
    )
    assert _loaded(script) == ["sqlalchemy"]


def test_the_rest_loads_once_the_unlock_screen_is_painted(qtbot: Any, demo_vault: Vault) -> None:
    window = build_window(demo_vault, start_later=True)
    qtbot.addWidget(window)
    assert isinstance(window.gate, UnlockPage)
    assert not window.is_started() and window._desk is None
    window.show()
    qtbot.waitUntil(window.is_started, timeout=10_000)
    assert window._desk is not None
    menus = {m.title().replace("&", ""): m for m in window.findChildren(QMenu)}
    texts = [a.text() for a in menus["File"].actions()]
    assert any("Import" in t for t in texts), texts  # the window's own feature
    assert "Reports" in menus  # one the composition root adds
    unlock(qtbot, window)
    assert window.desk.case_list.model.rowCount() > 0
    window.lock()


def test_an_unlock_before_the_start_is_over_finishes_it_first(
    qtbot: Any, demo_vault: Vault
) -> None:
    window = build_window(demo_vault, start_later=True)
    qtbot.addWidget(window)
    # Never painted (the steps have not begun): the officer's Enter comes first.
    unlock(qtbot, window)
    assert window.is_started()
    assert window.desk.case_list.model.rowCount() > 0
    assert window.desk.section_factories, "the sections added before the desk are kept"
    window.lock()
