"""A server database restored from the DBA's ``pg_dump`` works as before, search included.

``pg_restore`` runs with an empty search path, so every function an index needs
must find what it calls without one.
"""

from __future__ import annotations

import os
import subprocess
from datetime import date
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from cme_desktop.services.cases import demo
from cme_desktop.services.cases.case_list import CaseList, CaseQuery
from tests.support.postgres import connect

PG_BIN = Path("/usr/lib/postgresql/15/bin")


def _tool(name: str) -> str:
    found = PG_BIN / name
    return str(found) if found.exists() else name


def _run(tool: str, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    parsed = make_url(url)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.update(
        PGHOST=str(parsed.host),
        PGPORT=str(parsed.port),
        PGUSER=str(parsed.username),
        PGPASSWORD=str(parsed.password),
        PGDATABASE=str(parsed.database),
        PGSSLMODE="prefer",
    )
    return subprocess.run(
        [_tool(tool), *args], capture_output=True, text=True, env=env, timeout=120, check=False
    )


def test_a_restored_database_keeps_its_search_index_and_finds_the_same_cases(
    postgres_url: str, postgres_empty_url: str, tmp_path: Path
) -> None:
    db = connect(postgres_url)
    demo.fill(db, cases=30, today=date(2025, 3, 18))
    with db.read() as session:
        surname = session.execute(text("SELECT full_name FROM cases LIMIT 1")).scalar_one()
    surname = surname.split()[-1]
    query = CaseQuery(search=surname, quick="all")
    before = CaseList(db).matching_ids(query, today=date(2025, 3, 18))
    db.close()

    dump = tmp_path / "cme.dump"
    dumped = _run("pg_dump", postgres_url, "--format=custom", f"--file={dump}")
    assert dumped.returncode == 0, dumped.stderr
    restored = _run(
        "pg_restore",
        postgres_empty_url,
        "--exit-on-error",
        "--no-owner",
        "--dbname",
        str(make_url(postgres_empty_url).database),
        str(dump),
    )
    assert restored.returncode == 0, restored.stderr

    again = connect(postgres_empty_url)
    with again.read() as session:
        indexes = session.execute(
            text("SELECT indexname FROM pg_indexes WHERE tablename = 'cases'")
        ).scalars()
        assert "ix_cases_search" in set(indexes)
    after = CaseList(again).matching_ids(query, today=date(2025, 3, 18))
    again.close()
    assert len(before) >= 1
    assert after == before
