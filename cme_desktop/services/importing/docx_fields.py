"""Reading the Appendix A fields out of a Word form's blocks, by their labels.

``read_form`` takes the blocks of ``docx_text.read_blocks`` and finds each
field's value beside its label (the cells to its right, up to the next
label), below it, or after it in the same cell ("Email: ..."); where a label
sits in more than one table, the table holding more of its group wins ("Name"
belongs with "Position/Title"). Several pupils on one form share the pupil
fields one line each, or one line split per child ("05/11/2011 and 21/01/2015",
"02/04/2013; 15/06/2015", "F / M / F"); one value written for all of them is
copied to each and flagged. Dates and Yes/No answers are read leniently (in a
Yes column ticked ``✓`` or ``☒``, a ``✗`` or ``☐`` row says No), a date ending an
action's outcome becomes its date, and every field read without confidence is
listed for the officer to check.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from cme_desktop.models.vocabularies import ASSESSMENT_QUESTIONS, REFERRER_ACTIONS, RISK_INDICATORS
from cme_desktop.services.documents.word_form import (
    ADDITIONAL_FIELD,
    CHILD_FIELDS,
    PUPIL_FIELDS,
    REFERRER_FIELDS,
)
from cme_desktop.services.errors import NotAReferral
from cme_desktop.services.importing.docx_text import Block, Cell, Grid
from cme_desktop.services.importing.form_labels import (
    FIELD_LABELS,
    GROUP_OF,
    QUESTIONS,
    Label,
    after_label,
    classify,
    is_note,
    norm,
)
from cme_desktop.services.referral.record import Referral, empty_referral, normalise
from cme_desktop.services.referral.typed_answers import (
    parse_timing,
    parse_yes_no,
    split_pupil_names,
)
from cme_desktop.services.rules.dates import (
    find_date_in_text,
    parse_uk_date,
    split_trailing_date,
)

__all__ = ["read_form"]

_PROMPTS = frozenset(
    norm(p) for p in ("Yes/No", "Y/N", "No/Yes", "N/A", "Not applicable", "C/H", "Not known")
)
#: Fields a single value of which is copied to every sibling (and flagged): not a name.
_NOT_COPIED = frozenset({"aka", "upn"})
_DATE_LINE = re.compile(
    r"^\s*(?:date(?:\s+completed)?|completed(?:\s+on)?|done(?:\s+on)?)\s*[:\-–]\s*(.*?)\s*$",
    re.IGNORECASE,
)
_CHECK_TICKS, _CHECK_CROSSES = frozenset("✓✔"), frozenset("✗✘")
_BOX_TICKS, _BOX_EMPTY = frozenset("☒☑"), frozenset("☐□")
_YES_NO_PROMPT = re.compile(r"^\s*(?:yes\s*/\s*no|y\s*/\s*n)\b[\W_]*(\S.*)$", re.I | re.S)


def read_form(blocks: list[Block]) -> tuple[Referral, tuple[str, ...]]:
    """The referral a Word form's blocks hold, and the dotted paths of fields read without
    confidence. Raises ``NotAReferral`` when too few of the form's labels are found."""
    return _FormReader(blocks).referral()


@dataclass(frozen=True)
class _Place:
    grid: int
    row: int
    col: int
    cell: Cell


class _FormReader:
    """Reads the Appendix A fields out of a document's blocks, noting what is uncertain."""

    def __init__(self, blocks: list[Block]) -> None:
        self.blocks = blocks
        self.grids = [b for b in blocks if isinstance(b, Grid)]
        self.places: dict[str, list[_Place]] = {}
        self.inline: dict[str, list[tuple[int, str]]] = {}
        self.grid_keys: list[set[str]] = []
        self.found: set[str] = set()
        self.weak: set[str] = set()
        self.uncertain: list[str] = []
        self.no_marks: frozenset[str] | None = None
        for gi, grid in enumerate(self.grids):
            keys: set[str] = set()
            seen: set[int] = set()
            for r, row in enumerate(grid.rows):
                for c, cell in enumerate(row):
                    if cell is None or id(cell) in seen:
                        continue
                    seen.add(id(cell))
                    match = classify(cell.text)
                    if match is None:
                        continue
                    if match.inline is not None and match.key is not None:
                        self.inline.setdefault(match.key, []).append((gi, match.inline))
                        continue
                    cell.is_label = True
                    if match.key is not None:
                        cell.label = match.key
                        keys.add(match.key)
                        self.places.setdefault(match.key, []).append(_Place(gi, r, c, cell))
            self.grid_keys.append(keys)
        for block in blocks:
            if isinstance(block, str):
                match = classify(block)
                if match is not None and match.key is not None and match.inline is not None:
                    self.inline.setdefault(match.key, []).append((-1, match.inline))

    # -- locating values --

    def locate(self, label: Label) -> str | None:
        """The text written for a field, ``None`` when its label is nowhere in the document."""
        places = self.places.get(label.key)
        if places:
            place = max(places, key=lambda p: (self._affinity(p.grid, label.group), -p.grid))
            self.found.add(label.key)
            return self._value_at(place)
        inline = self.inline.get(label.key)
        if inline:
            gi, value = max(inline, key=lambda g: (self._affinity(g[0], label.group), -g[0]))
            # "Email: ..." in a letter is weak evidence of a form; in a table it is not.
            (self.found if gi >= 0 else self.weak).add(label.key)
            return value
        return None

    def _affinity(self, grid: int, group: str) -> int:
        """How many labels of ``group`` a table holds: "Name" belongs with "Position/Title"."""
        if grid < 0 or not group:
            return 0
        return sum(1 for k in self.grid_keys[grid] if GROUP_OF.get(k) == group)

    def _value_at(self, place: _Place) -> str:
        """The value beside a label (cells to its right up to the next label), else below it."""
        rows = self.grids[place.grid].rows
        cell, c = place.cell, place.col
        seen = {id(cell)}
        texts: list[str] = []
        beside = False
        r = place.row
        while r < len(rows) and c < len(rows[r]) and rows[r][c] is cell:
            for other in rows[r][c + 1 :]:
                if other is None or id(other) in seen:
                    continue
                seen.add(id(other))
                if other.is_label:
                    break
                beside = True
                texts.append(other.text)
            r += 1
        if beside:
            texts = texts if len(texts) == 1 else [t for t in texts if t.strip()]
            return "\n".join(texts)
        for below in rows[r : r + 3]:
            other = below[c] if c < len(below) else None
            if other is None or id(other) in seen:
                continue
            return "" if other.is_label else other.text
        return ""

    def right_of(self, place: _Place, count: int) -> list[str]:
        """The texts of up to ``count`` distinct cells right of a label, in its row."""
        row = self.grids[place.grid].rows[place.row]
        out: list[str] = []
        seen = {id(place.cell)}
        for other in row[place.col + 1 :]:
            if other is None or id(other) in seen:
                continue
            seen.add(id(other))
            if other.is_label or len(out) == count:
                break
            out.append(other.text)
        return out

    # -- reading values --

    def date(self, text: str | None, path: str) -> str | None:
        text = (text or "").strip()
        if not text:
            return None
        when = parse_uk_date(text)
        if when is None:
            self.uncertain.append(path)
            when = find_date_in_text(text)
        return None if when is None else when.isoformat()

    def yes_no(self, text: str | None, path: str) -> bool | None:
        text = text or ""
        answer = parse_yes_no(text)
        if answer is None and text.strip() and norm(text) not in _PROMPTS:
            self.uncertain.append(path)
        return answer

    def value(self, text: str, kind: str, path: str) -> Any:
        if kind == "date":
            return self.date(text, path)
        if kind == "yes_no":
            return self.yes_no(text, path)
        return text

    # -- the record --

    def referral(self) -> tuple[Referral, tuple[str, ...]]:
        ref = empty_referral()
        labels = {lab.key: lab for lab in FIELD_LABELS}
        ref["children"] = self.children(labels)
        for f in PUPIL_FIELDS + (ADDITIONAL_FIELD,):
            text = self.locate(labels[f.path])
            if text is None:
                self.uncertain.append(f.path)
            else:
                ref[f.path] = self.value(text, f.kind, f.path)
        for f in REFERRER_FIELDS:
            text = self.locate(labels[f.path])
            key = f.path.split(".", 1)[1]
            if text is None:
                self.uncertain.append(f.path)
            else:
                ref["referrer"][key] = self.value(text, f.kind, f.path)
        for action in REFERRER_ACTIONS:
            ref["referrer_actions"][action.key] = self.action(action.key)
        for term in RISK_INDICATORS:
            ref["risk_indicators"][term.key] = self.indicator(term.key)
        for key, core in QUESTIONS:
            ref[key] = self.question(key, core)
        for term in ASSESSMENT_QUESTIONS:
            ref["assessment"][term.key] = self.assessment(term.key)
        named = "child.full_name" in self.found | self.weak
        if len(self.found) < 3 and not (named and len(self.found | self.weak) >= 5):
            raise NotAReferral(
                "This Word document is not a CME referral form: none of the labels of the "
                "referral checklist (Name of Pupil(s), Date of Birth, the risk indicators...) "
                "were found in it."
            )
        record = normalise(ref)
        return record, tuple(dict.fromkeys(self.uncertain))

    def children(self, labels: dict[str, Label]) -> list[dict[str, Any]]:
        names_text = self.locate(labels["child.full_name"])
        if names_text is None:
            self.uncertain.append("children.0.full_name")
        names = split_pupil_names(names_text or "") or [(names_text or "").strip()]
        template = empty_referral()["children"][0]
        children = [dict(template, full_name=name) for name in names]
        count = len(children)
        for f in CHILD_FIELDS[1:]:
            text = self.locate(labels[f"child.{f.path}"])
            if text is None:
                if f.path != "upn":  # not on the policy's form, so not missed
                    self.uncertain.extend(f"children.{i}.{f.path}" for i in range(count))
                continue
            values, doubtful = _distribute(text, count, shared=f.path not in _NOT_COPIED)
            for i, value in enumerate(values):
                path = f"children.{i}.{f.path}"
                children[i][f.path] = self.value(value, f.kind, path)
                if i in doubtful:
                    self.uncertain.append(path)
        return children

    def action(self, key: str) -> dict[str, Any]:
        path = f"referrer_actions.{key}"
        text = self.locate(Label(f"action.{key}", ()))
        if text is None:
            self.uncertain.append(f"{path}.outcome")
            return {"outcome": "", "date": None}
        lines = text.split("\n")
        date_text = None
        for i in range(len(lines) - 1, -1, -1):
            match = _DATE_LINE.match(lines[i])
            if match:
                date_text = match.group(1)
                del lines[i]
                break
        outcome = "\n".join(lines)
        if date_text is not None:
            return {"outcome": outcome, "date": self.date(date_text, f"{path}.date")}
        # "No answer. 08/10/2026": the date it was done ends the outcome; it is the date only.
        words, when = split_trailing_date(outcome)
        if when is not None:
            return {"outcome": words, "date": when.isoformat()}
        found = find_date_in_text(outcome)
        return {"outcome": outcome, "date": None if found is None else found.isoformat()}

    def indicator(self, key: str) -> dict[str, Any]:
        path = f"risk_indicators.{key}"
        places = self.places.get(f"indicator.{key}")
        if not places:
            self.uncertain.append(f"{path}.present")
            return {"present": None, "timing": None}
        self.found.add(f"indicator.{key}")
        cells = self.right_of(places[0], 2)
        present_text = cells[0] if cells else ""
        timing_text = cells[1] if len(cells) > 1 else ""
        if len(cells) == 1:
            combined = re.match(r"\s*(yes|no|y|n|x|☒|☐)\b[\s,;/\-–(]*(.*)$", present_text, re.I)
            if combined and parse_yes_no(present_text) is None:
                present_text, timing_text = combined.group(1), combined.group(2)
        present: bool | None
        if present_text.strip() in self._no_marks():
            present = False
        else:
            present = self.yes_no(present_text, f"{path}.present")
        timing = parse_timing(timing_text)
        if timing is None and timing_text.strip() and norm(timing_text) not in _PROMPTS:
            self.uncertain.append(f"{path}.timing")
        if timing is not None and present is None:
            # A timing without an answer can only mean the indicator applies.
            present = True
            self.uncertain.append(f"{path}.present")
        elif timing is not None and present is False:
            self.uncertain.append(f"{path}.timing")
        return {"present": present, "timing": timing}

    def _no_marks(self) -> frozenset[str]:
        """The marks that mean No in the Yes column, by the scheme the other rows use.

        Alone, ``✗`` may cross out a wrong answer and ``☐`` is an untouched box; in a
        column that ticks Yes with ``✓`` (``☒``), a row marked ``✗`` (``☐``) says No.
        """
        if self.no_marks is None:
            marks: set[str] = set()
            for term in RISK_INDICATORS:
                places = self.places.get(f"indicator.{term.key}")
                cells = self.right_of(places[0], 1) if places else []
                marks.add(cells[0].strip() if cells else "")
            found: set[str] = set()
            if marks & _CHECK_TICKS:
                found |= _CHECK_CROSSES
            if marks & _BOX_TICKS:
                found |= _BOX_EMPTY
            self.no_marks = frozenset(found)
        return self.no_marks

    def question(self, key: str, core: str) -> bool | None:
        answer = self._question_text(core)
        if answer is None:
            self.uncertain.append(key)
            return None
        self.found.add(key)
        prompt = _YES_NO_PROMPT.match(answer)
        if prompt:
            answer = prompt.group(1)
        return self.yes_no(answer, key)

    def _question_text(self, core: str) -> str | None:
        for bi, block in enumerate(self.blocks):
            if isinstance(block, str):
                answer = _answer_after(block, core)
                if answer is None:
                    continue
                following = self.blocks[bi + 1] if bi + 1 < len(self.blocks) else None
                if (
                    not answer.strip()
                    and isinstance(following, str)
                    and len(following.strip()) <= 40
                    and classify(following) is None
                ):
                    return following
                return answer
            for place in self._cells(block):
                answer = _answer_after(place.cell.text, core)
                if answer is None:
                    continue
                if not answer.strip():
                    beside = self.right_of(place, 1)
                    return beside[0] if beside else ""
                return answer
        return None

    def _cells(self, grid: Grid) -> list[_Place]:
        gi = self.grids.index(grid)
        seen: set[int] = set()
        out = []
        for r, row in enumerate(grid.rows):
            for c, cell in enumerate(row):
                if cell is not None and id(cell) not in seen:
                    seen.add(id(cell))
                    out.append(_Place(gi, r, c, cell))
        return out

    def assessment(self, key: str) -> str:
        label = Label(f"assessment.{key}", ())
        text = self.locate(label)
        if text is not None:
            return text
        wording = next(t.label for t in ASSESSMENT_QUESTIONS if t.key == key)
        target = norm(wording)
        for bi, block in enumerate(self.blocks):
            if not isinstance(block, str) or not norm(block).startswith(target):
                continue
            self.found.add(label.key)
            rest = after_label(block, target) or ""
            lines = [line for line in rest.lstrip("?:").split("\n") if not is_note(line)]
            for following in self.blocks[bi + 1 :]:
                if not isinstance(following, str) or classify(following) is not None:
                    break
                lines.extend(line for line in following.split("\n") if not is_note(line))
            return "\n".join(lines)
        self.uncertain.append(f"assessment.{key}")
        return ""


def _answer_after(text: str, core: str) -> str | None:
    """The answer written after a question in ``text``, ``None`` if the question is not there."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if core not in norm(line):
            continue
        answer = line.rsplit("?", 1)[1] if "?" in line else ""
        if not answer.strip() and i + 1 < len(lines):
            nxt = lines[i + 1]
            if not any(q in norm(nxt) for _, q in QUESTIONS):
                answer = nxt
        return answer
    return None


def _distribute(text: str, count: int, *, shared: bool) -> tuple[list[str], set[int]]:
    """Share one pupil field among the children named, one line each when the counts match.

    Returns the values and the indexes of the children whose value is a guess.
    """
    if count == 1:
        return [text], set()
    if not text.strip():
        return [""] * count, set()
    lines = text.split("\n")
    if len(lines) == count:
        return lines, set()
    written = [line for line in lines if line.strip()]
    if len(written) == count:
        return written, set()
    if len(written) == 1:
        # One line for all: "02/04/2013; 05/06/2015", "05/11/2011 and 21/01/2015", "F / M / F".
        pieces = _split_line(written[0], count)
        if pieces is not None:
            return pieces, set()
    rest = set(range(1, count))
    if len(written) == 1 and shared:
        return [written[0]] * count, rest
    return [text] + [""] * (count - 1), rest | ({0} if len(written) > 1 else set())


_SEMICOLON = re.compile(r"\s*;\s*")
#: Separators also found inside one value ("speech and language"): split only dates or words.
_LOOSE_SEPARATORS = (
    re.compile(r"\s+(?:and|&)\s+", re.IGNORECASE),
    re.compile(r"\s+/\s+"),
    re.compile(r"(?<![0-9])\s*/\s*(?![0-9])"),
    re.compile(r"\s*,\s*"),
)
#: Pieces a loose separator may part: "M", "F", "Yes", "No", a gender word, or a date.
_SHORT_VALUE = re.compile(r"[^\W\d_]{1,3}")
_WORD_VALUES = frozenset({"male", "female", "boy", "girl", "unknown"})


def _plain_piece(piece: str) -> bool:
    return (
        bool(_SHORT_VALUE.fullmatch(piece))
        or piece.casefold() in _WORD_VALUES
        or parse_uk_date(piece) is not None
    )


def _split_line(line: str, count: int) -> list[str] | None:
    """One line holding a value for each of ``count`` children, split; ``None`` if it is not."""
    pieces = [p.strip() for p in _SEMICOLON.split(line.strip())]
    if len(pieces) == count:  # "Abc Smith; " leaves the second child's value empty
        return pieces
    for separator in _LOOSE_SEPARATORS:
        pieces = [p.strip() for p in separator.split(line.strip())]
        if len(pieces) == count and all(_plain_piece(p) for p in pieces):
            return pieces
    return None
