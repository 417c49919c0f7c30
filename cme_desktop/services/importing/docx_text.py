"""A Word document's body as a reader sees it: paragraph texts and table grids, in order.

``read_blocks`` walks the body of a ``.docx`` once and gives each paragraph as
its text (tabs, line breaks and ticked boxes included: a ticked box is ``☒``,
an empty one ``☐``, whichever of Word's ways of drawing one was used) and each
table as a ``Grid`` of ``Cell`` objects, where a merged cell is the same object
in every place it covers. Tables nested in a cell follow their table. Content
controls, smart tags and tracked insertions are looked through; deleted text,
fallback content and placeholder text ("Click or tap here to enter text.") are
not read.

A table larger than any form (``MAX_CELLS``) raises ``HostileFile``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from cme_desktop.services.errors import HostileFile

__all__ = ["MAX_CELLS", "MAX_GRID_SPAN", "Block", "Cell", "Grid", "read_blocks"]

#: Table cells in a whole document; a form has a few hundred.
MAX_CELLS = 50_000
MAX_GRID_SPAN = 64

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_W14 = "http://schemas.microsoft.com/office/word/2010/wordml"
_MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"


def _w(tag: str) -> str:
    return f"{{{_W}}}{tag}"


_P, _TBL, _SDT, _SDT_CONTENT = _w("p"), _w("tbl"), _w("sdt"), _w("sdtContent")
_BLOCKS = frozenset({_P, _TBL})
_PARA, _TABLE = frozenset({_P}), frozenset({_TBL})
_ROW, _CELL = frozenset({_w("tr")}), frozenset({_w("tc")})
_WRAPPERS = frozenset({_w("customXml"), _w("smartTag"), _w("ins")})
_SKIPPED = frozenset({_w("del"), _w("moveFrom"), f"{{{_MC}}}Fallback", _w("rPr"), _w("pPr")})
_TICKED, _UNTICKED = "☒", "☐"
# Wingdings / Segoe symbols Word uses for boxes, by their w:sym code.
_SYMBOLS = {
    "F0FE": _TICKED, "F0FD": _TICKED, "F078": _TICKED, "2612": _TICKED, "2611": _TICKED,
    "F0A8": _UNTICKED, "F06F": _UNTICKED, "2610": _UNTICKED,
}  # fmt: skip


@dataclass(eq=False)
class Cell:
    """One table cell's text; the field reader marks the cells that are labels."""

    text: str
    label: str | None = None  # the key of the field this cell is the label of
    is_label: bool = False


@dataclass(eq=False)
class Grid:
    """A table as rows of cells, one per grid column; ``None`` where a row starts late."""

    rows: list[list[Cell | None]] = field(default_factory=list)


#: A paragraph's text, or a table.
Block = str | Grid


def _checkbox(sdt: Any) -> str | None:
    """The glyph of a Word 2010 check box content control, ``None`` if not one."""
    box = sdt.find(f"{_w('sdtPr')}/{{{_W14}}}checkbox")
    if box is None:
        return None
    checked = box.find(f"{{{_W14}}}checked")
    on = checked is not None and checked.get(f"{{{_W14}}}val", "1") in ("1", "true", "on")
    return _TICKED if on else _UNTICKED


def _form_checkbox(fld: Any) -> str | None:
    """The glyph of a legacy FORMCHECKBOX field, ``None`` if not one."""
    box = fld.find(f"{_w('ffData')}/{_w('checkBox')}")
    if box is None:
        return None
    state = box.find(_w("checked"))
    if state is None:
        state = box.find(_w("default"))
        value = state.get(_w("val"), "0") if state is not None else "0"
    else:
        value = state.get(_w("val"), "1")
    return _TICKED if value in ("1", "true", "on") else _UNTICKED


def _inline_text(p: Any) -> str:
    """The text of a paragraph as a reader sees it: tabs, line breaks and ticked boxes included."""
    out: list[str] = []
    walker = etree.iterwalk(p, events=("start", "end"))
    for event, el in walker:
        tag = el.tag
        if not isinstance(tag, str):
            continue
        if event == "end":
            if tag == _P and el is not p:
                out.append("\n")
            continue
        if tag in _SKIPPED:
            walker.skip_subtree()
        elif tag == _w("t"):
            out.append(el.text or "")
        elif tag == _w("tab"):
            out.append("\t")
        elif tag == _w("br"):
            if el.get(_w("type")) in (None, "textWrapping"):
                out.append("\n")
        elif tag == _w("cr"):
            out.append("\n")
        elif tag == _w("noBreakHyphen"):
            out.append("-")
        elif tag == _w("sym"):
            out.append(_SYMBOLS.get((el.get(_w("char")) or "").upper(), ""))
        elif tag == _SDT:
            glyph = _checkbox(el)
            if glyph is not None:
                out.append(glyph)
                walker.skip_subtree()
            elif el.find(f"{_w('sdtPr')}/{_w('showingPlcHdr')}") is not None:
                walker.skip_subtree()  # "Click or tap here to enter text." is not an answer
        elif tag == _w("fldChar") and el.get(_w("fldCharType")) == "begin":
            out.append(_form_checkbox(el) or "")
    return "".join(out)


def _children(el: Any, wanted: frozenset[str]) -> list[Any]:
    """Children of ``el`` tagged ``wanted``, looking through content controls and wrappers."""
    found: list[Any] = []
    stack = list(reversed(el))
    while stack:
        child = stack.pop()
        if child.tag in wanted:
            found.append(child)
        elif child.tag == _SDT:
            if child.find(f"{_w('sdtPr')}/{_w('showingPlcHdr')}") is None:
                content = child.find(_SDT_CONTENT)
                if content is not None:
                    stack.extend(reversed(content))
        elif child.tag in _WRAPPERS:
            stack.extend(reversed(child))
    return found


def _int(el: Any, default: int, most: int) -> int:
    if el is None:
        return default
    try:
        return max(min(default, 1), min(int(el.get(_w("val"), default)), most))
    except ValueError:
        return default


class _BlockReader:
    """Paragraph texts and table grids in document order; nested tables follow their table."""

    def __init__(self) -> None:
        self.cells = 0

    def blocks(self, body: Any) -> list[Block]:
        out: list[Block] = []
        for el in _children(body, _BLOCKS):
            if el.tag == _P:
                out.append(_inline_text(el))
                continue
            queue = [el]
            while queue:
                out.append(self.grid(queue.pop(0), queue))
        return out

    def grid(self, tbl: Any, nested: list[Any]) -> Grid:
        grid = Grid()
        above: dict[int, Cell | None] = {}
        for tr in _children(tbl, _ROW):
            row: list[Cell | None] = []
            row.extend([None] * _int(tr.find(f"{_w('trPr')}/{_w('gridBefore')}"), 0, MAX_GRID_SPAN))
            for tc in _children(tr, _CELL):
                props = tc.find(_w("tcPr"))
                span = _int(_find(props, "gridSpan"), 1, MAX_GRID_SPAN)
                vmerge = _find(props, "vMerge")
                hmerge = _find(props, "hMerge")
                col = len(row)
                cell: Cell | None
                if vmerge is not None and vmerge.get(_w("val")) != "restart" and col in above:
                    cell = above[col]
                elif hmerge is not None and hmerge.get(_w("val")) != "restart" and row:
                    cell = row[-1]
                else:
                    cell = Cell("\n".join(_inline_text(p) for p in _children(tc, _PARA)))
                    nested.extend(_children(tc, _TABLE))
                for c in range(col, col + span):
                    above[c] = cell
                row.extend([cell] * span)
                self.cells += span
            if self.cells > MAX_CELLS:
                raise HostileFile()
            grid.rows.append(row)
        return grid


def _find(props: Any, name: str) -> Any:
    return None if props is None else props.find(_w(name))


def read_blocks(body: Any) -> list[Block]:
    """The paragraphs and tables of a document's body (``document.element.body``), in order."""
    return _BlockReader().blocks(body)
