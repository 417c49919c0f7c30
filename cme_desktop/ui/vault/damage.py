"""What the officer is told when the vault is found damaged or tampered with.

As soon as the vault is open the window shows what the unlock found
(``db.findings``, ``tell_findings``): audit rows missing, a key file or a
failed-unlock record changed outside the program, damaged pages found before a
schema upgrade. The window opens the vault without the unlock's bounded page
check (``Vault.check_pages_at_open``): that check runs once the case list is
painted, in the background, followed by every page against its HMAC
(``check_pages``, ``health.after_unlock_check``). So the officer sees the list
without waiting for the check, and damage anywhere in a large vault is still
noticed within a second or so of unlocking, not at the first record that will
not open.

Damage gets one notice: what it means and what to do — restore the last good
monthly save, named, and how.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QWidget

from cme_desktop.services.errors import CmeError
from cme_desktop.services.registry import AppServices
from cme_desktop.services.vault import health
from cme_desktop.services.vault.backup_files import SnapshotInfo
from cme_desktop.services.vault.findings import Finding
from cme_desktop.ui import background, prompts
from cme_desktop.ui.window import Window

DAMAGE_TITLE = "The vault is damaged"
TAMPER_TITLE = "The vault was changed outside CME Desktop"

MEANING = (
    "What it means: part of the vault file on this computer is no longer what CME Desktop "
    "wrote (a disk fault, a copy that went wrong, or a change made outside the program). "
    "The records on the damaged pages cannot be read, and this month's save will not copy a "
    "damaged vault, so the good saves you have are kept."
)


#: The check starts at the list's first paint, or after this long if the list is not
#: painted (the window hidden, another screen in front): it is moved, never left out.
PAINT_WAIT_MS = 1_000


def install(window: Window) -> None:
    """After each unlock, check the pages in the background (``tell_findings`` comes first)."""
    window.on_unlock(lambda: check_pages(window))


def tell_findings(window: Window, services: AppServices) -> None:
    """The notices for what the unlock found (``db.findings``).

    Called by the window as soon as the vault is open, before the case list
    reads anything: a damaged page under the list must not stop the notice.
    """
    widget = window.widget()
    findings = list(services.db.findings)
    others = [f for f in findings if not f.damage]
    if others:
        prompts.warn(widget, TAMPER_TITLE, "\n\n".join(f.message for f in others))
    damage = next((f for f in findings if f.damage), None)
    if damage is not None:
        show_damage(widget, services, damage)


def check_pages(window: Window) -> None:
    """Once the case list is painted: the unlock's quick check and every page's HMAC, in the
    background, unless the unlock found damage already."""
    services = window.services
    if services is None or any(f.damage for f in services.db.findings):
        return
    if services.db.kind != "vault":
        return  # a shared server has no file here to check: its administrator checks it
    widget = window.widget()

    def checked(found: Finding | None) -> None:
        if found is not None and window.services is services:
            services.db.findings.append(found)
            show_damage(widget, services, found)

    def failed(exc: BaseException) -> None:
        # Locked meanwhile: nothing to say. Still open: the check itself could not read
        # the vault, which is damage too; anything else is a fault for the crash report.
        if window.services is not services:
            return
        if not isinstance(exc, CmeError):
            raise exc
        checked(Finding(kind="damage_found", message=exc.message, damage=True))

    def start() -> None:
        if window.services is services:
            background.run(
                widget,
                lambda: health.after_unlock_check(services.db),
                on_done=checked,
                on_error=failed,
                busy=False,
            )

    when_painted(window.desk.case_list.table.viewport(), start)


class _FirstPaint(QObject):
    """Calls ``then`` once, on the next turn of the event loop after ``watched`` is painted
    (what else was due to be drawn in the same pass is drawn by then), or after
    ``PAINT_WAIT_MS`` if it is not painted."""

    def __init__(self, watched: QWidget, then: Callable[[], None]) -> None:
        super().__init__(watched)
        self._watched = watched
        self._then: Callable[[], None] | None = then
        watched.installEventFilter(self)
        QTimer.singleShot(PAINT_WAIT_MS, self, self._go)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if watched is self._watched and event.type() == QEvent.Type.Paint:
            QTimer.singleShot(0, self, self._go)
        return False

    def _go(self) -> None:
        then, self._then = self._then, None
        if then is None:
            return
        self._watched.removeEventFilter(self)
        self.deleteLater()
        then()


def when_painted(widget: QWidget, then: Callable[[], None]) -> None:
    """Run ``then`` once ``widget`` has been painted (see ``_FirstPaint``)."""
    _FirstPaint(widget, then)


def show_damage(widget: QWidget, services: AppServices, finding: Finding) -> None:
    """Find the last good monthly save (in the background), then say what to do."""

    def tell(save: object) -> None:
        advice = health.restore_advice(save if isinstance(save, SnapshotInfo) else None)
        prompts.warn(widget, DAMAGE_TITLE, damage_text(finding, advice))

    background.run(
        widget,
        lambda: health.last_good_save(services.db),
        on_done=tell,
        on_error=lambda _exc: tell(None),
        busy=False,
    )


def damage_text(finding: Finding, advice: str) -> str:
    """The notice: what was found, what it means, what to do."""
    return f"{finding.message}\n\n{MEANING}\n\nWhat to do: {advice}"
