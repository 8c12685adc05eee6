"""A receipt: what is printed for a committed sale, laid out in fixed columns.

`Receipt` is built from a SaleResult (or its dict) plus what the sale does not
hold (store name, the member's name and phone, links); the customer's name and
phone are masked *when the receipt is made*, so neither the printer, the PNG
preview nor the reprint queue ever holds them in full. `layout()` turns a
receipt into blocks (text lines, a CODE128 barcode, QR codes) that the ESC/POS
renderer, the text renderer and the PNG preview all draw the same way.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator

from pos.rules.money import yuan

from .columns import spread, width, wrap
from .masking import mask_name, mask_phone

COLUMNS = {58: 32, 80: 48}  # font A characters per line on 58 / 80 mm paper

LABELS = {  # key: (Chinese, English)
    "no": ("单号", "No."), "time": ("时间", "Time"), "cashier": ("收银员", "Cashier"),
    "item": ("商品", "Item"), "amount": ("金额", "Amount"),
    "gross": ("合计", "Total"), "discount": ("优惠", "Discount"), "due": ("应付", "Due"),
    "paid": ("实收", "Paid"), "change": ("找零", "Change"), "member": ("会员", "Member"),
    "earned": ("本次积分", "Points earned"), "redeemed": ("使用积分", "Points used"),
    "balance": ("积分余额", "Points balance"), "saved": ("会员共节省", "Member saved"),
    "join": ("扫码加入会员", "Scan to join"), "coupon": ("优惠券", "Coupon"),
    "reprint": ("** 重印 **", "** REPRINT **"), "sale": ("销售小票", "SALES RECEIPT"),
    "return": ("退货单", "RETURN"), "topup": ("储值充值", "TOP-UP"), "thanks": ("谢谢惠顾", "Thank you"),
    "cash": ("现金", "Cash"), "bank_card": ("银行卡", "Bank card"), "wechat": ("微信支付", "WeChat Pay"),
    "alipay": ("支付宝", "Alipay"), "stored_value": ("储值卡", "Stored value"), "gift_card": ("礼品卡", "Gift card"),
    "flash_price": ("限时价", "Flash price"), "member_price": ("会员价", "Member price"),
    "tier": ("会员折扣", "Member discount"), "promotion": ("促销", "Promotion"), "points": ("积分抵现", "Points"),
    "manual": ("手工折扣", "Line discount"),
    "monthly_spend": ("月消费满{0}元奖励", "Monthly spend {0} bonus"),
    "monthly_spend_back": ("收回月消费满{0}元奖励", "Monthly {0} bonus back"),
    "campaign": ("积分活动", "Points campaign"),
    # issue 17: the alliance's shopping coins, shown apart from this merchant's points
    "coins": ("购物币", "Shopping coins"), "coins_earned": ("本次获得购物币", "Coins earned"),
    "coins_spent": ("使用购物币", "Coins spent"), "coins_refunded": ("退回购物币", "Coins back"),
    "coins_taken_back": ("扣回购物币", "Coins taken back"), "coins_balance": ("购物币余额", "Coins balance"),
}


def label(key: str, lang: str) -> str:
    zh, en = LABELS.get(key, (key, key))
    return en if lang == "en" else zh


class CouponSlip(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(min_length=1, max_length=64)
    title: str = ""


class Receipt(BaseModel):
    """Everything a receipt shows; JSON-safe (the reprint queue stores it as is)."""

    model_config = ConfigDict(extra="forbid")
    receipt_no: str = Field(min_length=1, max_length=64)
    kind: str = "sale"
    sale: dict[str, Any]  # SaleResult.as_dict(): lines, totals, payments, points, member, coupons
    store_name: str = ""
    header: list[str] = []
    footer: list[str] = []
    cashier: str = ""
    printed_at: str = ""  # store-local time as text
    member_name: str = ""  # masked
    member_phone: str = ""  # masked
    join_url: str = ""
    coupons: list[CouponSlip] = []
    reprint: bool = False
    lang: Literal["zh_CN", "en"] = "zh_CN"

    @field_validator("member_name")
    @classmethod
    def _mask_name(cls, v: str) -> str:  # masked however the receipt was made
        return mask_name(v)

    @field_validator("member_phone")
    @classmethod
    def _mask_phone(cls, v: str) -> str:
        return mask_phone(v)

    @field_validator("sale")
    @classmethod
    def _sale_shape(cls, sale: dict) -> dict:
        check_sale(sale)
        return sale

    @property
    def cash_tendered(self) -> bool:
        """A cash tender opens the drawer."""
        return any(p.get("tender") == "cash" and (p.get("tendered_fen") or p.get("amount_fen", 0)) > 0
                   for p in self.sale.get("payments", []))


def _fen(value: Any, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"{where}: amounts are integer fen, got {value!r}")
    return value


def check_sale(sale: Any) -> None:
    """A clear error for a sale dict that cannot be printed (names the field)."""
    if not isinstance(sale, dict):
        raise ValueError(f"sale: expected a SaleResult dict, got {type(sale).__name__}")
    for key in ("receipt_no", "lines", "totals", "payments"):
        if key not in sale:
            raise ValueError(f"sale: missing {key!r}")
    if not isinstance(sale["lines"], list) or not isinstance(sale["payments"], list):
        raise ValueError("sale: 'lines' and 'payments' must be lists")
    for i, ln in enumerate(sale["lines"], 1):
        if not isinstance(ln, dict):
            raise ValueError(f"sale.lines[{i}]: expected an object")
        _fen(ln.get("net_fen"), f"sale.lines[{i}].net_fen")
        if not isinstance(ln.get("qty"), int):
            raise ValueError(f"sale.lines[{i}].qty: expected an integer")
    totals = sale["totals"]
    if not isinstance(totals, dict):
        raise ValueError("sale.totals: expected an object")
    for key in ("gross_fen", "discount_fen", "net_fen"):
        _fen(totals.get(key), f"sale.totals.{key}")
    for i, p in enumerate(sale["payments"], 1):
        if not isinstance(p, dict) or not isinstance(p.get("tender"), str):
            raise ValueError(f"sale.payments[{i}]: expected {{tender, amount_fen}}")
        _fen(p.get("amount_fen"), f"sale.payments[{i}].amount_fen")
        if p.get("tendered_fen") is not None:
            _fen(p["tendered_fen"], f"sale.payments[{i}].tendered_fen")


_SALE_KEYS = ("sale_id", "receipt_no", "kind", "member", "lines", "totals", "points", "payments", "coupons",
              "member_saved_fen", "program_version", "coins")
_LINE_KEYS = ("code", "name", "qty", "unit_fen", "gross_fen", "net_fen", "discounts", "points", "reward")
_MEMBER_KEYS = ("id", "tier_before", "tier_after", "points_balance")


def _trimmed(sale: dict) -> dict:
    """Only what a receipt shows: whatever else a caller's dict carries is not kept (nor queued)."""
    out = {k: sale[k] for k in _SALE_KEYS if k in sale}
    out["lines"] = [{k: ln[k] for k in _LINE_KEYS if k in ln} for ln in sale["lines"]]
    if isinstance(out.get("member"), dict):
        out["member"] = {k: out["member"][k] for k in _MEMBER_KEYS if k in out["member"]}
    return out


def receipt_from_sale(sale: Any, *, store_name: str = "", header: list[str] | None = None,
                      footer: list[str] | None = None, cashier: str = "", printed_at: str = "",
                      member_name: str | None = None, member_phone: str | None = None, join_url: str = "",
                      coupons: list[dict] | None = None, lang: str = "zh_CN", reprint: bool = False) -> Receipt:
    """A SaleResult (or its dict) and the shop's details -> a Receipt; bad input is a ValueError."""
    data = sale.as_dict() if hasattr(sale, "as_dict") else sale
    check_sale(data)
    data = _trimmed(data)
    try:
        return Receipt(receipt_no=str(data["receipt_no"]), kind=str(data.get("kind") or "sale"), sale=data,
                       store_name=store_name, header=list(header or []), footer=list(footer or []),
                       cashier=cashier, printed_at=printed_at, member_name=member_name or "",
                       member_phone=member_phone or "", join_url=join_url, coupons=list(coupons or []),
                       lang="en" if lang == "en" else "zh_CN", reprint=reprint)
    except ValueError as exc:  # pydantic's ValidationError is a ValueError: keep its first line
        raise ValueError(str(exc).splitlines()[0] if str(exc) else "bad receipt") from None


# --- layout -------------------------------------------------------------------------

@dataclass(frozen=True)
class Text:
    text: str
    align: str = "left"  # left | center | right
    bold: bool = False
    tall: bool = False  # double height (titles, the amount due)


@dataclass(frozen=True)
class Rule:
    char: str = "-"


@dataclass(frozen=True)
class Barcode:
    data: str  # CODE128


@dataclass(frozen=True)
class QR:
    data: str
    caption: str = ""


Block = Union[Text, Rule, Barcode, QR]


def layout(r: Receipt, cols: int) -> list[Block]:
    """The receipt as blocks, `cols` display columns wide (CJK characters count two)."""
    lg, s = r.lang, r.sale
    L = lambda key: label(key, lg)  # noqa: E731
    out: list[Block] = []
    if r.reprint:
        out.append(Text(L("reprint"), "center", bold=True))
    if r.store_name:
        out.append(Text(r.store_name, "center", bold=True, tall=True))
    out += [Text(h, "center") for h in r.header]
    title = {"return": "return", "topup": "topup"}.get(r.kind, "sale")
    out += [Text(L(title), "center"), Rule()]
    out.append(Text(spread(L("no"), r.receipt_no, cols)))
    if r.printed_at:
        out.append(Text(spread(L("time"), r.printed_at, cols)))
    if r.cashier:
        out.append(Text(spread(L("cashier"), r.cashier, cols)))
    out += [Rule(), Text(spread(L("item"), L("amount"), cols))]
    for ln in s["lines"]:
        name = str(ln.get("name") or ln.get("code") or "")
        out += [Text(part) for part in wrap(name, cols)]
        unit = ln.get("unit_fen")
        price = f" x{ln['qty']}" + (f" @{yuan(unit)}" if isinstance(unit, int) else "")
        qty_text, amount = f"  {ln.get('code', '')}{price}", yuan(ln["net_fen"])
        if width(qty_text) + 1 + width(amount) > cols:  # the code on a line of its own: a price is never clipped
            out.append(Text(f"  {ln.get('code', '')}"))
            qty_text = " " + price
        out.append(Text(spread(qty_text, amount, cols)))
        for d in ln.get("discounts") or []:
            if isinstance(d, dict) and isinstance(d.get("amount_fen"), int) and d["amount_fen"]:
                out.append(Text(spread(f"    {_discount_words(d, lg)}", "-" + yuan(d["amount_fen"]), cols)))
    t = s["totals"]
    out += [Rule(), Text(spread(L("gross"), yuan(t["gross_fen"]), cols))]
    if t["discount_fen"]:
        out.append(Text(spread(L("discount"), "-" + yuan(t["discount_fen"]), cols)))
    out.append(Text(spread(L("due"), yuan(t["net_fen"]), cols), bold=True, tall=True))
    for p in s["payments"]:  # what the customer handed over per tender; the change follows
        handed = p.get("tendered_fen")
        out.append(Text(spread(label(p["tender"], lg), yuan(handed if isinstance(handed, int) else p["amount_fen"]), cols)))
    if isinstance(t.get("change_fen"), int) and t["change_fen"]:
        out.append(Text(spread(L("change"), yuan(t["change_fen"]), cols)))
    out += _member_block(r, cols)
    out.append(Rule())
    out.append(Barcode(r.receipt_no))
    if r.join_url and not s.get("member"):
        out.append(QR(r.join_url, L("join")))
    for c in r.coupons:  # the caption may be long: title and code on lines of their own
        out += [QR(c.code, c.title or L("coupon")), Text(c.code, "center")]
    out += [Text(f, "center") for f in r.footer] or [Text(L("thanks"), "center")]
    return out


_NAMED_KINDS = ("promotion", "flash_price", "coupon")  # their own name says more than the kind


def _discount_words(d: dict, lang: str) -> str:
    """A discount line in words: the promotion's or coupon's name (never its code), else the kind."""
    name = d.get("name_en") if lang == "en" else d.get("name")
    if d.get("kind") in _NAMED_KINDS and isinstance(name, str) and name:
        return name
    return label(str(d.get("kind", "")), lang)


def _member_block(r: Receipt, cols: int) -> list[Block]:
    s, lg = r.sale, r.lang
    member, points = s.get("member"), s.get("points") or {}
    if not member and not r.member_phone:
        return []
    out: list[Block] = [Rule()]
    who = " ".join(x for x in (r.member_name, r.member_phone) if x)
    out.append(Text(spread(label("member", lg), who, cols)))
    for key in ("earned", "redeemed"):
        if isinstance(points.get(key), int) and points[key]:
            out.append(Text(spread(label(key, lg), str(points[key]), cols)))
    out += [Text(spread(label("campaign", lg), c["name"], cols)) for c in points.get("campaigns") or []
            if isinstance(c, dict) and isinstance(c.get("name"), str) and c["name"]]
    out += [Text(spread(words, f"{b['points']:+d}", cols)) for words, b in _bonuses(points, lg)]
    if member and isinstance(points.get("balance_after"), int):
        out.append(Text(spread(label("balance", lg), str(points["balance_after"]), cols)))
    coins = s.get("coins") if isinstance(s.get("coins"), dict) else {}
    for key in ("earned", "spent", "refunded", "taken_back"):
        if isinstance(coins.get(key), int) and coins[key]:
            out.append(Text(spread(label(f"coins_{key}", lg), str(coins[key]), cols)))
    if coins and isinstance(coins.get("balance_after"), int):
        out.append(Text(spread(label("coins_balance", lg), str(coins["balance_after"]), cols)))
    saved = s.get("member_saved_fen")
    if isinstance(saved, int) and saved > 0:
        out.append(Text(spread(label("saved", lg), yuan(saved), cols)))
    return out


def _bonuses(points: dict, lg: str) -> list[tuple[str, dict]]:
    """`points.bonuses` ([{"rule", "points"}]) in words: monthly spend names its threshold in yuan."""
    out = []
    for b in points.get("bonuses") or []:
        if not (isinstance(b, dict) and isinstance(b.get("points"), int) and b["points"] and isinstance(b.get("rule"), str)):
            continue
        head, _, low = b["rule"].partition(":")
        if head == "monthly_spend" and low.isdigit():
            words = label("monthly_spend" if b["points"] > 0 else "monthly_spend_back", lg).format(f"{int(low) // 100:,}")
        else:
            words = label(head, lg)
        out.append((words, b))
    return out


def render_text(blocks: list[Block], cols: int) -> str:
    """Plain text (the CLI preview, logs of what was printed, tests)."""
    from .columns import pad

    lines = []
    for b in blocks:
        if isinstance(b, Text):
            lines.append(pad(b.text, cols, b.align).rstrip())
        elif isinstance(b, Rule):
            lines.append(b.char * cols)
        elif isinstance(b, Barcode):
            lines.append(pad(f"|||| {b.data} ||||", cols, "center").rstrip())
        elif isinstance(b, QR):
            lines.append(pad(f"[QR] {b.caption}".strip(), cols, "center").rstrip())
    return "\n".join(lines) + "\n"
