"""``cme-register/1``: a register entry exported as a protected PDF and imported back.

Every exported record is checked against the published schema; a wrong password, a
damaged or hostile file and a record the schema refuses write nothing.
"""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from faker import Faker
from sqlalchemy import func, select

from cme_desktop.models import AuditEvent, Case, RegisterEntry, TimelineEntry
from cme_desktop.services.cases.detail import CaseDraft
from cme_desktop.services.cases.service import CaseService
from cme_desktop.services.errors import (
    CorruptFile,
    HostileFile,
    InvalidInput,
    NotARegisterRecord,
    NotFound,
    PasswordRequired,
    WrongPassword,
)
from cme_desktop.services.protection.pdf import encrypt_pdf
from cme_desktop.services.register import exchange, schema_check
from cme_desktop.services.register.entry import (
    EntryDraft,
    NewChild,
    ParentDraft,
    ProviderDraft,
    RegisterService,
)
from cme_desktop.services.vault.database import Database
from cme_desktop.services.vault.unlock import Vault

DAY = date(2026, 11, 2)
TODAY = date(2026, 12, 1)
PASSWORD = "correct horse battery"
fake = Faker("en_GB")
Faker.seed(17)


@pytest.fixture
def vault(copied_vault: Vault) -> Vault:
    return copied_vault


def _registered(db: Database) -> tuple[int, str]:
    name = f"{fake.first_name()} {fake.last_name()}"
    service = RegisterService(db)
    case_id = service.register_new(
        NewChild(name, date_of_birth=date(2014, 5, 1), home_address=fake.address(), sex="female"),
        on=DAY,
        entry=EntryDraft(
            lives_in_area="yes",
            school_status="not_registered",
            optional_info={"sen": "SEN support", "eligibility_reason": "Home educated"},
            note="Parents write in good time.",
        ),
        today=TODAY,
    )
    record = service.get(case_id, today=TODAY)
    assert record is not None
    service.save(
        case_id,
        version=record.version,
        entry=record.entry,
        parents=[ParentDraft(fake.name(), fake.address(), True, 20.0)],
        providers=[
            ProviderDraft(fake.company(), fake.address(), "tutor", "online", 4.0, 2.0),
        ],
    )
    from cme_desktop.services.register.duties import add_event

    with db.write() as session:
        add_event(session, db, case_id=case_id, kind="parent_notification", on=DAY, detail="Letter")
    return case_id, name


def _export(db: Database, tmp_path: Path, case_id: int) -> Path:
    target = tmp_path / "entry.pdf"
    exchange.export_entry(
        db, case_id, target=target, password=PASSWORD, authority="Shire County", today=TODAY
    )
    return target


def _count(db: Database) -> tuple[int, int]:
    with db.read() as session:
        return (
            int(session.scalar(select(func.count()).select_from(Case)) or 0),
            int(session.scalar(select(func.count()).select_from(RegisterEntry)) or 0),
        )


def _with_record(record: Any) -> bytes:
    """A protected PDF holding ``record`` (any JSON text or bytes) as ``register.json``."""
    raw = record if isinstance(record, bytes) else json.dumps(record).encode()
    doc = pikepdf.new()
    doc.add_blank_page()
    doc.attachments[exchange.ATTACHMENT_NAME] = pikepdf.AttachedFileSpec(
        doc, raw, filename=exchange.ATTACHMENT_NAME
    )
    out = io.BytesIO()
    doc.save(out)
    return encrypt_pdf(out.getvalue(), PASSWORD)


def test_the_export_is_protected_and_its_record_meets_the_schema(
    db: Database, tmp_path: Path
) -> None:
    case_id, name = _registered(db)
    target = _export(db, tmp_path, case_id)
    data = target.read_bytes()
    assert name.encode() not in data
    with db.read() as session:
        summaries = session.scalars(
            select(TimelineEntry.summary).where(TimelineEntry.case_id == case_id)
        ).all()
        actions = session.scalars(
            select(AuditEvent.action).where(AuditEvent.entity_id == case_id)
        ).all()
    assert "Register entry exported as a password-protected PDF (entry.pdf)." in summaries
    assert "register_exported" in actions
    with pytest.raises(PasswordRequired):
        exchange.read_transfer(data, password=None)
    with pytest.raises(WrongPassword):
        exchange.read_transfer(data, password="not the password")
    transfer = exchange.read_transfer(data, password=PASSWORD)
    assert schema_check.problems(transfer.record) == []
    child = transfer.record["child"]
    assert (child["full_name"], child["date_of_birth"], child["sex"]) == (
        name,
        "2014-05-01",
        "female",
    )
    assert transfer.record["entry"]["registered_on"] == DAY.isoformat()
    assert transfer.record["optional"]["sen"] == "SEN support"
    assert [p["hours_per_week"] for p in transfer.record["parents"]] == [20.0]
    assert transfer.record["providers"][0]["mode"] == "online"
    kinds = [e["kind"] for e in transfer.record["events"]]
    assert "parent_notification" in kinds and "joined" in kinds


def test_a_round_trip_into_another_vault_makes_the_same_entry(
    db: Database, tmp_path: Path, vault_template: Any
) -> None:
    case_id, name = _registered(db)
    transfer = exchange.read_transfer(
        _export(db, tmp_path, case_id).read_bytes(), password=PASSWORD
    )
    # The same vault holds the child: the import proposes an update of that case.
    matches = exchange.find_matches(db, transfer)
    assert exchange.proposed_case(matches) == case_id
    before = _count(db)
    done = exchange.import_entry(db, transfer, case_id=case_id, today=TODAY)
    assert (done.case_id, done.created, done.events_added) == (case_id, False, 0)
    assert _count(db) == before
    # As a new child: the same content, the officer's events carried over.
    new = exchange.import_entry(db, transfer, case_id=None, today=TODAY)
    assert new.created and new.events_added == 1
    again = RegisterService(db).get(new.case_id, today=TODAY)
    assert again is not None
    assert again.full_name == name and again.registered_on == DAY
    assert again.entry.optional_info == {
        "sen": "SEN support",
        "eligibility_reason": "Home educated",
    }
    assert [p.hours_per_week for p in again.parents] == [20.0]
    assert [(v.kind, v.mode, v.hours_without_parent) for v in again.providers] == [
        ("tutor", "online", 2.0)
    ]
    assert "parent_notification" in [e.kind for e in again.events]
    exported_again = exchange.record_of(
        again, sex="female", upn="", authority="Shire County", today=TODAY
    )
    assert schema_check.problems(exported_again) == []
    for part in ("child", "optional", "parents", "providers"):
        assert exported_again[part] == transfer.record[part]


def test_a_child_already_on_the_register_is_updated_not_put_on_twice(
    db: Database, tmp_path: Path
) -> None:
    case_id, _ = _registered(db)
    transfer = exchange.read_transfer(
        _export(db, tmp_path, case_id).read_bytes(), password=PASSWORD
    )
    transfer.record["parents"][0]["hours_per_week"] = 25.0
    exchange.import_entry(db, transfer, case_id=case_id, today=TODAY)
    record = RegisterService(db).get(case_id, today=TODAY)
    assert record is not None
    assert [p.hours_per_week for p in record.parents] == [25.0]
    assert [e.kind for e in record.events].count("joined") == 1


def _valid(db: Database, tmp_path: Path) -> dict[str, Any]:
    case_id, _ = _registered(db)
    data = _export(db, tmp_path, case_id).read_bytes()
    return dict(exchange.read_transfer(data, password=PASSWORD).record)


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda r: r["entry"].update(status="maybe"), "entry.status"),
        (lambda r: r["child"].update(date_of_birth="31/02/2014"), "not a date"),
        (lambda r: r["parents"][0].update(hours_per_week=500), "more than 168"),
        (lambda r: r.update(extra=1), "'extra' is not one of the schema's"),
        (lambda r: r["child"].pop("full_name"), "'full_name' is missing"),
        (lambda r: r["events"].extend([r["events"][0]] * 1001), "more than 1000"),
    ],
)
def test_a_record_the_schema_refuses_writes_nothing(
    db: Database, tmp_path: Path, change: Any, words: str
) -> None:
    record = _valid(db, tmp_path)
    change(record)
    before = _count(db)
    with pytest.raises(NotARegisterRecord, match=words):
        exchange.read_transfer(_with_record(record), password=PASSWORD)
    assert _count(db) == before


def test_hostile_and_damaged_files_are_refused_with_a_clear_message(db: Database) -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    with pytest.raises(HostileFile, match="nested far too deeply"):
        exchange.read_transfer(_with_record(deep), password=PASSWORD)
    huge = b'{"schema": "cme-register/1", "x": "' + b"a" * 3_000_000 + b'"}'
    with pytest.raises(HostileFile, match="far too large"):
        exchange.read_transfer(_with_record(huge), password=PASSWORD)
    with pytest.raises(NotARegisterRecord, match="not valid JSON"):
        exchange.read_transfer(_with_record(b"{not json"), password=PASSWORD)
    with pytest.raises(NotARegisterRecord, match="twice"):
        exchange.read_transfer(
            _with_record(b'{"schema": "cme-register/1", "schema": "x"}'), password=PASSWORD
        )
    with pytest.raises(CorruptFile):
        exchange.read_transfer(b"%PDF-1.7\nthis is not really a PDF", password=PASSWORD)
    blank = pikepdf.new()
    blank.add_blank_page()
    out = io.BytesIO()
    blank.save(out)
    with pytest.raises(NotARegisterRecord, match="holds no register entry"):
        exchange.read_transfer(out.getvalue(), password=None)


def test_export_refuses_a_short_password_a_word_file_and_a_child_not_on_the_register(
    db: Database, tmp_path: Path
) -> None:
    case_id, _ = _registered(db)
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(InvalidInput, match="at least"):
        exchange.export_entry(db, case_id, target=out / "a.pdf", password="short", authority="")
    with pytest.raises(InvalidInput, match=".pdf"):
        exchange.export_entry(db, case_id, target=out / "a.docx", password=PASSWORD, authority="")
    cme_only = CaseService(db).create(
        draft=CaseDraft(full_name=fake.name(), date_of_birth=date(2015, 1, 1)), today=TODAY
    )
    with pytest.raises(NotFound, match="never been on the register"):
        exchange.export_entry(db, cme_only, target=out / "b.pdf", password=PASSWORD, authority="")
    assert not list(out.iterdir())


def test_the_schema_lists_every_key_of_the_vocabularies() -> None:
    from cme_desktop.models import register_terms as terms

    props = schema_check.published_schema()["properties"]
    assert props["events"]["items"]["properties"]["kind"]["enum"] == [
        t.key for t in terms.EVENT_KINDS
    ]
    assert props["providers"]["items"]["properties"]["kind"]["enum"] == [
        t.key for t in terms.PROVIDER_KINDS
    ]
    assert props["entry"]["properties"]["school_status"]["enum"] == [
        t.key for t in terms.SCHOOL_STATUSES
    ]
    assert props["entry"]["properties"]["left_reason"]["enum"] == [
        "",
        *(t.key for t in terms.LEFT_REASONS),
    ]


def test_the_checker_refuses_a_keyword_it_does_not_know() -> None:
    with pytest.raises(ValueError, match="not understood"):
        schema_check.problems("x", {"type": "string", "oneOf": []})
    assert schema_check.problems(True, {"type": "integer"}) == ["the record: should be integer"]
    assert schema_check.problems(1, {"enum": [True]}) != []


def _record() -> dict[str, Any]:
    """A hand-written valid record: a child on the sender's register since 1 Sep 2026."""
    return {
        "schema": "cme-register/1",
        "exported_on": "2026-11-30",
        "authority": "Shire County",
        "child": {
            "full_name": "Mabli Trevennor",
            "date_of_birth": "2014-05-01",
            "sex": "female",
            "upn": None,
            "home_address": "4 Quarry Lane, Shepshed",
        },
        "entry": {
            "status": "on",
            "registered_on": "2026-09-01",
            "left_on": None,
            "left_reason": "",
            "lives_in_area": "yes",
            "school_status": "not_registered",
            "arrangement": "",
            "school": "",
            "note": "",
        },
        "optional": {"eligibility_reason": "Bullying"},
        "parents": [
            {
                "name": "Gwen Trevennor",
                "home_address": "",
                "provides_education": True,
                "hours_per_week": None,
            }
        ],
        "providers": [],
        "events": [
            {"kind": "parent_notification", "on": "2026-09-01", "due": None, "detail": "Email"}
        ],
    }


def test_the_import_and_the_ehe_figures_alike_on_both_engines(
    engine_db: Database, tmp_path: Path
) -> None:
    """The vault and the shared server: the same file makes the same entry and counts."""
    from cme_desktop.services.reports.dfe_return import dfe_termly

    record = _record()
    transfer = exchange.parse_record(json.dumps(record).encode())
    done = exchange.import_entry(engine_db, transfer, case_id=None, today=TODAY)
    assert (done.created, done.events_added) == (True, 1)
    ehe = dfe_termly(engine_db, date(2026, 10, 1), la_number="855", today=TODAY).ehe
    assert ehe is not None
    assert (ehe.total, +ehe.sex, +ehe.reason) == (1, {"F": 1}, {"BUL": 1})


def test_a_child_the_sender_took_off_joins_this_register_on_the_day_of_import(
    db: Database,
) -> None:
    record = _record()
    record["entry"] |= {"status": "off", "left_on": "2026-11-20", "left_reason": "moved_away"}
    transfer = exchange.parse_record(json.dumps(record).encode())
    done = exchange.import_entry(db, transfer, case_id=None, today=TODAY)
    again = RegisterService(db).get(done.case_id, today=TODAY)
    assert again is not None
    assert (again.status, again.registered_on, again.left_on) == ("on", TODAY, None)
