"""A case's chronology: every timeline entry oldest first, OFFICIAL-SENSITIVE on each page,
deleted entries struck through with the reason; saved encrypted (or plain once confirmed),
audited and noted on the timeline."""

from __future__ import annotations

import io
from datetime import date, datetime
from pathlib import Path

import pikepdf
import pypdf
import pytest
from sqlalchemy import select

from cme_desktop.models import AuditEvent
from cme_desktop.services.cases.detail import CaseDraft
from cme_desktop.services.cases.service import CaseService
from cme_desktop.services.documents.chronology import ChronologyService, render
from cme_desktop.services.documents.styles import DEFAULT, PROTECTIVE_MARKING
from cme_desktop.services.errors import InvalidInput
from cme_desktop.services.protection.outputs import UNPROTECTED_ACTION
from cme_desktop.services.protection.passwords import generate_short_password
from cme_desktop.services.vault.database import Database
from cme_desktop.services.vault.unlock import Vault

NAME = "Ellis Marchbank"


@pytest.fixture
def vault(copied_vault: Vault) -> Vault:
    return copied_vault


@pytest.fixture
def case_id(db: Database) -> int:
    cases = CaseService(db)
    made = cases.create(
        draft=CaseDraft(full_name=NAME, date_of_birth=date(2014, 9, 1), school="Oak Primary")
    )
    cases.add_timeline(
        made, kind="phone", occurred_at=datetime(2026, 5, 2, 9, 30), summary="Rang the school"
    )
    cases.add_timeline(
        made,
        kind="visit",
        occurred_at=datetime(2026, 5, 4, 16),
        summary="Curtains drawn",
        outcome="no_reply_occupied",
        next_step="Revisit after 4pm",
    )
    wrong = cases.add_timeline(
        made, kind="note", occurred_at=datetime(2026, 5, 5, 10), summary="Meant for another child"
    )
    cases.delete_timeline(wrong, reason="Written on the wrong case")
    return made


def _text(data: bytes, password: str | None = None) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    if password is not None:
        reader.decrypt(password)
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def test_the_chronology_lists_every_entry_oldest_first_with_the_marking(
    db: Database, case_id: int
) -> None:
    text = _text(render(CaseService(db).get(case_id), authority=DEFAULT, today=date(2026, 6, 1)))
    assert text.count(PROTECTIVE_MARKING) == 2  # top and foot of the one page
    assert NAME in text and "01/09/2014" in text and "Page 1 of 1" in text
    order = ["Rang the school", "No reply – property appears occupied", "Meant for another"]
    positions = [text.index(words) for words in order]
    assert positions == sorted(positions), "oldest first"
    assert "Next step: Revisit after 4pm" in text
    assert "Deleted" in text and "Written on the wrong case" in text


def test_a_long_history_runs_over_pages_each_marked(db: Database, case_id: int) -> None:
    cases = CaseService(db)
    for day in range(1, 29):
        cases.add_timeline(
            case_id,
            kind="note",
            occurred_at=datetime(2026, 2, day, 9),
            summary=f"Note {day}: " + "checked with the school and the health visitor. " * 4,
        )
    reader = pypdf.PdfReader(io.BytesIO(render(cases.get(case_id), authority=DEFAULT)))
    assert len(reader.pages) >= 2
    for number, page in enumerate(reader.pages, start=1):
        words = " ".join((page.extract_text() or "").split())
        assert words.count(PROTECTIVE_MARKING) == 2
        assert f"Page {number} of {len(reader.pages)}" in words


def test_saved_protected_it_opens_only_with_the_password_and_is_recorded(
    db: Database, case_id: int, tmp_path: Path
) -> None:
    password = generate_short_password()
    target = tmp_path / "chronology.pdf"
    saved = ChronologyService(db).save(case_id, target, authority=DEFAULT, password=password)

    assert saved.protected and saved.path == target
    data = target.read_bytes()
    assert NAME.encode() not in data
    with pytest.raises(pikepdf.PasswordError):
        pikepdf.open(io.BytesIO(data))
    with pikepdf.open(io.BytesIO(data), password=password) as pdf:
        assert (pdf.encryption.R, pdf.encryption.bits) == (6, 256)
    assert NAME in _text(data, password)
    latest = CaseService(db).get(case_id).timeline[0]
    assert (latest.kind, latest.summary) == (
        "system",
        "Chronology saved as a password-protected PDF (chronology.pdf).",
    )
    with db.read() as session:
        actions = list(session.scalars(select(AuditEvent.action)))
    assert "chronology_saved" in actions and UNPROTECTED_ACTION not in actions


def test_saved_plain_only_once_confirmed_and_that_is_audited(
    db: Database, case_id: int, tmp_path: Path
) -> None:
    target = tmp_path / "plain.pdf"
    saved = ChronologyService(db).save(case_id, target, authority=DEFAULT, password=None)
    assert not saved.protected and NAME in _text(target.read_bytes())
    with db.read() as session:
        details = list(
            session.scalars(
                select(AuditEvent.detail).where(AuditEvent.action == UNPROTECTED_ACTION)
            )
        )
    assert details == [f"format=pdf;case={case_id}"]


@pytest.mark.parametrize(
    ("name", "password", "message"),
    [
        ("chronology.docx", "abcdefghjk-2345", "must end in .pdf"),
        ("chronology.pdf", "x" * 33, "at most 32"),
    ],
)
def test_a_wrong_kind_of_file_or_too_long_a_password_writes_nothing(
    db: Database, case_id: int, tmp_path: Path, name: str, password: str, message: str
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(InvalidInput, match=message):
        ChronologyService(db).save(case_id, out / name, authority=DEFAULT, password=password)
    assert list(out.iterdir()) == []
    assert not any(
        t.summary.startswith("Chronology saved") for t in CaseService(db).get(case_id).timeline
    )
