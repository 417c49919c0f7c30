"""Tools > Check out for visits… and Check in…: the day's cases on a laptop, offline.

On the shared server, "Check out for visits…" asks for the field vault (a new file, with
a passphrase of its own, typed twice; or an empty field vault already made) and, if the
officer wants other cases than their own due today, their numbers
(``services.server.checkout``). In a field vault, "Check in…" asks for the server's
password, then, for each record changed both offline and on the server, whose to keep —
as for two officers saving one case: reload theirs, keep mine (my changed fields on top
of theirs), or cancel, which checks in nothing. A results box says what was applied.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QPushButton, QWidget

from cme_desktop.services.errors import CmeError, InvalidInput
from cme_desktop.services.server import connection
from cme_desktop.services.server.checkin import CheckedIn, Choice, check_in, plan
from cme_desktop.services.server.checkout import CheckedOut, check_out, field_checkout
from cme_desktop.services.server.database import ServerDatabase
from cme_desktop.services.vault.database import Database
from cme_desktop.services.vault.unlock import Vault
from cme_desktop.ui import prompts
from cme_desktop.ui.dialogs import FormDialog
from cme_desktop.ui.window import Window

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


class CheckOutDialog(FormDialog):
    """Where the field vault goes, its passphrase, and which cases."""

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
        self.add("&Passphrase:", self.passphrase)
        self.again = _secret_field("Field vault passphrase again (new vault)")
        self.add("&Again (new vault):", self.again)
        self.cases = QLineEdit()
        self.cases.setAccessibleName("Case numbers (blank: your open cases due today)")
        self.cases.setPlaceholderText("blank: your open cases with a visit or task due")
        self.add("Case &numbers:", self.cases, "cases")

    def _choose(self) -> None:
        chosen = prompts.save_file(self, "Field vault", "visits.cme", "Field vault (*.cme)")
        if chosen is not None:
            self.path.setText(str(chosen))

    def submit(self) -> None:
        if not self.path.text().strip():
            raise InvalidInput("Choose where the field vault goes.", field="path")
        ids = case_numbers(self.cases.text())
        vault = Vault(Path(self.path.text().strip()))
        actor = self.server.address.username
        if vault.exists:
            field = vault.unlock(self.passphrase.text(), actor=actor)
        else:
            if self.passphrase.text() != self.again.text():
                raise InvalidInput("The two passphrases differ.")
            created = vault.create(self.passphrase.text(), actor=actor)
            field, self.recovery_key = created.db, created.recovery_key
        try:
            self.outcome = check_out(self.server, field, case_ids=ids)
        finally:
            field.close()


class CheckInDialog(FormDialog):
    """The server's password; then each conflict's choice; then the check-in."""

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
        self.add("&Server:", self.address, "address")
        self.password = _secret_field("Server password")
        self.add("&Password:", self.password)
        self.typing_field = self.password

    def submit(self) -> None:
        address = connection.parse(self.address.text().strip())
        server = ServerDatabase.connect(address, self.password.text() or None)
        try:
            choices: dict[tuple[str, str], Choice] = {}
            for conflict in plan(self.field, server).conflicts:
                answer = prompts.reload_or_keep(
                    self,
                    CHECK_IN,
                    f"{conflict.description[0].upper()}{conflict.description[1:]}.",
                )
                if answer == "cancel":
                    raise CmeError("The check-in was cancelled: nothing was sent.")
                choices[conflict.ident] = "theirs" if answer == "reload" else "mine"
            self.outcome = check_in(self.field, server, choices=choices)
        finally:
            server.close()


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


def install(window: Window) -> None:
    """Add Tools > Check out for visits… and Check in…."""

    def check_out_now() -> None:
        services = window.services
        if services is None:
            return
        db = services.db
        if not isinstance(db, ServerDatabase):
            prompts.info(
                window.widget(),
                CHECK_OUT,
                "Cases are checked out of the team's shared server: start CME Desktop on "
                "the server (--server) to take them out for visits.",
            )
            return
        dialog = CheckOutDialog(window.widget(), db)
        if dialog.exec() and dialog.outcome is not None:
            key = (
                f"\n\nThe field vault's recovery key (shown once; keep it apart): "
                f"{dialog.recovery_key}"
                if dialog.recovery_key
                else ""
            )
            prompts.info(
                window.widget(),
                CHECK_OUT,
                f"{_cases(len(dialog.outcome.case_ids))} checked out to {dialog.path.text()}. "
                f"Open it with CME Desktop to work offline; check them in when back.{key}",
            )
            window.changes.cases_changed.emit()

    def check_in_now() -> None:
        services = window.services
        if services is None:
            return
        db = services.db
        if isinstance(db, ServerDatabase) or field_checkout(db) is None:
            prompts.info(
                window.widget(),
                CHECK_IN,
                "This vault holds no checked-out cases: there is nothing to check in.",
            )
            return
        dialog = CheckInDialog(window.widget(), db)
        if dialog.exec() and dialog.outcome is not None:
            prompts.info(window.widget(), CHECK_IN, results_text(dialog.outcome))
            window.changes.cases_changed.emit()

    out = QAction("Check &out for visits…", window.widget())
    out.setToolTip("Copy the day's cases into an encrypted field vault, to work offline")
    out.triggered.connect(check_out_now)
    window.add_action("Tools", out)
    back = QAction("Check &in…", window.widget())
    back.setToolTip("Send a field vault's offline work back to the server")
    back.triggered.connect(check_in_now)
    window.add_action("Tools", back)
