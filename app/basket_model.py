"""The basket as a Qt table model over the till's last quote (lines, discounts, points)."""
from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from pos.rules.money import yuan
from pos.rules.pricing import Quote

_RIGHT = int(Qt.AlignRight | Qt.AlignVCenter)
_RED = QBrush(QColor("#c62828"))
DISCOUNT_KINDS = ("flash_price", "member_price", "manual", "tier", "promotion", "coupon", "points")


class BasketModel(QAbstractTableModel):
    COLUMNS = ("#", "Item", "Qty", "Price", "Discount", "Amount", "Points")

    def __init__(self, parent=None):
        super().__init__(parent)
        self.quote: Quote | None = None
        self._rows: list[tuple] = []
        self._shown: dict[tuple, tuple] = {}  # a line's figures -> its display strings
        self._headers = [self.tr("#"), self.tr("Item"), self.tr("Qty"), self.tr("Price"), self.tr("Discount"),
                         self.tr("Amount"), self.tr("Points")]

    def set_quote(self, quote: Quote | None) -> None:
        """Show a new quote. The display strings are made here, so painting and
        scrolling a 200-line basket only index them, and a line whose figures did
        not change keeps its strings (made once, kept by what they show). Rows added
        at the end are inserted (not a reset); of the others only the span whose
        text changed is marked changed (an order discount may move every line's
        amount, a plain scan moves none)."""
        old = len(self._rows) if self.quote is not None else 0
        self.quote = quote
        rows = [self._display(i, ln) for i, ln in enumerate(quote.lines)] if quote else []
        new = len(rows)
        if new >= old and old:
            before, self._rows = self._rows, rows[:old]
            if new > old:
                self.beginInsertRows(QModelIndex(), old, new - 1)
                self._rows = rows
                self.endInsertRows()
            changed = [i for i in range(old) if before[i] != rows[i]]
            if changed:
                self.dataChanged.emit(self.index(changed[0], 0), self.index(changed[-1], len(self.COLUMNS) - 1))
        else:
            self.beginResetModel()
            self._rows = rows
            self.endResetModel()
        if len(self._shown) > 4 * max(new, 64):  # strings of lines long gone
            self._shown = {}

    def show_scanned(self, index: int, line) -> None:
        """The scanned line at its regular price, painted before the re-pricing
        that follows a moment later (discounts, points, totals)."""
        row = (str(index + 1), line.name, str(line.qty), yuan(line.unit_fen), "", yuan(line.unit_fen * line.qty), "")
        if index < len(self._rows):
            self._rows[index] = row
            self.dataChanged.emit(self.index(index, 0), self.index(index, len(self.COLUMNS) - 1))
        else:
            self.beginInsertRows(QModelIndex(), len(self._rows), len(self._rows))
            self._rows.append(row)
            self.endInsertRows()

    def _display(self, i: int, ln) -> tuple:
        it = ln.item
        key = (i, it.name, it.reward is not None, it.qty, it.unit_fen, ln.gross_fen, ln.net_fen, ln.points)
        row = self._shown.get(key)
        if row is None:
            off = ln.gross_fen - ln.net_fen
            name = (self.tr("[Gift] ") + it.name) if it.reward else it.name
            row = self._shown[key] = (str(i + 1), name, str(it.qty), yuan(it.unit_fen), f"-{yuan(off)}" if off else "",
                                      yuan(ln.net_fen), f"+{ln.points}" if ln.points else "")
        return row

    def tooltip(self, row: int) -> str:
        """Every discount of a line with its reason (made when the cashier hovers, not on every scan)."""
        ln = self.quote.lines[row]
        # the kind in words, not the promotion's code (the totals name each discount that applied)
        return "\n".join([ln.item.code] + [f"{self.discount_label(d.kind)}: -{yuan(d.amount_fen)}" for d in ln.discounts])

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent=QModelIndex()) -> int:
        return len(self.COLUMNS)

    def headerData(self, section, orientation, role=Qt.DisplayRole):
        if role == Qt.DisplayRole and orientation == Qt.Horizontal:
            return self._headers[section]
        return None

    def data(self, index: QModelIndex, role: int = 0):
        # Plain ints, not Qt enums: Qt calls this for every visible cell and role, and
        # comparing against enum members costs more than the rest of the call.
        if role == 0:  # DisplayRole
            return self._rows[index.row()][index.column()]
        if role == 7:  # TextAlignmentRole
            return _RIGHT if index.column() != 1 else None
        if role == 9 and index.column() == 4:  # ForegroundRole
            return _RED
        if role == 3:  # ToolTipRole
            return self.tooltip(index.row())
        return None

    def discount_label(self, kind: str) -> str:
        return {
            "flash_price": self.tr("Flash sale"), "member_price": self.tr("Member price"),
            "manual": self.tr("Line discount"), "tier": self.tr("Member discount"),
            "promotion": self.tr("Promotion"), "coupon": self.tr("Coupon"), "points": self.tr("Points"),
        }.get(kind, kind)
