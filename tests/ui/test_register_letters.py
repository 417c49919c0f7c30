"""Case > Letter…, the register's letters: "To:" lists the register's parents, one letter
per home address, chosen by keyboard, each filled for them and noted as sent to them;
with no parent on the register the letter is to the carers and the dialog says so."""

from __future__ import annotations

from datetime import date
from typing import Any

from faker import Faker
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialog

from cme_desktop.services.register.entry import NewChild, ParentDraft, RegisterService
from cme_desktop.ui.letters import LetterDialog
from cme_desktop.ui.main_window import MainWindow
from tests.support.main_window import Prompts

fake = Faker("en_GB")
Faker.seed(4374)
MOTHER, FATHER = fake.name(), fake.name()
HOME, FATHER_HOME = fake.address(), fake.address()


def _child(window: MainWindow, *parents: ParentDraft) -> int:
    services = window.services
    assert services is not None
    register = RegisterService(services.db)
    case_id = register.register_new(
        NewChild(fake.name(), date_of_birth=date(2015, 6, 7), home_address=HOME)
    )
    record = register.get(case_id)
    assert record is not None
    register.save(
        case_id, version=record.version, entry=record.entry, parents=parents, providers=()
    )
    return case_id


def _choose(dialog: LetterDialog, name: str) -> None:
    dialog.template.setCurrentIndex(dialog.template.findData(name))


def test_one_letter_to_each_parent_s_home_chosen_by_keyboard(
    qtbot: Any, window: MainWindow, asked: Prompts
) -> None:
    services = window.services
    assert services is not None
    case_id = _child(window, ParentDraft(MOTHER, HOME), ParentDraft(FATHER, FATHER_HOME))
    dialog = LetterDialog(services, case_id, window)
    qtbot.addWidget(dialog)
    dialog.show()
    assert not dialog.to.isVisibleTo(dialog)  # the CME letter first: to the carers
    _choose(dialog, "register-information-request")
    assert dialog.to.isVisibleTo(dialog)
    assert dialog.to.accessibleName() == "Addressed to"
    assert dialog.to.count() == 2 and "2 addresses" in dialog.to.toolTip()
    assert not dialog.to_note.isVisibleTo(dialog)
    assert f"Dear {MOTHER}," in dialog.text.toPlainText()
    # Alt+O to "To:", then the arrow key: the father's letter.
    dialog.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog)
    QTest.keyClick(dialog, Qt.Key.Key_O, Qt.KeyboardModifier.AltModifier)
    assert dialog.focusWidget() is dialog.to
    QTest.keyClick(dialog.to, Qt.Key.Key_Down)
    text = dialog.text.toPlainText()
    assert f"Dear {FATHER}," in text and MOTHER not in text
    chosen = dialog.chosen_to()
    assert chosen is not None and chosen.names == (FATHER,)
    # As Print notes it, once the printer took it.
    services.letters.printed(case_id, dialog.chosen(), chosen)
    entries = services.cases.get(case_id).timeline
    assert any(
        e.summary == f"Letter sent: Register: request for information to {FATHER} (printed)."
        for e in entries
    )
    # An edited letter is not lost by choosing another parent without saying yes.
    dialog.text.setPlainText(text + "Edited.")
    asked.confirm_answer = False
    dialog.to.setCurrentIndex(0)
    assert dialog.to.currentIndex() == 1 and "Edited." in dialog.text.toPlainText()
    assert dialog.minimumSizeHint().height() <= 768 and dialog.height() <= 768
    dialog.done(QDialog.DialogCode.Rejected)


def test_with_no_parent_on_the_register_the_dialog_says_so(
    qtbot: Any, window: MainWindow, asked: Prompts
) -> None:
    services = window.services
    assert services is not None
    case_id = _child(window)
    dialog = LetterDialog(services, case_id, window)
    qtbot.addWidget(dialog)
    dialog.show()
    _choose(dialog, "register-notice-before-sao")
    assert dialog.to_note.isVisibleTo(dialog)
    assert "The register holds no parent" in dialog.to_note.text()
    assert dialog.to_note.accessibleName() == "Whom the letter is addressed to"
    _choose(dialog, "school-enquiry")
    assert not dialog.to_note.isVisibleTo(dialog) and not dialog.to.isVisibleTo(dialog)
    dialog.done(QDialog.DialogCode.Rejected)
