"""A referral as a Word document laid out like policy Appendix A.

``render_docx`` writes the form's tables in the form's order (pupil details,
"Action to be Taken by Referrer", the twenty risk indicators, the two
safeguarding questions, the referrer's assessment, the referrer's details),
with the labels of ``models/vocabularies.py`` and, for the form's own field
labels, those of ``word_form``, which the Word importer reads by.

The machine-readable record (``to_json``) travels inside the document as a
custom XML part, with a digest of the document's visible text: the importer
uses the record only while the text is unchanged, so a form edited in Word
after export is read from its tables, not from a stale record.
"""

from __future__ import annotations

import io
import json
import re
from datetime import date
from typing import Any

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.table import Table, _Cell
from lxml import etree

from cme_desktop.models.vocabularies import (
    ACTIONS_HEADING,
    ASSESSMENT_HEADING,
    ASSESSMENT_INTRO,
    ASSESSMENT_QUESTIONS,
    INDICATOR_COLUMNS,
    INDICATORS_INTRO,
    PARENTAL_CONSENT_QUESTION,
    REFERRER_ACTIONS,
    REFERRER_HEADING,
    RISK_INDICATORS,
    RISK_TIMINGS,
    SOCIAL_CARE_REFERRAL_QUESTION,
    label_of,
)
from cme_desktop.services.documents.privacy import HEADING as PRIVACY_HEADING
from cme_desktop.services.documents.word_form import (
    ACTION_COLUMN,
    ACTION_DATE_PREFIX,
    ADDITIONAL_FIELD,
    CHILD_FIELDS,
    EMBEDDED_NAMESPACE,
    FORM_TITLE,
    OUTCOME_COLUMN,
    PUPIL_FIELDS,
    REFERRER_FIELDS,
    SIGNATURE_LABEL,
    FieldKind,
    FormField,
    form_text_digest,
)
from cme_desktop.services.referral.record import Referral, normalise, to_json
from cme_desktop.services.rules.dates import format_uk_date

__all__ = ["render_docx"]

_EMBEDDED_PART = "/customXml/cmeReferral1.xml"
_EMBEDDED_PROPS_PART = "/customXml/cmeReferralProps1.xml"
_DATASTORE_ITEM_ID = "{5B0A2C4E-6D1F-4F4C-9C35-0E5B8E8A1C01}"
_CT_CUSTOM_XML_PROPS = "application/vnd.openxmlformats-officedocument.customXmlProperties+xml"
_RT_CUSTOM_XML_PROPS = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/customXmlProps"
)
_DS = "http://schemas.openxmlformats.org/officeDocument/2006/customXml"

_NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_LABEL_FILL = "E7EEF7"
_HEADING_FILL = "C9D7EA"


def render_docx(ref: Referral, *, authority_name: str, privacy_notice: str = "") -> bytes:
    """The referral as an (unprotected) ``.docx`` laid out like policy Appendix A.

    Every field is written where the form has it, so the Word importer reads
    it back from the tables; the exact record is also embedded, so importing
    the untouched document gives back ``normalise(ref)`` exactly. Protect the
    result with ``protection.office.encrypt_office`` before it leaves the machine.
    """
    ref = normalise(ref)
    doc = Document()
    _page_setup(doc)
    _title(doc, authority_name)
    _pupil_table(doc, ref)
    _actions_table(doc, ref)
    _indicators_table(doc, ref)
    _questions_table(doc, ref)
    _assessment_table(doc, ref)
    _referrer_table(doc, ref)
    if privacy_notice:
        _privacy(doc, privacy_notice)
    _embed_record(doc, ref)
    props = doc.core_properties
    # Nothing identifying in the file's properties: they show in Explorer and mail previews.
    props.title = "CME referral"
    props.author = authority_name
    props.last_modified_by = authority_name
    props.comments = ""
    props.keywords = ""
    props.subject = ""
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


# --- layout -------------------------------------------------------------------


def _page_setup(doc: Any) -> None:
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width = Cm(21.0)
    section.page_height = Cm(29.7)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(1.5))
    normal = doc.styles["Normal"]
    normal.font.name = "Arial"
    normal.font.size = Pt(10)
    normal.paragraph_format.space_after = Pt(0)
    # East Asian text falls back to the theme font unless told otherwise.
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "Arial")


def _title(doc: Any, authority_name: str) -> None:
    heading = doc.add_paragraph()
    run = heading.add_run(FORM_TITLE)
    run.bold = True
    run.font.size = Pt(13)
    heading.paragraph_format.space_after = Pt(2)
    authority = doc.add_paragraph()
    authority.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    arun = authority.add_run(_xml_safe(authority_name))
    arun.bold = True
    arun.font.color.rgb = RGBColor(0x1F, 0x3A, 0x5F)
    authority.paragraph_format.space_after = Pt(6)


def _table(doc: Any, rows: int, widths_cm: tuple[float, ...]) -> Table:
    table: Table = doc.add_table(rows=rows, cols=len(widths_cm))
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    # Word reads the cell widths, LibreOffice the grid: set both.
    grid = table._tbl.tblGrid
    for col, width in zip(grid.findall(qn("w:gridCol")), widths_cm, strict=True):
        col.set(qn("w:w"), str(int(Cm(width).twips)))
    for row in table.rows:
        # A row split over two pages reads as two answers.
        row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
        for cell, width in zip(row.cells, widths_cm, strict=True):
            cell.width = Cm(width)
    return table


def _gap(doc: Any) -> None:
    doc.add_paragraph().paragraph_format.space_after = Pt(4)


def _write(
    cell: _Cell,
    text: str,
    *,
    bold: bool = False,
    italic: bool = False,
    note: str = "",
    fill: str | None = None,
    size: float | None = None,
) -> None:
    """Write ``text`` in ``cell``, one paragraph a line, with an italic ``note`` after it."""
    lines = _xml_safe(text).split("\n")
    paragraphs = cell.paragraphs
    first = paragraphs[0]
    for i, line in enumerate(lines):
        para = first if i == 0 else cell.add_paragraph()
        if line:
            run = para.add_run(line)
            run.bold = bold
            run.italic = italic
            if size is not None:
                run.font.size = Pt(size)
    if note:
        tail = cell.paragraphs[-1].add_run(" " + note)
        tail.italic = True
        if size is not None:
            tail.font.size = Pt(size)
    if fill is not None:
        _shade(cell, fill)


def _shade(cell: _Cell, fill: str) -> None:
    tc_pr = cell._tc.get_or_add_tcPr()
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    tc_pr.append(shd)


def _label(cell: _Cell, field: FormField | None, text: str = "") -> None:
    if field is None:
        _write(cell, text, bold=True, fill=_LABEL_FILL)
    else:
        _write(cell, field.label, bold=True, note=field.note, fill=_LABEL_FILL)


def _per_child(children: list[dict[str, Any]], key: str, kind: FieldKind) -> str:
    values = [_shown(child[key], kind) for child in children]
    return "\n".join(values) if any(values) else ""


def _shown(value: Any, kind: FieldKind) -> str:
    if value is None:
        return ""
    if kind == "yes_no":
        return "Yes" if value else "No"
    if kind == "date":
        return format_uk_date(date.fromisoformat(value))
    return str(value)


def _pupil_table(doc: Any, ref: Referral) -> None:
    left = CHILD_FIELDS[:7]
    right: tuple[FormField | None, ...] = (*PUPIL_FIELDS[:5], CHILD_FIELDS[7], PUPIL_FIELDS[5])
    table = _table(doc, len(left) + 1, (3.3, 5.7, 3.3, 5.7))
    children = ref["children"]
    for i, field in enumerate(left):
        row = table.rows[i].cells
        _label(row[0], field)
        _write(row[1], _per_child(children, field.path, field.kind))
        rfield = right[i]
        if rfield is None:
            continue
        _label(row[2], rfield)
        if rfield in CHILD_FIELDS:
            _write(row[3], _per_child(children, rfield.path, rfield.kind))
        else:
            _write(row[3], _shown(ref[rfield.path], rfield.kind))
    last = table.rows[len(left)].cells
    _label(last[0], ADDITIONAL_FIELD)
    value = last[1].merge(last[3])
    _write(value, ref[ADDITIONAL_FIELD.path])
    _gap(doc)


def _actions_table(doc: Any, ref: Referral) -> None:
    table = _table(doc, len(REFERRER_ACTIONS) + 2, (7.5, 10.5))
    heading = table.rows[0].cells[0].merge(table.rows[0].cells[1])
    _write(heading, ACTIONS_HEADING, bold=True, fill=_HEADING_FILL)
    _write(table.rows[1].cells[0], ACTION_COLUMN, italic=True, bold=True, fill=_LABEL_FILL)
    _write(table.rows[1].cells[1], OUTCOME_COLUMN, italic=True, bold=True, fill=_LABEL_FILL)
    for i, action in enumerate(REFERRER_ACTIONS, start=2):
        cells = table.rows[i].cells
        _label(cells[0], None, action.label)
        if action.help:
            note = cells[0].add_paragraph().add_run(action.help)
            note.italic = True
            note.font.size = Pt(8.5)
        entry = ref["referrer_actions"][action.key]
        when = entry["date"]
        lines = [entry["outcome"]] if entry["outcome"] else []
        lines.append(f"{ACTION_DATE_PREFIX} {_shown(when, 'date')}".rstrip())
        _write(cells[1], "\n".join(lines))
    _gap(doc)


def _indicators_table(doc: Any, ref: Referral) -> None:
    intro = doc.add_paragraph()
    intro.add_run(INDICATORS_INTRO).italic = True
    intro.paragraph_format.space_after = Pt(3)
    table = _table(doc, len(RISK_INDICATORS) + 1, (1.0, 11.6, 2.2, 3.2))
    # The column headings repeat on the next page, where the table usually continues.
    table.rows[0]._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))
    header = table.rows[0].cells
    for cell, text in zip(header, INDICATOR_COLUMNS, strict=True):
        _write(cell, text, bold=True, fill=_HEADING_FILL)
    for i, term in enumerate(RISK_INDICATORS, start=1):
        cells = table.rows[i].cells
        row = ref["risk_indicators"][term.key]
        _write(cells[0], term.key, fill=_LABEL_FILL)
        _write(cells[1], term.label)
        _write(cells[2], _shown(row["present"], "yes_no"))
        _write(cells[3], label_of(RISK_TIMINGS, row["timing"]))
    _gap(doc)


def _questions_table(doc: Any, ref: Referral) -> None:
    table = _table(doc, 2, (14.0, 4.0))
    for row, question, key in (
        (table.rows[0], SOCIAL_CARE_REFERRAL_QUESTION, "social_care_referral_considered"),
        (table.rows[1], PARENTAL_CONSENT_QUESTION, "parental_consent"),
    ):
        _label(row.cells[0], None, question)
        answer = ref[key]
        _write(row.cells[1], "Yes / No" if answer is None else _shown(answer, "yes_no"))
    _gap(doc)


def _assessment_table(doc: Any, ref: Referral) -> None:
    heading = doc.add_paragraph()
    heading.add_run(ASSESSMENT_HEADING).bold = True
    intro = doc.add_paragraph()
    run = intro.add_run(ASSESSMENT_INTRO)
    run.italic = True
    run.font.size = Pt(8.5)
    intro.paragraph_format.space_after = Pt(3)
    table = _table(doc, len(ASSESSMENT_QUESTIONS), (6.0, 12.0))
    for row, term in zip(table.rows, ASSESSMENT_QUESTIONS, strict=True):
        _label(row.cells[0], None, term.label)
        note = row.cells[0].add_paragraph().add_run(term.help)
        note.italic = True
        note.font.size = Pt(8.5)
        _write(row.cells[1], ref["assessment"][term.key])
    _gap(doc)


def _referrer_table(doc: Any, ref: Referral) -> None:
    heading = doc.add_paragraph()
    heading.add_run(REFERRER_HEADING).bold = True
    heading.paragraph_format.space_after = Pt(3)
    name, position, contact, organisation, completed = REFERRER_FIELDS
    table = _table(doc, 3, (3.3, 5.7, 3.6, 5.4))
    layout = ((name, position), (contact, organisation), (None, completed))
    referrer = ref["referrer"]
    for row, (lfield, rfield) in zip(table.rows, layout, strict=True):
        cells = row.cells
        _label(cells[0], lfield, SIGNATURE_LABEL)
        if lfield is not None:
            _write(cells[1], _shown(referrer[lfield.path.split(".")[1]], lfield.kind))
        _label(cells[2], rfield)
        _write(cells[3], _shown(referrer[rfield.path.split(".")[1]], rfield.kind))


def _privacy(doc: Any, notice: str) -> None:
    heading = doc.add_paragraph()
    heading.add_run(PRIVACY_HEADING).bold = True
    heading.paragraph_format.space_before = Pt(8)
    heading.paragraph_format.space_after = Pt(2)
    text = doc.add_paragraph()
    text.add_run(_xml_safe(notice)).font.size = Pt(8)


# --- the embedded record ---------------------------------------------------------


def _embed_record(doc: Any, ref: Referral) -> None:
    text = to_json(ref)
    if _NOT_XML_CHAR.search(text):
        # XML cannot hold some characters JSON can; escaped, the record is the same.
        text = json.dumps(json.loads(text), ensure_ascii=True, indent=2) + "\n"
    root = etree.Element(f"{{{EMBEDDED_NAMESPACE}}}referral", nsmap={None: EMBEDDED_NAMESPACE})
    root.set("schema", ref["schema"])
    root.set("text-sha256", form_text_digest(doc.element.body))
    root.text = text
    blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    package = doc.part.package
    item = Part(PackURI(_EMBEDDED_PART), "application/xml", blob, package)
    props = etree.Element(f"{{{_DS}}}datastoreItem", nsmap={"ds": _DS})
    props.set(f"{{{_DS}}}itemID", _DATASTORE_ITEM_ID)
    refs = etree.SubElement(props, f"{{{_DS}}}schemaRefs")
    etree.SubElement(refs, f"{{{_DS}}}schemaRef").set(f"{{{_DS}}}uri", EMBEDDED_NAMESPACE)
    props_blob = etree.tostring(props, xml_declaration=True, encoding="UTF-8", standalone=False)
    item_props = Part(PackURI(_EMBEDDED_PROPS_PART), _CT_CUSTOM_XML_PROPS, props_blob, package)
    item.relate_to(item_props, _RT_CUSTOM_XML_PROPS)
    doc.part.relate_to(item, RT.CUSTOM_XML)


def _xml_safe(text: str) -> str:
    return _NOT_XML_CHAR.sub("", text)
