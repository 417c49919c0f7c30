"""A team on one PostgreSQL server: officers editing at once, no change lost.

``python -m benchmarks.server_load [--officers 10] [--seconds 30] [--cases 100000]``

A new database on the test server (``CME_TEST_POSTGRES_URL``, else the throwaway
cluster of ``tools/test_postgres.py``) is filled with synthetic cases (written by ``COPY``,
the search index dropped first and built once at the end), shared out among the
officers, each of whom logs in with a login of their own in ``cme_officer`` (so the
server's row-level security applies, as in a team); then each officer,
in a process of their own, for the time given, repeatedly: searches the list, reads a
page of it and a page of their own cases ("Mine only"), opens a random case and saves a
change to it (a refused save — someone saved
the case first — is read again and retried, as the workspace offers). At the end every
case is checked: its version moved on by exactly the saves reported on it, and it holds
the value of the last of them. The table gives each action's latency. The database and
the logins are dropped afterwards. Not part of ``make bench`` (it needs the server, and minutes).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import secrets
import statistics
import sys
import time
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

TODAY = date(2025, 3, 18)
SEARCHES = ("smith", "road", "academy", "le1", "jo", "primary school", "07/2012")


@dataclass
class Officer:
    """What one officer's process did: its saves, its refusals, its latencies (ms)."""

    name: str
    saves: dict[int, list[tuple[int, str]]] = field(default_factory=dict)  # case -> (ver, val)
    refused: int = 0
    times: dict[str, list[float]] = field(default_factory=dict)

    def timed(self, what: str, started: float) -> None:
        self.times.setdefault(what, []).append((time.perf_counter() - started) * 1000)


def _server_url() -> str:
    url = os.environ.get("CME_TEST_POSTGRES_URL", "").strip()
    if url:
        return url
    from tools.test_postgres import ensure

    return ensure()


def _admin(url: str) -> Any:
    return create_engine(
        make_url(url).set(drivername="postgresql+pg8000"),
        isolation_level="AUTOCOMMIT",
        poolclass=NullPool,
    )


def _connect(url: str, actor: str) -> Any:
    from cme_desktop.services.server.connection import parse
    from cme_desktop.services.server.database import ServerDatabase

    address = parse(url)
    return ServerDatabase.connect(address, address.password, actor=actor)


def _logins(admin: Any, name: str, officers: int, password: str) -> list[str]:
    """A login in ``cme_officer`` for each officer (roles belong to the whole cluster)."""
    from cme_desktop.services.server import roles

    made = [f"{name}_officer{i}" for i in range(officers)]
    with admin.connect() as conn:
        conn.exec_driver_sql(roles.create_role_sql(roles.OFFICER))
        for login in made:
            conn.execute(
                text(f"CREATE ROLE {login} LOGIN PASSWORD '{password}' IN ROLE {roles.OFFICER}")
            )
    return made


def _share_out(setup: Any, logins: list[str]) -> None:
    """Give the cases to the officers in turn, as a set-up (no audit row, no notice each)."""
    with setup.begin() as conn:
        triggers = "cases_owner, cases_reassigned, cases_notify"
        for trigger in triggers.split(", "):
            conn.exec_driver_sql(f"ALTER TABLE cases DISABLE TRIGGER {trigger}")
        conn.execute(
            text("UPDATE cases SET owner = (CAST(:logins AS text[]))[1 + mod(id, :n)]"),
            {"logins": logins, "n": len(logins)},
        )
        for trigger in triggers.split(", "):
            conn.exec_driver_sql(f"ALTER TABLE cases ENABLE TRIGGER {trigger}")


def _officer(
    url: str, name: str, seconds: float, think: float, case_ids: list[int], out: Any
) -> None:
    """One officer's session, logged in as ``name`` (the login in ``url``)."""
    from cme_desktop.services.cases.case_list import CaseList, CaseQuery
    from cme_desktop.services.cases.service import CaseService
    from cme_desktop.services.errors import ChangedElsewhere

    db = _connect(url, name)
    me = Officer(name)
    rng = random.Random(name)
    cases, listing = CaseService(db), CaseList(db)
    n = 0
    end = time.monotonic() + seconds
    try:
        while time.monotonic() < end:
            t = time.perf_counter()
            listing.first_page(
                CaseQuery(search=rng.choice(SEARCHES), quick="all"), limit=50, today=TODAY
            )
            me.timed("search (first page)", t)
            t = time.perf_counter()
            listing.page(CaseQuery(quick="open"), offset=rng.randrange(0, 500), limit=50)
            me.timed("list page", t)
            t = time.perf_counter()
            listing.first_page(CaseQuery(quick="open", owner=name), limit=50, today=TODAY)
            me.timed("mine only (first page)", t)
            case_id = rng.choice(case_ids)
            t = time.perf_counter()
            detail = cases.get(case_id)
            me.timed("open a case", t)
            n += 1
            value = f"{name} {n}"
            time.sleep(think)  # typing: meanwhile another officer may save the same case
            while True:
                t = time.perf_counter()
                try:
                    saved = cases.update(
                        case_id,
                        draft=replace(detail.draft, new_school=value),
                        version=detail.version,
                    )
                except ChangedElsewhere:
                    me.refused += 1
                    detail = cases.get(case_id)  # read again, save again: "keep my changes"
                    continue
                me.timed("save a change", t)
                me.saves.setdefault(case_id, []).append((saved.version, value))
                break
    finally:
        db.close()
    out.put(me)


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.server_load")
    parser.add_argument("--officers", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--hot", type=int, default=200, help="cases the officers edit")
    parser.add_argument(
        "--think", type=float, default=0.2, help="seconds between opening a case and saving"
    )
    args = parser.parse_args(argv)

    from cme_desktop.models import Case
    from cme_desktop.services.cases import demo
    from cme_desktop.services.server import schema

    server = _server_url()
    name = f"cme_load_{os.getpid()}"
    admin = _admin(server)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    password = secrets.token_urlsafe(16)
    logins: list[str] = []
    try:
        logins = _logins(admin, name, args.officers, password)
        started = time.perf_counter()
        target = create_engine(make_url(url).set(drivername="postgresql+pg8000"))
        schema.upgrade(target)
        target.dispose()
        db = _connect(url, "set-up")
        # The application's connections give up on a statement after CONNECT_TIMEOUT; the
        # bulk set-up statements (an index over every case) may take longer.
        setup = create_engine(make_url(url).set(drivername="postgresql+pg8000"), poolclass=NullPool)
        filled = time.perf_counter()
        # The search index is built once, after the load, not grown row by row.
        with setup.begin() as conn:
            search_index = conn.exec_driver_sql(
                "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_cases_search'"
            ).scalar_one()
            conn.exec_driver_sql("DROP INDEX ix_cases_search")
        demo.fill(db, cases=args.cases, today=TODAY, batch=5_000)  # COPY on a server
        _share_out(setup, logins)  # before the search index, which need not follow it
        rows_in = time.perf_counter() - filled
        with setup.begin() as conn:
            indexed = time.perf_counter()
            conn.exec_driver_sql(search_index)
            index_time = time.perf_counter() - indexed
        with setup.connect() as conn:
            conn.exec_driver_sql("ANALYZE")  # what autovacuum does soon after a bulk load
        with db.read() as session:
            ids = list(session.scalars(select(Case.id).order_by(Case.id).limit(args.hot)))
            found = session.execute(select(Case.id, Case.version).where(Case.id.in_(ids)))
            before = {int(case_id): int(version) for case_id, version in found}
        print(
            f"{args.cases} cases made in {time.perf_counter() - started:.0f} s (rows written "
            f"in {rows_in:.0f} s, search index built in {index_time:.0f} s)",
            flush=True,
        )

        context = multiprocessing.get_context("spawn")
        out = context.Queue()
        workers = [
            context.Process(
                target=_officer,
                args=(
                    make_url(url)
                    .set(username=login, password=password)
                    .render_as_string(hide_password=False),
                    login,
                    args.seconds,
                    args.think,
                    ids,
                    out,
                ),
            )
            for login in logins
        ]
        for w in workers:
            w.start()
        officers = [out.get(timeout=args.seconds + 600) for _ in workers]
        for w in workers:
            w.join()

        with db.read() as session:
            rows = session.execute(
                select(Case.id, Case.version, Case.new_school).where(Case.id.in_(ids))
            ).all()
        db.close()
        lost = 0
        saves = 0
        for case_id, version, value in rows:
            done = [s for o in officers for s in o.saves.get(case_id, [])]
            saves += len(done)
            expected_value = max(done)[1] if done else None
            if version - before[case_id] != len(done) or (done and value != expected_value):
                lost += 1
        refused = sum(o.refused for o in officers)
        print(
            f"\n{args.officers} officers, {args.seconds:g} s, {args.cases} cases "
            f"({args.hot} edited): {saves} saves, {refused} refused and saved again, "
            f"{lost} cases with a lost or overwritten change\n"
        )
        print(f"{'action':<22}{'count':>8}{'median ms':>11}{'p95 ms':>9}{'max ms':>9}")
        shown = ("search (first page)", "list page", "mine only (first page)")
        for what in (*shown, "open a case", "save a change"):
            values = [v for o in officers for v in o.times.get(what, [])]
            if values:
                print(
                    f"{what:<22}{len(values):>8}{statistics.median(values):>11.1f}"
                    f"{_percentile(values, 0.95):>9.1f}{max(values):>9.1f}"
                )
        return 0 if lost == 0 else 1
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            for login in logins:
                conn.execute(text(f"DROP ROLE IF EXISTS {login}"))
        admin.dispose()


if __name__ == "__main__":
    sys.exit(main())
