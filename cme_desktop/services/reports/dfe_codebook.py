"""The codes the authority writes in the DfE return, kept in the vault's settings table.

The DfE revises its termly CME collection (five primary reasons were added from
autumn 2025), and the submission codes of its COLLECT specification are not
public (``docs/dfe-return.md``). So that a change does not wait for a new release
of the program, the authority sets, in Settings > DfE return codes:

- the code written for each sex, year group and length-missing band (the
  breakdowns themselves are the DfE's and do not change here);
- the code and label of each primary reason; a reason the DfE adds (code and
  label), which cases can then record; and a reason it drops, *retired*: no longer
  offered, and a counted case still holding it blocks the return until the officer
  chooses a current reason.

Each entry has a ``key`` the program keeps (on the case, for a reason; in the
return's figures for the others), which never changes, and a ``code`` the return
writes, which the authority may change. A case keeps its reason's key whatever
the code becomes. Everything not set stays as ``DEFAULT``, the program's own
(``dfe_codes``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cme_desktop.models import Setting
from cme_desktop.services.errors import InvalidInput
from cme_desktop.services.reports import dfe_codes as codes
from cme_desktop.services.vault import audit
from cme_desktop.services.vault.database import UnitOfWork

__all__ = [
    "DEFAULT",
    "SETTING_KEY",
    "TOPICS",
    "Codebook",
    "DfeCodes",
    "Entry",
    "check",
    "check_case_reason",
    "from_stored",
    "read_codebook",
    "to_stored",
    "with_reason",
]

#: The row of the settings table that holds the authority's codes.
SETTING_KEY = "dfe_return_codes"
#: The breakdowns whose codes the authority sets, by ``Counted`` field, with their names.
TOPICS: tuple[tuple[str, str], ...] = (
    ("sex", "Sex"),
    ("year", "Year group"),
    ("band", "Length of time missing"),
    ("reason", "Primary reason"),
)
#: A code: letters, digits and ``- _ . /`` (so it is one plain CSV cell), up to 12.
_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_./-]{0,11}")
_LABEL_MAX = 120


@dataclass(frozen=True)
class Entry:
    """One row of a breakdown: the key kept, the code written, the DfE's label."""

    key: str
    code: str
    label: str
    #: A primary reason the DfE no longer collects: not offered, and blocks the return.
    retired: bool = False
    #: A primary reason the authority added (not one of the program's own).
    added: bool = False


@dataclass(frozen=True)
class Codebook:
    """The codes of each breakdown of the return (``TOPICS``), in the order written."""

    sex: tuple[Entry, ...]
    year: tuple[Entry, ...]
    band: tuple[Entry, ...]
    reason: tuple[Entry, ...]

    def entries(self, topic: str) -> tuple[Entry, ...]:
        """Every entry of ``topic`` (``sex``, ``year``, ``band`` or ``reason``)."""
        entries: tuple[Entry, ...] = getattr(self, topic)
        return entries

    def current(self, topic: str) -> tuple[Entry, ...]:
        """The entries the return writes: all but retired reasons."""
        return tuple(e for e in self.entries(topic) if not e.retired)

    def code(self, topic: str, key: str) -> str:
        """The code written for ``key`` (the key itself when the book has no such entry)."""
        return next((e.code for e in self.entries(topic) if e.key == key), key)

    def reason_entry(self, key: str) -> Entry | None:
        """The primary reason kept as ``key``, retired or not; ``None`` when there is none."""
        return next((e for e in self.reason if e.key == key), None)

    @property
    def reason_keys(self) -> frozenset[str]:
        """The reasons a case may be given, and the return counts: the current ones."""
        return frozenset(e.key for e in self.current("reason"))

    def reason_label(self, key: str) -> str:
        """How a case's reason reads: its label, marked when retired."""
        entry = self.reason_entry(key)
        if entry is None:
            return f"{key} (not a DfE reason in Settings)" if key else ""
        return f"{entry.label} (retired)" if entry.retired else entry.label

    def reason_problem(self, key: str) -> str:
        """Why a case's reason cannot be counted ("" when it can): none, unknown or retired."""
        if not key:
            return "no DfE primary reason"
        entry = self.reason_entry(key)
        if entry is None:
            return f"DfE reason '{key}' is not in Settings > DfE return codes"
        if entry.retired:
            return f"DfE reason '{entry.label}' is retired: choose a current one"
        return ""


DEFAULT = Codebook(
    sex=tuple(Entry(key, key, label) for key, label in codes.RETURN_SEXES),
    year=tuple(Entry(key, key, label) for key, label in codes.YEAR_GROUPS),
    band=tuple(Entry(b.key, b.key, b.label) for b in codes.BANDS),
    reason=tuple(Entry(t.key, t.key, t.label) for t in codes.DFE_REASONS),
)


def _code(text: str, where: str, field: str) -> str:
    code = text.strip()
    if not code:
        raise InvalidInput(f"{where}: the code is empty. Every row needs a code.", field=field)
    if not _CODE.fullmatch(code):
        raise InvalidInput(
            f"{where}: “{code}” cannot be a code. Use up to 12 letters and digits "
            "(and - _ . /), starting with a letter or a digit.",
            field=field,
        )
    return code


def check(book: Codebook) -> Codebook:
    """``book`` with its codes and labels trimmed; ``InvalidInput`` names the first problem.

    Every code is non-empty and unique within its breakdown (retired reasons
    included, so that a code in an old return keeps one meaning); every reason has a
    label, and at least one reason is current.
    """
    out: dict[str, tuple[Entry, ...]] = {}
    for topic, name in TOPICS:
        seen: dict[str, str] = {}
        labels: set[str] = set()
        entries = []
        for entry in book.entries(topic):
            label = " ".join(entry.label.split())
            where = f"{name} “{label or entry.key}”"
            code = _code(entry.code, where, f"{topic}:{entry.key}")
            if code.casefold() in seen:
                raise InvalidInput(
                    f"{name}: the code “{code}” is given to both “{seen[code.casefold()]}” and "
                    f"“{label}”. Each row needs its own code.",
                    field=f"{topic}:{entry.key}",
                )
            seen[code.casefold()] = label
            if topic == "reason":
                if not label:
                    raise InvalidInput(
                        f"Primary reason {code}: the label is empty.", field=f"reason:{entry.key}"
                    )
                if len(label) > _LABEL_MAX:
                    raise InvalidInput(
                        f"Primary reason {code}: the label is longer than {_LABEL_MAX} characters.",
                        field=f"reason:{entry.key}",
                    )
                if label.casefold() in labels:
                    raise InvalidInput(
                        f"Primary reason “{label}” is listed twice.", field=f"reason:{entry.key}"
                    )
                labels.add(label.casefold())
            entries.append(replace(entry, code=code, label=label))
        out[topic] = tuple(entries)
    if len({e.key for e in out["reason"]}) != len(out["reason"]):
        raise InvalidInput("Two primary reasons are kept under the same key.", field="reason")
    if not any(not e.retired for e in out["reason"]):
        raise InvalidInput(
            "At least one primary reason must stay current: cases need one to choose.",
            field="reason",
        )
    return Codebook(**out)


def with_reason(book: Codebook, *, code: str, label: str) -> Codebook:
    """``book`` with a new primary reason the DfE added; it is kept on cases by its code.

    ``InvalidInput`` when the code or label is empty or already used (by any reason,
    retired ones included).
    """
    code = _code(code, "The new primary reason", "new_reason_code")
    if any(code.casefold() in (e.key.casefold(), e.code.casefold()) for e in book.reason):
        raise InvalidInput(
            f"The code “{code}” is already used by a primary reason: give the new reason "
            "its own code.",
            field="new_reason_code",
        )
    if not " ".join(label.split()):
        raise InvalidInput("Give the new primary reason its DfE label.", field="new_reason_label")
    added = Entry(code.upper(), code, label, added=True)
    return check(replace(book, reason=(*book.reason, added)))


def to_stored(book: Codebook) -> dict[str, Any]:
    """The book as the settings table keeps it (JSON)."""
    stored: dict[str, Any] = {
        topic: {e.key: e.code for e in book.entries(topic)} for topic in ("sex", "year", "band")
    }
    stored["reason"] = [
        {"key": e.key, "code": e.code, "label": e.label, "retired": e.retired, "added": e.added}
        for e in book.reason
    ]
    return stored


def from_stored(raw: Any) -> Codebook:
    """The book from the settings table: ``DEFAULT`` for whatever is missing or damaged.

    The program's own reasons come first, in its order, with the authority's code,
    label and retirement; the reasons the authority added follow. A reason a later
    release adds to ``dfe_codes`` appears with its default code.
    """
    if not isinstance(raw, Mapping):
        return DEFAULT
    topics: dict[str, tuple[Entry, ...]] = {}
    for topic in ("sex", "year", "band"):
        codes_of = raw.get(topic)
        codes_of = codes_of if isinstance(codes_of, Mapping) else {}
        topics[topic] = tuple(
            replace(e, code=str(codes_of.get(e.key, e.code))) for e in DEFAULT.entries(topic)
        )
    listed = raw.get("reason")
    stored = {
        str(r.get("key")): r
        for r in (listed if isinstance(listed, list) else [])
        if isinstance(r, Mapping) and r.get("key")
    }
    reasons = []
    for entry in DEFAULT.reason:
        row = stored.pop(entry.key, None)
        if row is not None:
            entry = replace(
                entry,
                code=str(row.get("code") or entry.code),
                label=str(row.get("label") or entry.label),
                retired=bool(row.get("retired")),
            )
        reasons.append(entry)
    for key, row in stored.items():
        reasons.append(
            Entry(
                key,
                str(row.get("code") or key),
                str(row.get("label") or key),
                retired=bool(row.get("retired")),
                added=True,
            )
        )
    book = Codebook(reason=tuple(reasons), **topics)
    try:
        return check(book)
    except InvalidInput:
        # A damaged row (two codes alike after an edit outside the program) must not stop
        # the return being made: the program's own codes stand in.
        return DEFAULT


def read_codebook(session: Session) -> Codebook:
    """The authority's codes, read in ``session`` (``DEFAULT`` when never set)."""
    raw = session.scalar(select(Setting.value).where(Setting.key == SETTING_KEY))
    return from_stored(raw)


def check_case_reason(session: Session, reason: str, *, held: str = "") -> None:
    """``InvalidInput`` unless ``reason`` may be recorded on a case: a current reason of the
    authority's codes, or the one the case already ``held`` (kept even if since retired)."""
    if not reason or reason == held or reason in read_codebook(session).reason_keys:
        return
    raise InvalidInput(
        "Choose the DfE primary reason from the list (Settings > DfE return codes holds "
        "the current ones).",
        field="dfe_reason",
    )


class DfeCodes:
    """Read and save the authority's DfE return codes (Settings > DfE return codes)."""

    def __init__(self, db: UnitOfWork) -> None:
        self.db = db

    def load(self) -> Codebook:
        """The codes in force (``DEFAULT`` for anything never set)."""
        with self.db.read() as session:
            return read_codebook(session)

    def save(self, book: Codebook) -> Codebook:
        """Check and keep ``book``; ``InvalidInput`` names the first problem, nothing saved.

        A reason a case holds stays in the book (it may be retired, not removed), so a
        case never holds a reason the book cannot name.
        """
        book = check(book)
        with self.db.write() as session:
            previous = read_codebook(session)
            dropped = {e.key for e in previous.reason} - {e.key for e in book.reason}
            if dropped:
                raise InvalidInput(
                    "A primary reason cannot be removed, only retired: cases may hold it.",
                    field="reason",
                )
            session.merge(Setting(key=SETTING_KEY, value=to_stored(book)))
            retired = sum(e.retired for e in book.reason)
            audit.record(
                session,
                self.db,
                action="dfe_codes_saved",
                entity="settings",
                detail=f"reasons={len(book.reason)} retired={retired}",
            )
        return book
