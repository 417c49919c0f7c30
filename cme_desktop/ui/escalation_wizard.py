"""The escalation wizard: policy 5.0 (police) and 6.0 (social care), then the decision.

The flow — pages, their order, the questions, the recommendation, the rule that a
differing decision needs a rationale — is ``services/escalation/flow.py``; the pages
here only render it and hand the answers back. The decision is recorded when the
officer presses "Record decision"; then, for a referral to the Police or social
care, the wizard offers the password-protected escalation summary to send.

The wizard is offered, never forced: ``maybe_offer_escalation`` asks first, and
only when the latest referral has a current serious indicator or the child's
whereabouts are unknown and no decision is recorded yet. Once installed, the
offer follows every ``escalation_due`` notice (``ui/changes.py``): a case saved
with its whereabouts unknown, a referral imported.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QSize, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QButtonGroup,
    QGridLayout,
    QGroupBox,
    QLabel,
    QPlainTextEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from cme_desktop.models.vocabularies import ESCALATION_DECISIONS, label_of
from cme_desktop.services.atomic_file import write_atomically
from cme_desktop.services.cases.detail import case_reference
from cme_desktop.services.errors import CmeError, InvalidInput
from cme_desktop.services.escalation import flow
from cme_desktop.services.escalation.service import EscalationOutcome
from cme_desktop.services.referral.record import empty_referral, normalise
from cme_desktop.services.referral.validation import serious_current_indicators
from cme_desktop.services.registry import AppServices
from cme_desktop.services.settings import authority_of
from cme_desktop.ui import background, look, prompts
from cme_desktop.ui.changes import EscalationDue
from cme_desktop.ui.fields import label_for, name_field
from cme_desktop.ui.password_shown_once import CLIPBOARD_SECONDS, PasswordShownOnce
from cme_desktop.ui.referral.widgets import (
    ChoiceButtons,
    hint_label,
)
from cme_desktop.ui.screen_fit import fit_window
from cme_desktop.ui.window import Window

PAGE_NUMBERS: dict[str, int] = {page.id: number for number, page in enumerate(flow.PAGES)}
ANSWER_CHOICES = (("Yes", True), ("No", False), ("Not known", None))
RATIONALE_HINT = "Required when your decision differs from what the policy recommends."


def _wrapped(text: str, *, bold: bool = False) -> QLabel:
    label = QLabel(f"<b>{text}</b>" if bold else text)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.RichText if bold else Qt.TextFormat.PlainText)
    return label


class QuestionPage(QWizardPage):
    """One page of Yes / No / Not known questions, in the policy's words."""

    def __init__(self, page: flow.Page, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.page = page
        self.setTitle(page.title)
        layout = QVBoxLayout(self)
        for paragraph in page.intro.split("\n\n"):
            layout.addWidget(_wrapped(paragraph, bold=paragraph.startswith("If the answer")))
        grid = QGridLayout()
        grid.setColumnStretch(0, 1)
        grid.setVerticalSpacing(10)
        self.choices: dict[str, ChoiceButtons] = {}
        self._labels: dict[str, QLabel] = {}
        for row, question in enumerate(page.questions):
            label = _wrapped(question.text)
            if question.policy_text:
                # Today's terms above, the policy's own wording kept visible beneath.
                label.setText(
                    f"{html.escape(question.text)}<br><small>Policy text: "
                    f"{html.escape(question.policy_text)}</small>"
                )
                label.setTextFormat(Qt.TextFormat.RichText)
            buttons = ChoiceButtons(ANSWER_CHOICES)
            buttons.setObjectName(question.key)
            name_field(buttons, question.text)
            buttons.changed.connect(self._changed)
            grid.addWidget(label, row, 0)
            grid.addWidget(buttons, row, 1)
            self.choices[question.key] = buttons
            self._labels[question.key] = label
        layout.addLayout(grid)
        if page.examples:
            box = QGroupBox(page.examples_heading)
            examples = QVBoxLayout(box)
            for example in page.examples:
                examples.addWidget(hint_label(f"• {example}"))
            layout.addWidget(box)
        layout.addStretch(1)
        self._update_visible()

    def answers(self) -> flow.Answers:
        """The answers given on this page (Not known and unanswered are ``None``)."""
        return {key: buttons.value() for key, buttons in self.choices.items()}

    def set_answers(self, answers: flow.Answers) -> None:
        """Fill in Yes/No answers (e.g. the referral's); ``None`` leaves a question open."""
        for key, buttons in self.choices.items():
            if answers.get(key) is not None:
                buttons.set_value(answers[key])
        self._update_visible()

    def answer(self, key: str, label: str) -> None:
        """Click an answer, as the officer would (``"Yes"``, ``"No"`` or ``"Not known"``)."""
        self.choices[key].choose(label)

    def _visible(self) -> set[str]:
        return {q.key for q in flow.visible_questions(self.page.id, self.answers())}

    def _update_visible(self) -> None:
        visible = self._visible()
        for key, buttons in self.choices.items():
            shown = key in visible
            if not shown:
                buttons.set_value(None)
            buttons.setVisible(shown)
            self._labels[key].setVisible(shown)

    def _changed(self) -> None:
        self._update_visible()
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        """Every question asked has an answer, even if it is Not known."""
        return all(self.choices[key].answered() for key in self._visible())

    def nextId(self) -> int:
        wizard = self.wizard()
        answers = wizard.answers() if isinstance(wizard, EscalationWizard) else {}
        following = flow.next_page(self.page.id, answers)
        return PAGE_NUMBERS[following] if following else -1


class DecisionPage(QWizardPage):
    """What the policy says follows, the recommendation, the decision and its rationale."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        page = flow.page("decision")
        self.setTitle(page.title)
        self.recommendation: str = "no_escalation"
        layout = QVBoxLayout(self)
        self.policy_label = _wrapped("")
        self.policy_label.setTextFormat(Qt.TextFormat.PlainText)
        self.recommended_label = _wrapped("", bold=True)
        self.reasons_label = _wrapped("")
        self.reasons_label.setObjectName("referral_reasons")
        self.reasons_label.setAccessibleName("What the referral says")
        self.unknown_label = _wrapped("")
        look.role(self.unknown_label, "caution")
        layout.addWidget(self.policy_label)
        layout.addWidget(self.reasons_label)
        layout.addWidget(self.recommended_label)
        layout.addWidget(self.unknown_label)
        box = QGroupBox("Your decision")
        decisions = QVBoxLayout(box)
        self.decision_group = QButtonGroup(self)
        self.decision_buttons: dict[str, QRadioButton] = {}
        for term in ESCALATION_DECISIONS:
            button = QRadioButton(term.label)
            button.setObjectName(term.key)
            self.decision_group.addButton(button)
            self.decision_buttons[term.key] = button
            decisions.addWidget(button)
            button.toggled.connect(self._decision_changed)
        layout.addWidget(box)
        self.rationale = QPlainTextEdit()
        layout.addWidget(label_for(self.rationale, "&Rationale"))
        layout.addWidget(hint_label(RATIONALE_HINT))
        self.rationale.setTabChangesFocus(True)
        self.rationale.setPlaceholderText("Why you decided this, in a sentence or two.")
        self.rationale.textChanged.connect(lambda: self.show_error(""))
        layout.addWidget(self.rationale, 1)
        self.error_label = _wrapped("")
        look.role(self.error_label, "problem")
        self.error_label.setVisible(False)
        layout.addWidget(self.error_label)

    def initializePage(self) -> None:
        wizard = self.wizard()
        answers = wizard.answers() if isinstance(wizard, EscalationWizard) else {}
        serious = wizard.serious_indicators if isinstance(wizard, EscalationWizard) else ()
        previous = self.recommendation
        self.recommendation = flow.recommendation(answers, serious)
        self.policy_label.setText(flow.policy_text(self.recommendation))
        reasons = flow.referral_reasons(answers, serious)
        self.reasons_label.setText(
            "\n".join([flow.REFERRAL_RULE, *(f"• {r}" for r in reasons)]) if reasons else ""
        )
        self.reasons_label.setVisible(bool(reasons))
        recommended = label_of(ESCALATION_DECISIONS, self.recommendation)
        self.recommended_label.setText(
            f"<b>The policy recommends: {html.escape(recommended, quote=False)}</b>"
        )
        unknown = flow.not_known(answers)
        self.unknown_label.setText(
            f"{len(unknown)} question{'s are' if len(unknown) != 1 else ' is'} answered Not "
            "known. Find out where you can, and go through these questions again if an "
            "answer changes."
            if unknown
            else ""
        )
        self.unknown_label.setVisible(bool(unknown))
        if self.decision() is None or self.decision() == previous:
            self.decision_buttons[self.recommendation].setChecked(True)
        self.show_error("")

    def decision(self) -> str | None:
        for key, button in self.decision_buttons.items():
            if button.isChecked():
                return key
        return None

    def choose(self, decision: str) -> None:
        self.decision_buttons[decision].click()

    def _decision_changed(self) -> None:
        self.show_error("")

    def show_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.setVisible(bool(text))

    def validatePage(self) -> bool:
        """Refuse a differing decision without a rationale (saying why), then record it."""
        decision = self.decision() or ""
        rationale = self.rationale.toPlainText()
        try:
            flow.validate_decision(self.recommendation, decision, rationale)
        except InvalidInput as problem:
            self.show_error(problem.message)
            if problem.field == "rationale":
                self.rationale.setFocus()
            return False
        wizard = self.wizard()
        return isinstance(wizard, EscalationWizard) and wizard.record(decision, rationale)

    def nextId(self) -> int:
        return -1


class EscalationWizard(QWizard):
    """Walks the officer through policy 5.0 and 6.0 for one case and records the decision."""

    #: The case id, once the decision is recorded.
    recorded = Signal(int)

    def __init__(
        self,
        services: AppServices,
        case_id: int,
        parent: QWidget | None = None,
        *,
        today: date | None = None,
        clear_after_ms: int = CLIPBOARD_SECONDS * 1000,
    ) -> None:
        super().__init__(parent)
        self.services = services
        self.case_id = case_id
        self.today = today
        self.clear_after_ms = clear_after_ms
        self.outcome: EscalationOutcome | None = None
        self.password_dialog: PasswordShownOnce | None = None
        detail = services.cases.get(case_id)
        self.setWindowTitle(f"Escalation: {case_reference(case_id)} {detail.full_name}")
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage, True)
        self.setButtonText(QWizard.WizardButton.FinishButton, "Record decision")
        self.question_pages: dict[str, QuestionPage] = {}
        for page in flow.PAGES:
            if page.questions:
                widget = QuestionPage(page)
                self.question_pages[page.id] = widget
                self.setPage(PAGE_NUMBERS[page.id], widget)
        self.decision_page = DecisionPage()
        self.setPage(PAGE_NUMBERS["decision"], self.decision_page)
        # Which child this is about, on every page.
        for number in self.pageIds():
            self.page(number).setSubTitle(f"{detail.full_name} ({case_reference(case_id)})")
        self.setStartId(PAGE_NUMBERS[flow.FIRST_PAGE])
        referrals = services.referrals.for_case(case_id)
        latest = normalise(referrals[0].data) if referrals else None
        #: The serious indicators the latest referral marks as current: they weigh in.
        self.serious_indicators: tuple[str, ...] = (
            tuple(serious_current_indicators(latest)) if latest is not None else ()
        )
        prefilled = flow.prefill_from_referral(latest, {})
        self.question_pages["safeguarding"].set_answers(prefilled)
        fit_window(self, QSize(760, 640))

    def answers(self) -> flow.Answers:
        """Every answer so far, with each question of the flow present."""
        out = flow.blank_answers()
        for page in self.question_pages.values():
            out.update(page.answers())
        return out

    def page_for(self, page_id: str) -> QWizardPage:
        return self.page(PAGE_NUMBERS[page_id])

    def record(self, decision: str, rationale: str) -> bool:
        """Record the decision on the case; False (and the reason shown) when it fails."""
        try:
            self.outcome = self.services.escalation.record(
                self.case_id,
                answers=self.answers(),
                decision=decision,
                rationale=rationale,
                today=self.today,
            )
        except CmeError as problem:
            prompts.error(self, "The decision was not recorded", problem)
            return False
        self.recorded.emit(self.case_id)
        return True

    def done(self, result: int) -> None:
        super().done(result)
        if result == QWizard.DialogCode.Accepted and self.outcome is not None:
            offer_summary(
                self,
                self.services,
                self.case_id,
                self.outcome,
                clear_after_ms=self.clear_after_ms,
                shown=self._password_shown,
            )

    def _password_shown(self, dialog: PasswordShownOnce) -> None:
        self.password_dialog = dialog


def offer_summary(
    parent: QWidget | None,
    services: AppServices,
    case_id: int,
    outcome: EscalationOutcome,
    *,
    clear_after_ms: int = CLIPBOARD_SECONDS * 1000,
    shown: Callable[[PasswordShownOnce], Any] | None = None,
) -> None:
    """Offer the password-protected summary for the Police or social care after a referral.

    Asks first; the file name carries the case reference, never the child's name.
    The PDF is made and written off the GUI thread; then its password is shown once.
    """
    # The summary's module loads reportlab and pikepdf: only when a summary may be made.
    from cme_desktop.services.documents.escalation_summary import recipient_of

    recipient = recipient_of(outcome.decision)
    if not recipient:
        return
    if not prompts.confirm(
        parent,
        "Escalation summary",
        f"Create a password-protected summary of the case to send to {recipient}?\n\n"
        "It holds the child's details, the family, what is known, the current risk "
        "indicators, your answers and your decision.",
        default_yes=True,
    ):
        return
    path = prompts.save_file(
        parent,
        "Save the escalation summary",
        f"{case_reference(case_id)} escalation summary.pdf",
        "PDF files (*.pdf)",
    )
    if path is None:
        return
    target = path if path.suffix.lower() == ".pdf" else path.with_name(path.name + ".pdf")
    authority = authority_of(services.settings.load())

    def work() -> str:
        protected = services.escalation.summary(
            case_id, authority=authority, escalation_id=outcome.escalation_id
        )
        write_atomically(Path(target), protected.data)
        return protected.password

    def done(password: str) -> None:
        dialog = PasswordShownOnce(
            password, file_name=target.name, clear_after_ms=clear_after_ms, parent=parent
        )
        dialog.setWindowTitle("The summary's password")
        dialog.open()
        if shown is not None:
            shown(dialog)

    background.run(
        parent,
        work,
        on_done=done,
        on_error=lambda problem: prompts.error(parent, "The summary was not made", problem),
    )


def open_escalation_wizard(
    parent: QWidget | None, services: AppServices, case_id: int, *, today: date | None = None
) -> EscalationWizard:
    """Open the escalation wizard for a case (window-modal, not blocking the caller)."""
    wizard = EscalationWizard(services, case_id, parent, today=today)
    wizard.open()
    return wizard


def maybe_offer_escalation(
    parent: QWidget | None, services: AppServices, case_id: int, *, today: date | None = None
) -> EscalationWizard | None:
    """Offer the wizard when the case calls for it (a current serious indicator, or
    whereabouts unknown, and no decision yet); opens it only if the officer agrees."""
    referrals = services.referrals.for_case(case_id)
    latest = referrals[0].data if referrals else empty_referral()
    message = services.referrals.escalation_prompt(latest, case_id=case_id)
    if message is None:
        return None
    if not prompts.confirm(parent, "Consider escalation", message, default_yes=True):
        return None
    return open_escalation_wizard(parent, services, case_id, today=today)


class EscalationQuestions(QObject):
    """Case > Escalation questions… and the offer on each ``escalation_due`` notice."""

    def __init__(self, window: Window) -> None:
        super().__init__(window.widget())
        self.window = window
        self.action = QAction("&Escalation questions (Police / social care)…", window.widget())
        self.action.setShortcut(QKeySequence("Ctrl+Shift+Q"))
        self.action.setToolTip(
            "Policy 5.0 and 6.0: should the Police or Children's Social Care be involved?"
        )
        self.action.triggered.connect(self.start)
        window.changes.escalation_due.connect(self.offer)

    def start(self) -> None:
        """Open the wizard on the case in front."""
        services, case_id = self.window.services, self.window.current_case_id()
        if services is None or case_id is None:
            return
        wizard = open_escalation_wizard(self.window.widget(), services, case_id)
        wizard.recorded.connect(self.window.changes.case_changed.emit)

    def offer(self, due: EscalationDue) -> None:
        """Offer the wizard if the case calls for it; ``due.wizard`` is set if it opens."""
        services, parent = self.window.services, self.window.widget()
        if services is None:
            return
        try:
            wizard = maybe_offer_escalation(parent, services, due.case_id)
        except CmeError as exc:
            prompts.error(parent, "Escalation questions", exc)
            return
        if wizard is not None:
            wizard.recorded.connect(self.window.changes.case_changed.emit)
            due.wizard = wizard


def install(window: Window) -> QAction:
    """Add Case > Escalation questions… for the case in front, and offer the questions
    whenever a case is announced as calling for them. Installing twice changes nothing."""
    existing = window.widget().findChild(EscalationQuestions)
    if isinstance(existing, EscalationQuestions):
        return existing.action
    questions = EscalationQuestions(window)
    window.add_action("Case", questions.action, needs_case=True)
    return questions.action
