"""A receipt as a PNG: what the printer would print, dot for dot in width.

Used by the settings dialog's preview, the CLI and tests. Text is drawn on
the printer's grid (12 dots per column, CJK characters two columns), the
receipt number as real CODE128 bars, QR codes as real modules, so what you
see can be scanned. CJK glyphs need a CJK font: the first one found is used
(set $MEMBERPOS_CJK_FONT to choose); without one, CJK characters are drawn as
boxes and everything else still renders.
"""
from __future__ import annotations

import functools
import io
import os
from pathlib import Path

import barcode
import segno
from PIL import Image, ImageDraw, ImageFont

from .columns import char_width, pad
from .escpos_job import DOTS
from .receipt import COLUMNS, QR, Barcode, Receipt, Rule, Text, layout

CELL_W, LINE_H = 12, 26  # font A: 12x24 dots, plus line spacing
MARGIN = 8
CJK_FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/System/Library/Fonts/PingFang.ttc",
    "C:/Windows/Fonts/msyh.ttc",
    "C:/Windows/Fonts/simsun.ttc",
)
LATIN_FONTS = ("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf", "C:/Windows/Fonts/consola.ttf")


@functools.lru_cache(maxsize=None)
def fonts(size: int = 22):
    """(latin, cjk or None): TrueType fonts found on this machine, else Pillow's built-in one."""
    env = os.environ.get("MEMBERPOS_CJK_FONT")
    cjk = None
    for path in ((env,) if env else ()) + CJK_FONTS:
        if path and Path(path).is_file():
            try:
                cjk = ImageFont.truetype(path, size)
                break
            except OSError:
                continue
    latin = None
    for path in LATIN_FONTS:
        if Path(path).is_file():
            try:
                latin = ImageFont.truetype(path, size - 2)
                break
            except OSError:
                continue
    if latin is None:
        latin = cjk or ImageFont.load_default()
    return latin, cjk


def _text(draw: ImageDraw.ImageDraw, x: int, y: int, line: str, tall: bool, bold: bool) -> None:
    if tall:  # double height, same width: draw normally, then stretch vertically
        strip = Image.new("L", (draw.im.size[0], LINE_H), 255)
        _text(ImageDraw.Draw(strip), x, 0, line, False, bold)
        draw._image.paste(strip.resize((strip.width, 2 * LINE_H)), (0, y))
        return
    latin, cjk = fonts(22)
    for ch in line:
        w = char_width(ch)
        if w == 0:
            continue
        if ch != " ":
            font = cjk if (w == 2 and cjk is not None) else latin
            if w == 2 and cjk is None:  # no CJK font here: a box, so the layout still shows
                draw.rectangle([x + 2, y + 3, x + 2 * CELL_W - 3, y + LINE_H - 5], outline=0)
            else:
                draw.text((x, y), ch, font=font, fill=0)
                if bold:
                    draw.text((x + 1, y), ch, font=font, fill=0)
        x += w * CELL_W


def _bars(data: str) -> str:
    """The CODE128 module pattern ('1' = bar) from python-barcode."""
    return barcode.get("code128", data).build()[0]


def _draw_barcode(img: Image.Image, y: int, data: str) -> int:
    draw = ImageDraw.Draw(img)
    try:
        bars = _bars(data)
    except Exception:  # noqa: BLE001 - not encodable: the number as text only
        _text(draw, MARGIN, y, data, False, False)
        return y + LINE_H
    module = max(1, (img.width - 2 * MARGIN) // (len(bars) + 20))
    x0 = (img.width - len(bars) * module) // 2
    for i, bit in enumerate(bars):
        if bit == "1":
            draw.rectangle([x0 + i * module, y, x0 + (i + 1) * module - 1, y + 63], fill=0)
    y += 68
    _text(draw, (img.width - len(data) * CELL_W) // 2, y, data, False, False)
    return y + LINE_H


def _draw_qr(img: Image.Image, y: int, data: str, caption: str) -> int:
    qr = segno.make(data, error="m")
    rows = list(qr.matrix)
    scale = 6 if img.width >= DOTS[80] else 5
    size = len(rows) * scale
    x0 = (img.width - size) // 2
    draw = ImageDraw.Draw(img)
    for r, row in enumerate(rows):
        for c, dark in enumerate(row):
            if dark:
                draw.rectangle([x0 + c * scale, y + r * scale, x0 + (c + 1) * scale - 1, y + (r + 1) * scale - 1], fill=0)
    y += size + 6
    if caption:
        cols = (img.width - 2 * MARGIN) // CELL_W
        _text(draw, MARGIN, y, pad(caption, cols, "center"), False, False)
        y += LINE_H
    return y


def render_png(receipt: Receipt, width_mm: int = 80) -> bytes:
    """PNG bytes of the receipt at the printer's width (384 or 576 dots)."""
    cols = COLUMNS[width_mm]
    blocks = layout(receipt, cols)
    width = DOTS[width_mm] + 2 * MARGIN
    img = Image.new("L", (width, 40 + len(blocks) * 60 + sum(400 for b in blocks if isinstance(b, QR))), 255)
    draw = ImageDraw.Draw(img)
    y = MARGIN
    for b in blocks:
        if isinstance(b, Text):
            _text(draw, MARGIN, y, pad(b.text, cols, b.align), b.tall, b.bold)
            y += LINE_H * (2 if b.tall else 1)
        elif isinstance(b, Rule):
            draw.line([MARGIN, y + LINE_H // 2, width - MARGIN, y + LINE_H // 2], fill=0)
            y += LINE_H
        elif isinstance(b, Barcode):
            y = _draw_barcode(img, y + 6, b.data)
        elif isinstance(b, QR):
            y = _draw_qr(img, y + 6, b.data, b.caption)
    img = img.crop((0, 0, width, y + MARGIN))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()
