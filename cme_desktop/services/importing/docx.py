"""Import a referral from a Word form (``.docx``) shaped like policy Appendix A.

Schools fill in their own copy of the form, so its tables are found by their
labels, never by position: a label may carry a colon, odd spacing, ``( s )``,
a different case; its value may sit in the next cell, the cell below or a
merged cell; Yes/No may be ``Y``, ``X`` or a ticked box. A document written by
``referral_docx`` carries its exact record, used while the document's text is
unchanged since it was written.

Before python-docx sees a byte, the file is checked: its size, the zip's
entry count, declared sizes and compression ratios (zip bombs), and every XML
part for DOCTYPE or ENTITY declarations (entity expansion). Protected files
are decrypted in memory; nothing decrypted is written to disk.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from typing import Any

import docx
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from lxml import etree

from cme_desktop.models.vocabularies import (
    ACTIONS_HEADING,
    ASSESSMENT_HEADING,
    ASSESSMENT_QUESTIONS,
    INDICATOR_COLUMNS,
    INDICATORS_INTRO,
    PARENTAL_CONSENT_QUESTION,
    REFERRER_ACTIONS,
    REFERRER_HEADING,
    RISK_INDICATORS,
    SOCIAL_CARE_REFERRAL_QUESTION,
)
from cme_desktop.services.documents.referral_docx import (
    ACTION_COLUMN,
    ADDITIONAL_FIELD,
    ASSESSMENT_NOTES,
    CHILD_FIELDS,
    EMBEDDED_NAMESPACE,
    OUTCOME_COLUMN,
    PUPIL_FIELDS,
    REFERRER_FIELDS,
    SIGNATURE_LABEL,
    FormField,
    form_text_digest,
)
from cme_desktop.services.errors import (
    CmeError,
    CorruptFile,
    HostileFile,
    NotAReferral,
    UnsupportedFile,
)
from cme_desktop.services.importing.result import ParsedReferral
from cme_desktop.services.protection.office import OLE_MAGIC, decrypt_office
from cme_desktop.services.referral.record import (
    Referral,
    empty_referral,
    find_date_in_text,
    from_json,
    normalise,
    parse_timing,
    parse_uk_date,
    parse_yes_no,
    split_pupil_names,
)

__all__ = ["MAX_DOCX_SIZE", "parse_docx"]

#: A filled-in form is tens of kilobytes; a logo makes it hundreds.
MAX_DOCX_SIZE = 20 * 1024 * 1024
MAX_ZIP_ENTRIES = 1000
MAX_PART_SIZE = 32 * 1024 * 1024
MAX_UNCOMPRESSED_TOTAL = 64 * 1024 * 1024
#: Word's XML compresses about 10:1; 100:1 on a large part is a bomb.
MAX_COMPRESSION_RATIO = 100
MAX_CELLS = 50_000
MAX_GRID_SPAN = 64

_DOCTYPE = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_DOC_MESSAGE = (
    "This is an old-style Word document (.doc), which cannot be imported. Ask the sender to "
    "save it as a Word Document (.docx, Word 2007 or later) and protect it with a password."
)
_DAMAGED = "The Word document is damaged or incomplete and cannot be read."


def parse_docx(data: bytes, *, password: str | None, source: str) -> list[ParsedReferral]:
    """The referral in a Word form (``.docx``), protected with a password or not.

    Returns one ``ParsedReferral`` (a list, like every importer); fields read
    without confidence are listed in its ``uncertain``. Raises
    ``PasswordRequired``/``WrongPassword`` for a protected file,
    ``UnsupportedFile`` for a ``.doc`` or another kind of file, ``CorruptFile``
    for a damaged one, ``HostileFile`` for a zip bomb or entity declarations,
    ``NotAReferral`` for a Word document that is not an Appendix A form.
    """
    original = data
    if len(data) > MAX_DOCX_SIZE:
        raise HostileFile(
            f"The file is larger than {MAX_DOCX_SIZE // (1024 * 1024)} MB, too large to be a "
            "referral form."
        )
    if data.startswith(OLE_MAGIC):
        data = decrypt_office(data, password)
    document = _open_document(data)
    body = document.element.body
    ref = _embedded_record(document, body)
    uncertain: tuple[str, ...] = ()
    if ref is None:
        ref, uncertain = _FormReader(_read_blocks(body)).referral()
    name = source.rsplit("›", 1)[-1].strip()
    return [
        ParsedReferral(
            referral=ref,
            source=source,
            uncertain=uncertain,
            original=original,
            original_name=name,
        )
    ]


# --- opening the package safely ------------------------------------------------


def _open_document(data: bytes) -> Any:
    if not data.startswith(b"PK"):
        head = data[:16].lstrip()
        if head.startswith(b"{\\rtf"):
            raise UnsupportedFile(
                "This is a Rich Text (.rtf) file. Ask the sender to save it as a Word "
                "Document (.docx) and protect it with a password."
            )
        if head.startswith(b"%PDF"):
            raise UnsupportedFile("This is a PDF file, not a Word document.")
        raise CorruptFile("This file is not a Word document (.docx), or it is damaged.")
    # Counting central-directory records before zipfile builds one object per entry.
    if data.count(b"PK\x01\x02") > MAX_ZIP_ENTRIES:
        raise HostileFile()
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        _check_archive(archive)
    except CmeError:
        raise
    # zipfile raises a spread of errors on a damaged archive; all mean the same.
    except Exception as exc:
        raise CorruptFile(_DAMAGED) from exc
    try:
        return docx.Document(io.BytesIO(data))
    except ValueError as exc:
        if "not a Word file" in str(exc):
            raise UnsupportedFile("This file is not a Word document (.docx).") from exc
        raise CorruptFile(_DAMAGED) from exc
    # python-docx and lxml raise many kinds of error on damaged parts.
    except Exception as exc:
        raise CorruptFile(_DAMAGED) from exc


def _check_archive(archive: zipfile.ZipFile) -> None:
    """Refuse a zip bomb, and XML that declares a DOCTYPE or entities, before python-docx."""
    infos = archive.infolist()
    if len(infos) > MAX_ZIP_ENTRIES:
        raise HostileFile()
    names = set()
    total = 0
    for info in infos:
        if info.filename in names:
            raise CorruptFile(_DAMAGED)
        names.add(info.filename)
        if info.flag_bits & 0x1 or info.compress_type not in (
            zipfile.ZIP_STORED,
            zipfile.ZIP_DEFLATED,
        ):
            raise CorruptFile(_DAMAGED)
        total += info.file_size
        if info.file_size > MAX_PART_SIZE or total > MAX_UNCOMPRESSED_TOTAL:
            raise HostileFile()
        if info.file_size > 1024 * 1024 and info.file_size > MAX_COMPRESSION_RATIO * max(
            info.compress_size, 1
        ):
            raise HostileFile()
    try:
        types_info = archive.getinfo("[Content_Types].xml")
    except KeyError as exc:
        raise CorruptFile(_DAMAGED) from exc
    defaults, overrides = _content_types(_read_part(archive, types_info, xml=True))
    for info in infos:
        name = info.filename
        ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        kind = overrides.get("/" + name.lower(), defaults.get(ext, ""))
        xml = name.endswith(".rels") or (kind.endswith("xml") and not kind.startswith("image/"))
        # Every part is read once here, within its declared size, so that a part that
        # lies about its size fails its CRC now instead of inflating inside python-docx.
        _read_part(archive, info, xml=xml)


def _read_part(archive: zipfile.ZipFile, info: zipfile.ZipInfo, *, xml: bool) -> bytes:
    with archive.open(info) as part:
        blob = part.read(info.file_size + 1)
    if len(blob) > info.file_size:
        raise CorruptFile(_DAMAGED)
    if xml and _DOCTYPE.search(blob.replace(b"\x00", b"")):
        raise HostileFile(
            "The file contains XML declarations that are used to attack software; it has "
            "not been opened."
        )
    return blob


def _safe_parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def _content_types(blob: bytes) -> tuple[dict[str, str], dict[str, str]]:
    root = etree.fromstring(blob, parser=_safe_parser())
    defaults: dict[str, str] = {}
    overrides: dict[str, str] = {}
    for el in root:
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag.endswith("}Default"):
            defaults[el.get("Extension", "").lower()] = el.get("ContentType", "")
        elif tag.endswith("}Override"):
            overrides[el.get("PartName", "").lower()] = el.get("ContentType", "")
    return defaults, overrides


def _embedded_record(document: Any, body: Any) -> Referral | None:
    """The record embedded by ``render_docx``, if present and the text is unchanged."""
    for rel in document.part.rels.values():
        if rel.is_external or rel.reltype != RT.CUSTOM_XML:
            continue
        try:
            root = etree.fromstring(rel.target_part.blob, parser=_safe_parser())
        except etree.XMLSyntaxError:
            continue
        if root.tag != f"{{{EMBEDDED_NAMESPACE}}}referral":
            continue
        if root.get("text-sha256") != form_text_digest(body):
            return None  # edited in Word since it was written: read what it says now
        try:
            return from_json(root.text or "")
        except CmeError:
            return None
    return None


# --- the document as blocks of text ------------------------------------------------

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
class _Cell:
    text: str
    label: str | None = None  # the key of the field this cell is the label of
    is_label: bool = False


@dataclass(eq=False)
class _Grid:
    rows: list[list[_Cell | None]] = field(default_factory=list)


_Block = str | _Grid


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

    def blocks(self, body: Any) -> list[_Block]:
        out: list[_Block] = []
        for el in _children(body, _BLOCKS):
            if el.tag == _P:
                out.append(_inline_text(el))
                continue
            queue = [el]
            while queue:
                out.append(self.grid(queue.pop(0), queue))
        return out

    def grid(self, tbl: Any, nested: list[Any]) -> _Grid:
        grid = _Grid()
        above: dict[int, _Cell | None] = {}
        for tr in _children(tbl, _ROW):
            row: list[_Cell | None] = []
            row.extend([None] * _int(tr.find(f"{_w('trPr')}/{_w('gridBefore')}"), 0, MAX_GRID_SPAN))
            for tc in _children(tr, _CELL):
                props = tc.find(_w("tcPr"))
                span = _int(_find(props, "gridSpan"), 1, MAX_GRID_SPAN)
                vmerge = _find(props, "vMerge")
                hmerge = _find(props, "hMerge")
                col = len(row)
                cell: _Cell | None
                if vmerge is not None and vmerge.get(_w("val")) != "restart" and col in above:
                    cell = above[col]
                elif hmerge is not None and hmerge.get(_w("val")) != "restart" and row:
                    cell = row[-1]
                else:
                    cell = _Cell("\n".join(_inline_text(p) for p in _children(tc, _PARA)))
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


def _read_blocks(body: Any) -> list[_Block]:
    return _BlockReader().blocks(body)


# --- finding the form's fields by their labels ------------------------------------


def _norm(text: str) -> str:
    """Letters and digits only, case-folded: ``Name of Pupil ( s ):`` → ``nameofpupils``."""
    folded = unicodedata.normalize("NFKC", text).casefold().replace("&", "and")
    return "".join(ch for ch in folded if ch.isalnum())


def _after_label(raw: str, label: str) -> str | None:
    """What follows ``label`` (normalised) at the start of ``raw``; ``None`` if it is not there."""
    i = 0
    for pos, ch in enumerate(raw):
        if i == len(label):
            return raw[pos:]
        piece = _norm(ch)
        if not piece:
            continue
        if not label.startswith(piece, i):
            return None
        i += len(piece)
    return "" if i == len(label) else None


_SEPARATORS = ":?-–—=\n"
_LEADING_NUMBER = re.compile(r"^\s*\(?[0-9]{1,2}\s*[.):\-]?\s*")
_PROMPTS = frozenset(
    _norm(p) for p in ("Yes/No", "Y/N", "No/Yes", "N/A", "Not applicable", "C/H", "Not known")
)
_SHARED_BY_SIBLINGS = frozenset({"ethnicity", "child_in_care"})
_DATE_LINE = re.compile(
    r"^\s*(?:date(?:\s+completed)?|completed(?:\s+on)?|done(?:\s+on)?)\s*[:\-–]\s*(.*?)\s*$",
    re.IGNORECASE,
)
_YES_NO_PROMPT = re.compile(r"^\s*(?:yes\s*/\s*no|y\s*/\s*n)\b[\W_]*(\S.*)$", re.I | re.S)


@dataclass(frozen=True)
class _Label:
    key: str  # "child.aka", "email", "referrer.name", "action.<key>", "indicator.<n>", ...
    norms: tuple[str, ...]  # the label's wordings, normalised, longest first
    prefix: bool = False  # guidance may follow the label in its cell
    group: str = ""


def _field_label(prefix: str, f: FormField, group: str, *, guided: bool = False) -> _Label:
    wordings = {f.label, f"{f.label} {f.note}", *f.aliases}
    norms = tuple(sorted({_norm(w) for w in wordings}, key=len, reverse=True))
    return _Label(prefix + f.path, norms, guided, group)


_FIELD_LABELS: tuple[_Label, ...] = (
    *(_field_label("child.", f, "pupil") for f in CHILD_FIELDS),
    *(_field_label("", f, "pupil") for f in PUPIL_FIELDS),
    _field_label("", ADDITIONAL_FIELD, "pupil", guided=True),
    *(_field_label("", f, "referrer") for f in REFERRER_FIELDS),
)
_GROUP_OF = {label.key: label.group for label in _FIELD_LABELS}
_GUIDED_LABELS: tuple[_Label, ...] = (
    *(_Label(f"action.{t.key}", (_norm(t.label),), True) for t in REFERRER_ACTIONS),
    *(_Label(f"indicator.{t.key}", (_norm(t.label),), True) for t in RISK_INDICATORS),
    *(_Label(f"assessment.{t.key}", (_norm(t.label),), True) for t in ASSESSMENT_QUESTIONS),
)
_QUESTIONS: tuple[tuple[str, str], ...] = tuple(
    (key, _norm(question.rsplit(",", 1)[-1]))
    for key, question in (
        ("social_care_referral_considered", SOCIAL_CARE_REFERRAL_QUESTION),
        ("parental_consent", PARENTAL_CONSENT_QUESTION),
    )
)
_HEADINGS = frozenset(
    _norm(h)
    for h in (
        ACTIONS_HEADING,
        ACTION_COLUMN,
        OUTCOME_COLUMN,
        *INDICATOR_COLUMNS[1:],
        INDICATORS_INTRO,
        ASSESSMENT_HEADING,
        REFERRER_HEADING,
        SIGNATURE_LABEL,
    )
)
_NOTES = tuple(_norm(n) for n in (*ASSESSMENT_NOTES, *(t.help for t in ASSESSMENT_QUESTIONS)) if n)


def _is_note(line: str) -> bool:
    n = _norm(line)
    return not n or n in _NOTES or (len(n) >= 12 and any(n in note for note in _NOTES))


@dataclass(frozen=True)
class _Match:
    key: str | None  # None for a heading
    inline: str | None = None  # "label: value" in one cell; None when the cell is the label


def _classify(text: str) -> _Match | None:
    """Which label ``text`` is (or starts with, followed by ``:`` and a value), if any."""
    head = text[:600]
    n = _norm(head)
    if not n:
        return None
    if n in _HEADINGS:
        return _Match(None)
    for label in _FIELD_LABELS:
        for wording in label.norms:
            if not n.startswith(wording):
                continue
            rest = _after_label(head, wording)
            if rest is None:
                continue
            if not _norm(rest):
                return _Match(label.key)
            tail = rest.lstrip(" \t)].")
            if tail[0] in (":" if label.prefix else _SEPARATORS):
                value = text[len(head) - len(rest) :].lstrip(")]. \t" + _SEPARATORS)
                return _Match(label.key, value)
            if label.prefix:
                return _Match(label.key)
    numbered = _norm(_LEADING_NUMBER.sub("", head, count=1))
    for label in _GUIDED_LABELS:
        if n.startswith(label.norms[0]) or numbered.startswith(label.norms[0]):
            return _Match(label.key)
    if any(core in n for _, core in _QUESTIONS):
        return _Match(None)
    return None


@dataclass(frozen=True)
class _Place:
    grid: int
    row: int
    col: int
    cell: _Cell


class _FormReader:
    """Reads the Appendix A fields out of a document's blocks, noting what is uncertain."""

    def __init__(self, blocks: list[_Block]) -> None:
        self.blocks = blocks
        self.grids = [b for b in blocks if isinstance(b, _Grid)]
        self.places: dict[str, list[_Place]] = {}
        self.inline: dict[str, list[tuple[int, str]]] = {}
        self.grid_keys: list[set[str]] = []
        self.found: set[str] = set()
        self.weak: set[str] = set()
        self.uncertain: list[str] = []
        for gi, grid in enumerate(self.grids):
            keys: set[str] = set()
            seen: set[int] = set()
            for r, row in enumerate(grid.rows):
                for c, cell in enumerate(row):
                    if cell is None or id(cell) in seen:
                        continue
                    seen.add(id(cell))
                    match = _classify(cell.text)
                    if match is None:
                        continue
                    if match.inline is not None and match.key is not None:
                        self.inline.setdefault(match.key, []).append((gi, match.inline))
                        continue
                    cell.is_label = True
                    if match.key is not None:
                        cell.label = match.key
                        keys.add(match.key)
                        self.places.setdefault(match.key, []).append(_Place(gi, r, c, cell))
            self.grid_keys.append(keys)
        for block in blocks:
            if isinstance(block, str):
                match = _classify(block)
                if match is not None and match.key is not None and match.inline is not None:
                    self.inline.setdefault(match.key, []).append((-1, match.inline))

    # -- locating values --

    def locate(self, label: _Label) -> str | None:
        """The text written for a field, ``None`` when its label is nowhere in the document."""
        places = self.places.get(label.key)
        if places:
            place = max(places, key=lambda p: (self._affinity(p.grid, label.group), -p.grid))
            self.found.add(label.key)
            return self._value_at(place)
        inline = self.inline.get(label.key)
        if inline:
            gi, value = max(inline, key=lambda g: (self._affinity(g[0], label.group), -g[0]))
            # "Email: ..." in a letter is weak evidence of a form; in a table it is not.
            (self.found if gi >= 0 else self.weak).add(label.key)
            return value
        return None

    def _affinity(self, grid: int, group: str) -> int:
        """How many labels of ``group`` a table holds: "Name" belongs with "Position/Title"."""
        if grid < 0 or not group:
            return 0
        return sum(1 for k in self.grid_keys[grid] if _GROUP_OF.get(k) == group)

    def _value_at(self, place: _Place) -> str:
        """The value beside a label (cells to its right up to the next label), else below it."""
        rows = self.grids[place.grid].rows
        cell, c = place.cell, place.col
        seen = {id(cell)}
        texts: list[str] = []
        beside = False
        r = place.row
        while r < len(rows) and c < len(rows[r]) and rows[r][c] is cell:
            for other in rows[r][c + 1 :]:
                if other is None or id(other) in seen:
                    continue
                seen.add(id(other))
                if other.is_label:
                    break
                beside = True
                texts.append(other.text)
            r += 1
        if beside:
            texts = texts if len(texts) == 1 else [t for t in texts if t.strip()]
            return "\n".join(texts)
        for below in rows[r : r + 3]:
            other = below[c] if c < len(below) else None
            if other is None or id(other) in seen:
                continue
            return "" if other.is_label else other.text
        return ""

    def right_of(self, place: _Place, count: int) -> list[str]:
        """The texts of up to ``count`` distinct cells right of a label, in its row."""
        row = self.grids[place.grid].rows[place.row]
        out: list[str] = []
        seen = {id(place.cell)}
        for other in row[place.col + 1 :]:
            if other is None or id(other) in seen:
                continue
            seen.add(id(other))
            if other.is_label or len(out) == count:
                break
            out.append(other.text)
        return out

    # -- reading values --

    def date(self, text: str | None, path: str) -> str | None:
        text = (text or "").strip()
        if not text:
            return None
        when = parse_uk_date(text)
        if when is None:
            self.uncertain.append(path)
            when = find_date_in_text(text)
        return None if when is None else when.isoformat()

    def yes_no(self, text: str | None, path: str) -> bool | None:
        text = text or ""
        answer = parse_yes_no(text)
        if answer is None and text.strip() and _norm(text) not in _PROMPTS:
            self.uncertain.append(path)
        return answer

    def value(self, text: str, kind: str, path: str) -> Any:
        if kind == "date":
            return self.date(text, path)
        if kind == "yes_no":
            return self.yes_no(text, path)
        return text

    # -- the record --

    def referral(self) -> tuple[Referral, tuple[str, ...]]:
        ref = empty_referral()
        labels = {lab.key: lab for lab in _FIELD_LABELS}
        ref["children"] = self.children(labels)
        for f in PUPIL_FIELDS + (ADDITIONAL_FIELD,):
            text = self.locate(labels[f.path])
            if text is None:
                self.uncertain.append(f.path)
            else:
                ref[f.path] = self.value(text, f.kind, f.path)
        for f in REFERRER_FIELDS:
            text = self.locate(labels[f.path])
            key = f.path.split(".", 1)[1]
            if text is None:
                self.uncertain.append(f.path)
            else:
                ref["referrer"][key] = self.value(text, f.kind, f.path)
        for action in REFERRER_ACTIONS:
            ref["referrer_actions"][action.key] = self.action(action.key)
        for term in RISK_INDICATORS:
            ref["risk_indicators"][term.key] = self.indicator(term.key)
        for key, core in _QUESTIONS:
            ref[key] = self.question(key, core)
        for term in ASSESSMENT_QUESTIONS:
            ref["assessment"][term.key] = self.assessment(term.key)
        named = "child.full_name" in self.found | self.weak
        if len(self.found) < 3 and not (named and len(self.found | self.weak) >= 5):
            raise NotAReferral(
                "This Word document is not a CME referral form: none of the labels of the "
                "referral checklist (Name of Pupil(s), Date of Birth, the risk indicators...) "
                "were found in it."
            )
        record = normalise(ref)
        return record, tuple(dict.fromkeys(self.uncertain))

    def children(self, labels: dict[str, _Label]) -> list[dict[str, Any]]:
        names_text = self.locate(labels["child.full_name"])
        if names_text is None:
            self.uncertain.append("children.0.full_name")
        names = split_pupil_names(names_text or "") or [(names_text or "").strip()]
        template = empty_referral()["children"][0]
        children = [dict(template, full_name=name) for name in names]
        count = len(children)
        for f in CHILD_FIELDS[1:]:
            text = self.locate(labels[f"child.{f.path}"])
            if text is None:
                if f.path != "upn":  # not on the policy's form, so not missed
                    self.uncertain.extend(f"children.{i}.{f.path}" for i in range(count))
                continue
            values, doubtful = _distribute(text, count, shared=f.path in _SHARED_BY_SIBLINGS)
            for i, value in enumerate(values):
                path = f"children.{i}.{f.path}"
                children[i][f.path] = self.value(value, f.kind, path)
                if i in doubtful:
                    self.uncertain.append(path)
        return children

    def action(self, key: str) -> dict[str, Any]:
        path = f"referrer_actions.{key}"
        text = self.locate(_Label(f"action.{key}", ()))
        if text is None:
            self.uncertain.append(f"{path}.outcome")
            return {"outcome": "", "date": None}
        lines = text.split("\n")
        date_text = None
        for i in range(len(lines) - 1, -1, -1):
            match = _DATE_LINE.match(lines[i])
            if match:
                date_text = match.group(1)
                del lines[i]
                break
        outcome = "\n".join(lines)
        if date_text is not None:
            return {"outcome": outcome, "date": self.date(date_text, f"{path}.date")}
        found = find_date_in_text(outcome)
        return {"outcome": outcome, "date": None if found is None else found.isoformat()}

    def indicator(self, key: str) -> dict[str, Any]:
        path = f"risk_indicators.{key}"
        places = self.places.get(f"indicator.{key}")
        if not places:
            self.uncertain.append(f"{path}.present")
            return {"present": None, "timing": None}
        self.found.add(f"indicator.{key}")
        cells = self.right_of(places[0], 2)
        present_text = cells[0] if cells else ""
        timing_text = cells[1] if len(cells) > 1 else ""
        if len(cells) == 1:
            combined = re.match(r"\s*(yes|no|y|n|x|☒|☐)\b[\s,;/\-–(]*(.*)$", present_text, re.I)
            if combined and parse_yes_no(present_text) is None:
                present_text, timing_text = combined.group(1), combined.group(2)
        present = self.yes_no(present_text, f"{path}.present")
        timing = parse_timing(timing_text)
        if timing is None and timing_text.strip() and _norm(timing_text) not in _PROMPTS:
            self.uncertain.append(f"{path}.timing")
        if timing is not None and present is None:
            # A timing without an answer can only mean the indicator applies.
            present = True
            self.uncertain.append(f"{path}.present")
        elif timing is not None and present is False:
            self.uncertain.append(f"{path}.timing")
        return {"present": present, "timing": timing}

    def question(self, key: str, core: str) -> bool | None:
        answer = self._question_text(core)
        if answer is None:
            self.uncertain.append(key)
            return None
        self.found.add(key)
        prompt = _YES_NO_PROMPT.match(answer)
        if prompt:
            answer = prompt.group(1)
        return self.yes_no(answer, key)

    def _question_text(self, core: str) -> str | None:
        for bi, block in enumerate(self.blocks):
            if isinstance(block, str):
                answer = _answer_after(block, core)
                if answer is None:
                    continue
                following = self.blocks[bi + 1] if bi + 1 < len(self.blocks) else None
                if (
                    not answer.strip()
                    and isinstance(following, str)
                    and len(following.strip()) <= 40
                    and _classify(following) is None
                ):
                    return following
                return answer
            for place in self._cells(block):
                answer = _answer_after(place.cell.text, core)
                if answer is None:
                    continue
                if not answer.strip():
                    beside = self.right_of(place, 1)
                    return beside[0] if beside else ""
                return answer
        return None

    def _cells(self, grid: _Grid) -> list[_Place]:
        gi = self.grids.index(grid)
        seen: set[int] = set()
        out = []
        for r, row in enumerate(grid.rows):
            for c, cell in enumerate(row):
                if cell is not None and id(cell) not in seen:
                    seen.add(id(cell))
                    out.append(_Place(gi, r, c, cell))
        return out

    def assessment(self, key: str) -> str:
        label = _Label(f"assessment.{key}", ())
        text = self.locate(label)
        if text is not None:
            return text
        wording = next(t.label for t in ASSESSMENT_QUESTIONS if t.key == key)
        target = _norm(wording)
        for bi, block in enumerate(self.blocks):
            if not isinstance(block, str) or not _norm(block).startswith(target):
                continue
            self.found.add(label.key)
            rest = _after_label(block, target) or ""
            lines = [line for line in rest.lstrip("?:").split("\n") if not _is_note(line)]
            for following in self.blocks[bi + 1 :]:
                if not isinstance(following, str) or _classify(following) is not None:
                    break
                lines.extend(line for line in following.split("\n") if not _is_note(line))
            return "\n".join(lines)
        self.uncertain.append(f"assessment.{key}")
        return ""


def _answer_after(text: str, core: str) -> str | None:
    """The answer written after a question in ``text``, ``None`` if the question is not there."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if core not in _norm(line):
            continue
        answer = line.rsplit("?", 1)[1] if "?" in line else ""
        if not answer.strip() and i + 1 < len(lines):
            nxt = lines[i + 1]
            if not any(q in _norm(nxt) for _, q in _QUESTIONS):
                answer = nxt
        return answer
    return None


def _distribute(text: str, count: int, *, shared: bool) -> tuple[list[str], set[int]]:
    """Share one pupil field among the children named, one line each when the counts match.

    Returns the values and the indexes of the children whose value is a guess.
    """
    if count == 1:
        return [text], set()
    if not text.strip():
        return [""] * count, set()
    lines = text.split("\n")
    if len(lines) == count:
        return lines, set()
    written = [line for line in lines if line.strip()]
    if len(written) == count:
        return written, set()
    if len(written) == 1 and written[0].count(";") == count - 1:
        # One line for all, as in "Date of Birth: 02/04/2013; 05/06/2015".
        return written[0].split(";"), set()
    rest = set(range(1, count))
    if len(written) == 1 and shared:
        return [written[0]] * count, rest
    return [text] + [""] * (count - 1), rest | ({0} if len(written) > 1 else set())
