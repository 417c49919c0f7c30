"""Referrals on cases: add, update, read, split siblings, and new cases from a referral."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from faker import Faker
from sqlalchemy import func, select

from cme_desktop.models import Attachment, AuditEvent, Case
from cme_desktop.services.cases.detail import CaseDraft
from cme_desktop.services.cases.service import CaseService
from cme_desktop.services.errors import InvalidInput, NotFound
from cme_desktop.services.escalation.service import EscalationService
from cme_desktop.services.referral.parties import (
    UNNAMED_CARER,
    CarerDraft,
    children_named,
    guess_agency,
    parse_carers,
)
from cme_desktop.services.referral.record import empty_referral
from cme_desktop.services.referral.service import ReferralService
from cme_desktop.services.vault.database import Database
from cme_desktop.services.vault.unlock import Vault

fake = Faker("en_GB")
Faker.seed(4)
TODAY = date.today()


@pytest.fixture
def vault(copied_vault: Vault) -> Vault:
    return copied_vault  # one vault per module, copied for each test


def referral(**changes: Any) -> dict[str, Any]:
    """A filled-in synthetic referral; ``children`` and top-level fields can be replaced."""
    ref = empty_referral()
    surname = fake.last_name()
    ref["children"] = [
        ref["children"][0]
        | {
            "full_name": f"{fake.first_name()} {surname}",
            "date_of_birth": date(TODAY.year - 9, 3, 14).isoformat(),
            "gender": "Female",
            "ethnicity": "White British",
        }
    ]
    ref |= {
        "last_known_address": fake.address(),
        "parents_carers": f"{fake.first_name()} {surname} (Mother)",
        "telephone": "07700 900123",
        "email": "parent@example.org",
        "school": "Greenfield Primary School",
        "date_last_attended": TODAY.replace(day=1).isoformat(),
    }
    ref["referrer"] |= {"name": "Sam Teacher", "organisation": "Greenfield Primary School"}
    ref |= changes
    return ref


def child(name: str, **changes: Any) -> dict[str, Any]:
    return empty_referral()["children"][0] | {"full_name": name} | changes


def current(ref: dict[str, Any], *keys: str) -> dict[str, Any]:
    for key in keys:
        ref["risk_indicators"][key] = {"present": True, "timing": "current"}
    return ref


@pytest.fixture
def service(db: Database) -> ReferralService:
    return ReferralService(db)


@pytest.fixture
def case_id(db: Database) -> int:
    return CaseService(db).create(draft=CaseDraft(full_name="Jack Smith"))


def audit_rows(db: Database, action: str) -> list[AuditEvent]:
    with db.read() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


# --- add, update, read ----------------------------------------------------------------


def test_add_keeps_the_normalised_record_and_the_original_file(
    db: Database, service: ReferralService, case_id: int
) -> None:
    ref = referral(school="  Greenfield Primary School \r\n")
    referral_id = service.add(
        case_id,
        referral=ref,
        received_on=date(2026, 3, 2),
        source="docx",
        source_name="referral.docx",
        original=b"PK\x03\x04 encrypted bytes",
        original_name="referral.docx",
    )
    stored = service.get(referral_id)
    assert stored.case_id == case_id
    assert stored.received_on == date(2026, 3, 2)
    assert (stored.source, stored.source_name) == ("docx", "referral.docx")
    assert stored.data["school"] == "Greenfield Primary School"
    assert service.original(referral_id) == ("referral.docx", b"PK\x03\x04 encrypted bytes")
    with db.read() as session:
        attachment = session.get(Attachment, stored.attachment_id)
        assert attachment is not None
        assert attachment.media_type.endswith("wordprocessingml.document")
    [event] = audit_rows(db, "referral_added")
    assert event.detail == f"referral={referral_id} source=docx attachment={stored.attachment_id}"
    assert ref["children"][0]["full_name"] not in event.detail


def test_add_refuses_a_malformed_field_and_names_it(service: ReferralService, case_id: int) -> None:
    ref = referral(date_last_attended="30/09/2026")
    with pytest.raises(InvalidInput) as caught:
        service.add(case_id, referral=ref, received_on=TODAY)
    assert caught.value.field == "date_last_attended"
    assert "Date Last Attended" in caught.value.message
    assert service.for_case(case_id) == []


def test_warnings_do_not_stop_saving(service: ReferralService, case_id: int) -> None:
    ref = referral(telephone="12345", email="not an email")
    ref["children"][0]["date_of_birth"] = "1990-01-01"
    referral_id = service.add(case_id, referral=ref, received_on=TODAY)
    assert service.get(referral_id).data["telephone"] == "12345"


def test_add_to_a_missing_case_is_not_found(service: ReferralService) -> None:
    with pytest.raises(NotFound):
        service.add(999, referral=referral(), received_on=TODAY)


def test_update_and_for_case_newest_first(service: ReferralService, case_id: int) -> None:
    older = service.add(case_id, referral=referral(), received_on=date(2026, 1, 5))
    newer = service.add(case_id, referral=referral(), received_on=date(2026, 2, 5))
    changed = current(referral(school="Hillside Academy"), "9")
    service.update(older, referral=changed, received_on=date(2026, 1, 6))
    rows = service.for_case(case_id)
    assert [r.id for r in rows] == [newer, older]
    assert rows[1].data["school"] == "Hillside Academy"
    assert rows[1].data["risk_indicators"]["9"] == {"present": True, "timing": "current"}
    assert rows[1].received_on == date(2026, 1, 6)
    with pytest.raises(NotFound):
        service.update(12345, referral=changed)


# --- a new case from a referral ------------------------------------------------------------


def test_new_case_from_a_phone_referral(db: Database, service: ReferralService) -> None:
    ref = current(
        referral(parents_carers="Mr and Mrs Patel", telephone="07700 900111, 0116 496 0222"),
        "10",
    )
    [case_id] = service.new_case_from_referral(ref, received_on=date(2026, 3, 2))
    detail = CaseService(db).get(case_id)
    draft = detail.draft
    assert draft.full_name == ref["children"][0]["full_name"]
    assert draft.date_of_birth == date.fromisoformat(ref["children"][0]["date_of_birth"])
    assert draft.identification_route == "notification"
    assert draft.identified_by == "Sam Teacher, Greenfield Primary School"
    assert draft.referring_agency == "schools"
    assert draft.notified_on == date(2026, 3, 2)
    assert draft.whereabouts_unknown is True
    assert draft.school == "Greenfield Primary School"
    assert detail.addresses[0].address == ref["last_known_address"]
    carers = [(c.name, c.telephone, c.email) for c in detail.carers]
    assert carers == [
        ("Mr Patel", "07700 900111", "parent@example.org"),
        ("Mrs Patel", "0116 496 0222", "parent@example.org"),
    ]
    [stored] = detail.referrals
    assert stored.data == service.for_case(case_id)[0].data
    assert stored.source == "manual"


def test_new_cases_for_siblings_are_one_family(db: Database, service: ReferralService) -> None:
    ref = referral()
    ref["children"] = [child("Amy Jones"), child("Ben Jones", date_of_birth="2016-05-01")]
    ids = service.new_case_from_referral(
        ref, received_on=TODAY, source="pdf", original=b"%PDF-1.7", original_name="form.pdf"
    )
    assert len(ids) == 2
    cases = CaseService(db)
    first, second = cases.get(ids[0]), cases.get(ids[1])
    assert (first.full_name, second.full_name) == ("Amy Jones", "Ben Jones")
    assert first.family_id is not None and first.family_id == second.family_id
    assert [s.id for s in first.siblings] == [ids[1]]
    assert second.draft.date_of_birth == date(2016, 5, 1)
    assert len(first.referrals) == len(second.referrals) == 1
    assert second.carers[0].relationship == "Mother"
    assert service.original(service.for_case(ids[1])[0].id) == ("form.pdf", b"%PDF-1.7")


def test_new_case_needs_a_name_and_leaves_nothing_behind(
    db: Database, service: ReferralService
) -> None:
    ref = referral()
    ref["children"][0]["full_name"] = ""
    with pytest.raises(InvalidInput) as caught:
        service.new_case_from_referral(ref, received_on=TODAY)
    assert caught.value.field == "children.0.full_name"
    # A failure after the first case was made rolls the whole family back.
    ref["children"] = [child("Cara Long"), child("Dan Long", date_of_birth="2999-01-01")]
    with pytest.raises(InvalidInput) as caught:
        service.new_case_from_referral(ref, received_on=TODAY)
    assert caught.value.field == "date_of_birth"
    with db.read() as session:
        assert session.scalar(select(func.count(Case.id))) == 0


def test_several_names_in_one_name_field_make_several_cases(
    db: Database, service: ReferralService
) -> None:
    ref = referral()
    ref["children"] = [child("Eve Stone and Finn Stone", upn="A123456789012")]
    ids = service.new_case_from_referral(ref, received_on=TODAY, referring_agency="")
    names = [CaseService(db).get(i).draft for i in ids]
    assert [(d.full_name, d.upn, d.referring_agency) for d in names] == [
        ("Eve Stone", "A123456789012", ""),
        ("Finn Stone", "", ""),
    ]


# --- splitting siblings -----------------------------------------------------------------------


def test_split_siblings_makes_one_case_per_child(
    db: Database, service: ReferralService, case_id: int
) -> None:
    cases = CaseService(db)
    cases.update(
        case_id,
        draft=CaseDraft(full_name="Jack Smith", last_known_address="1 High Street", school="X"),
        version=cases.get(case_id).version,
    )
    cases.save_carer(case_id, name="Jane Smith", relationship="Mother", telephone="07700 900999")
    ref = referral()
    ref["children"] = [child("Jill Smith"), child("Jack Smith"), child("Tom Smith")]
    referral_id = service.add(case_id, referral=ref, received_on=date(2026, 2, 1))
    ids = service.split_siblings(referral_id)
    assert ids[1] == case_id and len(set(ids)) == 3
    jill = cases.get(ids[0])
    assert jill.full_name == "Jill Smith"
    assert jill.draft.last_known_address == "1 High Street"
    assert jill.draft.school == "X"
    assert [(c.name, c.telephone) for c in jill.carers] == [("Jane Smith", "07700 900999")]
    assert jill.referrals[0].received_on == date(2026, 2, 1)
    family = {cases.get(i).family_id for i in ids}
    assert len(family) == 1 and None not in family
    # Splitting again finds the siblings already made.
    assert service.split_siblings(referral_id) == ids
    with db.read() as session:
        assert session.scalar(select(func.count(Case.id))) == 3
    [event, _] = audit_rows(db, "referral_split")
    assert event.detail.startswith(f"referral={referral_id} family=")


def test_split_a_case_logged_under_all_the_names(db: Database, service: ReferralService) -> None:
    cases = CaseService(db)
    case_id = cases.create(draft=CaseDraft(full_name="Amy and Ben Jones"))
    ref = referral()
    ref["children"] = [child("Amy Jones and Ben Jones", date_of_birth="2015-01-02")]
    referral_id = service.add(case_id, referral=ref, received_on=TODAY)
    first, second = service.split_siblings(referral_id)
    assert first == case_id
    assert cases.get(first).full_name == "Amy Jones"
    assert cases.get(second).full_name == "Ben Jones"
    stored = service.get(referral_id).data["children"]
    assert [c["full_name"] for c in stored] == ["Amy Jones", "Ben Jones"]
    assert stored[0]["date_of_birth"] == "2015-01-02" and stored[1]["date_of_birth"] is None


def test_split_needs_several_children(service: ReferralService, case_id: int) -> None:
    referral_id = service.add(case_id, referral=referral(), received_on=TODAY)
    with pytest.raises(InvalidInput) as caught:
        service.split_siblings(referral_id)
    assert caught.value.field == "children"


# --- applying a referral to a case ------------------------------------------------------------


def test_apply_to_case_fills_only_blanks(db: Database, service: ReferralService) -> None:
    cases = CaseService(db)
    case_id = cases.create(draft=CaseDraft(full_name="Jack Smith", school="Officer's school"))
    ref = current(referral(), "10")
    ref["children"] = [child("Jack Smith", aka="JJ", upn="A123456789012", gender="Male")]
    referral_id = service.add(case_id, referral=ref, received_on=TODAY)
    filled = service.apply_to_case(case_id, referral_id)
    assert "school" not in filled
    assert {"aka", "upn", "gender", "last_known_address", "carers"} <= set(filled)
    detail = cases.get(case_id)
    assert detail.draft.school == "Officer's school"
    assert (detail.draft.aka, detail.draft.upn) == ("JJ", "A123456789012")
    assert detail.draft.whereabouts_unknown is True
    assert detail.addresses[0].is_last_known
    assert detail.carers[0].relationship == "Mother"
    assert service.apply_to_case(case_id, referral_id) == ()


# --- offering the escalation wizard ---------------------------------------------------------------


def test_escalation_prompt(db: Database, service: ReferralService, case_id: int) -> None:
    quiet = referral()
    quiet["risk_indicators"]["9"] = {"present": True, "timing": "historic"}
    assert service.escalation_prompt(quiet) is None
    assert service.escalation_prompt(current(referral(), "3", "12")) is None
    message = service.escalation_prompt(current(referral(), "9"), case_id=case_id)
    assert message is not None and "Child Sexual Exploitation" in message
    EscalationService(db).record(case_id, answers={}, decision="no_escalation")
    assert service.escalation_prompt(current(referral(), "9"), case_id=case_id) is None


def test_escalation_prompt_for_a_case_whose_whereabouts_are_unknown(
    db: Database, service: ReferralService
) -> None:
    case_id = CaseService(db).create(draft=CaseDraft(full_name="Kim Lee", whereabouts_unknown=True))
    message = service.escalation_prompt(referral(), case_id=case_id)
    assert message is not None and "whereabouts are unknown" in message


# --- reading the free text ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("names", "phone", "email", "expected"),
    [
        (
            "Jane Smith (Mother) and John Smith (Father)",
            "07700 900123 / 07700 900456",
            "",
            [
                CarerDraft("Jane Smith", "Mother", "07700 900123"),
                CarerDraft("John Smith", "Father", "07700 900456"),
            ],
        ),
        (
            "Mum: Ana Pop\nDad - Ion Pop 07700 900777",
            "0116 496 0000",
            "ana@example.org; ion@example.org",
            [
                CarerDraft("Ana Pop", "Mum", "0116 496 0000", "ana@example.org"),
                CarerDraft("Ion Pop", "Dad", "07700 900777", "ion@example.org"),
            ],
        ),
        (
            "A Brown, B Brown, C Brown",
            "07700 900001 07700 900002",
            "",
            [
                CarerDraft("A Brown", "", "07700 900001 07700 900002"),
                CarerDraft("B Brown"),
                CarerDraft("C Brown"),
            ],
        ),
        ("", "+44 7700 900321", "", [CarerDraft(UNNAMED_CARER, "", "+44 7700 900321")]),
        ("", "", "", []),
    ],
)
def test_parse_carers(names: str, phone: str, email: str, expected: list[CarerDraft]) -> None:
    assert parse_carers(names, phone, email) == expected


@pytest.mark.parametrize(
    ("organisation", "agency"),
    [
        ("Greenfield Primary School", "schools"),
        ("Leicestershire Police", "police"),
        ("Children's Social Care – Access Team", "childrens_social_care"),
        ("Children’s Social Care", "childrens_social_care"),
        ("NHS Leicester school nursing", "health"),
        ("Youth Offending Service", "youth_offending"),
        ("Acme Ltd", ""),
    ],
)
def test_guess_agency(organisation: str, agency: str) -> None:
    assert guess_agency(organisation) == agency


def test_children_named_never_invents_details() -> None:
    ref = referral()
    ref["children"] = [child("Jack and Jill Smith", date_of_birth="2015-01-01")]
    named = children_named(ref)
    assert [c["full_name"] for c in named] == ["Jack", "Jill Smith"]
    assert named[1]["date_of_birth"] is None
