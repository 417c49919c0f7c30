"""Settings > Data protection: the retention rule and the privacy notice on documents.

A tab of the settings dialog. Both are the authority's local choices
(``docs/data-protection.md``): how long closed cases are kept, and the wording of
the privacy notice printed on every document that names a child. The notice box
shows the default wording until the authority writes its own; kept unchanged, the
default is stored as "none", so it follows a later change of the authority's name.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtWidgets import QFormLayout, QLabel, QPushButton, QSpinBox, QWidget

from cme_desktop.services.documents.privacy import MAX_NOTICE, notice_text
from cme_desktop.services.settings import Settings
from cme_desktop.ui.dialogs import text_box
from cme_desktop.ui.fields import add_row


class DataProtectionTab(QWidget):
    """The retention rule's two numbers and the privacy notice's wording."""

    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self.loaded = settings
        form = QFormLayout(self)
        intro = QLabel(
            "Closed cases are due for review when both periods have passed; the officer "
            "then erases each one or keeps it longer with a reason (Tools > Retention review)."
        )
        intro.setWordWrap(True)
        form.addRow(intro)
        self.years = QSpinBox()
        self.years.setRange(1, 50)
        self.years.setSuffix(" years after closure")
        self.years.setValue(settings.retention_years_after_closure)
        add_row(form, "&Keep closed cases:", self.years, name="Years to keep a closed case")
        self.until_age = QSpinBox()
        self.until_age.setRange(0, 30)
        self.until_age.setSpecialValueText("No age rule")
        self.until_age.setPrefix("the child's birthday at ")
        self.until_age.setValue(settings.retention_until_age)
        add_row(
            form,
            "And &until:",
            self.until_age,
            name="Keep until the child's birthday at this age (0: no age rule)",
        )
        self.notice = text_box(6)
        self.notice.setPlainText(settings.privacy_notice or self._default())
        add_row(form, "&Privacy notice:", self.notice, name="Privacy notice printed on documents")
        hint = QLabel(
            f"Printed at the end of referrals, visit sheets and subject access packs; at most "
            f"{MAX_NOTICE:,} characters."
        )
        hint.setWordWrap(True)
        form.addRow("", hint)
        self.reset = QPushButton("Use the default &wording")
        self.reset.setAccessibleName("Use the default privacy notice")
        self.reset.clicked.connect(lambda: self.notice.setPlainText(self._default()))
        form.addRow("", self.reset)

    def _default(self) -> str:
        return notice_text("", self.loaded.authority_name)

    def apply(self, settings: Settings) -> Settings:
        """``settings`` with this tab's values (the default wording kept as none)."""
        notice = self.notice.toPlainText().strip()
        defaults = {self._default(), notice_text("", settings.authority_name)}
        return replace(
            settings,
            retention_years_after_closure=self.years.value(),
            retention_until_age=self.until_age.value(),
            privacy_notice="" if notice in defaults else notice,
        )
