"""Unsaved typing across an idle lock: kept as encrypted drafts in the vault, offered back.

Locking on Ctrl+L or quitting asks about unsaved edits; the idle lock cannot
ask anyone, so it keeps them instead. Each kind of thing that can hold unsaved
typing has a keeper, registered with the window's ``add_draft_keeper``: open
cases (built in: their details and any section that keeps drafts, such as a
referral being edited) and "New case from a notification" (``ui/referral/page.py``).
Before the key goes, ``keep`` gathers every keeper's drafts and stores them in
one change (``services/cases/drafts.py``: in the vault, encrypted, nowhere else).
After the next unlock ``offer`` asks about each: Restore puts the typing back
where it was, still unsaved; Discard deletes it; Decide later (Escape) leaves
it for the next unlock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QWidget

from cme_desktop.services.errors import CmeError
from cme_desktop.ui import prompts

if TYPE_CHECKING:  # the window loads these once the vault opens, not at start-up
    from cme_desktop.services.cases.drafts import Draft
    from cme_desktop.services.registry import AppServices

TITLE = "Unsaved changes kept"


@dataclass(frozen=True)
class Keeper:
    """How one kind of unsaved typing is gathered, and put back (False: it could not be)."""

    gather: Callable[[], list[Draft]]
    restore: Callable[[Draft], bool]


def kind_of(draft: Draft) -> str:
    """``case`` for the draft ``case:12``."""
    return draft.key.split(":", 1)[0]


class UnsavedEdits:
    """The window's keepers of unsaved typing, and what became of the last keeping."""

    def __init__(self) -> None:
        self._keepers: dict[str, Keeper] = {}
        #: Why the drafts of the last idle lock could not be kept ("" when they were).
        self.problem = ""

    def add_keeper(
        self, kind: str, gather: Callable[[], list[Draft]], restore: Callable[[Draft], bool]
    ) -> None:
        """Keep unsaved typing of ``kind`` (the part of a draft's key before ``:``)."""
        self._keepers[kind] = Keeper(gather, restore)

    def keep(self, services: AppServices) -> int:
        """Store every keeper's drafts in the vault (one change); how many were kept.

        A failure (a full disk) is remembered in ``problem`` and told after the next
        unlock: the lock itself goes ahead, since leaving an idle computer open is worse.
        """
        drafts = [draft for keeper in self._keepers.values() for draft in keeper.gather()]
        self.problem = ""
        try:
            services.drafts.keep(drafts)
        except CmeError as exc:
            self.problem = exc.message
            return 0
        return len(drafts)

    def offer(self, parent: QWidget, services: AppServices) -> None:
        """After an unlock: say if drafts could not be kept, and offer back each kept one."""
        if self.problem:
            prompts.warn(
                parent,
                TITLE,
                f"When the vault locked, the changes not yet saved could not be kept: "
                f"{self.problem}",
            )
            self.problem = ""
        try:
            pending = services.drafts.pending()
        except CmeError as exc:
            prompts.error(parent, TITLE, exc)
            return
        for draft in pending:
            keeper = self._keepers.get(kind_of(draft))
            if keeper is None:
                continue  # its feature is not installed in this window: left for later
            answer = prompts.restore_or_discard(
                parent,
                TITLE,
                f"You had unsaved changes to {draft.label} when the vault locked. They were "
                "kept, encrypted in the vault. Restore them, or discard them?",
            )
            try:
                if answer == "restore" and keeper.restore(draft):
                    services.drafts.discard(draft.key, restored=True)
                elif answer == "discard":
                    services.drafts.discard(draft.key)
            except CmeError as exc:
                prompts.error(parent, TITLE, exc)
