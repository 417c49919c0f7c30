"""Referrals out as Word documents (Appendix A layout), protected, and back in unchanged."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import docx
import pytest
from hypothesis import HealthCheck, given, settings

from cme_desktop.models.vocabularies import (
    ACTIONS_HEADING,
    ASSESSMENT_HEADING,
    ASSESSMENT_QUESTIONS,
    PARENTAL_CONSENT_QUESTION,
    REFERRER_ACTIONS,
    REFERRER_HEADING,
    RISK_INDICATORS,
    SOCIAL_CARE_REFERRAL_QUESTION,
)
from cme_desktop.services.documents.referral_docx import render_docx
from cme_desktop.services.documents.word_form import FORM_TITLE
from cme_desktop.services.importing.docx import parse_docx
from cme_desktop.services.protection.office import (
    decrypt_office,
    encrypt_office,
    is_encrypted_office,
)
from cme_desktop.services.referral.record import from_json, normalise
from tests.support.fixtures_docx import edit_rendered_text, filled_referral, strip_embedded_record
from tests.support.strategies import referrals

AUTHORITY = "Leicestershire County Council"
PASSWORD = "copper-meadow-anchor-thistle"


def _tables(data: bytes) -> list[list[list[str]]]:
    doc = docx.Document(io.BytesIO(data))
    return [[[cell.text for cell in row.cells] for row in t.rows] for t in doc.tables]


def _parse(data: bytes, password: str | None = None) -> Any:
    (parsed,) = parse_docx(data, password=password, source="export.docx")
    return parsed


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(ref=referrals())
def test_render_then_import_gives_back_the_record(ref: dict[str, Any]) -> None:
    parsed = _parse(render_docx(ref, authority_name=AUTHORITY))
    assert parsed.referral == normalise(ref)
    assert parsed.uncertain == ()


@settings(
    max_examples=5,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(ref=referrals())
def test_render_encrypt_decrypt_import_gives_back_the_record(ref: dict[str, Any]) -> None:
    protected = encrypt_office(render_docx(ref, authority_name=AUTHORITY), PASSWORD)
    assert is_encrypted_office(protected)
    assert _parse(protected, PASSWORD).referral == normalise(ref)


def test_protected_export_written_to_disk_reads_back(tmp_path: Path) -> None:
    ref = filled_referral(41, children=2)
    path = tmp_path / "referral.docx"
    path.write_bytes(encrypt_office(render_docx(ref, authority_name=AUTHORITY), PASSWORD))
    data = path.read_bytes()
    assert ref["children"][0]["full_name"].encode() not in data
    assert _parse(data, PASSWORD).referral == ref
    plain = decrypt_office(data, PASSWORD)
    assert zipfile.ZipFile(io.BytesIO(plain)).testzip() is None


@pytest.mark.parametrize("children", [1, 2, 3])
def test_the_tables_alone_read_back_exactly(children: int) -> None:
    """Without the embedded record (lost, or stripped by some mail filter) nothing is lost."""
    ref = filled_referral(50 + children, children=children)
    tables_only = strip_embedded_record(render_docx(ref, authority_name=AUTHORITY))
    assert b"cmeReferral" not in tables_only
    parsed = _parse(tables_only)
    assert parsed.referral == ref
    assert parsed.uncertain == ()


def test_a_form_edited_after_export_is_read_from_its_tables() -> None:
    ref = filled_referral(44)
    data = render_docx(ref, authority_name=AUTHORITY)
    edited = edit_rendered_text(data, ref["email"], "new.address@example.org")
    assert _parse(edited).referral["email"] == "new.address@example.org"
    assert _parse(data).referral["email"] == ref["email"]


def test_characters_xml_cannot_hold_still_round_trip() -> None:
    ref = filled_referral(45)
    ref["additional_information"] = "Noncharacters \ufffe\uffff kept; tab\tkept."
    ref["children"][0]["aka"] = "Zoë 👨‍👩‍👧"
    parsed = _parse(render_docx(ref, authority_name=AUTHORITY))
    assert parsed.referral == normalise(ref)


def test_embedded_record_is_the_canonical_json() -> None:
    ref = filled_referral(46)
    package = zipfile.ZipFile(io.BytesIO(render_docx(ref, authority_name=AUTHORITY)))
    (name,) = [n for n in package.namelist() if n.endswith("cmeReferral1.xml")]
    xml = package.read(name)
    assert b"text-sha256=" in xml
    start, end = xml.index(b">{") + 1, xml.rindex(b"}") + 1
    assert from_json(xml[start:end]) == ref


def test_layout_follows_appendix_a() -> None:
    ref = filled_referral(47, children=2)
    data = render_docx(ref, authority_name=AUTHORITY)
    doc = docx.Document(io.BytesIO(data))
    paragraphs = [p.text for p in doc.paragraphs]
    assert paragraphs[0] == FORM_TITLE
    assert paragraphs[1] == AUTHORITY
    assert paragraphs.index(ASSESSMENT_HEADING) < paragraphs.index(REFERRER_HEADING)
    pupil, actions, indicators, questions, assessment, referrer = _tables(data)
    assert pupil[0][0].startswith("Name of Pupil")
    assert pupil[0][1] == "\n".join(c["full_name"] for c in ref["children"])
    assert pupil[0][2] == "Address (Last Known)"
    assert actions[0][0] == ACTIONS_HEADING
    assert [row[0].split("\n")[0] for row in actions[2:]] == [t.label for t in REFERRER_ACTIONS]
    assert [row[0] for row in indicators[1:]] == [t.key for t in RISK_INDICATORS]
    assert [row[1] for row in indicators[1:]] == [t.label for t in RISK_INDICATORS]
    assert indicators[10][2:] == ["Yes", "Current"]
    assert [row[0] for row in questions] == [
        SOCIAL_CARE_REFERRAL_QUESTION,
        PARENTAL_CONSENT_QUESTION,
    ]
    assert [row[1] for row in questions] == ["Yes", "No"]
    assert [row[0].split("\n")[0] for row in assessment] == [t.label for t in ASSESSMENT_QUESTIONS]
    assert [row[0] for row in referrer] == ["Name", "Contact Details", "Signature"]
    assert referrer[2][3] == "30/10/2026"


def test_file_properties_name_no_child() -> None:
    ref = filled_referral(48)
    doc = docx.Document(io.BytesIO(render_docx(ref, authority_name=AUTHORITY)))
    props = doc.core_properties
    shown = " ".join(
        str(v) for v in (props.title, props.author, props.subject, props.keywords, props.comments)
    )
    assert props.title == "CME referral"
    assert ref["children"][0]["full_name"] not in shown


def test_unanswered_questions_show_the_prompt() -> None:
    ref = filled_referral(49)
    ref["social_care_referral_considered"] = None
    data = render_docx(ref, authority_name=AUTHORITY)
    assert _tables(data)[3][0][1] == "Yes / No"
    assert _parse(strip_embedded_record(data)).referral["social_care_referral_considered"] is None
