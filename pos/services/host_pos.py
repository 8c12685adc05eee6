"""What a host POS asks of the till, one function each: price a basket, commit it,
return a sale, look a member up. `python main.py checkout|return|member find --json`
(pos.cli.main) and the local API (`python main.py serve`, pos.cli.serve) both call
these, so the two answer with the same JSON.

The basket is strict (issue 12): a quantity or amount is a JSON integer, never
true, "2", " 2 " or 2.0; every number and text is bounded (pos/rules/limits.py);
no unknown keys. A request that cannot be read raises `BadInput`, whose text is the
line the CLI prints after `error: ` — before the store is touched, so nothing is
half-written.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pos.errors import DomainError, card_like, echo
from pos.rules import limits

MAX_INPUT_BYTES = 1 << 20  # a basket of 500 lines is ~40 KB

STRICT = ConfigDict(extra="forbid", strict=True)


class BadInput(ValueError):
    """A request that cannot be read: `kind` is "malformed" (not JSON), "too_large"
    (over MAX_INPUT_BYTES) or "invalid" (JSON, but a field is wrong)."""

    def __init__(self, message: str, kind: str = "invalid"):
        super().__init__(message)
        self.kind = kind


class CheckoutLine(BaseModel):
    model_config = STRICT
    code: str = Field(min_length=1, max_length=64)
    qty: int = Field(1, ge=1, le=limits.QTY_MAX)


class CheckoutTender(BaseModel):
    model_config = STRICT
    type: str = Field(max_length=16)
    amount_fen: int = Field(gt=0, le=limits.SALE_MAX_FEN)


class CheckoutInput(BaseModel):
    """stdin of `checkout`, the body of POST /quote and /checkout: the public basket format of host POS systems."""

    model_config = STRICT
    sale_id: uuid.UUID | None = None  # give it to make retries safe: a replay changes nothing
    member: str | None = Field(None, max_length=64)
    lines: list[CheckoutLine] = Field(min_length=1, max_length=limits.LINES_MAX)
    coupons: list[str] = Field([], max_length=20)
    redeem_points: int = Field(0, ge=0, le=limits.POINTS_MAX)
    gifts: list[str] = Field([], max_length=20)
    tenders: list[CheckoutTender] = Field([], max_length=limits.TENDERS_MAX)
    channel: Literal["store", "shipped"] = "store"
    cashier: str = Field("", max_length=32)


class ReturnInput(BaseModel):
    """The body of POST /return: the options of `return` (`--receipt`, `--line CODE:QTY` as a list,
    `--plan`, `--cashier`, `--manager`, `--manager-pin`)."""

    model_config = ConfigDict(extra="forbid", strict=True, defer_build=True)  # built on the first return
    receipt: str = Field(min_length=1, max_length=64)
    line: list[str] = Field([], max_length=limits.LINES_MAX)
    plan: bool = False
    cashier: str | None = Field(None, max_length=32)
    manager: str | None = Field(None, max_length=32)
    manager_pin: str | None = Field(None, max_length=32)


def parse(model: type[BaseModel], raw: bytes | str, what: str = "basket"):
    """`raw` JSON as `model`, or BadInput naming the first wrong field (what it says passes
    through `echo`: no card data, masked phones)."""
    if len(raw) > MAX_INPUT_BYTES:
        raise BadInput(f"bad {what} JSON: more than {MAX_INPUT_BYTES} bytes", "too_large")
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(echo(p, 24) if isinstance(p, str) else str(p) for p in err["loc"]) or "input"
        msg = " ".join(echo(err["msg"], 160).split())
        raise BadInput(f"bad {what} JSON at {where}: {msg}",
                       "malformed" if err.get("type") == "json_invalid" else "invalid") from None


def parse_basket(raw: bytes | str) -> CheckoutInput:
    """The basket, checked before any store is opened (its cashier as text of the till's rules)."""
    data = parse(CheckoutInput, raw)
    limits.check_text(data.cashier, "cashier", 32, required=False)
    return data


# --- the sale ----------------------------------------------------------------------------------

def _basket(db, data: CheckoutInput):
    from pos.services import checkout

    co = checkout.Checkout(db, cashier=data.cashier, channel=data.channel, sale_id=data.sale_id)
    for line in data.lines:
        co.add(line.code, line.qty)
    if data.member:
        co.attach_member(data.member)
    for code in data.coupons:
        co.add_coupon(code)
    co.redeem(data.redeem_points)
    for gift in data.gifts:
        co.add_gift(gift)
    return co, tuple(checkout.Tender(t.type, t.amount_fen) for t in data.tenders)


def quote(db, data: CheckoutInput, lang: str = "zh_CN") -> dict[str, Any]:
    """`checkout --quote --json`, POST /quote: the priced basket, nothing committed."""
    from pos.loyalty import ledger
    from pos.services import checkout

    co, tenders = _basket(db, data)
    q = co.quote(tenders)
    body = checkout.quote_dict(q, lang)
    paid = sum(t.amount_fen for t in tenders)
    body["totals"] |= {"paid_fen": paid, "change_fen": max(0, paid - q.net_fen)}
    with db.read() as s:
        balance = ledger.points_balance(s, uuid.UUID(co.member_id)) if co.member_id else 0
        tier = s.get(checkout.Member, uuid.UUID(co.member_id)).tier_code if co.member_id else None
    body = {"receipt_no": None, "member": {"id": co.member_id, "tier_before": tier, "tier_after": tier} if co.member_id else None,
            **body}
    body["points"]["balance_after"] = balance - q.points_redeemed + q.points_earned if co.member_id else 0
    return body


def checkout(db, data: CheckoutInput, lang: str = "zh_CN") -> dict[str, Any]:
    """`checkout --json`, POST /checkout: the sale paid and committed in one transaction
    (reasons with their numbers and names in `lang`); the same sale_id again is a replay."""
    co, tenders = _basket(db, data)
    return co.pay(tenders, lang=lang).as_dict()


# --- returns -----------------------------------------------------------------------------------

def check_receipt(receipt: str) -> None:
    """A card swiped into the receipt field: said, never echoed."""
    if card_like(receipt):
        raise DomainError("input.bank_card")


def return_lines(specs: list[str] | None) -> dict[str, int] | None:
    """`--line CODE:QTY` (repeated; the same code adds up) -> {code: qty}; none = the whole sale.
    Strict: ASCII digits only (no " 2 ", "1_000", "²"), within the till's quantity bound."""
    if not specs:
        return None
    wanted: dict[str, int] = {}
    for spec in specs:
        code, _, qty = spec.partition(":")
        if not code or (qty and not (qty.isascii() and qty.isdigit() and len(qty) <= 4)):
            raise BadInput(f"--line wants CODE:QTY with QTY 1 to {limits.QTY_MAX}, got {echo(spec)!r}")
        if card_like(code):
            raise DomainError("input.bank_card")
        wanted[code] = wanted.get(code, 0) + int(qty or 1)
        if not 1 <= wanted[code] <= limits.QTY_MAX:
            raise BadInput(f"--line wants CODE:QTY with QTY 1 to {limits.QTY_MAX}, got {echo(spec)!r}")
    return wanted


@dataclass(frozen=True)
class ReturnAnswer:
    body: dict[str, Any]  # the JSON of `return --json` (of `--plan`: the plan)
    plan: Any  # pos.services.returns.ReturnPlan
    result: Any = None  # the committed return (None for a plan)
    manager: str | None = None  # the manager who approved a return after the window


def return_sale(db, receipt: str, wanted: dict[str, int] | None, *, plan: bool = False, cashier: str | None = None,
                manager: str | None = None, manager_pin: str = "") -> ReturnAnswer:
    """`return --json`, POST /return: the plan (`plan`) or the committed return. After the
    tier's return window a manager approves (code and PIN, checked and audited as at the till)."""
    from pos.services import returns, staff

    if plan:
        p = returns.plan(db, receipt, wanted)
        return ReturnAnswer(p.as_dict(), p)
    override = None
    if manager:
        p = returns.plan(db, receipt, wanted)
        if p.window_closed:
            override = staff.approve(db, manager, manager_pin, "return_window", p.receipt_no,
                                     days_since_sale=p.days_since_sale, window_days=p.window_days,
                                     cashier=cashier or None).code
    r = returns.return_sale(db, receipt, wanted, cashier=cashier or "", window_override=override)
    return ReturnAnswer(r.as_dict(), r.plan, r, override)


# --- members -----------------------------------------------------------------------------------

def member_lookup(db, query: str) -> list[dict[str, Any]]:
    """`member find --json`, GET /member?q=: exact keys first (phone, last 4, card, code);
    otherwise every member by name or phone fragment (138****8000)."""
    from pos.services import members

    exact = members.find_exact(db, query)
    found = members.describe(db, exact) if exact else members.search(db, query)
    return [m.as_dict() for m in found]


# --- the local API's token ---------------------------------------------------------------------

def api_token(db, *, rotate: bool = False) -> str:
    """The bearer token of the local API (setting api.token): made on the first serve,
    replaced when `rotate` (the old one stops working at once)."""
    import secrets

    from pos.store import settings as store_settings

    token = store_settings.API_TOKEN.get(db)
    if token is None or rotate:
        token = secrets.token_urlsafe(32)  # 43 URL-safe characters, 256 bits
        store_settings.API_TOKEN.set(db, token)
    return token
