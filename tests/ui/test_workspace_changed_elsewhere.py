"""A save refused because someone else saved the case first: who, when, what, and the choice
between reloading theirs and keeping one's own changes on top of it."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from cme_desktop.ui import prompts
from cme_desktop.ui.main_window import MainWindow
from cme_desktop.ui.workspace.workspace import CaseWorkspace
from tests.support.main_window import KNOWN_NAME, Prompts


def _open_known(window: MainWindow) -> CaseWorkspace:
    panel = window.desk.case_list
    panel.search.setText(KNOWN_NAME)
    panel.apply_filters()
    case_id = panel.model.case_id(0)
    assert case_id is not None
    workspace = window.desk.open_case(case_id)
    assert workspace is not None and workspace.detail is not None
    return workspace


def _saved_by_someone_else(window: MainWindow, workspace: CaseWorkspace) -> None:
    """Another officer saves the school (no notice reaches this window)."""
    services = window.services
    assert services is not None and workspace.detail is not None
    services.cases.update(
        workspace.case_id,
        draft=replace(workspace.detail.draft, school="Their School"),
        version=workspace.detail.version,
    )


@pytest.fixture
def choices(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    return []


def _answer(monkeypatch: pytest.MonkeyPatch, shown: list[tuple[str, str]], answer: str) -> None:
    def reload_or_keep(_parent: Any, title: str, text: str) -> str:
        shown.append((title, text))
        return answer

    monkeypatch.setattr(prompts, "reload_or_keep", reload_or_keep)


def test_keep_my_changes_saves_them_on_top_of_theirs(
    qtbot: Any,
    window: MainWindow,
    asked: Prompts,
    monkeypatch: pytest.MonkeyPatch,
    choices: list[tuple[str, str]],
) -> None:
    workspace = _open_known(window)
    _saved_by_someone_else(window, workspace)
    workspace.details.widgets["aka"].setText("My nickname")
    _answer(monkeypatch, choices, "keep")
    assert workspace.save(), asked.shown
    ((title, text),) = choices
    assert title == "Save the case"
    assert window.services is not None
    who = window.services.db.actor
    assert f"changed elsewhere since you opened it: by {who} at " in text
    assert "(school)" in text
    assert workspace.detail is not None
    # Mine (the nickname) on top of theirs (the school): neither is lost.
    assert workspace.detail.draft.aka == "My nickname"
    assert workspace.detail.draft.school == "Their School"


def test_reload_shows_theirs_and_drops_mine(
    qtbot: Any,
    window: MainWindow,
    asked: Prompts,
    monkeypatch: pytest.MonkeyPatch,
    choices: list[tuple[str, str]],
) -> None:
    workspace = _open_known(window)
    _saved_by_someone_else(window, workspace)
    workspace.details.widgets["aka"].setText("My nickname")
    _answer(monkeypatch, choices, "reload")
    assert not workspace.save()
    assert workspace.detail is not None
    assert workspace.detail.draft.school == "Their School"
    assert workspace.details.widgets["school"].text() == "Their School"
    assert workspace.details.widgets["aka"].text() != "My nickname"


def test_cancel_keeps_the_form_as_typed(
    qtbot: Any,
    window: MainWindow,
    asked: Prompts,
    monkeypatch: pytest.MonkeyPatch,
    choices: list[tuple[str, str]],
) -> None:
    workspace = _open_known(window)
    _saved_by_someone_else(window, workspace)
    workspace.details.widgets["aka"].setText("My nickname")
    _answer(monkeypatch, choices, "cancel")
    assert not workspace.save()
    assert workspace.details.widgets["aka"].text() == "My nickname"
    assert len(choices) == 1
