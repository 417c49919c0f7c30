"""The escalation wizard's flow (policy 5.0 and 6.0) as data and small functions.

The wizard asks the four police questions of 5.0 (with the policy's examples as
prompts), the three social care questions of 6.0 and the referral's two
safeguarding questions, then states what the policy says follows and records
the officer's decision. Which pages, in which order, which questions, and which
recommendation all live here, so the whole flow is tested without a screen or a
database; the Qt wizard only renders a page and applies it, and
``escalation.service`` records the decision.

Answers are a dict keyed ``"<page>.<question>"`` (``"police.past_suspicions"``,
``"social_care.in_care"``, ``"safeguarding.parental_consent"``): ``True`` (Yes),
``False`` (No) or ``None`` (Not known).

The recommendation also weighs what the referral already says: the referrer's
"considered a referral to Social Care: Yes" and any serious indicator the
referral marks as current (``vocabularies.SERIOUS_INDICATORS``: goes missing,
CSE, whereabouts unknown, abuse) recommend at least a consultation with
Children's Social Care, with the reason shown (``referral_reasons``). The
officer may still decide otherwise, with a rationale.

Policy 6.0 (2015/16) speaks of the "child protection register", abolished in
2008. The 6.0 questions are asked in the terms of Working Together to Safeguard
Children 2023 (a child protection plan, a section 47 enquiry, a looked-after
child), each with the policy's own wording shown beneath it.

Follow-up tasks are due in working days, counted Monday to Friday; bank holidays
are not known to the application and count as working days.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from cme_desktop.models.vocabularies import (
    ESCALATION_DECISIONS,
    PARENTAL_CONSENT_QUESTION,
    POLICE_EXAMPLES,
    POLICE_QUESTIONS,
    RISK_INDICATORS,
    SERIOUS_INDICATORS,
    SOCIAL_CARE_QUESTIONS,
    SOCIAL_CARE_REFERRAL_QUESTION,
    label_of,
)
from cme_desktop.services.errors import InvalidInput
from cme_desktop.services.referral.record import Referral

__all__ = [
    "FIRST_PAGE",
    "PAGES",
    "Answer",
    "Answers",
    "FollowUp",
    "Page",
    "Question",
    "add_working_days",
    "answer_label",
    "blank_answers",
    "clean_answers",
    "follow_ups",
    "next_page",
    "not_known",
    "page",
    "policy_text",
    "prefill_from_referral",
    "previous_page",
    "recommendation",
    "referral_reasons",
    "validate_decision",
    "visible_questions",
]

Answer = bool | None
Answers = dict[str, Answer]
Recommendation = Literal["refer_police", "refer_social_care", "refer_both", "no_escalation"]
PageId = Literal["police", "social_care", "safeguarding", "decision"]

# --- the pages ------------------------------------------------------------------


@dataclass(frozen=True)
class Question:
    """One Yes / No / Not known question.

    ``key`` is the answer's key (``"police.past_suspicions"``); ``shown_when`` is
    the key of another question that must be answered Yes for this one to be
    asked ("If so, have you gained consent from parents?").
    """

    key: str
    text: str
    shown_when: str | None = None
    #: The policy's own wording, shown beneath when ``text`` puts it in today's terms.
    policy_text: str = ""


@dataclass(frozen=True)
class Page:
    """One page of the wizard: the policy's words around its questions."""

    id: PageId
    title: str
    intro: str
    questions: tuple[Question, ...] = ()
    examples_heading: str = ""
    examples: tuple[str, ...] = ()


POLICE_INTRO = (
    "There may be some occasions when a child/young person not receiving education may "
    "have been a victim of a crime."
)
POLICE_RULE = (
    "If the answer to any of the following questions is YES then a referral to the Police "
    "should be made."
)
SOCIAL_CARE_RULE = (
    "If the answer to any of the following questions is YES then liaison and/or a further "
    "referral to Children's Social Care (Access Team) should be made."
)
WORKING_TOGETHER_NOTE = (
    "The questions are in the terms of Working Together to Safeguard Children 2023; the "
    "policy's own wording is shown beneath each one."
)
#: The 6.0 questions in Working Together 2023 terms, by the policy question's key.
WORKING_TOGETHER_2023: dict[str, str] = {
    "protection_plan": (
        "Is the child the subject of a child protection plan, or of a section 47 enquiry "
        "(Children Act 1989) now under way?"
    ),
    "in_care": (
        "Is the child looked after by the local authority (in care under a care order, or "
        "accommodated under section 20 of the Children Act 1989)?"
    ),
    "involvement": (
        "Is Children's Social Care involved with the child or family (a child in need plan, "
        "a child and family assessment, or early help led by the local authority)?"
    ),
}
SAFEGUARDING_INTRO = (
    "The referral form's own safeguarding questions, filled in from the latest referral "
    "where the referrer answered them. Correct them if you know better."
)
NO_ESCALATION_TEXT = (
    "No question of policy 5.0 or 6.0 has been answered YES, so the policy does not call "
    "for a referral to the Police or to Children's Social Care. Keep the case under review "
    "and come back to these questions if anything changes."
)

PAGES: tuple[Page, ...] = (
    Page(
        id="police",
        title="5.0 How and when to consider police involvement",
        intro=f"{POLICE_INTRO}\n\n{POLICE_RULE}",
        questions=tuple(Question(f"police.{t.key}", t.label) for t in POLICE_QUESTIONS),
        examples_heading="For example:",
        examples=POLICE_EXAMPLES,
    ),
    Page(
        id="social_care",
        title="6.0 How and when to consider social care involvement",
        intro=f"{SOCIAL_CARE_RULE}\n\n{WORKING_TOGETHER_NOTE}",
        questions=tuple(
            Question(
                f"social_care.{t.key}",
                WORKING_TOGETHER_2023.get(t.key, t.label),
                policy_text=t.label if t.key in WORKING_TOGETHER_2023 else "",
            )
            for t in SOCIAL_CARE_QUESTIONS
        ),
    ),
    Page(
        id="safeguarding",
        title="Safeguarding questions of the referral",
        intro=SAFEGUARDING_INTRO,
        questions=(
            Question("safeguarding.social_care_referral_considered", SOCIAL_CARE_REFERRAL_QUESTION),
            Question(
                "safeguarding.parental_consent",
                PARENTAL_CONSENT_QUESTION,
                shown_when="safeguarding.social_care_referral_considered",
            ),
        ),
    ),
    Page(
        id="decision",
        title="What the policy says follows, and your decision",
        intro="",
    ),
)
FIRST_PAGE: PageId = "police"
_ORDER: tuple[PageId, ...] = tuple(p.id for p in PAGES)
_QUESTIONS: dict[str, Question] = {q.key: q for p in PAGES for q in p.questions}
#: The referral's fields behind the safeguarding questions.
_FROM_REFERRAL = {
    "safeguarding.social_care_referral_considered": "social_care_referral_considered",
    "safeguarding.parental_consent": "parental_consent",
}
ANSWER_LABELS = {True: "Yes", False: "No", None: "Not known"}


def page(page_id: str) -> Page:
    """The page with this id; ``KeyError`` for an unknown id."""
    for p in PAGES:
        if p.id == page_id:
            return p
    raise KeyError(page_id)


def next_page(current: str | None, answers: Mapping[str, Answer]) -> PageId | None:
    """The page after ``current`` (the first page for ``None``); ``None`` after the last.

    Every page is always shown: each question of 5.0 and 6.0 must be asked even
    when an earlier one was already YES, because the decision records them all.
    ``answers`` is taken so that a later branch needs no change of signature.
    """
    del answers  # the flow does not branch on answers today (see above)
    if current is None:
        return FIRST_PAGE
    index = _ORDER.index(page(current).id) + 1
    return _ORDER[index] if index < len(_ORDER) else None


def previous_page(current: str) -> PageId | None:
    """The page before ``current``; ``None`` on the first page."""
    index = _ORDER.index(page(current).id) - 1
    return _ORDER[index] if index >= 0 else None


def visible_questions(page_id: str, answers: Mapping[str, Answer]) -> tuple[Question, ...]:
    """The questions of a page that are asked, given the answers so far."""
    return tuple(
        q
        for q in page(page_id).questions
        if q.shown_when is None or answers.get(q.shown_when) is True
    )


def blank_answers() -> Answers:
    """Every question, answered Not known."""
    return {key: None for key in _QUESTIONS}


def clean_answers(answers: Mapping[str, Answer]) -> Answers:
    """The answers with every question's key present and hidden questions cleared.

    ``InvalidInput`` for a key that is not a question or a value that is not an answer.
    """
    unknown = sorted(set(answers) - set(_QUESTIONS))
    if unknown:
        raise InvalidInput(f"{unknown[0]} is not a question of the wizard.", field=unknown[0])
    out = blank_answers()
    for key, value in answers.items():
        if value is not None and not isinstance(value, bool):
            raise InvalidInput(f"The answer to {key} must be Yes, No or Not known.", field=key)
        out[key] = value
    for question in _QUESTIONS.values():
        if question.shown_when is not None and out[question.shown_when] is not True:
            out[question.key] = None
    return out


def prefill_from_referral(referral: Referral | None, answers: Mapping[str, Answer]) -> Answers:
    """The answers with the safeguarding questions taken from the referral, where it has them.

    An answer the officer already gave is kept; the referral fills only Not known.
    """
    out = blank_answers() | dict(answers)
    if referral is None:
        return clean_answers(out)
    for key, field in _FROM_REFERRAL.items():
        value = referral.get(field)
        if out.get(key) is None and isinstance(value, bool):
            out[key] = value
    return clean_answers(out)


def answer_label(value: Answer) -> str:
    """``"Yes"``, ``"No"`` or ``"Not known"``."""
    return ANSWER_LABELS[value]


# --- the recommendation ----------------------------------------------------------


def referral_reasons(
    answers: Mapping[str, Answer], serious_indicators: Iterable[str] = ()
) -> tuple[str, ...]:
    """Why the referral calls for at least a social care consultation, one line each.

    The referrer considered a referral to Social Care (the safeguarding answer,
    as the officer confirmed it), and each serious indicator the referral marks as
    current (keys of ``SERIOUS_INDICATORS``; others are ignored).
    """
    reasons: list[str] = []
    if answers.get("safeguarding.social_care_referral_considered") is True:
        reasons.append("The referrer has considered a referral to Social Care (answered Yes).")
    for key in dict.fromkeys(serious_indicators):
        if key in SERIOUS_INDICATORS:
            reasons.append(
                f"The referral marks as current: {key}. {label_of(RISK_INDICATORS, key)}."
            )
    return tuple(reasons)


def recommendation(
    answers: Mapping[str, Answer], serious_indicators: Iterable[str] = ()
) -> Recommendation:
    """What follows: any 5.0 YES → police; any 6.0 YES, or a reason of the referral
    (``referral_reasons``) → at least social care; both when both."""
    police = any(answers.get(f"police.{t.key}") is True for t in POLICE_QUESTIONS)
    social_care = any(
        answers.get(f"social_care.{t.key}") is True for t in SOCIAL_CARE_QUESTIONS
    ) or bool(referral_reasons(answers, serious_indicators))
    if police and social_care:
        return "refer_both"
    if police:
        return "refer_police"
    if social_care:
        return "refer_social_care"
    return "no_escalation"


REFERRAL_RULE = (
    "What the referral says calls for at least a consultation with Children's Social Care "
    "(Access Team), whatever the answers above:"
)


def policy_text(rec: str) -> str:
    """What the policy says follows from ``rec``, in its own words where it has them."""
    texts = {
        "refer_police": f"Policy 5.0: {POLICE_RULE}",
        "refer_social_care": f"Policy 6.0: {SOCIAL_CARE_RULE}",
        "refer_both": f"Policy 5.0: {POLICE_RULE}\n\nPolicy 6.0: {SOCIAL_CARE_RULE}",
        "no_escalation": NO_ESCALATION_TEXT,
    }
    if rec not in texts:
        raise InvalidInput("Unknown recommendation.", field="recommendation")
    return texts[rec]


def not_known(answers: Mapping[str, Answer]) -> tuple[Question, ...]:
    """The 5.0 and 6.0 questions answered Not known: worth finding out."""
    return tuple(
        q
        for p in PAGES
        if p.id in ("police", "social_care")
        for q in p.questions
        if answers.get(q.key) is None
    )


def validate_decision(rec: str, decision: str, rationale: str) -> None:
    """Refuse an unknown decision, or one that differs from ``rec`` without a rationale.

    Raises ``InvalidInput`` with ``field`` ``"decision"`` or ``"rationale"``.
    """
    if decision not in {t.key for t in ESCALATION_DECISIONS}:
        raise InvalidInput("Choose your decision.", field="decision")
    if decision != rec and not rationale.strip():
        raise InvalidInput(
            f'Your decision ("{label_of(ESCALATION_DECISIONS, decision)}") differs from what '
            f'the policy recommends ("{label_of(ESCALATION_DECISIONS, rec)}"). '
            "Write your rationale: why you decided otherwise.",
            field="rationale",
        )


# --- what a decision sets in motion ----------------------------------------------


@dataclass(frozen=True)
class FollowUp:
    """A task and an agency referral that a decision creates."""

    agency: str
    task: str
    working_days: int
    note: str


_POLICE_FOLLOW_UP = FollowUp(
    agency="police",
    task="Confirm police reference number",
    working_days=2,
    note="Referred to the Police after the escalation questions (policy 5.0).",
)
_SOCIAL_CARE_FOLLOW_UP = FollowUp(
    agency="childrens_social_care",
    task="Confirm Children's Social Care (Access Team) outcome",
    working_days=5,
    note="Referred to Children's Social Care (Access Team) after the escalation questions "
    "(policy 6.0).",
)


def follow_ups(decision: str) -> tuple[FollowUp, ...]:
    """The follow-ups of a decision: police, social care, both or none."""
    out: list[FollowUp] = []
    if decision in ("refer_police", "refer_both"):
        out.append(_POLICE_FOLLOW_UP)
    if decision in ("refer_social_care", "refer_both"):
        out.append(_SOCIAL_CARE_FOLLOW_UP)
    return tuple(out)


def add_working_days(start: date, days: int) -> date:
    """``days`` working days (Monday to Friday) after ``start``."""
    if days < 0:
        raise InvalidInput("A number of working days cannot be negative.", field="days")
    day = start
    remaining = days
    while remaining:
        day += timedelta(days=1)
        if day.weekday() < 5:
            remaining -= 1
    return day
