"""The blank referral form: a fillable PDF of Appendix A for schools and agencies.

Every box is a form field named after the ``cme-referral/1`` record (spec/referral.md)
as a dotted path, e.g. ``children.0.full_name``, ``referrer_actions.family_contacted.date``,
``risk_indicators.9.present``, so that ``importing.pdf`` reads a filled form back field by
field. Yes/No and Current/Historic are radio buttons with the export values ``Yes``/``No``
and ``Current``/``Historic``. The dotted names are stored as a proper field hierarchy
(``risk_indicators`` > ``9`` > ``present``): the PDF standard does not allow a period in
one part of a name, and Adobe Reader and browsers then agree on every field's full name
(``form_fields.finish_fields`` does that once the form is drawn).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas
from reportlab.platypus import Paragraph

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
    SOCIAL_CARE_REFERRAL_QUESTION,
)
from cme_desktop.services.documents.form_fields import finish_fields
from cme_desktop.services.documents.referral_pdf import (
    ACTION_COLUMNS,
    ADDITIONAL_INFORMATION_HINT,
    BOTTOM_MARGIN,
    CHILD_LABELS,
    CONTENT_WIDTH,
    FAMILY_HEADING,
    FAMILY_LABELS,
    MARGIN,
    REFERRER_LABELS,
    TITLE,
    TOP_MARGIN,
    Styles,
)
from cme_desktop.services.documents.styles import (
    FORM_GRID,
    FORM_SHADE,
    PAGE_HEIGHT,
    AuthorityDetails,
    document_fonts,
    draw_page_furniture,
    markup,
)

#: How many pupils the form has room for (brothers and sisters referred together).
CHILD_SLOTS = 3
YES_NO = (("Yes", "Yes"), ("No", "No"))
CURRENT_HISTORIC = (("Current", "C"), ("Historic", "H"))
DATE_HINT = "(dd/mm/yyyy)"

_FIELD_FILL = colors.Color(0.93, 0.95, 1.0)
_PAD = 3
_LINE = 11.5  # points per line of a text field
_RADIO = 9


@dataclass(frozen=True)
class _Label:
    text: str
    hint: str = ""
    bold: bool = True
    centred: bool = False


@dataclass(frozen=True)
class _Field:
    name: str
    tooltip: str
    lines: int = 1


@dataclass(frozen=True)
class _Choice:
    name: str
    tooltip: str
    options: tuple[tuple[str, str], ...]


_Cell = _Label | _Field | _Choice


def render_blank_form(*, authority: AuthorityDetails) -> bytes:
    """The fillable referral form of ``authority`` as PDF bytes (A4, not encrypted)."""
    fonts = document_fonts()
    styles = Styles(fonts)
    pages = _Form(canvas.Canvas(io.BytesIO(), pagesize=A4), authority, styles, 0).draw()
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4, pageCompression=1)
    c.setTitle(f"{TITLE} - blank form")
    c.setAuthor(authority.name)
    c.setCreator("CME Desktop")
    _Form(c, authority, styles, pages).draw()
    c.save()
    return finish_fields(out.getvalue())


class _Form:
    """Draws the form top to bottom, starting a new page when a row does not fit."""

    def __init__(
        self, c: canvas.Canvas, authority: AuthorityDetails, styles: Styles, total: int
    ) -> None:
        self.c = c
        self.authority = authority
        self.s = styles
        self.total = total
        self.page = 1
        self.y = PAGE_HEIGHT - TOP_MARGIN

    # --- the page ---------------------------------------------------------------

    def draw(self) -> int:
        self._title()
        self._children()
        self._family()
        self._actions()
        self._indicators()
        self._questions()
        self._assessment()
        self._referrer()
        self._closing_note()
        self._finish_page()
        return self.page

    def _finish_page(self) -> None:
        draw_page_furniture(
            self.c,
            self.authority,
            self.s,
            margin=MARGIN,
            rule=FORM_GRID,
            number=self.page,
            total=max(self.total, self.page),
        )
        self.c.showPage()

    def _need(self, height: float) -> None:
        if self.y - height < BOTTOM_MARGIN:
            self._finish_page()
            self.page += 1
            self.y = PAGE_HEIGHT - TOP_MARGIN

    def _paragraph(self, text: str, style: Any, width: float, *, gap: float = 2) -> None:
        para = Paragraph(text, style)
        _, height = para.wrap(width, PAGE_HEIGHT)
        self._need(height + gap)
        para.drawOn(self.c, MARGIN, self.y - height)
        self.y -= height + gap

    def _heading(self, text: str, *, keep: float) -> None:
        """A section heading, moved to the next page with the first ``keep`` points of its body."""
        self._need(self.s.heading.leading + 8 + keep)
        self.y -= 6
        self._paragraph(markup(text), self.s.heading, CONTENT_WIDTH, gap=3)

    # --- rows of cells ----------------------------------------------------------

    def _label_paragraph(self, cell: _Label, width: float) -> Paragraph:
        style = self.s.label if cell.bold else self.s.value
        if cell.centred:
            style = self.s.centre_strong if cell.bold else self.s.centre
        text = markup(cell.text)
        if cell.hint:
            text += f"<br/><font name='{self.s.fonts.italic}' size='7.5'>{markup(cell.hint)}</font>"
        para = Paragraph(text, style)
        para.wrap(width - 2 * _PAD, PAGE_HEIGHT)
        return para

    def _row(self, cells: list[_Cell], widths: list[float], *, min_height: float = 0) -> None:
        height = max(min_height, _LINE + 2 * _PAD)
        paragraphs: dict[int, Paragraph] = {}
        for i, (cell, width) in enumerate(zip(cells, widths, strict=True)):
            if isinstance(cell, _Label):
                paragraphs[i] = self._label_paragraph(cell, width)
                height = max(height, paragraphs[i].height + 2 * _PAD + 1)
            elif isinstance(cell, _Field):
                height = max(height, cell.lines * _LINE + 2 * _PAD)
        self._need(height)
        x = MARGIN
        top = self.y
        for i, (cell, width) in enumerate(zip(cells, widths, strict=True)):
            shaded = isinstance(cell, _Label) and cell.bold
            self.c.setStrokeColor(FORM_GRID)
            self.c.setLineWidth(0.5)
            self.c.setFillColor(FORM_SHADE if shaded else colors.white)
            self.c.rect(x, top - height, width, height, stroke=1, fill=1)
            if isinstance(cell, _Label):
                para = paragraphs[i]
                para.drawOn(self.c, x + _PAD, top - _PAD - para.height)
            elif isinstance(cell, _Field):
                self._text_field(cell, x, top - height, width, height)
            else:
                self._radios(cell, x, top - height, width, height)
            x += width
        self.y -= height

    def _text_field(self, cell: _Field, x: float, y: float, width: float, height: float) -> None:
        self.c.acroForm.textfield(
            name=cell.name,
            tooltip=cell.tooltip,
            x=x + 1,
            y=y + 1,
            width=width - 2,
            height=height - 2,
            value="",
            fontName="Helvetica",
            fontSize=9,
            borderWidth=0,
            fillColor=_FIELD_FILL,
            textColor=colors.black,
            fieldFlags="multiline" if cell.lines > 1 else "",
            maxlen=0,
        )

    def _radios(self, cell: _Choice, x: float, y: float, width: float, height: float) -> None:
        step = width / len(cell.options)
        for n, (value, caption) in enumerate(cell.options):
            caption_width = self.c.stringWidth(caption, self.s.fonts.regular, 8.5)
            left = x + n * step + (step - _RADIO - 3 - caption_width) / 2
            bottom = y + (height - _RADIO) / 2
            self.c.acroForm.radio(
                name=cell.name,
                tooltip=f"{cell.tooltip}: {value}",
                value=value,
                selected=False,
                x=left,
                y=bottom,
                size=_RADIO,
                buttonStyle="circle",
                shape="circle",
                borderWidth=0.8,
                borderColor=colors.black,
                fillColor=colors.white,
                textColor=colors.black,
                fieldFlags="radio",
                forceBorder=True,
            )
            self.c.setFillColor(colors.black)
            self.c.setFont(self.s.fonts.regular, 8.5)
            self.c.drawString(left + _RADIO + 3, bottom + 1.5, caption)

    def _pairs(self, rows: list[tuple[_Cell, _Cell, _Cell, _Cell]], *, line: int = 1) -> None:
        widths = [CONTENT_WIDTH * w for w in (0.19, 0.31, 0.19, 0.31)]
        for row in rows:
            self._row(list(row), widths)

    # --- the sections -------------------------------------------------------------

    def _title(self) -> None:
        c = self.c
        title = Paragraph(markup(TITLE), self.s.title)
        _, th = title.wrap(CONTENT_WIDTH * 0.64, PAGE_HEIGHT)
        title.drawOn(c, MARGIN, self.y - th)
        name = Paragraph(markup(self.authority.name), self.s.authority)
        _, nh = name.wrap(CONTENT_WIDTH * 0.36, PAGE_HEIGHT)
        name.drawOn(c, MARGIN + CONTENT_WIDTH * 0.64, self.y - nh)
        self.y -= max(th, nh) + 4
        c.setStrokeColor(colors.black)
        c.setLineWidth(1.2)
        c.line(MARGIN, self.y, MARGIN + CONTENT_WIDTH, self.y)
        self.y -= 6
        self._paragraph(
            markup(
                "Type in the shaded boxes (Adobe Reader or a web browser), save the form, "
                "and send it as the last line of the form asks. Dates as dd/mm/yyyy."
            ),
            self.s.note,
            CONTENT_WIDTH,
        )

    def _children(self) -> None:
        lab = CHILD_LABELS
        for slot in range(CHILD_SLOTS):
            heading = f"Pupil {slot + 1}"
            if slot:
                heading += " (a brother or sister referred with pupil 1, if any)"
            self._heading(heading, keep=4 * (_LINE + 2 * _PAD))
            p = f"children.{slot}"
            self._pairs(
                [
                    (
                        _Label(lab["full_name"]),
                        _Field(f"{p}.full_name", lab["full_name"]),
                        _Label(lab["aka"]),
                        _Field(f"{p}.aka", lab["aka"]),
                    ),
                    (
                        _Label(lab["date_of_birth"], DATE_HINT),
                        _Field(f"{p}.date_of_birth", f"{lab['date_of_birth']} {DATE_HINT}"),
                        _Label(lab["gender"]),
                        _Field(f"{p}.gender", lab["gender"]),
                    ),
                    (
                        _Label(lab["ethnicity"]),
                        _Field(f"{p}.ethnicity", lab["ethnicity"]),
                        _Label(lab["child_in_care"]),
                        _Choice(f"{p}.child_in_care", lab["child_in_care"], YES_NO),
                    ),
                    (
                        _Label(lab["sen_disability"]),
                        _Field(f"{p}.sen_disability", lab["sen_disability"], lines=2),
                        _Label(lab["upn"]),
                        _Field(f"{p}.upn", lab["upn"]),
                    ),
                ]
            )

    def _family(self) -> None:
        lab = FAMILY_LABELS
        self._heading(FAMILY_HEADING, keep=6 * _LINE)
        self._pairs(
            [
                (
                    _Label(lab["last_known_address"]),
                    _Field("last_known_address", lab["last_known_address"], lines=5),
                    _Label(lab["parents_carers"]),
                    _Field("parents_carers", lab["parents_carers"], lines=5),
                ),
                (
                    _Label(lab["telephone"]),
                    _Field("telephone", lab["telephone"], lines=2),
                    _Label(lab["email"]),
                    _Field("email", lab["email"], lines=2),
                ),
                (
                    _Label(lab["school"]),
                    _Field("school", lab["school"], lines=2),
                    _Label(lab["date_last_attended"], DATE_HINT),
                    _Field("date_last_attended", lab["date_last_attended"]),
                ),
            ]
        )
        self._row(
            [_Label(lab["additional_information"], ADDITIONAL_INFORMATION_HINT)], [CONTENT_WIDTH]
        )
        self._row(
            [_Field("additional_information", lab["additional_information"], lines=6)],
            [CONTENT_WIDTH],
        )

    def _actions(self) -> None:
        self._heading(ACTIONS_HEADING, keep=5 * _LINE + 40)
        widths = [CONTENT_WIDTH * w for w in (0.42, 0.42, 0.16)]
        self._row(
            [
                _Label(ACTION_COLUMNS[0]),
                _Label(ACTION_COLUMNS[1]),
                _Label(ACTION_COLUMNS[2], DATE_HINT),
            ],
            widths,
        )
        for term in REFERRER_ACTIONS:
            p = f"referrer_actions.{term.key}"
            self._row(
                [
                    _Label(term.label, term.help, bold=False),
                    _Field(f"{p}.outcome", f"{term.label}: outcome", lines=4),
                    _Field(f"{p}.date", f"{term.label}: date completed {DATE_HINT}"),
                ],
                widths,
            )

    def _indicators(self) -> None:
        widths = [CONTENT_WIDTH * w for w in (0.06, 0.58, 0.17, 0.19)]
        header = [_Label(h, centred=i != 1) for i, h in enumerate(INDICATOR_COLUMNS)]
        # Keep the introduction, the header and the first rows together.
        self._need(60 + 3 * (_LINE + 2 * _PAD))
        self.y -= 6
        self._paragraph(markup(INDICATORS_INTRO), self.s.note, CONTENT_WIDTH)
        self._row(list(header), widths)
        for term in RISK_INDICATORS:
            p = f"risk_indicators.{term.key}"
            if self.y - 2 * (_LINE + 2 * _PAD) < BOTTOM_MARGIN:
                self._need(PAGE_HEIGHT)  # a new page, with the header repeated
                self._row(list(header), widths)
            self._row(
                [
                    _Label(term.key, bold=False, centred=True),
                    _Label(term.label, bold=False),
                    _Choice(f"{p}.present", f"{term.key}. {term.label}", YES_NO),
                    _Choice(f"{p}.timing", f"{term.key}. Current or historic", CURRENT_HISTORIC),
                ],
                widths,
            )

    def _questions(self) -> None:
        self.y -= 8
        widths = [CONTENT_WIDTH * 0.81, CONTENT_WIDTH * 0.19]
        self._row(
            [
                _Label(SOCIAL_CARE_REFERRAL_QUESTION),
                _Choice("social_care_referral_considered", "Referral to Social Care", YES_NO),
            ],
            widths,
        )
        self._row(
            [
                _Label(PARENTAL_CONSENT_QUESTION),
                _Choice("parental_consent", "Consent from parents", YES_NO),
            ],
            widths,
        )

    def _assessment(self) -> None:
        self._heading(ASSESSMENT_HEADING, keep=40 + 7 * _LINE)
        self._paragraph(markup(ASSESSMENT_INTRO), self.s.note, CONTENT_WIDTH, gap=4)
        for term in ASSESSMENT_QUESTIONS:
            self._need(40 + 7 * _LINE)
            self._row([_Label(term.label, term.help)], [CONTENT_WIDTH])
            self._row([_Field(f"assessment.{term.key}", term.label, lines=7)], [CONTENT_WIDTH])
            self.y -= 5

    def _referrer(self) -> None:
        lab = REFERRER_LABELS
        self._heading(REFERRER_HEADING, keep=3 * (2 * _LINE + 2 * _PAD))
        self._pairs(
            [
                (
                    _Label(lab["name"]),
                    _Field("referrer.name", lab["name"]),
                    _Label(lab["position"]),
                    _Field("referrer.position", lab["position"]),
                ),
                (
                    _Label(lab["contact_details"]),
                    _Field("referrer.contact_details", lab["contact_details"], lines=2),
                    _Label(lab["organisation"]),
                    _Field("referrer.organisation", lab["organisation"], lines=2),
                ),
                (
                    _Label(lab["date_completed"], DATE_HINT),
                    _Field("referrer.date_completed", lab["date_completed"]),
                    _Label("", bold=False),
                    _Label("", bold=False),
                ),
            ]
        )

    def _closing_note(self) -> None:
        self.y -= 8
        if self.authority.email:
            text = (
                "Please password protect the completed form and email to "
                f"<b>{markup(self.authority.email)}</b>"
            )
        else:
            text = (
                "Please password protect the completed form and email it to the local "
                "authority's Children Missing Education officer."
            )
        self._paragraph(text, self.s.value, CONTENT_WIDTH)
