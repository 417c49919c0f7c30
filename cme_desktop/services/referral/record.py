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
  else 19yy: in 2026, ``13`` is 2013 and ``27`` is 2027 but ``28`` is 1928
  (children's dates of birth and recent dates come out right). Four-digit
  years outside 1900-2199 are treated as unreadable.
- A risk row marked both Current and Historic ("both", "C & H") reads as
  ``"current"``, the one that matters for safeguarding; the untouched prompt
  ``C/H`` and an ambiguous ``✗`` read as not answered.
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
from datetime import date, datetime
from typing import Any, Literal

from cme_desktop.models.vocabularies import (
    ASSESSMENT_QUESTIONS,
    REFERRER_ACTIONS,
    RISK_INDICATOR_KEYS,
    SERIOUS_INDICATORS,
)
from cme_desktop.services.errors import HostileFile, NotAReferral
from cme_desktop.services.rules.dates import MONTH_NAMES

__all__ = [
    "SCHEMA",
    "Finding",
    "Referral",
    "ReferralSummary",
    "current_indicators",
    "empty_referral",
    "field_label",
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
# Each field: (key, kind, the form's label). Kinds: "text" (str, "" when
# blank), "date" (ISO str or None), "yes_no" (bool or None), "upn" (str or None).

_Fields = tuple[tuple[str, str, str], ...]
_CHILD_FIELDS: _Fields = (
    ("full_name", "text", "Name of Pupil(s)"),
    ("aka", "text", "AKA"),
    ("date_of_birth", "date", "Date of Birth"),
    ("gender", "text", "Gender"),
    ("ethnicity", "text", "Ethnicity"),
    ("sen_disability", "text", "SEN & Disability"),
    ("child_in_care", "yes_no", "Child in Care?"),
    ("upn", "upn", "UPN"),
)
_FAMILY_FIELDS: _Fields = (
    ("last_known_address", "text", "Address (Last Known)"),
    ("parents_carers", "text", "Parents'/Carers' Names"),
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
    ("name", "text", "Referrer's Name"),
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
            return "" if kind == "text" else None
        if kind == "date" and isinstance(raw, date) and not isinstance(raw, datetime):
            return raw.isoformat()
        if not isinstance(raw, str):
            self._bad(path, "must be text.")
            return "" if kind == "text" else None
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


def normalise(data: Any) -> Referral:
    """The canonical form of a record that claims to be ``cme-referral/1``.

    Missing keys are filled with blanks (``children`` always holds at least one
    child), text is trimmed, NFC, with ``\\n`` line breaks and no other control
    characters but tab; dates must be real ``YYYY-MM-DD`` dates (``date``
    values are accepted and written out); ``timing`` is dropped unless
    ``present`` is true. Raises ``NotAReferral`` naming the first offending
    field (as a dotted path) when the shape is wrong. Idempotent.
    """
    reader = _Reader()
    out = reader.referral(data)
    if reader.problems:
        first = reader.problems[0]
        more = len(reader.problems) - 1
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


# --- lenient readers for what people type -----------------------------------

_MONTH_NAMES = tuple(name.lower() for name in MONTH_NAMES)
_MONTHS = {name[:3]: n for n, name in enumerate(_MONTH_NAMES, start=1)}
_MONTHS |= {name: n for n, name in enumerate(_MONTH_NAMES, start=1)} | {"sept": 9}
_MONTH = r"(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
# Quantifiers are bounded so that searching long, hostile text stays linear.
_WEEKDAY = r"(?:(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:[a-z]{0,6}day)?\.?,?\s{1,3})?"
_YEAR = r"(?P<year>[0-9]{4}|[0-9]{2})"
_DAY = r"(?P<day>[0-9]{1,2})(?:st|nd|rd|th)?"
_GAP = r"[\s\-/.,]{0,4}"
_DATE_PATTERNS = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        r"(?P<year>[0-9]{4})[-/.](?P<month>[0-9]{1,2})[-/.](?P<day>[0-9]{1,2})",
        r"(?P<day>[0-9]{1,2}) ?(?P<sep>[/.\-\\]) ?(?P<month>[0-9]{1,2}) ?(?P=sep) ?" + _YEAR,
        _WEEKDAY + _DAY + r"(?:\s{1,3}of)?" + _GAP + _MONTH + _GAP + _YEAR,
        _WEEKDAY + _MONTH + r"\s{0,3}" + _DAY + r",?\s{1,3}" + _YEAR,
    )
)
# A day and month without a year, only inside a sentence and only with a
# capitalised month name ("3rd October"), so that "3 may come" is no date.
_YEARLESS = re.compile(
    _WEEKDAY
    + _DAY
    + r"(?:\s{1,3}of)?\s{1,3}(?P<month>"
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
    if not any(c.isdigit() for c in text):
        return None
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
_TICKS = frozenset("☒☑■✓✔xX")
_STRIP = " \t\n.,;:!?()[]{}\"'/\\-–—*"


def _clean_answer(text: str) -> str:
    return " ".join(text.split()).strip(_STRIP).lower()


def _marked_choice(text: str, labels: dict[str, str]) -> str | None:
    """The label ticked in a row of boxes and labels: ``☒ Yes ☐ No``, ``Yes ☐ No ☒``, ``Yes X``.

    A tick belongs to the label on the side the row's first box shows (``☐ Yes``
    puts boxes before labels). A typed ``X`` between two labels with no empty
    box to show the layout is unclear. Returns the key of the one label
    ticked, else ``None`` (also when the text is not such a row).
    """
    tokens: list[tuple[bool, str]] = []  # (is a box, "x" if ticked else "") or (False, key)
    for tok in _BOX_TOKEN.findall(text):
        if tok[0] in "☐☒☑□■✓✔[" or tok in ("x", "X"):
            ticked = tok[0] in _TICKS or (tok[0] == "[" and bool(tok.strip("[] ")))
            tokens.append((True, "x" if ticked else ""))
        elif tok.lower() in labels:
            tokens.append((False, labels[tok.lower()]))
        else:
            return None
    boxes = [i for i, (is_box, _) in enumerate(tokens) if is_box]
    if not boxes or len(boxes) == len(tokens):
        return None
    has_empty = any(not tokens[i][1] for i in boxes)
    box_first = tokens[0][0] if has_empty else None
    chosen: set[str] = set()
    for i in (i for i in boxes if tokens[i][1]):
        before = tokens[i - 1][1] if i > 0 and not tokens[i - 1][0] else None
        after = tokens[i + 1][1] if i + 1 < len(tokens) and not tokens[i + 1][0] else None
        if box_first is None and before and after:
            return None
        label = (after if box_first else before) if box_first is not None else None
        label = label or before or after
        if label is None:
            return None
        chosen.add(label)
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
    marked = _marked_choice(text, _TIMING_LABELS)
    if marked is not None:
        return "current" if marked == "current" else "historic"
    words = re.findall(r"[^\W\d_]+|[&+]", _clean_answer(text))
    kinds = {_TIMING_LABELS[w] for w in words if w in _TIMING_LABELS}
    both = bool({"both", "and", "&", "+"} & set(words))
    if len(kinds) == 2:
        return "current" if both else None
    if kinds:
        return "current" if "current" in kinds else "historic"
    return "current" if words == ["both"] else None


_NAME_SEPARATORS = re.compile(r"\n|;|&|\+|(?<![0-9])/(?![0-9])|\band\b", re.IGNORECASE)
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
    from cme_desktop.services.rules.school_age import is_compulsory_school_age
    from cme_desktop.services.rules.upn import upn_problem

    reader = _Reader()
    ref_out = reader.referral(ref)
    findings = list(reader.problems)

    def warn(path: str, message: str) -> None:
        findings.append(Finding(path, message, "warning"))

    for i, child in enumerate(ref_out["children"]):
        dob = _date_or_none(child["date_of_birth"])
        if dob is not None and dob > today:
            warn(
                f"children.{i}.date_of_birth",
                f"{field_label(f'children.{i}.date_of_birth')} is in the future.",
            )
        elif dob is not None and not is_compulsory_school_age(dob, today):
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
                f"Risk indicator {key} is marked Current or Historic but not Yes.",
            )
        elif ref_out["risk_indicators"][key] == {"present": True, "timing": None}:
            warn(
                f"risk_indicators.{key}.timing",
                f"Risk indicator {key} is marked Yes but not Current or Historic.",
            )
    return findings
