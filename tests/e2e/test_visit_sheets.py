"""Home-visit sheets from a real vault: what is on the page, what is not, order, audit, CLI."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pypdf
import pytest
from faker import Faker
from sqlalchemy import select

from cme_desktop.cli.main import main
from cme_desktop.models import AuditEvent
from cme_desktop.models import vocabularies as vocab
from cme_desktop.services.cases.detail import case_reference
from cme_desktop.services.cases.service import CaseService
from cme_desktop.services.documents.styles import PROTECTIVE_MARKING
from cme_desktop.services.documents.visit_sheet import VisitSheetService
from cme_desktop.services.documents.visit_sheet_pdf import CHECKLIST
from cme_desktop.services.settings import SettingsService, authority_of
from cme_desktop.services.vault.database import Database
from tests.support.credentials import PASSPHRASE
from tests.support.visit_cases import (
    AUTHORITY_NAME,
    OFFICER,
    PHONE,
    MadeCase,
    add_case,
    add_referral,
    configured_db,
    decide,
    referral_for,
    seeded_faker,
)

WARNING = "LONE-WORKING WARNING"


@pytest.fixture(scope="module")
def vault_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("visits") / "cases.cme"


@pytest.fixture(scope="module")
def db(vault_path: Path) -> Iterator[Database]:
    yield from configured_db(vault_path)


@pytest.fixture(scope="module")
def fake() -> Faker:
    return seeded_faker(606)


@pytest.fixture(scope="module")
def cases(db: Database, fake: Faker) -> dict[str, MadeCase]:
    """One case per situation the safety box must tell apart."""
    made = {
        "plain": add_case(db, fake, upn="A123456789012"),
        "police": add_case(db, fake),
        "social_care": add_case(db, fake),
        "historic_gang": add_case(db, fake),
        "other_current": add_case(db, fake),
    }
    add_referral(
        db,
        made["plain"].id,
        referral_for(made["plain"], fake, i3=(True, "current"), i7=(True, "historic")),
    )
    decide(db, made["police"].id, "refer_police")
    decide(db, made["social_care"].id, "refer_social_care")
    add_referral(
        db,
        made["historic_gang"].id,
        referral_for(made["historic_gang"], fake, i14=(True, "historic")),
    )
    add_referral(
        db,
        made["other_current"].id,
        referral_for(made["other_current"], fake, i2=(True, "current"), i20=(True, "current")),
    )
    for key in sorted(vocab.VISIT_SAFETY_INDICATORS, key=int):
        case = add_case(db, fake)
        add_referral(db, case.id, referral_for(case, fake, **{f"i{key}": (True, "current")}))
        made[f"indicator_{key}"] = case
    return made


def pages(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages]


def squeeze(text: str) -> str:
    """Without white space, so that wrapped lines compare equal."""
    return re.sub(r"\s+", "", text)


def sheet(db: Database, case_id: int, **kwargs: Any) -> str:
    authority = authority_of(SettingsService(db).load())
    [text] = pages(VisitSheetService(db).render_for([case_id], authority=authority, **kwargs))
    return text


def test_a_sheet_holds_what_the_visit_needs(db: Database, cases: dict[str, MadeCase]) -> None:
    made = cases["plain"]
    text = squeeze(sheet(db, made.id, note="A neighbour says the family came back"))
    for wanted in (
        made.full_name,
        made.address,
        made.school,
        *(name for name, _ in made.carers),
        *(phone for _, phone in made.carers),
        *CHECKLIST,
        *(t.label for t in vocab.VISIT_OUTCOMES),
        PROTECTIVE_MARKING,
        case_reference(made.id),
        "06/05/2014",
        "A neighbour says the family came back",
        OFFICER,
        AUTHORITY_NAME,
        PHONE,
    ):
        assert squeeze(wanted) in text, wanted
    assert text.count(PROTECTIVE_MARKING) == 2  # top and bottom of the page


def test_the_risk_table_stays_in_the_vault(db: Database, cases: dict[str, MadeCase]) -> None:
    made = cases["plain"]
    detail = CaseService(db).get(made.id)
    referral = detail.referrals[0].data
    text = squeeze(sheet(db, made.id))
    for term in vocab.RISK_INDICATORS:
        if term.key not in vocab.VISIT_SAFETY_INDICATORS:
            assert squeeze(term.label) not in text, term.label
    for answer in referral["assessment"].values():
        assert squeeze(answer) not in text
    assert squeeze(referral["additional_information"]) not in text
    assert squeeze(referral["referrer"]["name"]) not in text
    assert made.upn not in text
    assert "Current/Historic" not in text
    assert WARNING.replace(" ", "") not in text  # indicator 3 is current, but not a door risk


@pytest.mark.parametrize(
    ("situation", "warned"),
    [
        ("police", True),
        ("social_care", True),
        ("indicator_12", True),
        ("indicator_14", True),
        ("indicator_16", True),
        ("plain", False),
        ("historic_gang", False),
        ("other_current", False),
    ],
)
def test_the_safety_box_warns_only_when_it_should(
    db: Database, cases: dict[str, MadeCase], situation: str, warned: bool
) -> None:
    text = squeeze(sheet(db, cases[situation].id))
    assert (squeeze(WARNING) in text) is warned
    if situation.startswith("indicator_"):
        label = vocab.label_of(vocab.RISK_INDICATORS, situation.removeprefix("indicator_"))
        assert squeeze(label) in text
    if not warned:
        assert squeeze("No safety concerns are recorded") in text


def test_a_days_visits_print_one_page_each_in_the_chosen_order(
    db: Database, cases: dict[str, MadeCase]
) -> None:
    order = [cases["police"], cases["plain"], cases["indicator_14"]]
    authority = authority_of(SettingsService(db).load())
    pdf = VisitSheetService(db).render_for([c.id for c in order], authority=authority)
    texts = pages(pdf)
    assert len(texts) == 3
    for number, (made, text) in enumerate(zip(order, texts, strict=True), start=1):
        assert squeeze(made.full_name) in squeeze(text)
        assert f"Sheet {number} of 3" in text
        for other in order:
            if other is not made:
                assert squeeze(other.full_name) not in squeeze(text)


def test_a_very_full_sheet_still_fits_on_one_page(db: Database, fake: Faker) -> None:
    made = add_case(db, fake, carers=14)
    cases = CaseService(db)
    for _ in range(4):
        cases.add_address(made.id, address=fake.address() + ", " + fake.address())
    text = squeeze(sheet(db, made.id, note=fake.paragraph(nb_sentences=8)))
    for name, phone in made.carers:
        assert squeeze(name) in text
        assert squeeze(phone) in text
    assert squeeze("Next steps") in text


def _printed(db: Database) -> list[tuple[int | None, str]]:
    with db.read() as session:
        rows = session.execute(
            select(AuditEvent.entity_id, AuditEvent.detail).where(
                AuditEvent.action == "visit_sheet_printed"
            )
        )
        return [(r.entity_id, r.detail) for r in rows]


def test_each_print_is_audited_once_per_case(db: Database, cases: dict[str, MadeCase]) -> None:
    service = VisitSheetService(db)
    authority = authority_of(SettingsService(db).load())
    ids = [cases["plain"].id, cases["police"].id]
    before = _printed(db)
    service.render_for(ids, authority=authority, record=False)
    assert _printed(db) == before  # a preview is not a print
    service.record_printed(ids, output="printer")
    service.render_for(ids, authority=authority)
    new = _printed(db)[len(before) :]
    assert new == [(i, "batch=2;output=printer") for i in ids] + [
        (i, "batch=2;output=pdf") for i in ids
    ]
    for detail in (d for _, d in new):
        assert not any(c.full_name in detail for c in cases.values())


def test_cme_visit_sheet_writes_one_pdf(
    db: Database,
    cases: dict[str, MadeCase],
    vault_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CME_PASSPHRASE", PASSPHRASE)
    out = tmp_path / "visits.pdf"
    ids = [cases["indicator_16"].id, cases["plain"].id]
    args = ["--db", str(vault_path), "visit-sheet", *map(str, ids), "--out", str(out), "--plain"]
    assert main(args) == 0
    texts = pages(out.read_bytes())
    assert len(texts) == 2
    assert squeeze(cases["indicator_16"].full_name) in squeeze(texts[0])
    assert squeeze(cases["plain"].full_name) in squeeze(texts[1])
    assert [p.name for p in tmp_path.iterdir()] == ["visits.pdf"]
