"""The application's own services used by officers' own logins on the server: under the
team's roles and row-level security, not as the tests' superuser.

Two officers and a manager log in as themselves (SCRAM): a case is created, searched,
edited by both (the second save from an older reading is refused, naming the first
officer's login), the colleague's program is told of the change, and the manager runs
the reports (their temporary table included).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy.engine import make_url

from cme_desktop.services.cases.case_list import CaseList, CaseQuery
from cme_desktop.services.cases.detail import CaseDraft
from cme_desktop.services.cases.service import CaseService
from cme_desktop.services.errors import ChangedElsewhere
from cme_desktop.services.reports.periods import Quarter
from cme_desktop.services.reports.quarterly import quarterly
from cme_desktop.services.server.connection import parse
from cme_desktop.services.server.database import ServerDatabase
from cme_desktop.services.server.live import CaseWatcher
from tests.support.server_logins import Team, team  # noqa: F401 - the fixture

TODAY = date(2025, 3, 18)


@pytest.fixture
def logged_in(team: Team) -> Iterator[dict[str, ServerDatabase]]:  # noqa: F811
    """Each person's own ``ServerDatabase``, logged in with their login."""
    made: dict[str, ServerDatabase] = {}
    try:
        for person in ("officer", "colleague", "manager"):
            url = make_url(team.url)._replace(password=None).set(username=team.logins[person])
            address = parse(url.render_as_string())
            made[person] = ServerDatabase.connect(address, team._password)
        yield made
    finally:
        for db in made.values():
            db.close()


def test_officers_work_on_one_case_through_the_services(
    logged_in: dict[str, ServerDatabase],
) -> None:
    officer, colleague, manager = (logged_in[p] for p in ("officer", "colleague", "manager"))
    case_id = CaseService(officer).create(
        draft=CaseDraft(full_name="Tomasz Nowak", school="Beacon Academy"), today=TODAY
    )
    found = CaseList(colleague).matching_ids(CaseQuery(search="nowak", quick="all"), today=TODAY)
    assert found == [case_id]

    told: list[int] = []
    heard = threading.Event()
    watcher = CaseWatcher(colleague, lambda ids: (told.extend(ids), heard.set()), interval=0.05)
    watcher.start()
    try:
        mine, theirs = CaseService(officer).get(case_id), CaseService(colleague).get(case_id)
        CaseService(officer).update(
            case_id, draft=replace(mine.draft, aka="Tom"), version=mine.version
        )
        assert heard.wait(10) and told == [case_id]  # the colleague's list would refresh
    finally:
        watcher.stop()
    with pytest.raises(ChangedElsewhere) as refused:
        CaseService(colleague).update(
            case_id, draft=replace(theirs.draft, school="Castle"), version=theirs.version
        )
    # The server names who saved: the officer's own database login.
    assert refused.value.changed_by == officer.address.username
    assert refused.value.fields == ("aka",)

    report = quarterly(manager, Quarter.containing(TODAY), previous=0, today=TODAY, use_kept=False)
    assert report.figure("caseload", "opened") == 1
