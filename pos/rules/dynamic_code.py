"""The dynamic member code (issue 16 item 3): what a member's phone shows on the
"my member code" page instead of a printed code, changing every `STEP_S` seconds,
so a screenshot cannot be used again tomorrow. Pure: the caller gives the time.

A code is ``DM`` + step tag (2 Crockford characters) + ``DIGITS`` digits + the
member code, e.g. ``DM7Q48213905M4X7K2P9Q3RT``:

* ``DM`` — the prefix the barcode nomenclature knows it by (pos.rules.barcodes rule
  ``dynamic_member``): no product barcode, member card, member code (``M…``), coupon
  (``CP…``) or cashier badge (``CSH…``) starts with it.
* the step tag — the time step modulo 1024 (``TAG_MOD``): it tells the till which step
  the code was made for, so an old screenshot is refused as *stale* (with its age)
  rather than as a forgery, with one HMAC per candidate step.
* the digits — RFC 4226 dynamic truncation of HMAC-SHA256(secret, step as 8 bytes
  big-endian ‖ member code), as TOTP (RFC 6238) does over the step alone: the member
  code is bound in, so a code cannot be moved to another member.
* the member code — which member's secret to verify with (one indexed query at the till).

The secret is per member (32 random bytes, hex), made by HQ and sent to tills in the
member's pull row; the page never shows it. A code is good for its own step and one step
of clock drift either way (`DRIFT_STEPS`): 30 to 90 seconds after it appears.
"""
from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass

PREFIX = "DM"
STEP_S = 30  # seconds per step: the page shows a new code every 30 s
DRIFT_STEPS = 1  # a step either way: the till's and HQ's clocks may differ a little
DIGITS = 8
TAG_MOD = 1024  # two Crockford characters
LOOKBACK_STEPS = 7 * 24 * 3600 // STEP_S  # an older code is not even recognised as stale
SECRET_HEX = 64  # 32 bytes
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base 32, as pos.ids.CROCKFORD
PATTERN = r"^DM[0-9A-Z]{2}\d{%d}[0-9A-Z]{1,24}$" % DIGITS  # the nomenclature's rule (upper-cased input)
_RE = re.compile(PATTERN, re.ASCII)
_SECRET_RE = re.compile(r"^[0-9a-f]{%d}$" % SECRET_HEX)


def truncate(digest: bytes, digits: int) -> str:
    """RFC 4226 §5.3 dynamic truncation to `digits` decimal digits."""
    offset = digest[-1] & 0x0F
    binary = int.from_bytes(digest[offset:offset + 4], "big") & 0x7FFFFFFF
    return str(binary % 10 ** digits).zfill(digits)


def hotp(key: bytes, counter: int, digits: int = 6, digestmod=hashlib.sha1) -> str:
    """RFC 4226 HOTP (the core the member code is built on; its test vectors hold)."""
    return truncate(hmac.new(key, counter.to_bytes(8, "big"), digestmod).digest(), digits)


def totp(key: bytes, unix_s: int, step_s: int = 30, digits: int = 8, digestmod=hashlib.sha1) -> str:
    """RFC 6238 TOTP (T0 = 0)."""
    return hotp(key, unix_s // step_s, digits, digestmod)


def step_at(unix_s: float) -> int:
    """The time step of a moment (seconds since the Unix epoch)."""
    return int(unix_s // STEP_S)


def valid_secret(secret: str | None) -> bool:
    return isinstance(secret, str) and bool(_SECRET_RE.match(secret))


def _tag(step: int) -> str:
    n = step % TAG_MOD
    return ALPHABET[n >> 5] + ALPHABET[n & 31]


def _digits(secret: str, member_code: str, step: int) -> str:
    msg = step.to_bytes(8, "big") + member_code.upper().encode("ascii")
    return truncate(hmac.new(bytes.fromhex(secret), msg, hashlib.sha256).digest(), DIGITS)


def make(member_code: str, secret: str, step: int) -> str:
    """The code a member's page shows during `step`."""
    if not valid_secret(secret):
        raise ValueError("a member code secret is 64 lower-case hex digits")
    code = member_code.upper()
    if not re.fullmatch(r"[0-9A-Z]{1,24}", code, re.ASCII):
        raise ValueError("a member code is 1 to 24 letters or digits")
    return PREFIX + _tag(step) + _digits(secret, code, step) + code


@dataclass(frozen=True)
class Parsed:
    member_code: str
    tag: int  # the step modulo TAG_MOD
    digits: str


def parse(code: str) -> Parsed | None:
    """The parts of a dynamic code (upper-cased), or None when it is not one."""
    c = (code or "").strip().upper()
    if not _RE.match(c):
        return None
    hi, lo = ALPHABET.find(c[2]), ALPHABET.find(c[3])
    if hi < 0 or lo < 0:
        return None
    return Parsed(member_code=c[4 + DIGITS:], tag=hi * 32 + lo, digits=c[4:4 + DIGITS])


def looks_dynamic(code: str) -> bool:
    return parse(code) is not None


@dataclass(frozen=True)
class Verdict:
    status: str  # ok / stale / invalid
    step: int | None = None  # the step the code was made for (ok, stale)
    age_s: int = 0  # stale: how long ago that step ended, in seconds

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def verify(code: str, secret: str | None, now_step: int) -> Verdict:
    """Accept a code of `now_step` ± DRIFT_STEPS; one made for an earlier step (within
    LOOKBACK_STEPS) is `stale`; anything else — wrong digits, another member's code
    with this member's name on it, a step tag edited, no secret — is `invalid`."""
    p = parse(code)
    if p is None or not valid_secret(secret):
        return Verdict("invalid")
    newest = now_step + DRIFT_STEPS
    step = newest - ((newest - p.tag) % TAG_MOD)  # the latest step <= newest with this tag
    while step >= max(0, now_step - LOOKBACK_STEPS):
        if hmac.compare_digest(_digits(secret, p.member_code, step), p.digits):
            if step >= now_step - DRIFT_STEPS:
                return Verdict("ok", step)
            return Verdict("stale", step, (now_step - step) * STEP_S)
        step -= TAG_MOD
    return Verdict("invalid")

