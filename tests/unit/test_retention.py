"""The retention rule: due dates worked by hand, the review queue, keeping a case longer."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import select

from cme_desktop.models import AuditEvent, Case
from cme_desktop.services.cases.detail import CaseDraft
from cme_desktop.services.cases.retention import (
    RetentionRule,
    RetentionService,
    due_on,
    rule_due_on,
)
from cme_desktop.services.cases.service import CaseService
from cme_desktop.services.errors import InvalidInput
from cme_desktop.services.settings import SettingsService
from cme_desktop.services.vault.database import Database

DEFAULT = RetentionRule()


@pytest.mark.parametrize(
    ("closed_on", "born", "expected"),
    [
        # Closed at 15: closure + 7 years = 10/07/2027; 25th birthday = 03/02/2037. Later wins.
        (date(2020, 7, 10), date(2012, 2, 3), date(2037, 2, 3)),
        # Closed at 20 (a late closure): 25th birthday 01/09/2025; closure + 7 = 31/01/2030.
        (date(2023, 1, 31), date(2000, 9, 1), date(2030, 1, 31)),
        # Both on the same day: closed 01/05/2018, born 01/05/2000 -> 01/05/2025 either way.
        (date(2018, 5, 1), date(2000, 5, 1), date(2025, 5, 1)),
        # No date of birth: closure + 7 alone.
        (date(2019, 11, 5), None, date(2026, 11, 5)),
        # Closed on 29/02/2020: the anniversary in 2027 (a common year) is 01/03/2027.
        (date(2020, 2, 29), date(1999, 1, 1), date(2027, 3, 1)),
        # Born 29/02/2008: the 25th birthday in 2033 (common) is 01/03/2033.
        (date(2021, 6, 30), date(2008, 2, 29), date(2033, 3, 1)),
    ],
)
def test_due_dates_worked_by_hand(closed_on: date, born: date | None, expected: date) -> None:
    assert rule_due_on(DEFAULT, closed_on=closed_on, date_of_birth=born) == expected


def test_an_authority_rule_and_an_extension() -> None:
    six_years_no_age = RetentionRule(years_after_closure=6, until_age=0)
    # The age rule switched off: 6 years after 14/03/2020, however young the child.
    assert rule_due_on(
        six_years_no_age, closed_on=date(2020, 3, 14), date_of_birth=date(2015, 1, 1)
    ) == date(2026, 3, 14)
    # An extension later than the rule moves the due day; an earlier one does not.
    rule = dict(closed_on=date(2018, 5, 1), date_of_birth=date(2000, 5, 1))
    assert due_on(DEFAULT, **rule, retain_until=date(2028, 1, 1)) == date(2028, 1, 1)
    assert due_on(DEFAULT, **rule, retain_until=date(2024, 1, 1)) == date(2025, 5, 1)
    assert "25th birthday" in DEFAULT.describe()
    assert six_years_no_age.describe() == "Closed cases are kept 6 years after closure."


def _case(db: Database, name: str, born: date | None, closed_on: date | None) -> int:
    cases = CaseService(db)
    case_id = cases.create(
        draft=CaseDraft(full_name=name, date_of_birth=born, notified_on=date(2015, 1, 5)),
        today=date(2015, 1, 5),
    )
    if closed_on is not None:
        cases.close(case_id, outcome="left_country", on=closed_on)
    return case_id


def test_the_queue_lists_due_closed_cases_oldest_first(db: Database) -> None:
    due_late = _case(db, "Ava Due-Late", date(1995, 1, 1), date(2016, 3, 1))  # due 01/03/2023
    due_early = _case(db, "Ben Due-Early", None, date(2015, 6, 1))  # due 01/06/2022
    young = _case(db, "Cal Young", date(2010, 4, 4), date(2016, 3, 1))  # due 04/04/2035
    _case(db, "Dee Open", date(1995, 1, 1), None)  # open: never due
    on_the_day = _case(db, "Eve Today", None, date(2017, 9, 30))  # due 30/09/2024

    queue = RetentionService(db).due(today=date(2024, 9, 30))
    assert [c.case_id for c in queue] == [due_early, due_late, on_the_day]
    assert [c.due_on for c in queue] == [date(2022, 6, 1), date(2023, 3, 1), date(2024, 9, 30)]
    assert queue[0].reference == f"CME-{due_early:06d}"
    # The day before, the case due that day is not listed yet.
    assert on_the_day not in [c.case_id for c in RetentionService(db).due(today=date(2024, 9, 29))]
    assert RetentionService(db).due_date_of(young) == date(2035, 4, 4)


def test_the_queue_follows_the_settings(db: Database) -> None:
    young = _case(db, "Fay Young", date(2010, 4, 4), date(2016, 3, 1))
    settings = SettingsService(db)
    settings.save(replace(settings.load(), retention_until_age=0))
    # Without the age rule: 7 years after 01/03/2016.
    assert [c.case_id for c in RetentionService(db).due(today=date(2023, 3, 1))] == [young]
    with pytest.raises(InvalidInput, match="1 to 50 years"):
        settings.save(replace(settings.load(), retention_years_after_closure=0))
    with pytest.raises(InvalidInput, match="18 to 30"):
        settings.save(replace(settings.load(), retention_until_age=12))


def test_keeping_a_case_longer_takes_it_off_the_queue(db: Database) -> None:
    case_id = _case(db, "Gus Kept", None, date(2015, 6, 1))
    service = RetentionService(db)
    today = date(2024, 1, 10)
    reason = "Tribunal appeal still open: records needed as evidence"
    service.extend(case_id, until=date(2026, 1, 10), reason=reason, today=today)

    assert service.due(today=today) == []
    assert [c.case_id for c in service.due(today=date(2026, 1, 10))] == [case_id]
    assert service.due(today=date(2026, 1, 10))[0].retention_reason == reason
    detail = CaseService(db).get(case_id)
    assert any(reason in row.summary for row in detail.timeline)
    with db.read() as session:
        row = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "retention_extended")
        ).one()
        case = session.get(Case, case_id)
        assert case is not None and case.retain_until == date(2026, 1, 10)
    assert (row.entity_id, row.detail) == (case_id, "until=2026-01-10")
    assert reason not in row.detail


def test_an_extension_needs_a_reason_and_a_later_date(db: Database) -> None:
    closed = _case(db, "Hal Closed", None, date(2015, 6, 1))
    still_open = _case(db, "Ida Open", None, None)
    service = RetentionService(db)
    today = date(2024, 1, 10)
    with pytest.raises(InvalidInput, match="Say why"):
        service.extend(closed, until=date(2026, 1, 1), reason="  because ", today=today)
    with pytest.raises(InvalidInput, match="after today"):
        service.extend(closed, until=today, reason="Court case pending still", today=today)
    with pytest.raises(InvalidInput, match="is open"):
        service.extend(still_open, until=date(2030, 1, 1), reason="Court case pending", today=today)
    young = _case(db, "Jo Young", date(2012, 1, 1), date(2016, 1, 1))  # rule: 01/01/2037
    with pytest.raises(InvalidInput, match="already keeps this case until 01/01/2037"):
        service.extend(young, until=date(2030, 1, 1), reason="Court case pending", today=today)
