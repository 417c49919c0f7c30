"""``cme`` commands for files in and out: import, export, blank-form, visit-sheet."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cme_desktop.cli import school_returns
from cme_desktop.cli.common import (
    EXIT_OK,
    UsageError,
    file_password,
    new_file_password,
    open_db,
    vault_authority,
)
from cme_desktop.services.atomic_file import write_atomically
from cme_desktop.services.errors import (
    AlreadyImported,
    CmeError,
    CorruptFile,
    HostileFile,
    NotAReferral,
    PasswordRequired,
    WrongPassword,
)

if TYPE_CHECKING:
    from cme_desktop.services.importing.pupil_csv import PupilRecord
    from cme_desktop.services.importing.result import ParsedReferral
    from cme_desktop.services.importing.school_returns_csv import SchoolReturnRow


def add_commands(sub: Any) -> None:
    """Register ``import``, ``export``, ``blank-form`` and ``visit-sheet`` on the parser."""
    p = sub.add_parser(
        "import", help="referral forms (Word, PDF), the emails carrying them, pupil reports"
    )
    p.add_argument("files", type=Path, nargs="+", metavar="FILE", help="a file or a folder")
    p.add_argument("--password-file", type=Path, default=None)
    p.add_argument("--dry-run", action="store_true", help="read only: save nothing, no vault")
    p.add_argument("--json", action="store_true")
    p.add_argument(
        "--close-on-roll",
        action="store_true",
        help="close the open cases a school's new pupil return matches, as on roll",
    )
    p.set_defaults(func=_import)
    p = sub.add_parser("export", help="a case's referral as an encrypted PDF or Word file")
    p.add_argument("case_id", type=int)
    p.add_argument("--out", type=Path, required=True, help="FILE.pdf or FILE.docx")
    p.add_argument("--password-file", type=Path, default=None)
    p.add_argument("--for", dest="recipient", default="", help="partner agency key")
    p.set_defaults(func=_export)
    p = sub.add_parser("blank-form", help="the fillable referral form for schools")
    p.add_argument("--out", type=Path, required=True)
    p.set_defaults(func=_blank_form)
    p = sub.add_parser("visit-sheet", help="home-visit sheets as one PDF, password-protected")
    p.add_argument("case_ids", type=int, nargs="+")
    p.add_argument("--out", type=Path, required=True, help="FILE.pdf")
    p.add_argument(
        "--password-file", type=Path, default=None, help="the password, on its first line"
    )
    p.add_argument(
        "--plain",
        action="store_true",
        help="write the sheets unprotected; the audit log records it",
    )
    p.set_defaults(func=_visit_sheet)


def _export(args: argparse.Namespace) -> int:
    from cme_desktop.services.protection.exports import ExportService, format_of

    format_of(args.out)
    password = file_password(args.password_file, args.out.name)
    db = open_db(args)
    try:
        result = ExportService(db).export_referral(
            args.case_id,
            target=args.out,
            password=password,
            authority=vault_authority(db),
            recipient=args.recipient,
        )
    finally:
        db.close()
    print(f"Exported to {result.path} ({result.format.upper()}, AES-256, {result.size} bytes).")
    print(
        "Send the password by another channel (phone or text), never in the same email.",
        file=sys.stderr,
    )
    return EXIT_OK


def _blank_form(args: argparse.Namespace) -> int:
    from cme_desktop.services.documents.blank_form import render_blank_form
    from cme_desktop.services.documents.styles import DEFAULT

    authority = DEFAULT
    if args.db is not None:
        db = open_db(args)
        try:
            authority = vault_authority(db)
        finally:
            db.close()
    write_atomically(args.out, render_blank_form(authority=authority))
    print(f"Blank referral form written to {args.out}.")
    return EXIT_OK


def _visit_sheet(args: argparse.Namespace) -> int:
    from cme_desktop.services.documents.visit_sheet import VisitSheetService
    from cme_desktop.services.protection.outputs import ProtectedFiles, check_password, format_of

    # The sheets name children and give their addresses: protected unless --plain.
    format_of(args.out, allowed=("pdf",))
    password: str | None = None
    if args.plain:
        if args.password_file is not None:
            raise UsageError("--plain writes the file unprotected: leave out --password-file.")
    else:
        password = new_file_password(args.password_file, args.out.name)
        check_password(password, fmt="pdf")
    db = open_db(args)
    try:
        pdf = VisitSheetService(db).render_for(args.case_ids, authority=vault_authority(db))
        saved = ProtectedFiles(db).save(
            args.out,
            pdf,
            fmt="pdf",
            password=password,
            what="visit_sheets",
            detail=f"sheets={len(args.case_ids)}",
        )
    finally:
        db.close()
    how = "protected with your password" if saved.protected else "unprotected: keep it safe"
    print(f"{len(args.case_ids)} visit sheet(s) written to {args.out} ({how}).")
    return EXIT_OK


# --- import ------------------------------------------------------------------------------

_HINTS: tuple[tuple[type[CmeError], str], ...] = (
    (
        PasswordRequired,
        "Check the password with the sender (by phone or text message, not email) and give "
        "it with --password-file.",
    ),
    (
        WrongPassword,
        "Check the password with the sender (by phone or text message, not email) and give "
        "it with --password-file.",
    ),
    (CorruptFile, "Ask the sender to send the form again."),
    (HostileFile, "Ask the sender to send the form again, as a Word document (.docx) or a PDF."),
    (NotAReferral, "Ask the sender for the completed CME referral form (Word or PDF)."),
)


def _about(name: object, error: CmeError) -> CmeError:
    """``error`` on one line, naming the file and saying what to ask the sender for."""
    said = " ".join(error.message.split())
    # An attachment's error names its email already ("the attachment X in the email Y").
    message = said if f"the email {Path(str(name)).name}" in said else f"{name}: {said}"
    hint = next((h for kind, h in _HINTS if isinstance(error, kind)), "")
    if hint and "sender" not in message.lower():
        message = f"{message} {hint}"
    error.message = message
    error.args = (message,)
    return error


class _Passwords:
    """The first line of ``--password-file`` for every file, else asked for each file."""

    def __init__(self, password_file: Path | None) -> None:
        self.password_file = password_file
        self._from_file: str | None = None

    def get(self, name: str) -> str:
        if self.password_file is None:
            return file_password(None, name)
        if self._from_file is None:
            self._from_file = file_password(self.password_file, name)
        return self._from_file


def _import_paths(arguments: list[Path]) -> list[Path]:
    from cme_desktop.services.importing.read import iter_folder

    paths: list[Path] = []
    for argument in arguments:
        if argument.is_dir():
            found = list(iter_folder(argument))
            if not found:
                raise NotAReferral(
                    f"{argument}: the folder holds no referral forms or emails "
                    "(.docx, .pdf, .eml, .msg)."
                )
            paths += found
        else:
            paths.append(argument)
    return paths


def _read_input(path: Path) -> bytes:
    from cme_desktop.services.importing.read import read_input_file

    # A pipe, /dev/zero or a device is refused before a byte is read.
    return read_input_file(path)


def _read_referrals(
    path: Path, data: bytes, passwords: _Passwords
) -> list[ParsedReferral | CmeError]:
    """The referrals in one form or email, read in the sandbox; a password only when needed.

    An email's attachments succeed or fail each on its own: a failed one is its error.
    """
    from cme_desktop.services.importing.detect import detect_kind
    from cme_desktop.services.importing.read import read_each_isolated

    password = (
        passwords.get(path.name) if detect_kind(data, path.name) == "encrypted_office" else None
    )
    try:
        found = read_each_isolated(data, filename=path.name, password=password)
    except PasswordRequired:
        if password is not None:
            raise
        # A protected PDF says so only once opened.
        return read_each_isolated(data, filename=path.name, password=passwords.get(path.name))
    if password is None and any(isinstance(item, PasswordRequired) for item in found):
        # A protected form inside an email: asked for once, then the email read again.
        return read_each_isolated(data, filename=path.name, password=passwords.get(path.name))
    return found


def _read_report(data: bytes) -> list[PupilRecord]:
    from cme_desktop.services.importing.pupil_csv import read_pupil_csv
    from cme_desktop.services.importing.sandbox import run_isolated

    records: list[PupilRecord] = run_isolated(read_pupil_csv, data)
    return records


def _print_json(value: Any) -> None:
    json.dump(value, sys.stdout, ensure_ascii=False, indent=1)
    print()


def _import(args: argparse.Namespace) -> int:
    from cme_desktop.services.importing.detect import detect_kind

    paths = _import_paths(args.files)
    passwords = _Passwords(args.password_file)
    referrals: list[ParsedReferral] = []
    reports: list[tuple[Path, list[PupilRecord]]] = []
    returns: list[tuple[Path, list[SchoolReturnRow]]] = []
    failures: list[CmeError] = []
    for path in paths:
        try:
            data = _read_input(path)
            if detect_kind(data, path.name) == "csv":
                rows = school_returns.read(data)
                if rows is not None:
                    returns.append((path, rows))
                else:
                    reports.append((path, _read_report(data)))
                continue
            for item in _read_referrals(path, data, passwords):
                if isinstance(item, CmeError):
                    failures.append(_about(path, item))
                    print(f"cme: {item.message}", file=sys.stderr)
                else:
                    referrals.append(item)
        except CmeError as error:
            failures.append(_about(path, error))
            print(f"cme: {error.message}", file=sys.stderr)
    # Each bad file has had its line; the good ones are imported (running again once a bad
    # file is sorted adds no duplicates: a file imported before is recognised by its bytes).
    if failures and not (referrals or reports or returns):
        return failures[0].exit_code
    if args.dry_run:
        code = _show(referrals, reports, as_json=args.json, returns=returns)
    else:
        code = _save(args, referrals, reports, returns)
    if failures:
        print(
            f"cme: {len(failures)} file{'s' if len(failures) != 1 else ''} not imported "
            "(see above).",
            file=sys.stderr,
        )
        return failures[0].exit_code
    return code


def _show(
    referrals: list[ParsedReferral],
    reports: list[tuple[Path, list[PupilRecord]]],
    *,
    as_json: bool,
    returns: list[tuple[Path, list[SchoolReturnRow]]],
) -> int:
    from cme_desktop.services.importing.pupil_report import pupil_referral

    if as_json:
        records = [p.referral for p in referrals]
        records += [pupil_referral(r) for _, report in reports for r in report]
        _print_json(records + school_returns.records(returns))
        return EXIT_OK
    for parsed in referrals:
        names = ", ".join(c["full_name"] or "(no name)" for c in parsed.referral["children"])
        doubts = len(parsed.uncertain)
        print(f"{parsed.source}: {names} ({doubts} field{'s' if doubts != 1 else ''} to check)")
    for path, report in reports:
        for record in report:
            problems = " ".join(record.problems)
            print(f"{path.name} row {record.row}: {record.full_name} {problems}".rstrip())
    for line in school_returns.lines(returns):
        print(line)
    return EXIT_OK


def _save(
    args: argparse.Namespace,
    referrals: list[ParsedReferral],
    reports: list[tuple[Path, list[PupilRecord]]],
    returns: list[tuple[Path, list[SchoolReturnRow]]],
) -> int:
    from cme_desktop.services.importing.commit import ImportService

    done: list[dict[str, Any]] = []
    db = open_db(args)
    try:
        service = ImportService(db)
        for parsed in referrals:
            try:
                # Matched and saved in one transaction: imports running at once make one case.
                result = service.commit_unattended(parsed)
            except AlreadyImported as already:
                # The file is in the vault already: said, and nothing to put right (exit 0).
                done.append(_already_imported(parsed.source, already))
                continue
            except CmeError as error:
                _report(done, as_json=args.json)
                raise _about(parsed.source, error) from None
            many = len(result.children) > 1
            for child in result.children:
                verb = "created" if child.outcome == "created" else "added to"
                name = f"{parsed.source} (child {child.index + 1})" if many else parsed.source
                done.append(
                    {
                        "source": parsed.source,
                        "child": child.index + 1,
                        "outcome": child.outcome,
                        "case_id": child.case_id,
                        "reference": child.reference,
                        "line": f"{name}: {verb} {child.reference}",
                    }
                )
        for path, records in reports:
            report = service.import_pupil_report(records, auto=True)
            done += [
                {
                    "source": path.name,
                    "row": row.row,
                    "outcome": row.outcome,
                    "case_id": row.case_id,
                    "line": f"{path.name} row {row.row}: {row.message}",
                }
                for row in report.rows
            ]
        done += school_returns.save(db, returns, close_on_roll=args.close_on_roll)
    finally:
        db.close()
    _report(done, as_json=args.json)
    return EXIT_OK


def _already_imported(source: str, error: AlreadyImported) -> dict[str, Any]:
    from cme_desktop.services.cases.detail import case_reference

    return {
        "source": source,
        "outcome": "already_imported",
        "case_ids": list(error.case_ids),
        "references": [case_reference(case_id) for case_id in error.case_ids],
        "line": f"{source}: {error.message}",
    }


def _report(done: list[dict[str, Any]], *, as_json: bool) -> None:
    if as_json:
        _print_json([{k: v for k, v in item.items() if k != "line"} for item in done])
        return
    for item in done:
        print(item["line"])
