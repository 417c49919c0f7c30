"""The figures as every output shows them: titled tables of rows, one value per column.

The rows of a vocabulary (outcomes, reasons, groups) come in the policy's
order and wording, then any other key found, then a total.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from cme_desktop.models import vocabularies as vocab

Value = int | float | None
NOT_RECORDED = "Not recorded"


@dataclass(frozen=True)
class Row:
    """One line of a table: a stable key, the policy's wording, one value per column."""

    key: str
    label: str
    values: tuple[Value, ...]
    total: bool = False


@dataclass(frozen=True)
class Table:
    """A titled table of figures; the PDF, the CSV and the window all show these."""

    key: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[Row, ...]
    note: str = ""

    def row(self, key: str) -> Row:
        """The row with ``key`` (``KeyError`` if there is none)."""
        for row in self.rows:
            if row.key == key:
                return row
        raise KeyError(key)

    def values(self, key: str) -> tuple[Value, ...]:
        return self.row(key).values


def vocab_rows(
    terms: Iterable[vocab.Term],
    counts: dict[str, list[int]],
    width: int,
    *,
    total: bool = True,
    blank: str = NOT_RECORDED,
) -> tuple[Row, ...]:
    """A row per term, then per other key counted (``blank`` for none), then the total."""
    terms = tuple(terms)
    zero = [0] * width
    rows = [Row(t.key, t.label, tuple(counts.get(t.key, zero))) for t in terms]
    known = {t.key for t in terms}
    for key in sorted(k for k in counts if k not in known):
        rows.append(Row(key, key or blank, tuple(counts[key])))
    if total:
        sums = tuple(sum(int(r.values[i] or 0) for r in rows) for i in range(width))
        rows.append(Row("total", "Total", sums, total=True))
    return tuple(rows)
