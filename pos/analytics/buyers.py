"""Every member's purchase figures as of a business date — frequency F, net sales M
and the last purchase — built in one pass over the sales for segments and the
churn watch (`pos.analytics.segments`), headless, through `sqlite3` directly.

The definitions are those of `segments` (its module text): F = sale tickets −
cancelled sale tickets, M = net fen of sale and return tickets, the last day = the
business date of the last sale not cancelled; a buyer has F ≥ 1; when merged or
erased members exist, a merged member's history counts for the member it was
merged into and only active members registered by then are kept. `buyers_cte`
is that definition as SQL (one statement, a join per member), the reference.

How it is fast (issue 20). The member tickets are read once, in member order off
the covering index `ix_sales_member_history`, on two read connections at once
(the members' id range cut into chunks, each connection taking the next chunk),
each keeping its buyers in a temporary table `b` (member_id, frequency, monetary,
last_day, w). The scan adds nothing per member — no join: the members
whose figures the plain sums get wrong (a cancelled sale, a merge, an erased or
late member; a few hundred in a store of a million) are worked out apart with
the reference SQL, restricted to them, and put into `b` as corrections: their
plain row again with w = −1 and their true row with w = +1. Every aggregate sums
w, so it counts each buyer once with the true figures; a list nets the rows of a
member (`netted`). Both read connections are bounded by the high-water mark
(largest `rowid` of `sales`) of the first connection's snapshot, so all of them
see exactly the same tickets.
"""
from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Iterable, Iterator

WORKERS = 2  # read connections scanning at once (the till has two cores)
CHUNKS = 32  # ranges of member ids they share out (the first ranges hold the oldest, busiest members)
CACHE_KIB = 1000  # page cache per connection: a small one sorts faster (the sorter works in cache-sized runs)


def buyers_cte(fold: bool, only: str = "") -> str:
    """CTEs ending in b (the buyers: member_id, frequency, monetary, last_day): the
    reference definition. `fold`: merged members' history goes to their survivor and
    only active members are kept (a join per member; only when such members exist).
    `only`: a table of member ids (column member_id) limiting the members read (their
    tickets, and the sales of theirs that were cancelled)."""
    cond = f" AND member_id IN (SELECT member_id FROM {only})" if only else ""
    ocond = f" AND o.member_id IN (SELECT member_id FROM {only})" if only else ""
    sql = f"""
        ret AS (SELECT r.original_sale_id AS sid, SUM(r.units) AS back FROM sales r
                WHERE r.original_sale_id IS NOT NULL AND r.kind = 'return' AND r.created_at < :hi
                GROUP BY r.original_sale_id),
        cancelled AS MATERIALIZED (
                SELECT o.rowid AS rid, o.member_id FROM ret JOIN sales o ON o.id = ret.sid
                WHERE o.member_id IS NOT NULL AND ret.back + o.units <= 0{ocond}),
        cm AS (SELECT member_id, COUNT(*) AS n FROM cancelled GROUP BY member_id),
        pm0 AS (SELECT member_id, SUM(kind = 'sale') AS tickets, SUM(net_fen) AS monetary,
                       MAX(CASE WHEN kind = 'sale' THEN business_date END) AS last_sale
                FROM sales WHERE member_id IS NOT NULL AND created_at < :hi AND kind IN ('sale', 'return'){cond}
                GROUP BY member_id),
        pm AS (SELECT pm0.member_id, pm0.tickets - COALESCE(cm.n, 0) AS frequency, pm0.monetary,
                      CASE WHEN cm.n IS NULL THEN pm0.last_sale
                           ELSE (SELECT MAX(s2.business_date) FROM sales s2
                                 WHERE s2.member_id = pm0.member_id AND s2.kind = 'sale' AND s2.created_at < :hi
                                   AND s2.rowid NOT IN (SELECT rid FROM cancelled)) END AS last_day
               FROM pm0 LEFT JOIN cm ON cm.member_id = pm0.member_id),"""
    if fold:
        sql += """
        pf AS (SELECT COALESCE(m.merged_into, pm.member_id) AS member_id, SUM(pm.frequency) AS frequency,
                      SUM(pm.monetary) AS monetary, MAX(pm.last_day) AS last_day
               FROM pm JOIN members m ON m.id = pm.member_id GROUP BY 1),
        b AS MATERIALIZED (
              SELECT pf.* FROM pf JOIN members m ON m.id = pf.member_id
              WHERE pf.frequency >= 1 AND m.status = 'active' AND m.joined_at < :hi)"""
    else:
        sql += """
        b AS MATERIALIZED (SELECT * FROM pm WHERE pm.frequency >= 1)"""
    return sql


# the plain per-member sums of one range of members (tickets before cancellations)
_FILL = """
    INSERT INTO temp.b (member_id, frequency, monetary, last_day, w)
    SELECT member_id, SUM(kind = 'sale'), SUM(net_fen), MAX(CASE WHEN kind = 'sale' THEN business_date END), 1
    FROM sales
    WHERE member_id >= :lo {upper} AND created_at < :hi AND kind IN ('sale', 'return') AND rowid <= :hw
    GROUP BY member_id HAVING SUM(kind = 'sale') >= 1"""

# the sales cancelled by the date (every unit brought back), and so the members whose plain sums are wrong
_CANCELLED = """
    CREATE TEMP TABLE cancelled AS
    SELECT o.rowid AS rid, o.member_id FROM (SELECT original_sale_id AS sid, SUM(units) AS back FROM sales
                                             WHERE original_sale_id IS NOT NULL AND kind = 'return' AND created_at < :hi
                                             GROUP BY original_sale_id) ret
    JOIN sales o ON o.id = ret.sid
    WHERE o.member_id IS NOT NULL AND ret.back + o.units <= 0"""
_FOLDED = """
    INSERT OR IGNORE INTO temp.affected (member_id)
    SELECT id FROM members WHERE status != 'active' OR merged_into IS NOT NULL OR joined_at >= :hi
    UNION SELECT merged_into FROM members WHERE merged_into IS NOT NULL"""


def _connect(path: str) -> sqlite3.Connection:
    c = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    c.execute("PRAGMA busy_timeout=10000")
    c.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
    return c


def _chunks(lo: str | None, hi: str | None, n: int) -> list[tuple[str, str | None]]:
    """Ranges [a, b) of member ids covering everything from `lo` to `hi`: cut evenly
    on the ids' first 12 hex digits (ids are hex UUIDs; anything else is one range)."""
    try:
        a, b = int(lo[:12], 16), int(hi[:12], 16)
    except (TypeError, ValueError):
        return [("", None)]
    if len(lo) < 12 or b <= a or n <= 1:
        return [("", None)]
    cuts = sorted({format(a + (b - a) * i // n, "012x") for i in range(1, n)})
    edges = ["", *cuts]
    return list(zip(edges, [*cuts, None]))


class BuyerTable:
    """The buyers as of a date in `b` on the worker connections (see the module text).
    Use as a context manager: `with BuyerTable(db, hi) as bt: bt.each(sql, params)`."""

    def __init__(self, db, hi: str, workers: int | None = None):
        self.db, self.hi = db, hi
        self.n_workers = workers or WORKERS
        self.main: sqlite3.Connection | None = None
        self.conns: list[sqlite3.Connection] = []
        self.fold = False
        self.corrections = 0  # rows with w = -1 or a member's true figures (lists fetch this many more)
        self.base = 0
        self.params: dict[str, Any] = {}

    # --- building ---------------------------------------------------------------------

    def __enter__(self) -> "BuyerTable":
        try:
            self._build()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        for c in [self.main, *self.conns]:
            if c is not None:
                try:
                    c.close()
                except sqlite3.Error:
                    pass
        self.main, self.conns = None, []

    def _build(self) -> None:
        path = str(self.db.path)
        main = self.main = _connect(path)
        main.execute("BEGIN")
        hw = main.execute("SELECT MAX(rowid) FROM sales").fetchone()[0] or 0
        lo, hi_id = main.execute("SELECT MIN(member_id), MAX(member_id) FROM sales WHERE member_id IS NOT NULL").fetchone()
        self.fold = main.execute("SELECT 1 FROM members WHERE status IN ('erased', 'merged') LIMIT 1").fetchone() is not None
        self.params = p = {"hi": self.hi, "hw": hw}
        self.conns = [_connect(path) for _ in range(self.n_workers)]
        for c in self.conns:
            c.execute("BEGIN")
            c.execute("CREATE TEMP TABLE b (member_id TEXT, frequency INTEGER, monetary INTEGER, last_day TEXT, w INTEGER)")
        queue = _chunks(lo, hi_id, CHUNKS) if lo is not None else []
        lock = threading.Lock()

        def fill(c: sqlite3.Connection) -> None:
            while True:
                with lock:
                    if not queue:
                        return
                    a, b = queue.pop(0)
                c.execute(_FILL.format(upper="AND member_id < :up" if b is not None else ""), p | {"lo": a, "up": b})

        with ThreadPoolExecutor(max_workers=len(self.conns) + 1) as pool:
            scans = [pool.submit(fill, c) for c in self.conns]
            fixes = pool.submit(self._corrections)  # on the main connection, meanwhile (and the members counted)
            for f in scans:
                f.result()
            rows = fixes.result()
        if rows:
            self.conns[0].executemany("INSERT INTO temp.b (member_id, frequency, monetary, last_day, w) "
                                      "VALUES (?, ?, ?, ?, ?)", rows)
        self.corrections = len(rows)

    def _corrections(self) -> list[tuple]:
        """The rows that make the plain sums true: for every member concerned, its plain
        row with w = −1 (if the scan kept it) and its true figures with w = +1 — sales
        cancelled taken off, then (once merged or erased members exist) folded into the
        survivor and kept only for an active member registered by then, exactly as
        `buyers_cte` defines them. One pass over the tickets of these members only."""
        main, p = self.main, self.params
        self.base = main.execute("SELECT COUNT(*) FROM members WHERE status = 'active' AND joined_at < :hi", p).fetchone()[0]
        main.execute(_CANCELLED, p)
        main.execute("CREATE TEMP TABLE affected (member_id TEXT PRIMARY KEY)")
        main.execute("INSERT OR IGNORE INTO temp.affected SELECT member_id FROM temp.cancelled")
        if self.fold:
            main.execute(_FOLDED, p)
        if not main.execute("SELECT 1 FROM temp.affected LIMIT 1").fetchone():
            return []
        rows = main.execute("""
            SELECT member_id, SUM(kind = 'sale'), SUM(net_fen), MAX(CASE WHEN kind = 'sale' THEN business_date END),
                   SUM(kind = 'sale' AND rowid NOT IN (SELECT rid FROM temp.cancelled)),
                   MAX(CASE WHEN kind = 'sale' AND rowid NOT IN (SELECT rid FROM temp.cancelled) THEN business_date END)
            FROM sales WHERE member_id IN (SELECT member_id FROM temp.affected) AND created_at < :hi
              AND kind IN ('sale', 'return')
            GROUP BY member_id""", p).fetchall()
        out = [(mid, tickets, money, last, -1) for mid, tickets, money, last, _f, _l in rows if tickets >= 1]
        if not self.fold:
            return out + [(mid, f, money, last, 1) for mid, _t, money, _last, f, last in rows if f >= 1]
        info = {mid: (into, status, joined) for mid, into, status, joined in main.execute(
            "SELECT id, merged_into, status, joined_at FROM members WHERE id IN (SELECT member_id FROM temp.affected)")}
        folded: dict[str, list] = {}
        for mid, _t, money, _last, f, last in rows:
            into = info.get(mid, (None, None, None))[0]
            acc = folded.setdefault(into or mid, [0, 0, None])
            acc[0] += f
            acc[1] += money
            if last is not None and (acc[2] is None or last > acc[2]):
                acc[2] = last
        for mid, (f, money, last) in folded.items():
            _into, status, joined = info.get(mid, (None, None, None))
            if f >= 1 and status == "active" and joined is not None and joined < self.hi:
                out.append((mid, f, money, last, 1))
        return out

    # --- reading --------------------------------------------------------------------------

    def each(self, sql: str, params: dict[str, Any] | None = None) -> list[list[tuple]]:
        """`sql` on every worker connection at once: the rows of each."""
        q = self.params | (params or {})
        if len(self.conns) == 1:
            return [self.conns[0].execute(sql, q).fetchall()]
        with ThreadPoolExecutor(max_workers=len(self.conns)) as pool:
            return list(pool.map(lambda c: c.execute(sql, q).fetchall(), self.conns))

    def rows(self, sql: str, params: dict[str, Any] | None = None) -> list[tuple]:
        return [r for part in self.each(sql, params) for r in part]

    def one(self, sql: str, params: dict[str, Any] | None = None) -> tuple | None:
        """`sql` on the main connection (the reference snapshot)."""
        return self.main.execute(sql, self.params | (params or {})).fetchone()


_scope = threading.local()


@contextlib.contextmanager
def shared() -> Iterator[None]:
    """Within this block, figures computed on this thread for the same store and date
    read one table of buyers, built once (segments and the churn watch of a screen):
    one scan, one snapshot. The tables are dropped at the end of the block."""
    if getattr(_scope, "tables", None) is not None:
        yield
        return
    _scope.tables = {}
    try:
        yield
    finally:
        for bt in _scope.tables.values():
            bt.close()
        _scope.tables = None


@contextlib.contextmanager
def table(db, hi: str) -> Iterator[BuyerTable]:
    """The buyers as of `hi`: the one built in the enclosing `shared()` block, else a new one."""
    tables = getattr(_scope, "tables", None)
    key = (str(db.path), hi)
    if tables is not None and key in tables:
        yield tables[key]
        return
    bt = BuyerTable(db, hi).__enter__()
    if tables is not None:
        tables[key] = bt
        yield bt
        return
    try:
        yield bt
    finally:
        bt.close()


def summed(rows: Iterable[tuple], n_keys: int) -> dict[tuple, list[int]]:
    """Rows (key columns…, sums…) of several connections added up by key; keys whose
    weights (the first sum) come to zero are dropped."""
    out: dict[tuple, list[int]] = {}
    for r in rows:
        key, vals = r[:n_keys], r[n_keys:]
        acc = out.get(key)
        if acc is None:
            out[key] = [int(v or 0) for v in vals]
        else:
            for i, v in enumerate(vals):
                acc[i] += int(v or 0)
    return {k: v for k, v in out.items() if v[0]}


def netted(rows: Iterable[tuple], key: Callable[[tuple], Any] = lambda r: r[:-1]) -> list[tuple]:
    """Rows ending in a weight w, netted: a row whose weights come to 1 or more is kept
    once (without the weight), the others dropped (a plain row and its w = −1 twin)."""
    w: Counter = Counter()
    first: dict[Any, tuple] = {}
    for r in rows:
        k = key(r)
        w[k] += r[-1]
        first.setdefault(k, r[:-1])
    return [first[k] for k, n in w.items() if n > 0]


def by_value(counts: dict[Any, int]) -> list[tuple[Any, int]]:
    """(value, count) ascending."""
    return sorted(counts.items())


def merged_counts(parts: Iterable[dict]) -> dict:
    out: dict = defaultdict(int)
    for part in parts:
        for k, v in part.items():
            out[k] += v
    return {k: v for k, v in out.items() if v}
