"""Each figure of the quarterly report and pupils without a place, on datasets worked out by
hand (the DfE return: ``test_dfe_return``)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest

from cme_desktop.models.records import Case, CaseGroup, Escalation, TimelineEntry
from cme_desktop.services.cases.closing import ClosureDetails
from cme_desktop.services.cases.detail import CaseDraft
from cme_desktop.services.cases.service import CaseService
from cme_desktop.services.errors import InvalidInput
from cme_desktop.services.reports.counting import reopened_spells
from cme_desktop.services.reports.periods import Quarter
from cme_desktop.services.reports.quarterly import QuarterlyReport, quantile, quarterly
from cme_desktop.services.reports.service import record_export
from cme_desktop.services.reports.snapshot import snapshot_figures
from cme_desktop.services.reports.without_place import pupils_without_place
from cme_desktop.services.vault.database import Database
from cme_desktop.services.vault.unlock import Vault
from tests.support.credentials import FAST_SCRYPT, PASSPHRASE

Q3 = Quarter(2026, 3)
Q2, Q1, Q4_25 = Quarter(2026, 2), Quarter(2026, 1), Quarter(2025, 4)
REOPEN_NOTE = "Case reopened (was closed {closed}: {outcome}). Family came back to the area."


def _case(case_id: int, *, notified: date, **kw: object) -> Case:
    values: dict[str, object] = {
        "id": case_id,
        "full_name": f"Child {case_id}",
        "notified_on": notified,
        "opened_on": notified,
        "status": "closed" if kw.get("closed_on") else "open",
        "gender": "Female",
        "identification_route": "notification",
        "referring_agency": "schools",
        "reason_missing": "ceased",
        "school": "Oak Primary",
    }
    values.update(kw)
    return Case(**values)


def _note(case_id: int, when: datetime, summary: str, kind: str = "note") -> TimelineEntry:
    return TimelineEntry(case_id=case_id, kind=kind, occurred_at=when, summary=summary)


@pytest.fixture(scope="module")
def quarterly_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """Seven cases around 2026-Q3; the expected figures are worked out in each test."""
    vault = Vault(tmp_path_factory.mktemp("q") / "cases.cme", scrypt=FAST_SCRYPT)
    db = vault.create(PASSPHRASE, actor="Test Officer").db
    with db.write() as s:
        s.add_all(
            [
                # A: opened in Q2, still open.
                _case(1, notified=date(2026, 5, 10)),
                # B: opened on the last day of Q2, closed on the first day of Q3 (1 day).
                _case(
                    2,
                    notified=date(2026, 6, 30),
                    closed_on=date(2026, 7, 1),
                    closing_outcome="on_roll",
                ),
                # C: opened on the first day of Q3, closed on its last day (91 days).
                _case(
                    3,
                    notified=date(2026, 7, 1),
                    closed_on=date(2026, 9, 30),
                    closing_outcome="ehe",
                    identification_route="pupil_database",
                    referring_agency="",
                    date_of_birth=date(2016, 9, 30),
                ),
                # D: opened on the last day of Q3, still open.
                _case(
                    4,
                    notified=date(2026, 9, 30),
                    referring_agency="police",
                    reason_missing="",
                    date_of_birth=date(2010, 10, 1),
                ),
                # E: opened 2025-Q4, closed in Q1 (moved out, 75 days), reopened 1 Aug,
                # closed again 10 Sep (left the country, 40 days).
                _case(
                    5,
                    notified=date(2025, 11, 1),
                    closed_on=date(2026, 9, 10),
                    closing_outcome="left_country",
                ),
                # F: after the quarter.
                _case(6, notified=date(2026, 10, 1)),
                # G: opened before the window, closed on the first day of Q2 (183 days).
                _case(
                    7,
                    notified=date(2025, 9, 30),
                    closed_on=date(2026, 4, 1),
                    closing_outcome="not_cme",
                ),
            ]
        )
        s.flush()
        s.add_all(
            [
                CaseGroup(case_id=3, group_key="homeless"),
                CaseGroup(case_id=3, group_key="traveller"),
                CaseGroup(case_id=4, group_key="homeless"),
                _note(
                    5,
                    datetime(2026, 8, 1, 10, 0),
                    REOPEN_NOTE.format(
                        closed="15/01/2026",
                        outcome="Moved out of the authority (notified to the new authority)",
                    ),
                ),
                _note(1, datetime(2026, 7, 1, 9, 0), "", "visit"),
                _note(1, datetime(2026, 9, 30, 18, 0), "", "visit"),
                _note(1, datetime(2026, 6, 30, 10, 0), "", "visit"),
                _note(1, datetime(2026, 8, 5, 10, 0), "Rang the school", "phone"),
            ]
        )
        visits = s.query(TimelineEntry).filter_by(kind="visit").order_by(TimelineEntry.id).all()
        for row, outcome in zip(visits, ("seen", "moved", "seen"), strict=True):
            row.outcome = outcome
        # Decisions are kept in UTC (``utcnow``) and counted by England's days: in summer
        # time 30 Jun 23:59, 1 Jul 00:00, 30 Sep 12:00 and 1 Oct 00:00 are an hour earlier.
        for when, decision in (
            (datetime(2026, 6, 30, 22, 59), "refer_police"),
            (datetime(2026, 6, 30, 23, 0), "refer_both"),
            (datetime(2026, 9, 30, 11, 0), "refer_social_care"),
            (datetime(2026, 9, 30, 23, 0), "refer_police"),
        ):
            s.add(
                Escalation(
                    case_id=1,
                    decided_at=when,
                    answers={},
                    recommendation=decision,
                    decision=decision,
                )
            )
    yield db
    db.close()


@pytest.fixture(scope="module")
def report(quarterly_db: Database) -> QuarterlyReport:
    return quarterly(quarterly_db, Q3, today=date(2026, 10, 5))


def test_columns_are_the_three_quarters_before_then_the_quarter(report) -> None:
    assert report.quarters == (Q4_25, Q1, Q2, Q3)
    assert report.table("caseload").columns == (
        "Oct–Dec 2025",
        "Jan–Mar 2026",
        "Apr–Jun 2026",
        "Jul–Sep 2026",
    )


def test_caseload_across_quarter_boundaries_and_a_reopened_case(report) -> None:
    table = report.table("caseload")
    # Start of 2025-Q4 = end of 30 Sep 2025: G. End of 2025: G, E. End of Q1: G (E closed
    # 15 Jan). End of Q2: A, B (B closes 1 Jul). End of Q3: A, D (C closed on 30 Sep, E on
    # 10 Sep).
    assert table.values("open_start") == (1, 2, 1, 2)
    assert table.values("open_end") == (2, 1, 2, 2)
    assert table.values("opened") == (1, 0, 2, 2)  # E; -; A, B; C, D
    assert table.values("reopened") == (0, 0, 0, 1)  # E on 1 Aug
    assert table.values("closed") == (0, 1, 1, 3)  # -; E; G; B, C, E
    for i in range(4):  # the quarter balances
        start, opened, reopened, closed, end = (r.values[i] for r in table.rows)
        assert start + opened + reopened - closed == end


def test_closures_by_outcome_count_each_closure_in_its_quarter(report) -> None:
    table = report.table("closed_outcome")
    assert table.values("on_roll") == (0, 0, 0, 1)
    assert table.values("ehe") == (0, 0, 0, 1)
    assert table.values("left_country") == (0, 0, 0, 1)
    assert table.values("moved_out") == (0, 1, 0, 0)  # E's first closure, from the note
    assert table.values("not_cme") == (0, 0, 1, 0)
    assert table.values("total") == (0, 1, 1, 3)


def test_how_long_cases_stayed_open(report) -> None:
    # Q3 closures: B 1 day, E 40 days (1 Aug - 10 Sep), C 91 days -> [1, 40, 91].
    assert report.figure("duration", "closed") == 3
    assert report.figure("duration", "median") == 40
    assert report.figure("duration", "lower_quartile") == 20.5  # 1 + (40 - 1) / 2
    assert report.figure("duration", "upper_quartile") == 65.5  # 40 + (91 - 40) / 2
    assert report.figure("duration", "shortest") == 1
    assert report.figure("duration", "longest") == 91
    # Q1: E's first spell, 1 Nov 2025 - 15 Jan 2026 = 30 + 31 + 14 days.
    assert report.figure("duration", "median", Q1) == 75
    assert report.figure("duration", "median", Q2) == 183  # G: 30 Sep 2025 - 1 Apr 2026
    assert report.figure("duration", "median", Q4_25) is None


def test_notifications_by_route_agency_and_reason(report) -> None:
    assert report.table("notifications_route").values("notification") == (1, 0, 2, 1)
    assert report.table("notifications_route").values("pupil_database") == (0, 0, 0, 1)
    assert report.table("notifications_route").values("total") == (1, 0, 2, 2)
    agencies = report.table("notifications_agency")
    assert agencies.values("police")[-1] == 1
    assert agencies.values("")[-1] == 1
    assert agencies.row("").label == "Not recorded"
    assert agencies.values("schools") == (1, 0, 2, 0)
    reasons = report.table("reasons")
    assert reasons.values("ceased")[-1] == 1
    assert reasons.values("")[-1] == 1


def test_groups_of_children_notified_in_the_quarter(report) -> None:
    assert report.table("at_risk").values("homeless")[-1] == 2
    assert report.table("vulnerable").values("traveller")[-1] == 1
    assert report.table("vulnerable").values("service")[-1] == 0
    assert "homeless" not in {r.key for r in report.table("vulnerable").rows}


def test_escalations_in_the_quarter_by_decision(report) -> None:
    table = report.table("escalations")
    assert table.values("police") == (0, 0, 1, 1)  # 30 Jun 23:59 police; 1 Jul 00:00 both
    assert table.values("social_care") == (0, 0, 0, 2)  # both + social care on 30 Sep
    assert table.values("refer_both")[-1] == 1
    assert table.values("total") == (0, 0, 1, 2)  # 1 Oct 00:00 is outside


def test_home_visits_by_outcome(report) -> None:
    visits = report.table("visits")
    assert visits.values("total") == (0, 0, 1, 2)
    assert visits.values("seen") == (0, 0, 1, 1)
    assert visits.values("moved") == (0, 0, 0, 1)


def test_children_by_age_year_group_and_school_on_the_quarter_end(report) -> None:
    ages = report.table("age")
    assert ages.values("10")[-1] == 1  # C: 10th birthday on 30 Sep 2026
    assert ages.values("15")[-1] == 1  # D: 16 on 1 Oct 2026, still 15 on 30 Sep
    year = report.table("year_group")
    assert year.values("5")[-1] == 1  # C, born 30 Sep 2016: the 2016/17 cohort
    assert year.values("11")[-1] == 1  # D, born 1 Oct 2010: the 2010/11 cohort
    assert year.values("")[2] == 2  # A and B: no date of birth
    assert year.row("").label == "Date of birth not recorded"
    assert report.table("last_school").values("Oak Primary") == (1, 0, 2, 2)


def test_quarter_parse_and_calendar_quarters() -> None:
    assert Quarter.parse("2026-Q3") == Q3
    assert Quarter.parse(" 2026q3 ") == Q3
    assert (Q3.start, Q3.end) == (date(2026, 7, 1), date(2026, 9, 30))
    assert (Quarter(2024, 1).end, Quarter(2026, 4).end) == (date(2024, 3, 31), date(2026, 12, 31))
    assert Quarter(2026, 1).previous() == Quarter(2025, 4)
    assert Quarter.containing(date(2026, 12, 31)) == Quarter(2026, 4)
    assert str(Q3) == "2026-Q3" and Q3.label == "Jul–Sep 2026"
    for bad in ("2026-Q5", "2026", "Q3-2026", "", "2026-Q0"):
        with pytest.raises(InvalidInput, match="YYYY-Qn"):
            Quarter.parse(bad)


def test_quantile_matches_quartile_inc() -> None:
    assert quantile([1.0, 40.0, 91.0], 0.25) == 20.5
    assert quantile([5.0], 0.75) == 5.0
    assert quantile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5


def test_the_reopen_note_written_by_the_case_service_is_understood(db: Database) -> None:
    cases = CaseService(db)
    case_id = cases.create(
        draft=CaseDraft(full_name="Test Child", notified_on=date(2026, 1, 5)),
        today=date(2026, 1, 5),
    )
    cases.close(
        case_id,
        outcome="moved_out",
        on=date(2026, 2, 1),
        details=ClosureDetails(
            receiving_authority="Leeds City Council", authority_told_on=date(2026, 2, 1)
        ),
    )
    cases.reopen(case_id, reason="Back in the area.")
    with db.read() as session:
        spells = reopened_spells(session)[case_id]
    assert [(s.start, s.end, s.outcome) for s in spells[:1]] == [
        (date(2026, 1, 5), date(2026, 2, 1), "moved_out")
    ]
    assert spells[1].start == date.today() and spells[1].end is None


# --- the DfE return and pupils without a place -------------------------------------------------

CENSUS = date(2026, 10, 1)


@pytest.fixture(scope="module")
def dfe_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    vault = Vault(tmp_path_factory.mktemp("d") / "cases.cme", scrypt=FAST_SCRYPT)
    db = vault.create(PASSPHRASE, actor="Test Officer").db
    with db.write() as s:
        s.add_all(
            [
                # P1: Year 7, missing 85 days on the census date (over 12 weeks).
                _case(
                    1,
                    notified=date(2026, 7, 8),
                    date_of_birth=date(2015, 3, 15),
                    date_last_attended=date(2026, 7, 8),
                ),
                # P2: Year 7 boy, exactly 84 days (up to 12 weeks); has a school place.
                _case(
                    2,
                    notified=date(2026, 7, 20),
                    gender="Male",
                    date_of_birth=date(2015, 3, 16),
                    date_last_attended=date(2026, 7, 9),
                    new_school="Elm Academy",
                ),
                # P3: Year 2, no date last attended: 11 days since notified.
                _case(
                    3,
                    notified=date(2026, 9, 20),
                    gender="",
                    reason_missing="never_entered",
                    date_of_birth=date(2019, 12, 31),
                ),
                # P4: turned 16 on 15 Jul 2026: compulsory school age ended 26 Jun 2026.
                _case(4, notified=date(2026, 3, 1), date_of_birth=date(2010, 7, 15)),
                # P5: no date of birth.
                _case(5, notified=date(2026, 9, 1)),
                # P6: closed on the census date.
                _case(
                    6,
                    notified=date(2026, 9, 1),
                    date_of_birth=date(2015, 1, 1),
                    closed_on=CENSUS,
                    closing_outcome="on_roll",
                ),
                # P7: closed on 1 Sep 2025, the first day of last year: not open in it.
                _case(
                    7,
                    notified=date(2025, 6, 1),
                    gender="Male",
                    date_of_birth=date(2014, 5, 5),
                    closed_on=date(2025, 9, 1),
                    closing_outcome="on_roll",
                ),
                # P8: closed on 2 Sep 2025: open on 1 Sep 2025.
                _case(
                    8,
                    notified=date(2025, 6, 1),
                    gender="Male",
                    date_of_birth=date(2014, 5, 5),
                    closed_on=date(2025, 9, 2),
                    closing_outcome="on_roll",
                ),
                # P9: closed 20 Aug 2025, reopened 15 Sep 2026: open on the census date,
                # not open at any point of 2025/26.
                _case(
                    9,
                    notified=date(2025, 1, 10),
                    date_of_birth=date(2012, 2, 2),
                    date_last_attended=date(2025, 1, 5),
                    reason_missing="failed_transition",
                ),
                # P10: under compulsory school age until 31 Dec 2026.
                _case(10, notified=date(2026, 9, 10), date_of_birth=date(2021, 9, 1)),
                # P11: date last attended after the census date: not known.
                _case(
                    11,
                    notified=date(2026, 9, 25),
                    gender="m",
                    reason_missing="",
                    date_of_birth=date(2015, 3, 15),
                    date_last_attended=date(2026, 10, 5),
                ),
            ]
        )
        s.flush()
        s.add(
            _note(
                9,
                datetime(2026, 9, 15, 11, 0),
                REOPEN_NOTE.format(closed="20/08/2025", outcome="On roll at a school"),
            )
        )
    yield db
    db.close()


def test_pupils_without_place_longest_first(dfe_db: Database) -> None:
    rows = pupils_without_place(dfe_db, CENSUS)
    assert [r.case_id for r in rows] == [9, 1, 3, 11]
    assert [r.days_missing for r in rows] == [(CENSUS - date(2025, 1, 5)).days, 85, 11, 0]
    assert rows[1].reference == "CME-000001" and rows[1].year_group == "Year 7"
    assert rows[2].missing_since == date(2026, 9, 20)
    with dfe_db.read() as session:
        from cme_desktop.services.vault import audit

        assert audit.recent(session, limit=1)[0].action == "report_read"


def test_snapshot_figures_are_plain_json(quarterly_db: Database) -> None:
    import json

    figures = snapshot_figures(quarterly_db, today=date(2026, 10, 3))
    assert figures["month"] == "2026-09"
    assert figures["caseload"]["open_end"] == 2
    assert figures["closures_by_outcome"] == {"ehe": 1, "left_country": 1}
    assert json.loads(json.dumps(figures)) == figures


def test_record_export_is_audited(db: Database, tmp_path: Path) -> None:
    from cme_desktop.services.vault import audit

    record_export(db, report="quarterly", detail="quarter=2026-Q3")
    with db.read() as session:
        last = audit.recent(session, limit=1)[0]
    assert (last.action, last.detail) == ("report_exported", "quarterly quarter=2026-Q3")


def test_snapshot_counts_the_pupils_without_place(dfe_db: Database) -> None:
    figures = snapshot_figures(dfe_db, today=CENSUS)
    assert figures["open_without_place_of_age"] == 4  # P1, P3, P9, P11
