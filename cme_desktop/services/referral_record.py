"""The referral record, ``cme-referral/1`` (spec/referral.md, policy Appendix A).

A referral is a plain ``dict`` shaped exactly like its JSON, so every importer,
exporter and the referral editor share one shape without a mapping layer.
``normalise`` is the gate: whatever claims to be a referral passes through it
and comes out canonical (every key present, in the schema's order; text
trimmed with ``\\n`` line breaks; ISO dates; ``True``/``False``/``None``
answers). The lenient readers turn what people type into a Word form into
those values.

Decisions written down so they can be challenged:

- ``present`` is ``True`` (Yes), ``False`` (No) or ``None`` (not answered);
  ``timing`` is kept only when ``present`` is ``True``. ``validate`` warns about
  a timing given without a Yes *before* normalising wipes it.
- Dates are always read day first (``04/02/2013`` is 4 February). A two-digit
  year ``yy`` is 20yy when ``yy`` is at most this year's two digits plus one,
  else 19yy: in 2026, ``13`` is 2013 and ``27`` is 2027 but ``28`` is 1928.
  Four-digit years outside 1900-2199 are treated as unreadable.
- A UPN written as 13 letters and digits (spaces allowed) is stored without
  spaces in capitals; anything else is kept as typed for ``validate`` to flag.
- ``split_pupil_names`` never invents a name: "Jack and Jill Smith" gives
  ``["Jack", "Jill Smith"]`` for the officer to complete at review.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from cme_desktop.models.vocabularies import (
    ASSESSMENT_QUESTIONS,
    REFERRER_ACTIONS,
    RISK_INDICATOR_KEYS,
    SERIOUS_INDICATORS,
)
from cme_desktop.services.errors import HostileFile, NotAReferral

__all__ = [
    "SCHEMA",
    "Finding",
    "Referral",
    "ReferralSummary",
    "current_indicators",
    "empty_referral",
    "find_date_in_text",
    "format_uk_date",
    "from_json",
    "normalise",
    "parse_timing",
    "parse_uk_date",
    "parse_yes_no",
    "serious_current_indicators",
    "split_pupil_names",
    "summary",
    "to_json",
    "validate",
]

SCHEMA = "cme-referral/1"

#: A referral record: a plain dict shaped like the JSON of spec/referral.md.
Referral = dict[str, Any]
Timing = Literal["current", "historic"]
Severity = Literal["error", "warning"]

#: A JSON referral is a few kilobytes; anything far larger is not one we wrote.
MAX_JSON_BYTES = 2_000_000

# --- the shape -------------------------------------------------------------
# Field kinds: "text" (str, "" when blank), "date" (ISO str or None),
# "yes_no" (bool or None), "upn" (str or None).

_CHILD_FIELDS: tuple[tuple[str, str], ...] = (
    ("full_name", "text"),
    ("aka", "text"),
    ("date_of_birth", "date"),
    ("gender", "text"),
    ("ethnicity", "text"),
    ("sen_disability", "text"),
    ("child_in_care", "yes_no"),
    ("upn", "upn"),
)
_ACTION_FIELDS = (("outcome", "text"), ("date", "date"))
_ASSESSMENT_FIELDS = tuple((t.key, "text") for t in ASSESSMENT_QUESTIONS)
_REFERRER_FIELDS = (
    ("name", "text"),
    ("position", "text"),
    ("contact_details", "text"),
    ("organisation", "text"),
    ("date_completed", "date"),
)
_ACTION_KEYS = tuple(t.key for t in REFERRER_ACTIONS)
_TOP_KEYS = (
    "schema",
    "children",
    "last_known_address",
    "parents_carers",
    "telephone",
    "email",
    "school",
    "date_last_attended",
    "additional_information",
    "referrer_actions",
    "risk_indicators",
    "social_care_referral_considered",
    "parental_consent",
    "assessment",
    "referrer",
)
_TOP_SIMPLE: dict[str, str] = {
    "last_known_address": "text",
    "parents_carers": "text",
    "telephone": "text",
    "email": "text",
    "school": "text",
    "date_last_attended": "date",
    "additional_information": "text",
    "social_care_referral_considered": "yes_no",
    "parental_consent": "yes_no",
}
_TIMINGS = ("current", "historic")


@dataclass(frozen=True)
class Finding:
    """One problem with a referral: ``field`` is a dotted path such as
    ``"children.0.date_of_birth"``; an ``"error"`` is a malformed value, a
    ``"warning"`` something the officer should check."""

    field: str
    message: str
    severity: Severity = "error"


@dataclass(frozen=True)
class ReferralSummary:
    """What the case list and the escalation wizard need at a glance.

    ``escalation_considered`` is true when the referrer answered the question
    "have you considered a referral to Social Care?" (either way).
    """

    indicators_present: int
    indicators_current: int
    serious_current: tuple[str, ...]
    escalation_considered: bool


def empty_referral() -> Referral:
    """A blank referral: every key present, one blank child, all twenty indicators unanswered."""
    return _Reader().referral({"schema": SCHEMA})


# --- normalising ------------------------------------------------------------

_LINE_BREAKS = re.compile(r"\r\n|[\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")
_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1b\x1f\x7f-\x84\x86-\x9f\ud800-\udfff]")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_UPN_LIKE = re.compile(r"[A-Za-z0-9]{13}")


def _clean_text(text: str) -> str:
    """Line breaks as ``\\n``, no control characters but ``\\n``/tab, NFC, trimmed."""
    text = _LINE_BREAKS.sub("\n", text)
    text = _CONTROLS.sub("", text)
    return unicodedata.normalize("NFC", text).strip()


class _Reader:
    """Builds the canonical record, noting each malformed value as an error finding."""

    def __init__(self) -> None:
        self.problems: list[Finding] = []

    def _bad(self, path: str, message: str) -> None:
        self.problems.append(Finding(path, message, "error"))

    def value(self, kind: str, raw: Any, path: str) -> Any:
        if kind == "yes_no":
            if raw is None or isinstance(raw, bool):
                return raw
            self._bad(path, f"{path} must be true, false or null (Yes, No or not answered).")
            return None
        if raw is None:
            return "" if kind == "text" else None
        if kind == "date" and isinstance(raw, date) and not hasattr(raw, "hour"):
            return raw.isoformat()
        if not isinstance(raw, str):
            self._bad(path, f"{path} must be text.")
            return "" if kind == "text" else None
        text = _clean_text(raw)
        if kind == "text":
            return text
        if not text:
            return None
        if kind == "upn":
            compact = re.sub(r"\s+", "", text)
            return compact.upper() if _UPN_LIKE.fullmatch(compact) else text
        if _ISO_DATE.fullmatch(text):
            try:
                return date.fromisoformat(text).isoformat()
            except ValueError:
                pass
        self._bad(path, f"{path} must be a real date written YYYY-MM-DD.")
        return None

    def obj(self, raw: Any, path: str, fields: tuple[tuple[str, str], ...]) -> dict[str, Any]:
        source = self.mapping(raw, path, tuple(k for k, _ in fields))
        return {k: self.value(kind, source.get(k), f"{path}.{k}") for k, kind in fields}

    def mapping(self, raw: Any, path: str, keys: tuple[str, ...]) -> dict[str, Any]:
        """``raw`` as a dict (``{}`` for null), with unknown keys reported."""
        if raw is None:
            return {}
        if not isinstance(raw, dict):
            self._bad(path, f"{path} must be an object.")
            return {}
        for key in raw:
            if key not in keys:
                where = f"{path}.{key}" if path else str(key)
                self._bad(where, f"{where} is not a field of a referral.")
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
        for key in _TOP_KEYS[2:]:
            if key in _TOP_SIMPLE:
                out[key] = self.value(_TOP_SIMPLE[key], top.get(key), key)
            elif key == "referrer_actions":
                actions = self.mapping(top.get(key), key, _ACTION_KEYS)
                out[key] = {
                    a: self.obj(actions.get(a), f"{key}.{a}", _ACTION_FIELDS) for a in _ACTION_KEYS
                }
            elif key == "risk_indicators":
                out[key] = self.indicators(top.get(key))
            elif key == "assessment":
                out[key] = self.obj(top.get(key), key, _ASSESSMENT_FIELDS)
            elif key == "referrer":
                out[key] = self.obj(top.get(key), key, _REFERRER_FIELDS)
        return out

    def children(self, raw: Any) -> list[dict[str, Any]]:
        if raw is None:
            raw = []
        if not isinstance(raw, list):
            self._bad("children", "children must be a list.")
            raw = []
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
                self._bad(f"{path}.timing", f"{path}.timing must be current, historic or null.")
                timing = None
            out[key] = {"present": present, "timing": timing if present is True else None}
        return out


def normalise(data: Any) -> Referral:
    """The canonical form of a record that claims to be ``cme-referral/1``.

    Missing keys are filled with blanks, text is trimmed (line breaks kept as
    ``\\n``), dates must be real ``YYYY-MM-DD`` dates (``datetime.date``
    values are accepted and written out), and ``timing`` is dropped unless
    ``present`` is true. Raises ``NotAReferral`` naming the first offending
    field when the shape is wrong. ``normalise(normalise(x)) == normalise(x)``.
    """
    reader = _Reader()
    out = reader.referral(data)
    if reader.problems:
        first = reader.problems[0]
        more = len(reader.problems) - 1
        extra = f" ({more} more problem{'s' if more > 1 else ''})" if more else ""
        raise NotAReferral(f"The referral record is not valid: {first.message}{extra}")
    return out


def to_json(ref: Referral) -> str:
    """The canonical JSON text of a referral: schema order, UTF-8 characters, indented."""
    return json.dumps(normalise(ref), ensure_ascii=False, indent=2) + "\n"


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise NotAReferral(f"The referral record names the field {key!r} twice.")
        out[key] = value
    return out


def _reject_constant(name: str) -> Any:
    raise NotAReferral(f"The referral record contains {name}, which is not a value.")


def from_json(text: str | bytes) -> Referral:
    """Parse and normalise a JSON referral; anything that is not one raises ``NotAReferral``."""
    if len(text) > MAX_JSON_BYTES:
        raise HostileFile("The referral record is far too large to be a referral.")
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise NotAReferral("The referral record is not readable text (UTF-8).") from None
    try:
        data = json.loads(
            text, object_pairs_hook=_reject_duplicates, parse_constant=_reject_constant
        )
    except (json.JSONDecodeError, RecursionError):
        raise NotAReferral("The referral record is damaged: it is not valid JSON.") from None
    return normalise(data)


# --- lenient readers for what people type -----------------------------------

_MONTHS = {
    name: number
    for number, full in enumerate(
        (
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ),
        start=1,
    )
    for name in {full, full[:3], full[:4]}
}
_MONTH = r"(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_WEEKDAY = r"(?:(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:\w*day)?\.?,?\s+)?"
_YEAR = r"(?P<year>[0-9]{4}|[0-9]{2})"
_DAY = r"(?P<day>[0-9]{1,2})(?:st|nd|rd|th)?"
_DATE_PATTERNS = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        r"(?P<year>[0-9]{4})[-/.](?P<month>[0-9]{1,2})[-/.](?P<day>[0-9]{1,2})",
        r"(?P<day>[0-9]{1,2})\s*(?P<sep>[/.\-\\])\s*(?P<month>[0-9]{1,2})\s*(?P=sep)\s*" + _YEAR,
        _WEEKDAY + _DAY + r"(?:\s+of)?[\s\-/.,]*" + _MONTH + r"[\s\-/.,]*" + _YEAR,
        _WEEKDAY + _MONTH + r"\s*" + _DAY + r",?\s+" + _YEAR,
    )
)
# A day and month without a year, only inside a sentence and only with a
# capitalised month name ("3rd October"), so that "3 may come" is no date.
_YEARLESS = re.compile(
    _WEEKDAY
    + _DAY
    + r"(?:\s+of)?\s+(?P<month>"
    + "|".join(m.capitalize() for m in sorted(_MONTHS, key=len, reverse=True))
    + r")\b"
)
_TIME_SUFFIX = re.compile(
    r"(?:[T ]\s*[0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?\s*"
    r"(?:am|pm|z|[+-][0-9]{2}:?[0-9]{2})?)$",
    re.IGNORECASE,
)


def _today(today: date | None) -> date:
    return today if today is not None else date.today()


def _date_from(match: re.Match[str], today: date) -> date | None:
    parts = match.groupdict()
    month_text = parts["month"].lower().rstrip(".")
    month = int(month_text) if month_text.isdigit() else _MONTHS.get(month_text, 0)
    day = int(parts["day"])
    year_text = parts.get("year")
    if year_text is None:
        # No year: the most recent such day, not after today.
        for year in (today.year, today.year - 1):
            try:
                candidate = date(year, month, day)
            except ValueError:
                continue
            if candidate <= today:
                return candidate
        return None
    year = int(year_text)
    if len(year_text) == 2:
        year += 2000 if year <= today.year % 100 + 1 else 1900
    if not 1900 <= year <= 2199:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def parse_uk_date(text: str, *, today: date | None = None) -> date | None:
    """The date a person wrote, read day first; ``None`` if blank, unreadable or impossible.

    Reads ``02/04/2013``, ``2/4/13``, ``2.4.2013``, ``2-4-2013``, ``2 April 2013``,
    ``2nd April 2013``, ``2 Apr 13``, ``2-Apr-2013``, ``April 2, 2013``,
    ``2013-04-02`` (a trailing time of day is ignored). Two-digit years follow
    the module's pivot, relative to ``today``.
    """
    cleaned = _TIME_SUFFIX.sub("", " ".join(text.split())).strip(" .,")
    for pattern in _DATE_PATTERNS:
        match = pattern.fullmatch(cleaned)
        if match:
            return _date_from(match, _today(today))
    return None


_RUN_BEFORE = re.compile(r"[0-9][/.\-]")
_RUN_AFTER = re.compile(r"[/\-][0-9]")


def find_date_in_text(text: str, *, today: date | None = None) -> date | None:
    """The first date written inside a sentence, e.g. an outcome "Visited on 3rd Oct 2026".

    Reads the forms of ``parse_uk_date``, and also a day and a capitalised
    month without a year ("3rd October"), taken as the latest such day not
    after ``today``.
    """
    day = _today(today)
    found: list[tuple[int, int, date]] = []
    for pattern in (*_DATE_PATTERNS, _YEARLESS):
        for match in pattern.finditer(text):
            start, end = match.span()
            if (start and text[start - 1].isalnum()) or (end < len(text) and text[end].isalnum()):
                continue
            # Part of a longer run of numbers ("12/02/04/2013") is no date.
            if _RUN_BEFORE.fullmatch(text[max(0, start - 2) : start]) or _RUN_AFTER.fullmatch(
                text[end : end + 2]
            ):
                continue
            value = _date_from(match, day)
            if value is not None:
                found.append((start, start - end, value))
                break
    return min(found)[2] if found else None


def format_uk_date(d: date | None) -> str:
    """A date as the form writes it, ``02/04/2013``; ``""`` for ``None``."""
    return "" if d is None else f"{d.day:02d}/{d.month:02d}/{d.year:04d}"


_BOX_TOKEN = re.compile(r"[☐☒☑□■✓✔]|\[\s*[xX✓✔]?\s*\]|[^\W\d_]+")
_CHECKED = frozenset("☒☑■✓✔")
_STRIP = " \t\n.,;:!?()[]{}\"'/\\-–—*"


def _clean_answer(text: str) -> str:
    return " ".join(text.split()).strip(_STRIP).lower()


def _marked_choice(text: str, labels: dict[str, str]) -> str | None:
    """The label ticked in a row of check boxes such as ``☒ Yes ☐ No`` or ``Yes ☐ No ☒``.

    Returns the key of the one ticked label, else ``None`` (also when the text
    is not a row of boxes and labels).
    """
    tokens: list[tuple[bool, str]] = []
    for tok in _BOX_TOKEN.findall(text):
        if tok[0] in "☐☒☑□■✓✔[":
            ticked = tok[0] in _CHECKED or (tok[0] == "[" and bool(tok.strip("[] ")))
            tokens.append((True, "x" if ticked else ""))
        elif tok.lower() in labels:
            tokens.append((False, labels[tok.lower()]))
        else:
            return None
    if len(tokens) < 2 or len(tokens) % 2 or not any(is_box for is_box, _ in tokens):
        return None
    box_first = tokens[0][0]
    chosen: set[str] = set()
    for i in range(0, len(tokens), 2):
        box, label = (tokens[i], tokens[i + 1]) if box_first else (tokens[i + 1], tokens[i])
        if not box[0] or label[0]:
            return None
        if box[1]:
            chosen.add(label[1])
    return chosen.pop() if len(chosen) == 1 else None


_YES_WORDS = frozenset({"yes", "y", "x", "true", "☒", "☑", "✓", "✔", "■", "ticked"})
_NO_WORDS = frozenset({"no", "n", "false"})
_YES_NO_LABELS = {"yes": "yes", "y": "yes", "no": "no", "n": "no"}


def parse_yes_no(text: str) -> bool | None:
    """A Yes/No answer as typed: ``True``, ``False`` or ``None`` (not answered or unclear).

    Yes: ``Yes``, ``Y``, ``X``, ``☒``, ``✓``, ``✔``, ``true``, ``[x]``, ``Yes - see notes``.
    No: ``No``, ``N``, ``false``. Not answered: blank, an unticked ``☐``, the
    untouched prompt ``Yes/No``, ``N/A``. ``Yes / No`` with one word deleted
    gives the remaining word; ``☒ Yes ☐ No`` gives the ticked one. A ``✗`` is
    read as unclear, since some people cross out the wrong answer with it.
    """
    cleaned = _clean_answer(text)
    if not cleaned and re.search(r"\[\s*[xX]\s*\]", text):
        return True
    if cleaned in _YES_WORDS:
        return True
    if cleaned in _NO_WORDS:
        return False
    marked = _marked_choice(text, _YES_NO_LABELS)
    if marked is not None:
        return marked == "yes"
    lead = re.match(r"(yes|no)\s*[-–—,:;(.]\s*\w", cleaned)
    if lead and not re.search(r"\b(yes|no)\b", cleaned[lead.end() - 1 :]):
        return lead.group(1) == "yes"
    return None


_CURRENT_WORDS = frozenset({"c", "cur", "curr", "current", "currently", "ongoing", "now"})
_HISTORIC_WORDS = frozenset(
    {"h", "hist", "historic", "historical", "historically", "past", "previous", "previously"}
)
_TIMING_LABELS = {w: "current" for w in _CURRENT_WORDS} | {w: "historic" for w in _HISTORIC_WORDS}


def parse_timing(text: str) -> Timing | None:
    """The "Current / Historic (C/H?)" column as typed: ``"current"``, ``"historic"`` or ``None``.

    Reads ``C``, ``H``, ``Current``, ``historic``, ``Yes - historic``, ``☒ C ☐ H``.
    The untouched prompt ``C/H`` is ``None``; "both", ``C & H`` or "current and
    historic" is ``"current"``, the one that matters for safeguarding.
    """
    cleaned = _clean_answer(text)
    marked = _marked_choice(text, _TIMING_LABELS)
    if marked == "current":
        return "current"
    if marked == "historic":
        return "historic"
    words = re.findall(r"[^\W\d_]+|[&+/]", cleaned)
    current = any(w in _CURRENT_WORDS for w in words)
    historic = any(w in _HISTORIC_WORDS for w in words)
    both = "both" in words or "and" in words or "&" in words or "+" in words
    if current and historic:
        return "current" if both else None
    if current or (both and not historic):
        return "current" if current or words == ["both"] else None
    return "historic" if historic else None


_NAME_SEPARATORS = re.compile(r"\n|;|&|\+|/|\band\b", re.IGNORECASE)
_BULLET = re.compile(r"^(?:[0-9]{1,2}[.)]|[-•*–·])\s*")


def _tidy_name(name: str) -> str:
    return " ".join(_BULLET.sub("", name.strip()).split()).strip(" ,.;:")


def split_pupil_names(text: str) -> list[str]:
    """The children named in "Name of Pupil(s)", one entry each, in order, without repeats.

    Names are separated by line breaks, ``;``, ``&``, ``+``, ``/`` or "and". A
    comma separates names only when that reads as a list: "Jack Smith, Jill
    Smith", "Jack, Jill, Tom", or "Jack, Jill and Tom Smith"; "Smith, John"
    (surname first, as a school's pupil database writes it) stays one name, as
    does "Smith, John and Smith, Jane" (two names). No name is completed with
    a guessed surname.
    """
    names: list[str] = []
    for line in text.replace("\r", "\n").split("\n"):
        parts = [p for p in _NAME_SEPARATORS.split(line) if _tidy_name(p)]
        commas_are_lists = len(parts) > 1 and not all("," in p for p in parts)
        for part in parts:
            pieces = [_tidy_name(p) for p in part.split(",")]
            pieces = [p for p in pieces if p]
            if commas_are_lists or len(pieces) > 2 or all(" " in p for p in pieces):
                names.extend(pieces)
            else:
                names.append(_tidy_name(part))
    seen: set[str] = set()
    unique = []
    for name in names:
        if name.casefold() not in seen:
            seen.add(name.casefold())
            unique.append(name)
    return unique


# --- reading a record ---------------------------------------------------------


def current_indicators(ref: Referral) -> list[str]:
    """Keys of the risk indicators marked Yes and Current, in the form's order."""
    rows = ref.get("risk_indicators") or {}
    return [
        k
        for k in RISK_INDICATOR_KEYS
        if isinstance(rows.get(k), dict)
        and rows[k].get("present") is True
        and rows[k].get("timing") == "current"
    ]


def serious_current_indicators(ref: Referral) -> list[str]:
    """Keys of the serious indicators (CSE, whereabouts unknown, ...) marked Yes and Current."""
    return [k for k in current_indicators(ref) if k in SERIOUS_INDICATORS]


def summary(ref: Referral) -> ReferralSummary:
    """Counts of indicators present and current, the serious current ones, and escalation."""
    rows = ref.get("risk_indicators") or {}
    present = sum(
        1
        for k in RISK_INDICATOR_KEYS
        if isinstance(rows.get(k), dict) and rows[k].get("present") is True
    )
    return ReferralSummary(
        indicators_present=present,
        indicators_current=len(current_indicators(ref)),
        serious_current=tuple(serious_current_indicators(ref)),
        escalation_considered=ref.get("social_care_referral_considered") is not None,
    )


# --- checking a record ----------------------------------------------------------

_EMAIL = re.compile(r"[^@\s,;<>()\[\]]+@[^@\s,;<>()\[\]]+\.[^@\s,;<>()\[\].]{2,}")
_PHONE_CANDIDATE = re.compile(r"\+?[0-9][0-9 ()\-]{6,}[0-9]")
_UK_PHONE = re.compile(r"(?:0|\+44|0044)[1237][0-9]{8,9}")


def _phone_problem(text: str) -> str | None:
    candidates = _PHONE_CANDIDATE.findall(text)
    if not candidates:
        return "Telephone No. has no phone number in it."
    for candidate in candidates:
        digits = re.sub(r"[ ()\-]", "", candidate.replace("(0)", ""))
        if not _UK_PHONE.fullmatch(digits):
            return (
                "Telephone No. does not look like a UK phone number "
                "(01, 02, 03 or 07 and 11 digits, or +44)."
            )
    return None


def _date_or_none(value: Any) -> date | None:
    if isinstance(value, str) and value:
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def validate(ref: Any, *, today: date) -> list[Finding]:
    """Everything worth pointing out in a referral, for the review screen and the importers.

    Errors are malformed values (the ones ``normalise`` refuses). Warnings: a
    date of birth outside compulsory school age on ``today``, a UPN that is not
    well formed, an email or phone number of the wrong shape, a referral
    completed in the future, a last attendance after today, and a timing given
    without a Yes (check the record *before* normalising, which drops such a
    timing). Never raises for a dict; ``NotAReferral`` for anything else.
    """
    from cme_desktop.services.school_age import is_compulsory_school_age
    from cme_desktop.services.upn import upn_problem

    reader = _Reader()
    ref_out = reader.referral(ref)
    findings = list(reader.problems)

    def warn(path: str, message: str) -> None:
        findings.append(Finding(path, message, "warning"))

    for i, child in enumerate(ref_out["children"]):
        dob = _date_or_none(child["date_of_birth"])
        if dob is not None and (dob > today or not is_compulsory_school_age(dob, today)):
            warn(
                f"children.{i}.date_of_birth",
                f"With this date of birth ({format_uk_date(dob)}) the child is not of "
                "compulsory school age today.",
            )
        if child["upn"] is not None:
            problem = upn_problem(child["upn"])
            if problem is not None:
                warn(f"children.{i}.upn", f"UPN: {problem}")
    email = ref_out["email"]
    if email and not all(_EMAIL.fullmatch(t) for t in re.split(r"[\s,;]+", email) if t):
        warn("email", "Email does not look like an email address (name@example.org).")
    if ref_out["telephone"]:
        problem = _phone_problem(ref_out["telephone"])
        if problem is not None:
            warn("telephone", problem)
    completed = _date_or_none(ref_out["referrer"]["date_completed"])
    if completed is not None and completed > today:
        warn("referrer.date_completed", "Date Completed is in the future.")
    attended = _date_or_none(ref_out["date_last_attended"])
    if attended is not None and attended > today:
        warn("date_last_attended", "Date Last Attended is after today.")
    rows = ref.get("risk_indicators")
    for key in RISK_INDICATOR_KEYS:
        row = rows.get(key) if isinstance(rows, dict) else None
        if isinstance(row, dict) and row.get("timing") and row.get("present") is not True:
            warn(
                f"risk_indicators.{key}.timing",
                f"Risk indicator {key} has Current/Historic marked but not Yes.",
            )
    return findings
