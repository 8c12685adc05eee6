"""The basket as a Qt table model over the till's last quote (lines, discounts, points)."""
from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from pos.money import yuan
from pos.pricing import Quote

DISCOUNT_KINDS = ("flash_price", "member_price", "manual", "tier", "promotion", "coupon", "points")


class BasketModel(QAbstractTableModel):
    COLUMNS = ("#", "Item", "Qty", "Price", "Discount", "Amount", "Points")

    def __init__(self, parent=None):
        super().__init__(parent)
        self.quote: Quote | None = None
        self._headers = [self.tr("#"), self.tr("Item"), self.tr("Qty"), self.tr("Price"), self.tr("Discount"),
                         self.tr("Amount"), self.tr("Points")]

    def set_quote(self, quote: Quote | None) -> None:
        """Replace the rows; a full reset is cheap at basket sizes and keeps rows in step with the quote."""
        self.beginResetModel()
        self.quote = quote
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() or self.quote is None else len(self.quote.lines)

    def columnCount(self, parent=QModelIndex()) -> int:
        return len(self.COLUMNS)

    def headerData(self, section, orientation, role=Qt.DisplayRole):
        if role == Qt.DisplayRole and orientation == Qt.Horizontal:
            return self._headers[section]
        return None

    def data(self, index: QModelIndex, role=Qt.DisplayRole):
        if not index.isValid() or self.quote is None:
            return None
        ln = self.quote.lines[index.row()]
        col = index.column()
        if role == Qt.DisplayRole:
            if col == 0:
                return str(index.row() + 1)
            if col == 1:
                prefix = self.tr("[Gift] ") if ln.item.reward else ""
                return prefix + ln.item.name
            if col == 2:
                return str(ln.item.qty)
            if col == 3:
                return yuan(ln.item.unit_fen)
            if col == 4:
                off = ln.gross_fen - ln.net_fen
                return f"-{yuan(off)}" if off else ""
            if col == 5:
                return yuan(ln.net_fen)
            if col == 6:
                return f"+{ln.points}" if ln.points else ""
        if role == Qt.TextAlignmentRole and col in (0, 2, 3, 4, 5, 6):
            return int(Qt.AlignRight | Qt.AlignVCenter)
        if role == Qt.ForegroundRole and col == 4:
            return QBrush(QColor("#c62828"))
        if role == Qt.ToolTipRole:
            parts = [f"{self.discount_label(d.kind)} {d.code}: -{yuan(d.amount_fen)}" for d in ln.discounts]
            return "\n".join([ln.item.code] + parts)
        return None

    def discount_label(self, kind: str) -> str:
        return {
            "flash_price": self.tr("Flash sale"), "member_price": self.tr("Member price"),
            "manual": self.tr("Line discount"), "tier": self.tr("Member discount"),
            "promotion": self.tr("Promotion"), "coupon": self.tr("Coupon"), "points": self.tr("Points"),
        }.get(kind, kind)
