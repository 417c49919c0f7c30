"""The quarterly report's tab: figures kept as reported, and what a recount would change.

A past quarter's figures are kept as first worked out, as the authority reported
them (``services.reports.stored_figures``). When the chosen quarter is read from
its kept figures, the tab says so and on which day; when the records now give
some figures differently (a case corrected since), it lists them and offers to
replace the kept figures with the new ones, once confirmed (audited).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from cme_desktop.services.registry import AppServices
from cme_desktop.services.reports.periods import Quarter
from cme_desktop.services.reports.quarterly import Difference, keep_recount
from cme_desktop.services.rules.dates import format_date
from cme_desktop.services.rules.local_time import local_date_of_utc
from cme_desktop.ui import background, prompts
from cme_desktop.ui.reports.report_page import Made, ReportPage

TITLE = "Quarterly report"
#: Differences listed in the notice; the rest are counted.
LISTED = 8


@dataclass(frozen=True)
class QuarterlyMade(Made):
    """The report as made, with its quarter's kept day and what a recount would change."""

    quarter: Quarter | None = None
    kept_at: datetime | None = None
    differences: tuple[Difference, ...] = ()


def _figure(value: object) -> str:
    return "–" if value is None else f"{value:,}" if isinstance(value, int | float) else str(value)


class QuarterlyPage(ReportPage):
    """A ``ReportPage`` that says when a quarter's figures are as kept, and offers a recount."""

    def __init__(
        self,
        services: AppServices,
        chooser: QWidget,
        prepare: Callable[[], Callable[[], Made]],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(services, chooser, prepare, parent)
        self.kept = QWidget()
        row = QHBoxLayout(self.kept)
        row.setContentsMargins(0, 0, 0, 0)
        self.kept_label = QLabel()
        self.kept_label.setWordWrap(True)
        self.kept_label.setAccessibleName("Kept figures of the quarter")
        self.replace_button = QPushButton("Replace with the new figures…")
        self.replace_button.setAccessibleName("Replace the kept figures with the new figures")
        self.replace_button.clicked.connect(self.replace)
        row.addWidget(self.kept_label, 1)
        row.addWidget(self.replace_button)
        self.kept.hide()
        layout = self.layout()
        assert isinstance(layout, QVBoxLayout)
        layout.insertWidget(1, self.kept)

    def show_made(self, made: Made) -> None:
        super().show_made(made)
        kept_at = made.kept_at if isinstance(made, QuarterlyMade) else None
        differences = made.differences if isinstance(made, QuarterlyMade) else ()
        self.kept.setVisible(kept_at is not None)
        self.replace_button.setVisible(bool(differences))
        if kept_at is None:
            return
        text = (
            f"Kept as reported on {format_date(local_date_of_utc(kept_at))}: these figures stay "
            "as first worked out, even if a case was corrected since."
        )
        if differences:
            lines = [
                f"• {d.table}: {d.row}: {_figure(d.kept)} reported, {_figure(d.now)} now"
                for d in differences[:LISTED]
            ]
            if len(differences) > LISTED:
                lines.append(f"• and {len(differences) - LISTED} more")
            text += (
                f"\nThe records now give {len(differences)} figure(s) differently:\n"
                + "\n".join(lines)
            )
        else:
            text += " The records today give the same figures."
        self.kept_label.setText(text)

    def replace(self) -> None:
        """Keep the figures the records give now for the quarter shown, once confirmed."""
        made = self.made
        if not isinstance(made, QuarterlyMade) or made.quarter is None or not made.differences:
            return
        quarter = made.quarter
        if not prompts.confirm(
            self,
            TITLE,
            f"Replace the figures kept for {quarter.label} (as reported) with the "
            f"{len(made.differences)} figure(s) the records give now? Reports made from now "
            "on show the new figures; the change is recorded in the audit log.",
        ):
            return
        db = self.services.db
        self.replace_button.setEnabled(False)

        def failed(exc: BaseException) -> None:
            self.replace_button.setEnabled(True)
            prompts.error(self, TITLE, exc)

        def done(_: object) -> None:
            self.replace_button.setEnabled(True)
            self.start()  # the report again, now from the new figures

        background.run(self, lambda: keep_recount(db, quarter), on_done=done, on_error=failed)
