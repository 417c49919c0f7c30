"""How a school's notice or a referral says "removed from roll for home education", in words.

Pure text functions, without the database, so the readers in the import sandbox can use
them (``importing/school_returns_csv``); ``register/notices`` records what they find.
"""

from __future__ import annotations

import re
from typing import Any, Final

__all__ = ["EHE_GROUND", "ground_in_words", "says_home_education"]

#: Regulation 9(1)(f): the parent has told the school the child will be educated
#: otherwise than at school.
EHE_GROUND: Final = "f"
_EHE_WORDS: Final = re.compile(
    r"\b(?:elective(?:ly)?\s+home[\s-]+educat\w*|home[\s-]+educat\w*|home[\s-]+school\w*"
    r"|ehe|educat\w*\s+otherwise\s+than\s+(?:at|in)\s+(?:a\s+)?school"
    r"|9\s*\(\s*1\s*\)\s*\(\s*f\s*\))(?!\w)",
    re.IGNORECASE,
)
# A referral about a home-educated child is not always a removal (an education found
# unsuitable, say): the form must also say the child left the school's roll.
_REMOVED: Final = re.compile(
    r"\b(?:remov\w*|de-?regist\w*|off[\s-]+roll\w*|taken\s+off|left|leav\w*|withdr\w*)",
    re.IGNORECASE,
)
# "not home educated", "no longer home educated", "stopped home education" say the opposite.
_DENIED: Final = re.compile(
    r"\b(?:not|no\s+longer|never|stopp\w*|ceas\w*|ended|end\s+of)\s+(?:\w+\s+){0,2}$",
    re.IGNORECASE,
)


def ground_in_words(text: str) -> str | None:
    """``EHE_GROUND`` when a deletion return's ground column says home education in words."""
    return EHE_GROUND if _mentions(text) else None


def _mentions(text: str) -> bool:
    for match in _EHE_WORDS.finditer(text):
        if _DENIED.search(text[: match.start()][-40:]) is None:
            return True
    return False


def says_home_education(referral: dict[str, Any]) -> bool:
    """True when a referral says the child left school for home education: its school,
    additional information or an answer of the referrer's assessment mentions elective
    home education (and does not say it stopped) and the child's leaving the roll."""
    assessment = referral.get("assessment") or {}
    texts = [
        str(referral.get("school") or ""),
        str(referral.get("additional_information") or ""),
        *(str(v or "") for v in assessment.values()),
    ]
    return any(_mentions(text) and _REMOVED.search(text) for text in texts)
