"""Domain errors: a stable code (scripts match on it) and a readable message in
Chinese and English. `pos` has no Qt, so the texts live here; the app shows
`message(lang)` where the cashier is looking."""
from __future__ import annotations

import re
from typing import Any

# code -> (English, Chinese). Placeholders are filled from the error's params.
MESSAGES: dict[str, tuple[str, str]] = {
    "phone.empty": ("Phone number is empty", "手机号为空"),
    "phone.invalid": ("Not a valid phone number: {shown}", "手机号无效：{shown}"),
    "phone.not_mobile": ("Not a mobile number: {shown}", "不是手机号码：{shown}"),
    "phone.key_missing": (
        "This till's phone key file is missing: sync with HQ to fetch it again",
        "本机的手机号密钥文件缺失：请与总部同步以重新获取",
    ),
    "phone.unmask_needs_hq": (
        "Showing the full phone number needs HQ, which cannot be reached now; try again when online",
        "查看完整手机号需要连接总部，当前无法连接；请联网后重试",
    ),
    "phone.unmask_refused": ("HQ refused to show this member's phone number", "总部拒绝显示该会员的手机号"),
    "member.duplicate_phone": (
        "This phone number already belongs to member {member} ({masked})",
        "该手机号已属于会员 {member}（{masked}）",
    ),
    "member.not_found": ("No member matches {query}", "未找到会员：{query}"),
    "member_code.stale": (
        "This member code has expired (a screenshot or a page left open): ask the member to refresh the member code page",
        "会员码已过期（截图或未刷新的页面）：请会员刷新会员码页面"),
    "member_code.invalid": ("This member code is not valid (forged or altered): identify the member another way",
                            "会员码无效（伪造或被修改）：请用其他方式识别会员"),
    "member_code.unknown": (
        "This member is not on this till yet and HQ cannot be reached: ask for the phone number",
        "本机还没有该会员，且无法连接总部：请询问会员手机号"),
    "member.inactive": ("Member {member} was merged into {into}", "会员 {member} 已合并至 {into}"),
    "member.erased": ("Member {member}'s data was erased at their request", "会员 {member} 的个人信息已应其要求删除"),
    "member.merge_self": ("Cannot merge a member into itself", "不能将会员与自身合并"),
    "member.bad_field": ("Invalid {field}: {reason}", "{field} 无效：{reason}"),
    "review.receipt_kind": ("Only a review names a receipt (--kind review)", "只有评价可以关联小票（--kind review）"),
    "review.not_members_sale": ("Receipt {receipt} is not a sale of member {member}",
                                "小票 {receipt} 不是会员 {member} 的消费"),
    "card.duplicate": ("Card {card} is already issued to member {member}", "卡号 {card} 已发给会员 {member}"),
    "card.invalid": ("Not a valid member card number: {card}", "会员卡号无效：{card}"),
    "tag.invalid": ("Invalid tag: {tag}", "标签无效：{tag}"),
    "member_import.file": ("Cannot read members file: {reason}", "无法读取会员文件：{reason}"),
    "member_import.enrolled": (
        "This till is enrolled with HQ: import members at HQ (hq member import); they reach every till by sync",
        "本收银台已接入总部：请在总部导入会员（hq member import），会员会同步到各收银台"),
    "member_import.duplicates": ("--duplicates must be report or merge, got {value}", "--duplicates 只能是 report 或 merge，收到 {value}"),
    "history_import.file": ("Cannot read sales history file: {reason}", "无法读取销售历史文件：{reason}"),
    "history_import.points": ("--points must be recorded, recompute or none, got {value}",
                              "--points 只能是 recorded、recompute 或 none，收到 {value}"),
    "daily.since": ("--since {since} is after today ({today})", "--since {since} 晚于今天（{today}）"),
    "calibrate.target": ("--target must give one whole percentage per tier ({tiers}), adding up to 100: got {target}",
                         "--target 须为每个等级（共 {tiers} 个）给出整数百分比，合计 100：收到 {target}"),
    "calibrate.one_tier": ("The program has one tier: nothing to calibrate", "会员方案只有一个等级，无需校准"),
    "calibrate.window": ("--window must be 1 to 3660 days, got {days}", "--window 须为 1 到 3660 天，收到 {days}"),
    "calibrate.no_members": ("No active members to calibrate on", "没有可用于校准的会员"),
    "catalog.file": ("Cannot read catalog file: {reason}", "无法读取商品文件：{reason}"),
    "catalog.rows": ("{count} bad row(s); nothing imported", "{count} 行有误，未导入任何商品"),
    "program.invalid": ("Program file is invalid: {reason}", "会员方案文件无效：{reason}"),
    "program.none": ("No loyalty program is installed", "未安装会员方案"),
    # refusals of the pricing engine: shown to the cashier, returned by `checkout --json`
    "refusal.promotion_vs_member": ("Not combined with the member discount", "不与会员折扣同享"),
    "refusal.coupon_unknown": ("Unknown coupon", "无效的券码"),
    "refusal.coupon_used": ("Coupon already used", "该券已使用"),
    "refusal.coupon_void": ("Coupon is void", "该券已作废"),
    "refusal.coupon_not_yet": ("Coupon not valid until {date}", "该券 {date} 起可用"),
    "refusal.coupon_expired": ("Coupon expired on {date}", "该券已于 {date} 过期"),
    "refusal.coupon_store": ("Coupon not valid in this store", "该券不适用于本门店"),
    "refusal.coupon_members_only": ("Coupon is for members only", "该券仅限会员使用"),
    # issue 17: a coupon template's audience (pos.rules.program.AUDIENCES)
    "refusal.coupon_alliance": ("Coupon is for alliance card members only", "该券仅限联盟卡会员使用"),
    "refusal.coupon_alliance_guests": ("Coupon is for members who joined at another merchant of the alliance",
                                       "该券仅限在联盟其他商户入会的会员使用"),
    "refusal.coupon_own_members": ("Coupon is for members who joined at this merchant", "该券仅限在本商户入会的会员使用"),
    "refusal.coupon_no_alliance": ("Coupon is for alliance members, and this store belongs to no alliance",
                                   "该券仅限联盟会员使用，本店未加入联盟"),
    "refusal.coupon_other_member": ("Coupon belongs to another member", "该券属于其他会员"),
    "refusal.coupon_limit": ("Limit of {limit} per member reached", "每位会员限用 {limit} 张，已达上限"),
    "refusal.coupon_not_stackable": ("Only one coupon per order", "每单限用一张券"),
    "refusal.coupon_vs_promotion": ("Not combined with promotion {promotion}", "不与促销 {promotion} 同享"),
    "refusal.promotion_vs_coupon": ("Not combined with coupon {coupon}, which saves more", "与券 {coupon} 不同享，用券更优惠"),
    "refusal.member_discount_vs_offers": ("The member discount saves less than {offers} here: priced with {offers}; points are earned as usual",
                                          "会员折扣不如{offers}优惠，已按{offers}计价，积分照常累计"),
    "refusal.member_priced_as_guest": ("Member offers would cost more here than the regular ones: priced with those; points are earned as usual",
                                       "会员优惠不如普通优惠划算，已按普通优惠计价，积分照常累计"),
    "refusal.coupon_not_better": ("Left out: with this coupon the member would pay more than with the regular offers",
                                  "未使用：用此券反而比普通优惠多付"),
    "refusal.coupon_twice": ("Coupon given twice", "同一张券重复使用"),
    "refusal.coupon_no_items": ("No item in the basket qualifies for this coupon", "购物篮中没有适用该券的商品"),
    "refusal.threshold": ("Threshold not met: needs {need} yuan, {more} yuan more", "未达使用门槛：满 {need} 元可用，还差 {more} 元"),
    "refusal.points_need_member": ("Points need a member", "使用积分需先识别会员"),
    "refusal.points_step": ("Points are redeemed in steps of {step}", "积分须按 {step} 的整数倍使用"),
    "refusal.points_min": ("At least {min} points per redemption", "每次至少使用 {min} 积分"),
    "refusal.not_enough_points": ("Not enough points: {need} needed, {have} available", "积分不足：需要 {need}，可用 {have}"),
    "refusal.points_cap": ("Over the points cap: at most {cap} points ({value} yuan, {pct}% of the order)", "超过积分抵现上限：本单最多 {cap} 积分（{value} 元，订单金额的 {pct}%）"),
    "refusal.gift_unknown": ("Unknown gift", "礼品不存在"),
    "refusal.gift_tier": ("Gift not available for this tier", "该礼品不对此等级开放"),
    "coupon.template": ("Unknown coupon template {template}", "未知的券模板 {template}"),
    "scan.bad_barcode": ("Bad barcode {code}: {reason}. Scan again", "条码错误 {code}：{reason}，请重扫"),
    "scan.not_product": ("{code} is not a product code ({kind})", "{code} 不是商品条码（{kind}）"),
    "scan.unknown_product": ("No product with barcode {code}", "商品不存在：{code}"),
    "sale.bad_qty": ("Quantity must be 1 to {max}, got {qty}", "数量须为 1 至 {max}，当前 {qty}"),
    "sale.no_line": ("No line {line} in the basket", "购物篮中没有第 {line} 行"),
    "sale.fixed_qty": ("A scale label's quantity cannot change", "称重/计价标签商品不能改数量"),
    "sale.bad_points": ("Points to redeem cannot be negative", "使用积分不能为负数"),
    "sale.no_basket": ("No such suspended basket", "没有该挂单"),
    "sale.bad_discount": ("A line discount is 0 to 100 %, got {pct}", "单行折扣须为 0 至 100%，当前 {pct}"),
    "sale.empty": ("The basket is empty", "购物篮为空"),
    "sale.points_changed": ("Points changed meanwhile: {have} available now", "积分已变动，当前可用 {have}"),
    "member.ambiguous": ("{count} members match: pick one", "匹配到 {count} 位会员，请选择"),
    "tender.unknown": ("Unknown tender {tender}", "未知的支付方式 {tender}"),
    "tender.bad_amount": ("Tender {tender} needs a positive amount", "支付方式 {tender} 金额须大于 0"),
    "tender.over": ("Card and wallet payments exceed the amount due by {over} yuan (only cash gives change)",
                    "非现金支付超出应付 {over} 元（仅现金可找零）"),
    "tender.short": ("{short} yuan still due", "还差 {short} 元"),
    "tender.sv_member": ("Stored value needs a member", "使用储值需先识别会员"),
    "tender.sv_short": ("Stored value balance is only {balance} yuan", "储值余额仅 {balance} 元"),
    # issue 17: shopping coins (pos.loyalty.coins, pos.services.coin_sales)
    "coins.member": ("Paying with shopping coins needs a member", "使用购物币需先识别会员"),
    "coins.no_alliance": ("This store has no alliance rules yet: no shopping coins", "本店尚未收到联盟规则,不能使用购物币"),
    "coins.whole": ("Shopping coins pay in whole coins of {value} fen", "购物币须按整枚支付(每枚 {value} 分)"),
    "coins.cap": ("Shopping coins may pay at most {pct}% of this sale ({max} yuan)",
                  "购物币最多支付本单的 {pct}%({max} 元)"),
    "coins.short": ("Only {have} shopping coins can be spent", "可用购物币仅 {have} 枚"),
    "coins.offline_cap": ("Offline, at most {limit} shopping coins for this member (cap {cap})",
                          "离线时该会员最多可用 {limit} 枚购物币(上限 {cap})"),
    "coins.refund_over": ("Cannot give back {coins} shopping coins: more than the sale spent",
                          "不能退回 {coins} 枚购物币:超过原单使用的数量"),
    "topup.min": ("Top-up must be at least {min} yuan", "充值至少 {min} 元"),
    "topup.max": ("The balance would exceed {max} yuan", "储值余额不能超过 {max} 元"),
    # points uses (pos.services.points_uses, pos.services.lottery)
    "points.convert_disabled": ("This program does not convert points to stored value", "本会员方案不支持积分转储值"),
    "points.convert_min": ("At least {min} points per conversion", "每次至少转换 {min} 积分"),
    "points.convert_step": ("Points are converted in steps of {step}", "积分须按 {step} 的整数倍转换"),
    "points.not_enough": ("Not enough points: {need} needed, {have} available", "积分不足：需要 {need}，可用 {have}"),
    "points.sv_max": ("The stored-value balance would exceed {max} yuan", "储值余额不能超过 {max} 元"),
    "coupon.not_for_points": ("Coupon {template} cannot be exchanged for points", "券 {template} 不能用积分兑换"),
    "coupon.exchange_limit": ("Limit of {limit} coupon(s) {template} per member reached",
                              "券 {template} 每位会员限兑 {limit} 张，已达上限"),
    "coupon.exchange_store": ("Coupon {template} is not for this store", "券 {template} 不适用于本门店"),
    "lottery.disabled": ("This program has no points lottery", "本会员方案未开设积分抽奖"),
    "lottery.not_found": ("No draw {draw}", "没有抽奖记录 {draw}"),
    "lottery.not_drawn": ("Draw {draw} was not completed ({status})", "抽奖 {draw} 未完成（{status}）"),
    "campaign.unknown": ("No campaign {campaign} in the program", "会员方案中没有活动 {campaign}"),
    "campaign.no_window": ("Campaign {campaign} has no fixed window: give --from and --to",
                           "活动 {campaign} 没有固定的起止时间：请用 --from 和 --to 指定"),
    "campaign.drawn": ("Campaign {campaign} was already drawn (draw {draw})", "活动 {campaign} 已抽过奖（{draw}）"),
    "campaign.no_award": ("Say what the winners get: --points N or --coupon TEMPLATE",
                          "请指定中奖奖励：--points N 或 --coupon 券模板"),
    "campaign.winners": ("--winners must be 1 to {max}, got {winners}", "--winners 须为 1 至 {max}，当前 {winners}"),
    "campaign.no_candidates": ("No member bought in campaign {campaign}'s window", "活动 {campaign} 期间没有会员消费"),
    "return.no_sale": ("No sale with receipt {receipt}", "未找到小票 {receipt}"),
    "return.nothing_left": ("Everything on {receipt} was already returned", "小票 {receipt} 的商品已全部退货"),
    "return.not_on_sale": ("{code} is not on receipt {receipt}", "小票 {receipt} 上没有 {code}"),
    "return.too_many": ("Only {left} of {code} can still be returned", "{code} 最多还能退 {left} 件"),
    "sale.card_needs_member": ("A membership or upgrade card is sold to a member: attach or register the member first",
                               "会员卡/升级卡须售予会员：请先识别或登记会员"),
    "return.window_closed": ("Receipt {receipt} is {days} days old: the return window is {window} days; a manager can approve",
                             "小票 {receipt} 已过 {days} 天，超出 {window} 天退货期；需店长授权"),
    "return.over_refund": ("Refund {amount} yuan exceeds what is left to refund ({left} yuan)", "退款 {amount} 元超过可退金额 {left} 元"),
    "staff.bad_pin_format": ("A PIN is 4 to 8 digits", "密码须为 4 至 8 位数字"),
    "staff.bad_code": ("Invalid staff code {code}", "工号无效 {code}"),
    "staff.bad_role": ("Role must be cashier or manager, got {role}", "角色须为收银员或店长：{role}"),
    "staff.exists": ("Staff code {code} already exists", "工号 {code} 已存在"),
    "staff.bad_sign_in": ("Wrong staff code or PIN", "工号或密码错误"),
    "staff.not_manager": ("A manager's code and PIN are needed", "需要店长工号和密码授权"),
    "staff.over_limit": ("A {pct}% discount is over your limit of {limit}%: a manager must approve", "折扣 {pct}% 超出您的权限 {limit}%，需店长授权"),
    "shift.bad_amount": ("An amount cannot be negative", "金额不能为负数"),
    "shift.none": ("No open shift", "没有未结班次"),
    # input limits (pos/rules/limits.py): the value itself is never echoed
    "input.empty": ("{field} is empty", "{field} 为空"),
    "input.not_text": ("{field} must be text", "{field} 须为文本"),
    "input.control": ("{field} contains a control character ({char})", "{field} 含有控制字符（{char}）"),
    "input.too_long": ("{field} is longer than {max} characters ({length})", "{field} 超过 {max} 个字符（{length}）"),
    "input.not_int": ("{field} must be a whole number (not text, a decimal or true/false)",
                      "{field} 须为整数（不能是文本、小数或 true/false）"),
    "input.range": ("{field} must be {min} to {max}, got {value}", "{field} 须在 {min} 至 {max} 之间，当前 {value}"),
    "input.phone_not_code": ("{masked} is a phone number, not a code", "{masked} 是手机号，不是券码"),
    "input.bank_card": ("This is a bank card, refused", "这是银行卡，已拒绝"),
    "sale.too_big": ("A sale is at most {max} yuan: split it", "单笔交易最多 {max} 元，请分单"),
    "sale.bad_id": ("A sale id must be a real UUID, not the nil or max UUID", "单据号须为有效的 UUID（不能全为 0 或 F）"),
    "sale.id_reused": ("This sale id was already used for a different sale ({receipt})",
                       "该单据号已用于另一笔交易（{receipt}）"),
    "db.newer": (
        "Database {path} was written by a newer release (revision {rev}); upgrade the app",
        "数据库 {path} 来自更新的版本（{rev}），请升级程序",
    ),
    "settings.newer": (
        "The settings in {path} were written by a newer release (version {version}, this one reads up to {known}); upgrade the app",
        "{path} 中的设置来自更新的版本（{version}，本版本最高支持 {known}），请升级程序",
    ),
    "settings.bad_value": ("Setting {name} cannot be {value}: {reason}", "设置 {name} 不能为 {value}：{reason}"),
    # spending at an enrolled till (pos.services.spending)
    "sync.offline_cap": (
        "Offline: at most {limit} points can be used for this member now (offline cap {cap})",
        "离线状态：该会员当前最多可用 {limit} 积分（离线上限 {cap}）"),
    "sync.not_enough_points": ("HQ says only {have} points are available", "总部确认可用积分仅 {have}"),
    "sync.coupon_refused": ("HQ refused coupon use: {reason}", "总部拒绝用券：{reason}"),
    "sync.refused": ("HQ refused: {reason}", "总部拒绝：{reason}"),
    # parcels for pickup at the store (issue 18; pos.services.parcels)
    "parcel.unknown": ("No parcel {label} for this store (not sent by HQ yet? sync, then scan again)",
                       "本店没有包裹 {label}（总部尚未下发？请同步后再扫）"),
    "parcel.duplicate": ("Parcel {label} was received already ({at})", "包裹 {label} 已签收（{at}）"),
    "parcel.collected": ("Parcel {label} was collected already ({at})", "包裹 {label} 已被取走（{at}）"),
    "parcel.cancelled": ("The order of parcel {label} was returned: give the parcel back to the courier",
                         "包裹 {label} 的订单已退货：请将包裹退还快递员"),
    "parcel.no_match": ("No parcel waiting at this store matches {query}", "本店没有与 {query} 相符的待取包裹"),
    "parcel.not_arrived": ("Parcel {label} has not been received here yet: scan its label first",
                           "包裹 {label} 尚未在本店签收：请先扫描包裹面单"),
    "parcel.ambiguous": ("{count} parcels match: ask for the whole pickup code", "有 {count} 个包裹相符：请询问完整取件码"),
    "parcel.query": ("Give the pickup code, or the phone number and the last 4 of the code",
                     "请提供取件码，或手机号加取件码后4位"),
}


# --- what a message may echo of an input --------------------------------------
# Card track data (`;4111…=2512…?`, `%B4111…^NAME^…?`) or a bare bank account number
# and full phone numbers are never echoed: not on screen, not on stderr, not in logs.
# Bank structure (`looks_like_bank_card`, devices/msr.py refuses swipes with it too): track 1
# `B` + PAN + `^`, track 2/3 PAN + `=` + YYMM (Luhn-checked), where an omitted expiry is a lone
# '=' (ISO 7813; 'D' in the EMV "track 2 equivalent" some readers print); the service code is
# not required: refusing a little too much is safe, letting a bank card through is not.
# `card_like` adds any framed track with a field separator (`;…=…?`, `%…^…?`).
_BANK_T1 = re.compile(r"B([0-9 ]{13,23})\^")
_BANK_T2 = re.compile(r"(?<![0-9])([0-9]{13,21})[=D](?:[0-9]{4}|[=D])")
_FRAMED = re.compile(r"[%;+][^?]{0,200}[=^][^?]{0,200}\?")
_DIGIT_RUN = re.compile(r"\+?[0-9][0-9 \-]{5,}[0-9]")
_CN_MOBILE = re.compile(r"(?:\+?86|0086)?1[3-9][0-9]{9}")


def luhn_ok(digits: str) -> bool:
    """The Luhn check of a bank card number (devices.msr uses it too)."""
    if not digits.isascii() or not digits.isdigit():
        return False
    total = 0
    for i, c in enumerate(reversed(digits)):
        d = ord(c) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _pan(digits: str) -> bool:
    return 13 <= len(digits) <= 19 and luhn_ok(digits)


def looks_like_bank_card(text: str) -> bool:
    """True when any part of `text` has a bank card's account number and structure:
    track 1 format code B + PAN + ^, or PAN = YYMM (a lone = or D when the expiry is
    omitted). The one check; devices.msr refuses swipes with it too."""
    for m in _BANK_T1.finditer(text):
        if _pan(m.group(1).replace(" ", "")):
            return True
    for m in _BANK_T2.finditer(text):
        run = m.group(1)  # track 3 may put a 2-digit format code before the number
        if _pan(run) or _pan(run[2:]):
            return True
    return False


def card_like(text: str, bare: bool = True) -> bool:
    """Looks like magnetic-stripe track data or (with `bare`) a bank card number
    alone (15-19 digits, Luhn). Identification passes bare=False: a chain's own
    member cards may be long Luhn numbers, track structure never is one."""
    if not isinstance(text, str) or not text:
        return False
    if _FRAMED.search(text) or looks_like_bank_card(text):
        return True
    return bare and any(15 <= len(d) <= 19 and luhn_ok(d) for d in re.findall(r"[0-9]+", text))


def _mask_run(m: re.Match) -> str:
    digits = re.sub(r"[^0-9]", "", m.group(0))
    if _CN_MOBILE.fullmatch(digits) or (len(digits) >= 11 and m.group(0).startswith("+")):
        return digits[-11:-8] + "****" + digits[-4:]  # a phone: shown as 138****8000
    return m.group(0)


def echo(text: Any, limit: int = 40) -> str:
    """What a message may show of a refused input: never card data (replaced by
    "****"), phones masked, control characters dropped, at most `limit` characters."""
    text = str(text)
    if card_like(text):
        return "****"
    text = "".join(c if c.isprintable() else "?" for c in text)
    text = _DIGIT_RUN.sub(_mask_run, text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class DomainError(Exception):
    """A refusal with a code and params; never carries raw card data or full phones
    (every text param passes through `echo`, the last line of defence)."""

    def __init__(self, code: str, /, **params: Any):
        self.code = code
        self.params = {k: echo(v, 200) if isinstance(v, str) and (
            not v.isprintable() or card_like(v) or _DIGIT_RUN.search(v)) else v for k, v in params.items()}
        super().__init__(self.message("en"))

    def message(self, lang: str = "zh_CN") -> str:
        en, zh = MESSAGES.get(self.code, (self.code, self.code))
        template = en if lang.startswith("en") else zh
        try:
            return template.format(**self.params)
        except (KeyError, IndexError):
            return template

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message("en"), "message_zh": self.message("zh_CN")}
