"""Where actions sit in the main window: the order of the menus, and groups of actions.

A group is a few actions that belong together (the files that leave the
vault: Export referral…, Print visit sheets…); they are kept side by side,
between separators, whatever order they were added in.
"""

from __future__ import annotations

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QToolBar

MENUS = ("File", "Case", "View", "Reports", "Tools", "Help")
#: The files that leave the vault: exported referrals and printed visit sheets.
FILES_OUT = "files out"
_GROUP = "cmeGroup"  # the Qt property naming an action's group


def insert_in_group(
    container: QMenu | QToolBar,
    action: QAction,
    anchor: QAction,
    group: str,
    *,
    after: bool = False,
) -> None:
    """Insert before ``anchor``, joining ``group`` if it is there, else starting it between
    separators (``after``: the anchor is a spacer, so no separator after the group)."""
    action.setProperty(_GROUP, group)
    items = container.actions()
    at = items.index(anchor)
    previous = items[at - 1] if at > 0 else None
    if previous is not None and previous.property(_GROUP) == group:
        container.insertAction(anchor, action)
    elif (
        previous is not None
        and previous.isSeparator()
        and at > 1
        and items[at - 2].property(_GROUP) == group
    ):
        container.insertAction(previous, action)
    else:
        if previous is not None and not previous.isSeparator():
            container.insertSeparator(anchor)
        container.insertAction(anchor, action)
        if not after:
            container.insertSeparator(anchor)
