"""Frames (bytes from a port, or text from a keyboard wedge) -> device events.

One place decides what a frame is, whatever device it came from:
  1. anything with a bank card's number and structure -> Refused("bank_card"),
     before the frame is looked at any further (a combo keyboard or a wedge
     reader can send track data on the "scanner" path too). A bare 16-19
     digit number is NOT refused on the scanner path: WeChat Pay, Alipay and
     UnionPay payment codes look just like that (and 1 in 10 passes Luhn);
  2. track data (`%...?`, `;...?`) or any frame from a card reader -> the
     magstripe parser;
  3. everything else -> the barcode nomenclature -> Scanned(code, kind).
Line noise at the edges of a frame is reported (Garbage) and skipped; a frame
that is noise inside is reported whole. Nothing here logs frame contents.
"""
from __future__ import annotations

import logging
import unicodedata

from pos.rules.barcodes import MAX_CODE_LENGTH, Nomenclature

from .events import BadSwipe, Event, Garbage, Refused, Scanned
from .msr import MagstripeParser, MsrSettings, looks_like_bank_card, looks_like_swipe

log = logging.getLogger(__name__)

KINDS = ("scanner", "card")
_BLANK = b" \t\r\n"


def _noise(b: int) -> bool:
    # control bytes other than blanks, DEL, and bytes that never occur in UTF-8
    return (b < 0x20 and b not in (0x09, 0x0A, 0x0D)) or b == 0x7F or b in (0xFE, 0xFF) or 0xF5 <= b <= 0xFD


def _has_control(text: str) -> bool:
    return any(unicodedata.category(c) in ("Cc", "Cs") and c not in "\t\r\n" for c in text)


class Decoder:
    """Stateless apart from its settings; safe to call from a reader thread."""

    def __init__(self, kind: str = "scanner", nomenclature: Nomenclature | None = None,
                 msr: MsrSettings | None = None, source: str | None = None):
        if kind not in KINDS:
            raise ValueError(f"decoder kind must be one of {', '.join(KINDS)}, got {kind!r}")
        self.kind = kind
        self.source = source or kind
        self.nomenclature = nomenclature or Nomenclature.default()
        self.msr = MagstripeParser(msr, self.nomenclature)

    def decode(self, frame: bytes) -> list[Event]:
        """One frame from a port. Returns [] for a blank frame, else the frame's
        classification, preceded by a Garbage event if noise was trimmed."""
        frame = bytes(frame).strip(_BLANK)
        if not frame:
            return []
        i, j = 0, len(frame)
        while i < j and _noise(frame[i]):
            i += 1
        while j > i and _noise(frame[j - 1]):
            j -= 1
        trimmed = i + len(frame) - j
        core = frame[i:j].strip(_BLANK)
        if not core:
            return [Garbage(len(frame), self.source)]
        try:
            text = core.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        if text is None or _has_control(text):
            return [self._unreadable(len(frame), core)]
        events: list[Event] = [Garbage(trimmed, self.source)] if trimmed else []
        if trimmed:
            log.info("%s: skipped %d byte(s) of line noise", self.source, trimmed)
        return events + [self.decode_text(text)]

    def _unreadable(self, nbytes: int, core: bytes) -> Event:
        # a garbled swipe must still be refused if it carries a bank card, so the
        # cashier never sees "swipe again" for a card we would refuse anyway
        if looks_like_bank_card(core.decode("latin-1")):
            return Refused("bank_card", self.source)
        if self.kind == "card":
            return BadSwipe("garbage", self.source)
        log.info("%s: skipped a frame of %d unreadable byte(s)", self.source, nbytes)
        return Garbage(nbytes, self.source)

    def decode_text(self, text: str) -> Event:
        """One frame as text (serial frame, or a completed keyboard-wedge burst)."""
        if not isinstance(text, str):
            raise TypeError(f"a frame must be str, got {type(text).__name__}")
        if looks_like_bank_card(text):
            return Refused("bank_card", self.source)
        if self.kind == "card" or looks_like_swipe(text):
            return self.msr.parse(text, self.source)
        result = self.nomenclature.classify(text)
        if result.kind == "unknown" and (not result.code or len(result.code) > MAX_CODE_LENGTH):
            return Garbage(len(text.encode("utf-8")), self.source)
        return Scanned(result.code, result.kind, result.error, self.source)
