"""The referral record, ``cme-referral/1`` (spec/referral.md, policy Appendix A).

A referral is a plain ``dict`` shaped exactly like its JSON, so every importer,
exporter and the referral editor share one shape without a mapping layer.
``normalise`` is the gate: whatever claims to be a referral passes through it
and comes out canonical (every key present, in the schema's order; text
trimmed with ``\\n`` line breaks; ISO dates; ``True``/``False``/``None``
answers). ``field_label`` names each field as the form does. What is worth
pointing out about a record is in ``referral.validation``; the lenient readers
of what people type are in ``referral.typed_answers`` and ``rules.dates``.

Decisions written down so they can be challenged:

- ``present`` is ``True`` (Yes), ``False`` (No) or ``None`` (not answered);
  ``timing`` is kept only when ``present`` is ``True``. ``validate`` warns about
  a timing given without a Yes *before* normalising wipes it.
- A UPN written as 13 letters and digits (spaces allowed) is stored without
  spaces in capitals; anything else is kept as typed for ``validate`` to flag.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from cme_desktop.models.vocabularies import (
    ASSESSMENT_QUESTIONS,
    REFERRER_ACTIONS,
    RISK_INDICATOR_KEYS,
)
from cme_desktop.services.errors import HostileFile, NotAReferral
from cme_desktop.services.rules.names import strip_format

__all__ = [
    "SCHEMA",
    "Finding",
    "Referral",
    "empty_referral",
    "field_label",
    "from_json",
    "normalise",
    "read_referral",
    "to_json",
]

SCHEMA = "cme-referral/1"

#: A referral record: a plain dict shaped like the JSON of spec/referral.md.
Referral = dict[str, Any]
Severity = Literal["error", "warning"]

#: A JSON referral is a few kilobytes; anything far larger is not one we wrote.
MAX_JSON_BYTES = 2_000_000

# --- the shape -------------------------------------------------------------
# Each field: (key, kind, the form's label). Kinds: "text" (str, "" when
# blank), "name" (text without invisible format characters, see rules.names),
# "date" (ISO str or None), "yes_no" (bool or None), "upn" (str or None).

_Fields = tuple[tuple[str, str, str], ...]
_CHILD_FIELDS: _Fields = (
    ("full_name", "name", "Name of Pupil(s)"),
    ("aka", "name", "AKA"),
    ("date_of_birth", "date", "Date of Birth"),
    ("gender", "text", "Gender"),
    ("ethnicity", "text", "Ethnicity"),
    ("sen_disability", "text", "SEN & Disability"),
    ("child_in_care", "yes_no", "Child in Care?"),
    ("upn", "upn", "UPN"),
)
_FAMILY_FIELDS: _Fields = (
    ("last_known_address", "text", "Address (Last Known)"),
    ("parents_carers", "name", "Parents'/Carers' Names"),
    ("telephone", "text", "Telephone No."),
    ("email", "text", "Email"),
    ("school", "text", "School/College"),
    ("date_last_attended", "date", "Date Last Attended"),
    ("additional_information", "text", "Any Additional Information"),
)
_QUESTION_FIELDS: _Fields = (
    ("social_care_referral_considered", "yes_no", "Have you considered a referral to Social Care?"),
    ("parental_consent", "yes_no", "Have you gained consent from parents?"),
)
_ACTION_FIELDS: _Fields = (("outcome", "text", "Outcome"), ("date", "date", "date completed"))
_ASSESSMENT_FIELDS: _Fields = tuple((t.key, "text", t.label) for t in ASSESSMENT_QUESTIONS)
_REFERRER_FIELDS: _Fields = (
    ("name", "name", "Referrer's Name"),
    ("position", "text", "Position/Title"),
    ("contact_details", "text", "Contact Details"),
    ("organisation", "text", "School/College or Agency"),
    ("date_completed", "date", "Date Completed"),
)
_ACTION_KEYS = tuple(t.key for t in REFERRER_ACTIONS)
_TOP_KEYS = (
    ("schema", "children")
    + tuple(k for k, _, _ in _FAMILY_FIELDS)
    + ("referrer_actions", "risk_indicators")
    + tuple(k for k, _, _ in _QUESTION_FIELDS)
    + ("assessment", "referrer")
)
_TIMINGS = ("current", "historic")
_LABELS: dict[str, str] = (
    {f"children.{k}": label for k, _, label in _CHILD_FIELDS}
    | {k: label for k, _, label in _FAMILY_FIELDS + _QUESTION_FIELDS}
    | {f"assessment.{k}": label for k, _, label in _ASSESSMENT_FIELDS}
    | {f"referrer.{k}": label for k, _, label in _REFERRER_FIELDS}
    | {
        f"referrer_actions.{t.key}.{k}": f"{t.label}: {label}"
        for t in REFERRER_ACTIONS
        for k, _, label in _ACTION_FIELDS
    }
    | {"children": "Name of Pupil(s)", "risk_indicators": "Risk Indicators"}
    | {"referrer_actions": "Action to be Taken by Referrer", "referrer": "Referrer's Details"}
    | {"assessment": "Referrer Assessment"}
)


def field_label(path: str) -> str:
    """How the form names the field at a dotted ``path``, for messages and the review screen.

    ``"children.1.date_of_birth"`` is "Date of Birth (child 2)",
    ``"risk_indicators.9.timing"`` is "Risk indicator 9: Current / Historic";
    an unknown path is returned as it is.
    """
    parts = path.split(".")
    if len(parts) == 3 and parts[0] == "children" and parts[1].isdigit():
        label = _LABELS.get(f"children.{parts[2]}", parts[2])
        return f"{label} (child {int(parts[1]) + 1})"
    if len(parts) >= 2 and parts[0] == "risk_indicators":
        column = {"present": ": Yes or No?", "timing": ": Current / Historic"}
        return f"Risk indicator {parts[1]}" + (column.get(parts[2], "") if len(parts) > 2 else "")
    return _LABELS.get(path, path)


@dataclass(frozen=True)
class Finding:
    """One point about a referral.

    ``field`` is a dotted path such as ``"children.0.date_of_birth"`` (see
    ``field_label``); ``severity`` is ``"error"`` for a malformed value and
    ``"warning"`` for something the officer should check.
    """

    field: str
    message: str
    severity: Severity = "error"


def empty_referral() -> Referral:
    """A blank referral: every key present, one blank child, all twenty indicators unanswered."""
    return _Reader().referral({"schema": SCHEMA})


# --- normalising ------------------------------------------------------------

_TEXT_KINDS = ("text", "name")
_LINE_BREAKS = re.compile(r"\r\n|[\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")
_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1b\x1f\x7f-\x84\x86-\x9f\ud800-\udfff]")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_UPN_LIKE = re.compile(r"[A-Za-z0-9]{13}")


def _clean_text(text: str) -> str:
    """Line breaks as ``\\n``, no control characters but ``\\n`` and tab, NFC, trimmed."""
    text = _CONTROLS.sub("", _LINE_BREAKS.sub("\n", text))
    return unicodedata.normalize("NFC", text).strip()


class _Reader:
    """Builds the canonical record, noting each malformed value as an error finding."""

    def __init__(self) -> None:
        self.problems: list[Finding] = []

    def _bad(self, path: str, problem: str) -> None:
        self.problems.append(Finding(path, f"{field_label(path)} {problem}", "error"))

    def value(self, kind: str, raw: Any, path: str) -> Any:
        if kind == "yes_no":
            if raw is None or isinstance(raw, bool):
                return raw
            self._bad(path, "must be Yes (true), No (false) or not answered (null).")
            return None
        if raw is None:
            return "" if kind in _TEXT_KINDS else None
        if kind == "date" and isinstance(raw, date) and not isinstance(raw, datetime):
            return raw.isoformat()
        if not isinstance(raw, str):
            self._bad(path, "must be text.")
            return "" if kind in _TEXT_KINDS else None
        if kind == "name":
            # Before NFC: a format character between a letter and its accent kept them apart.
            return _clean_text(strip_format(_LINE_BREAKS.sub("\n", raw)))
        text = _clean_text(raw)
        if kind == "text":
            return text
        if not text:
            return None
        if kind == "upn":
            compact = "".join(text.split())
            return compact.upper() if _UPN_LIKE.fullmatch(compact) else text
        if _ISO_DATE.fullmatch(text):
            try:
                return date.fromisoformat(text).isoformat()
            except ValueError:
                pass
        self._bad(path, "must be a real date written YYYY-MM-DD.")
        return None

    def obj(self, raw: Any, path: str, fields: _Fields) -> dict[str, Any]:
        source = self.mapping(raw, path, tuple(k for k, _, _ in fields))
        return {k: self.value(kind, source.get(k), f"{path}.{k}") for k, kind, _ in fields}

    def mapping(self, raw: Any, path: str, keys: tuple[str, ...]) -> dict[str, Any]:
        """``raw`` as a dict (``{}`` for null), with unknown keys reported."""
        if raw is None:
            return {}
        if not isinstance(raw, dict):
            self._bad(path, "must be a group of fields (a JSON object).")
            return {}
        for key in raw:
            if key not in keys:
                where = f"{path}.{key}" if path else str(key)
                self.problems.append(Finding(where, f"{where} is not a field of a referral."))
        return raw

    def referral(self, raw: Any) -> Referral:
        if not isinstance(raw, dict):
            raise NotAReferral("This is not a CME referral record (it is not a JSON object).")
        schema = raw.get("schema")
        if schema != SCHEMA:
            shown = repr(schema)[:40] if schema is not None else "none"
            raise NotAReferral(f"This is not a {SCHEMA} referral record (its schema is {shown}).")
        top = self.mapping(raw, "", _TOP_KEYS)
        out: Referral = {"schema": SCHEMA, "children": self.children(top.get("children"))}
        for key, kind, _ in _FAMILY_FIELDS:
            out[key] = self.value(kind, top.get(key), key)
        actions = self.mapping(top.get("referrer_actions"), "referrer_actions", _ACTION_KEYS)
        out["referrer_actions"] = {
            a: self.obj(actions.get(a), f"referrer_actions.{a}", _ACTION_FIELDS)
            for a in _ACTION_KEYS
        }
        out["risk_indicators"] = self.indicators(top.get("risk_indicators"))
        for key, kind, _ in _QUESTION_FIELDS:
            out[key] = self.value(kind, top.get(key), key)
        out["assessment"] = self.obj(top.get("assessment"), "assessment", _ASSESSMENT_FIELDS)
        out["referrer"] = self.obj(top.get("referrer"), "referrer", _REFERRER_FIELDS)
        return out

    def children(self, raw: Any) -> list[dict[str, Any]]:
        if raw is not None and not isinstance(raw, list):
            self._bad("children", "must be a list of children.")
            raw = None
        # The form always has one set of pupil fields, so there is always one child.
        items = raw or [None]
        return [self.obj(c, f"children.{i}", _CHILD_FIELDS) for i, c in enumerate(items)]

    def indicators(self, raw: Any) -> dict[str, dict[str, Any]]:
        rows = self.mapping(raw, "risk_indicators", RISK_INDICATOR_KEYS)
        out: dict[str, dict[str, Any]] = {}
        for key in RISK_INDICATOR_KEYS:
            path = f"risk_indicators.{key}"
            row = self.mapping(rows.get(key), path, ("present", "timing"))
            present = self.value("yes_no", row.get("present"), f"{path}.present")
            timing = self.value("text", row.get("timing"), f"{path}.timing").lower() or None
            if timing is not None and timing not in _TIMINGS:
                self._bad(f"{path}.timing", "must be current, historic or not given (null).")
                timing = None
            out[key] = {"present": present, "timing": timing if present is True else None}
        return out


def read_referral(data: Any) -> tuple[Referral, list[Finding]]:
    """``data`` in canonical form, with an error finding for each malformed value.

    A malformed value is left blank in the record rather than refused, so that
    ``validate`` can name every one. ``NotAReferral`` only when ``data`` is not a
    ``cme-referral/1`` record at all (not an object, or another schema).
    """
    reader = _Reader()
    out = reader.referral(data)
    return out, reader.problems


def normalise(data: Any) -> Referral:
    """The canonical form of a record that claims to be ``cme-referral/1``.

    Missing keys are filled with blanks (``children`` always holds at least one
    child), text is trimmed, NFC, with ``\\n`` line breaks and no other control
    characters but tab; names (the children's, AKAs, parents'/carers', the
    referrer's) have no invisible format characters (``rules.names``); dates
    must be real ``YYYY-MM-DD`` dates (``date`` values are accepted and written
    out); ``timing`` is dropped unless ``present`` is true. Raises
    ``NotAReferral`` naming the first offending field (as a dotted path) when the
    shape is wrong. Idempotent.
    """
    out, problems = read_referral(data)
    if problems:
        first = problems[0]
        more = len(problems) - 1
        extra = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
        raise NotAReferral(
            f"The referral record is not valid at {first.field}: {first.message}{extra}"
        )
    return out


def to_json(ref: Referral) -> str:
    """The canonical JSON text of a referral (normalised first): schema order, indented.

    Characters are written as themselves (UTF-8), not as ``\\u`` escapes.
    """
    return json.dumps(normalise(ref), ensure_ascii=False, indent=2) + "\n"


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise NotAReferral(f"The referral record gives the field {key!r} twice.")
        out[key] = value
    return out


def _reject_constant(name: str) -> Any:
    raise NotAReferral(f"The referral record contains {name}, which is not a value.")


def from_json(text: str | bytes) -> Referral:
    """Parse and normalise a JSON referral (``str``, or UTF-8 ``bytes``).

    Raises ``NotAReferral`` for anything that is not a valid referral record
    and ``HostileFile`` for text far too large to be one.
    """
    if len(text) > MAX_JSON_BYTES:
        raise HostileFile("The referral record is far too large to be a referral.")
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise NotAReferral("The referral record is not readable text (UTF-8).") from None
    try:
        data = json.loads(
            text.removeprefix("\ufeff"),
            object_pairs_hook=_reject_duplicates,
            parse_constant=_reject_constant,
        )
    except (json.JSONDecodeError, RecursionError):
        raise NotAReferral("The referral record is damaged: it is not valid JSON.") from None
    return normalise(data)
