"""SQLAlchemy models and the policy's vocabularies: no Qt, no I/O.

The models are loaded on first use (PEP 562), so that code needing only the
vocabularies — the import parsers in their sandboxed process — does not pay
for importing SQLAlchemy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # explicit re-exports for type checkers (``X as X``)
    from cme_desktop.models.audit import AuditEvent as AuditEvent
    from cme_desktop.models.base import Base as Base
    from cme_desktop.models.base import utcnow as utcnow
    from cme_desktop.models.checkouts import Checkout as Checkout
    from cme_desktop.models.checkouts import CheckoutRecord as CheckoutRecord
    from cme_desktop.models.closures import CaseClosure as CaseClosure
    from cme_desktop.models.closures import CaseEnquiry as CaseEnquiry
    from cme_desktop.models.closures import SchoolReturn as SchoolReturn
    from cme_desktop.models.figures import StoredFigures as StoredFigures
    from cme_desktop.models.records import Address as Address
    from cme_desktop.models.records import AgencyReferral as AgencyReferral
    from cme_desktop.models.records import Attachment as Attachment
    from cme_desktop.models.records import Carer as Carer
    from cme_desktop.models.records import Case as Case
    from cme_desktop.models.records import CaseGroup as CaseGroup
    from cme_desktop.models.records import Escalation as Escalation
    from cme_desktop.models.records import Family as Family
    from cme_desktop.models.records import Meeting as Meeting
    from cme_desktop.models.records import Referral as Referral
    from cme_desktop.models.records import StepProgress as StepProgress
    from cme_desktop.models.records import Task as Task
    from cme_desktop.models.records import TimelineEntry as TimelineEntry
    from cme_desktop.models.register import RegisterEntry as RegisterEntry
    from cme_desktop.models.register import RegisterEvent as RegisterEvent
    from cme_desktop.models.register import RegisterParent as RegisterParent
    from cme_desktop.models.register import RegisterProvider as RegisterProvider
    from cme_desktop.models.settings import Setting as Setting
    from cme_desktop.models.settings import Snapshot as Snapshot

_WHERE = {
    "AuditEvent": "audit",
    "Base": "base",
    "utcnow": "base",
    **{name: "checkouts" for name in ("Checkout", "CheckoutRecord")},
    **{name: "closures" for name in ("CaseClosure", "CaseEnquiry", "SchoolReturn")},
    **{
        name: "register"
        for name in ("RegisterEntry", "RegisterEvent", "RegisterParent", "RegisterProvider")
    },
    "Setting": "settings",
    "StoredFigures": "figures",
    "Snapshot": "settings",
    **{
        name: "records"
        for name in (
            "Address",
            "AgencyReferral",
            "Attachment",
            "Carer",
            "Case",
            "CaseGroup",
            "Escalation",
            "Family",
            "Meeting",
            "Referral",
            "StepProgress",
            "Task",
            "TimelineEntry",
        )
    },
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def load_all() -> None:
    """Import every model module, so ``Base.metadata`` holds every table (the models are
    otherwise imported only when first named)."""
    for name in _WHERE:
        __getattr__(name)
