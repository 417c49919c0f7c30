"""The escalation wizard (pytest-qt): each recommendation, the rationale rule, the record."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWizard
from pytestqt.qtbot import QtBot

from cme_desktop.models.vocabularies import ESCALATION_DECISIONS, label_of
from cme_desktop.services.cases.case_list import CaseQuery
from cme_desktop.services.cases.detail import CaseDraft
from cme_desktop.services.escalation import flow
from cme_desktop.services.protection.pdf import open_pdf
from cme_desktop.services.referral.record import empty_referral
from cme_desktop.services.registry import AppServices
from cme_desktop.services.vault.database import Database
from cme_desktop.services.vault.unlock import Vault
from cme_desktop.ui import prompts
from cme_desktop.ui.escalation_wizard import (
    DecisionPage,
    EscalationWizard,
    QuestionPage,
    maybe_offer_escalation,
)

TODAY = date(2026, 3, 6)  # a Friday: follow-ups fall after the weekend


@pytest.fixture
def vault(copied_vault: Vault) -> Vault:
    return copied_vault  # one vault per module, copied for each test


class Prompts:
    def __init__(self, monkeypatch: pytest.MonkeyPatch, *, confirm: bool, save_to: Path | None):
        self.errors: list[str] = []
        self.confirms: list[str] = []

        def error(_parent: Any, _title: str, problem: Any) -> None:
            self.errors.append(getattr(problem, "message", str(problem)))

        def confirm_(_parent: Any, _title: str, text: str, **_kw: Any) -> bool:
            self.confirms.append(text)
            return confirm

        monkeypatch.setattr(prompts, "error", error)
        monkeypatch.setattr(prompts, "confirm", confirm_)
        monkeypatch.setattr(prompts, "save_file", lambda *_a: save_to)


@pytest.fixture
def services(vault: Vault, db: Database) -> AppServices:
    services = AppServices(vault, db)
    return services


@pytest.fixture
def case_id(services: AppServices) -> int:
    case_id = services.cases.create(draft=CaseDraft(full_name="Amira Khan"), today=TODAY)
    ref = empty_referral()
    ref["children"][0]["full_name"] = "Amira Khan"
    ref["risk_indicators"]["9"] = {"present": True, "timing": "current"}
    ref |= {"social_care_referral_considered": True, "parental_consent": False}
    services.referrals.add(case_id, referral=ref, received_on=TODAY)
    return case_id


def question_page(wizard: EscalationWizard) -> QuestionPage:
    page = wizard.currentPage()
    assert isinstance(page, QuestionPage)
    return page


def answer_page(qtbot: QtBot, wizard: EscalationWizard, yes: set[str]) -> None:
    """Answer every question shown: Yes for those in ``yes``, else No or Not known."""
    page = question_page(wizard)
    next_button = wizard.button(QWizard.WizardButton.NextButton)
    for number, question in enumerate(flow.visible_questions(page.page.id, page.answers())):
        if page.page.id != "safeguarding":
            assert not next_button.isEnabled()  # every question needs an answer
        label = "Yes" if question.key in yes else ("Not known" if number == 1 else "No")
        if page.choices[question.key].answered():
            continue  # filled in from the referral
        page.answer(question.key, label)
    assert next_button.isEnabled()
    wizard.next()


def run_to_decision(qtbot: QtBot, services: AppServices, case_id: int, yes: set[str]) -> Any:
    wizard = EscalationWizard(services, case_id, today=TODAY, clear_after_ms=200)
    qtbot.addWidget(wizard)
    wizard.show()
    for page_id in ("police", "social_care", "safeguarding"):
        assert question_page(wizard).page.id == page_id
        answer_page(qtbot, wizard, yes)
    assert isinstance(wizard.currentPage(), DecisionPage)
    return wizard


# The referral marks CSE (9) as current and its referrer considered social care: each
# recommendation includes at least social care (``flow.referral_reasons``).
@pytest.mark.parametrize(
    ("yes", "recommendation", "police", "social_care"),
    [
        ({"police.older_associates"}, "refer_both", True, True),
        ({"social_care.in_care"}, "refer_social_care", False, True),
        ({"police.victim_of_crime", "social_care.protection_plan"}, "refer_both", True, True),
        (set(), "refer_social_care", False, True),
    ],
)
def test_each_recommendation_is_recorded_with_its_flags(
    qtbot: QtBot,
    services: AppServices,
    case_id: int,
    monkeypatch: pytest.MonkeyPatch,
    yes: set[str],
    recommendation: str,
    police: bool,
    social_care: bool,
) -> None:
    shown = Prompts(monkeypatch, confirm=False, save_to=None)
    wizard = run_to_decision(qtbot, services, case_id, yes)
    page = wizard.currentPage()
    assert isinstance(page, DecisionPage)
    assert page.recommendation == recommendation
    assert page.policy_label.text() == flow.policy_text(recommendation)
    assert label_of(ESCALATION_DECISIONS, recommendation) in page.recommended_label.text()
    assert page.decision() == recommendation
    assert "answered Not known" in page.unknown_label.text()
    reasons = page.reasons_label.text()
    assert not page.reasons_label.isHidden()
    assert "considered a referral to Social Care" in reasons
    assert "9. At Risk of Child Sexual Exploitation" in reasons
    wizard.button(QWizard.WizardButton.FinishButton).click()
    assert shown.errors == []
    assert wizard.result() == QWizard.DialogCode.Accepted
    assert wizard.outcome is not None and wizard.outcome.decision == recommendation
    detail = services.cases.get(case_id)
    [row] = detail.escalations
    assert row.answers["safeguarding.social_care_referral_considered"] is True
    assert row.answers["safeguarding.parental_consent"] is False
    assert all(row.answers[key] is True for key in yes)
    assert (detail.escalated_police, detail.escalated_social_care) == (police, social_care)
    listed = services.case_list.matching_ids(CaseQuery(quick="escalated"))
    assert listed == ([case_id] if police or social_care else [])
    # The summary is offered only for a referral to the Police or social care.
    assert len(shown.confirms) == int(police or social_care)


def test_a_differing_decision_needs_a_rationale(
    qtbot: QtBot, services: AppServices, case_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    Prompts(monkeypatch, confirm=False, save_to=None)
    wizard = run_to_decision(qtbot, services, case_id, {"police.past_suspicions"})
    page = wizard.currentPage()
    assert isinstance(page, DecisionPage)
    page.choose("no_escalation")
    finish = wizard.button(QWizard.WizardButton.FinishButton)
    finish.click()
    assert wizard.isVisible() and wizard.currentPage() is page
    assert not page.error_label.isHidden()
    assert "Write your rationale" in page.error_label.text()
    assert services.cases.get(case_id).escalations == ()
    page.rationale.setPlainText("Spoke to the duty sergeant: the family are known to be abroad.")
    assert page.error_label.isHidden()
    finish.click()
    [row] = services.cases.get(case_id).escalations
    assert (row.recommendation, row.decision) == ("refer_both", "no_escalation")
    assert row.rationale.startswith("Spoke to the duty sergeant")


def test_parental_consent_is_asked_only_after_yes(
    qtbot: QtBot, services: AppServices, case_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    Prompts(monkeypatch, confirm=False, save_to=None)
    wizard = EscalationWizard(services, case_id, today=TODAY)
    qtbot.addWidget(wizard)
    page = wizard.question_pages["safeguarding"]
    considered = page.choices["safeguarding.social_care_referral_considered"]
    consent = page.choices["safeguarding.parental_consent"]
    assert considered.value() is True and consent.value() is False  # from the referral
    considered.choose("No")
    assert consent.isHidden() and not consent.answered()
    assert page.isComplete()
    considered.choose("Yes")
    assert not consent.isHidden() and not page.isComplete()


def test_the_summary_is_saved_protected_and_its_password_shown_once(
    qtbot: QtBot,
    services: AppServices,
    case_id: int,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    target = tmp_path / "CME-000001 escalation summary.pdf"
    shown = Prompts(monkeypatch, confirm=True, save_to=target)
    wizard = run_to_decision(qtbot, services, case_id, {"police.significant_incident"})
    wizard.button(QWizard.WizardButton.FinishButton).click()
    qtbot.waitUntil(lambda: wizard.password_dialog is not None, timeout=20000)
    assert shown.errors == []
    dialog = wizard.password_dialog
    assert dialog is not None
    password = dialog.password_label.text()
    with open_pdf(target.read_bytes(), password) as pdf:
        assert pdf.encryption.R == 6
    texts = " ".join(label.text() for label in dialog.findChildren(type(dialog.password_label)))
    assert "another channel" in texts and "same email" in texts
    dialog.copy_button.click()
    clipboard = QGuiApplication.clipboard()
    assert clipboard.text() == password
    qtbot.waitUntil(lambda: clipboard.text() != password, timeout=3000)
    tasks = {t.title: t.due_on for t in services.cases.get(case_id).tasks}
    assert tasks == {
        "Confirm police reference number": date(2026, 3, 10),
        "Confirm Children's Social Care (Access Team) outcome": date(2026, 3, 13),
    }


def test_the_wizard_is_offered_not_forced(
    qtbot: QtBot, services: AppServices, case_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown = Prompts(monkeypatch, confirm=False, save_to=None)
    assert maybe_offer_escalation(None, services, case_id) is None
    assert "Child Sexual Exploitation" in shown.confirms[0]
    Prompts(monkeypatch, confirm=True, save_to=None)
    wizard = maybe_offer_escalation(None, services, case_id)
    assert isinstance(wizard, EscalationWizard)
    qtbot.addWidget(wizard)
    assert wizard.isVisible()
    quiet = services.cases.create(draft=CaseDraft(full_name="Leo Grant"), today=TODAY)
    asked = Prompts(monkeypatch, confirm=True, save_to=None)
    assert maybe_offer_escalation(None, services, quiet) is None
    assert asked.confirms == []


def test_the_social_care_questions_keep_the_policys_words_beneath(
    qtbot: QtBot, services: AppServices, case_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    Prompts(monkeypatch, confirm=False, save_to=None)
    wizard = EscalationWizard(services, case_id, today=TODAY)
    qtbot.addWidget(wizard)
    page = wizard.question_pages["social_care"]
    text = page._labels["social_care.protection_plan"].text()
    assert "section 47 enquiry" in text
    assert (
        "Policy text: Is the child/young person the subject of a child protection plan (on the "
        "child protection register)?" in text
    )
