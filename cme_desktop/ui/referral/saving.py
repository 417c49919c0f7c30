"""What the referral screens check before saving: the date received, and the first error.

Both the case's Referrals section and "New case from a notification" ask for the
date the referral came in (``received_date_edit``) and, when the form cannot be
saved, name the first field to correct (``show_first_error``).
"""

from __future__ import annotations

from datetime import date

from PySide6.QtWidgets import QWidget

from cme_desktop.ui import prompts
from cme_desktop.ui.referral.editor import ReferralEditor
from cme_desktop.ui.referral.widgets import UkDateEdit


def received_date_edit(today: date | None) -> UkDateEdit:
    """The "Received on" field, filled in with today."""
    edit = UkDateEdit(today=today)
    edit.set_iso((today or date.today()).isoformat())
    return edit


def show_first_error(editor: ReferralEditor, parent: QWidget, title: str) -> bool:
    """Show the first error that stops a save, naming its field; True when there was one."""
    errors = editor.errors()
    if not errors:
        return False
    more = len(errors) - 1
    extra = f"\n\n({more} more to correct, shown in red on the form.)" if more else ""
    prompts.error(parent, title, errors[0].message + extra)
    editor.focus_field(errors[0].field)
    return True
