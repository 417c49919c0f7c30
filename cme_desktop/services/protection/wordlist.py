"""The words of generated passphrases: short, plain English, one spelling each.

The words are shipped in ``resources/wordlist.txt``, one a line, and read once, when
this module is first imported. They come from the EFF large word list (Electronic
Frontier Foundation, CC BY 3.0 US, https://www.eff.org/dice): only words of three to
seven letters, without words that sound like another word, American spellings, names,
brands, slang, words hard to spell from hearing, and words unsuitable in
correspondence about a child's safety.
"""

from __future__ import annotations

from cme_desktop.resource_files import read_text

WORDS: tuple[str, ...] = tuple(read_text("wordlist.txt").split())
