"""The vocabularies of the children-not-in-school register (Education Act 1996 s.436B–436G).

Keys are kept in the vault and exchanged (``cme-register/1``): they never change;
labels may. Where the Act leaves a list to regulations (the arrangements under which
a registered pupil educated elsewhere is on the register, the optional prescribed
information), the list here is the default a council can change in Settings
(``services.register.config``).
"""

from __future__ import annotations

from cme_desktop.models.vocabularies import Term

#: ``cases.cohort``: which record a child's row holds.
COHORTS: tuple[Term, ...] = (
    Term("cme", "Children missing education"),
    Term("cnis", "Children not in school"),
    Term("both", "Both"),
)

ENTRY_STATUSES: tuple[Term, ...] = (
    Term("on", "On the register"),
    Term("off", "Taken off the register"),
)

#: Whether the child lives in the authority's area (s.436B(1)).
LIVES_IN_AREA: tuple[Term, ...] = (
    Term("yes", "Yes"),
    Term("no", "No"),
    Term("unknown", "Not known"),
)

#: The child's school registration, for s.436B(1)(b)–(c).
SCHOOL_STATUSES: tuple[Term, ...] = (
    Term("not_registered", "Not a registered pupil at any school"),
    Term(
        "registered_elsewhere",
        "Registered pupil, educated elsewhere by arrangement",
        "Flexi-schooling, off-site or part-time education, section 19 provision, "
        "education otherwise than at school: the arrangements regulations prescribe.",
    ),
    Term("registered", "Registered pupil, educated at the school"),
    Term("unknown", "Not known"),
)

#: Default arrangements (s.436B(1)(c), to be prescribed by regulations; configurable).
ARRANGEMENTS: tuple[Term, ...] = (
    Term("flexi", "Flexi-schooling (part at school, part at home)"),
    Term("off_site", "Educated off-site (alternative provision arranged by the school)"),
    Term("part_time", "Part-time timetable"),
    Term("s19", "Section 19 provision (education arranged by the authority)"),
    Term("eotas", "Education otherwise than at school (EHC plan)"),
)

#: Why a child left the register.
LEFT_REASONS: tuple[Term, ...] = (
    Term("school_place", "Registered pupil at a school, educated there"),
    Term("moved_away", "No longer lives in the area"),
    Term("over_age", "No longer of compulsory school age"),
    Term("not_eligible", "Found not to be eligible"),
    Term("to_cme", "Education stopped: missing education"),
    Term("deceased", "Deceased"),
    Term("other", "Other"),
)

#: Who else provides the child's education (s.436C(2)(d)).
PROVIDER_KINDS: tuple[Term, ...] = (
    Term("tutor", "Private tutor"),
    Term("online_school", "Online school"),
    Term("tuition_centre", "Tuition centre"),
    Term("alternative_provision", "Alternative provision"),
    Term("college", "College or further education"),
    Term("out_of_school_setting", "Out-of-school setting"),
    Term("other", "Other"),
)

#: Where a provider educates the child (s.436C(2)(d)(iii)).
PROVIDER_MODES: tuple[Term, ...] = (
    Term("in_person", "In person"),
    Term("online", "Online"),
    Term("both", "In person and online"),
)

#: What is recorded on a child's register history (``RegisterEvent.kind``).
EVENT_KINDS: tuple[Term, ...] = (
    Term("joined", "Joined the register"),
    Term("left", "Left the register"),
    Term("parent_notification", "Parent's notification received (s.436D)"),
    Term("parent_change", "Parent's notice of a change received (s.436D)"),
    Term("provider_information", "Provider's information received (s.436E)"),
    Term("removal_notice", "School's notice of removal for home education"),
    Term("visit_requested", "Home visit requested"),
    Term("visit_done", "Home visit done"),
    Term("visit_refused", "Home visit refused"),
    Term("information_requested", "Information requested from a parent (s.436D)"),
    Term("provider_requested", "Information requested from a provider (s.436E)"),
    Term("information_not_given", "Information not given"),
    Term("sao_notice", "Notice before a school attendance order (s.437(1))"),
    Term("sao_served", "School attendance order served"),
    Term("to_cme", "Education stopped: CME case opened"),
    Term("from_cme", "Moved from the CME record to the register"),
    Term("letter", "Letter sent"),
)
#: Event kinds the officer records herself (the others are written as things happen).
OFFICER_EVENT_KINDS: tuple[Term, ...] = tuple(
    t for t in EVENT_KINDS if t.key not in {"joined", "left", "to_cme", "from_cme", "letter"}
)

#: Default optional prescribed information (s.436C(3)): key, label; configurable.
OPTIONAL_FIELDS: tuple[Term, ...] = (
    Term("ethnicity", "Ethnicity"),
    Term("religion", "Religion or belief"),
    Term("disability", "Disability"),
    Term("sen", "Special educational needs"),
    Term("ehc_plan", "Education, health and care plan"),
    Term("child_protection", "Child protection plan"),
    Term("child_in_need", "Child in need"),
    Term("looked_after", "Looked-after child"),
    Term("eligibility_reason", "Reason for being on the register"),
)
