"""Member segments (SPEC §9): RFM, named groups, the ABC(D) pyramid with the
Pareto check, the churn watch list with its win-back action, and segment names
as derived member tags. Headless; every figure is an SQL aggregate.

Per member, as of the end of the business date ``as_of`` (net of returns, see
`pos.analytics.reports` for cancelled sales):

* **frequency** F = sale tickets − cancelled sale tickets (every unit bought
  on them came back by then; `sales.units`, gift lines aside);
* **monetary** M = net sales in fen (sale tickets + return tickets);
* **recency** = days from the last sale ticket that was not cancelled to
  ``as_of`` (0 = bought that day).

A **buyer** has F ≥ 1. A member with no purchase left (never bought, or every
sale was cancelled by a return) is **never purchased** ("zombie"): no RFM score.
Only active members registered by then are counted; a merged member's history
counts for the member it was merged into.

Two rules (``rule="buyers"``, the default, or ``"distinct"``; per call, else the
program's ``segments.rfm_rule``, see `pos.rules.program.Segments`):

**RFM by quintile of buyers** (rule "buyers"). Each dimension ranks the n
buyers from worst to best — the oldest last purchase, the fewest tickets, the
lowest net sales first — and a buyer with value v scores

    score = 1 + ⌊5 · w(v) / n⌋,   w(v) = the number of buyers with a strictly worse value

(5 = best: most recent, most frequent, biggest spender). Tied members have the
same w, so they share a score, the lower one: a tie is never split. Where there
are no big ties each score holds 20 % of buyers (within one member); a tie
that spans a boundary keeps everyone on its score (on a long-tailed history the
70 % who bought once all score F = 1, and the next frequency scores 4).
In SQL each dimension has four thresholds, t_j = the smallest value v with
w(v) ≥ ⌈j·n/5⌉ (j = 1..4), and score = 1 + the number of thresholds reached: no
ranking window over every member.

**ABC(D) pyramid by shares** (rule "buyers"). Buyers are ranked by value: net
sales (highest first), frequency breaking ties, then member code (a stable
order). With shares a/b/c/d per cent (program ``segments.abc_shares``; default
10/20/30/40), the buyer at position p (1 = most valuable) of n is

    A if p ≤ ⌈n·a/100⌉,  B if p ≤ ⌈n·(a+b)/100⌉,  C if p ≤ ⌈n·(a+b+c)/100⌉,  D otherwise

so every class is within one member of its share. Never-purchased members are
apart: the **zombie** group (not D). **Heavy** = A + B, **light** = C + D,
**zombie** = never purchased.

**rule "distinct"** (the former definition): scores by quintile of the distinct
values, so that equal members always share a score:

    score = 1 + ⌊5 · (dense_rank − 1) / D⌋

where dense_rank ranks the distinct values of the dimension among buyers from
worst (1) to best (D) and D is the number of distinct values. With D ≥ 5 both
1 and 5 are used; with fewer values the scores spread out (D = 2 gives 1 and 3,
D = 1 gives 1). The ABC(D) pyramid on frequency × monetary scores: **A** = F ≥ 4
and M ≥ 4 (frequent and big spenders), **B** = F ≥ 4 or M ≥ 4 (one of the
two), **C** = the other buyers, **D** = never purchased; **heavy** = A + B,
**light** = C, **zombie** = D.

Either rule: 5 × 5 × 5 = 125 cells, and named groups
* by recency (``days since`` = as_of − last purchase): **active** < 90 days,
  **recently lapsed** 90–179, **mid-term lapsed** 180–364, **dormant** ≥ 365;
* **Pareto check**: the share of buyers' net sales that comes from the top
  20 % of buyers by monetary value (the first ⌈n/5⌉ of n buyers; ties do not
  change the sum).

Churn watch: buyers whose last purchase is ``days`` or more days before
``as_of`` (no purchase on the last ``days`` business days, so exactly 90 days
ago is on the 90-day list and 89 days ago is not), most valuable first.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import heapq
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, text

from pos.store import program_store, settings as store_settings
from pos.loyalty import coupons
from pos.rules import phones
from pos.errors import DomainError
from pos.ids import uuid7
from pos.store.models import Coupon, CouponUse, Member, OutboxEvent
from pos.store.outbox import audit
from pos.rules.program import ProgramDoc, Segments
from pos.analytics import buyers
from pos.analytics.reports import Table, bounds, report_session, ts
from pos.analytics.choices import RULES  # the CLI's option offers it (pos.cli.reports)

RECENCY_GROUPS = (("active", 0, 90), ("recently_lapsed", 90, 180), ("mid_lapsed", 180, 365), ("dormant", 365, None))
VALUE_GROUPS = ("heavy", "light", "zombie")
ABC_CLASSES = ("A", "B", "C", "D")
ZOMBIE = "zombie"  # never purchased; apart from the pyramid under rule "buyers" (abc="zombie" in `members`)
RULE_TEXT = {
    "buyers": ("score = 1 + floor(5 * (buyers with a strictly worse value) / buyers), ties share the lower score; "
               "5 = most recent / most frequent / biggest. ABC(D): buyers by net sales (then frequency, then member code), "
               "A the top {A} %, B the next {B} %, C the next {C} %, D the remaining {D} % (class ends at position "
               "ceil(buyers * cumulative % / 100)); never purchased = zombie, apart"),
    "distinct": ("score = 1 + floor(5 * (dense_rank - 1) / distinct values); 5 = most recent / most frequent / biggest. "
                 "ABC(D): A = F >= 4 and M >= 4, B = F >= 4 or M >= 4, C = other buyers, D = never purchased"),
}
# the tags shown at the till; replaced as a set on every run (source 'derived')
SEGMENT_TAGS = {
    "active": "活跃会员", "recently_lapsed": "近期流失", "mid_lapsed": "中期流失", "dormant": "沉睡会员",
    "heavy": "重度消费", "light": "轻度消费", "zombie": "未消费会员",
}
TAG_CHUNK = 20_000  # members per write transaction when tags are replaced


def _recency_case(col: str = "last_day") -> str:
    # days since < hi  ⇔  last_day > as_of − hi (ISO dates compare as text; no date arithmetic per member)
    parts = [f"WHEN {col} > :since_{hi} THEN '{name}'" for name, _lo, hi in RECENCY_GROUPS if hi is not None]
    return f"(CASE {' '.join(parts)} ELSE '{RECENCY_GROUPS[-1][0]}' END)"


def _rdays(col: str) -> str:
    """SQL: days from the date in `col` to as_of (only for the rows a list shows)."""
    return f"CAST(julianday(:as_of) - julianday({col}) AS INTEGER)"


ABC_CASE = "(CASE WHEN f >= 4 AND m >= 4 THEN 'A' WHEN f >= 4 OR m >= 4 THEN 'B' ELSE 'C' END)"  # rule "distinct"


def abc_class(f: int, m: int) -> str:
    """ABC_CASE (rule "distinct") for one (F, M) score pair."""
    return "A" if f >= 4 and m >= 4 else ("B" if f >= 4 or m >= 4 else "C")


def settings(db, rule: str | None = None, program: ProgramDoc | None = None) -> tuple[str, dict[str, int]]:
    """(rule, ABC shares in per cent) for a computation: `rule` if given, else the
    program's `segments` setting (the active program when none is passed; the
    defaults without one)."""
    if program is None:
        try:
            program = program_store.active(db)
        except DomainError:
            program = None
    st = program.segment_settings if program is not None else Segments()
    rule = rule or st.rfm_rule
    if rule not in RULES:
        raise ValueError(f"rule must be one of {', '.join(RULES)} (got {rule!r})")
    sh = st.abc_shares
    return rule, {"A": sh.a, "B": sh.b, "C": sh.c, "D": sh.d}


def _abc_params(shares: dict[str, int]) -> dict[str, int]:
    return {"abc_1": shares["A"], "abc_2": shares["A"] + shares["B"], "abc_3": shares["A"] + shares["B"] + shares["C"]}


def _has_inactive(s) -> bool:
    return s.execute(text("SELECT 1 FROM members WHERE status IN ('erased', 'merged') LIMIT 1")).first() is not None


def _buyers_cte(fold: bool) -> str:
    """CTEs ending in b (the buyers: member_id, frequency, monetary, last_day), the
    reference definition (`pos.analytics.buyers.buyers_cte`)."""
    return buyers.buyers_cte(fold)


def _values(name: str, col: str) -> str:
    """CTE {name}v: the distinct values v of `col` among buyers with their counts c,
    k = the rank of v from worst (1), c_from = buyers at v or better (w(v) = n − c_from)."""
    return f"""
        {name}v AS MATERIALIZED (
            SELECT v, c, ROW_NUMBER() OVER (ORDER BY v) AS k, SUM(c) OVER (ORDER BY v DESC) AS c_from
            FROM (SELECT {col} AS v, COUNT(*) AS c FROM b GROUP BY {col}))"""


def _thresholds(name: str, rule: str) -> str:
    """CTE {name}t (one row: t1..t4, the smallest value scoring 2, 3, 4, 5), so each
    member's score is a few comparisons instead of a ranking window over every member.
    "buyers": score = 1 + ⌊5w/n⌋ ≥ j + 1 ⇔ w ≥ ⌈jn/5⌉, so t_j = the smallest v with
    w(v) = n − c_from ≥ ⌈jn/5⌉. "distinct": score = 1 + ⌊5(k − 1)/D⌋ ≥ j + 1 ⇔
    k ≥ ⌈jD/5⌉ + 1, so t_j is the value of rank ⌈jD/5⌉ + 1 (NULL when there is none)."""
    if rule == "distinct":
        cols = [f"(SELECT v FROM {name}v WHERE k = (SELECT ({j} * COUNT(*) + 4) / 5 + 1 FROM {name}v)) AS t{j}"
                for j in range(1, 5)]
        return f"""
        {name}t AS (SELECT {', '.join(cols)})"""
    # one pass over the distinct values: w(v) ≥ K ⇔ c_from ≤ n − K
    cols = [f"MIN(CASE WHEN c_from <= n - ({j} * n + 4) / 5 THEN v END) AS t{j}" for j in range(1, 5)]
    return f"""
        {name}t AS MATERIALIZED (SELECT {', '.join(cols)} FROM {name}v, (SELECT SUM(c) AS n FROM {name}v))"""


def _range_score(name: str, rule: str) -> str:
    """SQL: the score of the row of {name}v (as in _thresholds)."""
    if rule == "distinct":
        return f"1 + (k - 1) * 5 / (SELECT COUNT(*) FROM {name}v)"
    return f"1 + 5 * ((SELECT SUM(c) FROM {name}v) - c_from) / (SELECT SUM(c) FROM {name}v)"


def _score(col: str, t: str) -> str:
    return "(1 + " + " + ".join(f"COALESCE({col} >= {t}.t{j}, 0)" for j in range(1, 5)) + ")"


# ABC by shares: the buyer closing class j (j = 1..3: A, B, C) is the k_j-th by value, k_j = ⌈n·(cumulative
# share)/100⌉: its net sales v_j are the k_j-th largest (the largest v with c_from ≥ k_j in mv); of the buyers at
# v_j, the first need_j = k_j − (buyers above v_j) by frequency (desc), then member code, are in class j or above.
# That buyer (v_j, f_j, code_j) is found by sorting only the buyers at v_j; a member is in class j or above when
# (monetary, frequency, −code) ≥ (v_j, f_j, −code_j): the member code is looked up only on an exact tie.
def _abc_buyers() -> str:
    """CTEs ak (k1..k3), a{j}m (v_j, need_j), at (the buyers at v1..v3 with their codes), a{j} (f_j, code_j)
    and ab (one row: v1 f1 c1 .. v3 f3 c3)."""
    ks = ", ".join(f"(n * :abc_{j} + 99) / 100 AS k{j}" for j in (1, 2, 3))
    sql = [f"ak AS MATERIALIZED (SELECT {ks} FROM (SELECT SUM(c) AS n FROM mv))"]
    sql += [f"""a{j}m AS MATERIALIZED (SELECT mv.v, ak.k{j} - (mv.c_from - mv.c) AS need FROM mv, ak
                               WHERE mv.c_from >= ak.k{j} ORDER BY mv.v DESC LIMIT 1)""" for j in (1, 2, 3)]
    sql.append("""at AS MATERIALIZED (SELECT b.monetary AS v, b.frequency AS f, mb.member_code AS code
                            FROM b JOIN members mb ON mb.id = b.member_id
                            WHERE b.monetary IN (SELECT v FROM a1m UNION ALL SELECT v FROM a2m UNION ALL SELECT v FROM a3m))""")
    sql += [f"""a{j} AS MATERIALIZED (SELECT f, code FROM at WHERE v = (SELECT v FROM a{j}m)
                              ORDER BY f DESC, code LIMIT 1 OFFSET COALESCE((SELECT need FROM a{j}m), 1) - 1)""" for j in (1, 2, 3)]
    cols = ", ".join(f"(SELECT v FROM a{j}m) AS v{j}, (SELECT f FROM a{j}) AS f{j}, (SELECT code FROM a{j}) AS c{j}"
                     for j in (1, 2, 3))
    sql.append(f"ab AS (SELECT {cols})")
    return ",\n        ".join(sql)


_ABC_BUYERS = _abc_buyers()


def _upper(j: int) -> str:
    return (f"(sc0.monetary > ab.v{j} OR (sc0.monetary = ab.v{j} AND (sc0.frequency > ab.f{j} OR (sc0.frequency = ab.f{j} "
            f"AND (SELECT mc.member_code FROM members mc WHERE mc.id = sc0.member_id) <= ab.c{j}))))")


ABC_SHARES_CASE = f"(CASE WHEN {_upper(1)} THEN 'A' WHEN {_upper(2)} THEN 'B' WHEN {_upper(3)} THEN 'C' ELSE 'D' END)"


def _scores(rule: str) -> str:
    """CTEs after _buyers_cte: rv/fv/mv (distinct values), the thresholds, and sc
    (member_id, frequency, monetary, last_day, r, f, m, grp, abc) — one row per buyer."""
    # recency ranks the last purchase date (the oldest is worst), frequency and monetary their values
    sql = f"""{_values('r', 'last_day')}, {_values('f', 'frequency')}, {_values('m', 'monetary')},
        {_thresholds('r', rule)}, {_thresholds('f', rule)}, {_thresholds('m', rule)},
        sc0 AS (SELECT b.member_id, b.frequency, b.monetary, b.last_day, {_score('b.last_day', 'rt')} AS r,
                       {_score('b.frequency', 'ft')} AS f, {_score('b.monetary', 'mt')} AS m
                FROM rt, ft, mt, b),"""
    if rule == "distinct":
        return sql + f"""
        sc AS (SELECT sc0.*, {_recency_case()} AS grp, {ABC_CASE} AS abc FROM sc0)"""
    return sql + f"""
        {_ABC_BUYERS},
        sc AS (SELECT sc0.*, {_recency_case()} AS grp, {ABC_SHARES_CASE} AS abc FROM sc0, ab)"""


# Pareto, from the distinct net sales with their counts (mv; c_from = buyers at v or
# above): k = ⌈n/5⌉ top buyers; v = the k-th largest net sales (the largest v with
# c_from ≥ k); their sales = the sum above v + (k − the count above v) × v, whatever the ties at v
_PARETO = """pk AS (SELECT (SUM(c) + 4) / 5 AS k FROM mv),
        pv AS MATERIALIZED (SELECT pk.k, MAX(mv.v) AS v FROM pk, mv WHERE mv.c_from >= pk.k)"""
_PARETO_COLUMNS = """(SELECT k FROM pv), (SELECT v FROM pv), (SELECT COALESCE(SUM(mv.c), 0) FROM mv, pv WHERE mv.v > pv.v),
                   (SELECT COALESCE(SUM(mv.v * mv.c), 0) FROM mv, pv WHERE mv.v > pv.v)"""


def _params(db, as_of: dt.date) -> dict[str, Any]:
    _lo, hi = bounds(db, as_of, as_of)
    return {"as_of": as_of.isoformat(), "hi": hi} | {
        f"since_{h}": (as_of - dt.timedelta(days=h)).isoformat() for _n, _l, h in RECENCY_GROUPS if h is not None}


def high_water(db) -> tuple[int, int]:
    """The largest rowid of sales and of members: segments computed at the same
    marks (and for the same date) are still right, so a screen may reuse them."""
    with db.read() as s:
        a, b = s.execute(text("SELECT (SELECT MAX(rowid) FROM sales), (SELECT MAX(rowid) FROM members)")).one()
    return int(a or 0), int(b or 0)


def _base(s, p) -> int:
    return int(s.execute(text("SELECT COUNT(*) FROM members WHERE status = 'active' AND joined_at < :hi"), p).scalar())


# --- RFM + ABC -----------------------------------------------------------------------


@dataclass
class Segmentation:
    as_of: dt.date
    members: int  # active members registered by as_of
    buyers: int
    zombies: int
    cells: list[dict[str, Any]]  # 125: r, f, m, members, monetary_fen
    groups: dict[str, int]  # recency groups + never purchased
    value: dict[str, int]  # heavy / light / zombie
    abc: list[dict[str, Any]]  # A..D: class, members, share_members (of members), sales_fen, share_sales, share_buyers
    pareto: dict[str, Any]
    score_ranges: dict[str, list[dict[str, Any]]]  # per dimension and score: the values it covers
    rule: str = RULE_TEXT["buyers"].format(A=10, B=20, C=30, D=40)  # the exact rule, as text
    rfm_rule: str = "buyers"  # "buyers" | "distinct" (RULES)
    abc_shares: dict[str, int] = dataclasses.field(default_factory=lambda: {"A": 10, "B": 20, "C": 30, "D": 40})

    def as_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["as_of"] = self.as_of.isoformat()
        return d

    def heat(self, m: int | None = None) -> list[list[int]]:
        """Members per recency score (rows 5..1) × frequency score (columns 1..5), for one M score or all."""
        grid = [[0] * 5 for _ in range(5)]
        for c in self.cells:
            if m is None or c["m"] == m:
                grid[5 - c["r"]][c["f"] - 1] += c["members"]
        return grid

    def rfm_tables(self) -> list[Table]:
        groups = [[g, self.groups.get(g, 0)] for g in [*(x[0] for x in RECENCY_GROUPS), "never_purchased"]]
        ranges = [[dim, x["score"], x["members"], x["min"], x["max"]]
                  for dim, xs in self.score_ranges.items() for x in xs]
        return [Table("rfm_cells", ["r", "f", "m", "members", "monetary_fen"],
                      [[c["r"], c["f"], c["m"], c["members"], c["monetary_fen"]] for c in self.cells]),
                Table("groups", ["group", "members"], groups),
                Table("value", ["group", "members"], [[k, v] for k, v in self.value.items()]),
                Table("score_ranges", ["dimension", "score", "members", "min", "max"], ranges)]

    def abc_tables(self) -> list[Table]:
        """The pyramid (rule "buyers": then a `zombie` row, the never purchased) and the Pareto check."""
        cols = ["class", "members", "share_members", "sales_fen", "share_sales"]
        rows = [[row[c] for c in cols] for row in self.abc]
        if self.rfm_rule == "buyers":
            rows.append([ZOMBIE, self.zombies, self.zombies / self.members if self.members else None, 0,
                         0.0 if self.pareto["sales_fen"] else None])
        return [Table("abc", cols, rows),
                Table("pareto", ["metric", "value"], [[k, v] for k, v in self.pareto.items()])]


def segmentation(db, as_of: dt.date | None = None, *, rule: str | None = None,
                 program: ProgramDoc | None = None) -> Segmentation:
    """RFM cells, named groups, the ABC(D) pyramid and the Pareto check.
    `rule` "buyers" | "distinct" (module docstring); default: the program's setting.
    The buyers are read once (`pos.analytics.buyers.BuyerTable`, two connections at
    once); the same figures as `segmentation_reference`, in a fraction of its time."""
    as_of = as_of or db.clock.today()
    rule, shares = settings(db, rule, program)
    p = _params(db, as_of)
    with buyers.table(db, p["hi"]) as bt:
        return _segmentation(bt, as_of, rule, shares, p)


def _score_map(values: list[tuple[Any, int]], rule: str) -> tuple[dict[Any, int], list[Any]]:
    """(value -> score, thresholds t1..t4) of one dimension from its distinct values among
    buyers with their counts, ascending (from the worst): "buyers" 1 + ⌊5w/n⌋ with w the
    buyers strictly worse, "distinct" 1 + ⌊5(k − 1)/D⌋ with k the value's rank of D.
    t_j is the smallest value scoring j + 1 or more (None: none does), so that a value's
    score is 1 + the number of thresholds it reaches (scores rise with the value)."""
    n, d = sum(c for _v, c in values), len(values)
    out: dict[Any, int] = {}
    thresholds: list[Any] = []
    below = 0
    for k, (v, c) in enumerate(values, 1):
        sc = 1 + (k - 1) * 5 // d if rule == "distinct" else 1 + 5 * below // n
        out[v] = sc
        while len(thresholds) < sc - 1:
            thresholds.append(v)
        below += c
    return out, thresholds + [None] * (4 - len(thresholds))


def _merged_ascending(parts: list[list[tuple[Any, int]]]) -> list[tuple[Any, int]]:
    """Lists of (value, weight) ascending, one per connection, as one list ascending with
    the weights of a value added up (values whose weights come to zero left out). A
    merge step by step, not one sort: a long C call would hold the GIL, and the screen
    that asked would stall for as long."""
    out: list[tuple[Any, int]] = []
    last, acc = None, 0
    for v, c in heapq.merge(*parts):
        if v == last:
            acc += c
            continue
        if acc:
            out.append((last, acc))
        last, acc = v, c
    if acc:
        out.append((last, acc))
    return out


def _score_sql(col: str, name: str) -> str:
    return "(1 + " + " + ".join(f"COALESCE({col} >= :{name}{j}, 0)" for j in range(1, 5)) + ")"


def _upper_sql(j: int) -> str:
    """SQL: the buyer row b is in class j or above (net sales, then frequency, then code)."""
    return (f"(b.monetary > :abc_v{j} OR (b.monetary = :abc_v{j} AND (b.frequency > :abc_f{j} OR (b.frequency = :abc_f{j} "
            f"AND (SELECT mc.member_code FROM members mc WHERE mc.id = b.member_id) <= :abc_c{j}))))")


_JD_ORDINAL = 1721424  # CAST(julianday('YYYY-MM-DD') AS INTEGER) − date.toordinal()
_DAY_KEY = 1_000_000_000  # key = day · 10⁹ + frequency · 100 + M score · 10 + class
# buyers by last purchase day, frequency, M score and class, counted and summed: one small integer per
# group to sort on (R, F and the recency groups come from the day and the frequency, in Python)
_CELLS_SQL = f"""
    SELECT CAST(julianday(b.last_day) AS INTEGER) * {_DAY_KEY} + b.frequency * 100 + {_score_sql('b.monetary', 'm')} * 10
           + {{abc}} AS k, SUM(b.w), SUM(b.w * b.monetary)
    FROM temp.b b GROUP BY 1"""
_ABC_SQL = f"(CASE WHEN {_upper_sql(1)} THEN 0 WHEN {_upper_sql(2)} THEN 1 WHEN {_upper_sql(3)} THEN 2 ELSE 3 END)"


def _segmentation(bt: "buyers.BuyerTable", as_of: dt.date, rule: str, shares: dict[str, int],
                  p: dict[str, Any]) -> Segmentation:
    # 1. the distinct net sales among buyers with their counts (weights summed), ascending: M's
    #    scores, the Pareto figures and (rule "buyers") the buyer closing each ABC class
    mv = _merged_ascending(bt.each("SELECT monetary, SUM(w) FROM temp.b GROUP BY 1 ORDER BY 1"))
    n_buyers = sum(c for _v, c in mv)
    q = dict(p)
    ms, m_thresholds = _score_map(mv, rule)
    q.update({f"m{j}": t for j, t in enumerate(m_thresholds, 1)})
    desc = mv[::-1]
    top_k = (n_buyers + 4) // 5
    top_n = top_sales = 0
    above_n = above_sales = 0
    for v, c in desc:
        if above_n + c >= top_k:
            top_n, top_sales = top_k, above_sales + (top_k - above_n) * v
            break
        above_n += c
        above_sales += v * c
    abc_sql = "0"
    if rule == "buyers":
        cum = _abc_params(shares)
        cuts = []  # (v_j, the buyers at v_j that class j and above still take)
        for j in (1, 2, 3):
            k = (n_buyers * cum[f"abc_{j}"] + 99) // 100
            above = 0
            for v, c in desc:
                if above + c >= k:
                    cuts.append((v, k - above))
                    break
                above += c
            else:
                cuts.append((None, None))
        tied = {v for v, _need in cuts if v is not None}
        at = buyers.netted(bt.rows(f"""
            SELECT b.member_id, b.monetary, b.frequency, mb.member_code, b.w FROM temp.b b JOIN members mb ON mb.id = b.member_id
            WHERE b.monetary IN ({', '.join(str(int(v)) for v in tied) or 'NULL'})"""))
        for j, (v, need) in enumerate(cuts, 1):
            at_v = sorted((r for r in at if r[1] == v), key=lambda r: (-r[2], r[3]))
            pick = at_v[need - 1] if v is not None and 0 < need <= len(at_v) else None
            q.update({f"abc_v{j}": v, f"abc_f{j}": pick[2] if pick else None, f"abc_c{j}": pick[3] if pick else None})
        abc_sql = _ABC_SQL
    # 2. buyers by last day, frequency, M score and class; R and F scored from the days and frequencies
    groups_rows = []
    rc: dict[str, int] = {}
    fc: dict[int, int] = {}
    day_of: dict[int, str] = {}
    for (k,), (n, money) in buyers.summed(bt.rows(_CELLS_SQL.format(abc=abc_sql), q), 1).items():
        jd, rest = divmod(k, _DAY_KEY)
        day = day_of.get(jd)
        if day is None:
            day = day_of[jd] = dt.date.fromordinal(jd - _JD_ORDINAL).isoformat()
        freq, m, a = rest // 100, rest // 10 % 10, rest % 10
        groups_rows.append((day, freq, m, a, n, money))
        rc[day] = rc.get(day, 0) + n
        fc[freq] = fc.get(freq, 0) + n
    counts = {"r": sorted((v, c) for v, c in rc.items() if c), "f": sorted((v, c) for v, c in fc.items() if c), "m": mv}
    rs, _ = _score_map(counts["r"], rule)
    fs, _ = _score_map(counts["f"], rule)
    scored = {"r": rs, "f": fs, "m": ms}
    since = [(p[f"since_{hi}"], name) for name, _lo, hi in RECENCY_GROUPS if hi is not None]
    grp_of = {day: next((name for lim, name in since if day > lim), RECENCY_GROUPS[-1][0]) for day in rc}
    cells = {(r, f, m): [0, 0] for r in range(1, 6) for f in range(1, 6) for m in range(1, 6)}
    groups = {g[0]: 0 for g in RECENCY_GROUPS}
    abc = {k: [0, 0] for k in ABC_CLASSES}
    for day, freq, m, a, n, money in groups_rows:
        r, f = rs[day], fs[freq]
        cell = cells[(r, f, m)]
        cell[0] += n
        cell[1] += money
        groups[grp_of[day]] += n
        y = ABC_CLASSES[a] if rule == "buyers" else abc_class(f, m)
        abc[y][0] += n
        abc[y][1] += money
    # 3. each score's range of values (recency in days since the last purchase: score 5 is the fewest)
    days = lambda d: (as_of - dt.date.fromisoformat(str(d)[:10])).days  # noqa: E731
    ranges: dict[str, list[dict[str, Any]]] = {}
    for dim in "rfm":
        score, acc = scored[dim], {}
        for v, c in counts[dim]:  # ascending: the first value of a score is its least
            x = acc.setdefault(score[v], [0, v, v])
            x[0] += c
            x[2] = v
        ranges[dim] = [{"score": sc, "members": n, "min": days(hi) if dim == "r" else int(lo),
                        "max": days(lo) if dim == "r" else int(hi)} for sc, (n, lo, hi) in sorted(acc.items())]
    return _assemble(as_of, rule, shares, bt.base, cells, groups, abc, ranges, top_n, top_sales)


def _assemble(as_of, rule, shares, base, cells, groups, abc, ranges, top_n, top_sales) -> Segmentation:
    buyers_n = sum(v[0] for v in abc.values())
    zombies = base - buyers_n
    total_sales = sum(v[1] for v in abc.values())
    groups["never_purchased"] = zombies
    if rule == "distinct":  # D = never purchased
        abc["D"][0] = zombies
        value = {"heavy": abc["A"][0] + abc["B"][0], "light": abc["C"][0], "zombie": zombies}
    else:
        value = {"heavy": abc["A"][0] + abc["B"][0], "light": abc["C"][0] + abc["D"][0], "zombie": zombies}
    share = lambda a, b: a / b if b else None  # noqa: E731
    in_buyers = lambda k: rule == "buyers" or k != "D"  # noqa: E731
    return Segmentation(
        as_of=as_of, members=base, buyers=buyers_n, zombies=zombies,
        cells=[{"r": r, "f": f, "m": m, "members": v[0], "monetary_fen": v[1]} for (r, f, m), v in cells.items()],
        groups=groups, value=value,
        abc=[{"class": k, "members": v[0], "share_members": share(v[0], base), "sales_fen": v[1],
              "share_sales": share(v[1], total_sales), "share_buyers": share(v[0], buyers_n) if in_buyers(k) else None}
             for k, v in abc.items()],
        pareto={"buyers": buyers_n, "top_buyers": top_n, "top_sales_fen": top_sales, "sales_fen": total_sales,
                "top_share": share(top_sales, total_sales)},
        score_ranges={dim: sorted(xs, key=lambda x: x["score"]) for dim, xs in ranges.items()},
        rule=RULE_TEXT[rule].format(**shares), rfm_rule=rule, abc_shares=dict(shares),
    )


def segmentation_reference(db, as_of: dt.date | None = None, *, rule: str | None = None,
                           program: ProgramDoc | None = None) -> Segmentation:
    """`segmentation` as one SQL statement over the reference definitions (`_buyers_cte`,
    `_scores`): what the fast path is checked against (tests/pos/test_segments_fast.py)."""
    as_of = as_of or db.clock.today()
    rule, shares = settings(db, rule, program)
    p = _params(db, as_of) | _abc_params(shares)
    with report_session(db) as s:
        fold = _has_inactive(s)
        # one statement (b is built once): the cells, each dimension's score ranges
        # from its table of distinct values, and the Pareto figures
        ranges_sql = " UNION ALL ".join(
            f"SELECT '{d}', {_range_score(d, rule)}, NULL, NULL, NULL, SUM(c), MIN(v), MAX(v) "
            f"FROM {d}v GROUP BY 2" for d in "rfm")
        rows = s.execute(text(f"""
            WITH {_buyers_cte(fold)}, {_scores(rule)}, {_PARETO}
            SELECT 'cell', r, f, m, grp, COUNT(*), SUM(monetary), abc FROM sc GROUP BY r, f, m, grp, abc
            UNION ALL {ranges_sql}
            UNION ALL SELECT 'pareto', {_PARETO_COLUMNS}, NULL, NULL, NULL"""), p).all()
        base = _base(s, p)
    cells = {(r, f, m): [0, 0] for r in range(1, 6) for f in range(1, 6) for m in range(1, 6)}
    groups = {g[0]: 0 for g in RECENCY_GROUPS}
    abc = {k: [0, 0] for k in ABC_CLASSES}
    ranges: dict[str, list[dict[str, Any]]] = {"r": [], "f": [], "m": []}
    days = lambda d: (as_of - dt.date.fromisoformat(str(d)[:10])).days  # noqa: E731
    top_n = top_sales = 0
    for kind, a, b, c, d, n, x, y in rows:
        if kind == "cell":
            n, money = int(n), int(x)
            cells[(a, b, c)][0] += n
            cells[(a, b, c)][1] += money
            groups[d] += n
            abc[y][0] += n
            abc[y][1] += money
        elif kind == "pareto":
            k, v, above_n, above_sales = (int(z or 0) for z in (a, b, c, d))
            top_n, top_sales = k, above_sales + (k - above_n) * v
        else:  # recency in days since the last purchase: the latest date is the fewest days
            lo, hi = (days(y), days(x)) if kind == "r" else (int(x), int(y))
            ranges[kind].append({"score": int(a), "members": int(n), "min": lo, "max": hi})
    return _assemble(as_of, rule, shares, base, cells, groups, abc, ranges, top_n, top_sales)


# --- member lists (drill-down) ---------------------------------------------------------


def _member_dicts(rows) -> list[dict[str, Any]]:
    return [{"id": str(uuid.UUID(str(r[0]))), "member_code": r[1], "name": r[2] or "", "phone_masked": phones.mask(r[3]),
             "tier": r[4], "joined": str(r[5])[:10], "last_purchase": r[6], "days_since": r[7], "frequency": r[8],
             "monetary_fen": r[9], **({"r": r[10], "f": r[11], "m": r[12], "group": r[13], "abc": r[14]} if len(r) > 10 else {})}
            for r in rows]


def members(db, as_of: dt.date | None = None, *, r: int | None = None, f: int | None = None, m: int | None = None,
            group: str | None = None, abc: str | None = None, value: str | None = None,
            limit: int = 1000, rule: str | None = None, program: ProgramDoc | None = None) -> list[dict[str, Any]]:
    """The members of an RFM cell, row or column, a named group or an ABC class
    (filters combine), most valuable first (net sales, then frequency, then member
    code: the pyramid's order), scored by `rule` as `segmentation` does, so each
    list holds the members its count says. group/value "never_purchased"/"zombie",
    abc "zombie" (and abc "D" under rule "distinct") list the members with no purchase."""
    as_of = as_of or db.clock.today()
    rule, shares = settings(db, rule, program)
    p = _params(db, as_of) | _abc_params(shares) | {"limit": limit}
    zombie = (group == "never_purchased" or value == "zombie" or abc == ZOMBIE
              or (abc == "D" and rule == "distinct"))
    with report_session(db) as s:
        fold = _has_inactive(s)
        if zombie:
            rows = s.execute(text(f"""
                WITH {_buyers_cte(fold)}
                SELECT m.id, m.member_code, m.name, COALESCE(m.phone_masked, m.phone), m.tier_code, m.joined_at, NULL, NULL, 0,
                       COALESCE((SELECT SUM(net_fen) FROM sales WHERE member_id = m.id AND created_at < :hi
                                 AND kind IN ('sale', 'return')), 0)
                FROM members m WHERE m.status = 'active' AND m.joined_at < :hi
                  AND m.id NOT IN (SELECT member_id FROM b)
                ORDER BY m.joined_at LIMIT :limit"""), p).all()
            return _member_dicts(rows)
        where, extra = [], {}
        for col, val in (("r", r), ("f", f), ("m", m), ("grp", group), ("abc", abc)):
            if val is not None:
                where.append(f"sc.{col} = :w_{col}")
                extra[f"w_{col}"] = val
        if value == "heavy":
            where.append("sc.abc IN ('A', 'B')")
        elif value == "light":
            where.append("sc.abc IN ('C', 'D')")  # no buyer is D under rule "distinct"
        rows = s.execute(text(f"""
            WITH {_buyers_cte(fold)}, {_scores(rule)}
            SELECT mb.id, mb.member_code, mb.name, COALESCE(mb.phone_masked, mb.phone), mb.tier_code, mb.joined_at, sc.last_day, {_rdays('sc.last_day')},
                   sc.frequency, sc.monetary, sc.r, sc.f, sc.m, sc.grp, sc.abc
            FROM sc JOIN members mb ON mb.id = sc.member_id
            {'WHERE ' + ' AND '.join(where) if where else ''}
            ORDER BY sc.monetary DESC, sc.frequency DESC, mb.member_code LIMIT :limit"""), p | extra).all()
    return _member_dicts(rows)


# --- churn watch and win-back -----------------------------------------------------------------


@dataclass
class ChurnList:
    as_of: dt.date
    days: int
    tier: str | None
    total: int  # members on the list (before the limit)
    members: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["as_of"] = self.as_of.isoformat()
        return d

    def tables(self) -> list[Table]:
        cols = ["member_code", "name", "phone_masked", "tier", "last_purchase", "days_since", "frequency",
                "monetary_fen", "id"]
        return [Table("churn", cols, [[m[c] for c in cols] for m in self.members])]


def churn_watch(db, as_of: dt.date | None = None, days: int = 90, *, tier: str | None = None,
                limit: int | None = 1000) -> ChurnList:
    """Buyers with no purchase in the last `days` business days (days since ≥ days),
    optionally of one tier, most valuable first (net sales, then member code)."""
    if days < 1:
        raise ValueError("days must be at least 1")
    as_of = as_of or db.clock.today()
    p = _params(db, as_of)
    with buyers.table(db, p["hi"]) as bt:
        return _churn(bt, as_of, days, tier, limit)


def _churn(bt: "buyers.BuyerTable", as_of: dt.date, days: int, tier: str | None, limit: int | None) -> ChurnList:
    q = {"cutoff": (as_of - dt.timedelta(days=days)).isoformat(), "tier": tier}
    # every buyer in b is an active member (b keeps active survivors only once a member was merged or erased)
    if tier is None:
        counted = bt.rows("SELECT SUM(w) FROM temp.b WHERE last_day <= :cutoff", q)
    else:
        counted = bt.rows("""SELECT SUM(b.w) FROM temp.b b JOIN members mb ON mb.id = b.member_id
                             WHERE b.last_day <= :cutoff AND mb.status = 'active' AND mb.tier_code = :tier""", q)
    total = sum(int(r[0] or 0) for r in counted)
    # from each connection the rows at the top, enough to survive the netting of the corrections
    n = -1 if limit is None else limit + 2 * bt.corrections + 1
    cols = ("mb.id, mb.member_code, mb.name, COALESCE(mb.phone_masked, mb.phone), mb.tier_code, mb.joined_at, "
            "b.last_day, b.frequency, b.monetary, b.w")
    if tier is None and n >= 0:  # members joined only for the rows at or above the n-th largest net sales
        sql = f"""SELECT {cols} FROM temp.b b JOIN members mb ON mb.id = b.member_id
                  WHERE b.last_day <= :cutoff AND b.monetary >= COALESCE(
                      (SELECT monetary FROM temp.b WHERE last_day <= :cutoff ORDER BY monetary DESC LIMIT 1 OFFSET :n - 1),
                      -9223372036854775808)"""
    else:
        sql = f"""SELECT {cols} FROM temp.b b JOIN members mb ON mb.id = b.member_id
                  WHERE b.last_day <= :cutoff AND mb.status = 'active' AND (:tier IS NULL OR mb.tier_code = :tier)
                  ORDER BY b.monetary DESC, mb.member_code LIMIT :n"""
    rows = buyers.netted(bt.rows(sql, q | {"n": n}))
    rows.sort(key=lambda r: (-r[8], r[1]))
    if limit is not None:
        rows = rows[:max(limit, 0)]
    since = lambda d: (as_of - dt.date.fromisoformat(str(d)[:10])).days  # noqa: E731
    return ChurnList(as_of=as_of, days=days, tier=tier, total=total,
                     members=_member_dicts([(*r[:7], since(r[6]), r[7], r[8]) for r in rows]))


def churn_watch_reference(db, as_of: dt.date | None = None, days: int = 90, *, tier: str | None = None,
                          limit: int | None = 1000) -> ChurnList:
    """`churn_watch` as one SQL statement over the reference definition (for the tests)."""
    if days < 1:
        raise ValueError("days must be at least 1")
    as_of = as_of or db.clock.today()
    p = _params(db, as_of) | {"cutoff": (as_of - dt.timedelta(days=days)).isoformat(), "tier": tier,
                              "limit": -1 if limit is None else limit}
    with report_session(db) as s:
        fold = _has_inactive(s)
        rows = s.execute(text(f"""
            WITH {_buyers_cte(fold)}
            SELECT mb.id, mb.member_code, mb.name, COALESCE(mb.phone_masked, mb.phone), mb.tier_code, mb.joined_at, b.last_day, {_rdays('b.last_day')},
                   b.frequency, b.monetary, COUNT(*) OVER () AS total
            FROM b JOIN members mb ON mb.id = b.member_id
            WHERE b.last_day <= :cutoff AND mb.status = 'active' AND (:tier IS NULL OR mb.tier_code = :tier)
            ORDER BY b.monetary DESC, mb.member_code LIMIT :limit"""), p).all()
    total = int(rows[0][-1]) if rows else 0
    return ChurnList(as_of=as_of, days=days, tier=tier, total=total, members=_member_dicts([r[:-1] for r in rows]))


@dataclass
class WinBackResult:
    template: str
    issued: list[dict[str, str]]  # member_id, member_code, code, valid_to
    skipped: list[dict[str, str]]  # member_id, reason

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def issue_win_back(db, program: ProgramDoc, member_ids: list[str], *, template: str | None = None,
                   actor: str = "manager") -> WinBackResult:
    """Issue a win-back coupon to each selected member through the normal coupon
    path (`pos.loyalty.coupons.issue`: the coupon row and its `coupon.issued` outbox event
    for HQ), all in one transaction, with an audit entry. A member who is not
    active, or still holds an unused, unexpired coupon of the template, is skipped."""
    template = template or (program.issuance.win_back.template if program.issuance.win_back else None)
    if not template or program.template(template) is None:
        raise DomainError("coupon.template", template=template or "")
    issued, skipped = [], []
    with db.transaction() as s:
        now = db.clock.now()
        for ref in dict.fromkeys(member_ids):
            try:
                mid = uuid.UUID(str(ref))
            except ValueError:
                skipped.append({"member_id": str(ref), "reason": "not_a_member"})
                continue
            m = s.get(Member, mid)
            if m is None or m.status != "active":
                skipped.append({"member_id": str(ref), "reason": "not_active"})
                continue
            held = s.scalar(select(Coupon.id).where(
                Coupon.member_id == mid, Coupon.template == template, Coupon.voided_at.is_(None), Coupon.valid_to > now,
                Coupon.id.not_in(select(CouponUse.coupon_id))).limit(1))
            if held is not None:
                skipped.append({"member_id": str(mid), "reason": "holds_one"})
                continue
            c = coupons.issue(s, db, program, template, member_id=mid, source="win_back", now=now)
            issued.append({"member_id": str(mid), "member_code": m.member_code, "code": c.code,
                           "valid_to": c.valid_to.isoformat()})
        audit(s, db, actor, "coupon.win_back", template, issued=len(issued), skipped=len(skipped))
    return WinBackResult(template=template, issued=issued, skipped=skipped)


# --- segment names as derived tags ---------------------------------------------------------


def tags_stale(db) -> bool:
    """The derived tags were last written before today (or never): the till's
    daily refresh is due."""
    return store_settings.SEGMENTS_TAGGED_ON.get(db) != db.clock.today().isoformat()


def write_tags(db, as_of: dt.date | None = None, *, rule: str | None = None,
               program: ProgramDoc | None = None) -> dict[str, Any]:
    """Give every active member their segment tags (source 'derived'): a recency
    group and heavy/light for buyers (the classes of `rule`, as `segmentation`
    counts them), "never purchased" for the others. Each
    member's previous derived segment tags are replaced (a manual tag of the same
    name is left alone). Computed first on a read snapshot, then written in
    chunks of TAG_CHUNK members, each its own short write transaction, so the
    till is never locked out for long. One `segments.tagged` outbox event carries
    the counts (HQ can recompute the tags; they are not sent member by member)."""
    as_of = as_of or db.clock.today()
    rule, shares = settings(db, rule, program)
    p = _params(db, as_of) | _abc_params(shares) | {f"t_{k}": v for k, v in SEGMENT_TAGS.items()}
    grp_case = " ".join(f"WHEN '{k}' THEN :t_{k}" for k, *_ in RECENCY_GROUPS)
    vocab = ", ".join(f":t_{k}" for k in SEGMENT_TAGS)
    now = db.clock.now()
    added = removed = 0
    with db.engine.connect() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS temp.segment_tags")
        conn.exec_driver_sql("CREATE TEMP TABLE segment_tags (member_id CHAR(32) NOT NULL, tag VARCHAR(32) NOT NULL, "
                             "PRIMARY KEY (member_id, tag))")
        try:
            fold = conn.execute(text("SELECT 1 FROM members WHERE status IN ('erased', 'merged') LIMIT 1")).first() is not None
            conn.execute(text(f"""
                WITH {_buyers_cte(fold)}, {_scores(rule)}
                INSERT INTO temp.segment_tags (member_id, tag)
                SELECT member_id, CASE grp {grp_case} END FROM sc
                UNION ALL
                SELECT member_id, CASE WHEN abc IN ('A', 'B') THEN :t_heavy ELSE :t_light END FROM sc"""), p)
            conn.execute(text("""
                INSERT INTO temp.segment_tags (member_id, tag)
                SELECT m.id, :t_zombie FROM members m
                WHERE m.status = 'active' AND m.joined_at < :hi
                  AND NOT EXISTS (SELECT 1 FROM temp.segment_tags t WHERE t.member_id = m.id)"""), p)
            counts = {tag: int(n) for tag, n in conn.execute(text("SELECT tag, COUNT(*) FROM temp.segment_tags GROUP BY tag"))}
            edges = [r[0] for r in conn.execute(text("""
                SELECT member_id FROM (SELECT member_id, ROW_NUMBER() OVER (ORDER BY member_id) AS i
                                       FROM (SELECT DISTINCT member_id FROM temp.segment_tags))
                WHERE i % :n = 1 AND i > 1"""), {"n": TAG_CHUNK})]
            conn.commit()  # end the read snapshot; now write, chunk by chunk
            conn.execution_options(sqlite_begin="IMMEDIATE")
            for lo, hi in zip([None, *edges], [*edges, None]):
                q = p | {"lo": lo, "hi_id": hi, "now": ts(now)}
                with conn.begin():
                    removed += conn.execute(text(f"""
                        DELETE FROM member_tags WHERE source = 'derived' AND tag IN ({vocab})
                          AND (:lo IS NULL OR member_id >= :lo) AND (:hi_id IS NULL OR member_id < :hi_id)
                          AND NOT EXISTS (SELECT 1 FROM temp.segment_tags n
                                          WHERE n.member_id = member_tags.member_id AND n.tag = member_tags.tag)"""),
                        q).rowcount
                    added += conn.execute(text("""
                        INSERT INTO member_tags (member_id, tag, source, created_at)
                        SELECT n.member_id, n.tag, 'derived', :now FROM temp.segment_tags n
                        WHERE (:lo IS NULL OR n.member_id >= :lo) AND (:hi_id IS NULL OR n.member_id < :hi_id)
                          AND NOT EXISTS (SELECT 1 FROM member_tags t WHERE t.member_id = n.member_id AND t.tag = n.tag)"""),
                        q).rowcount
            with conn.begin():
                conn.execute(insert(OutboxEvent.__table__).values(
                    event_id=uuid7(), kind="segments.tagged", created_at=now, status="pending", test_clock=db.test_clock,
                    payload={"store": db.store_code, "as_of": as_of.isoformat(), "counts": counts,
                             "added": added, "removed": removed}))
        finally:
            if conn.in_transaction():
                conn.rollback()
            conn.execution_options(sqlite_begin="DEFERRED")
            conn.exec_driver_sql("DROP TABLE IF EXISTS temp.segment_tags")
            if conn.in_transaction():
                conn.commit()
    store_settings.SEGMENTS_TAGGED_ON.set(db, as_of.isoformat())
    return {"as_of": as_of.isoformat(), "counts": counts, "added": added, "removed": removed}
