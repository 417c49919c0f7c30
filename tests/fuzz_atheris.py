"""Coverage-guided fuzzing of the import readers with atheris (libFuzzer), for long runs.

Not part of the test suite (pytest collects ``test_*.py`` only); see docs/fuzzing.md::

    pip install atheris            # into a scratch environment, not the project's
    python -m tests.fuzz_atheris pdf  fuzz-corpus/pdf  -max_total_time=3600
    python -m tests.fuzz_atheris word fuzz-corpus/word -max_total_time=3600
    python -m tests.fuzz_atheris email fuzz-corpus/email -max_total_time=3600

The corpus folder is seeded with real synthetic files on the first run. Any
exception other than a ``CmeError`` is a finding: libFuzzer stops and writes the
input as ``crash-*``; an input slower than ``-timeout`` (default 10 s here) or
larger than ``-rss_limit_mb`` (512) is a finding too.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from pathlib import Path

import atheris  # type: ignore[import-not-found]

with atheris.instrument_imports():
    from cme_desktop.services.errors import CmeError
    from cme_desktop.services.importing.docx import parse_docx
    from cme_desktop.services.importing.pdf import parse_pdf
    from cme_desktop.services.importing.read import read_file


def _seeds(target: str) -> dict[str, bytes]:
    from tests.e2e import test_import_fuzz as seeds
    from tests.support.fixtures_docx import STYLES, filled_form

    if target == "pdf":
        return {
            "export.pdf": seeds.our_pdf(),
            "form.pdf": seeds.filled_fillable_form(),
        }
    if target == "word":
        return {f"{style}.docx": filled_form(70, children=2, style=style)[1] for style in STYLES}
    return {"referrals.eml": seeds.email_with_forms()}


READERS: dict[str, Callable[[bytes], object]] = {
    "pdf": lambda data: parse_pdf(data, password=None, source="fuzz.pdf"),
    "word": lambda data: parse_docx(data, password=None, source="fuzz.docx"),
    "email": lambda data: read_file(data, filename="fuzz.eml", password=None),
}


def main(argv: list[str]) -> None:
    """``python -m tests.fuzz_atheris TARGET CORPUS [libFuzzer options]``."""
    if len(argv) < 3 or argv[1] not in READERS:
        raise SystemExit(f"usage: python -m tests.fuzz_atheris {{{','.join(READERS)}}} CORPUS ...")
    target, corpus = argv[1], Path(argv[2])
    corpus.mkdir(parents=True, exist_ok=True)
    if not any(corpus.iterdir()):
        for name, data in _seeds(target).items():
            (corpus / name).write_bytes(data)
    reader = READERS[target]

    def one_input(data: bytes) -> None:
        # An explained refusal is the expected outcome for most inputs.
        with contextlib.suppress(CmeError):
            reader(data)

    options = ["-timeout=10", "-rss_limit_mb=512"]
    atheris.Setup([argv[0], *options, *argv[2:]], one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)
