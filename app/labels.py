"""Words for the codes the domain records (tier-change reasons, directions), shared
by the screens. Each is a literal in a `translate` call so lupdate finds it."""
from __future__ import annotations

from PySide6.QtCore import QCoreApplication


def _t(text: str) -> str:
    return QCoreApplication.translate("Labels", text)


def tier_reason(code: str | None) -> str:
    """A tier change's reason (or a move's direction) in words; unknown codes as they are."""
    words = {
        "upgrade_spend": QCoreApplication.translate("Labels", "spend reached the next tier"),
        "topup": QCoreApplication.translate("Labels", "stored-value top-up"),
        "card": QCoreApplication.translate("Labels", "membership card"),
        "return_revert": QCoreApplication.translate("Labels", "undone by a return"),
        "review_up": QCoreApplication.translate("Labels", "yearly review: up"),
        "review_down": QCoreApplication.translate("Labels", "yearly review: down"),
        "review_keep": QCoreApplication.translate("Labels", "yearly review: kept"),
        "window_upgrade": QCoreApplication.translate("Labels", "window spend reached the next tier"),
        "window_recheck": QCoreApplication.translate("Labels", "window re-check"),
        "hq": QCoreApplication.translate("Labels", "changed at HQ or another store"),
        "up": QCoreApplication.translate("Labels", "up"),
        "down": QCoreApplication.translate("Labels", "down"),
        "same": QCoreApplication.translate("Labels", "same"),
    }
    return words.get(code or "", code or "")


def _zh() -> bool:
    from . import i18n

    return i18n.current() != "en"


def tier_name(program, code: str | None) -> str:
    """A tier's name from the program (普通会员 / VIP / SVIP), never its code."""
    if program is not None and code:
        for lv in program.tiers.levels:
            if lv.code == code:
                return lv.name.zh if _zh() else lv.name.en
    words = {"member": QCoreApplication.translate("Labels", "Member"), "vip": QCoreApplication.translate("Labels", "VIP"), "svip": QCoreApplication.translate("Labels", "SVIP")}
    return words.get(code or "", QCoreApplication.translate("Labels", "Member tier")) if code else "-"


def tender_name(code: str | None) -> str:
    words = {
        "cash": QCoreApplication.translate("Labels", "Cash"), "wechat": QCoreApplication.translate("Labels", "WeChat Pay"), "alipay": QCoreApplication.translate("Labels", "Alipay"), "bank_card": QCoreApplication.translate("Labels", "Bank card"),
        "stored_value": QCoreApplication.translate("Labels", "Stored value"), "gift_card": QCoreApplication.translate("Labels", "Gift card"), "points": QCoreApplication.translate("Labels", "Points"),
        "coupon": QCoreApplication.translate("Labels", "Coupon"),
    }
    return words.get(code or "", QCoreApplication.translate("Labels", "Other tender"))


def ledger_kind(code: str | None) -> str:
    """An entry of the points or stored-value ledger, in words."""
    words = {
        "earn": QCoreApplication.translate("Labels", "earned"), "redeem": QCoreApplication.translate("Labels", "redeemed"), "expire": QCoreApplication.translate("Labels", "expired"), "bonus": QCoreApplication.translate("Labels", "bonus"),
        "reverse": QCoreApplication.translate("Labels", "taken back by a return"), "refund": QCoreApplication.translate("Labels", "refunded"), "pay": QCoreApplication.translate("Labels", "paid"), "topup": QCoreApplication.translate("Labels", "top-up"),
        "merge_in": QCoreApplication.translate("Labels", "moved in by a merge"), "merge_out": QCoreApplication.translate("Labels", "moved out by a merge"), "adjust": QCoreApplication.translate("Labels", "adjustment"),
        "signup": QCoreApplication.translate("Labels", "sign-up reward"), "gift": QCoreApplication.translate("Labels", "gift"), "return": QCoreApplication.translate("Labels", "return"),
    }
    return words.get(code or "", QCoreApplication.translate("Labels", "other"))


def ledger_name(code: str | None) -> str:
    return {"points": QCoreApplication.translate("Labels", "Points"), "stored_value": QCoreApplication.translate("Labels", "Stored value")}.get(code or "", QCoreApplication.translate("Labels", "other"))


def sale_kind(code: str | None) -> str:
    return {"sale": QCoreApplication.translate("Labels", "sale"), "return": QCoreApplication.translate("Labels", "return"), "topup": QCoreApplication.translate("Labels", "top-up")}.get(code or "", QCoreApplication.translate("Labels", "other"))


def coupon_source(code: str | None) -> str:
    words = {
        "signup": QCoreApplication.translate("Labels", "sign-up"), "birthday": QCoreApplication.translate("Labels", "birthday"), "win_back": QCoreApplication.translate("Labels", "win-back"), "points": QCoreApplication.translate("Labels", "points"),
        "campaign": QCoreApplication.translate("Labels", "campaign"), "referral": QCoreApplication.translate("Labels", "referral"), "manual": QCoreApplication.translate("Labels", "manual"), "return": QCoreApplication.translate("Labels", "given back by a return"),
        "hq": QCoreApplication.translate("Labels", "from HQ"),
    }
    return words.get(code or "", QCoreApplication.translate("Labels", "other"))


def coupon_status(code: str | None) -> str:
    words = {"active": QCoreApplication.translate("Labels", "usable"), "issued": QCoreApplication.translate("Labels", "usable"), "used": QCoreApplication.translate("Labels", "used"), "void": QCoreApplication.translate("Labels", "void"),
             "expired": QCoreApplication.translate("Labels", "expired"), "replaced": QCoreApplication.translate("Labels", "replaced")}
    return words.get(code or "", QCoreApplication.translate("Labels", "other"))


def note_kind(code: str | None) -> str:
    return {"note": QCoreApplication.translate("Labels", "Note"), "complaint": QCoreApplication.translate("Labels", "Complaint"), "suggestion": QCoreApplication.translate("Labels", "Suggestion"), "review": QCoreApplication.translate("Labels", "Review")}.get(code or "", QCoreApplication.translate("Labels", "Note"))


def device_kind(code: str | None) -> str:
    words = {"wedge": QCoreApplication.translate("Labels", "keyboard wedge"), "serial": QCoreApplication.translate("Labels", "serial port"), "off": QCoreApplication.translate("Labels", "off"), "hid": QCoreApplication.translate("Labels", "USB HID"),
             "usb": QCoreApplication.translate("Labels", "USB"), "network": QCoreApplication.translate("Labels", "network"), "file": QCoreApplication.translate("Labels", "file"), "console": QCoreApplication.translate("Labels", "console"),
             "escpos": QCoreApplication.translate("Labels", "ESC/POS printer"), "msr": QCoreApplication.translate("Labels", "card reader"), "scanner": QCoreApplication.translate("Labels", "scanner"),
             "printer": QCoreApplication.translate("Labels", "printer"), "display": QCoreApplication.translate("Labels", "customer display"), "card_reader": QCoreApplication.translate("Labels", "card reader"),
             "none": QCoreApplication.translate("Labels", "none"), "dummy": QCoreApplication.translate("Labels", "test (no printer)")}
    return words.get(code or "", code or "-")


def discount_kind(kind: str | None) -> str:
    words = {
        "flash_price": QCoreApplication.translate("Labels", "Flash sale"), "member_price": QCoreApplication.translate("Labels", "Member price"), "manual": QCoreApplication.translate("Labels", "Line discount"),
        "tier": QCoreApplication.translate("Labels", "Member discount"), "promotion": QCoreApplication.translate("Labels", "Promotion"), "coupon": QCoreApplication.translate("Labels", "Coupon"), "points": QCoreApplication.translate("Labels", "Points"),
    }
    return words.get(kind or "", QCoreApplication.translate("Labels", "Discount"))


def discount_name(program, kind: str, code: str, name: str | None = None, template: str | None = None) -> str:
    """What a discount is called on screen: its name (from the quote, or the program's
    promotion / coupon template), else the kind in words — never its code."""
    if name:
        return name
    zh = _zh()
    if program is not None:
        if kind == "promotion":
            for p in program.promotions:
                if p.code == code:
                    return p.name.zh if zh else p.name.en
        if kind == "coupon" and template:
            t = program.template(template)
            if t is not None:
                return t.name.zh if zh else t.name.en
        if kind == "tier":
            return discount_kind(kind)
    return discount_kind(kind)


def ledger_reason(text: str | None) -> str:
    """The ledger's recorded reason ('sale S001-…', 'expired 2026-11-01') in words; the
    receipt number or date it names is kept."""
    text = text or ""
    head, _, rest = text.partition(" ")
    if text == "sign-up bonus":
        return QCoreApplication.translate("Labels", "sign-up bonus")
    if text == "profile complete":  # pos.services.member_bonuses
        return QCoreApplication.translate("Labels", "profile completed")
    if text.startswith("top-up bonus "):
        return QCoreApplication.translate("Labels", "top-up bonus {0}").format(text[len("top-up bonus "):])
    words = {"sale": QCoreApplication.translate("Labels", "sale {0}"), "return": QCoreApplication.translate("Labels", "return {0}"), "top-up": QCoreApplication.translate("Labels", "top-up {0}"), "expired": QCoreApplication.translate("Labels", "expired {0}"),
             "check-in": QCoreApplication.translate("Labels", "check-in {0}"), "review": QCoreApplication.translate("Labels", "review {0}"),
             "referral": QCoreApplication.translate("Labels", "referral {0}")}
    if head in words and rest:
        return words[head].format(rest)
    return text


def member_tag(tag: str) -> str:
    """A member's tag as the till shows it: the segment tags the daily job writes in
    Chinese (活跃会员 …, pos.analytics.segments.SEGMENT_TAGS) in the till's language;
    a tag staff typed as it was typed."""
    from pos.analytics.segments import SEGMENT_TAGS

    if _zh():
        return tag
    words = {
        "active": QCoreApplication.translate("Labels", "Active member"),
        "recently_lapsed": QCoreApplication.translate("Labels", "Recently lapsed"),
        "mid_lapsed": QCoreApplication.translate("Labels", "Mid-term lapsed"),
        "dormant": QCoreApplication.translate("Labels", "Dormant member"),
        "heavy": QCoreApplication.translate("Labels", "Heavy spender"),
        "light": QCoreApplication.translate("Labels", "Light spender"),
        "zombie": QCoreApplication.translate("Labels", "No purchase yet"),
    }
    code = next((c for c, zh in SEGMENT_TAGS.items() if zh == tag), None)
    return words.get(code, tag) if code else tag


def device_state(kind: str, mode: str, port: str = "", up: bool | None = None) -> str:
    """One device on the status bar in words: 扫码枪：键盘模拟 / 读卡器：COM3 正常."""
    who = {"scanner": QCoreApplication.translate("Labels", "scanner"),
           "card": QCoreApplication.translate("Labels", "card reader")}.get(kind, device_kind(kind))
    if mode == "serial":
        state = (QCoreApplication.translate("Labels", "connected") if up else
                 QCoreApplication.translate("Labels", "not connected") if up is False else "…")
        return QCoreApplication.translate("Labels", "{0}: {1} {2}").format(who, port, state)
    return QCoreApplication.translate("Labels", "{0}: {1}").format(who, device_kind(mode))
