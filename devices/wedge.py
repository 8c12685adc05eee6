"""Keyboard-wedge detection: was this burst of keys a scanner or a person?

A wedge scanner (or card reader) "types" its code, so the app sees ordinary
key presses. What gives it away is timing: a device sends keys a few ms
apart, a person rarely faster than ~55 ms, and never for a whole code. So
every text key is held back for at most `max_interval_ms`:

* the next key comes fast -> keep buffering (maybe a scan);
* a pause, a non-text key, or a buffer that cannot be a scan -> the held keys
  are passed through, in order, to whatever has focus;
* a terminator (Enter) ends a fast burst of at least `min_length` characters
  -> ScanCompleted: the keys are swallowed, so a scan never leaks into a text
  field, whatever has focus.

Pure logic, no clock and no Qt: the app's event filter is a thin shell that
feeds (text, timestamp_ms), re-posts PassThrough keys, hands ScanCompleted to
decoder.decode_text, and calls flush(now) when `deadline()` passes.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Union

MAX_SCAN = 512  # a burst this long is not a code; give the keys back


@dataclass(frozen=True)
class Key:
    char: str  # the key's text (Qt's event.text()); "\r" for Enter
    t: float  # timestamp in ms (Qt's event.timestamp())
    payload: Any = field(default=None, compare=False, repr=False)  # the shell's copy of its key event


@dataclass(frozen=True)
class PassThrough:
    keys: tuple[Key, ...]

    @property
    def text(self) -> str:
        return "".join(k.char for k in self.keys)

    def __repr__(self) -> str:  # keys held back may be a swipe: never print them
        return f"PassThrough(<{len(self.keys)} keys>)"


@dataclass(frozen=True)
class ScanCompleted:
    code: str = field(repr=False)  # may be track data: decode it, never log it
    keys: tuple[Key, ...] = field(default=(), repr=False)


Action = Union[PassThrough, ScanCompleted]


@dataclass(frozen=True)
class WedgeConfig:
    max_interval_ms: float = 55.0
    min_length: int = 6
    require_terminator: bool = True
    terminators: str = "\r\n"
    prefix: str = ""
    suffix: str = ""

    @classmethod
    def from_settings(cls, s) -> "WedgeConfig":  # config.WedgeSettings
        return cls(s.max_interval_ms, s.min_length, s.require_terminator, s.terminators, s.prefix, s.suffix)


class WedgeDetector:
    def __init__(self, config: WedgeConfig | None = None):
        self.config = config or WedgeConfig()
        if self.config.min_length < 1 or self.config.max_interval_ms <= 0:
            raise ValueError("wedge: min_length must be >= 1 and max_interval_ms > 0")
        self._keys: list[Key] = []

    @property
    def pending(self) -> bool:
        return bool(self._keys)

    def deadline(self) -> float | None:
        """When flush() must be called if no key comes (ms), or None."""
        return self._keys[-1].t + self.config.max_interval_ms if self._keys else None

    def feed(self, char: str, t: float, payload: Any = None) -> list[Action]:
        """One text key press. Returns what to do now, in order."""
        cfg = self.config
        out = self.flush(t) if self._keys and t - self._keys[-1].t > cfg.max_interval_ms else []
        key = Key(char, t, payload)
        if self._ends_scan(char):
            code = self._scan_of(self._keys) if self._keys else None
            if code is not None:
                keys, self._keys = (*self._keys, key), []
                return out + [ScanCompleted(code, keys)]
            return out + [self._release(extra=key)]
        if not self._keys and cfg.prefix and char != cfg.prefix[0]:
            return out + [PassThrough((key,))]  # with a prefix, plain typing is never held back
        self._keys.append(key)
        if (cfg.prefix and not self._could_have_prefix()) or len(self._keys) > MAX_SCAN:
            out.append(self._release())
        return out

    def interrupt(self, t: float) -> list[Action]:
        """A non-text key, a click or a focus change: nothing held back may wait behind it."""
        done = self.flush(t)
        return done + ([self._release()] if self._keys else [])

    def flush(self, t: float) -> list[Action]:
        """Resolve the held keys if the pause since the last one is over (call at deadline())."""
        if not self._keys or t - self._keys[-1].t <= self.config.max_interval_ms:
            return []
        if not self.config.require_terminator:
            done = self._scan_of(self._keys)
            if done is not None:
                keys, self._keys = tuple(self._keys), []
                return [ScanCompleted(done, keys)]
        return [self._release()]

    # --- helpers -------------------------------------------------------------------

    def _ends_scan(self, char: str) -> bool:
        return bool(char) and char in self.config.terminators

    def _text(self) -> str:
        return "".join(k.char for k in self._keys)

    def _could_have_prefix(self) -> bool:
        p, text = self.config.prefix, self._text()
        return text.startswith(p) if len(text) >= len(p) else p.startswith(text)

    def _release(self, extra: Key | None = None) -> PassThrough:
        keys = tuple(self._keys) + ((extra,) if extra is not None else ())
        self._keys = []
        return PassThrough(keys)

    def _scan_of(self, keys: list[Key]) -> str | None:
        """The code if `keys` is a device burst, else None."""
        cfg = self.config
        if any(b.t - a.t > cfg.max_interval_ms for a, b in zip(keys, keys[1:])):
            return None
        text = "".join(k.char for k in keys)
        if cfg.prefix:
            if not text.startswith(cfg.prefix):
                return None
            text = text[len(cfg.prefix):]
        if cfg.suffix:  # the suffix comes last, before the terminator (or the pause)
            if not text.endswith(cfg.suffix):
                return None
            text = text[:-len(cfg.suffix)]
        if len(text) < cfg.min_length:
            return None
        return text
