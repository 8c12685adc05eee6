"""Returns: find the sale by receipt number (or from the member's purchases),
choose lines and quantities, see what happens to money, points and tier, then confirm."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QDialog, QDialogButtonBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QSpinBox, QTableWidget,
    QTableWidgetItem, QVBoxLayout, QWidget,
)

from pos import member_view, returns
from pos.errors import DomainError
from pos.money import yuan

from . import i18n


class ReturnsDialog(QDialog):
    def __init__(self, db, cashier: str, member_id: str | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.db, self.cashier = db, cashier
        self.lines: list[dict] = []
        self.result = None
        self.setWindowTitle(self.tr("Return"))
        lay = QVBoxLayout(self)
        row = QHBoxLayout()
        self.receipt = QLineEdit()
        self.receipt.setObjectName("returnReceipt")
        self.receipt.setPlaceholderText(self.tr("Receipt number, e.g. S001-01-20261123-0001 — Enter"))
        self.receipt.setFont(QFont(self.font().family(), 14))
        self.receipt.returnPressed.connect(self.load)
        row.addWidget(self.receipt, 1)
        lay.addLayout(row)
        if member_id:
            recent = [h for h in member_view.history(db, member_id, limit=10) if h["kind"] == "sale"]
            if recent:
                lay.addWidget(QLabel(self.tr("This member's recent sales: ") + ", ".join(h["receipt_no"] for h in recent[:5])))
                self.receipt.setText(recent[0]["receipt_no"])
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels([self.tr("Item"), self.tr("Bought"), self.tr("Return"), self.tr("Paid")])
        lay.addWidget(self.table, 1)
        self.plan_label = QLabel()
        self.plan_label.setObjectName("returnPlan")
        self.plan_label.setWordWrap(True)
        lay.addWidget(self.plan_label)
        self.error = QLabel()
        self.error.setObjectName("dialogError")
        lay.addWidget(self.error)
        buttons = QHBoxLayout()
        self.preview_btn = QPushButton(self.tr("Show consequences"))
        self.preview_btn.clicked.connect(self.preview)
        buttons.addWidget(self.preview_btn)
        box = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        box.button(QDialogButtonBox.Ok).setText(self.tr("Confirm return"))
        box.accepted.connect(self.confirm)
        box.rejected.connect(self.reject)
        buttons.addWidget(box)
        lay.addLayout(buttons)
        self.resize(760, 520)

    def load(self) -> None:
        try:
            plan = returns.plan(self.db, self.receipt.text())
        except DomainError as exc:
            self.error.setText(exc.message(i18n.current()))
            return
        self.error.setText("")
        self.lines = plan.lines
        self.table.setRowCount(len(self.lines))
        for r, ln in enumerate(self.lines):
            self.table.setItem(r, 0, QTableWidgetItem(ln["name"]))
            self.table.setItem(r, 1, QTableWidgetItem(str(ln["qty"])))
            spin = QSpinBox()
            spin.setRange(0, ln["qty"])
            spin.setValue(ln["qty"])
            spin.valueChanged.connect(lambda _v: self.preview())
            self.table.setCellWidget(r, 2, spin)
            self.table.setItem(r, 3, QTableWidgetItem(yuan(ln["net_fen"])))
        self.table.resizeColumnsToContents()
        self.preview()

    def wanted(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for r, ln in enumerate(self.lines):
            qty = self.table.cellWidget(r, 2).value()
            if qty:
                out[ln["code"]] = out.get(ln["code"], 0) + qty
        return out

    def preview(self) -> None:
        if not self.lines:
            return self.load()
        wanted = self.wanted()
        if not wanted:
            self.plan_label.setText(self.tr("Choose at least one item"))
            return
        try:
            p = returns.plan(self.db, self.receipt.text(), wanted)
        except DomainError as exc:
            self.error.setText(exc.message(i18n.current()))
            return
        self.error.setText("")
        parts = [self.tr("Refund ¥{0}").format(yuan(p.refund_fen))]
        if p.points_taken_back:
            parts.append(self.tr("takes back {0} points earned").format(p.points_taken_back))
        if p.points_refunded:
            parts.append(self.tr("gives back {0} points used").format(p.points_refunded)
                         + (self.tr(" (original expiry)") if p.full else self.tr(" (expiry renewed)")))
        if p.stored_value_refund_fen:
            parts.append(self.tr("¥{0} back to stored value").format(yuan(p.stored_value_refund_fen)))
        if p.debt_points:
            parts.append(self.tr("{0} points already spent: the member owes them").format(p.debt_points))
        if p.deduction_fen:
            parts.append(self.tr("¥{0} deducted for points already spent").format(yuan(p.deduction_fen)))
        if p.spend_back_fen:
            parts.append(self.tr("tier spend -¥{0}").format(yuan(p.spend_back_fen)))
        if p.tier_reverted_to:
            parts.append(self.tr("tier goes back to {0}").format(p.tier_reverted_to))
        if p.coupons_back:
            parts.append(self.tr("coupon(s) given back: {0}").format(", ".join(c["template"] for c in p.coupons_back)))
        self.plan_label.setText("; ".join(parts))

    def confirm(self) -> None:
        wanted = self.wanted()
        if not self.lines or not wanted:
            self.error.setText(self.tr("Choose at least one item"))
            return
        full = all(self.table.cellWidget(r, 2).value() == ln["qty"] for r, ln in enumerate(self.lines))
        try:
            self.result = returns.return_sale(self.db, self.receipt.text(), None if full else wanted, cashier=self.cashier)
        except DomainError as exc:
            self.error.setText(exc.message(i18n.current()))
            return
        self.accept()
