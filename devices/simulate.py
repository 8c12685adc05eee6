"""Pretend to be a scanner or a card reader on a serial port (demos, manual tests).

`send()` writes frames to a port (a null-modem cable, or one end of a
`socat -d -d pty,raw,echo=0 pty,raw,echo=0` pair); `open_pty()` makes a
pseudo-terminal whose slave path `devices listen` can open directly.
The demo bank card is the well-known Visa *test* number, used to show the
refusal; it is no one's card.
"""
from __future__ import annotations

import os
import time
import tty
from typing import Iterable

from pos.rules.barcodes import ean_check_digit

from .config import SerialSettings
from .framing import TERMINATORS
from .serial_reader import open_serial


def _ean13(first12: str) -> str:
    return first12 + str(ean_check_digit(first12))


def demo_scans() -> list[str]:
    """One code of each kind, and one misread."""
    product = _ean13("690123456789")
    return [product, "9000000001", "CP8K2M4Q7T1Z", _ean13("230000101234"), _ean13("210000200500"),
            "CSH001", product[:-1] + str((int(product[-1]) + 1) % 10)]


def member_swipe(card_no: str, name: str = "") -> str:
    """Track 1 (when a name is given) and track 2 of a member card."""
    t1 = f"%{card_no}^{name.upper()}^?" if name else ""
    return f"{t1};{card_no}?"


def demo_swipes() -> list[str]:
    test_pan = "4111111111111111"  # the public Visa test number
    return [member_swipe("9000000001", "WANG/XIAOMING"), "%E?;E?",
            f"%B{test_pan}^TEST/CARD^29121010000000000000?;{test_pan}=29121010000000000000?",
            member_swipe("9000000002")]


def frame_bytes(frame: str | bytes, terminator: str = "CR", prefix: str = "", suffix: str = "") -> bytes:
    """A frame as the device sends it; bytes are sent as they are (raw frames, line noise)."""
    if terminator not in TERMINATORS:
        raise ValueError(f"terminator must be one of {', '.join(TERMINATORS)}, got {terminator!r}")
    body = frame if isinstance(frame, bytes) else frame.encode("utf-8")
    return prefix.encode("utf-8") + body + suffix.encode("utf-8") + (TERMINATORS[terminator] or b"")


def open_pty() -> tuple[int, str]:
    """(master fd, slave path) of a new pseudo-terminal in raw mode (no echo, CR kept as CR)."""
    master, slave = os.openpty()
    tty.setraw(slave)
    path = os.ttyname(slave)
    os.close(slave)  # raw mode stays with the terminal; the reader opens the path itself
    return master, path


def write_frames(write, frames: Iterable[str | bytes], settings: SerialSettings, delay_s: float = 0.2) -> int:
    """Write each frame with the settings' terminator, prefix and suffix; returns the count.
    With terminator "none" the pause between frames is what separates them."""
    if settings.terminator == "none":
        delay_s = max(delay_s, settings.frame_timeout_ms / 1000 * 3)
    n = 0
    for text in frames:
        if n:
            time.sleep(delay_s)
        write(frame_bytes(text, settings.terminator, settings.prefix, settings.suffix))
        n += 1
    return n


def send(settings: SerialSettings, frames: Iterable[str | bytes], delay_s: float = 0.2) -> int:
    """Open `settings.port` and write the frames to it."""
    port = open_serial(settings, timeout=1.0)
    try:
        port.write_timeout = 5.0
        return write_frames(lambda b: (port.write(b), port.flush()), frames, settings, delay_s)
    finally:
        port.close()
