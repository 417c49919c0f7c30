"""A Word referral form "saved as PDF": its printed text read back into paragraphs and tables.

Schools fill in the Word form and often save or print it as a PDF. Such a file
has no form fields and no embedded record, only text drawn on the page, so the
form is rebuilt from the drawing: the ruled lines of its tables (Appendix A is a
ruled form) give the cells, and each piece of text goes to the cell it lies in.
The result is the same ``docx_text`` blocks a Word form gives — paragraph texts
and ``Grid`` tables, a merged cell the same ``Cell`` in every place it covers —
so ``docx_fields.read_form`` finds each field by its label exactly as it does in
a Word form.

A line that ends in a space was wrapped by the word processor (the space stays
at the end of the line, as LibreOffice and Word draw it) and is joined to the
next one; a line without it ended its paragraph. Text is read with pypdf from a
PDF already decrypted in memory by ``pdf.parse_pdf``; nothing is written to disk.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field

from cme_desktop.services.errors import CmeError, CorruptFile, HostileFile, NotAReferral
from cme_desktop.services.importing.docx_text import Block, Cell, Grid
from cme_desktop.services.importing.form_labels import is_note

__all__ = ["MAX_PAGES", "read_flat_pdf"]

#: A referral form is a few pages; a long PDF is some other document.
MAX_PAGES = 30
#: Pieces of text and drawn lines on one page, far beyond any form.
MAX_PIECES = 20_000
#: Points within which two rules, or two lines of text, are the same.
_SAME = 1.5
#: A drawn rectangle this thin is a rule (Word draws table borders as thin rectangles).
_THIN = 2.0
#: Space between a cell's rules and its text, each side (Word's default cell margin).
_PADDING = 5.4
#: A character's width, as a share of the font size, in the sans faces forms use.
_CHAR = 0.5
#: The tick boxes of a form, drawn as characters.
_BOXES = "☐☒☑□■✓✔✗✘"
#: A one-word line this full of its cell was broken by the word processor (the estimate
#: of its width is rough: a long word is what matters).
_FULL = 0.75
_NOT_A_FORM = (
    "This PDF is not a CME referral: it is neither a referral exported by CME Desktop nor "
    "the fillable referral form, and its printed text is not laid out like the referral "
    "form (Appendix A). If it is the Word form saved or printed as PDF with parts missing, "
    "ask the sender for the Word form (.docx) itself, protected with a password."
)


@dataclass(frozen=True)
class _Piece:
    x: float
    y: float
    text: str
    size: float = 11.0  # the font size as drawn, for the width a line takes


@dataclass(frozen=True)
class _Rule:
    horizontal: bool
    at: float  # y of a horizontal rule, x of a vertical one
    start: float
    end: float


@dataclass
class _Table:
    rules: list[_Rule]
    xs: list[float] = field(default_factory=list)
    ys: list[float] = field(default_factory=list)  # top first

    def contains(self, x: float, y: float) -> bool:
        return (
            self.xs[0] - _SAME <= x <= self.xs[-1] + _SAME
            and self.ys[-1] - _SAME <= y <= self.ys[0] + _SAME
        )


def read_flat_pdf(data: bytes) -> list[Block]:
    """The paragraphs and tables of an unencrypted PDF ``data``, in reading order.

    Raises ``NotAReferral`` for a PDF with no text (a scan) or far too many pages,
    ``HostileFile`` for a page with an absurd amount of drawing, ``CorruptFile``
    when pypdf cannot read it.
    """
    import pypdf

    # pypdf reports what it makes of a damaged file on its logger, sometimes with pieces
    # of the file's text: the program's log names no child, so those reports are dropped.
    logging.getLogger("pypdf").setLevel(logging.CRITICAL)
    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        if len(reader.pages) > MAX_PAGES:
            raise NotAReferral(
                f"This PDF has {len(reader.pages)} pages, far more than a referral form."
            )
        blocks: list[Block] = []
        for page in reader.pages:
            _continue(blocks, _page_blocks(page))
    except CmeError:
        raise
    # pypdf raises a spread of errors on a damaged or hostile file (its own, ValueError,
    # KeyError, NotImplementedError for a filter it does not know ...): all mean the same.
    except Exception as exc:
        raise CorruptFile("The PDF is damaged and its text cannot be read.") from exc
    if not any(isinstance(b, Grid) or b.strip() for b in blocks):
        raise NotAReferral(
            "This PDF is not a CME referral: it is neither a referral exported by CME "
            "Desktop nor the fillable referral form, and it has no text to read (it may be a "
            "scan). Ask the sender for the Word form (.docx) itself, protected with a password."
        )
    return blocks


def _continue(blocks: list[Block], page: list[Block]) -> None:
    """Add a page's blocks; a table running on from the page before joins it.

    A row split by the page break (its first cell empty, or in a one-column table
    the form's own guidance under a question) is joined to the row it continues.
    """
    if blocks and page and isinstance(blocks[-1], Grid) and isinstance(page[0], Grid):
        before, after = blocks[-1], page[0]
        if before.rows and after.rows and len(before.rows[-1]) == len(after.rows[0]):
            first, last = after.rows[0], before.rows[-1]
            split = (first[0] is None or not first[0].text) or (
                len(first) == 1 and first[0] is not None and is_note(first[0].text)
            )
            rows = after.rows
            if split:
                for mine, more in zip(last, first, strict=True):
                    if mine is not None and more is not None and more.text:
                        mine.text = f"{mine.text}\n{more.text}" if mine.text else more.text
                rows = rows[1:]
            before.rows.extend(rows)
            page = page[1:]
    blocks.extend(page)


def not_a_form() -> NotAReferral:
    """The error for a flat PDF whose text is not the referral form."""
    return NotAReferral(_NOT_A_FORM)


# --- what the page draws ---------------------------------------------------------------


def _apply(cm: list[float], x: float, y: float) -> tuple[float, float]:
    return x * cm[0] + y * cm[2] + cm[4], x * cm[1] + y * cm[3] + cm[5]


def _page_blocks(page: object) -> list[Block]:
    pieces: list[_Piece] = []
    rules: list[_Rule] = []
    at: list[tuple[float, float]] = [(0.0, 0.0)]

    def count() -> None:
        if len(pieces) + len(rules) > MAX_PIECES:
            raise HostileFile("A page of this PDF draws far more than a referral form.")

    def text(chars: str, cm: list[float], tm: list[float], _font: object, size: float) -> None:
        if chars.strip("\n"):
            x, y = _apply(cm, tm[4], tm[5])
            scale = abs(tm[0] * cm[0]) or 1.0
            pieces.append(_Piece(x, y, chars.replace("\n", ""), float(size) * scale))
            count()

    def operand(op: bytes, args: list[object], cm: list[float], _tm: list[float]) -> None:
        try:
            numbers = [float(a) for a in args]  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return
        if op == b"m" and len(numbers) == 2:
            at[0] = _apply(cm, *numbers)
        elif op == b"l" and len(numbers) == 2:
            end = _apply(cm, *numbers)
            _add_segment(rules, at[0], end)
            at[0] = end
        elif op == b"re" and len(numbers) == 4:
            x, y, w, h = numbers
            (x1, y1), (x2, y2) = _apply(cm, x, y), _apply(cm, x + w, y + h)
            if abs(x2 - x1) <= _THIN < abs(y2 - y1):
                _add_segment(rules, ((x1 + x2) / 2, y1), ((x1 + x2) / 2, y2))
            elif abs(y2 - y1) <= _THIN < abs(x2 - x1):
                _add_segment(rules, (x1, (y1 + y2) / 2), (x2, (y1 + y2) / 2))
        else:
            return
        count()

    page.extract_text(visitor_text=text, visitor_operand_before=operand)  # type: ignore[attr-defined]
    return _blocks(pieces, _tables(rules))


def _add_segment(rules: list[_Rule], a: tuple[float, float], b: tuple[float, float]) -> None:
    (x1, y1), (x2, y2) = a, b
    if abs(y1 - y2) <= 0.5 and abs(x2 - x1) > _SAME:
        rules.append(_Rule(True, (y1 + y2) / 2, min(x1, x2), max(x1, x2)))
    elif abs(x1 - x2) <= 0.5 and abs(y2 - y1) > _SAME:
        rules.append(_Rule(False, (x1 + x2) / 2, min(y1, y2), max(y1, y2)))


# --- tables from the rules ---------------------------------------------------------------


def _meets(h: _Rule, v: _Rule) -> bool:
    return h.start - _SAME <= v.at <= h.end + _SAME and v.start - _SAME <= h.at <= v.end + _SAME


def _tables(rules: list[_Rule]) -> list[_Table]:
    """The rules that cross or touch one another, grouped: one group per ruled table."""
    horizontal = [r for r in rules if r.horizontal]
    vertical = [r for r in rules if not r.horizontal]
    parent = list(range(len(horizontal) + len(vertical)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, h in enumerate(horizontal):
        for j, v in enumerate(vertical):
            if _meets(h, v):
                parent[root(i)] = root(len(horizontal) + j)
    groups: dict[int, list[_Rule]] = {}
    for i, rule in enumerate([*horizontal, *vertical]):
        groups.setdefault(root(i), []).append(rule)
    tables = []
    for group in groups.values():
        xs = _distinct(r.at for r in group if not r.horizontal)
        ys = _distinct((r.at for r in group if r.horizontal), reverse=True)
        if len(xs) >= 2 and len(ys) >= 2:
            tables.append(_Table(group, xs, ys))
    return tables


def _distinct(values: Iterator[float], *, reverse: bool = False) -> list[float]:
    out: list[float] = []
    for v in sorted(values):
        if not out or v - out[-1] > _SAME:
            out.append(v)
    return out[::-1] if reverse else out


def _cell_box(table: _Table, x: float, y: float) -> tuple[float, float, float, float] | None:
    """The ruled box around (x, y): the nearest rules above, below, left and right."""
    above = [r.at for r in table.rules if r.horizontal and r.start - _SAME <= x <= r.end + _SAME]
    side = [r.at for r in table.rules if not r.horizontal and r.start - _SAME <= y <= r.end + _SAME]
    top = min((a for a in above if a > y), default=None)
    bottom = max((a for a in above if a < y), default=None)
    left = max((s for s in side if s <= x + 0.5), default=None)
    right = min((s for s in side if s > x + 0.5), default=None)
    if top is None or bottom is None or left is None or right is None:
        return None
    return (round(top, 1), round(bottom, 1), round(left, 1), round(right, 1))


def _grid(table: _Table, pieces: list[_Piece]) -> Grid:
    boxes: dict[tuple[float, float, float, float], list[_Piece]] = {}
    for piece in pieces:
        box = _cell_box(table, piece.x + 0.5, piece.y + 2)
        if box is not None:
            boxes.setdefault(box, []).append(piece)
    cells: dict[tuple[float, float, float, float], Cell] = {}
    grid = Grid()
    for top, bottom in zip(table.ys, table.ys[1:], strict=False):
        row: list[Cell | None] = []
        for left, right in zip(table.xs, table.xs[1:], strict=False):
            box = _cell_box(table, (left + right) / 2, (top + bottom) / 2)
            if box is None:
                row.append(None)
                continue
            if box not in cells:
                width = box[3] - box[2] - 2 * _PADDING
                cells[box] = Cell(_text_of(boxes.get(box, []), width))
            row.append(cells[box])
        if any(cell is not None for cell in row):
            grid.rows.append(row)
    return grid


# --- text ---------------------------------------------------------------------------------


def _lines(pieces: list[_Piece]) -> list[tuple[str, float]]:
    """The pieces as lines of text, top to bottom, each read left to right, with the
    width the line takes (estimated from its font size)."""
    ordered = sorted(pieces, key=lambda p: (-p.y, p.x))
    lines: list[list[_Piece]] = []
    for piece in ordered:
        if lines and abs(lines[-1][0].y - piece.y) <= _SAME:
            lines[-1].append(piece)
        else:
            lines.append([piece])
    out = []
    for line in lines:
        text = _with_boxes(sorted(line, key=lambda p: p.x))
        out.append((text, line[-1].x - line[0].x + _width(line[-1].text, line[-1].size)))
    return out


def _with_boxes(line: list[_Piece]) -> str:
    """A line's text. Tick boxes drawn in a symbol font may come as one piece of their
    own, while the words around them leave a double space where each box stood
    ("Yes  No" and "☒ ☐"): the boxes go back into those gaps, in order ("☒ Yes ☐ No")."""
    boxes = [p for p in line if p.text.strip() and not p.text.strip(_BOXES + " ")]
    words = [p for p in line if p not in boxes]
    glyphs = [ch for p in boxes for ch in p.text if ch in _BOXES]
    if not any(sum(ch in _BOXES for ch in p.text) > 1 for p in boxes):
        glyphs = []  # each box drawn where it stands: reading left to right is right
    text = ""
    for piece in words if glyphs else line:
        gap = text and not text.endswith(" ") and not piece.text.startswith(" ")
        text += (" " if gap else "") + piece.text
    if not glyphs:
        return text
    parts = text.split("  ")
    if len(parts) - 1 != len(glyphs):
        return f"{text} {' '.join(glyphs)}"
    out = parts[0]
    for glyph, part in zip(glyphs, parts[1:], strict=True):
        out += f" {glyph} {part}"
    return out


def _width(text: str, size: float) -> float:
    """About how wide ``text`` is drawn: half the font size a character (a sans face)."""
    return len(text) * size * _CHAR


def _wrapped(line: str, width: float, following: str, room: float | None) -> bool:
    """Whether the word processor broke ``line`` because ``following`` did not fit after it."""
    if line.endswith(" "):
        return True  # the space of a wrapped line stays at its end
    if room is None or not following:
        return False
    # One word filling most of the line, or an email address, broken in two where it
    # did not fit. Lines of several words are joined only on their trailing space: an
    # estimate of their width would join the lines of an address.
    one_word = " " not in line.strip() and " " not in following.strip()
    return one_word and (width >= room * _FULL or "@" in line and "@" not in following)


def _paragraphs(lines: list[tuple[str, float]], room: float | None = None) -> list[str]:
    """Lines joined where the word processor wrapped them (see ``_wrapped``)."""
    out: list[str] = []
    for n, (line, width) in enumerate(lines):
        following = lines[n + 1][0] if n + 1 < len(lines) else ""
        if out and out[-1].endswith("\0"):
            out[-1] = out[-1][:-1] + line
        else:
            out.append(line)
        if following and _wrapped(line, width, following, room):
            joiner = "" if line.endswith(" ") or " " not in line.strip() else " "
            out[-1] = out[-1].rstrip(" ") + (" " if line.endswith(" ") else joiner) + "\0"
    return [p.rstrip("\0").strip() for p in out]


def _text_of(pieces: list[_Piece], room: float | None = None) -> str:
    return "\n".join(_paragraphs(_lines(pieces), room))


def _blocks(pieces: list[_Piece], tables: list[_Table]) -> list[Block]:
    """Paragraphs and tables in the order they stand on the page, top to bottom."""
    loose: list[_Piece] = []
    inside: list[list[_Piece]] = [[] for _ in tables]
    for piece in pieces:
        where = next(
            (i for i, t in enumerate(tables) if t.contains(piece.x + 0.5, piece.y + 2)), None
        )
        if where is None:
            loose.append(piece)
        else:
            inside[where].append(piece)
    placed: list[tuple[float, Block]] = []
    lines = sorted(loose, key=lambda p: (-p.y, p.x))
    groups: list[list[_Piece]] = []
    for piece in lines:
        if groups and abs(groups[-1][0].y - piece.y) <= _SAME:
            groups[-1].append(piece)
        else:
            groups.append([piece])
    pending: list[tuple[str, float]] = []
    pending_y = 0.0
    for group in groups:
        # A paragraph ends where a table starts between two of its lines.
        if pending and any(pending_y > t.ys[0] >= group[0].y for t in tables):
            placed.extend((pending_y, p) for p in _paragraphs(pending))
            pending = []
        if not pending:
            pending_y = group[0].y
        pending.extend(_lines(group))
    placed.extend((pending_y, p) for p in _paragraphs(pending))
    for table, inner in zip(tables, inside, strict=True):
        grid = _grid(table, inner)
        if grid.rows:
            placed.append((table.ys[0], grid))
    placed.sort(key=lambda item: -item[0])
    return [block for _, block in placed]
