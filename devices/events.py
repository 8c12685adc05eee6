"""What the devices tell the rest of the till: small, immutable, safe to show.

Every device (serial scanner, keyboard wedge, card reader) ends in these same
events, so the app reacts to a serial scan and a wedge scan the same way.
No event ever carries card track data or a bank card number: a refused swipe
says *why* it was refused, never *what* was swiped.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Union


@dataclass(frozen=True)
class Scanned:
    code: str  # normalized by the nomenclature
    kind: str  # product|price|weight|member|coupon|cashier|bad_barcode|unknown
    error: str | None = None  # why a code is bad_barcode/unknown (e.g. the expected check digit)
    source: str = ""  # "scanner", "card", "wedge": which device, for diagnostics


@dataclass(frozen=True)
class CardSwiped:
    card_no: str  # a member card number only; never a bank card's
    source: str = ""


@dataclass(frozen=True)
class BadSwipe:
    reason: str = "unreadable"  # fixed vocabulary (see msr.BAD_REASONS), never swiped data
    source: str = ""


@dataclass(frozen=True)
class Refused:
    reason: str  # "bank_card" | "unknown_card"
    source: str = ""


@dataclass(frozen=True)
class Garbage:
    nbytes: int  # how much line noise was skipped; the bytes themselves are not kept
    source: str = ""


@dataclass(frozen=True)
class Connected:
    port: str = ""


@dataclass(frozen=True)
class Disconnected:
    port: str = ""
    reason: str = ""  # the OS error text (names the port, never data)


Event = Union[Scanned, CardSwiped, BadSwipe, Refused, Garbage, Connected, Disconnected]
# The events that answer "what was this frame?" -- exactly one per non-blank frame.
FRAME_EVENTS = (Scanned, CardSwiped, BadSwipe, Refused, Garbage)

_MESSAGES = {  # (English, Chinese): what the cashier reads
    "bad_swipe": ("Bad swipe, please swipe again", "刷卡失败，请重新刷卡"),
    "bank_card": ("Bank card refused: this reader only takes member cards", "不受理银行卡：请刷会员卡"),
    "unknown_card": ("Not a member card", "不是本店会员卡"),
    "garbage": ("Unreadable data from the device was skipped", "设备发来无法识别的数据，已跳过"),
    "connected": ("Device connected: {port}", "设备已连接：{port}"),
    "disconnected": ("Device disconnected: {port}", "设备已断开：{port}"),
}


def as_json(event: Event) -> dict[str, Any]:
    """The `devices listen --json` line of an event (a public interface: extend, never rename)."""
    if isinstance(event, Scanned):
        return {"event": "scanned", "code": event.code, "kind": event.kind}
    if isinstance(event, CardSwiped):
        return {"event": "card", "card_no": event.card_no}
    if isinstance(event, BadSwipe):
        return {"event": "bad_swipe"}
    if isinstance(event, Refused):
        return {"event": "refused", "reason": event.reason}
    if isinstance(event, Garbage):
        return {"event": "garbage", "bytes": event.nbytes}
    if isinstance(event, Connected):
        return {"event": "connected"}
    if isinstance(event, Disconnected):
        return {"event": "disconnected"}
    raise TypeError(f"not a device event: {type(event).__name__}")


def message(event: Event, lang: str = "zh_CN") -> str:
    """One line for a person (CLI text mode, the app's status bar, diagnostics log)."""
    zh = not lang.lower().startswith("en")

    def pick(key: str, **kw) -> str:
        en, cn = _MESSAGES[key]
        return (cn if zh else en).format(**kw)

    if isinstance(event, Scanned):
        text = f"{'扫码' if zh else 'scanned'} {event.code} ({event.kind})"
        return text + (f": {event.error}" if event.error and event.kind == "bad_barcode" else "")
    if isinstance(event, CardSwiped):
        return f"{'会员卡' if zh else 'member card'} {event.card_no}"
    if isinstance(event, BadSwipe):
        return pick("bad_swipe")
    if isinstance(event, Refused):
        return pick(event.reason if event.reason in _MESSAGES else "unknown_card")
    if isinstance(event, Garbage):
        return pick("garbage") + f" ({event.nbytes} bytes)"
    if isinstance(event, Connected):
        return pick("connected", port=event.port)
    if isinstance(event, Disconnected):
        return pick("disconnected", port=event.port)
    raise TypeError(f"not a device event: {type(event).__name__}")
