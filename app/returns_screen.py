"""Returns: find the sale by receipt number (typed, scanned, or from the member's
purchases), choose lines and quantities, see what happens to money (per tender),
points and tier, then confirm — always in that order.

Enter in the receipt field only loads the receipt; nothing in this dialog
commits on Enter (no default button), so a return needs its own key (F12) or a
click, after the preview is on screen. A refund above the store's setting
`returns.manager_above_fen` (default ¥500) needs a manager's code and PIN
unless a manager is signed in; the approval is audited. So does a return after
the member's tier return window (`TierLevel.return_window_days`; the preview says
how many days have passed): the manager's approval is audited and the return
records who approved it (pos.services.returns)."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView, QApplication, QDialog, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QPushButton, QSpinBox,
    QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget,
)

from pos.store import settings as store_settings
from pos.services import member_view, returns, staff
from pos.errors import DomainError
from pos.rules.money import yuan

from . import i18n

def manager_above_fen(db) -> int:
    """A bigger refund needs a manager (default ¥500; pos.store.settings)."""
    return store_settings.RETURNS_MANAGER_ABOVE_FEN.get(db)


def tender_name(tender: str) -> str:
    """A tender in words (each a literal translate call, so lupdate finds it)."""
    names = {"cash": QApplication.translate("Tenders", "Cash"), "wechat": QApplication.translate("Tenders", "WeChat Pay"),
             "alipay": QApplication.translate("Tenders", "Alipay"), "bank_card": QApplication.translate("Tenders", "Bank card"),
             "stored_value": QApplication.translate("Tenders", "Stored value"),
             "gift_card": QApplication.translate("Tenders", "Gift card")}
    return names.get(tender, tender)


class ReturnsDialog(QDialog):
    def __init__(self, db, cashier: str, member_id: str | None = None, parent: QWidget | None = None,
                 is_manager: bool = False):
        super().__init__(parent)
        self.db, self.cashier, self.is_manager = db, cashier, is_manager
        self.lines: list[dict] = []
        self.loaded: str | None = None  # the receipt whose lines are on screen
        self.plan = None  # the preview the cashier is looking at
        self.result = None
        self.approver: str | None = None
        self.ask_manager = None  # set by the window: (reason) -> (code, pin) or None
        self.setWindowTitle(self.tr("Return"))
        self.setModal(True)
        lay = QVBoxLayout(self)
        row = QHBoxLayout()
        self.receipt = QLineEdit()
        self.receipt.setObjectName("returnReceipt")
        self.receipt.setPlaceholderText(self.tr("Receipt number, e.g. S001-01-20261123-0001 — Enter"))
        self.receipt.returnPressed.connect(self.load)
        row.addWidget(self.receipt, 1)
        lay.addLayout(row)
        if member_id:
            recent = [h for h in member_view.history(db, member_id, limit=10) if h["kind"] == "sale"]
            if recent:
                self.recent = QLabel(self.tr("This member's recent sales: ") + ", ".join(h["receipt_no"] for h in recent[:5]))
                self.recent.setWordWrap(True)  # five receipt numbers are wider than the dialog at 1024x768
                lay.addWidget(self.recent)
                self.receipt.setText(recent[0]["receipt_no"])
                self.receipt.selectAll()
        self.table = QTableWidget(0, 4)
        self.table.setObjectName("returnLines")
        self.table.setHorizontalHeaderLabels([self.tr("Item"), self.tr("Bought"), self.tr("Return"), self.tr("Paid")])
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.Stretch)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.setTabKeyNavigation(False)  # Tab walks the quantity boxes
        lay.addWidget(self.table, 1)
        self.plan_label = QLabel()
        self.plan_label.setObjectName("returnPlan")
        self.plan_label.setWordWrap(True)
        lay.addWidget(self.plan_label)
        self.error = QLabel()
        self.error.setObjectName("dialogError")
        self.error.setWordWrap(True)
        lay.addWidget(self.error)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.confirm_btn = QPushButton(self.tr("Confirm return (F12)"))
        self.confirm_btn.setObjectName("confirmReturn")
        self.confirm_btn.clicked.connect(self.confirm)
        self.confirm_btn.setEnabled(False)
        cancel = QPushButton(self.tr("Cancel (Esc)"))
        cancel.clicked.connect(self.reject)
        for b in (self.confirm_btn, cancel):
            b.setAutoDefault(False)  # Enter never presses a button here
            b.setDefault(False)
            buttons.addWidget(b)
        lay.addLayout(buttons)
        QShortcut(QKeySequence("F12"), self, activated=self.confirm)
        self.setMinimumSize(700, 440)  # item names readable; fits 1024x768
        self.resize(760, 520)

    def keyPressEvent(self, ev) -> None:
        if ev.key() in (Qt.Key_Return, Qt.Key_Enter):
            ev.accept()  # the field's own Enter loads; the dialog never turns it into a confirm
            return
        super().keyPressEvent(ev)

    # --- a scan belongs to the dialog that is open ----------------------------------

    def take_scan(self, code: str) -> None:
        """A receipt barcode scanned while the dialog is open: load that receipt."""
        self.receipt.setText(code.strip())
        self.load()

    # --- loading and preview ------------------------------------------------------------

    def _clear(self) -> None:
        self.lines, self.loaded, self.plan = [], None, None
        self.table.setRowCount(0)
        self.plan_label.setText("")
        self.confirm_btn.setEnabled(False)

    def load(self) -> None:
        receipt = self.receipt.text().strip()
        self._clear()
        if not receipt:
            self.error.setText(self.tr("Type or scan the receipt number, then Enter"))
            return
        try:
            plan = returns.plan(self.db, receipt)
        except DomainError as exc:  # 未找到小票 … / …已全部退货: said as it is
            self.error.setText(exc.message(i18n.current()))
            return
        self.error.setText("")
        self.loaded = plan.receipt_no
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
        self.table.resizeColumnToContents(1)
        self.preview()
        if self.lines:
            self.table.cellWidget(0, 2).setFocus()
            self.table.cellWidget(0, 2).selectAll()

    def wanted(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for r, ln in enumerate(self.lines):
            qty = self.table.cellWidget(r, 2).value()
            if qty:
                out[ln["code"]] = out.get(ln["code"], 0) + qty
        return out

    def _full(self) -> bool:
        return all(self.table.cellWidget(r, 2).value() == ln["qty"] for r, ln in enumerate(self.lines))

    def preview(self) -> None:
        self.plan = None
        self.confirm_btn.setEnabled(False)
        if not self.loaded:
            return
        wanted = self.wanted()
        if not wanted:
            self.plan_label.setText(self.tr("Choose at least one item"))
            return
        try:
            p = returns.plan(self.db, self.loaded, None if self._full() else wanted)
            by_tender = returns.refund_by_tender(self.db, self.loaded, p.refund_fen)
        except DomainError as exc:
            self.error.setText(exc.message(i18n.current()))
            return
        self.error.setText("")
        self.plan = p
        self.by_tender = by_tender
        self.plan_label.setText(self.describe(p, by_tender))
        self.confirm_btn.setEnabled(True)

    def describe(self, p, by_tender: dict[str, int]) -> str:
        money = ", ".join(self.tr("{0} ¥{1}").format(tender_name(t), yuan(v)) for t, v in by_tender.items() if v)
        out = [self.tr("Refund ¥{0}").format(yuan(p.refund_fen)) + (self.tr(" — {0}").format(money) if money else "")]
        pts = []
        if p.points_taken_back:
            pts.append(self.tr("takes back {0} points earned").format(p.points_taken_back))
        bonus = sum(b["points"] for b in getattr(p, "bonuses_back", None) or [])  # pos.loyalty.monthly_spend
        if bonus:
            pts.append(self.tr("takes back the monthly spend bonus ({0} points)").format(bonus))
        if p.points_refunded:
            pts.append(self.tr("gives back {0} points used").format(p.points_refunded)
                       + (self.tr(" (original expiry)") if p.full else self.tr(" (expiry renewed)")))
        if p.debt_points:
            pts.append(self.tr("{0} points already spent: the member owes them").format(p.debt_points))
        if p.deduction_fen:
            pts.append(self.tr("¥{0} deducted for points already spent").format(yuan(p.deduction_fen)))
        if pts:
            out.append("; ".join(pts))
        tier = []
        if p.spend_back_fen:
            tier.append(self.tr("tier spend -¥{0}").format(yuan(p.spend_back_fen)))
        if p.tier_reverted_to:
            tier.append(self.tr("tier goes back to {0}").format(self.tier_name(p.tier_reverted_to)))
        elif p.spend_back_fen:
            tier.append(self.tr("the tier stays"))
        if tier:
            out.append("; ".join(tier))
        if p.window_closed:
            out.append(self.tr("{0} days since the sale: past the {1}-day return window, a manager must approve")
                       .format(p.days_since_sale, p.window_days))
        if p.coupons_back:
            out.append(self.tr("coupon(s) given back: {0}").format(", ".join(self.coupon_name(c["template"]) for c in p.coupons_back)))
        return "\n".join(out)

    def tier_name(self, code: str) -> str:
        from pos.store import program_store

        try:
            name = program_store.active(self.db).tiers.level(code).name
            return name.en if i18n.current() == "en" else name.zh
        except Exception:  # noqa: BLE001 - a tier the program no longer has: its code, rather than nothing
            return code

    def coupon_name(self, template: str) -> str:
        from pos.store import program_store

        t = program_store.active(self.db).template(template)
        if t is None:
            return template
        return t.name.en if i18n.current() == "en" else t.name.zh

    # --- confirming -----------------------------------------------------------------------

    def confirm(self) -> None:
        if not self.loaded:
            if self.receipt.text().strip():
                self.load()  # the real reason (no such receipt, all returned) rather than a guess
                if not self.error.text():
                    self.error.setText(self.tr("Check the preview, then confirm"))
            else:
                self.error.setText(self.tr("Type or scan the receipt number, then Enter"))
            return
        if self.receipt.text().strip() != self.loaded:
            self.load()
            if not self.error.text():
                self.error.setText(self.tr("Another receipt: check the preview, then confirm"))
            return
        if self.plan is None:
            self.preview()
            if self.plan is None:
                if not self.error.text():
                    self.error.setText(self.tr("Choose at least one item"))
                return
        p = self.plan
        limit = manager_above_fen(self.db)
        approver = None
        reasons = []
        if p.refund_fen > limit:
            reasons.append(self.tr("A refund above ¥{0} needs a manager.").format(yuan(limit)))
        if p.window_closed:
            reasons.append(self.tr("{0} days since the sale: past the {1}-day return window, a manager must approve")
                           .format(p.days_since_sale, p.window_days))
        if reasons and self.is_manager:
            approver = self.cashier  # the signed-in manager approves the return window by confirming
        elif reasons:
            asked = self.ask_manager(" ".join(reasons)) if self.ask_manager else None
            if asked is None:
                self.error.setText(" ".join(reasons))
                return
            try:
                approver = staff.approve(self.db, asked[0], asked[1], "return_window" if p.window_closed else "return",
                                         self.loaded, refund_fen=p.refund_fen, cashier=self.cashier,
                                         days_since_sale=p.days_since_sale, window_days=p.window_days).code
            except DomainError as exc:  # a wrong PIN says so (F12 asks again)
                from .dialogs import manager_refusal

                self.error.setText(manager_refusal() if exc.code == "staff.not_manager" else exc.message(i18n.current()))
                return
        try:
            self.result = returns.return_sale(self.db, self.loaded, None if self._full() else self.wanted(),
                                              cashier=self.cashier,
                                              window_override=approver if p.window_closed else None)
        except DomainError as exc:
            self.error.setText(exc.message(i18n.current()))
            return
        self.approver = approver
        self.accept()
