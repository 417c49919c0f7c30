"""The EHE half of the DfE return, counted from the register, worked by hand.

Census day Thursday 1 October 2026; previous academic year 1 Sep 2025 to 31 Aug 2026.

- Ada (F, born 1 May 2015: Year 7 in 2026/27), on the register from 1 Sep 2026, not a
  registered pupil, reason "Philosophical or preferential reasons": counted (not in
  the previous year: she joined after it ended).
- Ben (M, born 2 Feb 2012: Year 9), on from 1 Mar 2026, taken off on 30 Sep 2026, the
  day before the census: not counted; in the previous year.
- Cal (M, born 3 Mar 2013), registered on 2 Oct 2026, the day after: not counted.
- Dee (F, born 4 Apr 2014), on since 1 Jan 2026 but a registered pupil educated
  elsewhere (flexi-schooling): on the register, not EHE: counted in neither.
- Eve (sex not recorded, born 5 Jun 2016: Year 6), on from 31 Aug 2026, reason
  written "mental health": counted, sex Unknown, reason MEN; in the previous year.

EHE on the census day: 2 (F 1, U 1; Year 6 and Year 7; PHI 1, MEN 1); previous year: 2.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

from pypdf import PdfReader

from cme_desktop.services.register.entry import EntryDraft, NewChild, RegisterService
from cme_desktop.services.reports.dfe_csv import return_csv, validate_return_csv
from cme_desktop.services.reports.dfe_ehe import reason_of
from cme_desktop.services.reports.dfe_return import dfe_termly
from cme_desktop.services.reports.pdf import dfe_pdf
from cme_desktop.services.settings import Settings, SettingsService
from cme_desktop.services.vault.database import Database
from cme_desktop.services.vault.unlock import Vault
from tests.support.credentials import FAST_SCRYPT, PASSPHRASE

CENSUS = date(2026, 10, 1)
LATER = date(2026, 10, 10)


def _vault(tmp: Path) -> Database:
    db = Vault(tmp / "v.cme", scrypt=FAST_SCRYPT).create(PASSPHRASE, actor="Test").db
    SettingsService(db).save(Settings(officer_name="Test", la_number="855"))
    return db


def _child(db: Database, name: str, born: date, on: date, *, sex: str = "", **entry: object) -> int:
    draft = EntryDraft(**({"school_status": "not_registered"} | entry))  # type: ignore[arg-type]
    return RegisterService(db).register_new(
        NewChild(name, date_of_birth=born, sex=sex), on=on, entry=draft, today=LATER
    )


def _fill(db: Database) -> None:
    _child(
        db,
        "Ada Lovell",
        date(2015, 5, 1),
        date(2026, 9, 1),
        sex="female",
        optional_info={"eligibility_reason": "Philosophical or preferential reasons"},
    )
    ben = _child(db, "Ben Ashdown", date(2012, 2, 2), date(2026, 3, 1), sex="male")
    RegisterService(db).take_off(ben, reason="school_place", on=date(2026, 9, 30), today=LATER)
    _child(db, "Cal Morrow", date(2013, 3, 3), date(2026, 10, 2), sex="male")
    _child(
        db,
        "Dee Farrant",
        date(2014, 4, 4),
        date(2026, 1, 1),
        sex="female",
        school_status="registered_elsewhere",
        arrangement="flexi",
    )
    _child(
        db,
        "Eve Tarrant",
        date(2016, 6, 5),
        date(2026, 8, 31),
        optional_info={"eligibility_reason": " mental  health "},
    )


def test_the_ehe_half_counts_the_register_on_the_census_day(tmp_path: Path) -> None:
    db = _vault(tmp_path)
    try:
        _fill(db)
        ret = dfe_termly(db, CENSUS, today=LATER)
    finally:
        db.close()
    ehe = ret.ehe
    assert ehe is not None
    assert ehe.total == 2
    assert +ehe.sex == {"F": 1, "U": 1}
    assert +ehe.year == {"7": 1, "6": 1}
    assert +ehe.reason == {"PHI": 1, "MEN": 1}
    assert ehe.previous_year_total == 2
    assert ret.table("ehe_sex").row("total").values == (2,)
    text = return_csv(ret)
    assert validate_return_csv(text) == []
    rows = [
        r for r in csv.DictReader(io.StringIO(text.lstrip("\ufeff"))) if r["collection"] == "EHE"
    ]
    counts = {(r["breakdown_topic"], r["breakdown_code"]): r["child_count"] for r in rows}
    assert counts[("Total", "TOTAL")] == "2"
    assert counts[("Previous academic year", "2025/26")] == "2"
    assert "x" not in counts.values()
    pdf = PdfReader(io.BytesIO(dfe_pdf(ret)))
    text = " ".join(" ".join((page.extract_text() or "").split()) for page in pdf.pages)
    assert "Children electively home educated on" in text
    assert "counted from the register" in text


def test_without_a_register_the_ehe_half_stays_not_collected(tmp_path: Path) -> None:
    db = _vault(tmp_path)
    try:
        ret = dfe_termly(db, CENSUS, today=LATER)
    finally:
        db.close()
    assert ret.ehe is None
    rows = list(csv.DictReader(io.StringIO(return_csv(ret).lstrip("\ufeff"))))
    assert {r["child_count"] for r in rows if r["collection"] == "EHE"} == {"x"}


def test_the_validator_refuses_an_ehe_half_that_does_not_add_up(tmp_path: Path) -> None:
    db = _vault(tmp_path)
    try:
        _fill(db)
        text = return_csv(dfe_termly(db, CENSUS, today=LATER))
    finally:
        db.close()
    broken = text.replace(
        "EHE,855,2026-10-01,Total,TOTAL,Total,2", "EHE,855,2026-10-01,Total,TOTAL,Total,3"
    )
    assert any(
        "EHE Sex: the rows add up to 2, not the total 3" in p for p in validate_return_csv(broken)
    )
    mixed = text.replace(
        "EHE,855,2026-10-01,Total,TOTAL,Total,2", "EHE,855,2026-10-01,Total,TOTAL,Total,x"
    )
    assert any("mixed" in p for p in validate_return_csv(mixed))


def test_a_reason_is_read_from_the_key_or_the_label() -> None:
    assert reason_of('{"eligibility_reason": "BUL"}') == "BUL"
    assert reason_of('{"eligibility_reason": "Religious or cultural beliefs"}') == "REL"
    assert reason_of('{"eligibility_reason": "the family travels"}') == "UNK"
    assert reason_of("not json") == "UNK"
