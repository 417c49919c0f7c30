"""Typed errors, each with a message a council officer understands.

Every error the services raise is a ``CmeError``. ``exit_code`` is what the
``cme`` command returns for it (spec/cli.md): 3 for a wrong or missing
passphrase or password, 4 for an input file that cannot be read as what it
should be (a damaged vault or key file included), 1 for anything else.
"""

from __future__ import annotations


class CmeError(Exception):
    """Base of every error the application explains to the officer."""

    exit_code = 1
    default_message = "Something went wrong."

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.default_message
        super().__init__(self.message)


# --- the vault -------------------------------------------------------------


class WrongPassphrase(CmeError):
    exit_code = 3
    default_message = "That passphrase does not open this vault."


class PassphraseRequired(CmeError):
    exit_code = 3
    default_message = "A passphrase is needed to open the vault."


class WeakPassphrase(CmeError):
    exit_code = 2
    default_message = "That passphrase is too short: use at least 10 characters."


class VaultNotFound(CmeError):
    default_message = "There is no vault at that place. Create one first (cme init)."


class VaultExists(CmeError):
    default_message = "A vault already exists there; it has not been touched."


class VaultDamaged(CmeError):
    exit_code = 4
    default_message = (
        "The vault file is damaged or is not a CME vault. Nothing has been changed: "
        "restore the latest monthly backup or contact IT support."
    )


class KeyFileDamaged(CmeError):
    exit_code = 4
    default_message = (
        "The vault's key file is damaged. Nothing has been changed: unlock with the "
        "recovery key is not possible until the key file is restored from a backup."
    )


class VaultLocked(CmeError):
    default_message = "The vault is locked. Unlock it to continue."


class VaultBusy(CmeError):
    default_message = "The vault is in use by another copy of CME Desktop."


class AuditTampered(CmeError):
    default_message = "The audit log has been altered: the hash chain is broken."


class KeyringUnavailable(CmeError):
    default_message = "This computer has no secure credential store to remember the vault."


# --- the case record -------------------------------------------------------


class NotFound(CmeError):
    default_message = "That record no longer exists."


class InvalidInput(CmeError):
    """A value the officer typed cannot be saved; the message names the field."""

    exit_code = 2
    default_message = "Some details are not valid."

    def __init__(self, message: str | None = None, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class CaseErased(InvalidInput):
    """The case's personal data was erased under the retention rule (``cases.erasure``):
    nothing may be written back onto it, and no document made from it."""

    default_message = (
        "This child's personal data was erased under the retention rule; the case keeps "
        "only its figures."
    )


class ClosureRefused(InvalidInput):
    """A case cannot close with the chosen outcome: ``missing`` names what it still needs."""

    default_message = "The case cannot close this way yet: some details are missing."

    def __init__(
        self, message: str | None = None, *, missing: tuple[str, ...] = (), field: str | None = None
    ) -> None:
        super().__init__(message, field=field)
        self.missing = missing


# --- files in and out ------------------------------------------------------


class WrongPassword(CmeError):
    exit_code = 3
    default_message = "That password does not open the file."


class PasswordRequired(CmeError):
    exit_code = 3
    default_message = "This file is password-protected: a password is needed."


class UnreadableFile(CmeError):
    """Base of the errors for an input file that cannot be read as what it should be."""

    exit_code = 4
    default_message = "The file cannot be read."


class UnsupportedFile(UnreadableFile):
    default_message = "This kind of file cannot be imported."


class CorruptFile(UnreadableFile):
    default_message = "The file is damaged or incomplete."


class NotAReferral(UnreadableFile):
    default_message = "The file does not contain a CME referral form."


class NotARegisterRecord(UnreadableFile):
    default_message = "The file does not hold a register entry (cme-register/1)."


class HostileFile(UnreadableFile):
    default_message = "The file is too large or too complex to open safely."


class AlreadyImported(CmeError):
    """The very same file (by its SHA-256) was imported before; nothing was saved again.

    ``case_ids`` are the cases it went to then. ``cme import`` reports it and
    carries on: the file is in the vault, so there is nothing to put right.
    """

    default_message = "This file was already imported, so nothing was imported again."

    def __init__(self, message: str | None = None, *, case_ids: tuple[int, ...] = ()) -> None:
        super().__init__(message)
        self.case_ids = case_ids


class OutputError(CmeError):
    default_message = "The file could not be written; nothing was left at the target."


class ReturnBlocked(CmeError):
    """The DfE return cannot be written: counted cases lack what it needs, or it does not add up.

    ``problems`` are one line each (a case, or a check of the file that failed).
    """

    default_message = "The DfE return is not ready: some counted cases need details first."

    def __init__(self, message: str | None = None, *, problems: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.problems = problems


# --- the shared server ------------------------------------------------------


class ServerUnavailable(CmeError):
    """The server cannot be reached, has no such database, or its certificate is refused."""

    default_message = "The CME server cannot be reached. Check the network, then try again."


class ServerLoginFailed(CmeError):
    exit_code = 3
    default_message = "The server refused the login: the password is wrong."


class ServerLoginRequired(CmeError):
    exit_code = 3
    default_message = "The server needs a password for this login."


class ChangedElsewhere(InvalidInput):
    """Someone else saved the record since it was read: nothing was overwritten.

    ``changed_by``/``changed_at``: the last change to it (from the audit log), when known;
    ``fields``: what that person changed, as the audit log names the fields.
    """

    default_message = "This record was changed by someone else since you opened it."

    def __init__(
        self,
        message: str | None = None,
        *,
        entity: str = "",
        entity_id: int | None = None,
        changed_by: str = "",
        changed_at: str = "",
        fields: tuple[str, ...] = (),
    ) -> None:
        super().__init__(message)
        self.entity = entity
        self.entity_id = entity_id
        self.changed_by = changed_by
        self.changed_at = changed_at
        self.fields = fields
