"""One case in a tab: its header, and sections in inner tabs.

Sections: child and family details (the form the officer edits and saves),
addresses and contacts, the tracking steps, the timeline, tasks, agencies and
meetings — plus any section another module adds with ``add_section``. The
workspace reads the case with one service call and saves the form with one;
every other change is made by a section's own dialog (one call each). When
any of them succeeds, ``Changes.case_changed`` fires and the workspace reads
the case again, keeping whatever the officer has typed in the form.

Extension point: ``add_section(title, factory)`` where ``factory(context)``
returns a widget; if the widget has ``show_case(detail)`` it is called after
every read, and if it has ``is_dirty()``/``save()`` it joins the
unsaved-changes guard; with ``unsaved_draft()``/``restore_draft()`` its typing is
kept across an idle lock too (``unsaved_draft`` here gathers the form's and the
sections'). (The built-in sections after the first are built when first shown,
so that opening a case stays quick.)
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from cme_desktop.models import vocabularies as vocab
from cme_desktop.services.cases.detail import CaseDetail, CaseDraft
from cme_desktop.services.cases.erased import erased_message
from cme_desktop.services.cases.register_only import register_only_message
from cme_desktop.services.errors import ChangedElsewhere, CmeError, InvalidInput
from cme_desktop.services.registry import AppServices
from cme_desktop.services.reports.dfe_codebook import DfeCodes
from cme_desktop.services.rules.dates import format_date
from cme_desktop.services.server.concurrency import merge_changes
from cme_desktop.ui import look, prompts
from cme_desktop.ui.changes import Changes, EscalationDue
from cme_desktop.ui.close_case import CloseCaseDialog
from cme_desktop.ui.dialogs import FormDialog
from cme_desktop.ui.workspace import kept_dialogs
from cme_desktop.ui.workspace.agencies import AgenciesSection
from cme_desktop.ui.workspace.checkout_note import CheckoutNote
from cme_desktop.ui.workspace.context import (
    CaseContext,
    HasForm,
    KeepsDraft,
    SectionFactory,
    ShowsCase,
)
from cme_desktop.ui.workspace.details import DetailsForm
from cme_desktop.ui.workspace.erased_view import make_read_only
from cme_desktop.ui.workspace.owner import OwnerBar
from cme_desktop.ui.workspace.people import PeopleSection
from cme_desktop.ui.workspace.register_only_note import RegisterOnlyNote, is_register_only
from cme_desktop.ui.workspace.register_tab import RegisterSection, offer_register
from cme_desktop.ui.workspace.steps import StepsSection
from cme_desktop.ui.workspace.tasks import TasksSection
from cme_desktop.ui.workspace.timeline import TimelineSection


class CaseWorkspace(QWidget):
    """The workspace of one case (one tab of the main window)."""

    title_changed = Signal(str)
    open_case_requested = Signal(int)

    def __init__(
        self,
        services: AppServices,
        changes: Changes,
        case_id: int,
        *,
        sections: tuple[tuple[str, SectionFactory], ...] = (),
        today: date | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.case_id = case_id
        self.changes = changes
        self.ctx = CaseContext(
            services=services,
            changes=changes,
            case_id=case_id,
            open_case=self.open_case_requested.emit,
        )
        self.detail: CaseDetail | None = None
        self._today = today
        self._saving = False
        layout = QVBoxLayout(self)
        layout.addLayout(self._header())
        self.sections = _SectionTabs()
        self.sections.setObjectName("caseSections")
        self.sections.setDocumentMode(True)
        self.sections.setAccessibleName("Case sections")
        layout.addWidget(self.sections, 1)
        self.details = DetailsForm(today=today)
        self.details.duty_changed.connect(self._show_duty)
        self.details.edited.connect(self._update_title)
        self._extra: list[_LazySection] = []
        self.sections.addTab(self.details, "Ch&ild && family")
        # The other sections are built when first shown: opening a case stays quick.
        self._lazy: dict[str, _LazySection] = {}
        for key, title, build in (
            ("people", "A&ddresses && contacts", lambda: PeopleSection(self.ctx)),
            ("steps", "Tracking &steps", lambda: StepsSection(self.ctx)),
            ("timeline", "&Timeline", lambda: TimelineSection(self.ctx)),
            ("tasks", "Tas&ks", lambda: TasksSection(self.ctx, today=today)),
            ("agencies", "A&gencies && meetings", lambda: AgenciesSection(self.ctx)),
            # No Alt+letter is left free on the case's screens: reached by the tab bar.
            ("register", "Register", lambda: RegisterSection(self.ctx)),
        ):
            self._lazy[key] = _LazySection(build, self._section_built)
            self.sections.addTab(self._lazy[key], title)
        for title, factory in sections:
            self.add_section(title, factory)

    def _header(self) -> QVBoxLayout:
        box = QVBoxLayout()
        top = QHBoxLayout()
        self.name = QLabel()
        look.role(self.name, "case_name")
        self.name.setAccessibleName("Child's name")
        top.addWidget(self.name)
        self.flags = QLabel()
        look.role(self.flags, "badge")
        self.flags.setAccessibleName("Escalations")
        top.addWidget(self.flags)
        top.addStretch(1)
        self.owner = OwnerBar(self.ctx)  # on a shared server only
        top.addWidget(self.owner)
        self.save_button = QPushButton("Save")
        self.save_button.setAccessibleName("Save the case details")
        self.save_button.setToolTip("Save the child and family details (Ctrl+S)")
        self.save_button.clicked.connect(self.save)
        self.close_button = QPushButton("Close case…")
        self.close_button.setAccessibleName("Close the case with an outcome")
        self.close_button.clicked.connect(self.close_case)
        self.reopen_button = QPushButton("Reopen case")
        self.reopen_button.setAccessibleName("Reopen the case")
        self.reopen_button.clicked.connect(self.reopen_case)
        for button in (self.save_button, self.close_button, self.reopen_button):
            top.addWidget(button)
        box.addLayout(top)
        self.status = QLabel()
        self.status.setObjectName("caseStatus")
        self.status.setWordWrap(True)
        self.status.setAccessibleName("Case status")
        box.addWidget(self.status)
        self.duty = QLabel()
        self.duty.setObjectName("dutyFlag")
        self.duty.setWordWrap(True)
        self.duty.setAccessibleName("CME duty")
        self.duty.hide()
        box.addWidget(self.duty)
        self.erased = QLabel()
        self.erased.setObjectName("erasedBanner")
        self.erased.setWordWrap(True)
        self.erased.setAccessibleName("Personal data erased")
        look.warning(self.erased, True)
        self.erased.hide()
        box.addWidget(self.erased)
        self.checkout_note = CheckoutNote(self.ctx)  # out on a laptop for visits
        box.addWidget(self.checkout_note)
        # Only on the register: why Close case and the tracking steps are not offered.
        self.register_only = RegisterOnlyNote(lambda: self.show_section("register"))
        box.addWidget(self.register_only)
        return box

    # -- sections ----------------------------------------------------------------------------

    def _section_built(self, widget: QWidget) -> None:
        if self.detail is not None and isinstance(widget, ShowsCase):
            widget.show_case(self.detail)
        if self.detail is not None and self.detail.erased_on is not None:
            make_read_only(widget)

    def _built(self, key: str) -> QWidget:
        return self._lazy[key].built()

    @property
    def people(self) -> PeopleSection:
        widget = self._built("people")
        assert isinstance(widget, PeopleSection)
        return widget

    @property
    def steps(self) -> StepsSection:
        widget = self._built("steps")
        assert isinstance(widget, StepsSection)
        return widget

    @property
    def timeline(self) -> TimelineSection:
        widget = self._built("timeline")
        assert isinstance(widget, TimelineSection)
        return widget

    @property
    def tasks(self) -> TasksSection:
        widget = self._built("tasks")
        assert isinstance(widget, TasksSection)
        return widget

    @property
    def agencies(self) -> AgenciesSection:
        widget = self._built("agencies")
        assert isinstance(widget, AgenciesSection)
        return widget

    @property
    def register(self) -> RegisterSection:
        widget = self._built("register")
        assert isinstance(widget, RegisterSection)
        return widget

    def show_section(self, key: str) -> QWidget:
        """Bring a built-in section to the front ("people", "steps", "timeline", ...)."""
        self.sections.setCurrentWidget(self._lazy[key])
        return self._built(key)

    # -- extension ------------------------------------------------------------------------

    def add_section(self, title: str, factory: SectionFactory) -> None:
        """Add a section made by ``factory(context)`` when it is first shown (or asked for
        with ``sections.widget(index)``); it then shows the case at once."""
        lazy = _LazySection(lambda: factory(self.ctx), self._section_built)
        lazy.title = title
        self._extra.append(lazy)
        self.sections.addTab(lazy, title)

    # -- reading --------------------------------------------------------------------------

    def load(self) -> None:
        """Read the case (one audited service call) and show it; raises ``CmeError``."""
        self.show_detail(self.ctx.services.cases.get(self.case_id))

    def refresh(self) -> None:
        """Read again after a change; typed edits in the form are kept."""
        if self._saving:
            return
        try:
            self.load()
        except CmeError as exc:
            prompts.error(self, "Read the case", exc)

    def show_detail(self, detail: CaseDetail) -> None:
        self.detail = detail
        # The authority's DfE reasons, and this case's even if since retired.
        book = DfeCodes(self.ctx.services.db).load()
        self.details.dfe_box.set_codebook(book, detail.draft.dfe_reason)
        self.details.show_case(detail)
        if detail.erased_on is not None:
            # Nothing may be typed back onto an erased case (services/cases/erased.py).
            make_read_only(self.details)
            for lazy in (*self._lazy.values(), *self._extra):
                if lazy.widget is not None:
                    make_read_only(lazy.widget)
        for lazy in self._lazy.values():
            if isinstance(lazy.widget, ShowsCase):
                lazy.widget.show_case(detail)
        for lazy in self._extra:
            if isinstance(lazy.widget, ShowsCase):
                lazy.widget.show_case(detail)
        self._show_header(detail)

    def _show_header(self, detail: CaseDetail) -> None:
        self.name.setText(detail.full_name)
        if detail.cohort == "cnis":
            # Never a CME case: its state is the register's (the Register tab).
            shown = "On" if detail.status == "open" else "Was on"
            state = f"{shown} the register of children not in school (no CME case)"
        elif detail.status == "closed":
            outcome = vocab.label_of(vocab.CLOSING_OUTCOMES, detail.closing_outcome)
            closed = format_date(detail.closed_on) if detail.closed_on else ""
            state = f"Closed {closed}: {outcome}"
        else:
            step = vocab.TRACKING_STEPS[detail.current_step - 1].label
            state = (
                f"Open since {format_date(detail.opened_on)} · step {detail.current_step} of 9: "
                f"{step}"
            )
        self.status.setText(f"{detail.reference} · {state}")
        flags = []
        if detail.escalated_police:
            flags.append("P")
        if detail.escalated_social_care:
            flags.append("SC")
        self.flags.setText("  ".join(flags))
        self.flags.setVisible(bool(flags))
        self.flags.setToolTip(
            "\n".join(
                t
                for t, on in (
                    ("P: referred to the Police", detail.escalated_police),
                    ("SC: referred to Children's Social Care", detail.escalated_social_care),
                )
                if on
            )
        )
        erased = detail.erased_on is not None
        self.erased.setText(erased_message(detail.erased_on) if detail.erased_on else "")
        self.erased.setVisible(erased)
        self.save_button.setVisible(not erased)
        # A child only on the register has no CME case to close or reopen.
        cme = not erased and not is_register_only(detail)
        self.close_button.setVisible(detail.status == "open" and cme)
        self.reopen_button.setVisible(detail.status == "closed" and cme)
        self.register_only.show_case(detail)
        self.owner.show_case(detail)
        self.checkout_note.show_case(detail)
        self._update_title()

    def _show_duty(self, text: str, warn: bool) -> None:
        self.duty.setText(text)
        look.warning(self.duty, warn)
        self.duty.setVisible(warn and bool(text))

    def title(self) -> str:
        name = self.detail.full_name if self.detail else f"Case {self.case_id}"
        return f"{name} *" if self.is_dirty() else name

    def _update_title(self) -> None:
        self.save_button.setEnabled(self.is_dirty())
        self.title_changed.emit(self.title())

    # -- saving ---------------------------------------------------------------------------

    def is_dirty(self) -> bool:
        """True when something typed has not been saved."""
        if self.details.is_dirty():
            return True
        return any(isinstance(s.widget, HasForm) and s.widget.is_dirty() for s in self._extra)

    def unsaved_draft(self) -> dict[str, Any] | None:
        """What was typed and not saved, as plain values (``None`` when nothing was): the
        details form's changed fields, and each section's own draft, by its title."""
        data: dict[str, Any] = {}
        edits = self.details.edits()
        if edits:
            data["details"] = edits
        sections = {
            lazy.title: kept
            for lazy in self._extra
            if isinstance(lazy.widget, KeepsDraft) and (kept := lazy.widget.unsaved_draft())
        }
        if sections:
            data["sections"] = sections
        for dialog in self.findChildren(FormDialog):
            kept = kept_dialogs.kept_dialog(dialog)
            if kept is not None:
                data["dialog"] = kept
        return data or None

    def restore_draft(self, data: dict[str, Any]) -> None:
        """Put back typing kept by ``unsaved_draft`` (after an idle lock): unsaved still."""
        shown: QWidget | None = None
        for lazy in self._extra:
            kept = data.get("sections", {}).get(lazy.title)
            section = lazy.built() if kept else None
            if isinstance(section, KeepsDraft) and isinstance(kept, dict):
                section.restore_draft(kept)
                shown = lazy
        if isinstance(data.get("details"), dict):
            self.details.apply_edits(data["details"])
            shown = self.details
        if shown is not None:
            self.sections.setCurrentIndex(self.sections.indexOf(shown))
        self._update_title()
        kept_dialog = data.get("dialog")
        if isinstance(kept_dialog, dict) and kept_dialog.get("kind") in kept_dialogs.REOPENABLE:
            # Opened once the question that offered it back has closed.
            QTimer.singleShot(0, lambda: self._reopen(kept_dialog))

    def _reopen(self, kept: dict[str, Any]) -> None:
        """A dialog that was open, with what had been typed in it, open again."""
        if not self.isVisible():
            return
        dialog = kept_dialogs.reopened_dialog(self, self.ctx, kept)
        if dialog is not None:
            dialog.exec()

    def save(self) -> bool:
        """Save the details form (one service call); False, with the message shown, on failure."""
        if self.detail is None:
            return False
        for lazy in self._extra:
            form = lazy.widget
            if isinstance(form, HasForm) and form.is_dirty() and not form.save():
                return False
        if not self.details.is_dirty():
            return True
        try:
            draft = self.details.draft()
            detail = self.ctx.services.cases.update(
                self.case_id, draft=draft, version=self.detail.version
            )
        except ChangedElsewhere as exc:
            return self._saved_elsewhere(exc, draft)
        except InvalidInput as exc:
            prompts.error(self, "Save the case", exc)
            self.sections.setCurrentWidget(self.details)
            self.details.focus_field(exc.field)
            return False
        except CmeError as exc:
            prompts.error(self, "Save the case", exc)
            return False
        became_unknown = draft.whereabouts_unknown and not self.detail.draft.whereabouts_unknown
        self.show_detail_after_save(detail)
        if became_unknown:
            # Offered, not forced, and only once this save has finished (policy 5.0/6.0).
            QTimer.singleShot(0, self._offer_escalation)
        return True

    def _saved_elsewhere(self, exc: ChangedElsewhere, draft: CaseDraft) -> bool:
        """Someone saved the case first: reload theirs, or put this officer's changes on
        top of it (only the fields changed here), or go back to the form."""
        assert self.detail is not None
        text = (
            f"{exc.message}\n\nReload: show the case as it is now; your changes here are "
            "dropped.\nKeep my changes: save the fields you changed over the new version; "
            "what they changed in other fields stays."
        )
        choice = prompts.reload_or_keep(self, "Save the case", text)
        if choice == "cancel":
            return False
        try:
            fresh = self.ctx.services.cases.get(self.case_id)
            if choice == "reload":
                self.details.clear()
                self.show_detail(fresh)
                return False
            merged = merge_changes(self.detail.draft, draft, fresh.draft)
            detail = self.ctx.services.cases.update(
                self.case_id, draft=merged, version=fresh.version
            )
        except CmeError as exc2:
            prompts.error(self, "Save the case", exc2)
            return False
        self.show_detail_after_save(detail)
        return True

    def _offer_escalation(self) -> None:
        if not self.isVisible():
            return  # the tab was closed or the vault locked after saving
        self.changes.escalation_due.emit(EscalationDue(self.case_id, "whereabouts unknown"))

    def show_detail_after_save(self, detail: CaseDetail) -> None:
        self.details.clear()
        self.show_detail(detail)
        self._saving = True  # the notice below must not read the case a second time
        try:
            self.changes.case_changed.emit(self.case_id)
        finally:
            self._saving = False

    # -- closing and reopening ------------------------------------------------------------

    def close_case(self) -> None:
        if self.detail is not None and is_register_only(self.detail):
            prompts.info(self, "Close the case", register_only_message("Closing a case is"))
            return
        if self.detail is not None and self.detail.status == "open":
            dialog = CloseCaseDialog(self, self.ctx)
            if dialog.exec() and dialog.outcome_key() == "ehe":
                offer_register(self, self.ctx)

    def reopen_case(self) -> None:
        if self.detail is None or self.detail.status != "closed":
            return
        if is_register_only(self.detail):
            prompts.info(self, "Reopen the case", register_only_message("Reopening a case is"))
            return
        reason = prompts.ask_text(self, "Reopen the case", "Why is the case reopened?")
        if reason is None:
            return
        self.ctx.run(
            self,
            "Reopen the case",
            lambda: self.ctx.services.cases.reopen(self.case_id, reason=reason),
        )

    def add_entry(self) -> None:
        self.show_section("timeline")
        self.timeline.add_entry()

    def record_visit(self) -> None:
        self.show_section("timeline")
        self.timeline.record_visit()

    def add_task(self) -> None:
        self.show_section("tasks")
        self.tasks.add_task()


class _LazySection(QWidget):
    """A tab's place holder that builds its section the first time it is shown."""

    def __init__(self, build: Callable[[], QWidget], on_built: Callable[[QWidget], None]) -> None:
        super().__init__()
        self._build = build
        self._on_built = on_built
        self.widget: QWidget | None = None
        self.title = ""  # the tab's title, for a section added with ``add_section``
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)

    def built(self) -> QWidget:
        if self.widget is None:
            self.widget = self._build()
            layout = self.layout()
            assert layout is not None
            layout.addWidget(self.widget)
            self._on_built(self.widget)
        return self.widget

    def showEvent(self, event: QShowEvent) -> None:
        self.built()
        super().showEvent(event)


class _SectionTabs(QTabWidget):
    """The inner tabs. ``widget(i)`` and ``currentWidget()`` give the section itself,
    building it if it has not been shown yet, so callers never see the place holder."""

    def widget(self, index: int) -> QWidget | None:
        page = super().widget(index)
        return page.built() if isinstance(page, _LazySection) else page

    def currentWidget(self) -> QWidget:
        page = self.widget(self.currentIndex())
        assert page is not None  # the details section is always there
        return page

    def indexOf(self, page: QWidget | None) -> int:
        for i in range(self.count()):
            holder = super().widget(i)
            if holder is page or (isinstance(holder, _LazySection) and holder.widget is page):
                return i
        return -1

    def setCurrentWidget(self, page: QWidget) -> None:
        index = self.indexOf(page)
        if index >= 0:
            self.setCurrentIndex(index)
