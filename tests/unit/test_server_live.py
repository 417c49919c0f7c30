"""Live refresh: one officer's program is told when another officer changes a case."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import date

import pytest

from cme_desktop.services.cases.detail import CaseDraft
from cme_desktop.services.cases.service import CaseService
from cme_desktop.services.server.database import ServerDatabase
from cme_desktop.services.server.live import CaseWatcher
from tests.support.postgres import connect

TODAY = date(2025, 3, 18)


class Told:
    def __init__(self) -> None:
        self.ids: list[int] = []
        self.event = threading.Event()

    def __call__(self, case_ids: list[int]) -> None:
        self.ids.extend(case_ids)
        self.event.set()


@pytest.fixture
def two(postgres_url: str) -> Iterator[tuple[ServerDatabase, ServerDatabase]]:
    mine, theirs = connect(postgres_url), connect(postgres_url)
    try:
        yield mine, theirs
    finally:
        mine.close()
        theirs.close()


def test_another_officers_change_is_told_and_ones_own_is_not(
    two: tuple[ServerDatabase, ServerDatabase],
) -> None:
    mine, theirs = two
    case_id = CaseService(mine).create(draft=CaseDraft(full_name="Noor Aziz"), today=TODAY)
    told = Told()
    watcher = CaseWatcher(mine, told, interval=0.05)
    watcher.start()
    try:
        detail = CaseService(mine).get(case_id)
        CaseService(mine).update(
            case_id, draft=replace(detail.draft, school="Mine"), version=detail.version
        )
        time.sleep(0.5)
        assert told.ids == []  # this program's own change: its window shows it already
        detail = CaseService(theirs).get(case_id)
        CaseService(theirs).update(
            case_id, draft=replace(detail.draft, school="Theirs"), version=detail.version
        )
        assert told.event.wait(10)
        assert set(told.ids) == {case_id}
        new_id = CaseService(theirs).create(draft=CaseDraft(full_name="Ola Ade"), today=TODAY)
        deadline = time.monotonic() + 10
        while new_id not in told.ids and time.monotonic() < deadline:
            time.sleep(0.05)
        assert new_id in told.ids  # a new case too
    finally:
        watcher.stop()


def test_a_stopped_watcher_gives_its_connection_up(
    two: tuple[ServerDatabase, ServerDatabase],
) -> None:
    mine, _theirs = two
    watcher = CaseWatcher(mine, Told(), interval=0.05)
    watcher.start()
    watcher.stop()
    with mine.engine.connect() as conn:
        listening = conn.exec_driver_sql(
            "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'LISTEN%%' "
            "AND datname = current_database()"
        ).scalar_one()
    assert listening == 0
