"""Reading referrals from files: which parser reads a file, and the passwords it needs.

The front door of every import (the window, ``cme import``, a folder of files):

- ``read_file`` reads one file with one password (or none) and returns its
  referrals; an email is opened and each referral form attached to it read;
- ``read_file_isolated`` does the same in the sandbox (``sandbox.run_isolated``):
  the way to read a file from outside;
- ``read_with_passwords`` does the same for the window: it asks for a password
  for each encrypted attachment, again when one is wrong, and gives up after
  ``max_attempts``, listing what it skipped and why;
- ``read_input_file`` reads a file the officer chose, refusing anything that is
  not a plain file (a pipe, ``/dev/zero``, a device, a socket) before reading,
  and ``iter_folder`` lists the files of a folder worth trying (both in
  ``input_files``).

What a file is comes from ``detect``. Kinds nobody can import (an old ``.doc``,
a spreadsheet, a picture) raise ``UnsupportedFile`` with what to ask the sender
for instead.

This module is imported by the child process of ``sandbox.run_isolated``, so it
imports no parser at load time: each parser's module (and its libraries) is
imported on first use, and only the one a file needs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final, Protocol, TypeVar

from cme_desktop.services.errors import (
    CmeError,
    CorruptFile,
    PasswordRequired,
    UnsupportedFile,
    WrongPassword,
)
from cme_desktop.services.importing.detect import (
    EMAIL_KINDS,
    MAX_FILE_BYTES,
    detect_kind,
    unsupported_message,
)
from cme_desktop.services.importing.input_files import (
    IMPORTABLE_SUFFIXES,
    iter_folder,
    read_input_file,
    too_large,
)
from cme_desktop.services.importing.result import ParsedReferral
from cme_desktop.services.importing.sandbox import (
    DEFAULT_MEMORY_MB,
    DEFAULT_TIMEOUT_S,
    run_isolated,
)

if TYPE_CHECKING:
    from cme_desktop.services.importing.email import EmailContent, EmailInfo

__all__ = [
    "IMPORTABLE_SUFFIXES",
    "PARSERS",
    "ImportOutcome",
    "Parser",
    "PasswordProvider",
    "iter_folder",
    "read_each",
    "read_each_isolated",
    "read_file",
    "read_input_file",
    "read_file_isolated",
    "read_with_passwords",
]

_log = logging.getLogger(__name__)

# --- the parsers ----------------------------------------------------------------


class Parser(Protocol):
    """A format parser: ``parse_docx`` and ``parse_pdf`` have this shape."""

    def __call__(
        self, data: bytes, *, password: str | None, source: str
    ) -> list[ParsedReferral]: ...


def _parse_docx(data: bytes, *, password: str | None, source: str) -> list[ParsedReferral]:
    from cme_desktop.services.importing.docx import parse_docx

    referrals: list[ParsedReferral] = parse_docx(data, password=password, source=source)
    return referrals


def _parse_pdf(data: bytes, *, password: str | None, source: str) -> list[ParsedReferral]:
    from cme_desktop.services.importing.pdf import parse_pdf

    referrals: list[ParsedReferral] = parse_pdf(data, password=password, source=source)
    return referrals


#: The parser for each kind in ``FORM_KINDS``. Tests pass their own table.
PARSERS: Final[Mapping[str, Parser]] = MappingProxyType(
    {"docx": _parse_docx, "encrypted_office": _parse_docx, "pdf": _parse_pdf}
)


def _check_size(data: bytes) -> None:
    if not data:
        raise CorruptFile("The file is empty.")
    if len(data) > MAX_FILE_BYTES:
        raise too_large()


def _parse_document(
    data: bytes,
    *,
    kind: str,
    password: str | None,
    source: str,
    parsers: Mapping[str, Parser] | None = None,
) -> list[ParsedReferral]:
    """One referral form of a known kind, through its parser (run in the sandbox's child)."""
    table = PARSERS if parsers is None else parsers
    parser = table.get(kind)
    if parser is None:
        raise UnsupportedFile(unsupported_message(kind))
    return parser(data, password=password, source=source)


def _with_name(error: CmeError, name: str) -> CmeError:
    """``error`` with the attachment it is about named in front of its message."""
    error.message = f"{name}: {error.message}"
    error.args = (error.message,)
    return error


def read_file(
    data: bytes,
    *,
    filename: str,
    password: str | None,
    parsers: Mapping[str, Parser] | None = None,
) -> list[ParsedReferral]:
    """The referrals in one file: a referral form, or an email with forms attached.

    ``password`` opens an encrypted form; for an email it is tried on every
    attached form (the ``cme import --password-file`` case). Raises
    ``PasswordRequired`` / ``WrongPassword`` (for an email, naming the
    attachment), ``UnsupportedFile`` for kinds that cannot be imported, with
    what to ask the sender for, ``CorruptFile``, ``NotAReferral`` and
    ``HostileFile``. Runs in this process: for a file from outside, use
    ``read_file_isolated``.
    """
    _check_size(data)
    kind = detect_kind(data, filename)
    if kind not in EMAIL_KINDS:
        return _parse_document(data, kind=kind, password=password, source=filename, parsers=parsers)
    from cme_desktop.services.importing.email import open_email

    content = open_email(data, filename=filename)
    referrals: list[ParsedReferral] = []
    for attachment in content.attachments:
        try:
            referrals += _parse_document(
                attachment.data,
                kind=attachment.kind,
                password=password,
                source=f"{filename} › {attachment.name}",
                parsers=parsers,
            )
        except CmeError as error:
            raise _with_name(error, attachment.name) from None
    return referrals


def _attachment_error(error: CmeError, attachment: str, email: str) -> CmeError:
    """``error`` said of one attachment of an email, naming both."""
    where = f"the attachment {attachment} in the email {email}"
    if isinstance(error, PasswordRequired):
        error.message = f"The attachment {attachment} in the email {email} is password-protected."
    elif isinstance(error, WrongPassword):
        error.message = f"The password given does not open {where}."
    else:
        error.message = f"{where[0].upper()}{where[1:]}: {error.message}"
    error.args = (error.message,)
    return error


def read_each(
    data: bytes,
    *,
    filename: str,
    password: str | None,
    parsers: Mapping[str, Parser] | None = None,
) -> list[ParsedReferral | CmeError]:
    """Like ``read_file``, but an email's attachments each succeed or fail on their own.

    Returns the referrals read and, in their place, the error of each attached
    form that could not be read, its message naming the attachment and the
    email ("the attachment X in the email Y is password-protected"), so that a
    batch imports the good forms and reports every bad one. Raises, as
    ``read_file`` does, for a form that is not in an email and for an email
    that cannot be opened at all.
    """
    _check_size(data)
    kind = detect_kind(data, filename)
    if kind not in EMAIL_KINDS:
        return list(
            _parse_document(data, kind=kind, password=password, source=filename, parsers=parsers)
        )
    from cme_desktop.services.importing.email import open_email

    content = open_email(data, filename=filename)
    out: list[ParsedReferral | CmeError] = []
    for attachment in content.attachments:
        try:
            out += _parse_document(
                attachment.data,
                kind=attachment.kind,
                password=password,
                source=f"{filename} › {attachment.name}",
                parsers=parsers,
            )
        except CmeError as error:
            out.append(_attachment_error(error, attachment.name, filename))
    return out


def read_each_isolated(
    data: bytes,
    *,
    filename: str,
    password: str | None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    memory_mb: int = DEFAULT_MEMORY_MB,
) -> list[ParsedReferral | CmeError]:
    """``read_each`` run through ``sandbox.run_isolated``: the way to read a batch's file."""
    return run_isolated(
        read_each,
        data,
        filename=filename,
        password=password,
        timeout_s=timeout_s,
        memory_mb=memory_mb,
    )


def read_file_isolated(
    data: bytes,
    *,
    filename: str,
    password: str | None,
    parsers: Mapping[str, Parser] | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    memory_mb: int = DEFAULT_MEMORY_MB,
) -> list[ParsedReferral]:
    """``read_file`` run through ``sandbox.run_isolated``: the way to read a file from outside.

    Raises what ``read_file`` raises, and ``HostileFile`` for a file that
    takes longer than ``timeout_s`` seconds or more than ``memory_mb`` MB.
    """
    return run_isolated(
        read_file,
        data,
        filename=filename,
        password=password,
        parsers=parsers,
        timeout_s=timeout_s,
        memory_mb=memory_mb,
    )


# --- asking for passwords -------------------------------------------------------

#: Asked for the password of the attachment named first, at the attempt numbered
#: second (1, 2, ...); returns ``None`` when the officer gives up on that attachment.
PasswordProvider = Callable[[str, int], str | None]


@dataclass(frozen=True)
class ImportOutcome:
    """What ``read_with_passwords`` read from one file.

    ``skipped`` names each form that was not read and why, in words for the
    officer (e.g. a wrong password three times, a damaged attachment, an old
    ``.doc`` form). ``email`` is the carrying email's sender, subject and date,
    or ``None`` when the file was a form itself.
    """

    referrals: list[ParsedReferral]
    skipped: list[tuple[str, str]]
    email: EmailInfo | None = None


_R = TypeVar("_R")


def _run_here(func: Callable[..., _R], /, *args: Any, **kwargs: Any) -> _R:
    return func(*args, **kwargs)


def read_with_passwords(
    data: bytes,
    *,
    filename: str,
    ask: PasswordProvider,
    max_attempts: int = 3,
    parsers: Mapping[str, Parser] | None = None,
    isolated: bool = True,
) -> ImportOutcome:
    """The referrals in one file, asking for each encrypted form's password as it comes.

    ``ask`` is called only for a form that turns out to be encrypted, once,
    then again after each wrong password, at most ``max_attempts`` times;
    ``None`` from it skips that form. Each form that cannot be read is listed in
    ``skipped`` with the reason, and the others are still read. Only a file that
    cannot be opened at all raises (an email with no form attached:
    ``NotAReferral``; damaged: ``CorruptFile``; too large: ``HostileFile``).

    With ``isolated`` (the default) the email and every form are read in a
    separate process (``sandbox.run_isolated``), so a hostile file cannot hang
    or exhaust the application; ``parsers`` must then be top-level functions.
    """
    if max_attempts < 1:
        raise ValueError("max_attempts must be at least 1")
    run: Callable[..., Any] = run_isolated if isolated else _run_here
    _check_size(data)
    kind = detect_kind(data, filename)
    # A file's name may name a child: the log has its kind and size only.
    _log.info("import: a %s file of %d bytes", kind, len(data))
    email: EmailInfo | None = None
    skipped: list[tuple[str, str]] = []
    documents: list[tuple[str, bytes, str, str]] = []  # name, data, kind, source
    if kind in EMAIL_KINDS:
        from cme_desktop.services.importing.email import TNEF_MESSAGE, is_winmail_dat, open_email

        content: EmailContent = run(open_email, data, filename=filename)
        email = content.info
        for attachment in content.attachments:
            source = f"{filename} › {attachment.name}"
            documents.append((attachment.name, attachment.data, attachment.kind, source))
        skipped += [
            (name, unsupported_message(other_kind))
            for name, other_kind in content.others
            if other_kind == "doc"
        ]
        skipped += [(name, TNEF_MESSAGE) for name, _ in content.others if is_winmail_dat(name)]
    else:
        documents.append((filename, data, kind, filename))

    referrals: list[ParsedReferral] = []
    for name, document, document_kind, source in documents:
        try:
            referrals += _read_asking(
                run,
                document,
                name=name,
                kind=document_kind,
                source=source,
                ask=ask,
                max_attempts=max_attempts,
                parsers=parsers,
            )
        except CmeError as error:
            skipped.append((name, error.message))
            _log.info("import: a %s form not read (%s)", document_kind, type(error).__name__)
    _log.info("import: %d referral(s) read, %d item(s) skipped", len(referrals), len(skipped))
    return ImportOutcome(referrals=referrals, skipped=skipped, email=email)


def _read_asking(
    run: Callable[..., Any],
    data: bytes,
    *,
    name: str,
    kind: str,
    source: str,
    ask: PasswordProvider,
    max_attempts: int,
    parsers: Mapping[str, Parser] | None,
) -> list[ParsedReferral]:
    attempt = 0
    # An encrypted Office file needs a password for certain: ask before the first read,
    # which saves starting a process only to hear so. A PDF tells only once opened.
    asking = kind == "encrypted_office"
    password: str | None = None
    while True:
        if asking:
            attempt += 1
            password = ask(name, attempt)
            if password is None:
                raise PasswordRequired("No password was given, so the file was not opened.")
        try:
            referrals: list[ParsedReferral] = run(
                _parse_document, data, kind=kind, password=password, source=source, parsers=parsers
            )
            return referrals
        except (PasswordRequired, WrongPassword) as error:
            if attempt >= max_attempts:
                raise WrongPassword(
                    f"{error.message} Stopped after {max_attempts} attempts: check the "
                    "password with the sender (by phone or text message, not email)."
                ) from None
        asking = True
