"""Names as they are kept and searched: without invisible format characters.

A name can arrive carrying characters nobody sees: a right-to-left override
(U+202E) that makes "Amy" display as something else, zero-width spaces and
joiners (U+200B-U+200D), a byte order mark (U+FEFF) pasted from a document,
bidi isolates (U+2066-U+2069). Kept, they make two cases of one child that look
identical on screen but never match, and a search that finds neither. Every
character of Unicode category Cf ("format") is removed from names on input, typed
or imported, and from search text before matching, with ``strip_format``.
Control characters (category Cc) go too, but line breaks and tabs, which the
callers fold into spaces or keep as lines.
"""

from __future__ import annotations

import unicodedata

__all__ = ["clean_name", "strip_format"]

_KEPT_CONTROLS = frozenset("\n\t")


def strip_format(text: str) -> str:
    """``text`` without Unicode format characters (category Cf) and control characters.

    Line breaks (``\\n``) and tabs are kept. Everything else is left as it is.
    """
    if text.isascii() and text.isprintable():
        return text  # the usual case, and nothing to remove
    return "".join(
        char
        for char in text
        if char in _KEPT_CONTROLS or unicodedata.category(char) not in ("Cf", "Cc")
    )


def clean_name(text: str) -> str:
    """A name on one line: ``strip_format``, runs of white space as one space, trimmed, NFC."""
    return unicodedata.normalize("NFC", " ".join(strip_format(text).split()))
