"""Phone numbers: the merge key of a member across channels.

Normalised to E.164 so `+86 138 0013 8000`, `13800138000` and full-width
`１３８００１３８０００` are one number. Only masked forms leave this module for
display or logs (138****8000).
"""
from __future__ import annotations

import unicodedata

import phonenumbers
from phonenumbers import PhoneNumberType

from .errors import DomainError

DEFAULT_REGION = "CN"
_MOBILE = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}


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
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        raise DomainError("phone.invalid", shown=shown(raw)) from None
    if not phonenumbers.is_valid_number(number):
        raise DomainError("phone.invalid", shown=shown(raw))
    if phonenumbers.number_type(number) not in _MOBILE:
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
    number = phonenumbers.parse(e164, None)
    return str(number.national_number)


def last4(e164: str) -> str:
    return national(e164)[-4:]


def mask(e164: str | None) -> str:
    """138****8000 — the only form shown on screens, receipts and logs."""
    if not e164:
        return ""
    nat = national(e164)
    if len(nat) <= 4:
        return "*" * len(nat)
    head = nat[:3] if len(nat) >= 8 else nat[:1]
    return head + "****" + nat[-4:]
