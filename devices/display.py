"""The customer display: a 2x20 pole display on a serial port.

Speaks the ESC/POS line-display commands most pole displays accept (Epson
DM-D and the many compatibles): ESC @ init, US MD1 overwrite mode, US $ x y to
place the cursor. Each screen is written whole (both lines padded to 20
columns), so a lost byte never leaves stale text behind. Chinese goes out as
GB18030 in double-byte mode (FS &), two columns a character; set encoding
"ascii" for a display without Chinese glyphs. The customer's name is always
masked (王**): the display faces the queue. A display that fails is reported
and skipped; it never stops a sale.
"""
from __future__ import annotations

import logging
import threading

from pos.rules.money import yuan

from .columns import clip, pad, spread
from .config import DisplaySettings
from .masking import mask_name
from .serial_reader import PORT_ERRORS, open_serial, port_error_text

log = logging.getLogger(__name__)
COLS, ROWS = 20, 2
ESC_INIT = b"\x1b@"
US_OVERWRITE = b"\x1f\x01"
FS_CHINESE_ON = b"\x1c&"

TEXTS = {  # key: (Chinese, English)
    "welcome": ("欢迎光临", "WELCOME"), "total": ("合计", "TOTAL"), "paid": ("实收", "PAID"),
    "change": ("找零", "CHANGE"), "member": ("会员", "MEMBER"), "hello": ("欢迎", "Welcome"),
}


def _t(key: str, lang: str) -> str:
    zh, en = TEXTS[key]
    return en if lang == "en" else zh


def cursor(col: int, row: int) -> bytes:
    return b"\x1f$" + bytes([col, row])  # US $ x y, 1-based


def screen_bytes(line1: str, line2: str, encoding: str = "gb18030") -> bytes:
    """Both lines, each padded to 20 columns, as display commands."""
    out = bytearray(ESC_INIT + US_OVERWRITE)
    if encoding == "gb18030":
        out += FS_CHINESE_ON
    for row, text in ((1, line1), (2, line2)):
        text = pad(text, COLS)
        if encoding == "ascii":  # no glyphs for anything else: '?' one column wide
            text = pad("".join(c if c.isascii() and c.isprintable() else "?" for c in text), COLS)
        out += cursor(1, row) + text.encode(encoding if encoding != "ascii" else "ascii", "replace")
    return bytes(out)


def item_lines(name: str, price_fen: int, qty: int = 1, lang: str = "zh_CN") -> tuple[str, str]:
    """Line 1: the item; line 2: quantity and amount, amount right-aligned."""
    amount = yuan(price_fen * qty)
    left = f"{qty} x {yuan(price_fen)}" if qty != 1 else ""
    return clip(name, COLS), spread(left, amount, COLS)


def total_lines(total_fen: int, paid_fen: int | None = None, change_fen: int | None = None,
                lang: str = "zh_CN") -> tuple[str, str]:
    first = spread(_t("total", lang), yuan(total_fen), COLS)
    if change_fen is not None:
        return first, spread(_t("change", lang), yuan(change_fen), COLS)
    if paid_fen is not None:
        return first, spread(_t("paid", lang), yuan(paid_fen), COLS)
    return first, ""


def welcome_lines(name: str | None = None, points: int | None = None, lang: str = "zh_CN") -> tuple[str, str]:
    """With a member: "欢迎 王**" and the points; without: the shop's welcome."""
    masked = mask_name(name)
    if not masked:
        return _t("welcome", lang), ""
    second = spread(_t("member", lang), str(points), COLS) if points is not None else ""
    return clip(f"{_t('hello', lang)} {masked}", COLS), second


class PoleDisplay:
    """Writes screens to the display's port; reopens it on the next write after a failure."""

    def __init__(self, settings: DisplaySettings):
        self.settings = settings
        self._port = None
        self._lock = threading.Lock()
        self.last: tuple[str, str] = ("", "")  # what the customer sees (for the settings dialog)

    def show(self, line1: str, line2: str = "") -> bool:
        """True when written; False (logged) when the display is off or unreachable."""
        data = screen_bytes(line1, line2, self.settings.encoding)
        if not self.settings.enabled:
            return False
        with self._lock:
            try:
                if self._port is None:
                    self._port = open_serial(self.settings.serial, timeout=0.5)
                    self._port.write_timeout = 1.0
                self._port.write(data)
                self._port.flush()
            except PORT_ERRORS as exc:
                log.warning("customer display %s: %s", self.settings.serial.port, port_error_text(exc))
                self._drop()
                return False
        self.last = (line1, line2)
        return True

    def item(self, name: str, price_fen: int, qty: int = 1) -> bool:
        return self.show(*item_lines(name, price_fen, qty, self.settings.lang))

    def total(self, total_fen: int, paid_fen: int | None = None, change_fen: int | None = None) -> bool:
        return self.show(*total_lines(total_fen, paid_fen, change_fen, self.settings.lang))

    def welcome(self, name: str | None = None, points: int | None = None) -> bool:
        return self.show(*welcome_lines(name, points, self.settings.lang))

    def clear(self) -> bool:
        return self.show("", "")

    def _drop(self) -> None:
        port, self._port = self._port, None
        if port is not None:
            try:
                port.close()
            except PORT_ERRORS:
                pass

    def close(self) -> None:
        with self._lock:
            self._drop()
