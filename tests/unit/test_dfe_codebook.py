"""The authority's DfE return codes (Settings > DfE return codes): changed, added, retired.

Census day Thursday 1 October 2026; the children are Year 7 (born 15 March 2015),
confirmed as CME on 1 June 2026 and open, so each is counted.
"""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from cme_desktop.models import Setting
from cme_desktop.models.records import Case
from cme_desktop.services.cases.detail import CaseDraft
from cme_desktop.services.cases.service import CaseService
from cme_desktop.services.errors import InvalidInput, ReturnBlocked
from cme_desktop.services.reports import dfe_codebook
from cme_desktop.services.reports.dfe_codebook import DEFAULT, Codebook, DfeCodes, Entry
from cme_desktop.services.reports.dfe_csv import REASON, SEX, return_csv, validate_return_csv
from cme_desktop.services.reports.dfe_return import dfe_termly
from cme_desktop.services.settings import Settings, SettingsService
from cme_desktop.services.vault.database import Database
from cme_desktop.services.vault.unlock import Vault
from tests.support.credentials import FAST_SCRYPT, PASSPHRASE
from tests.support.visit_cases import seeded_faker

CENSUS = date(2026, 10, 1)
FAKE = seeded_faker(2611)


def _vault(tmp: Path) -> Database:
    db = Vault(tmp / "cases.cme", scrypt=FAST_SCRYPT).create(PASSPHRASE, actor="Test").db
    SettingsService(db).save(Settings(officer_name="Test", la_number="855"))
    return db


def _add(db: Database, case_id: int, **kw: object) -> None:
    values: dict[str, object] = {
        "id": case_id,
        "full_name": FAKE.name(),
        "notified_on": date(2026, 5, 1),
        "opened_on": date(2026, 5, 1),
        "status": "open",
        "date_of_birth": date(2015, 3, 15),
        "sex": "female",
        "dfe_reason": "APP",
        "cme_confirmed_on": date(2026, 6, 1),
        "identification_route": "notification",
    }
    values.update(kw)
    with db.write() as s:
        s.add(Case(**values))


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def _entry(book: Codebook, topic: str, key: str) -> Entry:
    return next(e for e in book.entries(topic) if e.key == key)


def _recode(book: Codebook, topic: str, key: str, **changes: object) -> Codebook:
    entries = tuple(
        replace(e, **changes) if e.key == key else e  # type: ignore[arg-type]
        for e in book.entries(topic)
    )
    return replace(book, **{topic: entries})


def test_a_changed_code_is_written_and_passes_validation(tmp_path: Path) -> None:
    db = _vault(tmp_path)
    _add(db, 1)
    _add(db, 2, sex="male", dfe_reason="MLA")
    codes = DfeCodes(db)
    book = _recode(codes.load(), "sex", "F", code="2")
    book = _recode(book, "sex", "M", code="1")
    book = _recode(book, "reason", "APP", code="R01")
    saved = codes.save(book)
    assert codes.load() == saved

    ret = dfe_termly(db, CENSUS, today=CENSUS)
    text = return_csv(ret)
    rows = _rows(text)
    sexes = {r[4]: r[6] for r in rows if r[0] == "CME" and r[3] == SEX}
    assert sexes == {"2": "1", "1": "1", "U": "0"}
    reasons = {r[4]: r[6] for r in rows if r[0] == "CME" and r[3] == REASON}
    assert reasons["R01"] == "1" and reasons["MLA"] == "1" and "APP" not in reasons
    assert validate_return_csv(text, saved) == []
    # Checked against the program's own codes, the same file is not a return.
    assert any("not a code of the return" in p for p in validate_return_csv(text))
    # The sign-off tables (and so the PDF) show the code the CSV writes.
    labels = [row.label for row in ret.table("dfe_sex").rows]
    assert "Female [2]" in labels and "Male [1]" in labels


def test_a_duplicate_or_empty_code_is_refused_and_nothing_is_saved(tmp_path: Path) -> None:
    db = _vault(tmp_path)
    codes = DfeCodes(db)
    twice = _recode(DEFAULT, "band", "2TO4W", code="LT2W")
    with pytest.raises(InvalidInput, match="the code “LT2W” is given to both") as caught:
        codes.save(twice)
    assert caught.value.field == "band:2TO4W"
    with pytest.raises(InvalidInput, match="the code is empty"):
        codes.save(_recode(DEFAULT, "year", "7", code="  "))
    with pytest.raises(InvalidInput, match="cannot be a code"):
        codes.save(_recode(DEFAULT, "reason", "OTH", code="O,TH"))
    # Codes differing only in case are the same code to the DfE's tools.
    with pytest.raises(InvalidInput, match="given to both"):
        codes.save(_recode(DEFAULT, "reason", "OTH", code="app"))
    with db.read() as s:
        assert s.get(Setting, dfebook_key()) is None
    assert codes.load() == DEFAULT


def dfebook_key() -> str:
    return dfe_codebook.SETTING_KEY


def test_a_reason_the_dfe_adds_can_be_recorded_and_is_counted(tmp_path: Path) -> None:
    db = _vault(tmp_path)
    codes = DfeCodes(db)
    book = codes.save(dfe_codebook.with_reason(codes.load(), code="CWS", label="Awaiting CWS"))
    with pytest.raises(InvalidInput, match="already used by a primary reason"):
        dfe_codebook.with_reason(book, code="cws", label="Again")
    with pytest.raises(InvalidInput, match="its DfE label"):
        dfe_codebook.with_reason(book, code="NEW", label=" ")

    service = CaseService(db)
    case_id = service.create(
        draft=CaseDraft(
            full_name=FAKE.name(),
            date_of_birth=date(2015, 3, 15),
            sex="male",
            dfe_reason="CWS",
            cme_confirmed_on=date(2026, 6, 1),
        ),
        today=date(2026, 5, 1),
    )
    with pytest.raises(InvalidInput, match="Choose the DfE primary reason") as caught:
        service.create(draft=CaseDraft(full_name=FAKE.name(), dfe_reason="NOPE"))
    assert caught.value.field == "dfe_reason"

    ret = dfe_termly(db, CENSUS, today=CENSUS)
    assert [c.reason for c in ret.counted] == ["CWS"]
    text = return_csv(ret)
    added = [r for r in _rows(text) if r[3] == REASON and r[4] == "CWS"]
    assert added and added[0][5] == "Awaiting CWS" and added[0][6] == "1"
    assert validate_return_csv(text, book) == []
    assert service.get(case_id).draft.dfe_reason == "CWS"


def test_a_retired_reason_still_shows_and_blocks_the_return(tmp_path: Path) -> None:
    db = _vault(tmp_path)
    _add(db, 1, dfe_reason="SAO")
    _add(db, 2, dfe_reason="APP")
    codes = DfeCodes(db)
    book = codes.save(_recode(codes.load(), "reason", "SAO", retired=True))
    # Kept on the case, and named as retired wherever the case shows it.
    assert book.reason_label("SAO") == "Challenging school attendance order (retired)"
    service = CaseService(db)
    detail = service.get(1)
    assert detail.draft.dfe_reason == "SAO"

    ret = dfe_termly(db, CENSUS, today=CENSUS)
    assert [(b.case_id, b.missing) for b in ret.blockers] == [
        (
            1,
            ("DfE reason 'Challenging school attendance order' is retired: choose a current one",),
        )
    ]
    with pytest.raises(ReturnBlocked, match="retired: choose a current one"):
        return_csv(ret)

    # Other edits to the case still save, and keep the retired reason...
    edited = service.update(
        1, draft=replace(detail.draft, school="Oak Academy"), version=detail.version
    )
    assert edited.draft.dfe_reason == "SAO"
    # ...but no case may be given it anew.
    other = service.get(2)
    with pytest.raises(InvalidInput, match="Choose the DfE primary reason"):
        service.update(2, draft=replace(other.draft, dfe_reason="SAO"), version=other.version)
    # Once a current reason is chosen, the return is ready and writes no row for SAO.
    service.update(1, draft=replace(edited.draft, dfe_reason="PAR"), version=edited.version)
    text = return_csv(dfe_termly(db, CENSUS, today=CENSUS))
    assert not [r for r in _rows(text) if r[3] == REASON and r[4] == "SAO"]
    assert validate_return_csv(text, book) == []


def test_a_reason_cannot_be_removed_only_retired(tmp_path: Path) -> None:
    db = _vault(tmp_path)
    codes = DfeCodes(db)
    book = codes.save(dfe_codebook.with_reason(DEFAULT, code="NEW1", label="A new DfE reason"))
    fewer = replace(book, reason=tuple(e for e in book.reason if e.key != "NEW1"))
    with pytest.raises(InvalidInput, match="cannot be removed, only retired"):
        codes.save(fewer)
    everything_retired = replace(book, reason=tuple(replace(e, retired=True) for e in book.reason))
    with pytest.raises(InvalidInput, match="At least one primary reason must stay current"):
        codes.save(everything_retired)
    assert _entry(codes.load(), "reason", "NEW1").added


def test_stored_codes_are_read_back_with_defaults_for_the_rest() -> None:
    stored = dfe_codebook.to_stored(_recode(DEFAULT, "band", "GT52W", code="OVER52"))
    assert dfe_codebook.from_stored(stored).code("band", "GT52W") == "OVER52"
    partial = {"sex": {"F": "1"}, "reason": [{"key": "APP", "label": "Awaiting an outcome"}]}
    book = dfe_codebook.from_stored(partial)
    assert book.code("sex", "F") == "1" and book.code("sex", "M") == "M"
    assert _entry(book, "reason", "APP").label == "Awaiting an outcome"
    assert _entry(book, "reason", "APP").code == "APP"
    assert len(book.reason) == len(DEFAULT.reason)
    # Damaged (two codes alike, a list where a table should be): the program's own codes.
    assert dfe_codebook.from_stored({"sex": {"F": "M"}}) == DEFAULT
    assert dfe_codebook.from_stored(["not", "a", "table"]) == DEFAULT
    assert dfe_codebook.from_stored({"sex": ["F"], "reason": "x"}) == DEFAULT
