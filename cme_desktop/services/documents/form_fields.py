"""Finishing a reportlab form for real viewers: a field tree, and radio buttons that look right.

reportlab writes each form field flat under its full dotted name
(``risk_indicators.9.present``) and draws small radio buttons off-centre.
``finish_fields`` nests the names as the PDF standard wants (a period may not
appear in one part of a name), so Adobe Reader and browsers agree on every
field's full name, and gives each radio widget its own round appearance.
"""

from __future__ import annotations

import io

import pikepdf

__all__ = ["finish_fields"]


def finish_fields(pdf: bytes) -> bytes:
    """Nest the dotted field names and draw the radio buttons' appearances.

    reportlab draws a small radio button's circle off-centre (its drawing assumes 20
    points), so each radio widget gets its own round appearance, off and on.
    """
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        acroform = doc.Root.AcroForm
        fields = list(acroform.Fields)
        acroform.Fields = _nest(doc, fields)
        # A viewer that redraws the fields itself (after a browser saved the form with
        # "NeedAppearances") draws the on state as a ZapfDingbats dot.
        resources = acroform.DR
        if "/Font" not in resources:
            resources.Font = pikepdf.Dictionary()
        resources.Font.ZaDb = pikepdf.Dictionary(
            Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.ZapfDingbats
        )
        for field in fields:
            if field.get("/FT") == pikepdf.Name.Btn:
                field.DA = pikepdf.String("/ZaDb 0 Tf 0 g")
                for widget in field.get("/Kids", []):
                    _draw_radio(doc, widget)
        out = io.BytesIO()
        doc.save(out)
    return out.getvalue()


def _nest(doc: pikepdf.Pdf, fields: list[pikepdf.Object]) -> pikepdf.Array:
    """The fields as a tree: "risk_indicators.9.present" under ``risk_indicators`` > ``9``."""
    top = pikepdf.Array()
    parents: dict[str, pikepdf.Object] = {}
    for field in fields:
        *path, last = str(field.T).split(".")
        parent: pikepdf.Object | None = None
        for depth in range(len(path)):
            key = ".".join(path[: depth + 1])
            node = parents.get(key)
            if node is None:
                node = doc.make_indirect(
                    pikepdf.Dictionary(T=pikepdf.String(path[depth]), Kids=pikepdf.Array())
                )
                parents[key] = node
                if parent is None:
                    top.append(node)
                else:
                    node.Parent = parent
                    parent.Kids.append(node)
            parent = node
        field.T = pikepdf.String(last)
        if parent is None:
            top.append(field)
        else:
            field.Parent = parent
            parent.Kids.append(field)
    return top


_KAPPA = 0.5523


def _circle(cx: float, cy: float, r: float) -> str:
    k = _KAPPA * r
    return (
        f"{cx + r:.3f} {cy:.3f} m "
        f"{cx + r:.3f} {cy + k:.3f} {cx + k:.3f} {cy + r:.3f} {cx:.3f} {cy + r:.3f} c "
        f"{cx - k:.3f} {cy + r:.3f} {cx - r:.3f} {cy + k:.3f} {cx - r:.3f} {cy:.3f} c "
        f"{cx - r:.3f} {cy - k:.3f} {cx - k:.3f} {cy - r:.3f} {cx:.3f} {cy - r:.3f} c "
        f"{cx + k:.3f} {cy - r:.3f} {cx + r:.3f} {cy - k:.3f} {cx + r:.3f} {cy:.3f} c"
    )


def _draw_radio(doc: pikepdf.Pdf, widget: pikepdf.Object) -> None:
    x0, y0, x1, y1 = (float(v) for v in widget.Rect)
    size = min(x1 - x0, y1 - y0)
    centre = size / 2
    ring = f"q 1 g {_circle(centre, centre, centre - 0.5)} f 0 G 0.8 w "
    ring += f"{_circle(centre, centre, centre - 0.5)} s Q"
    dot = f" q 0 g {_circle(centre, centre, size * 0.25)} f Q"
    states = [str(k) for k in widget.AP.N if k != "/Off"]
    normal = pikepdf.Dictionary()
    for state in states:
        normal[state] = _appearance(doc, size, ring + dot)
    normal.Off = _appearance(doc, size, ring)
    widget.AP = pikepdf.Dictionary(N=normal)
    widget.MK = pikepdf.Dictionary(
        BC=pikepdf.Array([0, 0, 0]), BG=pikepdf.Array([1, 1, 1]), CA=pikepdf.String("l")
    )


def _appearance(doc: pikepdf.Pdf, size: float, content: str) -> pikepdf.Stream:
    return pikepdf.Stream(
        doc,
        content.encode("ascii"),
        Type=pikepdf.Name.XObject,
        Subtype=pikepdf.Name.Form,
        BBox=pikepdf.Array([0, 0, size, size]),
        Resources=pikepdf.Dictionary(),
    )
