"""Erasure at the end of retention: no personal string left in the vault, figures unchanged."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from sqlalchemy import select

from cme_desktop.models import (
    AgencyReferral,
    Attachment,
    AuditEvent,
    Case,
    Escalation,
    Referral,
    Setting,
    TimelineEntry,
)
from cme_desktop.services.cases.case_list import CaseList, CaseQuery
from cme_desktop.services.cases.detail import CaseDraft
from cme_desktop.services.cases.drafts import Draft, DraftService
from cme_desktop.services.cases.erasure import ERASED_NAME, ErasureService
from cme_desktop.services.cases.retention import RetentionService
from cme_desktop.services.cases.service import CaseService
from cme_desktop.services.errors import InvalidInput
from cme_desktop.services.reports.periods import Quarter
from cme_desktop.services.reports.quarterly import quarterly
from cme_desktop.services.rules.upn import make_upn
from cme_desktop.services.vault import audit
from cme_desktop.services.vault.database import Database, checkpoint
from cme_desktop.services.vault.unlock import Vault
from tests.support.visit_cases import seeded_faker

#: Long after the erased child's 25th birthday (30/06/2028) and 7 years after closure.
TODAY = date(2030, 1, 2)
PAGE, RESERVED = 4096, 80  # SQLCipher 4: 16-byte IV and 64-byte HMAC at each page's end


def decrypted_pages(path: Path, key: bytes) -> bytes:
    """Every page of the vault file decrypted, free pages included (SQLCipher 4 layout)."""
    data = path.read_bytes()
    out = bytearray()
    for start in range(0, len(data) - PAGE + 1, PAGE):
        page = data[start : start + PAGE]
        skip = 16 if start == 0 else 0  # the first page starts with the file's salt
        iv = page[PAGE - RESERVED : PAGE - RESERVED + 16]
        decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
        out += decryptor.update(page[skip : PAGE - RESERVED]) + decryptor.finalize()
    return bytes(out)


def found(haystack: bytes, needles: dict[str, str]) -> list[str]:
    """The labels of ``needles`` in ``haystack``, as UTF-8, any case (ASCII)."""
    folded = haystack.lower()
    return [label for label, text in needles.items() if text.lower().encode() in folded]


@dataclass(frozen=True)
class People:
    erased: int
    kept: int
    secrets: dict[str, str]
    kept_name: str


def _record(db: Database) -> People:
    fake = seeded_faker(436)
    first, surname = fake.first_name(), fake.last_name()
    kept_name = f"{fake.first_name()} {fake.last_name()}"
    while surname in kept_name:
        kept_name = f"{fake.first_name()} {fake.last_name()}"
    postcode = fake.postcode()
    carer, phone = fake.name(), "07700 900417"
    upn = make_upn(855, 3, 417)
    secrets = {
        "name": f"{first} {surname}",
        "surname": surname,
        "postcode": postcode,
        "upn": upn,
        "carer": carer,
        "phone": phone,
        "street": fake.street_name(),
        "reopen": "rang from Wuthercombe Mews",
        "visit": "neighbour Mrs Thistlewaite",
        "attachment": "scanned form of the child",
    }
    cases = CaseService(db)
    erased = cases.create(
        draft=CaseDraft(
            full_name=secrets["name"],
            aka=f"{first} Q",
            date_of_birth=date(2003, 6, 30),
            gender="Female",
            sex="female",
            upn=upn,
            ethnicity="White British",
            sen_disability="Hearing impaired",
            last_known_address=f"4 {secrets['street']}\nLeicester\n{postcode}",
            school="Northgate Primary School",
            date_last_attended=date(2016, 12, 16),
            identified_by="Head teacher",
            referring_agency="schools",
            reason_missing="ceased",
            notified_on=date(2017, 1, 5),
            groups=("refuges",),
        ),
        today=date(2017, 1, 5),
    )
    kept = cases.create(
        draft=CaseDraft(
            full_name=kept_name,
            date_of_birth=date(2004, 11, 20),
            notified_on=date(2017, 2, 6),
            school="Northgate Primary School",
        ),
        today=date(2017, 2, 6),
    )
    cases.link_family([erased, kept])
    cases.save_carer(erased, name=carer, relationship="Mother", telephone=phone)
    cases.add_address(erased, address=f"9 {secrets['street']}, {postcode}")
    cases.add_timeline(
        erased,
        kind="visit",
        occurred_at=datetime(2017, 2, 10, 10, 30),
        summary=f"Spoke to {secrets['visit']}",
        who_seen=carer,
        outcome="no_reply_vacant",
    )
    cases.add_timeline(
        erased, kind="note", occurred_at=datetime(2017, 2, 11, 9), summary=f"{carer} called"
    )
    cases.add_task(erased, title=f"Call {carer}", due_on=date(2017, 2, 20))
    cases.add_agency_referral(
        erased, agency="police", referred_on=date(2017, 2, 12), contact=carer, note=phone
    )
    cases.add_meeting(erased, held_on=date(2017, 2, 14), attendees=carer, actions=phone)
    cases.close(erased, outcome="left_country", on=date(2017, 3, 10))
    cases.reopen(erased, reason=secrets["reopen"])
    cases.close(erased, outcome="ehe", on=date(2017, 8, 1), note=f"Home educated by {carer}")
    content = f"{secrets['attachment']} {secrets['name']}".encode()
    with db.write() as session:
        # The reopening as of April 2017 (the service stamps it now).
        reopened = session.scalars(
            select(TimelineEntry).where(
                TimelineEntry.case_id == erased, TimelineEntry.summary.startswith("Case reopened")
            )
        ).one()
        reopened.occurred_at = datetime(2017, 4, 3, 11)
        attachment = Attachment(
            case_id=erased,
            filename=f"{surname}.docx",
            content=content,
            content_sha256=hashlib.sha256(content).hexdigest(),
        )
        session.add(attachment)
        session.flush()
        session.add(
            Referral(
                case_id=erased,
                received_on=date(2017, 1, 5),
                data={"children": [{"full_name": secrets["name"], "upn": upn}]},
                attachment_id=attachment.id,
            )
        )
        session.add(
            Escalation(
                case_id=erased,
                decided_at=datetime(2017, 2, 15, 12),
                decided_by="Test Officer",
                answers={"note": f"{carer} known to police"},
                recommendation="refer_police",
                decision="refer_police",
                rationale=f"{surname} family known",
            )
        )
    DraftService(db).keep(
        [Draft(key=f"case:{erased}", label=secrets["name"], data={"aka": surname}, case_id=erased)]
    )
    return People(erased, kept, secrets, kept_name)


def _figures(db: Database) -> object:
    """The quarters of 2016-Q4 to 2017-Q4 counted from the records (not from kept figures)."""
    return quarterly(db, Quarter(2017, 4), previous=4, today=TODAY, use_kept=False).tables


def test_erasure_leaves_no_personal_string_and_the_figures_unchanged(
    vault: Vault, db: Database
) -> None:
    people = _record(db)
    before = _figures(db)
    # The erased child is in these figures: a visit, a police referral, a reopening, an
    # at-risk group, age 13 on 31/03/2017 and 14 on 30/06/2017 (born 30/06/2003).
    report = quarterly(db, Quarter(2017, 4), previous=4, today=TODAY, use_kept=False)
    q1, q3 = Quarter(2017, 1), Quarter(2017, 3)
    assert report.figure("visits", "no_reply_vacant", q1) == 1
    assert report.figure("escalations", "police", q1) == 1
    assert report.figure("at_risk", "refuges", q1) == 1
    assert report.figure("age", "13", q1) == 1
    assert report.figure("closed_outcome", "ehe", q3) == 1
    checkpoint(db)
    key = bytes(db.key)
    # The scan sees the records as they are kept: every secret is there before erasure.
    assert found(decrypted_pages(vault.path, key), people.secrets) == list(people.secrets)

    due = RetentionService(db).due(today=TODAY)
    assert [c.case_id for c in due] == [people.erased]
    erased = ErasureService(db).erase(
        people.erased, confirmation=due[0].reference.lower(), today=TODAY
    )
    assert erased.erased_on == TODAY

    checkpoint(db)
    pages = decrypted_pages(vault.path, key)
    assert found(pages, people.secrets) == []
    assert people.kept_name.encode() in pages  # the other child's record is untouched
    wal = vault.path.with_name(vault.path.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0

    # Last quarters' figures are the same, to the last count.
    assert _figures(db) == before

    with db.read() as session:
        assert audit.verify(session, db.audit_key).ok
        row = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).one()
        case = session.get(Case, people.erased)
        assert case is not None
        assert (case.full_name, case.upn, case.last_known_address, case.aka) == (
            ERASED_NAME,
            "",
            "",
            "",
        )
        assert case.date_of_birth == date(2003, 6, 1)
        assert (case.erased_on, case.family_id, case.closing_note) == (TODAY, None, "")
        assert session.scalars(select(Referral)).all() == []
        assert session.scalars(select(Attachment)).all() == []
        agencies = session.scalars(select(AgencyReferral)).all()
        assert [(a.agency, a.contact, a.note) for a in agencies] == [("police", "", "")]
        escalation = session.scalars(select(Escalation)).one()
        assert (escalation.answers, escalation.rationale, escalation.decision) == (
            {},
            "",
            "refer_police",
        )
        kinds = session.scalars(
            select(TimelineEntry.summary).where(TimelineEntry.case_id == people.erased)
        ).all()
        assert sorted(kinds) == ["", "Case reopened (was closed 10/03/2017: Left the country)."]
        assert session.scalars(select(Setting).where(Setting.key.startswith("draft:"))).all() == []
    assert (row.action, row.entity_id, row.detail) == (
        "case_erased",
        people.erased,
        "rule=retention",
    )
    assert RetentionService(db).due(today=TODAY) == []
    # The search finds neither the name nor the postcode any more.
    listing = CaseList(db)
    for text in (people.secrets["surname"], people.secrets["postcode"], people.secrets["upn"]):
        assert listing.count(CaseQuery(search=text, quick="all"), today=TODAY) == 0
    assert listing.count(CaseQuery(search=people.kept_name, quick="all"), today=TODAY) == 1


def test_erasure_is_refused_unless_confirmed_closed_and_due(db: Database) -> None:
    cases = CaseService(db)
    young = cases.create(
        draft=CaseDraft(full_name="Lia Young", date_of_birth=date(2012, 1, 1)),
        today=date(2016, 1, 1),
    )
    still_open = cases.create(draft=CaseDraft(full_name="Max Open"), today=date(2016, 1, 1))
    cases.close(young, outcome="ehe", on=date(2016, 2, 1))
    service = ErasureService(db)
    ref = f"CME-{young:06d}"
    with pytest.raises(InvalidInput, match=f"Type the case reference {ref}"):
        service.erase(young, confirmation="yes", today=TODAY)
    with pytest.raises(InvalidInput, match="kept until 01/01/2037"):
        service.erase(young, confirmation=ref, today=TODAY)
    with pytest.raises(InvalidInput, match="is open"):
        service.erase(still_open, confirmation=f"CME-{still_open:06d}", today=TODAY)
    assert cases.get(young).full_name == "Lia Young"
    service.erase(young, confirmation=ref, today=date(2037, 1, 1))
    with pytest.raises(InvalidInput, match="was erased on 01/01/2037"):
        service.erase(young, confirmation=ref, today=date(2037, 1, 2))
    with pytest.raises(InvalidInput, match="log a new case"):
        cases.reopen(young, reason="Seen again")
