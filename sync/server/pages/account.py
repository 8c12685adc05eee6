"""A member's own pages (issue 16 item 1): wallet and points, profile, my data.

    GET  /m/wallet                 points (available / pending), stored value, coupons, recent entries
    GET  /m/profile  POST          the profile form; completing it earns the profile bonus once
    GET  /m/data                   export and erase
    GET  /m/data/export.json       everything HQ holds about the member (a download)
    POST /m/data/erase             the erase request (confirmed): a one-time code to the member's phone
    POST /m/data/erase/verify      that code (fresh, for this purpose, this member's, single use) -> erased at once

Every page is the signed-in member's own: the member comes from the session cookie,
never from the URL, so no link shows another member's data.
"""
from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from pos.errors import DomainError

from .. import member_self, notify, otp
from . import forward, join, render, session
from .render import esc, t

router = APIRouter()
ZONE = ZoneInfo(member_self.TZ)


def _hq(request: Request):
    return request.app.state.hq


def _day(v: dt.datetime) -> str:
    return v.astimezone(ZONE).date().isoformat()


def _yuan(fen: int) -> str:
    return f"¥{fen / 100:,.2f}"


REASONS = {"sign-up bonus": ("入会礼", "Welcome bonus"), "profile complete": ("完善资料奖励", "Profile bonus")}


@router.get("/m/wallet")
async def wallet_page(request: Request, welcome: str | None = None):
    hq = _hq(request)
    mid = await run_in_threadpool(session.require_member, request, hq)
    lang = render.lang_of(request)
    w = await run_in_threadpool(member_self.wallet, hq, mid)
    parts = []
    if welcome == "1":
        parts.append(f'<p class="ok" role="status">{esc(t(lang, "欢迎加入！入会礼已到账，结账时出示会员码即可使用。", "Welcome! Your joining gift is in your wallet: show your member code at the till to use it."))}</p>')
    elif welcome == "0":
        parts.append(f'<p class="ok" role="status">{esc(t(lang, "您已是会员，已为您登录。", "You are already a member: you are signed in."))}</p>')
    parts.append(
        f'<div class="card"><p class="muted">{esc(t(lang, "会员号", "Member no."))} {esc(w["member_code"])} · '
        f'{esc(w["phone_masked"])} · {esc(t(lang, *w["tier_name"]))}</p>'
        f'<p>{esc(t(lang, "可用积分", "Points you can use"))}</p><p class="big">{w["available"]:,}</p>'
        + (f'<p class="muted">{esc(t(lang, "待生效", "Pending"))} {w["points"] - w["available"]:,}</p>'
           if w["points"] != w["available"] else "")
        + f'<p>{esc(t(lang, "储值余额", "Stored value"))} <b>{_yuan(w["stored_value_fen"])}</b></p>'
        f'<a class="btn" href="{render.link(request, "/m/code")}">{esc(t(lang, "出示会员码", "Show my member code"))}</a></div>')
    if w.get("merchants"):  # an alliance (issue 17): each merchant's own points and stored value, the shared coins
        shared = w["merchants"][-1]
        mrows = "".join(f'<tr><td>{esc(x["name"])}</td><td>{esc(x["tier"])}</td><td>{x["available"]:,}</td>'
                        f'<td>{_yuan(x["stored_value_fen"])}</td></tr>' for x in w["merchants"][:-1])
        parts.append(f'<div class="card"><h2>{esc(t(lang, "各商户积分与储值", "Points and stored value at each merchant"))}</h2>'
                     f'<table><tr><th>{esc(t(lang, "商户", "Merchant"))}</th><th>{esc(t(lang, "等级", "Tier"))}</th>'
                     f'<th>{esc(t(lang, "可用积分", "Points"))}</th><th>{esc(t(lang, "储值", "Stored value"))}</th></tr>'
                     f'{mrows}</table><p>{esc(t(lang, "联盟购物币（各商户通用）", "Shopping coins (at every merchant)"))} '
                     f'<b>{shared["coins_spendable"]:,}</b></p></div>')
    rows = "".join(f'<tr><td>{esc(t(lang, *c["name"]))}</td><td>{esc(t(lang, "有效期至", "until"))} {_day(c["valid_to"])}</td></tr>'
                   for c in w["coupons"])
    parts.append(f'<div class="card"><h2>{esc(t(lang, "我的优惠券", "My coupons"))} ({len(w["coupons"])})</h2>'
                 + (f'<table>{rows}</table>' if rows else f'<p class="muted">{esc(t(lang, "暂无可用优惠券", "No coupons yet"))}</p>')
                 + '</div>')
    parts.append(await forward.wallet_hook(request, lang, mid))  # '' unless a coupon can be forwarded
    if not w["profile_done"] and w["profile_points"]:
        pp = w["profile_points"]
        parts.append(f'<div class="card"><p>{esc(t(lang, f"完善资料可得 {pp} 积分", f"Complete your profile: {pp} points"))}</p>'
                     f'<a class="btn alt" href="{render.link(request, "/m/profile")}">{esc(t(lang, "去完善", "Complete it"))}</a></div>')
    ent = "".join(f'<tr><td>{_day(e["at"])}</td><td>{esc(t(lang, *REASONS[e["reason"]]) if e["reason"] in REASONS else (e["reason"] or e["kind"]))}</td>'
                  f'<td>{e["points"]:+,}</td></tr>' for e in w["entries"])
    if ent:
        parts.append(f'<div class="card"><h2>{esc(t(lang, "积分明细", "Points history"))}</h2><table>{ent}</table></div>')
    return render.page(request, "钱包和积分", "Wallet and points", "".join(parts), lang=lang, nav=True)


FIELDS = (("name", "姓名", "Name", "text", 'autocomplete="name" maxlength="64"'),
          ("gender", "性别", "Gender", "select", ""),
          ("birthday", "生日", "Birthday", "date", 'autocomplete="bday"'),
          ("region", "所在城市", "City", "text", 'autocomplete="address-level2" maxlength="64"'),
          ("address", "地址（可选）", "Address (optional)", "text", 'autocomplete="street-address" maxlength="200"'),
          ("occupation", "职业（可选）", "Occupation (optional)", "text", 'maxlength="64"'))


def _profile_form(request: Request, lang: str, p: dict, w: dict, msg: str = "", err: str = "") -> str:
    out = []
    if msg:
        out.append(f'<p class="ok" role="status">{esc(msg)}</p>')
    if err:
        out.append(f'<p class="err" role="alert">{esc(err)}</p>')
    if not w["profile_done"] and w["profile_points"]:
        pp = w["profile_points"]
        need = "、".join(t(lang, zh, en) for f, zh, en, _, _ in FIELDS if f in w["profile_fields"])
        out.append(f'<p>{esc(t(lang, f"填写{need}，可得 {pp} 积分。", f"Fill in {need} to earn {pp} points."))}</p>')
    out.append(f'<form method="post" action="{render.link(request, "/m/profile")}">{session.csrf_field(request)}')
    for f, zh, en, kind, extra in FIELDS:
        val = p.get(f)
        label = f'<label for="{f}">{esc(t(lang, zh, en))}</label>'
        if kind == "select":
            opts = "".join(f'<option value="{v}"{" selected" if val == v else ""}>{esc(t(lang, z, e))}</option>'
                           for v, z, e in (("", "不填", "Not given"), ("F", "女", "Female"), ("M", "男", "Male")))
            out.append(f'{label}<select id="{f}" name="{f}">{opts}</select>')
        else:
            out.append(f'{label}<input id="{f}" name="{f}" type="{kind}" value="{esc(val.isoformat() if isinstance(val, dt.date) else val)}" {extra}>')
    out.append(f'<label class="check"><input type="checkbox" name="marketing" value="1"{" checked" if p.get("marketing_consent") else ""}>'
               f'<span>{esc(t(lang, "接收优惠和活动信息", "Send me offers and news"))}</span></label>'
               f'<button type="submit">{esc(t(lang, "保存", "Save"))}</button></form>')
    return '<div class="card">' + "".join(out) + "</div>"


@router.get("/m/profile")
async def profile_page(request: Request):
    hq = _hq(request)
    mid = await run_in_threadpool(session.require_member, request, hq)
    lang = render.lang_of(request)
    p = await run_in_threadpool(member_self.profile, hq, mid)
    w = await run_in_threadpool(member_self.wallet, hq, mid)
    return render.page(request, "我的资料", "My profile", _profile_form(request, lang, p, w), lang=lang, nav=True)


@router.post("/m/profile")
async def profile_save(request: Request):
    hq = _hq(request)
    mid = await run_in_threadpool(session.require_member, request, hq)
    lang = render.lang_of(request)
    form = await session.read_form(request)
    session.check_csrf(request, form)
    fields = {f: (form.get(f) or "").strip() or None for f, *_ in FIELDS}
    fields["marketing_consent"] = form.get("marketing") == "1"
    msg, err, status = "", "", 200
    try:
        got = await run_in_threadpool(member_self.update_profile, hq, mid, fields)
        msg = (t(lang, f"已保存。完善资料奖励 {got['points']} 积分已到账！", f"Saved. {got['points']} profile bonus points are yours!")
               if got["points"] else t(lang, "已保存。", "Saved."))
    except DomainError as exc:
        err, status = exc.message("en" if lang == "en" else "zh_CN"), 422
    p = await run_in_threadpool(member_self.profile, hq, mid)
    w = await run_in_threadpool(member_self.wallet, hq, mid)
    return render.page(request, "我的资料", "My profile", _profile_form(request, lang, p, w, msg, err), lang=lang,
                       nav=True, status=status)


@router.get("/m/data")
async def data_page(request: Request):
    hq = _hq(request)
    await run_in_threadpool(session.require_member, request, hq)
    lang = render.lang_of(request)
    body = (f'<div class="card"><h2>{esc(t(lang, "导出我的数据", "Export my data"))}</h2>'
            f'<p>{esc(t(lang, "下载我们保存的关于您的全部信息（JSON 文件）：资料、积分、储值、消费和优惠券。", "Download everything we hold about you (a JSON file): profile, points, stored value, purchases and coupons."))}</p>'
            f'<a class="btn alt" href="/m/data/export.json" download>{esc(t(lang, "下载", "Download"))}</a></div>'
            f'<div class="card"><h2>{esc(t(lang, "删除我的个人信息", "Erase my personal data"))}</h2>'
            f'<p>{esc(t(lang, "您的姓名、手机号、生日等个人信息和会员卡将被删除，无法恢复；积分、储值余额和优惠券将作废。消费记录以匿名形式保留用于财务。", "Your name, phone, birthday and other personal data and your cards are deleted for good; points, stored value and coupons are lost. Purchases stay, anonymous, for the accounts."))}</p>'
            f'<p class="muted">{esc(t(lang, "为确认是您本人，我们会向您的会员手机发送验证码。", "To be sure it is you, we send a code to your member phone."))}</p>'
            f'<form method="post" action="{render.link(request, "/m/data/erase")}">{session.csrf_field(request)}'
            f'<label class="check"><input type="checkbox" name="confirm" value="1" required>'
            f'<span>{esc(t(lang, "我确认删除我的个人信息", "I confirm: erase my personal data"))}</span></label>'
            f'<button type="submit" class="alt">{esc(t(lang, "获取验证码", "Send me a code"))}</button></form></div>'
            f'<form method="post" action="/m/signout">{session.csrf_field(request)}'
            f'<button type="submit" class="alt">{esc(t(lang, "退出登录", "Sign out"))}</button></form>')
    return render.page(request, "我的数据", "My data", body, lang=lang, nav=True)


@router.get("/m/data/export.json")
async def data_export(request: Request):
    hq = _hq(request)
    mid = await run_in_threadpool(session.require_member, request, hq)
    doc = await run_in_threadpool(member_self.export, hq, mid)
    return Response(json.dumps(doc, ensure_ascii=False, indent=2), media_type="application/json",
                    headers={"Content-Disposition": 'attachment; filename="my-member-data.json"',
                             "Cache-Control": "no-store"})


def _erase_code_form(request: Request, lang: str, challenge, masked: str, error: str | None = None) -> str:
    err = f'<p class="err" role="alert">{esc(error)}</p>' if error else ""
    return (f'<div class="card">{err}<h2>{esc(t(lang, "删除我的个人信息", "Erase my personal data"))}</h2>'
            f'<p>{esc(t(lang, "验证码已发送至", "We sent a code to"))} <b>{esc(masked)}</b>。'
            f'{esc(t(lang, "输入验证码即删除，无法恢复。", "Enter it to erase; this cannot be undone."))}</p>'
            f'<form method="post" action="{render.link(request, "/m/data/erase/verify")}">{session.csrf_field(request)}'
            f'<input type="hidden" name="challenge" value="{esc(challenge)}">'
            f'<label for="code">{esc(t(lang, "6 位验证码", "6-digit code"))}</label>'
            f'<input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" '
            f'pattern="[0-9]{{6}}" maxlength="6" required>'
            f'<button type="submit" class="alt">{esc(t(lang, "确认删除", "Erase now"))}</button></form></div>')


@router.post("/m/data/erase")
async def data_erase(request: Request):
    """Confirmed: a one-time code (purpose "erase") to the member's own phone; nothing is erased yet."""
    from pos.rules import phones

    hq = _hq(request)
    mid = await run_in_threadpool(session.require_member, request, hq)
    lang = render.lang_of(request)
    form = await session.read_form(request)
    session.check_csrf(request, form)
    if form.get("confirm") != "1":
        return render.message(request, "我的数据", "My data", "请勾选确认后再提交。", "Tick the confirmation first.",
                              lang=lang, status=422, back="/m/data")
    phone = await run_in_threadpool(member_self.phone_of, hq, mid)
    if not phone:
        return render.message(request, "我的数据", "My data", "您的会员资料中没有手机号，无法发送验证码。请到门店办理删除。",
                              "Your membership has no phone number to send a code to; ask at a store to erase it.",
                              lang=lang, status=422, back="/m/data")
    try:
        challenge = await run_in_threadpool(otp.issue, hq, phone, join._ip(request), purpose="erase",
                                            text_zh="删除个人信息验证码")
    except otp.Throttled as exc:
        return join._throttled(request, lang, exc)
    except notify.NotSent:
        return render.message(request, "我的数据", "My data", "短信暂时发不出去，请一分钟后再试。",
                              "The text message could not be sent; try again in a minute.", lang=lang, status=503,
                              back="/m/data")
    return render.page(request, "我的数据", "My data", _erase_code_form(request, lang, challenge, phones.mask(phone)),
                       lang=lang, nav=True)


@router.post("/m/data/erase/verify")
async def data_erase_verify(request: Request):
    """The code sent for this erase request: right, fresh, unused, for "erase" and to this
    member's phone — then the member is erased at once (members.h_member_erased at HQ)."""
    from pos.rules import phones

    hq = _hq(request)
    mid = await run_in_threadpool(session.require_member, request, hq)
    lang = render.lang_of(request)
    form = await session.read_form(request)
    session.check_csrf(request, form)
    challenge = join._challenge(form)
    phone = await run_in_threadpool(member_self.phone_of, hq, mid)
    if challenge is None or not phone:
        return render.message(request, "我的数据", "My data", "请重新获取验证码。", "Ask for a new code.", lang=lang,
                              status=422, back="/m/data")
    try:
        row = await run_in_threadpool(otp.check, hq, challenge, form.get("code", ""))
    except otp.BadCode as exc:
        return render.page(request, "我的数据", "My data", _erase_code_form(
            request, lang, challenge, phones.mask(phone), error=join._bad_code(lang, exc)),
            lang=lang, nav=True, status=422 if exc.reason == "wrong" else 410)
    if row.purpose != "erase" or row.phone != phone:  # a sign-in or join code, or another member's, erases nobody
        return render.message(request, "我的数据", "My data", "请重新获取验证码。", "Ask for a new code.", lang=lang,
                              status=403, back="/m/data")
    await run_in_threadpool(member_self.erase, hq, mid)
    resp = render.page(request, "已删除", "Erased", f'<div class="card"><p class="ok" role="status">{esc(t(lang, "您的个人信息已删除，各门店将同步删除。感谢您曾经的支持。", "Your personal data is erased; every store erases its copy too. Thank you for having been with us."))}</p></div>', lang=lang)
    session.end(resp)
    return resp
