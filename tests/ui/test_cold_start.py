"""The cold start: the unlock screen is drawn before the rest of the program loads, the rest
loads once it is on screen, and PDF, Office and migration libraries only when first used."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMenu

import cme_desktop
from cme_desktop.app import build_window
from cme_desktop.services.vault.unlock import Vault
from cme_desktop.ui.main_window import MainWindow
from cme_desktop.ui.vault.unlock import UnlockPage
from tests.support.credentials import PASSPHRASE, MemorySecretStore
from tests.support.main_window import unlock

ROOT = Path(__file__).resolve().parents[2]
#: Loaded only when a document, a protected file or a schema upgrade is made.
LATER = ("reportlab", "pikepdf", "alembic", "docx", "msoffcrypto", "pypdf", "extract_msg")


def _last_line(script: str) -> str:
    """Run ``script`` in a new Python, as the application starts; the last line it printed."""
    done = subprocess.run(
        [sys.executable, "-c", script],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    return done.stdout.strip().splitlines()[-1]


def _loaded(script: str) -> list[str]:
    """Run ``script`` in a new Python; the heavy libraries it left loaded."""
    check = script + (
        "\nimport json, sys\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules} & "
        f"{set(LATER) | {'sqlalchemy'}!r})))\n"
    )
    loaded: list[str] = json.loads(_last_line(check))
    return loaded


def test_the_unlock_screen_s_modules_load_no_heavy_library() -> None:
    script = "import cme_desktop.app, cme_desktop.ui.main_window, cme_desktop.ui.vault.unlock\n"
    assert _loaded(script) == []


def test_the_version_is_told_without_loading_the_installed_metadata() -> None:
    """``--version`` and the log's first line name the version from the package: loading
    ``importlib.metadata`` (and the email package under it) cost the start ~30 ms."""
    script = (
        "import cme_desktop.app, cme_desktop.ui.main_window, cme_desktop.ui.vault.unlock\n"
        "from cme_desktop.services import diagnostics\n"
        "line = diagnostics.version_line()\n"
        "import sys\n"
        "print(line, 'importlib.metadata' in sys.modules)\n"
    )
    assert _last_line(script) == f"CME Desktop {cme_desktop.__version__} False"


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


def _unlock_now(window: MainWindow) -> None:
    """The vault opened and the window told, with no turn of the event loop between."""
    db = window.vault.unlock(PASSPHRASE)
    assert isinstance(window.gate, UnlockPage)
    window.gate.unlocked.emit(db)


def test_an_unlock_before_the_start_is_over_shows_the_list_then_the_rest(
    qtbot: Any, demo_vault: Vault
) -> None:
    window = build_window(demo_vault, start_later=True)
    qtbot.addWidget(window)
    unlocks: list[bool] = []
    # A feature that acts on each unlock, installed with the others.
    window.later(lambda: window.on_unlock(lambda: unlocks.append(window.is_started())))
    # Never painted (the steps have not begun): the officer's Enter comes first.
    _unlock_now(window)
    assert window.desk.case_list.model.rowCount() > 0
    assert not window.is_started(), "the list is shown before the features load"
    window.show()
    qtbot.waitUntil(window.is_started, timeout=10_000)
    assert window.desk.section_factories, "the sections added before the desk are kept"
    menus = {m.title().replace("&", ""): m for m in window.findChildren(QMenu)}
    assert "Reports" in menus
    # The unlock under way when the feature came is told to it, once.
    qtbot.waitUntil(lambda: len(unlocks) == 1, timeout=5_000)
    window.lock()
    unlock(qtbot, window)
    qtbot.waitUntil(lambda: len(unlocks) == 2, timeout=5_000)
    window.lock()


def test_a_shortcut_pressed_before_the_features_are_in_is_not_lost(
    qtbot: Any, demo_vault: Vault
) -> None:
    window = build_window(demo_vault, start_later=True)
    qtbot.addWidget(window)
    window.show()
    pressed: list[str] = []

    def install() -> None:
        action = QAction("Late feature", window)
        action.setShortcut(QKeySequence("Ctrl+Shift+F11"))
        action.triggered.connect(lambda: pressed.append("late"))
        window.add_action("Tools", action)

    window.later(install)
    _unlock_now(window)
    assert not window.is_started()
    handle = window.windowHandle()
    assert handle is not None
    # Through the window, as a key from the keyboard comes: shortcuts are tried first.
    QTest.keyClick(
        handle,
        Qt.Key.Key_F11,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert window.is_started(), "the key brought every feature in first"
    assert pressed == ["late"]
    window.lock()


def test_the_unlocking_thread_waits_for_the_modules_the_window_loads(
    qtbot: Any, demo_vault: Vault
) -> None:
    window = build_window(demo_vault, start_later=True)
    qtbot.addWidget(window)
    page = window.gate
    assert isinstance(page, UnlockPage)
    page.passphrase.setText(PASSPHRASE)
    page.unlock()
    assert page.busy
    # The derivation runs on its own thread; the vault's modules load on this one, and
    # only then does the database open.
    qtbot.waitUntil(lambda: not window.is_locked(), timeout=10_000)
    assert window._vault_modules.is_set()
    window.lock()


def _started(demo_vault: Vault, monkeypatch: Any, store: MemorySecretStore) -> Any:
    """``app.running`` on ``demo_vault``, with ``store`` as the system credential store."""
    from cme_desktop import app as desktop

    looked: list[str] = []

    def found() -> MemorySecretStore:
        looked.append("store")
        return store

    monkeypatch.setattr(desktop, "system_secret_store", found)
    return desktop.running(["--db", str(demo_vault.path)]), looked


def test_the_credential_store_is_looked_for_after_the_start_and_remember_then_offered(
    qtbot: Any, demo_vault: Vault, monkeypatch: Any
) -> None:
    running, looked = _started(demo_vault, monkeypatch, MemorySecretStore())
    with running as started:
        window = started.window
        qtbot.addWidget(window)
        page = window.gate
        assert isinstance(page, UnlockPage)
        # Not remembered here: the window is shown without waiting for the store.
        assert looked == [] and window.vault.secret_store is None
        assert not page.remember.isVisibleTo(page)
        qtbot.waitUntil(window.is_started, timeout=10_000)
        assert looked == ["store"]
        assert page.remember.isVisibleTo(page), "offered once a secure store is found"
        window.close()


def test_a_vault_remembered_here_finds_the_store_before_the_window(
    qtbot: Any, demo_vault: Vault, monkeypatch: Any
) -> None:
    store = MemorySecretStore()
    demo_vault.secret_store = store
    db = demo_vault.unlock(PASSPHRASE)
    demo_vault.remember(db)
    db.close()
    running, looked = _started(demo_vault, monkeypatch, store)
    with running as started:
        window = started.window
        qtbot.addWidget(window)
        assert looked == ["store"] and window.vault.secret_store is store
        page = window.gate
        assert isinstance(page, UnlockPage)
        assert page.remembered_button.isVisibleTo(page)
        assert not page.remember.isVisibleTo(page), "remembered already"
        qtbot.waitUntil(window.is_started, timeout=10_000)
        assert looked == ["store"], "looked for once"
        window.close()
