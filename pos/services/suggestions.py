"""What to suggest to a member at the till (SPEC §8), each with its reason.

- Replenishment due: a consumable whose usual cycle (the member's own, else the
  store's typical one) has elapsed since they last bought it.
- Frequently bought together: partners (support, lift) of what is in the basket
  or was bought lately, from the store's own baskets.
- Category affinity: a best seller of the member's favourite category that
  they have not bought.

Never an item bought within its cycle (no shampoo the day after shampoo), never
what is in the basket, never what the member's tags rule out (`no:<category>`,
`no:<barcode>`, or `不要:<…>`). The store-wide statistics are precomputed by
`rebuild` (nightly, and after demo data) so the panel only reads: a member's
suggestions take one history query and a few indexed look-ups.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import statistics
import uuid
from dataclasses import dataclass
from typing import Any, Iterable

from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from pos.store import settings as store_settings
from pos.store.models import MemberTag, Product, ProductBarcode, ProductCycle, ProductPair, Sale, SaleLine

DEFAULT_RECENT_DAYS = 30  # an item without a known cycle is not suggested again within this
MIN_CYCLE = 3  # shorter "cycles" are one trip's repeats, not replenishment
LAPSED_FACTOR = 3  # three cycles without buying: they buy it elsewhere now
HISTORY_DAYS = 400  # a year and a bit of the member's own history is enough, and keeps the panel fast
REASONS = {
    "replenish": ("Bought about every {cycle} days; last time {days} days ago", "约每 {cycle} 天购买一次，距上次已 {days} 天"),
    "together": ("Often bought with {with_}", "常与「{with_}」一起购买"),
    "affinity": ("Popular in {category}, a favourite category", "常购品类「{category}」的热销商品"),
}


@dataclass(frozen=True)
class Suggestion:
    code: str
    name: str
    price_fen: int
    reason: str  # replenish / together / affinity
    params: tuple[tuple[str, str], ...]
    score: float

    def reason_text(self, lang: str = "zh_CN") -> str:
        en, zh = REASONS[self.reason]
        return (en if lang.startswith("en") else zh).format(**dict(self.params))

    def as_dict(self, lang: str = "zh_CN") -> dict[str, Any]:
        return {"code": self.code, "name": self.name, "price_fen": self.price_fen, "reason": self.reason,
                "why": self.reason_text(lang)}


def _excluded(tags: Iterable[str]) -> set[str]:
    out = set()
    for t in tags:
        for prefix in ("no:", "不要:", "不推荐:"):
            if t.startswith(prefix):
                out.add(t[len(prefix):].strip())
    return out


def for_member(s: Session, member_id: uuid.UUID, now: dt.datetime, basket: Iterable[str] = (), limit: int = 5) -> list[Suggestion]:
    basket = set(basket)
    rows = s.execute(
        select(SaleLine.code, SaleLine.name, SaleLine.category, Sale.created_at, SaleLine.qty)
        .join(Sale, Sale.id == SaleLine.sale_id)
        .where(Sale.member_id == member_id, Sale.kind == "sale", SaleLine.reward.is_(None),
               Sale.created_at >= now - dt.timedelta(days=HISTORY_DAYS))
        .order_by(Sale.created_at)
    ).all()
    from pos.services import parcels  # the member's online orders count as purchases too (issue 18)

    online = parcels.online_lines(s, member_id, now - dt.timedelta(days=HISTORY_DAYS))
    if online:
        rows = sorted([*rows, *online], key=lambda r: r[3])
    excluded = _excluded(s.scalars(select(MemberTag.tag).where(MemberTag.member_id == member_id)))
    bought: dict[str, list[dt.datetime]] = {}
    names: dict[str, tuple[str, str]] = {}
    cat_spend: dict[str, int] = {}
    for code, name, category, when, qty in rows:
        bought.setdefault(code, []).append(when)
        names[code] = (name, category)
        cat_spend[category] = cat_spend.get(category, 0) + qty
    cycles = dict(s.execute(select(ProductCycle.code, ProductCycle.cycle_days)
                            .where(ProductCycle.code.in_(list(bought) or [""]))).all())

    def own_cycle(code: str) -> int | None:
        times = bought.get(code, [])
        if len(times) >= 2:
            gaps = [(b - a).days for a, b in zip(times, times[1:]) if (b - a).days > 0]
            if gaps:
                return int(statistics.median(gaps))
        return cycles.get(code)

    def blocked(code: str, category: str) -> bool:
        if code in basket or code in excluded or category in excluded:
            return True
        times = bought.get(code)
        if times:
            cycle = own_cycle(code) or DEFAULT_RECENT_DAYS
            if (now - times[-1]).days < cycle:
                return True
        return False

    out: dict[str, Suggestion] = {}
    # 1. replenishment due
    for code, times in bought.items():
        cycle = own_cycle(code)
        if not cycle:
            continue
        days = (now - times[-1]).days
        # due, but not so long ago that the member has clearly moved on
        if MIN_CYCLE <= cycle and cycle <= days <= LAPSED_FACTOR * cycle and not blocked(code, names[code][1]):
            overdue = days / cycle
            out[code] = Suggestion(code, names[code][0], 0, "replenish", (("cycle", str(cycle)), ("days", str(days))),
                                   3.0 + min(overdue, 3.0))
    # 2. frequently bought together: the basket first, then the last few purchases
    seeds = list(basket) + [c for c, _ in sorted(bought.items(), key=lambda kv: kv[1][-1], reverse=True)[:5]]
    if seeds:
        pairs = s.execute(select(ProductPair.code, ProductPair.other, ProductPair.lift_milli, ProductPair.support)
                          .where(ProductPair.code.in_(seeds)).order_by(ProductPair.lift_milli.desc())).all()
        seed_names = dict(s.execute(select(ProductBarcode.barcode, Product.name).join(Product)
                                    .where(ProductBarcode.barcode.in_(seeds))).all())
        for code, other, lift, support in pairs:
            if other in out:
                continue
            bonus = 1.0 if code in basket else 0.0
            out[other] = Suggestion(other, "", 0, "together", (("with_", seed_names.get(code, code)),),
                                    1.0 + bonus + min(lift / 1000, 5.0) / 5)
    # 3. category affinity: best sellers of the favourite category (precomputed by `rebuild`)
    if cat_spend:
        fav = max(cat_spend, key=lambda c: (cat_spend[c], c))
        top = store_settings.CATEGORY_TOP.read(s)
        for rank, code in enumerate(top.get(fav, [])):
            if code not in out and code not in bought:
                out[code] = Suggestion(code, "", 0, "affinity", (("category", fav),), 0.9 - rank / 20)
    # resolve names and prices; drop what is blocked, inactive or unknown
    ranked = sorted(out.values(), key=lambda x: (-x.score, x.code))
    result = []
    for sug in ranked:
        row = s.execute(select(Product.name, Product.category, Product.price_fen, Product.active)
                        .join(ProductBarcode, ProductBarcode.product_id == Product.id)
                        .where(ProductBarcode.barcode == sug.code)).first()
        if row is None or not row[3] or blocked(sug.code, row[1]):
            continue
        result.append(dataclasses.replace(sug, name=row[0], price_fen=row[2]))
        if len(result) >= limit:
            break
    return result


def rebuild(db, days: int = 180, min_support: int = 3, partners: int = 8) -> dict[str, int]:
    """Recompute pairs (support, lift) and typical repurchase cycles from the
    store's baskets of the last `days` days. One transaction: readers see the
    old table or the new, never half."""
    since = (db.clock.now() - dt.timedelta(days=days)).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
    with db.transaction() as s:
        baskets = s.scalar(text("SELECT count(*) FROM sales WHERE kind = 'sale' AND created_at >= :since"), {"since": since}) or 0
        s.execute(delete(ProductPair))
        s.execute(delete(ProductCycle))
        if baskets:
            s.execute(text("""
                INSERT INTO product_pairs (code, other, support, lift_milli)
                WITH b AS (SELECT DISTINCT l.sale_id, l.code FROM sale_lines l JOIN sales s ON s.id = l.sale_id
                           WHERE s.kind = 'sale' AND s.created_at >= :since AND l.reward IS NULL),
                     c AS (SELECT code, count(*) AS n FROM b GROUP BY code),
                     p AS (SELECT x.code AS code, y.code AS other, count(*) AS support
                           FROM b x JOIN b y ON x.sale_id = y.sale_id AND x.code <> y.code
                           GROUP BY x.code, y.code HAVING count(*) >= :min_support),
                     r AS (SELECT p.code, p.other, p.support,
                                  CAST(1000.0 * p.support * :baskets / (cx.n * cy.n) AS INTEGER) AS lift_milli,
                                  row_number() OVER (PARTITION BY p.code ORDER BY 1.0 * p.support / (cx.n * cy.n) DESC, p.other) AS rk
                           FROM p JOIN c cx ON cx.code = p.code JOIN c cy ON cy.code = p.other)
                SELECT code, other, support, lift_milli FROM r WHERE rk <= :partners AND lift_milli > 1000
            """), {"since": since, "min_support": min_support, "baskets": baskets, "partners": partners})
            s.execute(text("""
                INSERT INTO product_cycles (code, cycle_days, members)
                WITH t AS (SELECT l.code, s.member_id, julianday(s.created_at) AS d FROM sale_lines l
                           JOIN sales s ON s.id = l.sale_id
                           WHERE s.kind = 'sale' AND s.member_id IS NOT NULL AND l.reward IS NULL),
                     g AS (SELECT code, member_id, d - lag(d) OVER (PARTITION BY code, member_id ORDER BY d) AS gap FROM t)
                SELECT code, CAST(avg(gap) AS INTEGER), count(DISTINCT member_id) FROM g
                WHERE gap >= 1 GROUP BY code HAVING count(DISTINCT member_id) >= 3
            """))
        top: dict[str, list[str]] = {}
        for cat, code, _n in s.execute(text("""
                SELECT category, code, n FROM (
                  SELECT l.category, l.code, count(*) AS n,
                         row_number() OVER (PARTITION BY l.category ORDER BY count(*) DESC, l.code) AS rk
                  FROM sale_lines l JOIN sales s ON s.id = l.sale_id
                  WHERE s.kind = 'sale' AND s.created_at >= :since AND l.reward IS NULL
                  GROUP BY l.category, l.code) WHERE rk <= 10 ORDER BY category, rk"""), {"since": since}):
            top.setdefault(cat, []).append(code)
        store_settings.CATEGORY_TOP.put(s, top)
        pairs = s.scalar(select(func.count()).select_from(ProductPair))
        cycles = s.scalar(select(func.count()).select_from(ProductCycle))
    return {"baskets": int(baskets), "pairs": int(pairs), "cycles": int(cycles)}
