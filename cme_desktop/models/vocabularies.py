"""The policy's vocabularies, held once, in the policy's own wording.

Every label the application shows for a tracking step, a reason, a group,
a question or an indicator comes from here. Keys are stable identifiers
stored in the database; labels are what the officer reads. Section numbers
refer to ``cme-policy-procedures.txt`` (Version 2, amended July 2016).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Term:
    """One entry of a vocabulary: a stable key and the policy's wording."""

    key: str
    label: str
    help: str = ""


def _index(terms: tuple[Term, ...]) -> dict[str, Term]:
    return {t.key: t for t in terms}


def label_of(terms: tuple[Term, ...], key: str | None) -> str:
    """The label for ``key`` in ``terms``, or ``""`` for ``None``/unknown keys."""
    if key is None:
        return ""
    for t in terms:
        if t.key == key:
            return t.label
    return key


# --- 3.0 the key processes for tracking children missing education ---------

TRACKING_STEPS: tuple[Term, ...] = (
    Term("receive", "Receive information about a child / young person"),
    Term("check_place", "Check if place of education is already known"),
    Term("log", "Log / record details"),
    Term("locate", "Locate and contact family"),
    Term("home_visit", "Conduct a home visit, if appropriate"),
    Term("needs", "Determine the child / young person's needs – if appropriate"),
    Term("provision", "Identify & access available provision & places"),
    Term("monitor", "Monitor attendance"),
    Term("track", "Track child / young person"),
)
TRACKING_STEP_KEYS: tuple[str, ...] = tuple(t.key for t in TRACKING_STEPS)


def step_number(key: str) -> int:
    """1-based position of a tracking step."""
    return TRACKING_STEP_KEYS.index(key) + 1


# --- 4.0 ways children fall out of education -------------------------------

REASONS_MISSING: tuple[Term, ...] = (
    Term("never_entered", "Fail to start appropriate provision and hence never enter the system"),
    Term("ceased", "Cease to attend, due to 'illegal' exclusion or withdrawal"),
    Term(
        "failed_transition",
        "Fail to complete a transition between providers",
        "e.g. being unable to find a suitable school place after moving to a new local "
        "authority area, or after leaving a custodial establishment",
    ),
)

# --- 4.0 life events that put children more at risk, and 4.1 other groups --

AT_RISK_GROUPS: tuple[Term, ...] = (
    Term("offences", "Have committed offences"),
    Term("refuges", "Live in women's refuges"),
    Term(
        "homeless",
        "From homeless families, perhaps living in temporary accommodation, house of "
        "multiple occupancy or Bed and Breakfast",
    ),
    Term("runaways", "Young runaways"),
    Term("medical", "With long term medical or emotional problems"),
    Term("substance", "Affected by substance misuse"),
    Term("unaccompanied_asylum", "Unaccompanied asylum seekers"),
    Term("refugee_families", "From refugee and asylum seeking families"),
    Term(
        "new_immigrant",
        "In new immigrant families, who are not yet established in the UK and may not "
        "have fixed addresses",
    ),
    Term("trafficked", "Have been trafficked to, or within the UK"),
    Term("public_care", "In public care"),
    Term("privately_fostered", "Privately fostered"),
    Term("young_carers", "Young carers"),
    Term("teenage_mothers", "Teenage mothers"),
    Term(
        "permanently_excluded",
        "Permanently excluded from school",
        "particularly those excluded illegally, e.g. for problematic behaviour or offending",
    ),
)

VULNERABLE_GROUPS: tuple[Term, ...] = (
    Term(
        "service",
        "Service children",
        "They are likely to experience high mobility both in and outside the UK.",
    ),
    Term(
        "traveller",
        "Traveller children",
        "At times the high mobility of these children means they can be at risk of going "
        "missing from education.",
    ),
    Term(
        "excluded",
        "Excluded pupils",
        "Some pupils may be unofficially excluded which is illegal and this will need to be "
        "challenged by the Local Authority.",
    ),
)

#: Every group a case can be tagged with (4.0 then 4.1), for forms and reports.
ALL_GROUPS: tuple[Term, ...] = AT_RISK_GROUPS + VULNERABLE_GROUPS

# --- 5.0 police involvement ------------------------------------------------

POLICE_QUESTIONS: tuple[Term, ...] = (
    Term(
        "past_suspicions",
        "Have there been suspicions in the past concerning this child / young person & "
        "family which together with the sudden disappearance are worrying?",
    ),
    Term(
        "older_associates",
        "Have there been any past concerns about the child / young person associating with "
        "significantly older young people or adults?",
    ),
    Term(
        "significant_incident",
        "Was there a significant incident prior to the child / young person's unexplained absence?",
    ),
    Term(
        "victim_of_crime",
        "Is there a good reason to believe that the child / young person's absence may be "
        "the result of being the victim of a crime?",
    ),
)

#: The policy's examples under 5.0, shown as prompts beside the questions.
POLICE_EXAMPLES: tuple[str, ...] = (
    "Is this very sudden & unexpected behaviour?",
    "Has the child / young person gone missing with their family?",
    "Has the child / young person gone missing without their family?",
    "Is there any health, religious or cultural reason to believe that the child / young "
    "person is at risk of harm?",
)

# --- 6.0 social care involvement -------------------------------------------

SOCIAL_CARE_QUESTIONS: tuple[Term, ...] = (
    Term(
        "protection_plan",
        "Is the child/young person the subject of a child protection plan (on the child "
        "protection register)?",
    ),
    Term("in_care", "Is the child / young person in the care of the local authority?"),
    Term("involvement", "Is there social care involvement?"),
)

# --- 8.1 identification ----------------------------------------------------

IDENTIFICATION_ROUTES: tuple[Term, ...] = (
    Term("notification", "Notification from an individual and/or agency"),
    Term(
        "pupil_database",
        "Reports from the pupil database, identifying children known to the Local Authority "
        "without a school place",
    ),
)

# --- 2.1 partner agencies --------------------------------------------------

RELEVANT_PARTNER_AGENCIES: tuple[Term, ...] = (
    Term("schools", "All Schools and alternative providers"),
    Term("childrens_social_care", "Children's Social Care"),
    Term("adult_social_care", "Adult Social Care"),
    Term("health", "Health"),
    Term("police", "Police"),
    Term("youth_offending", "Youth Offending"),
    Term("housing", "Housing"),
)
OTHER_PARTNER_AGENCIES: tuple[Term, ...] = (
    Term("inland_revenue", "Inland Revenue"),
    Term("prospects", "Prospects"),
    Term("youth_services", "Youth Services (Statutory & Voluntary)"),
    Term("uk_border_agency", "UK Border Agency"),
    Term("voluntary_community", "Voluntary & Community Organisations"),
)
PARTNER_AGENCIES: tuple[Term, ...] = (
    RELEVANT_PARTNER_AGENCIES
    + OTHER_PARTNER_AGENCIES
    + (
        Term("other_local_authority", "Another Local Authority"),
        Term("individual", "An individual (parent, relative, member of the public)"),
    )
)

# --- Appendix A: Action to be Taken by Referrer ----------------------------

REFERRER_ACTIONS: tuple[Term, ...] = (
    Term(
        "whereabouts_checked",
        "Check possible whereabouts with staff, siblings, friends & other pupils",
    ),
    Term(
        "family_contacted",
        "Contact any known extended family and/or emergency contact numbers",
    ),
    Term(
        "address_visited",
        "Complete a visit to last known address",
        "Check visible signs of property being occupied, checks with neighbours etc. Please "
        "include any additional & relevant information about the child or family (E.g known "
        "agencies with involvement & names of contacts)",
    ),
)

# --- Appendix A: Vulnerabilities, Warning Signs & Risk Indicators ----------

RISK_INDICATORS: tuple[Term, ...] = (
    Term("1", "History of Local Authority Care (LAC)"),
    Term("2", "Goes Missing from Home/Care"),
    Term(
        "3",
        "Exclusion and/or unexplained absences from school (or not engaged in education, "
        "employment or training)",
    ),
    Term("4", "Social and/or Learning difficulties"),
    Term(
        "5",
        "Low self-esteem / Self-harm requiring medical treatment / Eating Disorders / "
        "Emotional Health Issues (Including anxiety related issues, suicidal thoughts)",
    ),
    Term("6", "History of Being Bullied or Being a Bully"),
    Term("7", "Drug and/or Alcohol Misuse (or a history of)"),
    Term("8", "Involvement in Criminal Activities (Possible offending patterns in the family)"),
    Term("9", "At Risk of Child Sexual Exploitation (CSE) (known or suspected)"),
    Term("10", "Whereabouts Unknown (or unclear) - whether day or night"),
    Term("11", "Displaying Inappropriate Sexualised Behaviours"),
    Term(
        "12",
        "Aggressive Behaviour Towards Others (sometimes leading to fixed term exclusions)",
    ),
    Term(
        "13",
        "Breakdown of Living and/or Family Relationships (sometimes leading to staying out "
        "overnight)",
    ),
    Term("14", "Gang Member or Association"),
    Term("15", "History of abuse/neglect"),
    Term("16", "History of domestic abuse/violence"),
    Term("17", "History of mental health difficulties"),
    Term("18", "History of sexual, physical and/or emotional abuse"),
    Term("19", "Isolated from peers/social networks (not mixing with their usual friends)"),
    Term("20", "Evidence of Poverty and/or Deprivation"),
)
RISK_INDICATOR_KEYS: tuple[str, ...] = tuple(t.key for t in RISK_INDICATORS)

#: The serious indicators: CSE, whereabouts unknown, goes missing, abuse.
SERIOUS_INDICATORS: frozenset[str] = frozenset({"2", "9", "10", "15", "18"})
#: Indicators that call for a lone-working warning on a home-visit sheet.
VISIT_SAFETY_INDICATORS: frozenset[str] = frozenset({"12", "14", "16"})
WHEREABOUTS_UNKNOWN = "10"

RISK_TIMINGS: tuple[Term, ...] = (Term("current", "Current"), Term("historic", "Historic"))

# --- Appendix A: the form's own headings and column labels -----------------

ACTIONS_HEADING = "Action to be Taken by Referrer"
INDICATORS_INTRO = (
    "Please complete the table below. Indicate as appropriate and mark whether the "
    "indicators are current or historic"
)
INDICATOR_COLUMNS: tuple[str, ...] = (
    "No",
    "Vulnerabilities, Warning Signs & Risk Indicators (for the child and/or family)",
    "Yes or No?",
    "Current / Historic (C/H?)",
)
ASSESSMENT_HEADING = "Referrer Assessment"
ASSESSMENT_INTRO = (
    "(The Vulnerabilities, Warning Signs & Risk Indicators above should help inform your "
    "professional judgement when completing the final section of this referral form)"
)
REFERRER_HEADING = "Referrer's Details"

# --- Appendix A: the two safeguarding questions and the assessment ----------

SOCIAL_CARE_REFERRAL_QUESTION = (
    "Based on the above indicators, if there are any safeguarding concerns or worries, have "
    "you considered a referral to Social Care?"
)
PARENTAL_CONSENT_QUESTION = "If so, have you gained consent from parents?"

ASSESSMENT_QUESTIONS: tuple[Term, ...] = (
    Term(
        "working_well",
        "What do you think is working well?",
        "Include protective factors: people, situations & actions that contribute to the "
        "wellbeing of the child & to plans about how they could be made safe; actions already "
        "being taken to make sure the child is safe.",
    ),
    Term(
        "worried_about",
        "What are you worried about?",
        "Include risk factors, whether they are suffering or likely to suffer significant "
        "harm: harm – actual hurt, injury or abuse (likely) caused by adults in the past or "
        "present; risk taking behaviour by the child.",
    ),
    Term(
        "next_steps",
        "What do you think needs to happen next?",
        "Please use your professional judgement to reflect upon the indicators you have ticked "
        "above and consider the health, welfare and safety of the child in question. This is "
        "the initial plan and should include what outcomes you are hoping are achieved and by "
        "when.",
    ),
)

# --- the case record's own vocabularies ------------------------------------

CASE_STATUSES: tuple[Term, ...] = (Term("open", "Open"), Term("closed", "Closed"))

CLOSING_OUTCOMES: tuple[Term, ...] = (
    Term("on_roll", "On roll at a school"),
    Term("alternative_provision", "Receiving education in alternative provision"),
    Term("moved_out", "Moved out of the authority (notified to the new authority)"),
    Term("ehe", "Electively home educated"),
    Term("left_country", "Left the country"),
    Term("over_age", "Reached the end of compulsory school age"),
    Term("not_cme", "Not missing education (place already known)"),
    Term("untraceable", "Untraceable after all enquiries"),
    Term("deceased", "Deceased"),
)

TIMELINE_KINDS: tuple[Term, ...] = (
    Term("note", "Note"),
    Term("phone", "Phone call"),
    Term("contact", "Contact"),
    Term("email", "Email"),
    Term("letter", "Letter"),
    Term("visit", "Home visit"),
    # Written by the program as things happen (a referral imported, an export sent, a case
    # closed): the officer neither adds, edits nor deletes these.
    Term("system", "Recorded automatically"),
)
#: Timeline kinds the officer writes herself.
OFFICER_TIMELINE_KINDS = tuple(t for t in TIMELINE_KINDS if t.key != "system")

VISIT_OUTCOMES: tuple[Term, ...] = (
    Term("seen", "Child seen"),
    Term("family_seen", "Family seen, child not seen"),
    Term("no_reply_occupied", "No reply – property appears occupied"),
    Term("no_reply_vacant", "No reply – property appears vacant"),
    Term("moved", "Family have moved away"),
    Term("refused", "Refused to engage"),
)

ESCALATION_DECISIONS: tuple[Term, ...] = (
    Term("refer_police", "Refer to the Police"),
    Term("refer_social_care", "Liaise with and/or refer to Children's Social Care (Access Team)"),
    Term(
        "refer_both",
        "Refer to the Police and liaise with and/or refer to Children's Social Care",
    ),
    Term("no_escalation", "No escalation"),
)

INDEX = {
    "tracking_steps": _index(TRACKING_STEPS),
    "reasons_missing": _index(REASONS_MISSING),
    "groups": _index(ALL_GROUPS),
    "police_questions": _index(POLICE_QUESTIONS),
    "social_care_questions": _index(SOCIAL_CARE_QUESTIONS),
    "identification_routes": _index(IDENTIFICATION_ROUTES),
    "partner_agencies": _index(PARTNER_AGENCIES),
    "referrer_actions": _index(REFERRER_ACTIONS),
    "risk_indicators": _index(RISK_INDICATORS),
    "closing_outcomes": _index(CLOSING_OUTCOMES),
    "timeline_kinds": _index(TIMELINE_KINDS),
    "visit_outcomes": _index(VISIT_OUTCOMES),
    "escalation_decisions": _index(ESCALATION_DECISIONS),
}
