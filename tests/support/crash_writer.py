"""A writer for the crash-safety tests: unlocks a vault and changes it until it is killed.

    python crash_writer.py cases VAULT     create cases in a loop
    python crash_writer.py rekey VAULT     change the passphrase back and forth in a loop
    python crash_writer.py serve VAULT     read "cases" or "rekey" lines on stdin; for each,
                                           fork a writer (imports already done, so a restart
                                           costs milliseconds) and report how it ended

Each writer prints one line on stdout *after* each change is committed:
``case ID``, ``note CASE_ID ENTRY_ID`` or ``rekey N`` (passphrase N now opens the vault).
The server prints ``ready`` once, ``pid PID`` when a writer starts and ``exit PID STATUS``
when it has gone.
The vault's passphrase is PASSPHRASES[0] or PASSPHRASES[1].
"""

from __future__ import annotations

import os
import sys
import traceback
from datetime import datetime
from pathlib import Path

from cme_desktop.services.cases.detail import CaseDraft
from cme_desktop.services.cases.service import CaseService
from cme_desktop.services.errors import WrongPassphrase
from cme_desktop.services.vault.database import Database
from cme_desktop.services.vault.keyslots import ScryptParams
from cme_desktop.services.vault.unlock import Vault

PASSPHRASES = ("correct horse battery staple", "second passphrase for rekeying")
CHEAP_SCRYPT = ScryptParams(n=2**10)


def _say(line: str) -> None:
    # One write per line: a line is either whole in the pipe or not there at all.
    os.write(1, (line + "\n").encode("ascii"))


def _unlock(vault: Vault) -> tuple[Database, int]:
    for n, passphrase in enumerate(PASSPHRASES):
        try:
            return vault.unlock(passphrase, actor="Crash Test"), n
        except WrongPassphrase:
            continue
    raise SystemExit("neither passphrase opens the vault")


def write_cases(path: Path) -> None:
    db, _ = _unlock(Vault(path, scrypt=CHEAP_SCRYPT))
    cases = CaseService(db)
    n = 0
    while True:
        n += 1
        case_id = cases.create(
            draft=CaseDraft(
                full_name=f"Crash Test {os.getpid()} {n}",
                last_known_address=f"{n} Test Street\nLeicester",
                school="Test Academy",
            )
        )
        _say(f"case {case_id}")
        entry = cases.add_timeline(
            case_id, kind="note", occurred_at=datetime.now(), summary="written before the crash"
        )
        _say(f"note {case_id} {entry}")


def rekey(path: Path) -> None:
    vault = Vault(path, scrypt=CHEAP_SCRYPT)
    db, current = _unlock(vault)
    while True:
        current = 1 - current
        vault.change_passphrase(db, PASSPHRASES[current])
        _say(f"rekey {current}")


MODES = {"cases": write_cases, "rekey": rekey}


def serve(path: Path) -> None:
    # Unlock once before forking, so that the writers start with every module loaded
    # (Alembic loads its scripts on first use). No connection stays open across fork.
    db, _ = _unlock(Vault(path, scrypt=CHEAP_SCRYPT))
    db.close()
    _say("ready")
    for line in sys.stdin:
        mode = line.strip()
        if mode not in MODES:
            continue
        sys.stdout.flush()
        pid = os.fork()
        if pid == 0:
            try:
                MODES[mode](path)
            except BaseException:  # noqa: BLE001 - the parent reads the reason on stderr
                traceback.print_exc()
                os._exit(1)
            os._exit(0)
        _say(f"pid {pid}")
        _, status = os.waitpid(pid, 0)
        _say(f"exit {pid} {status}")


def main() -> None:
    mode, path = sys.argv[1], Path(sys.argv[2])
    if mode == "serve":
        serve(path)
    else:
        MODES[mode](path)


if __name__ == "__main__":
    main()
