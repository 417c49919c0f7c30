"""The fillable referral form: fields named after the record, filled, then imported back."""

from __future__ import annotations

import io
from typing import Any

import pikepdf
import pypdf
import pytest
from faker import Faker

from cme_desktop.models.vocabularies import (
    ASSESSMENT_QUESTIONS,
    PARENTAL_CONSENT_QUESTION,
    REFERRER_ACTIONS,
    RISK_INDICATOR_KEYS,
    RISK_INDICATORS,
    SOCIAL_CARE_REFERRAL_QUESTION,
)
from cme_desktop.services.documents.blank_form import CHILD_SLOTS, render_blank_form
from cme_desktop.services.documents.styles import DEFAULT, AuthorityDetails
from cme_desktop.services.errors import NotAReferral, PasswordRequired
from cme_desktop.services.importing.pdf import parse_pdf
from cme_desktop.services.protection.pdf import encrypt_pdf
from cme_desktop.services.referral.record import empty_referral, normalise

AUTHORITY = AuthorityDetails(
    name="Exampleshire County Council",
    officer_name="Sam Example",
    officer_title="Pupil Services Manager",
    phone="01632 960000",
    email="cme@example.gov.uk",
)


@pytest.fixture(scope="module")
def blank() -> bytes:
    return render_blank_form(authority=AUTHORITY)


def fill(form: bytes, values: dict[str, str]) -> bytes:
    """Fill fields the way a browser or Adobe Reader saves them (/V on the field, /AS on
    the chosen radio button). Radio values are given as ``"/Yes"``, ``"/Current"`` ..."""
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(form)))
    for page in writer.pages:
        writer.update_page_form_field_values(page, values, auto_regenerate=False)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def field_names(pdf: bytes) -> set[str]:
    fields = pypdf.PdfReader(io.BytesIO(pdf)).get_fields() or {}
    return {name for name, f in fields.items() if "/FT" in f}


def expected_names() -> set[str]:
    names = set()
    for slot in range(CHILD_SLOTS):
        names |= {
            f"children.{slot}.{k}"
            for k in (
                "full_name",
                "aka",
                "date_of_birth",
                "gender",
                "ethnicity",
                "sen_disability",
                "child_in_care",
                "upn",
            )
        }
    names |= {
        "last_known_address",
        "parents_carers",
        "telephone",
        "email",
        "school",
        "date_last_attended",
        "additional_information",
        "social_care_referral_considered",
        "parental_consent",
    }
    for t in REFERRER_ACTIONS:
        names |= {f"referrer_actions.{t.key}.outcome", f"referrer_actions.{t.key}.date"}
    for key in RISK_INDICATOR_KEYS:
        names |= {f"risk_indicators.{key}.present", f"risk_indicators.{key}.timing"}
    names |= {f"assessment.{t.key}" for t in ASSESSMENT_QUESTIONS}
    names |= {
        f"referrer.{k}"
        for k in ("name", "position", "contact_details", "organisation", "date_completed")
    }
    return names


def test_every_field_is_named_after_the_record(blank: bytes) -> None:
    assert field_names(blank) == expected_names()


def test_field_names_are_a_proper_hierarchy_without_periods_in_a_part(blank: bytes) -> None:
    with pikepdf.open(io.BytesIO(blank)) as doc:
        parts: list[str] = []

        def walk(fields: Any) -> None:
            for field in fields:
                if "/T" in field:
                    parts.append(str(field.T))
                walk(field.get("/Kids", []))

        walk(doc.Root.AcroForm.Fields)
    assert parts
    assert not [p for p in parts if "." in p]


def test_choices_are_radio_buttons_with_plain_export_values(blank: bytes) -> None:
    fields = pypdf.PdfReader(io.BytesIO(blank)).get_fields() or {}
    present = fields["risk_indicators.9.present"]
    timing = fields["risk_indicators.9.timing"]
    assert present["/FT"] == "/Btn" and timing["/FT"] == "/Btn"
    assert set(present["/_States_"]) == {"/Yes", "/No", "/Off"}
    assert set(timing["/_States_"]) == {"/Current", "/Historic", "/Off"}
    assert fields["last_known_address"]["/Ff"] & 4096  # multi-line
    assert fields["children.0.full_name"]["/FT"] == "/Tx"


def test_the_form_carries_the_policy_wording(blank: bytes) -> None:
    reader = pypdf.PdfReader(io.BytesIO(blank))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    for words in [t.label for t in RISK_INDICATORS + REFERRER_ACTIONS + ASSESSMENT_QUESTIONS]:
        assert " ".join(words.split()) in text, words
    for words in (SOCIAL_CARE_REFERRAL_QUESTION, PARENTAL_CONSENT_QUESTION):
        assert words in text
    assert "Referral Checklist for Children Missing out on Education (CME)" in text
    assert "email to cme@example.gov.uk" in text
    assert "Page 1 of" in text and "OFFICIAL-SENSITIVE" in text


def test_a_filled_form_imports_field_by_field(blank: bytes) -> None:
    fake = Faker("en_GB")
    fake.seed_instance(11)
    address = f"{fake.street_address()}\n{fake.city()}\n{fake.postcode()}"
    values = {
        "children.0.full_name": "Amelia Example",
        "children.0.aka": "Millie",
        "children.0.date_of_birth": "2/4/13",
        "children.0.gender": "Female",
        "children.0.ethnicity": "White British",
        "children.0.sen_disability": "EHCP\nSpeech and language",
        "children.0.child_in_care": "/No",
        "children.0.upn": "a123 4567 89012",
        "children.1.full_name": "Oliver Example",
        "children.1.date_of_birth": "19 November 2016",
        "children.1.child_in_care": "/Yes",
        "last_known_address": address,
        "parents_carers": fake.name(),
        "telephone": "07700 900123",
        "email": "family@example.org",
        "school": "Exampletown Primary School",
        "date_last_attended": "30.09.2026",
        "additional_information": "Family may have moved to Wales.",
        "referrer_actions.whereabouts_checked.outcome": "Friends say they moved.",
        "referrer_actions.whereabouts_checked.date": "01/10/2026",
        "referrer_actions.address_visited.outcome": "Curtains drawn, post piling up.",
        "referrer_actions.address_visited.date": "3rd October 2026",
        "risk_indicators.3.present": "/Yes",
        "risk_indicators.3.timing": "/Current",
        "risk_indicators.10.present": "/Yes",
        "risk_indicators.10.timing": "/Historic",
        "risk_indicators.9.present": "/No",
        "social_care_referral_considered": "/Yes",
        "parental_consent": "/No",
        "assessment.working_well": "Grandmother is in touch.",
        "assessment.worried_about": "Nobody has seen the children since September.",
        "assessment.next_steps": "CME officer to visit.",
        "referrer.name": "Pat Teacher",
        "referrer.position": "Designated Safeguarding Lead",
        "referrer.contact_details": "01632 960789",
        "referrer.organisation": "Exampletown Primary School",
        "referrer.date_completed": "2026-10-04",
    }
    [parsed] = parse_pdf(fill(blank, values), password=None, source="form.pdf")

    expected = empty_referral()
    expected["children"] = [
        {
            "full_name": "Amelia Example",
            "aka": "Millie",
            "date_of_birth": "2013-04-02",
            "gender": "Female",
            "ethnicity": "White British",
            "sen_disability": "EHCP\nSpeech and language",
            "child_in_care": False,
            "upn": "A123456789012",
        },
        {
            "full_name": "Oliver Example",
            "aka": "",
            "date_of_birth": "2016-11-19",
            "gender": "",
            "ethnicity": "",
            "sen_disability": "",
            "child_in_care": True,
            "upn": None,
        },
    ]
    expected.update(
        last_known_address=address,
        parents_carers=values["parents_carers"],
        telephone="07700 900123",
        email="family@example.org",
        school="Exampletown Primary School",
        date_last_attended="2026-09-30",
        additional_information="Family may have moved to Wales.",
        social_care_referral_considered=True,
        parental_consent=False,
    )
    expected["referrer_actions"]["whereabouts_checked"] = {
        "outcome": "Friends say they moved.",
        "date": "2026-10-01",
    }
    expected["referrer_actions"]["address_visited"] = {
        "outcome": "Curtains drawn, post piling up.",
        "date": "2026-10-03",
    }
    expected["risk_indicators"]["3"] = {"present": True, "timing": "current"}
    expected["risk_indicators"]["10"] = {"present": True, "timing": "historic"}
    expected["risk_indicators"]["9"] = {"present": False, "timing": None}
    expected["assessment"] = {
        "working_well": "Grandmother is in touch.",
        "worried_about": "Nobody has seen the children since September.",
        "next_steps": "CME officer to visit.",
    }
    expected["referrer"] = {
        "name": "Pat Teacher",
        "position": "Designated Safeguarding Lead",
        "contact_details": "01632 960789",
        "organisation": "Exampletown Primary School",
        "date_completed": "2026-10-04",
    }
    assert parsed.referral == normalise(expected)
    assert parsed.uncertain == ()


def test_what_cannot_be_read_is_listed_as_uncertain(blank: bytes) -> None:
    values = {
        "children.0.full_name": "Amelia Example",
        "children.2.full_name": "Ruby Example",  # the third slot, with the second left empty
        "children.2.date_of_birth": "the spring of 2015",
        "date_last_attended": "last week",
        "risk_indicators.14.timing": "/Current",  # Current marked, Yes not ticked
    }
    [parsed] = parse_pdf(fill(blank, values), password=None, source="form.pdf")
    ref = parsed.referral
    assert [c["full_name"] for c in ref["children"]] == ["Amelia Example", "Ruby Example"]
    assert ref["children"][1]["date_of_birth"] is None
    assert ref["date_last_attended"] is None
    assert ref["risk_indicators"]["14"] == {"present": None, "timing": None}
    assert set(parsed.uncertain) == {
        "children.1.date_of_birth",
        "date_last_attended",
        "risk_indicators.14.present",
    }


def test_yes_no_typed_into_a_text_field_is_read_leniently() -> None:
    """A form from another tool may use text boxes with our names for the choices."""
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    c = canvas.Canvas(out)
    for n, (name, value) in enumerate(
        [
            ("children.0.full_name", "Amelia Example"),
            ("children.0.child_in_care", "Y"),
            ("risk_indicators.2.present", "yes"),
            ("risk_indicators.2.timing", "C"),
            ("parental_consent", "maybe"),
        ]
    ):
        c.acroForm.textfield(name=name, value=value, x=72, y=700 - 30 * n, width=200, height=20)
    c.showPage()
    c.save()
    [parsed] = parse_pdf(out.getvalue(), password=None, source="other.pdf")
    assert parsed.referral["children"][0]["child_in_care"] is True
    assert parsed.referral["risk_indicators"]["2"] == {"present": True, "timing": "current"}
    assert parsed.referral["parental_consent"] is None
    assert parsed.uncertain == ("parental_consent",)


def test_a_form_nobody_filled_in_is_not_a_referral(blank: bytes) -> None:
    with pytest.raises(NotAReferral, match="not been filled in"):
        parse_pdf(blank, password=None, source="blank.pdf")


def test_someone_elses_form_is_not_a_referral() -> None:
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    c = canvas.Canvas(out)
    c.acroForm.textfield(name="applicant_name", value="A Person", x=72, y=700)
    c.showPage()
    c.save()
    with pytest.raises(NotAReferral, match="not the CME referral form"):
        parse_pdf(out.getvalue(), password=None, source="other.pdf")


def test_a_filled_form_sent_password_protected_imports(blank: bytes) -> None:
    filled = fill(blank, {"children.0.full_name": "Amelia Example"})
    protected = encrypt_pdf(filled, "orchard-pebble")
    with pytest.raises(PasswordRequired):
        parse_pdf(protected, password=None, source="form.pdf")
    [parsed] = parse_pdf(protected, password="orchard-pebble", source="form.pdf")
    assert parsed.referral["children"][0]["full_name"] == "Amelia Example"


def test_the_form_of_an_authority_not_yet_configured_says_where_to_send_it() -> None:
    pdf = render_blank_form(authority=DEFAULT)
    text = " ".join(pypdf.PdfReader(io.BytesIO(pdf)).pages[-1].extract_text().split())
    assert "Children Missing Education officer" in text
    assert "Local Authority" in pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text()


def test_a_radio_button_shown_as_chosen_counts_even_without_a_field_value(blank: bytes) -> None:
    """Some viewers save only the chosen button's state (/AS), not the field's value (/V)."""
    filled = fill(blank, {"children.0.full_name": "Amelia Example"})
    with pikepdf.open(io.BytesIO(filled)) as doc:
        indicators = next(f for f in doc.Root.AcroForm.Fields if str(f.T) == "risk_indicators")
        row = next(f for f in indicators.Kids if str(f.T) == "9")
        present = next(f for f in row.Kids if str(f.T) == "present")
        assert str(present.get("/V", "/Off")) == "/Off"
        for widget in present.Kids:
            if "/Yes" in widget.AP.N:
                widget.AS = pikepdf.Name.Yes
        out = io.BytesIO()
        doc.save(out)
    [parsed] = parse_pdf(out.getvalue(), password=None, source="form.pdf")
    assert parsed.referral["risk_indicators"]["9"]["present"] is True
