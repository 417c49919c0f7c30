"""What a file is, which parser reads it, what the officer is told when none can."""

from __future__ import annotations

import io
import struct
import time
import zipfile
from email.message import EmailMessage
from pathlib import Path

import docx
import olefile
import pytest
from faker import Faker
from hypothesis import given, settings
from hypothesis import strategies as st
from msoffcrypto.format.ooxml import OOXMLFile

from cme_desktop.services.errors import (
    CorruptFile,
    HostileFile,
    NotAReferral,
    PasswordRequired,
    UnreadableFile,
    UnsupportedFile,
    WrongPassword,
)
from cme_desktop.services.importing.detect import MAX_FILE_BYTES, detect_kind
from cme_desktop.services.importing.read import Parser, iter_folder, read_file
from cme_desktop.services.importing.result import ParsedReferral
from tests.support.msg_writer import SECTOR, CompoundFile

fake = Faker("en_GB")
Faker.seed(5)


# --- real files, made here --------------------------------------------------------


def docx_bytes(text: str = "Referral Checklist for Children Missing out on Education") -> bytes:
    document = docx.Document()
    document.add_paragraph(text)
    document.add_paragraph(f"Name of Pupil(s): {fake.name()}")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def encrypted_docx_bytes(password: str = "Sunflower-Garden-42") -> bytes:
    out = io.BytesIO()
    OOXMLFile(io.BytesIO(docx_bytes())).encrypt(password, out)
    return out.getvalue()


def ole_bytes(streams: dict[str, bytes]) -> bytes:
    ole = CompoundFile()
    for name, data in streams.items():
        ole.add_stream(name, data)
    return ole.to_bytes()


def zip_bytes(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return out.getvalue()


def eml_bytes(*attachments: tuple[str, bytes, str]) -> bytes:
    message = EmailMessage()
    message["From"] = f"{fake.name()} <attendance@{fake.domain_word()}.sch.uk>"
    message["To"] = "cme@example.gov.uk"
    message["Subject"] = "CME referral"
    message["Date"] = "Wed, 30 Sep 2026 10:15:00 +0100"
    message.set_content("Please find the referral attached. Password to follow by phone.")
    for name, data, mime in attachments:
        maintype, subtype = mime.split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return message.as_bytes()


DOCX = docx_bytes()
ENCRYPTED_DOCX = encrypted_docx_bytes()  # made once: agile encryption takes most of a second
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
OLD_WORD = ole_bytes({"WordDocument": b"\x00" * 600, "1Table": b"\x00" * 600})
OLD_EXCEL = ole_bytes({"Workbook": b"\x00" * 600})
MSG = ole_bytes({"__substg1.0_0037001F": "CME referral".encode("utf-16-le")})
XLSX = zip_bytes({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"})
ODT = zip_bytes({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b""})


# --- detection ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "filename", "kind"),
    [
        (DOCX, "referral.docx", "docx"),
        (ENCRYPTED_DOCX, "referral.docx", "encrypted_office"),
        (OLD_WORD, "referral.doc", "doc"),
        (PDF, "referral.pdf", "pdf"),
        (b"\r\n" + PDF, "referral.pdf", "pdf"),
        (eml_bytes(("referral.docx", docx_bytes(), "application/octet-stream")), "a.eml", "eml"),
        (MSG, "referral.msg", "msg"),
        (b"UPN,Surname,Forename,DOB\r\n", "report.csv", "csv"),
        (XLSX, "pupils.xlsx", "xlsx"),
        (OLD_EXCEL, "pupils.xls", "xls"),
        (b"{\\rtf1\\ansi referral}", "referral.rtf", "rtf"),
        (ODT, "referral.odt", "odt"),
        (PNG, "photo.png", "image"),
        (JPEG, "IMG_0042.JPG", "image"),
        (zip_bytes({"referral.docx": b"x"}), "forms.zip", "zip"),
        (b"just some notes", "notes.txt", "unsupported"),
    ],
)
def test_each_kind_is_known_by_its_content(data: bytes, filename: str, kind: str) -> None:
    assert detect_kind(data, filename) == kind


@pytest.mark.parametrize(
    ("data", "filename", "kind"),
    [
        (DOCX, "referral.pdf", "docx"),
        (PDF, "referral.docx", "pdf"),
        (ENCRYPTED_DOCX, "referral.doc", "encrypted_office"),
        (OLD_WORD, "referral.docx", "doc"),
        (MSG, "message.eml", "msg"),
        (PNG, "referral.docx", "image"),
    ],
)
def test_content_wins_over_a_wrong_name(data: bytes, filename: str, kind: str) -> None:
    assert detect_kind(data, filename) == kind


@pytest.mark.parametrize(
    ("filename", "kind"),
    [
        ("referral.DOCX", "docx"),
        ("referral.pdf", "pdf"),
        ("old.doc", "doc"),
        ("saved.eml", "eml"),
        ("saved.msg", "msg"),
        ("sheet.xlsx", "xlsx"),
        ("whatever", "unsupported"),
    ],
)
def test_the_name_decides_only_when_the_content_says_nothing(filename: str, kind: str) -> None:
    assert detect_kind(b"\x01\x02 damaged or unknown bytes", filename) == kind


def test_a_damaged_ole_file_falls_back_on_its_name() -> None:
    damaged = OLD_WORD[:512] + b"\xff" * 1024
    assert detect_kind(damaged, "referral.doc") == "doc"
    assert detect_kind(damaged, "mail.msg") == "msg"


def test_an_ole_header_built_to_hang_olefile_is_named_by_the_file_name_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A FAT of a million sectors through a DIFAT chain looping on itself: hours in olefile."""
    loop_sector = len(MSG) // SECTOR - 1  # the sector appended below: its last entry is itself
    hostile = bytearray(MSG + struct.pack("<127I", *([0] * 127)) + struct.pack("<I", loop_sector))
    fat_sectors = 1_000_000
    struct.pack_into("<I", hostile, 44, fat_sectors)
    struct.pack_into("<II", hostile, 68, loop_sector, (fat_sectors - 109 + 126) // 127)

    def never_opened(*args: object, **kwargs: object) -> None:
        raise AssertionError("olefile was handed a file it must not open")

    monkeypatch.setattr(olefile, "OleFileIO", never_opened)
    start = time.perf_counter()
    assert detect_kind(bytes(hostile), "mail.msg") == "msg"
    assert detect_kind(bytes(hostile), "referral.doc") == "doc"
    assert detect_kind(bytes(hostile), "notes") == "unsupported"
    assert time.perf_counter() - start < 1


def test_a_good_ole_file_is_still_listed_by_olefile(monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[object] = []
    real = olefile.OleFileIO

    def recording(*args: object, **kwargs: object) -> object:
        opened.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(olefile, "OleFileIO", recording)
    assert detect_kind(MSG, "message.eml") == "msg"
    assert len(opened) == 1


def test_text_that_only_resembles_headers_is_not_an_email() -> None:
    assert detect_kind(b"Name: Jo Bloggs\nSchool: Hill Top\n\nNotes", "notes.txt") == "unsupported"
    assert detect_kind(b"Subject: CME\nreferral follows\n", "notes.txt") == "unsupported"


def test_a_saved_email_is_known_without_its_extension() -> None:
    data = eml_bytes(("referral.pdf", PDF, "application/pdf"))
    assert detect_kind(data, "message") == "eml"
    assert detect_kind(b"From someone@example.org Wed Sep 30 10:00:00 2026\n" + data, "x") == "eml"


@settings(max_examples=150, deadline=None)
@given(
    prefix=st.sampled_from([b"", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"PK\x03\x04", b"%PDF-"]),
    body=st.binary(max_size=3000),
    filename=st.text(max_size=30),
)
def test_detection_never_raises_whatever_the_bytes(
    prefix: bytes, body: bytes, filename: str
) -> None:
    assert isinstance(detect_kind(prefix + body, filename), str)


# --- routing to the parsers ------------------------------------------------------------


class RecordingParsers:
    """A parser table that remembers each call and returns one referral for it."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str | None, str]] = []

    def parser(self, kind: str) -> Parser:
        def parse(data: bytes, *, password: str | None, source: str) -> list[ParsedReferral]:
            self.calls.append((kind, password, source))
            return [ParsedReferral(referral={"schema": "cme-referral/1"}, source=source)]

        return parse

    def table(self) -> dict[str, Parser]:
        return {kind: self.parser(kind) for kind in ("docx", "encrypted_office", "pdf")}


@pytest.mark.parametrize(
    ("data", "kind"),
    [(DOCX, "docx"), (ENCRYPTED_DOCX, "encrypted_office"), (PDF, "pdf")],
)
def test_a_form_goes_to_the_parser_of_its_kind(data: bytes, kind: str) -> None:
    recorder = RecordingParsers()
    (referral,) = read_file(data, filename="referral", password="pw", parsers=recorder.table())
    assert recorder.calls == [(kind, "pw", "referral")]
    assert referral.source == "referral"


def test_each_form_attached_to_an_email_is_read_with_the_password() -> None:
    recorder = RecordingParsers()
    data = eml_bytes(
        ("referral.docx", ENCRYPTED_DOCX, "application/octet-stream"),
        ("referral.pdf", PDF, "application/pdf"),
        ("logo.png", PNG, "image/png"),
    )
    referrals = read_file(data, filename="mail.eml", password="pw", parsers=recorder.table())
    assert recorder.calls == [
        ("encrypted_office", "pw", "mail.eml › referral.docx"),
        ("pdf", "pw", "mail.eml › referral.pdf"),
    ]
    assert [r.source for r in referrals] == ["mail.eml › referral.docx", "mail.eml › referral.pdf"]


def refuse_password(data: bytes, *, password: str | None, source: str) -> list[ParsedReferral]:
    raise WrongPassword() if password else PasswordRequired()


def test_an_email_form_that_will_not_open_is_named_in_the_error() -> None:
    data = eml_bytes(("referral.pdf", PDF, "application/pdf"))
    with pytest.raises(WrongPassword, match=r"^referral.pdf: That password does not open"):
        read_file(data, filename="mail.eml", password="x", parsers={"pdf": refuse_password})


def test_an_email_with_no_form_says_what_it_found() -> None:
    data = eml_bytes(
        ("photo.jpg", JPEG, "image/jpeg"), ("letter.doc", OLD_WORD, "application/msword")
    )
    with pytest.raises(NotAReferral) as caught:
        read_file(data, filename="mail.eml", password=None, parsers={})
    assert caught.value.message.startswith(
        "The email has no referral form attached (found: photo.jpg, letter.doc)."
    )
    assert "letter.doc: This is an old Word 97–2003 .doc file." in caught.value.message


@pytest.mark.parametrize(
    ("data", "filename", "words"),
    [
        (
            OLD_WORD,
            "referral.doc",
            "This is an old Word 97–2003 .doc file. Ask the sender to save the form as a "
            "Word document (.docx) and password-protect it.",
        ),
        (
            XLSX,
            "pupils.xlsx",
            "Spreadsheets are not referral forms: ask for the referral form (Word or PDF).",
        ),
        (
            OLD_EXCEL,
            "pupils.xls",
            "Spreadsheets are not referral forms: ask for the referral form (Word or PDF).",
        ),
        (b"UPN,Surname\r\n", "report.csv", "import it as a pupil database report"),
        (PNG, "scan.png", "A picture cannot be imported."),
        (b"{\\rtf1 x}", "form.rtf", "Rich Text (.rtf) file. Ask the sender to save the form"),
        (zip_bytes({"a.docx": b"x"}), "forms.zip", "attach the referral form itself"),
        (b"???", "form.pages", "This kind of file cannot be imported. Ask the sender"),
    ],
)
def test_what_cannot_be_imported_says_what_to_ask_for(
    data: bytes, filename: str, words: str
) -> None:
    with pytest.raises(UnsupportedFile) as caught:
        read_file(data, filename=filename, password=None, parsers=RecordingParsers().table())
    assert words in caught.value.message
    assert caught.value.exit_code == 4


def test_an_empty_file_is_damaged() -> None:
    with pytest.raises(CorruptFile, match="The file is empty."):
        read_file(b"", filename="referral.docx", password=None)


def test_a_huge_file_is_refused_before_it_is_parsed() -> None:
    recorder = RecordingParsers()
    with pytest.raises(HostileFile, match="larger than 50 MB"):
        read_file(
            b"%PDF-" + bytes(MAX_FILE_BYTES),
            filename="a.pdf",
            password=None,
            parsers=recorder.table(),
        )
    assert recorder.calls == []


# --- a folder -------------------------------------------------------------------------


def test_a_folder_offers_its_forms_and_emails_only(tmp_path: Path) -> None:
    for name in (
        "b-referral.PDF",
        "a-referral.docx",
        "c-mail.eml",
        "d-mail.msg",
        ".hidden.docx",
        "~$a-referral.docx",
        "~WRL0001.tmp",
        "notes.txt",
        "photo.jpg",
        "old.doc",
    ):
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "sub.docx").mkdir()
    (tmp_path / "sub.docx" / "inner.docx").write_bytes(b"x")
    assert [p.name for p in iter_folder(tmp_path)] == [
        "a-referral.docx",
        "b-referral.PDF",
        "c-mail.eml",
        "d-mail.msg",
    ]


def test_a_missing_folder_is_explained(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFile, match="cannot be read"):
        list(iter_folder(tmp_path / "nowhere"))
