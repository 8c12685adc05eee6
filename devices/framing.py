"""Cutting a byte stream into frames (pure: no port, no clock of its own).

Serial devices send a frame per scan or swipe, ended by CR, LF or CRLF, or by
nothing at all (then a pause ends it). Reads do not respect frames: one read
may hold half a frame or two frames glued together, so bytes are buffered
here and cut where the terminator (or the pause) says.
"""
from __future__ import annotations

TERMINATORS = {"CR": b"\r", "LF": b"\n", "CRLF": b"\r\n", "none": None}
_BLANK = b" \t\r\n"


class Framer:
    """feed(bytes, now) -> complete frames; poll(now) -> frames ended by a pause.

    `now` is in seconds (time.monotonic() in the reader, any numbers in tests).
    With terminator "none" a frame ends after `frame_timeout_ms` of silence; a
    configured suffix then also ends a frame and a prefix starts a new one, so
    glued frames still split. With a terminator, a partial frame that waits
    longer than `stale_ms` is flushed anyway (a device that lost its
    terminator still scans). Prefix/suffix are stripped from every frame.
    """

    def __init__(self, terminator: str = "CR", frame_timeout_ms: int = 50, prefix: bytes = b"",
                 suffix: bytes = b"", max_frame: int = 512, stale_ms: int = 1000):
        if terminator not in TERMINATORS:
            raise ValueError(f"terminator must be one of {', '.join(TERMINATORS)}, got {terminator!r}")
        self.term = TERMINATORS[terminator]
        self.timeout = frame_timeout_ms / 1000
        self.stale = max(stale_ms, frame_timeout_ms) / 1000
        self.prefix, self.suffix = bytes(prefix), bytes(suffix)
        self.max_frame = max_frame
        self.buf = bytearray()
        self.last = 0.0

    def reset(self) -> int:
        """Drop a partial frame (the port went away); returns how many bytes were dropped."""
        n = len(self.buf)
        self.buf.clear()
        return n

    def deadline(self) -> float | None:
        """When poll() may next flush something, or None when nothing waits."""
        if not self.buf:
            return None
        return self.last + (self.timeout if self.term is None else self.stale)

    def feed(self, data: bytes, now: float) -> list[bytes]:
        if not data:
            return self.poll(now)
        out = self.poll(now) if self.term is None else []  # a pause before these bytes ended a frame
        self.buf += data
        self.last = now
        ends = [self.term] if self.term is not None else ([self.suffix] if self.suffix else [])
        for end in ends:
            while True:
                k = self.buf.find(end)
                if k < 0:
                    break
                out.append(bytes(self.buf[:k]))
                del self.buf[:k + len(end)]
        if self.term is None and self.prefix:
            while True:  # a second prefix in the buffer starts the next frame
                k = self.buf.find(self.prefix, 1)
                if k < 0:
                    break
                out.append(bytes(self.buf[:k]))
                del self.buf[:k]
        while len(self.buf) > self.max_frame:  # never grow without bound on a noisy line
            out.append(bytes(self.buf[:self.max_frame]))
            del self.buf[:self.max_frame]
        return self._clean(out)

    def poll(self, now: float) -> list[bytes]:
        limit = self.deadline()
        if limit is None or now < limit:
            return []
        frame = bytes(self.buf)
        self.buf.clear()
        return self._clean([frame])

    def _clean(self, frames: list[bytes]) -> list[bytes]:
        out = []
        for f in frames:
            f = f.strip(_BLANK)
            if self.prefix and f.startswith(self.prefix):
                f = f[len(self.prefix):]
            if self.suffix and f.endswith(self.suffix):
                f = f[:-len(self.suffix)]
            if f.strip(_BLANK):
                out.append(f)
        return out
