"""The email that carried a referral: who sent it, when, and the forms attached to it.

Reads a saved ``.eml`` (MIME, with the standard library) and an Outlook
``.msg`` (with ``outlook_msg``), both from bytes in memory: nothing from the
email, least of all its attachments, is written to disk.

Every attachment that may be a referral form (a ``.docx``, an encrypted Office
file, a PDF: ``FORM_KINDS``) is returned with its bytes, also from a message
forwarded as an attachment (``message/rfc822``, an ``.eml`` or ``.msg`` file
attached, or an Outlook item embedded in an ``.msg``), down to
``MAX_NESTED_MESSAGES`` levels. Other attachments are only named, so that the
officer hears what was found instead of a referral.

Hostile emails are why the limits exist; the sandbox (``sandbox.run_isolated``)
is the guard against what no limit here catches.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.policy import default as default_policy
from typing import Any, Final

from cme_desktop.services.errors import CorruptFile, HostileFile, NotAReferral, UnsupportedFile
from cme_desktop.services.importing.detect import (
    EMAIL_KINDS,
    FORM_KINDS,
    MAX_FILE_BYTES,
    detect_kind,
    unsupported_message,
)
from cme_desktop.services.importing.outlook_msg import OutlookMessage, read_outlook_message

__all__ = [
    "MAX_ATTACHMENTS",
    "MAX_EMAIL_BYTES",
    "MAX_NESTED_MESSAGES",
    "Attachment",
    "EmailContent",
    "EmailInfo",
    "TNEF_MESSAGE",
    "is_winmail_dat",
    "open_email",
    "read_eml",
    "read_msg",
]

MAX_EMAIL_BYTES: Final = MAX_FILE_BYTES
#: Attachments (of every kind, at every level) an email may have before it is refused.
MAX_ATTACHMENTS: Final = 50
#: How deep forwarded messages are opened: 1 is a message attached to the email.
MAX_NESTED_MESSAGES: Final = 3
# MIME parts walked in all: inline pictures and alternative bodies count here,
# not as attachments, but a message of thousands of parts is not a real email.
_MAX_PARTS: Final = 500
_SEPARATOR: Final = " › "


@dataclass(frozen=True)
class EmailInfo:
    """The carrying email, for the audit log and the review screen."""

    sender: str
    subject: str
    date: datetime | None
    filename: str


@dataclass(frozen=True)
class Attachment:
    """An attached file that may be a referral form.

    ``name`` is the attachment's file name, led by the forwarded messages it
    sits in (``"Fwd: referral.eml › referral.docx"``).
    """

    name: str
    data: bytes = field(repr=False)
    kind: str


@dataclass(frozen=True)
class EmailContent:
    """An email's details, its possible referral forms, and the (name, kind) of the rest."""

    info: EmailInfo
    attachments: tuple[Attachment, ...]
    others: tuple[tuple[str, str], ...]


class _Collector:
    """What has been found so far, across nested messages, with the limits."""

    def __init__(self) -> None:
        self.forms: list[Attachment] = []
        self.others: list[tuple[str, str]] = []
        self.attachments = 0
        self.parts = 0

    def count_part(self) -> None:
        self.parts += 1
        if self.parts > _MAX_PARTS:
            raise HostileFile(
                "The email is built of far more parts than a real email: it was not "
                "opened, as it may be damaged or built to cause harm."
            )

    def add(self, name: str, data: bytes, *, depth: int) -> None:
        """Keep one attached file: a form, a forwarded message to open, or just its name."""
        self.attachments += 1
        if self.attachments > MAX_ATTACHMENTS:
            raise HostileFile(
                f"The email has more than {MAX_ATTACHMENTS} attachments: too many to open "
                "safely. Ask the sender to send the referral form on its own."
            )
        kind = detect_kind(data, name)
        if kind in FORM_KINDS:
            self.forms.append(Attachment(name=name, data=data, kind=kind))
        elif kind in EMAIL_KINDS and depth < MAX_NESTED_MESSAGES:
            if kind == "eml":
                _collect_eml(_parse_eml(data), self, prefix=name, depth=depth + 1)
            else:
                msg = _open_msg(data, depth=depth + 1)
                _collect_msg(msg, self, prefix=name, depth=depth + 1)
        else:
            self.others.append((name, kind))

    def content(self, info: EmailInfo) -> EmailContent:
        if not self.forms:
            raise NotAReferral(_no_form_message(self.others))
        return EmailContent(info=info, attachments=tuple(self.forms), others=tuple(self.others))


#: What Outlook attaches instead of the files when it sends in Rich Text (TNEF).
_TNEF_NAME: Final = "winmail.dat"
TNEF_MESSAGE: Final = (
    "The attachment winmail.dat means the sender's Outlook is set to send Rich Text, which "
    "wraps the attached files so that only Outlook can open them. Ask the sender to send "
    "the form again with the message format set to HTML or Plain Text (in Outlook: Format "
    "Text › HTML, or File › Options › Mail › Compose messages in HTML), or to attach it to "
    "a new email."
)


def is_winmail_dat(name: str) -> bool:
    """True for Outlook's Rich Text wrapper of the attachments, ``winmail.dat``."""
    return name.rsplit(_SEPARATOR, 1)[-1].strip().lower() == _TNEF_NAME


def _no_form_message(others: list[tuple[str, str]]) -> str:
    if not others:
        return "The email has no referral form attached (it has no attachments)."
    names = ", ".join(name for name, _ in others)
    message = f"The email has no referral form attached (found: {names})."
    if any(is_winmail_dat(name) for name, _ in others):
        return f"{message} {TNEF_MESSAGE}"
    old_word = [name for name, kind in others if kind == "doc"]
    if old_word:
        message += f" {old_word[0]}: {unsupported_message('doc')}"
    return message


def _check_email_size(data: bytes) -> None:
    if len(data) > MAX_EMAIL_BYTES:
        raise HostileFile(
            f"The email is larger than {MAX_EMAIL_BYTES // (1024 * 1024)} MB: far larger than "
            "an email with a referral form, so it was not opened."
        )


def open_email(data: bytes, *, filename: str) -> EmailContent:
    """The details and possible referral forms of a saved email (``.eml`` or ``.msg``).

    Raises ``NotAReferral`` when nothing attached can be a referral form (the
    message names what was attached), ``CorruptFile`` for a damaged email,
    ``HostileFile`` past the size and attachment limits, ``UnsupportedFile``
    for a file that is not an email.
    """
    kind = detect_kind(data, filename)
    if kind == "eml":
        return read_eml(data, filename=filename)
    if kind == "msg":
        return read_msg(data, filename=filename)
    raise UnsupportedFile(unsupported_message(kind))


# --- .eml -------------------------------------------------------------------------


def _parse_eml(data: bytes) -> EmailMessage:
    _check_email_size(data)
    parsed: EmailMessage = BytesParser(policy=default_policy).parsebytes(data)
    return parsed


def _header_text(message: Message, name: str) -> str:
    try:
        value = message.get(name)
    except (ValueError, IndexError, TypeError, AttributeError):
        # A header the library's parser cannot read is shown as if absent.
        return ""
    return " ".join(str(value).split()) if value is not None else ""


def _header_date(message: Message) -> datetime | None:
    try:
        value: Any = message.get("date")
    except (ValueError, IndexError, TypeError, AttributeError):
        return None
    when = getattr(value, "datetime", None)
    return when if isinstance(when, datetime) else None


def _eml_info(message: Message, filename: str) -> EmailInfo:
    return EmailInfo(
        sender=_header_text(message, "from"),
        subject=_header_text(message, "subject"),
        date=_header_date(message),
        filename=filename,
    )


def _part_name(part: Message, number: int) -> str:
    try:
        name = part.get_filename()
    except (ValueError, IndexError, TypeError, AttributeError):
        name = None
    return " ".join(name.split()) if name else f"attachment {number}"


def _collect_eml(message: Message, found: _Collector, *, prefix: str, depth: int) -> None:
    lead = f"{prefix}{_SEPARATOR}" if prefix else ""
    pending: list[Message] = [message]  # a stack, so that parts come in the email's order
    while pending:
        part = pending.pop()
        found.count_part()
        payload = part.get_payload()
        forwarded = _forwarded_message(part) if part is not message else None
        if forwarded is not None:
            name = lead + _forwarded_name(part, forwarded)
            if depth >= MAX_NESTED_MESSAGES:
                found.others.append((name, "eml"))
            else:
                _collect_eml(forwarded, found, prefix=name, depth=depth + 1)
            continue
        if part.is_multipart():
            if isinstance(payload, list):
                pending.extend(child for child in reversed(payload) if isinstance(child, Message))
            continue
        if not _is_attachment(part):
            continue
        data = part.get_payload(decode=True)
        if isinstance(data, bytes):
            found.add(lead + _part_name(part, found.attachments + 1), data, depth=depth)


def _forwarded_message(part: Message) -> Message | None:
    """The message inside a ``message/rfc822`` part ("Forward as attachment"), if any."""
    if part.get_content_maintype() != "message":
        return None
    payload = part.get_payload()
    if isinstance(payload, list) and payload and isinstance(payload[0], Message):
        return payload[0]
    return None


def _forwarded_name(part: Message, forwarded: Message) -> str:
    try:
        filename = part.get_filename()
    except (ValueError, IndexError, TypeError, AttributeError):
        filename = None
    if filename:
        return " ".join(filename.split())
    subject = _header_text(forwarded, "subject")
    return f"{subject}.eml" if subject else "forwarded message.eml"


def _is_attachment(part: Message) -> bool:
    if part.get_content_disposition() == "attachment":
        return True
    try:
        has_name = part.get_filename() is not None
    except (ValueError, IndexError, TypeError, AttributeError):
        has_name = False
    # A body is text without a name; anything else (a PDF sent "inline") may be the form.
    return has_name or part.get_content_maintype() not in ("text", "multipart")


def read_eml(data: bytes, *, filename: str) -> EmailContent:
    """The details and possible referral forms of a saved MIME email (``.eml``).

    Raises as ``open_email``.
    """
    message = _parse_eml(data)
    if not message.keys():
        raise CorruptFile("The file is not a readable email: it has no headers.")
    found = _Collector()
    _collect_eml(message, found, prefix="", depth=0)
    return found.content(_eml_info(message, filename))


# --- Outlook .msg ---------------------------------------------------------------------


def _open_msg(data: bytes, *, depth: int) -> OutlookMessage:
    """An Outlook message found ``depth`` levels down, its own items opened to the limit."""
    _check_email_size(data)
    # The collector counts attachments one by one against MAX_ATTACHMENTS; the
    # reader's own count (of parts, embedded items included) is only the backstop.
    return read_outlook_message(
        data,
        max_depth=MAX_NESTED_MESSAGES - depth,
        max_attachments=_MAX_PARTS,
        max_bytes=MAX_EMAIL_BYTES,
    )


def _msg_info(msg: OutlookMessage, filename: str) -> EmailInfo:
    return EmailInfo(
        sender=" ".join(msg.sender.split()),
        subject=" ".join(msg.subject.split()),
        date=msg.sent,
        filename=filename,
    )


def _collect_msg(msg: OutlookMessage, found: _Collector, *, prefix: str, depth: int) -> None:
    lead = f"{prefix}{_SEPARATOR}" if prefix else ""
    for number, attachment in enumerate(msg.attachments, start=1):
        name = lead + (" ".join(attachment.name.split()) or f"attachment {number}")
        found.count_part()
        if attachment.kind == "message":  # an Outlook item embedded in this one
            if attachment.message is None:  # past MAX_NESTED_MESSAGES: not opened
                found.others.append((name, "msg"))
            else:
                _collect_msg(attachment.message, found, prefix=name, depth=depth + 1)
        elif attachment.kind == "signed" and attachment.data is not None:
            # A message signed with S/MIME: its real content, attachments and all, is MIME.
            _collect_eml(_parse_eml(attachment.data), found, prefix=prefix, depth=depth)
        elif attachment.data is not None:
            found.add(name, attachment.data, depth=depth)
        else:
            # A link to a web file, a broken or unknown attachment: nothing to read.
            found.others.append((name, "unsupported"))


def read_msg(data: bytes, *, filename: str) -> EmailContent:
    """The details and possible referral forms of a saved Outlook message (``.msg``).

    Read from memory through ``outlook_msg`` (on ``olefile``). Raises as ``open_email``.
    """
    msg = _open_msg(data, depth=0)
    found = _Collector()
    _collect_msg(msg, found, prefix="", depth=0)
    return found.content(_msg_info(msg, filename))
