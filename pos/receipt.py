"""The receipt as text lines (preview, printers): CJK-aware column widths,
masked phone only, what membership saved, points earned and the balance."""
from __future__ import annotations

import unicodedata
from typing import Any

from .money import yuan

LABELS = {
    "en": {"receipt": "Receipt", "qty": "x", "total": "Total", "discount": "Discounts", "due": "Due",
           "paid": "Paid", "change": "Change", "saved": "Membership saved", "member": "Member",
           "earned": "Points earned", "redeemed": "Points used", "balance": "Points balance", "return": "RETURN",
           "thanks": "Thank you!", "cash": "Cash", "wechat": "WeChat Pay", "alipay": "Alipay",
           "bank_card": "Bank card", "stored_value": "Stored value", "gift_card": "Gift card"},
    "zh_CN": {"receipt": "小票号", "qty": "x", "total": "合计", "discount": "优惠", "due": "应付",
              "paid": "实收", "change": "找零", "saved": "会员为您节省", "member": "会员",
              "earned": "本单积分", "redeemed": "使用积分", "balance": "积分余额", "return": "退货",
              "thanks": "谢谢惠顾，欢迎再次光临！", "cash": "现金", "wechat": "微信支付", "alipay": "支付宝",
              "bank_card": "银行卡", "stored_value": "储值", "gift_card": "礼品卡"},
}


def text_width(text: str) -> int:
    """Columns on a receipt printer: CJK (wide/full-width) characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def fit(text: str, width: int) -> str:
    out, used = "", 0
    for c in text:
        w = 2 if unicodedata.east_asian_width(c) in "WF" else 1
        if used + w > width:
            break
        out += c
        used += w
    return out


def two_cols(left: str, right: str, width: int) -> str:
    left = fit(left, width - text_width(right) - 1)
    return left + " " * (width - text_width(left) - text_width(right)) + right


def render(sale: dict[str, Any], store_name: str = "", lang: str = "zh_CN", width: int = 32,
           member_masked: str | None = None) -> list[str]:
    """Lines of a receipt for a committed sale (the dict of `SaleResult.as_dict()`)."""
    t = LABELS["en" if lang.startswith("en") else "zh_CN"]
    out = []
    if store_name:
        pad = max(0, (width - text_width(store_name)) // 2)
        out.append(" " * pad + fit(store_name, width))
    if sale.get("kind") == "return":
        out.append(t["return"])
    out.append(f"{t['receipt']}: {sale.get('receipt_no', '')}")
    out.append("-" * width)
    for ln in sale.get("lines", []):
        out.append(fit(ln.get("name") or ln["code"], width))
        out.append(two_cols(f"  {ln['qty']} {t['qty']} {yuan(ln['unit_fen'])}", yuan(ln["net_fen"]), width))
    out.append("-" * width)
    tot = sale.get("totals", {})
    out.append(two_cols(t["total"], yuan(tot.get("gross_fen", 0)), width))
    if tot.get("discount_fen"):
        out.append(two_cols(t["discount"], "-" + yuan(tot["discount_fen"]), width))
    out.append(two_cols(t["due"], yuan(tot.get("net_fen", 0)), width))
    for p in sale.get("payments", []):
        out.append(two_cols(t.get(p["tender"], p["tender"]), yuan(p["amount_fen"]), width))
    if tot.get("change_fen"):
        out.append(two_cols(t["change"], yuan(tot["change_fen"]), width))
    if sale.get("member"):
        out.append("-" * width)
        if member_masked:
            out.append(two_cols(t["member"], member_masked, width))
        if sale.get("member_saved_fen"):
            out.append(two_cols(t["saved"], yuan(sale["member_saved_fen"]), width))
        pts = sale.get("points", {})
        if pts.get("redeemed"):
            out.append(two_cols(t["redeemed"], str(pts["redeemed"]), width))
        out.append(two_cols(t["earned"], str(pts.get("earned", 0)), width))
        out.append(two_cols(t["balance"], str(pts.get("balance_after", 0)), width))
    out.append("")
    out.append(t["thanks"])
    return out
