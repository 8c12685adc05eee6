<?xml version='1.0' encoding='utf-8'?>
<TS version="2.1" language="zh_CN">
<context>
    <name />
    <message>
        <location filename="../../app/dialogs.py" line="223" />
        <source>{0} points</source>
        <translation>{0} 积分</translation>
    </message>
    <message>
        <location filename="../../app/dialogs.py" line="225" />
        <source>Gift catalog</source>
        <translation>礼品目录</translation>
    </message>
    <message>
        <location filename="../../app/dialogs.py" line="225" />
        <source>Usable points: {0}</source>
        <translation>可用积分：{0}</translation>
    </message>
</context>
<context>
    <name>BasketModel</name>
    <message>
        <location filename="../../app/basket_model.py" line="22" />
        <source>#</source>
        <translation>#</translation>
    </message>
    <message>
        <location filename="../../app/basket_model.py" line="22" />
        <source>Item</source>
        <translation>商品</translation>
    </message>
    <message>
        <location filename="../../app/basket_model.py" line="22" />
        <source>Qty</source>
        <translation>数量</translation>
    </message>
    <message>
        <location filename="../../app/basket_model.py" line="22" />
        <source>Price</source>
        <translation>单价</translation>
    </message>
    <message>
        <location filename="../../app/basket_model.py" line="22" />
        <source>Discount</source>
        <translation>优惠</translation>
    </message>
    <message>
        <location filename="../../app/basket_model.py" line="23" />
        <source>Amount</source>
        <translation>金额</translation>
    </message>
    <message>
        <location filename="../../app/basket_model.py" line="23" />
        <location filename="../../app/basket_model.py" line="97" />
        <source>Points</source>
        <translation>积分</translation>
    </message>
    <message>
        <location filename="../../app/basket_model.py" line="60" />
        <source>[Gift] </source>
        <translation>【礼品】</translation>
    </message>
    <message>
        <location filename="../../app/basket_model.py" line="95" />
        <source>Flash sale</source>
        <translation>限时抢购</translation>
    </message>
    <message>
        <location filename="../../app/basket_model.py" line="95" />
        <source>Member price</source>
        <translation>会员价</translation>
    </message>
    <message>
        <location filename="../../app/basket_model.py" line="96" />
        <source>Line discount</source>
        <translation>单品折扣</translation>
    </message>
    <message>
        <location filename="../../app/basket_model.py" line="96" />
        <source>Member discount</source>
        <translation>会员折扣</translation>
    </message>
    <message>
        <location filename="../../app/basket_model.py" line="97" />
        <source>Promotion</source>
        <translation>促销</translation>
    </message>
    <message>
        <location filename="../../app/basket_model.py" line="97" />
        <source>Coupon</source>
        <translation>优惠券</translation>
    </message>
</context>
<context>
    <name>CheckoutScreen</name>
    <message>
        <location filename="../../app/checkout_screen.py" line="45" />
        <source>Scan or type: barcode, member card/code, coupon, phone or last 4 digits — Enter</source>
        <translation>扫码或输入：商品条码、会员卡/会员码、券码、手机号或尾号4位 — 回车</translation>
    </message>
    <message>
        <location filename="../../app/checkout_screen.py" line="135" />
        <source>Member</source>
        <translation>会员</translation>
    </message>
    <message>
        <location filename="../../app/checkout_screen.py" line="135" />
        <source>Join</source>
        <translation>入会</translation>
    </message>
    <message>
        <location filename="../../app/checkout_screen.py" line="136" />
        <source>Qty</source>
        <translation>数量</translation>
    </message>
    <message>
        <location filename="../../app/checkout_screen.py" line="136" />
        <source>Discount</source>
        <translation>优惠</translation>
    </message>
    <message>
        <location filename="../../app/checkout_screen.py" line="137" />
        <source>Remove</source>
        <translation>删除</translation>
    </message>
    <message>
        <location filename="../../app/checkout_screen.py" line="137" />
        <source>Points</source>
        <translation>积分</translation>
    </message>
    <message>
        <location filename="../../app/checkout_screen.py" line="138" />
        <source>Gift</source>
        <translation>礼品</translation>
    </message>
    <message>
        <location filename="../../app/checkout_screen.py" line="138" />
        <source>Hold/Recall</source>
        <translation>挂单/取单</translation>
    </message>
    <message>
        <location filename="../../app/checkout_screen.py" line="139" />
        <source>Return</source>
        <translation>退货</translation>
    </message>
    <message>
        <location filename="../../app/checkout_screen.py" line="139" />
        <source>Top-up</source>
        <translation>充值</translation>
    </message>
    <message>
        <location filename="../../app/checkout_screen.py" line="140" />
        <source>Pay</source>
        <translation>结账</translation>
    </message>
    <message>
        <location filename="../../app/checkout_screen.py" line="157" />
        <source>Ctrl+Del
Void</source>
        <translation>Ctrl+Del
整单作废</translation>
    </message>
    <message>
        <location filename="../../app/checkout_screen.py" line="181" />
        <source>Total ¥{0}</source>
        <translation>原价 ¥{0}</translation>
    </message>
    <message>
        <location filename="../../app/checkout_screen.py" line="182" />
        <source>Discounts -¥{0}</source>
        <translation>优惠 -¥{0}</translation>
    </message>
    <message>
        <location filename="../../app/checkout_screen.py" line="184" />
        <source>Membership saved ¥{0}</source>
        <translation>会员为您节省 ¥{0}</translation>
    </message>
    <message>
        <location filename="../../app/checkout_screen.py" line="185" />
        <source>Points used {0} (¥{1})</source>
        <translation>使用积分 {0}（抵 ¥{1}）</translation>
    </message>
    <message>
        <location filename="../../app/checkout_screen.py" line="187" />
        <source>Earns {0} points</source>
        <translation>本单可得 {0} 积分</translation>
    </message>
    <message>
        <location filename="../../app/checkout_screen.py" line="188" />
        <source>Due ¥{0}</source>
        <translation>应付 ¥{0}</translation>
    </message>
    <message>
        <location filename="../../app/checkout_screen.py" line="190" />
        <source>Not applied: {0} — {1}</source>
        <translation>未使用：{0} — {1}</translation>
    </message>
    <message>
        <location filename="../../app/checkout_screen.py" line="257" />
        <source>Member: {0}</source>
        <translation>会员：{0}</translation>
    </message>
    <message>
        <location filename="../../app/checkout_screen.py" line="259" />
        <source>Coupon: {0}</source>
        <translation>优惠券：{0}</translation>
    </message>
    <message>
        <location filename="../../app/checkout_screen.py" line="277" />
        <source>Coupon applied</source>
        <translation>优惠券已使用</translation>
    </message>
    <message>
        <location filename="../../app/checkout_screen.py" line="277" />
        <source>Coupon not applied: see below</source>
        <translation>优惠券未能使用，原因见下方</translation>
    </message>
    <message>
        <location filename="../../app/checkout_screen.py" line="282" />
        <source>Quick join</source>
        <translation>快速入会</translation>
    </message>
    <message>
        <location filename="../../app/checkout_screen.py" line="282" />
        <source>Mobile number (the rest of the profile later)</source>
        <translation>手机号（其他资料稍后补充）</translation>
    </message>
    <message>
        <location filename="../../app/checkout_screen.py" line="289" />
        <source>Welcome, new member {0}! Sign-up rewards are in the wallet.</source>
        <translation>欢迎新会员 {0}！入会礼已放入券包。</translation>
    </message>
    <message>
        <location filename="../../app/checkout_screen.py" line="299" />
        <source>Quantity</source>
        <translation>数量</translation>
    </message>
    <message>
        <location filename="../../app/checkout_screen.py" line="302" />
        <location filename="../../app/checkout_screen.py" line="316" />
        <source>Type a whole number</source>
        <translation>请输入整数</translation>
    </message>
    <message>
        <location filename="../../app/checkout_screen.py" line="312" />
        <source>Line discount</source>
        <translation>单品折扣</translation>
    </message>
    <message>
        <location filename="../../app/checkout_screen.py" line="312" />
        <source>Discount in percent for {0}</source>
        <translation>{0} 的折扣（百分比）</translation>
    </message>
    <message>
        <location filename="../../app/checkout_screen.py" line="353" />
        <location filename="../../app/checkout_screen.py" line="365" />
        <location filename="../../app/checkout_screen.py" line="403" />
        <source>Identify the member first</source>
        <translation>请先识别会员</translation>
    </message>
    <message>
        <location filename="../../app/checkout_screen.py" line="376" />
        <source>Basket held: F9 recalls it</source>
        <translation>已挂单：按 F9 取单</translation>
    </message>
    <message>
        <location filename="../../app/checkout_screen.py" line="382" />
        <source>No basket on hold</source>
        <translation>没有挂单</translation>
    </message>
    <message>
        <location filename="../../app/checkout_screen.py" line="383" />
        <source>{0}  ·  {1} line(s)</source>
        <translation>{0}  ·  {1} 行</translation>
    </message>
    <message>
        <location filename="../../app/checkout_screen.py" line="384" />
        <source>Recall a held basket</source>
        <translation>取回挂单</translation>
    </message>
    <message>
        <location filename="../../app/checkout_screen.py" line="393" />
        <source>Void</source>
        <translation>作废</translation>
    </message>
    <message>
        <location filename="../../app/checkout_screen.py" line="393" />
        <source>Void this sale?</source>
        <translation>确定作废本单？</translation>
    </message>
    <message>
        <location filename="../../app/checkout_screen.py" line="396" />
        <source>Sale voided</source>
        <translation>本单已作废</translation>
    </message>
    <message>
        <location filename="../../app/checkout_screen.py" line="404" />
        <source>Top up stored value</source>
        <translation>储值充值</translation>
    </message>
    <message>
        <location filename="../../app/checkout_screen.py" line="404" />
        <source>Amount in yuan</source>
        <translation>金额（元）</translation>
    </message>
    <message>
        <location filename="../../app/checkout_screen.py" line="411" />
        <source>Type an amount such as 100 or 12.50</source>
        <translation>请输入金额，例如 100 或 12.50</translation>
    </message>
    <message>
        <location filename="../../app/checkout_screen.py" line="421" />
        <source>Topped up ¥{0}, receipt {1}</source>
        <translation>已充值 ¥{0}，小票 {1}</translation>
    </message>
    <message>
        <location filename="../../app/checkout_screen.py" line="429" />
        <source>The basket is empty</source>
        <translation>购物篮为空</translation>
    </message>
    <message>
        <location filename="../../app/checkout_screen.py" line="441" />
        <source>Paid. Receipt {0}</source>
        <translation>已收款。小票 {0}</translation>
    </message>
    <message>
        <location filename="../../app/checkout_screen.py" line="442" />
        <source> · change ¥{0}</source>
        <translation> · 找零 ¥{0}</translation>
    </message>
    <message>
        <location filename="../../app/checkout_screen.py" line="451" />
        <source>Reprint</source>
        <translation>补打小票</translation>
    </message>
    <message>
        <location filename="../../app/checkout_screen.py" line="451" />
        <source>Receipt number</source>
        <translation>小票号</translation>
    </message>
    <message>
        <location filename="../../app/checkout_screen.py" line="468" />
        <source>Showing the full phone number is recorded.</source>
        <translation>查看完整手机号将被记录。</translation>
    </message>
</context>
<context>
    <name>DeviceSettingsDialog</name>
    <message>
        <location filename="../../app/device_settings.py" line="29" />
        <source>Devices</source>
        <translation>设备</translation>
    </message>
    <message>
        <location filename="../../app/device_settings.py" line="44" />
        <source>Scanner</source>
        <translation>扫码枪</translation>
    </message>
    <message>
        <location filename="../../app/device_settings.py" line="44" />
        <location filename="../../app/device_settings.py" line="46" />
        <source>Mode</source>
        <translation>模式</translation>
    </message>
    <message>
        <location filename="../../app/device_settings.py" line="44" />
        <location filename="../../app/device_settings.py" line="46" />
        <source>Serial port</source>
        <translation>串口</translation>
    </message>
    <message>
        <location filename="../../app/device_settings.py" line="45" />
        <source>Baud</source>
        <translation>波特率</translation>
    </message>
    <message>
        <location filename="../../app/device_settings.py" line="45" />
        <source>Terminator</source>
        <translation>结束符</translation>
    </message>
    <message>
        <location filename="../../app/device_settings.py" line="46" />
        <source>Card reader</source>
        <translation>读卡器</translation>
    </message>
    <message>
        <location filename="../../app/device_settings.py" line="47" />
        <source>Receipt printer</source>
        <translation>小票打印机</translation>
    </message>
    <message>
        <location filename="../../app/device_settings.py" line="47" />
        <source>Connection</source>
        <translation>连接方式</translation>
    </message>
    <message>
        <location filename="../../app/device_settings.py" line="47" />
        <source>Paper (mm)</source>
        <translation>纸宽（毫米）</translation>
    </message>
    <message>
        <location filename="../../app/device_settings.py" line="48" />
        <source>File, host or port</source>
        <translation>文件、主机或串口</translation>
    </message>
    <message>
        <location filename="../../app/device_settings.py" line="56" />
        <source>Test: last frames</source>
        <translation>测试：最近收到的数据</translation>
    </message>
    <message>
        <location filename="../../app/device_settings.py" line="58" />
        <source>Print test page</source>
        <translation>打印测试页</translation>
    </message>
    <message>
        <location filename="../../app/device_settings.py" line="92" />
        <source>No frame received yet</source>
        <translation>尚未收到数据</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <location filename="../../app/main_window.py" line="90" />
        <source>Member checkout — {0}</source>
        <translation>会员收银 — {0}</translation>
    </message>
    <message>
        <location filename="../../app/main_window.py" line="92" />
        <source>TEST CLOCK: {0} — records made now are marked as test</source>
        <translation>测试时钟：{0} — 此时产生的记录均标记为测试</translation>
    </message>
    <message>
        <location filename="../../app/main_window.py" line="93" />
        <source>Store {0} · register {1}</source>
        <translation>门店 {0} · 收银台 {1}</translation>
    </message>
    <message>
        <location filename="../../app/main_window.py" line="94" />
        <source>Cashier {0}</source>
        <translation>收银员 {0}</translation>
    </message>
    <message>
        <location filename="../../app/main_window.py" line="94" />
        <source>Not signed in</source>
        <translation>未登录</translation>
    </message>
    <message>
        <location filename="../../app/main_window.py" line="99" />
        <source>HQ sync: not configured</source>
        <translation>总部同步：未配置</translation>
    </message>
    <message>
        <location filename="../../app/main_window.py" line="99" />
        <source>HQ sync: online</source>
        <translation>总部同步：在线</translation>
    </message>
    <message>
        <location filename="../../app/main_window.py" line="100" />
        <source>HQ sync: offline, {0} event(s) waiting</source>
        <translation>总部同步：离线，{0} 条待上传</translation>
    </message>
    <message>
        <location filename="../../app/main_window.py" line="121" />
        <source>Devices: {0}</source>
        <translation>设备：{0}</translation>
    </message>
    <message>
        <location filename="../../app/main_window.py" line="146" />
        <source>Open shift</source>
        <translation>开班</translation>
    </message>
    <message>
        <location filename="../../app/main_window.py" line="146" />
        <source>Opening cash float in yuan</source>
        <translation>备用金（元）</translation>
    </message>
    <message>
        <location filename="../../app/main_window.py" line="182" />
        <location filename="../../app/main_window.py" line="192" />
        <source>Close shift</source>
        <translation>交班</translation>
    </message>
    <message>
        <location filename="../../app/main_window.py" line="182" />
        <source>Expected cash ¥{0}. Count the drawer (yuan):</source>
        <translation>应有现金 ¥{0}。请清点钱箱（元）：</translation>
    </message>
    <message>
        <location filename="../../app/main_window.py" line="195" />
        <source>Shift summary</source>
        <translation>交班汇总</translation>
    </message>
    <message>
        <location filename="../../app/main_window.py" line="196" />
        <source>Sales: {0}, returns: {1}, net ¥{2}
By tender: {3}
Expected cash ¥{4}, counted ¥{5}, variance ¥{6}</source>
        <translation>销售 {0} 笔，退货 {1} 笔，净额 ¥{2}
按支付方式：{3}
应有现金 ¥{4}，实点 ¥{5}，差额 ¥{6}</translation>
    </message>
    <message>
        <location filename="../../app/main_window.py" line="214" />
        <source>Returned: refund ¥{0}, receipt {1}</source>
        <translation>已退货：退款 ¥{0}，小票 {1}</translation>
    </message>
</context>
<context>
    <name>ManagerDialog</name>
    <message>
        <location filename="../../app/dialogs.py" line="250" />
        <source>Manager approval</source>
        <translation>店长授权</translation>
    </message>
    <message>
        <location filename="../../app/dialogs.py" line="256" />
        <source>Manager code</source>
        <translation>店长工号</translation>
    </message>
    <message>
        <location filename="../../app/dialogs.py" line="257" />
        <source>PIN</source>
        <translation>密码</translation>
    </message>
</context>
<context>
    <name>MemberDetailDialog</name>
    <message>
        <location filename="../../app/member_detail.py" line="35" />
        <source>Member {0}</source>
        <translation>会员 {0}</translation>
    </message>
    <message>
        <location filename="../../app/member_detail.py" line="41" />
        <location filename="../../app/member_detail.py" line="46" />
        <location filename="../../app/member_detail.py" line="54" />
        <source>Date</source>
        <translation>日期</translation>
    </message>
    <message>
        <location filename="../../app/member_detail.py" line="41" />
        <source>Receipt</source>
        <translation>小票</translation>
    </message>
    <message>
        <location filename="../../app/member_detail.py" line="41" />
        <location filename="../../app/member_detail.py" line="46" />
        <source>Kind</source>
        <translation>类型</translation>
    </message>
    <message>
        <location filename="../../app/member_detail.py" line="41" />
        <location filename="../../app/member_detail.py" line="46" />
        <source>Amount</source>
        <translation>金额</translation>
    </message>
    <message>
        <location filename="../../app/member_detail.py" line="41" />
        <source>Points +</source>
        <translation>积分 +</translation>
    </message>
    <message>
        <location filename="../../app/member_detail.py" line="42" />
        <source>Points -</source>
        <translation>积分 -</translation>
    </message>
    <message>
        <location filename="../../app/member_detail.py" line="44" />
        <source>Purchases</source>
        <translation>消费记录</translation>
    </message>
    <message>
        <location filename="../../app/member_detail.py" line="46" />
        <location filename="../../app/member_detail.py" line="49" />
        <source>Ledger</source>
        <translation>账户流水</translation>
    </message>
    <message>
        <location filename="../../app/member_detail.py" line="46" />
        <source>Expires</source>
        <translation>到期</translation>
    </message>
    <message>
        <location filename="../../app/member_detail.py" line="47" />
        <location filename="../../app/member_detail.py" line="54" />
        <source>Reason</source>
        <translation>原因</translation>
    </message>
    <message>
        <location filename="../../app/member_detail.py" line="51" />
        <source>Code</source>
        <translation>券码</translation>
    </message>
    <message>
        <location filename="../../app/member_detail.py" line="51" />
        <source>Template</source>
        <translation>券模板</translation>
    </message>
    <message>
        <location filename="../../app/member_detail.py" line="51" />
        <source>Source</source>
        <translation>来源</translation>
    </message>
    <message>
        <location filename="../../app/member_detail.py" line="51" />
        <source>Valid to</source>
        <translation>有效期至</translation>
    </message>
    <message>
        <location filename="../../app/member_detail.py" line="51" />
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <location filename="../../app/member_detail.py" line="52" />
        <source>Coupons</source>
        <translation>优惠券</translation>
    </message>
    <message>
        <location filename="../../app/member_detail.py" line="54" />
        <source>From</source>
        <translation>原等级</translation>
    </message>
    <message>
        <location filename="../../app/member_detail.py" line="54" />
        <source>To</source>
        <translation>新等级</translation>
    </message>
    <message>
        <location filename="../../app/member_detail.py" line="54" />
        <source>Spend</source>
        <translation>消费</translation>
    </message>
    <message>
        <location filename="../../app/member_detail.py" line="55" />
        <source>Tiers</source>
        <translation>等级变动</translation>
    </message>
    <message>
        <location filename="../../app/member_detail.py" line="56" />
        <source>Profile</source>
        <translation>资料</translation>
    </message>
    <message>
        <location filename="../../app/member_detail.py" line="57" />
        <source>Notes</source>
        <translation>备注与反馈</translation>
    </message>
    <message>
        <location filename="../../app/member_detail.py" line="69" />
        <source>Name</source>
        <translation>姓名</translation>
    </message>
    <message>
        <location filename="../../app/member_detail.py" line="69" />
        <source>Birthday (YYYY-MM-DD)</source>
        <translation>生日（年-月-日）</translation>
    </message>
    <message>
        <location filename="../../app/member_detail.py" line="70" />
        <source>Region</source>
        <translation>地区</translation>
    </message>
    <message>
        <location filename="../../app/member_detail.py" line="70" />
        <source>Address</source>
        <translation>地址</translation>
    </message>
    <message>
        <location filename="../../app/member_detail.py" line="71" />
        <source>Occupation</source>
        <translation>职业</translation>
    </message>
    <message>
        <location filename="../../app/member_detail.py" line="71" />
        <source>Income band</source>
        <translation>收入区间</translation>
    </message>
    <message>
        <location filename="../../app/member_detail.py" line="77" />
        <source>Female</source>
        <translation>女</translation>
    </message>
    <message>
        <location filename="../../app/member_detail.py" line="78" />
        <source>Male</source>
        <translation>男</translation>
    </message>
    <message>
        <location filename="../../app/member_detail.py" line="80" />
        <source>Gender</source>
        <translation>性别</translation>
    </message>
    <message>
        <location filename="../../app/member_detail.py" line="83" />
        <source>Save profile</source>
        <translation>保存资料</translation>
    </message>
    <message>
        <location filename="../../app/member_detail.py" line="94" />
        <source>Birthday must be YYYY-MM-DD</source>
        <translation>生日格式须为 年-月-日</translation>
    </message>
    <message>
        <location filename="../../app/member_detail.py" line="102" />
        <source>Saved</source>
        <translation>已保存</translation>
    </message>
    <message>
        <location filename="../../app/member_detail.py" line="113" />
        <source>Note</source>
        <translation>备注</translation>
    </message>
    <message>
        <location filename="../../app/member_detail.py" line="114" />
        <source>Complaint</source>
        <translation>投诉</translation>
    </message>
    <message>
        <location filename="../../app/member_detail.py" line="115" />
        <source>Suggestion</source>
        <translation>建议</translation>
    </message>
    <message>
        <location filename="../../app/member_detail.py" line="117" />
        <source>Add</source>
        <translation>添加</translation>
    </message>
</context>
<context>
    <name>MemberPanelWidget</name>
    <message>
        <location filename="../../app/member_panel.py" line="59" />
        <source>Points</source>
        <translation>积分</translation>
    </message>
    <message>
        <location filename="../../app/member_panel.py" line="59" />
        <source>Stored value</source>
        <translation>储值余额</translation>
    </message>
    <message>
        <location filename="../../app/member_panel.py" line="60" />
        <source>Last visit</source>
        <translation>上次到店</translation>
    </message>
    <message>
        <location filename="../../app/member_panel.py" line="60" />
        <source>Tags</source>
        <translation>标签</translation>
    </message>
    <message>
        <location filename="../../app/member_panel.py" line="67" />
        <source>Coupons (click to apply)</source>
        <translation>券包（点击使用）</translation>
    </message>
    <message>
        <location filename="../../app/member_panel.py" line="76" />
        <source>Suggestions</source>
        <translation>推荐</translation>
    </message>
    <message>
        <location filename="../../app/member_panel.py" line="82" />
        <source>Show phone (manager)</source>
        <translation>显示手机号（店长）</translation>
    </message>
    <message>
        <location filename="../../app/member_panel.py" line="84" />
        <source>Member detail (Ctrl+D)</source>
        <translation>会员详情（Ctrl+D）</translation>
    </message>
    <message>
        <location filename="../../app/member_panel.py" line="96" />
        <source>No member</source>
        <translation>未识别会员</translation>
    </message>
    <message>
        <location filename="../../app/member_panel.py" line="98" />
        <source>Scan a member card or code, or type a phone number or its last 4 digits. F3: quick join.</source>
        <translation>请刷会员卡、扫会员码，或输入手机号/尾号4位。F3：快速入会。</translation>
    </message>
    <message>
        <location filename="../../app/member_panel.py" line="112" />
        <source>(no name)</source>
        <translation>（未留姓名）</translation>
    </message>
    <message>
        <location filename="../../app/member_panel.py" line="116" />
        <source>Priority service</source>
        <translation>优先服务</translation>
    </message>
    <message>
        <location filename="../../app/member_panel.py" line="118" />
        <source>Birthday today!</source>
        <translation>今天生日！</translation>
    </message>
    <message>
        <location filename="../../app/member_panel.py" line="124" />
        <source>{0} more to {1}</source>
        <translation>再消费 {0} 升级 {1}</translation>
    </message>
    <message>
        <location filename="../../app/member_panel.py" line="130" />
        <source>{0} more to keep the tier</source>
        <translation>再消费 {0} 保级</translation>
    </message>
    <message>
        <location filename="../../app/member_panel.py" line="132" />
        <source>valid until {0}</source>
        <translation>有效期至 {0}</translation>
    </message>
    <message>
        <location filename="../../app/member_panel.py" line="134" />
        <source>{0} (usable {1})</source>
        <translation>{0}（可用 {1}）</translation>
    </message>
    <message>
        <location filename="../../app/member_panel.py" line="135" />
        <source>{0} points expire on {1}</source>
        <translation>{0} 积分将于 {1} 过期</translation>
    </message>
    <message>
        <location filename="../../app/member_panel.py" line="138" />
        <source>{0} ({1} visits)</source>
        <translation>{0}（共 {1} 次）</translation>
    </message>
    <message>
        <location filename="../../app/member_panel.py" line="142" />
        <source>until {0}</source>
        <translation>至 {0}</translation>
    </message>
    <message>
        <location filename="../../app/member_panel.py" line="147" />
        <source>Complaint {0}: {1}</source>
        <translation>投诉 {0}：{1}</translation>
    </message>
    <message>
        <location filename="../../app/member_panel.py" line="148" />
        <source>Note {0}: {1}</source>
        <translation>备注 {0}：{1}</translation>
    </message>
</context>
<context>
    <name>PaymentDialog</name>
    <message>
        <location filename="../../app/dialogs.py" line="98" />
        <source>Payment</source>
        <translation>收款</translation>
    </message>
    <message>
        <location filename="../../app/dialogs.py" line="108" />
        <source>Membership saved you ¥{0}</source>
        <translation>会员为您节省 ¥{0}</translation>
    </message>
    <message>
        <location filename="../../app/dialogs.py" line="133" />
        <source>Pay (Enter)</source>
        <translation>收款（回车）</translation>
    </message>
    <message>
        <location filename="../../app/dialogs.py" line="139" />
        <source>Cash</source>
        <translation>现金</translation>
    </message>
    <message>
        <location filename="../../app/dialogs.py" line="139" />
        <source>WeChat Pay</source>
        <translation>微信支付</translation>
    </message>
    <message>
        <location filename="../../app/dialogs.py" line="139" />
        <source>Alipay</source>
        <translation>支付宝</translation>
    </message>
    <message>
        <location filename="../../app/dialogs.py" line="140" />
        <source>Bank card</source>
        <translation>银行卡</translation>
    </message>
    <message>
        <location filename="../../app/dialogs.py" line="140" />
        <source>Stored value</source>
        <translation>储值余额</translation>
    </message>
    <message>
        <location filename="../../app/dialogs.py" line="141" />
        <source>Gift card</source>
        <translation>礼品卡</translation>
    </message>
    <message>
        <location filename="../../app/dialogs.py" line="150" />
        <source>Due ¥{0}  ·  still to pay ¥{1}</source>
        <translation>应付 ¥{0}  ·  待付 ¥{1}</translation>
    </message>
    <message>
        <location filename="../../app/dialogs.py" line="154" />
        <source>Change ¥{0}</source>
        <translation>找零 ¥{0}</translation>
    </message>
    <message>
        <location filename="../../app/dialogs.py" line="159" />
        <source>Type an amount such as 100 or 12.50</source>
        <translation>请输入金额，例如 100 或 12.50</translation>
    </message>
    <message>
        <location filename="../../app/dialogs.py" line="162" />
        <source>Only cash can be more than what is due</source>
        <translation>只有现金可以超出应付金额</translation>
    </message>
    <message>
        <location filename="../../app/dialogs.py" line="167" />
        <source>Stored value balance is ¥{0}</source>
        <translation>储值余额为 ¥{0}</translation>
    </message>
    <message>
        <location filename="../../app/dialogs.py" line="184" />
        <source>¥{0} still due</source>
        <translation>还差 ¥{0}</translation>
    </message>
</context>
<context>
    <name>PickMemberDialog</name>
    <message>
        <location filename="../../app/dialogs.py" line="85" />
        <source>Pick the member</source>
        <translation>选择会员</translation>
    </message>
    <message>
        <location filename="../../app/dialogs.py" line="86" />
        <source>{0} members match</source>
        <translation>匹配到 {0} 位会员</translation>
    </message>
</context>
<context>
    <name>ReceiptDialog</name>
    <message>
        <location filename="../../app/dialogs.py" line="264" />
        <source>Receipt</source>
        <translation>小票</translation>
    </message>
</context>
<context>
    <name>RedeemDialog</name>
    <message>
        <location filename="../../app/dialogs.py" line="193" />
        <source>Redeem points</source>
        <translation>积分抵现</translation>
    </message>
    <message>
        <location filename="../../app/dialogs.py" line="195" />
        <source>Usable points: {0}</source>
        <translation>可用积分：{0}</translation>
    </message>
    <message>
        <location filename="../../app/dialogs.py" line="196" />
        <source>This order takes at most {0} points = ¥{1}</source>
        <translation>本单最多可用 {0} 积分 = ¥{1}</translation>
    </message>
    <message>
        <location filename="../../app/dialogs.py" line="211" />
        <source>= ¥{0} off</source>
        <translation>= 抵扣 ¥{0}</translation>
    </message>
</context>
<context>
    <name>ReturnsDialog</name>
    <message>
        <location filename="../../app/returns_screen.py" line="25" />
        <location filename="../../app/returns_screen.py" line="41" />
        <source>Return</source>
        <translation>退货</translation>
    </message>
    <message>
        <location filename="../../app/returns_screen.py" line="30" />
        <source>Receipt number, e.g. S001-01-20261123-0001 — Enter</source>
        <translation>小票号，例如 S001-01-20261123-0001 — 回车</translation>
    </message>
    <message>
        <location filename="../../app/returns_screen.py" line="38" />
        <source>This member's recent sales: </source>
        <translation>该会员近期小票：</translation>
    </message>
    <message>
        <location filename="../../app/returns_screen.py" line="41" />
        <source>Item</source>
        <translation>商品</translation>
    </message>
    <message>
        <location filename="../../app/returns_screen.py" line="41" />
        <source>Bought</source>
        <translation>购买数量</translation>
    </message>
    <message>
        <location filename="../../app/returns_screen.py" line="41" />
        <source>Paid</source>
        <translation>实付</translation>
    </message>
    <message>
        <location filename="../../app/returns_screen.py" line="51" />
        <source>Show consequences</source>
        <translation>查看影响</translation>
    </message>
    <message>
        <location filename="../../app/returns_screen.py" line="55" />
        <source>Confirm return</source>
        <translation>确认退货</translation>
    </message>
    <message>
        <location filename="../../app/returns_screen.py" line="96" />
        <location filename="../../app/returns_screen.py" line="125" />
        <source>Choose at least one item</source>
        <translation>请至少选择一件商品</translation>
    </message>
    <message>
        <location filename="../../app/returns_screen.py" line="104" />
        <source>Refund ¥{0}</source>
        <translation>退款 ¥{0}</translation>
    </message>
    <message>
        <location filename="../../app/returns_screen.py" line="106" />
        <source>takes back {0} points earned</source>
        <translation>扣回已得积分 {0}</translation>
    </message>
    <message>
        <location filename="../../app/returns_screen.py" line="108" />
        <source>gives back {0} points used</source>
        <translation>退还已用积分 {0}</translation>
    </message>
    <message>
        <location filename="../../app/returns_screen.py" line="109" />
        <source> (original expiry)</source>
        <translation>（保持原有效期）</translation>
    </message>
    <message>
        <location filename="../../app/returns_screen.py" line="109" />
        <source> (expiry renewed)</source>
        <translation>（有效期重新计算）</translation>
    </message>
    <message>
        <location filename="../../app/returns_screen.py" line="111" />
        <source>¥{0} back to stored value</source>
        <translation>¥{0} 退回储值</translation>
    </message>
    <message>
        <location filename="../../app/returns_screen.py" line="113" />
        <source>{0} points already spent: the member owes them</source>
        <translation>{0} 积分已被使用：记为会员欠分</translation>
    </message>
    <message>
        <location filename="../../app/returns_screen.py" line="115" />
        <source>¥{0} deducted for points already spent</source>
        <translation>因积分已使用，扣减退款 ¥{0}</translation>
    </message>
    <message>
        <location filename="../../app/returns_screen.py" line="117" />
        <source>tier spend -¥{0}</source>
        <translation>等级消费 -¥{0}</translation>
    </message>
    <message>
        <location filename="../../app/returns_screen.py" line="119" />
        <source>tier goes back to {0}</source>
        <translation>等级退回 {0}</translation>
    </message>
</context>
<context>
    <name>SignInScreen</name>
    <message>
        <location filename="../../app/signin_screen.py" line="27" />
        <location filename="../../app/signin_screen.py" line="74" />
        <source>Sign in</source>
        <translation>登录</translation>
    </message>
    <message>
        <location filename="../../app/signin_screen.py" line="43" />
        <source>Staff code</source>
        <translation>工号</translation>
    </message>
    <message>
        <location filename="../../app/signin_screen.py" line="44" />
        <source>PIN</source>
        <translation>密码</translation>
    </message>
    <message>
        <location filename="../../app/signin_screen.py" line="49" />
        <source>Sign in (Enter)</source>
        <translation>登录（回车）</translation>
    </message>
    <message>
        <location filename="../../app/signin_screen.py" line="52" />
        <source>Demo: cashier C01 / 1234, manager M01 / 9999</source>
        <translation>演示：收银员 C01 / 1234，店长 M01 / 9999</translation>
    </message>
    <message>
        <location filename="../../app/signin_screen.py" line="66" />
        <source>Locked — {0}</source>
        <translation>已锁屏 — {0}</translation>
    </message>
    <message>
        <location filename="../../app/signin_screen.py" line="89" />
        <source>Locked by {0}: only they or a manager can unlock</source>
        <translation>由 {0} 锁屏：仅本人或店长可解锁</translation>
    </message>
</context>
<context>
    <name>c</name>
    <message>
        <location filename="../../app/screenshot.py" line="71" />
        <source>Quick join</source>
        <translation>快速入会</translation>
    </message>
    <message>
        <location filename="../../app/screenshot.py" line="71" />
        <source>Mobile number (the rest of the profile later)</source>
        <translation>手机号（其他资料稍后补充）</translation>
    </message>
</context>
</TS>