"""Who a document comes from: the local authority and its CME named officer (policy 8.2).

Apart from the styles (``styles``, which load reportlab) so that the settings,
and every screen that only passes these details on, load without it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AuthorityDetails:
    """The local authority a document comes from, and its CME named officer (policy 8.2)."""

    name: str
    officer_name: str = ""
    officer_title: str = ""
    phone: str = ""
    email: str = ""
    address: str = ""
    #: The DfE's three-digit LA number, when the officer has given it.
    la_number: str = ""
    #: The privacy notice printed on documents (``documents.privacy``); empty: none.
    privacy_notice: str = ""

    def contact_line(self) -> str:
        """One line for a page footer: the officer, then how to reach them."""
        who = ", ".join(p for p in (self.officer_name, self.officer_title) if p)
        parts = [self.name, who, self.phone, self.email]
        return " · ".join(p for p in parts if p)


#: Until the officer enters their authority's details in the settings.
DEFAULT = AuthorityDetails(
    name="Local Authority", officer_title="Children Missing Education Officer"
)
