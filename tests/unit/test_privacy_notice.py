"""The privacy notice: a default naming the authority, edited in the settings, on exports."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import docx
import pypdf
import pytest

from cme_desktop.services.cases.service import CaseService
from cme_desktop.services.documents.privacy import DEFAULT_NOTICE, MAX_NOTICE, notice_text
from cme_desktop.services.documents.visit_sheet import VisitSheetService
from cme_desktop.services.errors import InvalidInput
from cme_desktop.services.protection.exports import referral_from_case, render_referral
from cme_desktop.services.settings import Settings, SettingsService, authority_of
from cme_desktop.services.vault.database import Database
from tests.support.visit_cases import AUTHORITY_NAME, add_case, configured_db, seeded_faker

OWN_NOTICE = (
    "Exampleshire processes this under s.436A Education Act 1996 (public task); "
    "ask dpo@example.gov.uk for a copy of your data."
)


@pytest.fixture
def vault_db(tmp_path: Path) -> Iterator[Database]:
    yield from configured_db(tmp_path / "cases.cme")


def _pdf_text(data: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return " ".join(" ".join((p.extract_text() or "").split()) for p in reader.pages)


def test_the_default_names_the_law_and_the_authority() -> None:
    text = notice_text("", AUTHORITY_NAME)
    assert text.startswith(f"{AUTHORITY_NAME} uses the information")
    for words in ("section 436A of the Education Act 1996", "Article 6(1)(e)", "Schedule 1"):
        assert words in text
    assert notice_text("", "").startswith("The local authority uses")
    assert notice_text(f"  {OWN_NOTICE}\n", AUTHORITY_NAME) == OWN_NOTICE
    assert len(DEFAULT_NOTICE) <= MAX_NOTICE


def test_the_notice_is_printed_on_the_referral_and_the_visit_sheet(vault_db: Database) -> None:
    db = vault_db
    made = add_case(db, seeded_faker(3))
    authority = authority_of(SettingsService(db).load())
    ref = referral_from_case(CaseService(db).get(made.id))
    default = notice_text("", AUTHORITY_NAME)

    pdf = _pdf_text(render_referral(ref, fmt="pdf", authority=authority))
    assert "Privacy notice" in pdf and " ".join(default.split())[:120] in pdf
    word = docx.Document(io.BytesIO(render_referral(ref, fmt="docx", authority=authority)))
    assert default in [p.text for p in word.paragraphs]
    sheet = VisitSheetService(db).render_for([made.id], authority=authority, record=False)
    assert " ".join(default.split())[:120] in _pdf_text(sheet)

    # The authority's own wording replaces the default everywhere.
    settings = SettingsService(db)
    settings.save(replace(settings.load(), privacy_notice=OWN_NOTICE))
    own = authority_of(settings.load())
    assert own.privacy_notice == OWN_NOTICE
    pdf = _pdf_text(render_referral(ref, fmt="pdf", authority=own))
    assert OWN_NOTICE in pdf and default[:60] not in pdf


def test_a_notice_too_long_for_a_page_is_refused(vault_db: Database) -> None:
    settings = SettingsService(vault_db)
    with pytest.raises(InvalidInput, match="keep it to 1,500"):
        settings.save(replace(settings.load(), privacy_notice="x" * (MAX_NOTICE + 1)))
    assert settings.load().privacy_notice == ""
    assert Settings().privacy_notice == ""
