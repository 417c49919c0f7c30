"""``cme import``: real files in, cme-referral/1 records or cases out, one clear line on failure.

Every file here goes through the real parsers in the sandbox's separate process,
as a file from outside does.
"""

from __future__ import annotations

import json
import os
from datetime import date
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from faker import Faker

from cme_desktop.cli import files as cli_files
from cme_desktop.cli import main as cli
from cme_desktop.services.documents.styles import DEFAULT
from cme_desktop.services.protection.exports import encrypt, render_referral
from cme_desktop.services.protection.office import encrypt_office
from cme_desktop.services.rules.dates import format_date
from cme_desktop.services.vault.unlock import Vault
from tests.support.credentials import FAST_SCRYPT, PASSPHRASE
from tests.support.fixtures_docx import (
    expected_record,
    filled_form,
    filled_referral,
    letter_docx,
    ole_doc_bytes,
    random_bytes,
    zip_bomb_docx,
)
from tests.unit.test_pdf_security import classic_pdf

PASSWORD = "Lantern-Orchard-58"
fake = Faker("en_GB")
Faker.seed(58)


def run(*argv: str | Path) -> int:
    return cli.main([str(a) for a in argv])


def lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


@pytest.fixture
def no_vault(monkeypatch: pytest.MonkeyPatch) -> None:
    """A dry run must not open a vault: any attempt fails the test."""

    def refuse(_args: Any) -> Any:
        raise AssertionError("a dry run opened the vault")

    monkeypatch.setattr(cli_files, "open_db", refuse)
    monkeypatch.delenv("CME_PASSPHRASE", raising=False)


@pytest.fixture(scope="module")
def forms(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The files a CME officer receives, each written as it arrives, and what each holds."""
    folder = tmp_path_factory.mktemp("inbox")
    clean_ref, clean = filled_form(201, style="clean")
    careless_ref, careless = filled_form(202, children=2, style="careless")
    protected_ref, protected = filled_form(203, style="stacked")
    exported_ref = filled_referral(204)
    exported = encrypt(
        render_referral(exported_ref, fmt="pdf", authority=DEFAULT), fmt="pdf", password=PASSWORD
    )
    message = EmailMessage()
    message["From"] = f"{fake.name()} <office@example.sch.uk>"
    message["To"] = "cme@example.gov.uk"
    message["Subject"] = "CME referral"
    message["Date"] = "Thu, 01 Oct 2026 09:30:00 +0100"
    message.set_content("Two referrals attached; the password follows by phone.")
    word = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    maintype, subtype = word.split("/")
    message.add_attachment(
        encrypt_office(careless, PASSWORD), maintype=maintype, subtype=subtype, filename="a.docx"
    )
    message.add_attachment(exported, maintype="application", subtype="pdf", filename="b.pdf")
    files = {
        "clean.docx": clean,
        "careless.docx": careless,
        "protected.docx": encrypt_office(protected, PASSWORD),
        "referral.pdf": exported,
        "referrals.eml": message.as_bytes(),
    }
    for name, data in files.items():
        (folder / name).write_bytes(data)
    (folder / "password.txt").write_text(PASSWORD + "\n", "utf-8")
    (folder / "wrong.txt").write_text("Lantern-Orchard-57\n", "utf-8")
    return {
        "folder": folder,
        "clean": expected_record(clean_ref, "clean"),
        "careless": expected_record(careless_ref, "careless"),
        "protected": expected_record(protected_ref, "stacked"),
        "exported": exported_ref,
    }


def test_dry_run_prints_every_referral_found_and_needs_no_vault(
    forms: dict[str, Any], no_vault: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder: Path = forms["folder"]
    names = ("clean.docx", "careless.docx", "protected.docx", "referrals.eml", "referral.pdf")
    vault = tmp_path / "never.cme"

    code = run(
        "--db",
        vault,
        "import",
        *(folder / n for n in names),
        "--password-file",
        folder / "password.txt",
        "--dry-run",
        "--json",
    )

    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    records = json.loads(out)
    assert records == [
        forms["clean"],
        forms["careless"],
        forms["protected"],
        forms["careless"],  # the email's Word attachment...
        forms["exported"],  # ...and its PDF, in the email's order
        forms["exported"],
    ]
    assert {r["schema"] for r in records} == {"cme-referral/1"}
    assert not vault.exists()


def test_a_folder_is_read_file_by_file(
    forms: dict[str, Any], no_vault: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inbox: Path = forms["folder"]
    folder = tmp_path / "Referrals"
    folder.mkdir()
    for name in ("referrals.eml", "clean.docx"):
        (folder / name).write_bytes((inbox / name).read_bytes())
    (folder / "~$clean.docx").write_bytes(b"Word's lock file")
    (folder / "notes.txt").write_text("not a referral", "utf-8")

    code = run("import", folder, "--password-file", inbox / "password.txt", "--dry-run")

    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    sources = [line.split(":")[0] for line in lines(out)]
    assert sources == ["clean.docx", "referrals.eml › a.docx", "referrals.eml › b.pdf"]


def test_an_empty_folder_says_so(
    no_vault: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("import", tmp_path, "--dry-run") == 4
    (line,) = lines(capsys.readouterr().err)
    assert "no referral forms or emails" in line


def test_a_wrong_password_exits_3_with_one_line(
    forms: dict[str, Any], no_vault: None, capsys: pytest.CaptureFixture[str]
) -> None:
    folder: Path = forms["folder"]
    code = run(
        "import", folder / "protected.docx", "--password-file", folder / "wrong.txt", "--dry-run"
    )
    out, err = capsys.readouterr()
    assert (code, out) == (3, "")
    (line,) = lines(err)
    assert line.startswith(f"cme: {folder / 'protected.docx'}: ")
    assert "password" in line and "sender" in line


def test_a_missing_password_exits_3(
    forms: dict[str, Any], no_vault: None, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run("import", forms["folder"] / "referral.pdf", "--dry-run", "--json")
    out, err = capsys.readouterr()
    assert (code, out) == (3, "")
    (line,) = lines(err)
    assert "--password-file" in line


UNREADABLE = {
    "truncated.docx": (lambda: filled_form(205)[1][:3000], "damaged"),
    "noise.docx": (lambda: random_bytes(30_000, seed=5), "send the form again"),
    "bomb.docx": (zip_bomb_docx, "send the form again"),
    "loop.pdf": (lambda: classic_pdf(xref_loop=True), "send the form again"),
    "letter.docx": (letter_docx, "not a CME referral form"),
    "legacy.doc": (ole_doc_bytes, ".docx"),
}


@pytest.mark.parametrize("name", list(UNREADABLE))
def test_a_file_that_is_not_a_readable_referral_exits_4_with_one_line(
    name: str, tmp_path: Path, no_vault: None, capsys: pytest.CaptureFixture[str]
) -> None:
    make, words = UNREADABLE[name]
    path = tmp_path / name
    path.write_bytes(make())

    code = run("import", path, "--dry-run", "--json")

    out, err = capsys.readouterr()
    assert (code, out) == (4, "")
    (line,) = lines(err)
    assert line.startswith(f"cme: {path}: ")
    assert words in line
    assert "Ask" in line  # what to ask the sender for
    assert "Traceback" not in err


def test_a_pipe_or_a_device_is_refused_before_reading_with_one_line(
    forms: dict[str, Any], tmp_path: Path, no_vault: None, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "Referrals"
    folder.mkdir()
    (folder / "clean.docx").write_bytes((forms["folder"] / "clean.docx").read_bytes())
    os.mkfifo(folder / "waiting.docx")  # opened for reading, it would wait for ever
    (folder / "endless.pdf").symlink_to("/dev/zero")  # read, it would never end

    code = run("import", folder, "--dry-run")

    out, err = capsys.readouterr()
    # The good form is read; each refused one has its own line; the exit code says so.
    assert code == 4
    (good,) = lines(out)
    assert good.startswith("clean.docx: ") and good.endswith(" (0 fields to check)")
    *refused, summary = lines(err)
    assert summary == "cme: 2 files not imported (see above)."
    assert sorted(refused) == [
        f"cme: {folder / 'endless.pdf'}: This is a device (like /dev/zero), not a file, so it "
        "was not read: choose the referral form or the email itself.",
        f"cme: {folder / 'waiting.docx'}: This is a pipe (FIFO), not a file, so it was not "
        "read: choose the referral form or the email itself.",
    ]
    assert run("import", "/dev/zero", "--dry-run") == 4
    assert "This is a device" in capsys.readouterr().err


@pytest.fixture
def vault_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "cases.cme"
    Vault(path, scrypt=FAST_SCRYPT).create(PASSPHRASE, actor="Test Officer").db.close()
    monkeypatch.setenv("CME_PASSPHRASE", PASSPHRASE)
    return path


def test_import_makes_cases_then_adds_to_them_instead_of_duplicating(
    forms: dict[str, Any], vault_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder: Path = forms["folder"]

    def cme(*argv: str | Path) -> tuple[int, str]:
        code = run("--db", vault_path, *argv)
        out, err = capsys.readouterr()
        assert err == ""
        return code, out

    code, out = cme("import", folder / "careless.docx", folder / "clean.docx")
    assert code == 0
    assert lines(out) == [
        "careless.docx (child 1): created CME-000001",
        "careless.docx (child 2): created CME-000002",
        "clean.docx: created CME-000003",
    ]
    code, out = cme("list", "--json")
    listed = json.loads(out)
    named = [c["full_name"] for c in forms["careless"]["children"]]
    named.append(forms["clean"]["children"][0]["full_name"])
    assert [c["full_name"] for c in listed] == named

    # The same file again: recognised, nothing created, and exit 0 (it is in the vault).
    code, out = cme("import", folder / "careless.docx", "--json")
    assert code == 0
    assert json.loads(out) == [
        {
            "source": "careless.docx",
            "outcome": "already_imported",
            "case_ids": [1, 2],
            "references": ["CME-000001", "CME-000002"],
        }
    ]
    code, out = cme("import", folder / "careless.docx")
    assert lines(out) == [
        f"careless.docx: This file was already imported on {format_date(date.today())} to "
        "cases CME-000001 and CME-000002, so nothing was imported again."
    ]
    # The same children in another file (the form encrypted, in an email): added to their cases.
    code, out = cme(
        "import", folder / "referrals.eml", "--password-file", folder / "password.txt", "--json"
    )
    assert code == 0
    assert [(c["source"], c["outcome"], c["reference"]) for c in json.loads(out)] == [
        ("referrals.eml › a.docx", "added", "CME-000001"),
        ("referrals.eml › a.docx", "added", "CME-000002"),
        ("referrals.eml › b.pdf", "created", "CME-000004"),
    ]
    code, out = cme("list", "--json")
    assert len(json.loads(out)) == 4

    clean_child = forms["clean"]["children"][0]
    forename, surname = clean_child["full_name"].split(" ", 1)
    born = clean_child["date_of_birth"]
    report = tmp_path / "pupils.csv"
    report.write_text(
        "Surname,Forename,DOB,Postcode\n"
        f"{surname},{forename},{born[8:]}/{born[5:7]}/{born[:4]},LE1 1AA\n"
        f"{fake.last_name()},{fake.first_name()},05/06/2016,LE2 2BB\n",
        "utf-8",
    )
    code, out = cme("import", report)
    assert code == 0
    assert lines(out) == [
        "pupils.csv row 2: already an open case, CME-000003: not duplicated",
        "pupils.csv row 3: created CME-000005",
    ]
