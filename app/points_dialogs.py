"""Points outside the sale (issue 14), from the member panel or a key: points to stored
value, points for a coupon, the points lottery. Keyboard only as every till dialog
(Enter confirms, Esc cancels); what was typed is never changed behind the cashier's back."""
from __future__ import annotations

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QLabel, QLineEdit

from pos.rules.money import yuan

from . import i18n
from .dialogs import PickDialog, _Dialog


class ConvertPointsDialog(_Dialog):
    """Points to stored value at the program's point value: the rate, the step and what
    the member can use shown first; the value of what is typed as it is typed."""

    def __init__(self, parent, available: int, step: int, minimum: int, per_unit: int, unit_fen: int,
                 stored_value_fen: int, max_balance_fen: int):
        super().__init__(parent, self.tr("Points to stored value"))
        self.per_unit, self.unit_fen = per_unit, unit_fen
        self.step, self.minimum, self.available = max(step, 1), max(minimum, 1), max(available, 0)
        self.room_fen = max(max_balance_fen - stored_value_fen, 0)
        usable = QLabel(self.tr("Usable points: {0}").format(f"{self.available:,}"))
        usable.setObjectName("convertUsable")
        rate = QLabel(self.tr("{0} points = ¥{1}, in steps of {2} (at least {3})").format(
            f"{per_unit:,}", yuan(unit_fen), f"{self.step:,}", f"{self.minimum:,}"))
        rate.setObjectName("convertRate")
        stored = QLabel(self.tr("Stored value now ¥{0}").format(yuan(stored_value_fen)))
        for w in (usable, rate, stored):
            self.layout_.addWidget(w)
        most = self.most()
        self.edit = QLineEdit(str(most) if most else "")
        self.edit.setObjectName("convertPoints")
        self.edit.setFont(QFont(self.font().family(), 18))
        self.value = QLabel()
        self.value.setObjectName("convertValue")
        self.edit.textChanged.connect(self._value)
        self.layout_.addWidget(self.edit)
        self.layout_.addWidget(self.value)
        self.buttons(self.tr("Convert"))
        self._value(self.edit.text())
        self.edit.setFocus()
        self.edit.selectAll()
        self.resize(480, 260)

    def most(self) -> int:
        """The most that can be converted: usable points, in whole steps and units, within the balance cap."""
        unit = self.step * self.per_unit // _gcd(self.step, self.per_unit)
        by_cap = self.room_fen // self.unit_fen * self.per_unit
        most = min(self.available, by_cap) // unit * unit
        return most if most >= self.minimum else 0

    def _fen(self, points: int) -> int:
        return points // self.per_unit * self.unit_fen

    def _parse(self, text: str) -> int | None:
        t = text.strip().replace(",", "").replace("，", "")
        return int(t) if t.isascii() and t.isdigit() and len(t) <= 12 else None

    def _value(self, text: str) -> None:
        points = self._parse(text)
        self.value.setText(self.tr("= ¥{0} of stored value").format(yuan(self._fen(points))) if points else "")

    def problem(self) -> str:
        points = self._parse(self.edit.text())
        if not points:
            return self.tr("Type a whole number of points")
        if points < self.minimum:
            return self.tr("At least {0} points").format(f"{self.minimum:,}")
        if points % self.step or points % self.per_unit:
            step = self.step if points % self.step else self.per_unit
            return self.tr("Points go in steps of {0}: {1} or {2}").format(
                step, f"{points // step * step:,}", f"{(points // step + 1) * step:,}")
        if points > self.available:
            return self.tr("Only {0} points are usable").format(f"{self.available:,}")
        return ""

    def accept(self) -> None:
        why = self.problem()
        if why:
            self.fail(why)
            self.edit.setFocus()
            self.edit.selectAll()
            return
        super().accept()

    def points(self) -> int:
        return self._parse(self.edit.text()) or 0


def _gcd(a: int, b: int) -> int:
    import math

    return math.gcd(a, b) or 1


def _t(text: str) -> str:
    return QCoreApplication.translate("CouponExchangeDialog", text)


class CouponExchangeDialog(PickDialog):
    """The coupons members can buy with points: each with its cost; one the member cannot
    take now is greyed and says why (points short by how many, the limit reached)."""

    def __init__(self, parent, offers: list[dict], available: int):
        en = i18n.current() == "en"
        rows = []
        for o in offers:
            t = o["template"]
            cost = _t("{0} points").format(f"{o['cost']:,}")
            if o["limit_reached"]:
                why = _t("Limit of {0} per member reached").format(t.per_member_limit)
            elif o["other_store"]:
                why = _t("Not for this store")
            elif o["cost"] > available:
                why = _t("{0} more points needed").format(f"{o['cost'] - available:,}")
            else:
                why = _t("Available")
            rows.append((t.code, [t.name.en if en else t.name.zh, cost, why], why == _t("Available")))
        super().__init__(parent, _t("Coupons for points"), _t("Usable points: {0}").format(f"{max(available, 0):,}"),
                         [_t("Coupon"), _t("Cost"), _t("Status")], rows)
