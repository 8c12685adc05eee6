"""What of a customer may appear on a receipt, a pole display or in a log.

Names show their first character only (王小明 -> 王**), phones their first 3
and last 4 digits (138****8000). Anything that already looks masked is kept.
"""
from __future__ import annotations

import re

from pos.rules import phones

_MASKED_PHONE = re.compile(r"\d{1,3}\*{4}\d{4}")


def mask_name(name: str | None) -> str:
    name = (name or "").strip()
    if not name:
        return ""
    if name.isascii():  # John Smith -> J*** S****
        return " ".join(w[0] + "*" * (len(w) - 1) for w in name.split())
    return name[0] + "*" * (len(name) - 1)


def mask_phone(phone: str | None) -> str:
    """E.164, a national number or an already masked one -> 138****8000; anything else is hidden."""
    phone = (phone or "").strip()
    if not phone:
        return ""
    if _MASKED_PHONE.fullmatch(phone):
        return phone
    try:
        return phones.mask(phones.normalize(phone))
    except Exception:  # noqa: BLE001 - not a number we can read: show nothing of it
        return phones.shown(phone) if sum(c.isdigit() for c in phone) >= 7 else "****"
