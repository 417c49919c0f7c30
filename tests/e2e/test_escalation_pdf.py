"""The escalation summary as a real password-protected PDF: AES-256 (R6), and what it says."""

from __future__ import annotations

import io
from datetime import date, datetime
from pathlib import Path

import pikepdf
import pypdf
import pytest
from faker import Faker
from sqlalchemy import select

from cme_desktop.models import AuditEvent, Escalation
from cme_desktop.models.vocabularies import RISK_INDICATORS, label_of
from cme_desktop.services.atomic_file import write_atomically
from cme_desktop.services.cases.detail import CaseDraft
from cme_desktop.services.cases.service import CaseService
from cme_desktop.services.documents.escalation_summary import render
from cme_desktop.services.documents.styles import PROTECTIVE_MARKING, AuthorityDetails
from cme_desktop.services.errors import InvalidInput, PasswordRequired, WrongPassword
from cme_desktop.services.escalation.service import EscalationService
from cme_desktop.services.protection.passwords import (
    MAX_PDF_PASSWORD,
    MIN_ENTROPY_BITS,
    short_password_entropy_bits,
)
from cme_desktop.services.protection.pdf import open_pdf
from cme_desktop.services.referral.record import empty_referral
from cme_desktop.services.referral.service import ReferralService
from cme_desktop.services.vault.database import Database
from cme_desktop.services.vault.unlock import Vault

fake = Faker("en_GB")
Faker.seed(11)
AUTHORITY = AuthorityDetails(
    name="Midshire County Council",
    officer_name="Pat Officer",
    officer_title="Children Missing Education Officer",
    phone="0116 496 0123",
    email="cme@midshire.example.org",
    address="County Hall\nMidshire MS3 8RF",
)
CURRENT = ("9", "10")
NOT_CURRENT = ("6", "4", "15")  # historic, No, historic
RATIONALE = "Duty sergeant already aware; referral made by telephone."


@pytest.fixture
def vault(copied_vault: Vault) -> Vault:
    return copied_vault  # one vault per module, copied for each test


def words(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def case(db: Database) -> tuple[int, str]:
    name = f"{fake.first_name()} {fake.last_name()}"
    ref = empty_referral()
    ref["children"][0] |= {"full_name": name, "date_of_birth": "2013-04-02"}
    ref |= {
        "last_known_address": fake.address(),
        "parents_carers": f"{fake.name()} (Mother)",
        "telephone": "07700 900482",
        "school": "Brook Lane Academy",
        "date_last_attended": "2026-01-16",
    }
    for key in CURRENT:
        ref["risk_indicators"][key] = {"present": True, "timing": "current"}
    ref["risk_indicators"]["6"] = {"present": True, "timing": "historic"}
    ref["risk_indicators"]["15"] = {"present": True, "timing": "historic"}
    ref["risk_indicators"]["4"] = {"present": False, "timing": None}
    [case_id] = ReferralService(db).new_case_from_referral(ref, received_on=date(2026, 1, 22))
    CaseService(db).add_timeline(
        case_id,
        kind="visit",
        occurred_at=datetime(2026, 1, 26, 14, 0),
        outcome="no_reply_occupied",
        summary="Curtains drawn; post removed from the mat.",
    )
    EscalationService(db).record(
        case_id,
        answers={"police.older_associates": True},
        decision="refer_both",
        rationale=RATIONALE,
    )
    return case_id, name


def test_the_summary_is_aes256_r6_and_says_what_matters(
    db: Database, case: tuple[int, str], tmp_path: Path
) -> None:
    case_id, name = case
    protected = EscalationService(db).summary(case_id, authority=AUTHORITY)
    # At most 32 characters: poppler (Evince, Okular, pdftotext) opens nothing longer.
    assert len(protected.password) <= MAX_PDF_PASSWORD
    assert short_password_entropy_bits(len(protected.password.split("-"))) >= MIN_ENTROPY_BITS
    target = tmp_path / "summary.pdf"
    write_atomically(target, protected.data)
    data = target.read_bytes()

    with pytest.raises(PasswordRequired):
        open_pdf(data, None)
    with pytest.raises(WrongPassword):
        open_pdf(data, "not-the-password")
    with pytest.raises(pikepdf.PasswordError):
        pikepdf.open(io.BytesIO(data), password=protected.password[:-1])
    reader = pypdf.PdfReader(io.BytesIO(data))
    assert reader.is_encrypted
    assert reader.decrypt("wrong horse") == pypdf.PasswordType.NOT_DECRYPTED

    with open_pdf(data, protected.password) as doc:
        assert (doc.encryption.R, doc.encryption.bits) == (6, 256)
        assert doc.encryption.stream_method.name == "aesv3"
        assert doc.encryption.string_method.name == "aesv3"

    reader = pypdf.PdfReader(io.BytesIO(data))
    assert reader.decrypt(protected.password) != pypdf.PasswordType.NOT_DECRYPTED
    text = words(" ".join(page.extract_text() for page in reader.pages))
    assert name in text
    assert PROTECTIVE_MARKING in text
    for key in CURRENT:
        assert words(label_of(RISK_INDICATORS, key)) in text
    for key in NOT_CURRENT:
        assert words(label_of(RISK_INDICATORS, key)) not in text
    assert "Refer to the Police and liaise with and/or refer to Children's Social Care" in text
    assert RATIONALE in text
    assert "Brook Lane Academy" in text
    assert "No reply – property appears occupied" in text
    assert "0116 496 0123" in text
    # Nothing personal readable without the password, not even in the metadata.
    assert name.encode() not in data

    with db.read() as session:
        event = session.scalar(
            select(AuditEvent).where(AuditEvent.action == "escalation_summary_made")
        )
    assert event is not None and event.entity_id == case_id
    assert event.detail.startswith("escalation=")


def test_the_decision_is_dated_as_in_england_not_utc(db: Database, case: tuple[int, str]) -> None:
    case_id, _name = case
    with db.write() as session:
        decision = session.scalars(select(Escalation).where(Escalation.case_id == case_id)).one()
        # 23:30 UTC on 30 June is 00:30 on 1 July in England (summer time).
        decision.decided_at = datetime(2026, 6, 30, 23, 30)
    pdf = render(CaseService(db).get(case_id), authority=AUTHORITY, today=date(2026, 7, 1))
    text = words(" ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages))
    assert "01/07/2026" in text
    assert "30/06/2026" not in text


def test_a_case_without_a_decision_has_no_summary(db: Database) -> None:
    cases = CaseService(db)
    case_id = cases.create(draft=CaseDraft(full_name=fake.name()))
    with pytest.raises(InvalidInput) as caught:
        render(cases.get(case_id), authority=AUTHORITY)
    assert caught.value.field == "escalation"
