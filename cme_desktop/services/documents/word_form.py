"""The Word referral form's own labels: what ``referral_docx`` writes, the importer reads by.

The form's field labels (with the other ways schools word them), its column
headings and guidance notes, the namespace of the record embedded in an
exported document, and ``form_text_digest``, which tells the importer whether
the visible text still matches that embedded record.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Literal

from lxml import etree

__all__ = [
    "ACTION_COLUMN",
    "ACTION_DATE_PREFIX",
    "ADDITIONAL_FIELD",
    "ASSESSMENT_NOTES",
    "CHILD_FIELDS",
    "EMBEDDED_NAMESPACE",
    "FORM_TITLE",
    "OUTCOME_COLUMN",
    "PUPIL_FIELDS",
    "REFERRER_FIELDS",
    "SIGNATURE_LABEL",
    "FieldKind",
    "FormField",
    "form_text_digest",
]

FieldKind = Literal["text", "date", "yes_no", "names", "upn"]


@dataclass(frozen=True)
class FormField:
    """One labelled field of the form.

    ``path`` is the record's key, relative to a child for pupil fields
    (``"aka"``) and to the record otherwise (``"referrer.name"``). ``note`` is
    the italic text the form prints after the label. ``aliases`` are other
    ways schools word the label, for the importer.
    """

    path: str
    label: str
    kind: FieldKind = "text"
    note: str = ""
    aliases: tuple[str, ...] = ()


FORM_TITLE = "Referral Checklist for Children Missing out on Education (CME)"

#: Per-child fields, in the form's left column. ``full_name`` holds every
#: child named, one a line.
CHILD_FIELDS: tuple[FormField, ...] = (
    FormField(
        "full_name",
        "Name of Pupil (s)",
        "names",
        aliases=("Name of Pupil", "Pupil Name", "Pupil Names", "Pupil's Name", "Child's Name"),
    ),
    FormField("aka", "AKA", aliases=("Also Known As", "Known As")),
    FormField("date_of_birth", "Date of Birth", "date", aliases=("DOB", "Birth Date")),
    FormField("gender", "Gender", aliases=("Sex",)),
    FormField("ethnicity", "Ethnicity"),
    FormField(
        "sen_disability",
        "SEN & Disability",
        aliases=("SEN", "SEND", "SEN/Disability", "SEN and/or Disability"),
    ),
    FormField(
        "child_in_care",
        "Child in Care?",
        "yes_no",
        aliases=("Child in Care", "Looked After Child", "CiC", "LAC"),
    ),
    FormField("upn", "UPN", "upn", note="(Unique Pupil Number)", aliases=("Unique Pupil Number",)),
)

#: Family and school fields, in the form's right column.
PUPIL_FIELDS: tuple[FormField, ...] = (
    FormField(
        "last_known_address",
        "Address",
        note="(Last Known)",
        aliases=("Last Known Address", "Address Last Known"),
    ),
    FormField(
        "parents_carers",
        "Parents'/Carers' Names",
        aliases=("Parents/Carers", "Parent/Carer Name", "Parent/Carer Names", "Parents Names"),
    ),
    FormField(
        "telephone",
        "Telephone No.",
        aliases=("Telephone", "Telephone Number", "Tel", "Tel No", "Phone", "Phone Number"),
    ),
    FormField("email", "Email", aliases=("E-mail", "Email Address", "E-mail Address")),
    FormField("school", "School/College", aliases=("School", "School / Academy", "College")),
    FormField(
        "date_last_attended",
        "Date Last Attended",
        "date",
        aliases=("Last Attended", "Last Date Attended", "Date of Last Attendance"),
    ),
)

ADDITIONAL_FIELD = FormField(
    "additional_information",
    "Any Additional Information",
    note="(E.G. additional addresses, information surrounding SEN/Care etc)",
    aliases=("Additional Information",),
)

ACTION_COLUMN = "Action"
OUTCOME_COLUMN = "Outcome (Include date completed)"
#: How the date of an action is written below its outcome.
ACTION_DATE_PREFIX = "Date:"


#: The guidance the paper form prints under the assessment questions; not answers.
ASSESSMENT_NOTES: tuple[str, ...] = (
    "Include protective factors:",
    "People, situations & actions that contribute to the wellbeing of the child & to plans "
    "about how they could be made safe",
    "Actions already being taken to make sure the child is safe",
    "Include risk factors, whether they are suffering or likely to suffer significant harm.",
    "Harm – actual hurt, injury or abuse (likely) caused by adults in the past or present",
    "Risk taking behaviour by the child",
    "Professional Judgment",
    "Please use your professional judgement to reflect upon the indicators you have ticked "
    "above and consider the health, welfare and safety of the child in question",
    "This is the initial plan and should include what outcomes you are hoping are achieved "
    "and by when",
)

SIGNATURE_LABEL = "Signature"
REFERRER_FIELDS: tuple[FormField, ...] = (
    FormField("referrer.name", "Name", aliases=("Referrer Name", "Referrer's Name", "Your Name")),
    FormField("referrer.position", "Position/Title", aliases=("Position", "Job Title", "Role")),
    FormField("referrer.contact_details", "Contact Details", aliases=("Contact",)),
    FormField(
        "referrer.organisation",
        "School/College or Agency",
        aliases=("School or Agency", "Organisation", "Agency", "School/College/Agency"),
    ),
    FormField(
        "referrer.date_completed",
        "Date Completed",
        "date",
        aliases=("Date of Referral", "Date Form Completed"),
    ),
)

#: Namespace of the custom XML part that carries the record.
EMBEDDED_NAMESPACE = "urn:x-cme-desktop:referral"

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def form_text_digest(body: Any) -> str:
    """SHA-256 of the visible text of a document body, with its paragraph and cell structure.

    Run boundaries and formatting do not count, so a document saved again by
    Word without edits keeps its digest; any change to what the form says does not.
    """
    parts: list[str] = []
    for event, el in etree.iterwalk(body, events=("start", "end")):
        tag = el.tag
        if event == "start":
            if tag == f"{{{_W}}}t" and el.text:
                parts.append(el.text)
        elif tag == f"{{{_W}}}p":
            parts.append("\n")
        elif tag == f"{{{_W}}}tc":
            parts.append("\x1f")
        elif tag == f"{{{_W}}}tbl":
            parts.append("\x1e")
    return hashlib.sha256("".join(parts).encode("utf-8", "surrogatepass")).hexdigest()
