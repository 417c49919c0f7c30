"""Synthetic people, places and wording for the demo cases (Faker ``en_GB``).

Never real people: names, streets, towns, schools and telephone numbers are
drawn once into pools and combined at random, which is fast enough for
100,000 cases.
"""

from __future__ import annotations

import random
from datetime import date
from typing import Any

from faker import Faker

from cme_desktop.models import vocabularies as vocab

ETHNICITIES = (
    "White - British",
    "White - Irish",
    "White - Gypsy/Roma",
    "Traveller of Irish heritage",
    "White - any other White background",
    "Mixed - White and Black Caribbean",
    "Mixed - White and Asian",
    "Asian or Asian British - Indian",
    "Asian or Asian British - Pakistani",
    "Asian or Asian British - Bangladeshi",
    "Black or Black British - Caribbean",
    "Black or Black British - African",
    "Chinese",
    "Any other ethnic group",
    "Not known",
)
SCHOOL_KINDS = (
    "Primary School",
    "Church of England Primary School",
    "Academy",
    "High School",
    "Community College",
    "Junior School",
    "Infant School",
)
NOTES = (
    "Spoke to school office; child not seen since date last attended.",
    "Neighbour believes family moved away in the summer.",
    "Mother called back, child staying with grandparents.",
    "Checked pupil database: no roll found in another authority.",
    "Emailed Admissions about in-year application.",
    "Health visitor has no recent contact.",
)


class Pools:
    """Names, places and schools drawn once, then combined at random (fast)."""

    def __init__(self, fake: Faker) -> None:
        self.first_f = [fake.first_name_female() for _ in range(400)]
        self.first_m = [fake.first_name_male() for _ in range(400)]
        self.last = [fake.last_name() for _ in range(800)]
        self.streets = [fake.street_address() for _ in range(3000)]
        self.towns = [fake.city() for _ in range(300)]
        self.postcodes = [fake.postcode() for _ in range(3000)]
        self.phones = [fake.phone_number() for _ in range(2000)]
        self.schools = sorted({f"{fake.city()} {random.choice(SCHOOL_KINDS)}" for _ in range(250)})
        self.officers = [fake.name() for _ in range(12)]
        self.referrers = [fake.name() for _ in range(200)]


def random_address(rng: random.Random, pools: Pools) -> str:
    """A street, town and postcode, one a line."""
    return f"{rng.choice(pools.streets)}\n{rng.choice(pools.towns)}\n{rng.choice(pools.postcodes)}"


def referral_form(
    rng: random.Random, case: dict[str, Any], pools: Pools, carers: str, phone: str, received: date
) -> dict[str, Any]:
    """The referral (schema ``cme-referral/1``) that might have come in for ``case``."""
    indicators: dict[str, dict[str, Any]] = {}
    for key in vocab.RISK_INDICATOR_KEYS:
        present = rng.random() < 0.18
        indicators[key] = {
            "present": present,
            "timing": (rng.choice(("current", "historic")) if present else None),
        }
    if case["whereabouts_unknown"]:
        indicators[vocab.WHEREABOUTS_UNKNOWN] = {"present": True, "timing": "current"}
    dob = case["date_of_birth"]
    return {
        "schema": "cme-referral/1",
        "children": [
            {
                "full_name": case["full_name"],
                "aka": case["aka"],
                "date_of_birth": dob.isoformat() if dob else None,
                "gender": case["gender"],
                "ethnicity": case["ethnicity"],
                "sen_disability": case["sen_disability"],
                "child_in_care": case["child_in_care"],
                "upn": case["upn"] or None,
            }
        ],
        "last_known_address": case["last_known_address"],
        "parents_carers": carers,
        "telephone": phone,
        "email": "",
        "school": case["school"],
        "date_last_attended": (
            case["date_last_attended"].isoformat() if case["date_last_attended"] else None
        ),
        "additional_information": rng.choice(NOTES),
        "referrer_actions": {
            key: {
                "outcome": rng.choice(("", "No reply", "Staff not aware of new school")),
                "date": None,
            }
            for key in ("whereabouts_checked", "family_contacted", "address_visited")
        },
        "risk_indicators": indicators,
        "social_care_referral_considered": rng.choice((True, False, None)),
        "parental_consent": rng.choice((True, False, None)),
        "assessment": {
            "working_well": "",
            "worried_about": rng.choice(NOTES),
            "next_steps": "Locate the family and secure a school place.",
        },
        "referrer": {
            "name": rng.choice(pools.referrers),
            "position": "Attendance Officer",
            "contact_details": rng.choice(pools.phones),
            "organisation": case["school"],
            "date_completed": received.isoformat(),
        },
    }
