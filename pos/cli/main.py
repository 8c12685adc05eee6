"""Headless commands on the local store (`python main.py SUBCOMMAND`).

Every command takes `--db PATH` and `--json`; a bad input exits non-zero with
one line on stderr saying what is wrong. Host POS systems script these: the
commands, options and JSON fields are a public interface — extend, never rename.

What every package's commands share (options, output, `run`) is in pos.cli.common;
`run` is imported here too, as the entry point main.py calls.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

from pos.cli.common import (EXIT_BAD_INPUT, EXIT_NOT_FOUND, CliError, common, db_of, import_out, find_exact, lang_of, out,
                            parse_date, program_or_none, resolve_member, run, strict_fen)
from pos.errors import DomainError
from pos.rules.money import yuan

# Each command imports what it uses (the store, the services, pydantic): `--help`
# and one `checkout --quote` per process load only their own part
# (tests/test_cli_imports.py, tests/bench/test_cli_start_bench.py).

# --- demo -------------------------------------------------------------------

def cmd_demo(args) -> int:
    from pos.demo import store

    db = db_of(args)
    started = time.perf_counter()
    try:
        report = store.build(db, args.members, args.products, args.seed, sales=args.sales)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    data = report.as_dict() | {"db": str(db.path), "seconds": round(time.perf_counter() - started, 1)}
    sales = f", {report.sales['sales']} sales ({report.sales['returns']} returned)" if report.sales else ""
    out(args, data, lambda: f"demo store {db.path}: {report.members} members, {report.cards} cards, "
                            f"{report.products} products{sales} in {data['seconds']} s")
    return 0


# --- members ----------------------------------------------------------------

PROFILE_OPTS = ("name", "gender", "birthday", "region", "address", "occupation", "income_band", "channel")


def cmd_member_add(args) -> int:
    from pos.services import joining

    db = db_of(args)
    profile = {k: getattr(args, k) for k in PROFILE_OPTS if getattr(args, k) is not None}
    if args.consent:
        profile["marketing_consent"] = True
    referrer = resolve_member(db, args.referrer) if args.referrer else None
    got: list = []  # the sign-up rewards (pos.services.member_bonuses), as the till's quick join gives them
    m = joining.join(db, program_or_none(db), args.phone, actor=args.actor, rewards=got, card_no=args.card,
                     tags=args.tag or [], referrer_id=referrer, **profile)
    rewards = {"points": sum(a.points for a in got), "coupons": [c for a in got for c in a.coupons]}
    out(args, m.as_dict() | {"referrer_id": referrer, "rewards": rewards},
        lambda: f"{m.member_code}  {m.name or ''}  {m.phone_masked}  {m.tier}  id={m.id}"
                + (f"\nrewards: {rewards['points']} points" + "".join(f", coupon {c}" for c in rewards["coupons"])
                   if rewards["points"] or rewards["coupons"] else ""))
    return 0


def cmd_member_checkin(args) -> int:
    from pos.services import member_bonuses

    db = db_of(args)
    doc = program_or_none(db)
    if doc is None:
        raise DomainError("program.none")
    r = member_bonuses.checkin(db, doc, resolve_member(db, args.member), actor=args.actor)
    out(args, r.as_dict(), lambda: f"{r.member_code} checked in at {r.store} on {r.date}: "
        + (f"already checked in today, no points" if r.already else f"+{r.points} points")
        + f"; balance {r.balance}")
    return 0


def cmd_member_find(args) -> int:
    from pos.services import host_pos

    db = db_of(args)
    found = host_pos.member_lookup(db, args.query)  # the same list as GET /member?q= (pos.cli.serve)
    out(args, found,
        lambda: "\n".join(f"{m['member_code']}  {m['name'] or '-'}  {m['phone_masked']}  {m['tier']}  {m['points']} pts  "
                          f"last visit {m['last_visit'] or '-'}  id={m['id']}" for m in found)
        or "no member found")
    return 0 if found else EXIT_NOT_FOUND


def cmd_member_show(args) -> int:
    from pos.services import members

    db = db_of(args)
    d = members.detail(db, resolve_member(db, args.id))

    def text() -> str:
        lines = [f"{d.member_code}  {d.name or '-'}  {d.phone_masked}  tier={d.tier}  status={d.status}",
                 f"points={d.points}  stored_value={yuan(d.stored_value_fen)} yuan  joined={d.joined_at[:10]} at {d.joined_store}"]
        for key in ("gender", "birthday", "region", "address", "occupation", "income_band", "channel"):
            if getattr(d, key):
                lines.append(f"{key}: {getattr(d, key)}")
        lines += [f"card: {c['card_no']} ({c['kind']}, {c['status']})" for c in d.cards]
        if d.tags:
            lines.append("tags: " + ", ".join(t["tag"] for t in d.tags))
        lines += [f"{n['kind']}: {n['text']}" for n in d.notes]
        return "\n".join(lines)

    out(args, d.as_dict(), text)
    return 0


def cmd_member_merge(args) -> int:
    from pos.services import members

    db = db_of(args)
    doc = program_or_none(db)
    order = tuple(lv.code for lv in doc.tiers.levels) if doc else members.DEFAULT_TIER_ORDER
    r = members.merge(db, resolve_member(db, args.keep), resolve_member(db, args.other), actor=args.actor, tier_order=order)
    out(args, r.as_dict(), lambda: f"merged {r.merged_code} into {r.survivor.member_code}: {r.cards_moved} card(s), "
                                   f"{r.points_moved} points, {r.stored_value_moved_fen} fen stored value, "
                                   f"filled {', '.join(r.fields_filled) or 'nothing'}")
    return 0


def cmd_member_dupes(args) -> int:
    from pos.services import members

    db = db_of(args)
    found = members.duplicate_candidates(db, min_score=args.min_score, limit=args.limit)
    out(args, [c.as_dict() for c in found],
        lambda: "\n".join(f"{c.score:3d}  {c.a.member_code} {c.a.name}  ~  {c.b.member_code} {c.b.name}" for c in found)
        or "no candidates")
    return 0


def cmd_member_card(args) -> int:
    from pos.services import members

    db = db_of(args)
    members.add_card(db, resolve_member(db, args.member), args.card_no, kind=args.kind, actor=args.actor)
    out(args, {"ok": True, "card_no": args.card_no}, f"card {args.card_no} issued")
    return 0


def cmd_member_tag(args) -> int:
    from pos.services import members

    db = db_of(args)
    members.set_tag(db, resolve_member(db, args.member), args.tag, on=not args.remove, actor=args.actor)
    out(args, {"ok": True}, "ok")
    return 0


def cmd_member_note(args) -> int:
    from pos.services import member_bonuses

    db = db_of(args)
    award = member_bonuses.add_note(db, program_or_none(db), resolve_member(db, args.member), args.text,
                                    kind=args.kind, actor=args.actor, receipt_no=args.receipt)
    data = {"ok": True} | ({"receipt_no": args.receipt.strip().upper(), "points": award.points,
                           "already": award.already} if award is not None else {})
    out(args, data, lambda: "ok" + (f": review of {data['receipt_no']}, " + (
        "already rewarded" if award.already else f"+{award.points} points") if award is not None else ""))
    return 0


# --- catalog, program, ledger -------------------------------------------------------

def cmd_catalog_import(args) -> int:
    from pos.services import catalog

    db = db_of(args)
    report = catalog.import_csv(db, args.file)
    return import_out(args, report, lambda: f"imported {report.rows} row(s): {report.created} new, {report.updated} "
                                            f"updated, {report.barcodes_added} barcode(s) added")


def cmd_program_check(args) -> int:
    from pos.rules import program

    doc = program.load_file(args.file)
    summary = {"ok": True, "version": doc.version, "name": {"zh": doc.name.zh, "en": doc.name.en},
               "tiers": [lv.code for lv in doc.tiers.levels],
               "expiry": doc.expiry.model, "promotions": len(doc.promotions),
               "coupon_templates": len(doc.coupon_templates), "gifts": len(doc.gifts), "campaigns": len(doc.campaigns),
               "warnings": program.audience_warnings(doc, _check_merchant(args, doc))}
    out(args, summary, lambda: f"ok: {doc.version} ({doc.name.zh} / {doc.name.en}): tiers {', '.join(summary['tiers'])}; "
                               f"expiry {doc.expiry.model}; {summary['promotions']} promotion(s), "
                               f"{summary['coupon_templates']} coupon template(s), {summary['gifts']} gift(s), "
                               f"{summary['campaigns']} campaign(s)"
                               + "".join(f"\nwarning: {w}" for w in summary["warnings"]))
    return 0


def _check_merchant(args, doc) -> str | None:
    """`program check --db STORE`: the store's alliance merchant ("" none), read only when the document
    has alliance audiences and the store exists (None: no store named)."""
    from pathlib import Path

    path = getattr(args, "db", None)
    if not path or not Path(path).exists() or all(
            x.audience == "everyone" for x in [*doc.promotions, *doc.coupon_templates]):
        return None
    from pos.services.coin_sales import alliance_merchant

    db = db_of(args)
    try:
        with db.read() as s:
            return alliance_merchant(s)
    finally:
        db.close()


def cmd_program_install(args) -> int:
    from pos.rules import program
    from pos.store import program_store

    db = db_of(args)
    doc = program.preset(args.file[len("preset:"):]) if args.file.startswith("preset:") else program.load_file(args.file)
    program_store.install(db, doc, source="file", actor=args.actor)
    out(args, {"ok": True, "version": doc.version}, f"installed and activated {doc.version}")
    return 0


def cmd_program_show(args) -> int:
    from pos.rules import program
    from pos.store import program_store

    db = db_of(args)
    doc = program_store.ensure_default(db)
    out(args, program.to_json(doc), lambda: json.dumps(program.to_json(doc), ensure_ascii=False, indent=2))
    return 0


def cmd_ledger_verify(args) -> int:
    from pos.loyalty import ledger

    db = db_of(args)
    with db.read() as s:
        drift = ledger.find_drift(s)
    repaired = 0
    if drift and args.repair:
        with db.transaction() as s:
            repaired = ledger.rebuild_balances(s, db.clock.now())
    data = {"ok": not drift, "drift": [d.__dict__ | {"member_id": str(d.member_id)} for d in drift], "repaired": repaired}
    out(args, data, lambda: "ok: every cached balance equals the sum of its entries" if not drift else
        "\n".join(f"drift {d.member_id}: cached {d.cached_points} pts / {d.cached_sv_fen} fen, "
                  f"ledger {d.ledger_points} pts / {d.ledger_sv_fen} fen" for d in drift)
        + (f"\nrepaired {repaired}" if repaired else ""))
    return 0 if not drift or repaired else 3


# --- checkout, returns, expiry, tiers ----------------------------------------------

# The basket JSON is strict (issue 12): pos.services.host_pos.CheckoutInput, the same for POST /quote and
# /checkout of the local API (pos.cli.serve).

def _read_input(parse):
    """stdin (at most host_pos.MAX_INPUT_BYTES + 1 bytes are read) through `parse`; a request
    that cannot be read is one error line."""
    from pos.services import host_pos

    stream = getattr(sys.stdin, "buffer", None)
    raw = stream.read(host_pos.MAX_INPUT_BYTES + 1) if stream is not None else sys.stdin.read(host_pos.MAX_INPUT_BYTES + 1)
    try:
        return parse(raw)
    except host_pos.BadInput as exc:
        raise CliError(str(exc)) from None


def cmd_checkout(args) -> int:
    from pos.services import host_pos

    data = _read_input(host_pos.parse_basket)  # a malformed basket is refused before the store is opened
    db = db_of(args)
    lang = lang_of(args)
    # one function each for the CLI and POST /quote, /checkout (pos.cli.serve): the same JSON
    body = host_pos.quote(db, data, lang) if args.quote else host_pos.checkout(db, data, lang)
    out(args, body, lambda: sale_text(body))
    return 0


def sale_text(b: dict) -> str:
    t = b["totals"]
    lines = [f"{ln['code']}  {ln.get('name', '')}  x{ln['qty']}  {yuan(ln['net_fen'])}" + (f"  +{ln['points']} pts" if ln['points'] else "")
             for ln in b["lines"]]
    lines.append(f"total {yuan(t['gross_fen'])}  discount {yuan(t['discount_fen'])}  due {yuan(t['net_fen'])}"
                 + (f"  paid {yuan(t['paid_fen'])}  change {yuan(t['change_fen'])}" if "paid_fen" in t else ""))
    p = b["points"]
    lines.append(f"points earned {p['earned']}  redeemed {p['redeemed']}  balance {p.get('balance_after', '-')}")
    lines += [f"not applied: {r.get('name') or r['what']}: {r['reason']}" for r in b.get("refusals", [])]  # names, not codes
    if b.get("receipt_no"):
        lines.append(f"receipt {b['receipt_no']}")
    return "\n".join(lines)


def cmd_return(args) -> int:
    from pos.services import host_pos

    host_pos.check_receipt(args.receipt)
    db = db_of(args)
    try:
        wanted = host_pos.return_lines(args.line)
    except host_pos.BadInput as exc:
        raise CliError(str(exc)) from None
    # after the tier's return window a manager approves: the PIN by --manager-pin or MEMBERPOS_MANAGER_PIN
    pin = args.manager_pin if args.manager_pin is not None else os.environ.get("MEMBERPOS_MANAGER_PIN", "")
    got = host_pos.return_sale(db, args.receipt, wanted, plan=args.plan, cashier=args.cashier,
                               manager=args.manager, manager_pin=pin)  # the same as POST /return
    body = got.body
    if args.plan:
        out(args, body, lambda: json.dumps(body, ensure_ascii=False, indent=2))
        return 0
    r, override = got.result, got.manager
    out(args, body, lambda: sale_text(body) + f"\nrefund {yuan(r.plan.refund_fen)} yuan"
        + (f" (deducted {yuan(r.plan.deduction_fen)} for points already spent)" if r.plan.deduction_fen else "")
        + (f"; {r.plan.debt_points} points owed" if r.plan.debt_points else "")
        + (f"\n{r.plan.days_since_sale} days after the sale, past the {r.plan.window_days}-day return window: "
           f"approved by manager {override}" if override else "")
        + "".join(f"\ncoupon given back: {c['code']} ({c['template']}, replaces {c['was']}, valid to {c['valid_to'][:10]})"
                  for c in r.coupons_given))
    return 0


def _leave_to_hq(db, args, what: str, command: str) -> None:
    """An enrolled till leaves chain-wide jobs to HQ, unless told --local."""
    from pos.store import settings as store_settings

    if store_settings.enrolled(db) and not args.local:
        raise CliError(f"this till is enrolled with HQ ({store_settings.HQ_URL.get(db)}): {what} "
                       f"(`python main.py {command}`) and the result comes down with the next sync; "
                       "--local runs it here anyway", 2)


def cmd_expire(args) -> int:
    from pos.loyalty import expiry
    from pos.store import program_store

    db = db_of(args)
    day = parse_date(args.date) if args.date else db.clock.today()
    # HQ sees every store's sales and lots: expiring here too could post a lot twice
    _leave_to_hq(db, args, "points expire at HQ", f"hq expire --date {day}")
    report = expiry.run_expiry(db, program_store.active(db), day)
    out(args, report.as_dict() | {"date": day.isoformat()},
        lambda: f"expired {report.points} points in {report.lots} lot(s) of {report.members} member(s) up to {day}")
    return 0


def cmd_daily(args) -> int:
    from pos.services import daily

    db = db_of(args)
    if getattr(args, "since", None):
        from pos.cli.imports import catch_up
        return catch_up(args, db)
    r = daily.run_due(db, force=args.force)
    out(args, r, lambda: (f"daily jobs for {r['date']}: expiry {r.get('expiry')}, tiers {r.get('tiers')}, "
                          f"birthday {r.get('birthday')}, tags {r.get('tags', 'not in use')}") if r["ran"] else f"daily jobs already ran for {r['date']}")
    return 0


def cmd_tiers_review(args) -> int:
    from pos.loyalty import tiers
    from pos.store import program_store

    db = db_of(args)
    day = parse_date(args.date) if args.date else db.clock.today()
    # the spend within the validity was made at every store: only HQ sees it all
    _leave_to_hq(db, args, "tier reviews run at HQ", f"hq tiers review --date {day}")
    changes = tiers.review_due(db, program_store.active(db), day)
    data = {"date": day.isoformat(), "reviewed": len(changes),
            "changes": [c.__dict__ for c in changes if c.from_tier != c.to_tier]}
    out(args, data, lambda: f"reviewed {len(changes)} member(s); {len(data['changes'])} changed tier"
        + "".join(f"\n{c['member_id']}: {c['from_tier']} -> {c['to_tier']} ({c['reason']}, spend {yuan(c['spend_fen'])})" for c in data["changes"]))
    return 0


def cmd_topup(args) -> int:
    from pos.services import checkout

    db = db_of(args)
    amount = strict_fen(args.amount_fen)
    r = checkout.topup(db, resolve_member(db, args.member), amount,
                       [checkout.Tender(args.tender, amount)], cashier=args.cashier or "")
    out(args, r.as_dict(), lambda: f"receipt {r.receipt_no}: topped up {yuan(amount)} yuan")
    return 0


# --- parser ----------------------------------------------------------------------

def register(sub: argparse._SubParsersAction) -> None:
    c = common()

    p = sub.add_parser("demo", parents=[c], help="build a deterministic demo store")
    p.add_argument("--members", type=int, default=2000)
    p.add_argument("--products", type=int, default=300)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--sales", type=int, default=0, help="sales history made through the pricing engine")
    p.set_defaults(func=cmd_demo)

    mp = sub.add_parser("member", help="members: add, find, show, merge, dupes, card, tag, note")
    ms = mp.add_subparsers(dest="member_cmd", required=True)
    p = ms.add_parser("add", parents=[c], help="join with a phone number")
    p.add_argument("--phone", required=True)
    for key in PROFILE_OPTS:
        p.add_argument(f"--{key.replace('_', '-')}", dest=key)
    p.add_argument("--card", help="member card number to issue")
    p.add_argument("--tag", action="append")
    p.add_argument("--consent", action="store_true", help="marketing consent given")
    p.add_argument("--referrer", help="the member who referred them (id, code, card or phone)")
    p.add_argument("--actor", default="cli")
    p.set_defaults(func=cmd_member_add)
    p = ms.add_parser("checkin", parents=[c], help="an arrival check-in: the program's check-in points, once a day per store")
    p.add_argument("member")
    p.add_argument("--actor", default="cli")
    p.set_defaults(func=cmd_member_checkin)
    p = ms.add_parser("find", parents=[c], help="by phone, last 4 digits, card number, member code, name or phone fragment (138****8000)")
    p.add_argument("query")
    p.set_defaults(func=cmd_member_find)
    p = ms.add_parser("show", parents=[c], help="a member's profile, cards, tags, balances")
    p.add_argument("id", help="member id, code, card or phone")
    p.set_defaults(func=cmd_member_show)
    p = ms.add_parser("merge", parents=[c], help="fold OTHER into KEEP (a manager action)")
    p.add_argument("keep")
    p.add_argument("other")
    p.add_argument("--actor", default="manager")
    p.set_defaults(func=cmd_member_merge)
    p = ms.add_parser("dupes", parents=[c], help="fuzzy duplicate candidates (name + address)")
    p.add_argument("--min-score", type=int, default=80)
    p.add_argument("--limit", type=int, default=50)
    p.set_defaults(func=cmd_member_dupes)
    p = ms.add_parser("card", parents=[c], help="issue a card to a member")
    p.add_argument("member")
    p.add_argument("card_no")
    p.add_argument("--kind", default="magstripe", choices=["magstripe", "barcode", "virtual"])
    p.add_argument("--actor", default="cli")
    p.set_defaults(func=cmd_member_card)
    p = ms.add_parser("tag", parents=[c], help="add (or --remove) a manual tag")
    p.add_argument("member")
    p.add_argument("tag")
    p.add_argument("--remove", action="store_true")
    p.add_argument("--actor", default="cli")
    p.set_defaults(func=cmd_member_tag)
    p = ms.add_parser("note", parents=[c], help="service note, complaint or suggestion")
    p.add_argument("member")
    p.add_argument("text")
    p.add_argument("--kind", default="note", choices=["note", "complaint", "suggestion", "review"])
    p.add_argument("--receipt", help="review: the receipt of the sale it is about (the review bonus, once per sale)")
    p.add_argument("--actor", default="cli")
    p.set_defaults(func=cmd_member_note)
    from pos.cli import imports
    imports.register_member(ms, c)
    from pos.cli import privacy
    privacy.register(ms, c)
    imports.register_history(sub, c)

    cp = sub.add_parser("catalog", help="catalog import")
    cs = cp.add_subparsers(dest="catalog_cmd", required=True)
    p = cs.add_parser("import", parents=[c], help="CSV: barcode,name,category,price_fen,kind[,member_price_fen,sku,no_member_discount]")
    p.add_argument("file")
    p.set_defaults(func=cmd_catalog_import)

    pp = sub.add_parser("program", help="loyalty program documents")
    ps = pp.add_subparsers(dest="program_cmd", required=True)
    p = ps.add_parser("check", parents=[c], help="validate a program file (JSON or TOML)")
    p.add_argument("file")
    p.set_defaults(func=cmd_program_check)
    p = ps.add_parser("install", parents=[c], help="install and activate a program file (or preset:NAME)")
    p.add_argument("file")
    p.add_argument("--actor", default="cli")
    p.set_defaults(func=cmd_program_install)
    p = ps.add_parser("show", parents=[c], help="print the active program")
    p.set_defaults(func=cmd_program_show)

    p = sub.add_parser("checkout", parents=[c], help="quote or commit a sale read from stdin (JSON)")
    p.add_argument("--quote", action="store_true", help="price only, commit nothing")
    p.set_defaults(func=cmd_checkout)
    p = sub.add_parser("return", parents=[c], help="return a sale by receipt number, all lines or some")
    p.add_argument("--receipt", required=True)
    p.add_argument("--line", action="append", help="CODE:QTY (repeat); none = the whole sale")
    p.add_argument("--plan", action="store_true", help="show the consequences, commit nothing")
    p.add_argument("--cashier")
    p.add_argument("--manager", metavar="CODE", help="a manager approves a return after the tier's return window")
    p.add_argument("--manager-pin", metavar="PIN", help="the manager's PIN (or MEMBERPOS_MANAGER_PIN)")
    p.set_defaults(func=cmd_return)
    chain_job = argparse.ArgumentParser(add_help=False)  # a dated job an enrolled till leaves to HQ
    chain_job.add_argument("--date", help="YYYY-MM-DD (default: today)")
    chain_job.add_argument("--local", action="store_true", help="run here although the till is enrolled with HQ")
    p = sub.add_parser("expire", parents=[c, chain_job], help="post points expiry up to a date (idempotent)")
    p.set_defaults(func=cmd_expire)
    p = sub.add_parser("daily", parents=[c], help="today's jobs once: expiry and tier review (standalone tills), tags")
    p.add_argument("--force", action="store_true", help="run again although they ran today")
    p.add_argument("--since", help="catch up: replay expiry and tier reviews day by day from DATE to today "
                                   "(after an import; resumes where a stopped run ended)")
    p.set_defaults(func=cmd_daily)
    tp = sub.add_parser("tiers", help="tier reviews")
    ts = tp.add_subparsers(dest="tiers_cmd", required=True)
    p = ts.add_parser("review", parents=[c, chain_job], help="review tiers whose validity ended by a date")
    p.set_defaults(func=cmd_tiers_review)
    imports.register_calibrate(ts, c)
    p = sub.add_parser("topup", parents=[c], help="top up a member's stored value")
    p.add_argument("member")
    p.add_argument("amount_fen", help="whole fen, e.g. 10000 = 100 yuan")
    p.add_argument("--tender", default="cash", choices=["cash", "bank_card", "wechat", "alipay"])
    p.add_argument("--cashier")
    p.set_defaults(func=cmd_topup)

    lp = sub.add_parser("ledger", help="ledger checks")
    ls = lp.add_subparsers(dest="ledger_cmd", required=True)
    p = ls.add_parser("verify", parents=[c], help="recompute every balance from the entries; report drift")
    p.add_argument("--repair", action="store_true", help="rewrite drifted cache rows from the entries")
    p.set_defaults(func=cmd_ledger_verify)

    from pos.cli import reports
    reports.register(sub, c)  # report, segments tag, churn issue (issue 7)
    __import__("pos.cli.ops").cli.ops.register(sub, c)  # backup, restore, doctor (issue 19)
    from pos.cli import points
    points.register(sub, c)  # points convert, coupon exchange, lottery draw/verify, campaign draw (issue 14)
    from pos.cli import parcels
    parcels.register(sub, c)  # parcel receive, pickup, list (issue 18)
    from pos.cli import serve
    serve.register(sub, c)  # the local API for a host POS (issue 20)

