"""Builders of Word files for the import tests: forms as schools fill them in, and hostile files.

Nothing here is a stored binary: every file is made by the test that needs it,
from synthetic data (Faker ``en_GB``). ``appendix_a_docx`` writes Appendix A
the way a school's own Word copy looks, not the way ``render_docx`` does, in
several styles:

- ``clean``: the policy's template, labels as printed, values in the empty cells.
- ``careless``: labels with colons, odd spacing and case, ``Name of Pupil ( s )``;
  ``Y``/``x``/``☒`` and ``N``; dates as ``2/4/13``, ``2 April 2013``, ``2.4.2013``;
  "Yes/No" with one word kept or "Yes" typed after; merged cells; extra blank
  rows; the pupil table split in two.
- ``stacked``: labels in one row, their values in the row below.
- ``controls``: Word check box content controls, a legacy FORMCHECKBOX, an
  untouched placeholder, a plain-text content control, a tracked deletion.
- ``paragraphs``: pupil fields as ``Label: value`` lines, questions and the
  assessment as paragraphs.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import io
import os
import random
import re
import struct
import zipfile
import zlib
from datetime import date, timedelta
from typing import Any, Literal

import docx
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from docx.oxml import parse_xml
from docx.table import _Cell
from faker import Faker
from msoffcrypto.method.container.ecma376_encrypted import ECMA376Encrypted
from msoffcrypto.method.ecma376_standard import ECMA376Standard

from cme_desktop.models.vocabularies import (
    ASSESSMENT_QUESTIONS,
    PARENTAL_CONSENT_QUESTION,
    REFERRER_ACTIONS,
    RISK_INDICATORS,
    SOCIAL_CARE_REFERRAL_QUESTION,
)
from cme_desktop.services.referral.record import empty_referral, normalise

Style = Literal["clean", "careless", "stacked", "controls", "paragraphs"]
STYLES: tuple[Style, ...] = ("clean", "careless", "stacked", "controls", "paragraphs")

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W14_NS = "http://schemas.microsoft.com/office/word/2010/wordml"
_NS = f'xmlns:w="{W_NS}" xmlns:w14="{W14_NS}"'

# --- synthetic referrals ------------------------------------------------------------


def filled_referral(seed: int, *, children: int = 1) -> dict[str, Any]:
    """A realistic, fully filled referral (normalised) that every style can express.

    Siblings share a surname; each action's outcome mentions its date, as the
    form asks ("Outcome (Include date completed)").
    """
    fake = Faker("en_GB")
    fake.seed_instance(seed)
    rnd = random.Random(seed)
    ref = empty_referral()
    surname = fake.last_name()
    kids = []
    for i in range(children):
        first = fake.first_name()
        kids.append(
            {
                "full_name": f"{first} {surname}",
                "aka": f"{first[:3]} {surname}" if i == 0 else "",
                "date_of_birth": fake.date_between(date(2009, 9, 1), date(2020, 8, 31)).isoformat(),
                "gender": rnd.choice(("Female", "Male")),
                "ethnicity": "White British" if i == 0 else "White British",
                "sen_disability": rnd.choice(("SEN support: speech and language", "None known")),
                "child_in_care": False,
                "upn": None,
            }
        )
    ref["children"] = kids
    ref["last_known_address"] = fake.address()
    ref["parents_carers"] = f"{fake.first_name()} {surname} (mother)"
    ref["telephone"] = "07700 900" + f"{rnd.randrange(1000):03d}"
    ref["email"] = fake.free_email()
    ref["school"] = f"{fake.city()} Academy"
    ref["date_last_attended"] = fake.date_between(date(2026, 6, 1), date(2026, 10, 20)).isoformat()
    ref["additional_information"] = (
        f"Possible address in {fake.city()}.\nFamily known to Early Help."
    )
    for k, action in enumerate(REFERRER_ACTIONS):
        when = date(2026, 10, 21) + timedelta(days=3 * k + rnd.randrange(3))
        said = ("Spoke to", "Phoned", "Visited")[k]
        ref["referrer_actions"][action.key] = {
            "outcome": f"{said} on {when.day} {when:%B %Y} - {fake.sentence(nb_words=6)}",
            "date": when.isoformat(),
        }
    for term in RISK_INDICATORS:
        present = rnd.choice((True, False, False, None))
        timing = rnd.choice(("current", "historic")) if present else None
        ref["risk_indicators"][term.key] = {"present": present, "timing": timing}
    ref["risk_indicators"]["10"] = {"present": True, "timing": "current"}
    ref["social_care_referral_considered"] = True
    ref["parental_consent"] = False
    for term in ASSESSMENT_QUESTIONS:
        ref["assessment"][term.key] = fake.sentence(nb_words=10)
    ref["referrer"] = {
        "name": fake.name(),
        "position": "Designated Safeguarding Lead",
        "contact_details": "0116 496 0" + f"{rnd.randrange(1000):03d}",
        "organisation": ref["school"],
        "date_completed": "2026-10-30",
    }
    return normalise(ref)


# --- Appendix A as a school's Word form ---------------------------------------------------

_CLEAN_LABELS = {
    "full_name": "Name of Pupil (s)",
    "aka": "AKA",
    "date_of_birth": "Date of Birth",
    "gender": "Gender",
    "ethnicity": "Ethnicity",
    "sen_disability": "SEN & Disability",
    "child_in_care": "Child in Care?",
    "last_known_address": "Address (Last Known)",
    "parents_carers": "Parents'/Carers' Names",
    "telephone": "Telephone No.",
    "email": "Email",
    "school": "School/College",
    "date_last_attended": "Date Last Attended",
    "additional_information": "Any Additional Information (E.G. additional addresses, "
    "information surrounding SEN/Care etc)",
    "referrer.name": "Name",
    "referrer.position": "Position/Title",
    "referrer.contact_details": "Contact Details",
    "referrer.organisation": "School/College or Agency",
    "referrer.date_completed": "Date Completed",
}
_CARELESS_LABELS = {
    "full_name": "Name of Pupil ( s ) :",
    "aka": "AKA :",
    "date_of_birth": "date of birth:",
    "gender": "GENDER",
    "ethnicity": "Ethnicity :",
    "sen_disability": "SEN and  Disability:",
    "child_in_care": "Child in Care ?",
    "last_known_address": "Address  (last known):",
    "parents_carers": "Parents' / Carers'  names:",
    "telephone": "Telephone no",
    "email": "E-mail:",
    "school": "School / College:",
    "date_last_attended": "Date last attended:",
    "additional_information": "Any additional information:",
    "referrer.name": "Name:",
    "referrer.position": "Position / Title:",
    "referrer.contact_details": "Contact details:",
    "referrer.organisation": "School/College or Agency:",
    "referrer.date_completed": "Date completed:",
}
_LEFT = ("full_name", "aka", "date_of_birth", "gender", "ethnicity", "sen_disability")
_RIGHT = ("last_known_address", "parents_carers", "telephone", "email", "school")
_CHILD_KEYS = ("full_name", "aka", "date_of_birth", "gender", "ethnicity", "sen_disability")


class _Writer:
    """How one style writes labels and values."""

    def __init__(self, style: Style) -> None:
        self.style = style
        self.careless = style == "careless"
        self.labels = _CARELESS_LABELS if self.careless else _CLEAN_LABELS
        self.turn = 0

    def _next(self, options: tuple[str, ...]) -> str:
        self.turn += 1
        return options[self.turn % len(options)]

    def date(self, iso: str | None) -> str:
        if iso is None:
            return ""
        d = date.fromisoformat(iso)
        if not self.careless:
            return f"{d.day:02d}/{d.month:02d}/{d.year}"
        return self._next(
            (
                f"{d.day}/{d.month}/{d.year % 100:02d}",
                f"{d.day} {d:%B %Y}",
                f"{d.day}.{d.month}.{d.year}",
                f"{d.day:02d}-{d.month:02d}-{d.year}",
                f"{d.day}th {d:%b %Y}",
            )
        )

    def yes_no(self, value: bool | None) -> str:
        if value is None:
            return ""
        if not self.careless:
            return "Yes" if value else "No"
        return self._next(("Y", "x", "☒", "yes", "YES")) if value else self._next(("N", "no"))

    def timing(self, value: str | None) -> str:
        if value is None:
            return ""
        if not self.careless:
            return "C" if value == "current" else "H"
        options = ("Current", "c", "CURRENT") if value == "current" else ("historic", "H ", "Hist")
        return self._next(options)

    def question_answer(self, value: bool | None) -> str:
        if value is None:
            return "Yes/No"
        if self.careless:
            return self._next(("Yes/No  " + ("yes" if value else "no"), "Yes" if value else "No"))
        return "Yes" if value else "No"


def _set(cell: _Cell, text: str, *, bold: bool = False) -> None:
    """Text in a cell, one paragraph a line, the way Word stores it."""
    lines = text.split("\n")
    cell.paragraphs[0].add_run(lines[0]).bold = bold
    for line in lines[1:]:
        cell.add_paragraph().add_run(line).bold = bold


def _child_lines(ref: dict[str, Any], key: str, w: _Writer) -> str:
    values = []
    for child in ref["children"]:
        value = child[key]
        values.append(w.date(value) if key == "date_of_birth" else value)
    return "\n".join(values) if any(values) else ""


def _pupil_value(ref: dict[str, Any], key: str, w: _Writer) -> str:
    if key in _CHILD_KEYS:
        return _child_lines(ref, key, w)
    if key == "child_in_care":
        return "\n".join(w.yes_no(c["child_in_care"]) for c in ref["children"])
    if key == "date_last_attended":
        return w.date(ref[key])
    return str(ref[key])


def _pupil_tables(doc: Any, ref: dict[str, Any], w: _Writer) -> None:
    rows = list(zip(_LEFT + ("child_in_care",), _RIGHT + ("", "date_last_attended"), strict=True))
    if w.style == "careless":
        # The school split the pupil table in two and added blank rows and merges.
        left = doc.add_table(rows=0, cols=2)
        for key, _ in rows:
            cells = left.add_row().cells
            _set(cells[0], w.labels[key])
            _set(cells[1], _pupil_value(ref, key, w))
            if key == "aka":
                left.add_row()
        doc.add_paragraph()
        right = doc.add_table(rows=0, cols=3)
        for _, key in rows:
            if not key:
                continue
            cells = right.add_row().cells
            _set(cells[0], w.labels[key])
            value = cells[1].merge(cells[2])
            _set(value, _pupil_value(ref, key, w))
            if key == "last_known_address":
                # Label and value merged down over a second, empty row.
                extra = right.add_row().cells
                cells[0].merge(extra[0])
                value.merge(extra[1].merge(extra[2]))
        extra = right.add_row().cells
        _set(extra[0], w.labels["additional_information"])
        _set(extra[1].merge(extra[2]), ref["additional_information"])
        return
    if w.style == "stacked":
        keys = (*_LEFT, "child_in_care", *_RIGHT, "date_last_attended", "additional_information")
        for start in range(0, len(keys), 4):
            chunk = keys[start : start + 4]
            table = doc.add_table(rows=2, cols=len(chunk))
            for c, key in enumerate(chunk):
                _set(table.cell(0, c), w.labels[key], bold=True)
                _set(table.cell(1, c), _pupil_value(ref, key, w))
            doc.add_paragraph()
        return
    table = doc.add_table(rows=len(rows) + 1, cols=4)
    for r, (lkey, rkey) in enumerate(rows):
        _set(table.cell(r, 0), w.labels[lkey], bold=True)
        if lkey == "child_in_care" and w.style == "controls":
            for i, child in enumerate(ref["children"]):
                para = (
                    table.cell(r, 1).paragraphs[0] if i == 0 else table.cell(r, 1).add_paragraph()
                )
                _legacy_checkbox(para, child["child_in_care"] is True, "Yes")
                _legacy_checkbox(para, child["child_in_care"] is False, "No")
        elif lkey == "aka" and w.style == "controls" and not ref["children"][0]["aka"]:
            _placeholder(table.cell(r, 1))
        else:
            _set(table.cell(r, 1), _pupil_value(ref, lkey, w))
        if rkey:
            _set(table.cell(r, 2), w.labels[rkey], bold=True)
            if rkey == "school" and w.style == "controls":
                _text_control(table.cell(r, 3), _pupil_value(ref, rkey, w))
            else:
                _set(table.cell(r, 3), _pupil_value(ref, rkey, w))
    last = len(rows)
    _set(table.cell(last, 0), w.labels["additional_information"], bold=True)
    _set(table.cell(last, 1).merge(table.cell(last, 3)), ref["additional_information"])


def _actions_table(doc: Any, ref: dict[str, Any], w: _Writer) -> None:
    table = doc.add_table(rows=2, cols=2)
    _set(table.cell(0, 0).merge(table.cell(0, 1)), "Action to be Taken by Referrer", bold=True)
    _set(table.cell(1, 0), "Action")
    _set(table.cell(1, 1), "Outcome (Include date completed)")
    for action in REFERRER_ACTIONS:
        cells = table.add_row().cells
        label = action.label
        if action.help:
            label += " (Check visible signs of property being occupied, checks with neighbours etc)"
        _set(cells[0], label)
        _set(cells[1], ref["referrer_actions"][action.key]["outcome"])


def _indicators_table(doc: Any, ref: dict[str, Any], w: _Writer) -> None:
    doc.add_paragraph(
        "Please complete the table below. Indicate as appropriate and mark whether the "
        "indicators are current or historic"
    )
    table = doc.add_table(rows=1, cols=4)
    header = ("No", "Vulnerabilities, Warning Signs & Risk Indicators", "Yes or No?", "C/H?")
    for c, text in enumerate(header):
        _set(table.cell(0, c), text.upper() if w.careless else text, bold=True)
    for term in RISK_INDICATORS:
        row = ref["risk_indicators"][term.key]
        cells = table.add_row().cells
        if w.careless:
            _set(cells[0], "")
            _set(cells[1], f"{term.key}. {term.label.lower()}")
        else:
            _set(cells[0], term.key)
            _set(cells[1], term.label)
        if w.style == "controls":
            para = cells[2].paragraphs[0]
            para.add_run("Yes ")
            _checkbox(para, row["present"] is True)
            para.add_run(" No ")
            _checkbox(para, row["present"] is False)
            para = cells[3].paragraphs[0]
            _checkbox(para, row["timing"] == "current")
            para.add_run(" C ")
            _checkbox(para, row["timing"] == "historic")
            para.add_run(" H")
        else:
            _set(cells[2], w.yes_no(row["present"]))
            _set(cells[3], w.timing(row["timing"]))
        if w.careless and term.key == "7":
            table.add_row()


def _questions(doc: Any, ref: dict[str, Any], w: _Writer) -> None:
    pairs = (
        (SOCIAL_CARE_REFERRAL_QUESTION, ref["social_care_referral_considered"]),
        (PARENTAL_CONSENT_QUESTION, ref["parental_consent"]),
    )
    for question, answer in pairs:
        if w.style == "controls":
            # Answered by deleting the other word with Track Changes on.
            para = doc.add_paragraph(question + " ")
            keep, drop = ("Yes", "/No") if answer else ("No", "Yes/")
            if answer is None:
                para.add_run("Yes/No")
                continue
            if answer:
                para.add_run(keep)
                _deleted(para, drop)
            else:
                _deleted(para, drop)
                para.add_run(keep)
        elif w.style == "careless" and question is PARENTAL_CONSENT_QUESTION:
            table = doc.add_table(rows=1, cols=2)
            _set(table.cell(0, 0), question)
            _set(table.cell(0, 1), w.question_answer(answer))
        else:
            doc.add_paragraph(f"{question} {w.question_answer(answer)}")


def _assessment(doc: Any, ref: dict[str, Any], w: _Writer) -> None:
    doc.add_paragraph("Referrer Assessment")
    if w.style == "paragraphs":
        for term in ASSESSMENT_QUESTIONS:
            doc.add_paragraph(term.label)
            doc.add_paragraph(term.help)
            for line in ref["assessment"][term.key].split("\n"):
                doc.add_paragraph(line)
        return
    table = doc.add_table(rows=0, cols=1)
    for term in ASSESSMENT_QUESTIONS:
        _set(table.add_row().cells[0], f"{term.label}\n{term.help}")
        _set(table.add_row().cells[0], ref["assessment"][term.key])


def _referrer_table(doc: Any, ref: dict[str, Any], w: _Writer) -> None:
    doc.add_paragraph("Referrer's Details")
    table = doc.add_table(rows=3, cols=4)
    r = ref["referrer"]
    layout = (
        ("referrer.name", r["name"], "referrer.position", r["position"]),
        (
            "referrer.contact_details",
            r["contact_details"],
            "referrer.organisation",
            r["organisation"],
        ),
        (None, "", "referrer.date_completed", w.date(r["date_completed"])),
    )
    for row, (lkey, lvalue, rkey, rvalue) in zip(table.rows, layout, strict=True):
        _set(row.cells[0], w.labels[lkey] if lkey else "Signature")
        _set(row.cells[1], lvalue)
        _set(row.cells[2], w.labels[rkey])
        _set(row.cells[3], rvalue)


def _paragraph_fields(doc: Any, ref: dict[str, Any], w: _Writer) -> None:
    keys = (*_LEFT, "child_in_care", *_RIGHT, "date_last_attended", "additional_information")
    for key in keys:
        label = w.labels[key].split(" (E.G.")[0]
        value = _pupil_value(ref, key, w).replace(
            "\n", "; " if key in (*_CHILD_KEYS, "child_in_care") else ", "
        )
        doc.add_paragraph(f"{label}: {value}")


def expected_record(ref: dict[str, Any], style: Style) -> dict[str, Any]:
    """What importing ``appendix_a_docx(ref, style=style)`` must give.

    The form holds everything the record does, except that ``paragraphs``
    writes each pupil field on one line, so its line breaks become ``, ``.
    """
    if style != "paragraphs":
        return ref
    out = copy.deepcopy(ref)
    for key in (*_RIGHT, "additional_information"):
        out[key] = out[key].replace("\n", ", ")
    return out


def appendix_a_docx(ref: dict[str, Any], *, style: Style = "clean") -> bytes:
    """Appendix A filled in with ``ref``, as a school's Word form in ``style``."""
    w = _Writer(style)
    doc = docx.Document()
    doc.add_paragraph(
        "Referral Checklist for Children Missing out on Education (CME)\t"
        "Leicestershire County Council"
    )
    if style == "paragraphs":
        _paragraph_fields(doc, ref, w)
    else:
        _pupil_tables(doc, ref, w)
    doc.add_paragraph()
    _actions_table(doc, ref, w)
    _indicators_table(doc, ref, w)
    _questions(doc, ref, w)
    _assessment(doc, ref, w)
    _referrer_table(doc, ref, w)
    for table in doc.tables:
        table.style = doc.styles["Table Grid"]
    return _save(doc)


@functools.lru_cache(maxsize=64)
def _cached_form(seed: int, children: int, style: Style) -> bytes:
    return appendix_a_docx(filled_referral(seed, children=children), style=style)


def filled_form(
    seed: int, *, children: int = 1, style: Style = "clean"
) -> tuple[dict[str, Any], bytes]:
    """``filled_referral(seed)`` and its form in ``style``; forms are built once per test run."""
    return filled_referral(seed, children=children), _cached_form(seed, children, style)


@functools.lru_cache(maxsize=1)
def blank_appendix_a_docx() -> bytes:
    """The form as the local authority sends it out: labels and empty cells."""
    ref = empty_referral()
    return appendix_a_docx(ref, style="clean")


def letter_docx() -> bytes:
    """A school letter to a parent: a Word document, but no referral."""
    fake = Faker("en_GB")
    fake.seed_instance(7)
    doc = docx.Document()
    doc.add_paragraph(fake.address())
    doc.add_paragraph("Dear Parent/Carer,")
    doc.add_paragraph(
        "Your child's attendance has fallen below 90% this term. Please contact the school "
        "office to arrange a meeting."
    )
    doc.add_paragraph("Telephone: 0116 496 0123")
    doc.add_paragraph("Email: office@example.sch.uk")
    doc.add_paragraph(f"Name: {fake.name()}")
    table = doc.add_table(rows=2, cols=2)
    _set(table.cell(0, 0), "Date")
    _set(table.cell(0, 1), "Sessions missed")
    _set(table.cell(1, 0), "03/10/2026")
    _set(table.cell(1, 1), "4")
    doc.add_paragraph("Yours sincerely,")
    return _save(doc)


def _save(doc: Any) -> bytes:
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


# --- Word's own controls, as raw XML ------------------------------------------------------


def _checkbox(paragraph: Any, ticked: bool) -> None:
    """A Word 2010+ check box content control showing ☒ or ☐."""
    glyph = "☒" if ticked else "☐"
    paragraph._p.append(
        parse_xml(
            f"<w:sdt {_NS}><w:sdtPr><w14:checkbox>"
            f'<w14:checked w14:val="{int(ticked)}"/>'
            '<w14:checkedState w14:val="2612" w14:font="MS Gothic"/>'
            '<w14:uncheckedState w14:val="2610" w14:font="MS Gothic"/>'
            "</w14:checkbox></w:sdtPr><w:sdtContent><w:r>"
            '<w:rPr><w:rFonts w:ascii="MS Gothic" w:hAnsi="MS Gothic"/></w:rPr>'
            f"<w:t>{glyph}</w:t></w:r></w:sdtContent></w:sdt>"
        )
    )


def _legacy_checkbox(paragraph: Any, ticked: bool, label: str) -> None:
    """A legacy FORMCHECKBOX field followed by its label (Word 97-2003 forms)."""
    for xml in (
        f'<w:r {_NS}><w:fldChar w:fldCharType="begin"><w:ffData><w:name w:val="Check1"/>'
        f'<w:enabled/><w:calcOnExit w:val="0"/><w:checkBox><w:sizeAuto/>'
        f'<w:default w:val="0"/><w:checked w:val="{int(ticked)}"/></w:checkBox></w:ffData>'
        "</w:fldChar></w:r>",
        f'<w:r {_NS}><w:instrText xml:space="preserve"> FORMCHECKBOX </w:instrText></w:r>',
        f'<w:r {_NS}><w:fldChar w:fldCharType="end"/></w:r>',
        f'<w:r {_NS}><w:t xml:space="preserve"> {label} </w:t></w:r>',
    ):
        paragraph._p.append(parse_xml(xml))


def _placeholder(cell: _Cell) -> None:
    """A plain-text content control nobody filled in, showing Word's placeholder."""
    cell.paragraphs[0]._p.append(
        parse_xml(
            f"<w:sdt {_NS}><w:sdtPr><w:showingPlcHdr/><w:text/></w:sdtPr><w:sdtContent>"
            "<w:r><w:t>Click or tap here to enter text.</w:t></w:r></w:sdtContent></w:sdt>"
        )
    )


def _text_control(cell: _Cell, text: str) -> None:
    """A filled-in plain-text content control around a cell's paragraph."""
    para = cell.paragraphs[0]._p
    sdt = parse_xml(
        f'<w:sdt {_NS}><w:sdtPr><w:alias w:val="School"/><w:text/></w:sdtPr>'
        f'<w:sdtContent><w:p><w:r><w:t xml:space="preserve"></w:t></w:r></w:p>'
        "</w:sdtContent></w:sdt>"
    )
    sdt.find(f".//{{{W_NS}}}t").text = text
    para.addprevious(sdt)
    para.getparent().remove(para)


def _deleted(paragraph: Any, text: str) -> None:
    """Text deleted with Track Changes on: still in the file, no longer in the document."""
    paragraph._p.append(
        parse_xml(
            f'<w:del {_NS} w:id="{abs(hash(text)) % 10000}" w:author="School" '
            f'w:date="2026-10-30T09:00:00Z"><w:r><w:delText>{text}</w:delText></w:r></w:del>'
        )
    )


# --- password protection ------------------------------------------------------------------


def encrypt_standard(data: bytes, password: str) -> bytes:
    """``data`` protected with ECMA-376 *standard* encryption (Office 2007: AES-128, SHA-1).

    msoffcrypto-tool only writes agile encryption, so the EncryptionInfo and
    EncryptedPackage streams are made here ([MS-OFFCRYPTO] 2.3.4.5-2.3.4.6)
    and put in msoffcrypto's compound-file container.
    """
    salt = os.urandom(16)
    key = ECMA376Standard.makekey_from_password(password, 0x660E, 0x8004, 0x18, 128, 16, salt)

    def ecb(block: bytes) -> bytes:
        enc = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
        return enc.update(block) + enc.finalize()

    verifier = os.urandom(16)
    verifier_hash = hashlib.sha1(verifier).digest().ljust(32, b"\0")
    csp = "Microsoft Enhanced RSA and AES Cryptographic Provider\0".encode("utf-16le")
    header = struct.pack("<8I", 0x24, 0, 0x660E, 0x8004, 128, 0x18, 0, 0) + csp
    info = (
        struct.pack("<HHI", 4, 2, 0x24)
        + struct.pack("<I", len(header))
        + header
        + struct.pack("<I", 16)
        + salt
        + ecb(verifier)
        + struct.pack("<I", 20)
        + ecb(verifier_hash)
    )
    padded = data + b"\0" * (-len(data) % 16)
    package = struct.pack("<Q", len(data)) + ecb(padded)
    out = io.BytesIO()
    ECMA376Encrypted(package, info).write_to(out)
    return out.getvalue()


# --- damaged and hostile files --------------------------------------------------------------


def replace_part(data: bytes, name: str, blob: bytes) -> bytes:
    """A copy of the zip package ``data`` with part ``name`` replaced by ``blob``."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, blob if info.filename == name else src.read(info))
    return out.getvalue()


def billion_laughs_docx(*, encoding: str = "utf-8") -> bytes:
    """A form whose document.xml declares nested entities that expand to gigabytes."""
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    )
    xml = (
        f'<?xml version="1.0" encoding="{encoding}"?>\n<!DOCTYPE lolz [{entities}]>'
        f'<w:document xmlns:w="{W_NS}"><w:body><w:p><w:r><w:t>&lol9;</w:t></w:r></w:p>'
        "</w:body></w:document>"
    )
    return replace_part(blank_appendix_a_docx(), "word/document.xml", xml.encode(encoding))


def external_entity_docx() -> bytes:
    """A form whose document.xml asks for a file off the computer (XXE)."""
    xml = (
        '<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        f'<w:document xmlns:w="{W_NS}"><w:body><w:p><w:r><w:t>&x;</w:t></w:r></w:p>'
        "</w:body></w:document>"
    )
    return replace_part(blank_appendix_a_docx(), "word/document.xml", xml.encode())


def _crc32_combine(crc1: int, crc2: int, len2: int) -> int:
    """zlib's crc32_combine: the CRC of A+B from the CRCs of A and B and B's length."""

    def times(mat: list[int], vec: int) -> int:
        total, i = 0, 0
        while vec:
            if vec & 1:
                total ^= mat[i]
            vec >>= 1
            i += 1
        return total

    def square(mat: list[int]) -> list[int]:
        return [times(mat, mat[n]) for n in range(32)]

    if len2 <= 0:
        return crc1
    odd = [0xEDB88320] + [1 << n for n in range(31)]
    even = square(odd)
    odd = square(even)
    while True:
        even = square(odd)
        if len2 & 1:
            crc1 = times(even, crc1)
        len2 >>= 1
        if not len2:
            break
        odd = square(even)
        if len2 & 1:
            crc1 = times(odd, crc1)
        len2 >>= 1
        if not len2:
            break
    return crc1 ^ crc2


def _repeated_crc32(crc: int, length: int, copies: int) -> int:
    """The CRC-32 of ``copies`` copies of a block (CRC ``crc``, ``length`` bytes), by doubling."""
    total_crc, total_len = 0, 0
    while copies:
        if copies & 1:
            total_crc = _crc32_combine(total_crc, crc, length) if total_len else crc
            total_len += length
        crc = _crc32_combine(crc, crc, length)
        length *= 2
        copies >>= 1
    return total_crc


def _raw_zip(entries: list[tuple[str, bytes, int, int, int]]) -> bytes:
    """A zip written by hand from (name, deflated bytes, crc, declared size, method)."""
    out = io.BytesIO()
    central = io.BytesIO()
    for name, payload, crc, size, method in entries:
        offset = out.tell()
        encoded = name.encode()
        fields = (20, 0, method, 0, 0x21, crc, len(payload), size, len(encoded), 0)
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, *fields) + encoded + payload)
        central.write(
            struct.pack("<IH", 0x02014B50, 20)
            + struct.pack("<HHHHHIIIHHHHHII", *fields, 0, 0, 0, 0, offset)
            + encoded
        )
    cd = central.getvalue()
    start = out.tell()
    out.write(cd)
    out.write(
        struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(cd), start, 0)
    )
    return out.getvalue()


@functools.lru_cache(maxsize=4)
def zip_bomb_docx(*, gigabytes: int = 3, lie: bool = False) -> bytes:
    """A .docx whose document.xml inflates to ``gigabytes`` GB from a few megabytes.

    The deflate stream is one compressed megabyte repeated (each copy starts
    with an empty history, so copies are independent), so the gigabytes are
    never held in memory, nor even produced. With ``lie`` the zip declares the
    part to be 2 kB, as bombs do to get past size checks.
    """
    chunk = b" " * (1 << 20)
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    segment = comp.compress(chunk) + comp.flush(zlib.Z_FULL_FLUSH)
    copies = gigabytes * 1024
    final = zlib.compressobj(9, zlib.DEFLATED, -15).flush(zlib.Z_FINISH)
    payload = segment * copies + final
    crc = _repeated_crc32(zlib.crc32(chunk), len(chunk), copies)
    size = 2048 if lie else copies * len(chunk)
    template = zipfile.ZipFile(io.BytesIO(blank_appendix_a_docx()))
    entries = []
    for info in template.infolist():
        if info.filename == "word/document.xml":
            entries.append((info.filename, payload, crc, size, 8))
            continue
        blob = template.read(info)
        comp = zlib.compressobj(9, zlib.DEFLATED, -15)
        entries.append(
            (info.filename, comp.compress(blob) + comp.flush(), zlib.crc32(blob), len(blob), 8)
        )
    return _raw_zip(entries)


def many_entries_docx(count: int = 1500) -> bytes:
    """A .docx padded with thousands of tiny parts."""
    data = blank_appendix_a_docx()
    out = io.BytesIO(data)
    with zipfile.ZipFile(out, "a") as zf:
        for i in range(count):
            zf.writestr(f"word/media/pad{i}.bin", b"")
    return out.getvalue()


def ole_doc_bytes() -> bytes:
    """A minimal Word 97-2003 (.doc) compound file: a WordDocument stream, no encryption."""
    sector = 512
    stream = b"\xec\xa5\xc1\x00" + bytes(4096 - 4)  # the Word binary magic, then zeros
    n_stream = len(stream) // sector
    end, free, fat_sect = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD
    fat = [fat_sect, end] + [3 + i for i in range(n_stream - 1)] + [end]
    fat += [free] * (sector // 4 - len(fat))
    header = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + bytes(16)
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
        + bytes(6)
        + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, end, 0, end, 0)
        + struct.pack("<I", 0)
        + struct.pack("<I", free) * 108
    )

    def entry(name: str, kind: int, child: int, start: int, size: int) -> bytes:
        encoded = (name + "\0").encode("utf-16le") if name else b""
        return (
            encoded.ljust(64, b"\0")
            + struct.pack("<HBB", len(encoded), kind, 1)
            + struct.pack("<III", free, free, child)
            + bytes(16 + 4 + 16)
            + struct.pack("<IIHH", start, size, 0, 0)
        )

    directory = (
        entry("Root Entry", 5, 1, end, 0)
        + entry("WordDocument", 2, free, 2, len(stream))
        + entry("", 0, free, 0, 0) * 2
    )
    return header + struct.pack(f"<{sector // 4}I", *fat) + directory + stream


def mutated(data: bytes, seed: int, flips: int = 8) -> bytes:
    """``data`` with a few bytes changed at random places."""
    rnd = random.Random(seed)
    out = bytearray(data)
    for _ in range(flips):
        out[rnd.randrange(len(out))] = rnd.randrange(256)
    return bytes(out)


def random_bytes(size: int, seed: int) -> bytes:
    """Noise."""
    return random.Random(seed).randbytes(size)


def strip_embedded_record(data: bytes) -> bytes:
    """A rendered referral without its embedded record, so only the tables can be read."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if "cmeReferral" in info.filename:
                continue
            blob = src.read(info)
            if info.filename in ("word/_rels/document.xml.rels", "[Content_Types].xml"):
                blob = re.sub(rb"<(?:Relationship|Override) [^>]*cmeReferral[^>]*/>", b"", blob)
            dst.writestr(info.filename, blob)
    return out.getvalue()


def edit_rendered_text(data: bytes, old: str, new: str) -> bytes:
    """A rendered referral edited in Word: one text changed in document.xml."""
    src = zipfile.ZipFile(io.BytesIO(data))
    xml = src.read("word/document.xml").decode()
    assert old in xml
    return replace_part(data, "word/document.xml", xml.replace(old, new, 1).encode())


__all__ = [
    "STYLES",
    "Style",
    "appendix_a_docx",
    "billion_laughs_docx",
    "blank_appendix_a_docx",
    "edit_rendered_text",
    "encrypt_standard",
    "expected_record",
    "external_entity_docx",
    "filled_form",
    "filled_referral",
    "letter_docx",
    "many_entries_docx",
    "mutated",
    "ole_doc_bytes",
    "random_bytes",
    "replace_part",
    "strip_embedded_record",
    "zip_bomb_docx",
]
