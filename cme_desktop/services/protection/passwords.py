"""Passwords for the files we send: passphrases a person can read out over the phone.

A passphrase is a run of lower-case words from a fixed list, chosen with ``secrets``,
joined with hyphens ("say dash between the words"). Its strength is a matter of
arithmetic: each word chosen uniformly from ``N`` words adds ``log2(N)`` bits, and the
words are independent, so the default seven words from the shipped list give more than
80 bits, out of reach of an offline guessing attack on an AES-256 PDF.
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
