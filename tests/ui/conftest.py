"""Fixtures for the desktop tests: a real vault with synthetic cases, the main window,
and ``prompts`` replaced by a recorder that gives scripted answers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from cme_desktop.services.cases import demo
from cme_desktop.services.cases.detail import CaseDraft
from cme_desktop.services.cases.service import CaseService
from cme_desktop.services.vault.database import checkpoint
from cme_desktop.services.vault.unlock import Vault
from cme_desktop.ui import background, prompts
from cme_desktop.ui.main_window import MainWindow
from tests.support.credentials import FAST_SCRYPT, PASSPHRASE
from tests.support.main_window import KNOWN_NAME, Prompts, make_window, unlock
from tests.support.vault_copies import NAME, Template, copy_vault


@pytest.fixture
def asked(monkeypatch: pytest.MonkeyPatch) -> Prompts:
    """Replace every message box and dialog of ``prompts`` with a recorder."""
    record = Prompts()

    def note(kind: str) -> Any:
        def show(_parent: Any, title: str, text: Any = "", *args: Any, **kwargs: Any) -> None:
            message = getattr(text, "message", str(text))
            record.shown.append((kind, title, message))

        return show

    monkeypatch.setattr(prompts, "info", note("info"))
    monkeypatch.setattr(prompts, "warn", note("warn"))
    monkeypatch.setattr(prompts, "error", note("error"))

    def confirm(_parent: Any, title: str, text: str, **_kw: Any) -> bool:
        record.shown.append(("confirm", title, text))
        return record.confirm_answer

    def save_discard_cancel(_parent: Any, title: str, text: str) -> str:
        record.shown.append(("save_discard_cancel", title, text))
        return record.save_answer

    def ask_text(_parent: Any, title: str, label: str, value: str = "") -> str | None:
        record.shown.append(("ask_text", title, label))
        return record.text_answer

    def choose_printer(_parent: Any, title: str, **_kw: Any) -> Any:
        record.shown.append(("printer", title, ""))
        return record.printer

    def ask_protection(_parent: Any, title: str, text: str) -> bool | None:
        record.shown.append(("protection", title, text))
        return record.protect_answer

    def restore_or_discard(_parent: Any, title: str, text: str) -> str:
        record.shown.append(("restore_or_discard", title, text))
        return record.restore_answer

    monkeypatch.setattr(prompts, "restore_or_discard", restore_or_discard)
    monkeypatch.setattr(prompts, "confirm", confirm)
    monkeypatch.setattr(prompts, "save_discard_cancel", save_discard_cancel)
    monkeypatch.setattr(prompts, "ask_text", ask_text)
    monkeypatch.setattr(prompts, "choose_printer", choose_printer)
    monkeypatch.setattr(prompts, "ask_protection", ask_protection)
    return record


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    """One vault with 60 synthetic cases and one known open case, made once per run."""
    folder = tmp_path_factory.mktemp("demo-template")
    vault = Vault(folder / NAME, scrypt=FAST_SCRYPT)
    created = vault.create(PASSPHRASE, actor="Test Officer")
    try:
        demo.fill(created.db, cases=60, seed=7)
        CaseService(created.db).create(
            draft=CaseDraft(
                full_name=KNOWN_NAME,
                date_of_birth=date(2015, 3, 4),
                school="Larkrise Primary School",
                last_known_address="1 Test Row\nTesttown\nTT1 1TT",
            )
        )
        checkpoint(created.db)
    finally:
        created.db.close()
    return Template(folder=folder, recovery_key=created.recovery_key)


@pytest.fixture
def demo_vault(demo_template: Template, tmp_path: Path) -> Vault:
    """A locked copy of the demo vault for one test."""
    return copy_vault(demo_template, tmp_path / "vault")


@pytest.fixture
def window(qtbot: Any, demo_vault: Vault, asked: Prompts) -> Iterator[MainWindow]:
    """The main window, unlocked on the demo vault."""
    win = make_window(demo_vault)
    qtbot.addWidget(win)
    win.show()
    unlock(qtbot, win)
    yield win
    background.wait_for_all()
    if not win.is_locked():
        asked.save_answer = "discard"
        win.close()
