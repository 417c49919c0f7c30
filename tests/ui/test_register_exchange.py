"""File > Export register entry… and Import register entry…: from the menu, by keyboard,
a protected PDF out and back in (an update of the same child, after the officer's yes)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QMenu
from sqlalchemy import select

from cme_desktop.models import Case
from cme_desktop.services.register.entry import RegisterService
from cme_desktop.ui import background, prompts, register_exchange
from cme_desktop.ui.main_window import MainWindow
from tests.support.main_window import KNOWN_NAME, Prompts


def _known_case(window: MainWindow) -> int:
    services = window.services
    assert services is not None
    with services.db.read() as session:
        return int(session.scalars(select(Case.id).where(Case.full_name == KNOWN_NAME)).one())


def _file_menu(window: MainWindow) -> QMenu:
    return next(m for m in window.findChildren(QMenu) if m.title().replace("&", "") == "File")


def test_export_and_import_from_the_file_menu(
    qtbot: Any, window: MainWindow, asked: Prompts, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    export, imported = register_exchange.install(window)
    assert export in _file_menu(window).actions() and imported in _file_menu(window).actions()
    # Each has a mnemonic: Alt+F, then the underlined letter, reaches it without a mouse.
    assert "&" in export.text() and "&" in imported.text()
    case_id = _known_case(window)
    services = window.services
    assert services is not None
    RegisterService(services.db).put_on(case_id)
    window.desk.open_case(case_id)
    assert export.isEnabled()
    target = tmp_path / "entry"
    monkeypatch.setattr(prompts, "save_file", lambda *_a, **_k: target)

    export.trigger()
    qtbot.waitUntil(lambda: bool(asked.texts("info")) or bool(asked.texts("error")), timeout=20_000)
    assert asked.texts("error") == []
    saved = tmp_path / "entry.pdf"
    assert saved.exists() and KNOWN_NAME.encode() not in saved.read_bytes()
    text = asked.texts("info")[-1]
    password = text.split("\n\n")[1]
    assert "another channel" in text

    monkeypatch.setattr(prompts, "open_file", lambda *_a, **_k: saved)
    monkeypatch.setattr(prompts, "ask_password", lambda *_a, **_k: password)
    asked.shown.clear()
    imported.trigger()
    qtbot.waitUntil(lambda: bool(asked.texts("info")) or bool(asked.texts("error")), timeout=30_000)
    background.wait_for_all()
    assert asked.texts("error") == []
    assert any("Update that child's register entry" in t for t in asked.texts("confirm"))
    assert asked.texts("info")[-1].startswith("Updated the register entry of")


def test_a_wrong_password_is_said_and_nothing_written(
    qtbot: Any, window: MainWindow, asked: Prompts, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, imported = register_exchange.install(window)
    junk = tmp_path / "junk.pdf"
    junk.write_bytes(b"%PDF-1.7\nnot a real file")
    monkeypatch.setattr(prompts, "open_file", lambda *_a, **_k: junk)
    monkeypatch.setattr(prompts, "ask_password", lambda *_a, **_k: "whatever it is")
    imported.trigger()
    qtbot.waitUntil(lambda: bool(asked.texts("error")), timeout=30_000)
    assert "damaged" in asked.texts("error")[0]
    assert asked.texts("confirm") == []
