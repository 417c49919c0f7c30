"""Synthetic cases for the export and visit-sheet tests (Faker en_GB, invented people)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from faker import Faker

from cme_desktop.models import Case, Escalation, Referral
from cme_desktop.services.cases.detail import CaseDraft
from cme_desktop.services.cases.list_columns import escalation_flags
from cme_desktop.services.cases.service import CaseService
from cme_desktop.services.referral.record import empty_referral, normalise
from cme_desktop.services.settings import Settings, SettingsService
from cme_desktop.services.vault.database import Database
from cme_desktop.services.vault.unlock import Vault
from tests.support.credentials import FAST_SCRYPT, PASSPHRASE

AUTHORITY_NAME = "Exampleshire County Council"
OFFICER = "Sam Example"
PHONE = "01632 960000"


def configured_db(path: Path) -> Iterator[Database]:
    """A new vault at ``path``, its settings filled in, unlocked until the generator ends."""
    created = Vault(path, scrypt=FAST_SCRYPT).create(PASSPHRASE, actor="Test Officer")
    try:
        configure(created.db)
        yield created.db
    finally:
        created.db.close()


def seeded_faker(seed: int) -> Faker:
    """Faker ``en_GB`` giving the same invented people on every run."""
    fake = Faker("en_GB")
    fake.seed_instance(seed)
    return fake


def configure(db: Database) -> None:
    """The authority's details, as the officer enters them in the settings."""
    SettingsService(db).save(
        Settings(
            officer_name=OFFICER,
            officer_title="CME Officer",
            authority_name=AUTHORITY_NAME,
            contact_phone=PHONE,
            contact_email="cme@example.gov.uk",
            contact_address="County Hall, Exampletown EX1 2AB",
        )
    )


@dataclass(frozen=True)
class MadeCase:
    """What a test needs to look for on the page."""

    id: int
    full_name: str
    address: str
    school: str
    carers: tuple[tuple[str, str], ...]  # name, telephone
    upn: str


def add_case(db: Database, fake: Faker, *, carers: int = 2, upn: str = "") -> MadeCase:
    """An open case with carers, an old address and a visit on the timeline."""
    cases = CaseService(db)
    name = f"{fake.first_name()} {fake.last_name()}"
    address = f"{fake.building_number()} {fake.street_name()}, {fake.city()} {fake.postcode()}"
    school = f"{fake.city()} Primary School"
    case_id = cases.create(
        draft=CaseDraft(
            full_name=name,
            date_of_birth=date(2014, 5, 6),
            gender="Female",
            upn=upn,
            last_known_address=address,
            school=school,
            date_last_attended=date(2025, 1, 10),
            notified_on=date(2025, 2, 3),
            identified_by="Head teacher",
        )
    )
    made = []
    for _ in range(carers):
        carer, phone = fake.name(), f"07700 900{fake.numerify('###')}"
        cases.save_carer(case_id, name=carer, relationship="Parent", telephone=phone)
        made.append((carer, phone))
    cases.add_address(case_id, address=f"{fake.building_number()} {fake.street_name()}")
    cases.add_timeline(
        case_id,
        kind="visit",
        occurred_at=datetime(2025, 2, 10, 10, 30),
        summary="No answer at the door",
        outcome="no_reply_occupied",
    )
    return MadeCase(case_id, name, address, school, tuple(made), upn)


def referral_for(
    made: MadeCase, fake: Faker, **indicators: tuple[bool, str | None]
) -> dict[str, Any]:
    """A referral about the case's child; ``indicators`` as ``i12=(True, "current")``."""
    ref = empty_referral()
    ref["children"] = [
        {
            "full_name": made.full_name,
            "aka": "",
            "date_of_birth": "2014-05-06",
            "gender": "Female",
            "ethnicity": "White British",
            "sen_disability": "None known",
            "child_in_care": False,
            "upn": made.upn or None,
        }
    ]
    ref["last_known_address"] = made.address
    ref["school"] = made.school
    ref["parents_carers"] = "\n".join(name for name, _ in made.carers)
    ref["additional_information"] = fake.sentence(nb_words=12)
    ref["assessment"] = {key: fake.sentence(nb_words=8) for key in ref["assessment"]}
    ref["referrer"]["name"] = fake.name()
    ref["referrer"]["organisation"] = made.school
    for key, (present, timing) in indicators.items():
        ref["risk_indicators"][key.removeprefix("i")] = {"present": present, "timing": timing}
    return normalise(ref)


def add_referral(db: Database, case_id: int, ref: dict[str, Any]) -> None:
    """Keep ``ref`` on the case, as an import would."""
    with db.write() as session:
        session.add(
            Referral(case_id=case_id, received_on=date(2025, 2, 3), source="manual", data=ref)
        )


def decide(db: Database, case_id: int, decision: str) -> None:
    """Record an escalation decision (e.g. ``refer_police``) and refresh the case's flags."""
    with db.write() as session:
        session.add(
            Escalation(
                case_id=case_id,
                decided_by=OFFICER,
                answers={},
                recommendation=decision,
                decision=decision,
                rationale="Test decision",
            )
        )
        session.flush()
        case = session.get(Case, case_id)
        assert case is not None
        escalation_flags(session, case)
