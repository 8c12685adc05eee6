<?xml version='1.0' encoding='utf-8'?>
<TS version="2.1" language="zh_CN">
<context>
    <name>ArrivalsPanel</name>
    <message>
        <location filename="../../../app/arrivals.py" line="120" />
        <source>{0}: attach to sale</source>
        <translation>{0}：加入本单</translation>
    </message>
    <message>
        <location filename="../../../app/arrivals.py" line="121" />
        <source>Arrivals today ({0})</source>
        <translation>今日到店签到（{0}）</translation>
    </message>
    <message>
        <location filename="../../../app/arrivals.py" line="167" />
        <location filename="../../../app/arrivals.py" line="173" />
        <source>Tags: {0}</source>
        <translation>标签：{0}</translation>
    </message>
    <message>
        <location filename="../../../app/arrivals.py" line="168" />
        <source>Member details arrive with the next sync…</source>
        <translation>会员资料将随下次同步到达…</translation>
    </message>
    <message>
        <location filename="../../../app/arrivals.py" line="177" />
        <source>Complaint {0}: {1}</source>
        <translation>投诉 {0}：{1}</translation>
    </message>
    <message>
        <location filename="../../../app/arrivals.py" line="179" />
        <source>Suggest {0} ¥{1} — {2}</source>
        <translation>推荐 {0} ¥{1} — {2}</translation>
    </message>
    <message>
        <location filename="../../../app/arrivals.py" line="212" />
        <source>Nobody has checked in at the door today</source>
        <translation>今天还没有会员到店签到</translation>
    </message>
    <message>
        <location filename="../../../app/arrivals.py" line="238" />
        <source>This member is not at this till yet; it arrives with the next sync.</source>
        <translation>此会员资料尚未同步到本机，将随下次同步到达。</translation>
    </message>
</context>
<context>
    <name>BasketModel</name>
    <message>
        <location filename="../../../app/basket_model.py" line="23" />
        <source>#</source>
        <translation>#</translation>
    </message>
    <message>
        <location filename="../../../app/basket_model.py" line="23" />
        <source>Item</source>
        <translation>商品</translation>
    </message>
    <message>
        <location filename="../../../app/basket_model.py" line="23" />
        <source>Qty</source>
        <translation>数量</translation>
    </message>
    <message>
        <location filename="../../../app/basket_model.py" line="23" />
        <source>Price</source>
        <translation>单价</translation>
    </message>
    <message>
        <location filename="../../../app/basket_model.py" line="23" />
        <source>Discount</source>
        <translation>优惠</translation>
    </message>
    <message>
        <location filename="../../../app/basket_model.py" line="24" />
        <source>Amount</source>
        <translation>金额</translation>
    </message>
    <message>
        <location filename="../../../app/basket_model.py" line="24" />
        <location filename="../../../app/basket_model.py" line="110" />
        <source>Points</source>
        <translation>积分</translation>
    </message>
    <message>
        <location filename="../../../app/basket_model.py" line="71" />
        <source>[Gift] </source>
        <translation>【礼品】</translation>
    </message>
    <message>
        <location filename="../../../app/basket_model.py" line="108" />
        <source>Flash sale</source>
        <translation>限时抢购</translation>
    </message>
    <message>
        <location filename="../../../app/basket_model.py" line="108" />
        <source>Member price</source>
        <translation>会员价</translation>
    </message>
    <message>
        <location filename="../../../app/basket_model.py" line="109" />
        <source>Line discount</source>
        <translation>单品折扣</translation>
    </message>
    <message>
        <location filename="../../../app/basket_model.py" line="109" />
        <source>Member discount</source>
        <translation>会员折扣</translation>
    </message>
    <message>
        <location filename="../../../app/basket_model.py" line="110" />
        <source>Promotion</source>
        <translation>促销</translation>
    </message>
    <message>
        <location filename="../../../app/basket_model.py" line="110" />
        <source>Coupon</source>
        <translation>优惠券</translation>
    </message>
</context>
<context>
    <name>CalibrationTab</name>
    <message>
        <location filename="../../../app/reports/calibration.py" line="34" />
        <source>Tier</source>
        <translation>等级</translation>
    </message>
    <message>
        <location filename="../../../app/reports/calibration.py" line="35" />
        <source>Target</source>
        <translation>目标</translation>
    </message>
    <message>
        <location filename="../../../app/reports/calibration.py" line="36" />
        <source>Today's threshold</source>
        <translation>现行门槛</translation>
    </message>
    <message>
        <location filename="../../../app/reports/calibration.py" line="37" />
        <source>Share at today's thresholds</source>
        <translation>按现行门槛的占比</translation>
    </message>
    <message>
        <location filename="../../../app/reports/calibration.py" line="38" />
        <source>Share holding the tier now</source>
        <translation>当前持有该等级的占比</translation>
    </message>
    <message>
        <location filename="../../../app/reports/calibration.py" line="39" />
        <source>Proposed threshold</source>
        <translation>建议门槛</translation>
    </message>
    <message>
        <location filename="../../../app/reports/calibration.py" line="40" />
        <source>Share at the proposed thresholds</source>
        <translation>按建议门槛的占比</translation>
    </message>
    <message>
        <location filename="../../../app/reports/calibration.py" line="40" />
        <source>Filter</source>
        <translation>筛选</translation>
    </message>
    <message>
        <location filename="../../../app/reports/calibration.py" line="48" />
        <source>Apply as a new program version…</source>
        <translation>作为新的会员方案版本应用…</translation>
    </message>
    <message>
        <location filename="../../../app/reports/calibration.py" line="51" />
        <source>Installs the proposed thresholds (and review bands) as a new version of the loyalty program, as `tiers calibrate --apply`.</source>
        <translation>将建议的门槛（及复审区间）安装为会员方案的新版本，与 `tiers calibrate --apply` 相同。</translation>
    </message>
    <message>
        <location filename="../../../app/reports/calibration.py" line="87" />
        <source>Only {0} % of members reach today's {1} threshold ({2}); the target is {3} %.</source>
        <translation>只有 {0}% 的会员达到现行{1}门槛（{2}）；目标为 {3}%。</translation>
    </message>
    <message>
        <location filename="../../../app/reports/calibration.py" line="89" />
        <source>{0} % of members reach today's {1} threshold ({2}); the target is {3} %.</source>
        <translation>{0}% 的会员达到现行{1}门槛（{2}）；目标为 {3}%。</translation>
    </message>
    <message>
        <location filename="../../../app/reports/calibration.py" line="91" />
        <source>{0} % of members reach today's {1} threshold ({2}), as the target ({3} %).</source>
        <translation>{0}% 的会员达到现行{1}门槛（{2}），与目标（{3}%）一致。</translation>
    </message>
    <message>
        <location filename="../../../app/reports/calibration.py" line="95" />
        <source>{0} active members, {1} of them bought, by their spend over the {2} days to {3}; target {4}.</source>
        <translation>{0} 位有效会员（其中 {1} 位有消费），按截至 {3} 的 {2} 天消费额计算；目标 {4}。</translation>
    </message>
    <message>
        <location filename="../../../app/reports/calibration.py" line="99" />
        <source>The proposal would move {0} member(s) up, {1} down; {2} unchanged.</source>
        <translation>按建议将有 {0} 位会员升级、{1} 位降级；{2} 位不变。</translation>
    </message>
</context>
<context>
    <name>CheckoutScreen</name>
    <message>
        <location filename="../../../app/checkout_screen.py" line="68" />
        <source>Scan or type: barcode, member card/code, coupon, phone or last 4 digits — Enter</source>
        <translation>扫码或输入：商品条码、会员卡/会员码、券码、手机号或尾号4位 — 回车</translation>
    </message>
    <message>
        <location filename="../../../app/checkout_screen.py" line="172" />
        <source>Member</source>
        <translation>会员</translation>
    </message>
    <message>
        <location filename="../../../app/checkout_screen.py" line="172" />
        <source>Join</source>
        <translation>入会</translation>
    </message>
    <message>
        <location filename="../../../app/checkout_screen.py" line="173" />
        <source>Qty</source>
        <translation>数量</translation>
    </message>
    <message>
        <location filename="../../../app/checkout_screen.py" line="173" />
        <source>Discount</source>
        <translation>优惠</translation>
    </message>
    <message>
        <location filename="../../../app/checkout_screen.py" line="174" />
        <source>Remove</source>
        <translation>删除</translation>
    </message>
    <message>
        <location filename="../../../app/checkout_screen.py" line="174" />
        <source>Points</source>
        <translation>积分</translation>
    </message>
    <message>
        <location filename="../../../app/checkout_screen.py" line="175" />
        <source>Gift</source>
        <translation>礼品</translation>
    </message>
    <message>
        <location filename="../../../app/checkout_screen.py" line="175" />
        <source>Hold/Recall</source>
        <translation>挂单/取单</translation>
    </message>
    <message>
        <location filename="../../../app/checkout_screen.py" line="176" />
        <source>Return</source>
        <translation>退货</translation>
    </message>
    <message>
        <location filename="../../../app/checkout_screen.py" line="176" />
        <source>Top-up</source>
        <translation>充值</translation>
    </message>
    <message>
        <location filename="../../../app/checkout_screen.py" line="177" />
        <source>Pay</source>
        <translation>结账</translation>
    </message>
    <message>
        <location filename="../../../app/checkout_screen.py" line="198" />
        <source>Ctrl+Del
Void</source>
        <translation>Ctrl+Del
整单作废</translation>
    </message>
    <message>
        <location filename="../../../app/checkout_screen.py" line="209" />
        <source>Waiting for HQ to confirm the payment…</source>
        <translation>正在等待总部确认本次付款…</translation>
    </message>
    <message>
        <location filename="../../../app/checkout_screen.py" line="230" />
        <source>Total ¥{0}</source>
        <translation>原价 ¥{0}</translation>
    </message>
    <message>
        <location filename="../../../app/checkout_screen.py" line="231" />
        <source>Discounts -¥{0}</source>
        <translation>优惠 -¥{0}</translation>
    </message>
    <message>
        <location filename="../../../app/checkout_screen.py" line="233" />
        <source>Membership saved ¥{0}</source>
        <translation>会员为您节省 ¥{0}</translation>
    </message>
    <message>
        <location filename="../../../app/checkout_screen.py" line="234" />
        <source>Points used {0} (¥{1})</source>
        <translation>使用积分 {0}（抵 ¥{1}）</translation>
    </message>
    <message>
        <location filename="../../../app/checkout_screen.py" line="239" />
        <source>Earns {0} points ({1})</source>
        <translation>本单可得 {0} 积分（{1}）</translation>
    </message>
    <message>
        <location filename="../../../app/checkout_screen.py" line="240" />
        <source>Earns {0} points</source>
        <translation>本单可得 {0} 积分</translation>
    </message>
    <message>
        <location filename="../../../app/checkout_screen.py" line="241" />
        <source>Due ¥{0}</source>
        <translation>应付 ¥{0}</translation>
    </message>
    <message>
        <location filename="../../../app/checkout_screen.py" line="266" />
        <location filename="../../../app/checkout_screen.py" line="310" />
        <location filename="../../../app/checkout_screen.py" line="414" />
        <location filename="../../../app/checkout_screen.py" line="415" />
        <source>coupon {0}</source>
        <translation>券 {0}</translation>
    </message>
    <message>
        <location filename="../../../app/checkout_screen.py" line="267" />
        <source>points</source>
        <translation>积分</translation>
    </message>
    <message>
        <location filename="../../../app/checkout_screen.py" line="285" />
        <location filename="../../../app/checkout_screen.py" line="748" />
        <source>{0} points</source>
        <translation>{0} 积分</translation>
    </message>
    <message>
        <location filename="../../../app/checkout_screen.py" line="290" />
        <source>Applied: {0} -¥{1}</source>
        <translation>已优惠：{0} -¥{1}</translation>
    </message>
    <message>
        <location filename="../../../app/checkout_screen.py" line="311" />
        <source>offer</source>
        <translation>优惠</translation>
    </message>
    <message>
        <location filename="../../../app/checkout_screen.py" line="312" />
        <location filename="../../../app/checkout_screen.py" line="417" />
        <location filename="../../../app/checkout_screen.py" line="496" />
        <source>Not applied: {0} — {1}</source>
        <translation>未使用：{0} — {1}</translation>
    </message>
    <message>
        <location filename="../../../app/checkout_screen.py" line="390" />
        <source> — F3: quick join with this number</source>
        <translation> — 按 F3 用此号码快速入会</translation>
    </message>
    <message>
        <location filename="../../../app/checkout_screen.py" line="886" />
        <source>Already checked in today: no more points</source>
        <translation>今天已签到，不再加积分</translation>
    </message>
    <message>
        <location filename="../../../app/checkout_screen.py" line="888" />
        <source>Checked in: +{0} points, balance {1}</source>
        <translation>签到成功：+{0} 积分，余额 {1}</translation>
    </message>
    <message>
        <location filename="../../../app/checkout_screen.py" line="890" />
        <source>Checked in</source>
        <translation>签到成功</translation>
    </message>
    <message>
        <location filename="../../../app/arrivals.py" line="244" />
        <location filename="../../../app/checkout_screen.py" line="403" />
        <source>Member: {0}</source>
        <translation>会员：{0}</translation>
    </message>
    <message>
        <location filename="../../../app/checkout_screen.py" line="416" />
        <location filename="../../../app/checkout_screen.py" line="496" />
        <source>Applied: {0}</source>
        <translation>已使用：{0}</translation>
    </message>
    <message>
        <location filename="../../../app/checkout_screen.py" line="437" />
        <source>Asking HQ for this member…</source>
        <translation>正在向总部查询该会员…</translation>
    </message>
    <message>
        <location filename="../../../app/checkout_screen.py" line="478" />
        <source>Replace the member?</source>
        <translation>更换会员？</translation>
    </message>
    <message>
        <location filename="../../../app/checkout_screen.py" line="479" />
        <source>This sale is for {0}. Replace with {1}?</source>
        <translation>本单会员为 {0}。更换为 {1}？</translation>
    </message>
    <message>
        <location filename="../../../app/checkout_screen.py" line="484" />
        <source>Kept member {0}</source>
        <translation>保留会员 {0}</translation>
    </message>
    <message>
        <location filename="../../../app/checkout_screen.py" line="495" />
        <source>coupon</source>
        <translation>券</translation>
    </message>
    <message>
        <location filename="../../../app/checkout_screen.py" line="502" />
        <source>a new member</source>
        <translation>新会员</translation>
    </message>
    <message>
        <location filename="../../../app/checkout_screen.py" line="504" />
        <source>Quick join</source>
        <translation>快速入会</translation>
    </message>
    <message>
        <location filename="../../../app/checkout_screen.py" line="504" />
        <source>Mobile number (the rest of the profile later)</source>
        <translation>手机号（其他资料稍后补充）</translation>
    </message>
    <message>
        <location filename="../../../app/checkout_screen.py" line="513" />
        <source>Welcome, new member {0}! Sign-up rewards are in the wallet.</source>
        <translation>欢迎新会员 {0}！入会礼已放入券包。</translation>
    </message>
    <message>
        <location filename="../../../app/checkout_screen.py" line="514" />
        <source> Applied now: {0}</source>
        <translation> 已自动使用：{0}</translation>
    </message>
    <message>
        <location filename="../../../app/checkout_screen.py" line="534" />
        <source>Quantity</source>
        <translation>数量</translation>
    </message>
    <message>
        <location filename="../../../app/checkout_screen.py" line="537" />
        <location filename="../../../app/checkout_screen.py" line="551" />
        <source>Type a whole number</source>
        <translation>请输入整数</translation>
    </message>
    <message>
        <location filename="../../../app/checkout_screen.py" line="547" />
        <source>Line discount</source>
        <translation>单品折扣</translation>
    </message>
    <message>
        <location filename="../../../app/checkout_screen.py" line="547" />
        <source>Discount in percent for {0}</source>
        <translation>{0} 的折扣（百分比）</translation>
    </message>
    <message>
        <location filename="../../../app/checkout_screen.py" line="585" />
        <source>Member taken off this sale</source>
        <translation>已移除本单会员</translation>
    </message>
    <message>
        <location filename="../../../app/checkout_screen.py" line="591" />
        <location filename="../../../app/checkout_screen.py" line="606" />
        <location filename="../../../app/checkout_screen.py" line="655" />
        <location filename="../../../app/checkout_screen.py" line="684" />
        <location filename="../../../app/checkout_screen.py" line="709" />
        <location filename="../../../app/checkout_screen.py" line="731" />
        <location filename="../../../app/checkout_screen.py" line="878" />
        <source>Identify the member first</source>
        <translation>请先识别会员</translation>
    </message>
    <message>
        <location filename="../../../app/checkout_screen.py" line="633" />
        <source>Held basket recalled</source>
        <translation>已取回挂单</translation>
    </message>
    <message>
        <location filename="../../../app/checkout_screen.py" line="637" />
        <source>Basket held: F9 recalls it</source>
        <translation>已挂单：按 F9 取单</translation>
    </message>
    <message>
        <location filename="../../../app/checkout_screen.py" line="623" />
        <source>No basket on hold</source>
        <translation>没有挂单</translation>
    </message>
    <message>
        <location filename="../../../app/checkout_screen.py" line="405" />
        <source>Parcel received: {0}</source>
        <translation>包裹已签收：{0}</translation>
    </message>
    <message>
        <location filename="../../../app/checkout_screen.py" line="407" />
        <source>Parcel collected: {0} — the pickup voucher is on this sale</source>
        <translation>包裹已取件：{0} — 取件券已用于本单</translation>
    </message>
    <message>
        <location filename="../../../app/checkout_screen.py" line="409" />
        <source>Parcel collected: {0} — not on this sale: the voucher is in the member's wallet</source>
        <translation>包裹已取件：{0} — 未用于本单：取件券已放入会员券包</translation>
    </message>
    <message>
        <location filename="../../../app/checkout_screen.py" line="411" />
        <source>Parcel collected: {0}</source>
        <translation>包裹已取件：{0}</translation>
    </message>
    <message>
        <location filename="../../../app/checkout_screen.py" line="645" />
        <source>Void</source>
        <translation>作废</translation>
    </message>
    <message>
        <location filename="../../../app/checkout_screen.py" line="645" />
        <source>Void this sale?</source>
        <translation>确定作废本单？</translation>
    </message>
    <message>
        <location filename="../../../app/checkout_screen.py" line="648" />
        <source>Sale voided</source>
        <translation>本单已作废</translation>
    </message>
    <message>
        <location filename="../../../app/checkout_screen.py" line="656" />
        <source>Top up stored value</source>
        <translation>储值充值</translation>
    </message>
    <message>
        <location filename="../../../app/checkout_screen.py" line="656" />
        <source>Amount in yuan</source>
        <translation>金额（元）</translation>
    </message>
    <message>
        <location filename="../../../app/checkout_screen.py" line="663" />
        <source>Type an amount such as 100 or 12.50</source>
        <translation>请输入金额，例如 100 或 12.50</translation>
    </message>
    <message>
        <location filename="../../../app/checkout_screen.py" line="672" />
        <source>Topped up ¥{0}, receipt {1}</source>
        <translation>已充值 ¥{0}，小票 {1}</translation>
    </message>
    <message>
        <location filename="../../../app/checkout_screen.py" line="699" />
        <source>{0} points converted: ¥{1} added to stored value (now ¥{2})</source>
        <translation>已转换 {0} 积分：储值增加 ¥{1}（现为 ¥{2}）</translation>
    </message>
    <message>
        <location filename="../../../app/checkout_screen.py" line="712" />
        <source>No coupon can be exchanged for points in this program</source>
        <translation>本会员方案没有可用积分兑换的券</translation>
    </message>
    <message>
        <location filename="../../../app/checkout_screen.py" line="722" />
        <source>Coupon {0} is in the wallet for {1} points (valid to {2})</source>
        <translation>已用 {1} 积分兑换 {0}，券已放入券包（有效期至 {2}）</translation>
    </message>
    <message>
        <location filename="../../../app/checkout_screen.py" line="735" />
        <source>Points lottery</source>
        <translation>积分抽奖</translation>
    </message>
    <message>
        <location filename="../../../app/checkout_screen.py" line="736" />
        <source>Draw once for {0} points?</source>
        <translation>花 {0} 积分抽奖一次？</translation>
    </message>
    <message>
        <location filename="../../../app/checkout_screen.py" line="746" />
        <source>no prize this time — thank you!</source>
        <translation>未中奖，谢谢参与！</translation>
    </message>
    <message>
        <location filename="../../../app/checkout_screen.py" line="750" />
        <source>a coupon, now in the wallet</source>
        <translation>优惠券，已放入券包</translation>
    </message>
    <message>
        <location filename="../../../app/checkout_screen.py" line="752" />
        <source>a gift: hand it over</source>
        <translation>礼品：请交给顾客</translation>
    </message>
    <message>
        <location filename="../../../app/checkout_screen.py" line="753" />
        <source>Lottery ({0} points): {1} — {2}</source>
        <translation>抽奖（{0} 积分）：{1} — {2}</translation>
    </message>
    <message>
        <location filename="../../../app/checkout_screen.py" line="754" />
        <source>Lottery</source>
        <translation>抽奖</translation>
    </message>
    <message>
        <location filename="../../../app/checkout_screen.py" line="774" />
        <source>Waiting for HQ to confirm the points… (offline rules after a few seconds)</source>
        <translation>正在等待总部确认积分…（数秒后按离线规则）</translation>
    </message>
    <message>
        <location filename="../../../app/checkout_screen.py" line="782" />
        <source>The basket is empty</source>
        <translation>购物篮为空</translation>
    </message>
    <message>
        <location filename="../../../app/checkout_screen.py" line="797" />
        <source>Waiting for HQ to confirm points and coupons… (offline rules after a few seconds)</source>
        <translation>正在等待总部确认积分和优惠券…（几秒后按离线规则处理）</translation>
    </message>
    <message>
        <location filename="../../../app/checkout_screen.py" line="438" />
        <location filename="../../../app/checkout_screen.py" line="775" />
        <location filename="../../../app/checkout_screen.py" line="798" />
        <source>Waiting for HQ…</source>
        <translation>正在等待总部…</translation>
    </message>
    <message>
        <location filename="../../../app/checkout_screen.py" line="803" />
        <source>The payment failed ({0}); the basket is kept — try again</source>
        <translation>付款失败（{0}）；购物车已保留，请重试</translation>
    </message>
    <message>
        <location filename="../../../app/checkout_screen.py" line="813" />
        <source>Paid. Receipt {0}</source>
        <translation>已收款。小票 {0}</translation>
    </message>
    <message>
        <location filename="../../../app/checkout_screen.py" line="814" />
        <source> · change ¥{0}</source>
        <translation> · 找零 ¥{0}</translation>
    </message>
    <message>
        <location filename="../../../app/checkout_screen.py" line="815" />
        <source> · monthly spend bonus +{0} points</source>
        <translation> · 月消费奖励 +{0} 积分</translation>
    </message>
    <message>
        <location filename="../../../app/checkout_screen.py" line="834" />
        <source>Reprint</source>
        <translation>补打小票</translation>
    </message>
    <message>
        <location filename="../../../app/checkout_screen.py" line="834" />
        <source>Receipt number</source>
        <translation>小票号</translation>
    </message>
    <message>
        <location filename="../../../app/checkout_screen.py" line="859" />
        <source>Showing the full phone number is recorded.</source>
        <translation>查看完整手机号将被记录。</translation>
    </message>
</context>
<context>
    <name>ChurnTab</name>
    <message>
        <location filename="../../../app/reports/churn.py" line="25" />
        <source>No purchase in</source>
        <translation>未消费</translation>
    </message>
    <message>
        <location filename="../../../app/reports/churn.py" line="27" />
        <source>90 days</source>
        <translation>90天</translation>
    </message>
    <message>
        <location filename="../../../app/reports/churn.py" line="28" />
        <source>180 days</source>
        <translation>180天</translation>
    </message>
    <message>
        <location filename="../../../app/reports/churn.py" line="29" />
        <source>365 days (dormant)</source>
        <translation>365天（沉睡）</translation>
    </message>
    <message>
        <location filename="../../../app/reports/churn.py" line="31" />
        <source>Tier</source>
        <translation>等级</translation>
    </message>
    <message>
        <location filename="../../../app/reports/churn.py" line="33" />
        <source>All tiers</source>
        <translation>全部等级</translation>
    </message>
    <message>
        <location filename="../../../app/reports/churn.py" line="38" />
        <source>Find</source>
        <translation>查找</translation>
    </message>
    <message>
        <location filename="../../../app/reports/churn.py" line="42" />
        <source>Issue win-back coupon to selected</source>
        <translation>向所选会员发放召回券</translation>
    </message>
    <message>
        <location filename="../../../app/reports/churn.py" line="46" />
        <source>Export list…</source>
        <translation>导出名单…</translation>
    </message>
    <message>
        <location filename="../../../app/reports/churn.py" line="52" />
        <source>Filter by name, code, phone, tier…</source>
        <translation>按姓名、会员码、手机、等级筛选…</translation>
    </message>
    <message>
        <location filename="../../../app/reports/churn.py" line="61" />
        <source>{0} member(s) with no purchase in {1} days as of {2}{3}, most valuable first.</source>
        <translation>截至 {2}{3}，{0} 位会员 {1} 天未消费，按消费额从高到低。</translation>
    </message>
</context>
<context>
    <name>ConvertPointsDialog</name>
    <message>
        <location filename="../../../app/points_dialogs.py" line="22" />
        <source>Points to stored value</source>
        <translation>积分转储值</translation>
    </message>
    <message>
        <location filename="../../../app/points_dialogs.py" line="26" />
        <source>Usable points: {0}</source>
        <translation>可用积分：{0}</translation>
    </message>
    <message>
        <location filename="../../../app/points_dialogs.py" line="28" />
        <source>{0} points = ¥{1}, in steps of {2} (at least {3})</source>
        <translation>{0} 积分 = ¥{1}，按 {2} 的整数倍（至少 {3}）</translation>
    </message>
    <message>
        <location filename="../../../app/points_dialogs.py" line="31" />
        <source>Stored value now ¥{0}</source>
        <translation>当前储值 ¥{0}</translation>
    </message>
    <message>
        <location filename="../../../app/points_dialogs.py" line="43" />
        <source>Convert</source>
        <translation>转换</translation>
    </message>
    <message>
        <location filename="../../../app/points_dialogs.py" line="65" />
        <source>= ¥{0} of stored value</source>
        <translation>= 储值 ¥{0}</translation>
    </message>
    <message>
        <location filename="../../../app/points_dialogs.py" line="70" />
        <source>Type a whole number of points</source>
        <translation>请输入整数积分</translation>
    </message>
    <message>
        <location filename="../../../app/points_dialogs.py" line="72" />
        <source>At least {0} points</source>
        <translation>至少 {0} 积分</translation>
    </message>
    <message>
        <location filename="../../../app/points_dialogs.py" line="75" />
        <source>Points go in steps of {0}: {1} or {2}</source>
        <translation>积分须为 {0} 的整数倍：{1} 或 {2}</translation>
    </message>
    <message>
        <location filename="../../../app/points_dialogs.py" line="78" />
        <source>Only {0} points are usable</source>
        <translation>可用积分仅 {0}</translation>
    </message>
</context>
<context>
    <name>Crash</name>
    <message>
        <location filename="../../../app/crash.py" line="27" />
        <source>Something went wrong</source>
        <translation>出现问题</translation>
    </message>
    <message>
        <location filename="../../../app/crash.py" line="28" />
        <source>The till met an unexpected problem and has written it to the log. A sale that was paid is saved; a sale not yet paid may need to be scanned again. If this happens again, tell IT and give them the log file:
{0}</source>
        <translation>收银程序遇到意外问题，已记录到日志。已付款的销售已保存；尚未付款的销售可能需要重新扫码。如再次发生，请联系 IT 并提供日志文件：
{0}</translation>
    </message>
</context>
<context>
    <name>CustomerDisplay</name>
    <message>
        <location filename="../../../app/customer_display.py" line="240" />
        <source>Customer screen: monitor {0} is not connected (the till has {1})</source>
        <translation>顾客屏：未连接显示器 {0}（本机有 {1} 台）</translation>
    </message>
    <message>
        <location filename="../../../app/customer_display.py" line="248" />
        <source>Customer screen: monitor {0} is the till's own screen; choose another monitor, or a window</source>
        <translation>顾客屏：显示器 {0} 是收银员自己的屏幕；请选择另一台显示器，或“普通窗口”</translation>
    </message>
    <message>
        <location filename="../../../app/customer_display.py" line="257" />
        <location filename="../../../app/customer_display.py" line="509" />
        <source>Customer screen</source>
        <translation>顾客屏</translation>
    </message>
    <message>
        <location filename="../../../app/customer_display.py" line="304" />
        <location filename="../../../app/customer_display.py" line="315" />
        <location filename="../../../app/customer_display.py" line="394" />
        <source>Welcome</source>
        <translation>欢迎光临</translation>
    </message>
    <message>
        <location filename="../../../app/customer_display.py" line="307" />
        <source>Scan to join: a welcome gift on your first order</source>
        <translation>扫码入会，首单立享优惠</translation>
    </message>
    <message>
        <location filename="../../../app/customer_display.py" line="308" />
        <source>Scan with WeChat or your phone's camera — no app, about 30 seconds</source>
        <translation>微信或手机相机扫一扫，无需下载，30 秒成为会员</translation>
    </message>
    <message>
        <location filename="../../../app/customer_display.py" line="317" />
        <source>Thank you for shopping with us</source>
        <translation>感谢您的光临</translation>
    </message>
    <message>
        <location filename="../../../app/customer_display.py" line="342" />
        <source>… and {0} more item(s) above</source>
        <translation>…… 上面还有 {0} 项商品</translation>
    </message>
    <message>
        <location filename="../../../app/customer_display.py" line="345" />
        <source>Item</source>
        <translation>商品</translation>
    </message>
    <message>
        <location filename="../../../app/customer_display.py" line="345" />
        <source>Qty</source>
        <translation>数量</translation>
    </message>
    <message>
        <location filename="../../../app/customer_display.py" line="345" />
        <source>Discount</source>
        <translation>优惠</translation>
    </message>
    <message>
        <location filename="../../../app/customer_display.py" line="345" />
        <source>Amount</source>
        <translation>金额</translation>
    </message>
    <message>
        <location filename="../../../app/customer_display.py" line="351" />
        <source>[Gift] </source>
        <translation>【礼品】</translation>
    </message>
    <message>
        <location filename="../../../app/customer_display.py" line="370" />
        <source>{0} item(s)</source>
        <translation>共 {0} 件</translation>
    </message>
    <message>
        <location filename="../../../app/customer_display.py" line="371" />
        <source>Total ¥{0}</source>
        <translation>原价 ¥{0}</translation>
    </message>
    <message>
        <location filename="../../../app/customer_display.py" line="372" />
        <source>Discounts -¥{0}</source>
        <translation>优惠 -¥{0}</translation>
    </message>
    <message>
        <location filename="../../../app/customer_display.py" line="374" />
        <source>Membership saved ¥{0}</source>
        <translation>会员为您节省 ¥{0}</translation>
    </message>
    <message>
        <location filename="../../../app/customer_display.py" line="376" />
        <source>Due ¥{0}</source>
        <translation>应付 ¥{0}</translation>
    </message>
    <message>
        <location filename="../../../app/customer_display.py" line="378" />
        <source>Earns {0} points</source>
        <translation>本单可得 {0} 积分</translation>
    </message>
    <message>
        <location filename="../../../app/customer_display.py" line="383" />
        <source>Not a member yet? Scan to join: the welcome gift goes on this purchase</source>
        <translation>还不是会员？扫码入会，本单即享新人礼</translation>
    </message>
    <message>
        <location filename="../../../app/customer_display.py" line="394" />
        <source>Welcome to {0}</source>
        <translation>欢迎光临 {0}</translation>
    </message>
    <message>
        <location filename="../../../app/customer_display.py" line="402" />
        <location filename="../../../app/customer_display.py" line="405" />
        <source>Hello, dear member</source>
        <translation>尊敬的会员，您好</translation>
    </message>
    <message>
        <location filename="../../../app/customer_display.py" line="405" />
        <source>Hello, {0}</source>
        <translation>{0}，您好</translation>
    </message>
    <message>
        <location filename="../../../app/customer_display.py" line="408" />
        <source>{0} points to use</source>
        <translation>可用积分 {0}</translation>
    </message>
    <message>
        <location filename="../../../app/customer_display.py" line="434" />
        <source>Thank you!</source>
        <translation>谢谢惠顾！</translation>
    </message>
    <message>
        <location filename="../../../app/customer_display.py" line="436" />
        <source>Paid ¥{0}</source>
        <translation>实付 ¥{0}</translation>
    </message>
    <message>
        <location filename="../../../app/customer_display.py" line="437" />
        <source>Change ¥{0}</source>
        <translation>找零 ¥{0}</translation>
    </message>
    <message>
        <location filename="../../../app/customer_display.py" line="442" />
        <source>+{0} points for this purchase</source>
        <translation>本单获得 +{0} 积分</translation>
    </message>
    <message>
        <location filename="../../../app/customer_display.py" line="443" />
        <source>Points balance {0}</source>
        <translation>积分余额 {0}</translation>
    </message>
    <message>
        <location filename="../../../app/customer_display.py" line="445" />
        <source>Congratulations: you are now {0}</source>
        <translation>恭喜您升级为 {0}</translation>
    </message>
    <message>
        <location filename="../../../app/customer_display.py" line="452" />
        <source>See you again soon</source>
        <translation>欢迎再次光临</translation>
    </message>
</context>
<context>
    <name>DetailsTab</name>
    <message>
        <location filename="../../../app/reports/details.py" line="24" />
        <source>Cashier</source>
        <translation>收银员</translation>
    </message>
    <message>
        <location filename="../../../app/reports/details.py" line="24" />
        <source>(none)</source>
        <translation>（无）</translation>
    </message>
    <message>
        <location filename="../../../app/reports/details.py" line="24" />
        <location filename="../../../app/reports/details.py" line="30" />
        <source>Sales</source>
        <translation>销售额</translation>
    </message>
    <message>
        <location filename="../../../app/reports/details.py" line="25" />
        <location filename="../../../app/reports/details.py" line="64" />
        <source>Transactions</source>
        <translation>交易笔数</translation>
    </message>
    <message>
        <location filename="../../../app/reports/details.py" line="25" />
        <source>AOV</source>
        <translation>客单价</translation>
    </message>
    <message>
        <location filename="../../../app/reports/details.py" line="26" />
        <location filename="../../../app/reports/details.py" line="63" />
        <source>Refunds</source>
        <translation>退款</translation>
    </message>
    <message>
        <location filename="../../../app/reports/details.py" line="26" />
        <source>Member share</source>
        <translation>会员占比</translation>
    </message>
    <message>
        <location filename="../../../app/reports/details.py" line="27" />
        <source>Filter cashiers</source>
        <translation>筛选收银员</translation>
    </message>
    <message>
        <location filename="../../../app/reports/details.py" line="29" />
        <source>Hour</source>
        <translation>时段</translation>
    </message>
    <message>
        <location filename="../../../app/reports/details.py" line="29" />
        <source>Tickets</source>
        <translation>单数</translation>
    </message>
    <message>
        <location filename="../../../app/reports/details.py" line="30" />
        <source>Member tickets</source>
        <translation>会员单数</translation>
    </message>
    <message>
        <location filename="../../../app/reports/details.py" line="31" />
        <source>Filter hours</source>
        <translation>筛选时段</translation>
    </message>
    <message>
        <location filename="../../../app/reports/details.py" line="36" />
        <source>From</source>
        <translation>原等级</translation>
    </message>
    <message>
        <location filename="../../../app/reports/details.py" line="36" />
        <source>To</source>
        <translation>新等级</translation>
    </message>
    <message>
        <location filename="../../../app/reports/details.py" line="37" />
        <source>Reason</source>
        <translation>原因</translation>
    </message>
    <message>
        <location filename="../../../app/reports/details.py" line="37" />
        <source>Direction</source>
        <translation>方向</translation>
    </message>
    <message>
        <location filename="../../../app/reports/details.py" line="38" />
        <source>Members</source>
        <translation>会员</translation>
    </message>
    <message>
        <location filename="../../../app/reports/details.py" line="38" />
        <source>Filter tier moves</source>
        <translation>筛选等级变动</translation>
    </message>
    <message>
        <location filename="../../../app/reports/details.py" line="40" />
        <source>Figure</source>
        <translation>指标</translation>
    </message>
    <message>
        <location filename="../../../app/reports/details.py" line="40" />
        <source>Value</source>
        <translation>价值</translation>
    </message>
    <message>
        <location filename="../../../app/reports/details.py" line="41" />
        <source>Filter figures</source>
        <translation>筛选指标</translation>
    </message>
    <message>
        <location filename="../../../app/reports/details.py" line="61" />
        <source>Sales (net of refunds)</source>
        <translation>销售额（已扣退款）</translation>
    </message>
    <message>
        <location filename="../../../app/reports/details.py" line="62" />
        <source>Sales on sale tickets</source>
        <translation>销售单金额</translation>
    </message>
    <message>
        <location filename="../../../app/reports/details.py" line="65" />
        <source>Sale tickets</source>
        <translation>销售单数</translation>
    </message>
    <message>
        <location filename="../../../app/reports/details.py" line="66" />
        <source>Return tickets</source>
        <translation>退货单数</translation>
    </message>
    <message>
        <location filename="../../../app/reports/details.py" line="67" />
        <source>Sales taken back in full</source>
        <translation>整单退货的销售</translation>
    </message>
    <message>
        <location filename="../../../app/reports/details.py" line="68" />
        <source>Average order value</source>
        <translation>客单价</translation>
    </message>
    <message>
        <location filename="../../../app/reports/details.py" line="69" />
        <source>Items</source>
        <translation>件数</translation>
    </message>
    <message>
        <location filename="../../../app/reports/details.py" line="70" />
        <source>Items per basket</source>
        <translation>客件数</translation>
    </message>
    <message>
        <location filename="../../../app/reports/details.py" line="71" />
        <source>Member sales</source>
        <translation>会员销售额</translation>
    </message>
    <message>
        <location filename="../../../app/reports/details.py" line="72" />
        <source>Member transactions</source>
        <translation>会员交易笔数</translation>
    </message>
    <message>
        <location filename="../../../app/reports/details.py" line="73" />
        <source>Member AOV</source>
        <translation>会员客单价</translation>
    </message>
    <message>
        <location filename="../../../app/reports/details.py" line="74" />
        <source>Member items per basket</source>
        <translation>会员客件数</translation>
    </message>
    <message>
        <location filename="../../../app/reports/details.py" line="75" />
        <source>Non-member sales</source>
        <translation>非会员销售</translation>
    </message>
    <message>
        <location filename="../../../app/reports/details.py" line="76" />
        <source>Non-member transactions</source>
        <translation>非会员交易笔数</translation>
    </message>
    <message>
        <location filename="../../../app/reports/details.py" line="77" />
        <source>Non-member AOV</source>
        <translation>非会员客单价</translation>
    </message>
    <message>
        <location filename="../../../app/reports/details.py" line="78" />
        <source>Member share of sales</source>
        <translation>会员销售占比</translation>
    </message>
    <message>
        <location filename="../../../app/reports/details.py" line="79" />
        <source>Member share of transactions</source>
        <translation>会员交易笔数占比</translation>
    </message>
    <message>
        <location filename="../../../app/reports/details.py" line="80" />
        <source>Members (base)</source>
        <translation>会员基数</translation>
    </message>
    <message>
        <location filename="../../../app/reports/details.py" line="81" />
        <source>Members who bought</source>
        <translation>消费会员数</translation>
    </message>
    <message>
        <location filename="../../../app/reports/details.py" line="82" />
        <source>Members who bought twice or more</source>
        <translation>复购会员数</translation>
    </message>
    <message>
        <location filename="../../../app/reports/details.py" line="83" />
        <source>Repeat-purchase rate</source>
        <translation>复购率</translation>
    </message>
    <message>
        <location filename="../../../app/reports/details.py" line="84" />
        <source>New members</source>
        <translation>新会员</translation>
    </message>
    <message>
        <location filename="../../../app/reports/details.py" line="85" />
        <source>New members who bought</source>
        <translation>已首购的新会员</translation>
    </message>
    <message>
        <location filename="../../../app/reports/details.py" line="86" />
        <source>Joined → first purchase</source>
        <translation>入会 → 首购转化</translation>
    </message>
    <message>
        <location filename="../../../app/reports/details.py" line="87" />
        <source>Churn window (days)</source>
        <translation>流失判定天数</translation>
    </message>
    <message>
        <location filename="../../../app/reports/details.py" line="88" />
        <source>Buyers of the window before</source>
        <translation>前一窗口消费会员</translation>
    </message>
    <message>
        <location filename="../../../app/reports/details.py" line="89" />
        <source>Of them, no purchase since</source>
        <translation>其中此后未消费</translation>
    </message>
    <message>
        <location filename="../../../app/reports/details.py" line="90" />
        <source>Churn rate</source>
        <translation>流失率</translation>
    </message>
    <message>
        <location filename="../../../app/reports/details.py" line="91" />
        <source>Points earned</source>
        <translation>消费得积分</translation>
    </message>
    <message>
        <location filename="../../../app/reports/details.py" line="92" />
        <source>Bonus points</source>
        <translation>奖励积分</translation>
    </message>
    <message>
        <location filename="../../../app/reports/details.py" line="93" />
        <source>Points taken back on returns</source>
        <translation>退货扣回积分</translation>
    </message>
    <message>
        <location filename="../../../app/reports/details.py" line="94" />
        <source>Points issued</source>
        <translation>发放积分</translation>
    </message>
    <message>
        <location filename="../../../app/reports/details.py" line="95" />
        <source>Points redeemed (gross)</source>
        <translation>兑换积分（未扣退回）</translation>
    </message>
    <message>
        <location filename="../../../app/reports/details.py" line="96" />
        <source>Points given back on returns</source>
        <translation>退货退回积分</translation>
    </message>
    <message>
        <location filename="../../../app/reports/details.py" line="97" />
        <source>Points redeemed</source>
        <translation>兑换积分</translation>
    </message>
    <message>
        <location filename="../../../app/reports/details.py" line="98" />
        <source>Points expired</source>
        <translation>过期积分</translation>
    </message>
    <message>
        <location filename="../../../app/reports/details.py" line="99" />
        <source>Points adjusted</source>
        <translation>调整积分</translation>
    </message>
    <message>
        <location filename="../../../app/reports/details.py" line="100" />
        <source>Points outstanding</source>
        <translation>未兑换积分</translation>
    </message>
    <message>
        <location filename="../../../app/reports/details.py" line="101" />
        <source>Points liability</source>
        <translation>积分负债</translation>
    </message>
    <message>
        <location filename="../../../app/reports/details.py" line="102" />
        <source>Points liability (yuan)</source>
        <translation>积分负债（元）</translation>
    </message>
    <message>
        <location filename="../../../app/reports/details.py" line="103" />
        <source>Coupons issued</source>
        <translation>发放礼券</translation>
    </message>
    <message>
        <location filename="../../../app/reports/details.py" line="104" />
        <source>Of them, used</source>
        <translation>其中已核销</translation>
    </message>
    <message>
        <location filename="../../../app/reports/details.py" line="105" />
        <source>Coupon redemption rate</source>
        <translation>礼券核销率</translation>
    </message>
    <message>
        <location filename="../../../app/reports/details.py" line="106" />
        <source>Coupons redeemed here</source>
        <translation>本店核销礼券</translation>
    </message>
    <message>
        <location filename="../../../app/reports/details.py" line="107" />
        <source>Coupon value redeemed</source>
        <translation>核销礼券金额</translation>
    </message>
    <message>
        <location filename="../../../app/reports/details.py" line="108" />
        <source>Stored value topped up</source>
        <translation>储值充值</translation>
    </message>
    <message>
        <location filename="../../../app/reports/details.py" line="109" />
        <source>Top-up bonus</source>
        <translation>充值赠送</translation>
    </message>
    <message>
        <location filename="../../../app/reports/details.py" line="110" />
        <source>Stored value in</source>
        <translation>储值转入</translation>
    </message>
    <message>
        <location filename="../../../app/reports/details.py" line="111" />
        <source>Paid from stored value</source>
        <translation>储值消费</translation>
    </message>
    <message>
        <location filename="../../../app/reports/details.py" line="112" />
        <source>Refunded to stored value</source>
        <translation>退回储值</translation>
    </message>
    <message>
        <location filename="../../../app/reports/details.py" line="113" />
        <source>Stored value out</source>
        <translation>储值转出</translation>
    </message>
    <message>
        <location filename="../../../app/reports/details.py" line="114" />
        <source>Stored value, other movements</source>
        <translation>储值其他变动</translation>
    </message>
    <message>
        <location filename="../../../app/reports/details.py" line="115" />
        <source>Stored value balance</source>
        <translation>储值余额</translation>
    </message>
</context>
<context>
    <name>DeviceBridge</name>
    <message>
        <location filename="../../../app/device_bridge.py" line="82" />
        <source>Printing the receipt</source>
        <translation>打印小票</translation>
    </message>
    <message>
        <location filename="../../../app/device_bridge.py" line="101" />
        <source>Customer display</source>
        <translation>顾客显示屏</translation>
    </message>
</context>
<context>
    <name>DeviceSettingsDialog</name>
    <message>
        <location filename="../../../app/device_settings.py" line="31" />
        <source>Devices</source>
        <translation>设备</translation>
    </message>
    <message>
        <location filename="../../../app/device_settings.py" line="47" />
        <source>Off</source>
        <translation>关闭</translation>
    </message>
    <message>
        <location filename="../../../app/device_settings.py" line="47" />
        <source>Full screen on a monitor</source>
        <translation>在一台显示器上全屏</translation>
    </message>
    <message>
        <location filename="../../../app/device_settings.py" line="48" />
        <source>A window (to try it out)</source>
        <translation>普通窗口（试用）</translation>
    </message>
    <message>
        <location filename="../../../app/device_settings.py" line="56" />
        <source>Scanner</source>
        <translation>扫码枪</translation>
    </message>
    <message>
        <location filename="../../../app/device_settings.py" line="56" />
        <location filename="../../../app/device_settings.py" line="58" />
        <source>Mode</source>
        <translation>模式</translation>
    </message>
    <message>
        <location filename="../../../app/device_settings.py" line="56" />
        <location filename="../../../app/device_settings.py" line="58" />
        <source>Serial port</source>
        <translation>串口</translation>
    </message>
    <message>
        <location filename="../../../app/device_settings.py" line="57" />
        <source>Baud</source>
        <translation>波特率</translation>
    </message>
    <message>
        <location filename="../../../app/device_settings.py" line="57" />
        <source>Terminator</source>
        <translation>结束符</translation>
    </message>
    <message>
        <location filename="../../../app/device_settings.py" line="58" />
        <source>Card reader</source>
        <translation>读卡器</translation>
    </message>
    <message>
        <location filename="../../../app/device_settings.py" line="59" />
        <source>Receipt printer</source>
        <translation>小票打印机</translation>
    </message>
    <message>
        <location filename="../../../app/device_settings.py" line="59" />
        <source>Connection</source>
        <translation>连接方式</translation>
    </message>
    <message>
        <location filename="../../../app/device_settings.py" line="59" />
        <source>Paper (mm)</source>
        <translation>纸宽（毫米）</translation>
    </message>
    <message>
        <location filename="../../../app/device_settings.py" line="60" />
        <source>File, host or port</source>
        <translation>文件、主机或串口</translation>
    </message>
    <message>
        <location filename="../../../app/device_settings.py" line="61" />
        <source>Customer screen</source>
        <translation>顾客屏</translation>
    </message>
    <message>
        <location filename="../../../app/device_settings.py" line="61" />
        <source>Shown as</source>
        <translation>显示方式</translation>
    </message>
    <message>
        <location filename="../../../app/device_settings.py" line="61" />
        <source>Monitor</source>
        <translation>显示器</translation>
    </message>
    <message>
        <location filename="../../../app/device_settings.py" line="69" />
        <source>Test: last frames</source>
        <translation>测试：最近收到的数据</translation>
    </message>
    <message>
        <location filename="../../../app/device_settings.py" line="71" />
        <source>Print test page</source>
        <translation>打印测试页</translation>
    </message>
    <message>
        <location filename="../../../app/device_settings.py" line="107" />
        <source>Monitor {0} ({1}×{2})</source>
        <translation>显示器 {0}（{1}×{2}）</translation>
    </message>
    <message>
        <location filename="../../../app/device_settings.py" line="109" />
        <source>Monitor {0} (not connected)</source>
        <translation>显示器 {0}（未连接）</translation>
    </message>
    <message>
        <location filename="../../../app/device_settings.py" line="120" />
        <source>No frame received yet</source>
        <translation>尚未收到数据</translation>
    </message>
</context>
<context>
    <name>DiagnosticsDialog</name>
    <message>
        <location filename="../../../app/diagnostics.py" line="23" />
        <source>Diagnostics</source>
        <translation>诊断信息</translation>
    </message>
    <message>
        <location filename="../../../app/diagnostics.py" line="30" />
        <source>Version</source>
        <translation>版本</translation>
    </message>
    <message>
        <location filename="../../../app/diagnostics.py" line="31" />
        <source>Store</source>
        <translation>门店</translation>
    </message>
    <message>
        <location filename="../../../app/diagnostics.py" line="32" />
        <source>Database</source>
        <translation>数据库</translation>
    </message>
    <message>
        <location filename="../../../app/diagnostics.py" line="32" />
        <source>up to date</source>
        <translation>已是最新</translation>
    </message>
    <message>
        <location filename="../../../app/diagnostics.py" line="33" />
        <source>needs an upgrade</source>
        <translation>需要升级</translation>
    </message>
    <message>
        <location filename="../../../app/diagnostics.py" line="34" />
        <source>no backup yet</source>
        <translation>尚无备份</translation>
    </message>
    <message>
        <location filename="../../../app/diagnostics.py" line="35" />
        <source>Last backup</source>
        <translation>最近备份</translation>
    </message>
    <message>
        <location filename="../../../app/diagnostics.py" line="37" />
        <source>{0} waiting, {1} refused; last sync {2}</source>
        <translation>待上传 {0} 条，被拒 {1} 条；上次同步 {2}</translation>
    </message>
    <message>
        <location filename="../../../app/diagnostics.py" line="38" />
        <source>never</source>
        <translation>从未</translation>
    </message>
    <message>
        <location filename="../../../app/diagnostics.py" line="40" />
        <source>not connected to HQ</source>
        <translation>未连接总部</translation>
    </message>
    <message>
        <location filename="../../../app/diagnostics.py" line="42" />
        <source>Sync with HQ</source>
        <translation>总部同步</translation>
    </message>
    <message>
        <location filename="../../../app/diagnostics.py" line="43" />
        <source>No problem found</source>
        <translation>未发现问题</translation>
    </message>
    <message numerus="yes">
        <location filename="../../../app/diagnostics.py" line="44" />
        <source>%n problem(s): see the report</source>
        <translation>
            <numerusform>%n 个问题：见报告</numerusform></translation>
    </message>
    <message>
        <location filename="../../../app/diagnostics.py" line="45" />
        <source>Problems</source>
        <translation>问题</translation>
    </message>
    <message>
        <location filename="../../../app/diagnostics.py" line="47" />
        <source>Report for IT:</source>
        <translation>给 IT 的报告：</translation>
    </message>
    <message>
        <location filename="../../../app/diagnostics.py" line="54" />
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <location filename="../../../app/diagnostics.py" line="55" />
        <source>Copy report</source>
        <translation>复制报告</translation>
    </message>
    <message>
        <location filename="../../../app/diagnostics.py" line="64" />
        <source>Copied</source>
        <translation>已复制</translation>
    </message>
</context>
<context>
    <name>GiftDialog</name>
    <message>
        <location filename="../../../app/dialogs.py" line="408" />
        <source>{0} points</source>
        <translation>{0} 积分</translation>
    </message>
    <message>
        <location filename="../../../app/dialogs.py" line="410" />
        <source>Only for {0}</source>
        <translation>仅限 {0}</translation>
    </message>
    <message>
        <location filename="../../../app/dialogs.py" line="412" />
        <source>{0} more points needed</source>
        <translation>还差 {0} 积分</translation>
    </message>
    <message>
        <location filename="../../../app/dialogs.py" line="414" />
        <location filename="../../../app/dialogs.py" line="415" />
        <source>Available</source>
        <translation>可兑换</translation>
    </message>
    <message>
        <location filename="../../../app/dialogs.py" line="416" />
        <source>Usable points: {0}</source>
        <translation>可用积分：{0}</translation>
    </message>
    <message>
        <location filename="../../../app/dialogs.py" line="418" />
        <source> (this basket already takes {0})</source>
        <translation>（本单已用 {0}）</translation>
    </message>
    <message>
        <location filename="../../../app/dialogs.py" line="419" />
        <source>Gift catalog</source>
        <translation>礼品目录</translation>
    </message>
    <message>
        <location filename="../../../app/dialogs.py" line="420" />
        <source>Gift</source>
        <translation>礼品</translation>
    </message>
    <message>
        <location filename="../../../app/dialogs.py" line="420" />
        <source>Cost</source>
        <translation>所需</translation>
    </message>
    <message>
        <location filename="../../../app/dialogs.py" line="420" />
        <source>Status</source>
        <translation>状态</translation>
    </message>
</context>
<context>
    <name>HeldDialog</name>
    <message>
        <location filename="../../../app/dialogs.py" line="508" />
        <source>no member</source>
        <translation>无会员</translation>
    </message>
    <message>
        <location filename="../../../app/dialogs.py" line="510" />
        <source>Recall a held basket</source>
        <translation>取回挂单</translation>
    </message>
    <message>
        <location filename="../../../app/dialogs.py" line="511" />
        <source>{0} basket(s) on hold — arrows and Enter</source>
        <translation>{0} 笔挂单 — 方向键选择，回车取单</translation>
    </message>
    <message>
        <location filename="../../../app/dialogs.py" line="512" />
        <source>Held at</source>
        <translation>挂单时间</translation>
    </message>
    <message>
        <location filename="../../../app/dialogs.py" line="512" />
        <source>Total</source>
        <translation>合计</translation>
    </message>
    <message>
        <location filename="../../../app/dialogs.py" line="512" />
        <source>Member</source>
        <translation>会员</translation>
    </message>
    <message>
        <location filename="../../../app/dialogs.py" line="513" />
        <source>Lines</source>
        <translation>行数</translation>
    </message>
    <message>
        <location filename="../../../app/dialogs.py" line="513" />
        <source>Cashier</source>
        <translation>收银员</translation>
    </message>
</context>
<context>
    <name>Labels</name>
    <message>
        <location filename="../../../app/labels.py" line="15" />
        <source>spend reached the next tier</source>
        <translation>消费达标升级</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="16" />
        <source>stored-value top-up</source>
        <translation>储值充值升级</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="17" />
        <source>membership card</source>
        <translation>购卡升级</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="18" />
        <source>undone by a return</source>
        <translation>退货回退</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="19" />
        <source>yearly review: up</source>
        <translation>年度复核：升级</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="20" />
        <source>yearly review: down</source>
        <translation>年度复核：降级</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="21" />
        <source>yearly review: kept</source>
        <translation>年度复核：保级</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="22" />
        <source>window spend reached the next tier</source>
        <translation>周期消费达标升级</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="23" />
        <source>window re-check</source>
        <translation>周期复核</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="24" />
        <source>changed at HQ or another store</source>
        <translation>总部或其他门店变更</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="25" />
        <source>up</source>
        <translation>升</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="26" />
        <source>down</source>
        <translation>降</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="27" />
        <source>same</source>
        <translation>不变</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="44" />
        <source>Member</source>
        <translation>会员</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="44" />
        <source>VIP</source>
        <translation>VIP</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="44" />
        <source>SVIP</source>
        <translation>SVIP</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="45" />
        <source>Member tier</source>
        <translation>会员等级</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="50" />
        <source>Cash</source>
        <translation>现金</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="50" />
        <source>WeChat Pay</source>
        <translation>微信支付</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="50" />
        <source>Alipay</source>
        <translation>支付宝</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="50" />
        <source>Bank card</source>
        <translation>银行卡</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="51" />
        <location filename="../../../app/labels.py" line="69" />
        <source>Stored value</source>
        <translation>储值余额</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="51" />
        <source>Gift card</source>
        <translation>礼品卡</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="51" />
        <location filename="../../../app/labels.py" line="69" />
        <location filename="../../../app/labels.py" line="107" />
        <source>Points</source>
        <translation>积分</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="52" />
        <location filename="../../../app/labels.py" line="107" />
        <source>Coupon</source>
        <translation>优惠券</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="54" />
        <source>Other tender</source>
        <translation>其他支付方式</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="60" />
        <source>earned</source>
        <translation>消费得积分</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="60" />
        <source>redeemed</source>
        <translation>积分使用</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="60" />
        <location filename="../../../app/labels.py" line="87" />
        <source>expired</source>
        <translation>已过期</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="60" />
        <source>bonus</source>
        <translation>奖励</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="61" />
        <source>taken back by a return</source>
        <translation>退货扣回</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="61" />
        <source>refunded</source>
        <translation>退款</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="61" />
        <source>paid</source>
        <translation>支付</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="61" />
        <location filename="../../../app/labels.py" line="73" />
        <source>top-up</source>
        <translation>充值</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="62" />
        <source>moved in by a merge</source>
        <translation>合并转入</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="62" />
        <source>moved out by a merge</source>
        <translation>合并转出</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="62" />
        <source>adjustment</source>
        <translation>调整</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="63" />
        <source>sign-up reward</source>
        <translation>入会奖励</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="63" />
        <source>gift</source>
        <translation>礼品</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="63" />
        <location filename="../../../app/labels.py" line="73" />
        <source>return</source>
        <translation>退货</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="65" />
        <location filename="../../../app/labels.py" line="69" />
        <location filename="../../../app/labels.py" line="73" />
        <location filename="../../../app/labels.py" line="82" />
        <location filename="../../../app/labels.py" line="88" />
        <source>other</source>
        <translation>其他</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="73" />
        <source>sale</source>
        <translation>销售</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="78" />
        <source>sign-up</source>
        <translation>入会</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="78" />
        <source>birthday</source>
        <translation>生日</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="78" />
        <source>win-back</source>
        <translation>召回</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="78" />
        <source>points</source>
        <translation>积分</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="79" />
        <source>campaign</source>
        <translation>营销活动</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="79" />
        <source>referral</source>
        <translation>推荐</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="79" />
        <source>manual</source>
        <translation>手工发放</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="79" />
        <source>given back by a return</source>
        <translation>退货返还</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="80" />
        <source>from HQ</source>
        <translation>总部下发</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="86" />
        <source>usable</source>
        <translation>可用</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="86" />
        <source>used</source>
        <translation>已使用</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="86" />
        <source>void</source>
        <translation>已作废</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="87" />
        <source>replaced</source>
        <translation>已替换</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="92" />
        <source>Note</source>
        <translation>备注</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="92" />
        <source>Complaint</source>
        <translation>投诉</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="92" />
        <source>Suggestion</source>
        <translation>建议</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="92" />
        <source>Review</source>
        <translation>评价</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="96" />
        <source>keyboard wedge</source>
        <translation>键盘模拟</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="96" />
        <source>serial port</source>
        <translation>串口</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="96" />
        <source>off</source>
        <translation>关闭</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="96" />
        <source>USB HID</source>
        <translation>USB HID</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="97" />
        <source>USB</source>
        <translation>USB</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="97" />
        <source>network</source>
        <translation>网络</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="97" />
        <source>file</source>
        <translation>文件</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="97" />
        <source>console</source>
        <translation>控制台</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="98" />
        <source>ESC/POS printer</source>
        <translation>ESC/POS 打印机</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="98" />
        <location filename="../../../app/labels.py" line="99" />
        <location filename="../../../app/labels.py" line="175" />
        <source>card reader</source>
        <translation>读卡器</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="98" />
        <location filename="../../../app/labels.py" line="174" />
        <source>scanner</source>
        <translation>扫码枪</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="99" />
        <source>printer</source>
        <translation>打印机</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="99" />
        <source>customer display</source>
        <translation>顾客显示屏</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="100" />
        <source>none</source>
        <translation>无</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="100" />
        <source>test (no printer)</source>
        <translation>测试（无打印机）</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="106" />
        <source>Flash sale</source>
        <translation>限时抢购</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="106" />
        <source>Member price</source>
        <translation>会员价</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="106" />
        <source>Line discount</source>
        <translation>单品折扣</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="107" />
        <source>Member discount</source>
        <translation>会员折扣</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="107" />
        <source>Promotion</source>
        <translation>促销</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="109" />
        <source>Discount</source>
        <translation>优惠</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="138" />
        <source>sign-up bonus</source>
        <translation>入会奖励</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="140" />
        <source>profile completed</source>
        <translation>完善资料奖励</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="142" />
        <source>top-up bonus {0}</source>
        <translation>充值赠送 {0}</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="143" />
        <source>sale {0}</source>
        <translation>销售 {0}</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="143" />
        <source>return {0}</source>
        <translation>退货 {0}</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="143" />
        <source>top-up {0}</source>
        <translation>充值 {0}</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="143" />
        <source>expired {0}</source>
        <translation>{0} 过期</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="144" />
        <source>check-in {0}</source>
        <translation>签到 {0}</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="144" />
        <source>review {0}</source>
        <translation>评价 {0}</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="145" />
        <source>referral {0}</source>
        <translation>推荐 {0}</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="160" />
        <source>Active member</source>
        <translation>活跃会员</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="161" />
        <source>Recently lapsed</source>
        <translation>近期流失</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="162" />
        <source>Mid-term lapsed</source>
        <translation>中期流失</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="163" />
        <source>Dormant member</source>
        <translation>沉睡会员</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="164" />
        <source>Heavy spender</source>
        <translation>重度消费</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="165" />
        <source>Light spender</source>
        <translation>轻度消费</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="166" />
        <source>No purchase yet</source>
        <translation>未消费会员</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="177" />
        <source>connected</source>
        <translation>已连接</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="178" />
        <source>not connected</source>
        <translation>未连接</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="179" />
        <source>{0}: {1} {2}</source>
        <translation>{0}：{1} {2}</translation>
    </message>
    <message>
        <location filename="../../../app/labels.py" line="180" />
        <source>{0}: {1}</source>
        <translation>{0}：{1}</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <location filename="../../../app/main_window.py" line="121" />
        <source>Member checkout — {0}</source>
        <translation>会员收银 — {0}</translation>
    </message>
    <message>
        <location filename="../../../app/main_window.py" line="123" />
        <source>TEST CLOCK: {0} — records made now are marked as test</source>
        <translation>测试时钟：{0} — 此时产生的记录均标记为测试</translation>
    </message>
    <message>
        <location filename="../../../app/main_window.py" line="124" />
        <source>Store {0} · register {1}</source>
        <translation>门店 {0} · 收银台 {1}</translation>
    </message>
    <message>
        <location filename="../../../app/main_window.py" line="125" />
        <source>Cashier {0}</source>
        <translation>收银员 {0}</translation>
    </message>
    <message>
        <location filename="../../../app/main_window.py" line="125" />
        <source>Not signed in</source>
        <translation>未登录</translation>
    </message>
    <message>
        <location filename="../../../app/main_window.py" line="134" />
        <source>HQ sync: not configured</source>
        <translation>总部同步：未配置</translation>
    </message>
    <message>
        <location filename="../../../app/main_window.py" line="135" />
        <source>HQ sync: online</source>
        <translation>总部同步：在线</translation>
    </message>
    <message>
        <location filename="../../../app/main_window.py" line="136" />
        <source>HQ sync: online, {0} event(s) waiting</source>
        <translation>总部同步：在线，{0} 条待上传</translation>
    </message>
    <message>
        <location filename="../../../app/main_window.py" line="137" />
        <source>HQ sync: offline, {0} event(s) waiting</source>
        <translation>总部同步：离线，{0} 条待上传</translation>
    </message>
    <message>
        <location filename="../../../app/main_window.py" line="138" />
        <source>HQ sync: {0} event(s) refused by HQ — see sync --status</source>
        <translation>总部同步：{0} 条被总部拒收 — 请运行 sync --status 查看</translation>
    </message>
    <message>
        <location filename="../../../app/main_window.py" line="166" />
        <source>A scan is not taken here: finish or close this window first</source>
        <translation>此窗口不接受扫码：请先完成或关闭此窗口</translation>
    </message>
    <message>
        <location filename="../../../app/main_window.py" line="191" />
        <source>Devices: {0}</source>
        <translation>设备：{0}</translation>
    </message>
    <message>
        <location filename="../../../app/main_window.py" line="224" />
        <source>Open shift</source>
        <translation>开班</translation>
    </message>
    <message>
        <location filename="../../../app/main_window.py" line="224" />
        <source>Opening cash float in yuan</source>
        <translation>备用金（元）</translation>
    </message>
    <message>
        <location filename="../../../app/main_window.py" line="289" />
        <source>{0} ¥{1}</source>
        <translation>{0} ¥{1}</translation>
    </message>
    <message>
        <location filename="../../../app/main_window.py" line="291" />
        <source>Returned: refund ¥{0} ({1}), receipt {2}</source>
        <translation>已退货：退款 ¥{0}（{1}），小票 {2}</translation>
    </message>
    <message>
        <location filename="../../../app/main_window.py" line="294" />
        <source>; coupon(s) given back to the member's wallet: {0}</source>
        <translation>；礼券已退回会员券包：{0}</translation>
    </message>
    <message>
        <location filename="../../../app/main_window.py" line="330" />
        <source>Diagnostics are for the store manager.</source>
        <translation>诊断信息仅限店长查看。</translation>
    </message>
    <message>
        <location filename="../../../app/main_window.py" line="341" />
        <source>Reports are for the store manager.</source>
        <translation>报表仅限店长查看。</translation>
    </message>
</context>
<context>
    <name>ManagerDialog</name>
    <message>
        <location filename="../../../app/dialogs.py" line="442" />
        <source>Wrong manager code or PIN (or not a manager's code) — try again</source>
        <translation>店长工号或密码错误（或不是店长工号），请重试</translation>
    </message>
    <message>
        <location filename="../../../app/dialogs.py" line="451" />
        <source>Manager approval</source>
        <translation>店长授权</translation>
    </message>
    <message>
        <location filename="../../../app/dialogs.py" line="463" />
        <source>Manager code</source>
        <translation>店长工号</translation>
    </message>
    <message>
        <location filename="../../../app/dialogs.py" line="464" />
        <source>PIN</source>
        <translation>密码</translation>
    </message>
</context>
<context>
    <name>MemberColumns</name>
    <message>
        <location filename="../../../app/reports/common.py" line="63" />
        <source>Member code</source>
        <translation>会员码</translation>
    </message>
    <message>
        <location filename="../../../app/reports/common.py" line="64" />
        <source>Name</source>
        <translation>姓名</translation>
    </message>
    <message>
        <location filename="../../../app/reports/common.py" line="65" />
        <source>Phone</source>
        <translation>手机</translation>
    </message>
    <message>
        <location filename="../../../app/reports/common.py" line="66" />
        <source>Tier</source>
        <translation>等级</translation>
    </message>
    <message>
        <location filename="../../../app/reports/common.py" line="67" />
        <source>Last purchase</source>
        <translation>最近消费</translation>
    </message>
    <message>
        <location filename="../../../app/reports/common.py" line="68" />
        <source>Days since</source>
        <translation>未购天数</translation>
    </message>
    <message>
        <location filename="../../../app/reports/common.py" line="69" />
        <source>Visits</source>
        <translation>消费次数</translation>
    </message>
    <message>
        <location filename="../../../app/reports/common.py" line="70" />
        <source>Spent</source>
        <translation>消费额</translation>
    </message>
    <message>
        <location filename="../../../app/reports/common.py" line="71" />
        <source>Joined</source>
        <translation>入会日期</translation>
    </message>
</context>
<context>
    <name>MemberDetailDialog</name>
    <message>
        <location filename="../../../app/member_detail.py" line="56" />
        <source>Coupon</source>
        <translation>优惠券</translation>
    </message>
    <message>
        <location filename="../../../app/member_detail.py" line="57" />
        <source>Member {0}</source>
        <translation>会员 {0}</translation>
    </message>
    <message>
        <location filename="../../../app/member_detail.py" line="65" />
        <source>order paid</source>
        <translation>已付款</translation>
    </message>
    <message>
        <location filename="../../../app/member_detail.py" line="65" />
        <source>order shipped</source>
        <translation>已发货</translation>
    </message>
    <message>
        <location filename="../../../app/member_detail.py" line="66" />
        <source>order delivered</source>
        <translation>已签收</translation>
    </message>
    <message>
        <location filename="../../../app/member_detail.py" line="66" />
        <source>order returned</source>
        <translation>已退货</translation>
    </message>
    <message>
        <location filename="../../../app/member_detail.py" line="68" />
        <source> (pending to {0})</source>
        <translation>（待生效至 {0}）</translation>
    </message>
    <message>
        <location filename="../../../app/member_detail.py" line="70" />
        <source>Online ({0})</source>
        <translation>网店（{0}）</translation>
    </message>
    <message>
        <location filename="../../../app/member_detail.py" line="73" />
        <location filename="../../../app/member_detail.py" line="76" />
        <location filename="../../../app/member_detail.py" line="85" />
        <source>Date</source>
        <translation>日期</translation>
    </message>
    <message>
        <location filename="../../../app/member_detail.py" line="73" />
        <source>Receipt</source>
        <translation>小票</translation>
    </message>
    <message>
        <location filename="../../../app/member_detail.py" line="73" />
        <location filename="../../../app/member_detail.py" line="76" />
        <source>Kind</source>
        <translation>类型</translation>
    </message>
    <message>
        <location filename="../../../app/member_detail.py" line="73" />
        <location filename="../../../app/member_detail.py" line="76" />
        <source>Amount</source>
        <translation>金额</translation>
    </message>
    <message>
        <location filename="../../../app/member_detail.py" line="73" />
        <source>Points +</source>
        <translation>积分 +</translation>
    </message>
    <message>
        <location filename="../../../app/member_detail.py" line="74" />
        <source>Points -</source>
        <translation>积分 -</translation>
    </message>
    <message>
        <location filename="../../../app/member_detail.py" line="74" />
        <source>Purchases</source>
        <translation>消费记录</translation>
    </message>
    <message>
        <location filename="../../../app/member_detail.py" line="76" />
        <location filename="../../../app/member_detail.py" line="79" />
        <source>Ledger</source>
        <translation>账户流水</translation>
    </message>
    <message>
        <location filename="../../../app/member_detail.py" line="76" />
        <source>Expires</source>
        <translation>到期</translation>
    </message>
    <message>
        <location filename="../../../app/member_detail.py" line="77" />
        <location filename="../../../app/member_detail.py" line="85" />
        <source>Reason</source>
        <translation>原因</translation>
    </message>
    <message>
        <location filename="../../../app/member_detail.py" line="81" />
        <source>Code</source>
        <translation>券码</translation>
    </message>
    <message>
        <location filename="../../../app/member_detail.py" line="81" />
        <source>Template</source>
        <translation>券模板</translation>
    </message>
    <message>
        <location filename="../../../app/member_detail.py" line="81" />
        <source>Source</source>
        <translation>来源</translation>
    </message>
    <message>
        <location filename="../../../app/member_detail.py" line="81" />
        <source>Valid to</source>
        <translation>有效期至</translation>
    </message>
    <message>
        <location filename="../../../app/member_detail.py" line="81" />
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <location filename="../../../app/member_detail.py" line="83" />
        <source>Coupons</source>
        <translation>优惠券</translation>
    </message>
    <message>
        <location filename="../../../app/member_detail.py" line="85" />
        <source>From</source>
        <translation>原等级</translation>
    </message>
    <message>
        <location filename="../../../app/member_detail.py" line="85" />
        <source>To</source>
        <translation>新等级</translation>
    </message>
    <message>
        <location filename="../../../app/member_detail.py" line="85" />
        <source>Spend</source>
        <translation>消费</translation>
    </message>
    <message>
        <location filename="../../../app/member_detail.py" line="86" />
        <source>Tiers</source>
        <translation>等级变动</translation>
    </message>
    <message>
        <location filename="../../../app/member_detail.py" line="87" />
        <source>Profile</source>
        <translation>资料</translation>
    </message>
    <message>
        <location filename="../../../app/member_detail.py" line="88" />
        <source>Notes</source>
        <translation>备注与反馈</translation>
    </message>
    <message>
        <location filename="../../../app/member_detail.py" line="106" />
        <source>Name</source>
        <translation>姓名</translation>
    </message>
    <message>
        <location filename="../../../app/member_detail.py" line="106" />
        <source>Birthday (YYYY-MM-DD)</source>
        <translation>生日（年-月-日）</translation>
    </message>
    <message>
        <location filename="../../../app/member_detail.py" line="107" />
        <source>Region</source>
        <translation>地区</translation>
    </message>
    <message>
        <location filename="../../../app/member_detail.py" line="107" />
        <source>Address</source>
        <translation>地址</translation>
    </message>
    <message>
        <location filename="../../../app/member_detail.py" line="108" />
        <source>Occupation</source>
        <translation>职业</translation>
    </message>
    <message>
        <location filename="../../../app/member_detail.py" line="108" />
        <source>Income band</source>
        <translation>收入区间</translation>
    </message>
    <message>
        <location filename="../../../app/member_detail.py" line="114" />
        <source>Female</source>
        <translation>女</translation>
    </message>
    <message>
        <location filename="../../../app/member_detail.py" line="115" />
        <source>Male</source>
        <translation>男</translation>
    </message>
    <message>
        <location filename="../../../app/member_detail.py" line="117" />
        <source>Gender</source>
        <translation>性别</translation>
    </message>
    <message>
        <location filename="../../../app/member_detail.py" line="120" />
        <source>Save profile</source>
        <translation>保存资料</translation>
    </message>
    <message>
        <location filename="../../../app/member_detail.py" line="131" />
        <source>Birthday must be YYYY-MM-DD</source>
        <translation>生日格式须为 年-月-日</translation>
    </message>
    <message>
        <location filename="../../../app/member_detail.py" line="139" />
        <source>Saved: profile complete, +{0} points</source>
        <translation>已保存：资料完整，+{0} 积分</translation>
    </message>
    <message>
        <location filename="../../../app/member_detail.py" line="140" />
        <source>Saved</source>
        <translation>已保存</translation>
    </message>
    <message>
        <location filename="../../../app/member_detail.py" line="152" />
        <source>Note</source>
        <translation>备注</translation>
    </message>
    <message>
        <location filename="../../../app/member_detail.py" line="153" />
        <source>Complaint</source>
        <translation>投诉</translation>
    </message>
    <message>
        <location filename="../../../app/member_detail.py" line="154" />
        <source>Suggestion</source>
        <translation>建议</translation>
    </message>
    <message>
        <location filename="../../../app/member_detail.py" line="155" />
        <source>Review</source>
        <translation>评价</translation>
    </message>
    <message>
        <location filename="../../../app/member_detail.py" line="158" />
        <source>Receipt (review)</source>
        <translation>小票号（评价）</translation>
    </message>
    <message>
        <location filename="../../../app/member_detail.py" line="161" />
        <source>Add</source>
        <translation>添加</translation>
    </message>
    <message>
        <location filename="../../../app/member_detail.py" line="180" />
        <source>Review: +{0} points</source>
        <translation>评价：+{0} 积分</translation>
    </message>
</context>
<context>
    <name>MemberPanelWidget</name>
    <message>
        <location filename="../../../app/member_panel.py" line="65" />
        <source>Points</source>
        <translation>积分</translation>
    </message>
    <message>
        <location filename="../../../app/member_panel.py" line="65" />
        <source>Stored value</source>
        <translation>储值余额</translation>
    </message>
    <message>
        <location filename="../../../app/member_panel.py" line="66" />
        <source>Last visit</source>
        <translation>上次到店</translation>
    </message>
    <message>
        <location filename="../../../app/member_panel.py" line="66" />
        <source>Tags</source>
        <translation>标签</translation>
    </message>
    <message>
        <location filename="../../../app/member_panel.py" line="75" />
        <source>Coupons (click to apply)</source>
        <translation>券包（点击使用）</translation>
    </message>
    <message>
        <location filename="../../../app/member_panel.py" line="84" />
        <source>Suggestions</source>
        <translation>推荐</translation>
    </message>
    <message>
        <location filename="../../../app/member_panel.py" line="90" />
        <source>Show phone (manager)</source>
        <translation>显示手机号（店长）</translation>
    </message>
    <message>
        <location filename="../../../app/member_panel.py" line="92" />
        <source>Member detail (Ctrl+D)</source>
        <translation>会员详情（Ctrl+D）</translation>
    </message>
    <message>
        <location filename="../../../app/member_panel.py" line="94" />
        <source>Check in</source>
        <translation>签到</translation>
    </message>
    <message>
        <location filename="../../../app/member_panel.py" line="100" />
        <source>Points to stored value</source>
        <translation>积分转储值</translation>
    </message>
    <message>
        <location filename="../../../app/member_panel.py" line="103" />
        <source>Coupon for points</source>
        <translation>积分换券</translation>
    </message>
    <message>
        <location filename="../../../app/member_panel.py" line="106" />
        <source>Points lottery</source>
        <translation>积分抽奖</translation>
    </message>
    <message>
        <location filename="../../../app/member_panel.py" line="124" />
        <source>No member</source>
        <translation>未识别会员</translation>
    </message>
    <message>
        <location filename="../../../app/member_panel.py" line="127" />
        <source>Scan a member card or code, or type a phone number or its last 4 digits. F3: quick join.</source>
        <translation>请刷会员卡、扫会员码，或输入手机号/尾号4位。F3：快速入会。</translation>
    </message>
    <message>
        <location filename="../../../app/member_panel.py" line="155" />
        <source>in this sale</source>
        <translation>本单已用</translation>
    </message>
    <message>
        <location filename="../../../app/member_panel.py" line="166" />
        <source>{0} (usable {1}, {2} applied to this sale)</source>
        <translation>{0}（本单还可用 {1}，已用 {2}）</translation>
    </message>
    <message>
        <location filename="../../../app/member_panel.py" line="175" />
        <source>(no name)</source>
        <translation>（未留姓名）</translation>
    </message>
    <message>
        <location filename="../../../app/member_panel.py" line="180" />
        <source>Priority service</source>
        <translation>优先服务</translation>
    </message>
    <message>
        <location filename="../../../app/member_panel.py" line="182" />
        <source>Birthday today!</source>
        <translation>今天生日！</translation>
    </message>
    <message>
        <location filename="../../../app/member_panel.py" line="184" />
        <source>Not an active member yet: ¥{0} more</source>
        <translation>尚未成为正式会员：还差 ¥{0}</translation>
    </message>
    <message>
        <location filename="../../../app/member_panel.py" line="186" />
        <source>Not an active member yet: sell the membership card</source>
        <translation>尚未成为正式会员：请办理会员卡</translation>
    </message>
    <message>
        <location filename="../../../app/member_panel.py" line="192" />
        <source>{0} more to {1}</source>
        <translation>再消费 {0} 升级 {1}</translation>
    </message>
    <message>
        <location filename="../../../app/member_panel.py" line="198" />
        <source>{0} more to keep the tier</source>
        <translation>再消费 {0} 保级</translation>
    </message>
    <message>
        <location filename="../../../app/member_panel.py" line="200" />
        <source>valid until {0}</source>
        <translation>有效期至 {0}</translation>
    </message>
    <message>
        <location filename="../../../app/member_panel.py" line="169" />
        <source>{0} (usable {1})</source>
        <translation>{0}（可用 {1}）</translation>
    </message>
    <message>
        <location filename="../../../app/member_panel.py" line="61" />
        <source>Shopping coins</source>
        <translation>购物币</translation>
    </message>
    <message>
        <location filename="../../../app/member_panel.py" line="203" />
        <source>{0} points expire on {1}</source>
        <translation>{0} 积分将于 {1} 过期</translation>
    </message>
    <message>
        <location filename="../../../app/member_panel.py" line="212" />
        <source>{0} (usable {1}) · {2} card, valid at every merchant</source>
        <translation>{0}（可用 {1}）· {2}卡，联盟商家通用</translation>
    </message>
    <message>
        <location filename="../../../app/member_panel.py" line="214" />
        <source>{0} (visits: {1})</source>
        <translation>{0}（共 {1} 次）</translation>
    </message>
    <message>
        <location filename="../../../app/member_panel.py" line="218" />
        <source>until {0}</source>
        <translation>至 {0}</translation>
    </message>
    <message>
        <location filename="../../../app/member_panel.py" line="226" />
        <source>Complaint {0}: {1}</source>
        <translation>投诉 {0}：{1}</translation>
    </message>
    <message>
        <location filename="../../../app/member_panel.py" line="227" />
        <source>Note {0}: {1}</source>
        <translation>备注 {0}：{1}</translation>
    </message>
</context>
<context>
    <name>MembersTab</name>
    <message>
        <location filename="../../../app/reports/members.py" line="20" />
        <source>Click a KPI tile, a heat-map cell, a group or a pyramid class to list its members.</source>
        <translation>点击指标卡、热力图格子、分组或金字塔类别，查看对应会员名单。</translation>
    </message>
    <message>
        <location filename="../../../app/reports/members.py" line="23" />
        <source>Export list…</source>
        <translation>导出名单…</translation>
    </message>
    <message>
        <location filename="../../../app/reports/members.py" line="27" />
        <source>Filter by name, code, phone, tier…</source>
        <translation>按姓名、会员码、手机、等级筛选…</translation>
    </message>
    <message>
        <location filename="../../../app/reports/members.py" line="32" />
        <source>{0}: {1} member(s)</source>
        <translation>{0}：{1} 位会员</translation>
    </message>
</context>
<context>
    <name>Operation</name>
    <message>
        <location filename="../../../app/operations.py" line="111" />
        <source>The operation</source>
        <translation>该操作</translation>
    </message>
    <message>
        <location filename="../../../app/operations.py" line="112" />
        <source>{0} could not be done ({1}); try again</source>
        <translation>{0}未能完成（{1}），请重试</translation>
    </message>
</context>
<context>
    <name>OverviewTab</name>
    <message>
        <location filename="../../../app/reports/overview.py" line="21" />
        <source>Sales by day (yuan)</source>
        <translation>每日销售额（元）</translation>
    </message>
    <message>
        <location filename="../../../app/reports/overview.py" line="22" />
        <source>Traffic by hour (tickets, store time)</source>
        <translation>分时客流（单数，门店时间）</translation>
    </message>
    <message>
        <location filename="../../../app/reports/overview.py" line="23" />
        <source>Members by tier</source>
        <translation>各等级会员</translation>
    </message>
    <message>
        <location filename="../../../app/reports/overview.py" line="38" />
        <source>Member sales {0} = traffic {1} members × conversion {2} × repeat {3} × AOV {4} (residual {5} fen); non-member sales {6}.</source>
        <translation>会员销售 {0} = 会员基数 {1} × 转化率 {2} × 复购频次 {3} × 客单价 {4}（余差 {5} 分）；非会员销售 {6}。</translation>
    </message>
    <message>
        <location filename="../../../app/reports/overview.py" line="48" />
        <source>Members</source>
        <translation>会员</translation>
    </message>
    <message>
        <location filename="../../../app/reports/overview.py" line="48" />
        <source>Non-members</source>
        <translation>非会员</translation>
    </message>
    <message>
        <location filename="../../../app/reports/overview.py" line="81" />
        <source>Tickets</source>
        <translation>单数</translation>
    </message>
</context>
<context>
    <name>ParcelsDialog</name>
    <message>
        <location filename="../../../app/parcels_view.py" line="39" />
        <source>Parcels</source>
        <translation>包裹</translation>
    </message>
    <message>
        <location filename="../../../app/parcels_view.py" line="43" />
        <source>Scan a parcel's label to receive it, or a pickup code to hand it over — Enter</source>
        <translation>扫描包裹面单签收，或扫描取件码交付 — 回车</translation>
    </message>
    <message>
        <location filename="../../../app/parcels_view.py" line="58" />
        <location filename="../../../app/parcels_view.py" line="103" />
        <source>Arrived</source>
        <translation>已到店</translation>
    </message>
    <message>
        <location filename="../../../app/parcels_view.py" line="58" />
        <location filename="../../../app/parcels_view.py" line="103" />
        <source>On its way</source>
        <translation>在途</translation>
    </message>
    <message>
        <location filename="../../../app/parcels_view.py" line="59" />
        <source>Overdue: back to the courier</source>
        <translation>超期：退回快递</translation>
    </message>
    <message>
        <location filename="../../../app/parcels_view.py" line="59" />
        <location filename="../../../app/parcels_view.py" line="103" />
        <source>Collected</source>
        <translation>已取件</translation>
    </message>
    <message>
        <location filename="../../../app/parcels_view.py" line="60" />
        <source>All</source>
        <translation>全部</translation>
    </message>
    <message>
        <location filename="../../../app/parcels_view.py" line="65" />
        <source>Search: code, last 4 of the phone or of the pickup code, name</source>
        <translation>搜索：单号、手机尾号或取件码后4位、姓名</translation>
    </message>
    <message>
        <location filename="../../../app/parcels_view.py" line="72" />
        <source>Label</source>
        <translation>面单号</translation>
    </message>
    <message>
        <location filename="../../../app/parcels_view.py" line="72" />
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <location filename="../../../app/parcels_view.py" line="72" />
        <source>Days waiting</source>
        <translation>已等天数</translation>
    </message>
    <message>
        <location filename="../../../app/parcels_view.py" line="73" />
        <source>Customer</source>
        <translation>顾客</translation>
    </message>
    <message>
        <location filename="../../../app/parcels_view.py" line="73" />
        <source>Code (last 4)</source>
        <translation>取件码后4位</translation>
    </message>
    <message>
        <location filename="../../../app/parcels_view.py" line="73" />
        <source>Order</source>
        <translation>订单</translation>
    </message>
    <message>
        <location filename="../../../app/parcels_view.py" line="79" />
        <source>Pick up the selected parcel</source>
        <translation>交付所选包裹</translation>
    </message>
    <message>
        <location filename="../../../app/parcels_view.py" line="94" />
        <source>Received now: {0}</source>
        <translation>本次已签收：{0}</translation>
    </message>
    <message>
        <location filename="../../../app/parcels_view.py" line="104" />
        <source>Order returned</source>
        <translation>订单已退货</translation>
    </message>
    <message>
        <location filename="../../../app/parcels_view.py" line="105" />
        <source> — overdue</source>
        <translation> — 超期</translation>
    </message>
    <message>
        <location filename="../../../app/parcels_view.py" line="144" />
        <source>Received {0} for {1}</source>
        <translation>已签收 {0}（{1}）</translation>
    </message>
    <message>
        <location filename="../../../app/parcels_view.py" line="154" />
        <source>Choose a parcel first, or scan the customer's pickup code</source>
        <translation>请先选择包裹，或扫描顾客的取件码</translation>
    </message>
    <message>
        <location filename="../../../app/parcels_view.py" line="181" />
        <source>Parcel collected — the pickup voucher is on this sale</source>
        <translation>包裹已取件 — 取件券已用于本单</translation>
    </message>
    <message>
        <location filename="../../../app/parcels_view.py" line="183" />
        <source>Parcel collected — the voucher is in the member's wallet, not on this sale</source>
        <translation>包裹已取件 — 取件券已放入会员券包，未用于本单</translation>
    </message>
    <message>
        <location filename="../../../app/parcels_view.py" line="186" />
        <source>Parcel collected</source>
        <translation>包裹已取件</translation>
    </message>
</context>
<context>
    <name>ParcelsTab</name>
    <message>
        <location filename="../../../app/reports/parcels.py" line="19" />
        <source>Parcels received / collected</source>
        <translation>包裹到店 / 取走</translation>
    </message>
    <message>
        <location filename="../../../app/reports/parcels.py" line="20" />
        <source>Pickup → purchase</source>
        <translation>取件 → 购买</translation>
    </message>
    <message>
        <location filename="../../../app/reports/parcels.py" line="21" />
        <source>Pickup voucher used</source>
        <translation>取件券使用</translation>
    </message>
    <message>
        <location filename="../../../app/reports/parcels.py" line="22" />
        <source>Online share of members' sales</source>
        <translation>会员消费中网店占比</translation>
    </message>
    <message>
        <location filename="../../../app/reports/parcels.py" line="31" />
        <source>Date</source>
        <translation>日期</translation>
    </message>
    <message>
        <location filename="../../../app/reports/parcels.py" line="32" />
        <source>Received</source>
        <translation>到店</translation>
    </message>
    <message>
        <location filename="../../../app/reports/parcels.py" line="33" />
        <source>Collected</source>
        <translation>已取件</translation>
    </message>
    <message>
        <location filename="../../../app/reports/parcels.py" line="34" />
        <source>Overdue at the day's end</source>
        <translation>当日结束时超期</translation>
    </message>
    <message>
        <location filename="../../../app/reports/parcels.py" line="34" />
        <source>Filter</source>
        <translation>筛选</translation>
    </message>
    <message>
        <location filename="../../../app/reports/parcels.py" line="42" />
        <source>{0} overdue ({1} days)</source>
        <translation>{0} 件超期（{1} 天）</translation>
    </message>
    <message>
        <location filename="../../../app/reports/parcels.py" line="44" />
        <source>{0} of {1} pickups bought</source>
        <translation>{1} 次取件中 {0} 次购买</translation>
    </message>
    <message>
        <location filename="../../../app/reports/parcels.py" line="45" />
        <source>A sale of the member here within {0} minutes of the pickup, the same day; {1} with the pickup voucher</source>
        <translation>取件后 {0} 分钟内（同一天）该会员在本店的消费；其中 {1} 笔用了取件券</translation>
    </message>
    <message>
        <location filename="../../../app/reports/parcels.py" line="48" />
        <source>{0} of {1} used</source>
        <translation>{1} 张中已用 {0} 张</translation>
    </message>
    <message>
        <location filename="../../../app/reports/parcels.py" line="50" />
        <source>online {0} · here {1}</source>
        <translation>网店 {0} · 本店 {1}</translation>
    </message>
    <message>
        <location filename="../../../app/reports/parcels.py" line="52" />
        <source>Online share: of the {0} member(s) who bought here in the range, their online orders against their purchases here (their purchases at other stores are HQ's: hq report o2o). Orders for pickup here: {1}, {2}.</source>
        <translation>网店占比：本期在本店消费的 {0} 位会员，其网店订单与在本店消费之比（他们在其他门店的消费在总部：hq report o2o）。在本店自提的订单：{1} 单，{2}。</translation>
    </message>
</context>
<context>
    <name>PaymentDialog</name>
    <message>
        <location filename="../../../app/dialogs.py" line="204" />
        <source>Payment</source>
        <translation>收款</translation>
    </message>
    <message>
        <location filename="../../../app/dialogs.py" line="217" />
        <source>Membership saved you ¥{0}</source>
        <translation>会员为您节省 ¥{0}</translation>
    </message>
    <message>
        <location filename="../../../app/dialogs.py" line="242" />
        <source>Pay (Enter)</source>
        <translation>收款（回车）</translation>
    </message>
    <message>
        <location filename="../../../app/dialogs.py" line="248" />
        <source>Cash</source>
        <translation>现金</translation>
    </message>
    <message>
        <location filename="../../../app/dialogs.py" line="248" />
        <source>WeChat Pay</source>
        <translation>微信支付</translation>
    </message>
    <message>
        <location filename="../../../app/dialogs.py" line="248" />
        <source>Alipay</source>
        <translation>支付宝</translation>
    </message>
    <message>
        <location filename="../../../app/dialogs.py" line="249" />
        <source>Bank card</source>
        <translation>银行卡</translation>
    </message>
    <message>
        <location filename="../../../app/dialogs.py" line="249" />
        <source>Stored value</source>
        <translation>储值余额</translation>
    </message>
    <message>
        <location filename="../../../app/dialogs.py" line="250" />
        <source>Gift card</source>
        <translation>礼品卡</translation>
    </message>
    <message>
        <location filename="../../../app/dialogs.py" line="250" />
        <source>Shopping coins</source>
        <translation>购物币</translation>
    </message>
    <message>
        <location filename="../../../app/dialogs.py" line="259" />
        <source>Due ¥{0}  ·  still to pay ¥{1}</source>
        <translation>应付 ¥{0}  ·  待付 ¥{1}</translation>
    </message>
    <message>
        <location filename="../../../app/dialogs.py" line="263" />
        <source>Change ¥{0}</source>
        <translation>找零 ¥{0}</translation>
    </message>
    <message>
        <location filename="../../../app/dialogs.py" line="273" />
        <source>Type an amount such as 100 or 12.50</source>
        <translation>请输入金额，例如 100 或 12.50</translation>
    </message>
    <message>
        <location filename="../../../app/dialogs.py" line="277" />
        <source>That amount is too large: at most ¥{0}</source>
        <translation>金额过大：最多 ¥{0}</translation>
    </message>
    <message>
        <location filename="../../../app/dialogs.py" line="281" />
        <source>Cash ¥{0} for ¥{1} due? Press F1 (or Enter) again to take it, or correct the amount</source>
        <translation>应付 ¥{1}，收现金 ¥{0}？确认请再按 F1（或回车），否则请改正金额</translation>
    </message>
    <message>
        <location filename="../../../app/dialogs.py" line="287" />
        <source>Only cash can be more than what is due</source>
        <translation>只有现金可以超出应付金额</translation>
    </message>
    <message>
        <location filename="../../../app/dialogs.py" line="292" />
        <source>Stored value balance is ¥{0}</source>
        <translation>储值余额为 ¥{0}</translation>
    </message>
    <message>
        <location filename="../../../app/dialogs.py" line="297" />
        <source>Shopping coins can pay at most ¥{0}</source>
        <translation>购物币最多可付 ¥{0}</translation>
    </message>
    <message>
        <location filename="../../../app/dialogs.py" line="322" />
        <source>¥{0} still due</source>
        <translation>还差 ¥{0}</translation>
    </message>
</context>
<context>
    <name>PickMemberDialog</name>
    <message>
        <location filename="../../../app/dialogs.py" line="161" />
        <source>Name</source>
        <translation>姓名</translation>
    </message>
    <message>
        <location filename="../../../app/dialogs.py" line="161" />
        <source>Phone</source>
        <translation>手机</translation>
    </message>
    <message>
        <location filename="../../../app/dialogs.py" line="161" />
        <source>Tier</source>
        <translation>等级</translation>
    </message>
    <message>
        <location filename="../../../app/dialogs.py" line="162" />
        <source>Points</source>
        <translation>积分</translation>
    </message>
    <message>
        <location filename="../../../app/dialogs.py" line="162" />
        <source>Last visit</source>
        <translation>上次到店</translation>
    </message>
    <message>
        <location filename="../../../app/dialogs.py" line="170" />
        <source>Pick the member</source>
        <translation>选择会员</translation>
    </message>
    <message>
        <location filename="../../../app/dialogs.py" line="171" />
        <source>{0} members match</source>
        <translation>匹配到 {0} 位会员</translation>
    </message>
</context>
<context>
    <name>PyramidTab</name>
    <message>
        <location filename="../../../app/reports/pyramid.py" line="24" />
        <source>ABC(D) pyramid: members by class</source>
        <translation>ABC(D)金字塔：各类会员人数</translation>
    </message>
    <message>
        <location filename="../../../app/reports/pyramid.py" line="33" />
        <source>Class</source>
        <translation>类别</translation>
    </message>
    <message>
        <location filename="../../../app/reports/pyramid.py" line="33" />
        <source>Who</source>
        <translation>说明</translation>
    </message>
    <message>
        <location filename="../../../app/reports/pyramid.py" line="33" />
        <location filename="../../../app/reports/pyramid.py" line="67" />
        <source>Members</source>
        <translation>会员</translation>
    </message>
    <message>
        <location filename="../../../app/reports/pyramid.py" line="34" />
        <source>% of members</source>
        <translation>会员占比</translation>
    </message>
    <message>
        <location filename="../../../app/reports/pyramid.py" line="34" />
        <source>Sales</source>
        <translation>销售额</translation>
    </message>
    <message>
        <location filename="../../../app/reports/pyramid.py" line="35" />
        <source>% of sales</source>
        <translation>销售占比</translation>
    </message>
    <message>
        <location filename="../../../app/reports/pyramid.py" line="35" />
        <source>Filter</source>
        <translation>筛选</translation>
    </message>
    <message>
        <location filename="../../../app/reports/pyramid.py" line="44" />
        <source>top {0} % of buyers by sales</source>
        <translation>消费额前 {0}% 的顾客</translation>
    </message>
    <message>
        <location filename="../../../app/reports/pyramid.py" line="45" />
        <location filename="../../../app/reports/pyramid.py" line="46" />
        <source>next {0} % of buyers</source>
        <translation>其后 {0}% 的顾客</translation>
    </message>
    <message>
        <location filename="../../../app/reports/pyramid.py" line="47" />
        <source>the remaining {0} % of buyers</source>
        <translation>其余 {0}% 的顾客</translation>
    </message>
    <message>
        <location filename="../../../app/reports/pyramid.py" line="48" />
        <source>never purchased (zombie)</source>
        <translation>从未消费（僵尸会员）</translation>
    </message>
    <message>
        <location filename="../../../app/reports/pyramid.py" line="52" />
        <source>frequent and big spenders</source>
        <translation>高频且高额</translation>
    </message>
    <message>
        <location filename="../../../app/reports/pyramid.py" line="52" />
        <source>frequent or big spenders</source>
        <translation>高频或高额</translation>
    </message>
    <message>
        <location filename="../../../app/reports/pyramid.py" line="53" />
        <source>other buyers</source>
        <translation>其他消费会员</translation>
    </message>
    <message>
        <location filename="../../../app/reports/pyramid.py" line="53" />
        <source>never purchased</source>
        <translation>从未消费</translation>
    </message>
    <message>
        <location filename="../../../app/reports/pyramid.py" line="57" />
        <source>Pareto check: the top 20 % of buyers ({0}) bring {1} of member sales.</source>
        <translation>二八检验：前 20% 的消费会员（{0} 位）贡献了 {1} 的会员销售。</translation>
    </message>
</context>
<context>
    <name>ReceiptDialog</name>
    <message>
        <location filename="../../../app/dialogs.py" line="489" />
        <source>Receipt</source>
        <translation>小票</translation>
    </message>
</context>
<context>
    <name>RedeemDialog</name>
    <message>
        <location filename="../../../app/dialogs.py" line="334" />
        <source>Redeem points</source>
        <translation>积分抵现</translation>
    </message>
    <message>
        <location filename="../../../app/dialogs.py" line="336" />
        <source>Usable points: {0}</source>
        <translation>可用积分：{0}</translation>
    </message>
    <message>
        <location filename="../../../app/dialogs.py" line="337" />
        <source> (gifts in this basket take {0})</source>
        <translation>（本单礼品已用 {0}）</translation>
    </message>
    <message>
        <location filename="../../../app/dialogs.py" line="340" />
        <source>This order takes at most {0} points = ¥{1}, in steps of {2}</source>
        <translation>本单最多可用 {0} 积分 = ¥{1}，须为 {2} 的整数倍</translation>
    </message>
    <message>
        <location filename="../../../app/dialogs.py" line="344" />
        <source>Already applied: {0} points = ¥{1}</source>
        <translation>本单已用：{0} 积分 = ¥{1}</translation>
    </message>
    <message>
        <location filename="../../../app/dialogs.py" line="345" />
        <source>No points applied yet</source>
        <translation>本单尚未使用积分</translation>
    </message>
    <message>
        <location filename="../../../app/dialogs.py" line="377" />
        <source>Type a whole number of points (0 takes the points off)</source>
        <translation>请输入整数积分（输入 0 取消使用）</translation>
    </message>
    <message>
        <location filename="../../../app/dialogs.py" line="379" />
        <source>{0} points is over this order's cap of {1}: type at most {1}</source>
        <translation>{0} 积分超过本单上限 {1}，最多可输入 {1}</translation>
    </message>
    <message>
        <location filename="../../../app/dialogs.py" line="381" />
        <source>Points go in steps of {0}: {1} or {2}</source>
        <translation>积分须为 {0} 的整数倍：{1} 或 {2}</translation>
    </message>
    <message>
        <location filename="../../../app/dialogs.py" line="371" />
        <source>= ¥{0} off</source>
        <translation>= 抵扣 ¥{0}</translation>
    </message>
</context>
<context>
    <name>ReportsDialog</name>
    <message>
        <location filename="../../../app/reports_screen.py" line="593" />
        <source>Reports — store {0}</source>
        <translation>报表 — 门店 {0}</translation>
    </message>
</context>
<context>
    <name>ReportsScreen</name>
    <message>
        <location filename="../../../app/reports_screen.py" line="78" />
        <source>Reports — store {0}</source>
        <translation>报表 — 门店 {0}</translation>
    </message>
    <message>
        <location filename="../../../app/reports_screen.py" line="98" />
        <source>Today</source>
        <translation>今天</translation>
    </message>
    <message>
        <location filename="../../../app/reports_screen.py" line="89" />
        <source>Period from</source>
        <translation>统计期间</translation>
    </message>
    <message>
        <location filename="../../../app/reports_screen.py" line="96" />
        <source>until</source>
        <translation>至</translation>
    </message>
    <message>
        <location filename="../../../app/reports_screen.py" line="98" />
        <source>7 days</source>
        <translation>7天</translation>
    </message>
    <message>
        <location filename="../../../app/reports_screen.py" line="98" />
        <source>30 days</source>
        <translation>30天</translation>
    </message>
    <message>
        <location filename="../../../app/reports_screen.py" line="98" />
        <source>90 days</source>
        <translation>90天</translation>
    </message>
    <message>
        <location filename="../../../app/reports_screen.py" line="102" />
        <source>Show</source>
        <translation>查询</translation>
    </message>
    <message>
        <location filename="../../../app/reports_screen.py" line="111" />
        <source>Export CSV…</source>
        <translation>导出 CSV…</translation>
    </message>
    <message>
        <location filename="../../../app/reports_screen.py" line="112" />
        <location filename="../../../app/reports_screen.py" line="194" />
        <source>Export CSV</source>
        <translation>导出 CSV</translation>
    </message>
    <message>
        <location filename="../../../app/reports_screen.py" line="113" />
        <source>Export Excel…</source>
        <translation>导出 Excel…</translation>
    </message>
    <message>
        <location filename="../../../app/reports_screen.py" line="114" />
        <location filename="../../../app/reports_screen.py" line="193" />
        <source>Export Excel</source>
        <translation>导出 Excel</translation>
    </message>
    <message>
        <location filename="../../../app/reports_screen.py" line="115" />
        <source>PDF…</source>
        <translation>PDF…</translation>
    </message>
    <message>
        <location filename="../../../app/reports_screen.py" line="116" />
        <location filename="../../../app/reports_screen.py" line="195" />
        <source>Save as PDF</source>
        <translation>另存为 PDF</translation>
    </message>
    <message>
        <location filename="../../../app/reports_screen.py" line="117" />
        <source>Print…</source>
        <translation>打印…</translation>
    </message>
    <message>
        <location filename="../../../app/reports_screen.py" line="133" />
        <source>Sales (net of refunds)</source>
        <translation>销售额（已扣退款）</translation>
    </message>
    <message>
        <location filename="../../../app/reports_screen.py" line="133" />
        <location filename="../../../app/reports_screen.py" line="531" />
        <source>Transactions</source>
        <translation>交易笔数</translation>
    </message>
    <message>
        <location filename="../../../app/reports_screen.py" line="134" />
        <source>Average order value</source>
        <translation>客单价</translation>
    </message>
    <message>
        <location filename="../../../app/reports_screen.py" line="134" />
        <source>Items per basket</source>
        <translation>客件数</translation>
    </message>
    <message>
        <location filename="../../../app/reports_screen.py" line="135" />
        <source>Member share of sales</source>
        <translation>会员销售占比</translation>
    </message>
    <message>
        <location filename="../../../app/reports_screen.py" line="135" />
        <source>Non-member sales</source>
        <translation>非会员销售</translation>
    </message>
    <message>
        <location filename="../../../app/reports_screen.py" line="136" />
        <location filename="../../../app/reports_screen.py" line="431" />
        <source>New members</source>
        <translation>新会员</translation>
    </message>
    <message>
        <location filename="../../../app/reports_screen.py" line="136" />
        <source>Joined → first purchase</source>
        <translation>入会 → 首购转化</translation>
    </message>
    <message>
        <location filename="../../../app/reports_screen.py" line="137" />
        <source>Repeat-purchase rate</source>
        <translation>复购率</translation>
    </message>
    <message>
        <location filename="../../../app/reports_screen.py" line="137" />
        <source>Churn rate</source>
        <translation>流失率</translation>
    </message>
    <message>
        <location filename="../../../app/reports_screen.py" line="138" />
        <source>Points liability</source>
        <translation>积分负债</translation>
    </message>
    <message>
        <location filename="../../../app/reports_screen.py" line="138" />
        <source>Coupons redeemed / issued</source>
        <translation>礼券核销 / 发放</translation>
    </message>
    <message>
        <location filename="../../../app/reports_screen.py" line="139" />
        <source>Stored value balance</source>
        <translation>储值余额</translation>
    </message>
    <message>
        <location filename="../../../app/reports_screen.py" line="170" />
        <source>Overview</source>
        <translation>总览</translation>
    </message>
    <message>
        <location filename="../../../app/reports_screen.py" line="532" />
        <source>Group</source>
        <translation>分组</translation>
    </message>
    <message>
        <location filename="../../../app/reports_screen.py" line="175" />
        <location filename="../../../app/reports_screen.py" line="532" />
        <source>Members</source>
        <translation>会员</translation>
    </message>
    <message>
        <location filename="../../../app/reports_screen.py" line="171" />
        <source>RFM</source>
        <translation>RFM</translation>
    </message>
    <message>
        <location filename="../../../app/reports_screen.py" line="531" />
        <source>Sales</source>
        <translation>销售额</translation>
    </message>
    <message>
        <location filename="../../../app/reports_screen.py" line="172" />
        <source>Pyramid</source>
        <translation>金字塔</translation>
    </message>
    <message>
        <location filename="../../../app/reports_screen.py" line="163" />
        <location filename="../../../app/reports_screen.py" line="169" />
        <source>Export the list</source>
        <translation>导出名单</translation>
    </message>
    <message>
        <location filename="../../../app/reports_screen.py" line="173" />
        <source>Churn watch</source>
        <translation>流失预警</translation>
    </message>
    <message>
        <location filename="../../../app/reports_screen.py" line="532" />
        <source>Cashier</source>
        <translation>收银员</translation>
    </message>
    <message>
        <location filename="../../../app/reports_screen.py" line="174" />
        <source>Details</source>
        <translation>明细</translation>
    </message>
    <message>
        <location filename="../../../app/reports_screen.py" line="176" />
        <location filename="../../../app/reports_screen.py" line="389" />
        <source>Tier calibration</source>
        <translation>等级校准</translation>
    </message>
    <message>
        <location filename="../../../app/reports_screen.py" line="178" />
        <source>Parcels and online</source>
        <translation>包裹与网店</translation>
    </message>
    <message>
        <location filename="../../../app/reports_screen.py" line="242" />
        <source>The range ends before it starts.</source>
        <translation>结束日期早于开始日期。</translation>
    </message>
    <message>
        <location filename="../../../app/reports_screen.py" line="299" />
        <source>Computing… %v/%m</source>
        <translation>计算中… %v/%m</translation>
    </message>
    <message>
        <location filename="../../../app/reports_screen.py" line="299" />
        <source>Up to date</source>
        <translation>已是最新</translation>
    </message>
    <message>
        <location filename="../../../app/reports_screen.py" line="300" />
        <source>Computing the figures in the background — the screen stays usable.</source>
        <translation>正在后台计算，界面可照常使用。</translation>
    </message>
    <message>
        <location filename="../../../app/reports_screen.py" line="301" />
        <source>Figures for {0} .. {1}, store time ({2}).</source>
        <translation>{0} 至 {1} 的数据，门店时间（{2}）。</translation>
    </message>
    <message>
        <location filename="../../../app/reports_screen.py" line="327" />
        <source>Could not compute {0}: {1}</source>
        <translation>无法计算{0}：{1}</translation>
    </message>
    <message>
        <location filename="../../../app/reports_screen.py" line="335" />
        <source>refunds {0}</source>
        <translation>退款 {0}</translation>
    </message>
    <message>
        <location filename="../../../app/reports_screen.py" line="336" />
        <source>{0} tickets, {1} returns</source>
        <translation>{0} 张销售单，{1} 张退货单</translation>
    </message>
    <message>
        <location filename="../../../app/reports_screen.py" line="338" />
        <source>Sale tickets minus returns that took a whole sale back ({0})</source>
        <translation>销售单数减去整单退货（{0}）</translation>
    </message>
    <message>
        <location filename="../../../app/reports_screen.py" line="339" />
        <source>members {0}</source>
        <translation>会员 {0}</translation>
    </message>
    <message>
        <location filename="../../../app/reports_screen.py" line="340" />
        <source>members {0} · non-members {1}</source>
        <translation>会员 {0} · 非会员 {1}</translation>
    </message>
    <message>
        <location filename="../../../app/reports_screen.py" line="343" />
        <source>{0} units</source>
        <translation>{0} 件</translation>
    </message>
    <message>
        <location filename="../../../app/reports_screen.py" line="344" />
        <source>{0} of transactions</source>
        <translation>占交易笔数 {0}</translation>
    </message>
    <message>
        <location filename="../../../app/reports_screen.py" line="346" />
        <source>{0} transactions</source>
        <translation>{0} 笔</translation>
    </message>
    <message>
        <location filename="../../../app/reports_screen.py" line="347" />
        <source>of {0} members</source>
        <translation>共 {0} 位会员</translation>
    </message>
    <message>
        <location filename="../../../app/reports_screen.py" line="348" />
        <source>{0} of {1} bought</source>
        <translation>{1} 位中 {0} 位已首购</translation>
    </message>
    <message>
        <location filename="../../../app/reports_screen.py" line="350" />
        <source>{0} of {1} buyers</source>
        <translation>{1} 位消费会员中 {0} 位</translation>
    </message>
    <message>
        <location filename="../../../app/reports_screen.py" line="352" />
        <source>{0} of {1} quiet {2} days</source>
        <translation>{1} 位中 {0} 位 {2} 天未消费</translation>
    </message>
    <message>
        <location filename="../../../app/reports_screen.py" line="354" />
        <source>Of the members who bought in the {0} days before the period, those with no purchase in the {0} days up to its end</source>
        <translation>期初前 {0} 天内有消费的会员中，截至期末 {0} 天内未再消费者</translation>
    </message>
    <message>
        <location filename="../../../app/reports_screen.py" line="356" />
        <source>{0} points outstanding</source>
        <translation>未兑换积分 {0}</translation>
    </message>
    <message>
        <location filename="../../../app/reports_screen.py" line="357" />
        <source>In the period: issued {0}, redeemed {1}, expired {2} points</source>
        <translation>期间：发放 {0}，兑换 {1}，过期 {2} 积分</translation>
    </message>
    <message>
        <location filename="../../../app/reports_screen.py" line="359" />
        <source>redemption rate {0}</source>
        <translation>核销率 {0}</translation>
    </message>
    <message>
        <location filename="../../../app/reports_screen.py" line="361" />
        <source>in {0} · out {1}</source>
        <translation>充值 {0} · 消费 {1}</translation>
    </message>
    <message>
        <location filename="../../../app/reports_screen.py" line="390" />
        <source>Install the proposed tier thresholds as program version {0}? {1} member(s) would move up and {2} down at their next tier review.</source>
        <translation>将建议的等级门槛安装为方案版本 {0}？下次等级复审时将有 {1} 位会员升级、{2} 位降级。</translation>
    </message>
    <message>
        <location filename="../../../app/reports_screen.py" line="407" />
        <source>Installed program version {0} with the calibrated tier thresholds.</source>
        <translation>已安装带校准等级门槛的方案版本 {0}。</translation>
    </message>
    <message>
        <location filename="../../../app/reports_screen.py" line="430" />
        <source>Member buyers</source>
        <translation>消费会员</translation>
    </message>
    <message>
        <location filename="../../../app/reports_screen.py" line="430" />
        <source>Repeat buyers</source>
        <translation>复购会员</translation>
    </message>
    <message>
        <location filename="../../../app/reports_screen.py" line="451" />
        <source>as of</source>
        <translation>截至</translation>
    </message>
    <message>
        <location filename="../../../app/reports_screen.py" line="530" />
        <source>Sales by day</source>
        <translation>每日销售额</translation>
    </message>
    <message>
        <location filename="../../../app/reports_screen.py" line="530" />
        <source>Cashiers</source>
        <translation>收银员</translation>
    </message>
    <message>
        <location filename="../../../app/reports_screen.py" line="530" />
        <source>Segments</source>
        <translation>会员分群</translation>
    </message>
    <message>
        <location filename="../../../app/reports_screen.py" line="531" />
        <source>Date</source>
        <translation>日期</translation>
    </message>
    <message>
        <location filename="../../../app/reports_screen.py" line="431" />
        <source>New members who bought</source>
        <translation>已首购的新会员</translation>
    </message>
    <message>
        <location filename="../../../app/reports_screen.py" line="432" />
        <source>New members who have not bought yet</source>
        <translation>尚未首购的新会员</translation>
    </message>
    <message>
        <location filename="../../../app/reports_screen.py" line="432" />
        <source>Members gone quiet</source>
        <translation>已沉寂会员</translation>
    </message>
    <message>
        <location filename="../../../app/reports_screen.py" line="433" />
        <source>Members holding points</source>
        <translation>持有积分的会员</translation>
    </message>
    <message>
        <location filename="../../../app/reports_screen.py" line="433" />
        <source>Members who used a coupon here</source>
        <translation>在本店用券的会员</translation>
    </message>
    <message>
        <location filename="../../../app/reports_screen.py" line="434" />
        <source>Members with stored value</source>
        <translation>有储值余额的会员</translation>
    </message>
    <message>
        <location filename="../../../app/reports_screen.py" line="448" />
        <source>class {0}</source>
        <translation>{0} 类</translation>
    </message>
    <message>
        <location filename="../../../app/reports_screen.py" line="452" />
        <source>Segment</source>
        <translation>分群</translation>
    </message>
    <message>
        <location filename="../../../app/reports_screen.py" line="465" />
        <source>Select members on the churn list first.</source>
        <translation>请先在流失名单中选择会员。</translation>
    </message>
    <message>
        <location filename="../../../app/reports_screen.py" line="469" />
        <source>The program has no win-back coupon.</source>
        <translation>当前会员方案未设置召回券。</translation>
    </message>
    <message>
        <location filename="../../../app/reports_screen.py" line="472" />
        <source>Win-back coupon</source>
        <translation>召回券</translation>
    </message>
    <message>
        <location filename="../../../app/reports_screen.py" line="473" />
        <source>Issue a {0} coupon to {1} member(s)?</source>
        <translation>向 {1} 位会员发放 {0} 券？</translation>
    </message>
    <message>
        <location filename="../../../app/reports_screen.py" line="479" />
        <source>Issued {0} win-back coupon(s); skipped {1} (already holding one or not active).</source>
        <translation>已发放 {0} 张召回券；跳过 {1} 位（已持有或非有效会员）。</translation>
    </message>
    <message>
        <location filename="../../../app/reports_screen.py" line="490" />
        <source>Member tags updated as of {0}: {1} added, {2} removed.</source>
        <translation>会员标签已更新（截至 {0}）：新增 {1} 个，移除 {2} 个。</translation>
    </message>
    <message>
        <location filename="../../../app/reports_screen.py" line="523" />
        <source>Saved {0}</source>
        <translation>已保存 {0}</translation>
    </message>
</context>
<context>
    <name>ReturnsDialog</name>
    <message>
        <location filename="../../../app/returns_screen.py" line="54" />
        <location filename="../../../app/returns_screen.py" line="74" />
        <source>Return</source>
        <translation>退货</translation>
    </message>
    <message>
        <location filename="../../../app/returns_screen.py" line="60" />
        <source>Receipt number, e.g. S001-01-20261123-0001 — Enter</source>
        <translation>小票号，例如 S001-01-20261123-0001 — 回车</translation>
    </message>
    <message>
        <location filename="../../../app/returns_screen.py" line="67" />
        <source>This member's recent sales: </source>
        <translation>该会员近期小票：</translation>
    </message>
    <message>
        <location filename="../../../app/returns_screen.py" line="74" />
        <source>Item</source>
        <translation>商品</translation>
    </message>
    <message>
        <location filename="../../../app/returns_screen.py" line="74" />
        <source>Bought</source>
        <translation>购买数量</translation>
    </message>
    <message>
        <location filename="../../../app/returns_screen.py" line="74" />
        <source>Paid</source>
        <translation>实付</translation>
    </message>
    <message>
        <location filename="../../../app/returns_screen.py" line="89" />
        <source>Confirm return (F12)</source>
        <translation>确认退货（F12）</translation>
    </message>
    <message>
        <location filename="../../../app/returns_screen.py" line="93" />
        <source>Cancel (Esc)</source>
        <translation>取消（Esc）</translation>
    </message>
    <message>
        <location filename="../../../app/returns_screen.py" line="129" />
        <location filename="../../../app/returns_screen.py" line="247" />
        <source>Type or scan the receipt number, then Enter</source>
        <translation>请输入或扫描小票号，然后按回车</translation>
    </message>
    <message>
        <location filename="../../../app/returns_screen.py" line="245" />
        <source>Check the preview, then confirm</source>
        <translation>请核对退货预览，然后确认</translation>
    </message>
    <message>
        <location filename="../../../app/returns_screen.py" line="252" />
        <source>Another receipt: check the preview, then confirm</source>
        <translation>小票号已更改：请核对退货预览，然后确认</translation>
    </message>
    <message>
        <location filename="../../../app/returns_screen.py" line="265" />
        <source>A refund above ¥{0} needs a manager.</source>
        <translation>退款超过 ¥{0} 需店长授权。</translation>
    </message>
    <message>
        <location filename="../../../app/returns_screen.py" line="173" />
        <location filename="../../../app/returns_screen.py" line="258" />
        <source>Choose at least one item</source>
        <translation>请至少选择一件商品</translation>
    </message>
    <message>
        <location filename="../../../app/returns_screen.py" line="188" />
        <source>{0} ¥{1}</source>
        <translation>{0} ¥{1}</translation>
    </message>
    <message>
        <location filename="../../../app/returns_screen.py" line="189" />
        <source>Refund ¥{0}</source>
        <translation>退款 ¥{0}</translation>
    </message>
    <message>
        <location filename="../../../app/returns_screen.py" line="189" />
        <source> — {0}</source>
        <translation> — {0}</translation>
    </message>
    <message>
        <location filename="../../../app/returns_screen.py" line="192" />
        <source>takes back {0} points earned</source>
        <translation>扣回已得积分 {0}</translation>
    </message>
    <message>
        <location filename="../../../app/returns_screen.py" line="195" />
        <source>takes back the monthly spend bonus ({0} points)</source>
        <translation>收回月消费奖励（{0} 积分）</translation>
    </message>
    <message>
        <location filename="../../../app/returns_screen.py" line="197" />
        <source>gives back {0} points used</source>
        <translation>退还已用积分 {0}</translation>
    </message>
    <message>
        <location filename="../../../app/returns_screen.py" line="198" />
        <source> (original expiry)</source>
        <translation>（保持原有效期）</translation>
    </message>
    <message>
        <location filename="../../../app/returns_screen.py" line="198" />
        <source> (expiry renewed)</source>
        <translation>（有效期重新计算）</translation>
    </message>
    <message>
        <location filename="../../../app/returns_screen.py" line="200" />
        <source>{0} points already spent: the member owes them</source>
        <translation>{0} 积分已被使用：记为会员欠分</translation>
    </message>
    <message>
        <location filename="../../../app/returns_screen.py" line="202" />
        <source>¥{0} deducted for points already spent</source>
        <translation>因积分已使用，扣减退款 ¥{0}</translation>
    </message>
    <message>
        <location filename="../../../app/returns_screen.py" line="207" />
        <source>tier spend -¥{0}</source>
        <translation>等级消费 -¥{0}</translation>
    </message>
    <message>
        <location filename="../../../app/returns_screen.py" line="209" />
        <source>tier goes back to {0}</source>
        <translation>等级退回 {0}</translation>
    </message>
    <message>
        <location filename="../../../app/returns_screen.py" line="211" />
        <source>the tier stays</source>
        <translation>会员等级不变</translation>
    </message>
    <message>
        <location filename="../../../app/returns_screen.py" line="215" />
        <location filename="../../../app/returns_screen.py" line="267" />
        <source>{0} days since the sale: past the {1}-day return window, a manager must approve</source>
        <translation>距购买已 {0} 天，超出 {1} 天退货期，需店长授权</translation>
    </message>
    <message>
        <location filename="../../../app/returns_screen.py" line="218" />
        <source>coupon(s) given back: {0}</source>
        <translation>退回礼券：{0}</translation>
    </message>
</context>
<context>
    <name>RfmTab</name>
    <message>
        <location filename="../../../app/reports/rfm.py" line="29" />
        <source>Monetary score</source>
        <translation>消费额评分</translation>
    </message>
    <message>
        <location filename="../../../app/reports/rfm.py" line="31" />
        <source>All</source>
        <translation>全部</translation>
    </message>
    <message>
        <location filename="../../../app/reports/rfm.py" line="45" />
        <source>Members per recency (rows) × frequency (columns) score; click a cell for its members</source>
        <translation>各近度（行）× 频度（列）评分的会员数；点击格子查看会员</translation>
    </message>
    <message>
        <location filename="../../../app/reports/rfm.py" line="47" />
        <source>RFM heat map: recency ↓, frequency →</source>
        <translation>RFM 热力图：近度 ↓，频度 →</translation>
    </message>
    <message>
        <location filename="../../../app/reports/rfm.py" line="55" />
        <source>By</source>
        <translation>维度</translation>
    </message>
    <message>
        <location filename="../../../app/reports/rfm.py" line="55" />
        <source>Group</source>
        <translation>分组</translation>
    </message>
    <message>
        <location filename="../../../app/reports/rfm.py" line="56" />
        <source>Members</source>
        <translation>会员</translation>
    </message>
    <message>
        <location filename="../../../app/reports/rfm.py" line="57" />
        <source>Share</source>
        <translation>占比</translation>
    </message>
    <message>
        <location filename="../../../app/reports/rfm.py" line="57" />
        <source>Filter groups</source>
        <translation>筛选分组</translation>
    </message>
    <message>
        <location filename="../../../app/reports/rfm.py" line="59" />
        <source>Named groups (double-click for the members)</source>
        <translation>会员分组（双击查看会员）</translation>
    </message>
    <message>
        <location filename="../../../app/reports/rfm.py" line="61" />
        <source>Update member tags shown at the till</source>
        <translation>更新收银台显示的会员标签</translation>
    </message>
    <message>
        <location filename="../../../app/reports/rfm.py" line="63" />
        <source>Gives every member their group names as tags (活跃会员, 沉睡会员, 重度消费 …)</source>
        <translation>把分群名称作为标签写给每位会员（活跃会员、沉睡会员、重度消费……）</translation>
    </message>
    <message>
        <location filename="../../../app/reports/rfm.py" line="75" />
        <source>Active (&lt; 90 days)</source>
        <translation>活跃（90天内）</translation>
    </message>
    <message>
        <location filename="../../../app/reports/rfm.py" line="75" />
        <source>Recently lapsed (90–179 days)</source>
        <translation>近期流失（90–179天）</translation>
    </message>
    <message>
        <location filename="../../../app/reports/rfm.py" line="76" />
        <source>Mid-term lapsed (180–364 days)</source>
        <translation>中期流失（180–364天）</translation>
    </message>
    <message>
        <location filename="../../../app/reports/rfm.py" line="76" />
        <source>Dormant (≥ 365 days)</source>
        <translation>沉睡（365天及以上）</translation>
    </message>
    <message>
        <location filename="../../../app/reports/rfm.py" line="77" />
        <source>Never purchased</source>
        <translation>从未消费</translation>
    </message>
    <message>
        <location filename="../../../app/reports/rfm.py" line="77" />
        <source>Heavy (ABC A + B)</source>
        <translation>重度消费（A + B 类）</translation>
    </message>
    <message>
        <location filename="../../../app/reports/rfm.py" line="78" />
        <source>Light (ABC C)</source>
        <translation>轻度消费（C 类）</translation>
    </message>
    <message>
        <location filename="../../../app/reports/rfm.py" line="78" />
        <source>Light (ABC C + D)</source>
        <translation>轻度消费（C + D 类）</translation>
    </message>
    <message>
        <location filename="../../../app/reports/rfm.py" line="79" />
        <source>Zombie (never purchased)</source>
        <translation>僵尸会员（从未消费）</translation>
    </message>
    <message>
        <location filename="../../../app/reports/rfm.py" line="82" />
        <source>Recency</source>
        <translation>近度</translation>
    </message>
    <message>
        <location filename="../../../app/reports/rfm.py" line="84" />
        <source>Value</source>
        <translation>价值</translation>
    </message>
    <message>
        <location filename="../../../app/reports/rfm.py" line="88" />
        <source>As of {0}: {1} members, {2} buyers. Each score is the quintile of buyers (about 20 % each; 5 = most recent / most frequent / biggest spender); equal members share the lower score, so no tie is split.</source>
        <translation>截至 {0}：会员 {1} 人，有消费 {2} 人。每项得分按有消费顾客的五等分（各约 20%；5 = 最近、最频繁、消费最多）；数值相同者取较低一档，不拆分并列。</translation>
    </message>
    <message>
        <location filename="../../../app/reports/rfm.py" line="92" />
        <source>As of {0}: {1} members, {2} buyers. Each score is the quintile of the distinct values (5 = most recent / most frequent / biggest spender); equal members share a score.</source>
        <translation>截至 {0}：{1} 位会员，{2} 位消费会员。各项评分按不同取值分五档（5 = 最近 / 最频繁 / 消费最多）；取值相同的会员评分相同。</translation>
    </message>
    <message>
        <location filename="../../../app/reports/rfm.py" line="109" />
        <source>R{0} F{1}: {2} members</source>
        <translation>R{0} F{1}：{2} 位会员</translation>
    </message>
</context>
<context>
    <name>SearchDialog</name>
    <message>
        <location filename="../../../app/dialogs.py" line="180" />
        <location filename="../../../app/dialogs.py" line="182" />
        <location filename="../../../app/dialogs.py" line="184" />
        <source>Kind</source>
        <translation>类型</translation>
    </message>
    <message>
        <location filename="../../../app/dialogs.py" line="180" />
        <location filename="../../../app/dialogs.py" line="182" />
        <location filename="../../../app/dialogs.py" line="184" />
        <source>Name</source>
        <translation>姓名</translation>
    </message>
    <message>
        <location filename="../../../app/dialogs.py" line="184" />
        <source>Phone or barcode</source>
        <translation>手机号或条码</translation>
    </message>
    <message>
        <location filename="../../../app/dialogs.py" line="184" />
        <source>Tier or price</source>
        <translation>等级或价格</translation>
    </message>
    <message>
        <location filename="../../../app/dialogs.py" line="180" />
        <location filename="../../../app/dialogs.py" line="184" />
        <source>Points</source>
        <translation>积分</translation>
    </message>
    <message>
        <location filename="../../../app/dialogs.py" line="180" />
        <location filename="../../../app/dialogs.py" line="184" />
        <source>Last visit</source>
        <translation>上次到店</translation>
    </message>
    <message>
        <location filename="../../../app/dialogs.py" line="180" />
        <source>Phone</source>
        <translation>手机</translation>
    </message>
    <message>
        <location filename="../../../app/dialogs.py" line="180" />
        <source>Tier</source>
        <translation>等级</translation>
    </message>
    <message>
        <location filename="../../../app/dialogs.py" line="182" />
        <source>Barcode</source>
        <translation>条码</translation>
    </message>
    <message>
        <location filename="../../../app/dialogs.py" line="182" />
        <source>Price</source>
        <translation>单价</translation>
    </message>
    <message>
        <location filename="../../../app/dialogs.py" line="185" />
        <source>Member</source>
        <translation>会员</translation>
    </message>
    <message>
        <location filename="../../../app/dialogs.py" line="187" />
        <source> (member ¥{0})</source>
        <translation>（会员价 ¥{0}）</translation>
    </message>
    <message>
        <location filename="../../../app/dialogs.py" line="189" />
        <source>Product</source>
        <translation>商品</translation>
    </message>
    <message>
        <location filename="../../../app/dialogs.py" line="190" />
        <source>{0} member(s), {1} product(s) found — arrows and Enter</source>
        <translation>找到 {0} 位会员、{1} 件商品 — 方向键选择，回车确认</translation>
    </message>
    <message>
        <location filename="../../../app/dialogs.py" line="191" />
        <source>Search</source>
        <translation>查找</translation>
    </message>
</context>
<context>
    <name>ShiftCloseDialog</name>
    <message>
        <location filename="../../../app/dialogs.py" line="522" />
        <source>Close shift</source>
        <translation>交班</translation>
    </message>
    <message>
        <location filename="../../../app/dialogs.py" line="525" />
        <source>Count the cash in the drawer and type the total (yuan):</source>
        <translation>请清点钱箱现金，输入合计金额（元）：</translation>
    </message>
    <message>
        <location filename="../../../app/dialogs.py" line="536" />
        <source>Close shift (Enter)</source>
        <translation>交班（回车）</translation>
    </message>
    <message>
        <location filename="../../../app/dialogs.py" line="546" />
        <source>Type the counted cash, such as 1250 or 1250.50</source>
        <translation>请输入清点的现金，如 1250 或 1250.50</translation>
    </message>
    <message>
        <location filename="../../../app/dialogs.py" line="561" />
        <source>Counted ¥{0}, expected ¥{1}: variance {2}
Sales: {3}, returns: {4}, net ¥{5}
By tender: {6}</source>
        <translation>实点 ¥{0}，应有 ¥{1}：差额 {2}
销售 {3} 笔，退货 {4} 笔，净额 ¥{5}
按支付方式：{6}</translation>
    </message>
    <message>
        <location filename="../../../app/dialogs.py" line="564" />
        <source>Done (Enter)</source>
        <translation>完成（回车）</translation>
    </message>
</context>
<context>
    <name>SignInScreen</name>
    <message>
        <location filename="../../../app/signin_screen.py" line="28" />
        <location filename="../../../app/signin_screen.py" line="78" />
        <source>Sign in</source>
        <translation>登录</translation>
    </message>
    <message>
        <location filename="../../../app/signin_screen.py" line="44" />
        <source>Staff code</source>
        <translation>工号</translation>
    </message>
    <message>
        <location filename="../../../app/signin_screen.py" line="45" />
        <source>PIN</source>
        <translation>密码</translation>
    </message>
    <message>
        <location filename="../../../app/signin_screen.py" line="50" />
        <source>Sign in (Enter)</source>
        <translation>登录（回车）</translation>
    </message>
    <message>
        <location filename="../../../app/signin_screen.py" line="53" />
        <source>Demo: cashier C01 / 1234, manager M01 / 9999</source>
        <translation>演示：收银员 C01 / 1234，店长 M01 / 9999</translation>
    </message>
    <message>
        <location filename="../../../app/signin_screen.py" line="70" />
        <source>Locked — {0}</source>
        <translation>已锁屏 — {0}</translation>
    </message>
    <message>
        <location filename="../../../app/signin_screen.py" line="93" />
        <source>Locked by {0}: only they or a manager can unlock</source>
        <translation>由 {0} 锁屏：仅本人或店长可解锁</translation>
    </message>
</context>
<context>
    <name>StartupProgress</name>
    <message>
        <location filename="../../../app/startup_progress.py" line="65" />
        <source>Member POS</source>
        <translation>会员收银</translation>
    </message>
    <message>
        <location filename="../../../app/startup_progress.py" line="66" />
        <source>Getting the till ready</source>
        <translation>正在准备收银台</translation>
    </message>
    <message>
        <location filename="../../../app/startup_progress.py" line="67" />
        <source>First start: building a demo store with two years of sales, as it would be today. This takes a few seconds.</source>
        <translation>首次启动：正在建立演示门店——两年的销售记录，状态截至今天。需要十几秒。</translation>
    </message>
    <message>
        <location filename="../../../app/startup_progress.py" line="69" />
        <source>Opening the store…</source>
        <translation>正在打开门店…</translation>
    </message>
    <message>
        <location filename="../../../app/startup_progress.py" line="75" />
        <location filename="../../../app/startup_progress.py" line="76" />
        <source>Opening the store database (and bringing it up to date)…</source>
        <translation>正在打开门店数据库（如需要会先升级）…</translation>
    </message>
    <message>
        <location filename="../../../app/startup_progress.py" line="77" />
        <source>Creating demo members…</source>
        <translation>正在创建演示会员…</translation>
    </message>
    <message>
        <location filename="../../../app/startup_progress.py" line="78" />
        <source>Creating demo products…</source>
        <translation>正在创建演示商品…</translation>
    </message>
    <message>
        <location filename="../../../app/startup_progress.py" line="79" />
        <source>Playing the sales history and each day's jobs…</source>
        <translation>正在生成销售记录并运行每天的日常任务…</translation>
    </message>
    <message>
        <location filename="../../../app/startup_progress.py" line="80" />
        <source>Grouping members (active, dormant …)…</source>
        <translation>正在为会员分群（活跃、沉睡……）…</translation>
    </message>
    <message>
        <location filename="../../../app/startup_progress.py" line="81" />
        <source>Running today's daily jobs…</source>
        <translation>正在运行今天的日常任务…</translation>
    </message>
    <message>
        <location filename="../../../app/startup_progress.py" line="82" />
        <source>Preparing product suggestions…</source>
        <translation>正在准备商品推荐…</translation>
    </message>
    <message>
        <location filename="../../../app/startup_progress.py" line="83" />
        <source>Setting up demo staff…</source>
        <translation>正在设置演示员工…</translation>
    </message>
    <message>
        <location filename="../../../app/startup_progress.py" line="84" />
        <source>Working…</source>
        <translation>正在处理…</translation>
    </message>
    <message>
        <location filename="../../../app/startup_progress.py" line="96" />
        <source>%1 of %2 sales</source>
        <translation>%1 / %2 笔销售</translation>
    </message>
</context>
<context>
    <name>Tenders</name>
    <message>
        <location filename="../../../app/returns_screen.py" line="36" />
        <source>Cash</source>
        <translation>现金</translation>
    </message>
    <message>
        <location filename="../../../app/returns_screen.py" line="36" />
        <source>WeChat Pay</source>
        <translation>微信支付</translation>
    </message>
    <message>
        <location filename="../../../app/returns_screen.py" line="37" />
        <source>Alipay</source>
        <translation>支付宝</translation>
    </message>
    <message>
        <location filename="../../../app/returns_screen.py" line="37" />
        <source>Bank card</source>
        <translation>银行卡</translation>
    </message>
    <message>
        <location filename="../../../app/returns_screen.py" line="38" />
        <source>Stored value</source>
        <translation>储值余额</translation>
    </message>
    <message>
        <location filename="../../../app/returns_screen.py" line="39" />
        <source>Gift card</source>
        <translation>礼品卡</translation>
    </message>
</context>
<context>
    <name>c</name>
    <message>
        <location filename="../../../app/screenshot.py" line="127" />
        <source>Quick join</source>
        <translation>快速入会</translation>
    </message>
    <message>
        <location filename="../../../app/screenshot.py" line="127" />
        <source>Mobile number (the rest of the profile later)</source>
        <translation>手机号（其他资料稍后补充）</translation>
    </message>
</context>
</TS>