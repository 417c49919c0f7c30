"""Whether checking out or in applies where the officer is, and a checkout into a field
vault made for it.

Check-out applies on the shared server, to an officer (``cme_officer``: only they take
cases out, in their own name); check-in applies in a field vault that holds a checkout
not yet checked in (docs/server.md §8). Each ``why_no_*`` says, in the officer's words,
why it does not apply ("" when it does), so the window can grey the action out and say
why instead of offering it and then refusing.

``check_out_to_field_vault`` opens the field vault (or makes it) and checks out into it.
A field vault made by it and not filled, because the checkout was refused or cut off,
is removed again: otherwise an empty vault would be left at the path whose recovery key
was never shown (it is shown only with a checkout that worked).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from cme_desktop.services.errors import CmeError, VaultExists
from cme_desktop.services.server import ownership
from cme_desktop.services.server.checkout import CheckedOut, check_out, field_checkout
from cme_desktop.services.server.database import ServerDatabase
from cme_desktop.services.vault.database import Database
from cme_desktop.services.vault.unlock import Vault

CHECK_OUT_IN_A_VAULT = (
    "Cases are checked out of the team's shared server: start CME Desktop on the server "
    "(--server) to take them out for visits."
)
CHECK_OUT_NOT_AN_OFFICER = (
    "Only a CME officer checks cases out, in their own name: your server login is not "
    "one of the officers (cme_officer)."
)
CHECK_IN_ON_THE_SERVER = (
    "Cases are checked in from the field vault they were taken into: open that vault "
    "(cme-desktop --db visits.cme) and check in from there."
)
CHECK_IN_NOTHING_OUT = "This vault holds no checked-out cases: there is nothing to check in."


def why_no_check_out(db: Database) -> str:
    """Why cases cannot be checked out of ``db`` ("" when they can)."""
    if db.kind != "server":
        return CHECK_OUT_IN_A_VAULT
    try:
        officer = ownership.may_give(db)  # a member of the officers' role
    except CmeError:
        return ""  # the server could not say: the check-out itself will tell
    return "" if officer else CHECK_OUT_NOT_AN_OFFICER


def why_no_check_in(db: Database) -> str:
    """Why nothing can be checked in from ``db`` ("" when its checkout can be)."""
    if db.kind == "server":
        return CHECK_IN_ON_THE_SERVER
    return "" if field_checkout(db) is not None else CHECK_IN_NOTHING_OUT


@dataclass(frozen=True)
class FieldVaultCheckout:
    """A checkout into a field vault, and the vault's recovery key if it was made for it."""

    checked_out: CheckedOut
    #: Shown once; "" when the field vault existed already.
    recovery_key: str


def _say_nothing(_text: str) -> None:
    return None


def check_out_to_field_vault(
    server: ServerDatabase,
    vault: Vault,
    passphrase: str,
    *,
    case_ids: Sequence[int] | None = None,
    say: Callable[[str], None] = _say_nothing,
) -> FieldVaultCheckout:
    """Check cases out of ``server`` into the field vault ``vault`` (module docstring).

    ``vault`` is unlocked with ``passphrase``, or made with it when there is none; a vault
    made here is removed again if the checkout fails. ``say``: what is being done now.
    Raises as ``Vault.unlock``, ``Vault.create`` and ``checkout.check_out`` do.
    """
    actor = server.address.username
    existed = vault.exists
    try:
        if existed:
            say("Opening the field vault…")
            field, recovery_key = vault.unlock(passphrase, actor=actor), ""
        else:
            say("Making the field vault…")
            created = vault.create(passphrase, actor=actor)
            field, recovery_key = created.db, created.recovery_key
        try:
            say("Copying the cases from the server into the field vault…")
            done = check_out(server, field, case_ids=case_ids)
        finally:
            field.close()
    except VaultExists:
        raise  # made meanwhile by someone else: not this call's to remove
    except BaseException:
        if not existed:
            _remove(vault)
        raise
    return FieldVaultCheckout(checked_out=done, recovery_key=recovery_key)


def _remove(vault: Vault) -> None:
    """Remove the files of a field vault made by this call (closed, holding no case).

    The key file's lock file stays: it is empty, and never deleted (``keyfile_lock``).
    """
    path = vault.path
    for leftover in (
        path,
        path.with_name(path.name + "-wal"),
        path.with_name(path.name + "-shm"),
        vault.slots_path,
        vault.attempts_path,
    ):
        leftover.unlink(missing_ok=True)
