"""Magnetic stripe swipes: a member card number, a bad swipe, or a refusal.

A reader sends up to three tracks in one frame, each between sentinels:
track 1 `%...?` (alphanumeric: format code, number, `^NAME^`, data), track 2
`;...?` and track 3 `;...?` or `+...?` (digits and `=`). Some readers follow
each `?` with an LRC character (set `lrc=True` for those) and mark an
unreadable track as `%E?` / `;E?`.

Privacy: a bank card (a Luhn-valid 13-19 digit account number with a bank
card's structure: track 1 format code `B`, or `=` + expiry YYMM, service
code after it) is refused *before* anything else looks at it. The result says only
"bank_card"; the number is never put in an event, an exception, a log record,
a repr or a file. Nothing here logs swiped data at all.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from pos.rules.barcodes import Nomenclature
# one Luhn check and one bank-card structure check (searched leniently over the whole
# text, also in frames that are otherwise garbled), in the domain: devices import pos,
# never the reverse
from pos.errors import looks_like_bank_card, luhn_ok

from .events import BadSwipe, CardSwiped, Refused

BAD_REASONS = ("unreadable", "no_end_sentinel", "lrc", "bad_track", "garbage", "too_long")
MAX_SWIPE = 256  # three full tracks are 79 + 40 + 107 characters

_T1_BODY = re.compile(r"[\x20-\x5F]*")  # 6-bit track 1 alphabet
_T23_BODY = re.compile(r"[0-9:<=>]*")  # 4-bit track 2/3 alphabet, sentinels excluded
_BARE_T2 = re.compile(r"[0-9=]{1,37}")  # readers set to send track 2 without sentinels
_T1_NUMBER = re.compile(r"(?:[A-Z](?=[0-9]))?([0-9A-Z]{1,19})(?:\^|$)")  # format code, then the number


@dataclass(frozen=True)
class MsrSettings:
    lrc: bool = False  # the reader sends an LRC character after each end sentinel
    member_pattern: str | None = None  # a '^...$' regex for member card numbers; None = the nomenclature's member rules


def track_lrc(track: int, text: str) -> str:
    """The LRC character of a track as readers print it: XOR of the data bits of
    every character from the start sentinel through the end sentinel."""
    base, mask = (0x20, 0x3F) if track == 1 else (0x30, 0x0F)
    lrc = 0
    for ch in text:
        lrc ^= (ord(ch) - base) & mask
    return chr(base + lrc)


class _Bad(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)  # a reason word only: never the data
        self.reason = reason


def _split_tracks(s: str, lrc: bool) -> dict[int, str | None]:
    """Track number -> body (None when the reader marked it unreadable)."""
    tracks: dict[int, str | None] = {}
    i, n = 0, len(s)
    while i < n:
        ch = s[i]
        if ch in " \t\r\n":  # some readers put CR/LF between tracks
            i += 1
            continue
        if ch == "%":
            no = 1
        elif ch == ";":
            no = 2 if 2 not in tracks else 3
        elif ch == "+":
            no = 3
        else:
            raise _Bad("garbage")
        if no in tracks:
            raise _Bad("bad_track")
        end = s.find("?", i + 1)
        if end < 0:
            raise _Bad("no_end_sentinel")
        body = s[i + 1:end]
        if lrc:
            if end + 1 >= n or s[end + 1] != track_lrc(no, s[i:end + 1]):
                raise _Bad("lrc")
            end += 1
        alphabet = _T1_BODY if no == 1 else _T23_BODY
        ok = body not in ("", "E") and alphabet.fullmatch(body) is not None
        tracks[no] = body if ok else None
        i = end + 1
    return tracks


def _card_number(tracks: dict[int, str | None]) -> str | None:
    t2, t1, t3 = tracks.get(2), tracks.get(1), tracks.get(3)
    if t2:
        number = t2.split("=", 1)[0]
        if number.isdigit():
            return number
    if t1:
        m = _T1_NUMBER.match(t1)
        if m:
            return m.group(1)
    if t3:
        number = t3.split("=", 1)[0]
        if number.isdigit():
            return number
    return None


class MagstripeParser:
    """Turns one swipe (text) into CardSwiped, BadSwipe or Refused. Never raises for str input."""

    def __init__(self, settings: MsrSettings | None = None, nomenclature: Nomenclature | None = None):
        self.settings = settings or MsrSettings()
        self.nomenclature = nomenclature or Nomenclature.default()
        pattern = self.settings.member_pattern
        self._member_re = re.compile(pattern, re.ASCII) if pattern else None

    def is_member_card(self, number: str) -> bool:
        if self._member_re is not None:
            return self._member_re.fullmatch(number) is not None
        return self.nomenclature.classify(number).kind == "member"

    def parse(self, text: str, source: str = "card") -> CardSwiped | BadSwipe | Refused:
        if not isinstance(text, str):
            raise TypeError(f"a swipe must be str, got {type(text).__name__}")
        if looks_like_bank_card(text):  # first, before anything could keep or show it
            return Refused("bank_card", source)
        s = text.strip(" \t\r\n")
        if not s:
            return BadSwipe("unreadable", source)
        if len(s) > MAX_SWIPE:
            return BadSwipe("too_long", source)
        try:
            if _BARE_T2.fullmatch(s):
                tracks: dict[int, str | None] = {2: s}
            else:
                tracks = _split_tracks(s, self.settings.lrc)
        except _Bad as bad:
            return BadSwipe(bad.reason, source)
        number = _card_number(tracks)
        if number is None:
            return BadSwipe("bad_track" if tracks else "unreadable", source)
        if self.is_member_card(number):
            return CardSwiped(number, source)
        return Refused("unknown_card", source)


def looks_like_swipe(text: str) -> bool:
    """A scanner-port frame that is really track data (combo keyboards, wedge readers)."""
    s = text.lstrip(" \t\r\n")
    return len(s) >= 2 and s[0] in "%;+" and "?" in s
