"""Phone numbers: the merge key of a member across channels.

Normalised to E.164 so `+86 138 0013 8000`, `13800138000` and full-width
`１３８００１３８０００` are one number. Only masked forms leave this module for
display or logs (138****8000).

A till enrolled with HQ keeps no full numbers (issue 12 item 7): `digest` is
the keyed hash (HMAC-SHA256 of the E.164 form with the chain's key) it looks
members up by. The key comes from HQ and is kept in a file of its own outside
the database (`key_dir`, mode 0600), so the database file alone — a backup, a
copy sent for support, a disk image of the data directory — does not give the
numbers back: without the key, 10^9 candidate numbers cannot be tried.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import unicodedata
from pathlib import Path
from typing import Any

from pos.errors import DomainError

# phonenumbers (its metadata is ~20 ms of start-up) is imported by the functions that parse a number

KEY_DIR_ENV = "MEMBERPOS_KEY_DIR"
_CHECK = b"memberpos phone key check"

DEFAULT_REGION = "CN"


def _clean(text: str) -> str:
    # NFKC folds full-width digits, plus signs and ideographic spaces to ASCII.
    return unicodedata.normalize("NFKC", text or "").strip()


def shown(text: str) -> str:
    """What an error may echo back of a rejected input: masked if it is long."""
    digits = "".join(c for c in _clean(text) if c.isdigit())
    if len(digits) >= 7:
        return digits[:3] + "****" + digits[-4:]
    return _clean(text)[:20]


def normalize(text: str, region: str = DEFAULT_REGION) -> str:
    """Return the E.164 form of a mobile number or raise DomainError."""
    raw = _clean(text)
    if not raw:
        raise DomainError("phone.empty")
    if any(c.isalpha() for c in raw):  # phonenumbers reads letters as keypad digits (M151S22N390P)
        raise DomainError("phone.invalid", shown=shown(raw))
    import phonenumbers
    from phonenumbers import PhoneNumberType

    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        raise DomainError("phone.invalid", shown=shown(raw)) from None
    if not phonenumbers.is_valid_number(number):
        raise DomainError("phone.invalid", shown=shown(raw))
    if phonenumbers.number_type(number) not in (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE):
        raise DomainError("phone.not_mobile", shown=shown(raw))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def looks_like_phone(text: str, region: str = DEFAULT_REGION) -> bool:
    try:
        normalize(text, region)
        return True
    except DomainError:
        return False


def national(e164: str) -> str:
    if e164.startswith("+86"):  # the common case, without a parse (pick lists mask ~100 numbers)
        return e164[3:]
    import phonenumbers

    number = phonenumbers.parse(e164, None)
    return str(number.national_number)


def last4(e164: str) -> str:
    return national(e164)[-4:]


def mask(e164: str | None) -> str:
    """138****8000 — the only form shown on screens, receipts and logs.
    An already masked form (all an enrolled till keeps) comes back as it is."""
    if not e164:
        return ""
    if "*" in e164:
        return e164
    nat = national(e164)
    if len(nat) <= 4:
        return "*" * len(nat)
    head = nat[:3] if len(nat) >= 8 else nat[:1]
    return head + "****" + nat[-4:]


# --- the chain's phone key (an enrolled till) ------------------------------------

_keyed: dict[bytes, tuple[Any, Any]] = {}


def _pads(key: bytes) -> tuple[Any, Any]:
    # RFC 2104: SHA-256 states after (key ^ ipad) and (key ^ opad), made once per key
    block = (hashlib.sha256(key).digest() if len(key) > 64 else key).ljust(64, b"\0")
    return (hashlib.sha256(bytes(b ^ 0x36 for b in block)), hashlib.sha256(bytes(b ^ 0x5C for b in block)))


def digest(key: bytes, e164: str) -> str:
    """The keyed hash an enrolled till stores and looks up instead of the number:
    HMAC-SHA256, hex (equal to `hmac.new(key, e164, sha256).hexdigest()`). The padded
    key states are copied rather than re-keyed: identification is the hot path (2x
    faster than `hmac`'s copy), and HQ hashes every member of a first pull."""
    pads = _keyed.get(key)
    if pads is None:
        pads = _keyed[key] = _pads(key)
    inner, outer = pads[0].copy(), pads[1].copy()
    inner.update(e164.encode())
    outer.update(inner.digest())
    return outer.hexdigest()


def key_check(key: bytes) -> str:
    """Kept in the database to tell the right key file from a wrong one; says nothing of any phone."""
    return hmac.new(key, _CHECK, hashlib.sha256).hexdigest()[:16]


def key_dir() -> Path:
    """Where key files live: $MEMBERPOS_KEY_DIR, else the user's config directory
    (not the data directory the database is in)."""
    env = os.environ.get(KEY_DIR_ENV)
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_config_dir("memberpos", appauthor=False)) / "keys"


def new_key_id() -> str:
    return secrets.token_hex(8)


def write_key(key_id: str, key: bytes) -> Path:
    """The key file, readable by this user only (0600 in a 0700 directory), written atomically."""
    folder = key_dir()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / f"phone-{key_id}.key"
    tmp = folder / f".phone-{key_id}.{secrets.token_hex(4)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, key.hex().encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    return path


def read_key(key_id: str | None, check: str | None) -> bytes | None:
    """The key of `key_id` if its file is there and matches `check`; else None."""
    if not key_id:
        return None
    try:
        key = bytes.fromhex((key_dir() / f"phone-{key_id}.key").read_text().strip())
    except (OSError, ValueError):
        return None
    if check and not hmac.compare_digest(key_check(key), check):
        return None
    return key
