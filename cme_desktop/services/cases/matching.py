"""Is this the same child? Ranking existing cases against a name, date of birth and UPN.

Referrals spell names differently ("Mohammed"/"Muhammad", a double-barrelled
surname dropped, an AKA used as the name). A candidate is kept when the UPN
is the same, or the date of birth is the same and the names are close.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Sequence
from datetime import date
from typing import Protocol, TypeVar

from cme_desktop.services.rules.names import strip_format


class Candidate(Protocol):
    @property
    def full_name(self) -> str: ...
    @property
    def aka(self) -> str: ...
    @property
    def date_of_birth(self) -> date | None: ...
    @property
    def upn(self) -> str: ...


C = TypeVar("C", bound=Candidate)


def _folded_words(name: str) -> list[str]:
    # A zero-width space or soft hyphen inside a word would split it in two (rules.names).
    plain = unicodedata.normalize("NFKD", strip_format(name))
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch)).lower()
    return re.findall(r"[a-z0-9]+", plain)


def name_similarity(a: str, b: str) -> float:
    """0..1: how alike two names are, ignoring order, case, accents and punctuation."""
    wa, wb = _folded_words(a), _folded_words(b)
    if not wa or not wb:
        return 0.0
    whole = difflib.SequenceMatcher(None, " ".join(sorted(wa)), " ".join(sorted(wb))).ratio()
    # Each word of the shorter name matched to its best partner in the other.
    short, long_ = (wa, wb) if len(wa) <= len(wb) else (wb, wa)
    per_word = sum(
        max(difflib.SequenceMatcher(None, w, x).ratio() for x in long_) for w in short
    ) / len(short)
    return max(whole, per_word * 0.95)


def match_score(
    candidate: Candidate, *, full_name: str, date_of_birth: date | None, upn: str, aka: str = ""
) -> float:
    """0..1: how likely ``candidate`` is the child described."""
    if upn and candidate.upn and upn.strip().upper() == candidate.upn:
        return 1.0
    names = [n for n in (full_name, aka) if n.strip()]
    theirs = [n for n in (candidate.full_name, candidate.aka) if n.strip()]
    similarity = max((name_similarity(a, b) for a in names for b in theirs), default=0.0)
    same_dob = date_of_birth is not None and candidate.date_of_birth == date_of_birth
    if same_dob:
        return 0.5 + similarity / 2
    return similarity * 0.6


def rank_candidates(
    found: Sequence[C],
    *,
    full_name: str,
    date_of_birth: date | None,
    upn: str,
    aka: str = "",
    threshold: float = 0.75,
) -> list[C]:
    """The candidates likely to be the same child, best first."""
    scored = [
        (match_score(c, full_name=full_name, date_of_birth=date_of_birth, upn=upn, aka=aka), c)
        for c in found
    ]
    return [c for s, c in sorted(scored, key=lambda x: -x[0]) if s >= threshold]
