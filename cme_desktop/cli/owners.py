"""``cme --server URL reassign``: giving cases to another officer on a shared server.

``--to LOGIN CASE_ID...`` gives those cases; ``--to LOGIN --from LOGIN`` gives every case
of one login (someone leaving) to another. ``--to -`` leaves them not allocated. Only an
officer's login may, and the server audits each change (``services.server.ownership``).
"""

from __future__ import annotations

import argparse
from typing import Any

from cme_desktop.cli.common import EXIT_OK, UsageError, open_db

#: What ``--to`` says for "not allocated".
NOBODY = "-"


def add_commands(sub: Any) -> None:
    """Register ``reassign`` on the ``cme`` parser."""
    p = sub.add_parser(
        "reassign", help="give cases to another officer on the server given by --server"
    )
    p.add_argument("case_ids", type=int, nargs="*", metavar="CASE_ID")
    p.add_argument("--to", required=True, metavar="LOGIN", help="an officer's login, or -")
    p.add_argument(
        "--from", dest="owner", default=None, metavar="LOGIN", help="every case of this login"
    )
    p.set_defaults(func=_reassign)


def _reassign(args: argparse.Namespace) -> int:
    from cme_desktop.services.server import ownership

    if not getattr(args, "server", None):
        raise UsageError("reassign works on a shared server: cme --server URL reassign ...")
    if bool(args.case_ids) == (args.owner is not None):
        raise UsageError("give either case numbers or --from LOGIN")
    to = ownership.NOBODY if args.to == NOBODY else args.to
    db = open_db(args)
    try:
        if args.owner is not None:
            done = ownership.hand_over(db, owner=args.owner, to=to)
        else:
            done = ownership.give(db, case_ids=args.case_ids, to=to)
    finally:
        db.close()
    whom = done.to or "nobody (not allocated)"
    print(f"{done.cases} case{'' if done.cases == 1 else 's'} given to {whom}.")
    return EXIT_OK
