"""A PDF held in memory, drawn page by page on a printer or a print preview.

The visit sheets and the reports print this way: QtPdf reads the PDF from a
buffer, each page is rendered at the printer's resolution and drawn at its
true size, so nothing is written to disk to be printed.
"""

from __future__ import annotations

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QObject, QRect, QSize, Qt
from PySide6.QtGui import QImage, QPagedPaintDevice, QPaintEngine, QPainter
from PySide6.QtPdf import QPdfDocument

from cme_desktop.services.errors import CorruptFile, OutputError

#: The preview only needs to be legible on screen, and keeps every page in memory.
PREVIEW_DPI = 110
#: Plenty for text on paper; a 1200 dpi printer would need 0.5 GB per page image.
MAX_PRINT_DPI = 300


class PdfPages(QObject):
    """A PDF held in memory (``QPdfDocument`` reading a ``QBuffer``), drawn page by page.

    QtPdf draws page content only, not form-field values: right for the visit sheet,
    which has no form fields.
    """

    def __init__(self, pdf: bytes, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._buffer = QBuffer(self)
        self._buffer.setData(QByteArray(pdf))
        self._buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        self.document = QPdfDocument(self)
        self.document.load(self._buffer)
        if self.document.status() != QPdfDocument.Status.Ready or not self.page_count:
            raise CorruptFile("The visit sheets could not be prepared for printing.")

    @property
    def page_count(self) -> int:
        return int(self.document.pageCount())

    def page_image(self, index: int, *, dpi: float) -> QImage:
        """Page ``index`` as a greyscale image at ``dpi`` (the sheets are black and white)."""
        points = self.document.pagePointSize(index)
        size = QSize(round(points.width() * dpi / 72), round(points.height() * dpi / 72))
        drawn = self.document.render(index, size)
        if drawn.isNull():
            raise OutputError(f"Page {index + 1} could not be drawn for printing.")
        # QtPdf leaves the paper transparent: put the page on white before dropping colour.
        page = QImage(size, QImage.Format.Format_RGB32)
        page.fill(Qt.GlobalColor.white)
        painter = QPainter(page)
        painter.drawImage(0, 0, drawn)
        painter.end()
        return page.convertToFormat(QImage.Format.Format_Grayscale8)

    def paint(self, device: QPagedPaintDevice, *, dpi: float | None = None) -> int:
        """Draw every page on ``device`` (a printer), one page each; returns the pages drawn.

        Each page is rendered to an image at the printer's resolution (at most
        ``MAX_PRINT_DPI``, or ``PREVIEW_DPI`` for the preview) and scaled onto the page
        at its true size, so a sheet prints at 100 %. ``device`` should paint the whole
        paper (``QPrinter.setFullPage(True)``): the sheet has its own margins.
        """
        painter = QPainter()
        if not painter.begin(device):
            raise OutputError("The printer could not be started. Check it is switched on.")
        try:
            if dpi is None:
                dpi = _dpi_for(painter, device)
            area = painter.viewport()
            for index in range(self.page_count):
                if index and not device.newPage():
                    raise OutputError("The printer stopped before every sheet was printed.")
                image = self.page_image(index, dpi=dpi)
                painter.drawImage(_target(self.document, index, device, area), image)
        finally:
            painter.end()
        return self.page_count


def _dpi_for(painter: QPainter, device: QPagedPaintDevice) -> float:
    engine = painter.paintEngine()
    if engine is not None and engine.type() == QPaintEngine.Type.Picture:
        return PREVIEW_DPI  # QPrintPreviewWidget records the pages as pictures
    return float(min(device.logicalDpiX(), MAX_PRINT_DPI))


def _target(document: QPdfDocument, index: int, device: QPagedPaintDevice, area: QRect) -> QRect:
    """Where page ``index`` goes: its true size in device pixels, shrunk if the paper is small."""
    points = document.pagePointSize(index)
    scale = device.logicalDpiX() / 72
    width, height = points.width() * scale, points.height() * scale
    fit = min(1.0, area.width() / width, area.height() / height)
    return QRect(area.x(), area.y(), round(width * fit), round(height * fit))
