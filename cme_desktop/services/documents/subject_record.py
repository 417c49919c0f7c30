"""The record a subject access pack is made of (``subject_access``), apart from the layout.

Held here, without reportlab, so that the service gathers it and the layout
(``subject_access_pdf``) reads it without importing each other.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from cme_desktop.services.cases.detail import case_reference

#: The format of the JSON record.
FORMAT = "cme-subject-access/1"
#: The name of the JSON record inside the PDF.
RECORD_NAME = "record.json"


@dataclass(frozen=True)
class KeptFile:
    """A file kept with the case, as attached to the pack."""

    attachment_id: int
    name: str
    media_type: str
    content: bytes


@dataclass(frozen=True)
class SubjectRecord:
    """The whole record of one child, ready to lay out and to write as JSON."""

    case_id: int
    produced_on: date
    #: JSON values only: ``{"case": {...}, "sections": {table: [rows]}, "audit": [...]}``.
    data: dict[str, Any]
    files: tuple[KeptFile, ...]

    @property
    def reference(self) -> str:
        return case_reference(self.case_id)

    def to_json(self) -> str:
        return json.dumps(self.data, ensure_ascii=False, indent=2, sort_keys=False)
