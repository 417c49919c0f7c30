"""Past quarters' figures are worked out once and kept as reported; a recount shows what a
later correction would change, and keeps the new figures only when asked."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from cme_desktop.models.audit import AuditEvent
from cme_desktop.models.figures import StoredFigures
from cme_desktop.models.records import Case
from cme_desktop.services.reports import quarterly as quarterly_module
from cme_desktop.services.reports.periods import Quarter
from cme_desktop.services.reports.quarterly import (
    Difference,
    keep_recount,
    quarterly,
    recount,
)
from cme_desktop.services.vault.database import Database
from cme_desktop.services.vault.unlock import Vault
from tests.support.credentials import FAST_SCRYPT, PASSPHRASE

Q3 = Quarter(2026, 3)
Q4 = Quarter(2026, 4)
IN_Q4 = date(2026, 11, 20)  # Q3 is over, Q4 is running


def _case(case_id: int, notified: date, reason: str) -> Case:
    return Case(
        id=case_id,
        full_name=f"Child {case_id}",
        notified_on=notified,
        opened_on=notified,
        status="open",
        identification_route="notification",
        referring_agency="schools",
        reason_missing=reason,
        school="Oak Primary",
    )


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    vault = Vault(tmp_path / "cases.cme", scrypt=FAST_SCRYPT)
    opened = vault.create(PASSPHRASE, actor="Test Officer").db
    with opened.write() as s:
        s.add_all(
            [
                _case(1, date(2026, 7, 3), "ceased"),
                _case(2, date(2026, 8, 14), "ceased"),
                _case(3, date(2026, 9, 30), "failed_transition"),
                _case(4, date(2026, 10, 2), "ceased"),
            ]
        )
    yield opened
    opened.close()


def _kept(db: Database) -> list[tuple[date, date]]:
    with db.read() as s:
        return [
            (start, end)
            for start, end in s.execute(
                select(StoredFigures.period_start, StoredFigures.period_end).order_by(
                    StoredFigures.period_start
                )
            )
        ]


def test_a_quarter_that_is_over_is_kept_the_first_time_and_read_after(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = quarterly(db, Q4, previous=1, today=IN_Q4)
    assert first.kept == ()
    assert first.table("reasons").values("ceased") == (2, 1)
    # Only the quarter that is over is kept; the running one is counted every time.
    assert _kept(db) == [(Q3.start, Q3.end)]

    counted: list[int] = []
    real = quarterly_module.period_figures

    def counting(fig: quarterly_module.Figures) -> list[dict[str, object]]:
        counted.append(len(fig.periods))
        return real(fig)

    monkeypatch.setattr(quarterly_module, "period_figures", counting)
    again = quarterly(db, Q4, previous=1, today=IN_Q4)
    assert counted == [1], "only the running quarter is counted from the cases again"
    assert [q for q, _ in again.kept] == [Q3]
    assert [t.rows for t in again.tables] == [t.rows for t in first.tables]
    # The report says which quarters are as kept, and since when.
    note = again.table("caseload").note
    assert "Past quarters are shown as first worked out" in note
    assert "Jul–Sep 2026 on " in note
    assert "Past quarters" not in first.table("caseload").note


def test_the_running_quarter_is_never_kept(db: Database) -> None:
    quarterly(db, Q4, previous=0, today=IN_Q4)
    assert _kept(db) == []
    quarterly(db, Q4, previous=0, today=date(2027, 1, 4))  # now over: kept
    assert _kept(db) == [(Q4.start, Q4.end)]


def test_a_correction_leaves_the_reported_figures_and_a_recount_shows_it(db: Database) -> None:
    reported = quarterly(db, Q3, previous=0, today=IN_Q4)
    assert reported.table("reasons").values("ceased") == (2,)
    with db.write() as s:  # case 2's reason was recorded wrongly
        s.execute(update(Case).where(Case.id == 2).values(reason_missing="failed_transition"))

    still = quarterly(db, Q3, previous=0, today=IN_Q4)
    assert still.table("reasons").values("ceased") == (2,), "as the authority reported it"
    title = "Why children went missing from education (policy 4.0)"
    assert recount(db, Q3, today=IN_Q4) == [
        Difference(title, "Cease to attend, due to 'illegal' exclusion or withdrawal", 2, 1),
        Difference(title, "Fail to complete a transition between providers", 1, 2),
    ]

    keep_recount(db, Q3)
    assert quarterly(db, Q3, previous=0, today=IN_Q4).table("reasons").values("ceased") == (1,)
    assert recount(db, Q3, today=IN_Q4) == []
    with db.read() as s:
        replaced = s.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "figures_replaced")
        )
    assert replaced == 1


def test_nothing_kept_means_nothing_to_recount(db: Database) -> None:
    assert recount(db, Q3, today=IN_Q4) == []
