"""A store's imported history at HQ (`history.imported`, issue 15 §2).

A till that imports years of sales from the old POS (pos.services.history_import)
sends them as a compact bulk upload: events of many sales each, a sale's header and
its lines as [code, qty, net_fen, points]. HQ keeps each sale as recorded in its
`sales` table — the amounts and points the till stored, never re-priced by today's
program (`repriced = 'imported'`), no hold, no coupon, no exception — with the event's
sale as its document. A sale HQ has (by id) is left as it is: a re-push, or the same
file imported again, never doubles. The sales' points lots come as every ledger row
does (`ledger.entries`, `ledger_rows`), never from here: nothing is posted twice, and
settle_points leaves them alone (only a `mismatch` sale is settled)."""
from __future__ import annotations

from .common import Ctx, as_time, as_uuid, insert_new
from .models import Sale

IMPORTED = "imported"  # sales.repriced of an imported sale


def h_history_imported(c: Ctx, p: dict) -> None:
    rows = []
    for d in p["sales"]:
        doc = {"imported": True, **d}
        rows.append({"id": as_uuid(d["id"]), "store_code": c.store, "kind": str(d["kind"]),
                     "receipt_no": str(d["receipt_no"]), "member_id": as_uuid(d.get("member_id")),
                     "created_at": as_time(d["sold_at"]), "net_fen": int(d["net_fen"]),
                     "points_earned": int(d.get("points") or 0), "points_redeemed": 0, "provisional": False,
                     "document": doc, "repriced": IMPORTED, "hq_net_fen": None, "hq_points_earned": None})
    insert_new(c.s, Sale.__table__, rows)
