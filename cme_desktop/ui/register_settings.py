"""Settings > Register: what the register leaves to regulations, as the authority sets it.

A tab of the settings dialog (``services.register.config``): the arrangements under
which a registered pupil educated elsewhere is on the register, the optional fields
(one per line: a line kept keeps its stored key, so entries already holding it still
show it), and the number of days of each deadline, with where the number comes from.
"""

from __future__ import annotations

import re
from dataclasses import replace

from PySide6.QtWidgets import QFormLayout, QLabel, QSpinBox, QWidget

from cme_desktop.models.vocabularies import Term
from cme_desktop.services.errors import InvalidInput
from cme_desktop.services.register.config import (
    BASES,
    MAX_DAYS,
    RegisterConfig,
    RegisterSettings,
)
from cme_desktop.services.vault.database import UnitOfWork
from cme_desktop.ui.dialogs import text_box
from cme_desktop.ui.fields import add_row


def terms_from_lines(text: str, previous: tuple[Term, ...]) -> tuple[Term, ...]:
    """One term per non-empty line: a label already known keeps its key, a new one gets a
    key made from its words (``Part-time timetable`` → ``part_time_timetable``)."""
    known = {t.label.casefold(): t.key for t in previous}
    out: list[Term] = []
    taken: set[str] = set()
    for line in text.splitlines():
        label = " ".join(line.split())
        if not label:
            continue
        key = known.get(label.casefold()) or _key_of(label)
        if key in taken:
            raise InvalidInput(f"“{label}” is listed twice.")
        taken.add(key)
        out.append(Term(key, label))
    return tuple(out)


def _key_of(label: str) -> str:
    words = re.findall(r"[a-z0-9]+", label.casefold())
    key = "_".join(words)[:40].strip("_")
    if not key or not key[0].isalpha():
        key = f"field_{key}"[:40]
    return key


class RegisterSettingsTab(QWidget):
    """The three lists of the register's settings."""

    def __init__(self, db: UnitOfWork) -> None:
        super().__init__()
        self.service = RegisterSettings(db)
        self.loaded: RegisterConfig = self.service.load()
        form = QFormLayout(self)
        intro = QLabel(
            "The register of children not in school (Education Act 1996 s.436B–436G) is "
            "not yet commenced: what regulations will prescribe is set here. One entry a line."
        )
        intro.setWordWrap(True)
        form.addRow(intro)
        self.arrangements = text_box(4)
        self.arrangements.setPlainText("\n".join(t.label for t in self.loaded.arrangements))
        add_row(
            form,
            "Prescribed &arrangements:",
            self.arrangements,
            name="Arrangements under which a registered pupil is on the register",
        )
        self.optional = text_box(4)
        self.optional.setPlainText("\n".join(t.label for t in self.loaded.optional_fields))
        add_row(form, "Optional fie&lds:", self.optional, name="Optional prescribed information")
        self.days: dict[str, QSpinBox] = {}
        for deadline in self.loaded.deadlines:
            box = QSpinBox()
            box.setRange(1, MAX_DAYS)
            box.setSuffix(" days")
            box.setValue(deadline.days)
            box.setToolTip(f"{BASES.get(deadline.basis, '')}. {deadline.source}".strip())
            basis = BASES.get(deadline.basis, deadline.basis).lower()
            add_row(form, f"{deadline.title} ({basis}):", box, name=deadline.title)
            self.days[deadline.key] = box

    def config(self) -> RegisterConfig:
        """The settings as typed (checked when saved)."""
        return RegisterConfig(
            arrangements=terms_from_lines(
                self.arrangements.toPlainText(), self.loaded.arrangements
            ),
            optional_fields=terms_from_lines(
                self.optional.toPlainText(), self.loaded.optional_fields
            ),
            deadlines=tuple(
                replace(d, days=self.days[d.key].value()) for d in self.loaded.deadlines
            ),
        )

    def save(self) -> None:
        """Keep the settings as typed; ``InvalidInput`` names the first problem."""
        config = self.config()
        if config != self.loaded:
            self.loaded = self.service.save(config)
