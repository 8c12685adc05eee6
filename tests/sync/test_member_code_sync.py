"""The dynamic member code with a real HQ process and a till (issue 16 item 3): a member
who joined at HQ a moment ago — not pulled by the till yet — shows the code on the member
page; the till asks HQ, is given the member, and the welcome coupon comes off the sale in
progress; the secret then verifies later codes offline. A stale or forged code is refused
by HQ and by the till alike, and the secret is never on the page or in HQ's log."""
from __future__ import annotations

import re
import uuid

import requests
from sqlalchemy import select

from pos.rules import dynamic_code
from pos.services.checkout import Tender
from pos.services.till import Till
from pos.store.models import Member as TillMember
from sync import engine

from .conftest import TOWEL, make_till, offline, phone, publish_preset

CODE_TEXT = re.compile(r'id="member-code">([^<]+)<')


def member_page(hq, member_id) -> requests.Session:
    """A browser signed in as the member (the session cookie the sign-in pages set)."""
    from sync.server import signing
    from sync.server.pages import session

    signing.init(hq.db)
    s = requests.Session()
    s.cookies.set(session.COOKIE, signing.sign("session", {"m": str(member_id)}, 3600), path="/m")
    return s


def hq_secret(hq, member_id) -> str:
    from sync.server.models import Member

    with hq.db.read() as s:
        return s.get(Member, uuid.UUID(str(member_id))).code_secret


def test_joined_a_minute_ago_identified_via_hq_with_the_welcome_coupon(hq, tmp_path):
    from sync.server import members as hq_members

    publish_preset(hq, tmp_path)
    till = make_till(tmp_path, hq, "DC1")
    try:
        engine.sync_once(till)  # up to date — then the member joins at HQ (the join-by-QR page's registration)
        joined = hq_members.register(hq.db, phone(), channel="qr")
        mid, coupon = joined["id"], joined["rewards"]["coupons"][0]
        secret = hq_secret(hq, mid)
        assert dynamic_code.valid_secret(secret)

        page = member_page(hq, mid).get(hq.url + "/m/code", timeout=10, headers={"Accept-Encoding": "identity"})
        assert page.status_code == 200 and len(page.content) <= 50 * 1024, len(page.content)
        assert "data:image/svg+xml" in page.text and "<script" not in page.text and "会员码" in page.text
        assert 1 <= int(page.headers["refresh"]) <= 30  # a new code when this one's step ends
        assert secret not in page.text
        code = CODE_TEXT.search(page.text).group(1).replace(" ", "")
        assert dynamic_code.parse(code).member_code == joined["member_code"]
        with till.read() as s:
            assert s.get(TillMember, uuid.UUID(mid)) is None  # not pulled yet

        t = Till(till, lang="en")
        try:
            t.enter(TOWEL)
            out = t.enter(code)
            assert out.kind == "member", out.message
            assert t.member_id == mid
            q = t.last_quote
            assert coupon in q.coupons and q.net_fen < q.gross_fen  # the first-order benefit, on this sale
            sale = t.pay([Tender("cash", q.net_fen)])  # HQ holds the coupon: it knows it
            assert sale.member["id"] == mid
        finally:
            t.close()
        with till.read() as s:
            assert s.get(TillMember, uuid.UUID(mid)).code_secret == secret  # kept for offline checks

        # offline now: a fresh code verifies with the secret the till was given; stale and forged refused
        later = member_page(hq, mid).get(hq.url + "/m/code", timeout=10)
        fresh = CODE_TEXT.search(later.text).group(1).replace(" ", "")
        step = dynamic_code.step_at(till.clock.now().timestamp())
        stale = dynamic_code.make(joined["member_code"], secret, step - 4)
        forged = fresh[:4] + ("1" if fresh[4] != "1" else "2") + fresh[5:]
        with offline(till):
            t = Till(till, lang="en")
            try:
                assert t.enter(fresh).kind == "member"
                t.detach_member()
                assert t.enter(stale).error_code == "member_code.stale"
                assert t.enter(forged).error_code == "member_code.invalid"
            finally:
                t.close()
        engine.sync_once(till)  # the sale reaches HQ; the member's rows come again, unchanged
        with till.read() as s:
            assert s.get(TillMember, uuid.UUID(mid)).code_secret == secret
    finally:
        till.close()


def test_hq_refuses_stale_and_forged_codes_of_members_the_till_lacks(hq, tmp_path, tmp_path_factory):
    from sync.server import members as hq_members

    till = make_till(tmp_path, hq, "DC2")
    try:
        joined = hq_members.register(hq.db, phone(), channel="qr")
        secret = hq_secret(hq, joined["id"])
        step = dynamic_code.step_at(till.clock.now().timestamp())
        good = dynamic_code.make(joined["member_code"], secret, step)
        cases = {"member_code.stale": dynamic_code.make(joined["member_code"], secret, step - 3),
                 "member_code.invalid": dynamic_code.make(joined["member_code"], "ab" * 32, step)}
        t = Till(till, lang="zh_CN")
        try:
            for want, code in cases.items():
                out = t.enter(code)
                assert out.error_code == want and t.member_id is None
                assert ("过期" if want.endswith("stale") else "无效") in out.message
            with till.read() as s:
                assert s.get(TillMember, uuid.UUID(joined["id"])) is None  # nothing applied for a refused code
            with offline(till):
                assert t.enter(good).error_code == "member_code.unknown"
            assert t.enter(good).kind == "member"
        finally:
            t.close()
        r = requests.post(hq.url + "/v1/members/resolve-code", json={"protocol": 1, "code": good}, timeout=10)
        assert r.status_code == 401  # a till's credential, as every till endpoint
        later = hq_members.register(hq.db, phone(), channel="qr")
        engine.sync_once(till)  # the usual way: the secret comes in the member's pull row
        with till.read() as s:
            assert s.get(TillMember, uuid.UUID(later["id"])).code_secret == hq_secret(hq, later["id"])
    finally:
        till.close()
    with hq.db.read() as s:
        from sync.server.models import Member

        secrets = [m.code_secret for m in s.scalars(select(Member).limit(50))]
    assert all(dynamic_code.valid_secret(x) for x in secrets)
    logs = list(tmp_path_factory.getbasetemp().glob("hqlog*/hq.log"))  # the session HQ's log
    assert logs and not any(x in p.read_text() for p in logs for x in secrets)


def test_the_member_code_page_in_a_real_browser(hq, tmp_path):
    """Chromium at a phone's size shows the QR and the barcode (both images decoded), in
    Chinese and English; the code read off the page is accepted at the till now, refused
    once its window has passed and when altered. MEMBERPOS_SCREENSHOTS=DIR saves the page."""
    import datetime as dt
    import os
    from pathlib import Path

    import pytest

    from pos.clock import FixedClock
    from sync.server import members as hq_members
    from sync.server import signing
    from sync.server.pages import session

    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright for Python is not installed (pip install playwright)")
    if not os.path.exists("/usr/bin/chromium"):
        pytest.skip("no chromium at /usr/bin/chromium (apt-get install chromium)")
    shots = Path(os.environ.get("MEMBERPOS_SCREENSHOTS") or tmp_path)
    joined = hq_members.register(hq.db, phone(), channel="qr")
    signing.init(hq.db)
    cookie = {"name": session.COOKIE, "value": signing.sign("session", {"m": joined["id"]}, 3600), "url": hq.url + "/m"}
    codes = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"])
        try:
            for lang, locale in (("zh_CN", "zh-CN"), ("en", "en-US")):
                ctx = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                          locale=locale)
                ctx.add_cookies([cookie])
                page = ctx.new_page()
                page.goto(hq.url + "/m/code")
                assert ("我的会员码" if lang == "zh_CN" else "My member code") in page.title()
                assert page.evaluate("[...document.images].length") == 2
                assert page.evaluate("[...document.images].every(i => i.complete && i.naturalWidth > 0)")
                codes[lang] = page.inner_text("#member-code").replace(" ", "")
                page.screenshot(path=str(shots / f"m-member-code.{lang}.png"))
                ctx.close()
        finally:
            browser.close()
    code = codes["en"]
    till = make_till(tmp_path, hq, "DC4")
    try:
        t = Till(till, lang="en")
        try:
            assert t.enter(code).kind == "member" and t.member_id == joined["id"]  # via HQ: not pulled yet
            t.detach_member()
            real = till.clock
            till.clock = FixedClock(real.now() + dt.timedelta(seconds=95))  # past its window
            try:
                assert t.enter(code).error_code == "member_code.stale"
            finally:
                till.clock = real
            assert t.enter(code[:-1] + ("X" if code[-1] != "X" else "Y")).error_code in (
                "member_code.invalid", "member_code.unknown")  # another member code: not this one's digits
            assert t.enter(code[:5] + ("1" if code[5] != "1" else "2") + code[6:]).error_code == "member_code.invalid"
        finally:
            t.close()
    finally:
        till.close()
