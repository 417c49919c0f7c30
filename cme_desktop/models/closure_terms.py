"""The vocabularies of closing a case under the 2024 Regulations, in the law's own order.

- ``DELETION_GROUNDS``: the grounds of regulation 9(1) of The School Attendance
  (Pupil Registration) (England) Regulations 2024 (SI 2024/208) on which a school
  deletes a pupil of compulsory school age from its admission register. The key is
  the paragraph letter, as a school's deletion return gives it; the label is a
  short paraphrase, the help the conditions. Grounds (a) to (e) follow the text of
  regulation 9(1) on legislation.gov.uk; the text of (f) to (o) could not be read,
  and their letters and labels follow a local authority's 2024 deletion return form
  (Torbay Council), to be checked against
  https://www.legislation.gov.uk/uksi/2024/208/regulation/9 (``docs/closures.md``).
- ``UNTRACEABLE_ENQUIRIES``: the enquiries the DfE's statutory guidance
  "Children missing education" (September 2016, "Making reasonable enquiries")
  expects before a child is treated as untraceable.
- ``TWENTY_DAY_CHECKS``: the joint reasonable enquiries by the school and the
  authority that ground 9(1)(i) ("20 school days") needs.
"""

from __future__ import annotations

from cme_desktop.models.vocabularies import Term

#: Regulation 9(1) of SI 2024/208: the grounds for deleting a pupil of compulsory school age.
DELETION_GROUNDS: tuple[Term, ...] = (
    Term(
        "a",
        "9(1)(a) Registered at another school",
        "Unless a school attendance order names this school, the pupil is a mobile child "
        "and this is their main school, or registration at more than one school was agreed.",
    ),
    Term(
        "b",
        "9(1)(b) Nursery education completed, not expected to attend again",
        "Admitted for nursery education, completed it, and would move up to reception or a "
        "higher class here; no reasonable grounds to think the pupil will attend again.",
    ),
    Term(
        "c",
        "9(1)(c) Also registered at other schools, which consented to the deletion",
        "No reasonable grounds to think the pupil will attend again; no school attendance "
        "order names this school; not a mobile child whose main school this is.",
    ),
    Term(
        "d",
        "9(1)(d) School attendance order amended by the authority to name another school",
    ),
    Term(
        "e",
        "9(1)(e) School attendance order revoked: suitable education arranged otherwise",
        "Revoked by the authority because arrangements were made for the pupil to receive "
        "suitable education otherwise than at school.",
    ),
    Term(
        "f",
        "9(1)(f) Parent notified in writing: to be educated otherwise than at school",
        "Elective home education.",
    ),
    Term("g", "9(1)(g) No longer lives within a reasonable distance of the school"),
    Term("h", "9(1)(h) Not returned after a leave of absence"),
    Term(
        "i",
        "9(1)(i) Continuously absent for 20 school days or more",
        "Absence not authorised; no reasonable grounds to think sickness or an unavoidable "
        "cause keeps the pupil away; the school and the authority, after jointly making "
        "reasonable enquiries, cannot find where the pupil is.",
    ),
    Term("j", "9(1)(j) Detained under a sentence of detention"),
    Term("k", "9(1)(k) The pupil has died"),
    Term("l", "9(1)(l) Will be over compulsory school age, not continuing into the sixth form"),
    Term("m", "9(1)(m) Boarder at a maintained school or academy: boarding fees not paid"),
    Term("n", "9(1)(n) Ceased to be a pupil of an independent or non-maintained special school"),
    Term("o", "9(1)(o) Permanently excluded from the school"),
)
DELETION_GROUND_KEYS: frozenset[str] = frozenset(t.key for t in DELETION_GROUNDS)
#: The "20 school days" ground, which has its own checklist on the case.
TWENTY_DAYS_GROUND = "i"

#: What a school return is: a deletion return or a new pupil return (regulation 13).
RETURN_KINDS: tuple[Term, ...] = (
    Term("deletion", "Deletion return (regulation 13(4))"),
    Term("new_pupil", "New pupil return (regulation 13(1))"),
)

#: The enquiries before a child is untraceable (CME statutory guidance 2016).
UNTRACEABLE_ENQUIRIES: tuple[Term, ...] = (
    Term("school", "Last school", "Whereabouts, contacts, destination, siblings and friends."),
    Term("family_address", "Family and last address", "Relatives, neighbours, a visit."),
    Term("other_authorities", "Other local authorities", "Where the family may have gone."),
    Term("health", "Health services", "GP, school nursing, health visiting."),
    Term("police", "Police"),
    Term("social_care", "Children's social care", "Including early help."),
    Term("housing", "Housing", "Council housing, landlords, council tax."),
    Term("dwp_hmrc", "DWP / HMRC", "Through the authority's data-sharing arrangements."),
    Term("s2s", "School to School (S2S)", "A search for the pupil's Common Transfer File."),
)
UNTRACEABLE_ENQUIRY_KEYS: tuple[str, ...] = tuple(t.key for t in UNTRACEABLE_ENQUIRIES)

#: Where an untraceable child's case was passed on.
PASSED_ON_TO: tuple[Term, ...] = (
    Term("", "Not passed on"),
    Term("lost_pupils_database", "Lost pupils database (S2S)"),
    Term("other_authority", "Another local authority"),
)
PASSED_ON_KEYS: frozenset[str] = frozenset(t.key for t in PASSED_ON_TO)

#: Ground 9(1)(i): the checks, each made by the school or by the authority.
TWENTY_DAY_CHECKS: tuple[Term, ...] = (
    Term(
        "absence_confirmed",
        "School: 20 or more school days' continuous unauthorised absence "
        "confirmed (codes G, N or O throughout)",
    ),
    Term(
        "no_sickness_cause",
        "School: no reasonable grounds to think sickness or an "
        "unavoidable cause keeps the pupil away",
    ),
    Term("school_contacts", "School: parents, emergency contacts, siblings and friends contacted"),
    Term("la_home_visit", "Authority: visit to the last known address"),
    Term("la_checks", "Authority: checks with other agencies and authorities"),
    Term("joint_conclusion", "School and authority: jointly agree the pupil cannot be found"),
)
TWENTY_DAY_CHECK_KEYS: tuple[str, ...] = tuple(t.key for t in TWENTY_DAY_CHECKS)

#: The two checklists kept on a case, by their stored name.
CHECKLISTS: dict[str, tuple[Term, ...]] = {
    "untraceable": UNTRACEABLE_ENQUIRIES,
    "twenty_days": TWENTY_DAY_CHECKS,
}
