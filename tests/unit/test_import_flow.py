"""From a parsed referral to cases: candidates, the three decisions, one transaction, audit."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from faker import Faker
from sqlalchemy import func, select

from cme_desktop.models import Attachment, AuditEvent, Case, Referral
from cme_desktop.services.cases.detail import CaseDraft
from cme_desktop.services.cases.service import CaseService
from cme_desktop.services.errors import InvalidInput
from cme_desktop.services.importing.commit import ChildDecision, ImportService, source_kind
from cme_desktop.services.importing.pupil_csv import read_pupil_csv
from cme_desktop.services.importing.result import ParsedReferral
from cme_desktop.services.protection.office import encrypt_office
from cme_desktop.services.referral.record import empty_referral
from cme_desktop.services.rules.upn import make_upn
from cme_desktop.services.vault.database import Database
from tests.support.fixtures_docx import appendix_a_docx

fake = Faker("en_GB")
Faker.seed(515)
TODAY = date(2026, 10, 5)
DOB = date(2015, 4, 2)
SURNAME = fake.last_name()
ORIGINAL = encrypt_office(appendix_a_docx(empty_referral()), "Heron-Basket-71")


def child(name: str, **changes: Any) -> dict[str, Any]:
    return empty_referral()["children"][0] | {"full_name": name} | changes


def parsed(*children: dict[str, Any], source: str = "Referral.docx", **top: Any) -> ParsedReferral:
    """A referral as a Word import gives it, with the encrypted file as received."""
    ref = empty_referral()
    ref["children"] = list(children)
    ref |= {
        "last_known_address": fake.address(),
        "parents_carers": f"{fake.first_name()} {SURNAME} (Mother)",
        "telephone": "07700 900456",
        "school": "Brook Lane Academy",
        "date_last_attended": "2026-09-18",
    }
    ref["referrer"] |= {"name": fake.name(), "organisation": "Brook Lane Academy"}
    ref |= top
    return ParsedReferral(
        referral=ref,
        source=source,
        uncertain=("children.0.date_of_birth",),
        original=ORIGINAL,
        original_name=source.rsplit("›", 1)[-1].strip(),
    )


@pytest.fixture
def service(db: Database) -> ImportService:
    return ImportService(db)


def make_case(db: Database, name: str, **fields: Any) -> int:
    return CaseService(db).create(draft=CaseDraft(full_name=name, **fields), today=TODAY)


def count(db: Database, model: Any) -> int:
    with db.read() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def audit_rows(db: Database, action: str | None = None) -> list[AuditEvent]:
    query = select(AuditEvent).order_by(AuditEvent.id)
    if action is not None:
        query = query.where(AuditEvent.action == action)
    with db.read() as session:
        return list(session.scalars(query))


# --- who the child may be ---------------------------------------------------------------


def test_a_misspelt_name_with_the_same_date_of_birth_is_offered(
    db: Database, service: ImportService
) -> None:
    existing = make_case(db, f"Mohammed {SURNAME}", date_of_birth=DOB)
    make_case(db, f"Mohammed {SURNAME}", date_of_birth=date(2012, 1, 9))  # another child
    make_case(db, fake.name(), date_of_birth=DOB)  # same birthday, another name

    (match,) = service.candidates(parsed(child(f"Muhammad {SURNAME}", date_of_birth=str(DOB))))

    assert [c.case_id for c in match.candidates] == [existing]
    (found,) = match.candidates
    assert 0.75 <= found.score < 1
    assert found.reason.startswith("Same date of birth, name ")
    assert found.reason.endswith("% alike")
    assert not found.same_upn


def test_a_name_known_as_the_cases_aka_is_offered(db: Database, service: ImportService) -> None:
    existing = make_case(db, f"Jessamine {SURNAME}", aka=f"Jess {SURNAME}", date_of_birth=DOB)

    (match,) = service.candidates(parsed(child(f"Jess {SURNAME}", date_of_birth=str(DOB))))

    (found,) = match.candidates
    assert found.case_id == existing
    assert found.score == 1.0
    assert found.reason == "Same date of birth, the name matches the case's AKA"


def test_the_same_upn_wins_whatever_the_name(db: Database, service: ImportService) -> None:
    upn = make_upn(la=855, year=2015, serial=17)
    existing = make_case(db, fake.name(), upn=upn, date_of_birth=date(2014, 1, 1))
    make_case(db, f"Ava {SURNAME}", date_of_birth=DOB)

    referral = parsed(child(f"Ava {SURNAME}", date_of_birth=str(DOB), upn=upn))
    (match,) = service.candidates(referral)

    assert match.candidates[0].case_id == existing
    assert match.candidates[0].same_upn and match.candidates[0].reason == "Same UPN"
    assert len(match.candidates) == 2  # the name and birthday match is offered too, below
    assert service.auto_decisions(referral) == [ChildDecision(0, "add", existing)]


def test_auto_decisions_add_only_to_one_clear_match(db: Database, service: ImportService) -> None:
    clear = make_case(db, f"Isla {SURNAME}", date_of_birth=DOB)
    twin_a = make_case(db, f"Noah {SURNAME}", date_of_birth=date(2013, 6, 6))
    make_case(db, f"Noah {SURNAME}", date_of_birth=date(2013, 6, 6))
    referral = parsed(
        child(f"Isla {SURNAME}", date_of_birth=str(DOB)),
        child(f"Noah {SURNAME}", date_of_birth="2013-06-06"),
        child(f"Zara {SURNAME}", date_of_birth="2017-02-02"),
        child(f"Muhammad {SURNAME}", date_of_birth=str(DOB)),
    )
    decisions = service.auto_decisions(referral)
    assert [(d.action, d.case_id) for d in decisions] == [
        ("add", clear),
        ("new", None),  # two cases fit equally: never guessed
        ("new", None),
        ("new", None),  # the same birthday but not the same name
    ]
    assert twin_a in [c.case_id for c in service.candidates(referral)[1].candidates]


# --- committing --------------------------------------------------------------------------


def test_a_new_case_keeps_the_referral_and_the_file_as_received(
    db: Database, service: ImportService
) -> None:
    referral = parsed(child(f"Ruby {SURNAME}", date_of_birth=str(DOB), gender="Female"))

    result = service.commit(referral, [ChildDecision(0, "new")], today=TODAY)

    (done,) = result.children
    assert done.outcome == "created" and result.family_id is None
    detail = CaseService(db).get(done.case_id)
    assert detail.draft.full_name == f"Ruby {SURNAME}"
    assert detail.draft.date_of_birth == DOB
    assert detail.draft.identification_route == "notification"
    assert detail.draft.referring_agency == "schools"
    assert detail.carers[0].relationship == "Mother"
    assert detail.opened_on == TODAY
    with db.read() as session:
        stored = session.get(Referral, done.referral_id)
        assert stored is not None and stored.source == "docx"
        attachment = session.get(Attachment, stored.attachment_id)
        assert attachment is not None
        assert bytes(attachment.content) == ORIGINAL  # still encrypted
        assert attachment.filename == "Referral.docx"


def test_add_fills_only_blank_fields(db: Database, service: ImportService) -> None:
    existing = make_case(
        db, f"Leo {SURNAME}", date_of_birth=DOB, school="Old School", last_known_address=""
    )
    referral = parsed(child(f"Leo {SURNAME}", date_of_birth=str(DOB), ethnicity="Mixed"))

    result = service.commit(referral, [ChildDecision(0, "add", existing)], today=TODAY)

    assert result.children[0].outcome == "added"
    assert set(result.children[0].changed) >= {"ethnicity", "last_known_address"}
    detail = CaseService(db).get(existing)
    assert detail.draft.school == "Old School"  # the officer's value stays
    assert detail.draft.ethnicity == "Mixed"
    assert detail.draft.last_known_address == referral.referral["last_known_address"]
    assert len(detail.referrals) == 1
    assert count(db, Case) == 1


def test_merge_takes_the_ticked_fields_and_keeps_the_rest(
    db: Database, service: ImportService
) -> None:
    existing = make_case(db, f"Mia {SURNAME}", date_of_birth=DOB, school="Old School")
    referral = parsed(child(f"Mia {SURNAME}", date_of_birth=str(DOB), aka="Mimi", gender="F"))
    comparison = {c.field: c for c in service.compare(referral, child_index=0, case_id=existing)}
    assert comparison["school"].differs and comparison["school"].can_take
    assert comparison["school"].case_text == "Old School"
    assert not comparison["date_of_birth"].differs
    assert comparison["date_of_birth"].referral_text == "02/04/2015"
    assert comparison["full_name"].label == "Name of Pupil(s)"

    decision = ChildDecision(0, "merge", existing, take={"school": "referral", "aka": "case"})
    result = service.commit(referral, [decision], today=TODAY)

    assert result.children[0].outcome == "merged"
    draft = CaseService(db).get(existing).draft
    assert draft.school == "Brook Lane Academy"
    assert draft.aka == ""  # kept as the case had it, though blank
    assert draft.gender == "F"  # not mentioned and blank: filled


def test_siblings_become_linked_cases(db: Database, service: ImportService) -> None:
    existing = make_case(db, f"Amy {SURNAME}", date_of_birth=DOB)
    referral = parsed(child(f"Amy {SURNAME} and Ben {SURNAME}", date_of_birth=str(DOB)))
    matches = service.candidates(referral)
    assert [m.full_name for m in matches] == [f"Amy {SURNAME}", f"Ben {SURNAME}"]

    result = service.commit(
        referral, [ChildDecision(0, "add", existing), ChildDecision(1, "new")], today=TODAY
    )

    first, second = (CaseService(db).get(i) for i in result.case_ids)
    assert first.id == existing
    assert first.family_id == second.family_id == result.family_id is not None
    assert [s.id for s in first.siblings] == [second.id]
    assert count(db, Attachment) == 2  # the file as received, on each child's case


def test_a_failure_after_the_first_child_leaves_nothing(
    db: Database, service: ImportService, monkeypatch: pytest.MonkeyPatch
) -> None:
    existing = make_case(db, f"Eva {SURNAME}", date_of_birth=DOB)
    before = {model: count(db, model) for model in (Case, Referral, Attachment, AuditEvent)}
    created = []
    real_create = CaseService.create

    def create_then_fail(self: CaseService, **kwargs: Any) -> int:
        if created:
            raise OSError("the disk went away")
        created.append(real_create(self, **kwargs))
        return created[-1]

    monkeypatch.setattr(CaseService, "create", create_then_fail)
    referral = parsed(child(f"Finn {SURNAME}"), child(f"Gus {SURNAME}"), child(f"Eva {SURNAME}"))
    decisions = [
        ChildDecision(0, "new"),
        ChildDecision(1, "new"),
        ChildDecision(2, "add", existing),
    ]
    with pytest.raises(OSError):
        service.commit(referral, decisions, today=TODAY)

    assert created  # the first child's case was made, inside the transaction
    after = {model: count(db, model) for model in before}
    assert after == before
    assert CaseService(db).get(existing).referrals == ()


INCOMPLETE = [
    ([], "Decide what to do with child 1"),
    ([ChildDecision(0, "add")], "Choose the existing case"),
    ([ChildDecision(0, "new"), ChildDecision(0, "new")], "two decisions"),
    ([ChildDecision(3, "new")], "no child 4"),
    ([ChildDecision(0, "merge", 1, take={"notes": "referral"})], "Unknown field"),
]


def test_incomplete_decisions_are_refused_before_anything_is_saved(
    db: Database, service: ImportService
) -> None:
    for decisions, words in INCOMPLETE:
        with pytest.raises(InvalidInput, match=words):
            service.commit(parsed(child(fake.name())), decisions, today=TODAY)
    assert count(db, Case) == 0


def test_two_children_cannot_go_to_one_case(db: Database, service: ImportService) -> None:
    existing = make_case(db, fake.name())
    referral = parsed(child(fake.name()), child(fake.name()))
    both = [ChildDecision(0, "add", existing), ChildDecision(1, "merge", existing)]
    with pytest.raises(InvalidInput, match="same case"):
        service.commit(referral, both, today=TODAY)


def test_the_audit_names_ids_and_the_kind_of_file_never_the_child(
    db: Database, service: ImportService
) -> None:
    names = (f"Orla {SURNAME}", f"Pip {SURNAME}")
    referral = parsed(
        child(f"{names[0]} & {names[1]}"), source=f"{names[0]}.eml › Referral {names[0]}.docx"
    )
    result = service.commit(referral, [ChildDecision(0, "new"), ChildDecision(1, "new")])

    events = audit_rows(db, "referral_imported")
    assert [e.entity_id for e in events] == list(result.case_ids)
    first = result.children[0]
    assert events[0].detail == (
        f"referral={first.referral_id} outcome=created kind=eml/docx child=1/2 "
        f"family={result.family_id}"
    )
    for event in audit_rows(db):
        assert SURNAME not in event.detail and "Orla" not in event.detail


def test_source_kind_names_the_form_and_the_email_that_carried_it() -> None:
    pdf = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
    assert source_kind(parsed(child("A"))) == "docx"
    assert source_kind(replace(parsed(child("A")), original=pdf, original_name="a.pdf")) == "pdf"
    assert source_kind(parsed(child("A"), source="Fwd.msg › form.docx")) == "msg/docx"


# --- pupil database reports (policy 8.1 ii) --------------------------------------------------


def test_a_pupil_report_is_matched_before_anything_is_created(
    db: Database, service: ImportService
) -> None:
    upn = make_upn(la=855, year=2014, serial=3)
    known = make_case(db, fake.name(), upn=upn)
    closed = make_case(db, f"Cal {SURNAME}", date_of_birth=date(2012, 2, 2))
    CaseService(db).close(closed, outcome="left_country", on=TODAY)
    lines = [
        "Surname,Forename,DOB,UPN,Address,Postcode,Last School,Date Left",
        f"{fake.last_name()},{fake.first_name()},03/03/2015,{upn},1 Mill Lane,LE1 1AA,,",
        f"{SURNAME},Dot,04/05/2016,,2 Mill Lane,le2 2bb,Hill Top Primary,01/09/2026",
        f"{SURNAME},Dot,04/05/2016,,2 Mill Lane,LE2 2BB,,",
        f"{SURNAME},Cal,02/02/2012,,,,,",
        ",,01/01/2015,,,,,",
    ]
    records = read_pupil_csv("\n".join(lines).encode(), today=TODAY)

    preview = service.import_pupil_report(records, auto=False, today=TODAY)
    assert [r.outcome for r in preview.rows] == [
        "open_case",
        "new",
        "repeated",
        "closed_case",
        "skipped",
    ]
    assert count(db, Case) == 2  # a preview saves nothing

    result = service.import_pupil_report(records, auto=True, today=TODAY)

    assert [r.outcome for r in result.rows][:3] == ["open_case", "created", "repeated"]
    assert result.rows[0].case_id == known and "not duplicated" in result.rows[0].message
    assert result.rows[2].repeats_row == 3
    (new_id,) = result.created_ids
    draft = CaseService(db).get(new_id).draft
    assert draft.identification_route == "pupil_database"
    assert draft.full_name == f"Dot {SURNAME}"
    assert draft.last_known_address == "2 Mill Lane, LE2 2BB"
    assert draft.school == "Hill Top Primary"
    assert count(db, Case) == 3
    (event,) = audit_rows(db, "pupil_report_imported")
    assert event.detail == "row=3 route=pupil_database"

    again = service.import_pupil_report(records, auto=True, today=TODAY)
    assert again.created_ids == () and again.rows[1].outcome == "open_case"
