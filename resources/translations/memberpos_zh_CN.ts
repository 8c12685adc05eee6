<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>MainWindow</name>
    <message>
        <location filename="../../app/main_window.py" line="62"/>
        <source>Member checkout — {0}</source>
        <translation>会员收银 — {0}</translation>
    </message>
    <message>
        <location filename="../../app/main_window.py" line="67"/>
        <source>TEST CLOCK: {0}</source>
        <translation>测试时钟：{0}</translation>
    </message>
    <message>
        <location filename="../../app/main_window.py" line="75"/>
        <source>Phone, last 4 digits, card number or member code — Enter</source>
        <translation>手机号、手机尾号4位、会员卡号或会员码 — 回车</translation>
    </message>
    <message>
        <location filename="../../app/main_window.py" line="95"/>
        <source>Store {0} · register {1}</source>
        <translation>门店 {0} · 收银台 {1}</translation>
    </message>
    <message>
        <location filename="../../app/main_window.py" line="96"/>
        <source>HQ sync: not configured</source>
        <translation>总部同步：未配置</translation>
    </message>
    <message>
        <location filename="../../app/main_window.py" line="118"/>
        <source>No member matches {0}</source>
        <translation>未找到会员：{0}</translation>
    </message>
    <message numerus="yes">
        <location filename="../../app/main_window.py" line="120"/>
        <source>%n member(s) found</source>
        <translation>
            <numerusform>找到 %n 位会员</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>MemberCard</name>
    <message>
        <location filename="../../app/main_window.py" line="35"/>
        <source>No member</source>
        <translation>未识别会员</translation>
    </message>
    <message>
        <location filename="../../app/main_window.py" line="41"/>
        <source>(no name)</source>
        <translation>（未留姓名）</translation>
    </message>
    <message>
        <location filename="../../app/main_window.py" line="43"/>
        <source>Member code</source>
        <translation>会员码</translation>
    </message>
    <message>
        <location filename="../../app/main_window.py" line="44"/>
        <source>Tier</source>
        <translation>等级</translation>
    </message>
    <message>
        <location filename="../../app/main_window.py" line="45"/>
        <source>Points</source>
        <translation>积分</translation>
    </message>
    <message>
        <location filename="../../app/main_window.py" line="46"/>
        <source>Stored value</source>
        <translation>储值余额</translation>
    </message>
    <message>
        <location filename="../../app/main_window.py" line="46"/>
        <source>{0} yuan</source>
        <translation>{0} 元</translation>
    </message>
    <message>
        <location filename="../../app/main_window.py" line="47"/>
        <source>Cards</source>
        <translation>会员卡</translation>
    </message>
    <message>
        <location filename="../../app/main_window.py" line="48"/>
        <source>Tags</source>
        <translation>标签</translation>
    </message>
    <message>
        <location filename="../../app/main_window.py" line="49"/>
        <source>Joined</source>
        <translation>入会日期</translation>
    </message>
    <message>
        <location filename="../../app/main_window.py" line="54"/>
        <source>Complaint</source>
        <translation>投诉</translation>
    </message>
    <message>
        <location filename="../../app/main_window.py" line="54"/>
        <source>Note</source>
        <translation>备注</translation>
    </message>
</context>
</TS>
