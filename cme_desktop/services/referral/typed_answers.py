"""Lenient readers of what people type into the referral form's answer boxes.

A Word form comes back with Yes/No, Current/Historic and the pupils' names
written every way people write them; these turn that text into the record's
values without inventing anything. Dates are read by ``rules.dates``.

Decisions written down so they can be challenged:

- A risk row marked both Current and Historic ("both", "C & H") reads as
  ``"current"``, the one that matters for safeguarding; the untouched prompt
  ``C/H`` and an ambiguous ``✗`` read as not answered.
- ``split_pupil_names`` never invents a name: "Jack and Jill Smith" gives
  ``["Jack", "Jill Smith"]`` for the officer to complete at review.
"""

from __future__ import annotations

import re
from typing import Literal

__all__ = ["Timing", "parse_timing", "parse_yes_no", "split_pupil_names"]

Timing = Literal["current", "historic"]

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
