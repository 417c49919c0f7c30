"""Moving in: a single-user vault copied into an empty database on the server.

Everything the vault holds is copied — cases and the people, addresses, timeline,
tasks, referrals and attachments on them, the settings, and the audit log — table by
table in the order their links need, keeping every record's number, in ONE transaction
on the server. Before it commits, each table is counted and checksummed on both sides
(every column of every row, in the order of their numbers; an attachment by its
SHA-256); any difference rolls the whole copy back, so the server is left empty, never
half-filled. A target that already holds records is refused.

The audit log's rows keep their time, name and what they say; the server numbers and
chains them again as it does every row (``audit_server``), so they are compared without
their number and hashes. A case's owner is what the server sets as each case is added
(none, for the schema owner's login that copies; in a vault nobody else logs in, so none
is recorded there either), so it is left out of the comparison; cases are allocated on
the server afterwards.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Table, func, inspect, select, text
from sqlalchemy.exc import DBAPIError

from cme_desktop import models
from cme_desktop.models import Base
from cme_desktop.services.errors import CmeError
from cme_desktop.services.server import schema
from cme_desktop.services.server.database import WRITE_LOCK, ServerDatabase
from cme_desktop.services.vault.database import Database

#: Rows written per statement; attachments (megabytes each) fewer at a time.
BATCH = 1000
ATTACHMENT_BATCH = 20
#: Columns the server sets itself, left out of the comparison: the audit chain (renumbered
#: and hashed again) and a case's owner (set by the server's rules for the login copying).
SERVER_KEPT = {"audit_log": ("id", "prev_hash", "hash"), "cases": ("owner",)}
#: Tables whose rows the server numbers itself when the copy commits.
RENUMBERED = ("audit_log",)


@dataclass(frozen=True)
class TableCopy:
    """One table: rows in the vault and on the server, and whether their checksums agree."""

    table: str
    vault_rows: int
    server_rows: int
    vault_sha256: str
    server_sha256: str

    @property
    def same(self) -> bool:
        return self.vault_rows == self.server_rows and self.vault_sha256 == self.server_sha256


@dataclass(frozen=True)
class MoveIn:
    """What was copied: every table, each checked."""

    tables: tuple[TableCopy, ...]

    @property
    def rows(self) -> int:
        return sum(t.server_rows for t in self.tables)


class TargetNotEmpty(CmeError):
    default_message = "The server's database already holds records: nothing was copied."


class CopyMismatch(CmeError):
    default_message = "The copy on the server differs from the vault: nothing was kept."


def tables() -> list[Table]:
    """Every table of the schema, parents before the tables that refer to them."""
    for name in models._WHERE:  # loads each model module, so the metadata is whole
        getattr(models, name)
    return [t for t in Base.metadata.sorted_tables if t.name != "alembic_version"]


def move_in(
    vault_db: Database,
    server: ServerDatabase,
    *,
    progress: Callable[[str, int], None] | None = None,
) -> MoveIn:
    """Copy everything in ``vault_db`` into ``server``'s database, and check the copy.

    The server's schema is made first when its database is empty. Raises
    ``TargetNotEmpty`` when it holds records already, ``CopyMismatch`` when a table's
    count or checksum differs (nothing is kept then). ``progress(table, rows)`` is told
    as each table is copied.
    """
    if not schema.is_current(server.engine):
        with server.engine.connect() as conn:
            empty = not inspect(conn).get_table_names()
        if not empty:
            raise TargetNotEmpty(
                "The server's database holds tables of another version or of something "
                "else: copy into a new, empty database."
            )
        schema.upgrade(server.engine)
    copied: list[TableCopy] = []
    try:
        with (
            vault_db.engine.connect() as source,
            server.engine.connect() as target,
            target.begin(),
        ):
            # Nobody writes while the vault moves in (the same lock as every write).
            target.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": WRITE_LOCK})
            holding = [t.name for t in tables() if _count(target, t) > 0]
            if holding:
                raise TargetNotEmpty(
                    "The server's database already holds records (in "
                    f"{', '.join(holding)}): nothing was copied. Move a vault into a "
                    "new, empty database."
                )
            for table in tables():
                rows = _copy(source, target, table)
                if progress is not None:
                    progress(table.name, rows)
            _restart_numbering(target, tables())
            for table in tables():
                copied.append(_compare(source, target, table))
            wrong = [c for c in copied if not c.same]
            if wrong:
                raise CopyMismatch(
                    "The copy on the server differs from the vault in "
                    + ", ".join(
                        f"{c.table} ({c.vault_rows} rows here, {c.server_rows} there)"
                        for c in wrong
                    )
                    + ": nothing was kept on the server."
                )
    except DBAPIError as exc:
        found = server.server_error(exc)
        if found is exc:
            raise CmeError(
                f"The server refused the copy ({_first_line(exc)}): nothing was kept on it."
            ) from exc
        raise found from exc
    # Fresh tables have no statistics yet: without them the first searches would read
    # every case instead of the search index.
    with server.engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
    return MoveIn(tables=tuple(copied))


def _count(conn: Connection, table: Table) -> int:
    return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def _order(table: Table) -> list[Any]:
    return list(table.primary_key.columns) or list(table.columns)


def _rows(conn: Connection, table: Table, batch: int) -> Iterator[Sequence[Any]]:
    result = conn.execution_options(yield_per=batch).execute(select(table).order_by(*_order(table)))
    yield from result.partitions(batch)


def _copy(source: Connection, target: Connection, table: Table) -> int:
    batch = ATTACHMENT_BATCH if table.name == "attachments" else BATCH
    names = [c.name for c in table.columns]
    done = 0
    for part in _rows(source, table, batch):
        target.execute(table.insert(), [dict(zip(names, row, strict=True)) for row in part])
        done += len(part)
    return done


def _restart_numbering(conn: Connection, all_tables: Iterable[Table]) -> None:
    """Each table's numbering continues after the highest number copied."""
    for table in all_tables:
        keys = list(table.primary_key.columns)
        if len(keys) != 1 or not keys[0].autoincrement or table.name in RENUMBERED:
            continue
        column = keys[0].name
        sequence = conn.execute(
            text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table.name, "c": column}
        ).scalar_one()
        if sequence is None:
            continue
        conn.execute(
            text(
                f'SELECT setval(:s, coalesce(max("{column}"), 1), max("{column}") IS NOT NULL) '
                f'FROM "{table.name}"'
            ),
            {"s": sequence},
        )


def _compare(source: Connection, target: Connection, table: Table) -> TableCopy:
    vault_rows, vault_sum = checksum(source, table)
    server_rows, server_sum = checksum(target, table)
    return TableCopy(table.name, vault_rows, server_rows, vault_sum, server_sum)


def checksum(conn: Connection, table: Table) -> tuple[int, str]:
    """Rows of ``table`` and a SHA-256 over every compared column of every row, in order.

    Values are read through the table's own types, so the vault's text dates and the
    server's dates give the same value, and written out one way (``_canonical``).
    """
    left_out = SERVER_KEPT.get(table.name, ())
    columns = [c for c in table.columns if c.name not in left_out]
    digest = hashlib.sha256()
    rows = 0
    if table.name in RENUMBERED:
        # The server numbers these rows itself, when the copy commits: until then their
        # numbers say nothing, so the rows are compared as a set of whole rows.
        lines = sorted(_line(row) for row in conn.execute(select(*columns)))
        for line in lines:
            digest.update(line)
        return len(lines), digest.hexdigest()
    result = conn.execution_options(yield_per=BATCH).execute(
        select(*columns).order_by(*_order(table))
    )
    for part in result.partitions(BATCH):
        for row in part:
            rows += 1
            digest.update(_line(row))
    return rows, digest.hexdigest()


def _line(row: Sequence[Any]) -> bytes:
    return ("\x1e".join(_canonical(v) for v in row) + "\x1d").encode("utf-8")


def _canonical(value: Any) -> str:
    if value is None:
        return "\x00"
    if isinstance(value, bytes | bytearray | memoryview):
        return "sha256:" + hashlib.sha256(bytes(value)).hexdigest()
    if isinstance(value, datetime):
        return value.isoformat(timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, separators=(",", ":"))
    return repr(value)


def _first_line(exc: BaseException) -> str:
    lines = str(getattr(exc, "orig", exc)).strip().splitlines() or [type(exc).__name__]
    return lines[0][:200]
