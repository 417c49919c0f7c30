"""The idle lock never throws typing away silently: a warning a minute before, and what
was not saved kept as an encrypted draft in the vault, offered back after unlock."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialog

from cme_desktop.services.cases.case_list import CaseQuery
from cme_desktop.services.vault.unlock import Vault
from cme_desktop.ui import background
from cme_desktop.ui.dialogs import FormDialog, NewCaseDialog
from cme_desktop.ui.main_window import MainWindow
from cme_desktop.ui.referral import page as referral_page
from cme_desktop.ui.referral.new_case import NewCaseFromReferralDialog
from cme_desktop.ui.referral.page import ReferralsPage
from cme_desktop.ui.vault.lock import IdleWatcher
from cme_desktop.ui.workspace.tasks import TaskDialog
from cme_desktop.ui.workspace.workspace import CaseWorkspace
from tests.support.main_window import KNOWN_NAME, Prompts, make_window, unlock

TYPED_AKA = "Quillon Marbury-Stott"
TYPED_REFERRAL = "seen near Grindlewick lock gates"
TYPED_CHILD = "Philippa Yarrowmoor"


def _text_in_files(folder: Path, text: str) -> list[str]:
    """The files under ``folder`` whose raw bytes hold ``text`` (UTF-8 or UTF-16)."""
    needles = [text.encode(e) for e in ("utf-8", "utf-16-le", "utf-16-be")]
    return [
        p.name
        for p in folder.rglob("*")
        if p.is_file() and any(n in p.read_bytes() for n in needles)
    ]


def _window(qtbot: Any, vault: Vault, idle_ms: int) -> MainWindow:
    window = make_window(vault, idle_lock_ms=idle_ms)
    referral_page.install(window)  # the Referrals section and New case from a notification
    qtbot.addWidget(window)
    window.show()
    unlock(qtbot, window)
    return window


@pytest.fixture
def slow_idle(qtbot: Any, demo_vault: Vault, asked: Prompts) -> Any:
    """A window that locks after 1.2 s without input (the warning comes at 0.6 s)."""
    window = _window(qtbot, demo_vault, 1_200)
    yield window
    background.wait_for_all()
    asked.save_answer = "discard"
    window.close()


def _known(window: MainWindow) -> CaseWorkspace:
    services = window.services
    assert services is not None
    case_id = services.case_list.matching_ids(CaseQuery(search=KNOWN_NAME, quick="all"))[0]
    workspace = window.desk.open_case(case_id)
    assert workspace is not None
    return workspace


def test_the_warning_comes_a_minute_before_or_half_way() -> None:
    assert IdleWatcher(10 * 60_000).warn_before_ms == 60_000
    assert IdleWatcher(60_000).warn_before_ms == 30_000


def test_the_warning_shows_without_taking_the_keyboard_and_a_key_keeps_working(
    qtbot: Any, slow_idle: MainWindow
) -> None:
    window = slow_idle
    search = window.desk.case_list.search
    search.setFocus()
    notice = window.idle_notice
    qtbot.waitUntil(notice.isVisible, timeout=3_000)
    assert "locks in" in notice.text.text() and "kept, encrypted" in notice.text.text()
    assert window.idle.is_warning() and not window.is_locked()
    assert window.focusWidget() is search  # the notice took no focus
    # The officer comes back and types: the key goes to the search box and keeps them in.
    qtbot.keyClick(window.windowHandle(), Qt.Key.Key_Q)
    assert search.text() == "q"
    assert not notice.isVisible() and not window.idle.is_warning()
    assert not window.is_locked()


def test_keep_working_by_keyboard_restarts_the_idle_time(qtbot: Any, slow_idle: MainWindow) -> None:
    window = slow_idle
    notice = window.idle_notice
    qtbot.waitUntil(notice.isVisible, timeout=3_000)
    button = notice.button
    assert button.focusPolicy() & Qt.FocusPolicy.TabFocus
    assert button.text() == "&Keep working"
    button.setFocus()
    QTest.keyClick(button, Qt.Key.Key_Space)
    assert not notice.isVisible()
    assert window.idle.is_running() and window.idle.interval_ms - 50 < 1_200
    qtbot.wait(800)  # past the moment the vault would have locked without it
    assert not window.is_locked()
    qtbot.waitUntil(window.is_locked, timeout=5_000)  # and it does lock later


def test_unsaved_edits_are_kept_encrypted_and_offered_back(
    qtbot: Any,
    slow_idle: MainWindow,
    asked: Prompts,
    demo_vault: Vault,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window = slow_idle
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))  # any temporary file lands here
    workspace = _known(window)
    workspace.details.widgets["aka"].setText(TYPED_AKA)
    page = workspace.sections.widget(workspace.sections.count() - 1)
    assert isinstance(page, ReferralsPage)
    page.editor.fields["additional_information"].setPlainText(TYPED_REFERRAL)
    assert workspace.is_dirty()
    case_id = workspace.case_id

    qtbot.waitUntil(window.is_locked, timeout=5_000)
    assert asked.titles("save_discard_cancel") == []  # nobody was asked: nobody is there
    # Kept in the vault, encrypted: no file holds the typing, not the vault, not its WAL.
    folder = demo_vault.path.parent
    assert _text_in_files(folder, TYPED_AKA) == []
    assert _text_in_files(folder, TYPED_REFERRAL) == []
    assert _text_in_files(temp, TYPED_AKA) == [] and _text_in_files(temp, TYPED_REFERRAL) == []
    settings = Path(QSettings().fileName())  # nor the system's settings of the program
    if settings.exists():
        assert TYPED_AKA.encode() not in settings.read_bytes()

    unlock(qtbot, window)
    qtbot.waitUntil(lambda: asked.titles("restore_or_discard") != [], timeout=5_000)
    [question] = asked.texts("restore_or_discard")
    assert KNOWN_NAME in question and "unsaved changes" in question
    restored = window.desk.workspace(case_id)
    assert restored is not None and restored.is_dirty()
    assert restored.details.widgets["aka"].text() == TYPED_AKA
    page = restored.sections.widget(restored.sections.count() - 1)
    assert isinstance(page, ReferralsPage) and page.is_modified()
    assert page.editor.fields["additional_information"].toPlainText() == TYPED_REFERRAL
    services = window.services
    assert services is not None
    assert services.drafts.pending() == []  # restored: the draft is gone from the vault
    assert services.cases.get(case_id).draft.aka == ""  # and nothing was saved unasked
    assert restored.save()
    assert services.cases.get(case_id).draft.aka == TYPED_AKA


@pytest.mark.parametrize("answer", ["discard", "later"])
def test_discard_deletes_the_draft_and_later_keeps_it(
    qtbot: Any, slow_idle: MainWindow, asked: Prompts, answer: str
) -> None:
    window = slow_idle
    workspace = _known(window)
    workspace.details.widgets["aka"].setText(TYPED_AKA)
    case_id = workspace.case_id
    qtbot.waitUntil(window.is_locked, timeout=5_000)
    asked.restore_answer = answer
    unlock(qtbot, window)
    qtbot.waitUntil(lambda: asked.titles("restore_or_discard") != [], timeout=5_000)
    again = window.desk.workspace(case_id)
    assert again is not None and again.details.widgets["aka"].text() == ""
    assert not again.is_dirty()
    services = window.services
    assert services is not None
    kept = services.drafts.pending()
    if answer == "discard":
        assert kept == []
    else:
        assert [d.key for d in kept] == [f"case:{case_id}"]
        assert kept[0].data["details"]["aka"] == TYPED_AKA


def test_a_notification_being_typed_is_kept_without_asking(
    qtbot: Any, slow_idle: MainWindow, asked: Prompts
) -> None:
    window = slow_idle

    def type_child() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, NewCaseFromReferralDialog)
        dialog.editor.fields["children.full_name"].setText(TYPED_CHILD)
        # No key after this: the vault locks with the dialog open, and closes it unasked.

    QTimer.singleShot(50, type_child)
    with qtbot.waitSignal(window.vault_locked, timeout=5_000):
        qtbot.keyClick(
            window,
            Qt.Key.Key_N,
            Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
        )
    assert asked.titles("confirm") == []  # not "Discard the notification?" to nobody

    reopened: list[NewCaseFromReferralDialog] = []

    def look_at_it() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, NewCaseFromReferralDialog):
            QTimer.singleShot(20, look_at_it)
            return
        reopened.append(dialog)
        assert dialog.editor.is_modified()
        dialog.done(QDialog.DialogCode.Rejected)

    QTimer.singleShot(0, look_at_it)
    unlock(qtbot, window)
    qtbot.waitUntil(lambda: bool(reopened), timeout=5_000)
    assert "a new case from a notification" in asked.texts("restore_or_discard")[0]
    assert reopened[0].editor.referral()["children"][0]["full_name"] == TYPED_CHILD
    services = window.services
    assert services is not None and services.drafts.pending() == []


def _reopened_with(kind: type[QDialog], seen: list[QDialog]) -> None:
    """Record the next dialog of ``kind`` to open, then close it unsaved."""

    def look() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, kind):
            QTimer.singleShot(20, look)
            return
        seen.append(dialog)
        QTimer.singleShot(0, lambda: dialog.done(QDialog.DialogCode.Rejected))

    QTimer.singleShot(0, look)


@pytest.mark.parametrize(
    ("keys", "kind"),
    [
        ((Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier), TaskDialog),
        ((Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier), NewCaseDialog),
    ],
    ids=["add-task", "new-case"],
)
def test_a_dialog_being_typed_in_opens_again_with_the_typing(
    qtbot: Any, slow_idle: MainWindow, asked: Prompts, keys: Any, kind: type[FormDialog]
) -> None:
    window = slow_idle
    _known(window)

    def type_in() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, kind)
        QTest.keyClicks(dialog.focusWidget(), TYPED_AKA)
        # Nothing more: the vault locks with the dialog open, and closes it unasked.

    QTimer.singleShot(50, type_in)
    with qtbot.waitSignal(window.vault_locked, timeout=5_000):
        qtbot.keyClick(window, *keys)
    seen: list[QDialog] = []
    _reopened_with(kind, seen)
    unlock(qtbot, window)
    qtbot.waitUntil(lambda: bool(seen), timeout=5_000)
    dialog = seen[0]
    assert isinstance(dialog, FormDialog)
    assert TYPED_AKA in dialog.values().values()
    services = window.services
    assert services is not None and services.drafts.pending() == []


def test_the_warning_stands_over_a_dialog_and_outlives_it(
    qtbot: Any, slow_idle: MainWindow
) -> None:
    window = slow_idle
    workspace = _known(window)
    dialog = TaskDialog(workspace, workspace.ctx)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    qtbot.waitExposed(dialog)
    notice = window.idle_notice
    qtbot.waitUntil(notice.isVisible, timeout=3_000)
    assert notice.parentWidget() is dialog  # on top of the dialog, not hidden behind it
    qtbot.keyClick(dialog.windowHandle(), Qt.Key.Key_A)  # typing in the dialog counts
    assert dialog.title.text() == "a"
    assert not notice.isVisible() and notice.parentWidget() is window
    dialog.close()
    qtbot.wait(50)  # the dialog is deleted; the notice is not
    qtbot.waitUntil(notice.isVisible, timeout=3_000)
    assert notice.parentWidget() is window
