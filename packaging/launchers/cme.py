"""Start of the frozen ``cme`` command (see packaging/cme-desktop.spec).

The import sandbox starts this same program again for its worker process
(``multiprocessing`` in a frozen build has no Python to start). The worker must
run before anything else: before the argument parser, which would read the
worker's own arguments as a command, and before the services are imported,
which would cost every file read a second or more.
"""

import multiprocessing
import sys

multiprocessing.freeze_support()
# The install folder is read-only for the officer (Program Files): Alembic's migration
# scripts are read from source there, and Python must not try to cache them beside it.
sys.dont_write_bytecode = True

from cme_desktop.cli.main import main  # noqa: E402 - after the worker has had its turn

raise SystemExit(main())
