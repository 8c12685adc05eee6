"""Domain errors: a stable code (scripts match on it) and a readable message in
Chinese and English. `pos` has no Qt, so the texts live here; the app shows
`message(lang)` where the cashier is looking."""
from __future__ import annotations

from typing import Any

# code -> (English, Chinese). Placeholders are filled from the error's params.
MESSAGES: dict[str, tuple[str, str]] = {
    "phone.empty": ("Phone number is empty", "手机号为空"),
    "phone.invalid": ("Not a valid phone number: {shown}", "手机号无效：{shown}"),
    "phone.not_mobile": ("Not a mobile number: {shown}", "不是手机号码：{shown}"),
    "member.duplicate_phone": (
        "This phone number already belongs to member {member} ({masked})",
        "该手机号已属于会员 {member}（{masked}）",
    ),
    "member.not_found": ("No member matches {query}", "未找到会员：{query}"),
    "member.inactive": ("Member {member} was merged into {into}", "会员 {member} 已合并至 {into}"),
    "member.merge_self": ("Cannot merge a member into itself", "不能将会员与自身合并"),
    "member.bad_field": ("Invalid {field}: {reason}", "{field} 无效：{reason}"),
    "card.duplicate": ("Card {card} is already issued to member {member}", "卡号 {card} 已发给会员 {member}"),
    "card.invalid": ("Not a valid member card number: {card}", "会员卡号无效：{card}"),
    "tag.invalid": ("Invalid tag: {tag}", "标签无效：{tag}"),
    "catalog.file": ("Cannot read catalog file: {reason}", "无法读取商品文件：{reason}"),
    "catalog.rows": ("{count} bad row(s); nothing imported", "{count} 行有误，未导入任何商品"),
    "program.invalid": ("Program file is invalid: {reason}", "会员方案文件无效：{reason}"),
    "program.none": ("No loyalty program is installed", "未安装会员方案"),
    "db.newer": (
        "Database {path} was written by a newer release (revision {rev}); upgrade the app",
        "数据库 {path} 来自更新的版本（{rev}），请升级程序",
    ),
}


class DomainError(Exception):
    """A refusal with a code and params; never carries raw card data or full phones."""

    def __init__(self, code: str, **params: Any):
        self.code = code
        self.params = params
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
