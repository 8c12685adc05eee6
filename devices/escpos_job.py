"""A receipt as ESC/POS bytes, built with python-escpos into memory first.

The whole job is built before the printer is touched, so a failure can only
happen while sending, and the same bytes go to any backend (or to a file).
Chinese text is sent as GB18030 in the printer's Chinese character mode
(FS &), which is what printers sold in China expect; CJK characters print two
columns wide, which `columns` already counts.
"""
from __future__ import annotations

from escpos.constants import (BARCODE_FONT_A, BARCODE_HEIGHT, BARCODE_TXT_BLW, BARCODE_TYPE_B, BARCODE_WIDTH,
                              QR_ECLEVEL_M, TXT_STYLE)
from escpos.printer import Dummy

from .receipt import COLUMNS, QR, Barcode, Block, Receipt, Rule, Text, layout

FS_CHINESE_ON = b"\x1c&"  # FS &: double-byte (GB18030/GBK) character mode
DOTS = {58: 384, 80: 576}  # printable width in dots at 203 dpi
QUIET = 20  # modules of quiet zone, both sides together


def code128_data(text: str) -> bytes:
    """ESC/POS CODE128 payload with code set C for runs of 4+ digits (half the width:
    a receipt number must fit 58 mm paper). Set C bytes are values 0-99, not digits."""
    if not text or not text.isascii() or not text.isprintable():
        raise ValueError("CODE128 here takes printable ASCII")
    out, i, mode = bytearray(), 0, ""
    while i < len(text):
        j = i
        while j < len(text) and text[j].isdigit():
            j += 1
        run = j - i
        if run >= 4:
            if run % 2:  # odd: the first digit goes in set B
                if mode != "B":
                    out += b"{B"
                    mode = "B"
                out += text[i].encode()
                i += 1
            if mode != "C":
                out += b"{C"
                mode = "C"
            while i + 1 < j:
                out.append(int(text[i:i + 2]))
                i += 2
            continue
        if mode != "B":
            out += b"{B"
            mode = "B"
        ch = text[i]
        out += b"{{" if ch == "{" else ch.encode()  # "{" itself is escaped as "{{"
        i += 1
    return bytes(out)


def code128_modules(payload: bytes) -> int:
    """Width in modules (start + symbols + check + stop + quiet zone)."""
    switches = payload.count(b"{B") + payload.count(b"{C")  # the first one is the start character
    data = len(payload) - 2 * switches - payload.count(b"{{")
    symbols = data + (switches - 1) + 2  # + start + check
    return symbols * 11 + 13 + QUIET


def _barcode(p: Dummy, text: str, width_mm: int) -> None:
    try:
        payload = code128_data(text)
    except ValueError:
        p._raw(text.encode("gb18030", "replace") + b"\n")  # not encodable: the number as text
        return
    module = 2 if code128_modules(payload) * 2 <= DOTS[width_mm] else 1
    p._raw(TXT_STYLE["align"]["center"] + BARCODE_HEIGHT + bytes([64]) + BARCODE_WIDTH + bytes([module])
           + BARCODE_FONT_A + BARCODE_TXT_BLW + BARCODE_TYPE_B["CODE128"] + bytes([len(payload)]) + payload)
    p._raw(b"\n")


def job_bytes(receipt: Receipt, width_mm: int = 80, *, drawer_pin: int | None = None, cut: bool = True) -> bytes:
    """The receipt's print job. `drawer_pin` (2 or 5) kicks the cash drawer first."""
    cols = COLUMNS[width_mm]
    p = Dummy()
    p.hw("INIT")
    if drawer_pin in (2, 5):
        p.cashdraw(drawer_pin)  # open while the receipt prints
    p._raw(FS_CHINESE_ON)
    for block in layout(receipt, cols):
        _block(p, block, cols, width_mm)
    p.set_with_default()
    if cut:
        p.cut()
    return p.output


def _block(p: Dummy, b: Block, cols: int, width_mm: int) -> None:
    if isinstance(b, Text):
        p.set(align=b.align, bold=b.bold, normal_textsize=not b.tall, double_height=b.tall)
        p._raw(b.text.encode("gb18030", "replace") + b"\n")
    elif isinstance(b, Rule):
        p.set(align="left", bold=False, normal_textsize=True)
        p._raw((b.char * cols).encode("gb18030", "replace") + b"\n")
    elif isinstance(b, Barcode):
        _barcode(p, b.data, width_mm)
    elif isinstance(b, QR):
        p.set(align="center", bold=False, normal_textsize=True)
        p.qr(b.data, ec=QR_ECLEVEL_M, size=6 if width_mm == 80 else 5, native=True)  # GS ( k: printer-drawn
        if b.caption:
            p._raw(b"\n" + b.caption.encode("gb18030", "replace") + b"\n")
