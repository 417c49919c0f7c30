"""The unlock screen: passphrase, "remember on this computer", recovery key.

A wrong passphrase gets a clear message; after repeated failures the Unlock
button waits (``unlock_delay_seconds``, growing with each failure, kept across
restarts by the vault) and shows the countdown. "Unlock with the recovery
key" opens the vault with the key from the manager's safe and sets a new
passphrase in the same step. Unlocking runs off the GUI thread: the key
derivation is deliberately slow.
"""

from __future__ import annotations

import getpass
import os
import time
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from cme_desktop.services.errors import CmeError, WrongPassphrase
from cme_desktop.services.vault.unlock import Vault, unlock_delay_seconds
from cme_desktop.ui import background, look, prompts
from cme_desktop.ui.fields import EnterAdvances, add_row, card_pages
from cme_desktop.ui.vault.passphrase import NewPassphraseFields

if TYPE_CHECKING:  # the database modules load after the screen is drawn
    from cme_desktop.services.vault.database import Database


def os_account() -> str:
    """Who is signed in to the computer: the actor of an unlock before settings are read."""
    try:
        return os.environ.get("USERNAME") or getpass.getuser()
    except (OSError, KeyError):
        return ""


def _remember(vault: Vault, db: Database) -> str:
    """Keep the vault's key in the credential store; what went wrong, or ``""``."""
    from keyring.errors import KeyringError

    try:
        vault.remember(db)
    except CmeError as exc:
        return exc.message
    except (KeyringError, OSError) as exc:
        return f"this computer's credential store refused the key ({type(exc).__name__})."
    return ""


class UnlockPage(QWidget):
    """Emits ``unlocked(db)`` with the open database."""

    unlocked = Signal(object)
    #: An unlock is about to start (in the background): what it needs must be loaded.
    starting = Signal()

    def __init__(
        self, vault: Vault, parent: QWidget | None = None, *, offer_remembered: bool = True
    ) -> None:
        super().__init__(parent)
        self.vault = vault
        self._busy = False
        self._wait_until = 0.0
        self._countdown = QTimer(self)
        self._countdown.setInterval(250)
        self._countdown.timeout.connect(self._tick)
        self.stack = card_pages(self, max_width=560)
        self.stack.addWidget(self._passphrase_page(offer_remembered))
        self.stack.addWidget(self._recovery_page())
        self._apply_delay()

    # -- pages ----------------------------------------------------------------------------

    def _passphrase_page(self, offer_remembered: bool) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        heading = QLabel("Unlock the case vault")
        look.role(heading, "heading")
        layout.addWidget(heading)
        where = QLabel(str(self.vault.path))
        look.role(where, "hint")
        where.setWordWrap(True)
        layout.addWidget(where)
        form = QFormLayout()
        self.passphrase = QLineEdit()
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        add_row(form, "&Passphrase:", self.passphrase, name="Passphrase")
        layout.addLayout(form)
        self.remember = QCheckBox("Re&member on this computer")
        self.remember.setAccessibleName("Remember on this computer")
        self.remember.setToolTip(
            "Keep a key in this computer's credential store, so that signing in to "
            "Windows is enough to open the vault here."
        )
        layout.addWidget(self.remember)
        self.offer_remember()
        self.message = QLabel()
        look.role(self.message, "problem")
        self.message.setWordWrap(True)
        self.message.setAccessibleName("Unlock message")
        layout.addWidget(self.message)
        buttons = QHBoxLayout()
        self.recovery_button = QPushButton("Unlock with the recovery &key…")
        look.role(self.recovery_button, "link")
        self.recovery_button.setAccessibleName("Unlock with the recovery key")
        self.recovery_button.clicked.connect(self.show_recovery)
        buttons.addWidget(self.recovery_button)
        buttons.addStretch(1)
        self.remembered_button = QPushButton("&Open (remembered here)")
        self.remembered_button.setAccessibleName("Open with the key remembered on this computer")
        self.remembered_button.setVisible(offer_remembered and self.vault.is_remembered())
        self.remembered_button.clicked.connect(self.unlock_remembered)
        buttons.addWidget(self.remembered_button)
        self.unlock_button = QPushButton("&Unlock")
        self.unlock_button.setDefault(True)
        self.unlock_button.setAccessibleName("Unlock")
        self.unlock_button.clicked.connect(self.unlock)
        buttons.addWidget(self.unlock_button)
        layout.addLayout(buttons)
        EnterAdvances(page, self.unlock_button)  # from the passphrase or the check box
        return page

    def _recovery_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        look.add_heading(
            layout,
            "Unlock with the recovery key",
            "Type the recovery key from the printed page kept in the manager's safe, then "
            "choose a new passphrase. The old passphrase stops working.",
        )
        form = QFormLayout()
        self.recovery_key = QLineEdit()
        self.recovery_key.setPlaceholderText("XXXX-XXXX-XXXX-…")
        add_row(form, "Recovery &key:", self.recovery_key, name="Recovery key")
        layout.addLayout(form)
        self.new_passphrase = NewPassphraseFields()
        layout.addWidget(self.new_passphrase)
        self.recovery_message = QLabel()
        look.role(self.recovery_message, "problem")
        self.recovery_message.setWordWrap(True)
        layout.addWidget(self.recovery_message)
        buttons = QHBoxLayout()
        back = QPushButton("&Back")
        back.setAccessibleName("Back to the passphrase")
        back.clicked.connect(self.show_passphrase)
        buttons.addWidget(back)
        buttons.addStretch(1)
        self.recover_button = QPushButton("Unlock and &set passphrase")
        self.recover_button.setAccessibleName("Unlock and set the new passphrase")
        self.recover_button.clicked.connect(self.unlock_with_recovery_key)
        buttons.addWidget(self.recover_button)
        layout.addLayout(buttons)
        EnterAdvances(page, self.recover_button)
        return page

    def offer_remember(self) -> None:
        """Show "Remember on this computer" where a secure credential store exists and the
        vault is not remembered here yet (called again once the store is found)."""
        self.remember.setVisible(self.vault.can_remember() and not self.vault.is_remembered())

    @property
    def busy(self) -> bool:
        """True while an unlock (or login) is under way."""
        return self._busy

    def focus_first(self) -> None:
        if self.stack.currentIndex() == 0:
            self.passphrase.setFocus()
        else:
            self.recovery_key.setFocus()

    def show_recovery(self) -> None:
        self.stack.setCurrentIndex(1)
        self.recover_button.setDefault(True)
        self.recovery_key.setFocus()

    def show_passphrase(self) -> None:
        self.recovery_key.clear()
        self.new_passphrase.clear()
        self.recovery_message.clear()
        self.stack.setCurrentIndex(0)
        self.passphrase.setFocus()

    # -- the delay after failures ---------------------------------------------------------

    def _apply_delay(self) -> None:
        seconds = unlock_delay_seconds(self.vault.failed_attempts())
        self._wait_until = time.monotonic() + seconds if seconds > 0 else 0.0
        self._tick()
        if seconds > 0:
            self._countdown.start()

    def waiting_seconds(self) -> int:
        """Seconds left before another try is allowed (0 when allowed now)."""
        left = self._wait_until - time.monotonic()
        return max(0, int(left + 0.999))

    def _tick(self) -> None:
        left = self.waiting_seconds()
        allowed = left == 0 and not self._busy
        for button in (self.unlock_button, self.recover_button, self.remembered_button):
            button.setEnabled(allowed)
        if left:
            self.unlock_button.setText(f"Wait {left} s")
            self.recover_button.setText(f"Wait {left} s")
        else:
            self._countdown.stop()
            self.unlock_button.setText("&Unlock")
            self.recover_button.setText("Unlock and &set passphrase")

    # -- unlocking ------------------------------------------------------------------------

    def _start(self) -> bool:
        if self._busy or self.waiting_seconds():
            return False
        self.starting.emit()
        self._busy = True
        self._tick()
        self.message.clear()
        self.recovery_message.clear()
        return True

    def unlock(self) -> None:
        """Try the passphrase typed."""
        if not self.passphrase.text():
            self.message.setText("Type the passphrase to unlock the vault.")
            return
        if not self._start():
            return
        passphrase = self.passphrase.text()
        remember = self.remember.isVisible() and self.remember.isChecked()
        vault, actor = self.vault, os_account()

        def work() -> tuple[Database, str]:
            db = vault.unlock(passphrase, actor=actor)
            return db, (_remember(vault, db) if remember else "")

        background.run(self, work, on_done=self._done_remembering, on_error=self._failed)

    def unlock_remembered(self) -> None:
        """Open with the key kept in this computer's credential store."""
        if not self._start():
            return
        vault, actor = self.vault, os_account()
        background.run(
            self,
            lambda: vault.unlock_remembered(actor=actor),
            on_done=self._done,
            on_error=self._failed,
        )

    def unlock_with_recovery_key(self) -> None:
        """Open with the recovery key and set the new passphrase."""
        key = self.recovery_key.text().strip()
        if not key:
            self.recovery_message.setText("Type the recovery key.")
            return
        try:
            passphrase = self.new_passphrase.passphrase()
        except CmeError as exc:
            self.recovery_message.setText(exc.message)
            return
        if not self._start():
            return
        vault, actor = self.vault, os_account()

        def work() -> Database:
            db = vault.unlock_with_recovery_key(key, actor=actor)
            try:
                vault.change_passphrase(db, passphrase)
            except BaseException:
                db.close()
                raise
            return db

        background.run(self, work, on_done=self._done, on_error=self._failed)

    def _done_remembering(self, result: tuple[Database, str]) -> None:
        db, problem = result
        if problem:
            prompts.warn(self, "Remember on this computer", f"The vault is open, but {problem}")
        self._done(db)

    def _done(self, db: Database) -> None:
        self._busy = False
        self.passphrase.clear()
        self.recovery_key.clear()
        self.new_passphrase.clear()
        self._tick()
        self.unlocked.emit(db)

    def _failed(self, exc: BaseException) -> None:
        self._busy = False
        recovering = self.stack.currentIndex() == 1
        if isinstance(exc, WrongPassphrase):
            text = exc.message
            if unlock_delay_seconds(self.vault.failed_attempts()) > 0:
                text += " Several tries have failed: each is recorded, and the wait grows."
            (self.recovery_message if recovering else self.message).setText(text)
            field = self.recovery_key if recovering else self.passphrase
            field.selectAll()
            field.setFocus()
        else:
            prompts.error(self, "Unlock the vault", exc)
        self._apply_delay()
