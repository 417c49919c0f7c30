"""The DfE Unique Pupil Number (UPN): checking one, and making demo ones.

A UPN has 13 characters (the national UPN formula; UK Government Data
Standards Catalogue "Unique Pupil Number" v2.0, and school census validation
rule 1510):

- character 1: the check letter;
- characters 2-4: the LA number of the allocating authority;
- characters 5-8: the establishment number;
- characters 9-10: the last two digits of the academic year of allocation;
- characters 11-13: a serial number; a *temporary* UPN has two digits and a
  letter here instead.

The check letter: multiply characters 2 to 13 by the weights 2 to 13 (a
temporary UPN's final letter counts as its position in the check alphabet,
A = 0 .. Z = 22), add them up, take the remainder on division by 23 and write
it as a letter of ``ABCDEFGHJKLMNPQRTUVWXYZ`` (the alphabet without I, O and
S, which are never used).

What an officer types or a referral form carries is read generously: white
space anywhere is dropped and lower case is accepted, so ``" q207 0000
16049 "`` is read as ``Q207000016049``. :func:`normalise_upn` gives that
stored form. LA numbers are not checked against the list of authorities.

Because the weights are all below 23, any one mistyped digit or two swapped
neighbouring digits change the check letter. One change is not caught: a
permanent UPN ending in the digit *d* and a temporary one ending in the letter
worth *d* (A for 0 .. K for 9) share a check letter.
"""

from __future__ import annotations

import string

from cme_desktop.services.errors import InvalidInput

__all__ = [
    "CHECK_ALPHABET",
    "UPN_LENGTH",
    "is_valid_upn",
    "make_upn",
    "normalise_upn",
    "upn_check_letter",
    "upn_problem",
]

CHECK_ALPHABET = "ABCDEFGHJKLMNPQRTUVWXYZ"
UPN_LENGTH = 13
_WEIGHTS = range(2, UPN_LENGTH + 1)
_BODY_LENGTH = UPN_LENGTH - 1
_PERMANENT_SERIALS = 1000
_TEMPORARY_SERIALS = 100 * len(CHECK_ALPHABET)
_DIGITS = frozenset("0123456789")
_TO_CAPITALS = str.maketrans(string.ascii_lowercase, string.ascii_uppercase)


def normalise_upn(text: str) -> str:
    """``text`` without any white space and in capitals: the form a UPN is stored in."""
    # Only a-z are raised: str.upper() would turn "ß" into "SS" or "ﬀ" into "FF",
    # and a UPN must not be pieced together from characters nobody typed.
    return "".join(text.split()).translate(_TO_CAPITALS)


def _character_value(char: str) -> int:
    return int(char) if char in _DIGITS else CHECK_ALPHABET.index(char)


def upn_check_letter(body12: str) -> str:
    """The check letter for the 12 characters that follow it (characters 2 to 13).

    Raises ``InvalidInput`` if ``body12`` is not 11 digits followed by a digit
    or a letter of the check alphabet. White space and case are ignored.
    """
    body = normalise_upn(body12)
    problem = _body_problem(body, first_position=2)
    if problem is not None:
        raise InvalidInput(problem, field="upn")
    total = sum(
        weight * _character_value(char) for weight, char in zip(_WEIGHTS, body, strict=True)
    )
    return CHECK_ALPHABET[total % len(CHECK_ALPHABET)]


def _body_problem(body: str, *, first_position: int) -> str | None:
    """Why characters 2-13 are not well formed, numbered as in a whole UPN."""
    if len(body) != _BODY_LENGTH:
        return f"The UPN needs {_BODY_LENGTH} characters after the check letter; found {len(body)}."
    for offset, char in enumerate(body[:-1]):
        if char not in _DIGITS:
            return f"Character {first_position + offset} of a UPN must be a digit, not “{char}”."
    last = body[-1]
    if last not in _DIGITS and last not in CHECK_ALPHABET:
        return (
            f"The last character of a UPN must be a digit, or for a temporary UPN a "
            f"capital letter other than I, O or S, not “{last}”."
        )
    return None


def upn_problem(text: str) -> str | None:
    """``None`` if ``text`` is a valid UPN, else what is wrong with it, in words.

    White space and case are ignored (see the module notes).
    """
    upn = normalise_upn(text)
    if not upn:
        return "No UPN was given."
    if len(upn) != UPN_LENGTH:
        return f"A UPN has {UPN_LENGTH} characters; this one has {len(upn)}."
    first = upn[0]
    if first not in CHECK_ALPHABET:
        return (
            "The first character of a UPN must be its check letter (a capital letter "
            f"other than I, O or S), not “{first}”."
        )
    problem = _body_problem(upn[1:], first_position=2)
    if problem is not None:
        return problem
    expected = upn_check_letter(upn[1:])
    if first != expected:
        return (
            f"The check letter “{first}” does not match the rest of the UPN "
            f"(it should be “{expected}”): a character has probably been copied wrongly."
        )
    return None


def is_valid_upn(text: str) -> bool:
    """True if ``text`` is a well-formed UPN with the right check letter."""
    return upn_problem(text) is None


def make_upn(la: int, year: int, serial: int, temporary: bool = False) -> str:
    """A valid UPN for demonstration and test data.

    ``la`` is the 3-digit LA number (0-999); ``year`` the academic year of
    allocation, as two digits (0-99) or a full year (2000-2099); ``serial``
    0-999 for a permanent UPN. The establishment number is always ``0000``,
    which no school has, so a made-up UPN cannot be mistaken for a real pupil's.

    A temporary UPN ends in two digits and a letter; its ``serial`` runs from
    0 to 2299 and is written as ``serial // 23`` in digits followed by the
    letter ``CHECK_ALPHABET[serial % 23]``, so each serial gives a different UPN.
    """
    if not 0 <= la <= 999:
        raise InvalidInput(f"An LA number has 3 digits; {la} does not fit.", field="la")
    if 2000 <= year <= 2099:
        year %= 100
    elif not 0 <= year <= 99:
        raise InvalidInput(
            f"The year must be two digits or a year from 2000 to 2099, not {year}.",
            field="year",
        )
    limit = _TEMPORARY_SERIALS if temporary else _PERMANENT_SERIALS
    if not 0 <= serial < limit:
        kind = "temporary" if temporary else "permanent"
        raise InvalidInput(
            f"The serial number of a {kind} UPN runs from 0 to {limit - 1}, not {serial}.",
            field="serial",
        )
    if temporary:
        digits, letter = divmod(serial, len(CHECK_ALPHABET))
        tail = f"{digits:02d}{CHECK_ALPHABET[letter]}"
    else:
        tail = f"{serial:03d}"
    body = f"{la:03d}0000{year:02d}{tail}"
    return upn_check_letter(body) + body
