"""Passwords for the files we send: passphrases a person can read out over the phone.

A passphrase is a run of lower-case words from a fixed list, chosen with ``secrets``,
joined with hyphens ("say dash between the words"). Its strength is a matter of
arithmetic: each word chosen uniformly from ``N`` words adds ``log2(N)`` bits, and the
words are independent, so the default seven words from the shipped list give more than
80 bits, out of reach of an offline guessing attack on an AES-256 PDF.

Seven words run to 30-55 characters, and the PDF readers built on poppler (Evince, Okular)
refuse passwords longer than 32 characters on AES-256 PDFs. A file the officer saves for
her own use, to open on any reader, gets a short password instead: groups of characters
from an alphabet without look-alikes (no ``i``, ``l``, ``o``, ``0`` or ``1``), which packs
about 5 bits into each character where words give fewer than 2.
"""

from __future__ import annotations

import math
import secrets

from cme_desktop.services.errors import InvalidInput
from cme_desktop.services.protection.wordlist import WORDS

#: The strength every generated password must reach.
MIN_ENTROPY_BITS = 80.0
DEFAULT_WORDS = 7
SEPARATOR = "-"
#: The longest password every PDF reader accepts on an AES-256 (revision 6) PDF.
MAX_PDF_PASSWORD = 32
#: Lower-case letters and digits that cannot be mistaken for one another.
SHORT_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
SHORT_GROUP = 4
DEFAULT_GROUPS = 5
#: Why a typed password longer than ``MAX_PDF_PASSWORD`` is refused for a PDF.
TOO_LONG_FOR_PDF = (
    f"Some PDF readers cannot open a file whose password is longer than {MAX_PDF_PASSWORD} "
    "characters: use a shorter one (or the generated one)."
)


def password_entropy_bits(words: int = DEFAULT_WORDS) -> float:
    """The entropy in bits of a passphrase of ``words`` words from the shipped list."""
    if words < 0:
        raise InvalidInput("The number of words cannot be negative.", field="words")
    return words * math.log2(len(WORDS))


def generate_password(words: int = DEFAULT_WORDS) -> str:
    """A new random passphrase of ``words`` words, e.g. ``"velvet-lantern-..."``.

    Raises ``InvalidInput`` when so few words are asked for that the passphrase would
    have less than ``MIN_ENTROPY_BITS`` bits.
    """
    if password_entropy_bits(words) < MIN_ENTROPY_BITS:
        needed = math.ceil(MIN_ENTROPY_BITS / math.log2(len(WORDS)))
        raise InvalidInput(
            f"A password needs at least {needed} words to be strong enough.", field="words"
        )
    return SEPARATOR.join(secrets.choice(WORDS) for _ in range(words))


def short_password_entropy_bits(groups: int = DEFAULT_GROUPS) -> float:
    """The entropy in bits of a short password of ``groups`` groups of characters."""
    if groups < 0:
        raise InvalidInput("The number of groups cannot be negative.", field="groups")
    return groups * SHORT_GROUP * math.log2(len(SHORT_ALPHABET))


def check_pdf_password_length(password: str) -> None:
    """Refuse a password some PDF readers cannot open the file with (``TOO_LONG_FOR_PDF``)."""
    if len(password) > MAX_PDF_PASSWORD:
        raise InvalidInput(TOO_LONG_FOR_PDF, field="password")


def generate_short_password(groups: int = DEFAULT_GROUPS) -> str:
    """A new random password of at most 32 characters, e.g. ``"k7mq-x3rt-p9wd-h2nf-b4ce"``.

    For files that must open in every PDF reader (``MAX_PDF_PASSWORD``). Raises
    ``InvalidInput`` when ``groups`` gives less than ``MIN_ENTROPY_BITS`` bits or more
    than ``MAX_PDF_PASSWORD`` characters.
    """
    if short_password_entropy_bits(groups) < MIN_ENTROPY_BITS:
        raise InvalidInput("A password needs more characters to be strong enough.", field="groups")
    if groups * (SHORT_GROUP + 1) - 1 > MAX_PDF_PASSWORD:
        raise InvalidInput(
            f"A password for a PDF may have at most {MAX_PDF_PASSWORD} characters.",
            field="groups",
        )
    return SEPARATOR.join(
        "".join(secrets.choice(SHORT_ALPHABET) for _ in range(SHORT_GROUP)) for _ in range(groups)
    )
