"""`python main.py parcel receive|pickup|list` (issue 18): parcels for pickup at this store.

    parcel receive LABEL                        the courier's label scanned (PCL + 10 digits): arrived;
                                                HQ tells the customer once the till syncs
    parcel pickup CODE                          the customer's pickup code (PU + 8 digits, or its 8 digits)
    parcel pickup --phone PHONE --last4 NNNN    or their phone and the code's last 4
    parcel list [--overdue] [--status S]        --overdue: not collected within parcel.overdue_days

A pickup issues the program's pickup voucher (`issuance.pickup`) and puts it on the sale in
progress at this till when there is one (`applied_to_sale`). `--db`, `--json` as everywhere;
a refusal is one line on stderr, exit 2."""
from __future__ import annotations

from pos.cli.common import db_of, out


def _line(v) -> str:
    who = " ".join(x for x in (v.name, v.phone_masked, v.member_code) if x) or "-"
    extra = f"  waiting {v.days_waiting} d" if v.days_waiting is not None else ""
    return (f"{v.label}  {v.status}{extra}{'  OVERDUE' if v.overdue else ''}  code …{v.pickup_code_last4}  "
            f"{who}  order {v.order_ref}")


def cmd_receive(args) -> int:
    from pos.services import parcels

    v = parcels.receive(db_of(args), args.label, actor=args.actor)
    out(args, v.as_dict(), lambda: f"received {v.label} for {v.name or v.phone_masked or v.member_code} "
                                   f"(code …{v.pickup_code_last4}); the customer is told at the next sync")
    return 0


def cmd_pickup(args) -> int:
    from pos.services import parcels

    db = db_of(args)
    got = parcels.pickup(db, code=args.code, phone=args.phone, last4=args.last4, actor=args.actor)
    if not args.no_sale:
        parcels.apply_to_basket(db, got)

    def text() -> str:
        v = got.parcel
        voucher = (f"; voucher {got.coupon_code} ({got.coupon_template})"
                   + (" applied to the sale in progress" if got.applied_to_sale else " in the member's wallet")
                   if got.coupon_code else "; the program names no pickup voucher")
        return f"collected {v.label} by {v.name or v.phone_masked or v.member_code}{voucher}"

    out(args, got.as_dict(), text)
    return 0


def cmd_list(args) -> int:
    from pos.services import parcels

    rows = parcels.listing(db_of(args), overdue=args.overdue, status=args.status)
    out(args, [r.as_dict() for r in rows], lambda: "\n".join(_line(r) for r in rows) or "no parcels")
    return 0


def register(sub, c) -> None:
    pp = sub.add_parser("parcel", help="parcels for pickup at this store: receive, pickup, list (issue 18)")
    ps = pp.add_subparsers(dest="parcel_cmd", required=True)
    p = ps.add_parser("receive", parents=[c], help="scan in a parcel the courier dropped (its label)")
    p.add_argument("label")
    p.add_argument("--actor", default="cli")
    p.set_defaults(func=cmd_receive)
    p = ps.add_parser("pickup", parents=[c], help="the customer collects: by pickup code, or --phone and --last4")
    p.add_argument("code", nargs="?")
    p.add_argument("--phone")
    p.add_argument("--last4")
    p.add_argument("--actor", default="cli")
    p.add_argument("--no-sale", action="store_true", help="leave the voucher in the wallet, not on the sale in progress")
    p.set_defaults(func=cmd_pickup)
    p = ps.add_parser("list", parents=[c], help="this store's parcels (--overdue: to return to the courier)")
    p.add_argument("--overdue", action="store_true")
    p.add_argument("--status", choices=("waiting", "arrived", "collected", "cancelled"))
    p.set_defaults(func=cmd_list)
