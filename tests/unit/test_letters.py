"""Letters from the shipped templates: filled from the case and the settings, every
placeholder given a value, blanks in square brackets for what the record does not hold;
saved as a protected PDF or Word file (or plain once confirmed), audited, and "Letter
sent" on the case's timeline."""

from __future__ import annotations

import io
import re
from datetime import date, datetime
from pathlib import Path

import pikepdf
import pypdf
import pytest
from sqlalchemy import select

from cme_desktop.models import AuditEvent
from cme_desktop.services.cases.detail import CaseDraft
from cme_desktop.services.cases.service import CaseService
from cme_desktop.services.documents.authority import AuthorityDetails
from cme_desktop.services.documents.letter_files import blocks_of, render_pdf
from cme_desktop.services.documents.letters import (
    TEMPLATES,
    LetterService,
    blanks_in,
    letter_date,
    letter_fields,
    template_named,
)
from cme_desktop.services.errors import InvalidInput, NotFound, WrongPassword
from cme_desktop.services.protection.office import decrypt_office
from cme_desktop.services.protection.outputs import UNPROTECTED_ACTION
from cme_desktop.services.protection.passwords import generate_short_password
from cme_desktop.services.vault.database import Database
from cme_desktop.services.vault.unlock import Vault

NAME = "Ellis Marchbank"
AUTHORITY = AuthorityDetails(
    name="Rutland County Council",
    officer_name="Priya Hallam",
    officer_title="Children Missing Education Officer",
    phone="01572 722577",
    email="cme@rutland.example.gov.uk",
    address="Catmose House\nOakham\nLE15 6HP",
    la_number="857",
)
TODAY = date(2026, 12, 5)


@pytest.fixture
def vault(copied_vault: Vault) -> Vault:
    return copied_vault


@pytest.fixture
def case_id(db: Database) -> int:
    cases = CaseService(db)
    made = cases.create(
        draft=CaseDraft(
            full_name=NAME,
            date_of_birth=date(2014, 9, 1),
            school="Oak Primary School",
            last_known_address="12 Brook Lane, Oakham, LE15 6AB",
        )
    )
    cases.save_carer(made, name="Dana Marchbank", relationship="mother")
    cases.save_carer(made, name="Rob Marchbank", relationship="father")
    cases.add_timeline(
        made,
        kind="visit",
        occurred_at=datetime(2026, 12, 1, 16),
        summary="No one in",
        outcome="no_reply_occupied",
    )
    return made


def _pdf_text(data: bytes, password: str | None = None) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    if password is not None:
        reader.decrypt(password)
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda t: t.name)
def test_every_placeholder_of_every_template_is_filled(
    db: Database, case_id: int, template: object
) -> None:
    assert template in TEMPLATES
    text = LetterService(db).draft(
        case_id,
        template_named(template.name),
        authority=AUTHORITY,  # type: ignore[attr-defined]
        today=TODAY,
    )
    assert "{" not in text and "}" not in text
    assert NAME in text and "1 September 2014" in text and "5 December 2026" in text
    assert "CME-" in text and "Priya Hallam" in text and "01572 722577" in text
    assert "Catmose House\nOakham\nLE15 6HP" in text  # the council's address, a line each
    if template.name.startswith("register-"):  # type: ignore[attr-defined]
        # s.436D's 15 days; a notice under s.437(1) gives at least 15 (s.437(2)).
        assert "20 December 2026" in text
    else:
        assert "19 December 2026" in text  # reply within 14 days


def test_the_parents_letter_is_addressed_to_the_carers_at_the_last_known_address(
    db: Database, case_id: int
) -> None:
    text = LetterService(db).draft(
        case_id, template_named("parents-after-home-visit"), authority=AUTHORITY, today=TODAY
    )
    assert "Dana Marchbank and Rob Marchbank\n12 Brook Lane\nOakham\nLE15 6AB" in text
    assert "Dear Dana Marchbank and Rob Marchbank," in text
    assert "I called at this address on 1 December 2026" in text
    assert blanks_in(text) == []  # nothing left for the officer to fill in


def test_what_the_record_does_not_hold_is_a_blank_to_fill_in(db: Database, case_id: int) -> None:
    text = LetterService(db).draft(
        case_id, template_named("school-enquiry"), authority=AUTHORITY, today=TODAY
    )
    assert "Oak Primary School\n[school address]" in text
    assert blanks_in(text) == ["[school address]"]
    other = LetterService(db).draft(
        case_id, template_named("other-authority-enquiry"), authority=AUTHORITY, today=TODAY
    )
    assert blanks_in(other) == [
        "[the other local authority]",
        "[the other authority's address]",
        "[the address where the family may now live]",
    ]


def test_an_unknown_parent_and_settings_not_given_read_as_words(db: Database) -> None:
    made = CaseService(db).create(draft=CaseDraft(full_name="Kai Oduya"))
    detail = CaseService(db).get(made)
    fields = letter_fields(detail, authority=AuthorityDetails(name=""), today=TODAY)
    assert fields["parent_names"] == "Parent or Carer"
    assert fields["child_date_of_birth"] == "not known"
    assert fields["officer_name"] == "[your name]"
    assert all(value.strip() for value in fields.values())


def test_an_unknown_template_names_the_letters_there_are() -> None:
    with pytest.raises(InvalidInput, match="school-enquiry"):
        template_named("eviction-notice")
    assert letter_date(date(2027, 1, 31)) == "31 January 2027"


def test_the_heading_sits_right_and_the_subject_is_bold() -> None:
    blocks = blocks_of(
        "Council\n1 Road\n\nOur reference: X\nDate: 1\n\nMr A\n\nDear A,\n\n"
        "Subject line\n\nBody text.\n\nYours,\n\n\n\nOfficer"
    )
    assert [b.right for b in blocks] == [True, True, False, False, False, False, False, False]
    assert [b.bold for b in blocks] == [False] * 4 + [True] + [False] * 3
    assert blocks[3].lines == ("Dear A,",)
    assert blocks[-1].blank_before == 3  # the room for a signature stays


def test_a_saved_letter_is_protected_and_on_the_timeline(
    db: Database, case_id: int, tmp_path: Path
) -> None:
    service = LetterService(db)
    template = template_named("parents-after-home-visit")
    text = service.draft(case_id, template, authority=AUTHORITY, today=TODAY)
    text = text.replace("there was no one in.", "there was no one in. Edited by hand.")
    password = generate_short_password()
    saved = service.save(
        case_id, template, text, tmp_path / "letter.pdf", authority=AUTHORITY, password=password
    )
    data = saved.path.read_bytes()
    with pytest.raises(pikepdf.PasswordError):
        pikepdf.open(io.BytesIO(data))
    words = _pdf_text(data, password)
    assert "OFFICIAL-SENSITIVE" in words and "Edited by hand." in words
    assert NAME in words and "Our reference: CME-" in words and "Page 1 of 1" in words
    entries = [t for t in CaseService(db).get(case_id).timeline if t.kind == "system"]
    assert entries[-1].summary.startswith("Letter sent: Parents after a home visit (letter.pdf")
    with db.read() as session:
        actions = session.scalars(select(AuditEvent.action)).all()
    assert "letter_saved" in actions


def test_a_word_letter_opens_only_with_its_password(
    db: Database, case_id: int, tmp_path: Path
) -> None:
    import docx

    template = template_named("school-enquiry")
    text = LetterService(db).draft(case_id, template, authority=AUTHORITY, today=TODAY)
    password = generate_short_password()
    saved = LetterService(db).save(
        case_id, template, text, tmp_path / "letter.docx", authority=AUTHORITY, password=password
    )
    locked = saved.path.read_bytes()
    with pytest.raises(WrongPassword):
        decrypt_office(locked, "not the password")
    document = docx.Document(io.BytesIO(decrypt_office(locked, password)))
    body = "\n".join(p.text for p in document.paragraphs)
    assert "Dear Headteacher," in body and NAME in body
    assert document.sections[0].header.paragraphs[0].text == "OFFICIAL-SENSITIVE"


def test_a_plain_letter_is_audited_as_confirmed(db: Database, case_id: int, tmp_path: Path) -> None:
    template = template_named("school-enquiry")
    saved = LetterService(db).save(
        case_id,
        template,
        "Dear Headteacher,\n\nHello.",
        tmp_path / "l.pdf",
        authority=AUTHORITY,
        password=None,
    )
    assert not saved.protected and "Hello." in _pdf_text(saved.path.read_bytes())
    with db.read() as session:
        actions = session.scalars(select(AuditEvent.action)).all()
    assert UNPROTECTED_ACTION in actions


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("l.txt", "Dear A", r"must end in \.pdf or \.docx"),
        ("l.pdf", "  \n ", "The letter is empty"),
        ("l.pdf", "x" * 40_001, "far longer than a letter"),
    ],
)
def test_bad_letters_are_refused_and_nothing_is_written(
    db: Database, case_id: int, tmp_path: Path, name: str, text: str, message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        LetterService(db).save(
            case_id,
            TEMPLATES[0],
            text,
            tmp_path / name,
            authority=AUTHORITY,
            password=generate_short_password(),
        )
    assert list(tmp_path.glob("l.*")) == []
    entries = CaseService(db).get(case_id).timeline
    assert not any(t.summary.startswith("Letter sent") for t in entries)


def test_a_letter_for_a_case_that_is_not_there_is_refused(db: Database, tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        LetterService(db).save(
            999_999,
            TEMPLATES[0],
            "Dear A",
            tmp_path / "l.pdf",
            authority=AUTHORITY,
            password=None,
        )
    assert not (tmp_path / "l.pdf").exists()


def test_render_pdf_keeps_accented_names(tmp_path: Path) -> None:
    pdf = render_pdf("Dear Zofia Wiśniewska,\n\nŁukasz Dąbrowski", authority=AUTHORITY, title="t")
    assert "Łukasz Dąbrowski" in _pdf_text(pdf)
    assert re.search(r"Page 1 of 1", _pdf_text(pdf))
