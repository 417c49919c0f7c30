"""Subject access: the whole record of one child in one password-protected PDF."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pikepdf
import pypdf
import pytest
from sqlalchemy import select

from cme_desktop.models import Attachment, AuditEvent, Base, load_all
from cme_desktop.services.cases.service import CaseService
from cme_desktop.services.documents.privacy import DEFAULT_NOTICE
from cme_desktop.services.documents.subject_access import SubjectAccessService, pack_name
from cme_desktop.services.errors import InvalidInput
from cme_desktop.services.settings import SettingsService, authority_of
from cme_desktop.services.vault.database import Database
from tests.support.visit_cases import (
    AUTHORITY_NAME,
    MadeCase,
    add_case,
    add_referral,
    configured_db,
    decide,
    referral_for,
    seeded_faker,
)

PASSWORD = "lantern-orbit-meadow-42"
FORM = b"PK\x03\x04 the form as it was received"


@pytest.fixture
def vault_db(tmp_path: Path) -> Iterator[Database]:
    yield from configured_db(tmp_path / "cases.cme")


def _recorded(db: Database) -> tuple[MadeCase, MadeCase, str]:
    fake = seeded_faker(15)
    made = add_case(db, fake, upn="")
    other = add_case(db, fake, upn="")  # another child: never in this child's pack
    ref = referral_for(made, fake, i12=(True, "current"))
    add_referral(db, made.id, ref)
    decide(db, made.id, "refer_police")
    CaseService(db).add_task(made.id, title="Ring the school office", due_on=date(2025, 3, 1))
    with db.write() as session:
        session.add(Attachment(case_id=made.id, filename="form.docx", media_type="", content=FORM))
    return made, other, ref["referrer"]["name"]


def _text(pdf: pikepdf.Pdf) -> str:
    out = io.BytesIO()
    pdf.save(out)
    reader = pypdf.PdfReader(io.BytesIO(out.getvalue()))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def test_the_pack_holds_every_part_and_opens_only_with_its_password(
    vault_db: Database, tmp_path: Path
) -> None:
    db = vault_db
    made, other, referrer = _recorded(db)
    authority = authority_of(SettingsService(db).load())
    target = tmp_path / pack_name(made.id)
    pack = SubjectAccessService(db).produce(
        made.id, target=target, password=PASSWORD, authority=authority
    )

    assert target.name == f"CME-{made.id:06d}-subject-access.pdf"
    assert set(pack.sections) >= {
        "addresses",
        "carers",
        "timeline",
        "tasks",
        "referrals",
        "attachments",
        "escalations",
        "step_progress",
    }
    raw = target.read_bytes()
    assert made.full_name.encode() not in raw and b"record.json" not in raw
    with pytest.raises(pikepdf.PasswordError):
        pikepdf.open(target, password="not-the-password")
    with pytest.raises(pikepdf.PasswordError):
        pikepdf.open(target)

    with pikepdf.open(target, password=PASSWORD) as pdf:
        assert pdf.encryption.R == 6 and pdf.encryption.bits == 256
        record = json.loads(pdf.attachments["record.json"].get_file().read_bytes())
        form = pdf.attachments["file-1-form.docx"].get_file().read_bytes()
        text = _text(pdf)
    assert form == FORM
    assert record["format"] == "cme-subject-access/1"
    assert record["case"]["full_name"] == made.full_name
    sections = record["sections"]
    assert [c["name"] for c in sections["carers"]] == [name for name, _ in made.carers]
    assert sections["referrals"][0]["data"]["referrer"]["name"] == referrer
    assert [t["title"] for t in sections["tasks"]] == ["Ring the school office"]
    assert sections["escalations"][0]["decision"] == "refer_police"
    assert any(e["summary"] == "No answer at the door" for e in sections["timeline"])
    actions = [e["action"] for e in record["audit"]]
    assert actions[0] == "case_created" and "task_added" in actions
    assert record["siblings_on_record"] == 0
    # The readable record says the same; the other child is nowhere in it.
    for expected in (made.full_name, made.carers[0][0], referrer, "Ring the school office"):
        assert expected in text
    assert "Refer to the Police" in text and "Who read or changed this record" in text
    assert other.full_name not in text and other.full_name not in json.dumps(record)
    # The privacy notice ends it.
    assert DEFAULT_NOTICE.format(authority=AUTHORITY_NAME)[:80] in text

    with db.read() as session:
        row = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).one()
    assert (row.action, row.entity_id) == ("subject_access_produced", made.id)
    assert made.full_name not in row.detail
    timeline = CaseService(db).get(made.id).timeline
    assert any("Subject access pack produced" in t.summary for t in timeline)


def test_a_weak_password_or_a_missing_folder_leaves_no_file(
    vault_db: Database, tmp_path: Path
) -> None:
    made, _other, _referrer = _recorded(vault_db)
    service = SubjectAccessService(vault_db)
    authority = authority_of(SettingsService(vault_db).load())
    with pytest.raises(InvalidInput, match="at least 10 characters"):
        service.produce(made.id, target=tmp_path / "p.pdf", password="short", authority=authority)
    with pytest.raises(InvalidInput, match="does not exist"):
        service.produce(
            made.id, target=tmp_path / "nowhere" / "p.pdf", password=PASSWORD, authority=authority
        )
    with pytest.raises(InvalidInput, match=r"\.pdf"):
        service.produce(made.id, target=tmp_path / "p.zip", password=PASSWORD, authority=authority)
    assert list(tmp_path.glob("*.pdf")) == []


def test_the_pack_covers_every_table_that_holds_rows_of_a_case(
    vault_db: Database, tmp_path: Path
) -> None:
    """Checked against the schema, so a table added later cannot be left out of a pack."""
    load_all()
    tables = Base.metadata.sorted_tables
    of_a_case = {
        t.name
        for t in tables
        if t.name != "cases"
        and ("case_id" in t.c or any(fk.column.table.name == "cases" for fk in t.foreign_keys))
    }
    for table in tables:
        # A table reaching a case only through another table's rows would be missed.
        if any(fk.column.table.name in of_a_case for fk in table.foreign_keys):
            assert table.name in of_a_case, f"{table.name} has no case_id of its own"
    made, _other, _referrer = _recorded(vault_db)
    CaseService(vault_db).get(made.id)  # a read, which the pack must show
    target = tmp_path / pack_name(made.id)
    SubjectAccessService(vault_db).produce(
        made.id,
        target=target,
        password=PASSWORD,
        authority=authority_of(SettingsService(vault_db).load()),
    )
    with pikepdf.open(target, password=PASSWORD) as pdf:
        record = json.loads(pdf.attachments["record.json"].get_file().read_bytes())
    assert set(record["sections"]) == of_a_case
    reads = [e for e in record["audit"] if e["action"] == "case_read"]
    assert reads and all(e["by"] == vault_db.actor and e["at_utc"] for e in reads)
