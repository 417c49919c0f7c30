"""What every ``cme`` command shares: exit codes, prompts, opening the vault, errors to exit codes.

Exit codes: 0 done; 2 usage; 3 wrong or missing passphrase or password;
4 an input file that cannot be read as what it should be; 1 anything else.
Every failure prints one clear line on stderr, never a traceback.

The services are imported inside the functions that use them, so that ``cme --help``
and a usage error stay quick.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

from cme_desktop.services.errors import CmeError, PassphraseRequired, PasswordRequired

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2

Handler = Callable[[argparse.Namespace], int]


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


# --- opening the vault ---------------------------------------------------------------


def vault_of(args: argparse.Namespace) -> Any:
    """The vault named by ``--db`` (or the default one), not yet unlocked."""
    from cme_desktop.services.vault.secret_store import system_secret_store
    from cme_desktop.services.vault.unlock import Vault

    return Vault(args.db, secret_store=system_secret_store())


def open_db(args: argparse.Namespace) -> Any:
    """Unlock the vault named by ``--db`` (or the default one)."""
    from cme_desktop.services import settings

    vault = vault_of(args)
    db = vault.unlock(vault_passphrase(), actor=os.environ.get("CME_ACTOR", "cme command"))
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
        return EXIT_ERROR
