"""The DfE return as a CSV file in the collection's layout, and the check it must pass.

One row per figure, in the long layout of the DfE's published CME statistics
(a topic, a breakdown, a count): ``docs/dfe-return.md`` gives the columns, the
codes and their sources. The EHE half of the collection is counted from the register
of children not in school (``dfe_ehe``); while the register is not kept here it is
written as ``x`` (not collected), as a zero would say there were no home-educated
children.

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
from cme_desktop.services.reports.dfe_codebook import DEFAULT, Codebook
from cme_desktop.services.reports.dfe_ehe import EHE_REASONS
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
# The topic names of the DfE's published ``cme_census.csv`` (docs/dfe-return.md, S6).
TOTAL, SEX, YEAR, LENGTH, REASON, PREVIOUS = (
    "Total",
    "Sex",
    "Year group",
    "Duration",
    "Reason",
    "Previous academic year",
)
#: Each CME breakdown's topic and its field in the return's figures (``Counted``).
_FIELDS = ((SEX, "sex"), (YEAR, "year"), (LENGTH, "band"), (REASON, "reason"))


def cme_topics(book: Codebook = DEFAULT) -> dict[str, tuple[tuple[str, str], ...]]:
    """The CME breakdowns: topic -> (code, label) in the order written, with the
    authority's codes (Settings > DfE return codes; retired reasons are not written)."""
    topics: dict[str, tuple[tuple[str, str], ...]] = {TOTAL: (("TOTAL", "Total"),)}
    for topic, field in _FIELDS:
        topics[topic] = tuple((e.code, e.label) for e in book.current(field))
    return topics


#: The CME breakdowns with the program's own codes.
CME_TOPICS = cme_topics()
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
    book = ret.codebook
    writer.writerow(("CME", *head, TOTAL, "TOTAL", "Total", ret.missing_total))
    for topic, field in _FIELDS:
        counts = ret.count(field)
        for entry in book.current(field):
            writer.writerow(("CME", *head, topic, entry.code, entry.label, counts[entry.key]))
    code, label = _previous_row(ret.census_date)
    writer.writerow(("CME", *head, PREVIOUS, code, label, ret.previous_year_total))
    writer.writerows(_ehe_rows(ret, head, code))
    text = out.getvalue()
    problems = validate_return_csv(text, book)
    if problems:
        raise ReturnBlocked(
            "The DfE return did not pass its own check, so it was not written: " + problems[0],
            problems=tuple(problems),
        )
    return text


def validate_return_csv(text: str, book: Codebook = DEFAULT) -> list[str]:
    """What is wrong with a DfE return CSV: columns, codes, counts, totals (``[]``: nothing).

    The codes are checked against ``book``: the authority's (``DfeCodes.load``) for a
    return it made, the program's own by default.
    """
    topics = cme_topics(book)
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
        known = topics if collection == "CME" else ehe_topics(topics)
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
    problems += _check_cme(seen, census_day, topics)
    problems += _check_ehe(seen, census_day, ehe_topics(topics))
    return problems


def ehe_topics(
    topics: dict[str, tuple[tuple[str, str], ...]],
) -> dict[str, tuple[tuple[str, str], ...]]:
    """The EHE breakdowns: the CME half's total, sex and year codes, the EHE reasons."""
    reasons = tuple((t.key, t.label) for t in EHE_REASONS)
    return {TOTAL: topics[TOTAL], SEX: topics[SEX], YEAR: topics[YEAR], REASON: reasons}


def _ehe_rows(ret: DfeReturn, head: tuple[str, str], year: str) -> list[tuple[str | int, ...]]:
    """The EHE half: counted from the register (``dfe_ehe``), or ``x`` when it is not kept
    here (a zero would say the authority has no home-educated children)."""
    ehe = ret.ehe
    if ehe is None:
        return [
            ("EHE", *head, TOTAL, "TOTAL", "Total (not kept by this authority)", NOT_COLLECTED),
            (
                "EHE",
                *head,
                PREVIOUS,
                year,
                f"Home educated at any point in {year} (not kept by this authority)",
                NOT_COLLECTED,
            ),
        ]
    rows: list[tuple[str | int, ...]] = [("EHE", *head, TOTAL, "TOTAL", "Total", ehe.total)]
    for topic, field, counts in ((SEX, "sex", ehe.sex), (YEAR, "year", ehe.year)):
        for entry in ret.codebook.current(field):
            rows.append(("EHE", *head, topic, entry.code, entry.label, counts[entry.key]))
    for term in EHE_REASONS:
        rows.append(("EHE", *head, REASON, term.key, term.label, ehe.reason[term.key]))
    label = f"Home educated at any point in {year}"
    rows.append(("EHE", *head, PREVIOUS, year, label, ehe.previous_year_total))
    return rows


def _check_ehe(
    seen: dict[tuple[str, str, str], int | str],
    census: date | None,
    topics: dict[str, tuple[tuple[str, str], ...]],
) -> list[str]:
    """The EHE half is either not collected (a total and a previous year, both ``x``) or
    counted in full: every code present, each breakdown adding up to the total."""
    rows = {(t, code): v for (c, t, code), v in seen.items() if c == "EHE"}
    previous = [code for (t, code) in rows if t == PREVIOUS]
    problems = []
    if len(previous) != 1:
        problems.append("EHE: one row for the previous academic year is needed")
    elif census is not None and previous[0] != _previous_row(census)[0]:
        problems.append(f"EHE previous academic year: '{previous[0]}' is not the year before")
    if all(v == NOT_COLLECTED for v in rows.values()):
        if set(rows) - {(TOTAL, "TOTAL"), *((PREVIOUS, code) for code in previous)}:
            problems.append("EHE: a half not collected has only its total and previous year")
        return problems
    if NOT_COLLECTED in rows.values():
        problems.append("EHE: counts and 'x' mixed; the half is counted or not collected")
        return problems
    for topic, pairs in topics.items():
        absent = [code for code, _ in pairs if (topic, code) not in rows]
        if absent:
            problems.append(f"EHE {topic}: no row for {', '.join(absent)}")
    total = rows.get((TOTAL, "TOTAL"))
    for topic in (SEX, YEAR, REASON):
        added = sum(v for (t, _), v in rows.items() if t == topic and isinstance(v, int))
        if added != total:
            problems.append(f"EHE {topic}: the rows add up to {added}, not the total {total}")
    return problems


def _check_cme(
    seen: dict[tuple[str, str, str], int | str],
    census: date | None,
    topics: dict[str, tuple[tuple[str, str], ...]],
) -> list[str]:
    problems = []
    for topic, pairs in topics.items():
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
