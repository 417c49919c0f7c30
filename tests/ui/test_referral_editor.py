"""The referral form editor (pytest-qt): every field typed, saved, reopened, compared."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from faker import Faker
from PySide6.QtWidgets import QLineEdit, QPlainTextEdit, QWidget, QWizard
from pytestqt.qtbot import QtBot

from cme_desktop.models.vocabularies import (
    ASSESSMENT_QUESTIONS,
    REFERRER_ACTIONS,
    RISK_INDICATOR_KEYS,
)
from cme_desktop.services.cases.detail import CaseDraft
from cme_desktop.services.errors import InvalidInput
from cme_desktop.services.referral.record import SCHEMA
from cme_desktop.services.registry import AppServices
from cme_desktop.services.vault.database import Database
from cme_desktop.services.vault.unlock import Vault
from cme_desktop.ui import escalation_wizard, prompts
from cme_desktop.ui.escalation_wizard import EscalationWizard
from cme_desktop.ui.main_window import MainWindow
from cme_desktop.ui.referral import page as referral_dialog
from cme_desktop.ui.referral.editor import ReferralEditor
from cme_desktop.ui.referral.new_case import NewCaseFromReferralDialog
from cme_desktop.ui.referral.page import ReferralsPage
from cme_desktop.ui.referral.widgets import UNCERTAIN_TIP, ChoiceButtons, UkDateEdit
from tests.support.main_window import KNOWN_NAME
from tests.support.main_window import Prompts as WindowPrompts

TODAY = date(2026, 3, 2)
fake = Faker("en_GB")
Faker.seed(7)


@pytest.fixture
def vault(copied_vault: Vault) -> Vault:
    return copied_vault  # one vault per module, copied for each test


class Prompts:
    """Stands in for the message boxes; records what was shown."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, *, confirm: bool = False) -> None:
        self.errors: list[str] = []
        self.infos: list[str] = []
        self.confirms: list[str] = []
        self.answer = confirm

        def error(_parent: Any, _title: str, problem: Any) -> None:
            self.errors.append(getattr(problem, "message", str(problem)))

        def confirm_(_parent: Any, _title: str, text: str, **_kw: Any) -> bool:
            self.confirms.append(text)
            return self.answer

        monkeypatch.setattr(prompts, "error", error)
        monkeypatch.setattr(prompts, "info", lambda _p, _t, text: self.infos.append(text))
        monkeypatch.setattr(prompts, "confirm", confirm_)
        self.unsaved: list[str] = []

        def save_discard_cancel(_parent: Any, _title: str, text: str) -> str:
            self.unsaved.append(text)
            return "discard"

        monkeypatch.setattr(prompts, "save_discard_cancel", save_discard_cancel)


@pytest.fixture
def services(vault: Vault, db: Database) -> AppServices:
    return AppServices(vault, db)


@pytest.fixture
def case_id(services: AppServices) -> int:
    return services.cases.create(draft=CaseDraft(full_name="Olivia Thompson"), today=TODAY)


def type_into(widget: QWidget, text: str) -> None:
    """Type as the officer does: the text, then leave the field."""
    if isinstance(widget, QPlainTextEdit):
        widget.setPlainText(text)
    else:
        assert isinstance(widget, QLineEdit)
        widget.setText(text)
        widget.editingFinished.emit()


def fill_everything(editor: ReferralEditor) -> dict[str, Any]:
    """Fill every field of the editor; returns the record the officer meant."""
    filled: set[str] = set()

    def put(path: str, text: str) -> None:
        type_into(editor.field(path), text)
        filled.add(path)

    def pick(path: str, label: str) -> None:
        widget = editor.field(path)
        assert isinstance(widget, ChoiceButtons)
        widget.choose(label)
        filled.add(path)

    children = []
    for index, (born_typed, born_iso, in_care) in enumerate(
        [("2/4/13", "2013-04-02", "No"), ("12 September 2016", "2016-09-12", "Yes")]
    ):
        if index:
            editor.add_child()
        name, aka = fake.name(), fake.first_name()
        put("children.full_name", f"  {name} ")
        put("children.aka", aka)
        put("children.date_of_birth", born_typed)
        assert editor.field("children.date_of_birth").text() == date.fromisoformat(  # type: ignore[attr-defined]
            born_iso
        ).strftime("%d/%m/%Y")
        put("children.gender", "Female" if index == 0 else "Male")
        put("children.ethnicity", "White and Black Caribbean")
        put("children.sen_disability", "EHC plan" if index == 0 else "")
        pick("children.child_in_care", in_care)
        put("children.upn", "a123 4567 8901 2" if index == 0 else "")
        children.append(
            {
                "full_name": name,
                "aka": aka,
                "date_of_birth": born_iso,
                "gender": "Female" if index == 0 else "Male",
                "ethnicity": "White and Black Caribbean",
                "sen_disability": "EHC plan" if index == 0 else "",
                "child_in_care": in_care == "Yes",
                "upn": "A12345678901" + "2" if index == 0 else None,
            }
        )
    address = f"{fake.street_address()}\n{fake.city()}\n{fake.postcode()}"
    family = {
        "last_known_address": address,
        "parents_carers": f"{fake.name()} (Mother)\n{fake.name()} (Father)",
        "telephone": "07700 900123",
        "email": "family@example.org",
        "school": "Brook Lane Academy",
        "date_last_attended": "2026-01-16",
        "additional_information": "Maternal grandmother lives in Corby.",
    }
    for key, value in family.items():
        put(key, "16/1/26" if key == "date_last_attended" else value)
    actions = {}
    for number, action in enumerate(REFERRER_ACTIONS, start=1):
        outcome = f"Done by the school, attempt {number}.\nNo reply."
        put(f"referrer_actions.{action.key}.outcome", outcome)
        put(f"referrer_actions.{action.key}.date", f"{number}/2/2026")
        actions[action.key] = {"outcome": outcome, "date": f"2026-02-{number:02d}"}
    indicators = {}
    for key in RISK_INDICATOR_KEYS:
        kind = int(key) % 3
        pick(f"risk_indicators.{key}.present", "No" if kind == 2 else "Yes")
        if kind == 2:
            assert not editor.field(f"risk_indicators.{key}.timing").isEnabled()
            filled.add(f"risk_indicators.{key}.timing")  # only a Yes has Current/Historic
            indicators[key] = {"present": False, "timing": None}
        else:
            pick(f"risk_indicators.{key}.timing", "Current" if kind == 0 else "Historic")
            indicators[key] = {"present": True, "timing": "current" if kind == 0 else "historic"}
    pick("social_care_referral_considered", "Yes")
    pick("parental_consent", "No")
    assessment = {}
    for question in ASSESSMENT_QUESTIONS:
        text = f"{question.label} — {fake.sentence()}"
        put(f"assessment.{question.key}", text)
        assessment[question.key] = text
    referrer = {
        "name": fake.name(),
        "position": "Designated Safeguarding Lead",
        "contact_details": "0116 496 0999\ndsl@example.org",
        "organisation": "Brook Lane Academy",
        "date_completed": "2026-02-20",
    }
    for key, value in referrer.items():
        put(f"referrer.{key}", "20/02/2026" if key == "date_completed" else value)
    # Every field of the editor has been filled in.
    assert filled == set(editor.fields)
    return {
        "schema": SCHEMA,
        "children": children,
        **family,
        "referrer_actions": actions,
        "risk_indicators": indicators,
        "social_care_referral_considered": True,
        "parental_consent": False,
        "assessment": assessment,
        "referrer": referrer,
    }


def test_fill_every_field_save_reopen_compare(
    qtbot: QtBot, services: AppServices, case_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown = Prompts(monkeypatch, confirm=False)
    page = ReferralsPage(services, case_id, today=TODAY)
    qtbot.addWidget(page)
    expected = fill_everything(page.editor)
    assert page.editor.referral() == expected
    assert page.is_modified()
    page.received.setText("1/3/26")
    with qtbot.waitSignal(page.saved):
        page.save_button.click()
    assert shown.errors == []
    # The serious indicators made current offer (not force) the escalation questions.
    assert len(shown.confirms) == 1 and "Go through the escalation questions" in shown.confirms[0]
    assert not page.is_modified()
    [stored] = services.referrals.for_case(case_id)
    assert stored.data == expected
    assert stored.received_on == date(2026, 3, 1)

    reopened = ReferralsPage(services, case_id, today=TODAY)
    qtbot.addWidget(reopened)
    assert shown.unsaved == []  # opening asks nothing
    assert reopened.editor.referral() == expected
    assert reopened.editor.child_count() == 2
    assert reopened.received.text() == "01/03/2026"
    assert reopened.editor.field("children.date_of_birth").text() == "02/04/2013"  # type: ignore[attr-defined]
    reopened.editor.select_child(1)
    assert (
        reopened.editor.field("children.full_name").text()
        == expected["children"][1][  # type: ignore[attr-defined]
            "full_name"
        ]
    )
    assert not reopened.is_modified()
    # Another referral: leaving unsaved typing asks first.
    type_into(reopened.editor.field("school"), "Hillside Academy")
    reopened.new_button.click()
    assert len(shown.unsaved) == 1
    assert reopened.editor.referral()["children"][0]["full_name"] == "Olivia Thompson"


def test_dates_typed_day_first(qtbot: QtBot) -> None:
    editor = ReferralEditor(today=TODAY)
    qtbot.addWidget(editor)
    for typed, shown, iso in [
        ("2/4/13", "02/04/2013", "2013-04-02"),
        ("02/04/2013", "02/04/2013", "2013-04-02"),
        ("4.2.2016", "04/02/2016", "2016-02-04"),
    ]:
        type_into(editor.field("children.date_of_birth"), typed)
        assert editor.field("children.date_of_birth").text() == shown  # type: ignore[attr-defined]
        assert editor.referral()["children"][0]["date_of_birth"] == iso


def test_warnings_show_inline_and_do_not_block_saving(
    qtbot: QtBot, services: AppServices, case_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown = Prompts(monkeypatch)
    page = ReferralsPage(services, case_id, today=TODAY)
    qtbot.addWidget(page)
    editor = page.editor
    type_into(editor.field("children.date_of_birth"), "1/1/2005")
    type_into(editor.field("email"), "not-an-address")
    type_into(editor.field("telephone"), "12345")
    type_into(editor.field("children.upn"), "A123456789013")
    for path, words in [
        ("children.date_of_birth", "compulsory school age"),
        ("email", "email address"),
        ("telephone", "Telephone No."),
        ("children.upn", "UPN"),
    ]:
        label = editor.messages[path]
        assert not label.isHidden() and words in label.text(), path
    assert editor.errors() == []
    with qtbot.waitSignal(page.saved):
        page.save_button.click()
    assert shown.errors == []
    assert services.referrals.for_case(case_id)[0].data["email"] == "not-an-address"


def test_an_unreadable_date_is_an_error_naming_the_field(
    qtbot: QtBot, services: AppServices, case_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown = Prompts(monkeypatch)
    page = ReferralsPage(services, case_id, today=TODAY)
    qtbot.addWidget(page)
    type_into(page.editor.field("date_last_attended"), "31/02/2026")
    assert "Date Last Attended" in page.editor.messages["date_last_attended"].text()
    page.save_button.click()
    assert len(shown.errors) == 1 and shown.errors[0].startswith("Date Last Attended")
    assert services.referrals.for_case(case_id) == []
    assert page.editor.field("date_last_attended").text() == "31/02/2026"  # type: ignore[attr-defined]
    assert page.is_modified()


def test_a_failed_save_keeps_what_was_typed(
    qtbot: QtBot, services: AppServices, case_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown = Prompts(monkeypatch)
    page = ReferralsPage(services, case_id, today=TODAY)
    qtbot.addWidget(page)
    type_into(page.editor.field("school"), "Hillside Academy")

    def refuse(*_args: Any, **_kwargs: Any) -> int:
        raise InvalidInput("The vault is busy; try again.", field="school")

    monkeypatch.setattr(services.referrals, "add", refuse)
    page.save_button.click()
    assert shown.errors == ["The vault is busy; try again."]
    assert page.editor.field("school").text() == "Hillside Academy"  # type: ignore[attr-defined]
    assert page.is_modified()


def test_current_or_historic_only_after_yes(qtbot: QtBot) -> None:
    editor = ReferralEditor(today=TODAY)
    qtbot.addWidget(editor)
    present = editor.field("risk_indicators.9.present")
    timing = editor.field("risk_indicators.9.timing")
    assert isinstance(present, ChoiceButtons) and isinstance(timing, ChoiceButtons)
    assert not timing.isEnabled()
    present.choose("Yes")
    assert timing.isEnabled()
    timing.choose("Current")
    assert editor.referral()["risk_indicators"]["9"] == {"present": True, "timing": "current"}
    present.choose("No")
    assert not timing.isEnabled() and not timing.answered()
    assert editor.referral()["risk_indicators"]["9"] == {"present": False, "timing": None}
    present.choose("No")  # a second click clears the answer
    assert editor.referral()["risk_indicators"]["9"] == {"present": None, "timing": None}


def test_the_summary_strip_follows_the_form(qtbot: QtBot) -> None:
    editor = ReferralEditor(today=TODAY)
    qtbot.addWidget(editor)
    assert editor.summary_text().startswith("0 indicators current")
    assert "Escalation: not yet considered" in editor.summary_text()
    for key, timing in (("9", "Current"), ("3", "Current"), ("15", "Historic")):
        editor.field(f"risk_indicators.{key}.present").choose("Yes")  # type: ignore[attr-defined]
        editor.field(f"risk_indicators.{key}.timing").choose(timing)  # type: ignore[attr-defined]
    text = editor.summary_text()
    assert text.startswith("2 indicators current (3 marked Yes)")
    assert "9 At Risk of Child Sexual Exploitation (CSE)" in text
    assert "History of abuse/neglect" not in text
    editor.field("social_care_referral_considered").choose("Yes")  # type: ignore[attr-defined]
    assert "the referrer considered a referral to Social Care: Yes" in editor.summary_text()
    editor.set_escalation_status("decided 02/03/2026: Refer to the Police")
    assert "Escalation: decided 02/03/2026: Refer to the Police" in editor.summary_text()


def test_uncertain_fields_are_highlighted_until_edited(qtbot: QtBot) -> None:
    editor = ReferralEditor(today=TODAY)
    qtbot.addWidget(editor)
    editor.mark_uncertain(["children.0.date_of_birth", "risk_indicators.9", "referrer.name"])
    for path in ("children.date_of_birth", "risk_indicators.9.present", "referrer.name"):
        assert editor.is_uncertain(path)
        assert editor.field(path).toolTip() == UNCERTAIN_TIP
    assert not editor.is_uncertain("children.full_name")
    type_into(editor.field("referrer.name"), "Checked Name")
    assert not editor.is_uncertain("referrer.name")
    assert editor.field("referrer.name").toolTip() == ""
    assert editor.uncertain_paths() == {"children.0.date_of_birth", "risk_indicators.9"}


def test_children_can_be_added_removed_and_split(
    qtbot: QtBot, services: AppServices, case_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown = Prompts(monkeypatch, confirm=True)
    page = ReferralsPage(services, case_id, today=TODAY)
    qtbot.addWidget(page)
    editor = page.editor
    assert not editor.split_button.isEnabled()
    editor.add_child()
    type_into(editor.field("children.full_name"), "Noah Thompson")
    editor.add_child()
    editor.remove_child()
    assert editor.child_count() == 2 and editor.split_button.isEnabled()
    with qtbot.waitSignal(page.cases_changed) as changed:
        editor.split_button.click()
    assert shown.errors == []
    ids = changed.args[0]
    assert ids[0] == case_id and len(ids) == 2
    assert services.cases.get(ids[1]).full_name == "Noah Thompson"
    assert "CME-" in shown.infos[0]


def test_new_case_from_a_phone_notification(
    qtbot: QtBot, services: AppServices, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown = Prompts(monkeypatch, confirm=False)
    dialog = NewCaseFromReferralDialog(services, today=TODAY)
    qtbot.addWidget(dialog)
    type_into(dialog.editor.field("children.full_name"), "Jack Smith and Jill Smith")
    type_into(dialog.editor.field("children.date_of_birth"), "2/4/15")
    type_into(dialog.editor.field("parents_carers"), "Mr and Mrs Smith")
    dialog.log_button.click()
    assert shown.errors == [] and len(dialog.case_ids) == 2
    family = {services.cases.get(i).family_id for i in dialog.case_ids}
    assert len(family) == 1 and None not in family
    carers = [c.name for c in services.cases.get(dialog.case_ids[1]).carers]
    assert carers == ["Mr Smith", "Mrs Smith"]
    # The same child again: the officer is asked before a second case is logged.
    again = NewCaseFromReferralDialog(services, today=TODAY)
    qtbot.addWidget(again)
    type_into(again.editor.field("children.full_name"), "Jack Smyth")
    type_into(again.editor.field("children.date_of_birth"), "02/04/2015")
    again.log_button.click()
    assert "CME-" in shown.confirms[-1] and again.case_ids == []


def test_a_blank_name_cannot_log_a_case(
    qtbot: QtBot, services: AppServices, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown = Prompts(monkeypatch)
    dialog = NewCaseFromReferralDialog(services, today=TODAY)
    qtbot.addWidget(dialog)
    dialog.log_button.click()
    assert shown.errors == ["Name of Pupil(s) is needed to log a case."]
    assert isinstance(dialog.editor.field("children.date_of_birth"), UkDateEdit)


def test_the_referrals_section_and_the_escalation_action_in_the_window(
    qtbot: QtBot, window: MainWindow, asked: WindowPrompts
) -> None:
    referral_dialog.install(window)
    escalation_wizard.install(window)
    panel = window.desk.case_list
    panel.search.setText(KNOWN_NAME)
    panel.apply_filters()
    case_id = panel.model.case_id(0)
    assert case_id is not None
    workspace = window.desk.open_case(case_id)
    assert workspace is not None
    titles = [workspace.sections.tabText(i) for i in range(workspace.sections.count())]
    page = workspace.sections.widget(titles.index("Referra&ls"))
    assert isinstance(page, ReferralsPage)
    assert page.editor.referral()["children"][0]["full_name"] == KNOWN_NAME
    page.editor.field("risk_indicators.10.present").choose("Yes")  # type: ignore[attr-defined]
    page.editor.field("risk_indicators.10.timing").choose("Current")  # type: ignore[attr-defined]
    assert workspace.is_dirty()  # the section joins the unsaved-changes guard
    asked.confirm_answer = False
    with qtbot.waitSignal(window.changes.case_changed):
        page.save_button.click()
    assert not workspace.is_dirty()
    assert any("Go through the escalation questions" in t for t in asked.texts("confirm"))
    # Case > Escalation questions… opens the wizard on the case in front.
    [action] = [a for a in window.actions() if a.text().startswith("&Escalation questions")]
    action.trigger()
    [wizard] = window.findChildren(EscalationWizard)
    qtbot.addWidget(wizard)
    for page_id in ("police", "social_care", "safeguarding"):
        questions = wizard.question_pages[page_id]
        for key, buttons in questions.choices.items():
            if not buttons.isHidden() and not buttons.answered():
                questions.answer(key, "Yes" if key == "police.victim_of_crime" else "No")
        wizard.next()
    asked.confirm_answer = False  # no summary this time
    with qtbot.waitSignal(window.changes.case_changed):
        wizard.button(QWizard.WizardButton.FinishButton).click()
    qtbot.waitUntil(lambda: workspace.detail is not None and workspace.detail.escalated_police)
