"""The DfE return as a CSV file in the collection's layout, and the check it must pass.

One row per figure, in the long layout of the DfE's published CME statistics
(a topic, a breakdown, a count): ``docs/dfe-return.md`` gives the columns, the
codes and their sources. The EHE half of the collection is written as ``x`` (not
collected): this authority does not keep an EHE register in this application yet,
and a zero would say there were no home-educated children.

``validate_return_csv`` checks a file's columns, codes and totals; ``return_csv``
runs it on what it wrote and refuses to hand back a file that fails, and the tests
run it on every return they make.
"""

from __future__ import annotations

import contextlib
import csv
import io
import re
from datetime import date

from cme_desktop.services.errors import ReturnBlocked
from cme_desktop.services.reports import dfe_codes as codes
from cme_desktop.services.reports.dfe_return import DfeReturn
from cme_desktop.services.reports.periods import academic_year_before

COLUMNS = (
    "collection",
    "la_number",
    "census_date",
    "breakdown_topic",
    "breakdown_code",
    "breakdown",
    "child_count",
)
NOT_COLLECTED = "x"
TOTAL, SEX, YEAR, LENGTH, REASON, PREVIOUS = (
    "Total",
    "Sex",
    "Year group",
    "Length of time missing",
    "Primary reason",
    "Previous academic year",
)
#: The CME breakdowns: topic -> (code, label) in the order written.
CME_TOPICS: dict[str, tuple[tuple[str, str], ...]] = {
    TOTAL: (("TOTAL", "Total"),),
    SEX: codes.RETURN_SEXES,
    YEAR: codes.YEAR_GROUPS,
    LENGTH: tuple((b.key, b.label) for b in codes.BANDS),
    REASON: tuple((t.key, t.label) for t in codes.DFE_REASONS),
}
#: Topics whose counts must add up to the total.
SUMMED = (SEX, YEAR, LENGTH, REASON)
_LA = re.compile(r"[0-9]{3}")


def _previous_row(census: date) -> tuple[str, str]:
    label = academic_year_before(census).label
    return label, f"Missing education at any point in {label}"


def return_csv(ret: DfeReturn) -> str:
    """The return as CSV text; ``ReturnBlocked`` if it is not ready or fails its own check."""
    if not ret.la_number:
        raise ReturnBlocked(
            "The DfE return needs the authority's LA number: set it in Settings first.",
            problems=("no LA number in Settings",),
        )
    if ret.blockers:
        shown = "; ".join(b.text for b in ret.blockers[:3])
        more = f"; and {len(ret.blockers) - 3} more" if len(ret.blockers) > 3 else ""
        raise ReturnBlocked(
            f"The DfE return is not ready: {len(ret.blockers)} counted case(s) need details "
            f"first: {shown}{more}.",
            problems=tuple(b.text for b in ret.blockers),
        )
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    head = (ret.la_number, ret.census_date.isoformat())
    counts: dict[str, dict[str, int]] = {
        TOTAL: {"TOTAL": ret.missing_total},
        SEX: dict(ret.count("sex")),
        YEAR: dict(ret.count("year")),
        LENGTH: dict(ret.count("band")),
        REASON: dict(ret.count("reason")),
    }
    for topic, pairs in CME_TOPICS.items():
        for code, label in pairs:
            writer.writerow(("CME", *head, topic, code, label, counts[topic].get(code, 0)))
    code, label = _previous_row(ret.census_date)
    writer.writerow(("CME", *head, PREVIOUS, code, label, ret.previous_year_total))
    writer.writerow(
        ("EHE", *head, TOTAL, "TOTAL", "Total (not kept by this authority)", NOT_COLLECTED)
    )
    ehe_label = f"Home educated at any point in {code} (not kept by this authority)"
    writer.writerow(("EHE", *head, PREVIOUS, code, ehe_label, NOT_COLLECTED))
    text = out.getvalue()
    problems = validate_return_csv(text)
    if problems:
        raise ReturnBlocked(
            "The DfE return did not pass its own check, so it was not written: " + problems[0],
            problems=tuple(problems),
        )
    return text


def validate_return_csv(text: str) -> list[str]:
    """What is wrong with a DfE return CSV: columns, codes, counts, totals (``[]``: nothing)."""
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    if not rows or tuple(rows[0]) != COLUMNS:
        return ["the first row must be the column names: " + ",".join(COLUMNS)]
    problems: list[str] = []
    seen: dict[tuple[str, str, str], int | str] = {}
    las, days = set(), set()
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != len(COLUMNS):
            problems.append(f"row {number}: {len(row)} cells, expected {len(COLUMNS)}")
            continue
        collection, la, census, topic, code, _label, count = row
        las.add(la)
        days.add(census)
        where = f"row {number} ({collection} {topic} {code})"
        if collection not in {"CME", "EHE"}:
            problems.append(f"row {number}: unknown collection '{collection}'")
            continue
        known = dict(CME_TOPICS) if collection == "CME" else {TOTAL: CME_TOPICS[TOTAL]}
        if topic != PREVIOUS and (topic not in known or code not in {c for c, _ in known[topic]}):
            problems.append(f"{where}: not a code of the return")
            continue
        if (collection, topic, code) in seen:
            problems.append(f"{where}: appears twice")
            continue
        value: int | str
        if count.isdigit():
            value = int(count)
        elif collection == "EHE" and count == NOT_COLLECTED:
            value = count
        else:
            problems.append(f"{where}: '{count}' is not a count")
            continue
        seen[(collection, topic, code)] = value
    if len(las) > 1 or not all(_LA.fullmatch(la) for la in las):
        problems.append("every row must carry the same three-digit LA number")
    census_day: date | None = None
    if len(days) == 1:
        with contextlib.suppress(ValueError):
            census_day = date.fromisoformat(next(iter(days)))
    if census_day is None:
        problems.append("every row must carry the same census date, as YYYY-MM-DD")
    problems += _check_cme(seen, census_day)
    return problems


def _check_cme(seen: dict[tuple[str, str, str], int | str], census: date | None) -> list[str]:
    problems = []
    for topic, pairs in CME_TOPICS.items():
        absent = [code for code, _ in pairs if ("CME", topic, code) not in seen]
        if absent:
            problems.append(f"CME {topic}: no row for {', '.join(absent)}")
    total = seen.get(("CME", TOTAL, "TOTAL"))
    if isinstance(total, int):
        for topic in SUMMED:
            counts = [v for (c, t, _), v in seen.items() if c == "CME" and t == topic]
            added = sum(v for v in counts if isinstance(v, int))
            if added != total:
                problems.append(f"CME {topic}: the rows add up to {added}, not the total {total}")
    previous = [code for (c, t, code) in seen if c == "CME" and t == PREVIOUS]
    if len(previous) != 1:
        problems.append("CME: one row for the previous academic year is needed")
    elif census is not None and previous[0] != _previous_row(census)[0]:
        problems.append(
            f"CME previous academic year: '{previous[0]}' is not the year before the census "
            f"date ({_previous_row(census)[0]})"
        )
    return problems
