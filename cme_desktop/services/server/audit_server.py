"""The audit log on a shared server: appended by everyone, chained by the server itself.

On PostgreSQL the ``audit_log`` table keeps its columns, but the application does not
number, date, sign or chain a row: it inserts what happened (action, entity, id,
detail) and the database does the rest (migration 0010 installs ``install_sql``):

- a ``BEFORE INSERT`` trigger stamps the row with the database login that made it
  (``session_user``, whatever the program claims) and the server's clock, and parks it
  under a provisional negative number;
- a deferred constraint trigger seals each parked row when its transaction commits: it
  locks the one-row ``audit_chain_head`` table, gives the row the next number, links it to
  the previous row's hash and computes its own (SHA-256, ``cme_audit_hash``). Sealing at
  commit time means rows are chained in commit order, two sessions never take the same
  number, and the lock is held only while committing, never while a transaction waits
  for a row another one holds;
- a trigger refuses every UPDATE and DELETE (but that seal) and TRUNCATE, even for the
  table's owner. The application's roles are only granted INSERT on the four columns
  they may fill (``roles.py``), so for them it is "permission denied" before that.

The hash is not keyed: anyone allowed to read the log can check it (``verify``). A
superuser can still switch the triggers off and rewrite the whole chain from the row
they changed onwards; ``verify`` reports the newest row's number and hash so the auditor
can keep them outside the server and notice such a rewrite later (docs/server.md).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

from cme_desktop.services.errors import CmeError
from cme_desktop.services.server.connection import ServerAddress
from cme_desktop.services.server.database import ServerDatabase, translate
from cme_desktop.services.vault.audit import GENESIS, AuditCheck

#: The chain's head: the newest sealed row's number and hash, one row.
HEAD_TABLE = "audit_chain_head"
#: What rows are numbered from (below zero) until their transaction commits.
PENDING_SEQUENCE = "audit_log_pending"
#: The transaction setting the seal sets while it moves a parked row to its place.
SEALING_SETTING = "cme.audit_sealing"
#: The time format both sides hash: ``datetime.isoformat(timespec="microseconds")``.
_PG_TIME = 'YYYY-MM-DD"T"HH24:MI:SS.US'
#: Rows read at a time while verifying.
_BATCH = 2000


def install_sql(schema: str) -> list[str]:
    """The statements that put the chain on ``audit_log`` in ``schema`` (migration 0010).

    Rows already in the log (copied before the chain existed) are sealed in their order.
    """
    s = _quoted(schema)
    search_path = f"SET search_path = pg_catalog, {s}, pg_temp"
    return [
        f"""CREATE TABLE {s}.{HEAD_TABLE} (
            only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
            last_id integer NOT NULL,
            last_hash varchar(64) NOT NULL
        )""",
        f"INSERT INTO {s}.{HEAD_TABLE} (last_id, last_hash) VALUES (0, '{GENESIS}')",
        f"CREATE SEQUENCE {s}.{PENDING_SEQUENCE}",
        # Every field but the hash, joined by the unit separator, as ``row_hash`` does.
        f"""CREATE FUNCTION {s}.cme_audit_hash(
                p_id integer, p_at timestamp, p_actor text, p_action text, p_entity text,
                p_entity_id integer, p_detail text, p_prev text)
            RETURNS varchar LANGUAGE sql IMMUTABLE {search_path} AS $$
            SELECT encode(sha256(convert_to(concat_ws(chr(31),
                p_id::text, to_char(p_at, '{_PG_TIME}'), p_actor, p_action, p_entity,
                coalesce(p_entity_id::text, ''), p_detail, p_prev), 'UTF8')), 'hex')
        $$""",
        f"""CREATE FUNCTION {s}.cme_audit_stamp() RETURNS trigger
            LANGUAGE plpgsql SECURITY DEFINER {search_path} AS $$
        BEGIN
            -- Only the schema's owner (copying a vault's log in) may keep a row's own
            -- time and name; for everyone else the server says who and when.
            IF NEW.at IS NULL OR coalesce(NEW.actor, '') = '' OR NOT pg_has_role(
                    session_user,
                    (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'MEMBER') THEN
                NEW.at := clock_timestamp() AT TIME ZONE 'UTC';
                NEW.actor := session_user;
            END IF;
            NEW.action := coalesce(NEW.action, '');
            NEW.entity := coalesce(NEW.entity, '');
            NEW.detail := left(coalesce(NEW.detail, ''), 500);
            -- Below zero, rising in the order rows are written (until their seal).
            NEW.id := nextval('{s}.{PENDING_SEQUENCE}') - 2147483647;
            NEW.prev_hash := '';
            NEW.hash := '';
            RETURN NEW;
        END $$""",
        f"""CREATE FUNCTION {s}.cme_audit_seal() RETURNS trigger
            LANGUAGE plpgsql SECURITY DEFINER {search_path} AS $$
        DECLARE
            head record;
            p_id integer;
            p_hash varchar(64);
            sealed_id integer;
            sealed_hash varchar(64);
        BEGIN
            -- Held until this transaction ends: the next committer waits here, then
            -- reads the head this one leaves.
            SELECT last_id, last_hash INTO head FROM {HEAD_TABLE} FOR UPDATE;
            -- Rows this transaction sealed already follow the head, which is written once,
            -- at its last row: updating one row again and again in a transaction makes
            -- each read of it slower, and a vault moved in may bring a million rows.
            SELECT id, hash INTO p_id, p_hash FROM audit_log
                WHERE id > head.last_id ORDER BY id DESC LIMIT 1;
            IF NOT FOUND THEN
                p_id := head.last_id;
                p_hash := head.last_hash;
            END IF;
            sealed_id := p_id + 1;
            sealed_hash := cme_audit_hash(sealed_id, NEW.at, NEW.actor, NEW.action,
                NEW.entity, NEW.entity_id, NEW.detail, p_hash);
            PERFORM set_config('{SEALING_SETTING}', 'on', true);
            UPDATE audit_log SET id = sealed_id, prev_hash = p_hash, hash = sealed_hash
                WHERE id = NEW.id;
            PERFORM set_config('{SEALING_SETTING}', 'off', true);
            -- Parked rows are numbered in the order they were written, and sealed in that
            -- order: none of this transaction's above this one means it is the last.
            IF NOT EXISTS (SELECT 1 FROM audit_log WHERE id < 0 AND id > NEW.id) THEN
                UPDATE {HEAD_TABLE} SET last_id = sealed_id, last_hash = sealed_hash;
            END IF;
            RETURN NULL;
        END $$""",
        f"""CREATE FUNCTION {s}.cme_audit_refuse() RETURNS trigger
            LANGUAGE plpgsql {search_path} AS $$
        BEGIN
            -- The seal is the one change allowed: a parked row moved to its place, once.
            IF TG_OP = 'UPDATE' AND OLD.id < 0 AND NEW.id > 0
                    AND current_setting('{SEALING_SETTING}', true) = 'on' THEN
                RETURN NEW;
            END IF;
            RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',
                MESSAGE = 'The audit log can only be added to: ' || TG_OP || ' refused.';
        END $$""",
        # Rows already there are numbered 1.. in their order and chained (no trigger yet).
        f"""DO $$
        DECLARE
            r record;
            prev varchar(64) := '{GENESIS}';
            sealed varchar(64);
            n integer := 0;
        BEGIN
            UPDATE {s}.audit_log SET id = -id;
            FOR r IN SELECT * FROM {s}.audit_log ORDER BY id DESC LOOP
                n := n + 1;
                sealed := {s}.cme_audit_hash(n, r.at, r.actor, r.action, r.entity,
                    r.entity_id, r.detail, prev);
                UPDATE {s}.audit_log SET id = n, prev_hash = prev, hash = sealed
                    WHERE id = r.id;
                prev := sealed;
            END LOOP;
            UPDATE {s}.{HEAD_TABLE} SET last_id = n, last_hash = prev;
        END $$""",
        f"""CREATE TRIGGER audit_log_stamp BEFORE INSERT ON {s}.audit_log
            FOR EACH ROW EXECUTE FUNCTION {s}.cme_audit_stamp()""",
        f"""CREATE CONSTRAINT TRIGGER audit_log_seal AFTER INSERT ON {s}.audit_log
            DEFERRABLE INITIALLY DEFERRED
            FOR EACH ROW EXECUTE FUNCTION {s}.cme_audit_seal()""",
        f"""CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON {s}.audit_log
            FOR EACH ROW EXECUTE FUNCTION {s}.cme_audit_refuse()""",
        f"""CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON {s}.audit_log
            FOR EACH STATEMENT EXECUTE FUNCTION {s}.cme_audit_refuse()""",
    ]


def remove_sql(schema: str) -> list[str]:
    """The statements that take the chain off again (migration 0010's downgrade).

    The rows stay, with their server-made hashes.
    """
    s = _quoted(schema)
    return [
        f"DROP TRIGGER audit_log_no_truncate ON {s}.audit_log",
        f"DROP TRIGGER audit_log_append_only ON {s}.audit_log",
        f"DROP TRIGGER audit_log_seal ON {s}.audit_log",
        f"DROP TRIGGER audit_log_stamp ON {s}.audit_log",
        f"DROP FUNCTION {s}.cme_audit_refuse()",
        f"DROP FUNCTION {s}.cme_audit_seal()",
        f"DROP FUNCTION {s}.cme_audit_stamp()",
        f"DROP FUNCTION {s}.cme_audit_hash("
        "integer, timestamp, text, text, text, integer, text, text)",
        f"DROP SEQUENCE {s}.{PENDING_SEQUENCE}",
        f"DROP TABLE {s}.{HEAD_TABLE}",
    ]


def row_hash(
    *,
    id: int,
    at: datetime,
    actor: str,
    action: str,
    entity: str,
    entity_id: int | None,
    detail: str,
    prev_hash: str,
) -> str:
    """The hash the server gives a row (``cme_audit_hash``), worked out here to check it."""
    fields = [
        str(id),
        at.isoformat(timespec="microseconds"),
        actor,
        action,
        entity,
        "" if entity_id is None else str(entity_id),
        detail,
        prev_hash,
    ]
    return hashlib.sha256("\x1f".join(fields).encode("utf-8")).hexdigest()


def check(engine: Engine) -> tuple[AuditCheck, tuple[int, str]]:
    """Verify the log of the server behind ``engine`` as one consistent snapshot.

    Returns the verdict and the newest row's number and hash. Sessions that commit
    meanwhile are not seen half-way: the rows and the head are read in one
    repeatable-read transaction.
    """
    snapshot = engine.connect().execution_options(isolation_level="REPEATABLE READ")
    with snapshot as conn, conn.begin():
        conn.execute(text("SET TRANSACTION READ ONLY"))
        return verify(conn), newest(conn)


def verify(conn: Connection) -> AuditCheck:
    """Walk the server's whole chain; report the first row that does not fit.

    The same verdicts as the vault's ``audit.verify``: a row missing, a row that does not
    follow the one before, a row altered; a row never sealed (written with the triggers
    switched off) counts as altered. The head the server keeps is compared with the last
    row, as the vault's anchor is: rows cut from the end show there
    (``anchor_problems``). Needs a login allowed to read the whole log (the auditor).
    """
    unsealed = conn.execute(text("SELECT max(id) FROM audit_log WHERE id <= 0")).scalar()
    if unsealed is not None:
        problem = f"row {unsealed} was never sealed into the chain"
        return AuditCheck(0, int(unsealed), problem)
    check, last_id, last_hash = _walk(_pages(conn))
    if check.problem:
        return check
    head = conn.execute(text(f"SELECT last_id, last_hash FROM {HEAD_TABLE}")).first()
    if head is None:
        return AuditCheck(check.rows, None, "", anchor_problems=("the chain's head is missing",))
    if int(head[0]) != last_id or str(head[1]) != last_hash:
        lost = int(head[0]) - last_id
        if lost > 0:
            problem = (
                f"{lost} newest audit row{' was' if lost == 1 else 's were'} missing: the "
                f"server's chain head records row {head[0]}, the log ends at row {last_id}"
            )
        else:
            problem = (
                f"the server's chain head records row {head[0]}, which is not the log's "
                f"newest row {last_id}: the log has been written again"
            )
        return AuditCheck(check.rows, None, "", anchor_problems=(problem,))
    return check


def newest(conn: Connection) -> tuple[int, str]:
    """The newest sealed row's number and hash, to note down outside the server."""
    head = conn.execute(text(f"SELECT last_id, last_hash FROM {HEAD_TABLE}")).first()
    return (int(head[0]), str(head[1])) if head else (0, GENESIS)


def _pages(conn: Connection) -> Iterator[Any]:
    """Every sealed row in order, a page at a time (the log may hold millions)."""
    after = 0
    while True:
        page = conn.execute(
            text(
                "SELECT id, at, actor, action, entity, entity_id, detail, prev_hash, hash "
                "FROM audit_log WHERE id > :after ORDER BY id LIMIT :n"
            ),
            {"after": after, "n": _BATCH},
        ).all()
        yield from page
        if len(page) < _BATCH:
            return
        after = int(page[-1].id)


def _walk(rows: Iterable[Any]) -> tuple[AuditCheck, int, str]:
    """The verdict on the rows, and the last good row's number and hash."""
    prev_hash = GENESIS
    expected_id = 1
    count = 0
    for row in rows:
        count += 1
        row_id = int(row.id)
        if row_id != expected_id:
            problem = f"row {expected_id} is missing"
            return AuditCheck(count, row_id, problem), expected_id - 1, prev_hash
        if row.prev_hash != prev_hash:
            problem = f"row {row_id} does not follow row {row_id - 1}"
            return AuditCheck(count, row_id, problem), expected_id - 1, prev_hash
        expected = row_hash(
            id=row_id,
            at=row.at,
            actor=row.actor,
            action=row.action,
            entity=row.entity,
            entity_id=row.entity_id,
            detail=row.detail,
            prev_hash=row.prev_hash,
        )
        if not hmac.compare_digest(str(row.hash), expected):
            problem = f"row {row_id} has been altered"
            return AuditCheck(count, row_id, problem), expected_id - 1, prev_hash
        prev_hash = str(row.hash)
        expected_id += 1
    return AuditCheck(count, None, ""), expected_id - 1, prev_hash


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True)
class ServerAuditCheck:
    """The verdict on a server's log, and its newest row to note down outside it."""

    check: AuditCheck
    newest_id: int
    newest_hash: str


def verify_at(address: ServerAddress, password: str | None) -> ServerAuditCheck:
    """Log in to the server at ``address`` and verify its whole audit log.

    Raises ``ServerLoginFailed`` / ``ServerUnavailable`` as logging in does, and
    ``CmeError`` when the login may not read the whole log: row-level security would
    hide rows from it, and a chain with rows hidden cannot be checked.
    """
    db = ServerDatabase.connect(address, password)
    try:
        try:
            with db.engine.connect() as conn:
                allowed = conn.execute(
                    text("SELECT has_table_privilege(:t, 'SELECT')"), {"t": HEAD_TABLE}
                ).scalar()
            if not allowed:
                raise CmeError(
                    f"The login {address.username!r} cannot read the whole audit log. Verify "
                    "it with an auditor's login (a member of cme_auditor)."
                )
            found, (newest_id, newest_hash) = check(db.engine)
        except DBAPIError as exc:
            raise (translate(exc, address) or CmeError(_first_line(exc))) from exc
    finally:
        db.close()
    return ServerAuditCheck(found, newest_id, newest_hash)


def _first_line(exc: BaseException) -> str:
    lines = str(getattr(exc, "orig", exc)).strip().splitlines() or [type(exc).__name__]
    return f"The server could not read its audit log: {lines[0][:200]}"
