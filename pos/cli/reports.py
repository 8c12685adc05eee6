"""Commands for store manager reports and segments (registered by `pos.cli.main.register`;
the options and output they share are pos.cli.common's).

    python main.py report daily|period|rfm|abc|churn|o2o [--date D | --from D --to D]
                   [--format json|csv|xlsx] [--out FILE] [--table NAME]
                   [--days 90] [--tier vip] [--limit N]           (churn)
                   [--rule buyers|distinct]                       (rfm, abc; default: the program's segments.rfm_rule)
                   [--visit-minutes 60]                           (o2o: a sale this soon after a pickup is "in the visit")
    python main.py segments tag [--date D] [--rule buyers|distinct]   derived segment tags
    python main.py churn issue --days 90|180|365 [--template T] [--limit N] [--tier T] [--date D] [--dry-run]

Dates are store-local business dates (default: today). `report daily` is one
day (--date, else --to, else today); `report period` needs --from (--to
defaults to today); rfm, abc and churn are "as of" --date / --to; `report o2o`
(parcels, pickup conversion, online vs store share; pos.analytics.o2o) is --from .. --to,
or the one day --date (default today).
"""
from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from pos.analytics import choices  # what the options offer; the analytics load with the command that runs
from pos.cli.common import CliError, db_of, out, parse_date, program_or_none
from pos.rules.money import yuan

KINDS = ("daily", "period", "rfm", "abc", "churn", "o2o")


def _day(args, *names: str) -> dt.date | None:
    for n in names:
        v = getattr(args, n, None)
        if v:
            return parse_date(v)
    return None


def build(db, program, args):
    """(report data as a dict, its tables, a title) for `report KIND`."""
    from pos.analytics import o2o, reports, segments

    kind = args.kind
    if kind == "daily":
        day = _day(args, "date", "to", "from") or db.clock.today()
        r = reports.daily(db, program, day)
        return r.as_dict(), r.tables(), f"daily {day}"
    if kind == "period":
        start, end = _day(args, "from"), _day(args, "to") or db.clock.today()
        if start is None:
            raise CliError("report period needs --from YYYY-MM-DD (and --to, default today)")
        if end < start:
            raise CliError(f"--to {end} is before --from {start}")
        r = reports.period(db, program, start, end)
        return r.as_dict(), r.tables(), f"period {start} .. {end}"
    if kind == "o2o":
        end = _day(args, "to", "date") or db.clock.today()
        start = _day(args, "from", "date") or end
        if end < start:
            raise CliError(f"--to {end} is before --from {start}")
        if args.visit_minutes is not None and args.visit_minutes < 1:
            raise CliError("--visit-minutes must be at least 1")
        r = o2o.report(db, start, end, visit_minutes=args.visit_minutes or o2o.VISIT_MINUTES)
        return r.as_dict(), r.tables(), f"o2o {start} .. {end}"
    as_of = _day(args, "date", "to") or db.clock.today()
    if kind in ("rfm", "abc"):
        sg = segments.segmentation(db, as_of, rule=getattr(args, "rule", None), program=program)
        d = sg.as_dict()
        if kind == "abc":
            d = {k: d[k] for k in ("as_of", "members", "buyers", "zombies", "abc", "pareto", "value", "rule",
                                   "rfm_rule", "abc_shares")}
        return d, (sg.rfm_tables() if kind == "rfm" else sg.abc_tables()), f"{kind} as of {as_of}"
    days = args.days or reports.churn_days(program)
    cl = segments.churn_watch(db, as_of, days, tier=args.tier, limit=args.limit)
    return cl.as_dict(), cl.tables(), f"churn {days} days as of {as_of}"


def _text(kind: str, data: dict) -> str:
    if kind in ("daily", "period"):
        s = data["summary"]
        y = lambda fen: "-" if fen is None else yuan(fen, grouping=True)  # noqa: E731
        pct = lambda x: "-" if x is None else f"{x * 100:.1f}%"  # noqa: E731
        d = data["decomposition"]
        return "\n".join([
            f"{data['start']} .. {data['end']} ({data['days']} day(s)), store {data['store_code']}",
            f"sales {y(s['sales_fen'])} yuan (refunds {y(s['refunds_fen'])}), transactions {s['transactions']}, "
            f"AOV {y(s['aov_fen'])}, items/basket {s['items_per_basket'] or 0:.2f}",
            f"members: {pct(s['member_share_sales'])} of sales, {pct(s['member_share_transactions'])} of transactions; "
            f"non-members {y(s['non_member_sales_fen'])} yuan in {s['non_member_transactions']}",
            f"new members {s['new_members']}, converted {s['new_members_converted']} ({pct(s['conversion_rate'])}); "
            f"buyers {s['buyers']}, repeat {pct(s['repeat_purchase_rate'])}; churn {pct(s['churn_rate'])} "
            f"({s['churned']}/{s['churn_base']}, {s['churn_days']} days)",
            f"points issued {s['points_issued']}, redeemed {s['points_redeemed']}, expired {s['points_expired']}; "
            f"outstanding {s['points_outstanding']} = {s['points_liability_yuan']} yuan liability",
            f"coupons issued {s['coupons_issued']}, redeemed {s['coupons_redeemed']} "
            f"(rate {pct(s['coupon_redemption_rate'])}); stored value in {y(s['sv_in_fen'])}, out {y(s['sv_out_fen'])}, "
            f"balance {y(s['sv_balance_fen'])}",
            f"member sales {y(d['member_sales_fen'])} = traffic {d['traffic']} x conversion {d['conversion']} x repeat "
            f"{d['repeat']} x AOV {y(round(d['aov_fen']) if d['aov_fen'] is not None else None)} (residual {d['residual_fen']} fen)",
        ])
    if kind == "o2o":
        return o2o_text(data)
    if kind == "rfm":
        g = data["groups"]
        return (f"as of {data['as_of']}: {data['members']} members, {data['buyers']} buyers, {data['zombies']} never purchased\n"
                + ", ".join(f"{k} {v}" for k, v in g.items()) + "\n"
                + ", ".join(f"{k} {v}" for k, v in data["value"].items()) + f"\nrule: {data['rule']}")
    if kind == "abc":
        p = data["pareto"]
        share = "-" if p["top_share"] is None else f"{p['top_share'] * 100:.1f}%"
        zombie = f"\nzombie (never purchased): {data['zombies']} members" if data.get("rfm_rule") == "buyers" else ""
        return ("\n".join(f"{a['class']}: {a['members']} members, {yuan(a['sales_fen'], grouping=True)} yuan" for a in data["abc"])
                + zombie + f"\ntop 20% of buyers ({p['top_buyers']}) bring {share} of member sales\nrule: {data['rule']}")
    lines = [f"{m['member_code']}  {m['name'] or '-'}  {m['phone_masked']}  {m['tier']}  last {m['last_purchase']} "
             f"({m['days_since']} days)  {m['frequency']} visits  {yuan(m['monetary_fen'], grouping=True)} yuan" for m in data["members"]]
    return "\n".join(lines + [f"{data['total']} member(s) with no purchase in {data['days']} days as of {data['as_of']}"])


def o2o_text(data: dict) -> str:
    """The o2o report as text (the till's and HQ's have the same shape)."""
    s, o = data["summary"], data["online_share"]
    pct = lambda x: "-" if x is None else f"{x * 100:.1f}%"  # noqa: E731
    y = lambda fen: yuan(fen, grouping=True)  # noqa: E731
    where = f"store {data['store_code']}" if data.get("store_code") else "the chain"
    lines = [f"{data['start']} .. {data['end']}, {where}: parcels received {s['parcels_received']}, "
             f"collected {s['parcels_collected']}, overdue at the end {s['parcels_overdue_at_end']} "
             f"(overdue after {data['overdue_days']} day(s))"]
    lines += [f"  {r['date']}  received {r['received']}  collected {r['collected']}  overdue {r['overdue']}"
              for r in data["by_day"]]
    lines.append(f"pickups {s['pickups']}: followed by a sale within {s['visit_minutes']} min {s['converted']} "
                 f"({pct(s['conversion_rate'])}), with the pickup voucher {s['converted_with_voucher']}; "
                 f"vouchers issued {s['vouchers_issued']}, used {s['vouchers_used']} ({pct(s['voucher_redemption_rate'])})")
    lines.append(f"members' sales ({o['scope']}): store {y(o['store_sales_fen'])} yuan ({pct(o['store_share'])}), "
                 f"online {y(o['online_sales_fen'])} yuan in {o['online_orders']} orders ({pct(o['online_share'])})")
    return "\n".join(lines)


def cmd_report(args) -> int:
    from pos.analytics import export

    db = db_of(args)
    program = program_or_none(db)
    fmt = "json" if getattr(args, "json", False) else (args.format or "text")
    try:
        data, tables, title = build(db, program, args)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    if fmt == "xlsx":
        if not args.out:
            raise CliError("--format xlsx needs --out FILE.xlsx")
        export.save_xlsx(tables, args.out, title=title)
        print(f"wrote {args.out}", file=sys.stderr)
        return 0
    try:
        if fmt == "csv":
            if args.out:
                export.save_csv(tables, args.out, table=args.table)
                print(f"wrote {args.out}", file=sys.stderr)
            else:
                export.write_csv(tables, sys.stdout, table=args.table)
            return 0
    except KeyError as exc:
        raise CliError(exc.args[0]) from None
    if fmt == "json":
        body = export.to_json(data)
        if args.out:
            Path(args.out).write_text(body + "\n", encoding="utf-8")
            print(f"wrote {args.out}", file=sys.stderr)
        else:
            print(body)
        return 0
    print(_text(args.kind, data))
    return 0


def cmd_segments_tag(args) -> int:
    from pos.analytics import segments

    db = db_of(args)
    r = segments.write_tags(db, _day(args, "date"), rule=args.rule)
    out(args, r, lambda: f"segment tags as of {r['as_of']}: {r['added']} added, {r['removed']} removed; "
                         + ", ".join(f"{k} {v}" for k, v in sorted(r["counts"].items())))
    return 0


def cmd_churn_issue(args) -> int:
    from pos.analytics import segments
    from pos.store import program_store

    db = db_of(args)
    program = program_store.active(db)
    as_of = _day(args, "date") or db.clock.today()
    if args.member:
        ids = list(args.member)
    else:
        cl = segments.churn_watch(db, as_of, args.days, tier=args.tier, limit=args.limit)
        ids = [m["id"] for m in cl.members]
    if args.dry_run:
        out(args, {"dry_run": True, "members": ids}, lambda: f"would issue to {len(ids)} member(s)")
        return 0
    r = segments.issue_win_back(db, program, ids, template=args.template, actor=args.actor)
    out(args, r.as_dict(), lambda: "\n".join([f"{i['member_code']}  {i['code']}  valid to {i['valid_to'][:10]}" for i in r.issued]
                                             + [f"issued {len(r.issued)} {r.template} coupon(s); skipped {len(r.skipped)}"]))
    return 0


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("report", parents=[common], help="store manager reports: daily, period, rfm, abc, churn")
    p.add_argument("kind", choices=KINDS)
    p.add_argument("--date", help="the day (daily) or the as-of date (rfm, abc, churn); default today")
    p.add_argument("--from", dest="from", help="first business date YYYY-MM-DD (period)")
    p.add_argument("--to", help="last business date YYYY-MM-DD (default today)")
    p.add_argument("--format", choices=["json", "csv", "xlsx", "text"], help="default: text (json with --json)")
    p.add_argument("--out", help="write to this file (needed for xlsx; csv and json go to stdout without it)")
    p.add_argument("--table", help="csv: only this table (e.g. by_hour, cashiers, rfm_cells), with its own header")
    p.add_argument("--days", type=int, help="churn: no purchase in this many days (default: program win-back, 90)")
    p.add_argument("--tier", help="churn: only this tier")
    p.add_argument("--limit", type=int, default=1000, help="churn: at most this many members (most valuable first)")
    p.add_argument("--visit-minutes", type=int, dest="visit_minutes",
                   help=f"o2o: a sale this many minutes after a pickup (same day) is in the visit "
                        f"(default {choices.VISIT_MINUTES})")
    p.add_argument("--rule", choices=choices.RULES,
                   help="rfm, abc: buyers (quintiles of buyers, ABC by shares) or distinct (the former rule); "
                        "default: the program's segments.rfm_rule")
    p.set_defaults(func=cmd_report)

    sp = sub.add_parser("segments", help="member segments")
    ss = sp.add_subparsers(dest="segments_cmd", required=True)
    p = ss.add_parser("tag", parents=[common], help="write segment names as derived member tags (shown at the till)")
    p.add_argument("--date", help="as of this business date (default today)")
    p.add_argument("--rule", choices=choices.RULES, help="heavy / light by this rule (default: the program's)")
    p.set_defaults(func=cmd_segments_tag)

    cp = sub.add_parser("churn", help="churn watch actions")
    cs = cp.add_subparsers(dest="churn_cmd", required=True)
    p = cs.add_parser("issue", parents=[common], help="issue a win-back coupon to the churn watch list (or --member ...)")
    p.add_argument("--days", type=int, default=90, choices=[90, 180, 365], help="no purchase in this many days (365: dormant)")
    p.add_argument("--template", help="coupon template (default: the program's win-back template)")
    p.add_argument("--limit", type=int, default=100, help="at most this many members, most valuable first")
    p.add_argument("--tier", help="only members of this tier (e.g. vip)")
    p.add_argument("--date", help="as of this business date (default today)")
    p.add_argument("--member", action="append", help="these member ids instead of the list (repeat)")
    p.add_argument("--dry-run", action="store_true", help="list who would get one, issue nothing")
    p.add_argument("--actor", default="manager")
    p.set_defaults(func=cmd_churn_issue)
