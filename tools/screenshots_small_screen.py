"""Screenshots of the window on a 1366x768 laptop screen (part of ``make screenshots``).

The window and every dialog take their size from the screen (``ui/screen_fit.py``); these
pictures show them at 1366x768 with a taskbar: the import review with Import and Skip
in sight, the escalation questions answered from the keyboard, Add task typed into the
moment it opened, the idle-lock warning and the unsaved changes offered back after
unlocking. Dialogs are drawn over the window as they appear on screen.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QRect, Qt, QTimer
from PySide6.QtGui import QColor, QPainter, QPixmap
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox, QWidget

from cme_desktop.services.importing.result import ParsedReferral
from cme_desktop.services.referral.record import empty_referral
from cme_desktop.services.vault.unlock import Vault
from cme_desktop.ui import screen_fit
from cme_desktop.ui.escalation_wizard import EscalationWizard, QuestionPage
from cme_desktop.ui.importing.review import ImportReview
from cme_desktop.ui.main_window import MainWindow
from tools.screenshots import OUT, pick_case, settle, unlock, window_on

#: A 1366x768 screen less a 40-pixel taskbar.
LAPTOP = QRect(0, 0, 1366, 728)


def save_over(window: QWidget, on_top: QWidget | None, name: str) -> None:
    """Save ``window`` with ``on_top`` (a dialog or notice) drawn where it stands."""
    picture = window.grab()
    if on_top is not None:
        painter = QPainter(picture)
        where = on_top.frameGeometry().topLeft() - window.frameGeometry().topLeft()
        painter.drawPixmap(where, on_top.grab())
        painter.setPen(QColor("#5f6368"))  # the edge a window manager would draw
        painter.drawRect(QRect(where, on_top.size()).adjusted(0, 0, -1, -1))
        painter.end()
    _write(picture, name)


def _write(picture: QPixmap, name: str) -> None:
    path = OUT / name
    picture.save(str(path))
    print(f"  {path.relative_to(OUT.parent.parent)}")


def when_open(act: Callable[[QDialog], None]) -> None:
    """Run ``act`` on the next modal dialog once it is on screen."""

    def poll() -> None:
        dialog = QApplication.activeModalWidget()
        if isinstance(dialog, QDialog) and dialog.isVisible():
            act(dialog)
        else:
            QTimer.singleShot(20, poll)

    QTimer.singleShot(0, poll)


def shots(app: QApplication, vault: Vault) -> None:
    """The pictures of the window on a laptop screen."""
    real_area = screen_fit.available_area
    screen_fit.available_area = lambda _widget=None: QRect(LAPTOP)
    try:
        window = window_on(vault, (LAPTOP.width() - 16, LAPTOP.height() - 40))
        window.move(0, 0)
        unlock(app, window)
        _review(app, window)
        case_id = pick_case(window)
        workspace = window.desk.open_case(case_id)
        assert workspace is not None
        settle(app)
        _typed_task(app, window)
        _wizard(app, window, case_id)
        _idle_lock(app, window)
        window.close()
    finally:
        screen_fit.available_area = real_area


def _review(app: QApplication, window: MainWindow) -> None:
    services = window.services
    assert services is not None
    case_id = pick_case(window)
    stored = services.referrals.for_case(case_id)
    if stored:
        record = stored[0].data
    else:
        # A form naming this case's child, so the review finds the case beside it.
        detail = services.cases.get(case_id)
        record = empty_referral()
        child = record["children"][0]
        child["full_name"] = detail.full_name
        born = detail.draft.date_of_birth
        child["date_of_birth"] = born.isoformat() if born else None
        record["school"] = detail.draft.school
        record["last_known_address"] = detail.draft.last_known_address
    parsed = ParsedReferral(
        referral=record,
        source="Referral from Larkrise Primary School.docx",
        uncertain=("children.0.date_of_birth", "children.0.child_in_care"),
    )
    review = ImportReview(window, services, parsed)
    review.show()
    settle(app, 400)
    save_over(window, review, "import-review.png")
    review.done(0)


def _typed_task(app: QApplication, window: MainWindow) -> None:
    def type_and_shoot(dialog: QDialog) -> None:
        for ch in "Revisit 503 Declan Street after 4pm":
            QTest.keyClick(dialog.focusWidget() or dialog, ch)
        settle(app)
        save_over(window, dialog, "add-task-typed-at-once.png")
        dialog.done(0)

    when_open(type_and_shoot)
    window.task_action.trigger()  # Ctrl+T
    settle(app)


def _wizard(app: QApplication, window: MainWindow, case_id: int) -> None:
    services = window.services
    assert services is not None
    wizard = EscalationWizard(services, case_id, window)
    wizard.show()
    settle(app)
    page = wizard.currentPage()
    assert isinstance(page, QuestionPage)
    rows = [row for row in page.choices.values() if row.isVisible()]
    for row, steps in zip(rows, (1, 2, 0, 1), strict=False):
        row.buttons[0].setFocus()
        for _ in range(steps):
            QTest.keyClick(wizard.focusWidget(), Qt.Key.Key_Right)
        QTest.keyClick(wizard.focusWidget(), Qt.Key.Key_Space)
    if len(rows) > 1:
        rows[1].buttons[2].setFocus()  # the focus shows where the keyboard is
    settle(app)
    save_over(window, wizard, "escalation-wizard-1-police.png")
    wizard.done(0)


def _idle_lock(app: QApplication, window: MainWindow) -> None:
    workspace = window.desk.current_workspace()
    assert workspace is not None
    workspace.show_section("people")
    workspace.sections.setCurrentIndex(0)
    workspace.details.widgets["aka"].setText("Jay")
    settle(app)
    window.idle_notice.show_warning(60_000)
    settle(app)
    save_over(window, window.idle_notice, "idle-lock-warning.png")
    window.lock_idle()
    settle(app)

    def shoot_offer(dialog: QDialog) -> None:
        settle(app, 300)
        save_over(window, dialog, "unsaved-changes-kept.png")
        if isinstance(dialog, QMessageBox) and dialog.defaultButton() is not None:
            dialog.defaultButton().click()
        else:
            dialog.done(0)

    when_open(shoot_offer)
    unlock(app, window)
    settle(app, 500)
    save_over(window, None, "unsaved-changes-restored.png")
    restored = window.desk.current_workspace()
    if restored is not None:
        restored.details.clear()  # the picture's edit is not kept: the window closes unasked
