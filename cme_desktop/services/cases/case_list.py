"""The case list: filtering, sorting and search in SQL, rows read a page at a time.

The list window asks how many cases match (``count``) and reads the page it is
about to paint (``page``): one query each, answered from the indexes of
migration 0003 in time that does not grow with the vault, so the list is as
quick at 100,000 cases as at 1,000. On a vault, how many cases a quick filter (but
"Overdue tasks", which depends on the day) and a tracking step show, of any record or
of the CME record, is read from the counts the vault keeps (``case_counts``, migrations
0015 and 0017) rather than counted case by case. Search starts
from the FTS5 index over name, AKA, address, school and UPN; on a PostgreSQL server,
from the same words in a text-search index (migration 0001), looked up so as to find
the same cases.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from sqlalchemy import (
    Select,
    and_,
    cast,
    column,
    false,
    func,
    literal,
    literal_column,
    or_,
    select,
    table,
    text,
)
from sqlalchemy.dialects.postgresql import TSQUERY
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.types import Date

from cme_desktop.models import Case, RegisterEntry, Task
from cme_desktop.models import vocabularies as vocab
from cme_desktop.services.rules.dates import parse_uk_date
from cme_desktop.services.rules.names import strip_format
from cme_desktop.services.server.dialect import by_dialect, indexed_join, no_index
from cme_desktop.services.vault import audit
from cme_desktop.services.vault.database import UnitOfWork

QUICK_FILTERS: dict[str, str] = {
    "all": "All cases",
    "open": "Open",
    "closed": "Closed",
    "overdue": "Overdue tasks",
    "escalated": "Escalated",
    "not_visited": "Not yet visited",
    "whereabouts_unknown": "Whereabouts unknown",
}

#: The list's cohort filter (migration 0013): each key's cohorts are those shown.
COHORT_FILTERS: dict[str, str] = {
    "all": "Both (all)",
    "cme": "CME",
    "cnis": "Children not in school",
}
_COHORTS: dict[str, tuple[str, ...]] = {"cme": ("cme", "both"), "cnis": ("cnis", "both")}

#: Tasks of each kind (overdue, due today) the dashboard lists; its figures count them all.
DASHBOARD_TASKS = 200
#: A search shown in the list counts its matches up to this many (``CaseList.start``):
#: past it the officer is told "1,000+" and narrows the search, and counting the rest
#: would cost time that grows with the vault.
COUNT_CAP = 1000

SORT_KEYS = (
    "name",
    "date_of_birth",
    "address",
    "school",
    "step",
    "days_open",
    "next_task",
    "escalation",
    "id",
)
#: Sort keys of a shared server's list only: no index of the vault gives their order, and
#: a vault has no owners.
SERVER_SORT_KEYS = ("owner",)


@dataclass(frozen=True)
class CaseQuery:
    """What the officer asked the list for."""

    search: str = ""
    quick: str = "open"
    step: int | None = None
    sort: str = "name"
    descending: bool = False
    #: On a shared server, only the cases of this login ("Mine only"); ``None``: anyone's.
    owner: str | None = None
    #: Which record (``COHORT_FILTERS``): CME cases, children not in school, or both.
    cohort: str = "all"


@dataclass(frozen=True)
class ListStart:
    """What a list shows first (``CaseList.start``)."""

    #: How many cases match; with ``capped``, the cap: at least this many, and more.
    count: int
    rows: list[CaseRow]
    #: The search found more cases than the cap, and they were not all counted.
    capped: bool = False


#: The tracking step shown for a child only on the register of children not in school.
REGISTER_ONLY_STEP = "Register only"


@dataclass(frozen=True)
class CaseRow:
    """One line of the case list."""

    id: int
    full_name: str
    aka: str
    date_of_birth: date | None
    last_known_address: str
    school: str
    current_step: int
    status: str
    opened_on: date
    closed_on: date | None
    next_task_due: date | None
    escalated_police: bool
    escalated_social_care: bool
    whereabouts_unknown: bool
    last_visit_on: date | None
    upn: str
    #: On a shared server, the login of the officer whose case it is ("": not allocated).
    owner: str = ""
    #: Which record the row holds (``cme``, ``cnis``: only on the register, ``both``).
    cohort: str = "cme"

    def age_on(self, on: date) -> int | None:
        if self.date_of_birth is None:
            return None
        dob = self.date_of_birth
        return on.year - dob.year - ((on.month, on.day) < (dob.month, dob.day))

    def days_open(self, on: date) -> int:
        end = self.closed_on or on
        return (end - self.opened_on).days

    @property
    def register_only(self) -> bool:
        """The child is only on the register of children not in school: no CME steps."""
        return self.cohort == "cnis"

    def step_label(self) -> str:
        return vocab.TRACKING_STEPS[self.current_step - 1].label

    def step_text(self) -> str:
        """The tracking step as the list and its exports show it ("3. Home visit")."""
        if self.register_only:
            return REGISTER_ONLY_STEP
        return f"{self.current_step}. {self.step_label()}"


_ROW_COLUMNS: tuple[Any, ...] = (
    Case.id,
    Case.full_name,
    Case.aka,
    Case.date_of_birth,
    Case.last_known_address,
    Case.school,
    Case.current_step,
    Case.status,
    Case.opened_on,
    Case.closed_on,
    Case.next_task_due,
    Case.escalated_police,
    Case.escalated_social_care,
    Case.whereabouts_unknown,
    Case.last_visit_on,
    Case.upn,
    Case.owner,
    Case.cohort,
)


#: The row's columns are ``CaseRow``'s fields, in order: a row is made from a result's
#: first ``_ROW_WIDTH`` values (``_case_rows``; a test holds the two lists together).
_ROW_WIDTH = len(_ROW_COLUMNS)


def _case_rows(session: Session, stmt: Select[Any]) -> list[CaseRow]:
    """The list rows ``stmt`` (``_ROW_COLUMNS`` first) reads, made by position, through
    the connection: at a page of 64 rows the ORM's result and a dict per row cost about
    as much as the query."""
    return [CaseRow(*r[:_ROW_WIDTH]) for r in session.connection().execute(stmt)]


def fts_query(search: str) -> str | None:
    """An FTS5 MATCH expression: every word typed, as a prefix; ``None`` when empty.

    Invisible format characters (a zero-width space pasted with a name) are
    ignored, as they are taken out of names on input (``rules.names``).
    """
    words = re.findall(r"\w+", strip_format(search), flags=re.UNICODE)
    if not words:
        return None
    return " ".join(f'"{w}"*' for w in words)


# A UK postcode typed in any case and spacing: the outward code (``LE1``, ``SW1A``), then
# the inward code (``2AB``) if given.
_POSTCODE = re.compile(r"(?P<outward>[A-Z]{1,2}[0-9][A-Z0-9]?)(?P<inward>[0-9][A-Z]{2})?")


def _postcode(search: str) -> tuple[str, str] | None:
    """The outward and inward codes (lower case) of a postcode typed as the search."""
    compact = "".join(strip_format(search).split()).upper()
    found = _POSTCODE.fullmatch(compact)
    if found is None:
        return None
    return found["outward"].lower(), (found["inward"] or "").lower()


def postcode_query(search: str) -> str | None:
    """An FTS5 MATCH expression for a postcode typed as the search, else ``None``.

    A full postcode (``le12ab``, ``LE1 2AB``) matches the address written with or
    without its space; an outward code alone (``LE1``) matches that district
    exactly, not ``LE11`` or ``LE12``. Only the last known address is searched:
    the list's full-text index holds it (migration 0001), so no row is scanned.
    """
    found = _postcode(search)
    if found is None:
        return None
    outward, inward = found
    if not inward:
        return f'last_known_address : "{outward}"'
    return f'last_known_address : ("{outward} {inward}" OR "{outward}{inward}")'


def postcode_tsquery(search: str) -> str | None:
    """``postcode_query`` for PostgreSQL: a ``tsquery`` on the address's words (weight B)."""
    found = _postcode(search)
    if found is None:
        return None
    outward, inward = found  # letters and digits only: nothing to quote
    if not inward:
        return f"'{outward}':B"
    return f"('{outward}':B <-> '{inward}':B) | '{outward}{inward}':B"


def _search_vector() -> Any:
    # Exactly the expression of the index ix_cases_search (migration 0001), so it is used.
    return func.cme_search_vector(
        Case.full_name, Case.aka, Case.last_known_address, Case.school, Case.upn
    )


def _words_found(search: str, *, checked: bool = False) -> Any:
    """The search's words, each as a prefix, found in the case's text (either engine).

    ``checked``: the matches are only checked for each case read (``+id``), while an
    index of the list's order drives the query (see ``CaseList.start``)."""
    match = fts_query(search)
    assert match is not None
    words = " ".join(re.findall(r"\w+", strip_format(search), flags=re.UNICODE))
    case_id = _plain(Case.id) if checked else Case.id
    return by_dialect(
        case_id.in_(
            text("SELECT rowid FROM case_search WHERE case_search MATCH :m").bindparams(m=match)
        ),
        _search_vector().op("@@")(func.cme_prefix_query(literal(words))),
    )


def _postcode_found(search: str, *, checked: bool = False) -> Any | None:
    match, tsquery = postcode_query(search), postcode_tsquery(search)
    if match is None or tsquery is None:
        return None
    case_id = _plain(Case.id) if checked else Case.id
    return by_dialect(
        case_id.in_(
            text("SELECT rowid FROM case_search WHERE case_search MATCH :m").bindparams(m=match)
        ),
        _search_vector().op("@@")(cast(literal(tsquery), TSQUERY)),
    )


def date_of_birth_searched(search: str, *, today: date) -> date | None:
    """The date of birth a search is, if the whole text is a date (``05/01/2012``,
    ``5/1/12``, ``2012-01-05``, read as ``rules.dates.parse_uk_date`` reads them)."""
    text = strip_format(search).strip()
    if not any(c.isdigit() for c in text):
        return None
    return parse_uk_date(text, today=today)


def _search_term(query: CaseQuery, today: date, *, checked: bool = False) -> Any | None:
    """The WHERE term of the search box: a date of birth, a postcode, or words; ``None``
    when nothing is searched. Each is answered from an index: the date of birth's
    (``ix_cases_date_of_birth``) or the full-text index. ``checked``: the term is
    checked, not used to find the cases (``_words_found``)."""
    if not query.search.strip():
        return None
    born = date_of_birth_searched(query.search, today=today)
    if born is not None:
        return (_plain(Case.date_of_birth) if checked else Case.date_of_birth) == born
    by_postcode = _postcode_found(query.search, checked=checked)
    if by_postcode is not None:
        return by_postcode
    if fts_query(query.search) is None:
        return None
    return _words_found(query.search, checked=checked)


def is_searching(query: CaseQuery, *, today: date | None = None) -> bool:
    """Whether the query searches (a date of birth, a postcode or words)."""
    return _search_term(query, _day(today)) is not None


#: Quick filters that show open cases only.
_OPEN_ONLY = frozenset({"open", "overdue", "escalated", "not_visited", "whereabouts_unknown"})

#: The cases of each status, record, tracking step and flag, kept by the vault's triggers
#: (migrations 0015, 0017; not on a PostgreSQL server).
_CASE_COUNTS = table(
    "case_counts",
    column("status"),
    column("cohort"),
    column("step"),
    column("escalated"),
    column("unknown"),
    column("visited"),
    column("n"),
)
#: How many tasks due each day are not done, not struck through and on an open case, kept
#: by the vault's triggers (migration 0018; not on a PostgreSQL server).
_TASK_COUNTS = table("task_counts", column("due_on", Date), column("n"))
#: The statuses each quick filter the kept counts answer shows.
_KEPT_STATUSES: dict[str, tuple[str, ...]] = {
    "all": ("open", "closed"),
    "open": ("open",),
    "closed": ("closed",),
    "escalated": ("open",),
    "not_visited": ("open",),
    "whereabouts_unknown": ("open",),
}
#: What else each of those filters asks of the kept counts (as ``_conditions`` of a case).
_KEPT_FLAGS: dict[str, Any] = {
    "escalated": _CASE_COUNTS.c.escalated == 1,
    "not_visited": _CASE_COUNTS.c.visited == 0,
    "whereabouts_unknown": _CASE_COUNTS.c.unknown == 1,
}


def _kept_count(session: Session, query: CaseQuery, today: date) -> int | None:
    """How many cases ``query`` shows, from ``case_counts``; ``None`` when the kept counts
    do not answer it (a search, an owner, the overdue filter, the register's own open
    and closed, or a server)."""
    statuses = _KEPT_STATUSES.get(query.quick)
    if (
        statuses is None
        or query.cohort == "cnis"
        or query.owner is not None
        or session.get_bind().dialect.name != "sqlite"
        or is_searching(query, today=today)
    ):
        return None
    stmt = select(func.coalesce(func.sum(_CASE_COUNTS.c.n), 0)).where(
        _CASE_COUNTS.c.status.in_(statuses)
    )
    flag = _KEPT_FLAGS.get(query.quick)
    if flag is not None:
        stmt = stmt.where(flag)
    if query.step is not None:
        stmt = stmt.where(_CASE_COUNTS.c.step == query.step)
    cohorts = _COHORTS.get(query.cohort)
    if cohorts is not None:
        stmt = stmt.where(_CASE_COUNTS.c.cohort.in_(cohorts))
    return int(session.scalar(stmt) or 0)


def _plain(column: Any) -> Any:
    """``+column``: the same value and collation, but SQLite uses no index through it.

    Choosing an index for a page of the list, SQLite may prefer one that narrows the
    rows (then sorts them all) to one that gives their order (and stops after a
    page); a search may walk every open case in name order instead of starting from
    its matches. With ``+`` on the other terms, the one index left usable is the one
    meant (see ``_conditions``). On PostgreSQL the column is left as it is.
    """
    return no_index(column)


def _as_is(column: Any) -> Any:
    return column


def _on_register() -> Any:
    """The case's child is on the register of children not in school now: their entry's
    status is ``on`` (it turns ``off``, with ``left_on``, when they leave). Looked up by
    the entry's key, the case id, for each row the cohort index gives."""
    return (
        select(RegisterEntry.case_id)
        .where(RegisterEntry.case_id == Case.id, RegisterEntry.status == "on")
        .exists()
    )


def _conditions(
    query: CaseQuery,
    today: date,
    *,
    ordered: bool = False,
    walk: bool = False,
) -> list[Any]:
    """The WHERE terms of ``query``, written for the indexes of migration 0003.

    - A search starts from its full-text matches, each looked up in the narrow
      index led by the id (``ix_cases_by_id``); the other terms are only checked.
    - ``ordered`` (a page, in the list's order): the status picks the index of the
      column sorted on, which gives the order; the quick filters are checked on the
      way (the name index holds their columns).
    - ``walk`` (with ``ordered``): a search with many matches is read as the list
      without a search is, in the index's order, each case checked against the
      matches: a page stops after its rows, where sorting would take every match.
    - A count uses whichever index narrows the rows most.
    """
    found = _search_term(query, today, checked=walk)
    match = None if walk else found
    checked = _plain if match is not None or ordered else _as_is
    # Few children are on the register: their rows are found from the cohort index
    # (``ix_cases_cohort_name``, which holds the status and the name) and sorted, so
    # nothing else may offer an index. The CME cases are nearly all: the list's own
    # index gives their order, each case's cohort checked on the way.
    register = query.cohort == "cnis" and match is None
    status = _plain(Case.status) if register else Case.status
    # For the children not in school, "open" is "on the register now", "closed" "taken
    # off it" (the register's own status, whatever the CME case of a child on both).
    is_open = _on_register() if query.cohort == "cnis" else status == "open"
    terms: list[Any] = []
    if found is not None:
        terms.append(found)
    q = query.quick
    if q in _OPEN_ONLY:
        terms.append(is_open)
    elif q == "closed":
        terms.append(~is_open if query.cohort == "cnis" else status == "closed")
    if q == "overdue":
        terms.append(checked(Case.next_task_due) < today)
    elif q == "escalated":
        terms.append(or_(checked(Case.escalated_police), checked(Case.escalated_social_care)))
    elif q == "not_visited":
        terms.append(checked(Case.last_visit_on).is_(None))
    elif q == "whereabouts_unknown":
        terms.append(checked(Case.whereabouts_unknown))
    if query.owner is not None:
        terms.append(checked(Case.owner) == query.owner)
    cohorts = _COHORTS.get(query.cohort)
    if cohorts is not None:
        terms.append((Case.cohort if register else checked(Case.cohort)).in_(cohorts))
    if query.step is not None:
        # At one step, by name: ``ix_cases_status_step_name`` gives that order.
        by_name = query.sort == "name" and match is None and not register
        step = Case.current_step if by_name else checked(Case.current_step)
        terms.append(step == query.step)
    return terms


#: A task's case.
_TASK_CASE = Case.id == Task.case_id
#: The narrow index led by the case id, holding the status, the name and the quick
#: filters' columns (migration 0003): a search's matches are checked in it
#: (``_some_matches``), and the dashboard's tasks find their child's name there.
BY_ID_INDEX = "ix_cases_by_id"
#: The vault's full-text index, joined to the cases to read its matches as they come.
_CASE_SEARCH = table("case_search", column("rowid"))


def _full_text(query: CaseQuery, today: date) -> str | None:
    """The FTS5 MATCH expression the search box asks (a postcode, or words); ``None`` when
    it is a date of birth or nothing (``_search_term``'s order)."""
    if not query.search.strip() or date_of_birth_searched(query.search, today=today):
        return None
    postcode = postcode_query(query.search)
    if postcode is not None and postcode_tsquery(query.search) is not None:
        return postcode
    return fts_query(query.search)


def _some_matches(query: CaseQuery, today: date, most: int, *, engine: str) -> Select[Any]:
    """At most ``most`` of the cases a search finds, in no order: one row each.

    On a vault, a full-text search reads its matches from the index as they come, each
    case checked in the narrow index led by the id (``ix_cases_by_id``, which holds the
    status and the quick filters' columns), and stops at ``most``: counting "1,000+"
    costs the same whether a word is in a thousand cases or in fifty thousand (finding
    every match first, to look each case up in it, cost in proportion to the matches).
    Left to itself SQLite checks each case in its row, one page of the table per match:
    at 100,000 cases, ~20 ms the first time a word is typed, where the index's pages
    are ~50 times fewer. Otherwise each match is looked up in that index too.
    """
    match = _full_text(query, today) if engine == "sqlite" else None
    if match is None:
        return _matching(query, today, literal(1)).limit(most)
    others = _conditions(replace(query, search=""), today)
    return (
        select(literal(1))
        .select_from(
            indexed_join(_CASE_SEARCH, Case.__table__, Case.id == _CASE_SEARCH.c.rowid, BY_ID_INDEX)
        )
        .where(text("case_search MATCH :m").bindparams(m=match), *others)
        .limit(most)
    )


def _matching(
    query: CaseQuery, today: date, *columns: Any, ordered: bool = False, walk: bool = False
) -> Select[Any]:
    """``SELECT columns FROM cases WHERE ...`` for ``query`` (``walk``: see ``_conditions``)."""
    return (
        select(*columns)
        .select_from(Case)
        .where(*_conditions(query, today, ordered=ordered, walk=walk))
    )


def _filtered(query: CaseQuery, today: date) -> Select[Any]:
    return _matching(query, today, Case.id, ordered=True)


def _surname_of_name() -> Any:
    """``cases.surname_key`` worked out from ``full_name`` in SQL, as migration 0006 and
    ``models.records.surname_of`` do: the text after the last space of the trimmed name."""
    # PostgreSQL finds no substring under a case-blind collation: the name is cut up
    # under its plain one ("C"), and the surname compared under NOCASE again.
    name = by_dialect(func.trim(Case.full_name), func.trim(Case.full_name.collate("C")))
    before_surname = func.rtrim(name, func.replace(name, " ", ""))
    return func.substr(name, func.length(before_surname) + 1).collate("NOCASE")


def _order_keys(query: CaseQuery, today: date, *, walk: bool = False) -> list[_Key]:
    """What the list is sorted by, first to last: each term's expression, whether it goes
    down, and whether its empty values come last; the case id last of all (``_order``).

    Each is written so that an index of migration 0003 gives the order without a
    sort: the escalation flags in place of their 0-3 rank (the same order), and
    for open cases only, the opening date in place of the days open (the
    closing date of an open case is always empty). ``walk``: a search read in
    the index's order (``_conditions``), the same order as its matches sorted.
    Empty values come first going up and last going down, as SQLite puts them; the cases
    with no task come last either way.
    """
    # Open CME cases only (no closing date); not the register's "on it now" (``_conditions``).
    open_only = query.quick in _OPEN_ONLY and query.cohort != "cnis"
    # A search sorts its matches: no index may offer the order instead.
    searching = not walk and _search_term(query, today) is not None
    # Children not in school are sorted from the cohort index too (``_conditions``).
    col = _plain if searching or query.cohort == "cnis" else _as_is
    columns: dict[str, list[Any]] = {
        # People are looked up by surname: the surname, then the whole name. A search sorts
        # its matches, reading the surname from the name held in ``ix_cases_by_id``.
        "name": [
            _surname_of_name() if searching else col(Case.surname_key),
            col(Case.full_name),
        ],
        "date_of_birth": [col(Case.date_of_birth)],
        "address": [col(Case.last_known_address)],
        "school": [col(Case.school)],
        "step": [col(Case.current_step)],
        # As the list shows it: to the closing date, or to today while open.
        "days_open": [
            func.julianday(func.coalesce(Case.closed_on, literal(today, Date)))
            - func.julianday(Case.opened_on)
        ],
        "next_task": [col(Case.next_task_due)],
        "escalation": [col(Case.escalated_police), col(Case.escalated_social_care)],
        "id": [Case.id],
        "owner": [col(Case.owner)],
    }
    chosen = columns.get(query.sort, columns["name"])
    descending = query.descending
    if query.sort == "days_open" and open_only:
        # Today minus the opening date: the later opened, the fewer days.
        chosen, descending = [col(Case.opened_on)], not descending
    empty_last = True if query.sort == "next_task" else descending
    return [*(_Key(c, descending, empty_last) for c in chosen), _Key(Case.id, False, False)]


@dataclass(frozen=True)
class _Key:
    """One term of the list's order (``_order_keys``)."""

    expression: Any
    descending: bool
    empty_last: bool


def _order(
    query: CaseQuery, today: date, *, walk: bool = False, backwards: bool = False
) -> list[Any]:
    """ORDER BY terms: the column's, then the case id, as the list shows them
    (``_order_keys``). ``backwards``: the exact reverse, every term turned (empty values
    too), for a page read from the end of the list (``_page_of``).
    """
    *keys, _by_id = _order_keys(query, today, walk=walk)
    ordered = []
    for key in keys:
        c, descending = key.expression, key.descending ^ backwards
        if query.sort == "escalation":
            # Both flags turn together: (0,0) < (0,1) < (1,0) < (1,1) is the rank's order.
            ordered.append(c.desc() if descending else c)
        elif query.sort == "next_task":
            # Cases with no task last, either way (an index gives NULLS LAST in SQLite);
            # read backwards, first.
            due = c.desc() if descending else c.asc()
            ordered.append(due.nulls_first() if backwards else due.nulls_last())
        else:
            # Read backwards, empty values (first going up and last going down,
            # ``_NullsAsSqlite``) follow the term the other way.
            ordered.append(_NullsAsSqlite(c.desc() if descending else c, descending))
    return [*ordered, Case.id.desc() if backwards else Case.id]


def _before(keys: Sequence[_Key], values: Sequence[Any]) -> Any:
    """The condition that a case comes before the one whose terms of ``keys`` hold
    ``values``, in the list's order: earlier on a term, the terms before it equal."""

    def earlier(key: _Key, value: Any) -> Any:
        c = key.expression
        if value is None:  # an empty value: only values come before it, when they go first
            return c.is_not(None) if key.empty_last else false()
        bound = literal(value, c.type)  # a yes or no too, which SQLAlchemy will not compare
        beyond = c > bound if key.descending else c < bound
        return beyond if key.empty_last else or_(c.is_(None), beyond)

    def same(key: _Key, value: Any) -> Any:
        c = key.expression
        return c.is_(None) if value is None else c == literal(value, c.type)

    return or_(
        *(
            and_(
                *(same(k, v) for k, v in zip(keys[:i], values[:i], strict=True)),
                earlier(keys[i], values[i]),
            )
            for i in range(len(keys))
        )
    )


class _NullsAsSqlite(ColumnElement[Any]):
    """An ORDER BY term with empty values where SQLite puts them: first going up, last
    going down (PostgreSQL's default is the other way round)."""

    inherit_cache = True
    _traverse_internals = [
        ("term", InternalTraversal.dp_clauseelement),
        ("descending", InternalTraversal.dp_boolean),
    ]

    def __init__(self, term: Any, descending: bool) -> None:
        self.term = term
        self.descending = descending


@compiles(_NullsAsSqlite)
def _compile_nulls(element: _NullsAsSqlite, compiler: SQLCompiler, **kw: Any) -> str:
    return str(compiler.process(element.term, **kw))


@compiles(_NullsAsSqlite, "postgresql")
def _compile_nulls_postgresql(element: _NullsAsSqlite, compiler: SQLCompiler, **kw: Any) -> str:
    where = "NULLS LAST" if element.descending else "NULLS FIRST"
    return f"{compiler.process(element.term, **kw)} {where}"


#: A vault's index of the open or closed cases' rows in name order (migration 0016).
LIST_ROWS_INDEX = "ix_cases_list_rows"
#: How deep a page may start and still be read from ``LIST_ROWS_INDEX`` alone: further
#: down, skipping its wide entries costs more than reading the page's rows (at 100,000
#: cases the two meet at about 8,000 rows: ``benchmarks/first_query.py``).
LIST_ROWS_DEPTH = 4096


def _rows_indexed(query: CaseQuery, *, offset: int, day: date, engine: str) -> bool:
    """Whether a page of ``query`` from ``offset`` is read from ``LIST_ROWS_INDEX`` alone:
    open or closed cases (of any record, or CME cases), by name, no search, step or
    owner, near the top."""
    return (
        engine == "sqlite"
        and offset < LIST_ROWS_DEPTH
        and query.quick in ("open", "closed")
        and query.cohort in ("all", "cme")
        and query.sort == "name"
        and query.step is None
        and query.owner is None
        and _search_term(query, day) is None
    )


def _page_of(
    query: CaseQuery,
    *,
    offset: int,
    limit: int,
    day: date,
    walk: bool = False,
    engine: str = "",
    backwards: bool = False,
) -> Select[Any]:
    """The rows of one page of the list (``walk``: see ``_conditions``; ``backwards``:
    ``offset`` counted from the list's end, and the rows in the reverse order)."""
    order = _order(query, day, walk=walk, backwards=backwards)
    if not walk and _rows_indexed(query, offset=offset, day=day, engine=engine):
        # The list's first pages after an unlock: the rows from one index, in its order
        # (a fresh connection decrypts a few of its pages instead of one page per row).
        return (
            _matching(query, day, *_ROW_COLUMNS, ordered=True)
            # True of every case: the condition of the partial index, which SQLite uses
            # only for a query that states it, word for word (migration 0016).
            .where(Case.surname_key >= literal_column("''"))
            .order_by(*order)
            .limit(max(0, limit))
            .offset(max(0, offset))
        )
    # The page's ids first, from an index alone (a deep page skips index entries, not
    # rows); then only those rows are read.
    ids = (
        _matching(query, day, Case.id, ordered=True, walk=walk)
        .order_by(*order)
        .limit(max(0, limit))
        .offset(max(0, offset))
        .subquery()
    )
    return select(*_ROW_COLUMNS).join(ids, ids.c.id == Case.id).order_by(*order)


def _day(today: date | None) -> date:
    return today or date.today()


class CaseList:
    """Queries behind the case list and the dashboard."""

    def __init__(self, db: UnitOfWork) -> None:
        self.db = db

    def matching_ids(self, query: CaseQuery, *, today: date | None = None) -> list[int]:
        """Ids of every case the query matches, in display order (``cme list``, imports).

        The window's list never asks for these: it counts, then reads pages (``page``).
        """
        day = _day(today)
        stmt = _filtered(query, day).order_by(*_order(query, day))
        with self.db.read() as session:
            # Core execution and one fetchall: at 100,000 ids the ORM's (and row by row
            # fetching's) per-row work costs more than the query itself (benchmarks/run.py).
            result = session.connection().execute(stmt)
            return [row[0] for row in result.cursor.fetchall()]

    def count(self, query: CaseQuery, *, today: date | None = None) -> int:
        """How many cases the query matches (counted in SQL, no id leaves the vault)."""
        day = _day(today)
        with self.db.read() as session:
            kept = _kept_count(session, query, day)
            if kept is not None:
                return kept
            return int(session.scalar(_matching(query, day, func.count())) or 0)

    def page(
        self,
        query: CaseQuery,
        *,
        offset: int,
        limit: int,
        today: date | None = None,
        total: int | None = None,
    ) -> list[CaseRow]:
        """The rows from ``offset`` (0-based, in display order), at most ``limit`` of them.

        One query that reads only the rows of the page: what the list asks as it is
        painted, at any size of vault. An index skips the entries before a page one by
        one: given ``total`` (how many cases the query matches), a page in the list's
        second half is read from its end, in the reverse order, so that the last page of
        100,000 skips none rather than 99,950.
        """
        day = _day(today)
        backwards = False
        if total is not None and total // 2 < offset < total:
            backwards, end = True, min(total, offset + max(0, limit))
            offset, limit = total - end, end - offset
        with self.db.read() as session:
            engine = session.get_bind().dialect.name
            stmt = _page_of(
                query, offset=offset, limit=limit, day=day, engine=engine, backwards=backwards
            )
            rows = _case_rows(session, stmt)
        return rows[::-1] if backwards else rows

    def start(
        self, query: CaseQuery, *, limit: int, cap: int = COUNT_CAP, today: date | None = None
    ) -> ListStart:
        """What the list shows first: how many cases match, and the first ``limit`` of them.

        A search's matches are counted up to ``cap``: past that, ``capped`` is set, the
        count is ``cap`` and the first page is read in the list's order from its index
        (each case checked against the matches), so a word found in thousands of cases
        costs what a rarer one does. The rows are those ``first_page`` gives, in the same
        order; ``count`` (or ``first_page``) still counts every match, when asked.
        """
        if not is_searching(query, today=today):
            count, rows = self.first_page(query, limit=limit, today=today)
            return ListStart(count=count, rows=rows)
        day = _day(today)
        with self.db.read() as session:
            # At most cap + 1 matches: past the cap the rest are not looked up.
            engine = session.get_bind().dialect.name
            some = _some_matches(query, day, cap + 1, engine=engine).subquery()
            at_most = int(session.scalar(select(func.count()).select_from(some)) or 0)
            if at_most <= cap:
                # So few that sorting them all costs little: counted and sorted in one pass.
                found = self._sorted_first(session, query, limit=limit, day=day)
                return ListStart(count=at_most, rows=found[1] if found else [])
            stmt = _page_of(query, offset=0, limit=limit, day=day, walk=True)
            rows = _case_rows(session, stmt)
        return ListStart(count=cap, rows=rows, capped=True)

    def first_page(
        self, query: CaseQuery, *, limit: int, today: date | None = None
    ) -> tuple[int, list[CaseRow]]:
        """How many cases match, and the first ``limit`` of them: what a list shows first.

        A search is answered in one pass over its matches (counted as they are sorted);
        otherwise the count and the page are two index reads, the page stopping early.
        """
        if not is_searching(query, today=today):
            return self.count(query, today=today), self.page(
                query, offset=0, limit=limit, today=today
            )
        day = _day(today)
        with self.db.read() as session:
            found = self._sorted_first(session, query, limit=limit, day=day)
        if found is None:
            return self.count(query, today=today), []
        return found

    def _sorted_first(
        self, session: Session, query: CaseQuery, *, limit: int, day: date
    ) -> tuple[int, list[CaseRow]] | None:
        """A search's count and first page, in one pass over its matches (``None``: no row
        was asked for, so nothing was counted)."""
        order = _order(query, day)
        ids = (
            _matching(query, day, Case.id, func.count().over().label("total"), ordered=True)
            .order_by(*order)
            .limit(max(0, limit))
            .subquery()
        )
        stmt = select(*_ROW_COLUMNS, ids.c.total).join(ids, ids.c.id == Case.id).order_by(*order)
        found = session.connection().execute(stmt).all()
        if not found:
            return None if limit <= 0 else (0, [])
        return int(found[0].total), [CaseRow(*r[:_ROW_WIDTH]) for r in found]

    def position(self, query: CaseQuery, case_id: int, *, today: date | None = None) -> int | None:
        """Where the case stands in the list (0-based), or ``None`` if the query leaves it out.

        One look-up by id gives membership and the case's values of the list's order;
        then the cases before it are counted (numbering every case in the list's order,
        to find one, cost 60 ms at 100,000 cases).
        """
        day = _day(today)
        keys = _order_keys(query, day)
        with self.db.read() as session:
            values = session.execute(
                select(*(k.expression for k in keys)).where(
                    Case.id == case_id, *_conditions(query, day)
                )
            ).first()
            if values is None:
                return None
            before = _matching(query, day, func.count(), ordered=True).where(
                _before(keys, tuple(values))
            )
            return int(session.scalar(before) or 0)

    def rows(self, ids: Sequence[int]) -> dict[int, CaseRow]:
        """The list rows for ``ids`` (a page), by id."""
        out: dict[int, CaseRow] = {}
        with self.db.read() as session:
            for start in range(0, len(ids), 500):
                chunk = list(ids[start : start + 500])
                for row in _case_rows(session, select(*_ROW_COLUMNS).where(Case.id.in_(chunk))):
                    out[row.id] = row
        return out

    def record_read(self, query: CaseQuery, *, shown: int, output: str) -> None:
        """Audit that the list, with names, left the application (``cme list``, ``--json``).

        ``output`` is ``"text"`` (action ``list_read``) or ``"json"`` (``list_exported``).
        The row says which filter and how many cases, and whether a search was used: never
        the search text, which is often a child's name.
        """
        if output not in ("text", "json"):
            raise ValueError(f"unknown list output: {output}")
        detail = ";".join(
            (
                f"output={output}",
                f"filter={query.quick if query.quick in QUICK_FILTERS else 'other'}",
                f"step={query.step if query.step is not None else 'any'}",
                f"search={'yes' if query.search.strip() else 'no'}",
                f"shown={shown}",
            )
        )
        with self.db.write() as session:
            audit.record(
                session,
                self.db,
                action="list_read" if output == "text" else "list_exported",
                entity="case_list",
                detail=detail,
            )

    def find_similar(
        self,
        *,
        full_name: str,
        date_of_birth: date | None,
        upn: str = "",
        aka: str = "",
        limit: int = 10,
    ) -> list[CaseRow]:
        """Existing cases that may be the same child: same UPN, or a close name with the same
        date of birth (spelling and AKA tolerated)."""
        from cme_desktop.services.cases.matching import rank_candidates

        # Invisible format characters are no part of a name (rules.names).
        full_name, aka = strip_format(full_name), strip_format(aka)
        conditions = []
        if upn.strip():
            conditions.append(Case.upn == upn.strip().upper())
        if date_of_birth is not None:
            conditions.append(Case.date_of_birth == date_of_birth)
        words = [w for w in re.findall(r"\w+", f"{full_name} {aka}") if len(w) > 1]
        match = " OR ".join(f'"{w}"' for w in words)
        if match:
            on_server = (
                select(Case.id)
                .where(_search_vector().op("@@")(func.cme_any_query(literal(" ".join(words)))))
                .limit(500)
            )
            conditions.append(
                by_dialect(
                    Case.id.in_(
                        text(
                            "SELECT rowid FROM case_search WHERE case_search MATCH :m LIMIT 500"
                        ).bindparams(m=match)
                    ),
                    Case.id.in_(on_server),
                )
            )
        if not conditions:
            return []
        with self.db.read() as session:
            found = _case_rows(session, select(*_ROW_COLUMNS).where(or_(*conditions)).limit(1000))
        return rank_candidates(
            found, full_name=full_name, date_of_birth=date_of_birth, upn=upn, aka=aka
        )[:limit]

    # -- the dashboard --------------------------------------------------------------------

    def dashboard(self, *, today: date | None = None) -> Dashboard:
        """Tasks due today and overdue, open cases by tracking step, notifications this month.

        The lists hold at most ``DASHBOARD_TASKS`` tasks of each kind (the most overdue
        first); the figures count from indexes, so the dashboard costs the same at any
        size of vault.
        """
        today = today or date.today()
        month_start = today.replace(day=1)
        open_tasks = (Task.done_on.is_(None), Task.deleted_at.is_(None), Case.status == "open")

        def tasks(*when: Any) -> list[DueTask]:
            # Through the connection, by position: the ORM's result cost more than the
            # query for 200 tasks. Each case's name and status from the narrow index led by
            # its id, not its row: at 100,000 cases the rows of 400 tasks' cases are 400
            # pages to read and decrypt, the index's a few dozen.
            return [
                DueTask(*r)
                for r in session.connection().execute(
                    select(Task.id, Task.case_id, Case.full_name, Task.title, Task.due_on)
                    .select_from(
                        indexed_join(Task.__table__, Case.__table__, _TASK_CASE, BY_ID_INDEX)
                    )
                    .where(*open_tasks, *when)
                    .order_by(Task.due_on, Task.id)
                    .limit(DASHBOARD_TASKS)
                )
            ]

        def counted(stmt: Any) -> int:
            return int(session.scalar(stmt) or 0)

        with self.db.read() as session:
            overdue = tasks(Task.due_on < today)
            due_today = tasks(Task.due_on == today)
            by_step = dict.fromkeys(range(1, len(vocab.TRACKING_STEPS) + 1), 0)
            # A vault keeps them (migration 0017): the CME record's open cases by step.
            kept = session.get_bind().dialect.name == "sqlite"
            steps = (
                select(_CASE_COUNTS.c.step, func.sum(_CASE_COUNTS.c.n))
                .where(_CASE_COUNTS.c.status == "open", _CASE_COUNTS.c.cohort.in_(_COHORTS["cme"]))
                .group_by(_CASE_COUNTS.c.step)
                if kept
                else select(Case.current_step, func.count())
                .where(Case.status == "open")
                .group_by(Case.current_step)
            )
            for step, n in session.execute(steps):
                by_step[int(step)] = int(n)
            # Children only on the register (cohort ``cnis``) are no CME figure: taken off,
            # so the figures above keep their indexes. Their steps and next tasks come from
            # ``ix_cases_cohort_name`` alone, one row per open register-only child, and are
            # added up here: a GROUP BY would draw the planner to the step index and every
            # open case's row.
            register_overdue = 0
            for step, next_due in session.execute(
                select(Case.current_step, Case.next_task_due).where(
                    Case.cohort == "cnis", Case.status == "open"
                )
            ):
                if not kept:  # (the kept counts are of the CME record already)
                    by_step[int(step)] -= 1
                register_overdue += next_due is not None and next_due < today
            new_this_month = counted(
                select(func.count())
                .select_from(Case)
                .where(Case.notified_on >= month_start, Case.notified_on <= today)
            ) - counted(
                select(func.count())
                .select_from(Case)
                .where(
                    Case.cohort == "cnis",
                    Case.notified_on >= month_start,
                    Case.notified_on <= today,
                )
            )
            # As the list's "Overdue tasks" filter counts them: open cases whose earliest
            # task not done is overdue (one index range, not every overdue task).
            overdue_cases = (
                counted(
                    select(func.count())
                    .select_from(Case)
                    .where(Case.status == "open", Case.next_task_due < today)
                )
                - register_overdue
            )
            week = (today + timedelta(days=1), today + timedelta(days=7))
            if kept:
                # A vault keeps them by day (migration 0018): a few rows at any size.
                days = select(func.coalesce(func.sum(_TASK_COUNTS.c.n), 0))
                today_total = counted(days.where(_TASK_COUNTS.c.due_on == today))
                upcoming = counted(days.where(_TASK_COUNTS.c.due_on.between(*week)))
                overdue_total = counted(days.where(_TASK_COUNTS.c.due_on < today))
            else:
                tasks_due = select(func.count()).select_from(Task).join(Case, _TASK_CASE)
                today_total = counted(tasks_due.where(*open_tasks, Task.due_on == today))
                upcoming = counted(tasks_due.where(*open_tasks, Task.due_on.between(*week)))
                overdue_total = (
                    counted(tasks_due.where(*open_tasks, Task.due_on < today))
                    if len(overdue) >= DASHBOARD_TASKS
                    else len(overdue)  # all of them listed
                )
        return Dashboard(
            today=today,
            due_tasks=(*overdue, *due_today),
            open_by_step=by_step,
            new_this_month=new_this_month,
            due_next_7_days=upcoming,
            overdue_cases=overdue_cases,
            due_today_total=today_total,
            overdue_total=overdue_total,
        )


@dataclass(frozen=True)
class DueTask:
    id: int
    case_id: int
    full_name: str
    title: str
    due_on: date


@dataclass(frozen=True)
class Dashboard:
    today: date
    #: The most overdue tasks, then those due today (at most ``DASHBOARD_TASKS`` of each).
    due_tasks: tuple[DueTask, ...]
    open_by_step: dict[int, int]
    new_this_month: int
    due_next_7_days: int
    #: Open cases whose next task is overdue (the list's "Overdue tasks" filter).
    overdue_cases: int = 0
    #: Tasks due today on open cases, all of them.
    due_today_total: int = 0
    #: Overdue tasks on open cases, all of them (the list holds the most overdue).
    overdue_total: int = 0

    @property
    def cut(self) -> bool:
        """True when the lists leave some overdue or today's tasks out."""
        return len(self.overdue) < self.overdue_total or len(self.due_today) < self.due_today_total

    @property
    def overdue(self) -> tuple[DueTask, ...]:
        return tuple(t for t in self.due_tasks if t.due_on < self.today)

    @property
    def due_today(self) -> tuple[DueTask, ...]:
        return tuple(t for t in self.due_tasks if t.due_on == self.today)
