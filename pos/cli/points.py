"""Using points outside a sale (issue 14): `points convert`, `coupon exchange`,
`lottery draw`, `lottery verify`, `campaign draw`."""
from __future__ import annotations

import datetime as dt

from pos.cli.common import CliError, db_of, out, parse_date, resolve_member
from pos.errors import echo
from pos.rules.money import yuan


def _whole(text: str, what: str, lo: int = 1, hi: int = 1_000_000_000) -> int:
    """A whole number as typed: ASCII digits only (no " 2 ", "1_000", "٣")."""
    if not (text.isascii() and text.isdigit()) or len(text) > 10 or not lo <= int(text) <= hi:
        raise CliError(f"{what} must be a whole number from {lo} to {hi}, got {echo(text, 24)!r}")
    return int(text)


def cmd_points_convert(args) -> int:
    from pos.services import points_uses

    db = db_of(args)
    points = _whole(args.points, "--points")
    r = points_uses.convert_to_stored_value(db, resolve_member(db, args.member), points, actor=args.actor)
    out(args, r.as_dict(), lambda: f"converted {r.points} points to {yuan(r.stored_value_fen)} yuan of stored value; "
                                   f"points {r.points_balance}, stored value {yuan(r.stored_value_balance_fen)} yuan")
    return 0


def cmd_coupon_exchange(args) -> int:
    from pos.services import points_uses

    db = db_of(args)
    r = points_uses.exchange_coupon(db, resolve_member(db, args.member), args.template, actor=args.actor)
    out(args, r.as_dict(), lambda: f"coupon {r.coupon_code} ({r.template}, valid to {r.valid_to}) for {r.points} points; "
                                   f"points {r.points_balance}")
    return 0


def cmd_lottery_draw(args) -> int:
    from pos.services import lottery

    db = db_of(args)
    r = lottery.draw(db, resolve_member(db, args.member), actor=args.actor)

    def text() -> str:
        what = ("no prize (thank you)" if r.thanks else f"+{r.points} points" if r.points else
                f"coupon {r.coupon_code} ({r.coupon_template})" if r.coupon_code else f"gift {r.gift} (hand it over)")
        return (f"draw {r.draw_id}: {r.name_en} — {what}; cost {r.cost} points, balance {r.points_balance}\n"
                f"seed {r.seed} (sha256 {r.seed_hash}, recorded before the draw)")

    out(args, r.as_dict(), text)
    return 0


def cmd_lottery_verify(args) -> int:
    from pos.services import lottery

    db = db_of(args)
    v = lottery.verify(db, args.draw_id)
    out(args, v.as_dict(), lambda: (
        f"draw {v.draw_id} ({v.kind}): " + ("verified" if v.ok else "DOES NOT VERIFY")
        + f"; sha256(seed) {'matches' if v.seed_matches else 'does not match'} the hash committed at {v.committed_at}; "
        + f"outcome {'recomputed the same' if v.outcome_matches else 'differs'}: {v.recomputed}"))
    return 0 if v.ok else 3


def _day_start(db, text: str | None) -> dt.datetime | None:
    return db.clock.start_of_day(parse_date(text)) if text else None


def cmd_campaign_draw(args) -> int:
    from pos.services import lottery

    db = db_of(args)
    winners = _whole(args.winners, "--winners", 1, lottery.MAX_WINNERS)
    points = _whole(args.points, "--points") if args.points is not None else 0
    start = _day_start(db, args.date_from)
    end = db.clock.start_of_day(parse_date(args.date_to) + dt.timedelta(days=1)) if args.date_to else None
    r = lottery.campaign_draw(db, args.campaign, winners, points=points, coupon=args.coupon,
                              start=start, end=end, actor=args.actor)
    out(args, r.as_dict(), lambda: (
        f"draw {r.draw_id}: campaign {r.campaign}, {len(r.winners)} winner(s) among {r.candidates} member(s) "
        f"who bought from {r.window['start']} to {r.window['end']}\n"
        + "".join(f"{w['member_code']}  {w['phone_masked']}" + (f"  +{w['points']} points" if w['points'] else "")
                  + (f"  coupon {w['coupon_code']}" if w['coupon_code'] else "") + "\n" for w in r.winners)
        + f"seed {r.seed} (sha256 {r.seed_hash}, recorded before the draw)"))
    return 0


def register(sub, common) -> None:
    p = sub.add_parser("points", help="points outside a sale: convert to stored value")
    ps = p.add_subparsers(dest="points_cmd", required=True)
    p = ps.add_parser("convert", parents=[common], help="convert points to stored value at the program's point value")
    p.add_argument("member", help="member id, code, card or phone")
    p.add_argument("--points", required=True, help="whole points, a multiple of the program's step")
    p.add_argument("--to", required=True, choices=["stored-value"], help="what the points become")
    p.add_argument("--actor", default="cli")
    p.set_defaults(func=cmd_points_convert)

    p = sub.add_parser("coupon", help="coupons: exchange points for one")
    cs = p.add_subparsers(dest="coupon_cmd", required=True)
    p = cs.add_parser("exchange", parents=[common], help="a coupon of TEMPLATE for its points_cost, into the wallet")
    p.add_argument("member", help="member id, code, card or phone")
    p.add_argument("template", help="coupon template code (points_cost > 0)")
    p.add_argument("--actor", default="cli")
    p.set_defaults(func=cmd_coupon_exchange)

    p = sub.add_parser("lottery", help="the points lottery: draw, verify")
    ls = p.add_subparsers(dest="lottery_cmd", required=True)
    p = ls.add_parser("draw", parents=[common], help="spend bonuses.lottery_cost points for one draw of the prize table")
    p.add_argument("member", help="member id, code, card or phone")
    p.add_argument("--actor", default="cli")
    p.set_defaults(func=cmd_lottery_draw)
    p = ls.add_parser("verify", parents=[common], help="recompute a draw from its recorded seed (exit 3 if it differs)")
    p.add_argument("draw_id")
    p.set_defaults(func=cmd_lottery_verify)

    p = sub.add_parser("campaign", help="campaign draws")
    cs = p.add_subparsers(dest="campaign_cmd", required=True)
    p = cs.add_parser("draw", parents=[common],
                      help="draw winners among the members who bought in the campaign's window (once per campaign)")
    p.add_argument("campaign", help="campaign code of the program")
    p.add_argument("--winners", required=True, help="how many winners")
    p.add_argument("--points", help="points each winner gets")
    p.add_argument("--coupon", help="coupon template each winner gets")
    p.add_argument("--from", dest="date_from", help="YYYY-MM-DD: the window's first day (default: the campaign's)")
    p.add_argument("--to", dest="date_to", help="YYYY-MM-DD: the window's last day (default: the campaign's)")
    p.add_argument("--actor", default="cli")
    p.set_defaults(func=cmd_campaign_draw)
