"""Appendix A as schools really fill it in, and the corpus of such forms saved by LibreOffice.

``school_form_docx`` writes the form the way forms that reached the officer
were written, beyond the styles of ``fixtures_docx``:

- siblings share one line per field: ``05/11/2011 and 21/01/2015``,
  ``02/04/2013; 15/06/2015``, ``M / F``, ``F / M / F``; a value true of every
  sibling (ethnicity, Child in Care) is written once;
- the referrer's actions are paragraphs, ``Check possible whereabouts...:
  Tutor group asked... 08/10/2026``, or table rows whose outcome ends with the
  date it was done;
- risk indicators are ticked ``✓`` / ``✗`` or ``☒`` / ``☐`` in the Yes column.

``build_corpus`` takes these forms and ``fixtures_docx``'s styles through
LibreOffice (``soffice --headless``): saved again as ``.docx``, round-tripped
through ``.odt``, "saved as PDF", protected with a password by
msoffcrypto-tool and by LibreOffice's own encryption (a UNO script run by the
system Python, since ``--convert-to`` takes no password). It writes the files
and ``manifest.json`` (each file's expected record and the paths expected to
be flagged uncertain) to ``tests/fixtures/school_forms``; the committed files
are read by ``tests/e2e/test_school_forms.py``. Regenerate with::

    .venv/bin/python -m tests.support.school_forms

(needs ``libreoffice-writer-nogui`` and ``python3-uno``). All data is synthetic
(Faker ``en_GB``).
"""

from __future__ import annotations

import copy
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import docx

from cme_desktop.models.vocabularies import (
    ASSESSMENT_QUESTIONS,
    PARENTAL_CONSENT_QUESTION,
    REFERRER_ACTIONS,
    RISK_INDICATORS,
    SOCIAL_CARE_REFERRAL_QUESTION,
)
from cme_desktop.services.protection.office import encrypt_office
from tests.support.fixtures_docx import STYLES, appendix_a_docx, expected_record, filled_referral

CORPUS_DIR = Path(__file__).resolve().parent.parent / "fixtures" / "school_forms"
MANIFEST = CORPUS_DIR / "manifest.json"
#: The password of every protected file of the corpus (synthetic, published).
CORPUS_PASSWORD = "lantern-pebble-orchard-42"

_SCHEMES = (("✓", "✗"), ("☒", "☐"), ("Yes", "No"))


def _dmy(iso: str) -> str:
    d = date.fromisoformat(iso)
    return f"{d.day:02d}/{d.month:02d}/{d.year}"


def school_referral(seed: int, *, children: int) -> dict[str, Any]:
    """``filled_referral`` with outcomes that end with their date, as schools write them."""
    ref = filled_referral(seed, children=children)
    for k, action in enumerate(REFERRER_ACTIONS):
        entry = ref["referrer_actions"][action.key]
        said = ("Tutor group asked, no news", "No answer on the mobile", "Curtains closed")[k]
        entry["outcome"] = f"{said}."
    for i, child in enumerate(ref["children"]):
        child["gender"] = ("F", "M")[(seed + i) % 2]
    return ref


def school_form_docx(ref: dict[str, Any], *, variant: int) -> tuple[bytes, tuple[str, ...]]:
    """Appendix A filled with ``ref`` as a school writes it, and the paths it leaves uncertain.

    ``variant`` picks the separators and the tick scheme, so a few seeds cover them all.
    """
    doc = docx.Document()
    doc.add_paragraph("Referral Checklist for Children Missing out on Education (CME)")
    kids = ref["children"]
    joiner = (" and ", "; ", " / ")[variant % 3]
    uncertain: list[str] = []

    def joined(key: str) -> str:
        values = [_dmy(c[key]) if key == "date_of_birth" else c[key] for c in kids]
        if key == "gender":
            return " / ".join(values)
        return joiner.join(values) if key != "full_name" else " and ".join(values)

    rows: list[tuple[str, str]] = [
        ("Name of Pupil(s)", joined("full_name")),
        ("AKA", kids[0]["aka"]),
        ("Date of Birth", joined("date_of_birth")),
        ("Gender", joined("gender")),
        ("Ethnicity", kids[0]["ethnicity"]),
        ("SEN & Disability", "; ".join(c["sen_disability"] for c in kids)),
        ("Child in Care?", "No"),
        ("Address (Last Known)", ref["last_known_address"]),
        ("Parents'/Carers' Names", ref["parents_carers"]),
        ("Telephone No.", ref["telephone"]),
        ("Email", ref["email"]),
        ("School/College", ref["school"]),
        ("Date Last Attended", _dmy(ref["date_last_attended"])),
        ("Any Additional Information", ref["additional_information"]),
    ]
    # Written once for every sibling: copied to each, and flagged for the officer to check.
    for i in range(1, len(kids)):
        uncertain += [f"children.{i}.ethnicity", f"children.{i}.child_in_care"]
    table = doc.add_table(rows=0, cols=2)
    for label, value in rows:
        cells = table.add_row().cells
        cells[0].text = label
        lines = value.split("\n")
        cells[1].text = lines[0]
        for line in lines[1:]:
            cells[1].add_paragraph(line)
    doc.add_paragraph("Action to be Taken by Referrer")
    actions = ref["referrer_actions"]
    if variant % 2 == 0:
        for action in REFERRER_ACTIONS:
            entry = actions[action.key]
            doc.add_paragraph(f"{action.label}: {entry['outcome']} {_dmy(entry['date'])}")
    else:
        at = doc.add_table(rows=1, cols=2)
        at.cell(0, 0).text = "Action"
        at.cell(0, 1).text = "Outcome (Include date completed)"
        for action in REFERRER_ACTIONS:
            entry = actions[action.key]
            cells = at.add_row().cells
            cells[0].text = action.label
            cells[1].text = f"{entry['outcome']} {_dmy(entry['date'])}"
    yes, no = _SCHEMES[variant % len(_SCHEMES)]
    doc.add_paragraph(
        "Please complete the table below. Indicate as appropriate and mark whether the "
        "indicators are current or historic"
    )
    it = doc.add_table(rows=1, cols=4)
    for c, text in enumerate(
        ("No", "Vulnerabilities, Warning Signs & Risk Indicators", "Yes", "C/H")
    ):
        it.cell(0, c).text = text
    for term in RISK_INDICATORS:
        row = ref["risk_indicators"][term.key]
        cells = it.add_row().cells
        cells[0].text = term.key
        cells[1].text = term.label
        cells[2].text = {True: yes, False: no, None: ""}[row["present"]]
        cells[3].text = {"current": "C", "historic": "H", None: ""}[row["timing"]]
    for question, answer in (
        (SOCIAL_CARE_REFERRAL_QUESTION, ref["social_care_referral_considered"]),
        (PARENTAL_CONSENT_QUESTION, ref["parental_consent"]),
    ):
        marks = (
            ("☒ Yes ☐ No" if answer else "☐ Yes ☒ No")
            if variant % 2
            else ("Yes" if answer else "No")
        )
        doc.add_paragraph(f"{question} {marks}")
    doc.add_paragraph("Referrer Assessment")
    st = doc.add_table(rows=0, cols=1)
    for term in ASSESSMENT_QUESTIONS:
        st.add_row().cells[0].text = f"{term.label}\n{term.help}"
        st.add_row().cells[0].text = ref["assessment"][term.key]
    doc.add_paragraph("Referrer's Details")
    rt = doc.add_table(rows=3, cols=4)
    r = ref["referrer"]
    layout = (
        ("Name", r["name"], "Position/Title", r["position"]),
        ("Contact Details", r["contact_details"], "School/College or Agency", r["organisation"]),
        ("Signature", "", "Date Completed", _dmy(r["date_completed"])),
    )
    for row_cells, texts in zip(rt.rows, layout, strict=True):
        for cell, text in zip(row_cells.cells, texts, strict=True):
            cell.text = text
    for t in doc.tables:
        t.style = doc.styles["Table Grid"]
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue(), tuple(uncertain)


def school_expected(ref: dict[str, Any]) -> dict[str, Any]:
    """What importing ``school_form_docx(ref, ...)`` gives: the AKA is the first child's only."""
    out = copy.deepcopy(ref)
    for child in out["children"][1:]:
        child["aka"] = ""
    return out


# --- the corpus ------------------------------------------------------------------------------


def _soffice(args: list[str], profile: Path) -> None:
    subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{profile}", "--headless", *args],
        check=True,
        capture_output=True,
        timeout=300,
    )


def _convert(paths: list[Path], target: str, outdir: Path, profile: Path) -> None:
    _soffice(["--convert-to", target, "--outdir", str(outdir), *map(str, paths)], profile)


_UNO_SAVE = r"""
import sys, time, uno
from com.sun.star.beans import NamedValue, PropertyValue

def prop(name, value):
    p = PropertyValue(); p.Name = name; p.Value = value; return p

pipe, password, *pairs = sys.argv[1:]
resolver = uno.getComponentContext().ServiceManager.createInstanceWithContext(
    "com.sun.star.bridge.UnoUrlResolver", uno.getComponentContext())
for _ in range(120):
    try:
        ctx = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
        break
    except Exception:
        time.sleep(0.5)
desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
for src, dst, filt in zip(pairs[::3], pairs[1::3], pairs[2::3]):
    doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(src), "_blank", 0,
                                       (prop("Hidden", True),))
    if filt == "writer_pdf_Export":
        data = uno.Any("[]com.sun.star.beans.PropertyValue", (
            prop("EncryptFile", True), prop("DocumentOpenPassword", password)))
        args = (prop("FilterName", filt), prop("FilterData", data))
    else:
        # Word's format is encrypted from EncryptionData (what the Save dialog makes of a
        # password), not from the Password property.
        nv = NamedValue(); nv.Name = "OOXPassword"; nv.Value = password
        kind = NamedValue(); kind.Name = "CryptoType"; kind.Value = "Standard"
        data = uno.Any("[]com.sun.star.beans.NamedValue", (nv, kind))
        args = (prop("FilterName", filt), prop("EncryptionData", data))
    uno.invoke(doc, "storeToURL", (uno.systemPathToFileUrl(dst), args))
    doc.close(True)
try:
    desktop.terminate()
except Exception:
    pass
"""


def _libreoffice_encrypt(jobs: list[tuple[Path, Path, str]], work: Path) -> None:
    """Save each (source, target, filter) with LibreOffice's own password protection."""
    pipe = f"cmecorpus{os.getpid()}"
    profile = work / "uno-profile"
    office = subprocess.Popen(
        [
            "soffice",
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--norestore",
            f"--accept=pipe,name={pipe};urp;",
        ]
    )
    try:
        script = work / "save.py"
        script.write_text(_UNO_SAVE)
        args = [pipe, CORPUS_PASSWORD]
        for src, dst, filt in jobs:
            args += [str(src), str(dst), filt]
        subprocess.run(["/usr/bin/python3", str(script), *args], check=True, timeout=300)
    finally:
        deadline = time.monotonic() + 20
        while office.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        if office.poll() is None:
            office.terminate()
            office.wait(10)


def _sources() -> list[tuple[str, bytes, dict[str, Any], tuple[str, ...]]]:
    """The forms to put through LibreOffice: name, .docx bytes, expected record, uncertain."""
    out: list[tuple[str, bytes, dict[str, Any], tuple[str, ...]]] = []
    for n, style in enumerate(STYLES):
        for children in (1, 2):
            seed = 300 + 10 * n + children
            ref = filled_referral(seed, children=children)
            data = appendix_a_docx(ref, style=style)
            out.append((f"{style}-{children}", data, expected_record(ref, style), ()))
    for variant in range(6):
        children = 1 + variant % 3
        ref = school_referral(400 + variant, children=children)
        data, uncertain = school_form_docx(ref, variant=variant)
        out.append((f"school{variant}-{children}", data, school_expected(ref), uncertain))
    return out


def build_corpus(target: Path = CORPUS_DIR) -> None:
    """Write the corpus and its manifest to ``target`` (see the module's docstring)."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        profile = work / "profile"
        src_dir, rt_dir, odt_dir, back_dir, pdf_dir = (
            work / d for d in ("src", "rt", "odt", "back", "pdf")
        )
        for d in (src_dir, rt_dir, odt_dir, back_dir, pdf_dir):
            d.mkdir()
        sources = _sources()
        for name, data, _, _ in sources:
            (src_dir / f"{name}.docx").write_bytes(data)
        srcs = sorted(src_dir.glob("*.docx"))
        _convert(srcs, "docx:MS Word 2007 XML", rt_dir, profile)
        _convert(srcs, "odt", odt_dir, profile)
        _convert(sorted(odt_dir.glob("*.odt")), "docx:MS Word 2007 XML", back_dir, profile)
        _convert(srcs, "pdf:writer_pdf_Export", pdf_dir, profile)
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        manifest: dict[str, Any] = {"password": CORPUS_PASSWORD, "sources": {}, "files": {}}
        enc_jobs: list[tuple[Path, Path, str]] = []
        for k, (name, _, expected, uncertain) in enumerate(sources):
            manifest["sources"][name] = {"expected": expected, "uncertain": list(uncertain)}
            files = {
                f"{name}.lo.docx": rt_dir / f"{name}.docx",
                f"{name}.pdf": pdf_dir / f"{name}.pdf",
            }
            if k % 2 == 0:
                files[f"{name}.odt.docx"] = back_dir / f"{name}.docx"
            for out_name, path in files.items():
                shutil.copyfile(path, target / out_name)
                manifest["files"][out_name] = {"source": name, "protected": False}
            if k % 2 == 0:
                locked = encrypt_office((rt_dir / f"{name}.docx").read_bytes(), CORPUS_PASSWORD)
                (target / f"{name}.msoffcrypto.docx").write_bytes(locked)
                manifest["files"][f"{name}.msoffcrypto.docx"] = {"source": name, "protected": True}
            else:
                locked_name = f"{name}.lo-locked.docx"
                enc_jobs.append((rt_dir / f"{name}.docx", target / locked_name, "MS Word 2007 XML"))
                manifest["files"][locked_name] = {"source": name, "protected": True}
            if k % 4 == 1:
                locked_name = f"{name}.lo-locked.pdf"
                enc_jobs.append(
                    (rt_dir / f"{name}.docx", target / locked_name, "writer_pdf_Export")
                )
                manifest["files"][locked_name] = {"source": name, "protected": True}
        _libreoffice_encrypt(enc_jobs, work)
        (target / "manifest.json").write_text(
            json.dumps(manifest, indent=1, ensure_ascii=False, sort_keys=True) + "\n"
        )


def leaf_fields(record: Any, prefix: str = "") -> dict[str, Any]:
    """Every leaf value of a record by its dotted path (``children.0.date_of_birth``...)."""
    if isinstance(record, dict):
        out: dict[str, Any] = {}
        for key, value in record.items():
            out.update(leaf_fields(value, f"{prefix}{key}."))
        return out
    if isinstance(record, list):
        out = {}
        for i, value in enumerate(record):
            out.update(leaf_fields(value, f"{prefix}{i}."))
        return out
    return {prefix.rstrip("."): record}


def exact_fields(expected: dict[str, Any], got: dict[str, Any] | None) -> tuple[int, list[str]]:
    """How many of ``expected``'s leaf fields ``got`` has exactly, and the paths that differ."""
    want = leaf_fields(expected)
    have = leaf_fields(got) if got is not None else {}
    wrong = [path for path, value in want.items() if have.get(path, object()) != value]
    return len(want) - len(wrong), wrong


if __name__ == "__main__":
    build_corpus(Path(sys.argv[1]) if len(sys.argv) > 1 else CORPUS_DIR)
