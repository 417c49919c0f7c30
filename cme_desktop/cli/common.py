"""What every ``cme`` command shares: exit codes, prompts, opening the vault, errors to exit codes.

Exit codes: 0 done; 2 usage; 3 wrong or missing passphrase or password;
4 an input file that cannot be read as what it should be; 1 anything else.
Every failure prints one clear line on stderr, never a traceback.

Like the window, the command waits before trying a passphrase after repeated wrong
ones (``unlock_delay_seconds``, from the failures the vault has recorded), and says
so. Read-only commands wait a little for a vault another program is writing to
(``BusyWait``), then give up with a clear line.

The services are imported inside the functions that use them, so that ``cme --help``
and a usage error stay quick.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn, TypeVar

from cme_desktop.services.diagnostics import log_unexpected
from cme_desktop.services.errors import CmeError, PassphraseRequired, PasswordRequired, VaultBusy

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2

Handler = Callable[[argparse.Namespace], int]
T = TypeVar("T")

#: How long, in all, a read-only command waits for a vault another program is writing to.
BUSY_WAIT = 10.0
#: How long one try waits for the write lock inside SQLite, and the pause between tries.
BUSY_STEP = 0.5
BUSY_MESSAGE = "The vault is busy: another program is writing to it. Try again in a moment."


class Parser(argparse.ArgumentParser):
    """A parser whose usage errors end with exit code 2 and one line pointing to ``--help``."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"cme: {message} (see cme --help)\n")


class UsageError(Exception):
    """An argument the parser accepted but the command cannot use (exit code 2)."""


# --- passphrases and passwords ----------------------------------------------------


def _ask(prompt: str) -> str | None:
    if not sys.stdin or not sys.stdin.isatty():
        return None
    try:
        return getpass.getpass(prompt)
    except (EOFError, KeyboardInterrupt):
        return None


def vault_passphrase(*, confirm: bool = False) -> str:
    """From ``CME_PASSPHRASE``, else asked on the terminal (never echoed)."""
    value = os.environ.get("CME_PASSPHRASE")
    if value:
        return value
    value = _ask("Vault passphrase: ")
    if not value:
        raise PassphraseRequired(
            "A vault passphrase is needed: set CME_PASSPHRASE or run from a terminal."
        )
    if confirm and _ask("Type it again: ") != value:
        raise PassphraseRequired("The two passphrases differ.")
    return value


def file_password(password_file: Path | None, name: str) -> str:
    """The first line of ``--password-file``, else asked on the terminal."""
    if password_file is not None:
        try:
            lines = password_file.read_text("utf-8").splitlines()
        except OSError as exc:
            raise PasswordRequired(f"Cannot read the password file: {exc.strerror}.") from exc
        if lines and lines[0]:
            return lines[0]
        raise PasswordRequired("The password file is empty.")
    value = _ask(f"Password for {name}: ")
    if not value:
        raise PasswordRequired(f"{name} is password-protected: give --password-file.")
    return value


def new_file_password(password_file: Path | None, name: str) -> str:
    """The password for a new protected file: ``--password-file``'s first line, else asked twice."""
    if password_file is not None:
        return file_password(password_file, name)
    value = _ask(f"Password to protect {name}: ")
    if not value:
        raise PasswordRequired(
            f"{name} names children, so it is protected with a password: give --password-file "
            "(or --plain to write it unprotected)."
        )
    if _ask("Type it again: ") != value:
        raise PasswordRequired("The two passwords differ.")
    return value


# --- opening the vault ---------------------------------------------------------------


def say(text: str) -> None:
    """A notice on stderr while the command works (not a failure)."""
    print(f"cme: {text}", file=sys.stderr, flush=True)


def vault_of(args: argparse.Namespace, *, busy_timeout: float | None = None) -> Any:
    """The vault named by ``--db`` (or the default one), not yet unlocked."""
    from cme_desktop.services.vault.secret_store import system_secret_store
    from cme_desktop.services.vault.unlock import Vault

    if busy_timeout is None:
        return Vault(args.db, secret_store=system_secret_store())
    return Vault(args.db, secret_store=system_secret_store(), busy_timeout=busy_timeout)


def unlock_backoff(vault: Any, *, sleep: Callable[[float], None] = time.sleep) -> float:
    """Wait before a try as the window does after repeated wrong passphrases; the seconds waited.

    The wait comes from the failures the vault has recorded since its last unlock
    (``unlock_delay_seconds``: none for the first three, then growing, capped), so the
    window and the command agree, and starting the command again does not skip it.
    """
    from cme_desktop.services.vault.unlock import unlock_delay_seconds

    failures = vault.failed_attempts()
    delay = unlock_delay_seconds(failures)
    if delay > 0:
        say(f"waiting {delay:g} s after {failures} wrong passphrases.")
        sleep(delay)
    return delay


class BusyWait:
    """How long a read-only command waits, in all, for a vault another program is writing to.

    ``run(call)`` tries ``call`` again while it finds the vault busy, saying once that it
    waits; past ``seconds`` of waiting in all it raises ``VaultBusy`` with ``BUSY_MESSAGE``.
    """

    def __init__(
        self,
        seconds: float | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.seconds = BUSY_WAIT if seconds is None else seconds
        self.waited = 0.0
        self.told = False
        self._sleep = sleep
        self._clock = clock

    def run(self, call: Callable[[], T]) -> T:
        """``call()``, tried again while the vault is busy, up to the bound."""
        while True:
            started = self._clock()
            try:
                return call()
            except VaultBusy:
                self.waited += self._clock() - started
            if self.waited >= self.seconds:
                raise VaultBusy(BUSY_MESSAGE)
            if not self.told:
                self.told = True
                say(
                    "the vault is busy: another program is writing to it. "
                    f"Waiting up to {self.seconds:g} s…"
                )
            pause = min(BUSY_STEP, self.seconds - self.waited)
            self._sleep(pause)
            self.waited += pause


def open_db(args: argparse.Namespace, *, busy: BusyWait | None = None, warn: bool = True) -> Any:
    """Unlock the vault named by ``--db`` (or the default one); with ``--server``, log in
    to that server instead (``cli.server_login``).

    ``warn``: say on stderr what the unlock found wrong (damage, audit rows missing,
    an edited key file); ``cme check`` reports them itself.

    ``busy``: for a read-only command, wait for a busy vault within that bound (each
    connection then waits ``BUSY_STEP`` for the write lock, and ``busy.run`` tries again),
    instead of SQLite's own long wait.
    """
    from cme_desktop.services import settings

    if getattr(args, "server", None):
        # The shared server instead of a vault (``cme --server URL ...``).
        from cme_desktop.cli.server_login import open_server

        return open_server(args)
    vault = vault_of(args, busy_timeout=None if busy is None else BUSY_STEP)
    unlock_backoff(vault)
    passphrase = vault_passphrase()
    actor = os.environ.get("CME_ACTOR", "cme command")
    if busy is None:
        db = vault.unlock(passphrase, actor=actor)
    else:
        db = busy.run(lambda: vault.unlock(passphrase, actor=actor))
    if warn:
        for finding in db.findings:
            say(f"warning: {finding.message}")
    officer = settings.SettingsService(db).load().officer_name
    if officer and "CME_ACTOR" not in os.environ:
        db.actor = f"{officer} (cme command)"
    return db


def vault_authority(db: Any) -> Any:
    """The council's name and look for documents, from the vault's settings."""
    from cme_desktop.services.settings import SettingsService, authority_of

    return authority_of(SettingsService(db).load())


# --- errors to exit codes ---------------------------------------------------------------


def run(handler: Handler, args: argparse.Namespace) -> int:
    """Run one command; any failure becomes one line on stderr and its exit code."""
    try:
        return handler(args)
    except UsageError as exc:
        print(f"cme: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except CmeError as exc:
        print(f"cme: {exc.message}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:
        return EXIT_OK  # the reader (e.g. `head`) stopped early; nothing went wrong
    except KeyboardInterrupt:
        print("cme: stopped.", file=sys.stderr)
        return EXIT_ERROR
    except OSError as exc:
        print(f"cme: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), file=sys.stderr)
        return EXIT_ERROR
    except Exception as exc:  # noqa: BLE001 - the command never shows a traceback
        print(f"cme: unexpected error ({type(exc).__name__}): {exc}", file=sys.stderr)
        log_unexpected(exc, f"cme {getattr(args, 'command', '')}".rstrip())
        return EXIT_ERROR
