"""A referral form "saved as PDF" (no fields, only printed text) read by its labels: the
ruled tables rebuilt from their lines, a wrapped line joined, a row broken by the page
joined again, tick boxes read; a PDF that is not the form, a scan, or one far too long
is refused in words."""

from __future__ import annotations

import io

import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from cme_desktop.services.errors import NotAReferral
from cme_desktop.services.importing.docx_text import Grid
from cme_desktop.services.importing.flat_pdf import MAX_PAGES, read_flat_pdf
from cme_desktop.services.importing.pdf import parse_pdf

LEFT, MIDDLE, RIGHT = 70.0, 250.0, 520.0
LINE = 13.0


def _row(c: canvas.Canvas, top: float, label: str, value_lines: list[str]) -> float:
    """A ruled two-column row; its lines of value drawn as a word processor draws them."""
    height = LINE * max(1, len(value_lines)) + 6
    bottom = top - height
    c.line(LEFT, top, RIGHT, top)
    c.line(LEFT, bottom, RIGHT, bottom)
    for x in (LEFT, MIDDLE, RIGHT):
        c.line(x, top, x, bottom)
    c.drawString(LEFT + 5, top - LINE, label)
    for n, text in enumerate(value_lines):
        c.drawString(MIDDLE + 5, top - LINE * (n + 1), text)
    return bottom


def flat_form(*, split_row: bool = False) -> bytes:
    """The pupil table as a word processor prints it; with ``split_row`` the last row
    breaks over the page, its first line on one page and the rest on the next."""
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4)
    c.drawString(LEFT, 800, "Referral Checklist for Children Missing out on Education (CME)")
    top = 780.0
    for label, lines in (
        ("Name of Pupil(s)", ["Rachel Stephenson and ", "Leonard Stephenson"]),  # wrapped
        ("Date of Birth", ["17/09/2018; 29/05/2018"]),
        ("Gender", ["M / F"]),
        ("Address (Last Known)", ["Flat 24Y", "Kay Station", "B7T 4AE"]),  # one a line
        ("Email", ["averyveryverylongname@exam", "ple.org"]),  # a long word broken
        ("School/College", ["South Susan Academy"]),
        ("Date Last Attended", ["25/07/2026"]),
        ("Any Additional Information", ["Possible address in Jackfurt."]),
    ):
        top = _row(c, top, label, lines)
    if split_row:
        c.showPage()
        top = _row(c, 800.0, "", ["Family known to Early Help."])
    c.drawString(LEFT, top - 20, "Referrer's Details")
    c.save()
    return out.getvalue()


def test_the_tables_are_rebuilt_and_the_fields_read_by_their_labels() -> None:
    blocks = read_flat_pdf(flat_form())
    grids = [b for b in blocks if isinstance(b, Grid)]
    assert len(grids) == 1 and len(grids[0].rows) == 8
    (parsed,) = parse_pdf(flat_form(), password=None, source="form.pdf")
    ref = parsed.referral
    names = [child["full_name"] for child in ref["children"]]
    assert names == ["Rachel Stephenson", "Leonard Stephenson"]
    assert [c["date_of_birth"] for c in ref["children"]] == ["2018-09-17", "2018-05-29"]
    assert [c["gender"] for c in ref["children"]] == ["M", "F"]
    assert ref["last_known_address"] == "Flat 24Y\nKay Station\nB7T 4AE"
    assert ref["email"] == "averyveryverylongname@example.org"
    assert ref["school"] == "South Susan Academy"
    assert ref["date_last_attended"] == "2026-07-25"


def test_a_table_running_over_the_page_is_one_table() -> None:
    blocks = read_flat_pdf(flat_form(split_row=True))
    grids = [b for b in blocks if isinstance(b, Grid)]
    assert len(grids) == 1 and len(grids[0].rows) == 8  # the broken row is one row
    (parsed,) = parse_pdf(flat_form(split_row=True), password=None, source="form.pdf")
    info = parsed.referral["additional_information"]
    assert info == "Possible address in Jackfurt.\nFamily known to Early Help."


def _pdf(pages: int, text: str | None) -> bytes:
    out = io.BytesIO()
    c = canvas.Canvas(out)
    for _ in range(pages):
        if text:
            c.drawString(72, 720, text)
        else:
            c.rect(72, 500, 300, 200, fill=1)  # a picture of a page: no text
        c.showPage()
    c.save()
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "said"),
    [
        (_pdf(1, "Minutes of the governors' meeting"), "not laid out like the referral form"),
        (_pdf(1, None), "it may be a scan"),
        (_pdf(MAX_PAGES + 1, "A page"), "far more than a referral form"),
    ],
    ids=["not-the-form", "a-scan", "too-long"],
)
def test_a_pdf_that_cannot_be_the_form_is_refused_in_words(data: bytes, said: str) -> None:
    with pytest.raises(NotAReferral, match=said):
        parse_pdf(data, password=None, source="odd.pdf")


def test_damaged_forms_saved_as_pdf_fail_only_in_words() -> None:
    from cme_desktop.services.errors import CmeError
    from tests.support.fixtures_docx import mutated

    original = flat_form(split_row=True)
    for seed in range(150):
        try:
            parse_pdf(mutated(original, seed, flips=12), password=None, source="form.pdf")
        except CmeError as exc:
            assert exc.message and "Traceback" not in exc.message
