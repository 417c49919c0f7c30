"""A child only on the register of children not in school has no CME case to work.

A ``cases`` row of cohort ``cnis`` holds a register child who was never a CME case
(``models.register``): it opens and closes with the register (``register.entry``), and
the CME actions — closing or reopening the case with a CME outcome, the nine tracking
steps — have nothing to act on. The case service refuses them with ``register_only_message``,
the words the workspace shows where it leaves those actions out. A child whose
education stops is brought into CME from the Register tab (``RegisterService.education_stopped``:
cohort ``both``, both histories kept), and the actions apply from then on.
"""

from __future__ import annotations

from cme_desktop.services.errors import InvalidInput

__all__ = ["REGISTER_ONLY", "refuse_if_register_only", "register_only_message"]

#: The cohort of a child only on the register (``cases.cohort``).
REGISTER_ONLY = "cnis"


def register_only_message(what: str = "These actions are") -> str:
    """Why the CME actions are not offered for a child only on the register; ``what`` is
    the action and its verb ("Closing a case is")."""
    return (
        f"{what} for CME cases. This child is only on the register of children not in "
        "school, with no CME case: they join and leave it on the Register tab. If their "
        "education has stopped, open a CME case there (Education stopped…); the register's "
        "history is kept."
    )


def refuse_if_register_only(cohort: str, what: str) -> None:
    """``InvalidInput`` when ``cohort`` is that of a child only on the register."""
    if cohort == REGISTER_ONLY:
        raise InvalidInput(register_only_message(what))
