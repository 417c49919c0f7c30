"""The DfE termly return as the DfE collects it, on a dataset worked out by hand.

Census day: Thursday 1 October 2026 (the first Thursday of October). Every child
but one is born on 15 March 2015: Year 7 on that day, of compulsory school age.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import sqlite3
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cme_desktop.models.closures import CaseClosure
from cme_desktop.models.records import Case
from cme_desktop.services.cases.detail import CaseDraft
from cme_desktop.services.cases.service import CaseService
from cme_desktop.services.errors import InvalidInput, ReturnBlocked
from cme_desktop.services.importing.comparison import compare_fields, referral_values
from cme_desktop.services.importing.pupil_csv import read_pupil_csv
from cme_desktop.services.importing.pupil_report import import_pupil_report
from cme_desktop.services.referral.parties import child_draft
from cme_desktop.services.referral.record import empty_referral
from cme_desktop.services.reports import dfe_codes as codes
from cme_desktop.services.reports.dfe_csv import COLUMNS, return_csv, validate_return_csv
from cme_desktop.services.reports.dfe_return import Counted, DfeReturn, dfe_termly
from cme_desktop.services.reports.periods import census_days, proposed_census_day
from cme_desktop.services.settings import Settings, SettingsService
from cme_desktop.services.vault.database import Database
from cme_desktop.services.vault.migrations import SCRIPTS
from cme_desktop.services.vault.unlock import Vault
from tests.support.credentials import FAST_SCRYPT, PASSPHRASE
from tests.support.visit_cases import seeded_faker

CENSUS = date(2026, 10, 1)
YEAR7 = date(2015, 3, 15)
FAKE = seeded_faker(1107)
NAMES = [FAKE.name() for _ in range(12)]


def _case(case_id: int, **kw: object) -> Case:
    values: dict[str, object] = {
        "id": case_id,
        "full_name": NAMES[case_id % len(NAMES)],
        "notified_on": date(2026, 5, 1),
        "opened_on": date(2026, 5, 1),
        "status": "closed" if kw.get("closed_on") else "open",
        "date_of_birth": YEAR7,
        "sex": "female",
        "dfe_reason": "APP",
        "cme_confirmed_on": date(2026, 6, 1),
        "identification_route": "notification",
    }
    values.update(kw)
    return Case(**values)


def _vault(tmp: Path, la_number: str = "855") -> Database:
    db = Vault(tmp / "cases.cme", scrypt=FAST_SCRYPT).create(PASSPHRASE, actor="Test").db
    SettingsService(db).save(Settings(officer_name="Test", la_number=la_number))
    return db


@pytest.fixture(scope="module")
def dfe_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    db = _vault(tmp_path_factory.mktemp("dfe"))
    with db.write() as s:
        s.add_all(
            [
                # 1: confirmed ON the census day, nothing known of the last day at school:
                # counted, missing 0 days (less than 2 weeks).
                _case(1, cme_confirmed_on=CENSUS, dfe_reason="APP"),
                # 2: confirmed the day after: not counted.
                _case(2, cme_confirmed_on=date(2026, 10, 2)),
                # 3: a referral still being checked: not counted.
                _case(3, cme_confirmed_on=None),
                # 4: closed as untraceable, enquiries not passed on: still counted. Last
                # attended 1 May 2026: 153 days (12 to 26 weeks).
                _case(
                    4,
                    sex="male",
                    dfe_reason="BLA",
                    date_last_attended=date(2026, 5, 1),
                    closed_on=date(2026, 9, 1),
                    closing_outcome="untraceable",
                ),
                # 5: untraceable, passed on to the lost-pupils database on 10 Sep 2026: not
                # counted on the census day; missing in 2025/26 (confirmed 1 Jun 2026).
                _case(
                    5,
                    closed_on=date(2026, 9, 1),
                    closing_outcome="untraceable",
                ),
                # 6: on roll at a school from 15 Sep 2026: not counted.
                _case(6, closed_on=date(2026, 9, 15), closing_outcome="on_roll"),
                # 7: open and confirmed, sex "other": counted as unknown, exactly 14 days
                # since last attended (2 to 4 weeks).
                _case(7, sex="other", dfe_reason="EHE", date_last_attended=date(2026, 9, 17)),
                # 8: under compulsory school age (born 2022): not counted.
                _case(8, date_of_birth=date(2022, 1, 1)),
                # 9: untraceable, passed on to another authority only after the census
                # day (5 Oct 2026): counted; 122 days since confirmed (12 to 26 weeks).
                _case(
                    9,
                    sex="male",
                    dfe_reason="BCO",
                    closed_on=date(2026, 9, 1),
                    closing_outcome="untraceable",
                ),
            ]
        )
        s.flush()
        s.add(
            CaseClosure(case_id=9, passed_on_to="other_authority", passed_on_on=date(2026, 10, 5))
        )
        s.add(
            CaseClosure(
                case_id=5,
                passed_on_to="lost_pupils_database",
                passed_on_on=date(2026, 9, 10),
                passed_on_note="Added to the lost pupils database (S2S).",
            )
        )
    yield db
    db.close()


@pytest.fixture(scope="module")
def dfe(dfe_db: Database) -> DfeReturn:
    return dfe_termly(dfe_db, CENSUS, today=CENSUS)


def test_who_counts_on_the_census_day(dfe: DfeReturn) -> None:
    # Each counted child has a reason of their own; every case not counted (2, 3, 5, 6, 8)
    # has APP, like case 1: one APP child means only case 1 of them.
    assert dfe.counted == (
        Counted("F", "7", "LT2W", "APP"),  # 1: confirmed on the census day, 0 days
        Counted("M", "7", "12TO26W", "BCO"),  # 9: untraceable, passed on after the day
        Counted("M", "7", "12TO26W", "BLA"),  # 4: untraceable, not passed on, 153 days
        Counted("U", "7", "2TO4W", "EHE"),  # 7: sex other, 14 days since last attended
    )
    assert dfe.missing_total == 4
    assert dfe.blockers == ()
    assert dfe.ready and dfe.la_number == "855"


def test_the_tables_hold_the_breakdowns(dfe: DfeReturn) -> None:
    assert dfe.table("dfe_sex").values("M") == (2,)
    assert dfe.table("dfe_sex").values("total") == (4,)
    assert dfe.table("dfe_year").values("7") == (4,)
    assert dfe.table("dfe_reason").values("APP") == (1,)
    assert dfe.table("dfe_duration").values("12TO26W") == (2,)
    assert dfe.table("dfe_duration").values("total") == (4,)


def test_previous_academic_year(dfe: DfeReturn) -> None:
    # 2025/26: the cases confirmed on 1 Jun 2026 and open or untraceable then (4, 5, 6, 7,
    # 9; not 8 who is under age, not 1 or 2 confirmed after it, not 3 never confirmed).
    assert dfe.previous_year.label == "2025/26"
    assert dfe.previous_year_total == 5


def test_the_csv_passes_its_own_check_and_adds_up(dfe: DfeReturn) -> None:
    text = return_csv(dfe)
    assert validate_return_csv(text) == []
    rows = list(csv.DictReader(io.StringIO(text)))
    assert tuple(rows[0]) == COLUMNS
    cme = {
        (r["breakdown_topic"], r["breakdown_code"]): r["child_count"]
        for r in rows
        if r["collection"] == "CME"
    }
    assert cme[("Total", "TOTAL")] == "4"
    assert cme[("Sex", "F")] == "1" and cme[("Sex", "M")] == "2" and cme[("Sex", "U")] == "1"
    assert cme[("Previous academic year", "2025/26")] == "5"
    assert {r["la_number"] for r in rows} == {"855"}
    ehe = [r for r in rows if r["collection"] == "EHE"]
    assert ehe and all(r["child_count"] == "x" for r in ehe)


def _broken(text: str, old: str, new: str) -> str:
    assert old in text
    return text.replace(old, new, 1)


def test_the_validator_rejects_a_broken_csv(dfe: DfeReturn) -> None:
    good = return_csv(dfe)
    total_wrong = _broken(good, "Total,TOTAL,Total,4", "Total,TOTAL,Total,5")
    assert any("add up to 4, not the total 5" in p for p in validate_return_csv(total_wrong))
    bad_code = _broken(good, "Sex,U,Unknown", "Sex,X,Unknown")
    assert any("not a code of the return" in p for p in validate_return_csv(bad_code))
    negative = _broken(good, "Sex,F,Female,1", "Sex,F,Female,-1")
    assert any("is not a count" in p for p in validate_return_csv(negative))
    assert validate_return_csv("a,b\r\n1,2\r\n")[0].startswith("the first row")
    other_la = _broken(good, "CME,855,", "CME,856,")
    assert "every row must carry the same three-digit LA number" in validate_return_csv(other_la)
    lines = good.splitlines()
    dropped = "\r\n".join(line for line in lines if ",Year group,R," not in line)
    assert any("no row for R" in p for p in validate_return_csv(dropped))
    doubled = good + lines[2] + "\r\n"
    assert any("appears twice" in p for p in validate_return_csv(doubled))
    wrong_year = good.replace("2025/26", "2024/25")
    assert any("not the year before" in p for p in validate_return_csv(wrong_year))


def test_a_counted_case_lacking_details_blocks_the_return(tmp_path: Path) -> None:
    db = _vault(tmp_path)
    try:
        with db.write() as s:
            s.add_all(
                [
                    _case(1, sex=""),
                    _case(2, date_of_birth=None, dfe_reason=""),
                    _case(3, cme_confirmed_on=None, sex=""),  # not counted: not blocking
                ]
            )
        ret = dfe_termly(db, CENSUS, today=CENSUS)
        assert [(b.case_id, b.missing) for b in ret.blockers] == [
            (1, ("no sex recorded",)),
            (2, ("no date of birth", "no DfE primary reason")),
        ]
        assert not ret.ready and ret.missing_total == 0
        with pytest.raises(ReturnBlocked) as err:
            return_csv(ret)
        assert len(err.value.problems) == 2 and NAMES[1] in err.value.problems[0]
    finally:
        db.close()


def test_the_la_number_is_needed(tmp_path: Path) -> None:
    db = _vault(tmp_path, la_number="")
    try:
        ret = dfe_termly(db, CENSUS, today=CENSUS)
        assert not ret.ready
        with pytest.raises(ReturnBlocked, match="LA number"):
            return_csv(ret)
    finally:
        db.close()


@pytest.mark.parametrize(
    ("days", "band"),
    [
        (0, "LT2W"),
        (13, "LT2W"),
        (14, "2TO4W"),
        (28, "2TO4W"),
        (29, "4TO8W"),
        (56, "4TO8W"),
        (57, "8TO12W"),
        (84, "8TO12W"),
        (85, "12TO26W"),
        (182, "12TO26W"),
        (183, "26TO52W"),
        (364, "26TO52W"),
        (365, "GT52W"),
    ],
)
def test_each_band_boundary(days: int, band: str) -> None:
    assert codes.band_of(days).key == band


@pytest.mark.parametrize(
    ("typed", "key", "review"),
    [
        ("F", "female", False),
        ("Girl", "female", False),
        (" female ", "female", False),
        ("M", "male", False),
        ("Boy", "male", False),
        ("m.", "male", False),
        ("M / F", "not_known", True),
        ("?", "not_known", True),
        ("Unknown", "not_known", False),
        ("Other", "other", False),
        ("", "", False),
    ],
)
def test_typed_gender_maps_to_sex(typed: str, key: str, review: bool) -> None:
    assert codes.sex_from_gender(typed) == codes.SexReading(key, review)


def test_the_migration_reads_gender_as_the_app_does() -> None:
    """Migration 0007 fills ``sex`` for the cases already kept, in SQL: as Python does."""
    spec = importlib.util.spec_from_file_location(
        "dfe_0007", SCRIPTS / "versions" / "0007_dfe_return.py"
    )
    assert spec is not None and spec.loader is not None
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    typed = ["F", "f.", "Female", "GIRL", "M", "Male", "boy", "M / F", "X", "Other", ""]
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE cases (gender TEXT)")
    conn.executemany("INSERT INTO cases VALUES (?)", [(g,) for g in typed])
    in_sql = dict(conn.execute(f"SELECT gender, {migration._SEX_SQL} FROM cases").fetchall())
    assert in_sql == {g: codes.sex_from_gender(g).key for g in typed}


def test_the_reason_proposed_from_the_policy() -> None:
    propose = codes.propose_reason
    assert propose("failed_transition", ["new_immigrant"], whereabouts_unknown=False) == "MCO"
    assert propose("failed_transition", [], whereabouts_unknown=False) == "MLA"
    assert propose("never_entered", [], whereabouts_unknown=False) == "NAP"
    assert propose("ceased", [], whereabouts_unknown=False) == "PAR"
    assert propose("ceased", ["medical"], whereabouts_unknown=False) == "MEN"
    assert propose("", [], whereabouts_unknown=True) == "BLA"
    assert propose("", [], whereabouts_unknown=False) == codes.UNKNOWN_REASON
    assert all(
        propose(r, g, whereabouts_unknown=w) in codes.DFE_REASON_KEYS
        for r in ("", "never_entered", "ceased", "failed_transition")
        for g in ([], ["medical"], ["refugee_families"])
        for w in (False, True)
    )


def test_the_case_service_keeps_and_checks_the_return_fields(tmp_path: Path) -> None:
    db = _vault(tmp_path)
    try:
        cases = CaseService(db)
        draft = CaseDraft(
            full_name=NAMES[9], sex="male", dfe_reason="MLA", cme_confirmed_on=date(2026, 9, 1)
        )
        case_id = cases.create(draft=draft)
        detail = cases.get(case_id)
        assert (detail.draft.sex, detail.draft.dfe_reason) == ("male", "MLA")
        assert detail.draft.cme_confirmed_on == date(2026, 9, 1)
        with pytest.raises(InvalidInput) as err:
            cases.create(draft=CaseDraft(full_name=NAMES[10], sex="boy"))
        assert err.value.field == "sex"
        with pytest.raises(InvalidInput) as err:
            cases.create(draft=CaseDraft(full_name=NAMES[10], dfe_reason="NOPE"))
        assert err.value.field == "dfe_reason"
        with pytest.raises(InvalidInput) as err:
            cases.create(draft=CaseDraft(full_name=NAMES[10], cme_confirmed_on=date(2999, 1, 1)))
        assert err.value.field == "cme_confirmed_on"
    finally:
        db.close()


def test_census_days_are_the_school_census_thursdays() -> None:
    # The DfE's 2022/23 collection: 6 Oct 2022, 19 Jan 2023, 18 May 2023.
    assert census_days(2022) == (date(2022, 10, 6), date(2023, 1, 19), date(2023, 5, 18))
    assert census_days(2026) == (date(2026, 10, 1), date(2027, 1, 21), date(2027, 5, 20))
    assert proposed_census_day(date(2026, 12, 5)) == date(2026, 10, 1)
    assert proposed_census_day(date(2026, 9, 30)) == date(2026, 5, 21)
    assert proposed_census_day(date(2026, 12, 5), (date(2026, 11, 2),)) == date(2026, 11, 2)


@pytest.fixture(scope="module")
def empty_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    db = _vault(tmp_path_factory.mktemp("h"))
    yield db
    db.close()


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.tuples(st.dates(date(2008, 1, 1), date(2022, 12, 31)), st.integers(-30, 900)),
        min_size=1,
        max_size=8,
    )
)
def test_the_count_agrees_with_the_school_age_rules(
    empty_db: Database, children: list[tuple[date, int]]
) -> None:
    """Children confirmed by the census day and of compulsory school age on it, and only
    they, are counted; the file always passes its own check."""
    from cme_desktop.services.rules.school_age import is_compulsory_school_age

    with empty_db.write() as s:
        s.query(Case).delete()
        for i, (dob, days) in enumerate(children, start=1):
            confirmed = date.fromordinal(CENSUS.toordinal() - days)
            s.add(_case(i, date_of_birth=dob, cme_confirmed_on=confirmed, opened_on=confirmed))
    result = dfe_termly(empty_db, CENSUS, today=CENSUS)
    expected = [d for d, days in children if days >= 0 and is_compulsory_school_age(d, CENSUS)]
    assert result.missing_total == len(expected)
    assert validate_return_csv(return_csv(result)) == []


def test_a_pupil_report_maps_gender_to_sex_with_review(tmp_path: Path) -> None:
    """ "F" and "Girl" become female; "M / F" becomes not known and the row says to check."""
    rows = [["Surname", "Forename", "DOB", "Gender"]] + [
        [FAKE.last_name(), FAKE.first_name(), "02/04/2015", typed]
        for typed in ("F", "Girl", "M / F")
    ]
    text = "\r\n".join(",".join(r) for r in rows) + "\r\n"
    records = read_pupil_csv(text.encode(), today=CENSUS)
    assert [r.problems for r in records] == [
        (),
        (),
        ("The sex “M / F” is not clear: it is recorded as not known, for you to check.",),
    ]
    db = _vault(tmp_path)
    try:
        result = import_pupil_report(db, records, today=CENSUS)
        ids = [r.case_id for r in result.rows]
        with db.read() as s:
            got = [(c.gender, c.sex) for c in (s.get(Case, i) for i in ids) if c is not None]
        assert got == [("Female", "female"), ("Girl", "female"), ("M / F", "not_known")]
    finally:
        db.close()


def test_a_referral_maps_gender_to_sex_and_the_review_shows_it() -> None:
    ref = empty_referral()
    child = ref["children"][0] | {"full_name": NAMES[2], "gender": "M / F"}
    draft = child_draft(ref, child, received_on=CENSUS, agency="")
    assert (draft.gender, draft.sex) == ("M / F", "not_known")
    girl = child_draft(ref, child | {"gender": "Girl"}, received_on=CENSUS, agency="")
    assert girl.sex == "female"
    theirs = referral_values(ref, child)
    shown = {c.field: c for c in compare_fields(CaseDraft(full_name=NAMES[2]), theirs)}
    assert shown["gender"].referral_text == "M / F (sex: not known, check it)"
    assert shown["gender"].case_text == "" and shown["gender"].can_take


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.dates(date(2008, 1, 1), date(2022, 12, 31)),  # born
            st.integers(0, 700),  # opened, days before the census day
            st.integers(-20, 300),  # confirmed, days after opening
            st.one_of(st.none(), st.integers(0, 500)),  # closed, days after opening
            st.one_of(st.none(), st.integers(-200, 60)),  # last attended, days from opening
        ),
        min_size=1,
        max_size=8,
    )
)
def test_sql_and_python_count_alike(
    empty_db: Database,
    cases: list[tuple[date, int, int, int | None, int | None]],
) -> None:
    """The plain cases are counted in SQL, the rest in Python: both give the same figures."""
    from sqlalchemy import false

    from cme_desktop.services.reports import dfe_return

    with empty_db.write() as s:
        s.query(Case).delete()
        for i, (dob, opened_ago, confirmed_after, closed_after, attended) in enumerate(cases, 1):
            opened = date.fromordinal(CENSUS.toordinal() - opened_ago)
            closed = (
                None
                if closed_after is None
                else opened.fromordinal(opened.toordinal() + closed_after)
            )
            s.add(
                _case(
                    i,
                    date_of_birth=dob,
                    opened_on=opened,
                    notified_on=opened,
                    cme_confirmed_on=date.fromordinal(opened.toordinal() + confirmed_after),
                    closed_on=closed,
                    closing_outcome="on_roll" if closed else "",
                    date_last_attended=None
                    if attended is None
                    else date.fromordinal(opened.toordinal() + attended),
                )
            )
    in_sql = dfe_termly(empty_db, CENSUS, today=CENSUS)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(dfe_return, "_plain", lambda _spells, _reasons: false())
        in_python = dfe_termly(empty_db, CENSUS, today=CENSUS)
    assert in_sql.counted == in_python.counted
    assert in_sql.previous_year_total == in_python.previous_year_total


def test_one_pass_keeps_the_census_day_and_the_previous_year_apart(
    engine_db: Database,
) -> None:
    """The one pass counts each child on the census day and in the previous year (2025/26)
    by the rules of each, never one for the other, and passes to Python only the cases
    it cannot count: on both engines, as the Python way counts them."""
    from sqlalchemy import false

    from cme_desktop.models.records import TimelineEntry
    from cme_desktop.services.reports import dfe_return
    from cme_desktop.services.reports.dfe_return import UNTRACEABLE
    from cme_desktop.services.rules.school_age import compulsory_school_age

    reception_2026 = date(2021, 3, 1)  # of compulsory school age from 31 Mar 2026
    left_2026 = date(2009, 10, 15)  # to 26 Jun 2026: not on the census day
    left_2025 = date(2008, 10, 15)  # to 27 Jun 2025: on no day of 2025/26
    assert compulsory_school_age(reception_2026)[0] == date(2026, 3, 31)
    assert compulsory_school_age(left_2026)[1] == date(2026, 6, 26)
    assert compulsory_school_age(left_2025)[1] < date(2025, 9, 1)

    def spell(opened: date, confirmed: date, closed: date | None = None) -> dict[str, object]:
        return {
            "opened_on": opened,
            "notified_on": opened,
            "cme_confirmed_on": confirmed,
            "closed_on": closed,
            "closing_outcome": "on_roll" if closed else "",
        }

    with engine_db.write() as s:
        s.add_all(
            [
                # 1: opened in August, confirmed after 2025/26 ended: on the census day
                # only, 21 days.
                _case(1, **spell(date(2026, 8, 20), date(2026, 9, 10))),
                # 2: closed in the summer: in 2025/26 only.
                _case(
                    2,
                    dfe_reason="BCO",
                    **spell(date(2026, 1, 5), date(2026, 2, 1), date(2026, 6, 30)),
                ),
                # 3: both; 42 days since last attended.
                _case(
                    3,
                    sex="male",
                    dfe_reason="BLA",
                    date_last_attended=date(2026, 8, 20),
                    **spell(date(2026, 3, 2), date(2026, 3, 2)),
                ),
                # 4: closed before 2025/26 began: neither.
                _case(
                    4,
                    dfe_reason="DGN",
                    **spell(date(2025, 3, 3), date(2025, 3, 10), date(2025, 8, 20)),
                ),
                # 5: Year 1, confirmed after 2025/26: on the census day only, 17 days.
                _case(
                    5,
                    sex="not_known",
                    dfe_reason="DSE",
                    date_of_birth=reception_2026,
                    **spell(date(2026, 9, 14), date(2026, 9, 14)),
                ),
                # 6: past compulsory school age by the census day: in 2025/26 only.
                _case(
                    6,
                    dfe_reason="EHE",
                    date_of_birth=left_2026,
                    **spell(date(2026, 1, 5), date(2026, 1, 10)),
                ),
                # 7: no sex: blocks the return, and counts in 2025/26 (worked out in Python).
                _case(7, sex="", dfe_reason="MCO", **spell(date(2026, 1, 20), date(2026, 2, 1))),
                # 8: closed 31 Oct 2025 and reopened only after the census day (its row says
                # open since 1 Oct 2025): in 2025/26 only (worked out in Python).
                _case(8, dfe_reason="MEN", **spell(date(2025, 10, 1), date(2025, 10, 5))),
                # 9: confirmed after 2025/26 and closed before the census day: neither.
                _case(
                    9,
                    dfe_reason="DIF",
                    **spell(date(2026, 9, 1), date(2026, 9, 5), date(2026, 9, 15)),
                ),
                # 10: past compulsory school age before 2025/26 began: neither.
                _case(
                    10,
                    dfe_reason="MLA",
                    date_of_birth=left_2025,
                    **spell(date(2026, 1, 5), date(2026, 1, 10)),
                ),
                # 11: closed before reaching compulsory school age: neither.
                _case(
                    11,
                    dfe_reason="NAP",
                    date_of_birth=reception_2026,
                    **spell(date(2026, 1, 20), date(2026, 2, 1), date(2026, 3, 15)),
                ),
                # 12: closed after reaching it: in 2025/26 only.
                _case(
                    12,
                    dfe_reason="OFF",
                    date_of_birth=reception_2026,
                    **spell(date(2026, 1, 20), date(2026, 2, 1), date(2026, 4, 15)),
                ),
                # 13: closed as untraceable before 2025/26, never passed on: both, 570 days
                # since confirmed (worked out in Python).
                _case(
                    13,
                    dfe_reason="OTH",
                    **spell(date(2025, 3, 3), date(2025, 3, 10), date(2025, 6, 30))
                    | {"closing_outcome": UNTRACEABLE},
                ),
            ]
        )
        s.flush()
        s.add(
            TimelineEntry(
                case_id=8,
                kind="system",
                occurred_at=datetime(2026, 10, 20, 9, 30),
                summary="Case reopened (was closed 31/10/2025: On roll at a school).",
            )
        )

    seen: list[int] = []
    children = dfe_return._children

    def spy(*args: Any) -> Any:  # the ids ``_children`` reads: those not counted in SQL
        seen.extend(args[2])
        return children(*args)

    with pytest.MonkeyPatch.context() as m:
        m.setattr(dfe_return, "_children", spy)
        in_sql = dfe_termly(engine_db, CENSUS, la_number="855", today=CENSUS)
    assert seen == [7, 8, 13]
    assert in_sql.counted == (
        Counted("F", "7", "2TO4W", "APP"),  # 1
        Counted("F", "7", "GT52W", "OTH"),  # 13
        Counted("M", "7", "4TO8W", "BLA"),  # 3
        Counted("U", "1", "2TO4W", "DSE"),  # 5
    )
    assert in_sql.previous_year_total == 7  # 2, 3, 6, 7, 8, 12, 13
    assert [(b.case_id, b.missing) for b in in_sql.blockers] == [(7, ("no sex recorded",))]
    with pytest.MonkeyPatch.context() as m:
        m.setattr(dfe_return, "_plain", lambda _spells, _reasons: false())
        in_python = dfe_termly(engine_db, CENSUS, la_number="855", today=CENSUS)
    assert in_python.counted == in_sql.counted
    assert in_python.previous_year_total == in_sql.previous_year_total
    assert in_python.blockers == in_sql.blockers
