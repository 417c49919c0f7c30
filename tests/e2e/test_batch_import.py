"""A batch of files through ``cme import``: good referrals go in, each bad file has its line.

A folder, several files or an email with several attachments: the forms that
can be read are imported (or printed, with ``--dry-run``), every file or
attachment that cannot is named on its own line, and the exit code says
whether any failed.
"""

from __future__ import annotations

import json
from email.message import EmailMessage
from pathlib import Path

import pytest

from cme_desktop.cli import main as cli
from cme_desktop.services.errors import NotAReferral, PasswordRequired
from cme_desktop.services.importing.email import TNEF_MESSAGE, open_email
from cme_desktop.services.importing.read import read_each, read_with_passwords
from cme_desktop.services.protection.office import encrypt_office
from cme_desktop.services.vault.unlock import Vault
from tests.support.credentials import FAST_SCRYPT, PASSPHRASE
from tests.support.fixtures_docx import filled_form, letter_docx

PASSWORD = "Copper-Meadow-71"
_WORD = ("application", "vnd.openxmlformats-officedocument.wordprocessingml.document")


def run(*argv: str | Path) -> int:
    return cli.main([str(a) for a in argv])


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def _email(*attachments: tuple[str, bytes]) -> bytes:
    message = EmailMessage()
    message["From"] = "Office <office@example.sch.uk>"
    message["To"] = "cme@example.gov.uk"
    message["Subject"] = "CME referrals"
    message.set_content("Referrals attached.")
    for name, data in attachments:
        message.add_attachment(data, maintype=_WORD[0], subtype=_WORD[1], filename=name)
    return message.as_bytes()


def test_an_emails_protected_attachment_is_named_and_the_others_read() -> None:
    good_ref, good = filled_form(601)
    _, locked = filled_form(602)
    data = _email(("good.docx", good), ("locked.docx", encrypt_office(locked, PASSWORD)))
    parsed, failed = read_each(data, filename="referrals.eml", password=None)
    assert not isinstance(parsed, Exception)
    assert parsed.referral == good_ref
    assert isinstance(failed, PasswordRequired)
    assert failed.message == (
        "The attachment locked.docx in the email referrals.eml is password-protected."
    )


def test_winmail_dat_says_the_senders_outlook_sends_rich_text() -> None:
    message = EmailMessage()
    message["Subject"] = "Referral"
    message.set_content("See attached.")
    message.add_attachment(
        b"\x78\x9f\x3e\x22" + bytes(200),
        maintype="application",
        subtype="ms-tnef",
        filename="winmail.dat",
    )
    with pytest.raises(NotAReferral) as caught:
        open_email(message.as_bytes(), filename="fwd.eml")
    said = caught.value.message
    assert "winmail.dat" in said
    assert "Outlook is set to send Rich Text" in said
    assert "HTML or Plain Text" in said


def test_an_email_without_winmail_dat_does_not_mention_outlook() -> None:
    message = EmailMessage()
    message["Subject"] = "Referral"
    message.set_content("See attached.")
    message.add_attachment(b"hello", maintype="text", subtype="plain", filename="notes.txt")
    with pytest.raises(NotAReferral) as caught:
        open_email(message.as_bytes(), filename="fwd.eml")
    assert "Outlook" not in caught.value.message


def test_a_folder_imports_the_good_forms_and_reports_each_bad_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "Referrals"
    folder.mkdir()
    a_ref, a = filled_form(611)
    b_ref, b = filled_form(612)
    (folder / "a.docx").write_bytes(a)
    (folder / "b.docx").write_bytes(b)
    (folder / "letter.docx").write_bytes(letter_docx())
    (folder / "broken.docx").write_bytes(b"PK\x03\x04 not really a document")
    vault = tmp_path / "cases.cme"
    Vault(vault, scrypt=FAST_SCRYPT).create(PASSPHRASE, actor="Test Officer").db.close()
    monkeypatch.setenv("CME_PASSPHRASE", PASSPHRASE)

    code = run("--db", vault, "import", folder)

    out, err = capsys.readouterr()
    assert code != 0
    assert _lines(out) == ["a.docx: created CME-000001", "b.docx: created CME-000002"]
    refused = _lines(err)
    assert refused[-1] == "cme: 2 files not imported (see above)."
    assert sorted(line.split(":", 2)[1].strip() for line in refused[:-1]) == [
        str(folder / "broken.docx"),
        str(folder / "letter.docx"),
    ]
    assert run("--db", vault, "list", "--json") == 0
    listed = json.loads(capsys.readouterr().out)
    assert [c["full_name"] for c in listed] == [
        a_ref["children"][0]["full_name"],
        b_ref["children"][0]["full_name"],
    ]


def test_an_email_with_one_bad_attachment_imports_the_rest_and_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, good = filled_form(621)
    mail = tmp_path / "referrals.eml"
    mail.write_bytes(_email(("good.docx", good), ("letter.docx", letter_docx())))

    code = run("import", mail, "--dry-run", "--json")

    out, err = capsys.readouterr()
    assert code == NotAReferral.exit_code
    assert len(json.loads(out)) == 1
    (line, summary) = _lines(err)
    assert line.startswith("cme: The attachment letter.docx in the email referrals.eml: ")
    assert "not a CME referral form" in line
    assert summary == "cme: 1 file not imported (see above)."


def test_a_batch_that_all_reads_exits_zero(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for seed in (631, 632):
        (tmp_path / f"{seed}.docx").write_bytes(filled_form(seed)[1])
    assert run("import", tmp_path / "631.docx", tmp_path / "632.docx", "--dry-run") == 0
    out, err = capsys.readouterr()
    assert len(_lines(out)) == 2
    assert err == ""


def test_the_window_lists_winmail_dat_beside_the_forms_it_read() -> None:
    ref, good = filled_form(641)
    message = EmailMessage()
    message["Subject"] = "Referral"
    message.set_content("See attached.")
    message.add_attachment(good, maintype=_WORD[0], subtype=_WORD[1], filename="good.docx")
    message.add_attachment(
        b"\x78\x9f\x3e\x22" + bytes(64),
        maintype="application",
        subtype="ms-tnef",
        filename="winmail.dat",
    )
    outcome = read_with_passwords(
        message.as_bytes(), filename="mail.eml", ask=lambda _n, _a: None, isolated=False
    )
    assert [p.referral for p in outcome.referrals] == [ref]
    assert outcome.skipped == [("winmail.dat", TNEF_MESSAGE)]
    assert "Outlook is set to send Rich Text" in TNEF_MESSAGE
