"""Quarter and census boundaries fall at midnight in England, not at midnight UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from cme_desktop.models import Escalation
from cme_desktop.services.cases.detail import CaseDraft
from cme_desktop.services.cases.service import CaseService
from cme_desktop.services.reports.periods import Quarter
from cme_desktop.services.reports.quarterly import quarterly
from cme_desktop.services.rules.local_time import (
    local_date_of_utc,
    local_now,
    local_today,
    utc_end_of_local_day,
    utc_start_of_local_day,
)
from cme_desktop.services.vault.database import Database

LONDON = ZoneInfo("Europe/London")


def test_the_rule_agrees_with_the_iana_zone_every_half_hour_of_four_years() -> None:
    moment = datetime(2024, 1, 1)
    while moment < datetime(2028, 1, 1):
        expected = moment.replace(tzinfo=UTC).astimezone(LONDON).replace(tzinfo=None)
        assert local_now(moment) == expected, moment
        moment += timedelta(minutes=30)
    day = date(2000, 1, 1)
    while day < date(2040, 1, 1):
        start = datetime.combine(day, time(), tzinfo=LONDON).astimezone(UTC)
        assert utc_start_of_local_day(day) == start.replace(tzinfo=None), day
        day += timedelta(days=1)


@pytest.mark.parametrize(
    ("utc", "local_day"),
    [
        # 23:30 UTC on 30 June 2026 is 00:30 BST on 1 July: a new quarter in England.
        (datetime(2026, 6, 30, 23, 30, tzinfo=UTC), date(2026, 7, 1)),
        # 23:30 UTC on 31 December is 23:30 GMT: still the old year.
        (datetime(2026, 12, 31, 23, 30, tzinfo=UTC), date(2026, 12, 31)),
        # The clocks go forward at 01:00 UTC on Sunday 29 March 2026 ...
        (datetime(2026, 3, 29, 0, 59, tzinfo=UTC), date(2026, 3, 29)),
        (datetime(2026, 3, 31, 23, 0, tzinfo=UTC), date(2026, 4, 1)),
        # ... and back at 01:00 UTC on Sunday 25 October 2026.
        (datetime(2026, 10, 24, 23, 0, tzinfo=UTC), date(2026, 10, 25)),
        (datetime(2026, 10, 25, 23, 0, tzinfo=UTC), date(2026, 10, 25)),
    ],
)
def test_today_is_england_s_date(utc: datetime, local_day: date) -> None:
    assert local_today(utc) == local_day
    assert local_date_of_utc(utc.replace(tzinfo=None)) == local_day


def test_a_quarter_begins_at_midnight_in_england() -> None:
    q2 = Quarter(2026, 2)
    assert Quarter.containing(local_today(datetime(2026, 3, 31, 23, 30, tzinfo=UTC))) == q2
    # 1 April 2026 starts at 23:00 UTC on 31 March (BST), 1 January at 00:00 UTC (GMT).
    assert utc_start_of_local_day(q2.start) == datetime(2026, 3, 31, 23, 0)
    assert utc_end_of_local_day(date(2026, 12, 31)) == datetime(2027, 1, 1, 0, 0)


def test_decisions_kept_in_utc_are_counted_in_england_s_quarter(db: Database) -> None:
    case_id = CaseService(db).create(
        draft=CaseDraft(full_name="Nia Boundary", notified_on=date(2026, 3, 2)),
        today=date(2026, 3, 2),
    )
    with db.write() as session:
        for decided_at in (
            datetime(2026, 3, 31, 22, 59),  # 23:59 BST on 31 March: Q1
            datetime(2026, 3, 31, 23, 30),  # 00:30 BST on 1 April: Q2, though 31 March in UTC
            datetime(2026, 12, 31, 23, 30),  # 23:30 GMT on 31 December: Q4
        ):
            session.add(
                Escalation(
                    case_id=case_id,
                    decided_at=decided_at,
                    answers={},
                    recommendation="refer_police",
                    decision="refer_police",
                )
            )
    report = quarterly(db, Quarter(2026, 4), previous=3, today=date(2027, 1, 5), use_kept=False)
    counts = [report.figure("escalations", "police", Quarter(2026, n)) for n in (1, 2, 3, 4)]
    assert counts == [1, 1, 0, 1]
