"""Tools > Check out for visits… and Check in…: the day's cases on a laptop, offline.

On the shared server, "Check out for visits…" asks for the field vault (a new file, with
a passphrase of its own, typed twice; or an empty field vault already made) and, if the
officer wants other cases than their own due today, their numbers
(``services.server.checkout``). In a field vault, "Check in…" asks for the server's
password, then, for each record changed both offline and on the server, whose to keep —
as for two officers saving one case: reload theirs, keep mine (my changed fields on top
of theirs), or cancel, which checks in nothing. A results box says what was applied.

Both talk to the server for seconds or minutes: the work runs on a worker thread with
a busy line in the dialog (``ui.working_form``), and a failure leaves both ends as they
were (each is one transaction on the server). Each action is greyed out where it cannot
apply, its tooltip and status tip saying why (``services.server.field_visits``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QMenu, QPushButton, QWidget

from cme_desktop.services.errors import CmeError, InvalidInput
from cme_desktop.services.server import connection
from cme_desktop.services.server.checkin import CheckedIn, CheckinPlan, Choice, check_in, plan
from cme_desktop.services.server.checkout import CheckedOut, field_checkout
from cme_desktop.services.server.database import ServerDatabase
from cme_desktop.services.server.field_visits import (
    CHECK_IN_ON_THE_SERVER,
    CHECK_OUT_IN_A_VAULT,
    FieldVaultCheckout,
    check_out_to_field_vault,
    why_no_check_in,
    why_no_check_out,
)
from cme_desktop.services.vault.database import Database
from cme_desktop.services.vault.unlock import Vault
from cme_desktop.ui import background, prompts
from cme_desktop.ui.window import Window
from cme_desktop.ui.working_form import WorkingForm, reason

CHECK_OUT = "Check out for visits"
CHECK_IN = "Check in"


def _secret_field(name: str) -> QLineEdit:
    field = QLineEdit()
    field.setEchoMode(QLineEdit.EchoMode.Password)
    field.setAccessibleName(name)
    return field


def case_numbers(text: str) -> list[int] | None:
    """The case numbers typed (``1042, 1043`` or ``CME-001042``); ``None`` when blank."""
    words = text.replace(",", " ").split()
    if not words:
        return None
    numbers: list[int] = []
    for word in words:
        digits = word.upper().removeprefix("CME-")
        if not digits.isdigit():
            raise InvalidInput(f"{word!r} is not a case number.", field="cases")
        numbers.append(int(digits))
    return numbers


class CheckOutDialog(WorkingForm):
    """Where the field vault goes, its passphrase, and which cases; the check-out runs in
    the background (``WorkingForm``)."""

    def __init__(self, parent: QWidget | None, server: ServerDatabase) -> None:
        super().__init__(parent, "Check out for visits", ok_text="&Check out")
        self.server = server
        self.outcome: CheckedOut | None = None
        self.recovery_key = ""
        self.set_intro(
            "The cases are copied into a field vault on this computer, encrypted with its "
            "own passphrase, to work on offline. Colleagues see them as checked out to you "
            "until you check them in."
        )
        row = QWidget()
        line = QHBoxLayout(row)
        line.setContentsMargins(0, 0, 0, 0)
        self.path = QLineEdit()
        self.path.setAccessibleName("Field vault file")
        line.addWidget(self.path)
        browse = QPushButton("Choose…")
        browse.setAccessibleName("Choose where the field vault goes")
        browse.setAutoDefault(False)  # Enter checks out; it never opens the file chooser
        browse.clicked.connect(self._choose)
        line.addWidget(browse)
        self.add("Field &vault:", row, "path")
        self.fields["path"] = self.path
        self.typing_field = self.path
        self.passphrase = _secret_field("Field vault passphrase")
        self.add("&Passphrase:", self.passphrase, "passphrase")
        self.again = _secret_field("Field vault passphrase again (new vault)")
        self.add("&Again (new vault):", self.again, "again")
        self.cases = QLineEdit()
        self.cases.setAccessibleName("Case numbers (blank: your open cases due today)")
        self.cases.setPlaceholderText("blank: your open cases with a visit or task due")
        self.add("Case &numbers:", self.cases, "cases")

    def values(self) -> dict[str, Any]:
        # Passphrases are never kept as unsaved typing across an idle lock.
        return {k: v for k, v in super().values().items() if k not in ("passphrase", "again")}

    def _choose(self) -> None:
        chosen = prompts.save_file(self, "Field vault", "visits.cme", "Field vault (*.cme)")
        if chosen is not None:
            self.path.setText(str(chosen))

    def submit(self) -> None:
        if not self.path.text().strip():
            raise InvalidInput("Choose where the field vault goes.", field="path")
        ids = case_numbers(self.cases.text())
        vault = Vault(Path(self.path.text().strip()))
        passphrase = self.passphrase.text()
        if not vault.exists and passphrase != self.again.text():
            raise InvalidInput("The two passphrases differ.", field="again")
        server = self.server

        def work(progress: background.Progress) -> FieldVaultCheckout:
            return check_out_to_field_vault(
                server, vault, passphrase, case_ids=ids, say=progress.say
            )

        self.run_step(
            "Checking out…",
            work,
            self._done,
            failure=lambda exc: f"{reason(exc)}\n\n{NOTHING_OUT}",
        )

    def _done(self, made: FieldVaultCheckout) -> None:
        self.outcome, self.recovery_key = made.checked_out, made.recovery_key
        self.finish()


#: After a failed check-out: the server's transaction was undone, the field vault emptied.
NOTHING_OUT = "Nothing was checked out: the server and the field vault are as they were."
#: After a failed check-in: the server takes it whole or not at all (docs/server.md §8).
NOTHING_SENT = "Nothing was sent: the server and this vault are as they were."
CUT_OFF = (
    "The server takes a check-in whole or not at all, and this vault keeps the cases until "
    "it has: check in again once the problem is solved (nothing is sent twice)."
)


class CheckInDialog(WorkingForm):
    """The server's password; then each conflict's choice; then the check-in, each step
    with the server in the background (``WorkingForm``)."""

    def __init__(self, parent: QWidget | None, field: Database) -> None:
        super().__init__(parent, "Check in", ok_text="&Check in")
        self.field = field
        self.outcome: CheckedIn | None = None
        out = field_checkout(field)
        count = len(out.case_ids) if out else 0
        self.set_intro(
            f"{count} case{' was' if count == 1 else 's were'} checked out from "
            f"{out.server if out else 'a server'}. Changes made there meanwhile are shown "
            "one by one before anything is sent."
        )
        self.address = QLineEdit(f"postgresql://{out.login}@{out.server}" if out else "")
        self.address.setAccessibleName("Server address")
        self.add("&Server:", self.address, "server")
        self.password = _secret_field("Server password")
        self.add("&Password:", self.password)
        self.typing_field = self.password

    def submit(self) -> None:
        address = connection.parse(self.address.text().strip())
        password = self.password.text() or None
        field = self.field

        def compare(progress: background.Progress) -> tuple[ServerDatabase, CheckinPlan]:
            server = ServerDatabase.connect(address, password)
            try:
                progress.say("Comparing the field vault with the server…")
                return server, plan(field, server)
            except BaseException:
                server.close()
                raise

        self.run_step(
            "Connecting to the server…",
            compare,
            self._compared,
            failure=lambda exc: f"{reason(exc)}\n\n{NOTHING_SENT}",
        )

    def _compared(self, found: tuple[ServerDatabase, CheckinPlan]) -> None:
        server, planned = found
        try:
            choices: dict[tuple[str, str], Choice] = {}
            for conflict in planned.conflicts:
                answer = prompts.reload_or_keep(
                    self,
                    CHECK_IN,
                    f"{conflict.description[0].upper()}{conflict.description[1:]}.",
                )
                if answer == "cancel":
                    raise CmeError("The check-in was cancelled: nothing was sent.")
                choices[conflict.ident] = "theirs" if answer == "reload" else "mine"
        except BaseException:
            server.close()
            raise
        field = self.field

        def send(_progress: background.Progress) -> CheckedIn:
            try:
                return check_in(field, server, choices=choices)
            finally:
                server.close()

        self.run_step(
            "Sending the offline work to the server…",
            send,
            self._done,
            failure=lambda exc: f"{reason(exc)}\n\n{CUT_OFF}",
        )

    def _done(self, done: CheckedIn) -> None:
        self.outcome = done
        self.finish()


def _cases(count: int) -> str:
    return f"{count} case{'' if count == 1 else 's'}"


def results_text(done: CheckedIn) -> str:
    """What the results box says."""
    lines = [
        f"{len(done.cases)} case{'' if len(done.cases) == 1 else 's'} checked in: "
        f"{len(done.applied)} records sent, {len(done.kept_theirs)} left as on the server. "
        "This vault no longer holds them."
    ]
    lines += [f"• Sent: {c.description}" for c in done.applied[:12]]
    lines += [f"• Kept theirs: {c.description}" for c in done.kept_theirs[:12]]
    return "\n".join(lines)


#: What each action does, said while it applies.
CHECK_OUT_TIP = "Copy the day's cases into an encrypted field vault, to work offline"
CHECK_IN_TIP = "Send a field vault's offline work back to the server"
LOG_IN_FIRST = "Log in to the server first."
UNLOCK_FIRST = "Unlock the field vault first: its checked-out cases are checked in from it."


def _offer(action: QAction, why_not: str, tip: str) -> None:
    """Enable ``action``, or grey it out saying why (status bar, tooltip)."""
    action.setEnabled(not why_not)
    action.setStatusTip(why_not or tip)
    action.setToolTip(why_not or tip)
    action.setWhatsThis(why_not or tip)


class FieldVisitActions(QObject):
    """Tools > Check out for visits… and Check in…, offered only where they apply.

    Check-out applies on the server to an officer, check-in in a field vault holding a
    checkout (``services.server.field_visits``); otherwise each is greyed out with the
    reason as its status tip and tooltip. Updated at each unlock and lock, when cases
    change, and after each check-out or check-in.
    """

    def __init__(self, window: Window) -> None:
        widget = window.widget()
        super().__init__(widget)  # lives as long as the window
        self.window = window
        self.check_out = QAction("Check &out for visits…", widget)
        self.check_out.triggered.connect(self.check_out_now)
        self.check_in = QAction("Check &in…", widget)
        self.check_in.triggered.connect(self.check_in_now)
        # Enabled here, not by the window (which enables every vault action at unlock).
        window.add_action("Tools", self.check_out, needs_vault=False)
        window.add_action("Tools", self.check_in, needs_vault=False)
        for action in (self.check_out, self.check_in):
            for menu in action.associatedObjects():
                if isinstance(menu, QMenu):
                    menu.setToolTipsVisible(True)  # a greyed item's reason, on hover
        self._why_no_check_out = ""
        window.on_unlock(self.unlocked)
        window.vault_locked.connect(self.refresh)
        window.changes.cases_changed.connect(self.refresh)
        self.refresh()

    def unlocked(self) -> None:
        services = self.window.services
        # Asked of the server once per login: whether this login is an officer.
        self._why_no_check_out = why_no_check_out(services.db) if services else ""
        self.refresh()

    def refresh(self) -> None:
        services = self.window.services
        if services is None:
            out = LOG_IN_FIRST if self.window.on_server else CHECK_OUT_IN_A_VAULT
            back = CHECK_IN_ON_THE_SERVER if self.window.on_server else UNLOCK_FIRST
        else:
            out = self._why_no_check_out
            back = why_no_check_in(services.db)
        _offer(self.check_out, out, CHECK_OUT_TIP)
        _offer(self.check_in, back, CHECK_IN_TIP)

    def check_out_now(self) -> None:
        services = self.window.services
        if services is None:
            return
        db = services.db
        if not isinstance(db, ServerDatabase):
            prompts.info(self.window.widget(), CHECK_OUT, CHECK_OUT_IN_A_VAULT)
            return
        dialog = CheckOutDialog(self.window.widget(), db)
        if dialog.exec() and dialog.outcome is not None:
            key = (
                f"\n\nThe field vault's recovery key (shown once; keep it apart): "
                f"{dialog.recovery_key}"
                if dialog.recovery_key
                else ""
            )
            prompts.info(
                self.window.widget(),
                CHECK_OUT,
                f"{_cases(len(dialog.outcome.case_ids))} checked out to {dialog.path.text()}. "
                f"Open it with CME Desktop to work offline; check them in when back.{key}",
            )
            self.window.changes.cases_changed.emit()

    def check_in_now(self) -> None:
        services = self.window.services
        if services is None:
            return
        db = services.db
        why_not = why_no_check_in(db)
        if why_not:  # checked in meanwhile (by ``cme checkin``): said, and greyed out
            self.refresh()
            prompts.info(self.window.widget(), CHECK_IN, why_not)
            return
        dialog = CheckInDialog(self.window.widget(), db)
        if dialog.exec() and dialog.outcome is not None:
            prompts.info(self.window.widget(), CHECK_IN, results_text(dialog.outcome))
            self.window.changes.cases_changed.emit()  # the cases left: Check in… greys out


def install(window: Window) -> FieldVisitActions:
    """Add Tools > Check out for visits… and Check in…."""
    return FieldVisitActions(window)
