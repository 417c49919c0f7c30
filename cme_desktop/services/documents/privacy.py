"""The privacy notice printed on every document that names a child.

UK GDPR Articles 13 and 14 ask a controller to tell people why their data is
processed and on what lawful basis. The authority edits the wording in the
settings (``Settings.privacy_notice``); until it does, ``DEFAULT_NOTICE`` is
used, naming the authority. The default's reading of the law is set out in
``docs/data-protection.md``: the duty of Education Act 1996 s.436A, public task
(UK GDPR Art. 6(1)(e)), and for health, ethnicity or special educational needs
Art. 9(2)(g) with DPA 2018 Schedule 1 paragraphs 6 (statutory purposes) and 18
(safeguarding of children).
"""

from __future__ import annotations

from cme_desktop.services.errors import InvalidInput

#: The heading printed above the notice.
HEADING = "Privacy notice"
#: The longest notice accepted: it must fit on the last part of a one-page visit sheet.
MAX_NOTICE = 1500
#: ``{authority}`` is replaced by the authority's name.
DEFAULT_NOTICE = (
    "{authority} uses the information in this document to carry out its duty under "
    "section 436A of the Education Act 1996 to identify children of compulsory school age "
    "in its area who are not registered pupils at a school and are not receiving suitable "
    "education otherwise. The lawful basis is public task (UK GDPR Article 6(1)(e)). "
    "Information about health, ethnicity or special educational needs is used for reasons "
    "of substantial public interest: statutory purposes and the safeguarding of children "
    "(UK GDPR Article 9(2)(g); Data Protection Act 2018, Schedule 1, paragraphs 6 and 18). "
    "It is shared only with schools, other local authorities and partner agencies that need "
    "it to find the child and secure their education or safety, and is kept for the period "
    "set by the authority's retention schedule. You may ask for a copy of the information "
    "held about you or your child, and for it to be corrected; contact the authority's "
    "Data Protection Officer. You may also complain to the Information Commissioner's "
    "Office (ico.org.uk)."
)


def check_notice(text: str) -> str:
    """The notice as it will be kept (trimmed), or ``InvalidInput`` if too long."""
    cleaned = text.strip()
    if len(cleaned) > MAX_NOTICE:
        raise InvalidInput(
            f"The privacy notice is {len(cleaned):,} characters long: keep it to "
            f"{MAX_NOTICE:,} so that it fits on every document.",
            field="privacy_notice",
        )
    return cleaned


def notice_text(custom: str, authority_name: str) -> str:
    """The notice to print: the authority's own wording, or the default naming it."""
    cleaned = custom.strip()
    if cleaned:
        return cleaned
    return DEFAULT_NOTICE.format(authority=authority_name.strip() or "The local authority")
