"""What every importer returns: referrals parsed from a file, with doubts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ParsedReferral:
    """One ``cme-referral/1`` record read from a file.

    ``uncertain`` lists the dotted paths of fields the parser could not read
    with confidence (e.g. ``"date_last_attended"``, ``"risk_indicators.9.timing"``,
    ``"children.0.date_of_birth"``) so that the review screen can highlight them.
    ``source`` names where it came from, e.g. ``"referral.docx"`` or
    ``"email.eml › referral.docx"``.
    """

    referral: dict[str, Any]
    source: str
    uncertain: tuple[str, ...] = field(default=())
    original: bytes | None = None  # the file as received (still encrypted), to keep in the vault
    original_name: str = ""
