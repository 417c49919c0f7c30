"""What an unlock or a check found wrong with the vault, in the officer's words.

A ``Finding`` is kept on the unlocked ``Database`` (``db.findings``) for the
window and the ``cme`` command to show, and most are also written to the
audit log, so that what was found stays on record after the anchor moves on.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Findings that mean the audit log itself is incomplete: ``audit verify`` keeps
#: reporting them after they were recorded.
LOG_LOSSES = frozenset({"audit_rows_missing", "audit_log_rewritten", "audit_anchor_removed"})


@dataclass(frozen=True)
class Finding:
    """One problem found: ``kind`` is also the audit action it is recorded as."""

    kind: str
    message: str
    #: The audit row's detail: ids and counts only, never a name.
    detail: str = ""
    #: Pages of the vault cannot be read: the monthly save refuses, restore is the remedy.
    damage: bool = False

    @property
    def breaks_log(self) -> bool:
        """True when audit rows have been lost or replaced."""
        return self.kind in LOG_LOSSES
