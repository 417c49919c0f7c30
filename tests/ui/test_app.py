"""The composition root: every feature is on the window, and the month is saved on unlock."""

from __future__ import annotations

from typing import Any

from cme_desktop.app import build_window
from cme_desktop.services.vault import Vault
from cme_desktop.ui import background
from tests.ui.conftest import Prompts, unlock


def _actions(window: Any) -> dict[str, Any]:
    return {a.text().replace("&", ""): a for a in window.findChildren(type(window.actions()[0]))}


def test_the_window_offers_every_feature_and_saves_the_month(
    qtbot: Any, demo_vault: Vault, asked: Prompts
) -> None:
    window = build_window(demo_vault)
    qtbot.addWidget(window)
    window.show()
    unlock(qtbot, window)
    services = window.services
    assert services is not None

    texts = set(_actions(window))
    for wanted in (
        "Reports and monthly saves…",
        "Escalation questions (Police / social care)…",
        "Print visit sheets…",
        "New case from a notification…",
    ):
        assert wanted in texts, f"{wanted} is missing from the window"
    assert any(t.startswith("Export referral") for t in texts)
    assert any(t.startswith("Import") for t in texts)

    # The first unlock in a month saves the central record (policy 8.3), in the background.
    qtbot.waitUntil(lambda: not services.backups.due(), timeout=20_000)
    background.wait_for_all()
    saves = services.backups.saves()
    assert len(saves) == 1 and saves[0].backup_exists
    asked.save_answer = "discard"
    window.close()
