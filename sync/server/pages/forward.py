"""Coupon forwarding (issue 16 item 5): a member forwards a forwardable coupon as a signed
link; the friend opens it, joins with a phone number (a one-time code, as the store QR's
join) or signs in, and the coupon is theirs — once.

    GET  /m/forward                   my forwardable coupons, a "forward" button each
    POST /m/forward                   code -> the link (and its QR) to send to a friend
    GET  /m/forward/<token>           the friend's landing: the coupon, join or sign in / take it
    POST /m/forward/<token>/take      a signed-in friend takes it
    POST /m/forward/<token>/join      phone -> a one-time code (throttled)
    POST /m/forward/<token>/verify    code + terms -> a member (referred by the forwarder), the coupon moved

A link already taken, expired, or a coupon used meanwhile is refused with a sentence
(410). The wallet page links here (`wallet_hook`) when the member has a forwardable coupon.
"""
from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from .. import forwarding, member_self, otp, signing
from . import join as join_pages
from . import render, session
from .render import esc, t

router = APIRouter()


def _hq(request: Request):
    return request.app.state.hq


def _yuan(fen: int) -> str:
    return f"¥{fen / 100:,.2f}"


def _en(request: Request) -> str:
    return "?lang=en" if request.query_params.get("lang") == "en" else ""


REFUSED = {
    "claimed": ("这张券已被领取，每个转赠链接只能领取一次。", "This coupon has already been taken: a forward link can be taken once."),
    "expired": ("转赠链接已过期。", "This forward link has expired."),
    "used": ("这张券已被使用。", "This coupon has been used."),
    "void": ("这张券已作废。", "This coupon is no longer valid."),
    "own": ("这是您自己转赠的券，请发给朋友领取。", "You forwarded this coupon yourself: send the link to a friend."),
    "gone": ("找不到这张券。", "This coupon cannot be found."),
    "not_yours": ("这张券不在您的钱包里。", "This coupon is not in your wallet."),
    "not_forwardable": ("这张券不能转赠。", "This coupon cannot be forwarded."),
}


def refused(request: Request, lang: str, reason: str):
    zh, en = REFUSED.get(reason, REFUSED["gone"])
    status = 410 if reason in ("claimed", "expired", "used", "void", "gone") else 403
    return render.message(request, "无法领取", "Cannot take it", zh, en, lang=lang, status=status, back="/m/wallet")


async def wallet_hook(request: Request, lang: str, member_id: uuid.UUID) -> str:
    """The wallet page's hook: a card linking to /m/forward when the member has a coupon
    that can be forwarded ('' if none). `parts.append(await forward.wallet_hook(request, lang, mid))`."""
    got = await run_in_threadpool(forwarding.forwardable, _hq(request), member_id)
    if not got:
        return ""
    names = "、".join(c["name_en"] if lang == "en" else c["name_zh"] for c in got[:3])
    return (f'<div class="card"><p>{esc(t(lang, "可转赠给朋友：", "You can forward to a friend: "))}{esc(names)}</p>'
            f'<a class="btn alt" href="{render.link(request, "/m/forward")}">'
            f'{esc(t(lang, "转赠优惠券给朋友", "Forward a coupon to a friend"))}</a></div>')


def _qr_img(url: str, lang: str) -> str:
    import segno

    uri = segno.make(url, error="m").svg_data_uri(scale=6, border=2)
    alt = esc(t(lang, "转赠链接二维码", "QR code of the forward link"))
    return f'<img alt="{alt}" width="240" height="240" src="{esc(uri)}">'


@router.get("/m/forward")
async def forward_list(request: Request):
    hq = _hq(request)
    mid = await run_in_threadpool(session.require_member, request, hq)
    lang = render.lang_of(request)
    got = await run_in_threadpool(forwarding.forwardable, hq, mid)
    if not got:
        body = f'<div class="card"><p class="muted">{esc(t(lang, "您暂时没有可以转赠的优惠券。", "You have no coupon that can be forwarded."))}</p></div>'
        return render.page(request, "转赠优惠券", "Forward a coupon", body, lang=lang, nav=True)
    rows = []
    for c in got:
        name = c["name_en"] if lang == "en" else c["name_zh"]
        rows.append(f'<div class="card"><p><b>{esc(name)}</b></p><p class="muted">{esc(t(lang, "有效期至", "until"))} '
                    f'{c["valid_to"].date().isoformat()}</p>'
                    f'<form method="post" action="{render.link(request, "/m/forward")}">{session.csrf_field(request)}'
                    f'<input type="hidden" name="code" value="{esc(c["code"])}">'
                    f'<button type="submit">{esc(t(lang, "转赠给朋友", "Forward to a friend"))}</button></form></div>')
    intro = (f'<p>{esc(t(lang, "朋友领取后，券归朋友所有，您的钱包里将不再有这张券。朋友首次使用时您可获得推荐奖励。", "Once your friend takes it, the coupon is theirs and leaves your wallet. You earn the referral reward when they use it."))}</p>')
    return render.page(request, "转赠优惠券", "Forward a coupon", intro + "".join(rows), lang=lang, nav=True)


@router.post("/m/forward")
async def forward_make(request: Request):
    hq = _hq(request)
    mid = await run_in_threadpool(session.require_member, request, hq)
    lang = render.lang_of(request)
    form = await session.read_form(request)
    session.check_csrf(request, form)
    try:
        got = await run_in_threadpool(forwarding.forward, hq, mid, form.get("code", ""), str(request.base_url))
    except forwarding.Refused as exc:
        return refused(request, lang, exc.reason)
    url, day = got["url"], got["expires_at"][:10]
    body = (f'<div class="card"><p class="ok" role="status">{esc(t(lang, "转赠链接已生成。把链接或二维码发给朋友：", "Your forward link is ready. Send the link or the QR code to a friend:"))}</p>'
            f'<p>{_qr_img(url, lang)}</p><label for="link">{esc(t(lang, "链接", "Link"))}</label>'
            f'<input id="link" type="text" readonly value="{esc(url)}">'
            f'<p class="muted">{esc(t(lang, f"链接有效期至 {day}，只能领取一次。", f"The link is valid until {day} and can be taken once."))}</p></div>')
    return render.page(request, "转赠优惠券", "Forward a coupon", body, lang=lang, nav=True)


def _forward_id(token: str) -> uuid.UUID:
    return forwarding.forward_of_token(token)


def _bad_link(request: Request, lang: str, exc: signing.BadToken):
    return refused(request, lang, "expired" if exc.reason == "expired" else "gone")


@router.get("/m/forward/{token}")
async def forward_landing(request: Request, token: str):
    lang = render.lang_of(request)
    try:
        fid = _forward_id(token)
    except signing.BadToken as exc:
        return _bad_link(request, lang, exc)
    hq = _hq(request)
    doc = await run_in_threadpool(forwarding.landing, hq, fid)
    if doc["refused"]:
        return refused(request, lang, doc["refused"])
    name = doc["name_en"] if lang == "en" else doc["name_zh"]
    who = doc["from_name"] or t(lang, "您的朋友", "A friend")
    head = (f'<div class="card"><p>{esc(who)} {esc(t(lang, "送您一张优惠券：", "sends you a coupon:"))}</p>'
            f'<p class="big">{esc(name)}</p>'
            + (f'<p class="muted">{esc(t(lang, "满", "On"))} {_yuan(doc["min_spend_fen"])} {esc(t(lang, "可用", "or more"))}</p>'
               if doc["min_spend_fen"] else "")
            + f'<p class="muted">{esc(t(lang, "有效期至", "until"))} {doc["valid_to"].date().isoformat()}</p></div>')
    mid = await run_in_threadpool(session.member_of, request, hq)
    if mid is not None:
        body = head + (f'<form method="post" action="{esc(f"/m/forward/{token}/take" + _en(request))}">'
                       f'{session.csrf_field(request)}<button type="submit">{esc(t(lang, "领取到我的钱包", "Take it into my wallet"))}</button></form>')
        return render.page(request, "领取优惠券", "Take the coupon", body, lang=lang)
    form = join_pages.phone_form(request, lang, f"/m/forward/{token}/join" + _en(request), store_name=None)
    body = (head + f'<p>{esc(t(lang, "输入手机号加入会员即可领取。", "Enter your phone number to join and take it."))}</p>' + form
            + f'<a class="btn alt" href="{esc(session.signin_url(f"/m/forward/{token}"))}">{esc(t(lang, "已是会员？登录领取", "Already a member? Sign in to take it"))}</a>')
    return render.page(request, "领取优惠券", "Take the coupon", body, lang=lang)


async def _claim(request: Request, lang: str, fid: uuid.UUID, mid: uuid.UUID, *, joined: bool):
    try:
        await run_in_threadpool(forwarding.claim, _hq(request), fid, mid, joined=joined)
    except forwarding.Refused as exc:
        return refused(request, lang, exc.reason), False
    return None, True


@router.post("/m/forward/{token}/take")
async def forward_take(request: Request, token: str):
    lang = render.lang_of(request)
    form = await session.read_form(request)
    session.check_csrf(request, form)
    try:
        fid = _forward_id(token)
    except signing.BadToken as exc:
        return _bad_link(request, lang, exc)
    mid = await run_in_threadpool(session.require_member, request, _hq(request))
    resp, ok = await _claim(request, lang, fid, mid, joined=False)
    if not ok:
        return resp
    return RedirectResponse(render.link(request, "/m/wallet", taken="1").replace("&amp;", "&"), status_code=303)


@router.post("/m/forward/{token}/join")
async def forward_join(request: Request, token: str):
    lang = render.lang_of(request)
    form = await session.read_form(request)
    session.check_csrf(request, form)
    try:
        fid = _forward_id(token)
    except signing.BadToken as exc:
        return _bad_link(request, lang, exc)
    doc = await run_in_threadpool(forwarding.landing, _hq(request), fid)
    if doc["refused"]:
        return refused(request, lang, doc["refused"])
    return await join_pages._send_code(
        request, lang, form, purpose="join", store=None, action_back=f"/m/forward/{token}" + _en(request),
        action_next=f"/m/forward/{token}/verify" + _en(request), title=("领取优惠券", "Take the coupon"), store_name=None)


@router.post("/m/forward/{token}/verify")
async def forward_verify(request: Request, token: str):
    lang = render.lang_of(request)
    form = await session.read_form(request)
    session.check_csrf(request, form)
    try:
        fid = _forward_id(token)
    except signing.BadToken as exc:
        return _bad_link(request, lang, exc)
    hq = _hq(request)
    here = f"/m/forward/{token}/verify" + _en(request)
    challenge = join_pages._challenge(form)
    if challenge is None:
        return render.message(request, "领取优惠券", "Take the coupon", "请重新获取验证码。", "Ask for a new code.",
                              lang=lang, back=f"/m/forward/{token}")
    if form.get("terms") != "1":
        return render.page(request, "领取优惠券", "Take the coupon", join_pages.code_form(
            request, lang, here, challenge, t(lang, "您的手机", "your phone"), join=True,
            error=t(lang, "请先同意会员条款和隐私政策。", "Please accept the member terms and the privacy policy.")),
            lang=lang, status=422)
    try:
        row = await run_in_threadpool(otp.check, hq, challenge, form.get("code", ""))
    except otp.BadCode as exc:
        return render.page(request, "领取优惠券", "Take the coupon", join_pages.code_form(
            request, lang, here, challenge, t(lang, "您的手机", "your phone"), join=True,
            error=join_pages._bad_code(lang, exc)), lang=lang, status=422 if exc.reason == "wrong" else 410)
    if row.purpose != "join" or row.store_code is not None:
        return render.message(request, "领取优惠券", "Take the coupon", "请重新获取验证码。", "Ask for a new code.",
                              lang=lang, status=403, back=f"/m/forward/{token}")
    got = await run_in_threadpool(member_self.join, hq, row.phone, store=None, marketing=form.get("marketing") == "1")
    mid = uuid.UUID(got["id"])
    resp, ok = await _claim(request, lang, fid, mid, joined=bool(got["new"]))
    if ok:
        resp = RedirectResponse(render.link(request, "/m/wallet", welcome="1" if got["new"] else "0",
                                            taken="1").replace("&amp;", "&"), status_code=303)
    session.start(resp, request, mid)  # a member now either way: signed in
    return resp
