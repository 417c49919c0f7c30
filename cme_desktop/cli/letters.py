"""``cme letter``: one of the standard letters for a case, filled in and saved protected.

The same service as Case > Letter… in the window: the template filled from the
case and the settings, or the officer's own text (``--text-file``, UTF-8), saved
as a PDF or Word document protected with a password (``--plain`` writes it
unprotected, audited), and "Letter sent" noted on the case's timeline. The register's
letters go to the register's parents, one letter per home address (``--to N`` picks
which; the others are listed); with no parent on the register, to the case's carers,
and the command says so.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cme_desktop.cli.common import (
    EXIT_OK,
    UsageError,
    new_file_password,
    open_db,
    vault_authority,
)
from cme_desktop.services.errors import InvalidInput

if TYPE_CHECKING:
    from cme_desktop.services.documents.letters import Addressee

#: Far beyond any letter; a larger --text-file is refused before it is read.
MAX_TEXT_FILE = 200_000


def add_commands(sub: Any) -> None:
    """Register ``letter`` on the parser."""
    p = sub.add_parser("letter", help="a standard letter for a case, as a protected PDF or Word")
    p.add_argument("case_id", type=int)
    p.add_argument(
        "--template",
        required=True,
        metavar="NAME",
        help=(
            "parents-after-home-visit, school-enquiry, other-authority-enquiry, "
            "register-information-request or register-notice-before-sao"
        ),
    )
    p.add_argument(
        "--to",
        type=int,
        default=1,
        metavar="N",
        help="a register letter: to the Nth home address of the register's parents (1)",
    )
    p.add_argument("--out", type=Path, required=True, help="FILE.pdf or FILE.docx")
    p.add_argument(
        "--text-file", type=Path, default=None, help="the letter as edited (default: filled in)"
    )
    p.add_argument(
        "--password-file", type=Path, default=None, help="the password, on its first line"
    )
    p.add_argument(
        "--plain",
        action="store_true",
        help="write the letter unprotected; the audit log records it",
    )
    p.set_defaults(func=_letter)


def _text_of(path: Path) -> str:
    try:
        if path.stat().st_size > MAX_TEXT_FILE:
            raise InvalidInput(f"{path.name} is far larger than a letter.", field="text")
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(f"{path.name} is not a text file (UTF-8).", field="text") from None
    except OSError as exc:
        raise InvalidInput(f"{path.name} cannot be read: {exc.strerror}.", field="text") from None


def _listed(addressees: Sequence[Addressee]) -> str:
    return "; ".join(f"{n}. {a.label()}" for n, a in enumerate(addressees, 1))


def _letter(args: argparse.Namespace) -> int:
    from cme_desktop.services.documents.letters import LetterService, blanks_in, template_named
    from cme_desktop.services.protection.outputs import check_password, format_of

    fmt = format_of(args.out, allowed=("pdf", "docx"))
    template = template_named(args.template)
    text = _text_of(args.text_file) if args.text_file is not None else None
    password: str | None = None
    if args.plain:
        if args.password_file is not None:
            raise UsageError("--plain writes the file unprotected: leave out --password-file.")
    else:
        password = new_file_password(args.password_file, args.out.name)
        check_password(password, fmt=fmt)
    db = open_db(args)
    try:
        service = LetterService(db)
        authority = vault_authority(db)
        recipients = service.recipients(args.case_id, template)
        addressees = recipients.addressees
        if not 1 <= args.to <= len(addressees):
            raise UsageError(
                f"--to is 1 to {len(addressees)}: the letter goes to {_listed(addressees)}."
            )
        to = addressees[args.to - 1]
        if text is None:
            text = service.draft(args.case_id, template, authority=authority, to=to)
        saved = service.save(
            args.case_id, template, text, args.out, authority=authority, password=password, to=to
        )
    finally:
        db.close()
    if recipients.note:
        print(recipients.note, file=sys.stderr)
    if template.to_register_parents and len(addressees) > 1:
        print(
            f"The parents live at {len(addressees)} addresses: {_listed(addressees)}. "
            f"This letter is to number {args.to}; write the others with --to.",
            file=sys.stderr,
        )
    how = "protected with your password" if saved.protected else "unprotected: keep it safe"
    print(f"Letter “{template.title}” written to {saved.path} ({how}).")
    blanks = blanks_in(text)
    if blanks:
        print(
            f"It still has blanks to fill in: {', '.join(blanks)}. Fill them in a copy of the "
            "text and give it with --text-file.",
            file=sys.stderr,
        )
    return EXIT_OK
