"""The case's "Register" tab: the child's entry on the register of children not in school.

What s.436C asks the register to hold — the child (name, date of birth, home address,
from the case), the parents (which educate the child, and an estimate of the time),
other providers — with the eligibility of s.436B worked out from it and the condition
that fails named; the configured optional information, marked optional; the register's
history (parents' notifications, providers' information, visits, the steps towards a
school attendance order) and what comes next on that path. Every change is one dialog
and one service call (``services.register``); the tab then reads the entry again.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from PySide6.QtWidgets import (
    QCheckBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from cme_desktop.models import register_terms as terms
from cme_desktop.models import vocabularies as vocab
from cme_desktop.services.cases.detail import CaseDetail
from cme_desktop.services.errors import CmeError, InvalidInput
from cme_desktop.services.register.config import RegisterConfig, RegisterSettings
from cme_desktop.services.register.duties import DutyService
from cme_desktop.services.register.eligibility import Result
from cme_desktop.services.register.entry import (
    EntryDraft,
    ParentDraft,
    ProviderDraft,
    RegisterRecord,
    RegisterService,
)
from cme_desktop.services.rules.dates import format_date
from cme_desktop.ui import look, prompts
from cme_desktop.ui.dialogs import FormDialog, set_combo_key, term_combo, text_box
from cme_desktop.ui.fields import DateField
from cme_desktop.ui.workspace.context import CaseContext
from cme_desktop.ui.workspace.tables import SmallTable

TITLE = "Register"


def _day(field: DateField, what: str) -> date:
    value = field.value()
    if value is None:
        raise InvalidInput(f"Give the date {what}.", field=field.field)
    return value


def _hours(field: QLineEdit, what: str) -> float | None:
    text = field.text().strip().replace(",", ".")
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise InvalidInput(f"{what}: write a number of hours, such as 12 or 2.5.") from None


def _hours_text(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def _label(items: tuple[vocab.Term, ...], key: str) -> str:
    return vocab.label_of(items, key) or key


class EntryDialog(FormDialog):
    """Eligibility (s.436B) and the optional prescribed information (s.436C(3)).

    With ``put_on``, the child is put on the register with it (and the date asked).
    """

    def __init__(
        self,
        parent: QWidget | None,
        section: RegisterSection,
        *,
        put_on: bool,
        record: RegisterRecord | None,
    ) -> None:
        super().__init__(parent, "Put on the register" if put_on else "Register entry")
        self.section, self.put_on, self.record = section, put_on, record
        config = section.config
        entry = record.entry if record else EntryDraft()
        if put_on:
            self.on = DateField("on", "On the register from")
            self.on.set_value(date.today())
            self.add("On the register &from:", self.on, "on")
        self.area = term_combo(terms.LIVES_IN_AREA)
        set_combo_key(self.area, entry.lives_in_area)
        self.add("Lives in the &area:", self.area, "lives_in_area")
        self.school_status = term_combo(terms.SCHOOL_STATUSES)
        set_combo_key(self.school_status, entry.school_status)
        self.add("School &registration:", self.school_status, "school_status")
        self.arrangement = term_combo(config.arrangements, blank="None")
        set_combo_key(self.arrangement, entry.arrangement)
        self.add("Arrangement (if educated &elsewhere):", self.arrangement, "arrangement")
        self.school = QLineEdit(entry.school)
        self.add("Sc&hool registered at:", self.school, "school")
        self.optional: dict[str, QLineEdit] = {}
        for term in config.optional_fields:
            box = QLineEdit(entry.optional_info.get(term.key, ""))
            self.add(f"{term.label} (optional):", box, term.key)
            self.optional[term.key] = box
        self.note = text_box(2)
        self.note.setPlainText(entry.note)
        self.add("&Note:", self.note, "note")
        self.typing_field = self.area

    def draft(self) -> EntryDraft:
        return EntryDraft(
            lives_in_area=str(self.area.currentData()),
            school_status=str(self.school_status.currentData()),
            arrangement=str(self.arrangement.currentData() or ""),
            school=self.school.text(),
            # Fields since taken off the configured list keep what they hold.
            optional_info={
                **(self.record.entry.optional_info if self.record else {}),
                **{k: box.text() for k, box in self.optional.items()},
            },
            note=self.note.toPlainText(),
        )

    def submit(self) -> None:
        service = self.section.service
        case_id = self.section.ctx.case_id
        if self.put_on:
            service.put_on(case_id, on=_day(self.on, "the child joins"), entry=self.draft())
        else:
            assert self.record is not None
            service.save(
                case_id,
                version=self.record.version,
                entry=self.draft(),
                parents=self.record.parents,
                providers=self.record.providers,
            )
        self.section.ctx.changed()


class ParentDialog(FormDialog):
    """A parent of the child (s.436C(2)(b)–(c))."""

    def __init__(self, parent: QWidget | None, section: RegisterSection) -> None:
        super().__init__(parent, "Add a parent")
        self.section = section
        self.name = QLineEdit()
        self.add("&Name:", self.name, "name")
        self.address = text_box(2)
        self.address.setPlainText(section.home_address)
        self.add("&Home address:", self.address, "home_address")
        self.educates = QCheckBox("Provides the child's education")
        self.add("&Education:", self.educates, "provides_education")
        self.hours = QLineEdit()
        self.hours.setPlaceholderText("hours a week, an estimate")
        self.add("&Time (hours a week):", self.hours, "hours")

    def submit(self) -> None:
        added = ParentDraft(
            name=self.name.text(),
            home_address=self.address.toPlainText(),
            provides_education=self.educates.isChecked(),
            hours_per_week=_hours(self.hours, "The parent's time"),
        )
        self.section.save_people(parents=(*self.section.parents(), added))


class ProviderDialog(FormDialog):
    """Another person providing the child's education (s.436C(2)(d))."""

    def __init__(self, parent: QWidget | None, section: RegisterSection) -> None:
        super().__init__(parent, "Add a provider")
        self.section = section
        self.name = QLineEdit()
        self.add("&Name:", self.name, "name")
        self.address = text_box(2)
        self.add("&Address:", self.address, "address")
        self.kind = term_combo(terms.PROVIDER_KINDS)
        self.add("&Kind:", self.kind, "kind")
        self.mode = term_combo(terms.PROVIDER_MODES)
        self.add("&Where:", self.mode, "mode")
        self.hours = QLineEdit()
        self.add("&Time (hours a week):", self.hours, "hours")
        self.alone = QLineEdit()
        self.add("Time without a &parent present:", self.alone, "alone")

    def submit(self) -> None:
        added = ProviderDraft(
            name=self.name.text(),
            address=self.address.toPlainText(),
            kind=str(self.kind.currentData()),
            mode=str(self.mode.currentData()),
            hours_per_week=_hours(self.hours, "The provider's time"),
            hours_without_parent=_hours(self.alone, "The time without a parent"),
        )
        self.section.save_people(providers=(*self.section.providers(), added))


class EventDialog(FormDialog):
    """Something received or done: a notification, information, a visit, a step."""

    def __init__(self, parent: QWidget | None, section: RegisterSection, kind: str = "") -> None:
        super().__init__(parent, "Record on the register")
        self.section = section
        self.kind = term_combo(terms.OFFICER_EVENT_KINDS)
        if kind:
            set_combo_key(self.kind, kind)
        self.add("&What:", self.kind, "kind")
        self.on = DateField("on", "On")
        self.on.set_value(date.today())
        self.add("&On:", self.on, "on")
        self.detail = text_box(3)
        self.add("&Detail:", self.detail, "detail")
        self.typing_field = self.kind

    def submit(self) -> None:
        DutyService(self.section.ctx.services.db).record(
            self.section.ctx.case_id,
            kind=str(self.kind.currentData()),
            on=_day(self.on, "it happened"),
            detail=self.detail.toPlainText(),
        )
        self.section.ctx.changed()


class LeaveDialog(FormDialog):
    """Take the child off the register, or (``to_cme``) open a CME case as education stopped."""

    def __init__(self, parent: QWidget | None, section: RegisterSection, *, to_cme: bool) -> None:
        title = "Education stopped: open a CME case" if to_cme else "Take off the register"
        super().__init__(parent, title)
        self.section, self.to_cme = section, to_cme
        self.on = DateField("on", "On")
        self.on.set_value(date.today())
        self.add("&On:", self.on, "on")
        self.reason = term_combo(tuple(t for t in terms.LEFT_REASONS if t.key != "to_cme"))
        if not to_cme:
            self.add("&Why:", self.reason, "left_reason")
        else:
            self.reason.hide()
            record = section.record
            if record is not None and not record.on_register:
                self.set_intro(
                    "The child is not on the register now: a CME case opens on the same "
                    "record, and the register's history is kept."
                )
            else:
                self.set_intro(
                    "The child leaves the register and a CME case opens on the same "
                    "record; the history of both is kept."
                )
        self.note = text_box(2)
        self.add("&Note:", self.note, "left_note")
        self.typing_field = self.on

    def submit(self) -> None:
        service = self.section.service
        case_id = self.section.ctx.case_id
        on = _day(self.on, "")
        if self.to_cme:
            service.education_stopped(case_id, on=on, note=self.note.toPlainText())
        else:
            service.take_off(
                case_id,
                reason=str(self.reason.currentData()),
                on=on,
                note=self.note.toPlainText(),
            )
        self.section.ctx.changed()


class RegisterSection(QScrollArea):
    """The "Register" tab of a case workspace."""

    def __init__(self, ctx: CaseContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.service = RegisterService(ctx.services.db)
        self.config: RegisterConfig = RegisterSettings(ctx.services.db).load()
        self.record: RegisterRecord | None = None
        self.home_address = ""
        self.setWidgetResizable(True)
        self.setAccessibleName("Register of children not in school")
        body = QWidget()
        layout = QVBoxLayout(body)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setAccessibleName("Register status")
        layout.addWidget(self.status)
        self.eligibility = QLabel()
        self.eligibility.setWordWrap(True)
        self.eligibility.setAccessibleName("Eligibility")
        layout.addWidget(self.eligibility)
        row = QHBoxLayout()
        self.put_on_button = self._button(row, "&Put on the register…", self.put_on)
        self.edit_button = self._button(row, "Edit e&ntry…", self.edit_entry)
        self.take_off_button = self._button(row, "Take &off…", self.take_off)
        self.stopped_button = self._button(row, "Ed&ucation stopped…", self.education_stopped)
        row.addStretch(1)
        layout.addLayout(row)
        self.child = QLabel()
        self.child.setWordWrap(True)
        self.child.setAccessibleName("The child")
        layout.addWidget(self.child)
        self.optional = QLabel()
        self.optional.setWordWrap(True)
        self.optional.setAccessibleName("Optional information")
        layout.addWidget(self.optional)
        people = QGroupBox("Parents (s.436C)")
        p = QVBoxLayout(people)
        self.parent_table = SmallTable(
            ("Name", "Home address", "Provides education", "Hours a week"), "Parents"
        )
        p.addWidget(self.parent_table)
        row = QHBoxLayout()
        self.add_parent_button = self._button(row, "Add a p&arent…", self.add_parent)
        self.remove_parent_button = self._button(row, "Remove parent", self.remove_parent)
        row.addStretch(1)
        p.addLayout(row)
        layout.addWidget(people)
        providers = QGroupBox("Other education providers (s.436C)")
        v = QVBoxLayout(providers)
        self.provider_table = SmallTable(
            ("Name", "Address", "Kind", "Where", "Hours a week", "Without a parent"),
            "Other education providers",
        )
        v.addWidget(self.provider_table)
        row = QHBoxLayout()
        self.add_provider_button = self._button(row, "Add a provid&er…", self.add_provider)
        self.remove_provider_button = self._button(row, "Remove provider", self.remove_provider)
        row.addStretch(1)
        v.addLayout(row)
        layout.addWidget(providers)
        history = QGroupBox("History and duties (s.436D, s.436E, s.437)")
        h = QVBoxLayout(history)
        self.path = QLabel()
        self.path.setWordWrap(True)
        self.path.setAccessibleName("Towards a school attendance order")
        h.addWidget(self.path)
        self.events = SmallTable(("On", "What", "Due", "Detail", "By"), "Register history")
        h.addWidget(self.events)
        row = QHBoxLayout()
        self.record_button = self._button(row, "Record &what happened…", self.record_event)
        row.addStretch(1)
        h.addLayout(row)
        layout.addWidget(history)
        layout.addStretch(1)
        self.setWidget(body)
        for name, button in (
            ("Remove the chosen parent", self.remove_parent_button),
            ("Remove the chosen provider", self.remove_provider_button),
            ("Education stopped: open a CME case for the child", self.stopped_button),
        ):
            button.setAccessibleName(name)
        self.stopped_button.setToolTip(
            "The child's education has stopped: open a CME case on the same record "
            "(Alt+U); the register's history is kept"
        )

    def _button(self, row: QHBoxLayout, text: str, slot: Callable[[], None]) -> QPushButton:
        button = QPushButton(text)
        button.setAutoDefault(False)
        button.clicked.connect(lambda _checked=False: slot())
        row.addWidget(button)
        return button

    # -- reading -----------------------------------------------------------------------------

    def show_case(self, detail: CaseDetail) -> None:
        """Read the child's entry again (the workspace read the case)."""
        self.home_address = detail.draft.last_known_address
        try:
            self.config = RegisterSettings(self.ctx.services.db).load()
            self.record = self.service.get(self.ctx.case_id)
        except CmeError as exc:
            prompts.error(self, TITLE, exc)
            return
        self._show(detail)

    def _show(self, detail: CaseDetail) -> None:
        record = self.record
        on = record is not None and record.on_register
        self.put_on_button.setEnabled(not on)
        for button in (
            self.edit_button,
            self.add_parent_button,
            self.remove_parent_button,
            self.add_provider_button,
            self.remove_provider_button,
        ):
            button.setEnabled(record is not None)
        self.take_off_button.setEnabled(on)
        # A child whose CME case is open already has nothing to open; a child only on the
        # register is brought into CME here, on the register or off it since.
        cme_open = record is not None and record.cohort == "both" and record.case_status == "open"
        register_only = record is not None and record.cohort == "cnis"
        self.stopped_button.setEnabled((on and not cme_open) or register_only)
        self.record_button.setEnabled(record is not None)
        born = (
            format_date(detail.draft.date_of_birth) if detail.draft.date_of_birth else "not known"
        )
        self.child.setText(
            f"<b>Child:</b> {detail.draft.full_name} — born {born} — "
            f"home address: {detail.draft.last_known_address or 'not known'}"
        )
        if record is None:
            self.status.setText("Not on the register of children not in school.")
            self.eligibility.setText("")
            self.optional.setText("")
            self.parent_table.set_rows([])
            self.provider_table.set_rows([])
            self.events.set_rows([])
            self.path.setText("")
            return
        if record.on_register:
            self.status.setText(f"On the register since {format_date(record.registered_on)}.")
        else:
            left = format_date(record.left_on) if record.left_on else "a day not given"
            why = _label(terms.LEFT_REASONS, record.left_reason)
            self.status.setText(
                f"Was on the register from {format_date(record.registered_on)} to {left}: {why}."
            )
        result = record.eligibility
        self.eligibility.setText(f"<b>Eligibility (s.436B):</b> {result.summary()}")
        look.warning(self.eligibility, result.result is not Result.MET)
        shown = [
            f"{t.label}: {record.entry.optional_info[t.key]}"
            for t in self.config.optional_fields
            if t.key in record.entry.optional_info
        ]
        self.optional.setText(
            "<b>Optional information:</b> " + ("; ".join(shown) if shown else "none recorded")
        )
        self.parent_table.set_rows(
            [
                (
                    i,
                    (
                        p.name,
                        p.home_address,
                        "Yes" if p.provides_education else "No",
                        _hours_text(p.hours_per_week),
                    ),
                )
                for i, p in enumerate(record.parents)
            ]
        )
        self.provider_table.set_rows(
            [
                (
                    i,
                    (
                        v.name,
                        v.address,
                        _label(terms.PROVIDER_KINDS, v.kind),
                        _label(terms.PROVIDER_MODES, v.mode),
                        _hours_text(v.hours_per_week),
                        _hours_text(v.hours_without_parent),
                    ),
                )
                for i, v in enumerate(record.providers)
            ]
        )
        self.events.set_rows(
            [
                (
                    e.id,
                    (
                        format_date(e.on),
                        e.label,
                        format_date(e.due) if e.due else "",
                        e.detail,
                        e.recorded_by,
                    ),
                )
                for e in reversed(record.events)
            ]
        )
        width = self.fontMetrics().averageCharWidth()
        for table, widths in (
            (self.parent_table, (26, 44, 20)),
            (self.provider_table, (28, 34, 20, 20, 14)),
            (self.events, (14, 40, 14, 50)),
        ):
            for column, chars in enumerate(widths):
                table.setColumnWidth(column, width * chars)
            table.resizeRowsToContents()
        steps = DutyService(self.ctx.services.db).path(self.ctx.case_id)
        opened = any(s.done_on for s in steps[1:2])
        following = next((s for s in steps if s.is_next), None)
        if opened and following is not None:
            self.path.setText(
                f"<b>Next step towards a school attendance order:</b> {following.label}"
            )
        else:
            self.path.setText("")

    def parents(self) -> tuple[ParentDraft, ...]:
        return self.record.parents if self.record else ()

    def providers(self) -> tuple[ProviderDraft, ...]:
        return self.record.providers if self.record else ()

    # -- changes -----------------------------------------------------------------------------

    def save_people(
        self,
        *,
        parents: tuple[ParentDraft, ...] | None = None,
        providers: tuple[ProviderDraft, ...] | None = None,
    ) -> None:
        """Save the entry with these parents or providers (the others as read)."""
        record = self.record
        if record is None:
            raise InvalidInput("Put the child on the register first.")
        self.record = self.service.save(
            self.ctx.case_id,
            version=record.version,
            entry=record.entry,
            parents=self.parents() if parents is None else parents,
            providers=self.providers() if providers is None else providers,
        )
        self.ctx.changed()

    def put_on(self) -> None:
        EntryDialog(self, self, put_on=True, record=self.record).exec()

    def edit_entry(self) -> None:
        if self.record is not None:
            EntryDialog(self, self, put_on=False, record=self.record).exec()

    def take_off(self) -> None:
        LeaveDialog(self, self, to_cme=False).exec()

    def education_stopped(self) -> None:
        LeaveDialog(self, self, to_cme=True).exec()

    def add_parent(self) -> None:
        ParentDialog(self, self).exec()

    def add_provider(self) -> None:
        ProviderDialog(self, self).exec()

    def record_event(self) -> None:
        EventDialog(self, self).exec()

    def _remove(self, table: SmallTable, what: str, parents: bool) -> None:
        index = table.current_id()
        if index is None:
            prompts.info(self, TITLE, f"Choose the {what} to remove first.")
            return
        if not prompts.confirm(self, TITLE, f"Remove this {what} from the register entry?"):
            return
        try:
            if parents:
                kept = tuple(p for i, p in enumerate(self.parents()) if i != index)
                self.save_people(parents=kept)
            else:
                left = tuple(v for i, v in enumerate(self.providers()) if i != index)
                self.save_people(providers=left)
        except CmeError as exc:
            prompts.error(self, TITLE, exc)

    def remove_parent(self) -> None:
        self._remove(self.parent_table, "parent", True)

    def remove_provider(self) -> None:
        self._remove(self.provider_table, "provider", False)


def offer_register(parent: QWidget, ctx: CaseContext) -> bool:
    """After a CME case closed as electively home educated: offer to put the child on the
    register (the same record, cohort ``both``); True when they were put on it."""
    service = RegisterService(ctx.services.db)
    try:
        record = service.get(ctx.case_id)
    except CmeError as exc:
        prompts.error(parent, TITLE, exc)
        return False
    if record is not None and record.on_register:
        return False
    if not prompts.confirm(
        parent,
        TITLE,
        "The child is electively home educated. Put them on the register of children not "
        "in school from today? Their CME record is kept with it; the Register tab then "
        "shows what the register holds.",
        default_yes=True,
    ):
        return False
    return ctx.run(parent, TITLE, lambda: service.put_on(ctx.case_id))
