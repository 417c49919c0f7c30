"""Checking out the day's cases from the shared server into a field vault, for home visits.

The field vault is a vault of its own (``Vault.create``: SQLCipher, its own passphrase
and recovery key), not the officer's single-user vault: the server's cases keep their
server numbers there, which a vault with cases of its own would clash with, and a lost
laptop then holds only the day's cases. The same application opens it
(``cme-desktop --db PATH``) and works offline on it as on any vault.

A checkout, in one transaction on the server:

- chooses the cases: those named, or by default the officer's own open cases with a
  task (a visit is one) due today or overdue; a case already checked out by anyone is
  refused when named and left out (and said) otherwise: two laptops working offline on
  one case would only meet at check-in;
- records who, when, which cases, and each record's version and fingerprint
  (``models.checkouts``), and audits each case (``case_checked_out``);
- copies the rows straight from the server's connection (TLS) into the field vault's
  encrypted database: nothing is written anywhere in the clear on the way.

The field vault is committed first, then the server; should the server's commit fail,
the field vault's copy is removed again, so neither end holds half a checkout.

Colleagues see "checked out to jsmith since …" (``checked_out``) and may still edit the
case: a laptop that is lost or not brought back must not stop the team, and the
check-in finds any change made meanwhile and asks the officer (``checkin``).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.orm import Session

from cme_desktop.models import Case, Checkout, CheckoutRecord, utcnow
from cme_desktop.services.cases.detail import case_reference
from cme_desktop.services.errors import CmeError, NotFound
from cme_desktop.services.server.database import ServerDatabase
from cme_desktop.services.server.field_records import (
    VERSIONED,
    field_tables,
    fields_of,
    fingerprint,
    rows_of_cases,
)
from cme_desktop.services.vault import audit
from cme_desktop.services.vault.database import Database, UnitOfWork


@dataclass(frozen=True)
class CheckedOutTo:
    """Who has a case out on a laptop, and since when (UTC)."""

    case_id: int
    login: str
    since: datetime

    @property
    def description(self) -> str:
        """``checked out to jsmith since 05/12/2026 08:10``, in the computer's time."""
        from cme_desktop.services.server.concurrency import when

        return f"checked out to {self.login} since {when(self.since)}"


@dataclass(frozen=True)
class CheckedOut:
    """What a checkout took out."""

    checkout_id: int
    case_ids: tuple[int, ...]
    records: int
    #: Cases of the default choice left out because someone has them out already.
    left_out: tuple[CheckedOutTo, ...]


@dataclass(frozen=True)
class FieldCheckout:
    """The checkout a field vault holds, not yet checked in."""

    id: int
    server: str
    remote_id: int
    token: str
    login: str
    checked_out_at: datetime
    case_ids: tuple[int, ...]


def server_label(server: ServerDatabase) -> str:
    """``host:port/database``: where a field vault's cases came from."""
    address = server.address
    return f"{address.host}:{address.port}/{address.database}"


def checked_out(db: UnitOfWork, case_ids: Sequence[int]) -> dict[int, CheckedOutTo]:
    """The cases of ``case_ids`` checked out and not yet back, with who and since when.

    Empty in a vault (nothing is checked out of one).
    """
    found: dict[int, CheckedOutTo] = {}
    with db.read() as session:
        if session.get_bind().dialect.name != "postgresql":
            return found
        for start in range(0, len(case_ids), 500):
            part = list(case_ids[start : start + 500])
            rows = session.execute(
                select(CheckoutRecord.case_id, Checkout.login, Checkout.checked_out_at)
                .join(Checkout, Checkout.id == CheckoutRecord.checkout_id)
                .where(
                    CheckoutRecord.record == "cases",
                    CheckoutRecord.case_id.in_(part),
                    Checkout.checked_in_at.is_(None),
                )
            )
            for case_id, login, since in rows:
                found[int(case_id)] = CheckedOutTo(int(case_id), str(login), since)
    return found


def field_checkout(field: Database) -> FieldCheckout | None:
    """The checkout ``field`` holds and has not checked in (``None``: none)."""
    with field.read() as session:
        row = session.scalar(
            select(Checkout).where(Checkout.checked_in_at.is_(None)).order_by(Checkout.id)
        )
        if row is None:
            return None
        cases = session.scalars(
            select(CheckoutRecord.case_id)
            .where(CheckoutRecord.checkout_id == row.id, CheckoutRecord.record == "cases")
            .order_by(CheckoutRecord.case_id)
        ).all()
        return FieldCheckout(
            id=row.id,
            server=row.server,
            remote_id=int(row.remote_id or 0),
            token=row.token,
            login=row.login,
            checked_out_at=row.checked_out_at,
            case_ids=tuple(int(c) for c in cases),
        )


def check_out(
    server: ServerDatabase,
    field: Database,
    *,
    case_ids: Sequence[int] | None = None,
    today: date | None = None,
) -> CheckedOut:
    """Check cases out of ``server`` into the field vault ``field`` (module docstring).

    ``case_ids``: the cases to take; ``None``: the officer's own open cases with a task
    due by ``today``. Raises ``CmeError`` when there is nothing to take, when a named
    case is out already, or when ``field`` is not an empty field vault; ``NotFound`` for
    a case that does not exist.
    """
    if server.kind != "server" or field.kind != "vault":
        raise CmeError("Cases are checked out of a shared server into a vault on this computer.")
    _check_field_vault(field)
    day = today or date.today()
    committed = False
    try:
        with server.write() as session:
            login = str(session.execute(text("SELECT session_user")).scalar_one())
            chosen, left_out = _choose(session, login, case_ids, day)
            token = secrets.token_hex(16)
            checkout = Checkout(login=login, server="", token=token, checked_out_at=utcnow())
            session.add(checkout)
            session.flush()
            copied = _copy(session, field, checkout, chosen, server_label(server))
            committed = True
            for case_id in chosen:
                audit.record(
                    session,
                    server,
                    action="case_checked_out",
                    entity="case",
                    entity_id=case_id,
                    detail=f"checkout={checkout.id}",
                )
    except BaseException:
        if committed:
            # The field vault holds a checkout the server never recorded: take it away.
            release(field)
        raise
    return CheckedOut(
        checkout_id=checkout.id,
        case_ids=tuple(chosen),
        records=copied,
        left_out=tuple(left_out),
    )


def _check_field_vault(field: Database) -> None:
    out = field_checkout(field)
    if out is not None:
        raise CmeError(
            f"This field vault still holds {len(out.case_ids)} cases checked out from "
            f"{out.server} on {out.checked_out_at:%d/%m/%Y}: check them in first."
        )
    with field.read() as session:
        held = int(session.scalar(select(func.count()).select_from(Case)) or 0)
    if held:
        raise CmeError(
            f"That vault holds {held} cases of its own: cases are checked out into a field "
            "vault of their own (a new vault file), never into another record."
        )


def _choose(
    session: Session, login: str, case_ids: Sequence[int] | None, day: date
) -> tuple[list[int], list[CheckedOutTo]]:
    named = case_ids is not None
    if case_ids is None:
        wanted = list(
            session.scalars(
                select(Case.id)
                .where(Case.owner == login, Case.status == "open", Case.next_task_due <= day)
                .order_by(Case.id)
            )
        )
    else:
        wanted = list(dict.fromkeys(case_ids))
        present = set(session.scalars(select(Case.id).where(Case.id.in_(wanted))))
        missing = [c for c in wanted if c not in present]
        if missing:
            raise NotFound(
                f"There is no case {case_reference(missing[0])} on the server: nothing was "
                "checked out."
            )
    out = _out_in(session, wanted)
    if named and out:
        first = out[0]
        raise CmeError(
            f"Case {case_reference(first.case_id)} is {first.description}: nothing was checked "
            "out. It must be checked in before anyone takes it out again."
        )
    taken = [c for c in wanted if c not in {o.case_id for o in out}]
    if not taken:
        raise CmeError(
            "There is no case to check out: none of your open cases has a visit or task due "
            "today or overdue (or they are checked out already). Name the cases to take."
        )
    return taken, out


def _out_in(session: Session, case_ids: Sequence[int]) -> list[CheckedOutTo]:
    rows = session.execute(
        select(CheckoutRecord.case_id, Checkout.login, Checkout.checked_out_at)
        .join(Checkout, Checkout.id == CheckoutRecord.checkout_id)
        .where(
            CheckoutRecord.record == "cases",
            CheckoutRecord.case_id.in_(list(case_ids)),
            Checkout.checked_in_at.is_(None),
        )
        .order_by(CheckoutRecord.case_id)
    )
    return [CheckedOutTo(int(c), str(login), since) for c, login, since in rows]


def _copy(
    session: Session, field: Database, checkout: Checkout, case_ids: list[int], label: str
) -> int:
    """Copy the cases' rows into ``field`` and record each on the server; rows copied."""
    copied = 0
    family_ids: set[int] = set()
    with field.write() as local:
        mine = Checkout(
            login=checkout.login,
            server=label,
            remote_id=checkout.id,
            token=checkout.token,
            checked_out_at=checkout.checked_out_at,
        )
        local.add(mine)
        local.flush()
        server_records: list[dict[str, Any]] = []
        field_records: list[dict[str, Any]] = []
        tables = field_tables()
        # Cases name their family: the families are known once the cases are read.
        case_rows = rows_of_cases(session, tables[1], case_ids)
        family_ids = {int(r["family_id"]) for r in case_rows.values() if r["family_id"]}
        for table in tables:
            if table.name == "cases":
                rows = case_rows
            else:
                rows = rows_of_cases(session, table, case_ids, family_ids=family_ids)
            if table.name == "referrals":
                for row in rows.values():
                    row["attachment_id"] = None  # attachments stay on the server
            for key, row in rows.items():
                fields = fields_of(table, row)
                record = {
                    "record": table.name,
                    "record_key": key,
                    "case_id": int(row["id"] if table.name == "cases" else row.get("case_id", 0)),
                    "version": row.get("version") if table.name in VERSIONED else None,
                    "fingerprint": fingerprint(fields),
                }
                server_records.append({**record, "checkout_id": checkout.id})
                field_records.append(
                    {**record, "checkout_id": mine.id, "original": json.dumps(fields)}
                )
            copied += len(rows)
            _insert(local, table, list(rows.values()))
        if field_records:
            local.execute(insert(CheckoutRecord), field_records)
        for case_id in case_ids:
            audit.record(
                local,
                field,
                action="case_checked_out",
                entity="case",
                entity_id=case_id,
                detail=f"from={label} checkout={checkout.id}",
            )
        if server_records:
            session.execute(insert(CheckoutRecord), server_records)
    return copied


def _insert(local: Session, table: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), 500):
        part = rows[start : start + 500]
        if part:
            local.execute(insert(table), part)


def release(field: Database, *, checked_in_at: datetime | None = None) -> int:
    """Take the checked-out cases out of ``field``; the number of cases removed.

    With ``checked_in_at`` the field vault's checkout is marked checked in then (its
    records, which hold the fields as they left, go); without, it is removed whole (a
    checkout that never was). The field vault's audit log keeps what was done.
    """
    with field.write() as session:
        out = session.scalars(select(Checkout).where(Checkout.checked_in_at.is_(None))).all()
        cases = list(session.scalars(select(Case.id)))
        # Children first, families last (the cases name them).
        for table in reversed(field_tables()):
            session.execute(delete(table))
        for checkout in out:
            session.execute(delete(CheckoutRecord).where(CheckoutRecord.checkout_id == checkout.id))
            if checked_in_at is None:
                session.delete(checkout)
            else:
                checkout.checked_in_at = checked_in_at
        for case_id in cases:
            audit.record(
                session,
                field,
                action="case_checked_in" if checked_in_at else "checkout_undone",
                entity="case",
                entity_id=case_id,
            )
    return len(cases)
