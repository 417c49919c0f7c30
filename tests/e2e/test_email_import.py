"""Emails in, referrals out: saved .eml and Outlook .msg files with real encrypted forms.

The forms are real files (a Word document encrypted with ECMA-376 agile
encryption, a PDF encrypted with AES-256). The parsers here are small
stand-ins that open them with the same libraries, so that the password flow is
tested against real encryption; the real parsers' own end-to-end tests are in
their modules' test files.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage

import docx
import msoffcrypto
import pypdf
import pytest
from faker import Faker
from msoffcrypto.exceptions import InvalidKeyError
from msoffcrypto.format.ooxml import OOXMLFile

from cme_desktop.services.errors import (
    CorruptFile,
    HostileFile,
    NotAReferral,
    PasswordRequired,
    WrongPassword,
)
from cme_desktop.services.importing.email import MAX_ATTACHMENTS, MAX_NESTED_MESSAGES, open_email
from cme_desktop.services.importing.read import Parser, read_file, read_with_passwords
from cme_desktop.services.importing.result import ParsedReferral
from tests.support.msg_writer import EmbeddedMessage, FileAttachment, Message

fake = Faker("en_GB")
Faker.seed(55)

DOCX_PASSWORD = "Willow-Harbour-31"
PDF_PASSWORD = "Copper-Lantern-86"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
SENT = datetime(2026, 9, 30, 9, 15, tzinfo=UTC)


# --- stand-in parsers, opening the real encryption --------------------------------


def _name_from_docx(data: bytes) -> str:
    for paragraph in docx.Document(io.BytesIO(data)).paragraphs:
        if paragraph.text.startswith("Name of Pupil(s):"):
            return paragraph.text.partition(":")[2].strip()
    return ""


def stand_in_docx(data: bytes, *, password: str | None, source: str) -> list[ParsedReferral]:
    plain = data
    if data.startswith(OLE_MAGIC):
        if password is None:
            raise PasswordRequired()
        office = msoffcrypto.OfficeFile(io.BytesIO(data))
        try:
            office.load_key(password=password, verify_password=True)
        except InvalidKeyError:
            raise WrongPassword() from None
        out = io.BytesIO()
        office.decrypt(out)
        plain = out.getvalue()
    referral = {"schema": "cme-referral/1", "children": [{"full_name": _name_from_docx(plain)}]}
    return [ParsedReferral(referral=referral, source=source, original=data)]


def stand_in_pdf(data: bytes, *, password: str | None, source: str) -> list[ParsedReferral]:
    reader = pypdf.PdfReader(io.BytesIO(data))
    if reader.is_encrypted:
        if password is None:
            raise PasswordRequired()
        if not reader.decrypt(password):
            raise WrongPassword()
    title = reader.metadata.title if reader.metadata else ""
    referral = {"schema": "cme-referral/1", "children": [{"full_name": title or ""}]}
    return [ParsedReferral(referral=referral, source=source, original=data)]


PARSERS: dict[str, Parser] = {
    "docx": stand_in_docx,
    "encrypted_office": stand_in_docx,
    "pdf": stand_in_pdf,
}


def names(referrals: Sequence[ParsedReferral]) -> list[str]:
    return [r.referral["children"][0]["full_name"] for r in referrals]


# --- real forms -------------------------------------------------------------------------


def make_docx(pupil: str, password: str | None = DOCX_PASSWORD) -> bytes:
    document = docx.Document()
    document.add_heading("Referral Checklist for Children Missing out on Education (CME)")
    document.add_paragraph(f"Name of Pupil(s): {pupil}")
    document.add_paragraph(f"Address (Last Known): {fake.address()}")
    plain = io.BytesIO()
    document.save(plain)
    if password is None:
        return plain.getvalue()
    encrypted = io.BytesIO()
    OOXMLFile(io.BytesIO(plain.getvalue())).encrypt(password, encrypted)
    return encrypted.getvalue()


def make_pdf(pupil: str, password: str = PDF_PASSWORD) -> bytes:
    writer = pypdf.PdfWriter()
    writer.add_blank_page(595, 842)
    writer.add_metadata({"/Title": pupil})
    writer.encrypt(password, algorithm="AES-256")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


PUPIL_IN_DOCX = fake.name()
PUPIL_IN_PDF = fake.name()
SENDER_NAME = fake.name()
SENDER_ADDRESS = f"attendance@{fake.domain_word()}.sch.uk"
SENDER = f"{SENDER_NAME} <{SENDER_ADDRESS}>"


@pytest.fixture(scope="module")
def docx_form() -> bytes:
    """Made once, and not at import: the sandbox's child imports this module."""
    return make_docx(PUPIL_IN_DOCX)


@pytest.fixture(scope="module")
def pdf_form() -> bytes:
    return make_pdf(PUPIL_IN_PDF)


# --- emails -----------------------------------------------------------------------------


def make_eml(
    *attachments: tuple[str, bytes, str],
    subject: str = "CME referral",
    forwarded: Sequence[EmailMessage] = (),
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = SENDER
    message["To"] = "cme@example.gov.uk"
    message["Subject"] = subject
    message["Date"] = "Wed, 30 Sep 2026 10:15:00 +0100"
    message.set_content("The referral is attached; the password follows by phone.")
    for name, data, mime in attachments:
        maintype, subtype = mime.split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    for inner in forwarded:
        message.add_attachment(inner)  # message/rfc822, as "Forward as attachment" does
    return message


def outlook(subject: str, *attachments: tuple[str, bytes | Message]) -> Message:
    """An Outlook message from ``SENDER`` sent at ``SENT``; an attached Message is an item."""
    return Message(
        subject=subject,
        sender_name=SENDER_NAME,
        sender_smtp=SENDER_ADDRESS,
        sent=SENT,
        body="Referral attached.",
        attachments=[
            EmbeddedMessage(name, content)
            if isinstance(content, Message)
            else FileAttachment(name, content, display_name=name)
            for name, content in attachments
        ],
    )


@dataclass
class Asker:
    """The officer at the password prompt: answers in turn, then gives up."""

    answers: dict[str, list[str | None]]
    asked: list[tuple[str, int]] = field(default_factory=list)

    def __call__(self, name: str, attempt: int) -> str | None:
        self.asked.append((name, attempt))
        queue = self.answers.get(name.rsplit(" › ", 1)[-1], [])
        return queue.pop(0) if queue else None


# --- .eml ------------------------------------------------------------------------------------


def test_an_email_with_a_word_form_and_a_pdf_gives_both_referrals(
    docx_form: bytes, pdf_form: bytes
) -> None:
    data = make_eml(
        ("referral.docx", docx_form, "application/vnd.openxmlformats-officedocument"),
        ("sibling.pdf", pdf_form, "application/pdf"),
        ("logo.png", b"\x89PNG\r\n\x1a\n" + bytes(40), "image/png"),
    ).as_bytes()
    ask = Asker({"referral.docx": [DOCX_PASSWORD], "sibling.pdf": [PDF_PASSWORD]})

    outcome = read_with_passwords(
        data, filename="Referral.eml", ask=ask, parsers=PARSERS, isolated=False
    )

    assert names(outcome.referrals) == [PUPIL_IN_DOCX, PUPIL_IN_PDF]
    assert [r.source for r in outcome.referrals] == [
        "Referral.eml › referral.docx",
        "Referral.eml › sibling.pdf",
    ]
    assert outcome.referrals[0].original == docx_form  # kept as received, still encrypted
    assert ask.asked == [("referral.docx", 1), ("sibling.pdf", 1)]
    assert outcome.skipped == []
    assert outcome.email is not None
    assert outcome.email.sender == SENDER
    assert outcome.email.subject == "CME referral"
    assert outcome.email.date == datetime(2026, 9, 30, 9, 15, tzinfo=UTC)
    assert outcome.email.filename == "Referral.eml"


def test_a_form_in_a_forwarded_email_is_found(docx_form: bytes) -> None:
    inner = make_eml(("referral.docx", docx_form, "application/octet-stream"), subject="Pupil CME")
    outer = make_eml(subject="FW: Pupil CME", forwarded=[inner])
    ask = Asker({"referral.docx": [DOCX_PASSWORD]})

    outcome = read_with_passwords(
        outer.as_bytes(), filename="fw.eml", ask=ask, parsers=PARSERS, isolated=False
    )

    assert names(outcome.referrals) == [PUPIL_IN_DOCX]
    assert ask.asked == [("Pupil CME.eml › referral.docx", 1)]
    assert outcome.referrals[0].source == "fw.eml › Pupil CME.eml › referral.docx"
    assert outcome.email is not None and outcome.email.subject == "FW: Pupil CME"


def test_a_saved_email_attached_as_a_file_is_opened_too(pdf_form: bytes) -> None:
    inner = make_eml(("sibling.pdf", pdf_form, "application/pdf")).as_bytes()
    outer = make_eml(("original.eml", inner, "application/octet-stream")).as_bytes()
    outcome = read_with_passwords(
        outer,
        filename="fw.eml",
        ask=Asker({"sibling.pdf": [PDF_PASSWORD]}),
        parsers=PARSERS,
        isolated=False,
    )
    assert names(outcome.referrals) == [PUPIL_IN_PDF]
    assert outcome.referrals[0].source == "fw.eml › original.eml › sibling.pdf"


def test_an_email_that_is_nothing_but_a_pdf_gives_the_pdf(pdf_form: bytes) -> None:
    message = EmailMessage()
    message["From"] = SENDER
    message["Subject"] = "Scan"
    message["Date"] = "Wed, 30 Sep 2026 10:15:00 +0100"
    message.set_content(pdf_form, maintype="application", subtype="pdf")
    content = open_email(message.as_bytes(), filename="scan.eml")
    assert [(a.name, a.kind, a.data) for a in content.attachments] == [
        ("attachment 1", "pdf", pdf_form)
    ]


def test_forwarding_deeper_than_the_limit_is_not_followed(docx_form: bytes) -> None:
    message = make_eml(("referral.docx", docx_form, "application/octet-stream"), subject="level 0")
    for level in range(1, MAX_NESTED_MESSAGES + 2):
        message = make_eml(subject=f"level {level}", forwarded=[message])
    with pytest.raises(NotAReferral, match="no referral form attached"):
        open_email(message.as_bytes(), filename="deep.eml")


def test_an_email_without_attachments_is_not_a_referral() -> None:
    data = make_eml().as_bytes()
    with pytest.raises(NotAReferral) as caught:
        read_with_passwords(data, filename="a.eml", ask=Asker({}), parsers=PARSERS, isolated=False)
    assert caught.value.message == (
        "The email has no referral form attached (it has no attachments)."
    )
    assert caught.value.exit_code == 4


def test_an_email_with_only_a_photo_and_an_old_word_file_says_so() -> None:
    old_word = OLE_MAGIC + bytes(2000)  # not a valid compound file: its name says .doc
    data = make_eml(
        ("photo.jpg", b"\xff\xd8\xff\xe0" + bytes(40), "image/jpeg"),
        ("letter.doc", old_word, "application/msword"),
    ).as_bytes()
    with pytest.raises(NotAReferral) as caught:
        read_file(data, filename="a.eml", password=None, parsers=PARSERS)
    assert "(found: photo.jpg, letter.doc)" in caught.value.message
    assert "Ask the sender to save the form as a Word document (.docx)" in caught.value.message


def test_an_old_word_file_beside_a_form_is_listed_as_skipped(pdf_form: bytes) -> None:
    data = make_eml(
        ("referral.pdf", pdf_form, "application/pdf"),
        ("notes.doc", OLE_MAGIC + bytes(2000), "application/msword"),
    ).as_bytes()
    outcome = read_with_passwords(
        data,
        filename="a.eml",
        ask=Asker({"referral.pdf": [PDF_PASSWORD]}),
        parsers=PARSERS,
        isolated=False,
    )
    assert names(outcome.referrals) == [PUPIL_IN_PDF]
    assert outcome.skipped == [
        (
            "notes.doc",
            "This is an old Word 97–2003 .doc file. Ask the sender to save the form as a "
            "Word document (.docx) and password-protect it.",
        )
    ]


# --- passwords --------------------------------------------------------------------------------


def test_a_wrong_password_is_asked_for_again(docx_form: bytes) -> None:
    data = make_eml(("referral.docx", docx_form, "application/octet-stream")).as_bytes()
    ask = Asker({"referral.docx": ["willow-harbour-31", DOCX_PASSWORD]})
    outcome = read_with_passwords(data, filename="a.eml", ask=ask, parsers=PARSERS, isolated=False)
    assert names(outcome.referrals) == [PUPIL_IN_DOCX]
    assert ask.asked == [("referral.docx", 1), ("referral.docx", 2)]


def test_an_encrypted_word_form_is_asked_for_before_it_is_read_and_a_pdf_after(
    docx_form: bytes, pdf_form: bytes
) -> None:
    tried: list[tuple[str, str | None]] = []

    def counting(data: bytes, *, password: str | None, source: str) -> list[ParsedReferral]:
        tried.append((source, password))
        return PARSERS["pdf" if data.startswith(b"%PDF") else "docx"](
            data, password=password, source=source
        )

    data = make_eml(
        ("referral.docx", docx_form, "application/octet-stream"),
        ("sibling.pdf", pdf_form, "application/pdf"),
    ).as_bytes()
    ask = Asker({"referral.docx": [DOCX_PASSWORD], "sibling.pdf": [PDF_PASSWORD]})
    read_with_passwords(
        data,
        filename="a.eml",
        ask=ask,
        parsers={"encrypted_office": counting, "pdf": counting},
        isolated=False,
    )
    assert tried == [
        ("a.eml › referral.docx", DOCX_PASSWORD),  # an encrypted Word file says so itself
        ("a.eml › sibling.pdf", None),  # a PDF is known to be protected once opened
        ("a.eml › sibling.pdf", PDF_PASSWORD),
    ]


def test_it_gives_up_after_three_wrong_passwords_and_reads_the_rest(
    docx_form: bytes, pdf_form: bytes
) -> None:
    data = make_eml(
        ("sibling.pdf", pdf_form, "application/pdf"),
        ("referral.docx", docx_form, "application/octet-stream"),
    ).as_bytes()
    ask = Asker(
        {"sibling.pdf": ["one", "two", "three", PDF_PASSWORD], "referral.docx": [DOCX_PASSWORD]}
    )
    outcome = read_with_passwords(data, filename="a.eml", ask=ask, parsers=PARSERS, isolated=False)
    assert ask.asked == [("sibling.pdf", n) for n in (1, 2, 3)] + [("referral.docx", 1)]
    assert names(outcome.referrals) == [PUPIL_IN_DOCX]
    ((name, reason),) = outcome.skipped
    assert name == "sibling.pdf"
    assert reason.startswith("That password does not open the file. Stopped after 3 attempts")


def test_the_number_of_attempts_can_be_set(pdf_form: bytes) -> None:
    data = make_eml(("sibling.pdf", pdf_form, "application/pdf")).as_bytes()
    ask = Asker({"sibling.pdf": ["no"] * 5})
    outcome = read_with_passwords(
        data, filename="a.eml", ask=ask, max_attempts=1, parsers=PARSERS, isolated=False
    )
    assert ask.asked == [("sibling.pdf", 1)]
    assert "Stopped after 1 attempts" in outcome.skipped[0][1]


def test_giving_up_at_the_prompt_skips_that_form(docx_form: bytes) -> None:
    data = make_eml(("referral.docx", docx_form, "application/octet-stream")).as_bytes()
    ask = Asker({})
    outcome = read_with_passwords(data, filename="a.eml", ask=ask, parsers=PARSERS, isolated=False)
    assert outcome.referrals == []
    assert outcome.skipped == [
        ("referral.docx", "No password was given, so the file was not opened.")
    ]
    assert ask.asked == [("referral.docx", 1)]


def test_a_form_without_a_password_is_read_without_asking() -> None:
    pupil = fake.name()
    data = make_eml(("referral.docx", make_docx(pupil, None), "application/octet-stream"))
    ask = Asker({})
    outcome = read_with_passwords(
        data.as_bytes(), filename="a.eml", ask=ask, parsers=PARSERS, isolated=False
    )
    assert names(outcome.referrals) == [pupil]
    assert ask.asked == []


def test_a_single_encrypted_form_is_read_with_passwords_too(pdf_form: bytes) -> None:
    ask = Asker({"referral.pdf": ["wrong", PDF_PASSWORD]})
    outcome = read_with_passwords(
        pdf_form, filename="referral.pdf", ask=ask, parsers=PARSERS, isolated=False
    )
    assert names(outcome.referrals) == [PUPIL_IN_PDF]
    assert outcome.email is None
    assert ask.asked == [("referral.pdf", 1), ("referral.pdf", 2)]


def test_read_file_tries_its_one_password_on_every_form(pdf_form: bytes) -> None:
    data = make_eml(("a.pdf", pdf_form, "application/pdf"), ("b.pdf", pdf_form, "application/pdf"))
    referrals = read_file(data.as_bytes(), filename="m.eml", password=PDF_PASSWORD, parsers=PARSERS)
    assert names(referrals) == [PUPIL_IN_PDF, PUPIL_IN_PDF]
    with pytest.raises(PasswordRequired, match="^a.pdf: "):
        read_file(data.as_bytes(), filename="m.eml", password=None, parsers=PARSERS)


# --- limits ----------------------------------------------------------------------------------


def test_an_email_with_too_many_attachments_is_refused() -> None:
    files = [(f"photo{n}.jpg", b"\xff\xd8\xff" + bytes(8), "image/jpeg") for n in range(60)]
    data = make_eml(*files).as_bytes()
    with pytest.raises(HostileFile, match=f"more than {MAX_ATTACHMENTS} attachments"):
        open_email(data, filename="many.eml")


def test_an_email_of_thousands_of_parts_is_refused() -> None:
    part = b"--b\r\nContent-Type: text/plain\r\n\r\nx\r\n"
    data = (
        b"From: a@example.org\r\nTo: cme@example.gov.uk\r\nSubject: parts\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
        + part * 600
        + b"--b--\r\n"
    )
    with pytest.raises(HostileFile, match="far more parts than a real email"):
        open_email(data, filename="parts.eml")


# --- Outlook .msg ------------------------------------------------------------------------------


def test_an_outlook_message_gives_its_forms_and_details(docx_form: bytes) -> None:
    msg = outlook(
        "CME referral – Year 5",
        ("referral.docx", docx_form),
        ("signature.png", b"\x89PNG\r\n\x1a\n" + bytes(9)),
    )
    ask = Asker({"referral.docx": [DOCX_PASSWORD]})
    outcome = read_with_passwords(
        msg.to_bytes(), filename="referral.msg", ask=ask, parsers=PARSERS, isolated=False
    )
    assert names(outcome.referrals) == [PUPIL_IN_DOCX]
    assert outcome.referrals[0].source == "referral.msg › referral.docx"
    assert outcome.email is not None
    assert outcome.email.subject == "CME referral – Year 5"
    assert outcome.email.sender == SENDER
    assert outcome.email.date == SENT


def test_a_form_in_an_outlook_item_embedded_in_the_message_is_found(pdf_form: bytes) -> None:
    forwarded = outlook("Pupil CME", ("sibling.pdf", pdf_form))
    msg = outlook("FW: Pupil CME", ("Pupil CME", forwarded))
    ask = Asker({"sibling.pdf": [PDF_PASSWORD]})
    outcome = read_with_passwords(
        msg.to_bytes(), filename="fw.msg", ask=ask, parsers=PARSERS, isolated=False
    )
    assert names(outcome.referrals) == [PUPIL_IN_PDF]
    assert ask.asked == [("Pupil CME.msg › sibling.pdf", 1)]


def test_an_outlook_message_attached_to_an_eml_is_opened(docx_form: bytes) -> None:
    msg = outlook("Original", ("referral.docx", docx_form)).to_bytes()
    data = make_eml(("original.msg", msg, "application/vnd.ms-outlook")).as_bytes()
    content = open_email(data, filename="fw.eml")
    assert [(a.name, a.kind) for a in content.attachments] == [
        ("original.msg › referral.docx", "encrypted_office")
    ]


def test_an_outlook_message_without_attachments_is_not_a_referral() -> None:
    with pytest.raises(NotAReferral, match=r"\(it has no attachments\)"):
        open_email(outlook("Hello").to_bytes(), filename="hello.msg")


def test_a_damaged_outlook_message_is_reported_as_damaged(docx_form: bytes) -> None:
    data = outlook("x", ("referral.docx", docx_form)).to_bytes()
    damaged = data[:512] + b"\xff" * (len(data) - 512)
    with pytest.raises(CorruptFile, match="Outlook message"):
        open_email(damaged, filename="broken.msg")


# --- the real parsers, end to end -------------------------------------------------------------


def exported_referral(fmt: str, pupil: str, password: str) -> bytes:
    """A referral as this application exports it: Appendix A layout, AES-256 protected."""
    from cme_desktop.services.documents.styles import DEFAULT
    from cme_desktop.services.protection.exports import encrypt, render_referral
    from cme_desktop.services.referral.record import empty_referral

    referral = empty_referral()
    referral["children"][0]["full_name"] = pupil
    referral["children"][0]["date_of_birth"] = "2015-04-02"
    referral["school"] = "Hill Top Primary School"
    referral["last_known_address"] = fake.address()
    document = render_referral(referral, fmt=fmt, authority=DEFAULT)
    return encrypt(document, fmt=fmt, password=password)


def test_an_email_with_an_exported_word_form_is_read_by_the_real_parser_in_the_sandbox() -> None:
    pupil = fake.name()
    word = exported_referral("docx", pupil, DOCX_PASSWORD)
    data = make_eml(("referral.docx", word, "application/msword")).as_bytes()
    ask = Asker({"referral.docx": [DOCX_PASSWORD]})

    outcome = read_with_passwords(data, filename="Referral.eml", ask=ask)

    assert outcome.skipped == []
    (referral,) = outcome.referrals
    assert referral.referral["children"][0]["full_name"] == pupil
    assert referral.referral["school"] == "Hill Top Primary School"
    assert (referral.original, referral.original_name) == (word, "referral.docx")
    assert ask.asked == [("referral.docx", 1)]
    assert outcome.email is not None and outcome.email.sender == SENDER


def test_an_outlook_message_with_an_exported_pdf_is_read_by_the_real_parser() -> None:
    pupil = fake.name()
    pdf = exported_referral("pdf", pupil, PDF_PASSWORD)
    msg = outlook("CME referral", ("referral.pdf", pdf)).to_bytes()
    ask = Asker({"referral.pdf": ["Copper-Lantern", PDF_PASSWORD]})

    outcome = read_with_passwords(msg, filename="referral.msg", ask=ask, isolated=False)

    (referral,) = outcome.referrals
    assert referral.referral["children"][0]["full_name"] == pupil
    assert referral.referral["children"][0]["date_of_birth"] == "2015-04-02"
    assert referral.source == "referral.msg › referral.pdf"
    assert ask.asked == [("referral.pdf", 1), ("referral.pdf", 2)]
    with pytest.raises(PasswordRequired, match="^referral.pdf: "):
        read_file(msg, filename="referral.msg", password=None)
