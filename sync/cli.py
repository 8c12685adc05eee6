"""`python main.py hq ...`, `enrol` and `sync`: HQ and store sync from the command line.

    python main.py hq --db URL --host 127.0.0.1 --port 8700 [--workers N]   serve HQ (N processes: PostgreSQL)
    python main.py hq store add CODE --name NAME [--new-code]    prints a one-time enrolment code
    python main.py hq store revoke CODE                          the store's tills are refused at once
    python main.py hq store rotate CODE                          revoke, and print a new enrolment code
    python main.py hq store qr CODE --out FILE.png|.pdf [--base URL] [--days N]   the store's join QR
    python main.py hq store checkin-qr CODE --out FILE.png|.pdf [--base URL] [--days N]   the door check-in QR
    python main.py hq referrals [--top N] [--json]              joins and sales by referral
    python main.py hq report o2o [--from D --to D | --date D] [--tz Z] [--overdue-days 7] [--visit-minutes 60] [--json]
                                                                 parcels, pickup conversion, online vs store share
    python main.py hq program publish FILE
    python main.py hq catalog import FILE.csv
    python main.py hq exceptions [--all] [--json]
    python main.py hq member show PHONE [--json]                 online orders included (points, pending)
    python main.py hq member import FILE.csv [--dry-run] [--duplicates report|merge] [--no-rewards] [--json]
    python main.py hq channel add NAME [--rotate]                an online shop's API key for POST /v1/orders
    python main.py hq phones [--offline-unmask on|off] [--json]   tills keep hashes, or numbers
    python main.py hq audit [--json]                             who unmasked which phone
    python main.py enrol --hq URL --code CODE                    on a till: store its credential
    python main.py sync --once [--json] | --status | [--interval S]

The commands, options and JSON fields are a public interface, like the rest of
the CLI. Errors exit 2 with one line on stderr (1: not found; 3: HQ unreachable).
"""
from __future__ import annotations

import argparse
import json
import socket
import sys
import time
from zoneinfo import ZoneInfo

from pos.cli.common import CliError, common, db_of, out, parse_date

EXIT_OFFLINE = 3


def _hq(args):
    from .server.db import HQDatabase

    try:
        return HQDatabase(getattr(args, "db", None))
    except Exception as exc:  # unreachable database, bad URL
        raise CliError(f"cannot open the HQ database: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}") from None


def _admin(fn):
    def run(args):
        from .server.admin import AdminError

        try:
            return fn(args)
        except AdminError as exc:
            raise CliError(str(exc), 1 if exc.status == 404 else 2) from None
    return run


# --- HQ ------------------------------------------------------------------------------------

def cmd_hq_serve(args) -> int:
    from .server.app import SQLITE_WORKERS, serve

    hq = _hq(args)  # migrate (and fail clearly) before binding the port
    url = hq.url
    hq.close()
    workers = args.workers
    if workers < 1 or workers > 64:
        raise CliError(f"--workers must be 1 to 64, got {workers}")
    if workers > 1 and not url.startswith("postgresql"):
        raise CliError(SQLITE_WORKERS)
    print(f"HQ on http://{args.host}:{args.port} ({url.split('://')[0]}"
          f"{f', {workers} workers' if workers > 1 else ''})", flush=True)
    serve(url, args.host, args.port, workers=workers)
    return 0


@_admin
def cmd_store_add(args) -> int:
    from .server import admin

    got = admin.store_add(_hq(args), args.code, args.name or "", new_code=args.new_code,
                          merchant=getattr(args, "merchant", None))
    out(args, got, lambda: f"store {got['store']} ({got['name']}, merchant {got['merchant']}): {_enrol_hint(got)}")
    return 0


def _enrol_hint(got: dict) -> str:
    """How to use the one-time enrolment code HQ just issued."""
    return (f"enrolment code {got['enrol_code']} (one use, until {got['expires_at'][:16]})\n"
            f"on the till: python main.py enrol --hq URL --code {got['enrol_code']}")


def _store_qr(args, link, unknown: type[Exception], what: str) -> int:
    """A store's signed, expiring link (`link(hq, code, base, days=)`) written as a QR, PNG or PDF."""
    import os
    from pathlib import Path

    import segno

    out_path = Path(args.out)
    kind = out_path.suffix.lower().lstrip(".")
    if kind not in ("png", "pdf"):
        raise CliError(f"--out must end in .png or .pdf, got {out_path.name!r}")
    base = args.base or os.environ.get("MEMBERPOS_PUBLIC_URL") or "http://127.0.0.1:8700"
    if not base.startswith(("http://", "https://")):
        raise CliError(f"--base must be an http(s) URL, got {base[:60]!r}")
    if args.days < 1 or args.days > 3660:
        raise CliError("--days must be 1 to 3660")
    try:
        got = link(_hq(args), args.code, base, days=args.days)
    except unknown:
        raise CliError(f"no store {args.code!r} (hq store add {args.code} --name NAME)", 1) from None
    try:
        out_path.parent.mkdir(parents=True, exist_ok=True)
        segno.make(got["url"], error="m").save(str(out_path), kind=kind, scale=12 if kind == "png" else 6, border=4)
    except OSError as exc:
        raise CliError(f"cannot write {out_path}: {exc.strerror or exc}") from None
    got["out"] = str(out_path)
    out(args, got, lambda: f"store {got['store']} ({got['name']}): {what} QR written to {got['out']} "
                           f"(link valid until {got['expires_at'][:10]})\n{got['url']}")
    return 0


def cmd_store_qr(args) -> int:
    """The store's join QR (issue 16): a signed, expiring URL of HQ's join page."""
    from .server import member_self

    return _store_qr(args, member_self.store_link, member_self.StoreUnknown, "join")


def cmd_store_checkin_qr(args) -> int:
    """The store's door check-in QR (issue 16 item 4): a signed, expiring URL of HQ's check-in page."""
    from .server import checkins

    return _store_qr(args, checkins.checkin_link, checkins.StoreUnknown, "check-in")


def cmd_hq_referrals(args) -> int:
    """Joins and sales by referral (forwarded coupons, referred members), chain-wide."""
    from .server import forwarding

    got = forwarding.report(_hq(args), top=args.top)

    def text() -> str:
        j, sa, f, c = got["joins"], got["sales"], got["forwards"], got["credits"]
        lines = [f"joins by referral: {j['referred_members']} members referred by {j['referrers']} members",
                 f"sales by referral: {sa['sales']} sales by {sa['referred_buyers']} referred members, "
                 f"net ¥{sa['net_fen'] / 100:,.2f}",
                 f"forwarded coupons: {f['links']} links, {f['claimed']} taken, {f['used']} used "
                 f"(¥{f['used_fen'] / 100:,.2f} off)",
                 f"referral credits: {c['awards']} awards, {c['points']} points"]
        lines += [f"  {r['member_code']}: {r['referred']} referred" for r in j["top_referrers"]]
        return "\n".join(lines)

    out(args, got, text)
    return 0


def cmd_hq_report_o2o(args) -> int:
    """Chain-wide O2O figures (issue 18 item 4; sync.server.o2o_report)."""
    from pos.cli.reports import o2o_text

    from .server import o2o_report

    end = parse_date(args.to) if args.to else _business_day(args)
    start = parse_date(getattr(args, "from")) if getattr(args, "from") else end
    if end < start:
        raise CliError(f"--to {end} is before --from {start}")
    if args.overdue_days < 1 or args.visit_minutes < 1:
        raise CliError("--overdue-days and --visit-minutes must be at least 1")
    got = o2o_report.report(_hq(args), start, end, tz=args.tz, overdue_days=args.overdue_days,
                            visit_minutes=args.visit_minutes)
    out(args, got, lambda: o2o_text(got) + "".join(
        f"\n  store {k}: received {v['received']}, collected {v['collected']}, overdue {v['overdue_at_end']}"
        for k, v in got["stores"].items()))
    return 0


@_admin
def cmd_store_revoke(args) -> int:
    from .server import admin

    got = admin.store_revoke(_hq(args), args.code)
    out(args, got, lambda: f"store {got['store']} ({got['name']}): {got['revoked_tokens']} till token(s) revoked; "
                           f"its tills are refused from now on (enrol again with a code from `hq store rotate`)")
    return 0


@_admin
def cmd_store_rotate(args) -> int:
    from .server import admin

    got = admin.store_rotate(_hq(args), args.code)
    out(args, got, lambda: f"store {got['store']} ({got['name']}): {got['revoked_tokens']} old till token(s) revoked; "
                           f"new {_enrol_hint(got)} (each further till: hq store add {got['store']} --new-code)")
    return 0


@_admin
def cmd_program_publish(args) -> int:
    from .server import admin

    got = admin.program_publish(_hq(args), args.file, activate=not args.no_activate)
    out(args, got, f"published {got['version']}" + (" (active)" if got["active"] else ""))
    return 0


@_admin
def cmd_catalog_import(args) -> int:
    from .server import admin

    got = admin.catalog_import(_hq(args), args.file)
    if not got["ok"] and not getattr(args, "json", False):
        print("\n".join(f"line {e['line']}: {e['reason']}" for e in got["errors"])
              + f"\n{len(got['errors'])} bad row(s); nothing imported", file=sys.stderr)
        return 2
    out(args, got, f"imported {got['rows']} row(s): {got['created']} new, {got['updated']} updated")
    return 0 if got["ok"] else 2


@_admin
def cmd_hq_phones(args) -> int:
    """The chain's phone policy: tills keep hashes (default) or may unmask offline."""
    from .server import phones

    hq = _hq(args)
    if args.offline_unmask is not None:
        phones.set_offline_unmask(hq, args.offline_unmask == "on")
    got = {k: v for k, v in phones.policy(hq).items() if k != "key"}  # the key is for tills only
    out(args, got, lambda: "offline unmasking: " + ("on — tills keep full phone numbers and unmask locally"
                                                    if got["offline_unmask"] else
                                                    "off — tills keep a keyed hash, last 4 and the masked form; "
                                                    "unmasking asks HQ (audited: hq audit)"))
    return 0


def cmd_hq_audit(args) -> int:
    from .server import phones

    rows = phones.audit_log(_hq(args), limit=args.limit)
    out(args, rows, lambda: "\n".join(f"{r['at'][:19]}  {r['action']}  store={r['store']} actor={r['actor']} "
                                       f"member={(r['detail'] or {}).get('member_code', r['member_id'])}"
                                       for r in rows) or "no audit entries")
    return 0


def cmd_exceptions(args) -> int:
    from .server import admin

    rows = admin.exceptions(_hq(args), status="all" if args.all else "open")

    def text() -> str:
        if not rows:
            return "no open exceptions"
        return "\n".join(f"{r['created_at'][:19]}  {r['kind']:<14} store={r['store'] or '-'}  "
                         f"member={(r['member'] or {}).get('member_code', '-')} "
                         f"{(r['member'] or {}).get('phone_masked', '')}  {json.dumps(r['detail'], ensure_ascii=False)}"
                         for r in rows)

    out(args, rows, text)
    return 0


def _business_day(args):
    """--date, else today in the chain's zone (--tz), for HQ's dated jobs."""
    import datetime as dt

    return parse_date(args.date) if args.date else dt.datetime.now(ZoneInfo(args.tz)).date()


def cmd_hq_expire(args) -> int:
    from .server import expiry

    day = _business_day(args)
    r = expiry.run(_hq(args), day, tz=args.tz)
    out(args, r.as_dict(), lambda: f"HQ expired {r.points} points in {r.lots} lot(s) of {r.members} member(s) "
                                   f"on {r.day} ({r.model}, program {r.program}); the tills get them with their next sync")
    return 0


def cmd_hq_birthday(args) -> int:
    from .server import birthday

    day = _business_day(args)
    r = birthday.run(_hq(args), day, tz=args.tz)
    out(args, r.as_dict(), lambda: f"HQ gave birthday gifts to {r.members} member(s) on {r.day}: {r.coupons} coupon(s), "
                                   f"{r.points} points (program {r.program}); the tills get them with their next sync")
    return 0


def cmd_hq_tiers_review(args) -> int:
    from .server import reviews

    day = _business_day(args)
    r = reviews.run(_hq(args), day, tz=args.tz)

    def text() -> str:
        what = "whose tier ended" if r.qualification == "cumulative" else "due for the window re-check"
        return "\n".join([f"HQ reviewed {r.reviewed} member(s) {what} by {r.day}; {len(r.changes)} changed"]
                         + [f"{c['member_code']}: {c['from']} -> {c['to']} (spend {c['spend_fen'] / 100:.2f})"
                            for c in r.changes])

    out(args, r.as_dict(), text)
    return 0


@_admin
def cmd_member_show(args) -> int:
    from .server import admin

    if getattr(args, "merchant", None):
        v = admin.member_show(_hq(args), args.phone, merchant=args.merchant)
        out(args, v, lambda: _merchant_view_text(v))
        return 0
    m = admin.member_show(_hq(args), args.phone)
    out(args, m, lambda: f"{m['member_code']}  {m['name'] or '-'}  {m['phone_masked']}  tier={m['tier']}  "
                         f"points={m['points']}  stored_value={m['stored_value_fen'] / 100:.2f}\n"
                         f"points by store: {m['points_by_store']}  sales: {m['sales']}  "
                         f"merged: {', '.join(x['member_code'] for x in m['merged']) or '-'}"
                         + (("\nby merchant: " + ", ".join(
                             f"{x['merchant']} {x['points']} points {x['stored_value_fen'] / 100:.2f} stored tier={x['tier']}"
                             for x in m["by_merchant"])) if len(m.get("by_merchant") or []) > 1 else "")
                         + "".join(f"\nonline {o['channel']}:{o['order_id']}  {o['status']}  "
                                   f"{o['paid_fen'] / 100:.2f}  points={o['points']}"
                                   + ("  pending until " + o['available_at'][:10] if o['pending'] else "")
                                   + ("  (taken back)" if o['points_reversed'] else "")
                                   + (f"  parcel {o['parcel']['label']} at {o['parcel']['store']}: {o['parcel']['status']}"
                                      if o['parcel'] else "")
                                   for o in m.get("online_orders", [])))
    return 0


def _merchant_view_text(v: dict) -> str:
    h, e = v["history"], v["elsewhere"]
    who = (v["personal"] or {}).get("name") or "-" if v["consent"] else "(no consent: personal fields withheld)"
    lines = [f"{v['member_code']} ({v['phone_masked']}) as merchant {v['merchant']} sees them: {who}",
             f"  tier {v['tier']}  points {v['points']} ({v['points_available']} available)  "
             f"stored value {v['stored_value_fen'] / 100:.2f}  coins {v['coins']['balance']} (shared)  "
             f"home merchant {v['home_merchant']}",
             f"  here ({', '.join(v['stores']) or '-'}): {h['sales']} sale(s), net {h['net_fen'] / 100:.2f}"]
    lines += [f"    {r['at'][:10]}  {r['store']}  {r['receipt_no']}  {r['kind']}  {r['net_fen'] / 100:.2f}"
              for r in h["recent"]]
    lines.append(f"  elsewhere in the alliance (aggregate): {e['visits']} visit(s) at {e['merchants']} merchant(s), "
                 f"net {e['net_fen'] / 100:.2f}, last {e['last_visit'] or '-'}")
    return "\n".join(lines)


@_admin
def cmd_channel_add(args) -> int:
    from .server import channels

    got = channels.add(_hq(args), args.name, rotate=args.rotate)
    out(args, got, lambda: f"channel {got['channel']}{' (new key)' if got['rotated'] else ''}: key {got['key']}\n"
                           "shown once: the shop sends it as Authorization: Bearer <key> to POST /v1/orders")
    return 0


@_admin
def cmd_hq_member_import(args) -> int:
    """Members from a CSV at HQ (the till's file, checks and report); they flow down to every till."""
    from pos.cli.common import import_out
    from pos.errors import DomainError
    from pos.rules.money import yuan

    from .server import member_import

    try:
        r = member_import.import_csv(_hq(args), args.file, duplicates=args.duplicates, dry_run=args.dry_run,
                                     rewards=not args.no_rewards, actor=args.actor)
    except DomainError as exc:
        raise CliError(exc.message("en")) from None
    return import_out(args, r, lambda: (
        f"{'would import' if r.dry_run else 'imported'} {r.rows} row(s) at HQ: {r.created} new, {r.updated} updated, "
        f"{r.unchanged} unchanged, {r.merged} merged; opening points {r.points_fen}, "
        f"opening stored value {yuan(r.stored_value_fen)} yuan" + (" (dry run: nothing written)" if r.dry_run else "")))


def cmd_member_add(args) -> int:
    from .server import members as hq_members

    profile = {k: getattr(args, k) for k in ("name", "gender", "birthday", "region", "address") if getattr(args, k)}
    if args.consent:
        profile["marketing_consent"] = True
    m = hq_members.register(_hq(args), args.phone, **profile)
    r = m["rewards"]
    out(args, m, lambda: f"{m['member_code']}  {m['phone_masked']}  id={m['id']}\n"
                         f"sign-up rewards: {r['points']} points" + "".join(f", coupon {c}" for c in r["coupons"]))
    return 0


# --- till ------------------------------------------------------------------------------------

def cmd_enrol(args) -> int:
    from .client import HQError, HQUnavailable
    from .engine import enrol

    db = db_of(args)
    try:
        data = enrol(db, args.hq, args.code, device=args.device or socket.gethostname()[:64])
    except ValueError as exc:
        raise CliError(str(exc)) from None
    except HQUnavailable as exc:
        raise CliError(str(exc), EXIT_OFFLINE) from None
    except HQError as exc:
        raise CliError(f"{exc.message} [{exc.error}]") from None
    out(args, data, f"enrolled as store {data['store']} ({data['store_name']}) with {data['hq']}; "
                    f"run `python main.py sync --once` to sync")
    return 0


def cmd_sync(args) -> int:
    from .client import HQError, HQUnavailable
    from .engine import NotEnrolled, status, sync_once

    db = db_of(args)
    if args.status:
        st = status(db)
        out(args, st, lambda: f"store {st['store']}  hq {st['hq'] or '-'}  pending {st['pending']}  sent {st['sent']}  "
                              f"rejected {st['rejected']}  last sync {st['last_sync_at'] or 'never'}"
            + "".join(f"\nrejected #{e['seq']} {e['kind']}: {e['reason']}" for e in st["rejected_events"]))
        return 0
    while True:
        try:
            got = sync_once(db)
            code = 0
        except NotEnrolled as exc:
            raise CliError(str(exc)) from None
        except HQUnavailable as exc:
            got, code = {"ok": False, "error": "offline", "message": str(exc), "status": status(db)}, EXIT_OFFLINE
        except HQError as exc:
            got, code = {"ok": False, "error": exc.error, "message": exc.message, "status": status(db)}, 2

        def text(got=got) -> str:
            if not got["ok"]:
                return f"sync failed: {got['message']}"
            p, q = got["pushed"], got["pulled"]
            lines = [f"pushed {p['events']} event(s): {p['accepted']} accepted, {p['duplicate']} duplicate, "
                     f"{p['rejected']} rejected; pulled {q['changes']} change(s) in {q['pages']} page(s)"]
            lines += [f"rejected {e['kind']} {e['event_id']}: {e['reason']}" for e in p["rejected_events"]]
            if q["programs"]:
                lines.append("program(s): " + ", ".join(q["programs"]))
            return "\n".join(lines)

        out(args, got, text)
        if args.once:
            if code and not getattr(args, "json", False):
                print(f"error: {got['message']}", file=sys.stderr)
            return code
        sys.stdout.flush()
        time.sleep(args.interval)


# --- parser ------------------------------------------------------------------------------------

def register(sub: argparse._SubParsersAction) -> None:
    c = common()
    h = argparse.ArgumentParser(add_help=False)
    h.add_argument("--db", default=argparse.SUPPRESS,
                   help="HQ database: postgresql://user@host/db or a SQLite file (default $HQ_DATABASE_URL, "
                        "else hq.sqlite3 in the user data dir)")
    h.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="machine-readable output")

    hp = sub.add_parser("hq", parents=[h], help="headquarters: serve, stores, program, catalog, exceptions, members")
    hp.add_argument("--host", default="127.0.0.1")
    hp.add_argument("--port", type=int, default=8700)
    hp.add_argument("--workers", type=int, default=1,
                    help="worker processes serving HQ (default 1; more needs PostgreSQL: all state is in the database)")
    hp.set_defaults(func=cmd_hq_serve)
    hs = hp.add_subparsers(dest="hq_cmd")

    sp = hs.add_parser("store", help="stores and their enrolment codes")
    ss = sp.add_subparsers(dest="store_cmd", required=True)
    p = ss.add_parser("add", parents=[h], help="add a store; prints a one-time enrolment code")
    p.add_argument("code")
    p.add_argument("--name")
    p.add_argument("--new-code", action="store_true", help="store exists: issue another code (enrol one more till)")
    p.add_argument("--merchant", help="the alliance merchant the store belongs to (default main; hq merchant add)")
    p.set_defaults(func=cmd_store_add)
    p = ss.add_parser("qr", parents=[h], help="the store's join QR (signed link of HQ's join page) as PNG or PDF")
    p.add_argument("code")
    p.add_argument("--out", required=True, help="FILE.png or FILE.pdf")
    p.add_argument("--base", help="HQ's public URL the phones reach (default $MEMBERPOS_PUBLIC_URL, "
                                  "else http://127.0.0.1:8700)")
    p.add_argument("--days", type=int, default=400, help="the link expires after this many days (default 400)")
    p.set_defaults(func=cmd_store_qr)
    p = ss.add_parser("checkin-qr", parents=[h], help="the store's door check-in QR (signed link of HQ's check-in page)")
    p.add_argument("code")
    p.add_argument("--out", required=True, help="FILE.png or FILE.pdf")
    p.add_argument("--base", help="HQ's public URL the phones reach (default $MEMBERPOS_PUBLIC_URL, "
                                  "else http://127.0.0.1:8700)")
    p.add_argument("--days", type=int, default=400, help="the link expires after this many days (default 400)")
    p.set_defaults(func=cmd_store_checkin_qr)
    p = ss.add_parser("revoke", parents=[h], help="refuse every till of the store from now on (401)")
    p.add_argument("code")
    p.set_defaults(func=cmd_store_revoke)
    p = ss.add_parser("rotate", parents=[h], help="revoke the store's tokens and print a new enrolment code")
    p.add_argument("code")
    p.set_defaults(func=cmd_store_rotate)

    pp = hs.add_parser("program", help="loyalty program versions")
    ps = pp.add_subparsers(dest="program_cmd", required=True)
    p = ps.add_parser("publish", parents=[h], help="publish (and activate) a program file for every store")
    p.add_argument("file")
    p.add_argument("--no-activate", action="store_true")
    p.set_defaults(func=cmd_program_publish)

    cp = hs.add_parser("catalog", help="the chain's catalog")
    cs = cp.add_subparsers(dest="catalog_cmd", required=True)
    p = cs.add_parser("import", parents=[h], help="CSV like the till's; all rows or none")
    p.add_argument("file")
    p.set_defaults(func=cmd_catalog_import)

    p = hs.add_parser("exceptions", parents=[h], help="what a person must review: overdrafts, coupons used twice ...")
    p.add_argument("--all", action="store_true", help="resolved ones too")
    p.set_defaults(func=cmd_exceptions)

    dated = argparse.ArgumentParser(add_help=False)  # HQ's dated jobs
    dated.add_argument("--date", help="business date YYYY-MM-DD (default: today in --tz)")
    dated.add_argument("--tz", default="Asia/Shanghai", help="the chain's time zone for business dates")
    p = hs.add_parser("expire", parents=[h, dated], help="post points expiry for the whole chain (idempotent)")
    p.set_defaults(func=cmd_hq_expire)
    p = hs.add_parser("birthday", parents=[h, dated],
                      help="issue the birthday month's gifts for the whole chain, once a year per member (idempotent)")
    p.set_defaults(func=cmd_hq_birthday)

    tp = hs.add_parser("tiers", help="tier reviews for the whole chain")
    ts = tp.add_subparsers(dest="tiers_cmd", required=True)
    p = ts.add_parser("review", parents=[h, dated], help="review the members whose tier validity ended (idempotent)")
    p.set_defaults(func=cmd_hq_tiers_review)

    p = hs.add_parser("referrals", parents=[h], help="joins and sales by referral (forwarded coupons, referred members)")
    p.add_argument("--top", type=int, default=10, help="how many top referrers to list (default 10)")
    p.set_defaults(func=cmd_hq_referrals)
    rp = hs.add_parser("report", help="chain-wide reports")
    rs = rp.add_subparsers(dest="report_cmd", required=True)
    p = rs.add_parser("o2o", parents=[h, dated], help="parcels received / collected / overdue per day, pickup-to-purchase "
                                                      "conversion and voucher redemption, online vs store share of sales")
    p.add_argument("--from", dest="from", help="first business date YYYY-MM-DD (default: --to)")
    p.add_argument("--to", help="last business date YYYY-MM-DD (default: --date, else today in --tz)")
    p.add_argument("--overdue-days", type=int, default=7, help="a parcel waiting this many days is overdue (default 7)")
    p.add_argument("--visit-minutes", type=int, default=60,
                   help="a sale this many minutes after a pickup (same day, same store) is in the visit (default 60)")
    p.set_defaults(func=cmd_hq_report_o2o)
    p = hs.add_parser("phones", parents=[h], help="phone privacy: may tills keep full numbers to unmask offline?")
    p.add_argument("--offline-unmask", choices=("on", "off"), help="on: tills keep full numbers (default off)")
    p.set_defaults(func=cmd_hq_phones)
    p = hs.add_parser("audit", parents=[h], help="HQ's audit log: who unmasked which member's phone, from which store")
    p.add_argument("--limit", type=int, default=500)
    p.set_defaults(func=cmd_hq_audit)

    chp = hs.add_parser("channel", help="online shops that post orders to HQ (issue 18)")
    chs = chp.add_subparsers(dest="channel_cmd", required=True)
    p = chs.add_parser("add", parents=[h], help="add an online channel; prints its API key once (HQ keeps a hash)")
    p.add_argument("name")
    p.add_argument("--rotate", action="store_true", help="the channel exists: a new key, the old one stops")
    p.set_defaults(func=cmd_channel_add)

    mp = hs.add_parser("member", help="the member master")
    ms = mp.add_subparsers(dest="member_cmd", required=True)
    p = ms.add_parser("show", parents=[h], help="a member by phone, with balances from every store")
    p.add_argument("phone")
    p.add_argument("--merchant", help="what this alliance merchant sees: its own tier, points, stored value and "
                                      "sales; the other merchants' history in aggregate only (issue 17)")
    p.set_defaults(func=cmd_member_show)
    p = ms.add_parser("add", parents=[h], help="register a member at HQ, with the program's sign-up rewards (once)")
    p.add_argument("--phone", required=True)
    for key in ("name", "gender", "birthday", "region", "address"):
        p.add_argument(f"--{key}")
    p.add_argument("--consent", action="store_true", help="marketing consent given")
    p.set_defaults(func=cmd_member_add)
    from . import alliance_cli

    alliance_cli.register(hs, ms, h)  # issue 17: hq merchant ..., hq alliance ..., hq member consent
    from pos.services.import_formats import COLUMNS, DUPLICATES

    p = ms.add_parser("import", parents=[h], help=f"members from a CSV (UTF-8 or GB18030), as the till's `member import`; "
                                                  f"columns: {', '.join(COLUMNS)} (phone required); all rows or none")
    p.add_argument("file")
    p.add_argument("--dry-run", action="store_true", help="check every row against HQ; write nothing")
    p.add_argument("--duplicates", choices=DUPLICATES, default="report",
                   help="the same phone twice, or a phone HQ has: report it (default) or merge into one member")
    p.add_argument("--no-rewards", action="store_true",
                   help="give the new members no sign-up rewards (points, coupons); by default they get them once")
    p.add_argument("--actor", default="cli")
    p.set_defaults(func=cmd_hq_member_import)

    p = sub.add_parser("enrol", parents=[c], help="enrol this till with HQ (one-time code from `hq store add`)")
    p.add_argument("--hq", required=True, help="HQ's URL, e.g. http://hq.example:8700")
    p.add_argument("--code", required=True)
    p.add_argument("--device", help="a name for this till at HQ (default: host name)")
    p.set_defaults(func=cmd_enrol)

    p = sub.add_parser("sync", parents=[c], help="push the outbox to HQ and pull HQ's changes")
    p.add_argument("--once", action="store_true", help="one round, then exit (exit 3 when HQ is unreachable)")
    p.add_argument("--status", action="store_true", help="what is waiting, what was rejected (no network)")
    p.add_argument("--interval", type=float, default=60.0, help="seconds between rounds without --once")
    p.set_defaults(func=cmd_sync)
