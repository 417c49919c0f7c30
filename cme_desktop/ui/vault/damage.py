"""What the officer is told when the vault is found damaged or tampered with.

As soon as the vault is open the window shows what the unlock found
(``db.findings``, ``tell_findings``): damaged pages, audit rows missing, a key
file or a failed-unlock record changed outside the program. Where the
unlock's bounded check found no damage, every page is then checked against
its HMAC in the background (``check_pages``, ``health.page_check``), so damage
anywhere in a large vault is noticed within a second or so of unlocking, not
at the first record that will not open.

Damage gets one notice: what it means and what to do — restore the last good
monthly save, named, and how.
"""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

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


def install(window: Window) -> None:
    """After each unlock, check every page in the background (``tell_findings`` comes first)."""
    window.vault_unlocked.connect(lambda: check_pages(window))


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
    """Every page against its HMAC, in the background, unless the unlock found damage already."""
    services = window.services
    if services is None or any(f.damage for f in services.db.findings):
        return
    widget = window.widget()

    def checked(found: Finding | None) -> None:
        if found is not None and window.services is services:
            show_damage(widget, services, found)

    background.run(
        widget,
        lambda: health.page_check(services.db),
        on_done=checked,
        on_error=lambda _exc: None,  # the vault was locked meanwhile: nothing to say
        busy=False,
    )


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
