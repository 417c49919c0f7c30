"""Checking a field vault's cases back in to the server they came from.

Each record of the checked-out cases is compared three ways: as it left (kept in the
field vault), as it is in the field vault now, and as it is on the server now. A record
the officer changed offline is applied on the server when nobody changed it there
meanwhile; otherwise it is a conflict, resolved as a concurrent edit is: keep theirs
(the server's record stays), or keep mine (the fields changed offline, set on top of the
server's record). A record counts as changed on the server when one of its fields
differs from what left (``field_records``): a version moved on only by the case list's
own columns is no conflict. Records added offline (timeline entries, tasks, carers,
even a case logged at the door) are inserted, with numbers the server gives.

The whole check-in is ONE transaction on the server, which also closes the server's
checkout: a check-in cut off half-way (the network drops, the laptop is shut) leaves
the server as it was, and is simply run again. Only after that commit are the cases
taken out of the field vault; should that be cut off in turn, running the check-in
again finds the server's checkout closed and only finishes the release, so each record
arrives exactly once. With a conflict left unresolved nothing at all is applied.

Everything is audited on the server: each record applied (``checkin_*``, a case's
fields as ``case_updated`` with ``fields=``, so colleagues' "changed elsewhere" notices
name them), what was done to the cases offline (each audit row of the field vault,
marked ``offline=`` with its time), and each case checked in.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Table, UniqueConstraint, delete, func, insert, select, update
from sqlalchemy.orm import Session

from cme_desktop.models import AuditEvent, Case, Checkout, CheckoutRecord, TimelineEntry, utcnow
from cme_desktop.services.cases.detail import case_reference
from cme_desktop.services.cases.list_columns import refresh_current_step, refresh_next_task_due
from cme_desktop.services.errors import CmeError
from cme_desktop.services.server.checkout import (
    FieldCheckout,
    field_checkout,
    release,
    server_label,
)
from cme_desktop.services.server.concurrency import RECORDS, last_change, when
from cme_desktop.services.server.database import ServerDatabase
from cme_desktop.services.server.field_records import (
    VERSIONED,
    all_rows,
    compared_columns,
    differing,
    field_tables,
    fields_of,
    has_surrogate_key,
    rows_of_cases,
)
from cme_desktop.services.vault import audit
from cme_desktop.services.vault.database import Database

Choice = Literal["mine", "theirs"]
Op = Literal["update", "insert", "delete"]
#: The officer's names for the tables not named by ``concurrency.RECORDS``.
_NAMES = {
    **RECORDS,
    "families": "family",
    "case_groups": "group",
    "addresses": "address",
    "step_progress": "tracking step",
    "agency_referrals": "agency referral",
    "meetings": "meeting",
    "escalations": "escalation decision",
    "referrals": "referral form",
    "case_closures": "closing details",
    "case_enquiries": "enquiry",
    "school_returns": "school return",
}


class NotCheckedOut(CmeError):
    default_message = "This vault holds no checked-out cases: there is nothing to check in."


class WrongServer(CmeError):
    default_message = "This field vault was not checked out from this server."


@dataclass(frozen=True)
class Change:
    """One record changed offline, and what happened to it on the server meanwhile."""

    record: str  # the table
    key: str  # its key in the field vault
    case_id: int
    op: Op
    #: The fields changed offline (all of them for a record added offline).
    mine: tuple[str, ...]
    #: The fields changed on the server since checkout (for an added record: those of
    #: the server's record it clashes with that differ from it).
    theirs: tuple[str, ...] = ()
    #: The record was deleted on the server meanwhile.
    gone: bool = False
    #: The record added offline is on the server already (a group, a tracking step).
    clash: bool = False
    changed_by: str = ""
    changed_at: str = ""

    @property
    def conflict(self) -> bool:
        """Changed at both ends: the officer chooses whose to keep."""
        return bool(self.theirs) or self.gone

    @property
    def ident(self) -> tuple[str, str]:
        """What a choice is given for: ``(record, key)``."""
        return (self.record, self.key)

    @property
    def description(self) -> str:
        """``timeline entry 12 of case CME-000004: summary changed here; ...``."""
        name = _NAMES.get(self.record, self.record)
        what = f"{name} of case {case_reference(self.case_id)}"
        if self.record == "cases":
            what = f"case {case_reference(self.case_id)}"
        here = {"update": "changed", "insert": "added", "delete": "deleted"}[self.op]
        mine = f" ({', '.join(f.replace('_', ' ') for f in self.mine)})" if self.mine else ""
        said = f"{what}: {here} offline{mine}"
        if self.gone:
            said += "; deleted on the server meanwhile"
        elif self.theirs:
            there = ", ".join(f.replace("_", " ") for f in self.theirs)
            who = f" by {self.changed_by}" if self.changed_by else ""
            at = f" at {self.changed_at}" if self.changed_at else ""
            verb = "already on the server, different" if self.clash else "changed on the server"
            said += f"; {verb}{who}{at} ({there})"
        return said


@dataclass(frozen=True)
class CheckinPlan:
    """What a check-in would do: the field vault's checkout and every record changed."""

    checkout: FieldCheckout
    changes: tuple[Change, ...]
    #: The server closed this checkout already (a check-in cut off after its commit).
    done_on_server: bool = False

    @property
    def conflicts(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.conflict)


@dataclass(frozen=True)
class CheckedIn:
    """What a check-in did."""

    applied: tuple[Change, ...]
    kept_theirs: tuple[Change, ...]
    cases: tuple[int, ...]
    #: The server had it all already: only the field vault was released.
    finished_earlier: bool = False


class CheckinConflicts(CmeError):
    """Records changed both offline and on the server, with no choice made: nothing applied."""

    default_message = "Some records were changed on the server meanwhile: nothing was checked in."

    def __init__(self, conflicts: tuple[Change, ...]) -> None:
        lines = "; ".join(c.description for c in conflicts[:3])
        more = f" (and {len(conflicts) - 3} more)" if len(conflicts) > 3 else ""
        super().__init__(
            f"{len(conflicts)} record{'s were' if len(conflicts) != 1 else ' was'} changed "
            f"both offline and on the server — {lines}{more}. Nothing was checked in: "
            "choose to keep your changes or theirs."
        )
        self.conflicts = conflicts


# --- planning ------------------------------------------------------------------------


def plan(field: Database, server: ServerDatabase) -> CheckinPlan:
    """Compare the field vault with the server; changes nothing.

    Raises ``NotCheckedOut`` for a vault with no open checkout and ``WrongServer`` for
    one checked out from another server or database.
    """
    out = _field_out(field)
    with server.read() as session:
        done = _server_checkout(session, out, server)
        changes = [] if done else _changes(field, session, out)
    return CheckinPlan(checkout=out, changes=tuple(changes), done_on_server=done)


def _field_out(field: Database) -> FieldCheckout:
    out = field_checkout(field)
    if out is None:
        raise NotCheckedOut()
    return out


def _server_checkout(session: Session, out: FieldCheckout, server: ServerDatabase) -> bool:
    """Whether the server closed this checkout already; ``WrongServer`` when it has none."""
    row = session.execute(
        select(Checkout.checked_in_at).where(
            Checkout.id == out.remote_id, Checkout.token == out.token
        )
    ).first()
    if row is None:
        raise WrongServer(
            f"This field vault's cases were checked out from {out.server}, not from "
            f"{server_label(server)}: check them in to the server they came from. Nothing "
            "was changed."
        )
    return row[0] is not None


def _changes(field: Database, session: Session, out: FieldCheckout) -> list[Change]:
    with field.read() as local:
        originals = _originals(local, out)
        mine = {t.name: all_rows(local, t) for t in field_tables()}
    family_ids = [int(k) for k in originals.get("families", {})]
    changes: list[Change] = []
    for table in field_tables():
        left = originals.get(table.name, {})
        theirs = rows_of_cases(session, table, out.case_ids, family_ids=family_ids)
        for key, (case_id, original) in left.items():
            change = _compare(table, key, case_id, original, mine[table.name].get(key), theirs)
            if change is not None:
                changes.append(change)
        for key, row in mine[table.name].items():
            if key not in left:
                changes.append(_added(session, table, key, row, out.case_ids))
    return [_who(session, c) for c in changes]


def _originals(local: Session, out: FieldCheckout) -> dict[str, dict[str, tuple[int, Any]]]:
    found: dict[str, dict[str, tuple[int, Any]]] = {}
    rows = local.execute(
        select(
            CheckoutRecord.record,
            CheckoutRecord.record_key,
            CheckoutRecord.case_id,
            CheckoutRecord.original,
        ).where(CheckoutRecord.checkout_id == out.id)
    )
    for record, key, case_id, original in rows:
        found.setdefault(record, {})[key] = (int(case_id), json.loads(original or "{}"))
    return found


def _compare(
    table: Table,
    key: str,
    case_id: int,
    original: dict[str, Any],
    here: dict[str, Any] | None,
    there: dict[str, dict[str, Any]],
) -> Change | None:
    server_row = there.get(key)
    theirs = () if server_row is None else differing(fields_of(table, server_row), original)
    if here is None:
        # Deleted offline: a conflict only if the server's record changed meanwhile.
        if server_row is None:
            return None  # deleted at both ends
        return Change(table.name, key, case_id, "delete", (), theirs)
    mine = differing(fields_of(table, here), original)
    if not mine:
        return None
    return Change(table.name, key, case_id, "update", mine, theirs, gone=server_row is None)


def _added(
    session: Session, table: Table, key: str, row: dict[str, Any], case_ids: tuple[int, ...]
) -> Change:
    case_id = int(row["id"] if table.name == "cases" else row.get("case_id") or 0)
    mine = tuple(c.name for c in compared_columns(table))
    if case_id not in case_ids:
        return Change(table.name, key, case_id, "insert", mine)  # a case logged offline
    clashing = _clashing(session, table, row)
    if clashing is None:
        return Change(table.name, key, case_id, "insert", mine)
    theirs = differing(fields_of(table, clashing), fields_of(table, row))
    return Change(table.name, key, case_id, "insert", mine, theirs, clash=True)


def _clashing(session: Session, table: Table, row: dict[str, Any]) -> dict[str, Any] | None:
    """The server's record an added one would duplicate (same key, or same unique fields)."""
    keys: list[list[str]] = []
    if not has_surrogate_key(table):
        keys.append([c.name for c in table.primary_key.columns])
    for constraint in table.constraints:
        if isinstance(constraint, UniqueConstraint):
            keys.append([c.name for c in constraint.columns])
    for names in keys:
        found = (
            session.execute(select(table).where(*[table.c[n] == row[n] for n in names]))
            .mappings()
            .first()
        )
        if found is not None:
            return dict(found)
    return None


def _who(session: Session, change: Change) -> Change:
    if not change.conflict:
        return change
    last = last_change(session, change.case_id)
    return Change(
        change.record,
        change.key,
        change.case_id,
        change.op,
        change.mine,
        change.theirs,
        change.gone,
        change.clash,
        changed_by=last.actor,
        changed_at=when(last.at),
    )


# --- checking in ---------------------------------------------------------------------


def check_in(
    field: Database,
    server: ServerDatabase,
    *,
    choices: Mapping[tuple[str, str], Choice] | None = None,
    default: Choice | None = None,
) -> CheckedIn:
    """Check the field vault's cases in to ``server`` (module docstring).

    ``choices``: for each conflict (``Change.ident``), whose record to keep; ``default``
    for the conflicts not in ``choices``. A conflict with neither raises
    ``CheckinConflicts``, and nothing is applied. ``WrongServer``, ``NotCheckedOut`` as
    for ``plan``.
    """
    out = _field_out(field)
    chosen = dict(choices or {})
    with server.write() as session:
        if _server_checkout(session, out, server):
            finished_earlier = True
            applied: list[Change] = []
            kept: list[Change] = []
        else:
            finished_earlier = False
            changes = _changes(field, session, out)
            open_ = [c for c in changes if c.conflict and chosen.get(c.ident, default) is None]
            if open_:
                raise CheckinConflicts(tuple(open_))
            applied, kept = _apply(field, session, server, out, changes, chosen, default)
            _close(session, server, out, applied)
    release(field, checked_in_at=utcnow())
    return CheckedIn(
        applied=tuple(applied),
        kept_theirs=tuple(kept),
        cases=out.case_ids,
        finished_earlier=finished_earlier,
    )


def _apply(
    field: Database,
    session: Session,
    server: ServerDatabase,
    out: FieldCheckout,
    changes: list[Change],
    chosen: dict[tuple[str, str], Choice],
    default: Choice | None,
) -> tuple[list[Change], list[Change]]:
    with field.read() as local:
        mine = {t.name: all_rows(local, t) for t in field_tables()}
    # Numbers given by the server to what was added offline, by the field vault's number.
    numbers: dict[str, dict[int, int]] = {"families": {}, "cases": {}}
    applied: list[Change] = []
    kept: list[Change] = []
    tables = {t.name: t for t in field_tables()}
    for change in changes:
        if change.conflict and chosen.get(change.ident, default) == "theirs":
            kept.append(change)
            continue
        table = tables[change.record]
        row = mine[change.record].get(change.key)
        if change.op == "delete":
            session.execute(delete(table).where(*_key_is(table, change.key)))
        elif change.op == "update" and not change.gone and row is not None:
            values = _renumbered(table, row, numbers)  # a family made offline, say
            _update(session, table, change.key, {n: values[n] for n in change.mine})
        elif change.clash and row is not None:
            clashing = _clashing(session, table, _renumbered(table, row, numbers)) or {}
            key = "/".join(str(clashing[c.name]) for c in table.primary_key.columns)
            values = _renumbered(table, row, numbers)
            _update(session, table, key, {n: values[n] for n in change.theirs})
        elif row is not None:
            _insert(session, table, row, numbers)
        applied.append(change)
        _audit_change(session, server, change, numbers)
    _refresh_cases(session, out, numbers)
    _copy_offline_audit(field, session, server, out, numbers)
    return applied, kept


def _key_is(table: Table, key: str) -> list[Any]:
    values = key.split("/", len(table.primary_key.columns) - 1)
    return [
        c == (int(v) if c.type.python_type is int else v)
        for c, v in zip(table.primary_key.columns, values, strict=True)
    ]


def _update(session: Session, table: Table, key: str, values: dict[str, Any]) -> None:
    if table.name == "referrals":
        values.pop("attachment_id", None)
    if not values:
        return
    if table.name in VERSIONED:
        # Moved on, so a colleague with the record open is told it changed.
        values["version"] = table.c.version + 1
    session.execute(update(table).where(*_key_is(table, key)).values(**values))


def _renumbered(
    table: Table, row: dict[str, Any], numbers: dict[str, dict[int, int]]
) -> dict[str, Any]:
    values = dict(row)
    if "case_id" in values and values["case_id"] in numbers["cases"]:
        values["case_id"] = numbers["cases"][values["case_id"]]
    if table.name == "cases" and values.get("family_id") in numbers["families"]:
        values["family_id"] = numbers["families"][values["family_id"]]
    return values


def _insert(
    session: Session, table: Table, row: dict[str, Any], numbers: dict[str, dict[int, int]]
) -> None:
    values = _renumbered(table, row, numbers)
    if table.name == "referrals":
        values["attachment_id"] = None
    if table.name in VERSIONED:
        values["version"] = 1
    if not has_surrogate_key(table):
        session.execute(insert(table).values(**values))
        return
    local_number = int(values.pop("id"))
    given = int(session.execute(insert(table).values(**values).returning(table.c.id)).scalar_one())
    if table.name in numbers:
        numbers[table.name][local_number] = given


def _server_case(change: Change, numbers: dict[str, dict[int, int]]) -> int:
    return numbers["cases"].get(change.case_id, change.case_id)


def _audit_change(
    session: Session, server: ServerDatabase, change: Change, numbers: dict[str, dict[int, int]]
) -> None:
    case_id = _server_case(change, numbers)
    if change.record == "cases" and change.op == "update":
        action, detail = "case_updated", "fields=" + ",".join(change.mine)
    else:
        action, detail = f"checkin_{change.op}", f"{change.record}={change.key}"
    if change.conflict:
        detail += " kept=mine"
    audit.record(session, server, action=action, entity="case", entity_id=case_id, detail=detail)


def _refresh_cases(
    session: Session, out: FieldCheckout, numbers: dict[str, dict[int, int]]
) -> None:
    """Work out again the case list's columns of every case checked in."""
    session.flush()
    session.expire_all()
    for case_id in [*out.case_ids, *numbers["cases"].values()]:
        case = session.get(Case, case_id)
        if case is None:
            continue  # deleted offline or on the server
        refresh_current_step(session, case)
        refresh_next_task_due(session, case)
        latest = session.scalar(
            select(func.max(TimelineEntry.occurred_at)).where(
                TimelineEntry.case_id == case_id,
                TimelineEntry.kind == "visit",
                TimelineEntry.deleted_at.is_(None),
            )
        )
        case.last_visit_on = latest.date() if isinstance(latest, datetime) else None
    session.flush()


def _copy_offline_audit(
    field: Database,
    session: Session,
    server: ServerDatabase,
    out: FieldCheckout,
    numbers: dict[str, dict[int, int]],
) -> None:
    """What was done to the cases offline, into the server's log (marked ``offline=``)."""
    with field.read() as local:
        # By the log's numbers, not its times: the laptop's clock is not the server's.
        since = local.scalar(
            select(func.max(AuditEvent.id)).where(AuditEvent.action == "case_checked_out")
        )
        rows = local.execute(
            select(AuditEvent.at, AuditEvent.action, AuditEvent.entity_id, AuditEvent.detail)
            .where(AuditEvent.entity == "case", AuditEvent.id > (since or 0))
            .order_by(AuditEvent.id)
        ).all()
    for at, action, entity_id, detail in rows:
        case_id = numbers["cases"].get(int(entity_id or 0), entity_id)
        audit.record(
            session,
            server,
            action=str(action),
            entity="case",
            entity_id=case_id,
            detail=f"offline={at:%Y-%m-%dT%H:%M} {detail}".strip(),
        )


def _close(
    session: Session, server: ServerDatabase, out: FieldCheckout, applied: list[Change]
) -> None:
    closed = session.execute(
        update(Checkout)
        .where(Checkout.id == out.remote_id, Checkout.checked_in_at.is_(None))
        .values(checked_in_at=utcnow())
    )
    if getattr(closed, "rowcount", 0) != 1:
        # Another login (row-level security lets only the officer who took the cases
        # close the checkout): everything of this check-in is rolled back.
        raise CmeError(
            f"Only {out.login}, who checked these cases out, can check them in: nothing "
            "was changed."
        )
    for case_id in out.case_ids:
        count = sum(1 for c in applied if c.case_id == case_id)
        audit.record(
            session,
            server,
            action="case_checked_in",
            entity="case",
            entity_id=case_id,
            detail=f"checkout={out.remote_id} records={count}",
        )
