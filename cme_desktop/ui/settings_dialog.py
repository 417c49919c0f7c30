"""Settings: the officer, the authority and named-person contact details (used on
documents), the idle lock, school term and census dates, and the passphrase.

Everything is read and saved through ``SettingsService`` in one call; the
passphrase and the recovery key through the vault's own operations. On a shared
server, which has neither, the Security tab says what applies there instead
(``server_settings``).
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QSize
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from cme_desktop.services.errors import CmeError, InvalidInput
from cme_desktop.services.registry import AppServices
from cme_desktop.services.rules.dates import format_uk_date, parse_uk_date
from cme_desktop.services.settings import Settings, TermDates
from cme_desktop.ui import background, prompts
from cme_desktop.ui.changes import Changes
from cme_desktop.ui.data_protection_settings import DataProtectionTab
from cme_desktop.ui.dialogs import text_box
from cme_desktop.ui.fields import add_row
from cme_desktop.ui.register_settings import RegisterSettingsTab
from cme_desktop.ui.reports.dfe_codes_dialog import DfeCodesDialog
from cme_desktop.ui.screen_fit import fit_window
from cme_desktop.ui.server_settings import on_server, server_security_page
from cme_desktop.ui.vault.passphrase import NewPassphraseFields
from cme_desktop.ui.vault.recovery_key import RecoveryKeyPanel


class ChangePassphraseDialog(QDialog):
    """A new passphrase, typed twice; the vault rewrites its passphrase key slot."""

    def __init__(self, parent: QWidget | None, services: AppServices) -> None:
        super().__init__(parent)
        self.services = services
        self.setWindowTitle("Change the passphrase")
        layout = QVBoxLayout(self)
        self.fields = NewPassphraseFields()
        layout.addWidget(self.fields)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText("&Change passphrase")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        fit_window(self)
        self.fields.first.setFocus()

    def accept(self) -> None:
        try:
            passphrase = self.fields.passphrase()
        except CmeError as exc:
            prompts.error(self, self.windowTitle(), exc)
            return
        self.ok.setEnabled(False)
        vault, db = self.services.vault, self.services.db
        background.run(
            self,
            lambda: vault.change_passphrase(db, passphrase),
            on_done=lambda _r: self._done(),
            on_error=self._failed,
        )

    def _done(self) -> None:
        self.fields.clear()
        prompts.info(self, self.windowTitle(), "The passphrase has been changed.")
        super().accept()

    def _failed(self, exc: BaseException) -> None:
        self.ok.setEnabled(True)
        prompts.error(self, self.windowTitle(), exc)


class SettingsDialog(QDialog):
    """The settings of this vault."""

    def __init__(self, parent: QWidget | None, services: AppServices, changes: Changes) -> None:
        super().__init__(parent)
        self.services = services
        self.changes = changes
        self.loaded = services.settings.load()
        self.on_server = on_server(services)
        self.setWindowTitle("Settings")
        self.setAccessibleName("Settings")
        layout = QVBoxLayout(self)
        self.tabs = QTabWidget()
        layout.addWidget(self.tabs)
        self.tabs.addTab(self._officer_tab(), "&Officer and authority")
        self.tabs.addTab(self._dates_tab(), "School &dates")
        self.tabs.addTab(self._security_tab(), "&Security")
        self.data_protection = DataProtectionTab(self.loaded)
        self.tabs.addTab(self.data_protection, "Data protect&ion")
        self.register = RegisterSettingsTab(services.db)
        self.tabs.addTab(self.register, "Re&gister")
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        hint = self.sizeHint()
        fit_window(self, QSize(max(640, hint.width()), hint.height()))
        self.officer_name.setFocus()

    def _officer_tab(self) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        s = self.loaded
        intro = QLabel("Shown on letters, referral forms and visit sheets.")
        intro.setWordWrap(True)
        form.addRow(intro)
        self.officer_name = QLineEdit(s.officer_name)
        add_row(form, "Your &name:", self.officer_name, name="Officer's name")
        self.officer_title = QLineEdit(s.officer_title)
        add_row(form, "Your &title:", self.officer_title, name="Officer's title")
        self.authority_name = QLineEdit(s.authority_name)
        add_row(form, "Local &authority:", self.authority_name, name="Local authority")
        self.la_number = QLineEdit(s.la_number)
        self.la_number.setMaxLength(3)
        self.la_number.setPlaceholderText("3 digits, e.g. 855")
        add_row(form, "LA n&umber:", self.la_number, name="LA number")
        self.team_name = QLineEdit(s.team_name)
        add_row(form, "T&eam:", self.team_name, name="Team")
        self.contact_phone = QLineEdit(s.contact_phone)
        add_row(form, "Named person's tele&phone:", self.contact_phone)
        self.contact_email = QLineEdit(s.contact_email)
        add_row(form, "Named person's e&mail:", self.contact_email)
        self.contact_address = text_box(3)
        self.contact_address.setPlainText(s.contact_address)
        add_row(form, "Named person's add&ress:", self.contact_address)
        return page

    def _dates_tab(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addWidget(QLabel("School terms (for attendance and reports):"))
        self.terms = QTableWidget(0, 3)
        self.terms.setHorizontalHeaderLabels(["Term", "Starts (dd/mm/yyyy)", "Ends (dd/mm/yyyy)"])
        self.terms.setAccessibleName("School terms")
        self.terms.horizontalHeader().setStretchLastSection(True)
        self.terms.verticalHeader().setVisible(False)
        self.terms.setColumnWidth(0, self.fontMetrics().averageCharWidth() * 24)
        self.terms.setColumnWidth(1, self.fontMetrics().averageCharWidth() * 20)
        for term in self.loaded.terms:
            self._add_term(term.name, format_uk_date(term.starts), format_uk_date(term.ends))
        layout.addWidget(self.terms)
        row = QHBoxLayout()
        add = QPushButton("Add &term")
        add.clicked.connect(lambda: self._add_term("", "", ""))
        remove = QPushButton("&Remove term")
        remove.clicked.connect(lambda: self.terms.removeRow(self.terms.currentRow()))
        row.addWidget(add)
        row.addWidget(remove)
        row.addStretch(1)
        layout.addLayout(row)
        form = QFormLayout()
        self.census = QLineEdit(", ".join(format_uk_date(d) for d in self.loaded.census_dates))
        self.census.setPlaceholderText("e.g. 15/01/2026, 21/05/2026, 01/10/2026")
        add_row(form, "&Census dates:", self.census, name="School census dates")
        codes = QPushButton("D&fE return codes…")
        codes.setAccessibleName("The codes the DfE return writes")
        codes.clicked.connect(lambda: DfeCodesDialog(self, self.services.db).exec())
        form.addRow("DfE return:", codes)
        layout.addLayout(form)
        return page

    def _add_term(self, name: str, starts: str, ends: str) -> None:
        row = self.terms.rowCount()
        self.terms.insertRow(row)
        for col, text in enumerate((name, starts, ends)):
            self.terms.setItem(row, col, QTableWidgetItem(text))

    def _security_tab(self) -> QWidget:
        self.idle_minutes = QSpinBox()
        self.idle_minutes.setRange(1, 240)
        self.idle_minutes.setSuffix(" minutes")
        self.idle_minutes.setValue(self.loaded.idle_lock_minutes)
        if self.on_server:
            # No passphrase, recovery key or remembered vault there: what applies instead.
            return server_security_page(self.services, self.idle_minutes)
        page = QWidget()
        form = QFormLayout(page)
        add_row(form, "&Lock after no use for:", self.idle_minutes, name="Idle lock time")
        vault = self.services.vault
        self.remember = QCheckBox("&Remember the vault on this computer")
        self.remember.setChecked(vault.is_remembered())
        self.remember.setVisible(vault.can_remember())
        form.addRow("", self.remember)
        change = QPushButton("&Change passphrase…")
        change.clicked.connect(lambda: ChangePassphraseDialog(self, self.services).exec())
        form.addRow("Passphrase:", change)
        recovery = QPushButton("Make a new recovery &key…")
        recovery.clicked.connect(self.new_recovery_key)
        form.addRow("Recovery key:", recovery)
        return page

    # -- saving ---------------------------------------------------------------------------

    def settings(self) -> Settings:
        """The settings as typed; raises ``InvalidInput`` for a date that cannot be read."""
        terms = []
        for row in range(self.terms.rowCount()):
            cells = [self.terms.item(row, c) for c in range(3)]
            name, starts, ends = (c.text().strip() if c else "" for c in cells)
            if not (name or starts or ends):
                continue
            start_day, end_day = parse_uk_date(starts), parse_uk_date(ends)
            if start_day is None or end_day is None:
                raise InvalidInput(f"Term '{name}': give both dates as dd/mm/yyyy.", field="terms")
            terms.append(TermDates(name or "Term", start_day, end_day))
        census = []
        for part in self.census.text().replace(";", ",").split(","):
            if part.strip():
                day = parse_uk_date(part.strip())
                if day is None:
                    raise InvalidInput(f"'{part.strip()}' is not a date.", field="census_dates")
                census.append(day)
        typed = replace(
            self.loaded,
            officer_name=self.officer_name.text().strip(),
            officer_title=self.officer_title.text().strip(),
            authority_name=self.authority_name.text().strip(),
            la_number=self.la_number.text().strip(),
            team_name=self.team_name.text().strip(),
            contact_phone=self.contact_phone.text().strip(),
            contact_email=self.contact_email.text().strip(),
            contact_address=self.contact_address.toPlainText().strip(),
            idle_lock_minutes=self.idle_minutes.value(),
            terms=tuple(terms),
            census_dates=tuple(sorted(census)),
        )
        return self.data_protection.apply(typed)

    def accept(self) -> None:
        try:
            self.services.settings.save(self.settings())
            self.register.save()
            vault = self.services.vault
            remembers = not self.on_server and vault.can_remember()
            if remembers and self.remember.isChecked() != vault.is_remembered():
                if self.remember.isChecked():
                    vault.remember(self.services.db)
                else:
                    vault.forget(self.services.db)
        except CmeError as exc:
            prompts.error(self, "Settings", exc)
            return
        self.changes.settings_changed.emit()
        super().accept()

    def new_recovery_key(self) -> None:
        if not prompts.confirm(
            self,
            "New recovery key",
            "Make a new recovery key? The old one stops working at once, so the printed "
            "page in the safe must be replaced.",
        ):
            return
        try:
            key = self.services.vault.new_recovery_key(self.services.db)
        except CmeError as exc:
            prompts.error(self, "New recovery key", exc)
            return
        dialog = QDialog(self)
        dialog.setWindowTitle("New recovery key")
        panel = RecoveryKeyPanel()
        QVBoxLayout(dialog).addWidget(panel)
        panel.show_key(key)
        panel.confirmed.connect(dialog.accept)
        fit_window(dialog)
        dialog.exec()
