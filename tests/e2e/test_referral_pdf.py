"""Export a referral as a protected PDF, then import it back: nothing lost, nothing leaked."""

from __future__ import annotations

import io
import random
import re
import time
import zlib
from collections.abc import Callable
from datetime import date
from typing import Any

import pikepdf
import pypdf
import pytest
from faker import Faker
from hypothesis import HealthCheck, given, settings
from reportlab.pdfgen import canvas

from cme_desktop.models.vocabularies import (
    ASSESSMENT_QUESTIONS,
    PARENTAL_CONSENT_QUESTION,
    REFERRER_ACTIONS,
    RISK_INDICATORS,
    SOCIAL_CARE_REFERRAL_QUESTION,
)
from cme_desktop.services.documents.referral_pdf import ATTACHMENT_NAME, render
from cme_desktop.services.documents.styles import DEFAULT, AuthorityDetails
from cme_desktop.services.errors import (
    CorruptFile,
    HostileFile,
    NotAReferral,
    PasswordRequired,
    WrongPassword,
)
from cme_desktop.services.importing.pdf import parse_pdf
from cme_desktop.services.protection.passwords import generate_short_password
from cme_desktop.services.protection.pdf import MAX_PDF_BYTES, encrypt_pdf
from cme_desktop.services.referral.record import empty_referral, normalise, to_json
from tests.support.strategies import referrals
from tests.unit.test_pdf_security import classic_pdf

AUTHORITY = AuthorityDetails(
    name="Exampleshire County Council",
    officer_name="Sam Example",
    officer_title="Pupil Services Manager",
    phone="01632 960000",
    email="cme@example.gov.uk",
    address="Room 100b, County Hall\nExampletown EX1 2AB",
)


def siblings_referral(seed: int = 2026) -> dict[str, Any]:
    """A realistic invented referral: two siblings, a long address, some indicators."""
    fake = Faker("en_GB")
    fake.seed_instance(seed)
    surname = fake.last_name()
    ref = empty_referral()
    ref["children"] = [
        {
            "full_name": f"{fake.first_name_female()} Alexandra-Louise {surname}",
            "aka": f"Lexi {surname}",
            "date_of_birth": "2013-04-02",
            "gender": "Female",
            "ethnicity": "White British",
            "sen_disability": "SEN support: speech, language and communication needs",
            "child_in_care": False,
            "upn": "A123456789012",
        },
        {
            "full_name": f"{fake.first_name_male()} {surname}",
            "aka": "",
            "date_of_birth": "2016-11-19",
            "gender": "Male",
            "ethnicity": "White British",
            "sen_disability": "None known",
            "child_in_care": None,
            "upn": None,
        },
    ]
    ref["last_known_address"] = (
        f"Flat 14b, {fake.last_name()} Court\n{fake.street_address()}\n"
        f"{fake.city()}\nExampleshire\n{fake.postcode()}"
    )
    ref["parents_carers"] = f"{fake.name()} (mother)\n{fake.name()} (step-father)"
    ref["telephone"] = "07700 900123 (mother), 01632 960456 (home)"
    ref["email"] = f"{fake.user_name()}.family@example.org"
    ref["school"] = f"{fake.city()} Church of England Primary Academy"
    ref["date_last_attended"] = "2026-09-30"
    ref["additional_information"] = fake.paragraph(nb_sentences=6)
    for day, term in enumerate(REFERRER_ACTIONS, start=1):
        ref["referrer_actions"][term.key] = {
            "outcome": fake.sentence(nb_words=14),
            "date": f"2026-10-0{day}",
        }
    for key, timing in (("3", "current"), ("10", "current"), ("13", "historic")):
        ref["risk_indicators"][key] = {"present": True, "timing": timing}
    ref["risk_indicators"]["9"] = {"present": False, "timing": None}
    ref["social_care_referral_considered"] = True
    ref["parental_consent"] = False
    ref["assessment"] = {t.key: fake.paragraph(nb_sentences=3) for t in ASSESSMENT_QUESTIONS}
    ref["referrer"] = {
        "name": fake.name(),
        "position": "Designated Safeguarding Lead",
        "contact_details": "01632 960789",
        "organisation": ref["school"],
        "date_completed": "2026-10-04",
    }
    return normalise(ref)


def page_text(pdf: bytes, password: str | None = None) -> str:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    if password is not None:
        reader.decrypt(password)
    return "\n".join(page.extract_text() for page in reader.pages)


def body_text(pdf: bytes) -> str:
    """The squeezed text of every page without the page furniture, pages run together."""
    pages = pypdf.PdfReader(io.BytesIO(pdf)).pages
    furniture = ["OFFICIAL-SENSITIVE", AUTHORITY.contact_line(), "Room 100b, County Hall, "]
    furniture += ["Exampletown EX1 2AB"]
    out = []
    for number, page in enumerate(pages, start=1):
        text = squeeze(page.extract_text())
        for item in [*furniture, f"Page {number} of {len(pages)}"]:
            text = text.replace(squeeze(item), "")
        out.append(text)
    return "".join(out)


def squeeze(text: str) -> str:
    """Text without any white space, so that wrapped lines compare equal."""
    return re.sub(r"\s+", "", text)


def text_values(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [t for v in value.values() for t in text_values(v)]
    if isinstance(value, list):
        return [t for v in value for t in text_values(v)]
    return [value] if isinstance(value, str) and value else []


def uk(iso: str) -> str:
    return date.fromisoformat(iso).strftime("%d/%m/%Y")


@pytest.fixture(scope="module")
def referral() -> dict[str, Any]:
    return siblings_referral()


@pytest.fixture(scope="module")
def exported(referral: dict[str, Any]) -> tuple[bytes, str]:
    password = generate_short_password()
    return encrypt_pdf(render(referral, authority=AUTHORITY), password), password


def test_export_is_aes_256_r6_and_needs_its_password(exported: tuple[bytes, str]) -> None:
    pdf, password = exported
    with pikepdf.open(io.BytesIO(pdf), password=password) as doc:
        assert (doc.encryption.R, doc.encryption.bits) == (6, 256)
        assert doc.encryption.stream_method.name == "aesv3"
        assert all(
            (float(p.mediabox[2]), float(p.mediabox[3])) == pytest.approx((595.28, 841.89), abs=1)
            for p in doc.pages
        )
    with pytest.raises(WrongPassword):
        parse_pdf(pdf, password="not-the-password", source="referral.pdf")
    with pytest.raises(PasswordRequired):
        parse_pdf(pdf, password=None, source="referral.pdf")


def test_nothing_personal_is_readable_without_the_password(
    exported: tuple[bytes, str], referral: dict[str, Any]
) -> None:
    pdf, _ = exported
    name = referral["children"][0]["full_name"]
    assert name.encode() not in pdf
    assert b"referral.json" not in pdf  # even the attachment's name is encrypted
    assert name.split()[0].encode("utf-16-be") not in pdf


def test_import_gives_back_exactly_what_was_exported(
    exported: tuple[bytes, str], referral: dict[str, Any]
) -> None:
    pdf, password = exported
    [parsed] = parse_pdf(pdf, password=password, source="email.eml › referral.pdf")
    assert parsed.referral == referral
    assert parsed.uncertain == ()
    assert parsed.original == pdf
    assert parsed.original_name == "referral.pdf"
    assert parsed.source == "email.eml › referral.pdf"


def test_the_record_is_embedded_as_referral_json(
    exported: tuple[bytes, str], referral: dict[str, Any]
) -> None:
    pdf, password = exported
    with pikepdf.open(io.BytesIO(pdf), password=password) as doc:
        attached = doc.attachments[ATTACHMENT_NAME].get_file()
        assert attached.mime_type == "application/json"
        assert attached.read_bytes().decode("utf-8") == to_json(referral)


def test_the_printed_pages_hold_every_value_and_the_policy_wording(
    exported: tuple[bytes, str], referral: dict[str, Any]
) -> None:
    pdf, password = exported
    text = squeeze(page_text(pdf, password))
    for value in text_values(referral):
        if value != referral["schema"] and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            assert squeeze(value) in text, value
    dates = [c["date_of_birth"] for c in referral["children"]]
    dates += [referral["date_last_attended"], referral["referrer"]["date_completed"]]
    dates += [a["date"] for a in referral["referrer_actions"].values()]
    for iso in dates:
        assert uk(iso) in text
    wording = [t.label for t in RISK_INDICATORS + REFERRER_ACTIONS + ASSESSMENT_QUESTIONS]
    wording += [t.help for t in ASSESSMENT_QUESTIONS]
    wording += [
        SOCIAL_CARE_REFERRAL_QUESTION,
        PARENTAL_CONSENT_QUESTION,
        "Referral Checklist for Children Missing out on Education (CME)",
        "Name of Pupil(s)",
        "Parents'/Carers' Names",
        "Referrer's Details",
        AUTHORITY.name,
        AUTHORITY.email,
    ]
    for words in wording:
        assert squeeze(words) in text, words


def test_every_page_is_marked_and_numbered(exported: tuple[bytes, str]) -> None:
    pdf, password = exported
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    reader.decrypt(password)
    total = len(reader.pages)
    assert total >= 2
    for number, page in enumerate(reader.pages, start=1):
        text = page.extract_text()
        assert text.count("OFFICIAL-SENSITIVE") == 2
        assert f"Page {number} of {total}" in text
        assert "01632 960000" in text


def test_long_text_wraps_onto_more_pages_and_nothing_is_cut_off() -> None:
    ref = siblings_referral(seed=5)
    ref["children"][0]["full_name"] = "Łukasz Ștefan Dvořák-Şahin " * 6
    ref["last_known_address"] = "\n".join(f"Line {n} of a long address" for n in range(1, 13))
    ref["additional_information"] = "A long note about the family. " * 250
    ref["referrer_actions"]["address_visited"]["outcome"] = "Neighbours spoken to. " * 220
    ref["email"] = "a.very.long.address.without.any.spaces.at.all@example-academy-trust.org.uk"
    ref = normalise(ref)
    pdf = render(ref, authority=AUTHORITY)
    assert len(pypdf.PdfReader(io.BytesIO(pdf)).pages) > 4
    text = body_text(pdf)
    assert squeeze(ref["additional_information"]) in text
    # The outcome runs over a page break beside its date, which comes between its parts.
    visit = ref["referrer_actions"]["address_visited"]
    assert squeeze(visit["outcome"]) in text.replace(uk(visit["date"]), "")
    assert squeeze(ref["children"][0]["full_name"]) in text
    assert squeeze(ref["last_known_address"]) in text
    assert ref["email"] in text
    [parsed] = parse_pdf(pdf, password=None, source="long.pdf")
    assert parsed.referral == ref


def test_a_referral_for_an_authority_not_yet_configured_still_renders() -> None:
    pdf = render(empty_referral(), authority=DEFAULT)
    assert "Local Authority" in page_text(pdf)
    [parsed] = parse_pdf(pdf, password=None, source="blank.pdf")
    assert parsed.referral == empty_referral()


def test_an_invalid_record_is_not_rendered() -> None:
    with pytest.raises(NotAReferral):
        render({"schema": "something-else/1"}, authority=AUTHORITY)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(referrals())
def test_export_then_import_gives_back_an_identical_record(ref: dict[str, Any]) -> None:
    [parsed] = parse_pdf(render(ref, authority=DEFAULT), password=None, source="r.pdf")
    assert parsed.referral == ref
    assert parsed.uncertain == ()


# --- PDFs that are not our referral --------------------------------------------------


def plain_pdf() -> bytes:
    out = io.BytesIO()
    c = canvas.Canvas(out)
    c.drawString(72, 720, "Minutes of the termly consortium meeting")
    c.save()
    return out.getvalue()


def with_attachment(data: bytes, *, compress: bool = False) -> bytes:
    with pikepdf.open(io.BytesIO(plain_pdf())) as doc:
        spec = pikepdf.AttachedFileSpec(doc, data, filename=ATTACHMENT_NAME)
        if compress:
            stream = spec.get_file().obj
            stream.write(zlib.compress(data, 9), filter=pikepdf.Name.FlateDecode)
        doc.attachments[ATTACHMENT_NAME] = spec
        out = io.BytesIO()
        doc.save(out, compress_streams=False)
    return out.getvalue()


def test_a_pdf_without_our_record_or_form_is_not_a_referral() -> None:
    with pytest.raises(NotAReferral, match="neither a referral exported"):
        parse_pdf(plain_pdf(), password=None, source="minutes.pdf")


def test_an_attachment_that_is_not_a_record_is_not_a_referral() -> None:
    with pytest.raises(NotAReferral):
        parse_pdf(with_attachment(b"{not json"), password=None, source="odd.pdf")
    with pytest.raises(NotAReferral):
        parse_pdf(with_attachment(b'{"schema": "other/1"}'), password=None, source="odd.pdf")


def test_a_compressed_bomb_posing_as_the_record_is_refused() -> None:
    bomb = with_attachment(b" " * 8_000_000, compress=True)
    assert len(bomb) < 50_000
    with pytest.raises(HostileFile):
        parse_pdf(bomb, password=None, source="bomb.pdf")


def test_a_truncated_export_is_corrupt(referral: dict[str, Any]) -> None:
    pdf = encrypt_pdf(render(referral, authority=AUTHORITY), "pw-1234")
    with pytest.raises(CorruptFile):
        parse_pdf(pdf[: len(pdf) // 2], password="pw-1234", source="cut.pdf")


@pytest.mark.parametrize(
    ("name", "make", "error"),
    [
        ("random bytes", lambda: random.Random(3).randbytes(40_000), CorruptFile),
        ("an endless xref loop", lambda: classic_pdf(xref_loop=True), CorruptFile),
        ("oversized", lambda: b"%PDF-1.7\n" + bytes(MAX_PDF_BYTES), HostileFile),
        ("millions of objects", lambda: classic_pdf(declared_size=9_000_000), HostileFile),
    ],
)
def test_hostile_files_are_refused_by_the_importer(
    name: str, make: Callable[[], bytes], error: type[Exception]
) -> None:
    started = time.monotonic()
    with pytest.raises(error):
        parse_pdf(make(), password=None, source=f"{name}.pdf")
    assert time.monotonic() - started < 2
