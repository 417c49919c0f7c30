"""The labels of the Appendix A form, and which of them a piece of form text is.

Schools fill in their own copy of the form, so a label is recognised by its
wording, not its place: ``norm`` keeps only letters and digits, case-folded, so
``Name of Pupil ( s ):`` and ``NAME OF PUPILS`` are the same label. A field's
label may be any of the wordings ``referral_docx`` lists for it (``FormField``:
its label, its label with its note, its aliases). ``classify`` says which label
a cell or paragraph is (``Match.key``), a heading of the form (``Match.key`` is
``None``), or a label followed by its value in the same text (``Match.inline``).
A referrer's action written as a paragraph, its label followed by a colon and
the outcome, is read too, also when the label is cut short ("Check possible
whereabouts…: Tutor group asked…").
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from cme_desktop.models.vocabularies import (
    ACTIONS_HEADING,
    ASSESSMENT_HEADING,
    ASSESSMENT_QUESTIONS,
    INDICATOR_COLUMNS,
    INDICATORS_INTRO,
    PARENTAL_CONSENT_QUESTION,
    REFERRER_ACTIONS,
    REFERRER_HEADING,
    RISK_INDICATORS,
    SOCIAL_CARE_REFERRAL_QUESTION,
)
from cme_desktop.services.documents.word_form import (
    ACTION_COLUMN,
    ADDITIONAL_FIELD,
    ASSESSMENT_NOTES,
    CHILD_FIELDS,
    OUTCOME_COLUMN,
    PUPIL_FIELDS,
    REFERRER_FIELDS,
    SIGNATURE_LABEL,
    FormField,
)

__all__ = [
    "FIELD_LABELS",
    "GROUP_OF",
    "QUESTIONS",
    "Label",
    "Match",
    "after_label",
    "classify",
    "is_note",
    "norm",
]


def norm(text: str) -> str:
    """Letters and digits only, case-folded: ``Name of Pupil ( s ):`` → ``nameofpupils``."""
    folded = unicodedata.normalize("NFKC", text).casefold().replace("&", "and")
    return "".join(ch for ch in folded if ch.isalnum())


def after_label(raw: str, label: str) -> str | None:
    """What follows ``label`` (normalised) at the start of ``raw``; ``None`` if it is not there."""
    i = 0
    for pos, ch in enumerate(raw):
        if i == len(label):
            return raw[pos:]
        piece = norm(ch)
        if not piece:
            continue
        if not label.startswith(piece, i):
            return None
        i += len(piece)
    return "" if i == len(label) else None


_SEPARATORS = ":?-–—=\n"
_LEADING_NUMBER = re.compile(r"^\s*\(?[0-9]{1,2}\s*[.):\-]?\s*")


@dataclass(frozen=True)
class Label:
    """One field's label: its key in the reader and every wording it may have."""

    key: str  # "child.aka", "email", "referrer.name", "action.<key>", "indicator.<n>", ...
    norms: tuple[str, ...]  # the label's wordings, normalised, longest first
    prefix: bool = False  # guidance may follow the label in its cell
    group: str = ""


def _field_label(prefix: str, f: FormField, group: str, *, guided: bool = False) -> Label:
    wordings = {f.label, f"{f.label} {f.note}", *f.aliases}
    norms = tuple(sorted({norm(w) for w in wordings}, key=len, reverse=True))
    return Label(prefix + f.path, norms, guided, group)


#: The labels of the pupil, family and referrer fields.
FIELD_LABELS: tuple[Label, ...] = (
    *(_field_label("child.", f, "pupil") for f in CHILD_FIELDS),
    *(_field_label("", f, "pupil") for f in PUPIL_FIELDS),
    _field_label("", ADDITIONAL_FIELD, "pupil", guided=True),
    *(_field_label("", f, "referrer") for f in REFERRER_FIELDS),
)
#: Which part of the form each field of ``FIELD_LABELS`` belongs to: "pupil", "referrer".
GROUP_OF = {label.key: label.group for label in FIELD_LABELS}
_GUIDED_LABELS: tuple[Label, ...] = (
    *(Label(f"action.{t.key}", (norm(t.label),), True) for t in REFERRER_ACTIONS),
    *(Label(f"indicator.{t.key}", (norm(t.label),), True) for t in RISK_INDICATORS),
    *(Label(f"assessment.{t.key}", (norm(t.label),), True) for t in ASSESSMENT_QUESTIONS),
)
#: The two Yes/No questions: their record key and the core of their wording, normalised.
QUESTIONS: tuple[tuple[str, str], ...] = tuple(
    (key, norm(question.rsplit(",", 1)[-1]))
    for key, question in (
        ("social_care_referral_considered", SOCIAL_CARE_REFERRAL_QUESTION),
        ("parental_consent", PARENTAL_CONSENT_QUESTION),
    )
)
_HEADINGS = frozenset(
    norm(h)
    for h in (
        ACTIONS_HEADING,
        ACTION_COLUMN,
        OUTCOME_COLUMN,
        *INDICATOR_COLUMNS[1:],
        INDICATORS_INTRO,
        ASSESSMENT_HEADING,
        REFERRER_HEADING,
        SIGNATURE_LABEL,
    )
)
_NOTES = tuple(norm(n) for n in (*ASSESSMENT_NOTES, *(t.help for t in ASSESSMENT_QUESTIONS)) if n)


def is_note(line: str) -> bool:
    """True for a blank line or a line of the form's own guidance, which is not an answer."""
    n = norm(line)
    return not n or n in _NOTES or (len(n) >= 12 and any(n in note for note in _NOTES))


@dataclass(frozen=True)
class Match:
    """What ``classify`` found: a field's label (``key``), or a heading (``key`` ``None``)."""

    key: str | None  # None for a heading
    inline: str | None = None  # "label: value" in one cell; None when the cell is the label


def classify(text: str) -> Match | None:
    """Which label ``text`` is (or starts with, followed by ``:`` and a value), if any."""
    head = text[:600]
    n = norm(head)
    if not n:
        return None
    if n in _HEADINGS:
        return Match(None)
    for label in FIELD_LABELS:
        for wording in label.norms:
            if not n.startswith(wording):
                continue
            rest = after_label(head, wording)
            if rest is None:
                continue
            if not norm(rest):
                return Match(label.key)
            tail = rest.lstrip(" \t)].")
            if tail[0] in (":" if label.prefix else _SEPARATORS):
                value = text[len(head) - len(rest) :].lstrip(")]. \t" + _SEPARATORS)
                return Match(label.key, value)
            if label.prefix:
                return Match(label.key)
    numbered = norm(_LEADING_NUMBER.sub("", head, count=1))
    for label in _GUIDED_LABELS:
        if n.startswith(label.norms[0]) or numbered.startswith(label.norms[0]):
            return Match(label.key, _action_answer(text, label))
    shortened = _shortened_action(text)
    if shortened is not None:
        return shortened
    if any(core in n for _, core in QUESTIONS):
        return Match(None)
    return None


_ACTION_LABELS = tuple(label for label in _GUIDED_LABELS if label.key.startswith("action."))
#: The shortest start of an action's wording taken as that action ("Check possible whereabouts").
_SHORTEST_STEM = 18


def _action_answer(text: str, label: Label) -> str | None:
    """The outcome after an action's full label and a colon, in one paragraph or cell.

    The table's label cell has no colon, so it is a label with its outcome beside it.
    """
    if not label.key.startswith("action.") or ":" not in text:
        return None
    # "Label:" alone is still the label of a cell, its outcome beside it.
    return text.split(":", 1)[1].strip() or None


def _shortened_action(text: str) -> Match | None:
    """An action as a paragraph, its label cut short: "Check possible whereabouts…: ...".

    The words before the first colon (an ellipsis dropped) must be the start of
    exactly one action's wording, long enough not to be chance.
    """
    if ":" not in text[:300]:
        return None
    before, after = text.split(":", 1)
    stem = norm(before.replace("…", "").replace("...", ""))
    if len(stem) < _SHORTEST_STEM:
        return None
    hits = [label for label in _ACTION_LABELS if label.norms[0].startswith(stem)]
    return Match(hits[0].key, after.strip() or None) if len(hits) == 1 else None
