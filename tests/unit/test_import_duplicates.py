"""The same file imported twice makes nothing the second time; matching holds the write lock."""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

import pytest
import sqlcipher3.dbapi2 as sqlcipher
from faker import Faker
from sqlalchemy import func, select

from cme_desktop.models import Attachment, Case, Referral
from cme_desktop.services.errors import AlreadyImported
from cme_desktop.services.importing import commit as commit_module
from cme_desktop.services.importing.commit import ChildDecision, ImportService
from cme_desktop.services.importing.result import ParsedReferral
from cme_desktop.services.referral.record import empty_referral
from cme_desktop.services.rules.dates import format_date
from cme_desktop.services.vault.database import Database, open_connection

fake = Faker("en_GB")
Faker.seed(1212)
TODAY = date(2026, 10, 5)
SURNAME = fake.last_name()


def form(*names: str, original: bytes = b"PK\x03\x04 the form as received") -> ParsedReferral:
    ref = empty_referral()
    blank = ref["children"][0]
    ref["children"] = [
        blank | {"full_name": name, "date_of_birth": f"2015-04-0{i + 1}"}
        for i, name in enumerate(names)
    ]
    ref["referrer"] |= {"name": fake.name(), "organisation": "Brook Lane Academy"}
    return ParsedReferral(
        referral=ref, source="referral.docx", original=original, original_name="referral.docx"
    )


def counts(db: Database) -> dict[str, int]:
    with db.read() as session:
        return {
            model.__name__: int(session.scalar(select(func.count()).select_from(model)) or 0)
            for model in (Case, Referral, Attachment)
        }


@pytest.fixture
def service(db: Database) -> ImportService:
    return ImportService(db)


def test_the_same_file_imported_again_creates_nothing_and_says_where_it_went(
    db: Database, service: ImportService
) -> None:
    first = service.commit_unattended(form(f"Ruby {SURNAME}"), today=TODAY)
    before = counts(db)
    assert before == {"Case": 1, "Referral": 1, "Attachment": 1}

    with pytest.raises(AlreadyImported) as caught:
        service.commit_unattended(form(f"Ruby {SURNAME}"), today=TODAY)

    assert counts(db) == before
    (case_id,) = first.case_ids
    assert caught.value.case_ids == (case_id,)
    on = format_date(date.today())
    assert caught.value.message == (
        f"This file was already imported on {on} to case CME-{case_id:06d}, so nothing was "
        "imported again."
    )


def test_the_reviewed_import_of_a_file_imported_before_is_refused_too(
    db: Database, service: ImportService
) -> None:
    siblings = form(f"Ava {SURNAME}", f"Leo {SURNAME}")
    assert service.previous_import(siblings) is None
    result = service.commit(
        siblings, [ChildDecision(0, "new"), ChildDecision(1, "new")], today=TODAY
    )

    previous = service.previous_import(siblings)
    assert previous is not None
    assert previous.case_ids == result.case_ids
    assert previous.imported_on == date.today()
    a, b = result.case_ids
    assert previous.references == f"cases CME-{a:06d} and CME-{b:06d}"
    with pytest.raises(AlreadyImported, match=f"to cases CME-{a:06d} and CME-{b:06d}"):
        service.commit(siblings, [ChildDecision(0, "new"), ChildDecision(1, "new")])
    assert counts(db)["Case"] == 2


def test_another_file_for_the_same_child_is_added_to_the_case(
    db: Database, service: ImportService
) -> None:
    first = service.commit_unattended(form(f"Isla {SURNAME}"), today=TODAY)
    again = service.commit_unattended(
        form(f"Isla {SURNAME}", original=b"PK\x03\x04 the same form, saved again"), today=TODAY
    )
    assert [c.outcome for c in again.children] == ["added"]
    assert again.case_ids == first.case_ids
    assert counts(db) == {"Case": 1, "Referral": 2, "Attachment": 2}


def test_each_kept_file_has_its_sha256(db: Database, service: ImportService) -> None:
    original = b"%PDF-1.7 a form"
    service.commit_unattended(form(f"Mia {SURNAME}", original=original), today=TODAY)
    with db.read() as session:
        (digest,) = session.scalars(select(Attachment.content_sha256)).all()
    assert digest == hashlib.sha256(original).hexdigest()


def test_the_children_are_matched_while_the_write_lock_is_held(
    db: Database, service: ImportService, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No other writer can slip a case in between the matching and the saving."""
    seen: list[str] = []
    real = commit_module.child_matches

    def matching_under_watch(tx: Any, parsed: ParsedReferral) -> Any:
        other = open_connection(db.path, db.key)
        other.execute("PRAGMA busy_timeout = 0")
        try:
            other.execute("BEGIN IMMEDIATE")
            seen.append("another writer got in")
            other.execute("ROLLBACK")
        except sqlcipher.OperationalError as error:
            seen.append(str(error))
        finally:
            other.close()
        return real(tx, parsed)

    monkeypatch.setattr(commit_module, "child_matches", matching_under_watch)
    service.commit_unattended(form(f"Noah {SURNAME}"), today=TODAY)
    assert seen == ["database is locked"]
