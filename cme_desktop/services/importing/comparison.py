"""The case fields a referral can fill, and a case's values set beside a referral's.

``MERGE_FIELDS`` are the fields of a case that a referral form also gives, in
the order the review screen shows them; ``referral_values`` reads them off a
referral for one child, and ``compare_fields`` sets them beside a case's, as
text the officer reads, so that they can take the form's value field by field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from cme_desktop.models.vocabularies import label_of
from cme_desktop.services.cases.detail import CaseDraft
from cme_desktop.services.referral.parties import child_draft
from cme_desktop.services.referral.record import Referral, field_label
from cme_desktop.services.reports.dfe_codes import SEXES, sex_from_gender
from cme_desktop.services.rules.dates import format_uk_date

__all__ = [
    "MERGE_FIELDS",
    "FieldComparison",
    "compare_fields",
    "merge_field_label",
    "referral_values",
]

#: The case fields a referral can fill, in the order the review screen shows them.
MERGE_FIELDS: Final = (
    "full_name",
    "aka",
    "date_of_birth",
    "gender",
    "ethnicity",
    "upn",
    "sen_disability",
    "child_in_care",
    "last_known_address",
    "school",
    "date_last_attended",
)
_CHILD_FIELDS: Final = frozenset(MERGE_FIELDS[:8])


def merge_field_label(name: str) -> str:
    """The form's own label for a case field of ``MERGE_FIELDS``."""
    return field_label(f"children.{name}" if name in _CHILD_FIELDS else name)


@dataclass(frozen=True)
class FieldComparison:
    """One key field of a case beside the referral's value, as the review screen shows it."""

    field: str
    label: str
    case_value: Any
    referral_value: Any
    case_text: str
    referral_text: str
    differs: bool

    @property
    def can_take(self) -> bool:
        """True when the referral has a value here that the case lacks or differs from."""
        return self.differs and self.referral_text != ""


def referral_values(ref: Referral, child: dict[str, Any]) -> dict[str, Any]:
    """The values the referral gives each field of ``MERGE_FIELDS`` for one child."""
    draft = child_draft(ref, child, received_on=date.today(), agency="")
    return {name: getattr(draft, name) for name in MERGE_FIELDS}


def compare_fields(case: CaseDraft, referral: Mapping[str, Any]) -> tuple[FieldComparison, ...]:
    """Each field of ``MERGE_FIELDS``: the case's value beside the referral's.

    ``referral`` holds the referral's values for one child (``referral_values``).
    """
    ours = {name: getattr(case, name) for name in MERGE_FIELDS}
    return tuple(
        FieldComparison(
            field=name,
            label=merge_field_label(name),
            case_value=ours[name],
            referral_value=referral[name],
            case_text=_shown(name, ours[name]),
            referral_text=_shown(name, referral[name]),
            differs=_text(ours[name]) != _text(referral[name]),
        )
        for name in MERGE_FIELDS
    )


def _shown(name: str, value: Any) -> str:
    """The value as the review shows it: a gender with the sex it is read as for the DfE
    return, and a note when that reading needs the officer's check (``M / F``)."""
    text = _text(value)
    if name != "gender" or not text:
        return text
    reading = sex_from_gender(text)
    sex = label_of(SEXES, reading.key).casefold()
    return f"{text} (sex: {sex}, check it)" if reading.needs_review else f"{text} (sex: {sex})"


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, date):
        return format_uk_date(value)
    lines = (" ".join(line.split()) for line in str(value).splitlines())
    return ", ".join(line for line in lines if line)
