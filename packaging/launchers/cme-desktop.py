"""Start of the frozen ``cme-desktop`` window (see packaging/cme-desktop.spec).

The import sandbox starts this same program again for its worker process
(``multiprocessing`` in a frozen build has no Python to start). The worker must
run before the window's modules are imported: Qt and the whole window would
otherwise load, for nothing, for every file read.
"""

import multiprocessing
import sys

multiprocessing.freeze_support()
# The install folder is read-only for the officer (Program Files): Alembic's migration
# scripts are read from source there, and Python must not try to cache them beside it.
sys.dont_write_bytecode = True

from cme_desktop.app import main  # noqa: E402 - after the worker has had its turn

raise SystemExit(main())
