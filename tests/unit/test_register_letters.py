"""The register's letters (s.436D, s.437(1)) go to the parents the register holds: one
letter per home address, each addressed to the parents living there; the case's carers
only when the register holds no parent, and then a note says so. The CME letters still
go to the carers."""

from __future__ import annotations

import io
from datetime import date, timedelta
from pathlib import Path

import pypdf
import pytest
from faker import Faker
from sqlalchemy import select

from cme_desktop.models import AuditEvent, RegisterEvent, Task
from cme_desktop.services.cases.detail import CaseDraft
from cme_desktop.services.cases.service import CaseService
from cme_desktop.services.documents.authority import AuthorityDetails
from cme_desktop.services.documents.letters import (
    REGISTER_EVENTS,
    Addressee,
    LetterService,
    blanks_in,
    template_named,
)
from cme_desktop.services.register.duties import SAO_STEPS, DutyService
from cme_desktop.services.register.entry import ParentDraft, RegisterService
from cme_desktop.services.rules.local_time import local_today
from cme_desktop.services.vault.database import Database
from cme_desktop.services.vault.unlock import Vault

fake = Faker("en_GB")
Faker.seed(4362)
TODAY = date(2026, 12, 5)
AUTHORITY = AuthorityDetails(
    name=f"{fake.city()} Council",
    officer_name=fake.name(),
    phone=fake.phone_number(),
    email=fake.email(),
    address=fake.address(),
)
CHILD = fake.name()
CHILD_HOME = fake.address()
CARER = fake.name()
MOTHER, STEPFATHER, FATHER = fake.name(), fake.name(), fake.name()
FATHER_HOME = fake.address()
REGISTER_LETTERS = ("register-information-request", "register-notice-before-sao")


@pytest.fixture
def vault(copied_vault: Vault) -> Vault:
    return copied_vault


def _lines(address: str) -> str:
    return "\n".join(line.strip() for line in address.splitlines() if line.strip())


def _child(db: Database, *parents: ParentDraft, carer: bool = True) -> int:
    """A CME child, closed as home educated and put on the register, with ``parents``."""
    cases = CaseService(db)
    case_id = cases.create(
        draft=CaseDraft(
            full_name=CHILD, date_of_birth=date(2015, 3, 9), last_known_address=CHILD_HOME
        )
    )
    if carer:
        cases.save_carer(case_id, name=CARER, relationship="grandmother")
    register = RegisterService(db)
    register.put_on(case_id, on=date(2026, 11, 2), today=TODAY)
    record = register.get(case_id)
    assert record is not None
    register.save(
        case_id, version=record.version, entry=record.entry, parents=parents, providers=()
    )
    return case_id


@pytest.mark.parametrize("name", REGISTER_LETTERS)
def test_one_letter_per_home_address_of_the_register_s_parents(db: Database, name: str) -> None:
    case_id = _child(
        db,
        ParentDraft(MOTHER, CHILD_HOME, provides_education=True, hours_per_week=20),
        ParentDraft(FATHER, FATHER_HOME),
        # The same home as the mother's, typed on one line with other spacing.
        ParentDraft(STEPFATHER, "  " + ", ".join(_lines(CHILD_HOME).split("\n")) + " "),
    )
    service = LetterService(db)
    template = template_named(name)
    recipients = service.recipients(case_id, template)
    assert recipients.note == ""
    assert [a.names for a in recipients.addressees] == [(MOTHER, STEPFATHER), (FATHER,)]
    together, apart = recipients.addressees
    to_both = service.draft(case_id, template, authority=AUTHORITY, today=TODAY, to=together)
    assert f"{MOTHER} and {STEPFATHER}\n{_lines(CHILD_HOME)}\n\n" in to_both
    assert f"Dear {MOTHER} and {STEPFATHER}," in to_both
    to_father = service.draft(case_id, template, authority=AUTHORITY, today=TODAY, to=apart)
    assert f"{FATHER}\n{_lines(FATHER_HOME)}\n\n" in to_father
    assert f"Dear {FATHER}," in to_father
    for text in (to_both, to_father):
        assert CARER not in text  # the case's carer is no parent on the register
        assert "{" not in text and "}" not in text
    # Without ``to``: the first of them, as the window opens it.
    assert service.draft(case_id, template, authority=AUTHORITY, today=TODAY) == to_both
    if name == "register-information-request":
        assert blanks_in(to_both) == []


def test_a_parent_with_no_home_address_has_a_letter_of_their_own_with_a_blank(
    db: Database,
) -> None:
    case_id = _child(db, ParentDraft(MOTHER), ParentDraft(FATHER))
    service = LetterService(db)
    template = template_named("register-information-request")
    recipients = service.recipients(case_id, template)
    assert [a.names for a in recipients.addressees] == [(MOTHER,), (FATHER,)]
    text = service.draft(
        case_id, template, authority=AUTHORITY, today=TODAY, to=recipients.addressees[1]
    )
    assert f"{FATHER}\n[home address]\n\nDear {FATHER}," in text
    assert blanks_in(text) == ["[home address]"]


@pytest.mark.parametrize("name", REGISTER_LETTERS)
def test_with_no_parent_on_the_register_the_carers_and_a_note_saying_so(
    db: Database, name: str
) -> None:
    case_id = _child(db)
    service = LetterService(db)
    template = template_named(name)
    recipients = service.recipients(case_id, template)
    assert recipients.addressees == (Addressee((CARER,), CHILD_HOME),)
    assert "The register holds no parent" in recipients.note
    assert "case's carers" in recipients.note and "Register tab" in recipients.note
    text = service.draft(case_id, template, authority=AUTHORITY, today=TODAY)
    assert f"{CARER}\n{_lines(CHILD_HOME)}\n\nDear {CARER}," in text


def test_with_no_parent_and_no_carer_parent_or_carer_and_a_note(db: Database) -> None:
    case_id = _child(db, carer=False)
    service = LetterService(db)
    template = template_named("register-notice-before-sao")
    recipients = service.recipients(case_id, template)
    assert "and the case no carer" in recipients.note
    text = service.draft(case_id, template, authority=AUTHORITY, today=TODAY)
    assert f"Parent or Carer\n{_lines(CHILD_HOME)}\n\nDear Parent or Carer," in text


def test_the_cme_letters_still_go_to_the_carers(db: Database) -> None:
    case_id = _child(db, ParentDraft(FATHER, FATHER_HOME))
    service = LetterService(db)
    template = template_named("parents-after-home-visit")
    recipients = service.recipients(case_id, template)
    assert recipients.note == "" and recipients.addressees[0].names == (CARER,)
    text = service.draft(case_id, template, authority=AUTHORITY, today=TODAY)
    assert f"Dear {CARER}," in text and FATHER not in text


def test_the_letter_sent_names_the_parent_and_the_register_read_is_audited(
    db: Database, tmp_path: Path
) -> None:
    case_id = _child(db, ParentDraft(MOTHER, CHILD_HOME), ParentDraft(FATHER, FATHER_HOME))
    service = LetterService(db)
    template = template_named("register-information-request")
    with db.read() as session:
        reads_before = len(
            session.scalars(select(AuditEvent.id).where(AuditEvent.action == "register_read")).all()
        )
    to = service.recipients(case_id, template).addressees[1]
    text = service.draft(case_id, template, authority=AUTHORITY, today=TODAY, to=to)
    saved = service.save(
        case_id,
        template,
        text,
        tmp_path / "father.pdf",
        authority=AUTHORITY,
        password=None,
        to=to,
    )
    words = " ".join(
        (page.extract_text() or "")
        for page in pypdf.PdfReader(io.BytesIO(saved.path.read_bytes())).pages
    )
    assert f"Dear {FATHER}," in " ".join(words.split())
    service.printed(case_id, template, to)
    sent = [
        t.summary
        for t in CaseService(db).get(case_id).timeline
        if t.summary.startswith("Letter sent")
    ]
    title = "Letter sent: Register: request for information"
    assert sorted(sent) == [
        f"{title} to {FATHER} (father.pdf, unprotected).",
        f"{title} to {FATHER} (printed).",
    ]
    with db.read() as session:
        reads = session.scalars(
            select(AuditEvent.id).where(AuditEvent.action == "register_read")
        ).all()
    assert len(reads) > reads_before  # the parents were read from the register, audited


@pytest.mark.parametrize(
    ("name", "kind", "days"),
    [
        ("register-information-request", "information_requested", 15),
        ("register-notice-before-sao", "sao_notice", 15),
    ],
)
def test_sending_a_register_letter_records_its_step_once_with_the_deadline(
    db: Database, tmp_path: Path, name: str, kind: str, days: int
) -> None:
    case_id = _child(db, ParentDraft(MOTHER, CHILD_HOME), ParentDraft(FATHER, FATHER_HOME))
    service = LetterService(db)
    template = template_named(name)
    mother, father = service.recipients(case_id, template).addressees
    for n, to in enumerate((mother, father)):
        text = service.draft(case_id, template, authority=AUTHORITY, today=TODAY, to=to)
        service.save(
            case_id,
            template,
            text,
            tmp_path / f"{n}.pdf",
            authority=AUTHORITY,
            password=None,
            to=to,
        )
    service.printed(case_id, template, father)
    today = local_today()
    with db.read() as session:
        events = session.execute(
            select(RegisterEvent.kind, RegisterEvent.on, RegisterEvent.due).where(
                RegisterEvent.case_id == case_id, RegisterEvent.kind.in_(REGISTER_EVENTS.values())
            )
        ).all()
        tasks = session.scalars(
            select(Task.due_on).where(Task.case_id == case_id, Task.origin.like("register:%"))
        ).all()
    # Two homes and a print: one step of the path, one deadline.
    assert [(k, on) for k, on, _ in events] == [(kind, today)]
    assert events[0][2] == today + timedelta(days=days)
    assert today + timedelta(days=days) in tasks
    assert DutyService(db).path(case_id)[[k for k, _ in SAO_STEPS].index(kind)].done_on == today


def test_a_cme_letter_records_no_register_step(db: Database, tmp_path: Path) -> None:
    case_id = _child(db, ParentDraft(FATHER, FATHER_HOME))
    service = LetterService(db)
    template = template_named("parents-after-home-visit")
    text = service.draft(case_id, template, authority=AUTHORITY, today=TODAY)
    service.save(case_id, template, text, tmp_path / "l.pdf", authority=AUTHORITY, password=None)
    with db.read() as session:
        kinds = session.scalars(
            select(RegisterEvent.kind).where(RegisterEvent.case_id == case_id)
        ).all()
    assert "information_requested" not in kinds and "sao_notice" not in kinds
