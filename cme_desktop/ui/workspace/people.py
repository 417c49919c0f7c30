"""Addresses (with the last known one), parents/carers and contacts, and siblings."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from cme_desktop.services.cases.detail import CarerRow, CaseDetail, case_reference
from cme_desktop.services.rules.dates import format_date
from cme_desktop.ui import prompts
from cme_desktop.ui.dialogs import FormDialog, text_box
from cme_desktop.ui.fields import DateField
from cme_desktop.ui.workspace.context import CaseContext
from cme_desktop.ui.workspace.tables import ROW_ID_ROLE, SmallTable


def _one_line(text: str) -> str:
    return ", ".join(p.strip() for p in text.splitlines() if p.strip())


class AddressDialog(FormDialog):
    def __init__(self, parent: QWidget | None, ctx: CaseContext) -> None:
        super().__init__(parent, "Add an address")
        self.ctx = ctx
        self.address = text_box(3)
        self.add("&Address:", self.address, "address")
        self.moved_in = DateField("moved_in", "Moved in")
        self.add("Moved &in:", self.moved_in, "moved_in")
        self.moved_out = DateField("moved_out", "Moved out")
        self.add("Moved &out:", self.moved_out, "moved_out")
        self.last_known = QCheckBox("This is the &last known address")
        self.last_known.setChecked(True)
        self.add("", self.last_known)
        self.note = QLineEdit()
        self.add("&Note:", self.note, "note")

    def submit(self) -> None:
        self.ctx.services.cases.add_address(
            self.ctx.case_id,
            address=self.address.toPlainText(),
            moved_in=self.moved_in.value(),
            moved_out=self.moved_out.value(),
            last_known=self.last_known.isChecked(),
            note=self.note.text(),
        )
        self.ctx.changed()


class CarerDialog(FormDialog):
    def __init__(self, parent: QWidget | None, ctx: CaseContext, carer: CarerRow | None) -> None:
        super().__init__(parent, "Parent or carer" if carer is None else f"Edit {carer.name}")
        self.ctx = ctx
        self.carer_id = carer.id if carer else None
        self.name = QLineEdit(carer.name if carer else "")
        self.add("&Name:", self.name, "name")
        self.relationship = QLineEdit(carer.relationship if carer else "")
        self.relationship.setPlaceholderText("Mother, father, grandparent, carer …")
        self.add("&Relationship:", self.relationship, "relationship")
        self.telephone = QLineEdit(carer.telephone if carer else "")
        self.add("&Telephone:", self.telephone, "telephone")
        self.email = QLineEdit(carer.email if carer else "")
        self.add("&Email:", self.email, "email")
        self.address = text_box(3)
        self.address.setPlainText(carer.address if carer else "")
        self.add("A&ddress (if different):", self.address, "address")
        self.note = QLineEdit(carer.note if carer else "")
        self.add("N&ote:", self.note, "note")

    def submit(self) -> None:
        self.ctx.services.cases.save_carer(
            self.ctx.case_id,
            carer_id=self.carer_id,
            name=self.name.text(),
            relationship=self.relationship.text(),
            telephone=self.telephone.text(),
            email=self.email.text(),
            address=self.address.toPlainText(),
            note=self.note.text(),
        )
        self.ctx.changed()


class PeopleSection(QWidget):
    """Address history, parents/carers and contacts, siblings."""

    def __init__(self, ctx: CaseContext) -> None:
        super().__init__()
        self.ctx = ctx
        self._carers: dict[int, CarerRow] = {}
        layout = QVBoxLayout(self)

        addresses = QGroupBox("Address history")
        a = QVBoxLayout(addresses)
        self.addresses = SmallTable(
            ("Address", "Moved in", "Moved out", "Last known", "Note"), "Address history"
        )
        a.addWidget(self.addresses)
        row = QHBoxLayout()
        add_address = QPushButton("Add &address…")
        add_address.clicked.connect(self.add_address)
        row.addWidget(add_address)
        row.addStretch(1)
        a.addLayout(row)
        layout.addWidget(addresses, 2)

        carers = QGroupBox("Parents, carers and contacts")
        c = QVBoxLayout(carers)
        self.carers = SmallTable(
            ("Name", "Relationship", "Telephone", "Email", "Address", "Note"),
            "Parents, carers and contacts",
        )
        self.carers.activated_id.connect(self.edit_carer)
        c.addWidget(self.carers)
        row = QHBoxLayout()
        add_carer = QPushButton("Add &parent or carer…")
        add_carer.clicked.connect(lambda: self._carer_dialog(None))
        edit = QPushButton("&Edit…")
        edit.clicked.connect(lambda: self.edit_carer(self.carers.current_id()))
        remove = QPushButton("Re&move")
        remove.clicked.connect(self.remove_carer)
        for button in (add_carer, edit, remove):
            row.addWidget(button)
        row.addStretch(1)
        c.addLayout(row)
        layout.addWidget(carers, 2)

        siblings = QGroupBox("Siblings")
        s = QHBoxLayout(siblings)
        self.siblings = QListWidget()
        self.siblings.setAccessibleName("Siblings")
        self.siblings.setMaximumHeight(self.fontMetrics().lineSpacing() * 5)
        self.siblings.itemActivated.connect(self._open_sibling)
        s.addWidget(self.siblings, 1)
        self.open_sibling = QPushButton("&Open sibling")
        self.open_sibling.clicked.connect(lambda: self._open_sibling(self.siblings.currentItem()))
        s.addWidget(self.open_sibling)
        layout.addWidget(siblings, 1)

    def show_case(self, detail: CaseDetail) -> None:
        self.addresses.set_rows(
            [
                (
                    a.id,
                    (
                        _one_line(a.address),
                        format_date(a.moved_in) if a.moved_in else "",
                        format_date(a.moved_out) if a.moved_out else "",
                        "Yes – last known" if a.is_last_known else "",
                        a.note,
                    ),
                )
                for a in detail.addresses
            ],
            bold=[a.is_last_known for a in detail.addresses],
        )
        self.addresses.setColumnWidth(0, self.fontMetrics().averageCharWidth() * 50)
        self._carers = {c.id: c for c in detail.carers}
        self.carers.set_rows(
            [
                (c.id, (c.name, c.relationship, c.telephone, c.email, _one_line(c.address), c.note))
                for c in detail.carers
            ]
        )
        self.siblings.clear()
        for sib in detail.siblings:
            born = (
                format_date(sib.date_of_birth) if sib.date_of_birth else "date of birth not known"
            )
            item = QListWidgetItem(
                f"{sib.full_name}, born {born} – {case_reference(sib.id)} ({sib.status})"
            )
            item.setData(ROW_ID_ROLE, sib.id)
            self.siblings.addItem(item)
        if not detail.siblings:
            self.siblings.addItem("No siblings linked to this case.")
        self.open_sibling.setEnabled(bool(detail.siblings))

    def add_address(self) -> None:
        AddressDialog(self, self.ctx).exec()

    def _carer_dialog(self, carer: CarerRow | None) -> None:
        CarerDialog(self, self.ctx, carer).exec()

    def edit_carer(self, carer_id: int | None) -> None:
        if carer_id is not None and carer_id in self._carers:
            self._carer_dialog(self._carers[carer_id])

    def remove_carer(self) -> None:
        carer_id = self.carers.current_id()
        if carer_id is None or carer_id not in self._carers:
            return
        name = self._carers[carer_id].name
        if prompts.confirm(self, "Remove", f"Remove {name} from this case?"):
            self.ctx.run(
                self,
                "Remove",
                lambda: self.ctx.services.cases.remove_carer(self.ctx.case_id, carer_id=carer_id),
            )

    def _open_sibling(self, item: QListWidgetItem | None) -> None:
        if item is not None and item.data(ROW_ID_ROLE) is not None:
            self.ctx.open_case(int(item.data(ROW_ID_ROLE)))
