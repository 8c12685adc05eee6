"""Reading back the QR the customer screen draws (app/customer_display.py): decoded by a
real decoder (zxing-cpp, the test extra `zxing-cpp`) from the window's own pixels, and
module by module against the symbol `hq store qr` makes of the same text (segno, M)."""
from __future__ import annotations

import io

import segno


def _pil(widget):
    from PIL import Image
    from PySide6.QtCore import QBuffer, QIODevice

    buf = QBuffer()
    buf.open(QIODevice.WriteOnly)
    widget.grab().save(buf, "PNG")
    return Image.open(io.BytesIO(bytes(buf.data()))).convert("L")


def decode(widget) -> list[str]:
    """Every QR a phone would read off `widget` as it is painted now."""
    import zxingcpp

    return [r.text for r in zxingcpp.read_barcodes(_pil(widget)) if r.format == zxingcpp.BarcodeFormat.QRCode]


def modules_match(label, text: str, border: int = 4) -> bool:
    """The label's pixmap, sampled at each module's centre, is exactly the symbol of `text`."""
    from PySide6.QtGui import QColor

    img = label.pixmap().toImage()
    want = [[bool(v) for v in row] for row in segno.make(text, error="m").matrix]
    n = len(want) + 2 * border
    px = img.width() // n
    if px < 1 or img.width() != n * px or img.height() != n * px:
        return False
    for y in range(-border, len(want) + border):
        for x in range(-border, len(want) + border):
            dark = QColor(img.pixel((x + border) * px + px // 2, (y + border) * px + px // 2)).lightness() < 128
            inside = 0 <= x < len(want) and 0 <= y < len(want)
            if dark != (want[y][x] if inside else False):
                return False
    return True
