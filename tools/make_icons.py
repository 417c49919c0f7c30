"""The application icon's PNGs and Windows .ico, drawn from ``resources/icons/cme-desktop.svg``.

Run ``python -m tools.make_icons`` after changing the SVG and commit what it writes:
the program ships the generated files, not this script. The same SVG, Qt and Pillow
give the same bytes, so running it again on an unchanged SVG changes nothing.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

from PIL import Image
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ICONS = Path(__file__).resolve().parent.parent / "resources" / "icons"
SOURCE = ICONS / "cme-desktop.svg"
SIZES = (16, 32, 48, 256)


def render_png(renderer: QSvgRenderer, size: int) -> bytes:
    """The SVG drawn on a transparent ``size`` x ``size`` square, as PNG bytes."""
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.convertToFormat(QImage.Format.Format_ARGB32).save(buffer, "PNG")
    buffer.close()
    return bytes(data.data())


def make_ico(pngs: dict[int, bytes]) -> bytes:
    """One .ico holding every size, each drawn at its own size rather than scaled down."""
    images = [Image.open(io.BytesIO(pngs[size])) for size in sorted(pngs, reverse=True)]
    out = io.BytesIO()
    images[0].save(
        out,
        format="ICO",
        sizes=[(size, size) for size in sorted(pngs)],
        append_images=images[1:],
    )
    return out.getvalue()


def main() -> int:
    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(SOURCE))
    if not renderer.isValid():
        print(f"{SOURCE} is not a valid SVG", file=sys.stderr)
        return 1
    pngs = {size: render_png(renderer, size) for size in SIZES}
    for size, data in pngs.items():
        (ICONS / f"cme-desktop-{size}.png").write_bytes(data)
    (ICONS / "cme-desktop.ico").write_bytes(make_ico(pngs))
    del app
    print(f"Wrote {len(SIZES)} PNGs and cme-desktop.ico to {ICONS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
