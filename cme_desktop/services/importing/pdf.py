"""Reading a referral from a PDF: our own export, or our fillable form filled in.

1. A PDF exported by CME Desktop carries the record as the embedded file
   ``referral.json``: it is read back exactly, with nothing uncertain.
2. A filled fillable form (``blank_form``) has fields named after the record's dotted
   paths; each is read by name. Dates and Yes/No typed into a text box are read
   leniently, and what cannot be read is listed in ``uncertain`` for the officer.
3. A Word form "saved as PDF" (no form fields, only its printed text) is read by its
   labels like the Word form: ``flat_pdf`` rebuilds its paragraphs and ruled tables
   from the page, and ``docx_fields.read_form`` finds each field.
4. Anything else is not a referral (``NotAReferral``).

Protected PDFs are opened with the password given (``pdf_security.open_pdf`` and its
limits); nothing decrypted is written to disk.
"""

from __future__ import annotations

import io
import re
import zlib
from collections.abc import Iterator
from typing import Any

import pikepdf

from cme_desktop.models.vocabularies import (
    ASSESSMENT_QUESTIONS,
    REFERRER_ACTIONS,
    RISK_INDICATOR_KEYS,
)
from cme_desktop.services.documents.referral_pdf import ATTACHMENT_NAME
from cme_desktop.services.errors import CorruptFile, HostileFile, NotAReferral
from cme_desktop.services.importing.result import ParsedReferral
from cme_desktop.services.protection.pdf import open_pdf
from cme_desktop.services.referral.record import SCHEMA, from_json, normalise
from cme_desktop.services.referral.typed_answers import parse_timing, parse_yes_no
from cme_desktop.services.rules.dates import parse_uk_date

#: Far more than a referral record needs; the JSON is a few kilobytes.
MAX_RECORD_BYTES = 2_000_000
#: A form field tree deeper or wider than this was not made by anyone filling a form.
MAX_FIELD_DEPTH = 12
MAX_FIELDS = 5_000
#: The form has room for three pupils; a form from a later version may have more.
MAX_CHILDREN = 20

_CHILD_TEXT = ("full_name", "aka", "gender", "ethnicity", "sen_disability", "upn")
_TOP_TEXT = (
    "last_known_address",
    "parents_carers",
    "telephone",
    "email",
    "school",
    "additional_information",
)
_REFERRER_TEXT = ("name", "position", "contact_details", "organisation")
_CHILD_FIELD = re.compile(r"children\.([0-9]{1,2})\.([a-z_]+)")


def parse_pdf(data: bytes, *, password: str | None, source: str) -> list[ParsedReferral]:
    """The referral in a PDF: one ``ParsedReferral`` (a list, like every importer's result).

    Raises ``PasswordRequired``/``WrongPassword`` for a protected PDF without the right
    password, ``CorruptFile``/``HostileFile`` for a damaged or dangerous one, and
    ``NotAReferral`` for a PDF that is neither our export nor our filled form.
    """
    with open_pdf(data, password) as doc:
        record_json = _embedded_record(doc)
        if record_json is not None:
            referral = from_json(record_json)
            uncertain: tuple[str, ...] = ()
        elif isinstance(doc.Root.get("/AcroForm"), pikepdf.Dictionary):
            values = _field_values(doc)
            referral, uncertain = _referral_from_fields(values)
        else:
            referral, uncertain = _printed_form(doc)
    return [
        ParsedReferral(
            referral=referral,
            source=source,
            uncertain=uncertain,
            original=data,
            original_name=_file_name(source),
        )
    ]


def _file_name(source: str) -> str:
    last = source.rsplit("›", 1)[-1].strip()
    return re.split(r"[\\/]", last)[-1]


# --- 1. our export -------------------------------------------------------------------


def _embedded_record(doc: pikepdf.Pdf) -> bytes | None:
    """The bytes of the embedded ``referral.json``, or ``None`` when there is none."""
    try:
        spec = doc.attachments.get(ATTACHMENT_NAME)
        if spec is None:
            return None
        stream = spec.get_file().obj
        if not isinstance(stream, pikepdf.Stream):
            raise CorruptFile("The referral attached to this PDF is damaged.")
        return _read_bounded(stream)
    except (pikepdf.PdfError, KeyError, AttributeError, TypeError, ValueError):
        raise CorruptFile("The referral attached to this PDF is damaged.") from None


def _read_bounded(stream: pikepdf.Stream) -> bytes:
    """A stream's decoded bytes, refusing to inflate past ``MAX_RECORD_BYTES``.

    A few kilobytes of deflated data can expand to gigabytes, so the data is inflated
    here, with a limit, rather than by ``read_bytes()``.
    """
    raw = stream.read_raw_bytes()
    filters = stream.get("/Filter")
    if isinstance(filters, pikepdf.Array):
        filters = filters[0] if len(filters) == 1 else filters
    too_large = HostileFile("The referral attached to this PDF is far too large to be one.")
    if filters is None:
        data = raw
    elif filters == pikepdf.Name.FlateDecode and "/DecodeParms" not in stream:
        inflater = zlib.decompressobj()
        try:
            data = inflater.decompress(raw, MAX_RECORD_BYTES + 1)
        except zlib.error:
            raise CorruptFile("The referral attached to this PDF is damaged.") from None
        if inflater.unconsumed_tail:
            raise too_large
    else:
        raise NotAReferral("The file attached to this PDF is not a CME referral record.")
    if len(data) > MAX_RECORD_BYTES:
        raise too_large
    return bytes(data)


# --- 3. a form saved as PDF ------------------------------------------------------------


def _printed_form(doc: pikepdf.Pdf) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The referral in the printed text of a PDF without fields (``flat_pdf``)."""
    from cme_desktop.services.importing.docx_fields import read_form
    from cme_desktop.services.importing.flat_pdf import not_a_form, read_flat_pdf

    plain = io.BytesIO()
    try:
        doc.save(plain)  # decrypted, in memory: pypdf reads the text from this copy
    except pikepdf.PdfError:
        raise CorruptFile("The PDF is damaged and its text cannot be read.") from None
    blocks = read_flat_pdf(plain.getvalue())
    try:
        return read_form(blocks)
    except NotAReferral:
        raise not_a_form() from None


# --- 2. a filled form ----------------------------------------------------------------


def _field_values(doc: pikepdf.Pdf) -> dict[str, str]:
    """Every terminal form field's full name and its value as text (``""`` when empty)."""
    acroform = doc.Root.get("/AcroForm")
    if not isinstance(acroform, pikepdf.Dictionary):
        raise NotAReferral(
            "This PDF is not a CME referral: it is neither a referral exported by CME "
            "Desktop nor the fillable referral form. If it is the Word form saved or printed "
            "as PDF, only its printed text is left, which cannot be imported: ask the sender "
            "for the Word form (.docx) itself, protected with a password."
        )
    fields = acroform.get("/Fields")
    values: dict[str, str] = {}
    if isinstance(fields, pikepdf.Array):
        for name, value in _walk(fields, "", 0, set()):
            if len(values) >= MAX_FIELDS:
                raise HostileFile("The form in this PDF has far more fields than a referral.")
            values[name] = value
    return values


def _walk(
    kids: pikepdf.Array, prefix: str, depth: int, seen: set[tuple[int, int]]
) -> Iterator[tuple[str, str]]:
    if depth > MAX_FIELD_DEPTH:
        raise HostileFile("The form in this PDF is nested far too deeply to be a referral.")
    for kid in kids:
        if not isinstance(kid, pikepdf.Dictionary):
            continue
        if kid.is_indirect:
            if kid.objgen in seen:
                raise CorruptFile("The form in this PDF is damaged (its fields loop).")
            seen.add(kid.objgen)
        part = kid.get("/T")
        if part is None:
            continue  # a widget: its field is the parent
        name = f"{prefix}.{part}" if prefix else str(part)
        children = kid.get("/Kids")
        named_kids = isinstance(children, pikepdf.Array) and any(
            isinstance(k, pikepdf.Dictionary) and "/T" in k for k in children
        )
        if named_kids and isinstance(children, pikepdf.Array):
            yield from _walk(children, name, depth + 1, seen)
        else:
            value = _text_of(kid.get("/V"))
            if not value and isinstance(children, pikepdf.Array):
                value = _chosen_widget_state(children)
            yield name, value


def _chosen_widget_state(widgets: pikepdf.Array) -> str:
    """The state of the radio button shown as chosen, for viewers that set only that."""
    for widget in widgets:
        if isinstance(widget, pikepdf.Dictionary):
            state = _text_of(widget.get("/AS"))
            if state:
                return state
    return ""


def _text_of(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, pikepdf.Name):
        text = str(value)[1:]
        return "" if text == "Off" else text
    if isinstance(value, pikepdf.Array):
        return "\n".join(_text_of(v) for v in value)
    if isinstance(value, pikepdf.String | str):
        return str(value)
    return ""


def _known_names() -> frozenset[str]:
    names = {f"children.0.{k}" for k in (*_CHILD_TEXT, "date_of_birth", "child_in_care")}
    names.update(_TOP_TEXT)
    names.update({"date_last_attended", "social_care_referral_considered", "parental_consent"})
    for term in REFERRER_ACTIONS:
        names.update({f"referrer_actions.{term.key}.outcome", f"referrer_actions.{term.key}.date"})
    for key in RISK_INDICATOR_KEYS:
        names.update({f"risk_indicators.{key}.present", f"risk_indicators.{key}.timing"})
    names.update(f"assessment.{t.key}" for t in ASSESSMENT_QUESTIONS)
    names.update(f"referrer.{k}" for k in (*_REFERRER_TEXT, "date_completed"))
    return frozenset(names)


_KNOWN = _known_names()


class _FormReader:
    """Reads field values into record values, noting each one it could not read."""

    def __init__(self, values: dict[str, str]) -> None:
        self.values = values
        self.uncertain: list[str] = []

    def text(self, name: str) -> str:
        return self.values.get(name, "")

    def date(self, name: str, path: str | None = None) -> str | None:
        typed = self.text(name).strip()
        if not typed:
            return None
        found = parse_uk_date(typed)
        if found is None:
            self.uncertain.append(path or name)
            return None
        return found.isoformat()

    def yes_no(self, name: str, path: str | None = None) -> bool | None:
        typed = self.text(name).strip()
        if not typed:
            return None
        answer = parse_yes_no(typed)
        if answer is None:
            self.uncertain.append(path or name)
        return answer

    def timing(self, name: str) -> str | None:
        typed = self.text(name).strip()
        if not typed:
            return None
        answer = parse_timing(typed)
        if answer is None:
            self.uncertain.append(name)
        return answer


def _referral_from_fields(values: dict[str, str]) -> tuple[dict[str, Any], tuple[str, ...]]:
    if not any(name in _KNOWN for name in values):
        raise NotAReferral(
            "This PDF has a form, but not the CME referral form: none of its fields "
            "are the referral's."
        )
    if not any(v.strip() for name, v in values.items() if _is_ours(name)):
        raise NotAReferral("The referral form in this PDF has not been filled in.")
    read = _FormReader(values)
    record: dict[str, Any] = {"schema": SCHEMA, "children": _children(read)}
    for key in _TOP_TEXT:
        record[key] = read.text(key)
    record["date_last_attended"] = read.date("date_last_attended")
    record["referrer_actions"] = {
        t.key: {
            "outcome": read.text(f"referrer_actions.{t.key}.outcome"),
            "date": read.date(f"referrer_actions.{t.key}.date"),
        }
        for t in REFERRER_ACTIONS
    }
    indicators: dict[str, dict[str, Any]] = {}
    for key in RISK_INDICATOR_KEYS:
        path = f"risk_indicators.{key}"
        present = read.yes_no(f"{path}.present")
        timing = read.timing(f"{path}.timing")
        if timing is not None and present is not True:
            # A timing marked without "Yes": the referrer may have meant Yes.
            read.uncertain.append(f"{path}.present")
        indicators[key] = {"present": present, "timing": timing}
    record["risk_indicators"] = indicators
    record["social_care_referral_considered"] = read.yes_no("social_care_referral_considered")
    record["parental_consent"] = read.yes_no("parental_consent")
    record["assessment"] = {t.key: read.text(f"assessment.{t.key}") for t in ASSESSMENT_QUESTIONS}
    referrer: dict[str, Any] = {k: read.text(f"referrer.{k}") for k in _REFERRER_TEXT}
    referrer["date_completed"] = read.date("referrer.date_completed")
    record["referrer"] = referrer
    return normalise(record), tuple(dict.fromkeys(read.uncertain))


def _is_ours(name: str) -> bool:
    child = _CHILD_FIELD.fullmatch(name)
    return name in _KNOWN or (child is not None and f"children.0.{child.group(2)}" in _KNOWN)


def _children(read: _FormReader) -> list[dict[str, Any]]:
    slots = sorted(
        {int(m.group(1)) for m in map(_CHILD_FIELD.fullmatch, read.values) if m is not None}
    )
    children: list[dict[str, Any]] = []
    for slot in slots[:MAX_CHILDREN]:
        p = f"children.{slot}"
        filled = any(
            read.text(f"{p}.{k}").strip() for k in (*_CHILD_TEXT, "date_of_birth", "child_in_care")
        )
        if not filled:
            continue
        # Uncertain paths name the child's place in the record, not the form's slot.
        at = f"children.{len(children)}"
        child: dict[str, Any] = {k: read.text(f"{p}.{k}") for k in _CHILD_TEXT}
        child["upn"] = child["upn"] or None
        child["date_of_birth"] = read.date(f"{p}.date_of_birth", f"{at}.date_of_birth")
        child["child_in_care"] = read.yes_no(f"{p}.child_in_care", f"{at}.child_in_care")
        children.append(child)
    return children
