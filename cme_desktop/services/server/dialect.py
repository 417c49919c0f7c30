"""SQL written once for the vault (SQLite) and the server (PostgreSQL).

Most of the services' SQL is the same on both. These few expressions are not, and
each is chosen when the statement is compiled for one engine, so a service builds its
query once, whichever database it runs on:

- ``no_index(col)``: ``+col`` on SQLite, which then uses no index through the column
  (the case list and the reports pick their index that way); the column itself on
  PostgreSQL, which plans from statistics and has no unary ``+`` for dates or booleans;
- ``iso_date(col)``: a date column as its ISO text (``2025-03-18``): what SQLite holds,
  and ``to_char`` on PostgreSQL;
- ``greatest(a, b)``: the larger of two values: SQLite's two-argument ``max``,
  PostgreSQL's ``greatest``;
- ``indexed_join(left, right, on, index)``: ``left JOIN right INDEXED BY index`` on
  SQLite, which must then read ``right``'s rows through that index; a plain join on
  PostgreSQL;
- ``by_dialect(sqlite, postgresql)``: any other pair of expressions;
- ``count_by(session, query)``: a count of each combination of the query's columns.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Join,
    Select,
    String,
    case,
    func,
    literal_column,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal


class ByDialect(ColumnElement[Any]):
    """An expression written once for SQLite and once for PostgreSQL, chosen when compiled."""

    inherit_cache = True
    _traverse_internals = [
        ("sqlite", InternalTraversal.dp_clauseelement),
        ("postgresql", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, sqlite: ColumnElement[Any], postgresql: ColumnElement[Any]) -> None:
        self.sqlite = sqlite
        self.postgresql = postgresql
        self.type = sqlite.type
        # A comparison stays one in a WHERE clause (no "= 1" added for SQLite's booleans).
        self._is_implicitly_boolean = sqlite._is_implicitly_boolean

    @property
    def _from_objects(self) -> list[Any]:
        # The tables either form reads, so that a SELECT of it alone names them in FROM.
        found = list(self.sqlite._from_objects)
        return found + [f for f in self.postgresql._from_objects if f not in found]


@compiles(ByDialect)
def _compile_by_dialect(element: ByDialect, compiler: SQLCompiler, **kw: Any) -> str:
    chosen = element.postgresql if compiler.dialect.name == "postgresql" else element.sqlite
    return str(compiler.process(chosen, **kw))


def by_dialect(sqlite: ColumnElement[Any], postgresql: ColumnElement[Any]) -> ByDialect:
    """``sqlite`` on the vault, ``postgresql`` on the server."""
    return ByDialect(sqlite, postgresql)


class NoIndex(ColumnElement[Any]):
    """A column SQLite may use no index through (``no_index``)."""

    inherit_cache = True
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement)]

    def __init__(self, column: Any) -> None:
        self.column = column.expression if hasattr(column, "expression") else column
        self.type = column.type

    @property
    def _from_objects(self) -> list[Any]:
        return list(self.column._from_objects)


@compiles(NoIndex)
def _compile_no_index(element: NoIndex, compiler: SQLCompiler, **kw: Any) -> str:
    return str(compiler.process(element.column, **kw))


@compiles(NoIndex, "sqlite")
def _compile_no_index_sqlite(element: NoIndex, compiler: SQLCompiler, **kw: Any) -> str:
    return "+" + str(compiler.process(element.column, **kw))


def no_index(column: Any) -> NoIndex:
    """``+column`` on SQLite (no index used through it); the column on PostgreSQL."""
    return NoIndex(column)


class IndexedJoin(Join):
    """An inner join whose right side SQLite reads through a named index (``indexed_join``)."""

    inherit_cache = True
    _traverse_internals = [*Join._traverse_internals, ("index", InternalTraversal.dp_string)]

    def __init__(self, left: Any, right: Any, onclause: Any, index: str) -> None:
        super().__init__(left, right, onclause)
        self.index = index


@compiles(IndexedJoin)
def _compile_indexed_join(element: IndexedJoin, compiler: SQLCompiler, **kw: Any) -> str:
    return _joined(element, compiler, "", **kw)


@compiles(IndexedJoin, "sqlite")
def _compile_indexed_join_sqlite(element: IndexedJoin, compiler: SQLCompiler, **kw: Any) -> str:
    return _joined(element, compiler, f" INDEXED BY {element.index}", **kw)


def _joined(element: IndexedJoin, compiler: SQLCompiler, hint: str, **kw: Any) -> str:
    """``left JOIN right<hint> ON ...``."""
    kw.pop("asfrom", None)
    left = compiler.process(element.left, asfrom=True, **kw)
    right = compiler.process(element.right, asfrom=True, **kw)
    onclause: Any = element.onclause
    return f"{left} JOIN {right}{hint} ON {compiler.process(onclause, **kw)}"


def indexed_join(left: Any, right: Any, onclause: Any, index: str) -> IndexedJoin:
    """``left JOIN right ON onclause``, SQLite reading ``right`` through ``index`` (which it
    must then have: SQLite refuses the statement otherwise)."""
    return IndexedJoin(left, right, onclause, index)


def iso_date(column: Any) -> ByDialect:
    """A date column as ISO text (``YYYY-MM-DD``) on either engine."""
    return ByDialect(
        type_coerce(column, String),
        # The format written into the statement, not bound: PostgreSQL matches a GROUP BY
        # to its SELECT expression only when their parameters are the same ones.
        func.to_char(column, literal_column("'YYYY-MM-DD'"), type_=String),
    )


def greatest(first: Any, second: Any) -> ByDialect:
    """The larger of two values (``NULL`` when either is, on both engines)."""
    return ByDialect(
        func.max(first, second),
        # PostgreSQL's greatest() passes over a NULL, where SQLite's max(a, b) gives NULL.
        case(
            (or_(first.is_(None), second.is_(None)), None),
            else_=func.greatest(first, second),
        ),
    )


def count_by(session: Session, query: Select[Any]) -> Select[Any]:
    """``query``'s columns and how many rows share each combination of them.

    On SQLite ``SELECT cols, count(*) ... GROUP BY cols``, as it always was. PostgreSQL
    matches a GROUP BY expression to the selected one only when their bound parameters
    are the same ones, which a ``CASE`` over dates never has: there the rows are counted
    from the query as a subquery, grouped by its columns.
    """
    columns = list(query.selected_columns)
    if session.get_bind().dialect.name != "postgresql":
        return query.add_columns(func.count()).group_by(*columns)
    inner = query.subquery()
    return select(*inner.c, func.count()).group_by(*inner.c)
