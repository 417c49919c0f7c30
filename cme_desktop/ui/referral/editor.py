"""The referral form editor: Appendix A of the policy, section by section, label by label.

``ReferralEditor`` edits one ``cme-referral/1`` record (a plain dict). It holds no
ids and calls no service: the referrals page, the new-case dialog and the import
review screen embed it and save what ``referral()`` returns. Dates are typed day
first and shown back as ``dd/mm/yyyy``; ``referral_record.validate`` runs on every
change and its warnings appear under the fields, in amber, without blocking a save;
errors (an unreadable date, a malformed value) appear in red and name the field.
The layout itself is ``ReferralForm`` (``referral_form.py``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLineEdit, QWidget

from cme_desktop.models.vocabularies import (
    ASSESSMENT_QUESTIONS,
    REFERRER_ACTIONS,
    RISK_INDICATORS,
    label_of,
)
from cme_desktop.services.referral.parties import children_named
from cme_desktop.services.referral.record import SCHEMA, Finding, Referral, field_label, normalise
from cme_desktop.services.referral.validation import summary, validate
from cme_desktop.services.rules.dates import format_uk_date, parse_uk_date
from cme_desktop.ui import look
from cme_desktop.ui.referral.form import CHILD_KINDS, FAMILY_KINDS, ReferralForm
from cme_desktop.ui.referral.widgets import (
    UNCERTAIN_TIP,
    ChoiceButtons,
    UkDateEdit,
    show_message,
    uncertain_style,
)


class ReferralEditor(ReferralForm):
    """Edits one referral record; ``referral()`` gives it back canonical."""

    changed = Signal()
    split_requested = Signal()

    def __init__(self, parent: QWidget | None = None, *, today: date | None = None) -> None:
        self._loading = True
        super().__init__(parent, today=today)
        self._uncertain: set[str] = set()
        self._children: list[dict[str, Any]] = []
        self._current = 0
        self._escalation_status: str | None = None
        self._baseline: tuple[Referral, tuple[str, ...]] | None = None
        self._findings: list[Finding] = []
        self.edited.connect(self._edited)
        self.field_left.connect(lambda _path: self.revalidate())
        self.child_tabs.currentChanged.connect(self._switch_child)
        self.add_child_button.clicked.connect(self.add_child)
        self.remove_child_button.clicked.connect(self.remove_child)
        self.split_button.clicked.connect(self.split_requested.emit)
        self._loading = False
        self.set_referral(normalise({"schema": SCHEMA}))

    # -- values in and out ------------------------------------------------------------

    def set_referral(self, ref: Referral) -> None:
        """Show ``ref`` (normalised first); it becomes the unmodified state."""
        record = normalise(ref)
        self._loading = True
        try:
            self._children = []
            for child in record["children"]:
                raw = dict(child)
                raw["date_of_birth"] = (
                    format_uk_date(date.fromisoformat(child["date_of_birth"]))
                    if child["date_of_birth"]
                    else ""
                )
                raw["upn"] = child["upn"] or ""
                self._children.append(raw)
            self._current = 0
            self._rebuild_tabs()
            self._load_child(0)
            for key in FAMILY_KINDS:
                self.set_value_of(self.fields[key], record[key])
            for action in REFERRER_ACTIONS:
                for part in ("outcome", "date"):
                    path = f"referrer_actions.{action.key}.{part}"
                    self.set_value_of(
                        self.fields[path], record["referrer_actions"][action.key][part]
                    )
            for indicator in RISK_INDICATORS:
                row = record["risk_indicators"][indicator.key]
                base = f"risk_indicators.{indicator.key}"
                self.set_value_of(self.fields[f"{base}.present"], row["present"])
                timing = self.fields[f"{base}.timing"]
                assert isinstance(timing, ChoiceButtons)
                timing.set_available(row["present"] is True)
                timing.set_value(row["timing"])
            for key in ("social_care_referral_considered", "parental_consent"):
                self.set_value_of(self.fields[key], record[key])
            for question in ASSESSMENT_QUESTIONS:
                path = f"assessment.{question.key}"
                self.set_value_of(self.fields[path], record["assessment"][question.key])
            for key in ("name", "position", "contact_details", "organisation", "date_completed"):
                self.set_value_of(self.fields[f"referrer.{key}"], record["referrer"][key])
        finally:
            self._loading = False
        self._uncertain.clear()
        self._apply_uncertain()
        self.mark_saved()
        self.revalidate()

    def referral(self) -> Referral:
        """The record as typed, canonical (an unreadable date is ``None``)."""
        self._store_child()
        record: Referral = {"schema": SCHEMA}
        record["children"] = [self._child_record(raw) for raw in self._children]
        for key in FAMILY_KINDS:
            widget = self.fields[key]
            record[key] = widget.iso() if isinstance(widget, UkDateEdit) else self.value_of(widget)
        record["referrer_actions"] = {
            a.key: {
                "outcome": self.value_of(self.fields[f"referrer_actions.{a.key}.outcome"]),
                "date": self._date_iso(f"referrer_actions.{a.key}.date"),
            }
            for a in REFERRER_ACTIONS
        }
        indicators = {}
        for indicator in RISK_INDICATORS:
            base = f"risk_indicators.{indicator.key}"
            present = self.value_of(self.fields[f"{base}.present"])
            timing = self.value_of(self.fields[f"{base}.timing"]) if present is True else None
            indicators[indicator.key] = {"present": present, "timing": timing}
        record["risk_indicators"] = indicators
        for key in ("social_care_referral_considered", "parental_consent"):
            record[key] = self.value_of(self.fields[key])
        record["assessment"] = {
            q.key: self.value_of(self.fields[f"assessment.{q.key}"]) for q in ASSESSMENT_QUESTIONS
        }
        referrer = {
            key: self.value_of(self.fields[f"referrer.{key}"])
            for key in ("name", "position", "contact_details", "organisation")
        }
        referrer["date_completed"] = self._date_iso("referrer.date_completed")
        record["referrer"] = referrer
        return normalise(record)

    def _parse_date(self, text: str) -> str | None:
        day = parse_uk_date(text, today=self._today)
        return day.isoformat() if day else None

    def _child_record(self, raw: dict[str, Any]) -> dict[str, Any]:
        record = dict(raw)
        record["date_of_birth"] = self._parse_date(raw["date_of_birth"])
        record["upn"] = raw["upn"].strip() or None
        return record

    def _date_iso(self, path: str) -> str | None:
        widget = self.fields[path]
        assert isinstance(widget, UkDateEdit)
        return widget.iso()

    # -- children ------------------------------------------------------------------------

    def _store_child(self) -> None:
        if not self._children:
            return
        raw = self._children[self._current]
        for key in CHILD_KINDS:
            raw[key] = self.value_of(self.fields[f"children.{key}"])

    def _load_child(self, index: int) -> None:
        raw = self._children[index]
        was_loading, self._loading = self._loading, True
        try:
            for key, kind in CHILD_KINDS.items():
                widget = self.fields[f"children.{key}"]
                if kind == "date":
                    assert isinstance(widget, QLineEdit)
                    widget.setText(raw[key])
                else:
                    self.set_value_of(widget, raw[key])
        finally:
            self._loading = was_loading
        self._current = index

    def _tab_text(self, index: int) -> str:
        # A tab reads "&" as a keyboard shortcut marker; "&&" shows one "&".
        name = " ".join(self._children[index]["full_name"].split()).replace("&", "&&")
        return f"{index + 1}. {name}" if name else f"Child {index + 1}"

    def _rebuild_tabs(self) -> None:
        self.child_tabs.blockSignals(True)
        while self.child_tabs.count():
            self.child_tabs.removeTab(0)
        for index in range(len(self._children)):
            self.child_tabs.addTab(self._tab_text(index))
        self.child_tabs.setCurrentIndex(self._current)
        self.child_tabs.blockSignals(False)
        self.remove_child_button.setEnabled(len(self._children) > 1)

    def _switch_child(self, index: int) -> None:
        if index < 0 or index == self._current or index >= len(self._children):
            return
        self._store_child()
        self._load_child(index)
        self._apply_uncertain()
        self._show_findings()

    def child_count(self) -> int:
        """How many children the form names as separate entries."""
        return len(self._children)

    def current_child(self) -> int:
        return self._current

    def select_child(self, index: int) -> None:
        """Show the details of child ``index`` (0-based)."""
        self.child_tabs.setCurrentIndex(index)

    def add_child(self) -> None:
        """Add a blank child (a brother or sister named on the form) and show it."""
        self._store_child()
        blank = normalise({"schema": SCHEMA})["children"][0]
        self._children.append(blank | {"date_of_birth": "", "upn": ""})
        self._current = len(self._children) - 1
        self._rebuild_tabs()
        self._load_child(self._current)
        self.fields["children.full_name"].setFocus()
        self._edited("children")

    def remove_child(self) -> None:
        """Remove the child shown (a form always keeps one)."""
        if len(self._children) < 2:
            return
        self._children.pop(self._current)
        self._current = min(self._current, len(self._children) - 1)
        self._rebuild_tabs()
        self._load_child(self._current)
        self._edited("children")

    # -- changes, checks and the summary strip ---------------------------------------------

    def _edited(self, path: str) -> None:
        if self._loading:
            return
        if path == "children.full_name":
            self._store_child()
            self.child_tabs.setTabText(self._current, self._tab_text(self._current))
        self._clear_uncertain(path)
        self.revalidate()
        self.changed.emit()

    def is_modified(self) -> bool:
        """True when what is shown differs from what was loaded or last saved."""
        return self._snapshot() != self._baseline

    def mark_saved(self) -> None:
        """What is shown is now the saved state."""
        self._baseline = self._snapshot()

    def show_unsaved(self, ref: Referral) -> None:
        """Show ``ref`` as typing not yet saved (kept across a lock): what was saved
        before stays the unmodified state, so the form counts as changed."""
        baseline = self._baseline
        self.set_referral(ref)
        self._baseline = baseline
        self.changed.emit()

    def _snapshot(self) -> tuple[Referral, tuple[str, ...]]:
        return self.referral(), tuple(self._unreadable_dates())

    def _date_paths(self) -> list[tuple[str, str]]:
        """Every date field (path, text as typed), with each child's."""
        self._store_child()
        out = [
            (f"children.{i}.date_of_birth", raw["date_of_birth"])
            for i, raw in enumerate(self._children)
        ]
        for path, widget in self.fields.items():
            if isinstance(widget, UkDateEdit) and not path.startswith("children."):
                out.append((path, widget.text()))
        return out

    def _unreadable_dates(self) -> list[str]:
        return [path for path, text in self._date_paths() if self._unreadable(text)]

    def _unreadable(self, text: str) -> bool:
        return bool(text.strip()) and parse_uk_date(text, today=self._today) is None

    def findings(self) -> list[Finding]:
        """Errors and warnings about what is typed, each naming its field."""
        record = self.referral()
        today = self._today or date.today()
        found = [
            Finding(
                path,
                f"{field_label(path)}: this is not a date that can be read. "
                "Write it day first, for example 02/04/2013.",
                "error",
            )
            for path, text in self._date_paths()
            if self._unreadable(text)
        ]
        return found + validate(record, today=today)

    def errors(self) -> list[Finding]:
        """The findings that stop a save."""
        return [f for f in self.findings() if f.severity == "error"]

    def revalidate(self) -> None:
        """Check the record again and refresh the messages and the summary strip."""
        self._findings = self.findings()
        self._show_findings()
        self._refresh_summary()

    def _widget_path(self, path: str) -> str | None:
        """The editor's field for a finding's path (a child's field only when shown)."""
        parts = path.split(".")
        if parts[0] == "children" and len(parts) == 3:
            return f"children.{parts[2]}" if int(parts[1]) == self._current else None
        return path if path in self.messages else None

    def _show_findings(self) -> None:
        shown: dict[str, Finding] = {}
        for found in self._findings:
            target = self._widget_path(found.field)
            if target is None or target in shown and shown[target].severity == "error":
                continue
            shown[target] = found
        for path, label in self.messages.items():
            finding: Finding | None = shown.get(path)
            widget = self.fields.get(path)
            # A date being typed is not judged until the officer leaves the field.
            if (
                finding is not None
                and isinstance(widget, UkDateEdit)
                and widget.hasFocus()
                and finding.severity == "error"
            ):
                finding = None
            show_message(
                label, finding.message if finding else "", finding.severity if finding else ""
            )
        for index in range(len(self._children)):
            flagged = any(f.field.startswith(f"children.{index}.") for f in self._findings)
            text = self._tab_text(index) + (" ⚠" if flagged else "")
            self.child_tabs.setTabText(index, text)
        self.split_button.setEnabled(self.can_split())

    def can_split(self) -> bool:
        """True when the form names more than one child."""
        self._store_child()
        if len(self._children) > 1:
            return True
        return len(children_named(self.referral())) > 1

    def set_split_available(self, available: bool) -> None:
        """Show or hide the split action (hidden where there is no saved case to split)."""
        self.split_button.setVisible(available)

    def set_escalation_status(self, text: str | None) -> None:
        """What the case records about escalation (e.g. "decided 02/04/2026: ..."), or None."""
        self._escalation_status = text
        self._refresh_summary()

    def summary_text(self) -> str:
        """The summary strip as plain text (for tests and screen readers)."""
        return self.summary_strip.text().replace("<b>", "").replace("</b>", "")

    def _refresh_summary(self) -> None:
        record = self.referral()
        info = summary(record)
        parts = [
            f"<b>{info.indicators_current}</b> indicator"
            f"{'s' if info.indicators_current != 1 else ''} current"
            f" ({info.indicators_present} marked Yes)."
        ]
        if info.serious_current:
            serious = "; ".join(
                f"{key} {label_of(RISK_INDICATORS, key)}" for key in info.serious_current
            )
            parts.append(f"Serious and current: <b>{serious}</b>.")
        else:
            parts.append("No serious indicator is current.")
        if self._escalation_status:
            parts.append(f"Escalation: {self._escalation_status}.")
        elif info.escalation_considered:
            answer = "Yes" if record["social_care_referral_considered"] else "No"
            parts.append(
                f"Escalation: not yet decided; the referrer considered a referral to Social "
                f"Care: {answer}."
            )
        else:
            parts.append("Escalation: not yet considered.")
        self.summary_strip.setText(" ".join(parts))
        alert = bool(info.serious_current) and not self._escalation_status
        self.summary_strip.setStyleSheet(
            look.boxed_style("alert" if alert else "summary", extra=" padding: 6px;")
            + " border-radius: 3px;"
        )

    # -- uncertain fields (the import review) ----------------------------------------------

    def mark_uncertain(self, paths: Iterable[str]) -> None:
        """Highlight the fields an importer could not read with confidence.

        Paths are dotted (``"children.0.date_of_birth"``, ``"risk_indicators.9"``,
        ``"referrer_actions.address_visited"``); a highlight goes once the officer
        edits the field.
        """
        self._uncertain = set(paths)
        self._apply_uncertain()

    def uncertain_paths(self) -> set[str]:
        return set(self._uncertain)

    def _matches(self, widget_path: str, uncertain: str) -> bool:
        if uncertain.startswith("children"):
            parts = uncertain.split(".")
            if len(parts) == 1:
                return widget_path == "children.full_name"
            if not parts[1].isdigit() or int(parts[1]) != self._current:
                return False
            uncertain = "children" + ("." + ".".join(parts[2:]) if len(parts) > 2 else "")
            if uncertain == "children":
                return widget_path.startswith("children.")
        return widget_path == uncertain or widget_path.startswith(uncertain + ".")

    def is_uncertain(self, widget_path: str) -> bool:
        """True when the field at ``widget_path`` is highlighted."""
        return any(self._matches(widget_path, u) for u in self._uncertain)

    def _apply_uncertain(self) -> None:
        for path, widget in self.fields.items():
            flagged = self.is_uncertain(path)
            if isinstance(widget, ChoiceButtons):
                widget.set_highlight(flagged)
            else:
                widget.setStyleSheet(uncertain_style() if flagged else "")
            widget.setToolTip(UNCERTAIN_TIP if flagged else self._tooltip(path))

    def _tooltip(self, path: str) -> str:
        for question in ASSESSMENT_QUESTIONS:
            if path == f"assessment.{question.key}":
                return question.help
        return ""

    def _clear_uncertain(self, widget_path: str) -> None:
        before = len(self._uncertain)
        self._uncertain = {u for u in self._uncertain if not self._matches(widget_path, u)}
        if len(self._uncertain) != before:
            self._apply_uncertain()

    # -- finding a field -----------------------------------------------------------------------

    def focus_field(self, path: str) -> None:
        """Bring the field of a finding's path into view and give it the focus."""
        parts = path.split(".")
        if parts[0] == "children" and len(parts) == 3 and parts[1].isdigit():
            self.select_child(int(parts[1]))
            path = f"children.{parts[2]}"
        if parts[0] == "children" and len(parts) == 1:
            path = "children.full_name"
        widget = self.fields.get(path) or self.fields.get(f"{path}.present")
        if widget is None:
            return
        self.scroller.ensureWidgetVisible(widget)
        widget.setFocus()
